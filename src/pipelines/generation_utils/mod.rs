//! # Text generation engine
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
//! use rust_bert::pipelines::generation_utils::{
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
mod generator;
pub mod logits_processor;
mod search;

pub(crate) use generator::GeneratorSpecials;
pub use generator::LanguageModelGenerator;

pub use crate::generation::{Cache, LMModelOutput};
use crate::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use crate::resources::ResourceProvider;
use crate::RustBertError;
#[cfg(feature = "remote")]
use crate::{
    gpt2::{Gpt2ConfigResources, Gpt2MergesResources, Gpt2ModelResources, Gpt2VocabResources},
    resources::RemoteResource,
};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// Configuration of a generator: the model and its files, and the default generation settings
/// (each can be overridden per call with [`GenerateOptions`]).
pub struct GenerateConfig {
    /// Model architecture.
    pub model_type: ModelType,
    /// Weights (`.ot`, `.safetensors` or `.bin`).
    pub model_resource: ModelResource,
    /// HF `config.json`.
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary.
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// BPE merges, for the tokenizers that have them.
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Minimum length of the sequences (decoder-only models count the prompt), enforced by
    /// banning the end-of-sequence token (default 0).
    pub min_length: i64,
    /// Maximum length of the sequences, prompt included for decoder-only models (default
    /// `Some(56)`); `None`: the model's maximum.
    pub max_length: Option<i64>,
    /// Sample the next token instead of taking the most likely one (default true).
    pub do_sample: bool,
    /// Beam search stops for an input as soon as `num_beams` hypotheses are finished (default
    /// true); otherwise it goes on while a running beam could still beat a finished one.
    pub early_stopping: bool,
    /// Number of beams; 1 is greedy decoding or plain sampling (default 5).
    pub num_beams: i64,
    /// Sampling temperature (default 1.0).
    pub temperature: f64,
    /// Sample among the `top_k` most likely tokens; 0 turns it off (default 0).
    pub top_k: i64,
    /// Nucleus sampling: sample among the most likely tokens holding `top_p` of the
    /// probability (default 0.9; 1.0 turns it off).
    pub top_p: f64,
    /// Repetition penalty (CTRL's): above 1 penalises tokens already present (default 1.0).
    pub repetition_penalty: f64,
    /// Exponent of the generated length dividing a finished hypothesis' log-probability in
    /// beam search; above 0 favours longer sequences (default 1.0).
    pub length_penalty: f64,
    /// Ban any n-gram of this size from appearing twice; 0 turns it off (default 3).
    pub no_repeat_ngram_size: i64,
    /// Sequences returned per prompt (default 1).
    pub num_return_sequences: i64,
    /// Groups of beams for diverse beam search (`None` or 1: plain beam search).
    pub num_beam_groups: Option<i64>,
    /// Penalty on a token already chosen by an earlier group at the same step (diverse beam
    /// search; default 5.5 there).
    pub diversity_penalty: Option<f64>,
    /// Device to run on (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights (`None`: as loaded).
    pub kind: Option<Kind>,
}

#[cfg(feature = "remote")]
impl Default for GenerateConfig {
    /// GPT-2 (124M) with rust-bert 0.23's defaults: sampling with 5 beams, top-p 0.9,
    /// no-repeat trigrams, at most 56 tokens.
    fn default() -> GenerateConfig {
        GenerateConfig {
            model_type: ModelType::GPT2,
            model_resource: ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                Gpt2ModelResources::GPT2,
            ))),
            config_resource: Box::new(RemoteResource::from_pretrained(Gpt2ConfigResources::GPT2)),
            vocab_resource: Box::new(RemoteResource::from_pretrained(Gpt2VocabResources::GPT2)),
            merges_resource: Some(Box::new(RemoteResource::from_pretrained(
                Gpt2MergesResources::GPT2,
            ))),
            min_length: 0,
            max_length: Some(56),
            do_sample: true,
            early_stopping: true,
            num_beams: 5,
            temperature: 1.0,
            top_k: 0,
            top_p: 0.9,
            repetition_penalty: 1.0,
            length_penalty: 1.0,
            no_repeat_ngram_size: 3,
            num_return_sequences: 1,
            num_beam_groups: None,
            diversity_penalty: None,
            device: Device::cuda_if_available(),
            kind: None,
        }
    }
}

