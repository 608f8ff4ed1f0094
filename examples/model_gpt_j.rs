//! GPT-J: the text-generation pipeline (greedy), then the model itself, decoding by hand with
//! its key/value cache (`Cache::GPTJCache`), in bfloat16 as GPT-J 6B would run on a CPU.
//! Offline, on the tiny random GPT-J of the test fixtures with its own byte-level BPE: the text
//! is random but reproducible. For the real checkpoint use `GptJConfigResources::
//! GPT_J_6B_FLOAT16` and its siblings, and the weights as a local resource.
//!
//! ```sh
//! cargo run --example model_gpt_j
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::gpt_j::{GptJConfig, GptJLMHeadModel};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::Cache;
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpt_j");

    // The pipeline: left-padded batch, greedy search, prompts kept in the output.
    let mut config = TextGenerationConfig::new(
        ModelType::GPTJ,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("vocab.json")),
        Some(LocalResource::from(dir.join("merges.txt"))),
    );
    config.do_sample = false;
    config.num_beams = 1;
    config.max_length = Some(20);
    let pipeline = TextGenerationModel::new(config)?;
    for text in pipeline.generate(&["The children played in the", "He opened the door"], None)? {
        println!("pipeline: {text:?}");
    }

    // The model in bfloat16: greedy decoding by hand, one token per step with the cache.
    let config = GptJConfig::try_from_file(dir.join("config.json"))?;
    let tokenizer = TokenizerOption::from_file(
        ModelType::GPTJ,
        &dir.join("vocab.json").to_string_lossy(),
        Some(&dir.join("merges.txt").to_string_lossy()),
        false,
        None,
        None,
    )?;
    let mut vs = VarStore::new(Device::Cpu);
    let model = GptJLMHeadModel::try_new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;
    vs.bfloat16();
    let prompt = "The little dog ran to the park";
    let mut generated = tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(prompt));
    let mut input = Tensor::from_slice(&generated).unsqueeze(0);
    let mut cache = Cache::None;
    for _ in 0..8 {
        let output = tch::no_grad(|| {
            model.forward_t(
                Some(&input),
                cache,
                None,
                None,
                None,
                None,
                None,
                None,
                false,
            )
        })?;
        let next = output
            .lm_logits
            .get(0)
            .get(-1)
            .to_kind(Kind::Float)
            .argmax(0, false)
            .int64_value(&[]);
        generated.push(next);
        cache = output.cache;
        input = Tensor::from_slice(&[next]).unsqueeze(0);
    }
    println!(
        "by hand (bf16): {prompt:?} -> {:?}",
        tokenizer.decode(&generated, true, true)
    );
    Ok(())
}
