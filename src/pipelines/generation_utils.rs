//! rust-bert's path to the text generation engine: everything here is
//! [`crate::generation`], re-exported so that `rust_bert::pipelines::generation_utils::{...}`
//! keeps working. See [`crate::generation`] for the documentation.
pub use crate::generation::{
    default_model, logits_processor, Cache, DecoderCache, GenerateConfig, GenerateOptions,
    GeneratedIndicesOutput, GeneratedTextOutput, GeneratedToken, LMModelOutput, LanguageGenerator,
    LanguageModelGenerator, LayerState, MemoryState, ModelDefaults, PrefixAllowedFunction,
    SamplingDefaults, StepInput, TokenCallback,
};