impl GenerateConfig {
    /// Checks the settings (rust-bert asserted them; here each is an error naming the value).
    ///
    /// # Errors
    /// `ValueError` for a non-positive temperature, `num_beams` or `num_return_sequences`, a
    /// `top_p` outside `[0, 1]`, a negative length, `num_return_sequences` above `num_beams` in
    /// beam search or above 1 in greedy decoding, or beams not divisible into their groups.
    pub fn validate(&self) -> Result<(), RustBertError> {
        search::Settings::check(&search::RawSettings {
            min_length: self.min_length,
            max_length: self.max_length,
            do_sample: self.do_sample,
            num_beams: self.num_beams,
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            repetition_penalty: self.repetition_penalty,
            no_repeat_ngram_size: self.no_repeat_ngram_size,
            num_return_sequences: self.num_return_sequences,
            num_beam_groups: self.num_beam_groups,
            diversity_penalty: self.diversity_penalty,
            min_p: None,
            typical_p: None,
        })
    }
}

/// `From<pipeline config> for GenerateConfig` for the pipelines whose configuration repeats
/// [`GenerateConfig`]'s fields (text generation, conversation, summarization, translation).
macro_rules! impl_into_generate_config {
    ($config:ty) => {
        impl From<$config> for $crate::pipelines::generation_utils::GenerateConfig {
            fn from(config: $config) -> Self {
                $crate::pipelines::generation_utils::GenerateConfig {
                    model_type: config.model_type,
                    model_resource: config.model_resource,
                    config_resource: config.config_resource,
                    vocab_resource: config.vocab_resource,
                    merges_resource: config.merges_resource,
                    min_length: config.min_length,
                    max_length: config.max_length,
                    do_sample: config.do_sample,
                    early_stopping: config.early_stopping,
                    num_beams: config.num_beams,
                    temperature: config.temperature,
                    top_k: config.top_k,
                    top_p: config.top_p,
                    repetition_penalty: config.repetition_penalty,
                    length_penalty: config.length_penalty,
                    no_repeat_ngram_size: config.no_repeat_ngram_size,
                    num_return_sequences: config.num_return_sequences,
                    num_beam_groups: config.num_beam_groups,
                    diversity_penalty: config.diversity_penalty,
                    device: config.device,
                    kind: config.kind,
                }
            }
        }
    };
}
pub(crate) use impl_into_generate_config;

/// A function giving the tokens allowed next for batch item `batch_id` after the tokens of its
/// row so far (a 1-D tensor, prompt included): constrained generation.
pub type PrefixAllowedFunction<'a> = &'a dyn Fn(i64, &Tensor) -> Vec<i64>;

/// A token handed to [`GenerateOptions::token_callback`] as soon as it is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedToken {
    /// Index of the output sequence (prompt index x `num_return_sequences` + sample index).
    pub sequence: usize,
    /// Generation step (0 for the first new token).
    pub step: usize,
    /// The token's id.
    pub token_id: i64,
}

/// Streaming callback: called for each new token of each sequence still running; returning
/// `false` stops the generation (the tokens chosen so far are returned).
pub type TokenCallback<'a> = &'a dyn Fn(&GeneratedToken) -> bool;

