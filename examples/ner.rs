//! Named entity recognition on a few texts, offline.
//!
//! ```sh
//! cargo run --example ner [path/to/model/folder]
//! ```
//! The default folder is the tiny random BERT NER model of the test fixtures
//! (`tests/fixtures/pipeline_tokens/bert_ner`, uncased, CoNLL-03 labels), so the entities are
//! random; `examples/ner_remote.rs` runs the real default model from the hub.
use rust_bert::pipelines::common::ModelResource;
use rust_bert::pipelines::common::ModelType;
use rust_bert::pipelines::ner::NERModel;
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig,
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
        true,
        None,
        None,
        LabelAggregationOption::First,
    );
    let model = NERModel::new(config)?;
    let input = [
        "My name is Amélie and I live in Paris.",
        "John Smith works at Acme Corporation in New York City.",
    ];
    for (text, (words, entities)) in input.iter().zip(
        model
            .predict(&input)
            .into_iter()
            .zip(model.predict_full_entities(&input)),
    ) {
        println!("{text}");
        for word in words {
            println!(
                "  word   {:<14} {:<7} {:.3} {}..{}",
                word.word, word.label, word.score, word.offset.begin, word.offset.end
            );
        }
        for entity in entities {
            println!(
                "  entity {:<14} {:<7} {:.3} {}..{}",
                entity.word, entity.label, entity.score, entity.offset.begin, entity.offset.end
            );
        }
    }
    Ok(())
}
