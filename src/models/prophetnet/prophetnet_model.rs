//! ProphetNet's configuration, resources, encoder, decoder, base model and heads.
use super::attention::{
    full_sequence_buckets, full_sequence_masks, step_buckets, NgramSelfAttention,
};
use crate::bart::BartAttention;
use crate::common::activations::Activation;
use crate::common::config::ConfigChecks;
use crate::common::layers::embeddings::{ids_or_embeds, lookup};
use crate::common::layers::{attention_bias, Dropout, TwoLayerFeedForward};
use crate::generation::{DecoderCache, LayerState};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// Pretrained ProphetNet weights on the hub, as `(cache subdirectory, URL)`.
pub struct ProphetNetModelResources;
/// Pretrained ProphetNet configurations on the hub, as `(cache subdirectory, URL)`.
pub struct ProphetNetConfigResources;
/// Pretrained ProphetNet vocabularies (`prophetnet.tokenizer`) on the hub, as
/// `(cache subdirectory, URL)`.
pub struct ProphetNetVocabResources;

macro_rules! prophetnet_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// prophetnet-large-uncased (Microsoft, MIT licence).
            pub const PROPHETNET_LARGE_UNCASED: (&'static str, &'static str) = (
                concat!("prophetnet-large-uncased/", $suffix),
                concat!(
                    "https://huggingface.co/microsoft/prophetnet-large-uncased/resolve/main/",
                    $file
                ),
            );
            /// prophetnet-large-uncased-cnndm: summarization (CNN / Daily Mail; Microsoft, MIT
            /// licence).
            pub const PROPHETNET_LARGE_CNN_DM: (&'static str, &'static str) = (
                concat!("prophetnet-large-uncased-cnndm/", $suffix),
                concat!(
                    "https://huggingface.co/microsoft/prophetnet-large-uncased-cnndm/resolve/main/",
                    $file
                ),
            );
        }
    };
}
prophetnet_resources!(ProphetNetModelResources, "rust_model.ot", "model");
prophetnet_resources!(ProphetNetConfigResources, "config.json", "config");
prophetnet_resources!(ProphetNetVocabResources, "prophetnet.tokenizer", "vocab");

fn default_dropout() -> f64 {
    0.1
}
fn default_ffn() -> i64 {
    4096
}
fn default_hidden() -> i64 {
    1024
}
fn default_heads() -> i64 {
    16
}
fn default_layers() -> i64 {
    12
}
fn default_positions() -> i64 {
    512
}
fn default_ngram() -> i64 {
    2
}
fn default_buckets() -> i64 {
    32
}
fn default_max_distance() -> i64 {
    128
}
fn default_vocab() -> i64 {
    30522
}
fn default_init_std() -> f64 {
    0.02
}
fn default_true() -> bool {
    true
}
fn default_bos() -> i64 {
    1
}
fn default_eos() -> i64 {
    2
}
fn default_start() -> Option<i64> {
    Some(0)
}
fn default_activation() -> Activation {
    Activation::gelu
}
fn default_cross_attention() -> Option<bool> {
    Some(true)
}

/// Configuration of ProphetNet (HF `ProphetNetConfig`; keys HF may omit take HF's defaults).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct ProphetNetConfig {
    /// Activation of the feed-forward blocks.
    #[serde(default = "default_activation")]
    pub activation_function: Activation,
    /// Dropout inside the feed-forward blocks.
    #[serde(default = "default_dropout")]
    pub activation_dropout: f64,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_dropout: f64,
    /// Decoder feed-forward size.
    #[serde(default = "default_ffn")]
    pub decoder_ffn_dim: i64,
    /// First decoder token (ProphetNet: the padding token, 0).
    #[serde(default = "default_start")]
    pub decoder_start_token_id: Option<i64>,
    /// Training only: loss on the first predict stream alone.
    #[serde(default)]
    pub disable_ngram_loss: bool,
    /// Dropout after the blocks.
    #[serde(default = "default_dropout")]
    pub dropout: f64,
    /// Encoder feed-forward size.
    #[serde(default = "default_ffn")]
    pub encoder_ffn_dim: i64,
    /// Training only: label smoothing.
    #[serde(default)]
    pub eps: f64,
    /// Hidden size.
    #[serde(default = "default_hidden")]
    pub hidden_size: i64,
    /// Standard deviation of the initial weights.
    #[serde(default = "default_init_std")]
    pub init_std: f64,
    /// Whether the checkpoint is an encoder-decoder.
    #[serde(default = "default_true")]
    pub is_encoder_decoder: bool,
    /// Rows of the learned position tables (positions start after the padding index).
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Beginning-of-sequence token.
    #[serde(default = "default_bos")]
    pub bos_token_id: i64,
    /// End-of-sequence token (`[SEP]`).
    #[serde(default = "default_eos")]
    pub eos_token_id: i64,
    /// Token forced first in generation.
    #[serde(default)]
    pub forced_bos_token_id: Option<i64>,
    /// Token forced last in generation.
    #[serde(default)]
    pub forced_eos_token_id: Option<i64>,
    /// Number of predict streams (future tokens predicted at once).
    #[serde(default = "default_ngram")]
    pub ngram: i64,
    /// Class labels by id.
    pub id2label: Option<HashMap<i64, String>>,
    /// Class ids by label.
    pub label2id: Option<HashMap<String, i64>>,
    /// Relative position buckets.
    #[serde(default = "default_buckets")]
    pub num_buckets: i64,
    /// Decoder attention heads.
    #[serde(default = "default_heads")]
    pub num_decoder_attention_heads: i64,
    /// Decoder layers.
    #[serde(default = "default_layers")]
    pub num_decoder_layers: i64,
    /// Encoder attention heads.
    #[serde(default = "default_heads")]
    pub num_encoder_attention_heads: i64,
    /// Encoder layers.
    #[serde(default = "default_layers")]
    pub num_encoder_layers: i64,
    /// Whether the model returns its cache (rust-bert's field; the generator always caches).
    pub output_past: Option<bool>,
    /// Padding token, also the padding index of the position tables.
    #[serde(default)]
    pub pad_token_id: i64,
    /// Distance at which the relative position buckets stop growing.
    #[serde(default = "default_max_distance")]
    pub relative_max_distance: i64,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Return every layer's attention probabilities.
    pub output_attentions: Option<bool>,
    /// Return every layer's hidden states.
    pub output_hidden_states: Option<bool>,
    /// Whether decoder layers have cross-attention.
    #[serde(default = "default_cross_attention")]
    pub add_cross_attention: Option<bool>,
}

