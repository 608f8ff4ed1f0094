//! Ready-to-use pipelines and what they share.
pub mod common;

/// HF `tokenizer.json` support (rust-bert's `pipelines::hf_tokenizers` path).
#[cfg(feature = "hf-tokenizers")]
pub mod hf_tokenizers {
    pub use super::common::{HFTokenizer, SpecialTokenMap};
}
