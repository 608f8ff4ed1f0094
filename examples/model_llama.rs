//! The decoder LLM stack (Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma 2): each family's folder
//! (`config.json`, weights, `tokenizer.json`) runs through the text-generation pipeline, greedy
//! and with beam search. Offline, on the tiny random models of the test fixtures (their text is
//! random but reproducible); a real folder (e.g. a downloaded Qwen2.5 or Llama 3.2) works the
//! same way with its own files (sharded `model.safetensors.index.json` included).
//!
//! ```sh
//! cargo run --example model_llama
//! ```
use rust_bert::generation::GenerateOptions;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;
use tch::Device;

fn main() -> Result<(), RustBertError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llama");
    let tokenizer = root.join("tokenizer/tokenizer.json");
    for (folder, model_type) in [
        ("llama", ModelType::Llama),
        ("llama_yarn", ModelType::Llama),
        ("mistral", ModelType::Mistral),
        ("qwen2", ModelType::Qwen2),
        ("qwen3", ModelType::Qwen3),
        ("phi3", ModelType::Phi3),
        ("gemma2", ModelType::Gemma2),
    ] {
        let dir = root.join(folder);
        let index = dir.join("model.safetensors.index.json");
        let weights = if index.is_file() {
            index
        } else {
            dir.join("model.safetensors")
        };
        let mut config = TextGenerationConfig::new(
            model_type,
            ModelResource::Torch(Box::new(LocalResource::from(weights))),
            LocalResource::from(dir.join("config.json")),
            LocalResource::from(tokenizer.clone()),
            None,
        );
        config.do_sample = false;
        config.device = Device::cuda_if_available();
        let model = TextGenerationModel::new(config)?;
        for beams in [1, 3] {
            let options = GenerateOptions {
                max_new_tokens: Some(8),
                num_beams: Some(beams),
                ..Default::default()
            };
            let texts =
                model.generate_with_options(&["The little dog", "Hello"], None, Some(options))?;
            println!("{folder} (beams {beams}): {texts:?}");
        }
    }
    Ok(())
}