impl Config for ProphetNetConfig {
    fn initializer_std(&self) -> f64 {
        self.init_std
    }

    fn validate(&self) -> Result<(), RustBertError> {
        ConfigChecks::new("ProphetNet")
            .positive("vocab_size", self.vocab_size)
            .positive("hidden_size", self.hidden_size)
            .positive("encoder_ffn_dim", self.encoder_ffn_dim)
            .positive("decoder_ffn_dim", self.decoder_ffn_dim)
            .positive(
                "num_encoder_attention_heads",
                self.num_encoder_attention_heads,
            )
            .positive(
                "num_decoder_attention_heads",
                self.num_decoder_attention_heads,
            )
            .divides(
                "num_encoder_attention_heads",
                self.num_encoder_attention_heads,
                "hidden_size",
                self.hidden_size,
            )
            .divides(
                "num_decoder_attention_heads",
                self.num_decoder_attention_heads,
                "hidden_size",
                self.hidden_size,
            )
            .non_negative("num_encoder_layers", self.num_encoder_layers)
            .non_negative("num_decoder_layers", self.num_decoder_layers)
            .positive("ngram", self.ngram)
            .positive("num_buckets", self.num_buckets)
            .positive("relative_max_distance", self.relative_max_distance)
            .non_negative("pad_token_id", self.pad_token_id)
            .require(self.pad_token_id + 2 < self.max_position_embeddings, || {
                format!(
                    "max_position_embeddings = {} leaves no position after pad_token_id = {}",
                    self.max_position_embeddings, self.pad_token_id
                )
            })
            // The bucketing keeps `num_buckets / 2` exact distances and needs one at least.
            .require(self.num_buckets >= 2, || {
                format!("num_buckets = {} is below 2", self.num_buckets)
            })
            .probability("dropout", self.dropout)
            .probability("attention_dropout", self.attention_dropout)
            .probability("activation_dropout", self.activation_dropout)
            .finish()
    }
}

impl Default for ProphetNetConfig {
    /// prophetnet-large-uncased's sizes (HF's defaults).
    fn default() -> Self {
        ProphetNetConfig {
            activation_function: Activation::gelu,
            activation_dropout: 0.1,
            attention_dropout: 0.1,
            decoder_ffn_dim: 4096,
            decoder_start_token_id: Some(0),
            disable_ngram_loss: false,
            dropout: 0.1,
            encoder_ffn_dim: 4096,
            eps: 0.0,
            hidden_size: 1024,
            init_std: 0.02,
            is_encoder_decoder: true,
            max_position_embeddings: 512,
            bos_token_id: 1,
            eos_token_id: 2,
            forced_bos_token_id: None,
            forced_eos_token_id: None,
            ngram: 2,
            id2label: None,
            label2id: None,
            num_buckets: 32,
            num_decoder_attention_heads: 16,
            num_decoder_layers: 12,
            num_encoder_attention_heads: 16,
            num_encoder_layers: 12,
            output_past: None,
            pad_token_id: 0,
            relative_max_distance: 128,
            vocab_size: 30522,
            output_attentions: None,
            output_hidden_states: None,
            add_cross_attention: Some(true),
        }
    }
}

fn layer_norm(p: nn::Path, dim: i64) -> nn::LayerNorm {
    // HF builds torch.nn.LayerNorm with its default epsilon (1e-5).
    nn::layer_norm(p, vec![dim], Default::default())
}

fn feed_forward(p: nn::Path, config: &ProphetNetConfig, ffn_dim: i64) -> TwoLayerFeedForward {
    TwoLayerFeedForward::new(
        p,
        config.hidden_size,
        ffn_dim,
        config.activation_function,
        config.dropout,
        ["intermediate", "output"],
    )
}

fn attention(p: nn::Path, config: &ProphetNetConfig, heads: i64) -> BartAttention {
    BartAttention::with_names(
        p,
        config.hidden_size,
        heads,
        config.attention_dropout,
        ["query_proj", "key_proj", "value_proj", "out_proj"],
    )
}

