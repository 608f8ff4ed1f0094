//! Token classification, NER and POS pipelines against HF's `pipeline("token-classification")`
//! on tiny random models (fixtures: utils/fixtures_pipeline_tokens.py).
use crate::util::{fixtures, PIPELINE_TOL as TOL};
use rust_bert::pipelines::common::ModelResource;
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::pipelines::ner::{group_entities, Entity, NERModel};
use rust_bert::pipelines::pos_tagging::{POSConfig, POSModel};
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, Token, TokenClassificationConfig, TokenClassificationModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use rust_tokenizers::{Mask, Offset};
use serde_json::Value;
use std::path::PathBuf;
use tch::Device;

fn dir(name: &str) -> PathBuf {
    fixtures().join("pipeline_tokens").join(name)
}

/// A fixture model: type, folder, tokenizer files and options.
struct Spec {
    model_type: ModelType,
    folder: &'static str,
    vocab: PathBuf,
    merges: Option<PathBuf>,
    lower_case: bool,
}

fn spec(name: &str) -> Spec {
    match name {
        "bert_ner" | "bert_pos" => Spec {
            model_type: ModelType::Bert,
            folder: if name == "bert_ner" {
                "bert_ner"
            } else {
                "bert_pos"
            },
            vocab: dir("bert_ner").join("vocab.txt"),
            merges: None,
            lower_case: true,
        },
        "distilbert_ner" => Spec {
            model_type: ModelType::DistilBert,
            folder: "distilbert_ner",
            vocab: dir("distilbert_ner").join("vocab.txt"),
            merges: None,
            lower_case: false,
        },
        "roberta_ner" => Spec {
            model_type: ModelType::Roberta,
            folder: "roberta_ner",
            vocab: dir("roberta_ner").join("vocab.json"),
            merges: Some(dir("roberta_ner").join("merges.txt")),
            lower_case: false,
        },
        // ELECTRA's tokenizer is BERT's WordPiece: the fixture shares bert_ner's vocabulary.
        "electra_ner" => Spec {
            model_type: ModelType::Electra,
            folder: "electra_ner",
            vocab: dir("bert_ner").join("vocab.txt"),
            merges: None,
            lower_case: true,
        },
        // MobileBERT's tokenizer is BERT's WordPiece too.
        "mobilebert_ner" | "mobilebert_pos" => Spec {
            model_type: ModelType::MobileBert,
            folder: if name == "mobilebert_ner" {
                "mobilebert_ner"
            } else {
                "mobilebert_pos"
            },
            vocab: dir("bert_ner").join("vocab.txt"),
            merges: None,
            lower_case: true,
        },
        // Longformer's tokenizer is RoBERTa's BPE: the fixture shares roberta_ner's files.
        "longformer_ner" => Spec {
            model_type: ModelType::Longformer,
            folder: "longformer_ner",
            vocab: dir("roberta_ner").join("vocab.json"),
            merges: Some(dir("roberta_ner").join("merges.txt")),
            lower_case: false,
        },
        // FNet's SentencePiece BPE model (HF's reference tokenizer rebuilt as BPE over it:
        // utils/fixtures_fnet.py, hf_tokenizer).
        "fnet_ner" => Spec {
            model_type: ModelType::FNet,
            folder: "fnet_ner",
            vocab: fixtures().join("tokenizers/spm/fnet.model"),
            merges: None,
            lower_case: false,
        },
        "xlnet_ner" => Spec {
            model_type: ModelType::XLNet,
            folder: "xlnet_ner",
            vocab: dir("xlnet_ner").join("spiece.model"),
            merges: None,
            lower_case: false,
        },
        other => panic!("no fixture model {other}"),
    }
}

fn config_with(
    name: &str,
    config_file: &str,
    aggregation: LabelAggregationOption,
) -> TokenClassificationConfig {
    let s = spec(name);
    let mut config = TokenClassificationConfig::new(
        s.model_type,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir(s.folder).join("model.safetensors"),
        ))),
        LocalResource::from(dir(s.folder).join(config_file)),
        LocalResource::from(s.vocab),
        s.merges.map(LocalResource::from),
        s.lower_case,
        None,
        None,
        aggregation,
    );
    config.device = Device::Cpu;
    config
}

pub(crate) fn config(name: &str, aggregation: LabelAggregationOption) -> TokenClassificationConfig {
    config_with(name, "config.json", aggregation)
}

