//! Every loader fed bad files: weights, configurations, vocabularies. Each case must be a
//! `RustBertError` whose message names the file and the problem; the test lists them all.
use crate::util::fixtures;
use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ConfigOption, ModelType, TokenizerOption};
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// One bad-file case: what is wrong, the file, the loader's result, and words its message must
/// hold (besides the file name).
struct Case {
    what: &'static str,
    file: PathBuf,
    result: Result<(), RustBertError>,
    mentions: &'static [&'static str],
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn bert_dir() -> PathBuf {
    fixtures().join("pipeline_classification/bert")
}

fn bert_config() -> BertConfig {
    BertConfig::try_from_file(bert_dir().join("config.json")).unwrap()
}

fn load_bert(path: &Path) -> Result<(), RustBertError> {
    let vs = VarStore::new(Device::Cpu);
    let _model = BertModel::<BertEmbeddings>::new(vs.root() / "bert", &bert_config());
    load_weights_from_file(&vs, path).map(|_| ())
}

fn safetensors_with(dir: &Path, name: &str, tensors: &[(&str, Tensor)]) -> PathBuf {
    let path = dir.join(name);
    Tensor::write_safetensors(tensors, &path).unwrap();
    path
}

fn tokenizer(
    model_type: ModelType,
    vocab: &Path,
    merges: Option<&Path>,
) -> Result<(), RustBertError> {
    TokenizerOption::from_file(
        model_type,
        vocab.to_str().unwrap(),
        merges.map(|m| m.to_str().unwrap()),
        false,
        None,
        None,
    )
    .map(|_| ())
}

fn weight_cases(dir: &Path) -> Vec<Case> {
    let good = bert_dir().join("model.safetensors");
    let bytes = std::fs::read(&good).unwrap();
    let missing = dir.join("missing.safetensors");
    let empty = write(dir, "empty.safetensors", b"");
    let truncated = write(dir, "truncated.safetensors", &bytes[..bytes.len() / 2]);
    let garbage = write(dir, "garbage.safetensors", b"{\"not\": \"a header\"}");
    let ot = write(dir, "garbage.ot", b"not a torch archive");
    let bin = write(dir, "garbage.bin", b"PK\x03\x04 truncated zip");
    // Every tensor of the file, one with the wrong shape.
    let all = tch::Tensor::read_safetensors(&good).unwrap();
    let reshaped: Vec<(String, Tensor)> = all
        .iter()
        .map(|(name, t)| {
            if name.ends_with("word_embeddings.weight") {
                (name.clone(), t.narrow(0, 0, 7).copy())
            } else {
                (name.clone(), t.shallow_clone())
            }
        })
        .collect();
    let reshaped_refs: Vec<(&str, Tensor)> = reshaped
        .iter()
        .map(|(n, t)| (n.as_str(), t.shallow_clone()))
        .collect();
    let wrong_shape = safetensors_with(dir, "wrong_shape.safetensors", &reshaped_refs);
    let as_ints: Vec<(&str, Tensor)> = all
        .iter()
        .map(|(n, t)| {
            let t = if n.ends_with("word_embeddings.weight") {
                t.to_kind(Kind::Int64)
            } else {
                t.shallow_clone()
            };
            (n.as_str(), t)
        })
        .collect();
    let wrong_dtype = safetensors_with(dir, "wrong_dtype.safetensors", &as_ints);
    let other_model = fixtures().join("xlnet/lm/model.safetensors");
    vec![
        Case {
            what: "missing weights file",
            result: load_bert(&missing),
            file: missing,
            mentions: &[],
        },
        Case {
            what: "empty safetensors file",
            result: load_bert(&empty),
            file: empty,
            mentions: &[],
        },
        Case {
            what: "truncated safetensors file",
            result: load_bert(&truncated),
            file: truncated,
            mentions: &[],
        },
        Case {
            what: "safetensors file with a bad header",
            result: load_bert(&garbage),
            file: garbage,
            mentions: &[],
        },
        Case {
            what: "garbage .ot archive",
            result: load_bert(&ot),
            file: ot,
            mentions: &[],
        },
        Case {
            what: "garbage pytorch_model.bin",
            result: load_bert(&bin),
            file: bin,
            mentions: &[],
        },
        Case {
            what: "a tensor of the wrong shape",
            result: load_bert(&wrong_shape),
            file: wrong_shape,
            mentions: &["word_embeddings", "[7, 32]"],
        },
        Case {
            what: "an integer tensor for a float weight",
            result: load_bert(&wrong_dtype),
            file: wrong_dtype,
            mentions: &["word_embeddings", "Int64", "floating-point"],
        },
        Case {
            what: "weights of another architecture",
            result: load_bert(&other_model),
            file: other_model,
            mentions: &["missing"],
        },
    ]
}