/// HF `ProphetNetPositionalEmbeddings`: a learned table read at `padding_idx + 1, 2, ...`
/// (whatever the attention mask), clamped to the last row for a whole sequence.
#[derive(Debug)]
struct Positions {
    table: nn::Embedding,
    padding_idx: i64,
}

impl Positions {
    fn new(p: nn::Path, config: &ProphetNetConfig) -> Self {
        Self {
            table: nn::embedding(
                p,
                config.max_position_embeddings,
                config.hidden_size,
                crate::common::layers::linear::embedding_config(),
            ),
            padding_idx: config.pad_token_id,
        }
    }

    fn rows(&self) -> i64 {
        self.table.ws.size()[0]
    }

    /// Position ids `[1, length]` of a whole sequence.
    fn sequence_ids(&self, length: i64, device: tch::Device) -> Tensor {
        (Tensor::arange_start(1, length + 1, (Kind::Int64, device)) + self.padding_idx)
            .clamp(0, self.rows() - 1)
            .unsqueeze(0)
    }

    fn embed(&self, ids: &Tensor, what: &str) -> Result<Tensor, RustBertError> {
        lookup(&self.table.ws, ids, what)
    }
}

/// Encoder layer: self-attention then feed-forward, post-norm.
#[derive(Debug)]
struct EncoderLayer {
    self_attn: BartAttention,
    self_attn_layer_norm: nn::LayerNorm,
    feed_forward: TwoLayerFeedForward,
    feed_forward_layer_norm: nn::LayerNorm,
}

impl EncoderLayer {
    fn new(p: nn::Path, config: &ProphetNetConfig) -> Self {
        Self {
            self_attn: attention(&p / "self_attn", config, config.num_encoder_attention_heads),
            self_attn_layer_norm: layer_norm(&p / "self_attn_layer_norm", config.hidden_size),
            feed_forward: feed_forward(&p / "feed_forward", config, config.encoder_ffn_dim),
            feed_forward_layer_norm: layer_norm(&p / "feed_forward_layer_norm", config.hidden_size),
        }
    }
}

/// Outputs of the encoder.
#[derive(Debug)]
pub struct ProphetNetEncoderOutput {
    /// Last hidden state `[batch, source, hidden]`.
    pub hidden_states: Tensor,
    /// The embeddings then each layer's output (when asked).
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Each layer's attention probabilities (when asked).
    pub all_attentions: Option<Vec<Tensor>>,
}

