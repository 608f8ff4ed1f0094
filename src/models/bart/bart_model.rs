use crate::bart::attention::{
    embed, optional_layer_norm, DecoderLayer, EncoderLayer, PositionEmbedding, StackOptions,
};
use crate::common::activations::Activation;
use crate::common::layers::embeddings::{batch_and_length, lookup};
use crate::common::layers::linear::{embedding_config, project};
use crate::common::layers::{
    attention_bias, causal_attention_bias, linear, run_layer_stack, Dropout, StackOutputs,
};
use crate::common::twin::infallible_twin;
use crate::generation::{decoder_states, DecoderCache};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Init, Module};
use tch::{Kind, Tensor};

/// Pretrained BART weights on the hub, as `(cache subdirectory, URL)`.
pub struct BartModelResources;
/// Pretrained BART configurations on the hub, as `(cache subdirectory, URL)`.
pub struct BartConfigResources;
/// Pretrained BART vocabularies (`vocab.json`) on the hub, as `(cache subdirectory, URL)`.
pub struct BartVocabResources;
/// Pretrained BART BPE merges (`merges.txt`) on the hub, as `(cache subdirectory, URL)`.
pub struct BartMergesResources;

macro_rules! bart_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// bart-large (Facebook).
            pub const BART: (&'static str, &'static str) = (
                concat!("bart/", $suffix),
                concat!(
                    "https://huggingface.co/facebook/bart-large/resolve/main/",
                    $file
                ),
            );
            /// bart-large-cnn: summarization (CNN / Daily Mail).
            pub const BART_CNN: (&'static str, &'static str) = (
                concat!("bart-cnn/", $suffix),
                concat!(
                    "https://huggingface.co/facebook/bart-large-cnn/resolve/main/",
                    $file
                ),
            );
            /// bart-large-xsum: summarization (XSum).
            pub const BART_XSUM: (&'static str, &'static str) = (
                concat!("bart-xsum/", $suffix),
                concat!(
                    "https://huggingface.co/facebook/bart-large-xsum/resolve/main/",
                    $file
                ),
            );
            /// bart-large-mnli: natural language inference (zero-shot classification).
            pub const BART_MNLI: (&'static str, &'static str) = (
                concat!("bart-large-mnli/", $suffix),
                concat!(
                    "https://huggingface.co/facebook/bart-large-mnli/resolve/main/",
                    $file
                ),
            );
            /// distilbart-cnn-6-6 (Sam Shleifer): distilled summarization.
            pub const DISTILBART_CNN_6_6: (&'static str, &'static str) = (
                concat!("distilbart-cnn-6-6/", $suffix),
                concat!(
                    "https://huggingface.co/sshleifer/distilbart-cnn-6-6/resolve/main/",
                    $file
                ),
            );
            /// distilbart-cnn-12-6 (Sam Shleifer): distilled summarization.
            pub const DISTILBART_CNN_12_6: (&'static str, &'static str) = (
                concat!("distilbart-cnn-12-6/", $suffix),
                concat!(
                    "https://huggingface.co/sshleifer/distilbart-cnn-12-6/resolve/main/",
                    $file
                ),
            );
        }
    };
}
bart_resources!(BartModelResources, "rust_model.ot", "model");
bart_resources!(BartConfigResources, "config.json", "config");
bart_resources!(BartVocabResources, "vocab.json", "vocab");
bart_resources!(BartMergesResources, "merges.txt", "merges");

fn default_positions() -> i64 {
    1024
}
fn default_d_model() -> i64 {
    1024
}
fn default_layers() -> i64 {
    12
}
fn default_heads() -> i64 {
    16
}
fn default_ffn() -> i64 {
    4096
}
fn default_vocab() -> i64 {
    50265
}
fn default_dropout() -> f64 {
    0.1
}
fn default_init_std() -> f64 {
    0.02
}

