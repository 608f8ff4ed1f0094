//! What every pipeline shares: the model type, its configuration ([`ConfigOption`]), its
//! tokenizer ([`TokenizerOption`]) and the weights resource ([`ModelResource`]), plus the
//! batching steps between them (truncation, overflow windows, padding, length-sorted
//! batches).
//!
//! This module keeps rust-bert's paths; the items live where the layers put them: the
//! tokenizer, model type and weights resource below the models (`crate::common`), the
//! configuration option here among the pipelines (it names every model's configuration).
pub use super::config_option::ConfigOption;
pub use crate::common::model_resource::{cast_var_store, ModelResource};
pub use crate::common::model_type::ModelType;
pub use crate::common::tokenizer::{
    length_sorted_batches, pad_sequences, Mask, Offset, OffsetSize, PaddedBatch, PaddingSide,
    TokenIdsWithOffsets, TokenizedInput, TokenizerOption, TokensWithOffsets, TruncationStrategy,
};
#[cfg(feature = "hf-tokenizers")]
pub use crate::common::tokenizer::{HFTokenizer, SpecialTokenMap};