fn model(name: &str, aggregation: LabelAggregationOption) -> TokenClassificationModel {
    TokenClassificationModel::new(config(name, aggregation)).unwrap()
}

fn expected(name: &str, file: &str) -> Value {
    let path = dir(name).join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn texts(e: &Value) -> Vec<String> {
    e["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["text"].as_str().unwrap().to_string())
        .collect()
}

fn entries(e: &Value) -> &Vec<Value> {
    e["entries"].as_array().unwrap()
}

fn span(text: &str, begin: u64, end: u64) -> String {
    text.chars()
        .skip(begin as usize)
        .take((end - begin) as usize)
        .collect()
}

fn offset_of(v: &Value) -> Offset {
    Offset::new(
        v["start"].as_u64().unwrap() as u32,
        v["end"].as_u64().unwrap() as u32,
    )
}

/// Whether `actual` is HF's span `expected`, allowing one known difference of
/// `TokenizerOption`'s byte-level offsets (src/pipelines/common.rs, `hf_offsets`): a token made
/// only of whitespace gets an empty span at its end, where HF's `trim_offsets` empties only spans
/// of spaces (tabs and newlines keep theirs). Pinned: any other difference fails.
fn same_span(_text: &str, actual: Offset, expected: Offset) -> bool {
    actual == expected
}

#[track_caller]
fn assert_span(text: &str, actual: Option<Offset>, expected: Offset, at: &str) {
    let actual = actual.unwrap_or_else(|| panic!("{at}: no offset"));
    assert!(
        same_span(text, actual, expected),
        "{at}: offset {actual:?} vs HF {expected:?}"
    );
}

/// MobileBERT's bound: its pipelines run LibTorch's fused attention where HF runs eager
/// attention, and its un-normalised (`NoNorm`) activations carry that difference further
/// (README: NER ≤ 3e-5, POS ≤ 4e-6); a few times the measured maximum.
const MOBILEBERT_TOL: f64 = 1e-4;

/// Keeps the largest score difference seen, for the test's report line, and the tolerance of
/// the model it checks.
struct MaxDiff(f64, f64);

impl Default for MaxDiff {
    fn default() -> Self {
        MaxDiff(0.0, TOL)
    }
}

impl MaxDiff {
    /// The tolerance of fixture model `name`.
    fn for_model(name: &str) -> Self {
        let tolerance = if name.starts_with("mobilebert") {
            MOBILEBERT_TOL
        } else {
            TOL
        };
        MaxDiff(0.0, tolerance)
    }

    #[track_caller]
    fn check(&mut self, actual: f64, expected: f64, what: &str) {
        let diff = (actual - expected).abs();
        assert!(diff <= self.1, "{what}: score {actual} vs HF {expected}");
        self.0 = self.0.max(diff);
    }
}

/// Compares tokens (or words) to HF's entries: label, score, offsets, text, and `index` when
/// HF gives one.
fn compare(
    what: &str,
    text: &str,
    actual: &[Token],
    expected: &[Value],
    label_key: &str,
    diff: &mut MaxDiff,
) {
    let shown: Vec<(&str, &str)> = actual
        .iter()
        .map(|t| (t.text.as_str(), t.label.as_str()))
        .collect();
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what} {text:?}: {shown:?} vs {expected:?}"
    );
    for (token, e) in actual.iter().zip(expected) {
        let at = format!("{what} {text:?} token {:?}", token.text);
        assert_eq!(token.label, e[label_key].as_str().unwrap(), "{at}");
        diff.check(token.score, e["score"].as_f64().unwrap(), &at);
        assert_span(text, token.offset, offset_of(e), &at);
        let offset = token.offset.unwrap();
        assert_eq!(
            token.text,
            span(text, offset.begin.into(), offset.end.into()),
            "{at}"
        );
        if let Some(index) = e.get("index") {
            assert_eq!(u64::from(token.index), index.as_u64().unwrap(), "{at}");
        }
        if let Some(label_index) = e.get("label_index") {
            assert_eq!(token.label_index, label_index.as_i64().unwrap(), "{at}");
        }
    }
}

