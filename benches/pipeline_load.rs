//! Pipeline loading: wall time and peak resident memory of building a sequence-classification
//! pipeline over a BERT-base-sized `.safetensors` file (random weights, 418 MB, written by this
//! benchmark into `target/bench-load/`), through the pipeline's own path (memory-mapped, copied
//! at most once) and, for comparison, through the whole-file `read_tensors` path pipelines took
//! before.
//!
//! Peak memory is per process, so each measurement runs in a child process of this benchmark
//! (`VmHWM` of `/proc/self/status`, minus the resident size before loading).
//!
//! ```sh
//! cargo bench --bench pipeline_load
//! ```
use rust_bert::bert::{BertConfig, BertForSequenceClassification};
use rust_bert::common::weights::{load_tensors_into, read_tensors};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::resources::LocalResource;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

const RUNS: usize = 3;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-load/bert-base")
}

fn vocab() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_classification/vocab.txt")
}

/// BERT-base with a 3-label classifier.
fn config_json() -> String {
    serde_json::json!({
        "model_type": "bert",
        "architectures": ["BertForSequenceClassification"],
        "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12,
        "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "id2label": {"0": "negative", "1": "neutral", "2": "positive"},
        "label2id": {"negative": 0, "neutral": 1, "positive": 2}
    })
    .to_string()
}

/// Writes the configuration and random weights once.
fn prepare() -> PathBuf {
    let dir = root();
    let weights = dir.join("model.safetensors");
    if weights.exists() {
        return weights;
    }
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), config_json()).unwrap();
    let config: BertConfig = serde_json::from_str(&config_json()).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let _model = BertForSequenceClassification::new(vs.root(), &config);
    tch::no_grad(|| {
        for (_, mut variable) in vs.variables() {
            variable.copy_(&(Tensor::randn_like(&variable) * 0.02));
        }
    });
    vs.save(&weights).unwrap();
    weights
}

fn status_kb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap()
}

/// One load in this process; prints `seconds peak_extra_mb`.
fn child(mode: &str) {
    let dir = root();
    // Build LibTorch's CPU state first so that it is not counted as loading.
    let _ = Tensor::zeros([1], (Kind::Float, Device::Cpu)) + 1;
    let before = status_kb("VmRSS:");
    let started = Instant::now();
    match mode {
        "pipeline" => {
            let mut config = SequenceClassificationConfig::new(
                ModelType::Bert,
                ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
                LocalResource::from(dir.join("config.json")),
                LocalResource::from(vocab()),
                None,
                true,
                None,
                None,
            );
            config.device = Device::Cpu;
            let model = SequenceClassificationModel::new(config).unwrap();
            std::hint::black_box(&model);
        }
        "read_tensors" => {
            let config: BertConfig = serde_json::from_str(&config_json()).unwrap();
            let vs = VarStore::new(Device::Cpu);
            let model = BertForSequenceClassification::new(vs.root(), &config);
            let tensors = read_tensors(dir.join("model.safetensors")).unwrap();
            load_tensors_into(&vs, tensors, "bench").unwrap();
            std::hint::black_box(&model);
        }
        other => panic!("unknown mode {other}"),
    }
    let seconds = started.elapsed().as_secs_f64();
    let peak = status_kb("VmHWM:");
    println!("{seconds} {}", (peak - before) / 1024.0);
}

fn main() {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--child" {
            child(&args.next().unwrap());
            return;
        }
    }
    let weights = prepare();
    let size_mb = std::fs::metadata(&weights).unwrap().len() as f64 / 1e6;
    let me = std::env::current_exe().unwrap();
    println!("BERT-base sequence classification, {size_mb:.0} MB .safetensors, {RUNS} runs each");
    println!(
        "{:<14} {:>14} {:>22}",
        "path", "load (median)", "peak RSS over base"
    );
    for mode in ["pipeline", "read_tensors"] {
        let mut runs: Vec<(f64, f64)> = (0..RUNS)
            .map(|_| {
                let out = Command::new(&me).args(["--child", mode]).output().unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let text = String::from_utf8(out.stdout).unwrap();
                let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().unwrap());
                (fields.next().unwrap(), fields.next().unwrap())
            })
            .collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (seconds, _) = runs[RUNS / 2];
        let peak = runs.iter().map(|r| r.1).fold(0.0, f64::max);
        println!(
            "{mode:<14} {:>12.3} s {:>15.0} MB = {:.2}x file",
            seconds,
            peak,
            peak / size_mb
        );
    }
}
