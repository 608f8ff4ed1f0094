//! Named entity recognition with the default model: dbmdz/bert-large-cased-finetuned-conll03-
//! english, downloaded from the hub once into `RUSTBERT_CACHE` (about 1.3 GB). Needs network
//! access the first time; not run in CI.
//!
//! ```sh
//! cargo run --release --example ner_remote
//! ```
use rust_bert::pipelines::ner::{NERConfig, NERModel};
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let config = NERConfig::default();
    let model = NERModel::new(config)?;
    let input = [
        "My name is Amélie. I live in Paris.",
        "Paris is a city in France.",
        "Asked John Smith about Acme Corp.",
    ];
    for (text, entities) in input.iter().zip(model.predict_full_entities(&input)) {
        println!("{text}");
        for entity in entities {
            println!(
                "  {:<12} {:<5} {:.3} {}..{}",
                entity.word, entity.label, entity.score, entity.offset.begin, entity.offset.end
            );
        }
    }
    Ok(())
}
