//! Cross-encoder pipeline against sentence-transformers 6.3's own `CrossEncoder.predict` and
//! `.rank` on tiny random BERT and MPNet classifiers (tests/fixtures/cross_encoder, written by
//! utils/fixtures_cross_encoder.py): pair ids (truncated longest-first to 24 tokens), scores
//! with the default activations (sigmoid for one label, none for three), `apply_softmax`, an
//! activation named by config.json, rankings and top-k.
use crate::util::fixtures;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::cross_encoder::{CrossEncoderConfig, CrossEncoderModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use rust_tokenizers::tokenizer::TruncationStrategy;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tch::Device;

const TOL: f64 = 1e-4;

fn dir() -> PathBuf {
    fixtures().join("cross_encoder")
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap()).unwrap()
}

fn config(name: &str, config_json: &Path) -> CrossEncoderConfig {
    let model_type = if name.starts_with("mpnet") {
        ModelType::MPNet
    } else {
        ModelType::Bert
    };
    let weights = dir().join(name).join("model.safetensors");
    let mut config = CrossEncoderConfig::new(
        model_type,
        ModelResource::Torch(Box::new(LocalResource::from(weights))),
        LocalResource::from(config_json.to_path_buf()),
        LocalResource::from(dir().join("vocab.txt")),
        None,
        true,
    );
    config.device = Device::Cpu;
    config.max_length = Some(expected()["max_length"].as_u64().unwrap() as usize);
    config.batch_size = expected()["batch_size"].as_u64().unwrap() as usize;
    config
}

fn model(name: &str) -> CrossEncoderModel {
    CrossEncoderModel::new(config(name, &dir().join(name).join("config.json"))).unwrap()
}

fn pairs(e: &Value) -> Vec<(String, String)> {
    e["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[track_caller]
fn close(ours: &[f32], hf: &[f64], what: &str) -> f64 {
    assert_eq!(ours.len(), hf.len(), "{what}");
    let diff = ours
        .iter()
        .zip(hf)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max);
    eprintln!("cross-encoder {what}: max |diff| {diff:.2e}");
    assert!(diff <= TOL, "{what}: max |diff| {diff:e}");
    diff
}

#[test]
fn pairs_are_tokenized_and_truncated_as_hf() {
    let e = expected();
    let max_length = e["max_length"].as_u64().unwrap() as usize;
    for name in ["bert", "mpnet"] {
        let model = model(name);
        for (pair, hf) in pairs(&e)
            .iter()
            .zip(e[name]["input_ids"].as_array().unwrap())
        {
            let ours = model.get_tokenizer().encode_pair(
                &pair.0,
                Some(&pair.1),
                max_length,
                &TruncationStrategy::LongestFirst,
                0,
            );
            let hf: Vec<i64> = hf
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect();
            assert_eq!(ours.token_ids, hf, "{name}: {pair:?}");
        }
    }
}

#[test]
fn predict_matches_sentence_transformers() {
    let e = expected();
    let pairs = pairs(&e);
    for name in ["bert", "mpnet"] {
        let model = model(name);
        assert_eq!(model.num_labels(), 1);
        let ours = model.predict(&pairs).unwrap();
        close(&ours, &floats(&e[name]["predict"]), name);
        // Batching changes nothing: one by one gives the same scores.
        let single = model.predict(&pairs[..1]).unwrap();
        assert!((single[0] - ours[0]).abs() < 1e-5);
        let labels = model.predict_labels(&pairs).unwrap();
        assert!(labels.iter().zip(&ours).all(|(l, s)| l == &vec![*s]));
    }
}

#[test]
fn rank_matches_sentence_transformers() {
    let e = expected();
    let passages: Vec<&str> = e["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let top_k = e["top_k"].as_u64().unwrap() as usize;
    for name in ["bert", "mpnet"] {
        let model = model(name);
        for (key, k) in [("rank", None), ("rank_top_k", Some(top_k))] {
            for (query, hf) in e[name][key].as_object().unwrap() {
                let ours = model.rank(query, &passages, k).unwrap();
                let hf_ids: Vec<usize> = hf
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r[0].as_u64().unwrap() as usize)
                    .collect();
                let ids: Vec<usize> = ours.iter().map(|r| r.0).collect();
                assert_eq!(ids, hf_ids, "{name} {key} {query}");
                let scores: Vec<f32> = ours.iter().map(|r| r.1).collect();
                let hf_scores: Vec<f64> = hf
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r[1].as_f64().unwrap())
                    .collect();
                close(&scores, &hf_scores, &format!("{name} {key}"));
                assert!(scores.windows(2).all(|w| w[0] >= w[1]));
            }
        }
    }
}

