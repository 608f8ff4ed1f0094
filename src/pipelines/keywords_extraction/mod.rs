//! # Keyword extraction pipeline
//!
//! Finds the words and phrases that best describe a text, as
//! [KeyBERT](https://github.com/MaartenGr/KeyBERT) does: the text's words and n-grams (stop words
//! left out) are candidates; a sentence-embeddings model embeds the text and every candidate; the
//! candidates are ranked by cosine similarity to the text ([`KeywordScorerType::CosineSimilarity`]),
//! with diversity ([`KeywordScorerType::MaximalMarginRelevance`]) or as the least redundant
//! set among the best ([`KeywordScorerType::MaxSum`]).
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::keywords_extraction::{
//!     KeywordExtractionConfig, KeywordExtractionModel, KeywordScorerType,
//! };
//!
//! let model = KeywordExtractionModel::new(KeywordExtractionConfig {
//!     scorer_type: KeywordScorerType::MaximalMarginRelevance,
//!     ngram_range: (1, 2),
//!     ..Default::default()
//! })?;
//! let text = "Rust is a systems programming language focused on safety and speed.";
//! for keyword in &model.predict(&[text])?[0] {
//!     println!("{} ({:.3})", keyword.text, keyword.score);
//! }
//! # Ok(())
//! # }
//! ```
mod pipeline;
mod scorer;
mod stopwords;
mod tokenizer;

pub use pipeline::{Keyword, KeywordExtractionConfig, KeywordExtractionModel, KeywordScorerType};
pub use stopwords::ENGLISH_STOPWORDS;
pub use tokenizer::StopWordsTokenizer;
