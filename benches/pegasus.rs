//! Pegasus-large-sized summarization generation (random weights, normal(0, 0.02), layer norms
//! 1): beam 4 on 2 x 512 source tokens, 40 new tokens (the end token banned until the last step
//! through min length = max length). Python twin: utils/bench_pegasus.py (run both on a quiet
//! machine; the goal is Rust / HF <= 0.5).
use criterion::{criterion_group, criterion_main, Criterion};
use rust_bert::common::weights::write_tensors;
use rust_bert::pegasus::{
    PegasusConditionalGenerator, PegasusConfig, PegasusForConditionalGeneration,
};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::resources::LocalResource;
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use tch::{nn::VarStore, Device, Kind, Tensor};

const NEW_TOKENS: i64 = 40;
const BATCH: i64 = 2;
const LENGTH: i64 = 512;
const BEAMS: i64 = 4;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    // google/pegasus-large's sizes.
    let config_json = json!({
        "vocab_size": 96103, "d_model": 1024, "encoder_layers": 16, "decoder_layers": 16,
        "encoder_attention_heads": 16, "decoder_attention_heads": 16, "encoder_ffn_dim": 4096,
        "decoder_ffn_dim": 4096, "max_position_embeddings": 1024, "activation_function": "relu",
        "scale_embedding": true, "pad_token_id": 0, "eos_token_id": 1,
        "decoder_start_token_id": 0, "dropout": 0.0
    });
    {
        let vs = VarStore::new(Device::Cpu);
        let config: PegasusConfig = serde_json::from_value(config_json.clone()).expect("config");
        let _model = PegasusForConditionalGeneration::new(vs.root(), &config);
        tch::manual_seed(0);
        tch::no_grad(|| {
            for (name, mut variable) in vs.variables() {
                if name.ends_with("layer_norm.weight") {
                    let _ = variable.fill_(1.0);
                } else {
                    let _ = variable.normal_(0.0, 0.02);
                }
            }
        });
        let mut tensors: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        write_tensors(&tensors, dir.path().join("model.safetensors")).expect("weights");
        std::fs::write(dir.path().join("config.json"), config_json.to_string()).expect("config");
    }
    let spiece =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokenizers/spm/t5.model");
    // Generation works on ids: the fixture's small Pegasus tokenizer completes the generator.
    let tokenizer = TokenizerOption::from_file(
        ModelType::Pegasus,
        spiece.to_str().expect("path"),
        None,
        false,
        None,
        None,
    )
    .expect("tokenizer");
    let generator = PegasusConditionalGenerator::new_with_tokenizer(
        GenerateConfig {
            model_type: ModelType::Pegasus,
            model_resource: ModelResource::Torch(Box::new(LocalResource::from(
                dir.path().join("model.safetensors"),
            ))),
            config_resource: Box::new(LocalResource::from(dir.path().join("config.json"))),
            vocab_resource: Box::new(LocalResource::from(spiece.clone())),
            merges_resource: None,
            do_sample: false,
            num_beams: 1,
            device: Device::Cpu,
            ..Default::default()
        },
        tokenizer,
    )
    .expect("pegasus");
    tch::manual_seed(1);
    let body = Tensor::randint_low(105, 96102, [BATCH, LENGTH - 1], (Kind::Int64, Device::Cpu));
    let input = Tensor::cat(
        &[
            body,
            Tensor::full([BATCH, 1], 1, (Kind::Int64, Device::Cpu)),
        ],
        1,
    );
    let options = || GenerateOptions {
        num_beams: Some(BEAMS),
        min_length: Some(NEW_TOKENS + 1),
        max_length: Some(NEW_TOKENS + 1),
        early_stopping: Some(false),
        ..Default::default()
    };
    let mut group = c.benchmark_group("pegasus");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(120));
    group.bench_function("pegasus_large_beam4_2x512_40", |b| {
        b.iter(|| {
            let output = generator
                .generate_from_ids_and_past(input.shallow_clone(), None, Some(options()))
                .expect("generate");
            assert_eq!(output[0].indices.len() as i64, NEW_TOKENS + 1);
            output.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