/// Per-call settings overriding the generator's [`GenerateConfig`]; `None` keeps the
/// configuration's value.
#[derive(Clone, Copy, Default)]
pub struct GenerateOptions<'a> {
    /// Minimum length (see [`GenerateConfig::min_length`]).
    pub min_length: Option<i64>,
    /// Maximum length (see [`GenerateConfig::max_length`]); takes precedence over
    /// `max_new_tokens` when both are given, as in rust-bert.
    pub max_length: Option<i64>,
    /// Maximum number of new tokens (the prompt's padded length is added for decoder-only
    /// models), used when `max_length` is not given here.
    pub max_new_tokens: Option<i64>,
    /// See [`GenerateConfig::early_stopping`].
    pub early_stopping: Option<bool>,
    /// See [`GenerateConfig::num_return_sequences`].
    pub num_return_sequences: Option<i64>,
    /// See [`GenerateConfig::num_beams`].
    pub num_beams: Option<i64>,
    /// See [`GenerateConfig::num_beam_groups`].
    pub num_beam_groups: Option<i64>,
    /// See [`GenerateConfig::do_sample`].
    pub do_sample: Option<bool>,
    /// See [`GenerateConfig::temperature`].
    pub temperature: Option<f64>,
    /// See [`GenerateConfig::top_k`].
    pub top_k: Option<i64>,
    /// See [`GenerateConfig::top_p`].
    pub top_p: Option<f64>,
    /// See [`GenerateConfig::repetition_penalty`].
    pub repetition_penalty: Option<f64>,
    /// See [`GenerateConfig::length_penalty`].
    pub length_penalty: Option<f64>,
    /// See [`GenerateConfig::no_repeat_ngram_size`].
    pub no_repeat_ngram_size: Option<i64>,
    /// See [`GenerateConfig::diversity_penalty`].
    pub diversity_penalty: Option<f64>,
    /// Token the decoder of encoder-decoder models starts from (default: the model's).
    pub decoder_start_token_id: Option<i64>,
    /// Token forced as the first generated one (default: the model's configuration).
    pub forced_bos_token_id: Option<i64>,
    /// Constrains each next token to the ids this function returns.
    pub prefix_allowed_tokens_fn: Option<PrefixAllowedFunction<'a>>,
    /// Token sequences never to generate (a sequence of several tokens bans its last token
    /// after the others).
    pub bad_word_ids: Option<&'a Vec<Vec<i64>>>,
    /// Return scores: the sequence score and each generated token's log-probability.
    pub output_scores: bool,
    /// Token forced as the last one when the maximum length is reached (default: the model's
    /// configuration).
    pub forced_eos_token_id: Option<i64>,
    /// End-of-sequence ids ending a sequence (default: the model's).
    pub eos_token_ids: Option<&'a [i64]>,
    /// Min-p sampling: drop tokens less likely than `min_p` times the most likely one.
    pub min_p: Option<f64>,
    /// Locally typical sampling mass in `(0, 1)`.
    pub typical_p: Option<f64>,
    /// Strings ending a sequence once its generated text contains one (the text keeps it).
    pub stop_strings: Option<&'a [&'a str]>,
    /// Called with each new token as it is chosen (greedy decoding and sampling; beam search
    /// only knows its tokens at the end and rejects a callback).
    pub token_callback: Option<TokenCallback<'a>>,
}

/// Generated text and its score (when scores were asked for).
#[derive(Debug, Clone)]
pub struct GeneratedTextOutput {
    /// The decoded text (decoder-only models: prompt included).
    pub text: String,
    /// Sequence score: the length-penalised log-probability for beam search, the sum of the
    /// tokens' log-probabilities otherwise.
    pub score: Option<f64>,
}

/// Generated token ids and their scores (when scores were asked for).
#[derive(Debug, Clone)]
pub struct GeneratedIndicesOutput {
    /// Token ids: for decoder-only models the prompt without its padding then the new tokens;
    /// for encoder-decoder models the decoder's tokens from its start token. A sequence that
    /// ended keeps its end-of-sequence token and nothing after it.
    pub indices: Vec<i64>,
    /// See [`GeneratedTextOutput::score`].
    pub score: Option<f64>,
    /// Log-probability of each new token after the logits processors (HF's transition scores).
    pub token_scores: Option<Vec<f64>>,
}

