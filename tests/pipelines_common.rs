//! `pipelines::common`: ModelType, ConfigOption, TokenizerOption loading errors, truncation and
//! padding helpers.
use crate::util::{fixtures, minilm_dir};
use rust_bert::bert::BertConfig;
use rust_bert::pipelines::common::{
    pad_sequences, ConfigOption, ModelType, PaddingSide, TokenizerOption,
};
use rust_bert::RustBertError;
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::Device;

fn p(path: PathBuf) -> String {
    path.to_str().unwrap().to_string()
}

fn bert() -> TokenizerOption {
    TokenizerOption::from_file(
        ModelType::Bert,
        &p(minilm_dir().join("vocab.txt")),
        None,
        true,
        None,
        None,
    )
    .unwrap()
}

fn gpt2() -> TokenizerOption {
    let d = fixtures().join("tokenizers/gpt2");
    TokenizerOption::from_file(
        ModelType::GPT2,
        &p(d.join("encoder.json")),
        Some(&p(d.join("vocab.bpe"))),
        false,
        None,
        None,
    )
    .unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn model_type_serde_names_are_hf_model_types() {
    assert_eq!(ModelType::ALL.len(), 33);
    for m in ModelType::ALL {
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, format!("\"{}\"", m.hf_model_type()));
        assert_eq!(serde_json::from_str::<ModelType>(&json).unwrap(), m);
        // rust-bert 0.23 serialized the variant names.
        let legacy = format!("\"{m:?}\"");
        assert_eq!(serde_json::from_str::<ModelType>(&legacy).unwrap(), m);
        assert_eq!(m.to_string().parse::<ModelType>().unwrap(), m);
    }
    assert_eq!(ModelType::XLMRoberta.hf_model_type(), "xlm-roberta");
    assert_eq!(ModelType::DebertaV2.hf_model_type(), "deberta-v2");
    assert_eq!(ModelType::GPTNeo.hf_model_type(), "gpt_neo");
    assert_eq!(ModelType::M2M100.hf_model_type(), "m2m_100");
    assert_eq!(ModelType::OpenAiGpt.hf_model_type(), "openai-gpt");
    assert_eq!(ModelType::MPNet.hf_model_type(), "mpnet");
}

