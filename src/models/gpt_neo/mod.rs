//! # GPT-Neo (Black et al., 2021)
//!
//! EleutherAI's decoder-only transformer trained on the Pile: GPT-2's layout (learned
//! positions, pre-norm layers, a language-model head tied to the token embeddings) with
//! attention that alternates, layer by layer as `attention_types` says, between global causal
//! attention and local attention over the last `window_size` tokens, and scores left unscaled.
//! Variables carry HF's names (`transformer.h.0.attn.attention.q_proj`, ...); the GPT-2 BPE
//! tokenizer (`vocab.json`, `merges.txt`) reads its text.
//!
//! Generation keeps every layer's keys and values ([`LayerState`]); a local layer masks what
//! lies outside its window, as HF does, so cached and full forwards agree.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::gpt_neo::{
//!     GptNeoConfigResources, GptNeoMergesResources, GptNeoModelResources, GptNeoVocabResources,
//! };
//! use rust_bert::pipelines::common::{ModelResource, ModelType};
//! use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
//! use rust_bert::resources::RemoteResource;
//!
//! let model = TextGenerationModel::new(TextGenerationConfig {
//!     model_type: ModelType::GPTNeo,
//!     model_resource: ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
//!         GptNeoModelResources::GPT_NEO_125M,
//!     ))),
//!     config_resource: Box::new(RemoteResource::from_pretrained(
//!         GptNeoConfigResources::GPT_NEO_125M,
//!     )),
//!     vocab_resource: Box::new(RemoteResource::from_pretrained(
//!         GptNeoVocabResources::GPT_NEO_125M,
//!     )),
//!     merges_resource: Some(Box::new(RemoteResource::from_pretrained(
//!         GptNeoMergesResources::GPT_NEO_125M,
//!     ))),
//!     do_sample: false,
//!     num_beams: 4,
//!     max_length: Some(32),
//!     ..Default::default()
//! })?;
//! for text in model.generate(&["It was a very nice and sunny"], None)? {
//!     println!("{text}");
//! }
//! # Ok(())
//! # }
//! ```
mod attention;
mod generator;
mod gpt_neo_model;

pub use attention::{GptNeoBlock, GptNeoSelfAttention};
pub use generator::GptNeoGenerator;
pub use gpt_neo_model::{
    AttentionLayerType, GptNeoConfig, GptNeoConfigResources, GptNeoForCausalLM,
    GptNeoMergesResources, GptNeoModel, GptNeoModelLMOutput, GptNeoModelOutput,
    GptNeoModelResources, GptNeoVocabResources, LayerState,
};
