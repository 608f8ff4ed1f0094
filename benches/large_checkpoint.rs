//! Loading a multi-gigabyte half-precision checkpoint: peak resident memory and time.
//!
//! Writes (once) a synthetic GPT-J-shaped checkpoint in bf16, real GPT-J 6B width (4096, 16
//! heads, 16384 inner, 50400 tokens, rotary 64) at reduced depth (`LARGE_CKPT_LAYERS`, default
//! 4: 2.4 GB), random weights, then loads it through `TextGenerationModel` with
//! `kind = BFloat16` in a fresh process and reports the process's peak resident memory
//! (`VmHWM`) after the load and after generating 8 tokens, beside a process that only starts
//! LibTorch (the fixed overhead). The goal (issue 19): peak during the load ≤ 1.1 × the file
//! plus that overhead, i.e. no f32 copy and no second copy of the weights.
//!
//! Usage: `cargo bench --bench large_checkpoint` (`LARGE_CKPT_DIR` to place the 2.4 GB file,
//! default `target/large_checkpoint`).
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::resources::LocalResource;
#[path = "common/synthetic_gptj.rs"]
mod synthetic_gptj;

use std::path::{Path, PathBuf};
use std::time::Instant;
use synthetic_gptj::{write_checkpoint, GptJShape};
use tch::{Device, Kind, Tensor};

const WIDTH: usize = 4096;

fn proc_status(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// In the child process: loads the checkpoint in bf16 and generates 8 tokens.
fn child_load(dir: &Path) {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let gpt2 = manifest.join("tests/fixtures/tokenizers/gpt2");
    let start = Instant::now();
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
    let load = start.elapsed().as_secs_f64();
    let after_load = proc_status("VmHWM:");
    let start = Instant::now();
    let options = rust_bert::pipelines::generation_utils::GenerateOptions {
        max_new_tokens: Some(8),
        ..Default::default()
    };
    let out = model
        .generate_with_options(
            &["The weights of a large model"],
            None::<&str>,
            Some(options),
        )
        .unwrap();
    let generate = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"load_s": load, "peak_after_load_mb": after_load,
                           "peak_after_generate_mb": proc_status("VmHWM:"),
                           "generate_8_s": generate, "text": out[0]})
    );
}

/// In the child process: starts LibTorch only.
fn child_baseline() {
    let x = Tensor::ones([64, 64], (Kind::BFloat16, Device::Cpu));
    let _ = x.matmul(&x);
    println!("{}", serde_json::json!({"peak_mb": proc_status("VmHWM:")}));
}

fn run_child(mode: &str, dir: &Path) -> serde_json::Value {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("LARGE_CKPT_CHILD", mode)
        .env("LARGE_CKPT_DIR", dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| {
            panic!(
                "child {mode} printed no result: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).unwrap()
}

fn main() {
    let dir = std::env::var_os("LARGE_CKPT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/large_checkpoint")
        });
    match std::env::var("LARGE_CKPT_CHILD").as_deref() {
        Ok("load") => return child_load(&dir),
        Ok("baseline") => return child_baseline(),
        _ => {}
    }
    // `cargo bench` passes `--bench`; anything else (a filter) is ignored.
    let layers: usize = std::env::var("LARGE_CKPT_LAYERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let start = Instant::now();
    let shape = GptJShape {
        width: WIDTH,
        heads: 16,
        inner: 16384,
        vocab: 50400,
        layers,
    };
    let path = write_checkpoint(&dir, &shape);
    let size_mb = std::fs::metadata(&path).unwrap().len() as f64 / (1 << 20) as f64;
    println!(
        "checkpoint {} ({size_mb:.0} MB, {layers} GPT-J layers of width {WIDTH}) ready in {:.1} s",
        path.display(),
        start.elapsed().as_secs_f64()
    );
    let baseline = run_child("baseline", &dir)["peak_mb"].as_f64().unwrap();
    let load = run_child("load", &dir);
    let peak = load["peak_after_load_mb"].as_f64().unwrap();
    println!("LibTorch alone: peak {baseline:.0} MB");
    println!(
        "load (bf16 -> bf16 VarStore): {:.2} s, peak {peak:.0} MB = baseline + {:.2} x the file",
        load["load_s"].as_f64().unwrap(),
        (peak - baseline) / size_mb
    );
    println!(
        "after generating 8 tokens ({:.1} s): peak {:.0} MB = baseline + {:.2} x the file",
        load["generate_8_s"].as_f64().unwrap(),
        load["peak_after_generate_mb"].as_f64().unwrap(),
        (load["peak_after_generate_mb"].as_f64().unwrap() - baseline) / size_mb
    );
    println!(
        "{}",
        serde_json::json!({"file_mb": size_mb, "baseline_mb": baseline, "load": load})
    );
}