/// Configuration of BART and the models built on its stack (HF `BartConfig`; keys HF may omit
/// take HF's defaults).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct BartConfig {
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Longest sequence of the position table.
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Hidden size.
    #[serde(default = "default_d_model")]
    pub d_model: i64,
    /// Encoder layers.
    #[serde(default = "default_layers")]
    pub encoder_layers: i64,
    /// Encoder feed-forward size.
    #[serde(default = "default_ffn")]
    pub encoder_ffn_dim: i64,
    /// Encoder attention heads.
    #[serde(default = "default_heads")]
    pub encoder_attention_heads: i64,
    /// Decoder layers.
    #[serde(default = "default_layers")]
    pub decoder_layers: i64,
    /// Decoder feed-forward size.
    #[serde(default = "default_ffn")]
    pub decoder_ffn_dim: i64,
    /// Decoder attention heads.
    #[serde(default = "default_heads")]
    pub decoder_attention_heads: i64,
    /// Feed-forward activation (default gelu).
    #[serde(default)]
    pub activation_function: Option<Activation>,
    /// Dropout (default 0.1).
    #[serde(default = "default_dropout")]
    pub dropout: f64,
    /// Attention dropout (default 0).
    #[serde(default)]
    pub attention_dropout: f64,
    /// Feed-forward inner dropout (default 0).
    #[serde(default)]
    pub activation_dropout: f64,
    /// Classification head dropout (default 0).
    #[serde(default)]
    pub classifier_dropout: Option<f64>,
    /// rust-bert's name of `classifier_dropout`.
    #[serde(default)]
    pub classif_dropout: Option<f64>,
    /// Multiply token embeddings by `sqrt(d_model)` (default false).
    #[serde(default)]
    pub scale_embedding: Option<bool>,
    /// Layer norms before the blocks (mBART style; default false).
    #[serde(default)]
    pub normalize_before: Option<bool>,
    /// Layer norm after the embeddings (default true for BART).
    #[serde(default)]
    pub normalize_embedding: Option<bool>,
    /// Final layer norms after the encoder and decoder (default false).
    #[serde(default)]
    pub add_final_layer_norm: Option<bool>,
    /// Sinusoidal positions instead of learned ones (Marian; default false).
    #[serde(default)]
    pub static_position_embeddings: Option<bool>,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_init_std")]
    pub init_std: f64,
    /// Padding token.
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Beginning-of-sequence token.
    #[serde(default)]
    pub bos_token_id: Option<i64>,
    /// End-of-sequence token.
    #[serde(default)]
    pub eos_token_id: Option<i64>,
    /// First decoder token.
    #[serde(default)]
    pub decoder_start_token_id: Option<i64>,
    /// Token forced first (bart-large-cnn: `<s>`).
    #[serde(default)]
    pub forced_bos_token_id: Option<i64>,
    /// Token forced at the maximum length.
    #[serde(default)]
    pub forced_eos_token_id: Option<i64>,
    /// Labels of the classification head.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Return the decoder cache (default true).
    #[serde(default)]
    pub output_past: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Encoder-decoder flag (informational).
    #[serde(default)]
    pub is_encoder_decoder: Option<bool>,
    /// Number of labels of the classification head (rust-bert's field; `id2label` decides).
    #[serde(default)]
    pub num_labels: Option<i64>,
    /// Encoder LayerDrop probability (training only; inference runs every layer).
    #[serde(default)]
    pub encoder_layerdrop: f64,
    /// Decoder LayerDrop probability (training only).
    #[serde(default)]
    pub decoder_layerdrop: f64,
    /// HF's `is_decoder` (unused by the encoder-decoder stack).
    #[serde(default)]
    pub is_decoder: Option<bool>,
    /// Generation default kept in old BART configurations (generation settings come from
    /// `GenerateConfig`).
    #[serde(default)]
    pub min_length: Option<i64>,
    /// As `min_length`.
    #[serde(default)]
    pub no_repeat_ngram_size: Option<i64>,
    /// HF's alias of `encoder_layers` (the stack reads `encoder_layers` / `decoder_layers`).
    #[serde(default = "default_layers")]
    pub num_hidden_layers: i64,
}

