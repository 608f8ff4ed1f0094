//! BERT-base (random weights): load from `.safetensors` and `.ot`, forward 8x128 in f32, bf16
//! and f16 and with int8 weights, and a plain 1024^3 matmul (the CPU's practical peak, to express the forward pass
//! in GFLOP/s against it). Python twin: utils/bench_bert.py; everything: utils/bench_all.sh.
use criterion::{criterion_group, criterion_main, Criterion};
use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use rust_bert::common::weights::{load_weights_from_file, write_tensors};
use std::path::Path;
use std::time::Duration;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn build(config: &BertConfig) -> (VarStore, BertModel<BertEmbeddings>) {
    let vs = VarStore::new(Device::Cpu);
    let model = BertModel::new(vs.root(), config);
    (vs, model)
}

/// One forward pass without gradients; the hidden states.
fn forward(model: &BertModel<BertEmbeddings>, ids: &Tensor, mask: &Tensor) -> Tensor {
    tch::no_grad(|| {
        model
            .forward_t(Some(ids), Some(mask), None, None, None, None, None, false)
            .expect("forward")
            .hidden_state
    })
}

fn load(config: &BertConfig, path: &Path) -> BertModel<BertEmbeddings> {
    let (vs, model) = build(config);
    load_weights_from_file(&vs, path).expect("weights load");
    model
}

fn bench(c: &mut Criterion) {
    tch::manual_seed(0);
    let config = BertConfig::default(); // bert-base sizes: 12 x 768, 30522 words
    let dir = tempfile::tempdir().expect("tempdir");
    let (vs, model) = build(&config);
    // Random weights (layers start at zero), as HF's init: normal(0, 0.02).
    tch::no_grad(|| {
        for (_, mut variable) in vs.variables() {
            let _ = variable.normal_(0.0, 0.02);
        }
    });
    let mut tensors: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let safetensors = dir.path().join("model.safetensors");
    let ot = dir.path().join("rust_model.ot");
    write_tensors(&tensors, &safetensors).expect("write safetensors");
    write_tensors(&tensors, &ot).expect("write ot");

    let mut group = c.benchmark_group("bert_base");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("load_safetensors", |b| {
        b.iter(|| load(&config, &safetensors))
    });
    group.bench_function("load_ot", |b| b.iter(|| load(&config, &ot)));

    let input_ids = Tensor::randint(config.vocab_size, [8, 128], (Kind::Int64, Device::Cpu));
    let mask = Tensor::ones([8, 128], (Kind::Int64, Device::Cpu));
    group.bench_function("forward_8x128", |b| {
        b.iter(|| forward(&model, &input_ids, &mask))
    });

    // Half precision: the same model converted in place.
    for (name, kind) in [
        ("forward_8x128_bf16", Kind::BFloat16),
        ("forward_8x128_f16", Kind::Half),
    ] {
        let (mut vs_half, half) = build(&config);
        vs_half.copy(&vs).expect("copy weights");
        vs_half.set_kind(kind);
        group.bench_function(name, |b| b.iter(|| forward(&half, &input_ids, &mask)));
    }

    // Int8 weights: the same model's store quantised (its many-row products run in bf16 on
    // CPUs with native bf16, f32 elsewhere; see `common::quantize`).
    {
        let (mut vs_int8, int8) = build(&config);
        vs_int8.copy(&vs).expect("copy weights");
        rust_bert::common::quantize::quantize_var_store(&vs_int8).expect("quantize");
        group.bench_function("forward_8x128_int8", |b| {
            b.iter(|| forward(&int8, &input_ids, &mask))
        });
    }

    let a = Tensor::randn([1024, 1024], (Kind::Float, Device::Cpu));
    let b = Tensor::randn([1024, 1024], (Kind::Float, Device::Cpu));
    group.bench_function("matmul_1024", |bench| bench.iter(|| a.matmul(&b)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
