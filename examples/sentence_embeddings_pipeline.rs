//! Semantic search with the sentence-embeddings pipeline, offline: all-MiniLM-L6-v2 embeds a small
//! corpus and a few queries, and each query gets its closest corpus sentences. Then the same
//! pipeline on a tiny random sentence-transformers folder of the test fixtures (CLS pooling, a
//! Dense layer with tanh, normalisation), to show a Dense module and `encode_with_attention`.
//!
//! ```sh
//! cargo run --release --example sentence_embeddings_pipeline [path/to/all-MiniLM-L6-v2]
//! ```
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use rust_bert::RustBertError;
use std::path::PathBuf;
use tch::{Device, Kind};

fn main() -> Result<(), RustBertError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let minilm = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv/models/all-MiniLM-L6-v2"));
    let model = SentenceEmbeddingsBuilder::local(minilm)
        .with_device(Device::cuda_if_available())
        .create_model()?;

    let corpus = [
        "A man is eating food.",
        "A man is riding a horse.",
        "The girl is carrying a baby.",
        "Two men pushed carts through the woods.",
        "A monkey is playing drums.",
        "Someone in a gorilla costume is playing a set of drums.",
        "The new movie is awesome.",
        "The stock market crashed today.",
    ];
    let queries = [
        "A man is eating pasta.",
        "A cheetah chases prey on a plain.",
        "Investors lost money.",
    ];
    // Normalized embeddings as tensors: one matrix product gives every cosine similarity.
    let corpus_embeddings = model.encode_as_tensor(&corpus)?.embeddings;
    let query_embeddings = model.encode_as_tensor(&queries)?.embeddings;
    let scores = query_embeddings
        .matmul(&corpus_embeddings.tr())
        .to_kind(Kind::Float)
        .to(Device::Cpu);
    println!(
        "all-MiniLM-L6-v2 ({} dimensions): semantic search",
        model.get_embedding_dim()?
    );
    for (q, query) in queries.iter().enumerate() {
        let (top_scores, top_indices) = scores.get(q as i64).topk(2, 0, true, true);
        println!("{query:?}");
        for rank in 0..2 {
            let index = top_indices.int64_value(&[rank]) as usize;
            let score = top_scores.double_value(&[rank]);
            println!("  {score:.4}  {:?}", corpus[index]);
        }
    }

    // A sentence-transformers folder with a Dense module, whose transformer outputs attentions.
    let tiny = SentenceEmbeddingsBuilder::local(
        root.join("tests/fixtures/pipeline_embeddings/st/bert_cls_dense"),
    )
    .with_device(Device::Cpu)
    .create_model()?;
    let (embeddings, attentions) = tiny.encode_with_attention(&["The cat sat on the mat."])?;
    println!(
        "tiny random model (CLS pooling, Dense 32 -> 16, tanh, normalized): {} dimensions, \
         {} layers x {} heads of {}x{} attention",
        embeddings[0].len(),
        attentions[0].len(),
        attentions[0][0].len(),
        attentions[0][0][0].len(),
        attentions[0][0][0][0].len()
    );
    Ok(())
}
