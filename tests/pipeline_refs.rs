//! Sequence classification, zero-shot classification and fill-mask pipelines against HF 5.24's
//! pipelines on a model family's tiny fixtures (`<family>/pipelines/expected.json`, written by
//! utils/pipeline_refs.py from the family's fixture script): the top label and score of each
//! text (an empty one and a long one truncated to the 64 positions included), the best
//! candidate label of each zero-shot text, and the top 3 tokens of each mask (where the family
//! has a `fill_mask` fixture).
use crate::util::TOL;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::masked_language::{MaskedLanguageConfig, MaskedLanguageModel};
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::pipelines::zero_shot_classification::{
    ZeroShotClassificationConfig, ZeroShotClassificationModel,
};
use rust_bert::resources::LocalResource;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tch::Device;

/// Where a family's pipeline fixtures are and how its tokenizer is set up.
pub(crate) struct Family {
    pub model_type: ModelType,
    /// `<family>/pipelines`: `classifier/`, `fill_mask/`, `expected.json`.
    pub dir: PathBuf,
    /// The vocabulary (WordPiece `vocab.txt` or SentencePiece model).
    pub vocab: PathBuf,
    pub lower_case: bool,
    pub strip_accents: Option<bool>,
}

fn local(path: &Path) -> LocalResource {
    LocalResource::from(path.to_path_buf())
}

fn weights(path: &Path) -> ModelResource {
    ModelResource::Torch(Box::new(local(path)))
}

fn strs(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[track_caller]
fn close(ours: f64, theirs: f64, what: &str) -> f64 {
    let diff = (ours - theirs).abs();
    assert!(diff <= TOL, "{what}: {ours} vs HF {theirs}");
    diff
}

/// Checks the three pipelines against HF; returns the largest score difference.
pub(crate) fn check(family: &Family) -> f64 {
    let text = std::fs::read_to_string(family.dir.join("expected.json")).unwrap();
    let e: Value = serde_json::from_str(&text).unwrap();
    let long = e["long"].as_str().unwrap().to_string();
    let texts: Vec<String> = strs(&e["texts"])
        .into_iter()
        .map(|t| if t == "<LONG>" { long.clone() } else { t })
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let classifier = family.dir.join("classifier");
    let mut worst: f64 = 0.0;

    let mut config = SequenceClassificationConfig::new(
        family.model_type,
        weights(&classifier.join("model.safetensors")),
        local(&classifier.join("config.json")),
        local(&family.vocab),
        None,
        family.lower_case,
        family.strip_accents,
        None,
    );
    config.device = Device::Cpu;
    let model = SequenceClassificationModel::new(config).unwrap();
    let labels = model.predict(&texts);
    assert_eq!(labels.len(), texts.len());
    for (i, (ours, hf)) in labels
        .iter()
        .zip(e["classification"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(ours.text, hf["label"].as_str().unwrap(), "text {i}");
        let what = format!("classification text {i}");
        worst = worst.max(close(ours.score, hf["score"].as_f64().unwrap(), &what));
    }
    assert!(model.predict([] as [&str; 0]).is_empty());

    let mut config = ZeroShotClassificationConfig::new(
        family.model_type,
        weights(&classifier.join("model.safetensors")),
        local(&classifier.join("config_nli.json")),
        local(&family.vocab),
        None,
        family.lower_case,
        family.strip_accents,
        None,
    );
    config.device = Device::Cpu;
    let zero_shot = ZeroShotClassificationModel::new(config).unwrap();
    let zs_texts = strs(&e["zero_shot_texts"]);
    let zs_texts: Vec<&str> = zs_texts.iter().map(String::as_str).collect();
    let candidates = strs(&e["zero_shot_labels"]);
    let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let best = zero_shot
        .predict(&zs_texts, &candidates, None, 128)
        .unwrap();
    for (i, (ours, hf)) in best
        .iter()
        .zip(e["zero_shot"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(
            ours.text,
            hf["labels"][0].as_str().unwrap(),
            "zero-shot {i}"
        );
        let what = format!("zero-shot text {i}");
        worst = worst.max(close(ours.score, hf["scores"][0].as_f64().unwrap(), &what));
    }
    assert!(zero_shot
        .predict([] as [&str; 0], &candidates, None, 128)
        .unwrap()
        .is_empty());

    let fill = family.dir.join("fill_mask");
    if !fill.is_dir() {
        return worst;
    }
    let mut config = MaskedLanguageConfig::new(
        family.model_type,
        weights(&fill.join("model.safetensors")),
        local(&fill.join("config.json")),
        local(&family.vocab),
        None,
        family.lower_case,
        family.strip_accents,
        None,
        None,
    );
    config.device = Device::Cpu;
    let masked = MaskedLanguageModel::new(config).unwrap();
    let fill_texts = strs(&e["fill_mask_texts"]);
    let fill_texts: Vec<&str> = fill_texts.iter().map(String::as_str).collect();
    let predictions = masked.predict_top_k(&fill_texts, 3).unwrap();
    for (i, (ours, hf)) in predictions
        .iter()
        .zip(e["fill_mask"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(ours.len(), 1, "one mask in text {i}");
        let hf = hf.as_array().unwrap();
        assert_eq!(ours[0].len(), hf.len());
        for (token, theirs) in ours[0].iter().zip(hf) {
            assert_eq!(
                token.id,
                theirs["token"].as_i64().unwrap(),
                "fill-mask text {i}"
            );
            let what = format!("fill-mask text {i}");
            worst = worst.max(close(token.score, theirs["score"].as_f64().unwrap(), &what));
        }
    }
    assert!(masked.predict([] as [&str; 0]).unwrap().is_empty());
    worst
}
