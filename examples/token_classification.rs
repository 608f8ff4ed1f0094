//! Labels every token of a few texts with a token-classification model, offline.
//!
//! ```sh
//! cargo run --example token_classification [path/to/model/folder]
//! ```
//! The default folder is the tiny random BERT NER model of the test fixtures
//! (`tests/fixtures/pipeline_tokens/bert_ner`: `model.safetensors`, `config.json`, `vocab.txt`,
//! uncased), so the labels are random; point it at a fine-tuned BERT folder for real ones.
use rust_bert::pipelines::common::ModelResource;
use rust_bert::pipelines::common::ModelType;
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig, TokenClassificationModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/pipeline_tokens/bert_ner")
        });
    let config = TokenClassificationConfig::new(
        ModelType::Bert,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("vocab.txt")),
        None,
        true, // lower case (the fixture model is uncased)
        None,
        None,
        LabelAggregationOption::First,
    );
    let model = TokenClassificationModel::new(config)?;
    let input = [
        "My name is Amélie and I live in Paris.",
        "John Smith works at Acme Corporation.",
    ];

    println!("sub-word tokens, with the special tokens:");
    for token in &model.predict(&input, false, true)[0] {
        println!(
            "  {:>3} {:<8} {:<7} {:.3} {:?} {:?}",
            token.index, token.text, token.label, token.score, token.offset, token.mask
        );
    }
    println!("words (sub-tokens merged, label of the first):");
    for (text, words) in input.iter().zip(model.predict(&input, true, false)) {
        let tagged: Vec<String> = words
            .iter()
            .map(|word| format!("{}/{}", word.text, word.label))
            .collect();
        println!("  {text}\n    {}", tagged.join(" "));
    }
    Ok(())
}