#[test]
fn several_labels_give_logits_or_softmax_as_sentence_transformers() {
    let e = expected();
    let pairs = pairs(&e);
    let hf = &e["mpnet_nli"];
    let flat =
        |rows: &Value| -> Vec<f64> { rows.as_array().unwrap().iter().flat_map(floats).collect() };
    let model = model("mpnet_nli");
    assert_eq!(model.num_labels(), 3);
    let ours: Vec<f32> = model.predict_labels(&pairs).unwrap().concat();
    close(&ours, &flat(&hf["predict"]), "nli logits");
    let mut config = config("mpnet_nli", &dir().join("mpnet_nli/config.json"));
    config.apply_softmax = true;
    let softmax = CrossEncoderModel::new(config).unwrap();
    let ours: Vec<f32> = softmax.predict_labels(&pairs).unwrap().concat();
    close(&ours, &flat(&hf["predict_softmax"]), "nli softmax");
    // One score per pair, or a ranking, needs one label.
    let error = model.predict(&pairs).unwrap_err();
    assert!(matches!(error, RustBertError::InvalidConfigurationError(_)));
    assert!(model.rank("q", &["a", "b"], None).is_err());
}

#[test]
fn the_activation_config_json_names_is_applied() {
    let e = expected();
    let scratch = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir().join("bert/config.json")).unwrap();
    let mut json: Value = serde_json::from_str(&text).unwrap();
    json["sentence_transformers"] =
        serde_json::json!({"activation_fn": "torch.nn.modules.activation.Tanh"});
    let path = scratch.path().join("config.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let model = CrossEncoderModel::new(config("bert", &path)).unwrap();
    let ours = model.predict(&pairs(&e)).unwrap();
    close(&ours, &floats(&e["bert_tanh"]["predict"]), "tanh");
    // An activation this crate does not have is an error naming it.
    json["sentence_transformers"] =
        serde_json::json!({"activation_fn": "torch.nn.modules.activation.Softplus"});
    std::fs::write(&path, json.to_string()).unwrap();
    let error = CrossEncoderModel::new(config("bert", &path)).err().unwrap();
    assert!(error.to_string().contains("Softplus"), "{error}");
}

#[test]
fn empty_inputs_give_empty_outputs() {
    let model = model("mpnet");
    let none: Vec<(&str, &str)> = vec![];
    assert!(model.predict(&none).unwrap().is_empty());
    assert!(model.predict_labels(&none).unwrap().is_empty());
    let no_passages: Vec<&str> = vec![];
    assert!(model
        .rank("query", &no_passages, Some(3))
        .unwrap()
        .is_empty());
    // Empty texts and very long ones are scored (truncated), never an error.
    let long = "word ".repeat(10_000);
    let scores = model
        .predict(&[("", ""), (long.as_str(), long.as_str())])
        .unwrap();
    assert_eq!(scores.len(), 2);
    assert!(scores.iter().all(|s| s.is_finite()));
}

#[test]
fn unsupported_models_are_errors_before_loading() {
    let mut config = config("bert", &dir().join("bert/config.json"));
    config.model_type = ModelType::GPT2;
    let error = CrossEncoderModel::new(config).err().unwrap();
    assert!(
        matches!(error, RustBertError::UnsupportedError(_)),
        "{error}"
    );
}

#[test]
fn the_pipeline_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<CrossEncoderModel>();
}
