//! # LongT5 (Guo et al., 2021)
//!
//! T5 for long inputs: the encoder's self-attention is local (each token sees the tokens within
//! `local_radius` positions, computed block by block, so memory grows linearly with the input)
//! or transient-global (local attention plus one summary token per `global_block_size` tokens,
//! built on the fly from the block sums and seen by every token), chosen by
//! `encoder_attention_type`. The decoder, the feed-forward blocks, the RMS norms and the
//! relative position buckets are T5's, shared with [`crate::t5`]. Variables carry HF's names
//! (`encoder.block.0.layer.0.TransientGlobalSelfAttention.q.weight`, ...).
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::longt5::LongT5Generator;
//! use rust_bert::pipelines::common::ModelType;
//! use rust_bert::pipelines::generation_utils::{GenerateConfig, LanguageGenerator};
//!
//! let generator = LongT5Generator::new(GenerateConfig {
//!     model_type: ModelType::LongT5,
//!     ..Default::default()
//! })?;
//! let output = generator.generate(Some(&["A very long book chapter ..."]), None)?;
//! println!("{}", output[0].text);
//! # Ok(())
//! # }
//! ```
mod longt5_model;

pub use crate::generation::LayerState;
pub use longt5_model::{
    EncoderAttentionType, LongT5Config, LongT5ConfigResources, LongT5ForConditionalGeneration,
    LongT5Generator, LongT5Model, LongT5ModelOutput, LongT5ModelResources, LongT5VocabResources,
};
