//! GPT-2 124M (random weights) generation at fixed lengths: greedy 64 new tokens and beam
//! search with 5 beams and 32 new tokens, batch 1, prompt of 8 tokens. The end token is banned
//! until the last step (min length = max length) so both runs always generate the same number
//! of tokens. Python twin: utils/bench_generation.py; both together: utils/bench_generation.sh.
//! `BENCH_QUICK=1` takes ten single runs after a one-second warm-up (utils/bench_contention.sh).
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use rust_bert::common::weights::write_tensors;
use rust_bert::gpt2::{GPT2Generator, GPT2LMHeadModel, Gpt2Config};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::resources::LocalResource;
use std::path::Path;
use std::time::Duration;
use tch::{nn::VarStore, Device, Tensor};

// "The quick brown fox jumps over the lazy", as the Python twin.
const PROMPT: [i64; 8] = [464, 2068, 7586, 21831, 18045, 625, 262, 16931];

fn write_model(dir: &Path) {
    let config = Gpt2Config::default(); // gpt2 sizes: 12 x 768, 50257 tokens, 1024 positions
    let vs = VarStore::new(Device::Cpu);
    let _model = GPT2LMHeadModel::new(vs.root(), &config);
    tch::manual_seed(0);
    tch::no_grad(|| {
        for (_, mut variable) in vs.variables() {
            let _ = variable.normal_(0.0, 0.02);
        }
    });
    let mut tensors: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    write_tensors(&tensors, dir.join("model.safetensors")).expect("write weights");
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string(&config).expect("config json"),
    )
    .expect("write config");
}

fn generator(dir: &Path, kind: Option<tch::Kind>) -> GPT2Generator {
    // Generation runs on ids; the tiny fixture tokenizer only completes the generator.
    let vocab = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generation/gpt2");
    let tokenizer = TokenizerOption::from_file(
        ModelType::GPT2,
        vocab.join("vocab.json").to_str().expect("path"),
        Some(vocab.join("merges.txt").to_str().expect("path")),
        false,
        None,
        None,
    )
    .expect("tokenizer");
    let config = GenerateConfig {
        model_type: ModelType::GPT2,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(vocab.join("vocab.json"))),
        merges_resource: None,
        min_length: 0,
        max_length: None,
        do_sample: false,
        early_stopping: false,
        num_beams: 1,
        temperature: 1.0,
        top_k: 0,
        top_p: 1.0,
        repetition_penalty: 1.0,
        length_penalty: 1.0,
        no_repeat_ngram_size: 0,
        num_return_sequences: 1,
        num_beam_groups: None,
        diversity_penalty: None,
        device: Device::Cpu,
        kind,
        model_defaults: Default::default(),
    };
    GPT2Generator::new_with_tokenizer(config, tokenizer).expect("generator")
}

fn run(generator: &GPT2Generator, beams: i64, new_tokens: i64) -> usize {
    let prompt = Tensor::from_slice(&PROMPT).unsqueeze(0);
    let total = PROMPT.len() as i64 + new_tokens;
    let options = GenerateOptions {
        num_beams: Some(beams),
        min_length: Some(total),
        max_length: Some(total),
        // GPT-2's end token (the fixture tokenizer's is outside this vocabulary).
        eos_token_ids: Some(&[50256]),
        ..Default::default()
    };
    let output = generator
        .generate_from_ids_and_past(prompt, None, Some(options))
        .expect("generate");
    assert_eq!(output[0].indices.len() as i64, total);
    output.len()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_model(dir.path());
    let generator_f32 = generator(dir.path(), None);
    let mut group = c.benchmark_group("gpt2");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    if std::env::var_os("BENCH_QUICK").is_some() {
        // utils/bench_contention.sh: ten single runs, one warm-up second (see its header).
        group
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(1));
    }
    group.bench_function("greedy_64", |b| b.iter(|| run(&generator_f32, 1, 64)));
    group.bench_function("beam5_32", |b| b.iter(|| run(&generator_f32, 5, 32)));
    drop(generator_f32);
    // Int8 weights (`kind: Some(Kind::QInt8)`): the same checkpoint quantised at load.
    let int8 = generator(dir.path(), Some(tch::Kind::QInt8));
    group.bench_function("greedy_64_int8", |b| b.iter(|| run(&int8, 1, 64)));
    group.bench_function("beam5_32_int8", |b| b.iter(|| run(&int8, 5, 32)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
