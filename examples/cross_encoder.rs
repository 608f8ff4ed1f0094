//! Reranking with a cross-encoder (sentence-transformers' `CrossEncoder`): each passage is read
//! together with the query and scored, then the passages are sorted by score. Offline, on the
//! tiny random MPNet reranker of the test fixtures (its scores are random but reproducible); a
//! real reranker such as cross-encoder/ms-marco-MiniLM-L6-v2 (a BERT) loads the same way.
//!
//! ```sh
//! cargo run --example cross_encoder
//! ```
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::cross_encoder::{CrossEncoderConfig, CrossEncoderModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cross_encoder");
    let mut config = CrossEncoderConfig::new(
        ModelType::MPNet,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("mpnet/model.safetensors"),
        ))),
        LocalResource::from(dir.join("mpnet/config.json")),
        LocalResource::from(dir.join("vocab.txt")),
        None,
        true,
    );
    config.max_length = Some(64);
    let model = CrossEncoderModel::new(config)?;

    let query = "how many people live in berlin?";
    let passages = [
        "Berlin had a population of 3,520,031 registered inhabitants.",
        "Paris is the capital and most populous city of France.",
        "The museum island in Berlin holds five museums.",
        "Boil the pasta in salted water until it is al dente.",
    ];
    println!("query: {query}");
    for (rank, (index, score)) in model.rank(query, &passages, Some(3))?.iter().enumerate() {
        println!("{}. {score:.4}  {}", rank + 1, passages[*index]);
    }

    // Scores of arbitrary pairs, in input order.
    let pairs = [
        ("a man is eating food", "a man is eating a piece of bread"),
        ("a man is eating food", "a monkey is playing drums"),
    ];
    for ((a, b), score) in pairs.iter().zip(model.predict(&pairs)?) {
        println!("{score:.4}  {a:?} / {b:?}");
    }
    Ok(())
}
