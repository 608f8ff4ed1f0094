//! Sequence classification pipelines on a DistilBERT-base-size classifier (random weights,
//! bert-base-uncased's 30,522-word vocabulary from all-MiniLM-L6-v2): tokenization, batching,
//! forward pass and scores.
//! - `classify_32x64`: `SequenceClassificationModel::predict` on 32 texts of 64 tokens;
//! - `sentiment_256`: `SentimentModel::predict` on 256 sentences of 16 tokens.
//!
//! Python twin: utils/bench_sequence_classification.py (HF `pipeline("text-classification")`,
//! batch size 32 as the Rust pipeline's batches). Needs `./utils/setup.sh` (the MiniLM vocab).
use criterion::{criterion_group, criterion_main, Criterion};
use rust_bert::common::weights::write_tensors;
use rust_bert::distilbert::{DistilBertConfig, DistilBertModelClassifier};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::sentiment::SentimentModel;
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::Config;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tch::{nn::VarStore, Device, Tensor};

/// Words that are single tokens of bert-base-uncased; the Python twin builds the same texts.
const WORDS: &str = "the movie was good and the actors were great but the ending was sad \
    we went to the park with our friends on a sunny day and played games until night \
    she said the food at the new place in town is very nice and not expensive \
    he did not like the story because it was too long and the music was loud \
    they will come back next year to see the city and visit the old house";

/// `count` texts of `length` words, word `j` of text `i` being word `(i * a + j * b) % n`.
fn texts(count: usize, length: usize, a: usize, b: usize) -> Vec<String> {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    (0..count)
        .map(|i| {
            (0..length)
                .map(|j| words[(i * a + j * b) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Writes a DistilBERT-base classifier with random weights (HF's init: normal(0, 0.02)) and its
/// config.json into `dir`.
fn write_model(dir: &Path) -> (PathBuf, PathBuf) {
    let config_path = dir.join("config.json");
    let config = r#"{"model_type": "distilbert", "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}}"#;
    std::fs::write(&config_path, config).expect("write config");
    let config = DistilBertConfig::from_file(&config_path);
    let vs = VarStore::new(Device::Cpu);
    let _model = DistilBertModelClassifier::new(vs.root(), &config).expect("model");
    tch::manual_seed(0);
    tch::no_grad(|| {
        for (_, mut variable) in vs.variables() {
            let _ = variable.normal_(0.0, 0.02);
        }
    });
    let mut tensors: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let weights = dir.join("model.safetensors");
    write_tensors(&tensors, &weights).expect("write weights");
    (config_path, weights)
}

fn config(config: &Path, weights: &Path, vocab: &Path) -> SequenceClassificationConfig {
    let mut config = SequenceClassificationConfig::new(
        ModelType::DistilBert,
        ModelResource::Torch(Box::new(LocalResource::from(weights.to_path_buf()))),
        LocalResource::from(config.to_path_buf()),
        LocalResource::from(vocab.to_path_buf()),
        None,
        true,
        None,
        None,
    );
    config.device = Device::Cpu;
    config
}

fn bench(c: &mut Criterion) {
    let vocab =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/models/all-MiniLM-L6-v2/vocab.txt");
    assert!(
        vocab.is_file(),
        "{} is missing: run ./utils/setup.sh",
        vocab.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (config_path, weights) = write_model(dir.path());

    let classifier =
        SequenceClassificationModel::new(config(&config_path, &weights, &vocab)).expect("pipeline");
    let sentiment = SentimentModel::new(config(&config_path, &weights, &vocab)).expect("pipeline");
    let long = texts(32, 62, 7, 3);
    let long: Vec<&str> = long.iter().map(String::as_str).collect();
    let short = texts(256, 14, 11, 5);
    let short: Vec<&str> = short.iter().map(String::as_str).collect();
    let lengths = classifier.get_tokenizer().encode_list(
        &long,
        512,
        &rust_tokenizers::tokenizer::TruncationStrategy::LongestFirst,
        0,
    );
    assert!(
        lengths.iter().all(|t| t.token_ids.len() == 64),
        "texts of 64 tokens"
    );

    let mut group = c.benchmark_group("distilbert_base");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("classify_32x64", |b| b.iter(|| classifier.predict(&long)));
    group.bench_function("sentiment_256", |b| b.iter(|| sentiment.predict(&short)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
