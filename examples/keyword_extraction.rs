//! Keyword extraction, offline, with all-MiniLM-L6-v2 and each of KeyBERT's rankings.
//!
//! ```sh
//! cargo run --release --example keyword_extraction [path/to/all-MiniLM-L6-v2]
//! ```
//! `keyword_extraction_remote` runs the default configuration (the same model, downloaded).
use rust_bert::pipelines::keywords_extraction::{
    KeywordExtractionConfig, KeywordExtractionModel, KeywordScorerType,
};
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use rust_bert::RustBertError;
use std::path::PathBuf;
use tch::Device;

fn main() -> Result<(), RustBertError> {
    let minilm = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/models/all-MiniLM-L6-v2")
        });
    let text = "Rust is a multi-paradigm, general-purpose programming language. Rust emphasizes \
                performance, type safety, and concurrency. Rust enforces memory safety—that is, \
                that all references point to valid memory—without requiring the use of a garbage \
                collector or reference counting present in other memory-safe languages.";

    for (scorer_type, ngram_range) in [
        (KeywordScorerType::CosineSimilarity, (1, 1)),
        (KeywordScorerType::MaximalMarginRelevance, (1, 2)),
        (KeywordScorerType::MaxSum, (1, 2)),
    ] {
        let sentence_embeddings_config = SentenceEmbeddingsBuilder::local(&minilm)
            .with_device(Device::cuda_if_available())
            .into_config()?;
        let model = KeywordExtractionModel::new(KeywordExtractionConfig {
            sentence_embeddings_config,
            tokenizer_stopwords: None,
            tokenizer_pattern: None,
            tokenizer_forbidden_ngram_chars: None,
            scorer_type,
            ngram_range,
            num_keywords: 5,
            diversity: Some(0.5),
            max_sum_candidates: None,
        })?;
        let keywords = model.predict(&[text])?;
        println!("{scorer_type:?}, n-grams {ngram_range:?}:");
        for keyword in &keywords[0] {
            println!(
                "  {:.4}  {:?} ({} occurrence(s))",
                keyword.score,
                keyword.text,
                keyword.offsets.len()
            );
        }
    }
    Ok(())
}
