//! Question answering on 64 SQuAD-like items (tests/fixtures/pipeline_qa/bench_squad.json) with
//! a DistilBERT-base-size model (6 x 768, 30522 words, random weights), CPU, top_k 1, batches
//! of 32 windows, windows of 384 tokens with a stride of 128: tokenization, windows, model and
//! span selection. Python twin: utils/bench_question_answering.py.
//!
//! ```sh
//! cargo bench --bench question_answering
//! .venv/bin/python utils/bench_question_answering.py
//! ```
use criterion::{criterion_group, criterion_main, Criterion};
use rust_bert::common::weights::write_tensors;
use rust_bert::distilbert::{DistilBertConfig, DistilBertForQuestionAnswering};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::question_answering::{
    try_squad_processor, QuestionAnsweringConfig, QuestionAnsweringModel,
};
use rust_bert::resources::LocalResource;
use std::path::Path;
use std::time::Duration;
use tch::{nn::VarStore, Device, Tensor};

fn bench(c: &mut Criterion) {
    tch::manual_seed(0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = DistilBertConfig::default();
    std::fs::write(
        dir.path().join("config.json"),
        serde_json::to_string(&config).expect("config"),
    )
    .expect("write config");
    let vs = VarStore::new(Device::Cpu);
    let _model = DistilBertForQuestionAnswering::new(vs.root(), &config);
    // Random weights (layers start at zero), as HF's init: normal(0, 0.02).
    tch::no_grad(|| {
        for (_, mut variable) in vs.variables() {
            let _ = variable.normal_(0.0, 0.02);
        }
    });
    let mut tensors: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    write_tensors(&tensors, dir.path().join("model.safetensors")).expect("write weights");

    let mut qa_config = QuestionAnsweringConfig::new(
        ModelType::DistilBert,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir.path().join("model.safetensors"),
        ))),
        LocalResource::from(dir.path().join("config.json")),
        // bert-base-uncased's vocabulary, installed by utils/setup.sh
        LocalResource::from(root.join(".venv/models/all-MiniLM-L6-v2/vocab.txt")),
        None,
        true,
        None,
        None,
    );
    qa_config.device = Device::Cpu;
    let model = QuestionAnsweringModel::new(qa_config).expect("model");
    let items = try_squad_processor(root.join("tests/fixtures/pipeline_qa/bench_squad.json"))
        .expect("bench items");
    assert_eq!(items.len(), 64);

    let mut group = c.benchmark_group("question_answering");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("distilbert_base_64_items", |b| {
        b.iter(|| model.predict(&items, 1, 32))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