fn compare_entities(
    what: &str,
    text: &str,
    actual: &[Entity],
    expected: &[Value],
    diff: &mut MaxDiff,
) {
    let shown: Vec<(&str, &str)> = actual
        .iter()
        .map(|e| (e.word.as_str(), e.label.as_str()))
        .collect();
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what} {text:?}: {shown:?} vs {expected:?}"
    );
    for (entity, e) in actual.iter().zip(expected) {
        let at = format!("{what} {text:?} entity {:?}", entity.word);
        let label = e
            .get("entity_group")
            .or_else(|| e.get("entity"))
            .and_then(Value::as_str)
            .unwrap();
        assert_eq!(entity.label, label, "{at}");
        diff.check(entity.score, e["score"].as_f64().unwrap(), &at);
        assert_span(text, Some(entity.offset), offset_of(e), &at);
        let offset = entity.offset;
        assert_eq!(
            entity.word,
            span(text, offset.begin.into(), offset.end.into()),
            "{at}"
        );
    }
}

const NER_MODELS: [&str; 8] = [
    "bert_ner",
    "distilbert_ner",
    "roberta_ner",
    "xlnet_ner",
    "electra_ner",
    "mobilebert_ner",
    "longformer_ner",
    "fnet_ner",
];

#[test]
fn tokens_match_hf_aggregation_none() {
    for name in NER_MODELS {
        let e = expected(name, "expected.json");
        let texts = texts(&e);
        let output = model(name, LabelAggregationOption::First).predict(&texts, false, false);
        let mut diff = MaxDiff::for_model(name);
        for ((tokens, entry), text) in output.iter().zip(entries(&e)).zip(&texts) {
            compare(
                name,
                text,
                tokens,
                entry["none"].as_array().unwrap(),
                "entity",
                &mut diff,
            );
            for (i, token) in tokens.iter().enumerate() {
                assert_eq!(
                    token.sentence,
                    texts.iter().position(|t| t == text).unwrap()
                );
                assert!(token.word_index as usize <= i);
            }
        }
        println!("{name}: aggregation none, max |score diff| {:.2e}", diff.0);
    }
}

#[test]
fn special_tokens_match_hf_positions() {
    for name in NER_MODELS {
        let e = expected(name, "expected.json");
        let texts = texts(&e);
        let output = model(name, LabelAggregationOption::First).predict(&texts, false, true);
        let mut diff = MaxDiff::for_model(name);
        for ((tokens, entry), text) in output.iter().zip(entries(&e)).zip(&texts) {
            let positions = entry["positions"].as_array().unwrap();
            assert_eq!(tokens.len(), positions.len(), "{name} {text:?}");
            for (token, p) in tokens.iter().zip(positions) {
                let at = format!("{name} {text:?} position {}", p["index"]);
                assert_eq!(u64::from(token.index), p["index"].as_u64().unwrap(), "{at}");
                assert_eq!(token.label, p["label"].as_str().unwrap(), "{at}");
                diff.check(token.score, p["score"].as_f64().unwrap(), &at);
                if p["special"].as_bool().unwrap() {
                    assert_eq!(token.mask, Mask::Special, "{at}");
                    assert_eq!(token.offset, None, "{at}");
                    assert!(!token.text.is_empty(), "{at}");
                } else {
                    assert_ne!(token.mask, Mask::Special, "{at}");
                    assert_span(text, token.offset, offset_of(p), &at);
                }
            }
        }
        println!(
            "{name}: special tokens included, max |score diff| {:.2e}",
            diff.0
        );
    }
}

#[test]
fn words_match_hf_first_last_and_mode() {
    for name in NER_MODELS {
        let e = expected(name, "expected.json");
        let texts = texts(&e);
        for (aggregation, key) in [
            (LabelAggregationOption::First, "first_words"),
            (LabelAggregationOption::Last, "last_words"),
            (LabelAggregationOption::Mode, "mode_words"),
        ] {
            let output = model(name, aggregation).predict(&texts, true, false);
            let mut diff = MaxDiff::for_model(name);
            for ((words, entry), text) in output.iter().zip(entries(&e)).zip(&texts) {
                compare(
                    &format!("{name} {key}"),
                    text,
                    words,
                    entry[key].as_array().unwrap(),
                    "entity",
                    &mut diff,
                );
                for (i, word) in words.iter().enumerate() {
                    assert_eq!(word.word_index as usize, i, "{name} {text:?}");
                }
            }
            println!("{name}: {key}, max |score diff| {:.2e}", diff.0);
        }
    }
}