/// ProphetNet's encoder: token plus learned position embeddings, a layer norm, post-norm
/// layers (variables under `prophetnet.encoder`; the token table is the model's).
#[derive(Debug)]
pub struct ProphetNetEncoder {
    positions: Positions,
    embeddings_layer_norm: nn::LayerNorm,
    layers: Vec<EncoderLayer>,
    dropout: Dropout,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl ProphetNetEncoder {
    /// Builds the encoder under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &ProphetNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            positions: Positions::new(p / "position_embeddings", config),
            embeddings_layer_norm: layer_norm(p / "embeddings_layer_norm", config.hidden_size),
            layers: (0..config.num_encoder_layers)
                .map(|i| EncoderLayer::new(p / "layers" / i, config))
                .collect(),
            dropout: Dropout::new(config.dropout),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Encodes `input_ids` (or `input_embeds`) with the token table `word_embeddings`;
    /// `attention_mask` `[batch, source]` marks padding with 0.
    ///
    /// # Errors
    /// Missing or mis-shaped inputs, an id outside the vocabulary, a source longer than the
    /// position table.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        word_embeddings: &nn::Embedding,
        train: bool,
    ) -> Result<ProphetNetEncoderOutput, RustBertError> {
        let (tokens, batch, length) = ids_or_embeds(
            &word_embeddings.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        if length == 0 {
            return Err(RustBertError::ValueError(
                "the input sequence is empty (0 tokens)".into(),
            ));
        }
        let positions = self.positions.sequence_ids(length, tokens.device());
        let hidden = tokens + self.positions.embed(&positions, "encoder positions")?;
        let mut hidden = self
            .dropout
            .forward_t(&self.embeddings_layer_norm.forward(&hidden), train);
        let bias = attention_mask
            .map(|mask| {
                attention_bias(mask, batch, length, length, hidden.kind(), "attention_mask")
            })
            .transpose()?;
        let mut all_hidden_states = self.output_hidden_states.then(Vec::new);
        let mut all_attentions = self.output_attentions.then(Vec::new);
        for layer in &self.layers {
            if let Some(states) = all_hidden_states.as_mut() {
                states.push(hidden.shallow_clone());
            }
            let (attended, probs, _) = layer.self_attn.forward_t(
                &hidden,
                None,
                bias.as_ref(),
                None,
                false,
                self.output_attentions,
                train,
            );
            let x = layer
                .self_attn_layer_norm
                .forward(&(self.dropout.forward_t(&attended, train) + &hidden));
            let ffn = layer.feed_forward.forward_t(&x, train);
            hidden = layer.feed_forward_layer_norm.forward(&(ffn + &x));
            if let (Some(all), Some(probs)) = (all_attentions.as_mut(), probs) {
                all.push(probs);
            }
        }
        if let Some(states) = all_hidden_states.as_mut() {
            states.push(hidden.shallow_clone());
        }
        Ok(ProphetNetEncoderOutput {
            hidden_states: hidden,
            all_hidden_states,
            all_attentions,
        })
    }
}

/// Decoder layer: n-stream self-attention, cross-attention (when the layer has it and an
/// encoder output is given), feed-forward; post-norm.
#[derive(Debug)]
struct DecoderLayer {
    self_attn: NgramSelfAttention,
    self_attn_layer_norm: nn::LayerNorm,
    cross_attn: Option<(BartAttention, nn::LayerNorm)>,
    feed_forward: TwoLayerFeedForward,
    feed_forward_layer_norm: nn::LayerNorm,
}

impl DecoderLayer {
    fn new(p: nn::Path, config: &ProphetNetConfig) -> Self {
        let heads = config.num_decoder_attention_heads;
        Self {
            self_attn: NgramSelfAttention::new(
                &p / "self_attn",
                config.hidden_size,
                heads,
                config.ngram,
                config.num_buckets,
                config.attention_dropout,
            ),
            self_attn_layer_norm: layer_norm(&p / "self_attn_layer_norm", config.hidden_size),
            cross_attn: config.add_cross_attention.unwrap_or(true).then(|| {
                (
                    attention(&p / "cross_attn", config, heads),
                    layer_norm(&p / "cross_attn_layer_norm", config.hidden_size),
                )
            }),
            feed_forward: feed_forward(&p / "feed_forward", config, config.decoder_ffn_dim),
            feed_forward_layer_norm: layer_norm(&p / "feed_forward_layer_norm", config.hidden_size),
        }
    }
}

/// Outputs of the decoder.
#[derive(Debug)]
pub struct ProphetNetDecoderOutput {
    /// Main stream's last hidden state `[batch, length, hidden]`.
    pub hidden_states: Tensor,
    /// Predict streams' last hidden states `[batch, ngram * length, hidden]`.
    pub ngram_hidden_states: Option<Tensor>,
    /// The main stream entering each layer, then the output (when asked).
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// The predict streams entering each layer, then the output (when asked).
    pub all_ngram_hidden_states: Option<Vec<Tensor>>,
    /// Main-stream self-attention probabilities per layer (when asked).
    pub all_attentions: Option<Vec<Tensor>>,
    /// Predict-stream self-attention probabilities per layer (when asked).
    pub all_ngram_attentions: Option<Vec<Tensor>>,
    /// Cross-attention probabilities per layer (when asked).
    pub all_cross_attentions: Option<Vec<Tensor>>,
    /// Per layer, the main stream's self-attention state and the cross-attention state.
    pub next_decoder_cache: Option<Vec<(Option<LayerState>, Option<LayerState>)>>,
}

/// ProphetNet's decoder: the main stream (tokens plus positions) and `ngram` predict streams
/// (an n-gram embedding plus the next position), side by side through n-stream layers
/// (variables under `prophetnet.decoder`; the token table is the model's).
#[derive(Debug)]
pub struct ProphetNetDecoder {
    positions: Positions,
    ngram_embeddings: nn::Embedding,
    embeddings_layer_norm: nn::LayerNorm,
    layers: Vec<DecoderLayer>,
    dropout: Dropout,
    ngram: i64,
    num_buckets: i64,
    relative_max_distance: i64,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl ProphetNetDecoder {
    /// Builds the decoder under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &ProphetNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            positions: Positions::new(p / "position_embeddings", config),
            ngram_embeddings: nn::embedding(
                p / "ngram_embeddings",
                config.ngram,
                config.hidden_size,
                crate::common::layers::linear::embedding_config(),
            ),
            embeddings_layer_norm: layer_norm(p / "embeddings_layer_norm", config.hidden_size),
            layers: (0..config.num_decoder_layers)
                .map(|i| DecoderLayer::new(p / "layers" / i, config))
                .collect(),
            dropout: Dropout::new(config.dropout),
            ngram: config.ngram,
            num_buckets: config.num_buckets,
            relative_max_distance: config.relative_max_distance,
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Decodes `input_ids` (or `input_embeds`) `[batch, length]` with the token table
    /// `word_embeddings`, attending to `encoder_hidden_states` (masked by
    /// `encoder_attention_mask`) where given. With `old_layer_states` from an earlier call,
    /// `input_ids` holds the one next token (HF allows only one with a cache, and ignores the
    /// decoder `attention_mask` then).
    ///
    /// # Errors
    /// Missing or mis-shaped inputs, ids outside the vocabulary, more than one token with a
    /// cache, a sequence past the position table, a cache of another depth.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        encoder_attention_mask: Option<&Tensor>,
        old_layer_states: Option<Vec<(Option<LayerState>, Option<LayerState>)>>,
        input_embeds: Option<&Tensor>,
        word_embeddings: &nn::Embedding,
        train: bool,
    ) -> Result<ProphetNetDecoderOutput, RustBertError> {
        let (tokens, batch, length) = ids_or_embeds(
            &word_embeddings.ws,
            input_ids,
            input_embeds,
            ("decoder_input_ids", "decoder_input_embeds"),
        )?;
        let (states, past) =
            crate::generation::decoder_states(old_layer_states, self.layers.len())?;
        let device = tokens.device();
        let kind = tokens.kind();
        let rows = self.positions.rows();
        if length == 0 {
            return Err(RustBertError::ValueError(
                "the decoder input is empty (0 tokens)".into(),
            ));
        }
        if past > 0 && length != 1 {
            return Err(RustBertError::ValueError(format!(
                "with a cache, ProphetNet's decoder takes one token at a time, not {length}"
            )));
        }
        // The predict streams read the position after each token, and HF's bucket table holds
        // `rows - 2` positions for a whole sequence: past that HF fails too.
        let last_position = self.positions.padding_idx + past + length + 1;
        if last_position >= rows || (past == 0 && length > rows - 2) {
            return Err(RustBertError::ValueError(format!(
                "the decoder sequence ({} tokens) is too long for the {rows} positions of \
                 ProphetNet's position table",
                past + length
            )));
        }
        let position_ids = if past > 0 {
            Tensor::from_slice(&[self.positions.padding_idx + past + 1])
                .to(device)
                .view([1, 1])
        } else {
            self.positions.sequence_ids(length, device)
        };
        let main = tokens + self.positions.embed(&position_ids, "decoder positions")?;
        let predict_positions = self
            .positions
            .embed(&(&position_ids + 1), "decoder positions")?;
        // Stream s adds n-gram embedding s - 1 (HF indexes `ngram_embeddings[ngram - 1]` for
        // ngram = 0, 1, ...: the last row first).
        let mut streams = vec![main];
        for s in 0..self.ngram {
            let row = (s - 1).rem_euclid(self.ngram);
            let stream = (self.ngram_embeddings.ws.get(row) + &predict_positions)
                .expand([batch, length, -1], false);
            streams.push(stream);
        }
        let hidden = Tensor::cat(&streams, 1);
        let mut hidden = self
            .dropout
            .forward_t(&self.embeddings_layer_norm.forward(&hidden), train);

        let (buckets, masks) = if past > 0 {
            let keys = past + 1;
            let position = self.positions.padding_idx + keys;
            (
                step_buckets(
                    keys,
                    position,
                    self.num_buckets,
                    self.relative_max_distance,
                    device,
                ),
                None,
            )
        } else {
            let mask = attention_mask
                .map(|m| {
                    if m.size() != [batch, length] {
                        Err(RustBertError::ValueError(format!(
                            "decoder attention_mask has shape {:?}; expected [{batch}, {length}]",
                            m.size()
                        )))
                    } else {
                        Ok(m.to_device(device))
                    }
                })
                .transpose()?;
            let (main, predict) =
                full_sequence_buckets(length, self.num_buckets, self.relative_max_distance, device);
            (
                (main.unsqueeze(0), predict.unsqueeze(0)),
                Some(full_sequence_masks(
                    length,
                    self.ngram,
                    mask.as_ref(),
                    kind,
                    device,
                )),
            )
        };
        let encoder_bias = match (encoder_hidden_states, encoder_attention_mask) {
            (Some(encoder), Some(mask)) => Some(attention_bias(
                mask,
                batch,
                length,
                encoder.size()[1],
                kind,
                "encoder attention_mask",
            )?),
            _ => None,
        };

        let want_hidden = self.output_hidden_states;
        let want_attentions = self.output_attentions;
        let mut all_hidden_states = want_hidden.then(Vec::new);
        let mut all_ngram_hidden_states = want_hidden.then(Vec::new);
        let mut all_attentions = want_attentions.then(Vec::new);
        let mut all_ngram_attentions = want_attentions.then(Vec::new);
        let mut all_cross_attentions = want_attentions.then(Vec::new);
        let mut next_cache = Vec::with_capacity(self.layers.len());
        let record =
            |hidden: &Tensor, main: &mut Option<Vec<Tensor>>, ngram: &mut Option<Vec<Tensor>>| {
                if let (Some(main), Some(ngram)) = (main.as_mut(), ngram.as_mut()) {
                    main.push(hidden.narrow(1, 0, length));
                    ngram.push(hidden.narrow(1, length, self.ngram * length));
                }
            };
        for (layer, (self_state, cross_state)) in self.layers.iter().zip(states) {
            record(
                &hidden,
                &mut all_hidden_states,
                &mut all_ngram_hidden_states,
            );
            let attended = layer.self_attn.forward_t(
                &hidden,
                self_state,
                (&buckets.0, &buckets.1),
                masks.as_ref().map(|(m, p)| (m, p)),
                true,
                want_attentions,
                train,
            )?;
            hidden = layer
                .self_attn_layer_norm
                .forward(&(&hidden + self.dropout.forward_t(&attended.output, train)));
            if let (Some(all), Some(probs)) = (all_attentions.as_mut(), attended.main_probs) {
                all.push(probs);
            }
            if let (Some(all), Some(probs)) =
                (all_ngram_attentions.as_mut(), attended.predict_probs)
            {
                all.push(probs);
            }
            let mut next_cross = None;
            if let (Some((cross, norm)), Some(encoder)) = (&layer.cross_attn, encoder_hidden_states)
            {
                let (output, probs, state) = cross.forward_t(
                    &hidden,
                    Some(encoder),
                    encoder_bias.as_ref(),
                    cross_state,
                    true,
                    want_attentions,
                    train,
                );
                hidden = norm.forward(&(self.dropout.forward_t(&output, train) + &hidden));
                next_cross = state;
                if let (Some(all), Some(probs)) = (all_cross_attentions.as_mut(), probs) {
                    all.push(probs);
                }
            }
            let ffn = layer.feed_forward.forward_t(&hidden, train);
            hidden = layer.feed_forward_layer_norm.forward(&(ffn + &hidden));
            next_cache.push((attended.state, next_cross));
        }
        record(
            &hidden,
            &mut all_hidden_states,
            &mut all_ngram_hidden_states,
        );
        if encoder_hidden_states.is_none() {
            all_cross_attentions = None;
        }
        Ok(ProphetNetDecoderOutput {
            hidden_states: hidden.narrow(1, 0, length),
            ngram_hidden_states: Some(hidden.narrow(1, length, self.ngram * length)),
            all_hidden_states,
            all_ngram_hidden_states,
            all_attentions,
            all_ngram_attentions,
            all_cross_attentions,
            next_decoder_cache: Some(next_cache),
        })
    }
}

/// Outputs of [`ProphetNetModel`].
#[derive(Debug)]
pub struct ProphetNetOutput {
    /// Main stream's last hidden state `[batch, length, hidden]`.
    pub last_hidden_states: Tensor,
    /// Predict streams' last hidden states `[batch, ngram * length, hidden]`.
    pub ngram_hidden_states: Option<Tensor>,
    /// The decoder's main stream per layer (when asked).
    pub all_decoder_hidden_states: Option<Vec<Tensor>>,
    /// The decoder's predict streams per layer (when asked).
    pub all_ngram_hidden_states: Option<Vec<Tensor>>,
    /// Main-stream self-attention probabilities per layer (when asked).
    pub all_attentions: Option<Vec<Tensor>>,
    /// Predict-stream self-attention probabilities per layer (when asked).
    pub all_ngram_attentions: Option<Vec<Tensor>>,
    /// Cross-attention probabilities per layer (when asked).
    pub all_cross_attentions: Option<Vec<Tensor>>,
    /// Cache for the next step.
    pub next_decoder_cache: Option<Vec<(Option<LayerState>, Option<LayerState>)>>,
    /// The encoder's output, when this call computed it.
    pub encoder_hidden_state: Option<Tensor>,
    /// The encoder's embeddings and layer outputs (when asked and computed).
    pub all_encoder_hidden_states: Option<Vec<Tensor>>,
    /// The encoder's attention probabilities (when asked and computed).
    pub all_encoder_attentions: Option<Vec<Tensor>>,
}

/// ProphetNet encoder-decoder (HF `ProphetNetModel`): one token table shared by the encoder,
/// the decoder and (in the generation head) the output projection.
#[derive(Debug)]
pub struct ProphetNetModel {
    pub(crate) word_embeddings: nn::Embedding,
    pub(crate) encoder: ProphetNetEncoder,
    decoder: ProphetNetDecoder,
}

impl ProphetNetModel {
    /// Builds the model under `p` (HF's `prophetnet.` prefix is the caller's).
    ///
    /// # Errors
    /// A configuration [`Config::validate`] refuses.
    pub fn new<'p, P>(p: P, config: &ProphetNetConfig) -> Result<ProphetNetModel, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let _init = crate::common::config::building(config)?;
        config.validate()?;
        let p = p.borrow();
        Ok(ProphetNetModel {
            word_embeddings: nn::embedding(
                p / "word_embeddings",
                config.vocab_size,
                config.hidden_size,
                crate::common::layers::linear::embedding_config(),
            ),
            encoder: ProphetNetEncoder::new(p / "encoder", config),
            decoder: ProphetNetDecoder::new(p / "decoder", config),
        })
    }

