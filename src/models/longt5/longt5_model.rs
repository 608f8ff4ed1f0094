use crate::common::tokenizer::TokenizerOption;
use crate::common::twin::infallible_twin;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    Cache, DecoderCache, GenerateConfig, GeneratorSpecials, LMModelOutput, LanguageModelGenerator,
    StepInput,
};
use crate::t5::{EncoderAttention, T5Config, T5ForConditionalGeneration, T5Model, T5ModelOutput};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::ops::{Deref, DerefMut};
use tch::{nn, Tensor};

/// Pretrained LongT5 weights on the hub, as `(cache subdirectory, URL)`.
pub struct LongT5ModelResources;
/// Pretrained LongT5 configurations on the hub.
pub struct LongT5ConfigResources;
/// Pretrained LongT5 SentencePiece models (`spiece.model`) on the hub.
pub struct LongT5VocabResources;

macro_rules! longt5_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// long-t5-tglobal-base-16384-book-summary (Peter Szemraj): transient-global
            /// LongT5 fine-tuned to summarize books.
            pub const TGLOBAL_BASE_BOOK_SUMMARY: (&'static str, &'static str) = (
                concat!("longt5-tglobal-base-book-summary/", $suffix),
                concat!(
                    "https://huggingface.co/pszemraj/long-t5-tglobal-base-16384-book-summary/resolve/main/",
                    $file
                ),
            );
        }
    };
}
longt5_resources!(LongT5ModelResources, "rust_model.ot", "model");
longt5_resources!(LongT5ConfigResources, "config.json", "config");
longt5_resources!(LongT5VocabResources, "spiece.model", "spiece");

/// LongT5's encoder self-attention (HF's `encoder_attention_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncoderAttentionType {
    /// `local`: each token sees the tokens within `local_radius` positions.
    Local,
    /// `transient-global`: local attention plus one global token per `global_block_size`
    /// tokens.
    TransientGlobal,
}

fn default_local_radius() -> i64 {
    127
}
fn default_global_block_size() -> i64 {
    16
}

/// Configuration of LongT5 (HF `LongT5Config`): T5's keys (reached through `Deref`, as
/// `config.d_model`) plus the encoder attention's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LongT5Config {
    /// T5's keys.
    #[serde(flatten)]
    pub t5: T5Config,
    /// Tokens to the left and right each token sees in local attention (default 127).
    #[serde(default = "default_local_radius")]
    pub local_radius: i64,
    /// Tokens summed into each global token of transient-global attention (default 16).
    #[serde(default = "default_global_block_size")]
    pub global_block_size: i64,
    /// Encoder self-attention (default local).
    #[serde(default)]
    pub encoder_attention_type: Option<EncoderAttentionType>,
}

impl Deref for LongT5Config {
    type Target = T5Config;
    fn deref(&self) -> &T5Config {
        &self.t5
    }
}

impl DerefMut for LongT5Config {
    fn deref_mut(&mut self) -> &mut T5Config {
        &mut self.t5
    }
}

impl Default for LongT5Config {
    /// long-t5-local-base's shape: T5-base with local attention of radius 127.
    fn default() -> Self {
        LongT5Config {
            t5: T5Config::default(),
            local_radius: default_local_radius(),
            global_block_size: default_global_block_size(),
            encoder_attention_type: Some(EncoderAttentionType::Local),
        }
    }
}

impl Config for LongT5Config {
    fn initializer_std(&self) -> f64 {
        self.initializer_factor
    }

    fn validate(&self) -> Result<(), RustBertError> {
        self.t5.validate()?;
        crate::common::config::ConfigChecks::new("LongT5")
            .non_negative("local_radius", self.local_radius)
            .positive("global_block_size", self.global_block_size)
            .finish()
    }
}

impl LongT5Config {
    fn encoder_attention(&self) -> EncoderAttention {
        let block_len = self.local_radius.max(0) + 1;
        match self
            .encoder_attention_type
            .unwrap_or(EncoderAttentionType::Local)
        {
            EncoderAttentionType::Local => EncoderAttention::Local { block_len },
            EncoderAttentionType::TransientGlobal => EncoderAttention::TransientGlobal {
                block_len,
                global_block_size: self.global_block_size.max(1),
            },
        }
    }
}

/// Output of the LongT5 models (T5's).
pub type LongT5ModelOutput = T5ModelOutput;

/// LongT5: shared embeddings, a block-local encoder and T5's decoder.
#[derive(Debug)]
pub struct LongT5Model {
    base: T5Model,
}

