//! # GPT-J (Wang and Komatsuzaki, 2021)
//!
//! EleutherAI's 6-billion-parameter decoder: no learned positions but rotary embeddings on the
//! first `rotary_dim` dimensions of each head (pairs of adjacent dimensions rotated together),
//! attention and MLP computed in parallel from one layer norm and added to the residual
//! together, and an untied language-model head with a bias. Variables carry HF's names
//! (`transformer.h.0.attn.q_proj`, `lm_head`, ...); the GPT-2 BPE tokenizer reads its text.
//! Generation caches every layer's rotated keys and its values ([`LayerState`]).
//!
//! GPT-J 6B is 12 GB in half precision: load it with `kind: Some(Kind::BFloat16)` (or
//! `Half` on a GPU); attention scores are computed in single precision as HF does.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::gpt_j::{GptJConfigResources, GptJMergesResources, GptJVocabResources};
//! use rust_bert::pipelines::common::{ModelResource, ModelType};
//! use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
//! use rust_bert::resources::{LocalResource, RemoteResource};
//!
//! let model = TextGenerationModel::new(TextGenerationConfig {
//!     model_type: ModelType::GPTJ,
//!     model_resource: ModelResource::Torch(Box::new(LocalResource::from(
//!         std::path::PathBuf::from("gpt-j-6B-float16/model.safetensors"),
//!     ))),
//!     config_resource: Box::new(RemoteResource::from_pretrained(
//!         GptJConfigResources::GPT_J_6B_FLOAT16,
//!     )),
//!     vocab_resource: Box::new(RemoteResource::from_pretrained(
//!         GptJVocabResources::GPT_J_6B_FLOAT16,
//!     )),
//!     merges_resource: Some(Box::new(RemoteResource::from_pretrained(
//!         GptJMergesResources::GPT_J_6B_FLOAT16,
//!     ))),
//!     do_sample: false,
//!     num_beams: 1,
//!     max_length: Some(32),
//!     kind: Some(tch::Kind::BFloat16),
//!     ..Default::default()
//! })?;
//! println!("{:?}", model.generate(&["It was a very nice and sunny"], None)?);
//! # Ok(())
//! # }
//! ```
mod generator;
mod gpt_j_model;
mod transformer;

pub use crate::generation::LayerState;
pub use generator::GptJGenerator;
pub use gpt_j_model::{
    GptJConfig, GptJConfigResources, GptJLMHeadModel, GptJMergesResources, GptJModel,
    GptJModelOutput, GptJModelResources, GptJVocabResources,
};
pub use transformer::{GptJAttention, GptJBlock};