    /// Encodes the source (unless `encoder_hidden_states` is given) and decodes
    /// `decoder_input_ids` (or `decoder_input_embeds`) against it. The encoder's
    /// `attention_mask` also masks the cross-attention (as HF; rust-bert 0.23 passed the
    /// decoder's mask there).
    ///
    /// # Errors
    /// As [`ProphetNetEncoder::forward_t`] and [`ProphetNetDecoder::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        old_layer_states: Option<Vec<(Option<LayerState>, Option<LayerState>)>>,
        decoder_input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ProphetNetOutput, RustBertError> {
        let encoded = match encoder_hidden_states {
            Some(_) => None,
            None => Some(self.encoder.forward_t(
                input_ids,
                attention_mask,
                input_embeds,
                &self.word_embeddings,
                train,
            )?),
        };
        let encoder = match (encoder_hidden_states, &encoded) {
            (Some(given), _) => given,
            (None, Some(output)) => &output.hidden_states,
            (None, None) => {
                return Err(RustBertError::ValueError(
                    "no encoder output was given or computed".into(),
                ))
            }
        };
        let decoder = self.decoder.forward_t(
            decoder_input_ids,
            decoder_attention_mask,
            Some(encoder),
            attention_mask,
            old_layer_states,
            decoder_input_embeds,
            &self.word_embeddings,
            train,
        )?;
        Ok(ProphetNetOutput::new(decoder, encoded))
    }
}