/// One forward step's inputs, as the engine hands them to a model.
pub struct StepInput<'a> {
    /// Tokens not yet in the cache `[rows, n]` (the whole sequence on the first step or for
    /// models without a cache; for encoder-decoder models, the decoder's tokens).
    pub input_ids: &'a Tensor,
    /// Every token of the rows so far `[rows, length]` (prompt and generated tokens; the
    /// decoder's tokens for encoder-decoder models), for models that re-read some of them
    /// (XLNet feeds its last two tokens each step).
    pub sequences: &'a Tensor,
    /// Decoder-only: the attention mask of the whole sequence `[rows, past + n]`;
    /// encoder-decoder: the encoder's mask `[rows, source]`.
    pub attention_mask: &'a Tensor,
    /// Decoder-only: positions of `input_ids` (from the attention mask, as HF generate).
    pub position_ids: Option<&'a Tensor>,
    /// Encoder-decoder: the encoder's output `[rows, source, hidden]`.
    pub encoder_outputs: Option<&'a Tensor>,
}

pub(crate) mod private_generation_utils {
    use super::*;

    /// A language-model head as the generator drives it (implemented by the crate's models).
    pub trait GenerativeModel {
        /// One forward step: logits `[rows, n, vocab]` and the cache for the next step.
        fn forward_step(
            &self,
            input: &StepInput<'_>,
            cache: Cache,
        ) -> Result<LMModelOutput, RustBertError>;

        /// Encoder-decoder models: the encoder's output for the source tokens.
        fn encode(
            &self,
            _input_ids: &Tensor,
            _attention_mask: &Tensor,
        ) -> Result<Option<Tensor>, RustBertError> {
            Ok(None)
        }

        /// Model-specific changes to the next-token scores.
        fn prepare_scores(&self, scores: Tensor) -> Tensor {
            scores
        }
    }

    /// What a model provides to the generation engine. Crate-private: the models of this crate
    /// implement it and get [`LanguageGenerator`] in return.
    pub trait PrivateLanguageGenerator {
        /// The tokenizer.
        fn _get_tokenizer(&self) -> &TokenizerOption;
        /// The tokenizer, mutably.
        fn _get_tokenizer_mut(&mut self) -> &mut TokenizerOption;
        /// The variables.
        fn get_var_store(&self) -> &VarStore;
        /// The variables, mutably.
        fn get_var_store_mut(&mut self) -> &mut VarStore;
        /// The default settings.
        fn get_config(&self) -> &GenerateConfig;
        /// Beginning-of-sequence id (starts generation from no prompt).
        fn get_bos_id(&self) -> Option<i64>;
        /// End-of-sequence ids.
        fn get_eos_ids(&self) -> Option<&Vec<i64>>;
        /// Padding id.
        fn get_pad_id(&self) -> Option<i64>;
        /// Whether the model has an encoder and a decoder.
        fn is_encoder_decoder(&self) -> bool;
        /// Output vocabulary size.
        fn get_vocab_size(&self) -> i64;
        /// First decoder token of encoder-decoder models.
        fn get_decoder_start_id(&self) -> Option<i64>;
        /// Longest sequence the model takes (prompt and new tokens for decoder-only models).
        fn get_max_positions_embeddings(&self) -> Option<i64>;
        /// Token forced first, from the model's configuration.
        fn get_forced_bos_token_id(&self) -> Option<i64> {
            None
        }
        /// Token forced last at the maximum length, from the model's configuration.
        fn get_forced_eos_token_id(&self) -> Option<i64> {
            None
        }
        /// Tokens the model never generates (Marian's pad token).
        fn get_banned_token_ids(&self) -> &[i64] {
            &[]
        }

        /// One forward step: logits `[rows, n, vocab]` and the cache for the next step.
        fn forward_step(
            &self,
            input: &StepInput<'_>,
            cache: Cache,
        ) -> Result<LMModelOutput, RustBertError>;

        /// Encoder-decoder models: runs the encoder once per call.
        fn encode(
            &self,
            _input_ids: &Tensor,
            _attention_mask: &Tensor,
        ) -> Result<Option<Tensor>, RustBertError> {
            Ok(None)
        }

        /// Model-specific changes to the next-token scores before the processors (e.g.
        /// Marian's never-generated pad token).
        fn prepare_scores_for_generation(&self, scores: Tensor) -> Tensor {
            scores
        }

