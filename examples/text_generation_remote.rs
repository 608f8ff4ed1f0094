//! Text generation with GPT-2 (124M), downloaded on first use: beam search with no repeated
//! trigrams, then nucleus sampling.
//!
//! ```sh
//! cargo run --example text_generation_remote
//! ```
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let prompts = ["The dog", "The cat was"];
    let beams = TextGenerationModel::new(TextGenerationConfig {
        max_length: Some(40),
        do_sample: false,
        num_beams: 5,
        no_repeat_ngram_size: 3,
        ..Default::default()
    })?;
    for text in beams.generate(&prompts, None)? {
        println!("beam search: {text:?}");
    }
    let sampler = TextGenerationModel::new(TextGenerationConfig {
        max_length: Some(40),
        do_sample: true,
        num_beams: 1,
        top_p: 0.9,
        num_return_sequences: 2,
        ..Default::default()
    })?;
    for text in sampler.generate(&prompts, None)? {
        println!("sampled: {text:?}");
    }
    Ok(())
}
