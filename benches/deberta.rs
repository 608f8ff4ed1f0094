//! DeBERTa-v3-base (random weights): forward of an 8x128 batch in f32, the encoder alone
//! (`DebertaV2Model`), as microsoft/deberta-v3-base is laid out: 12 x 768, 12 heads, 256
//! log buckets over 512 relative positions, shared attention keys, LayerNorm'd relative
//! embeddings, no absolute positions, 128100 words. Python twin: utils/bench_deberta.py;
//! both at once: utils/bench_deberta.sh.
use criterion::{criterion_group, criterion_main, Criterion};
use rust_bert::deberta_v2::{DebertaV2Config, DebertaV2Model};
use std::time::Duration;
use tch::{nn::VarStore, Device, Kind, Tensor};

/// microsoft/deberta-v3-base's config.json.
fn deberta_v3_base() -> DebertaV2Config {
    serde_json::from_str(
        r#"{
            "model_type": "deberta-v2", "attention_probs_dropout_prob": 0.1,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768,
            "initializer_range": 0.02, "intermediate_size": 3072,
            "max_position_embeddings": 512, "relative_attention": true,
            "position_buckets": 256, "norm_rel_ebd": "layer_norm", "share_att_key": true,
            "pos_att_type": "p2c|c2p", "layer_norm_eps": 1e-7, "max_relative_positions": -1,
            "position_biased_input": false, "num_attention_heads": 12, "num_hidden_layers": 12,
            "type_vocab_size": 0, "vocab_size": 128100
        }"#,
    )
    .expect("deberta-v3-base config")
}

fn bench(c: &mut Criterion) {
    tch::manual_seed(0);
    let config = deberta_v3_base();
    let vs = VarStore::new(Device::Cpu);
    let model = DebertaV2Model::new(vs.root(), &config);
    // Random weights, as HF's init: normal(0, 0.02) (LayerNorms too: only speed is measured).
    tch::no_grad(|| {
        for (_, mut variable) in vs.variables() {
            let _ = variable.normal_(0.0, 0.02);
        }
    });
    let mut group = c.benchmark_group("deberta_v3_base");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    let input_ids = Tensor::randint(config.vocab_size, [8, 128], (Kind::Int64, Device::Cpu));
    let mask = Tensor::ones([8, 128], (Kind::Int64, Device::Cpu));
    group.bench_function("forward_8x128", |b| {
        b.iter(|| {
            tch::no_grad(|| {
                model
                    .forward_t(Some(&input_ids), Some(&mask), None, None, None, false)
                    .expect("forward")
                    .hidden_state
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
