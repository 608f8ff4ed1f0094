//! Reformer: the text-generation pipeline (beam search), then the model itself, decoding by hand
//! with its cache past the LSH chunk (from there each new token is hashed and sorted among the
//! cached buckets). Offline, on the tiny random Reformer of the test fixtures (local chunks of 4,
//! LSH chunks of 8, two hashing rounds, `hash_seed` set) with its own SentencePiece model: the
//! text is random but reproducible. For the real checkpoint use
//! `ReformerModelResources::CRIME_AND_PUNISHMENT` and its siblings with
//! `RemoteResource::from_pretrained`.
//!
//! ```sh
//! cargo run --example model_reformer
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::reformer::{LayerState, ReformerConfig, ReformerModelWithLMHead};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Tensor};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reformer");

    // The pipeline: beam search, prompts kept in the output.
    let mut config = TextGenerationConfig::new(
        ModelType::Reformer,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("spiece.model")),
        None,
    );
    config.do_sample = false;
    config.num_beams = 3;
    config.max_length = Some(24);
    let pipeline = TextGenerationModel::new(config)?;
    for text in pipeline.generate(&["The children played in the", "He opened the door"], None)? {
        println!("pipeline: {text:?}");
    }

    // The model: greedy decoding by hand, one token per step with the cache.
    let config = ReformerConfig::try_from_file(dir.join("config.json"))?;
    let tokenizer = TokenizerOption::from_file(
        ModelType::Reformer,
        &dir.join("spiece.model").to_string_lossy(),
        None,
        false,
        None,
        None,
    )?;
    let vs = VarStore::new(Device::cuda_if_available());
    let model = ReformerModelWithLMHead::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;
    let prompt = "The little dog ran to the park";
    let mut generated = tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(prompt));
    let mut input = Tensor::from_slice(&generated).unsqueeze(0).to(vs.device());
    // Per layer, the normalised states of the tokens seen so far and (LSH) their buckets.
    let mut cache: Option<Vec<Option<LayerState>>> = None;
    for _ in 0..12 {
        let output =
            tch::no_grad(|| model.forward_t(Some(&input), None, None, None, None, cache, false))?;
        let next = output
            .logits
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