#[test]
fn model_type_from_config_file() {
    assert_eq!(
        ModelType::from_config_file(minilm_dir().join("config.json")).unwrap(),
        ModelType::Bert
    );
    let dir = tempfile::tempdir().unwrap();
    let mt5 = write(&dir, "mt5.json", r#"{"model_type": "mt5"}"#);
    assert_eq!(ModelType::from_config_file(mt5).unwrap(), ModelType::T5);
    let nllb = write(
        &dir,
        "nllb.json",
        r#"{"model_type": "m2m_100", "tokenizer_class": "NllbTokenizer"}"#,
    );
    assert_eq!(ModelType::from_config_file(nllb).unwrap(), ModelType::NLLB);
    let m2m = write(&dir, "m2m.json", r#"{"model_type": "m2m_100"}"#);
    assert_eq!(ModelType::from_config_file(m2m).unwrap(), ModelType::M2M100);

    let llama = write(&dir, "llama.json", r#"{"model_type": "llama"}"#);
    assert_eq!(
        ModelType::from_config_file(llama).unwrap(),
        ModelType::Llama
    );
    let unknown = write(&dir, "falcon.json", r#"{"model_type": "falcon"}"#);
    let err = ModelType::from_config_file(&unknown).unwrap_err();
    assert!(matches!(err, RustBertError::UnsupportedError(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("falcon") && msg.contains("falcon.json"),
        "{msg}"
    );

    let missing = write(&dir, "none.json", r#"{"hidden_size": 8}"#);
    let msg = ModelType::from_config_file(&missing)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("model_type") && msg.contains("none.json"),
        "{msg}"
    );
    let not_string = write(&dir, "num.json", r#"{"model_type": 3}"#);
    assert!(ModelType::from_config_file(not_string).is_err());
    let not_json = write(&dir, "bad.json", "{");
    assert!(ModelType::from_config_file(not_json).is_err());
    let absent = ModelType::from_config_file(dir.path().join("absent.json")).unwrap_err();
    assert!(absent.to_string().contains("absent.json"));
}

#[test]
fn config_option_loads_and_reports() {
    let path = minilm_dir().join("config.json");
    let config = ConfigOption::from_file(ModelType::Bert, &path).unwrap();
    assert_eq!(config.get_max_len(), Some(512));
    assert_eq!(config.get_vocab_size(), 30522);
    assert_eq!(config.get_decoder_start_token_id(), None);
    assert!(
        config.get_label_mapping().is_err(),
        "MiniLM has no id2label"
    );
    let bert = BertConfig::try_from(&config).unwrap();
    assert_eq!(bert.hidden_size, 384);
    assert!(rust_bert::albert::AlbertConfig::try_from(&config).is_err());
    assert!(matches!(
        ConfigOption::from_config_file(&path).unwrap(),
        ConfigOption::Bert(_)
    ));

    // The classification fixture has labels.
    let labelled = ConfigOption::from_file(
        ModelType::Bert,
        fixtures().join("bert/sequence_classification/config.json"),
    )
    .unwrap();
    let labels = labelled.get_label_mapping().unwrap();
    assert_eq!(labels.get(&2).map(String::as_str), Some("positive"));

    // RoBERTa's positions start after the padding index: 514 positions, 512 tokens.
    let dir = tempfile::tempdir().unwrap();
    let roberta = write(
        &dir,
        "roberta.json",
        r#"{"model_type": "roberta", "max_position_embeddings": 514, "pad_token_id": 1}"#,
    );
    let config = ConfigOption::from_config_file(&roberta).unwrap();
    assert!(matches!(config, ConfigOption::Roberta(_)));
    assert_eq!(config.get_max_len(), Some(512));

    // mBART's and M2M100's configurations (BART's keys); NLLB reads M2M100's.
    for (name, model_type) in [
        ("mbart", ModelType::MBart),
        ("m2m100", ModelType::M2M100),
        ("nllb", ModelType::NLLB),
    ] {
        let file = crate::util::fixtures().join(name).join("config.json");
        let config = ConfigOption::from_file(model_type, &file).unwrap();
        let expected = if name == "mbart" {
            "an mBART configuration"
        } else {
            "an M2M100 configuration"
        };
        assert_eq!(config.description(), expected, "{name}");
        assert!(config.get_vocab_size() > 0);
        assert_eq!(
            ConfigOption::from_config_file(&file).unwrap().description(),
            expected
        );
    }
    let reformer = crate::util::fixtures().join("reformer/config.json");
    let config = ConfigOption::from_file(ModelType::Reformer, &reformer).unwrap();
    assert_eq!(config.description(), "a Reformer configuration");
    let deberta = crate::util::fixtures().join("deberta_v2/sequence_classification/config.json");
    let config = ConfigOption::from_config_file(&deberta).unwrap();
    assert!(matches!(config, ConfigOption::DebertaV2(_)));
    assert_eq!(config.get_max_len(), Some(64));
    assert_eq!(config.get_label_mapping().unwrap().len(), 3);
    assert!(rust_bert::deberta_v2::DebertaV2Config::try_from(&config).is_ok());
    assert!(rust_bert::deberta::DebertaConfig::try_from(&config).is_err());
    let deberta = crate::util::fixtures().join("deberta/base/config.json");
    let config = ConfigOption::from_config_file(&deberta).unwrap();
    assert!(matches!(config, ConfigOption::Deberta(_)));
    assert_eq!(config.get_vocab_size(), 100);
    let electra = crate::util::fixtures().join("electra/sequence_classification/config.json");
    let config = ConfigOption::from_config_file(&electra).unwrap();
    assert!(matches!(config, ConfigOption::Electra(_)));
    assert_eq!(config.get_max_len(), Some(64));
    assert_eq!(config.get_vocab_size(), 100);
    assert_eq!(config.get_label_mapping().unwrap().len(), 3);
    assert!(rust_bert::electra::ElectraConfig::try_from(&config).is_ok());
    assert!(rust_bert::bert::BertConfig::try_from(&config).is_err());
    let xlnet = crate::util::fixtures().join("xlnet/lm/config.json");
    let config = ConfigOption::from_config_file(&xlnet).unwrap();
    assert!(matches!(config, ConfigOption::XLNet(_)));
    // Relative positions: no limit.
    assert_eq!(config.get_max_len(), None);
    assert_eq!(config.get_vocab_size(), 1000);
    let bart = crate::util::fixtures().join("bart/config.json");
    let config = ConfigOption::from_config_file(&bart).unwrap();
    assert!(matches!(config, ConfigOption::Bart(_)));
    assert_eq!(config.get_forced_bos_token_id(), Some(0));
    assert_eq!(config.get_decoder_start_token_id(), Some(2));
    let bad = write(&dir, "bad.json", r#"{"hidden_size": "large"}"#);
    let msg = ConfigOption::from_file(ModelType::Bert, &bad)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("bad.json") && msg.contains("hidden_size"),
        "{msg}"
    );
}

#[test]
fn tokenizer_files_of_the_wrong_kind_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let spm = fixtures().join("tokenizers/spm/albert.model");
    let gpt2 = fixtures().join("tokenizers/gpt2/encoder.json");
    let vocab = minilm_dir().join("vocab.txt");
    let expect = |result: Result<TokenizerOption, RustBertError>, file: &str, what: &str| {
        let msg = match result {
            Ok(_) => panic!("{file}: loaded"),
            Err(err) => err.to_string(),
        };
        assert!(msg.contains(file) && msg.contains(what), "{msg}");
    };
    // A JSON vocabulary as a WordPiece vocabulary: no [UNK] line.
    expect(
        TokenizerOption::from_file(ModelType::Bert, &p(gpt2.clone()), None, true, None, None),
        "encoder.json",
        "[UNK]",
    );
    // A binary SentencePiece model as a text vocabulary.
    expect(
        TokenizerOption::from_file(ModelType::Bert, &p(spm.clone()), None, true, None, None),
        "albert.model",
        "Bert",
    );
    // A text vocabulary as a SentencePiece model.
    expect(
        TokenizerOption::from_file(ModelType::Albert, &p(vocab.clone()), None, true, None, None),
        "vocab.txt",
        "Albert",
    );
    // The ALBERT model lacks XLNet's special pieces.
    expect(
        TokenizerOption::from_file(ModelType::XLNet, &p(spm.clone()), None, false, None, None),
        "albert.model",
        "could not be found",
    );
    // GPT-2's vocabulary lacks RoBERTa's <s>.
    expect(
        TokenizerOption::from_file(
            ModelType::Roberta,
            &p(gpt2.clone()),
            Some(&p(fixtures().join("tokenizers/gpt2/vocab.bpe"))),
            false,
            None,
            None,
        ),
        "encoder.json",
        "<",
    );
    // A WordPiece vocabulary missing [MASK].
    let short = write(
        &dir,
        "short_vocab.txt",
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n",
    );
    expect(
        TokenizerOption::from_file(ModelType::Bert, &p(short), None, true, None, None),
        "short_vocab.txt",
        "[MASK]",
    );
    expect(
        TokenizerOption::from_file(
            ModelType::Bert,
            &p(dir.path().join("missing.txt")),
            None,
            true,
            None,
            None,
        ),
        "missing.txt",
        "not found",
    );
    // Missing merges and options a tokenizer does not take are configuration errors.
    let err = TokenizerOption::from_file(ModelType::GPT2, &p(gpt2), None, false, None, None)
        .err()
        .unwrap();
    assert!(
        matches!(err, RustBertError::InvalidConfigurationError(_)),
        "{err}"
    );
    let err = TokenizerOption::from_file(ModelType::Bert, &p(vocab), None, true, None, true)
        .err()
        .unwrap();
    assert!(err.to_string().contains("add_prefix_space"), "{err}");
}

#[cfg(feature = "hf-tokenizers")]
#[test]
fn hf_tokenizer_json_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let map = minilm_dir().join("special_tokens_map.json");
    let msg = TokenizerOption::from_hf_tokenizer_file(minilm_dir().join("vocab.txt"), &map)
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("vocab.txt"), "{msg}");
    let bad_map = write(
        &dir,
        "special_tokens_map.json",
        r#"{"unk_token": "[UNK]", "mask_token": {"content": "<mask>"}}"#,
    );
    let msg =
        TokenizerOption::from_hf_tokenizer_file(minilm_dir().join("tokenizer.json"), &bad_map)
            .err()
            .unwrap()
            .to_string();
    assert!(
        msg.contains("<mask>") && msg.contains("mask_token") && msg.contains("tokenizer.json"),
        "{msg}"
    );
    let no_unk = write(&dir, "no_unk.json", r#"{"pad_token": "[PAD]"}"#);
    let msg = TokenizerOption::from_hf_tokenizer_file(minilm_dir().join("tokenizer.json"), &no_unk)
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("unk_token") && msg.contains("no_unk.json"),
        "{msg}"
    );
}

#[test]
fn special_token_ids_follow_each_vocabulary() {
    let bert = bert();
    assert_eq!(
        (
            bert.get_pad_id(),
            bert.get_cls_id(),
            bert.get_sep_id(),
            bert.get_mask_id()
        ),
        (Some(0), Some(101), Some(102), Some(103))
    );
    assert_eq!((bert.get_bos_id(), bert.get_eos_id()), (None, None));
    assert_eq!(bert.get_unk_id(), 100);
    let gpt2 = gpt2();
    assert_eq!(gpt2.get_pad_id(), None);
    assert_eq!(
        (gpt2.get_bos_id(), gpt2.get_eos_id()),
        (Some(50256), Some(50256))
    );
    assert_eq!(gpt2.pad_id_or_fallback(), 50256);
    assert_eq!(gpt2.model_type(), ModelType::GPT2);
    assert_eq!(bert.num_special_tokens(false), 2);
    assert_eq!(bert.num_special_tokens(true), 3);
    assert_eq!(gpt2.num_special_tokens(true), 0);
}

#[test]
fn truncation_never_panics_and_follows_the_strategy() {
    let tok = bert();
    let long = "one two three four five six seven eight nine ten";
    let out = tok.encode_list(&[long], 6, &TruncationStrategy::LongestFirst, 0);
    assert_eq!(out[0].token_ids, vec![101, 2028, 2048, 2093, 2176, 102]);
    assert_eq!(out[0].num_truncated_tokens, 6);
    assert_eq!(out[0].overflowing_tokens.len(), 6);
    let strided = tok.encode_list(&[long], 6, &TruncationStrategy::LongestFirst, 2);
    assert_eq!(
        strided[0].overflowing_tokens.len(),
        8,
        "stride adds context"
    );
    let whole = tok.encode_list(&[long], 6, &TruncationStrategy::DoNotTruncate, 0);
    assert_eq!(whole[0].token_ids.len(), 12);
    // rust_tokenizers panics on these; they fall back to truncating what can be cut.
    let only_second = tok.encode_list(&[long], 6, &TruncationStrategy::OnlySecond, 0);
    assert_eq!(only_second[0].token_ids.len(), 6);
    let tiny = tok.encode_list(&[long], 1, &TruncationStrategy::LongestFirst, 5);
    assert_eq!(tiny[0].token_ids, vec![101, 102]);
    let pair = tok.encode_pair(long, Some("a b"), 8, &TruncationStrategy::OnlySecond, 0);
    assert_eq!(pair.token_ids.len(), 8);
    let pair = tok.encode_pair("a b", Some(long), 8, &TruncationStrategy::OnlyFirst, 0);
    assert_eq!(pair.token_ids.len(), 8);
    let empty = tok.encode_list(&[""], 16, &TruncationStrategy::LongestFirst, 0);
    assert_eq!(empty[0].token_ids, vec![101, 102]);
    assert!(tok
        .encode_list::<&str>(&[], 16, &TruncationStrategy::LongestFirst, 0)
        .is_empty());
}

#[test]
fn padding_builds_ids_mask_and_types() {
    let tok = bert();
    let batch = tok.encode_and_pad(&["hello world", "hi"], 16, PaddingSide::Right, Device::Cpu);
    assert_eq!(batch.lengths, vec![4, 3]);
    assert_eq!(
        Vec::<i64>::try_from(batch.input_ids.flatten(0, -1)).unwrap(),
        vec![101, 7592, 2088, 102, 101, 7632, 102, 0]
    );
    assert_eq!(
        Vec::<i64>::try_from(batch.attention_mask.flatten(0, -1)).unwrap(),
        vec![1, 1, 1, 1, 1, 1, 1, 0]
    );
    assert_eq!(batch.token_type_ids.size(), vec![2, 4]);
    assert_eq!(batch.input_ids.kind(), tch::Kind::Int64);

    let left = pad_sequences(
        [(&[5i64, 6, 7][..], &[0i64, 0, 1][..]), (&[8][..], &[][..])],
        0,
        3,
        PaddingSide::Left,
        Device::Cpu,
    );
    assert_eq!(
        Vec::<i64>::try_from(left.input_ids.flatten(0, -1)).unwrap(),
        vec![5, 6, 7, 0, 0, 8]
    );
    assert_eq!(
        Vec::<i64>::try_from(left.attention_mask.flatten(0, -1)).unwrap(),
        vec![1, 1, 1, 0, 0, 1]
    );
    assert_eq!(
        Vec::<i64>::try_from(left.token_type_ids.flatten(0, -1)).unwrap(),
        vec![0, 0, 1, 3, 3, 3]
    );

    let empty = tok.pad_batch(&[], PaddingSide::Right, Device::Cpu);
    assert_eq!(empty.input_ids.size(), vec![0, 0]);

    // rust-bert's helper, on a tokenizer without a pad token.
    let (ids, types) = gpt2().tokenize_and_pad(["Hello world", "Hi"], 8, Device::Cpu);
    assert_eq!(ids.size(), vec![2, 2]);
    assert_eq!(
        Vec::<i64>::try_from(ids.get(1)).unwrap(),
        vec![17250, 50256]
    );
    assert_eq!(types.size(), vec![2, 2]);
}
