//! Text generation, offline, on the tiny random GPT-2 of the test fixtures (its continuations
//! are gibberish but reproducible): greedy, beam search, then sampling under a seed, and the
//! same generation streamed token by token.
//!
//! ```sh
//! cargo run --example text_generation
//! ```
//! `text_generation_remote` runs GPT-2 (124M).
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateOptions, GeneratedToken};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::io::Write;
use std::path::PathBuf;

fn config() -> TextGenerationConfig {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generation/gpt2");
    let mut config = TextGenerationConfig::new(
        ModelType::GPT2,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("vocab.json")),
        Some(LocalResource::from(dir.join("merges.txt"))),
    );
    config.device = tch::Device::Cpu;
    config.max_length = Some(24);
    config
}

fn main() -> Result<(), RustBertError> {
    let prompts = ["The dog", "The cat was sitting on"];

    let greedy = TextGenerationModel::new(TextGenerationConfig {
        do_sample: false,
        num_beams: 1,
        ..config()
    })?;
    for text in greedy.generate(&prompts, None)? {
        println!("greedy:  {text:?}");
    }

    let beams = TextGenerationModel::new(TextGenerationConfig {
        do_sample: false,
        num_beams: 3,
        num_return_sequences: 2,
        no_repeat_ngram_size: 2,
        ..config()
    })?;
    for text in beams.generate(&prompts, None)? {
        println!("beam:    {text:?}");
    }

    tch::manual_seed(42);
    let sampler = TextGenerationModel::new(TextGenerationConfig {
        do_sample: true,
        num_beams: 1,
        top_k: 20,
        top_p: 0.9,
        temperature: 0.8,
        ..config()
    })?;
    for text in sampler.generate(&prompts, None)? {
        println!("sampled: {text:?}");
    }

    print!("streamed token ids:");
    let print_token = |token: &GeneratedToken| {
        print!(" {}", token.token_id);
        let _ = std::io::stdout().flush();
        true
    };
    let options = GenerateOptions {
        do_sample: Some(false),
        max_new_tokens: Some(8),
        token_callback: Some(&print_token),
        ..Default::default()
    };
    let text = greedy.generate_with_options(&["The dog"], None, Some(options))?;
    println!("\nstreamed: {:?}", text[0]);
    Ok(())
}
