use crate::bart::{
    bart_family_head, seq2seq_specials, BartConfig, BartForConditionalGeneration, BartModel,
    BartModelOutput, DecoderCache, PositionEmbedding, StackOptions,
};
use crate::common::activations::Activation;
use crate::common::tokenizer::TokenizerOption;
use crate::common::twin::infallible_twin;
use crate::generation::{GenerateConfig, GeneratorSpecials, LanguageModelGenerator};
use crate::{Config, RustBertError};
use std::borrow::Borrow;
use tch::{nn, Tensor};

/// Pretrained Pegasus weights on the hub, as `(cache subdirectory, URL)`.
pub struct PegasusModelResources;
/// Pretrained Pegasus configurations on the hub.
pub struct PegasusConfigResources;
/// Pretrained Pegasus SentencePiece models (`spiece.model`) on the hub.
pub struct PegasusVocabResources;

impl PegasusModelResources {
    /// pegasus-cnn_dailymail (Google): summarization of news articles.
    pub const CNN_DAILYMAIL: (&'static str, &'static str) = (
        "pegasus-cnn_dailymail/model",
        "https://huggingface.co/google/pegasus-cnn_dailymail/resolve/main/rust_model.ot",
    );
}

impl PegasusConfigResources {
    /// pegasus-cnn_dailymail (Google).
    pub const CNN_DAILYMAIL: (&'static str, &'static str) = (
        "pegasus-cnn_dailymail/config",
        "https://huggingface.co/google/pegasus-cnn_dailymail/resolve/main/config.json",
    );
}

impl PegasusVocabResources {
    /// pegasus-cnn_dailymail (Google).
    pub const CNN_DAILYMAIL: (&'static str, &'static str) = (
        "pegasus-cnn_dailymail/spiece",
        "https://huggingface.co/google/pegasus-cnn_dailymail/resolve/main/spiece.model",
    );
}

/// Pegasus configuration: BART's keys (HF `PegasusConfig` has the same ones). The stack
/// switches BART reads from it (`normalize_before`, `add_final_layer_norm`, ...) are fixed by
/// the architecture here, as HF's Pegasus ignores them too.
pub type PegasusConfig = BartConfig;

/// Output of the Pegasus models (BART's).
pub type PegasusModelOutput = BartModelOutput;

/// HF `PegasusConfig`'s defaults for the special tokens an older or partial file may omit:
/// pad 0, end 1, decoder start 0.
fn with_defaults(config: &PegasusConfig) -> PegasusConfig {
    let mut config = config.clone();
    config.pad_token_id.get_or_insert(0);
    config.eos_token_id.get_or_insert(1);
    config.decoder_start_token_id.get_or_insert(0);
    config
}

/// Pegasus' stack: pre-norm layers, a final layer norm on each side, no embedding layer norm,
/// embeddings scaled when `scale_embedding` (HF's default: not), gelu unless the file says
/// otherwise (the released checkpoints use relu).
fn stack_options(config: &PegasusConfig) -> StackOptions {
    let mut options = config.stack_options();
    options.normalize_before = true;
    options.layernorm_embedding = false;
    options.final_layer_norm = true;
    options.activation = config.activation_function.unwrap_or(Activation::gelu);
    options
}

fn base_model(p: &nn::Path, config: &PegasusConfig) -> BartModel {
    let config = with_defaults(config);
    let positions = || {
        PositionEmbedding::sinusoidal(config.max_position_embeddings, config.d_model, p.device())
    };
    BartModel::with_stack(
        p,
        &config,
        &stack_options(&config),
        positions(),
        positions(),
    )
}

/// Pegasus: shared token embeddings (`shared`), an encoder and a decoder.
#[derive(Debug)]
pub struct PegasusModel {
    base: BartModel,
}

impl PegasusModel {
    /// Builds the model under `p` (variables `shared`, `encoder.*`, `decoder.*`; the sinusoidal
    /// positions are computed, not loaded).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &PegasusConfig) -> PegasusModel {
        let _init = crate::common::config::building_or_panic(config);
        PegasusModel {
            base: base_model(p.borrow(), config),
        }
    }

    /// Runs the encoder (unless `encoder_output` is given) and the decoder over
    /// `decoder_input_ids`, as rust-bert's signature has it (see [`BartModel::forward_t`] for
    /// the arguments). `decoder_output` holds the decoder's last hidden state.
    ///
    /// # Errors
    /// As [`BartModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        decoder_input_ids: &Tensor,
        encoder_output: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        layer_states: Option<DecoderCache>,
        train: bool,
    ) -> Result<PegasusModelOutput, RustBertError> {
        self.base.try_forward_t(
            input_ids,
            attention_mask,
            Some(decoder_input_ids),
            encoder_output,
            decoder_attention_mask,
            layer_states,
            train,
        )
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            decoder_input_ids: &Tensor,
            encoder_output: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            layer_states: Option<DecoderCache>,
            train: bool
        ) -> PegasusModelOutput = try_forward_t
    }
}

/// Pegasus with its language-model head (tied to the shared embeddings, plus
/// `final_logits_bias`): summarization.
#[derive(Debug)]
pub struct PegasusForConditionalGeneration {
    base: BartForConditionalGeneration,
}

impl PegasusForConditionalGeneration {
    /// Builds the model under `p` (variables `model.*` and `final_logits_bias`; the sinusoidal
    /// positions are computed, not loaded: the `embed_positions` tensors HF stores are unused).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &PegasusConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            base: BartForConditionalGeneration::from_base(
                p,
                base_model(&(p / "model"), config),
                config,
            ),
        }
    }
}

bart_family_head!(PegasusForConditionalGeneration);

/// Pegasus summarization generator: [`crate::generation::LanguageGenerator`] over
/// [`PegasusForConditionalGeneration`].
pub type PegasusConditionalGenerator = LanguageModelGenerator<PegasusForConditionalGeneration>;

fn read_config(path: &std::path::Path) -> Result<PegasusConfig, RustBertError> {
    PegasusConfig::try_from_file(path)
}

fn build(
    p: nn::Path,
    config: &PegasusConfig,
) -> Result<PegasusForConditionalGeneration, RustBertError> {
    Ok(PegasusForConditionalGeneration::new(p, config))
}

/// The configuration's special tokens with HF's Pegasus defaults; the decoder starts from the
/// pad token.
fn specials(config: &PegasusConfig, tokenizer: &TokenizerOption) -> GeneratorSpecials {
    seq2seq_specials(&with_defaults(config), tokenizer)
}

impl LanguageModelGenerator<PegasusForConditionalGeneration> {
    /// Loads Pegasus and its tokenizer (`vocab_resource`: `spiece.model`) from the
    /// configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer file
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(generate_config, None, read_config, build, specials)
    }

    /// Loads Pegasus with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`PegasusConditionalGenerator::new`].
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
