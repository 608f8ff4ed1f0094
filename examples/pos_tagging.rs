//! Part-of-speech tags for a few texts, offline.
//!
//! ```sh
//! cargo run --example pos_tagging [path/to/model/folder [path/to/vocab.txt]]
//! ```
//! The default is the tiny random BERT POS model of the test fixtures
//! (`tests/fixtures/pipeline_tokens/bert_pos` with the uncased vocabulary of `bert_ner`), so the
//! tags are random. rust-bert's default POS model is MobileBERT, which this crate does not
//! implement yet (`POSModel::new(POSConfig::default())` says so).
use rust_bert::pipelines::common::ModelResource;
use rust_bert::pipelines::common::ModelType;
use rust_bert::pipelines::pos_tagging::{POSConfig, POSModel};
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_tokens");
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| fixtures.join("bert_pos"));
    let vocab = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| fixtures.join("bert_ner/vocab.txt"));
    let config = POSConfig::from(TokenClassificationConfig::new(
        ModelType::Bert,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(vocab),
        None,
        true,
        None,
        None,
        LabelAggregationOption::First,
    ));
    let model = POSModel::new(config)?;
    let input = [
        "My name is Amélie. How are you?",
        "The quick brown fox jumps over the lazy dog!",
    ];
    for (text, tags) in input.iter().zip(model.predict(&input)) {
        let tagged: Vec<String> = tags
            .iter()
            .map(|tag| format!("{}/{} ({:.2})", tag.word, tag.label, tag.score))
            .collect();
        println!("{text}\n  {}", tagged.join(" "));
    }
    Ok(())
}