/// bart-large's configuration, as rust-bert 0.23's default.
impl Default for BartConfig {
    fn default() -> Self {
        BartConfig {
            vocab_size: default_vocab(),
            max_position_embeddings: default_positions(),
            d_model: default_d_model(),
            encoder_layers: default_layers(),
            encoder_ffn_dim: default_ffn(),
            encoder_attention_heads: default_heads(),
            decoder_layers: default_layers(),
            decoder_ffn_dim: default_ffn(),
            decoder_attention_heads: default_heads(),
            activation_function: Some(Activation::gelu),
            dropout: default_dropout(),
            attention_dropout: 0.0,
            activation_dropout: 0.0,
            classifier_dropout: None,
            classif_dropout: Some(0.0),
            scale_embedding: Some(false),
            normalize_before: None,
            normalize_embedding: Some(true),
            add_final_layer_norm: None,
            static_position_embeddings: None,
            init_std: default_init_std(),
            pad_token_id: Some(1),
            bos_token_id: Some(0),
            eos_token_id: Some(2),
            decoder_start_token_id: Some(2),
            forced_bos_token_id: Some(0),
            forced_eos_token_id: Some(2),
            id2label: None,
            label2id: None,
            output_past: None,
            output_hidden_states: None,
            output_attentions: None,
            is_encoder_decoder: Some(true),
            num_labels: Some(3),
            encoder_layerdrop: 0.0,
            decoder_layerdrop: 0.0,
            is_decoder: None,
            min_length: None,
            no_repeat_ngram_size: None,
            num_hidden_layers: default_layers(),
        }
    }
}

impl Config for BartConfig {
    fn initializer_std(&self) -> f64 {
        self.init_std
    }

    fn validate(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("BART")
            .positive("vocab_size", self.vocab_size)
            .positive("d_model", self.d_model)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .positive("encoder_ffn_dim", self.encoder_ffn_dim)
            .positive("decoder_ffn_dim", self.decoder_ffn_dim)
            .positive("encoder_attention_heads", self.encoder_attention_heads)
            .positive("decoder_attention_heads", self.decoder_attention_heads)
            .divides(
                "encoder_attention_heads",
                self.encoder_attention_heads,
                "d_model",
                self.d_model,
            )
            .divides(
                "decoder_attention_heads",
                self.decoder_attention_heads,
                "d_model",
                self.d_model,
            )
            .non_negative("encoder_layers", self.encoder_layers)
            .non_negative("decoder_layers", self.decoder_layers)
            .probability("dropout", self.dropout)
            .probability("attention_dropout", self.attention_dropout)
            .probability("activation_dropout", self.activation_dropout)
            .finish()
    }
}

impl BartConfig {
    /// The stack switches of BART (post-norm, learned positions, embedding layer norm) as the
    /// configuration sets them.
    pub(crate) fn stack_options(&self) -> StackOptions {
        StackOptions {
            normalize_before: self.normalize_before.unwrap_or(false),
            layernorm_embedding: self.normalize_embedding.unwrap_or(true),
            final_layer_norm: self.add_final_layer_norm.unwrap_or(false),
            embed_scale: if self.scale_embedding.unwrap_or(false) {
                (self.d_model as f64).sqrt()
            } else {
                1.0
            },
            activation: self.activation_function.unwrap_or(Activation::gelu),
            dropout: self.dropout,
            attention_dropout: self.attention_dropout,
            activation_dropout: self.activation_dropout,
        }
    }

    fn positions(&self, p: nn::Path) -> PositionEmbedding {
        if self.static_position_embeddings.unwrap_or(false) {
            PositionEmbedding::sinusoidal(self.max_position_embeddings, self.d_model, p.device())
        } else {
            PositionEmbedding::learned(p, self.max_position_embeddings, self.d_model, 2)
        }
    }

    /// Number of labels of the classification head, from `id2label`.
    pub(crate) fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }
}

