//! # Reformer: The Efficient Transformer (Kitaev, Kaiser and Levskaya, 2020)
//!
//! A decoder built for long sequences: locality-sensitive-hashing attention (queries and keys
//! shared, hashed by random rotations into buckets; tokens sorted by bucket attend within
//! chunks of that order and the chunk before), local attention over chunks, axial
//! (factorised) position embeddings, and reversible residual layers whose two streams are
//! concatenated at the end. Variables carry HF's names (`reformer.encoder.layers.0.attention.
//! self_attention.query_key`, ...); a SentencePiece model (`spiece.model`) reads its text.
//!
//! The LSH rotations are drawn from LibTorch's global generator; with `hash_seed` set it is
//! seeded first, exactly as HF seeds PyTorch's, so outputs (and the sampling draws that
//! follow) equal HF's. Inputs longer than a chunk are padded to a multiple of the chunk
//! lengths, as HF does. Generation caches each layer's normalised input states and LSH
//! buckets ([`LayerState`]).
//!
//! One HF behaviour is kept on purpose for identical outputs: once a cached LSH step sorts the
//! new token among cached buckets (the sequence past one LSH chunk), HF gathers the states of
//! the token's chunk from batch row 0 for every row (its per-row offset is always zero). Rows
//! other than the first (other prompts, other beams) then depend on the first, in HF and here.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::common::{ModelResource, ModelType};
//! use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
//! use rust_bert::reformer::{
//!     ReformerConfigResources, ReformerModelResources, ReformerVocabResources,
//! };
//! use rust_bert::resources::RemoteResource;
//!
//! let model = TextGenerationModel::new(TextGenerationConfig {
//!     model_type: ModelType::Reformer,
//!     model_resource: ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
//!         ReformerModelResources::CRIME_AND_PUNISHMENT,
//!     ))),
//!     config_resource: Box::new(RemoteResource::from_pretrained(
//!         ReformerConfigResources::CRIME_AND_PUNISHMENT,
//!     )),
//!     vocab_resource: Box::new(RemoteResource::from_pretrained(
//!         ReformerVocabResources::CRIME_AND_PUNISHMENT,
//!     )),
//!     merges_resource: None,
//!     do_sample: false,
//!     num_beams: 3,
//!     max_length: Some(100),
//!     ..Default::default()
//! })?;
//! for text in model.generate(&["The really great men must, I think,"], None)? {
//!     println!("{text}");
//! }
//! # Ok(())
//! # }
//! ```
mod attention;
mod config;
mod embeddings;
mod encoder;
mod generator;
mod reformer_model;

pub use config::{
    AttentionType, ReformerConfig, ReformerConfigResources, ReformerModelResources,
    ReformerVocabResources,
};
pub use encoder::{LayerState, ReformerModelOutput};
pub use generator::ReformerGenerator;
pub use reformer_model::{
    ReformerClassificationHead, ReformerClassificationOutput, ReformerForQuestionAnswering,
    ReformerForSequenceClassification, ReformerLMModelOutput, ReformerModel,
    ReformerModelWithLMHead, ReformerQuestionAnsweringModelOutput,
};
