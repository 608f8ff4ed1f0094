//! A bf16 checkpoint loads into a bf16 model without an f32 copy or a second copy of the
//! weights: the peak resident memory of a fresh process that loads a GPT-J-shaped checkpoint
//! (width 1024, 50400 tokens, 2 layers: 267 MB) through `TextGenerationModel` with
//! `kind = BFloat16` and generates a few tokens stays within 1.1 × the file over a process
//! that only starts LibTorch. (`cargo bench --bench large_checkpoint` measures the same at
//! GPT-J's real width, 2.4 GB.) Each measurement runs in a child process of this test binary
//! (this test, re-run with an environment variable), since the test process itself holds the
//! memory of every other test.
#[path = "../benches/common/synthetic_gptj.rs"]
mod synthetic_gptj;

use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::GenerateOptions;
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::resources::LocalResource;
use std::path::PathBuf;
use synthetic_gptj::{write_checkpoint, GptJShape};
use tch::{Device, Kind, Tensor};

const CHILD: &str = "RUST_BERT_LARGE_CHECKPOINT_CHILD";
const TEST: &str = "large_checkpoint::bf16_checkpoint_loads_without_a_copy";

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024.0
}

fn child(mode: &str, dir: &str) {
    if mode == "baseline" {
        let x = Tensor::ones([64, 64], (Kind::BFloat16, Device::Cpu));
        let _ = x.matmul(&x);
        println!("RESULT {}", peak_mb());
        return;
    }
    let dir = PathBuf::from(dir);
    let gpt2 = crate::util::fixtures().join("tokenizers/gpt2");
    let config = TextGenerationConfig {
        model_type: ModelType::GPTJ,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(gpt2.join("encoder.json"))),
        merges_resource: Some(Box::new(LocalResource::from(gpt2.join("vocab.bpe")))),
        kind: Some(Kind::BFloat16),
        device: Device::Cpu,
        do_sample: false,
        num_beams: 1,
        max_length: None,
        ..Default::default()
    };
    let model = TextGenerationModel::new(config).unwrap();
    let after_load = peak_mb();
    let options = GenerateOptions {
        max_new_tokens: Some(4),
        ..Default::default()
    };
    let out = model
        .generate_with_options(&["A large model"], None::<&str>, Some(options))
        .unwrap();
    assert_eq!(out.len(), 1);
    println!("RESULT {after_load} {}", peak_mb());
}

fn run(mode: &str, dir: &std::path::Path) -> Vec<f64> {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([TEST, "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, format!("{mode}:{}", dir.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, rest)| rest))
        .unwrap_or_else(|| {
            panic!(
                "{mode} child printed no result:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    line.split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

#[test]
fn bf16_checkpoint_loads_without_a_copy() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (mode, dir) = spec.split_once(':').unwrap();
        return child(mode, dir);
    }
    let scratch = tempfile::tempdir().unwrap();
    let shape = GptJShape {
        width: 1024,
        heads: 16,
        inner: 4096,
        vocab: 50400,
        layers: 2,
    };
    let path = write_checkpoint(scratch.path(), &shape);
    let file_mb = std::fs::metadata(&path).unwrap().len() as f64 / (1 << 20) as f64;
    let baseline = run("baseline", scratch.path())[0];
    let loaded = run("load", scratch.path());
    let (after_load, after_generate) = (loaded[0], loaded[1]);
    println!(
        "file {file_mb:.0} MB; LibTorch alone {baseline:.0} MB; after load {after_load:.0} MB \
         (+{:.2} x file); after 4 tokens {after_generate:.0} MB (+{:.2} x file)",
        (after_load - baseline) / file_mb,
        (after_generate - baseline) / file_mb
    );
    // An f32 copy alone would be 2 x the file; a bf16 copy beside the mapping, 1 x more.
    assert!(
        after_generate - baseline <= 1.1 * file_mb,
        "peak {after_generate:.0} MB over a {baseline:.0} MB baseline for a {file_mb:.0} MB file"
    );
}