fn config_cases(dir: &Path) -> Vec<Case> {
    let missing = dir.join("no_config.json");
    let empty = write(dir, "empty_config.json", b"");
    let not_json = write(dir, "not_json_config.json", b"{\"hidden_size\": 32,");
    let wrong_type = write(
        dir,
        "wrong_type_config.json",
        br#"{"hidden_size": "large"}"#,
    );
    let activation = write(
        dir,
        "activation_config.json",
        br#"{"hidden_act": "swiglu_of_the_future"}"#,
    );
    let labels = write(
        dir,
        "labels_config.json",
        br#"{"id2label": {"zero": "NEGATIVE"}}"#,
    );
    let read = |path: &Path| BertConfig::try_from_file(path).map(|_| ());
    let option = |path: &Path| ConfigOption::from_config_file(path).map(|_| ());
    let unknown_type = write(
        dir,
        "unknown_type_config.json",
        br#"{"model_type": "bort"}"#,
    );
    vec![
        Case {
            what: "missing configuration",
            result: read(&missing),
            file: missing,
            mentions: &[],
        },
        Case {
            what: "empty configuration",
            result: read(&empty),
            file: empty,
            mentions: &[],
        },
        Case {
            what: "configuration that is not JSON",
            result: read(&not_json),
            file: not_json,
            mentions: &[],
        },
        Case {
            what: "a field of the wrong type",
            result: read(&wrong_type),
            file: wrong_type,
            mentions: &["hidden_size"],
        },
        Case {
            what: "an unknown activation",
            result: read(&activation),
            file: activation,
            mentions: &["hidden_act", "swiglu_of_the_future"],
        },
        Case {
            what: "labels keyed by a non-number",
            result: read(&labels),
            file: labels,
            mentions: &["id2label"],
        },
        Case {
            what: "an unknown model_type",
            result: option(&unknown_type),
            file: unknown_type,
            mentions: &["bort"],
        },
    ]
}

fn vocab_cases(dir: &Path) -> Vec<Case> {
    let missing = dir.join("no_vocab.txt");
    let empty = write(dir, "empty_vocab.txt", b"");
    let no_specials = write(dir, "no_specials_vocab.txt", b"hello\nworld\n##s\n");
    let bad_json = write(dir, "bad_vocab.json", b"{\"a\": ");
    let gpt2_vocab = fixtures().join("generation/gpt2/vocab.json");
    let missing_merges = dir.join("no_merges.txt");
    let bad_spm = write(dir, "bad_spiece.model", b"not a sentencepiece model");
    let empty_spm = write(dir, "empty_spiece.model", b"");
    let missing_tokenizer_json = dir.join("no_tokenizer.json");
    let bad_tokenizer_json = write(dir, "bad_tokenizer.json", b"{\"model\": 3}");
    let specials = write(dir, "special_tokens_map.json", b"{}");
    let hf =
        |path: &Path| TokenizerOption::from_hf_tokenizer_file(path, specials.as_path()).map(|_| ());
    vec![
        Case {
            what: "missing WordPiece vocabulary",
            result: tokenizer(ModelType::Bert, &missing, None),
            file: missing,
            mentions: &[],
        },
        Case {
            what: "empty WordPiece vocabulary",
            result: tokenizer(ModelType::Bert, &empty, None),
            file: empty,
            mentions: &[],
        },
        Case {
            what: "vocabulary without special tokens",
            result: tokenizer(ModelType::Bert, &no_specials, None),
            file: no_specials,
            mentions: &["[UNK]"],
        },
        Case {
            what: "BPE vocabulary that is not JSON",
            result: tokenizer(ModelType::GPT2, &bad_json, Some(&gpt2_vocab)),
            file: bad_json,
            mentions: &[],
        },
        Case {
            what: "missing BPE merges",
            result: tokenizer(ModelType::GPT2, &gpt2_vocab, Some(&missing_merges)),
            file: missing_merges,
            mentions: &[],
        },
        Case {
            what: "garbage SentencePiece model",
            result: tokenizer(ModelType::XLNet, &bad_spm, None),
            file: bad_spm,
            mentions: &[],
        },
        Case {
            what: "empty SentencePiece model",
            result: tokenizer(ModelType::T5, &empty_spm, None),
            file: empty_spm,
            mentions: &[],
        },
        Case {
            what: "missing tokenizer.json",
            result: hf(&missing_tokenizer_json),
            file: missing_tokenizer_json,
            mentions: &[],
        },
        Case {
            what: "tokenizer.json of the wrong shape",
            result: hf(&bad_tokenizer_json),
            file: bad_tokenizer_json,
            mentions: &[],
        },
    ]
}

/// A pipeline built on a bad file reports it too (the loaders' errors reach the user).
fn pipeline_cases(dir: &Path) -> Vec<Case> {
    let truncated = {
        let bytes = std::fs::read(bert_dir().join("model.safetensors")).unwrap();
        write(dir, "pipeline_truncated.safetensors", &bytes[..100])
    };
    let config = SequenceClassificationConfig::new(
        ModelType::Bert,
        rust_bert::pipelines::common::ModelResource::Torch(Box::new(LocalResource::from(
            truncated.clone(),
        ))),
        LocalResource::from(bert_dir().join("config.json")),
        LocalResource::from(fixtures().join("pipeline_classification/vocab.txt")),
        None,
        true,
        None,
        None,
    );
    vec![Case {
        what: "a pipeline on truncated weights",
        result: SequenceClassificationModel::new(config).map(|_| ()),
        file: truncated,
        mentions: &[],
    }]
}

#[test]
fn every_bad_file_is_an_error_naming_the_file_and_the_problem() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let mut cases = weight_cases(dir);
    cases.extend(config_cases(dir));
    cases.extend(vocab_cases(dir));
    cases.extend(pipeline_cases(dir));
    let mut failures = Vec::new();
    eprintln!("{} bad-file cases:", cases.len());
    for case in &cases {
        let name = case.file.file_name().unwrap().to_string_lossy().to_string();
        match &case.result {
            Ok(()) => failures.push(format!("{}: loaded without error", case.what)),
            Err(error) => {
                let message = error.to_string();
                eprintln!("  {:<45} {message}", case.what);
                if !message.contains(&name) {
                    failures.push(format!(
                        "{}: message does not name {name}: {message}",
                        case.what
                    ));
                }
                for word in case.mentions {
                    if !message.contains(word) {
                        failures.push(format!("{}: message lacks `{word}`: {message}", case.what));
                    }
                }
            }
        }
    }
    assert!(cases.len() >= 25, "{} cases", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
