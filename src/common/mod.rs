//! Building blocks shared by every model.
pub mod activations;
pub mod chat_template;
pub mod config;
pub mod error;
pub(crate) mod few_rows;
pub mod gguf;
pub mod kind;
pub mod language;
pub mod layers;
pub mod model_resource;
pub mod model_type;
pub mod quantize;
pub mod resources;
pub mod tokenizer;
mod torch_pickle;
pub(crate) mod twin;
pub mod weights;
