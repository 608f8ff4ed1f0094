//! Int8 weights (`kind: Some(Kind::QInt8)`, `common::quantize`): closeness to f32 of the same
//! weights on real models. The claim is "as close to f32 as int8 allows", so for these tests
//! alone the reference is the crate's own f32 output on the same weights, not HF's.
use crate::pipeline_classification::seq_config;
use crate::util::{fixtures, minilm_dir};
use rust_bert::pipelines::generation_utils::GenerateOptions;
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use rust_bert::pipelines::sequence_classification::SequenceClassificationModel;
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use serde_json::Value;
use std::path::PathBuf;
use tch::{Device, Kind};

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

/// all-MiniLM-L6-v2 with int8 weights (and rows quantised per row in its many-row products):
/// every embedding of the embeddings test's sentences at cosine >= 0.995 to f32 (the issue's
/// bound), and not equal to it (the int8 route ran).
#[test]
fn int8_minilm_embeddings_stay_within_cosine_0_995_of_f32() {
    let sentences: Vec<String> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("pipeline_embeddings/minilm/sentences.json"))
            .unwrap(),
    )
    .unwrap();
    let build = |kind: Option<Kind>| {
        let builder = SentenceEmbeddingsBuilder::local(minilm_dir()).with_device(Device::Cpu);
        match kind {
            Some(kind) => builder.with_kind(kind),
            None => builder,
        }
        .create_model()
        .unwrap()
    };
    let f32_rows = build(None).encode(&sentences).unwrap();
    let int8_rows = build(Some(Kind::QInt8)).encode(&sentences).unwrap();
    let worst = f32_rows
        .iter()
        .zip(&int8_rows)
        .map(|(a, b)| cosine(a, b))
        .fold(f64::INFINITY, f64::min);
    println!(
        "all-MiniLM-L6-v2 int8: {} sentences, lowest cosine to f32 {worst:.5}",
        sentences.len()
    );
    assert!(worst >= 0.995, "lowest cosine {worst}");
    assert!(
        worst < 1.0 - 1e-7,
        "int8 gave the f32 embeddings: the route did not run"
    );
}

/// The sequence-classification fixtures (tiny random BERT, DistilBERT, RoBERTa, ELECTRA,
/// BART) with int8 weights give the f32 labels on the pipeline fixtures' texts.
#[test]
fn int8_classification_gives_the_f32_labels() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("pipeline_classification/expected.json")).unwrap(),
    )
    .unwrap();
    let texts: Vec<&str> = expected["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for model in ["bert", "distilbert", "roberta", "electra", "bart"] {
        let f32_model = SequenceClassificationModel::new(seq_config(model, "config.json")).unwrap();
        let mut config = seq_config(model, "config.json");
        config.kind = Some(Kind::QInt8);
        let int8_model = SequenceClassificationModel::new(config).unwrap();
        let want = f32_model.try_predict(&texts).unwrap();
        let got = int8_model.try_predict(&texts).unwrap();
        let mut worst: f64 = 0.0;
        for (i, (a, b)) in want.iter().zip(&got).enumerate() {
            assert_eq!(
                a.text, b.text,
                "{model}, text {i}: {} vs {}",
                a.score, b.score
            );
            worst = worst.max((a.score - b.score).abs());
        }
        println!(
            "{model} int8: same labels on {} texts, largest score change {worst:.2e}",
            texts.len()
        );
    }
}

fn smollm2() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// SmolLM2-135M-Instruct (its Q4_1 GGUF, dequantised, then quantised again to int8 with a
/// scale per 64 inputs) greedy for 32 tokens on three prompts: int8 gives the f32 tokens up to
/// the first divergence, which is reported.
#[test]
fn int8_smollm2_greedy_equals_f32_for_32_tokens() {
    let model = |kind: Option<Kind>| {
        let mut config = TextGenerationConfig::from_gguf(smollm2());
        config.device = Device::Cpu;
        config.do_sample = false;
        config.num_beams = 1;
        config.kind = kind;
        TextGenerationModel::new(config).unwrap()
    };
    let prompts = [
        "The capital of France is",
        "def fibonacci(n):",
        "Once upon a time, in a small village,",
    ];
    let options = || {
        Some(GenerateOptions {
            max_new_tokens: Some(32),
            min_length: None,
            ..Default::default()
        })
    };
    let f32_model = model(None);
    let want = f32_model
        .generate_indices(&prompts, None, options())
        .unwrap();
    let got = model(Some(Kind::QInt8))
        .generate_indices(&prompts, None, options())
        .unwrap();
    let mut agreed = Vec::new();
    for (i, (a, b)) in want.iter().zip(&got).enumerate() {
        // The prompt's length: one new token after it.
        let one = GenerateOptions {
            max_new_tokens: Some(1),
            ..Default::default()
        };
        let prompt = f32_model
            .generate_indices(&prompts[i..=i], None, Some(one))
            .unwrap()[0]
            .indices
            .len()
            - 1;
        let reply = a.indices.len() - prompt;
        // Reply tokens equal before the first divergence (the whole reply when none).
        let same = a
            .indices
            .iter()
            .zip(&b.indices)
            .skip(prompt)
            .take_while(|(x, y)| x == y)
            .count();
        println!("prompt {i}: int8 reply equals f32 for {same} of {reply} tokens");
        agreed.push((same, reply));
    }
    // Measured: the first two replies equal f32 whole (30 tokens, ending at EOS, and 32); the
    // third for 5 tokens: its 6th is a near tie in f32 (HF's f32 logits put the top two 0.10
    // apart there, against 0.4 to 6 at the steps before and after), which int8 weights flip.
    let at_least = [30, 32, 5];
    for (i, &(same, reply)) in agreed.iter().enumerate() {
        assert!(same >= at_least[i].min(reply), "prompt {i}: {agreed:?}");
    }
}