impl ProphetNetOutput {
    /// The decoder's outputs, with the encoder's when this call computed them.
    fn new(decoder: ProphetNetDecoderOutput, encoded: Option<ProphetNetEncoderOutput>) -> Self {
        let (encoder_hidden_state, all_encoder_hidden_states, all_encoder_attentions) =
            match encoded {
                Some(output) => (
                    Some(output.hidden_states),
                    output.all_hidden_states,
                    output.all_attentions,
                ),
                None => (None, None, None),
            };
        ProphetNetOutput {
            last_hidden_states: decoder.hidden_states,
            ngram_hidden_states: decoder.ngram_hidden_states,
            all_decoder_hidden_states: decoder.all_hidden_states,
            all_ngram_hidden_states: decoder.all_ngram_hidden_states,
            all_attentions: decoder.all_attentions,
            all_ngram_attentions: decoder.all_ngram_attentions,
            all_cross_attentions: decoder.all_cross_attentions,
            next_decoder_cache: decoder.next_decoder_cache,
            encoder_hidden_state,
            all_encoder_hidden_states,
            all_encoder_attentions,
        }
    }

    /// The generation heads' output: the predict streams through the token table (HF ties
    /// `lm_head` to it), the first stream's logits apart from the others'.
    fn into_generation(
        self,
        word_embeddings: &nn::Embedding,
        ngram: i64,
    ) -> Result<ProphetNetGenerationOutput, RustBertError> {
        let (logits, ngram_logits) =
            stream_logits(self.ngram_hidden_states.as_ref(), word_embeddings, ngram)?;
        Ok(ProphetNetGenerationOutput {
            logits,
            ngram_logits,
            ngram_hidden_states: self.ngram_hidden_states,
            all_decoder_hidden_states: self.all_decoder_hidden_states,
            all_ngram_hidden_states: self.all_ngram_hidden_states,
            all_attentions: self.all_attentions,
            all_ngram_attentions: self.all_ngram_attentions,
            all_cross_attentions: self.all_cross_attentions,
            next_decoder_cache: self.next_decoder_cache,
            encoder_hidden_state: self.encoder_hidden_state,
            all_encoder_hidden_states: self.all_encoder_hidden_states,
            all_encoder_attentions: self.all_encoder_attentions,
        })
    }
}

