//! What a generator is configured with ([`GenerateConfig`], rust-bert's struct), what one call
//! may override ([`GenerateOptions`]) and what it returns.
use super::search;
use crate::common::model_resource::ModelResource;
use crate::common::model_type::ModelType;
#[cfg(feature = "remote")]
use crate::resources::RemoteResource;
use crate::resources::ResourceProvider;
use crate::RustBertError;
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
    /// How the model's own sampling defaults (its `generation_config.json`, or the
    /// `general.sampling.*` keys of a GGUF file) combine with the settings above (default
    /// [`ModelDefaults::FillUnset`], HF's rule).
    pub model_defaults: ModelDefaults,
}

/// How the generation defaults a model ships with (`do_sample`, `temperature`, `top_k`,
/// `top_p`, `repetition_penalty`, `max_length`, `max_new_tokens` of its
/// `generation_config.json`) combine with a [`GenerateConfig`].
///
/// HF's `generate` takes, per setting, the caller's value if the caller set one, else the
/// model's, else the library default. [`GenerateConfig`]'s fields are plain values (rust-bert
/// 0.23 users build it with `..Default::default()`), so "not set" is read as "still holding
/// [`GenerateConfig::default()`]'s value": `do_sample: true`, `temperature: 1.0`, `top_k: 0`,
/// `top_p: 0.9`, `repetition_penalty: 1.0`, `max_length: Some(56)`. A field you changed wins
/// over the model; to insist on one of those default values against the model, pass it per
/// call ([`GenerateOptions`], whose `Some` always wins) or use [`ModelDefaults::Ignore`]. The
/// model's `max_new_tokens` applies when neither the configuration (`max_length` at its
/// default) nor the call (`max_length`, `max_new_tokens`) sets a length. Models of rust-bert
/// 0.23 (GPT-2, BART, ...) read no such defaults: nothing changes for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelDefaults {
    /// The model's defaults fill the settings left at [`GenerateConfig::default()`]'s values.
    #[default]
    FillUnset,
    /// The configuration's values stand whatever the model ships (rust-bert 0.23's behaviour).
    Ignore,
}

/// The sampling defaults a model ships with (each `None` when the model does not set it); see
/// [`ModelDefaults`] for how they apply.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SamplingDefaults {
    /// Whether the model is meant to be sampled.
    pub do_sample: Option<bool>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Top-k filtering (0: off).
    pub top_k: Option<i64>,
    /// Nucleus filtering.
    pub top_p: Option<f64>,
    /// Repetition penalty.
    pub repetition_penalty: Option<f64>,
    /// Maximum length, prompt included.
    pub max_length: Option<i64>,
    /// Maximum number of new tokens.
    pub max_new_tokens: Option<i64>,
}

impl SamplingDefaults {
    /// Fills the settings of `config` still at [`GenerateConfig::default()`]'s values with
    /// these defaults; returns the model's `max_new_tokens` when it applies (the configuration
    /// sets no length of its own).
    pub(crate) fn fill(&self, config: &mut GenerateConfig) -> Option<i64> {
        fn fill<T: PartialEq + Copy>(field: &mut T, unset: T, model: Option<T>) {
            if let Some(value) = model.filter(|_| *field == unset) {
                *field = value;
            }
        }
        let length_unset = config.max_length == UNSET_MAX_LENGTH;
        fill(&mut config.do_sample, true, self.do_sample);
        fill(&mut config.temperature, 1.0, self.temperature);
        fill(&mut config.top_k, 0, self.top_k);
        fill(&mut config.top_p, 0.9, self.top_p);
        fill(&mut config.repetition_penalty, 1.0, self.repetition_penalty);
        if length_unset {
            if let Some(max_length) = self.max_length {
                config.max_length = Some(max_length);
            }
        }
        self.max_new_tokens.filter(|_| length_unset)
    }
}

/// `GenerateConfig::default()`'s `max_length`.
const UNSET_MAX_LENGTH: Option<i64> = Some(56);

/// The files of the model [`GenerateConfig::default()`] loads, GPT-2 (124M) as in rust-bert,
/// as `(cache subdirectory, URL)` pairs. They live with the engine so that its default names
/// no model module; `gpt2::Gpt2ModelResources::GPT2` and its siblings are these constants.
pub mod default_model {
    /// Weights (`rust_model.ot`).
    pub const MODEL: (&str, &str) = (
        "gpt2/model",
        "https://huggingface.co/gpt2/resolve/main/rust_model.ot",
    );
    /// Configuration (`config.json`).
    pub const CONFIG: (&str, &str) = (
        "gpt2/config",
        "https://huggingface.co/gpt2/resolve/main/config.json",
    );
    /// Vocabulary (`vocab.json`).
    pub const VOCAB: (&str, &str) = (
        "gpt2/vocab",
        "https://huggingface.co/gpt2/resolve/main/vocab.json",
    );
    /// BPE merges (`merges.txt`).
    pub const MERGES: (&str, &str) = (
        "gpt2/merges",
        "https://huggingface.co/gpt2/resolve/main/merges.txt",
    );
}

#[cfg(feature = "remote")]
impl Default for GenerateConfig {
    /// GPT-2 (124M) with rust-bert 0.23's defaults: sampling with 5 beams, top-p 0.9,
    /// no-repeat trigrams, at most 56 tokens.
    fn default() -> GenerateConfig {
        GenerateConfig {
            model_type: ModelType::GPT2,
            model_resource: ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                default_model::MODEL,
            ))),
            config_resource: Box::new(RemoteResource::from_pretrained(default_model::CONFIG)),
            vocab_resource: Box::new(RemoteResource::from_pretrained(default_model::VOCAB)),
            merges_resource: Some(Box::new(RemoteResource::from_pretrained(
                default_model::MERGES,
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
            model_defaults: ModelDefaults::FillUnset,
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
        $crate::generation::impl_into_generate_config!($config, |_config: &$config| {
            $crate::generation::ModelDefaults::FillUnset
        });
    };
    ($config:ty, $model_defaults:expr) => {
        impl From<$config> for $crate::generation::GenerateConfig {
            fn from(config: $config) -> Self {
                $crate::generation::GenerateConfig {
                    // First: the fields below move out of `config`.
                    model_defaults: ($model_defaults)(&config),
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
