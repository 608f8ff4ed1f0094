//! MPNet in the pipelines against HF 5.24's pipelines on tiny random MPNet heads
//! (tests/fixtures/mpnet/pipelines, written by `utils/fixtures_mpnet.py pipelines`):
//! text classification, zero-shot classification, token classification and fill-mask, through
//! the MPNet tokenizer. HF 5.24 has no question-answering pipeline: the QA pipeline is run on
//! the tiny MPNet QA head as a smoke test (its head is checked against HF in tests/mpnet.rs).
use crate::util::fixtures;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::masked_language::{MaskedLanguageConfig, MaskedLanguageModel};
use rust_bert::pipelines::question_answering::{
    QaInput, QuestionAnsweringConfig, QuestionAnsweringModel,
};
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig, TokenClassificationModel,
};
use rust_bert::pipelines::zero_shot_classification::{
    ZeroShotClassificationConfig, ZeroShotClassificationModel,
};
use rust_bert::resources::LocalResource;
use serde_json::Value;
use std::path::PathBuf;
use tch::Device;

const TOL: f64 = 1e-4;

fn dir() -> PathBuf {
    fixtures().join("mpnet/pipelines")
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// `(weights, config, vocab)` of a head's folder.
fn files(name: &str) -> (ModelResource, LocalResource, LocalResource) {
    let folder = dir().join(name);
    (
        ModelResource::Torch(Box::new(LocalResource::from(
            folder.join("model.safetensors"),
        ))),
        LocalResource::from(folder.join("config.json")),
        LocalResource::from(dir().join("vocab.txt")),
    )
}

#[track_caller]
fn close(ours: f64, hf: &Value, what: &str) {
    let hf = hf.as_f64().unwrap();
    eprintln!("mpnet pipeline {what}: |diff| {:.2e}", (ours - hf).abs());
    assert!((ours - hf).abs() <= TOL, "{what}: {ours} vs HF {hf}");
}

#[test]
fn text_classification_matches_hf() {
    let e = expected();
    let texts = strings(&e["texts"]);
    let input: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (weights, config, vocab) = files("classifier");
    let mut config = SequenceClassificationConfig::new(
        ModelType::MPNet,
        weights,
        config,
        vocab,
        None,
        true,
        None,
        None,
    );
    config.device = Device::Cpu;
    let model = SequenceClassificationModel::new(config).unwrap();
    let labels = model.try_predict(&input).unwrap();
    assert_eq!(labels.len(), texts.len());
    for (i, (ours, hf)) in labels
        .iter()
        .zip(e["classification"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(ours.text, hf[0]["label"].as_str().unwrap(), "text {i}");
        close(ours.score, &hf[0]["score"], &format!("text {i}"));
    }
}

#[test]
fn zero_shot_classification_matches_hf() {
    let e = expected();
    let texts = strings(&e["texts"]);
    let input: Vec<&str> = texts.iter().map(String::as_str).collect();
    let labels = strings(&e["zero_shot_labels"]);
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (weights, config, vocab) = files("classifier");
    let mut config = ZeroShotClassificationConfig::new(
        ModelType::MPNet,
        weights,
        config,
        vocab,
        None,
        true,
        None,
        None,
    );
    config.device = Device::Cpu;
    let model = ZeroShotClassificationModel::new(config).unwrap();
    let single = model.predict(&input, &labels, None, 128).unwrap();
    for (i, (ours, hf)) in single
        .iter()
        .zip(e["zero_shot"]["single"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(ours.text, hf["labels"][0].as_str().unwrap(), "text {i}");
        close(ours.score, &hf["scores"][0], &format!("single {i}"));
    }
    let multi = model
        .predict_multilabel(&input, &labels, None, 128)
        .unwrap();
    for (i, (ours, hf)) in multi
        .iter()
        .zip(e["zero_shot"]["multi"].as_array().unwrap())
        .enumerate()
    {
        for (label, hf_score) in strings(&hf["labels"])
            .iter()
            .zip(hf["scores"].as_array().unwrap())
        {
            let score = ours.iter().find(|l| &l.text == label).unwrap().score;
            close(score, hf_score, &format!("multi {i} {label}"));
        }
    }
}

#[test]
fn token_classification_matches_hf() {
    let e = expected();
    let texts = strings(&e["texts"]);
    let (weights, config, vocab) = files("ner");
    let mut config = TokenClassificationConfig::new(
        ModelType::MPNet,
        weights,
        config,
        vocab,
        None,
        true,
        None,
        None,
        LabelAggregationOption::First,
    );
    config.device = Device::Cpu;
    let model = TokenClassificationModel::new(config).unwrap();
    let tokens = model.predict(&texts, false, false);
    let mut compared = 0;
    for (i, (ours, hf)) in tokens.iter().zip(e["ner"].as_array().unwrap()).enumerate() {
        let ours: Vec<_> = ours.iter().filter(|t| t.label != "O").collect();
        let hf = hf.as_array().unwrap();
        assert_eq!(ours.len(), hf.len(), "text {i}");
        for (token, entity) in ours.iter().zip(hf) {
            assert_eq!(token.label, entity["entity"].as_str().unwrap(), "text {i}");
            assert_eq!(i64::from(token.index), entity["index"].as_i64().unwrap());
            let offset = token.offset.unwrap();
            assert_eq!(i64::from(offset.begin), entity["start"].as_i64().unwrap());
            assert_eq!(i64::from(offset.end), entity["end"].as_i64().unwrap());
            close(
                token.score,
                &entity["score"],
                &format!("text {i} {}", token.text),
            );
            compared += 1;
        }
    }
    assert!(compared > 0);
}

#[test]
fn fill_mask_matches_hf() {
    let e = expected();
    let texts = strings(&e["mask_texts"]);
    let input: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (weights, config, vocab) = files("mlm");
    let mut config = MaskedLanguageConfig::new(
        ModelType::MPNet,
        weights,
        config,
        vocab,
        None,
        true,
        None,
        None,
        None,
    );
    config.device = Device::Cpu;
    let model = MaskedLanguageModel::new(config).unwrap();
    let output = model.predict_top_k(&input, 5).unwrap();
    for (i, (ours, hf)) in output
        .iter()
        .zip(e["fill_mask"].as_array().unwrap())
        .enumerate()
    {
        // HF returns a flat list for one mask, one list per mask otherwise.
        let hf_masks: Vec<&Value> = if hf[0].is_array() {
            hf.as_array().unwrap().iter().collect()
        } else {
            vec![hf]
        };
        assert_eq!(ours.len(), hf_masks.len(), "text {i}");
        for (mask, hf_mask) in ours.iter().zip(hf_masks) {
            for (token, hf_token) in mask.iter().zip(hf_mask.as_array().unwrap()) {
                assert_eq!(token.id, hf_token["token"].as_i64().unwrap(), "text {i}");
                assert_eq!(token.text, hf_token["token_str"].as_str().unwrap());
                close(token.score, &hf_token["score"], &format!("text {i}"));
            }
        }
    }
}

#[test]
fn question_answering_runs_on_mpnet() {
    let e = expected();
    let (weights, config, vocab) = files("qa");
    let mut config = QuestionAnsweringConfig::new(
        ModelType::MPNet,
        weights,
        config,
        vocab,
        None,
        true,
        None,
        None,
    );
    config.device = Device::Cpu;
    // The tiny model has 64 positions: windows of 48 tokens, questions of at most 16.
    config.max_seq_length = 48;
    config.doc_stride = 8;
    config.max_query_length = 16;
    let model = QuestionAnsweringModel::new(config).unwrap();
    let inputs: Vec<QaInput> = e["qa_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| QaInput {
            question: c["question"].as_str().unwrap().to_string(),
            context: c["context"].as_str().unwrap().to_string(),
        })
        .collect();
    let answers = model.try_predict(&inputs, 2, 8).unwrap();
    for (input, answers) in inputs.iter().zip(&answers) {
        assert_eq!(answers.len(), 2);
        for answer in answers {
            // Spans of the context, never of the question.
            let span: String = input
                .context
                .chars()
                .skip(answer.start)
                .take(answer.end - answer.start)
                .collect();
            assert_eq!(span, answer.answer);
            assert!(answer.score > 0.0 && answer.score <= 1.0);
        }
    }
}