/// Outputs of the generation heads.
#[derive(Debug)]
pub struct ProphetNetGenerationOutput {
    /// Next-token logits `[batch, length, vocab]`: the first predict stream's (HF's `logits`).
    pub logits: Tensor,
    /// The other predict streams' logits `[batch, ngram - 1, length, vocab]` (tokens 2, 3, ...
    /// ahead), `None` when `ngram` is 1.
    pub ngram_logits: Option<Tensor>,
    /// Predict streams' last hidden states `[batch, ngram * length, hidden]`.
    pub ngram_hidden_states: Option<Tensor>,
    /// The decoder's main stream per layer (when asked).
    pub all_decoder_hidden_states: Option<Vec<Tensor>>,
    /// The decoder's predict streams per layer (when asked).
    pub all_ngram_hidden_states: Option<Vec<Tensor>>,
    /// Main-stream self-attention probabilities per layer (when asked).
    pub all_attentions: Option<Vec<Tensor>>,
    /// Predict-stream self-attention probabilities per layer (when asked).
    pub all_ngram_attentions: Option<Vec<Tensor>>,
    /// Cross-attention probabilities per layer (when asked).
    pub all_cross_attentions: Option<Vec<Tensor>>,
    /// Cache for the next step.
    pub next_decoder_cache: Option<Vec<(Option<LayerState>, Option<LayerState>)>>,
    /// The encoder's output, when this call computed it.
    pub encoder_hidden_state: Option<Tensor>,
    /// The encoder's embeddings and layer outputs (when asked and computed).
    pub all_encoder_hidden_states: Option<Vec<Tensor>>,
    /// The encoder's attention probabilities (when asked and computed).
    pub all_encoder_attentions: Option<Vec<Tensor>>,
}

/// `[batch, ngram * length, hidden]` predict streams to logits: the first stream's and the
/// others', through the token table (HF ties `lm_head` to it).
fn stream_logits(
    ngram_hidden_states: Option<&Tensor>,
    word_embeddings: &nn::Embedding,
    ngram: i64,
) -> Result<(Tensor, Option<Tensor>), RustBertError> {
    let hidden = ngram_hidden_states.ok_or_else(|| {
        RustBertError::InvalidConfigurationError(
            "ProphetNet's generation heads need ngram > 0".into(),
        )
    })?;
    let size = hidden.size();
    let streams = hidden.view([size[0], ngram, size[1] / ngram, size[2]]);
    let logits = streams.matmul(&word_embeddings.ws.tr());
    let first = logits.select(1, 0).contiguous();
    let others = (ngram > 1).then(|| logits.narrow(1, 1, ngram - 1));
    Ok((first, others))
}

/// ProphetNet with its language-model head (HF `ProphetNetForConditionalGeneration`; variables
/// under `prophetnet.`, `lm_head` tied to the token table as in every released checkpoint).
#[derive(Debug)]
pub struct ProphetNetForConditionalGeneration {
    pub(crate) base_model: ProphetNetModel,
    decoder_start_token_id: i64,
    pad_token_id: i64,
    ngram: i64,
}