/// The encoder of the BART family.
#[derive(Debug)]
pub struct BartEncoder {
    layers: Vec<EncoderLayer>,
    positions: PositionEmbedding,
    layernorm_embedding: Option<nn::LayerNorm>,
    layer_norm: Option<nn::LayerNorm>,
    embed_scale: f64,
    dropout: Dropout,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl BartEncoder {
    /// Builds the encoder under `p` with `options` (positions built by the caller).
    pub(crate) fn build(
        p: &nn::Path,
        config: &BartConfig,
        options: &StackOptions,
        positions: PositionEmbedding,
    ) -> Self {
        let layers_path = p / "layers";
        Self {
            layers: (0..config.encoder_layers)
                .map(|i| {
                    EncoderLayer::new(
                        &(&layers_path / i),
                        config.d_model,
                        config.encoder_attention_heads,
                        config.encoder_ffn_dim,
                        options,
                    )
                })
                .collect(),
            positions,
            layernorm_embedding: optional_layer_norm(
                p / "layernorm_embedding",
                config.d_model,
                options.layernorm_embedding,
            ),
            layer_norm: optional_layer_norm(
                p / "layer_norm",
                config.d_model,
                options.final_layer_norm,
            ),
            embed_scale: options.embed_scale,
            dropout: Dropout::new(options.dropout),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Encodes `input_ids` `[batch, seq]` with `embed_tokens`; `attention_mask` `[batch, seq]`
    /// marks padding with 0.
    pub fn forward_t(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
        embed_tokens: &nn::Embedding,
        train: bool,
    ) -> Result<(Tensor, StackOutputs), RustBertError> {
        let (batch, seq) = batch_and_length(input_ids, "input_ids")?;
        check_length(seq, &self.positions, "input_ids")?;
        let tokens = lookup(&embed_tokens.ws, input_ids, "input_ids")?;
        let hidden = embed(
            &tokens,
            input_ids,
            self.embed_scale,
            &self.positions,
            0,
            self.layernorm_embedding.as_ref(),
            &self.dropout,
            train,
        );
        let bias = attention_mask
            .map(|mask| attention_bias(mask, batch, seq, seq, hidden.kind(), "attention_mask"))
            .transpose()?;
        let stack = run_layer_stack(
            &hidden,
            &self.layers,
            self.output_hidden_states,
            self.output_attentions,
            |layer, x| layer.forward_t(x, bias.as_ref(), self.output_attentions, train),
        );
        let mut hidden_states = stack.all_hidden_states;
        let hidden = match &self.layer_norm {
            Some(norm) => {
                // The last recorded state is the normed output, as HF reports it.
                let normed = norm.forward(&stack.hidden_state);
                if let Some(last) = hidden_states.as_mut().and_then(|h| h.last_mut()) {
                    *last = normed.shallow_clone();
                }
                normed
            }
            None => stack.hidden_state,
        };
        Ok((
            hidden,
            StackOutputs {
                hidden_states,
                attentions: stack.all_attentions,
                cross_attentions: None,
            },
        ))
    }
}

/// The decoder of the BART family.
#[derive(Debug)]
pub struct BartDecoder {
    layers: Vec<DecoderLayer>,
    positions: PositionEmbedding,
    layernorm_embedding: Option<nn::LayerNorm>,
    layer_norm: Option<nn::LayerNorm>,
    embed_scale: f64,
    dropout: Dropout,
    output_past: bool,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl BartDecoder {
    /// Builds the decoder under `p` with `options` (positions built by the caller).
    pub(crate) fn build(
        p: &nn::Path,
        config: &BartConfig,
        options: &StackOptions,
        positions: PositionEmbedding,
    ) -> Self {
        let layers_path = p / "layers";
        Self {
            layers: (0..config.decoder_layers)
                .map(|i| {
                    DecoderLayer::new(
                        &(&layers_path / i),
                        config.d_model,
                        config.decoder_attention_heads,
                        config.decoder_ffn_dim,
                        options,
                    )
                })
                .collect(),
            positions,
            layernorm_embedding: optional_layer_norm(
                p / "layernorm_embedding",
                config.d_model,
                options.layernorm_embedding,
            ),
            layer_norm: optional_layer_norm(
                p / "layer_norm",
                config.d_model,
                options.final_layer_norm,
            ),
            embed_scale: options.embed_scale,
            dropout: Dropout::new(options.dropout),
            output_past: config.output_past.unwrap_or(true),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Decodes `input_ids` `[batch, seq]` (the tokens after the cached ones) over
    /// `encoder_hidden` with `embed_tokens`. `decoder_attention_mask` covers cached and new
    /// tokens. Returns the last hidden state, the cache for the next step (when `output_past`)
    /// and the per-layer outputs.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: &Tensor,
        encoder_hidden: &Tensor,
        encoder_attention_mask: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        embed_tokens: &nn::Embedding,
        cache: Option<DecoderCache>,
        train: bool,
    ) -> Result<(Tensor, Option<DecoderCache>, StackOutputs), RustBertError> {
        let (batch, seq) = batch_and_length(input_ids, "decoder_input_ids")?;
        let source = encoder_hidden.size().get(1).copied().unwrap_or(0);
        let (states, past) = decoder_states(cache, self.layers.len())?;
        check_length(
            past + seq,
            &self.positions,
            "decoder_input_ids (with the cache)",
        )?;
        let tokens = lookup(&embed_tokens.ws, input_ids, "decoder_input_ids")?;
        let mut hidden = embed(
            &tokens,
            input_ids,
            self.embed_scale,
            &self.positions,
            past,
            self.layernorm_embedding.as_ref(),
            &self.dropout,
            train,
        );
        let kind = hidden.kind();
        let self_bias = causal_attention_bias(
            decoder_attention_mask,
            batch,
            seq,
            past,
            kind,
            hidden.device(),
        )?;
        let encoder_bias = encoder_attention_mask
            .map(|mask| attention_bias(mask, batch, seq, source, kind, "encoder attention_mask"))
            .transpose()?;
        let mut outputs = StackOutputs::new(
            self.output_hidden_states,
            self.output_attentions,
            self.output_attentions,
        );
        let mut next_cache = Vec::with_capacity(self.layers.len());
        for (layer, state) in self.layers.iter().zip(states) {
            outputs.push_hidden(&hidden);
            let out = layer.forward_t(
                &hidden,
                &self_bias,
                encoder_hidden,
                encoder_bias.as_ref(),
                state,
                self.output_past,
                self.output_attentions,
                train,
            );
            hidden = out.hidden;
            next_cache.push(out.state);
            outputs.push_attentions(out.self_attention, out.cross_attention);
        }
        if let Some(norm) = &self.layer_norm {
            hidden = norm.forward(&hidden);
        }
        outputs.push_hidden(&hidden);
        Ok((hidden, self.output_past.then_some(next_cache), outputs))
    }
}

fn check_length(
    length: i64,
    positions: &PositionEmbedding,
    what: &str,
) -> Result<(), RustBertError> {
    let max = positions.max_positions();
    if length > max {
        return Err(RustBertError::ValueError(format!(
            "{what} reaches position {length}; the model has {max} positions"
        )));
    }
    Ok(())
}

/// HF's `shift_tokens_right`: the decoder input when none is given, the start token followed by
/// the input without its last token (padding `-100` labels become the pad token).
pub(crate) fn shift_tokens_right(
    input_ids: &Tensor,
    pad_token_id: i64,
    start_token_id: i64,
) -> Tensor {
    let size = input_ids.size();
    let start = Tensor::full(
        [size[0], 1],
        start_token_id,
        (Kind::Int64, input_ids.device()),
    );
    let shifted = Tensor::cat(&[&start, &input_ids.narrow(1, 0, size[1] - 1)], 1);
    shifted.masked_fill(&shifted.eq(-100), pad_token_id)
}

/// Output of BART models: the decoder output (hidden states, or logits for the heads) with the
/// encoder output, the cache and the per-layer outputs when asked for.
#[derive(Debug)]
pub struct BartModelOutput {
    /// Decoder output: last hidden state `[batch, target, d_model]` for [`BartModel`], logits
    /// for the heads.
    pub decoder_output: Tensor,
    /// Encoder output `[batch, source, d_model]` (reuse it on the next step).
    pub encoder_hidden_state: Option<Tensor>,
    /// Decoder cache for the next step.
    pub cache: Option<DecoderCache>,
    /// Decoder hidden states (embeddings then every layer), when asked for.
    pub all_decoder_hidden_states: Option<Vec<Tensor>>,
    /// Decoder self-attention probabilities, when asked for.
    pub all_decoder_attentions: Option<Vec<Tensor>>,
    /// Decoder cross-attention probabilities, when asked for.
    pub all_cross_attentions: Option<Vec<Tensor>>,
    /// Encoder hidden states, when asked for (and the encoder ran).
    pub all_encoder_hidden_states: Option<Vec<Tensor>>,
    /// Encoder attention probabilities, when asked for (and the encoder ran).
    pub all_encoder_attentions: Option<Vec<Tensor>>,
}

/// BART: shared token embeddings (`shared`), an encoder and a decoder.
#[derive(Debug)]
pub struct BartModel {
    pub(crate) encoder: BartEncoder,
    pub(crate) decoder: BartDecoder,
    pub(crate) embeddings: nn::Embedding,
    pad_token_id: i64,
    decoder_start_token_id: i64,
}

impl BartModel {
    /// Builds the model under `p` (variables `shared`, `encoder.*`, `decoder.*`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BartConfig) -> BartModel {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let options = config.stack_options();
        let encoder_positions = config.positions(p / "encoder" / "embed_positions");
        let decoder_positions = config.positions(p / "decoder" / "embed_positions");
        Self::with_stack(p, config, &options, encoder_positions, decoder_positions)
    }

    /// Builds the model with explicit stack switches and positions (the models sharing the
    /// stack: Marian, ...).
    pub(crate) fn with_stack(
        p: &nn::Path,
        config: &BartConfig,
        options: &StackOptions,
        encoder_positions: PositionEmbedding,
        decoder_positions: PositionEmbedding,
    ) -> BartModel {
        let pad_token_id = config.pad_token_id.unwrap_or(1);
        BartModel {
            encoder: BartEncoder::build(&(p / "encoder"), config, options, encoder_positions),
            decoder: BartDecoder::build(&(p / "decoder"), config, options, decoder_positions),
            embeddings: nn::embedding(
                p / "shared",
                config.vocab_size,
                config.d_model,
                embedding_config(),
            ),
            pad_token_id,
            decoder_start_token_id: config
                .decoder_start_token_id
                .or(config.eos_token_id)
                .unwrap_or(2),
        }
    }

    /// Runs the encoder (unless `encoder_output` is given) and the decoder.
    ///
    /// * `input_ids` / `attention_mask` `[batch, source]`: the source and its padding mask;
    /// * `decoder_input_ids` `[batch, target]`: default, the input shifted right after the
    ///   decoder start token (HF's `shift_tokens_right`);
    /// * `encoder_output`: a previous step's encoder output, to skip the encoder;
    /// * `decoder_attention_mask` `[batch, past + target]`;
    /// * `layer_states`: the cache of the previous step.
    ///
    /// # Errors
    /// Missing inputs, mis-shaped masks, ids outside the vocabulary, sequences longer than
    /// the position table, a cache of the wrong depth.
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        encoder_output: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        layer_states: Option<DecoderCache>,
        train: bool,
    ) -> Result<BartModelOutput, RustBertError> {
        let (encoder_hidden, encoder_outputs) = match (encoder_output, input_ids) {
            (Some(output), _) => (output.shallow_clone(), StackOutputs::default()),
            (None, Some(ids)) => {
                self.encoder
                    .forward_t(ids, attention_mask, &self.embeddings, train)?
            }
            (None, None) => {
                return Err(RustBertError::ValueError(
                    "give input_ids or encoder_output".into(),
                ))
            }
        };
        let shifted;
        let decoder_input_ids = match (decoder_input_ids, input_ids) {
            (Some(ids), _) => ids,
            (None, Some(ids)) => {
                shifted = shift_tokens_right(ids, self.pad_token_id, self.decoder_start_token_id);
                &shifted
            }
            (None, None) => {
                return Err(RustBertError::ValueError(
                    "give decoder_input_ids (or input_ids to shift)".into(),
                ))
            }
        };
        let (decoder_output, cache, decoder_outputs) = self.decoder.forward_t(
            decoder_input_ids,
            &encoder_hidden,
            attention_mask,
            decoder_attention_mask,
            &self.embeddings,
            layer_states,
            train,
        )?;
        Ok(BartModelOutput {
            decoder_output,
            encoder_hidden_state: Some(encoder_hidden),
            cache,
            all_decoder_hidden_states: decoder_outputs.hidden_states,
            all_decoder_attentions: decoder_outputs.attentions,
            all_cross_attentions: decoder_outputs.cross_attentions,
            all_encoder_hidden_states: encoder_outputs.hidden_states,
            all_encoder_attentions: encoder_outputs.attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            decoder_input_ids: Option<&Tensor>,
            encoder_output: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            layer_states: Option<DecoderCache>,
            train: bool
        ) -> BartModelOutput = try_forward_t
    }
}

/// BART with a language-model head tied to the shared embeddings, plus `final_logits_bias`:
/// summarization and generation.
#[derive(Debug)]
pub struct BartForConditionalGeneration {
    pub(crate) base_model: BartModel,
    final_logits_bias: Option<Tensor>,
}

impl BartForConditionalGeneration {
    /// Builds the model under `p` (variables `model.*` and `final_logits_bias`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BartConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self::from_base(p, BartModel::new(p / "model", config), config)
    }

    pub(crate) fn from_base(p: &nn::Path, base_model: BartModel, config: &BartConfig) -> Self {
        Self::from_base_with_bias(p, base_model, config, true)
    }

    /// The head over a base model, with or without `final_logits_bias` (M2M100's head has
    /// none).
    pub(crate) fn from_base_with_bias(
        p: &nn::Path,
        base_model: BartModel,
        config: &BartConfig,
        with_bias: bool,
    ) -> Self {
        Self {
            base_model,
            final_logits_bias: with_bias.then(|| {
                p.var(
                    "final_logits_bias",
                    &[1, config.vocab_size],
                    Init::Const(0.0),
                )
            }),
        }
    }

    /// Runs the model (arguments as [`BartModel::forward_t`], in rust-bert's order); the
    /// output's `decoder_output` holds the logits `[batch, target, vocab]`.
    ///
    /// # Errors
    /// As [`BartModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        encoder_output: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        old_layer_states: Option<DecoderCache>,
        train: bool,
    ) -> Result<BartModelOutput, RustBertError> {
        let mut output = self.base_model.try_forward_t(
            input_ids,
            attention_mask,
            decoder_input_ids,
            encoder_output,
            decoder_attention_mask,
            old_layer_states,
            train,
        )?;
        output.decoder_output = self.logits(&output.decoder_output);
        Ok(output)
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            encoder_output: Option<&Tensor>,
            decoder_input_ids: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            old_layer_states: Option<DecoderCache>,
            train: bool
        ) -> BartModelOutput = try_forward_t
    }

    /// Vocabulary logits of decoder hidden states.
    pub(crate) fn logits(&self, hidden: &Tensor) -> Tensor {
        let logits = project(hidden, &self.base_model.embeddings.ws, None);
        match &self.final_logits_bias {
            Some(bias) => logits + bias,
            None => logits,
        }
    }

    /// Runs the encoder alone: `[batch, source, d_model]`.
    ///
    /// # Errors
    /// As [`BartModel::forward_t`].
    pub fn try_encode(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
    ) -> Result<Tensor, RustBertError> {
        let model = &self.base_model;
        Ok(model
            .encoder
            .forward_t(input_ids, attention_mask, &model.embeddings, false)?
            .0)
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

/// Classification head on the last end-of-sequence token's decoder state (HF
/// `BartClassificationHead`: dense, tanh, out_proj).
#[derive(Debug)]
pub struct BartClassificationHead {
    dense: nn::Linear,
    dropout: Dropout,
    out_proj: nn::Linear,
}

impl BartClassificationHead {
    /// Builds the head under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BartConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            dense: linear(p / "dense", config.d_model, config.d_model),
            dropout: Dropout::new(
                config
                    .classifier_dropout
                    .or(config.classif_dropout)
                    .unwrap_or(0.0),
            ),
            out_proj: linear(p / "out_proj", config.d_model, config.num_labels()?),
        })
    }