        /// Tokenizes prompts (no special tokens for decoder-only models, the model's for
        /// encoder-decoder ones), truncates them to `max_len` tokens — decoder-only models keep
        /// the end of a long prompt, encoder-decoder ones its beginning — and left-pads them
        /// with `pad_token_id`. Returns the ids and the attention mask.
        fn encode_prompt_text<S: AsRef<str>>(
            &self,
            prompt_text: &[S],
            max_len: Option<i64>,
            pad_token_id: i64,
        ) -> Result<(Tensor, Tensor), RustBertError> {
            let tokenizer = self._get_tokenizer();
            let encoder_decoder = self.is_encoder_decoder();
            let mut rows: Vec<Vec<i64>> = prompt_text
                .iter()
                .map(|text| {
                    let ids = tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(text.as_ref()));
                    if encoder_decoder {
                        tokenizer
                            .build_input_with_special_tokens(
                                rust_tokenizers::TokenIdsWithOffsets {
                                    ids,
                                    offsets: Vec::new(),
                                    reference_offsets: Vec::new(),
                                    masks: Vec::new(),
                                },
                                None,
                            )
                            .token_ids
                    } else {
                        ids
                    }
                })
                .collect();
            // An empty prompt starts from the beginning-of-sequence token.
            if let Some(bos) = self.get_bos_id() {
                for row in rows.iter_mut().filter(|row| row.is_empty()) {
                    row.push(bos);
                }
            }
            if let Some(max_len) = max_len.filter(|&m| m > 0) {
                let max_len = max_len as usize;
                for row in rows.iter_mut().filter(|row| row.len() > max_len) {
                    if encoder_decoder {
                        let last = row.last().copied();
                        row.truncate(max_len);
                        // Keep the closing special token, as tokenizers' truncation does.
                        if let (Some(last), Some(end)) = (last, row.last_mut()) {
                            if tokenizer.get_eos_id() == Some(last) {
                                *end = last;
                            }
                        }
                    } else {
                        row.drain(..row.len() - max_len);
                    }
                }
            }
            let device = self.get_var_store().device();
            // Encoders read positions from 0 whatever the padding: their inputs are padded on
            // the right, as HF tokenizers do; decoder-only prompts on the left.
            Ok(if encoder_decoder {
                right_pad(&rows, pad_token_id, device)
            } else {
                left_pad(&rows, pad_token_id, device)
            })
        }
    }
}

pub(crate) use private_generation_utils::PrivateLanguageGenerator;

/// Left-pads rows of token ids with `pad_token_id` into a `[rows, longest]` tensor on `device`,
/// with the attention mask (0 on padding), as decoder-only generation wants its prompts.
pub(crate) fn left_pad(rows: &[Vec<i64>], pad_token_id: i64, device: Device) -> (Tensor, Tensor) {
    pad(rows, pad_token_id, device, true)
}

/// As [`left_pad`], padding on the right (encoder inputs).
pub(crate) fn right_pad(rows: &[Vec<i64>], pad_token_id: i64, device: Device) -> (Tensor, Tensor) {
    pad(rows, pad_token_id, device, false)
}

fn pad(rows: &[Vec<i64>], pad_token_id: i64, device: Device, left: bool) -> (Tensor, Tensor) {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut ids = Vec::with_capacity(rows.len() * width);
    let mut mask = Vec::with_capacity(rows.len() * width);
    for row in rows {
        let padding = width - row.len();
        if left {
            ids.extend(std::iter::repeat_n(pad_token_id, padding));
            mask.extend(std::iter::repeat_n(0i64, padding));
        }
        ids.extend_from_slice(row);
        mask.extend(std::iter::repeat_n(1i64, row.len()));
        if !left {
            ids.extend(std::iter::repeat_n(pad_token_id, padding));
            mask.extend(std::iter::repeat_n(0i64, padding));
        }
    }
    let shape = [rows.len() as i64, width as i64];
    (
        Tensor::from_slice(&ids).view(shape).to(device),
        Tensor::from_slice(&mask).view(shape).to(device),
    )
}