impl ProphetNetForConditionalGeneration {
    /// Builds the model under `p`.
    ///
    /// # Errors
    /// A configuration [`Config::validate`] refuses or without `decoder_start_token_id`.
    pub fn new<'p, P>(
        p: P,
        config: &ProphetNetConfig,
    ) -> Result<ProphetNetForConditionalGeneration, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let decoder_start_token_id = config.decoder_start_token_id.ok_or_else(|| {
            RustBertError::InvalidConfigurationError(
                "ProphetNet needs `decoder_start_token_id` in its configuration".into(),
            )
        })?;
        Ok(ProphetNetForConditionalGeneration {
            base_model: ProphetNetModel::new(p / "prophetnet", config)?,
            decoder_start_token_id,
            pad_token_id: config.pad_token_id,
            ngram: config.ngram,
        })
    }

    /// HF's `_shift_right`: the decoder start token, then `input_ids` without its last token
    /// (`-100` labels read as padding).
    fn shift_right(&self, input_ids: &Tensor) -> Tensor {
        let length = input_ids.size().last().copied().unwrap_or(0);
        let start = input_ids
            .narrow(-1, 0, 1)
            .full_like(self.decoder_start_token_id);
        let shifted = Tensor::cat(&[start, input_ids.narrow(-1, 0, (length - 1).max(0))], -1);
        let ignored = shifted.eq(-100);
        shifted.masked_fill(&ignored, self.pad_token_id)
    }

    /// Encodes the source (unless `encoder_hidden_states` is given), decodes
    /// `decoder_input_ids` (the source shifted right when neither it nor
    /// `decoder_input_embeds` is given) and returns the predict streams' logits.
    ///
    /// # Errors
    /// As [`ProphetNetModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        old_layer_states: Option<Vec<(Option<LayerState>, Option<LayerState>)>>,
        decoder_input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ProphetNetGenerationOutput, RustBertError> {
        let shifted = match (decoder_input_ids, decoder_input_embeds, input_ids) {
            (None, None, Some(ids)) if ids.dim() == 2 && ids.size()[1] > 0 => {
                Some(self.shift_right(ids))
            }
            (None, None, _) => {
                return Err(RustBertError::ValueError(
                    "ProphetNet needs decoder_input_ids, decoder_input_embeds or input_ids".into(),
                ))
            }
            _ => None,
        };
        let output = self.base_model.forward_t(
            input_ids,
            attention_mask,
            input_embeds,
            decoder_input_ids.or(shifted.as_ref()),
            decoder_attention_mask,
            encoder_hidden_states,
            old_layer_states,
            decoder_input_embeds,
            train,
        )?;
        output.into_generation(&self.base_model.word_embeddings, self.ngram)
    }

    /// The encoder's output for `input_ids` (or `input_embeds`).
    ///
    /// # Errors
    /// As [`ProphetNetEncoder::forward_t`].
    pub fn encode(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
    ) -> Result<Tensor, RustBertError> {
        Ok(self
            .base_model
            .encoder
            .forward_t(
                input_ids,
                attention_mask,
                input_embeds,
                &self.base_model.word_embeddings,
                false,
            )?
            .hidden_states)
    }

    /// One cached decoder step: the first predict stream's logits of the last token and the
    /// next cache.
    pub(crate) fn decoder_step(
        &self,
        decoder_input_ids: &Tensor,
        encoder_hidden_states: &Tensor,
        encoder_attention_mask: &Tensor,
        cache: Option<DecoderCache>,
    ) -> Result<(Tensor, Option<DecoderCache>), RustBertError> {
        let output = self.base_model.decoder.forward_t(
            Some(decoder_input_ids),
            None,
            Some(encoder_hidden_states),
            Some(encoder_attention_mask),
            cache,
            None,
            &self.base_model.word_embeddings,
            false,
        )?;
        let (logits, _) = stream_logits(
            output.ngram_hidden_states.as_ref(),
            &self.base_model.word_embeddings,
            self.ngram,
        )?;
        let length = logits.size()[1];
        Ok((logits.narrow(1, length - 1, 1), output.next_decoder_cache))
    }
}

/// ProphetNet's decoder alone with its language-model head (HF `ProphetNetForCausalLM`;
/// variables `prophetnet.word_embeddings` and `prophetnet.decoder`, as HF 5.24 saves them).
#[derive(Debug)]
pub struct ProphetNetForCausalGeneration {
    decoder: ProphetNetDecoder,
    word_embeddings: nn::Embedding,
    ngram: i64,
}

impl ProphetNetForCausalGeneration {
    /// Builds the model under `p`.
    ///
    /// # Errors
    /// A configuration [`Config::validate`] refuses.
    pub fn new<'p, P>(
        p: P,
        config: &ProphetNetConfig,
    ) -> Result<ProphetNetForCausalGeneration, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let _init = crate::common::config::building(config)?;
        config.validate()?;
        let p = p.borrow() / "prophetnet";
        Ok(ProphetNetForCausalGeneration {
            decoder: ProphetNetDecoder::new(&p / "decoder", config),
            word_embeddings: nn::embedding(
                &p / "word_embeddings",
                config.vocab_size,
                config.hidden_size,
                crate::common::layers::linear::embedding_config(),
            ),
            ngram: config.ngram,
        })
    }

    /// Decodes `input_ids` (or `input_embeds`), attending to `encoder_hidden_states` where
    /// given, and returns the predict streams' logits.
    ///
    /// # Errors
    /// As [`ProphetNetDecoder::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        encoder_attention_mask: Option<&Tensor>,
        old_layer_states: Option<Vec<(Option<LayerState>, Option<LayerState>)>>,
        train: bool,
    ) -> Result<ProphetNetGenerationOutput, RustBertError> {
        let output = self.decoder.forward_t(
            input_ids,
            attention_mask,
            encoder_hidden_states,
            encoder_attention_mask,
            old_layer_states,
            input_embeds,
            &self.word_embeddings,
            train,
        )?;
        ProphetNetOutput::new(output, None).into_generation(&self.word_embeddings, self.ngram)
    }
}
