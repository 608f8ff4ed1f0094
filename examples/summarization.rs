//! Summarization, offline, on the tiny random BART of the test fixtures (its summaries are
//! gibberish but reproducible), with BART-CNN-like settings scaled down.
//!
//! ```sh
//! cargo run --example summarization
//! ```
//! `summarization_remote` runs bart-large-cnn.
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bart");
    let mut config = SummarizationConfig::new(
        ModelType::Bart,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("vocab.json")),
        Some(LocalResource::from(dir.join("merges.txt"))),
    );
    config.device = tch::Device::Cpu;
    config.min_length = 8;
    config.max_length = Some(24);
    let model = SummarizationModel::new(config)?;
    let texts = [
        "The city council voted on Monday to build a new bridge over the river. The mayor said \
         the bridge would open next year and cost about ten million dollars.",
        "Heavy rain caused flooding in several towns on Tuesday. Hundreds of people were moved \
         from their homes.",
    ];
    for (text, summary) in texts.iter().zip(model.summarize(&texts)?) {
        println!("{summary:?}  <-  {:.40}...", text);
    }
    Ok(())
}
