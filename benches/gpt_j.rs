//! GPT-J at its real width (GPT-J 6B: hidden 4096, 16 heads, rotary 64, inner 16384, vocab
//! 50400) and reduced depth (`GPTJ_BENCH_LAYERS`, default 2: a 1.6 GB checkpoint), random bf16
//! weights written once by the bench (benches/common/synthetic_gptj.rs), generating in bf16
//! (`GenerateConfig.kind = BFloat16`): greedy, exactly 32 new tokens (the end token banned until
//! the last step), batch 1, a prompt of 8 tokens, `BENCH_THREADS` threads (default 2). What is
//! timed is dominated by reading the weights once per token, as for the 6B model on a CPU.
//! Python twin: utils/bench_gpt_j.py; both together: utils/bench_gpt_j.sh.
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use rust_bert::gpt_j::GptJGenerator;
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::{GenerateOptions, LanguageGenerator};
#[path = "common/bench_setup.rs"]
mod bench_setup;
#[path = "common/synthetic_gptj.rs"]
mod synthetic_gptj;

use std::path::Path;
use std::time::Duration;
use synthetic_gptj::{write_checkpoint, GptJShape};
use tch::{Kind, Tensor};

// "The quick brown fox jumps over the lazy" in GPT-2's BPE, as the Python twin.
const PROMPT: [i64; 8] = [464, 2068, 7586, 21831, 18045, 625, 262, 16931];
const EOS: i64 = 50256;
const NEW_TOKENS: i64 = 32;

fn layers() -> usize {
    std::env::var("GPTJ_BENCH_LAYERS")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(2)
}

fn generator(dir: &Path) -> GptJGenerator {
    // Generation runs on ids; the tiny fixture tokenizer only completes the generator.
    let vocab = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generation/gpt2");
    let tokenizer = TokenizerOption::from_file(
        ModelType::GPTJ,
        vocab.join("vocab.json").to_str().expect("path"),
        Some(vocab.join("merges.txt").to_str().expect("path")),
        false,
        None,
        None,
    )
    .expect("tokenizer");
    let config = bench_setup::greedy_config(
        ModelType::GPTJ,
        &dir.join("model.safetensors"),
        &dir.join("config.json"),
        &vocab.join("vocab.json"),
        Some(Kind::BFloat16),
    );
    GptJGenerator::new_with_tokenizer(config, tokenizer).expect("generator")
}

fn run(generator: &GptJGenerator) -> usize {
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
    let dir = bench_setup::models_dir().join(format!("gptj_{layers}l"));
    let shape = GptJShape {
        width: 4096,
        heads: 16,
        inner: 16384,
        vocab: 50400,
        layers,
    };
    write_checkpoint(&dir, &shape);
    eprintln!(
        "GPT-J {layers} layers (bf16) in {}, {threads} threads",
        dir.display()
    );
    let generator = generator(&dir);
    let mut group = c.benchmark_group("gpt_j_bf16");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("greedy_32", |b| b.iter(|| run(&generator)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
