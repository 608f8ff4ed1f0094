//! GPT-Neo: the text-generation pipeline (beam search), then the model itself, decoding by hand
//! with its key/value cache past the local layers' window. Offline, on the tiny random GPT-Neo of
//! the test fixtures (window of 4 tokens) with its own byte-level BPE: the text is random but
//! reproducible. For the real checkpoints use `GptNeoModelResources::GPT_NEO_125M` and its
//! siblings with `RemoteResource::from_pretrained`.
//!
//! ```sh
//! cargo run --example model_gpt_neo
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::gpt_neo::{GptNeoConfig, GptNeoForCausalLM, LayerState};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Tensor};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpt_neo");

    // The pipeline: left-padded batch, beam search, prompts kept in the output.
    let mut config = TextGenerationConfig::new(
        ModelType::GPTNeo,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("vocab.json")),
        Some(LocalResource::from(dir.join("merges.txt"))),
    );
    config.do_sample = false;
    config.num_beams = 3;
    config.max_length = Some(24);
    let pipeline = TextGenerationModel::new(config)?;
    for text in pipeline.generate(&["The children played in the", "He opened the door"], None)? {
        println!("pipeline: {text:?}");
    }

    // The model: greedy decoding by hand, one token per step with the cache.
    let config = GptNeoConfig::try_from_file(dir.join("config.json"))?;
    let tokenizer = TokenizerOption::from_file(
        ModelType::GPTNeo,
        &dir.join("vocab.json").to_string_lossy(),
        Some(&dir.join("merges.txt").to_string_lossy()),
        false,
        None,
        None,
    )?;
    let vs = VarStore::new(Device::cuda_if_available());
    let model = GptNeoForCausalLM::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;
    let prompt = "The little dog ran to the park";
    let mut generated = tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(prompt));
    let mut input = Tensor::from_slice(&generated).unsqueeze(0).to(vs.device());
    // Per layer, the keys and values of the tokens seen so far.
    let mut cache: Option<Vec<Option<LayerState>>> = None;
    for _ in 0..8 {
        let output =
            tch::no_grad(|| model.forward_t(Some(&input), None, None, None, cache, None, false))?;
        let next = output
            .lm_logits
            .get(0)
            .get(-1)
            .argmax(0, false)
            .int64_value(&[]);
        generated.push(next);
        cache = output.next_cache;
        input = Tensor::from_slice(&[next]).unsqueeze(0).to(vs.device());
    }
    println!(
        "by hand: {prompt:?} -> {:?}",
        tokenizer.decode(&generated, true, true)
    );
    Ok(())
}
