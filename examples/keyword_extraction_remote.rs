//! Keyword extraction with the default configuration: all-MiniLM-L6-v2 downloaded from the Hugging
//! Face hub on first use into `RUSTBERT_CACHE` (default `~/.cache/.rustbert`), 5 single-word
//! keywords ranked by cosine similarity. Needs the network (or a filled cache); not run in CI.
//!
//! ```sh
//! cargo run --release --example keyword_extraction_remote
//! ```
use rust_bert::pipelines::keywords_extraction::{KeywordExtractionConfig, KeywordExtractionModel};
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let model = KeywordExtractionModel::new(KeywordExtractionConfig::default())?;
    let texts = [
        "Rust is a multi-paradigm, general-purpose programming language. Rust emphasizes \
         performance, type safety, and concurrency.",
        "Photosynthesis is the process by which green plants convert light energy into chemical \
         energy stored in glucose.",
    ];
    for (text, keywords) in texts.iter().zip(model.predict(&texts)?) {
        println!("{text:?}");
        for keyword in keywords {
            println!("  {:.4}  {}", keyword.score, keyword.text);
        }
    }
    Ok(())
}
