//! What the generation benches with Python twins share: where their synthetic checkpoints go,
//! the thread count both sides run with, and a greedy `GenerateConfig` without constraints.
// Each bench includes this file as its own module and uses only part of it.
#![allow(dead_code)]
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateConfig, ModelDefaults};
use rust_bert::resources::LocalResource;
use std::path::{Path, PathBuf};
use tch::{Device, Kind};

/// Folder of the checkpoints the benches write (gigabytes, written once and reused):
/// `BENCH_MODELS_DIR`, else `target/bench_models` in the crate. The Python twins read the same
/// folder (utils/bench_*.sh pass it on).
pub fn models_dir() -> PathBuf {
    std::env::var_os("BENCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench_models"))
}

/// Sets LibTorch's intra-op thread count to `BENCH_THREADS` (default 2, the twins' default
/// too) so both sides use the same number of cores, and returns it.
pub fn set_threads() -> i32 {
    let threads = std::env::var("BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    tch::set_num_threads(threads);
    threads
}

/// Greedy decoding with every processor off (HF's `generate` defaults: no n-gram ban, no
/// penalties), on the CPU in `kind`, for the model files in `dir`.
pub fn greedy_config(
    model_type: ModelType,
    weights: &Path,
    config: &Path,
    vocab: &Path,
    kind: Option<Kind>,
) -> GenerateConfig {
    GenerateConfig {
        model_type,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(weights.to_path_buf()))),
        config_resource: Box::new(LocalResource::from(config.to_path_buf())),
        vocab_resource: Box::new(LocalResource::from(vocab.to_path_buf())),
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
        // Every setting above is explicit, as the twins pass them to HF's generate.
        model_defaults: ModelDefaults::Ignore,
    }
}