    /// Logits of sentence representations `[batch, d_model]`.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let x = self.dropout.forward_t(x, train);
        let x = self.dense.forward(&x).tanh();
        self.out_proj.forward(&self.dropout.forward_t(&x, train))
    }
}

/// BART for sequence classification (e.g. bart-large-mnli, zero-shot classification): the
/// decoder state at each input's last end-of-sequence token goes through the classification
/// head.
#[derive(Debug)]
pub struct BartForSequenceClassification {
    base_model: BartModel,
    classification_head: BartClassificationHead,
    eos_token_id: i64,
}

impl BartForSequenceClassification {
    /// Builds the model under `p` (variables `model.*`, `classification_head.*`).
    ///
    /// # Errors
    /// A configuration without `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BartConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Self::from_base(p, BartModel::new(p / "model", config), config)
    }

    /// The head over a base model built with other stack switches (mBART).
    pub(crate) fn from_base(
        p: &nn::Path,
        base_model: BartModel,
        config: &BartConfig,
    ) -> Result<Self, RustBertError> {
        Ok(Self {
            base_model,
            classification_head: BartClassificationHead::new(p / "classification_head", config)?,
            eos_token_id: config.eos_token_id.unwrap_or(2),
        })
    }

    /// Class logits `[batch, num_labels]` in `decoder_output`, from the decoder state at each
    /// row's last end-of-sequence token (HF also requires every row to hold the same number of
    /// them; here rows may differ).
    ///
    /// # Errors
    /// A row without an end token, and [`BartModel::forward_t`]'s.
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
        encoder_output: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<BartModelOutput, RustBertError> {
        let mut output = self.base_model.try_forward_t(
            Some(input_ids),
            attention_mask,
            decoder_input_ids,
            encoder_output,
            decoder_attention_mask,
            None,
            train,
        )?;
        // The decoder state at each row's last end token. HF requires the same number of end
        // tokens in every row (it reshapes them into a grid); taking each row's last one gives
        // the same result for those inputs and also serves a text holding a literal `</s>`.
        let eos = input_ids.eq(self.eos_token_id);
        let counts = Vec::<i64>::try_from(eos.sum_dim_intlist([1].as_slice(), false, Kind::Int64))?;
        if counts.contains(&0) {
            return Err(RustBertError::ValueError(format!(
                "every input must hold an end-of-sequence token ({}); counts per row: {counts:?}",
                self.eos_token_id
            )));
        }
        let hidden = &output.decoder_output;
        let (length, size) = (hidden.size()[1], hidden.size()[2]);
        let positions = Tensor::arange(length, (Kind::Int64, hidden.device()));
        let last = (eos.to_kind(Kind::Int64) * positions.unsqueeze(0)).amax([1].as_slice(), true);
        let selected = hidden
            .gather(1, &last.unsqueeze(-1).expand([-1, 1, size], false), false)
            .squeeze_dim(1);
        output.decoder_output = self.classification_head.forward_t(&selected, train);
        Ok(output)
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: &Tensor,
            attention_mask: Option<&Tensor>,
            encoder_output: Option<&Tensor>,
            decoder_input_ids: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            train: bool
        ) -> BartModelOutput = try_forward_t
    }
}
