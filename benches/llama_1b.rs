//! A Llama-architecture model at Llama-3.2-1B's width (hidden 2048, intermediate 8192, 32 heads,
//! 8 key/value heads, vocab 128256, tied embeddings, llama3 rope scaling) and reduced depth
//! (`LLAMA_BENCH_LAYERS`, default 2: 0.8 GB), random bf16 weights written once by the bench as
//! an HF folder (benches/common/synthetic_llama.rs), generating in bf16
//! (`GenerateConfig.kind = BFloat16`): greedy, exactly 32 new tokens (the end token banned until
//! the last step), batch 1, a prompt of 9 tokens, `BENCH_THREADS` threads (default 2).
//! Python twin: utils/bench_llama_1b.py; both together: utils/bench_llama_1b.sh.
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use rust_bert::llama::LlamaGenerator;
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::{GenerateOptions, LanguageGenerator};
#[path = "common/bench_setup.rs"]
mod bench_setup;
#[path = "common/synthetic_llama.rs"]
mod synthetic_llama;

use std::path::Path;
use std::time::Duration;
use synthetic_llama::{write_llama, LlamaShape};
use tch::{Kind, Tensor};

// Fixed ids (begin-of-text first), as the Python twin; the weights are random anyway.
const PROMPT: [i64; 9] = [128000, 791, 4062, 14198, 39935, 35308, 927, 279, 16053];
const EOS: i64 = 128001;
const NEW_TOKENS: i64 = 32;

fn layers() -> usize {
    std::env::var("LLAMA_BENCH_LAYERS")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(2)
}

fn generator(dir: &Path) -> LlamaGenerator {
    // Generation runs on ids; the tiny fixture tokenizer only completes the generator.
    let vocab = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llama/tokenizer");
    let tokenizer = TokenizerOption::from_hf_tokenizer_file(
        vocab.join("tokenizer.json"),
        vocab.join("special_tokens_map.json"),
    )
    .expect("tokenizer");
    let config = bench_setup::greedy_config(
        ModelType::Llama,
        &dir.join("model.safetensors"),
        &dir.join("config.json"),
        &vocab.join("tokenizer.json"),
        Some(Kind::BFloat16),
    );
    LlamaGenerator::new_with_tokenizer(config, tokenizer).expect("generator")
}

fn run(generator: &LlamaGenerator) -> usize {
    let prompt = Tensor::from_slice(&PROMPT).unsqueeze(0);
    let total = PROMPT.len() as i64 + NEW_TOKENS;
    let options = GenerateOptions {
        min_length: Some(total),
        max_length: Some(total),
        eos_token_ids: Some(&[EOS]),
        ..Default::default()
    };
    let output = generator
        .generate_from_ids_and_past(prompt, None, Some(options))
        .expect("generate");
    assert_eq!(output[0].indices.len() as i64, total);
    output.len()
}

fn bench(c: &mut Criterion) {
    let threads = bench_setup::set_threads();
    let layers = layers();
    let dir = bench_setup::models_dir().join(format!("llama_1b_{layers}l"));
    write_llama(&dir, &LlamaShape::llama_3_2_1b(layers));
    eprintln!(
        "Llama-3.2-1B width, {layers} layers (bf16) in {}, {threads} threads",
        dir.display()
    );
    let generator = generator(&dir);
    let mut group = c.benchmark_group("llama_1b_bf16");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(40));
    group.bench_function("greedy_32", |b| b.iter(|| run(&generator)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