#[test]
fn custom_aggregation_scores_the_chosen_label_by_its_mean_probability() {
    // The middle sub-token's label; expected values from HF's probabilities of each position.
    let middle: fn(&[Token]) -> (i64, String) = |tokens| {
        let token = &tokens[tokens.len() / 2];
        (token.label_index, token.label.clone())
    };
    for name in NER_MODELS {
        let e = expected(name, "expected.json");
        let labels: Vec<&str> = e["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let texts = texts(&e);
        let output = model(name, LabelAggregationOption::Custom(Box::new(middle)))
            .predict(&texts, true, false);
        let mut diff = MaxDiff::for_model(name);
        let mut merged = 0;
        for ((words, entry), text) in output.iter().zip(entries(&e)).zip(&texts) {
            let positions: Vec<&Value> = entry["positions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| !p["special"].as_bool().unwrap())
                .collect();
            let hf_words = entry["first_words"].as_array().unwrap();
            assert_eq!(words.len(), hf_words.len(), "{name} {text:?}");
            let mut next = 0;
            for (word, hf) in words.iter().zip(hf_words) {
                let count = hf["tokens"].as_u64().unwrap() as usize;
                let group = &positions[next..next + count];
                next += count;
                let chosen = group[count / 2]["label_index"].as_u64().unwrap() as usize;
                let score = if count == 1 {
                    group[0]["score"].as_f64().unwrap()
                } else {
                    merged += 1;
                    group
                        .iter()
                        .map(|p| p["probs"][chosen].as_f64().unwrap())
                        .sum::<f64>()
                        / count as f64
                };
                let at = format!("{name} {text:?} word {:?}", word.text);
                assert_eq!(word.label, labels[chosen], "{at}");
                diff.check(word.score, score, &at);
                assert_span(text, word.offset, offset_of(hf), &at);
            }
        }
        assert!(merged > 0, "{name}: no word of several sub-tokens");
        println!(
            "{name}: custom aggregation, max |score diff| {:.2e}",
            diff.0
        );
    }
}

#[test]
fn ner_matches_hf_first_words_and_entities() {
    for name in NER_MODELS {
        let e = expected(name, "expected.json");
        let texts = texts(&e);
        let ner = NERModel::new(config(name, LabelAggregationOption::First)).unwrap();
        let words = ner.predict(&texts);
        let entities = ner.predict_full_entities(&texts);
        let mut diff = MaxDiff::for_model(name);
        let mut grouped = 0;
        for (((words, entities), entry), text) in
            words.iter().zip(&entities).zip(entries(&e)).zip(&texts)
        {
            let hf_words: Vec<Value> = entry["first_words"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|w| w["entity"] != "O")
                .cloned()
                .collect();
            compare_entities(
                &format!("{name} predict"),
                text,
                words,
                &hf_words,
                &mut diff,
            );
            let hf_entities = entry["first"].as_array().unwrap();
            compare_entities(
                &format!("{name} full"),
                text,
                entities,
                hf_entities,
                &mut diff,
            );
            grouped += entities
                .iter()
                .filter(|x| {
                    let inside = |w: &&Entity| {
                        w.offset.begin >= x.offset.begin && w.offset.end <= x.offset.end
                    };
                    words.iter().filter(inside).count() > 1
                })
                .count();
        }
        assert!(grouped > 0, "{name}: no entity of several words");
        println!(
            "{name}: NER words and entities (HF first, {grouped} of several words), \
             max |score diff| {:.2e}",
            diff.0
        );
    }
}

#[test]
fn group_entities_on_sub_tokens_is_hf_simple() {
    for name in NER_MODELS {
        let e = expected(name, "expected.json");
        let texts = texts(&e);
        let tokens = model(name, LabelAggregationOption::First).predict(&texts, false, false);
        let mut diff = MaxDiff::for_model(name);
        for ((tokens, entry), text) in tokens.iter().zip(entries(&e)).zip(&texts) {
            let entities = group_entities(text, tokens);
            compare_entities(
                &format!("{name} simple"),
                text,
                &entities,
                entry["simple"].as_array().unwrap(),
                &mut diff,
            );
        }
        println!("{name}: HF simple, max |score diff| {:.2e}", diff.0);
    }
}

#[test]
fn hf_tokenizer_file_gives_the_same_tokens() {
    let folder = dir("bert_ner");
    let tokenizer = TokenizerOption::from_hf_tokenizer_file(
        folder.join("tokenizer.json"),
        folder.join("special_tokens_map.json"),
    )
    .unwrap();
    let model = TokenClassificationModel::new_with_tokenizer(
        config("bert_ner", LabelAggregationOption::First),
        tokenizer,
    )
    .unwrap();
    let e = expected("bert_ner", "expected.json");
    let texts = texts(&e);
    let mut diff = MaxDiff::default();
    let tokens = model.predict(&texts, false, false);
    let words = model.predict(&texts, true, false);
    for (((tokens, words), entry), text) in tokens.iter().zip(&words).zip(entries(&e)).zip(&texts) {
        compare(
            "tokenizer.json",
            text,
            tokens,
            entry["none"].as_array().unwrap(),
            "entity",
            &mut diff,
        );
        compare(
            "tokenizer.json words",
            text,
            words,
            entry["first_words"].as_array().unwrap(),
            "entity",
            &mut diff,
        );
    }
    println!(
        "bert_ner with tokenizer.json: max |score diff| {:.2e}",
        diff.0
    );
}

#[test]
fn pos_tags_match_hf_first_words_with_the_punctuation_rule() {
    let pos = POSModel::new(POSConfig::from(config(
        "bert_pos",
        LabelAggregationOption::First,
    )))
    .unwrap();
    pos_parity("bert_pos", &pos);
}

#[test]
fn mobilebert_pos_tags_match_hf() {
    let pos = POSModel::new(POSConfig::from(config(
        "mobilebert_pos",
        LabelAggregationOption::First,
    )))
    .unwrap();
    pos_parity("mobilebert_pos", &pos);
}

/// rust-bert's default POS configuration (MobileBERT, uncased, accents stripped, `First`
/// words) builds its model: here from the fixture's files in place of the hub's (no download
/// in tests), every other setting the default's.
#[cfg(feature = "remote")]
#[test]
fn the_default_pos_configuration_builds_its_mobilebert() {
    let default = TokenClassificationConfig::from(POSConfig::default());
    assert_eq!(default.model_type, ModelType::MobileBert);
    rust_bert::pipelines::token_classification::TokenClassificationOption::check_model_type(
        default.model_type,
    )
    .unwrap();
    let local = config("mobilebert_pos", LabelAggregationOption::First);
    let config = TokenClassificationConfig {
        model_resource: local.model_resource,
        config_resource: local.config_resource,
        vocab_resource: local.vocab_resource,
        device: Device::Cpu,
        ..default
    };
    let pos = POSModel::new(POSConfig::from(config)).unwrap();
    pos_parity("mobilebert_pos", &pos);
}

fn pos_parity(name: &str, pos: &POSModel) {
    let e = expected(name, "expected.json");
    let texts = texts(&e);
    let output = pos.predict(&texts);
    let mut diff = MaxDiff::for_model(name);
    let mut punctuation = 0;
    for ((tags, entry), text) in output.iter().zip(entries(&e)).zip(&texts) {
        let hf = entry["pos_words"].as_array().unwrap();
        assert_eq!(tags.len(), hf.len(), "{text:?}");
        for (tag, w) in tags.iter().zip(hf) {
            let at = format!("{text:?} word {:?}", tag.word);
            assert_eq!(tag.label, w["entity"].as_str().unwrap(), "{at}");
            diff.check(tag.score, w["score"].as_f64().unwrap(), &at);
            let (b, en) = (w["start"].as_u64().unwrap(), w["end"].as_u64().unwrap());
            assert_eq!(tag.word, span(text, b, en), "{at}");
            punctuation += usize::from(tag.label == "." && tag.score == 1.0);
        }
    }
    // The rule must be exercised somewhere (the BERT fixture's model is unsure of some
    // punctuation; MobileBERT's happens to be sure of all of it).
    assert!(
        punctuation > 0 || name != "bert_pos",
        "the punctuation rule never applied"
    );
    println!(
        "{name}: max |score diff| {:.2e}, {punctuation} punctuation words",
        diff.0
    );
}

#[test]
fn long_text_windows_keep_their_offsets_across_batches() {
    let e = expected("bert_ner", "long.json");
    let text = e["text"].as_str().unwrap().to_string();
    let positions = e["positions"].as_array().unwrap();
    assert!(e["windows"].as_u64().unwrap() > 4);
    for batch_size in [1, 3, 64] {
        let mut config = config("bert_ner", LabelAggregationOption::First);
        config.batch_size = batch_size;
        let model = TokenClassificationModel::new(config).unwrap();
        // The long text among short ones: its windows land in several batches.
        let inputs = ["Paris", text.as_str(), "John Smith"];
        let output = model.predict(&inputs, false, true);
        let tokens = &output[1];
        assert_eq!(tokens.len(), positions.len());
        let mut diff = MaxDiff::default();
        for (token, p) in tokens.iter().zip(positions) {
            let at = format!("batch {batch_size} position {}", p["index"]);
            assert_eq!(u64::from(token.index), p["index"].as_u64().unwrap(), "{at}");
            assert_eq!(token.label, p["label"].as_str().unwrap(), "{at}");
            diff.check(token.score, p["score"].as_f64().unwrap(), &at);
            assert_eq!(token.sentence, 1);
            if p["special"].as_bool().unwrap() {
                assert_eq!(token.offset, None, "{at}");
            } else {
                assert_eq!(token.offset, Some(offset_of(p)), "{at}");
                let (b, en) = (p["start"].as_u64().unwrap(), p["end"].as_u64().unwrap());
                assert_eq!(token.text, span(&text, b, en), "{at}");
            }
        }
        assert_eq!(output[0].len(), 3);
        assert!(output[0][1].offset.is_some_and(|o| o.end == 5));
        println!(
            "long text ({} windows), batch size {batch_size}: max |score diff| {:.2e}",
            e["windows"], diff.0
        );
    }
}

#[test]
fn text_of_100k_characters_keeps_increasing_offsets() {
    let e = expected("bert_ner", "long.json");
    let base = e["text"].as_str().unwrap();
    let mut text = String::new();
    while text.chars().count() < 100_000 {
        text.push_str(base);
        text.push(' ');
    }
    let model = model("bert_ner", LabelAggregationOption::First);
    let output = model.predict(&[text.as_str()], false, false);
    let tokens = &output[0];
    // The tokenizer on the whole text, independently of the windows.
    let reference = model.get_tokenizer().tokenize_with_offsets(&text);
    assert_eq!(tokens.len(), reference.offsets.len());
    let chars: Vec<char> = text.chars().collect();
    let mut previous_end = 0;
    for (i, (token, offset)) in tokens.iter().zip(&reference.offsets).enumerate() {
        let offset = offset.unwrap();
        assert_eq!(token.offset, Some(offset), "token {i}");
        assert!(
            offset.begin >= previous_end && offset.end > offset.begin,
            "token {i}"
        );
        previous_end = offset.end;
        let slice: String = chars[offset.begin as usize..offset.end as usize]
            .iter()
            .collect();
        assert_eq!(token.text, slice, "token {i}");
    }
    assert!(
        previous_end as usize > 99_000,
        "offsets stop at {previous_end}"
    );
    // The text repeats `base`: its first and last full copies start the same way.
    let words = model.predict(&[text.as_str()], true, false);
    let last = words[0].last().unwrap();
    assert!(last.offset.unwrap().end as usize <= chars.len());
    println!(
        "100k characters: {} tokens, {} words",
        tokens.len(),
        words[0].len()
    );
}

#[test]
fn a_batch_gives_the_same_results_as_its_texts_one_by_one() {
    let e = expected("bert_ner", "expected.json");
    let mut inputs = texts(&e);
    inputs.push(
        expected("bert_ner", "long.json")["text"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    for name in NER_MODELS {
        let mut config = config(name, LabelAggregationOption::First);
        config.batch_size = 4;
        let model = TokenClassificationModel::new(config).unwrap();
        let together = model.predict(&inputs, true, true);
        let mut max = 0f64;
        for (i, text) in inputs.iter().enumerate() {
            let alone = model.predict(&[text.as_str()], true, true);
            assert_eq!(alone[0].len(), together[i].len(), "{name} {text:?}");
            for (a, b) in alone[0].iter().zip(&together[i]) {
                assert_eq!(a.label, b.label, "{name} {text:?}");
                assert_eq!(a.offset, b.offset, "{name} {text:?}");
                assert_eq!(a.index, b.index, "{name} {text:?}");
                assert_eq!(b.sentence, i);
                max = max.max((a.score - b.score).abs());
            }
        }
        assert!(max < 1e-5, "{name}: batch vs alone {max:e}");
        println!("{name}: batch vs one by one, max |score diff| {max:.2e}");
    }
}

#[test]
fn bad_inputs_never_panic() {
    let long_word = "a".repeat(5000);
    let inputs = [
        "",
        "   ",
        "\t\n\r",
        "\u{0}\u{1}abc\u{7f}\u{200b}",
        "Привет мир 你好 مرحبا שלום 🦀🎉👩‍👩‍👧",
        long_word.as_str(),
        "[CLS] [SEP] [PAD] [UNK]",
        "é\u{301}\u{301}\u{301}",
    ];
    for name in NER_MODELS {
        let model = model(name, LabelAggregationOption::Mode);
        let empty: [&str; 0] = [];
        assert!(model.predict(&empty, true, true).is_empty());
        for consolidate in [false, true] {
            for special in [false, true] {
                let output = model.predict(&inputs, consolidate, special);
                assert_eq!(output.len(), inputs.len());
                if !special {
                    assert!(output[0].is_empty() && output[1].is_empty() && output[2].is_empty());
                } else {
                    assert!(output[0].iter().all(|t| t.mask == Mask::Special));
                }
                for (tokens, text) in output.iter().zip(&inputs) {
                    let n = text.chars().count() as u32;
                    assert!(tokens.iter().all(|t| t.offset.is_none_or(|o| o.end <= n)));
                }
            }
        }
        let words = model.predict(&[long_word.as_str()], true, false);
        // SentencePiece starts the word with a lone `▁` that HF counts as a word of its own.
        if !matches!(name, "roberta_ner" | "xlnet_ner" | "fnet_ner") {
            // One WordPiece word across many windows, merged back into one.
            assert_eq!(words[0].len(), 1, "{name}");
            assert_eq!(words[0][0].offset, Some(Offset::new(0, 5000)));
        }
        let ner = NERModel::new(config(name, LabelAggregationOption::Last)).unwrap();
        assert!(ner.predict(&empty).is_empty());
        assert_eq!(ner.predict_full_entities(&inputs).len(), inputs.len());
    }
}

#[test]
fn missing_or_gapped_labels_are_errors_at_construction() {
    let error = TokenClassificationModel::new(config_with(
        "bert_ner",
        "config_no_labels.json",
        LabelAggregationOption::First,
    ))
    .err()
    .expect("a configuration without id2label must be refused");
    assert!(matches!(error, RustBertError::InvalidConfigurationError(_)));
    let message = error.to_string();
    assert!(
        message.contains("id2label") && message.contains("config_no_labels.json"),
        "{message}"
    );

    let error = NERModel::new(config_with(
        "bert_ner",
        "config_label_gap.json",
        LabelAggregationOption::First,
    ))
    .err()
    .expect("labels 0, 1, 3 must be refused");
    assert!(error.to_string().contains("no label 2"), "{error}");
}

#[test]
fn unsupported_models_are_refused_before_any_download() {
    // (MobileBERT, rust-bert's POS default, is implemented: tests/mobilebert.rs builds the
    // default POS configuration on a local fixture.)
    let mut reformer = config("bert_ner", LabelAggregationOption::First);
    reformer.model_type = ModelType::Reformer;
    let error = TokenClassificationModel::new(reformer).err().unwrap();
    assert!(
        matches!(error, RustBertError::UnsupportedError(_)),
        "{error}"
    );

    let mut gpt2 = config("bert_ner", LabelAggregationOption::First);
    gpt2.model_type = ModelType::GPT2;
    assert!(NERModel::new(gpt2).is_err());

    // A BERT checkpoint declared as DistilBERT does not load.
    let mut distil = config("bert_ner", LabelAggregationOption::First);
    distil.model_type = ModelType::DistilBert;
    assert!(TokenClassificationModel::new(distil).is_err());

    let default = TokenClassificationConfig::default();
    assert_eq!(default.model_type, ModelType::Bert);
    assert!(!default.lower_case);
    assert!(matches!(
        default.label_aggregation_function,
        LabelAggregationOption::First
    ));
}

#[test]
fn pipelines_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<TokenClassificationModel>();
    assert_send::<NERModel>();
    assert_send::<POSModel>();
    assert_send::<TokenClassificationConfig>();
}
