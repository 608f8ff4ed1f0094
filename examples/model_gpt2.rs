//! GPT-2 at the model level: one forward pass for the next-token distribution, then
//! incremental decoding with the key/value cache (`Cache::GPT2Cache`) that generation uses.
//! OpenAI GPT is the same with `OpenAIGPTLMHeadModel` (no cache). Offline, on the tiny random
//! GPT-2 of the test fixtures with its own byte-level BPE (its text is random but reproducible).
//!
//! ```sh
//! cargo run --example model_gpt2
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::generation::Cache;
use rust_bert::gpt2::{GPT2LMHeadModel, Gpt2Config};
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Tensor};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generation/gpt2");
    let config = Gpt2Config::try_from_file(dir.join("config.json"))?;
    let tokenizer = TokenizerOption::from_file(
        ModelType::GPT2,
        &dir.join("vocab.json").to_string_lossy(),
        Some(&dir.join("merges.txt").to_string_lossy()),
        false,
        None,
        None,
    )?;
    let vs = VarStore::new(Device::cuda_if_available());
    let model = GPT2LMHeadModel::new(vs.root(), &config);
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;

    let prompt = "The little dog ran to the park";
    let ids = tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(prompt));
    let mut generated = ids.clone();
    let mut input = Tensor::from_slice(&ids).unsqueeze(0).to(vs.device());
    // The key/value tensors of the tokens seen so far, one per layer (rust-bert's `layer_past`).
    let mut past: Option<Vec<Tensor>> = None;
    // Greedy decoding by hand: the prompt once, then one token per step with the cache.
    for _ in 0..8 {
        let output = tch::no_grad(|| {
            model.forward_t(Some(&input), past.as_ref(), None, None, None, None, false)
        })?;
        let next = output
            .lm_logits
            .get(0)
            .get(-1)
            .argmax(0, false)
            .int64_value(&[]);
        generated.push(next);
        past = match output.cache {
            Cache::GPT2Cache(layers) => layers,
            _ => None,
        };
        input = Tensor::from_slice(&[next]).unsqueeze(0).to(vs.device());
    }
    println!(
        "{prompt:?} -> {:?}",
        tokenizer.decode(&generated, true, true)
    );
    Ok(())
}