impl LongT5Model {
    /// Builds the model under `p` (variables `shared`, `encoder.*`, `decoder.*`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &LongT5Config) -> LongT5Model {
        let _init = crate::common::config::building_or_panic(config);
        LongT5Model {
            base: T5Model::build(p.borrow(), &config.t5, config.encoder_attention()),
        }
    }

    /// Runs the encoder (unless `encoder_outputs` is given) and the decoder, as
    /// [`T5Model::forward_t`]. The encoder's attention probabilities are per block:
    /// `[batch, blocks, heads, block_len, 3 * block_len (+ global tokens)]`.
    ///
    /// # Errors
    /// As [`T5Model::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        encoder_outputs: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        decoder_input_embeds: Option<&Tensor>,
        old_layer_states: Option<DecoderCache>,
        train: bool,
    ) -> Result<LongT5ModelOutput, RustBertError> {
        self.base.try_forward_t(
            input_ids,
            attention_mask,
            encoder_outputs,
            decoder_input_ids,
            decoder_attention_mask,
            input_embeds,
            decoder_input_embeds,
            old_layer_states,
            train,
        )
    }
}

/// LongT5 with T5's language-model head: summarization of long documents.
#[derive(Debug)]
pub struct LongT5ForConditionalGeneration {
    base: T5ForConditionalGeneration,
}

impl LongT5ForConditionalGeneration {
    /// Builds the model under `p` (variables `shared`, `encoder.*`, `decoder.*`, and
    /// `lm_head.weight` when untied).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &LongT5Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        Self {
            base: T5ForConditionalGeneration::build(
                p.borrow(),
                &config.t5,
                config.encoder_attention(),
            ),
        }
    }

    /// Runs the model (arguments as [`LongT5Model::forward_t`]); logits in `decoder_output`.
    ///
    /// # Errors
    /// As [`T5Model::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        encoder_outputs: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        decoder_input_embeds: Option<&Tensor>,
        old_layer_states: Option<DecoderCache>,
        train: bool,
    ) -> Result<LongT5ModelOutput, RustBertError> {
        self.base.try_forward_t(
            input_ids,
            attention_mask,
            encoder_outputs,
            decoder_input_ids,
            decoder_attention_mask,
            input_embeds,
            decoder_input_embeds,
            old_layer_states,
            train,
        )
    }

    /// Runs the encoder alone.
    ///
    /// # Errors
    /// As [`T5Model::forward_t`].
    pub fn try_encode(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
    ) -> Result<Tensor, RustBertError> {
        self.base.try_encode(input_ids, attention_mask)
    }

    infallible_twin! {
        /// As [`Self::try_encode`], with rust-bert 0.23's signature: the output itself.
        pub fn encode(
            &self,
            input_ids: &Tensor,
            attention_mask: Option<&Tensor>
        ) -> Tensor = try_encode
    }
}

/// LongT5 text generator: [`crate::generation::LanguageGenerator`] over
/// [`LongT5ForConditionalGeneration`].
pub type LongT5Generator = LanguageModelGenerator<LongT5ForConditionalGeneration>;

fn read_config(path: &std::path::Path) -> Result<LongT5Config, RustBertError> {
    LongT5Config::try_from_file(path)
}

fn build(
    p: nn::Path,
    config: &LongT5Config,
) -> Result<LongT5ForConditionalGeneration, RustBertError> {
    Ok(LongT5ForConditionalGeneration::new(p, config))
}

/// T5's special tokens (pad 0, also the decoder start; end 1); no input limit but
/// `n_positions` when the file sets one (local attention grows linearly with the input).
fn specials(config: &LongT5Config, tokenizer: &TokenizerOption) -> GeneratorSpecials {
    let mut specials = crate::t5::t5_specials(&config.t5, tokenizer);
    specials.max_positions = config.n_positions;
    specials
}

impl LanguageModelGenerator<LongT5ForConditionalGeneration> {
    /// Loads LongT5 and its tokenizer (`spiece.model`) from the configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer file
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(generate_config, None, read_config, build, specials)
    }

    /// Loads LongT5 with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`LongT5Generator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            build,
            specials,
        )
    }
}

impl GenerativeModel for LongT5ForConditionalGeneration {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        self.base.forward_step(input, cache)
    }

    fn encode(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> Result<Option<Tensor>, RustBertError> {
        GenerativeModel::encode(&self.base, input_ids, attention_mask)
    }
}
