//! The pipelines on tiny DeBERTa-v3 and DeBERTa models against HF 5.24's `text-classification`,
//! `zero-shot-classification`, `token-classification` and `fill-mask` pipelines, and HF 4.x's
//! question-answering algorithm (utils/fixtures_pipeline_deberta.py,
//! tests/fixtures/pipeline_deberta). Texts longer than the models' 64 positions are truncated,
//! empty input lists give empty outputs.
use crate::util::{fixtures, TOL};
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

fn dir() -> PathBuf {
    fixtures().join("pipeline_deberta")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn local(path: PathBuf) -> LocalResource {
    LocalResource::from(path)
}

/// `(model type, weights, config, vocab, merges)` of `v3/<name>` or `v1/<name>`.
fn parts(
    version: &str,
    name: &str,
) -> (
    ModelType,
    ModelResource,
    LocalResource,
    LocalResource,
    Option<LocalResource>,
) {
    let folder = dir().join(version).join(name);
    let weights = ModelResource::Torch(Box::new(local(folder.join("model.safetensors"))));
    let config = local(folder.join("config.json"));
    match version {
        "v3" => (
            ModelType::DebertaV2,
            weights,
            config,
            local(fixtures().join("tokenizers/spm/deberta_v2.model")),
            None,
        ),
        _ => (
            ModelType::Deberta,
            weights,
            config,
            local(dir().join("bpe_vocab.json")),
            Some(local(
                fixtures().join("pipeline_classification/bpe/merges.txt"),
            )),
        ),
    }
}

#[track_caller]
fn close(actual: f64, expected: &Value, what: &str) -> f64 {
    let expected = expected.as_f64().unwrap();
    let diff = (actual - expected).abs();
    assert!(diff <= TOL, "{what}: {actual} vs HF {expected}");
    diff
}

fn texts_key(version: &str, key: &str) -> String {
    if version == "v1" {
        format!("v1_{key}")
    } else {
        key.to_string()
    }
}

#[test]
fn sequence_classification_matches_hf_pipeline() {
    let e = expected();
    let mut worst: f64 = 0.0;
    for version in ["v3", "v1"] {
        let (model_type, weights, config, vocab, merges) = parts(version, "nli");
        let mut config = SequenceClassificationConfig::new(
            model_type, weights, config, vocab, merges, false, None, None,
        );
        config.device = Device::Cpu;
        let model = SequenceClassificationModel::new(config).unwrap();
        let texts = strings(&e[texts_key(version, "texts")]);
        let input: Vec<&str> = texts.iter().map(String::as_str).collect();
        let labels = model.predict(&input);
        assert_eq!(labels.len(), texts.len());
        for (i, (label, hf)) in labels
            .iter()
            .zip(e[version]["classification"].as_array().unwrap())
            .enumerate()
        {
            assert_eq!(
                label.text,
                hf[0]["label"].as_str().unwrap(),
                "{version} text {i}"
            );
            worst = worst.max(close(
                label.score,
                &hf[0]["score"],
                &format!("{version} {i}"),
            ));
        }
        assert!(model.predict(Vec::<&str>::new()).is_empty());
    }
    eprintln!("deberta classification: max |score diff| {worst:.1e}");
}

#[test]
fn zero_shot_matches_hf_pipeline() {
    let e = expected();
    let labels = strings(&e["zero_shot_labels"]);
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let mut worst: f64 = 0.0;
    for version in ["v3", "v1"] {
        let (model_type, weights, config, vocab, merges) = parts(version, "nli");
        let mut config = ZeroShotClassificationConfig::new(
            model_type, weights, config, vocab, merges, false, None, None,
        );
        config.device = Device::Cpu;
        let model = ZeroShotClassificationModel::new(config).unwrap();
        let texts = strings(&e[texts_key(version, "zero_shot_texts")]);
        let input: Vec<&str> = texts.iter().map(String::as_str).collect();
        let single = model.predict(&input, &labels, None, 64).unwrap();
        for (i, (ours, hf)) in single
            .iter()
            .zip(e[version]["zero_shot"].as_array().unwrap())
            .enumerate()
        {
            assert_eq!(
                ours.text,
                hf["labels"][0].as_str().unwrap(),
                "{version} {i}"
            );
            worst = worst.max(close(
                ours.score,
                &hf["scores"][0],
                &format!("{version} zs {i}"),
            ));
        }
        let multi = model.predict_multilabel(&input, &labels, None, 64).unwrap();
        for (i, (ours, hf)) in multi
            .iter()
            .zip(e[version]["zero_shot_multi"].as_array().unwrap())
            .enumerate()
        {
            for label in ours {
                let k = strings(&hf["labels"])
                    .iter()
                    .position(|l| *l == label.text)
                    .unwrap();
                worst = worst.max(close(
                    label.score,
                    &hf["scores"][k],
                    &format!("{version} multi {i}"),
                ));
            }
        }
        assert!(model
            .predict(Vec::<&str>::new(), &labels, None, 64)
            .unwrap()
            .is_empty());
    }
    eprintln!("deberta zero-shot: max |score diff| {worst:.1e}");
}

#[test]
fn token_classification_matches_hf_pipeline() {
    let e = expected();
    let (model_type, weights, config, vocab, merges) = parts("v3", "ner");
    let mut config = TokenClassificationConfig::new(
        model_type,
        weights,
        config,
        vocab,
        merges,
        false,
        None,
        None,
        LabelAggregationOption::First,
    );
    config.device = Device::Cpu;
    let model = TokenClassificationModel::new(config).unwrap();
    let texts = strings(&e["ner_texts"]);
    let input: Vec<&str> = texts.iter().map(String::as_str).collect();
    let output = model.predict(&input, false, false);
    let mut worst: f64 = 0.0;
    for (i, (ours, hf)) in output
        .iter()
        .zip(e["v3"]["ner"].as_array().unwrap())
        .enumerate()
    {
        let hf = hf.as_array().unwrap();
        assert_eq!(ours.len(), hf.len(), "text {i}");
        for (token, hf) in ours.iter().zip(hf) {
            assert_eq!(token.label, hf["entity"].as_str().unwrap(), "text {i}");
            worst = worst.max(close(token.score, &hf["score"], &format!("ner {i}")));
            let offset = token.offset.unwrap();
            assert_eq!(
                (offset.begin as u64, offset.end as u64),
                (hf["start"].as_u64().unwrap(), hf["end"].as_u64().unwrap()),
                "text {i}: offsets of {:?}",
                token.text
            );
        }
    }
    assert!(model.predict(&Vec::<&str>::new(), true, false).is_empty());
    eprintln!("deberta NER: max |score diff| {worst:.1e}");
}

#[test]
fn question_answering_matches_hf() {
    let e = expected();
    let settings = &e["v3"]["qa_settings"];
    let get = |k: &str| settings[k].as_u64().unwrap() as usize;
    let (model_type, weights, config, vocab, merges) = parts("v3", "qa");
    let mut config = QuestionAnsweringConfig::custom_new(
        model_type,
        weights,
        config,
        vocab,
        merges,
        false,
        None,
        None,
        get("max_seq_length"),
        get("doc_stride"),
        get("max_query_length"),
        get("max_answer_length"),
    );
    config.device = Device::Cpu;
    let model = QuestionAnsweringModel::new(config).unwrap();
    let inputs: Vec<QaInput> = e["qa"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| QaInput {
            question: q["question"].as_str().unwrap().to_string(),
            context: q["context"].as_str().unwrap().to_string(),
        })
        .collect();
    let answers = model.predict(&inputs, 1, 8);
    for (i, (ours, hf)) in answers
        .iter()
        .zip(e["v3"]["qa"].as_array().unwrap())
        .enumerate()
    {
        let ours = &ours[0];
        assert_eq!(ours.answer, hf["answer"].as_str().unwrap(), "qa {i}");
        assert_eq!(ours.start as u64, hf["start"].as_u64().unwrap(), "qa {i}");
        assert_eq!(ours.end as u64, hf["end"].as_u64().unwrap(), "qa {i}");
        let diff = close(ours.score, &hf["score"], &format!("qa {i}"));
        eprintln!("deberta QA {i}: |score diff| {diff:.1e}");
    }
    assert!(model.predict(&[], 1, 8).is_empty());
}

#[test]
fn fill_mask_matches_hf_pipeline() {
    let e = expected();
    for version in ["v3", "v1"] {
        let (model_type, weights, config, vocab, merges) = parts(version, "mlm");
        let mut config = MaskedLanguageConfig::new(
            model_type, weights, config, vocab, merges, false, None, None, None,
        );
        config.device = Device::Cpu;
        let model = MaskedLanguageModel::new(config).unwrap();
        let texts = strings(&e[texts_key(version, "mask_texts")]);
        let input: Vec<&str> = texts.iter().map(String::as_str).collect();
        let output = model.predict_top_k(&input, 5).unwrap();
        for (i, (ours, hf)) in output
            .iter()
            .zip(e[version]["fill_mask"].as_array().unwrap())
            .enumerate()
        {
            assert_eq!(ours.len(), 1, "{version} text {i}: one mask");
            let ids: Vec<i64> = ours[0].iter().map(|t| t.id).collect();
            let hf_ids: Vec<i64> = hf
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["token"].as_i64().unwrap())
                .collect();
            assert_eq!(ids, hf_ids, "{version} text {i}");
            for (token, hf) in ours[0].iter().zip(hf.as_array().unwrap()) {
                let diff = close(
                    token.score,
                    &hf["score"],
                    &format!("{version} fill-mask {i}"),
                );
                eprintln!("deberta {version} fill-mask {i}: |score diff| {diff:.1e}");
            }
        }
        assert!(model.predict(Vec::<&str>::new()).unwrap().is_empty());
    }
}