/// Text generation for every generative model of the crate (GPT-2, OpenAI GPT, ...): the
/// methods come with the model; see the module documentation.
pub trait LanguageGenerator: PrivateLanguageGenerator {
    /// Generates text from prompts (`None`: from the beginning-of-sequence token alone).
    ///
    /// Returns `prompts x num_return_sequences` outputs, grouped by prompt; an empty prompt
    /// list gives an empty output.
    ///
    /// # Errors
    /// Invalid settings, a model without a beginning-of-sequence token asked to start from
    /// nothing, and the model's errors.
    fn generate<S>(
        &self,
        prompt_texts: Option<&[S]>,
        generate_options: Option<GenerateOptions>,
    ) -> Result<Vec<GeneratedTextOutput>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let outputs = self.generate_indices(prompt_texts, generate_options)?;
        Ok(outputs
            .into_iter()
            .map(|output| GeneratedTextOutput {
                text: self._get_tokenizer().decode(&output.indices, true, true),
                score: output.score,
            })
            .collect())
    }

    /// As [`LanguageGenerator::generate`], returning token ids instead of text.
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`].
    fn generate_indices<S>(
        &self,
        prompt_texts: Option<&[S]>,
        generate_options: Option<GenerateOptions>,
    ) -> Result<Vec<GeneratedIndicesOutput>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let pad = search::pad_token_id(self, generate_options.as_ref());
        let (input_ids, attention_mask) = match prompt_texts {
            Some([]) => return Ok(Vec::new()),
            Some(prompts) => {
                let max_len = self.get_max_positions_embeddings().map(|m| {
                    // Leave decoder-only models room for at least one new token.
                    if self.is_encoder_decoder() {
                        m
                    } else {
                        (m - 1).max(1)
                    }
                });
                self.encode_prompt_text(prompts, max_len, pad)?
            }
            None => {
                let bos = self.get_bos_id().ok_or_else(|| {
                    RustBertError::ValueError(
                        "this model has no beginning-of-sequence token: give a prompt".into(),
                    )
                })?;
                let device = self.get_var_store().device();
                (
                    Tensor::from_slice(&[bos]).view([1, 1]).to(device),
                    Tensor::ones([1, 1], (Kind::Int64, device)),
                )
            }
        };
        self.generate_from_ids_and_past(input_ids, Some(attention_mask), generate_options)
    }

    /// Generates from token ids `[batch, length]` (left-padded for decoder-only models) and an
    /// optional attention mask (default: all ones).
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`], and mis-shaped inputs.
    fn generate_from_ids_and_past(
        &self,
        input_ids: Tensor,
        attention_mask: Option<Tensor>,
        generate_options: Option<GenerateOptions>,
    ) -> Result<Vec<GeneratedIndicesOutput>, RustBertError> {
        tch::no_grad(|| search::generate(self, input_ids, attention_mask, generate_options))
    }

    /// The tokenizer.
    fn get_tokenizer(&self) -> &TokenizerOption {
        self._get_tokenizer()
    }

    /// The tokenizer, mutably (e.g. to add tokens).
    fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        self._get_tokenizer_mut()
    }

    /// Converts the weights to half precision.
    ///
    /// # Errors
    /// None today; kept fallible for parity with rust-bert.
    fn half(&mut self) -> Result<(), RustBertError> {
        self.get_var_store_mut().half();
        Ok(())
    }

    /// Converts the weights to single precision.
    ///
    /// # Errors
    /// As [`LanguageGenerator::half`].
    fn float(&mut self) -> Result<(), RustBertError> {
        self.get_var_store_mut().float();
        Ok(())
    }

    /// Moves the weights to `device`.
    ///
    /// # Errors
    /// As [`LanguageGenerator::half`].
    fn set_device(&mut self, device: Device) -> Result<(), RustBertError> {
        self.get_var_store_mut().set_device(device);
        Ok(())
    }
}
