//! # The text generation engine
//!
//! Greedy decoding, beam search (with length penalty, early stopping and diverse groups),
//! sampling (temperature, top-k, top-p, min-p, typical-p) and the usual constraints
//! (repetition penalty, no-repeat n-grams, bad words, allowed-prefix function, forced first and
//! last tokens, minimum and maximum lengths) for every generative model of the crate. A model
//! gets all of it by implementing the crate-private `PrivateLanguageGenerator` (one forward
//! step with a cache, plus its special tokens); the public [`LanguageGenerator`] trait is then
//! implemented for it.
//!
//! The semantics are HF Transformers' `generate` (5.x): same processors in the same order, the
//! same vectorised beam search (length penalty over the generated length, HF's early-stopping
//! heuristic), left-padded batches with position ids from the attention mask. Outputs are
//! token-identical to HF's on the parity fixtures.
//!
//! [`GenerateConfig`] keeps rust-bert 0.23's fields (it is built with struct literals);
//! per-call [`GenerateOptions`] override it and add what rust-bert lacked: `max_new_tokens`
//! precedence rules, a streaming callback, stop strings, `min_p`, `typical_p`, explicit
//! end-of-sequence ids and a forced last token.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::gpt2::GPT2Generator;
//! use rust_bert::generation::{
//!     GenerateConfig, GenerateOptions, LanguageGenerator,
//! };
//!
//! let generator = GPT2Generator::new(GenerateConfig {
//!     do_sample: false,
//!     num_beams: 3,
//!     ..Default::default()
//! })?;
//! let options = GenerateOptions {
//!     max_new_tokens: Some(20),
//!     output_scores: true,
//!     ..Default::default()
//! };
//! for output in generator.generate(Some(&["The dog", "The cat was"]), Some(options))? {
//!     println!("{} ({:?})", output.text, output.score);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Layout
//! The engine sits below the models and names none of them: [`Cache`] holds the cache layouts
//! the models fill in (per-model names such as `bart::LayerState` or `xlnet::LayerState` are
//! re-exports of the layouts here), a model plugs in by implementing `GenerativeModel` (one
//! forward step), and [`LanguageModelGenerator`] turns it into a [`LanguageGenerator`].
//! rust-bert's path `rust_bert::pipelines::generation_utils` re-exports this module.
//!
//! - `cache`: [`Cache`], [`LayerState`], [`MemoryState`], [`LMModelOutput`];
//! - `config`: [`GenerateConfig`], [`GenerateOptions`], the outputs;
//! - `language_generator`: the traits and [`StepInput`];
//! - `generator`: [`LanguageModelGenerator`];
//! - `search`: greedy, sampling, beam and group-beam loops;
//! - [`logits_processor`]: the score processors, in HF's order.
mod cache;
mod config;
mod generator;
mod language_generator;
pub mod logits_processor;
mod search;

pub(crate) use cache::{cached_length, decoder_states};
pub use cache::{
    BucketState, Cache, DecoderCache, KeyValueState, LMModelOutput, LayerState, MemoryState,
};
pub(crate) use config::impl_into_generate_config;
pub use config::{
    default_model, GenerateConfig, GenerateOptions, GeneratedIndicesOutput, GeneratedTextOutput,
    GeneratedToken, ModelDefaults, PrefixAllowedFunction, SamplingDefaults, TokenCallback,
};
pub use generator::LanguageModelGenerator;
pub(crate) use generator::{generator_constructors, GeneratorSpecials};
pub(crate) use language_generator::private_generation_utils;
pub(crate) use language_generator::PrivateLanguageGenerator;
pub(crate) use language_generator::{left_pad, right_pad};
pub use language_generator::{LanguageGenerator, StepInput};
