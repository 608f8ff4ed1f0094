//! Ready-to-use pipelines and what they share.
pub mod chat;
pub mod common;
mod config_option;
pub mod conversation;
pub mod cross_encoder;
pub mod generation_utils;
pub mod keywords_extraction;
pub mod masked_language;
pub mod ner;
pub mod pos_tagging;
pub mod question_answering;
pub mod sentence_embeddings;
pub mod sentiment;
pub mod sequence_classification;
pub mod summarization;
pub mod text_generation;
pub mod token_classification;
pub mod translation;
mod unpadded;
pub mod zero_shot_classification;

/// HF `tokenizer.json` support (rust-bert's `pipelines::hf_tokenizers` path).
#[cfg(feature = "hf-tokenizers")]
pub mod hf_tokenizers {
    pub use super::common::{HFTokenizer, SpecialTokenMap};
}