#[test]
fn cli_zero_shot_and_classify_run_deberta_v3_directories() {
    // `--model DIR`: the architecture comes from the folder's config.json (`deberta-v2`), the
    // SentencePiece model from `--vocab`.
    let e = expected();
    let folder = dir().join("v3/nli");
    let spm = fixtures().join("tokenizers/spm/deberta_v2.model");
    let texts = strings(&e["zero_shot_texts"]);
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_rust-bert"))
            .args(args)
            .args(&texts)
            .env("RUSTBERT_OFFLINE", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(
            output.status.success() && !stderr.contains("panicked"),
            "{stderr}"
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let folder = folder.to_str().unwrap();
    let spm = spm.to_str().unwrap();
    let lines = run(&[
        "zero-shot",
        "--model",
        folder,
        "--vocab",
        spm,
        "--labels",
        "food,animals,sentence",
    ]);
    assert_eq!(lines.len(), texts.len());
    for (line, hf) in lines.iter().zip(e["v3"]["zero_shot"].as_array().unwrap()) {
        assert_eq!(line["text"], hf["labels"][0]);
        close(
            line["score"].as_f64().unwrap(),
            &hf["scores"][0],
            "cli zero-shot",
        );
    }
    let lines = run(&["classify", "--model", folder, "--vocab", spm]);
    assert_eq!(lines.len(), texts.len());
}
