//! The real SmolLM2-135M-Instruct (Llama architecture, 30 layers, width 576) from its Q4_1 GGUF
//! (`.venv/models/SmolLM2-135M-Instruct.Q4_1.gguf`, installed by utils/setup.sh), dequantised
//! into f32 by `LlamaGenerator::from_gguf`: greedy, exactly 128 new tokens (the end tokens banned
//! until the last step), at batch 1 and at batch 8 (eight prompts of different lengths,
//! left-padded), `BENCH_THREADS` threads (default 2). The prompts are tokenised outside the
//! timed loop, as the twin hands HF's `generate` ids.
//! Python twins: utils/bench_smollm2.py (HF) and utils/bench_llama_cpp.py (llama.cpp); both
//! with this bench: utils/bench_smollm2.sh.
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use rust_bert::llama::LlamaGenerator;
use rust_bert::pipelines::common::ModelType;
use rust_bert::pipelines::generation_utils::{GenerateOptions, LanguageGenerator};
use rust_tokenizers::tokenizer::TruncationStrategy;
#[path = "common/bench_setup.rs"]
mod bench_setup;

use std::path::Path;
use std::time::Duration;
use tch::{Kind, Tensor};

const NEW_TOKENS: i64 = 128;

/// The eight prompts (the Python twins' too); batch 1 takes the first.
const PROMPTS: [&str; 8] = [
    "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village by the sea,",
    "Explain in simple words why the sky is blue.",
    "Write a short poem about autumn leaves.",
    "What is the capital of France, and what is it famous for?",
    "List three tips for learning a new programming language quickly and well.",
    "Summarise the plot of a detective story in which the butler did not do it.",
    "How do bees make honey?",
    "Translate to French: The weather is lovely today and we are going to the beach.",
];

/// Left-padded ids `[batch, longest]` and their attention mask.
fn batch(generator: &LlamaGenerator, prompts: &[&str], pad: i64) -> (Tensor, Tensor, Vec<usize>) {
    let encoded =
        generator
            .get_tokenizer()
            .encode_list(prompts, 4096, &TruncationStrategy::LongestFirst, 0);
    let lengths: Vec<usize> = encoded.iter().map(|e| e.token_ids.len()).collect();
    let longest = *lengths.iter().max().expect("prompts");
    let mut ids = Vec::new();
    let mut mask = Vec::new();
    for e in &encoded {
        let padding = longest - e.token_ids.len();
        ids.extend(std::iter::repeat_n(pad, padding).chain(e.token_ids.iter().copied()));
        mask.extend(
            std::iter::repeat_n(0i64, padding).chain(std::iter::repeat_n(1, e.token_ids.len())),
        );
    }
    let shape = [prompts.len() as i64, longest as i64];
    (
        Tensor::from_slice(&ids).view(shape),
        Tensor::from_slice(&mask).view(shape),
        lengths,
    )
}

fn run(generator: &LlamaGenerator, ids: &Tensor, mask: &Tensor, lengths: &[usize]) -> usize {
    let total = ids.size()[1] + NEW_TOKENS;
    let options = GenerateOptions {
        min_length: Some(total),
        max_length: Some(total),
        ..Default::default()
    };
    let output = generator
        .generate_from_ids_and_past(
            ids.shallow_clone(),
            Some(mask.shallow_clone()),
            Some(options),
        )
        .expect("generate");
    for (out, length) in output.iter().zip(lengths) {
        assert_eq!(out.indices.len(), length + NEW_TOKENS as usize);
    }
    output.len()
}

fn bench(c: &mut Criterion) {
    let threads = bench_setup::set_threads();
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let config =
        bench_setup::greedy_config(ModelType::Llama, &path, &path, &path, Some(Kind::Float));
    let generator = LlamaGenerator::from_gguf(&path, config).expect("SmolLM2 GGUF");
    let pad = generator
        .get_tokenizer()
        .get_pad_id()
        .or_else(|| generator.get_tokenizer().get_eos_id())
        .unwrap_or(0);
    let (ids1, mask1, lengths1) = batch(&generator, &PROMPTS[..1], pad);
    let (ids8, mask8, lengths8) = batch(&generator, &PROMPTS, pad);
    eprintln!("SmolLM2 f32, {threads} threads, prompt lengths {lengths8:?}");
    let mut group = c.benchmark_group("smollm2");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(40));
    group.bench_function("greedy_128_b1", |b| {
        b.iter(|| run(&generator, &ids1, &mask1, &lengths1))
    });
    group.bench_function("greedy_128_b8", |b| {
        b.iter(|| run(&generator, &ids8, &mask8, &lengths8))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
