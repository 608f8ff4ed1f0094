//! Longformer-base sizes (random weights): one forward pass of 1 x 4096 tokens with windows of
//! 512 and global attention on 4 tokens, in f32. Python twin: utils/bench_longformer.py; both
//! together: utils/bench_longformer.sh.
//!
//! `LONGFORMER_PEAK_MEMORY=1 cargo bench --bench longformer` skips the timing and instead runs
//! the forward pass once and prints the process's peak resident memory (`VmHWM` of
//! `/proc/self/status`, Linux), weights included.
use criterion::{criterion_group, Criterion};
use rust_bert::longformer::{LongformerConfig, LongformerModel};
use std::time::Duration;
use tch::{nn::VarStore, Device, Kind, Tensor};

/// allenai/longformer-base-4096's sizes.
fn base_config() -> LongformerConfig {
    LongformerConfig {
        attention_window: vec![512],
        max_position_embeddings: 4098,
        vocab_size: 50265,
        type_vocab_size: 1,
        pad_token_id: Some(1),
        layer_norm_eps: Some(1e-5),
        ..Default::default()
    }
}

/// The model with HF's random init (normal(0, 0.02)), the inputs and the global mask.
fn setup() -> (VarStore, LongformerModel, Tensor, Tensor) {
    tch::manual_seed(0);
    let config = base_config();
    let vs = VarStore::new(Device::Cpu);
    let model = LongformerModel::new(vs.root(), &config, false);
    tch::no_grad(|| {
        for (_, mut variable) in vs.variables() {
            let _ = variable.normal_(0.0, 0.02);
        }
    });
    // Real tokens only (ids past the special ones), 4096 of them: a multiple of the window.
    let input_ids =
        Tensor::randint_low(4, config.vocab_size, [1, 4096], (Kind::Int64, Device::Cpu));
    let global = input_ids.zeros_like();
    for position in [0, 1, 2, 3] {
        let _ = global.narrow(1, position, 1).fill_(1);
    }
    (vs, model, input_ids, global)
}

fn forward(model: &LongformerModel, input_ids: &Tensor, global: &Tensor) -> Tensor {
    tch::no_grad(|| {
        model
            .forward_t(Some(input_ids), None, Some(global), None, None, None, false)
            .expect("forward")
            .hidden_state
    })
}

fn bench(c: &mut Criterion) {
    let (_vs, model, input_ids, global) = setup();
    let mut group = c.benchmark_group("longformer_base");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("forward_1x4096", |b| {
        b.iter(|| forward(&model, &input_ids, &global))
    });
    group.finish();
}

/// Peak resident memory of the process so far, in kB (`VmHWM`), where `/proc` has it.
fn peak_resident_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn peak_memory() {
    let (_vs, model, input_ids, global) = setup();
    let before = peak_resident_kb();
    let start = std::time::Instant::now();
    let output = forward(&model, &input_ids, &global);
    let elapsed = start.elapsed();
    println!(
        "longformer_base forward_1x4096: output {:?}, {:.2} s, peak resident memory: {} MB after \
         loading, {} MB after the forward",
        output.size(),
        elapsed.as_secs_f64(),
        before.map_or("?".into(), |kb| (kb / 1024).to_string()),
        peak_resident_kb().map_or("?".into(), |kb| (kb / 1024).to_string()),
    );
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("LONGFORMER_PEAK_MEMORY").is_some() {
        peak_memory();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
