//! NER pipeline on a BERT-base-size token classifier (random weights, 9 CoNLL-03 labels,
//! bert-base-uncased's 30,522-word vocabulary from all-MiniLM-L6-v2): tokenization, batching,
//! forward pass, scores, word consolidation and entity grouping.
//! - `ner_128`: `NERModel::predict_full_entities` on 128 sentences of 8 to 40 words.
//!
//! Python twin: utils/bench_ner.py (HF `pipeline("token-classification",
//! aggregation_strategy="first")`, batch size 64 as the Rust pipeline's batches). Needs
//! `./utils/setup.sh` (the MiniLM vocab).
use criterion::{criterion_group, criterion_main, Criterion};
use rust_bert::bert::{BertConfig, BertForTokenClassification};
use rust_bert::common::weights::write_tensors;
use rust_bert::pipelines::common::ModelResource;
use rust_bert::pipelines::common::ModelType;
use rust_bert::pipelines::ner::NERModel;
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig,
};
use rust_bert::resources::LocalResource;
use rust_bert::Config;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tch::{nn::VarStore, Device, Tensor};

/// The Python twin builds the same sentences from the same words.
const WORDS: &str = "John Smith flew from Paris to New York with Amélie Dupont on Monday \
    the Acme Corporation opened an office in Zürich and hired engineers from Berlin \
    she visited the museum near the river before meeting her colleagues at the station \
    Microsoft and Google announced results while the markets in London were closed \
    they travelled through Switzerland and Italy during the unbelievable summer";

/// `count` sentences, sentence `i` of `8 + (7 i) % 33` words, word `j` being word
/// `(5 i + 3 j) % n`.
fn sentences(count: usize) -> Vec<String> {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    (0..count)
        .map(|i| {
            (0..8 + (7 * i) % 33)
                .map(|j| words[(5 * i + 3 * j) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
                + "."
        })
        .collect()
}

const LABELS: [&str; 9] = [
    "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC",
];

/// Writes a BERT-base token classifier with random weights (HF's init: normal(0, 0.02)) and
/// its config.json into `dir`.
fn write_model(dir: &Path) -> (PathBuf, PathBuf) {
    let config_path = dir.join("config.json");
    let labels: Vec<String> = LABELS
        .iter()
        .enumerate()
        .map(|(i, label)| format!("\"{i}\": \"{label}\""))
        .collect();
    let config = format!(
        "{{\"model_type\": \"bert\", \"id2label\": {{{}}}}}",
        labels.join(", ")
    );
    std::fs::write(&config_path, config).expect("write config");
    let config = BertConfig::from_file(&config_path);
    let vs = VarStore::new(Device::Cpu);
    let _model = BertForTokenClassification::new(vs.root(), &config).expect("model");
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
    let mut config = TokenClassificationConfig::new(
        ModelType::Bert,
        ModelResource::Torch(Box::new(LocalResource::from(weights))),
        LocalResource::from(config_path),
        LocalResource::from(vocab),
        None,
        true,
        None,
        None,
        LabelAggregationOption::First,
    );
    config.device = Device::Cpu;
    let ner = NERModel::new(config).expect("pipeline");
    let sentences = sentences(128);
    let sentences: Vec<&str> = sentences.iter().map(String::as_str).collect();

    let mut group = c.benchmark_group("bert_base_ner");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("ner_128", |b| {
        b.iter(|| ner.predict_full_entities(&sentences))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
