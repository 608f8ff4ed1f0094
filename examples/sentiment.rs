//! Sentiment analysis, offline, on the tiny random DistilBERT classifier of the test fixtures
//! (labels NEGATIVE / POSITIVE as SST-2's; its predictions are random but reproducible).
//!
//! ```sh
//! cargo run --example sentiment
//! ```
//! `sentiment_remote` runs the real default model (DistilBERT fine-tuned on SST-2).
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::sentiment::{SentimentConfig, SentimentModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_classification");
    let config = SentimentConfig::new(
        ModelType::DistilBert,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("distilbert/model.safetensors"),
        ))),
        LocalResource::from(dir.join("distilbert/config.json")),
        LocalResource::from(dir.join("vocab.txt")),
        None,
        true,
        None,
        None,
    );
    let model = SentimentModel::new(config)?;
    let texts = [
        "I love this movie, it was great!",
        "This film was terrible and boring.",
        "What a wonderful day at the park with my friends.",
        "The food was cold and the service was slow.",
    ];
    for (text, sentiment) in texts.iter().zip(model.predict(texts)) {
        println!("{:?} {:.4}  {text:?}", sentiment.polarity, sentiment.score);
    }
    Ok(())
}
