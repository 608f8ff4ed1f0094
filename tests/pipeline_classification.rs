//! Sequence classification, sentiment and zero-shot classification pipelines against HF 5.24's
//! `text-classification` and `zero-shot-classification` pipelines on tiny random BERT,
//! DistilBERT, RoBERTa, XLNet, BART and ELECTRA classifiers (utils/fixtures_pipeline_classification.py).
use crate::util::{fixtures, PIPELINE_TOL as TOL};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::sentiment::{SentimentModel, SentimentPolarity};
use rust_bert::pipelines::sequence_classification::{
    Label, SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::pipelines::zero_shot_classification::{
    ZeroShotClassificationConfig, ZeroShotClassificationModel, ZeroShotTemplate,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use rust_tokenizers::tokenizer::TruncationStrategy;
use serde_json::Value;
use std::path::PathBuf;
use tch::Device;

const MODELS: [&str; 7] = [
    "bert",
    "distilbert",
    "roberta",
    "xlnet",
    "bart",
    "electra",
    "longformer",
];

fn dir() -> PathBuf {
    fixtures().join("pipeline_classification")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn long_text(e: &Value) -> String {
    let unit = e["long_text"]["unit"].as_str().unwrap();
    let chars = e["long_text"]["chars"].as_u64().unwrap() as usize;
    unit.repeat(chars / unit.len() + 1)
        .chars()
        .take(chars)
        .collect()
}

/// The texts of `key`, with "<LONG>" replaced by the 100k-character text.
fn texts(e: &Value, key: &str) -> Vec<String> {
    let long = long_text(e);
    e[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| match t.as_str().unwrap() {
            "<LONG>" => long.clone(),
            t => t.to_string(),
        })
        .collect()
}

fn strs(texts: &[String]) -> Vec<&str> {
    texts.iter().map(String::as_str).collect()
}

fn model_type(model: &str) -> ModelType {
    match model {
        "bert" => ModelType::Bert,
        "distilbert" => ModelType::DistilBert,
        "roberta" => ModelType::Roberta,
        "xlnet" => ModelType::XLNet,
        "bart" => ModelType::Bart,
        "electra" => ModelType::Electra,
        "longformer" => ModelType::Longformer,
        other => panic!("no model {other}"),
    }
}

/// `(model type, weights, config, vocab, merges, lower case)` of a fixture model.
type Parts = (
    ModelType,
    ModelResource,
    LocalResource,
    LocalResource,
    Option<LocalResource>,
    bool,
);

fn parts(model: &str, config: &str) -> Parts {
    let folder = dir().join(model);
    let weights = ModelResource::Torch(Box::new(LocalResource::from(
        folder.join("model.safetensors"),
    )));
    let config = LocalResource::from(folder.join(config));
    if model == "roberta" || model == "bart" || model == "longformer" {
        let bpe = dir().join("bpe");
        (
            model_type(model),
            weights,
            config,
            LocalResource::from(bpe.join("vocab.json")),
            Some(LocalResource::from(bpe.join("merges.txt"))),
            false,
        )
    } else if model == "xlnet" {
        let vocab = LocalResource::from(folder.join("spiece.model"));
        (ModelType::XLNet, weights, config, vocab, None, false)
    } else {
        let vocab = LocalResource::from(dir().join("vocab.txt"));
        (model_type(model), weights, config, vocab, None, true)
    }
}

/// The token budget of the HF references: the models' 64 positions; XLNet has no position
/// limit and the pipelines cut it at 512 tokens (zero-shot at the test's `max_length`, 128).
fn budget(model: &str, zero_shot: bool) -> usize {
    match (model, zero_shot) {
        ("xlnet", false) => 512,
        ("xlnet", true) => 128,
        _ => 64,
    }
}

pub(crate) fn seq_config(model: &str, config: &str) -> SequenceClassificationConfig {
    let (model_type, weights, config, vocab, merges, lower_case) = parts(model, config);
    let mut config = SequenceClassificationConfig::new(
        model_type, weights, config, vocab, merges, lower_case, None, None,
    );
    config.device = Device::Cpu;
    config
}

pub(crate) fn zs_config(model: &str, config: &str) -> ZeroShotClassificationConfig {
    let (model_type, weights, config, vocab, merges, lower_case) = parts(model, config);
    let mut config = ZeroShotClassificationConfig::new(
        model_type, weights, config, vocab, merges, lower_case, None, None,
    );
    config.device = Device::Cpu;
    config
}

fn ids_of(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

/// A known tokenizer difference (README, tests/tokenizers.rs): `rust_tokenizers`' byte-level
/// BPE drops a text made only of whitespace, which HF encodes as `Ġ` tokens. The model then
/// sees other inputs than HF's, so scores are not compared for such texts.
///
/// XLNet: `rust_tokenizers` drops NUL, where HF's SentencePiece encodes it as `<unk>`.
fn tokenizer_gap(model: &str, text: &str) -> bool {
    (matches!(model, "roberta" | "bart" | "longformer")
        && !text.is_empty()
        && text.trim().is_empty())
        || (model == "xlnet" && text.contains('\0'))
}

/// Asserts that the tokenizer gives HF's ids for every text (but the known gaps); the Rust
/// pipelines then see HF's inputs.
fn assert_same_ids(model: &str, texts: &[&str], ours: Vec<Vec<i64>>, hf: &Value) {
    let hf = hf.as_array().unwrap();
    assert_eq!(ours.len(), hf.len());
    for (i, (ours, hf)) in ours.iter().zip(hf).enumerate() {
        if !tokenizer_gap(model, texts[i]) {
            assert_eq!(ours, &ids_of(hf), "{model}: token ids of text {i}");
        }
    }
}

/// `(label, score)` pairs of an HF result list.
fn hf_pairs(list: &Value) -> Vec<(String, f64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["label"].as_str().unwrap().to_string(),
                d["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Compares a ranked label list with HF's: every label's score within `TOL`, and the same order
/// except between labels whose HF scores are within `TOL` (an order numerics may flip).
/// Returns the largest score difference.
fn compare_ranked(what: &str, ours: &[Label], hf: &[(String, f64)]) -> f64 {
    assert_eq!(ours.len(), hf.len(), "{what}: number of labels");
    let mut worst: f64 = 0.0;
    for (position, (label, (hf_label, hf_score))) in ours.iter().zip(hf).enumerate() {
        let expected = hf
            .iter()
            .find(|(name, _)| name == &label.text)
            .unwrap_or_else(|| panic!("{what}: label {} not in HF's result", label.text))
            .1;
        let diff = (label.score - expected).abs();
        worst = worst.max(diff);
        assert!(
            diff <= TOL,
            "{what}: {} score {} vs HF {expected}",
            label.text,
            label.score
        );
        if &label.text != hf_label {
            assert!(
                (expected - hf_score).abs() <= TOL,
                "{what}: position {position} is {} ({}), HF has {hf_label} ({hf_score})",
                label.text,
                label.score
            );
        }
    }
    worst
}

#[test]
fn sequence_classification_matches_hf_pipeline() {
    let e = expected();
    let texts = texts(&e, "texts");
    let input = strs(&texts);
    let mut worst: f64 = 0.0;
    for (model, config) in [
        ("bert", "config"),
        ("bert", "config_multilabel"),
        ("distilbert", "config"),
        ("roberta", "config"),
        ("xlnet", "config"),
        ("bart", "config"),
        ("electra", "config"),
        ("longformer", "config"),
    ] {
        let hf = &e["classification"][model][config];
        let pipeline =
            SequenceClassificationModel::new(seq_config(model, &format!("{config}.json"))).unwrap();
        let ids = pipeline
            .get_tokenizer()
            .encode_list(
                &input,
                budget(model, false),
                &TruncationStrategy::LongestFirst,
                0,
            )
            .into_iter()
            .map(|t| t.token_ids)
            .collect();
        assert_same_ids(model, &input, ids, &hf["input_ids"]);

        // Default: the top label (softmax, or sigmoid for the multi-label problem type).
        let labels = pipeline.try_predict(&input).unwrap();
        assert_eq!(labels, pipeline.predict(&input));
        let top = hf_pairs(&hf["default"]);
        assert_eq!(labels.len(), texts.len());
        for (i, (label, (hf_label, hf_score))) in labels.iter().zip(&top).enumerate() {
            if tokenizer_gap(model, input[i]) {
                continue;
            }
            let what = format!("{model}/{config} text {i}");
            assert_eq!(&label.text, hf_label, "{what}");
            assert_eq!(label.sentence, i, "{what}");
            // HF's full softmax ranking has the same winner.
            assert_eq!(&hf_pairs(&hf["all"][i])[0].0, hf_label, "{what}");
            let diff = (label.score - hf_score).abs();
            worst = worst.max(diff);
            assert!(
                diff <= TOL,
                "{what}: score {} vs HF {hf_score}",
                label.score
            );
        }

        // Multi-label: sigmoid scores of every label, by decreasing score.
        let every = pipeline.predict_multilabel(&input, 0.0).unwrap();
        let half = pipeline.predict_multilabel(&input, 0.5).unwrap();
        assert_eq!(every.len(), texts.len());
        for (i, (ours, kept)) in every.iter().zip(&half).enumerate() {
            let what = format!("{model}/{config} multilabel text {i}");
            if !tokenizer_gap(model, input[i]) {
                let hf_sigmoid = hf_pairs(&hf["sigmoid"][i]);
                worst = worst.max(compare_ranked(&what, ours, &hf_sigmoid));
            }
            assert!(ours.iter().all(|l| l.sentence == i));
            let expected: Vec<&Label> = ours.iter().filter(|l| l.score >= 0.5).collect();
            assert_eq!(
                kept.iter().collect::<Vec<_>>(),
                expected,
                "{what}: threshold 0.5"
            );
            let mut ids: Vec<i64> = ours.iter().map(|l| l.id).collect();
            ids.sort();
            assert_eq!(
                ids,
                (0..ours.len() as i64).collect::<Vec<_>>(),
                "{what}: ids"
            );
        }
    }
    println!("sequence classification: max |score - HF| = {worst:e}");
}

#[test]
fn a_batch_gives_the_scores_of_its_texts_one_by_one() {
    let e = expected();
    let texts = texts(&e, "texts");
    let input = strs(&texts);
    let mut worst: f64 = 0.0;
    for model in MODELS {
        let pipeline = SequenceClassificationModel::new(seq_config(model, "config.json")).unwrap();
        let batch = pipeline.predict_multilabel(&input, 0.0).unwrap();
        for (i, text) in input.iter().enumerate() {
            let alone = pipeline.predict_multilabel(&[*text], 0.0).unwrap();
            assert_eq!(alone.len(), 1);
            for (a, b) in alone[0].iter().zip(&batch[i]) {
                assert_eq!((a.id, &a.text), (b.id, &b.text), "{model} text {i}");
                worst = worst.max((a.score - b.score).abs());
            }
        }
    }
    println!("batch vs one by one: max |diff| = {worst:e}");
    assert!(worst <= 1e-5, "batch vs one by one: {worst:e}");
}

#[test]
fn sentiment_matches_hf_pipeline() {
    let e = expected();
    let texts = texts(&e, "texts");
    let input = strs(&texts);
    let hf = hf_pairs(&e["classification"]["distilbert"]["config"]["default"]);
    let model = SentimentModel::new(seq_config("distilbert", "config.json")).unwrap();
    let sentiments = model.predict(&input);
    assert_eq!(sentiments.len(), hf.len());
    let mut worst: f64 = 0.0;
    for (i, (sentiment, (label, score))) in sentiments.iter().zip(&hf).enumerate() {
        let polarity = match label.as_str() {
            "POSITIVE" => SentimentPolarity::Positive,
            "NEGATIVE" => SentimentPolarity::Negative,
            other => panic!("unexpected HF label {other}"),
        };
        assert_eq!(sentiment.polarity, polarity, "text {i}");
        worst = worst.max((sentiment.score - score).abs());
    }
    assert!(worst <= TOL, "sentiment: max |diff| = {worst:e}");
    // Both polarities occur, so a constant polarity cannot pass.
    assert!(sentiments
        .iter()
        .any(|s| s.polarity == SentimentPolarity::Positive));
    assert!(sentiments
        .iter()
        .any(|s| s.polarity == SentimentPolarity::Negative));
    assert!(model.predict([] as [&str; 0]).is_empty());
    println!("sentiment: max |score - HF| = {worst:e}");
}

fn template(e: &Value) -> ZeroShotTemplate {
    let template = e["zero_shot_template"].as_str().unwrap().to_string();
    Box::new(move |label: &str| template.replace("{}", label))
}

/// `(labels, scores)` of an HF zero-shot result, as `(label, score)` pairs.
fn hf_ranked(result: &Value) -> Vec<(String, f64)> {
    let labels = result["labels"].as_array().unwrap();
    let scores = result["scores"].as_array().unwrap();
    labels
        .iter()
        .zip(scores)
        .map(|(l, s)| (l.as_str().unwrap().to_string(), s.as_f64().unwrap()))
        .collect()
}

/// Checks single-label predictions against HF's ranked results: the top label (or one within
/// `TOL` of it) and its score.
fn compare_top(what: &str, ours: &[Label], hf: &Value, labels: &[&str], skip: &[bool]) -> f64 {
    let hf = hf.as_array().unwrap();
    assert_eq!(ours.len(), hf.len(), "{what}");
    let mut worst: f64 = 0.0;
    for (i, (label, result)) in ours.iter().zip(hf).enumerate() {
        let ranked = hf_ranked(result);
        assert_eq!(label.sentence, i);
        assert_eq!(
            labels[label.id as usize], label.text,
            "{what}: id of text {i}"
        );
        if skip[i] {
            continue;
        }
        let expected = ranked.iter().find(|(l, _)| l == &label.text).unwrap().1;
        let diff = (label.score - expected).abs();
        worst = worst.max(diff);
        assert!(
            diff <= TOL,
            "{what} text {i}: {} vs HF {expected}",
            label.score
        );
        assert!(
            label.text == ranked[0].0 || (ranked[0].1 - expected).abs() <= TOL,
            "{what} text {i}: {} instead of HF's {}",
            label.text,
            ranked[0].0
        );
    }
    worst
}

#[test]
fn zero_shot_matches_hf_pipeline() {
    let e = expected();
    let texts = texts(&e, "zero_shot_texts");
    let input = strs(&texts);
    let labels: Vec<&str> = e["zero_shot_labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let short = e["zero_shot_short_max_length"].as_u64().unwrap() as usize;
    let mut worst: f64 = 0.0;
    for model in MODELS {
        let hf = &e["zero_shot"][model];
        let pipeline =
            ZeroShotClassificationModel::new(zs_config(model, "config_nli.json")).unwrap();
        let hypothesis = format!("This example is {}.", labels[0]);
        let pairs: Vec<(&str, &str)> = input.iter().map(|t| (*t, hypothesis.as_str())).collect();
        let ids = pipeline
            .get_tokenizer()
            .encode_pair_list(
                &pairs,
                budget(model, true),
                &TruncationStrategy::OnlyFirst,
                0,
            )
            .into_iter()
            .map(|t| t.token_ids)
            .collect();
        assert_same_ids(model, &input, ids, &hf["input_ids"]);

        let skip: Vec<bool> = input.iter().map(|t| tokenizer_gap(model, t)).collect();
        let single = pipeline.predict(&input, &labels, None, 128).unwrap();
        let what = format!("{model} single");
        worst = worst.max(compare_top(&what, &single, &hf["single"], &labels, &skip));

        let templated = pipeline
            .predict(&input, &labels, Some(template(&e)), 128)
            .unwrap();
        let what = format!("{model} template");
        worst = worst.max(compare_top(
            &what,
            &templated,
            &hf["template"],
            &labels,
            &skip,
        ));

        let one = pipeline.predict(&input, &labels[..1], None, 128).unwrap();
        let what = format!("{model} one label");
        worst = worst.max(compare_top(&what, &one, &hf["one_label"], &labels, &skip));

        for (case, max_length) in [("multi", 128), ("short", short)] {
            let multi = pipeline
                .predict_multilabel(&input, &labels, None, max_length)
                .unwrap();
            let hf_multi = hf[case].as_array().unwrap();
            assert_eq!(multi.len(), hf_multi.len());
            for (i, (ours, result)) in multi.iter().zip(hf_multi).enumerate() {
                let what = format!("{model} {case} text {i}");
                if !skip[i] {
                    worst = worst.max(compare_ranked(&what, ours, &hf_ranked(result)));
                }
                for label in ours {
                    assert_eq!(label.sentence, i);
                    assert_eq!(labels[label.id as usize], label.text);
                }
            }
        }
    }
    println!("zero-shot: max |score - HF| = {worst:e}");
}

#[test]
fn bad_inputs_never_panic() {
    let e = expected();
    let long = long_text(&e);
    let odd = [
        "",
        " ",
        "\t\n\r",
        "\u{0}\u{1}\u{7f}\u{200b}\u{feff}",
        "Ἀθῆναι שלום مرحبا 東京 🙂‍↔️ Ꙩ",
        long.as_str(),
    ];
    for model in MODELS {
        let classifier =
            SequenceClassificationModel::new(seq_config(model, "config.json")).unwrap();
        assert!(classifier.predict([] as [&str; 0]).is_empty());
        assert!(classifier.predict_multilabel(&[], 0.5).unwrap().is_empty());
        let labels = classifier.try_predict(odd).unwrap();
        assert_eq!(labels.len(), odd.len(), "{model}");
        assert!(labels.iter().all(|l| l.score.is_finite() && l.score > 0.0));

        let zero_shot =
            ZeroShotClassificationModel::new(zs_config(model, "config_nli.json")).unwrap();
        let candidates = ["sports", "", "東京 🙂", "politics"];
        assert!(zero_shot
            .predict([] as [&str; 0], candidates, None, 64)
            .unwrap()
            .is_empty());
        assert!(zero_shot
            .predict_multilabel([] as [&str; 0], [] as [&str; 0], None, 64)
            .unwrap()
            .is_empty());
        let best = zero_shot.predict(odd, candidates, None, 64).unwrap();
        assert_eq!(best.len(), odd.len());
        let every = zero_shot
            .predict_multilabel(odd, candidates, None, 64)
            .unwrap();
        assert!(every.iter().all(|labels| labels.len() == candidates.len()));
        // A budget smaller than the hypothesis, even zero: both sides are cut, nothing panics.
        for max_length in [0, 1, 5] {
            let best = zero_shot
                .predict(odd, candidates, None, max_length)
                .unwrap();
            assert_eq!(best.len(), odd.len());
        }
        assert!(matches!(
            zero_shot.predict(["text"], [] as [&str; 0], None, 64),
            Err(RustBertError::ValueError(_))
        ));
    }
}

#[test]
fn missing_id2label_is_an_error_at_construction() {
    let seq = SequenceClassificationModel::new(seq_config("bert", "config_no_labels.json"));
    match seq {
        Err(RustBertError::InvalidConfigurationError(message)) => {
            assert!(message.contains("id2label"), "{message}")
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a configuration without id2label was accepted"),
    }
    assert!(matches!(
        ZeroShotClassificationModel::new(zs_config("bert", "config_no_labels.json")),
        Err(RustBertError::InvalidConfigurationError(_))
    ));
    assert!(matches!(
        SentimentModel::new(seq_config("bert", "config_no_labels.json")),
        Err(RustBertError::InvalidConfigurationError(_))
    ));
}

#[cfg(feature = "remote")]
#[test]
fn the_zero_shot_default_is_bart_mnli() {
    // rust-bert's default; building it downloads BART-large-MNLI, so only the choice is checked.
    let config = ZeroShotClassificationConfig::default();
    assert_eq!(config.model_type, ModelType::Bart);
}

#[test]
fn unsupported_or_mismatched_models_are_errors() {
    let mut gpt2 = seq_config("bert", "config.json");
    gpt2.model_type = ModelType::GPT2;
    assert!(matches!(
        SequenceClassificationModel::new(gpt2),
        Err(RustBertError::UnsupportedError(_))
    ));
    // A DistilBERT checkpoint declared as BERT: an error naming the problem, not a panic.
    let (_, weights, config, vocab, _, _) = parts("distilbert", "config.json");
    let mut mismatched = SequenceClassificationConfig::new(
        ModelType::Bert,
        weights,
        config,
        vocab,
        None,
        true,
        None,
        None,
    );
    mismatched.device = Device::Cpu;
    assert!(SequenceClassificationModel::new(mismatched).is_err());
    // Weights of another model: missing tensors are an error.
    let (model_type, _, config, vocab, _, _) = parts("bert", "config.json");
    let other_weights = ModelResource::Torch(Box::new(LocalResource::from(
        dir().join("distilbert/model.safetensors"),
    )));
    let mut wrong = SequenceClassificationConfig::new(
        model_type,
        other_weights,
        config,
        vocab,
        None,
        true,
        None,
        None,
    );
    wrong.device = Device::Cpu;
    assert!(SequenceClassificationModel::new(wrong).is_err());
}

#[test]
fn pipelines_take_a_tokenizer_of_their_own() {
    let vocab = dir().join("vocab.txt");
    let tokenizer = || {
        TokenizerOption::from_file(
            ModelType::Bert,
            vocab.to_str().unwrap(),
            None,
            true,
            None,
            None,
        )
        .unwrap()
    };
    let e = expected();
    let hf = hf_pairs(&e["classification"]["bert"]["config"]["default"]);
    let model = SequenceClassificationModel::new_with_tokenizer(
        seq_config("bert", "config.json"),
        tokenizer(),
    )
    .unwrap();
    let first = model.predict([texts(&e, "texts")[0].as_str()]);
    assert_eq!(first[0].text, hf[0].0);
    assert!((first[0].score - hf[0].1).abs() <= TOL);
    assert!(SentimentModel::new_with_tokenizer(
        seq_config("distilbert", "config.json"),
        tokenizer()
    )
    .is_ok());
    assert!(ZeroShotClassificationModel::new_with_tokenizer(
        zs_config("bert", "config_nli.json"),
        tokenizer()
    )
    .is_ok());
}

#[test]
fn pipelines_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<SequenceClassificationModel>();
    assert_send::<SentimentModel>();
    assert_send::<ZeroShotClassificationModel>();
}
