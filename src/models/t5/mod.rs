//! # T5 (Raffel et al., 2019)
//!
//! Text-to-text encoder-decoder transformer: pre-normed blocks with RMS layer norms, linear
//! layers without biases, no position embeddings but a relative position bias (bucketed
//! distances) computed by the first block of each stack and shared by the others. T5 v1.1 and
//! flan-T5 use a gated-GELU feed-forward and a separate LM head (`tie_word_embeddings:
//! false`); T5 scales the decoder output by `d_model^-0.5` before its tied head. Tasks are
//! chosen by a text prefix (`summarize: `, `translate English to German: `).
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::generation_utils::{GenerateConfig, LanguageGenerator};
//! use rust_bert::t5::T5Generator;
//!
//! let generator = T5Generator::new(GenerateConfig {
//!     model_type: rust_bert::pipelines::common::ModelType::T5,
//!     ..Default::default()
//! })?;
//! let output = generator.generate(Some(&["translate English to German: Hello!"]), None)?;
//! println!("{}", output[0].text);
//! # Ok(())
//! # }
//! ```
mod generator;
mod long_attention;
mod t5_model;

pub use crate::common::layers::StackOutputs;
pub use crate::generation::{DecoderCache, LayerState};
pub(crate) use generator::t5_specials;
pub use generator::T5Generator;
pub(crate) use t5_model::EncoderAttention;
pub use t5_model::{
    relative_position_bucket, T5Attention, T5Block, T5Config, T5ConfigResources,
    T5ForConditionalGeneration, T5ForSentenceEmbeddings, T5LayerNorm, T5Model, T5ModelOutput,
    T5ModelResources, T5Stack, T5VocabResources,
};
