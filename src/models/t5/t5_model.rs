pub(crate) use super::long_attention::{BlockAttention, EncoderAttention};
use crate::common::activations::Activation;
use crate::common::layers::embeddings::ids_or_embeds;
use crate::common::layers::linear::{embedding_config, init_std, project};
use crate::common::layers::{attention_bias, merge_heads, split_heads, Dropout, StackOutputs};
use crate::common::twin::infallible_twin;
use crate::generation::{decoder_states, DecoderCache, LayerState};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn;
use tch::{Kind, Tensor};

/// Pretrained T5 weights on the hub, as `(cache subdirectory, URL)`.
pub struct T5ModelResources;
/// Pretrained T5 configurations on the hub.
pub struct T5ConfigResources;
/// Pretrained T5 SentencePiece models (`spiece.model`) on the hub.
pub struct T5VocabResources;

macro_rules! t5_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// t5-small (Google, 60M parameters).
            pub const T5_SMALL: (&'static str, &'static str) = (
                concat!("t5-small/", $suffix),
                concat!("https://huggingface.co/t5-small/resolve/main/", $file),
            );
            /// t5-base (Google, 220M parameters).
            pub const T5_BASE: (&'static str, &'static str) = (
                concat!("t5-base/", $suffix),
                concat!("https://huggingface.co/t5-base/resolve/main/", $file),
            );
            /// sentence-t5-base (sentence-transformers): the encoder for sentence embeddings.
            pub const SENTENCE_T5_BASE: (&'static str, &'static str) = (
                concat!("sentence-t5-base/", $suffix),
                concat!(
                    "https://huggingface.co/sentence-transformers/sentence-t5-base/resolve/main/",
                    $file
                ),
            );
        }
    };
}
t5_resources!(T5ModelResources, "rust_model.ot", "model");
t5_resources!(T5ConfigResources, "config.json", "config");
t5_resources!(T5VocabResources, "spiece.model", "spiece");

fn default_d_model() -> i64 {
    512
}
fn default_d_kv() -> i64 {
    64
}
fn default_d_ff() -> i64 {
    2048
}
fn default_layers() -> i64 {
    6
}
fn default_heads() -> i64 {
    8
}
fn default_buckets() -> i64 {
    32
}
fn default_vocab() -> i64 {
    32128
}
fn default_eps() -> f64 {
    1e-6
}
fn default_dropout() -> f64 {
    0.1
}
fn default_initializer_factor() -> f64 {
    1.0
}

/// t5-small's configuration, as rust-bert 0.23's default (relative positions up to distance
/// 128, end token 1, padding 0).
impl Default for T5Config {
    fn default() -> Self {
        T5Config {
            vocab_size: default_vocab(),
            d_model: default_d_model(),
            d_kv: default_d_kv(),
            d_ff: default_d_ff(),
            num_layers: default_layers(),
            num_decoder_layers: None,
            num_heads: default_heads(),
            relative_attention_num_buckets: default_buckets(),
            relative_attention_max_distance: Some(128),
            dropout_rate: default_dropout(),
            layer_norm_epsilon: default_eps(),
            initializer_factor: default_initializer_factor(),
            feed_forward_proj: Some(FeedForwardProj::Relu),
            tie_word_embeddings: None,
            scale_decoder_outputs: None,
            pad_token_id: Some(0),
            bos_token_id: None,
            eos_token_id: Some(1),
            decoder_start_token_id: None,
            forced_bos_token_id: None,
            forced_eos_token_id: None,
            is_encoder_decoder: None,
            output_past: None,
            output_hidden_states: None,
            output_attentions: None,
            task_specific_params: None,
            n_positions: None,
        }
    }
}

/// The feed-forward block of T5 layers: HF's `feed_forward_proj`, `ACT` or `gated-ACT` (read
/// from and written as that string). rust-bert 0.23 knew the first two variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum FeedForwardProj {
    /// `relu`: T5.
    Relu,
    /// `gated-gelu`: T5 v1.1 and flan-T5 (HF means the tanh approximation, `gelu_new`).
    GatedGelu,
    /// Any other activation HF accepts, gated (`gated-silu`, ...) or not (`gelu`, ...).
    Other {
        /// Whether a second projection gates the activation (`gated-` prefix).
        gated: bool,
        /// The activation.
        activation: Activation,
    },
}

impl FeedForwardProj {
    /// `(gated, activation)`.
    pub fn gated_activation(self) -> (bool, Activation) {
        match self {
            FeedForwardProj::Relu => (false, Activation::relu),
            FeedForwardProj::GatedGelu => (true, Activation::gelu_new),
            FeedForwardProj::Other { gated, activation } => (gated, activation),
        }
    }
}

impl TryFrom<String> for FeedForwardProj {
    type Error = String;

    fn try_from(proj: String) -> Result<Self, String> {
        let (gated, name) = match proj.split_once('-') {
            Some(("gated", name)) => (true, name),
            None => (false, proj.as_str()),
            Some(_) => {
                return Err(format!(
                    "feed_forward_proj {proj:?}: expected `ACT` or `gated-ACT`"
                ))
            }
        };
        if (gated, name) == (true, "gelu") {
            return Ok(FeedForwardProj::GatedGelu);
        }
        let activation: Activation =
            serde_json::from_value(serde_json::Value::String(name.to_string()))
                .map_err(|_| format!("feed_forward_proj {proj:?}: unknown activation {name:?}"))?;
        Ok(match (gated, activation) {
            (false, Activation::relu) => FeedForwardProj::Relu,
            (gated, activation) => FeedForwardProj::Other { gated, activation },
        })
    }
}

impl From<FeedForwardProj> for String {
    fn from(proj: FeedForwardProj) -> String {
        match proj {
            FeedForwardProj::Relu => "relu".into(),
            FeedForwardProj::GatedGelu => "gated-gelu".into(),
            FeedForwardProj::Other { gated, activation } => {
                let name = match serde_json::to_value(activation) {
                    Ok(serde_json::Value::String(name)) => name,
                    _ => format!("{activation:?}"),
                };
                if gated {
                    format!("gated-{name}")
                } else {
                    name
                }
            }
        }
    }
}

/// Configuration of T5 (HF `T5Config`; keys HF may omit take HF's defaults).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct T5Config {
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Hidden size.
    #[serde(default = "default_d_model")]
    pub d_model: i64,
    /// Size of each attention head.
    #[serde(default = "default_d_kv")]
    pub d_kv: i64,
    /// Feed-forward size.
    #[serde(default = "default_d_ff")]
    pub d_ff: i64,
    /// Encoder layers.
    #[serde(default = "default_layers")]
    pub num_layers: i64,
    /// Decoder layers (default: `num_layers`).
    #[serde(default)]
    pub num_decoder_layers: Option<i64>,
    /// Attention heads.
    #[serde(default = "default_heads")]
    pub num_heads: i64,
    /// Buckets of the relative position bias.
    #[serde(default = "default_buckets")]
    pub relative_attention_num_buckets: i64,
    /// Longest distance the buckets tell apart (default 128).
    #[serde(default)]
    pub relative_attention_max_distance: Option<i64>,
    /// Dropout (default 0.1).
    #[serde(default = "default_dropout")]
    pub dropout_rate: f64,
    /// RMS norm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f64,
    /// Initializer factor (informational).
    #[serde(default = "default_initializer_factor")]
    pub initializer_factor: f64,
    /// `relu` (T5), `gated-gelu` (T5 v1.1, flan), `gated-silu`, ...
    #[serde(default)]
    pub feed_forward_proj: Option<FeedForwardProj>,
    /// `false` for T5 v1.1: a separate LM head and no output rescaling.
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
    /// Scale the decoder output by `d_model^-0.5` before the head (HF 5.x writes it; older
    /// configurations derive it from `tie_word_embeddings`).
    #[serde(default)]
    pub scale_decoder_outputs: Option<bool>,
    /// Padding token (default 0).
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Beginning-of-sequence id (T5 has none; kept for rust-bert's struct).
    #[serde(default)]
    pub bos_token_id: Option<i64>,
    /// End-of-sequence token (default 1).
    #[serde(default)]
    pub eos_token_id: Option<i64>,
    /// First decoder token (default: the pad token).
    #[serde(default)]
    pub decoder_start_token_id: Option<i64>,
    /// Token forced first.
    #[serde(default)]
    pub forced_bos_token_id: Option<i64>,
    /// Token forced at the maximum length.
    #[serde(default)]
    pub forced_eos_token_id: Option<i64>,
    /// Whether the model has an encoder and a decoder (T5: always; kept for rust-bert's
    /// struct).
    #[serde(default)]
    pub is_encoder_decoder: Option<bool>,
    /// Return the decoder cache (default true).
    #[serde(default)]
    pub output_past: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Task prefixes and settings of the original checkpoints (`summarize: `, ...).
    #[serde(default)]
    pub task_specific_params: Option<HashMap<String, serde_json::Value>>,
    /// Longest input the tokenizer keeps (rust-bert's `n_positions`, default 512).
    #[serde(default)]
    pub n_positions: Option<i64>,
}

impl Config for T5Config {
    /// HF draws T5's embeddings (and untied LM head) from `normal(0, initializer_factor)`; each
    /// attention and feed-forward projection gets its own scale (see `T5Attention::new`).
    fn initializer_std(&self) -> f64 {
        self.initializer_factor
    }

    fn validate(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("T5")
            .positive("vocab_size", self.vocab_size)
            .positive("d_model", self.d_model)
            .positive("d_kv", self.d_kv)
            .positive("d_ff", self.d_ff)
            .positive("num_heads", self.num_heads)
            .positive(
                "relative_attention_num_buckets",
                self.relative_attention_num_buckets,
            )
            .require(
                self.relative_attention_max_distance.is_none_or(|d| d > 0),
                || {
                    format!(
                        "relative_attention_max_distance = {:?}, expected at least 1",
                        self.relative_attention_max_distance
                    )
                },
            )
            .non_negative("num_layers", self.num_layers)
            .non_negative("num_decoder_layers", self.num_decoder_layers.unwrap_or(0))
            .finite("layer_norm_epsilon", self.layer_norm_epsilon)
            .probability("dropout_rate", self.dropout_rate)
            .finish()
    }
}

impl T5Config {
    /// `(gated, activation)` of the feed-forward blocks (`relu` when unset).
    pub(crate) fn feed_forward(&self) -> (bool, Activation) {
        self.feed_forward_proj
            .unwrap_or(FeedForwardProj::Relu)
            .gated_activation()
    }

    /// HF's rule: decoder outputs are scaled by `d_model^-0.5` when `scale_decoder_outputs`
    /// says so, else unless `tie_word_embeddings` is false (T5 v1.1, flan-T5). Unscaled models
    /// read a separate `lm_head.weight` (filled from `shared.weight` when a checkpoint ties
    /// them).
    pub(crate) fn scale_decoder_outputs(&self) -> bool {
        self.scale_decoder_outputs
            .unwrap_or(self.tie_word_embeddings != Some(false))
    }
}

/// T5's layer norm: RMS normalisation (no mean, no bias) in float32, then `weight` (the
/// shared [`RmsNorm`](crate::common::layers::RmsNorm), which Llama and its descendants use too).
pub type T5LayerNorm = crate::common::layers::RmsNorm;

/// A bias-free projection drawn from `normal(0, factor * scale)`, HF's T5 rule: each kind of
/// projection has its own `scale` (the inverse square root of its fan-in, the query's also
/// divided by `sqrt(d_kv)`).
fn weight<'p, P: Borrow<nn::Path<'p>>>(
    p: P,
    in_dim: i64,
    out_dim: i64,
    config: &T5Config,
    scale: i64,
) -> Tensor {
    let _init = init_std(config.initializer_factor / (scale as f64).sqrt());
    crate::common::layers::linear::uninitialized(p.borrow(), "weight", &[out_dim, in_dim])
}

pub use crate::common::layers::relative_position_bucket;

/// T5 attention (no scaling of the scores; a relative position bias in the first layer).
#[derive(Debug)]
pub struct T5Attention {
    pub(super) q: Tensor,
    pub(super) k: Tensor,
    pub(super) v: Tensor,
    pub(super) o: Tensor,
    pub(super) relative_attention_bias: Option<nn::Embedding>,
    pub(super) num_heads: i64,
    pub(super) d_kv: i64,
    pub(super) num_buckets: i64,
    pub(super) max_distance: i64,
    pub(super) bidirectional: bool,
    pub(super) dropout: Dropout,
    /// LongT5's block-local encoder attention, when this is one.
    pub(super) blocks: Option<BlockAttention>,
}

impl T5Attention {
    fn new(p: &nn::Path, config: &T5Config, has_bias: bool, bidirectional: bool) -> Self {
        Self::with_blocks(p, config, has_bias, bidirectional, EncoderAttention::Full)
    }

    fn with_blocks(
        p: &nn::Path,
        config: &T5Config,
        has_bias: bool,
        bidirectional: bool,
        attention: EncoderAttention,
    ) -> Self {
        let inner = config.num_heads * config.d_kv;
        Self {
            blocks: BlockAttention::new(p, config, has_bias, attention),
            q: weight(
                p / "q",
                config.d_model,
                inner,
                config,
                config.d_model * config.d_kv,
            ),
            k: weight(p / "k", config.d_model, inner, config, config.d_model),
            v: weight(p / "v", config.d_model, inner, config, config.d_model),
            o: weight(p / "o", inner, config.d_model, config, inner),
            relative_attention_bias: has_bias.then(|| {
                let _init = init_std(config.initializer_factor / (config.d_model as f64).sqrt());
                nn::embedding(
                    p / "relative_attention_bias",
                    config.relative_attention_num_buckets,
                    config.num_heads,
                    embedding_config(),
                )
            }),
            num_heads: config.num_heads,
            d_kv: config.d_kv,
            num_buckets: config.relative_attention_num_buckets,
            max_distance: config.relative_attention_max_distance.unwrap_or(128),
            bidirectional,
            dropout: Dropout::new(config.dropout_rate),
        }
    }

    /// The relative position bias `[1, heads, query, key]` (zeros for layers without one).
    fn position_bias(&self, query: i64, key: i64, past: i64, like: &Tensor) -> Tensor {
        match &self.relative_attention_bias {
            None => Tensor::zeros(
                [1, self.num_heads, query, key],
                (like.kind(), like.device()),
            ),
            Some(table) => {
                let device = like.device();
                let context = Tensor::arange(query, (Kind::Int64, device)).unsqueeze(1) + past;
                let memory = Tensor::arange(key, (Kind::Int64, device)).unsqueeze(0);
                let buckets = relative_position_bucket(
                    &(memory - context),
                    self.bidirectional,
                    self.num_buckets,
                    self.max_distance,
                );
                table
                    .ws
                    .index_select(0, &buckets.view([-1]))
                    .view([query, key, self.num_heads])
                    .permute([2, 0, 1])
                    .unsqueeze(0)
                    .to_kind(like.kind())
            }
        }
    }

    /// Attention of `hidden` over itself (with `state` of earlier steps) or over `key_value`.
    /// `position_bias` is the first layer's bias, reused by the others; `mask` an additive
    /// bias. Returns the output, the position bias used, the probabilities (when asked) and
    /// the state for the next step (when `keep_state`).
    #[allow(clippy::too_many_arguments)]
    fn forward_t(
        &self,
        hidden: &Tensor,
        key_value: Option<&Tensor>,
        mask: Option<&Tensor>,
        position_bias: Option<&Tensor>,
        state: Option<LayerState>,
        keep_state: bool,
        output_attentions: bool,
        train: bool,
    ) -> (Tensor, Tensor, Option<Tensor>, Option<LayerState>) {
        let heads = |x: &Tensor| split_heads(x, self.num_heads, self.d_kv);
        let query = heads(&project(hidden, &self.q, None));
        let past = match (&state, key_value) {
            (Some(s), None) => s.prev_key.size()[2],
            _ => 0,
        };
        let (key, value) = match (key_value, state) {
            (Some(_), Some(state)) => (state.prev_key, state.prev_value),
            (Some(source), None) => (
                heads(&project(source, &self.k, None)),
                heads(&project(source, &self.v, None)),
            ),
            (None, state) => {
                let key = heads(&project(hidden, &self.k, None));
                let value = heads(&project(hidden, &self.v, None));
                match state {
                    Some(s) => (
                        Tensor::cat(&[&s.prev_key, &key], 2),
                        Tensor::cat(&[&s.prev_value, &value], 2),
                    ),
                    None => (key, value),
                }
            }
        };
        let query_len = query.size()[2];
        let key_len = key.size()[2];
        let position_bias = match position_bias {
            Some(bias) => bias.shallow_clone(),
            None => self.position_bias(query_len, key_len, past, &query),
        };
        let bias = match mask {
            Some(mask) => &position_bias + mask,
            None => position_bias.shallow_clone(),
        };
        let scores = query.matmul(&key.transpose(-1, -2)) + bias;
        let probs = scores.softmax(-1, scores.kind());
        let context = self.dropout.forward_t(&probs, train).matmul(&value);
        let output = project(&merge_heads(&context), &self.o, None);
        let state = keep_state.then_some(LayerState {
            prev_key: key,
            prev_value: value,
        });
        (
            output,
            position_bias,
            output_attentions.then_some(probs),
            state,
        )
    }
}

/// The feed-forward block: `wo(act(wi(x)))`, or gated `wo(act(wi_0(x)) * wi_1(x))`.
#[derive(Debug)]
struct T5FeedForward {
    wi: Vec<Tensor>,
    wo: Tensor,
    activation: Activation,
    dropout: Dropout,
}

impl T5FeedForward {
    fn new(p: &nn::Path, config: &T5Config, gated: bool, activation: Activation) -> Self {
        let wi = if gated {
            vec![
                weight(
                    p / "wi_0",
                    config.d_model,
                    config.d_ff,
                    config,
                    config.d_model,
                ),
                weight(
                    p / "wi_1",
                    config.d_model,
                    config.d_ff,
                    config,
                    config.d_model,
                ),
            ]
        } else {
            vec![weight(
                p / "wi",
                config.d_model,
                config.d_ff,
                config,
                config.d_model,
            )]
        };
        Self {
            wi,
            wo: weight(p / "wo", config.d_ff, config.d_model, config, config.d_ff),
            activation,
            dropout: Dropout::new(config.dropout_rate),
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let mut hidden = self.activation.apply(&project(x, &self.wi[0], None));
        if let Some(linear) = self.wi.get(1) {
            hidden *= project(x, linear, None);
        }
        project(&self.dropout.forward_t(&hidden, train), &self.wo, None)
    }
}

/// One T5 block: self-attention, cross-attention (decoder), feed-forward, each pre-normed
/// with a residual.
#[derive(Debug)]
pub struct T5Block {
    self_attention: T5Attention,
    self_norm: T5LayerNorm,
    cross_attention: Option<(T5Attention, T5LayerNorm)>,
    feed_forward: T5FeedForward,
    ff_norm: T5LayerNorm,
    dropout: Dropout,
}

struct BlockOutput {
    hidden: Tensor,
    self_bias: Tensor,
    cross_bias: Option<Tensor>,
    self_probs: Option<Tensor>,
    cross_probs: Option<Tensor>,
    state: (Option<LayerState>, Option<LayerState>),
}

impl T5Block {
    fn new(
        p: &nn::Path,
        config: &T5Config,
        first: bool,
        decoder: bool,
        (gated, activation): (bool, Activation),
        attention: EncoderAttention,
    ) -> Self {
        let layer = p / "layer";
        let eps = config.layer_norm_epsilon;
        let cross_attention = decoder.then(|| {
            (
                T5Attention::new(&(&layer / 1 / "EncDecAttention"), config, false, true),
                T5LayerNorm::new(&layer / 1 / "layer_norm", config.d_model, eps),
            )
        });
        let ff = if decoder { 2 } else { 1 };
        Self {
            self_attention: T5Attention::with_blocks(
                &(&layer / 0 / attention.variable_name()),
                config,
                first,
                !decoder,
                attention,
            ),
            self_norm: T5LayerNorm::new(&layer / 0 / "layer_norm", config.d_model, eps),
            cross_attention,
            feed_forward: T5FeedForward::new(
                &(&layer / ff / "DenseReluDense"),
                config,
                gated,
                activation,
            ),
            ff_norm: T5LayerNorm::new(&layer / ff / "layer_norm", config.d_model, eps),
            dropout: Dropout::new(config.dropout_rate),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_t(
        &self,
        x: &Tensor,
        mask: Option<&Tensor>,
        position_bias: Option<&Tensor>,
        encoder: Option<(&Tensor, Option<&Tensor>, Option<&Tensor>)>,
        state: (Option<LayerState>, Option<LayerState>),
        keep_state: bool,
        output_attentions: bool,
        train: bool,
    ) -> BlockOutput {
        let (self_state, cross_state) = state;
        let normed = self.self_norm.forward(x);
        let (out, self_bias, self_probs, next_self) = match (&self.self_attention.blocks, mask) {
            // LongT5's encoder: `mask` is the padding mask itself `[batch, seq]`.
            (Some(blocks), Some(mask)) => {
                let (out, bias, probs) = self.self_attention.forward_blocks(
                    blocks,
                    &normed,
                    mask,
                    position_bias,
                    output_attentions,
                    train,
                );
                (out, bias, probs, None)
            }
            _ => self.self_attention.forward_t(
                &normed,
                None,
                mask,
                position_bias,
                self_state,
                keep_state,
                output_attentions,
                train,
            ),
        };
        let mut hidden = x + self.dropout.forward_t(&out, train);
        let (mut cross_bias, mut cross_probs, mut next_cross) = (None, None, None);
        if let (Some((attention, norm)), Some((encoder_hidden, encoder_mask, encoder_bias))) =
            (&self.cross_attention, encoder)
        {
            let (out, bias, probs, state) = attention.forward_t(
                &norm.forward(&hidden),
                Some(encoder_hidden),
                encoder_mask,
                encoder_bias,
                cross_state,
                keep_state,
                output_attentions,
                train,
            );
            hidden += self.dropout.forward_t(&out, train);
            cross_bias = Some(bias);
            cross_probs = probs;
            next_cross = state;
        }
        let out = self
            .feed_forward
            .forward_t(&self.ff_norm.forward(&hidden), train);
        BlockOutput {
            hidden: hidden + self.dropout.forward_t(&out, train),
            self_bias,
            cross_bias,
            self_probs,
            cross_probs,
            state: (next_self, next_cross),
        }
    }
}

/// A T5 encoder or decoder.
#[derive(Debug)]
pub struct T5Stack {
    blocks: Vec<T5Block>,
    attention: EncoderAttention,
    final_layer_norm: T5LayerNorm,
    dropout: Dropout,
    decoder: bool,
    output_past: bool,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl T5Stack {
    fn new(p: &nn::Path, config: &T5Config, decoder: bool) -> Self {
        Self::build(p, config, decoder, EncoderAttention::Full)
    }

    /// A stack whose encoder self-attention is `attention` (the decoder's is always full).
    pub(crate) fn build(
        p: &nn::Path,
        config: &T5Config,
        decoder: bool,
        attention: EncoderAttention,
    ) -> Self {
        let attention = if decoder {
            EncoderAttention::Full
        } else {
            attention
        };
        let layers = if decoder {
            config.num_decoder_layers.unwrap_or(config.num_layers)
        } else {
            config.num_layers
        };
        let feed_forward = config.feed_forward();
        let block = p / "block";
        Self {
            blocks: (0..layers)
                .map(|i| {
                    T5Block::new(
                        &(&block / i),
                        config,
                        i == 0,
                        decoder,
                        feed_forward,
                        attention,
                    )
                })
                .collect(),
            attention,
            final_layer_norm: T5LayerNorm::new(
                p / "final_layer_norm",
                config.d_model,
                config.layer_norm_epsilon,
            ),
            dropout: Dropout::new(config.dropout_rate),
            decoder,
            output_past: config.output_past.unwrap_or(true),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Runs the stack on `ids` `[batch, seq]` embedded with `embeddings`, or on `embeds`
    /// `[batch, seq, d_model]` (exactly one of the two).
    #[allow(clippy::too_many_arguments)]
    fn forward_t(
        &self,
        ids: Option<&Tensor>,
        embeds: Option<&Tensor>,
        mask: Option<&Tensor>,
        encoder: Option<(&Tensor, Option<&Tensor>)>,
        embeddings: &nn::Embedding,
        cache: Option<DecoderCache>,
        train: bool,
    ) -> Result<(Tensor, Option<DecoderCache>, StackOutputs), RustBertError> {
        let names = if self.decoder {
            ("decoder_input_ids", "decoder_input_embeds")
        } else {
            ("input_ids", "input_embeds")
        };
        let (embedded, batch, seq) = ids_or_embeds(&embeddings.ws, ids, embeds, names)?;
        if seq == 0 {
            return Err(RustBertError::ValueError(format!(
                "{} must have at least one token",
                names.0
            )));
        }
        let (states, past) = decoder_states(cache, self.blocks.len())?;
        let kind = embedded.kind();
        let self_mask = if self.decoder {
            Some(crate::common::layers::causal_attention_bias(
                mask,
                batch,
                seq,
                past,
                kind,
                embedded.device(),
            )?)
        } else if self.attention == EncoderAttention::Full {
            mask.map(|m| attention_bias(m, batch, seq, seq, kind, "attention_mask"))
                .transpose()?
        } else {
            // Block-local attention builds its biases from the padding mask itself.
            Some(match mask {
                Some(m) if m.size() == [batch, seq] => m.shallow_clone(),
                Some(m) => {
                    return Err(RustBertError::ValueError(format!(
                        "attention_mask has shape {:?}; the input is [{batch}, {seq}]",
                        m.size()
                    )))
                }
                None => Tensor::ones([batch, seq], (Kind::Int64, embedded.device())),
            })
        };
        let encoder = match encoder {
            Some((hidden, encoder_mask)) => {
                let source = hidden.size()[1];
                let bias = encoder_mask
                    .map(|m| attention_bias(m, batch, seq, source, kind, "encoder attention_mask"))
                    .transpose()?;
                Some((hidden, bias))
            }
            None if self.decoder => {
                return Err(RustBertError::ValueError(
                    "the T5 decoder needs the encoder output".into(),
                ))
            }
            None => None,
        };
        let mut hidden = self.dropout.forward_t(&embedded, train);
        let mut outputs = StackOutputs::new(
            self.output_hidden_states,
            self.output_attentions,
            self.output_attentions && self.decoder,
        );
        let (mut self_bias, mut cross_bias): (Option<Tensor>, Option<Tensor>) = (None, None);
        let mut next_cache = Vec::with_capacity(self.blocks.len());
        for (block, state) in self.blocks.iter().zip(states) {
            outputs.push_hidden(&hidden);
            let out = block.forward_t(
                &hidden,
                self_mask.as_ref(),
                self_bias.as_ref(),
                encoder
                    .as_ref()
                    .map(|(h, b)| (*h, b.as_ref(), cross_bias.as_ref())),
                state,
                self.decoder && self.output_past,
                self.output_attentions,
                train,
            );
            hidden = out.hidden;
            self_bias = Some(out.self_bias);
            if out.cross_bias.is_some() {
                cross_bias = out.cross_bias;
            }
            next_cache.push(out.state);
            outputs.push_attentions(out.self_probs, out.cross_probs);
        }
        let hidden = self
            .dropout
            .forward_t(&self.final_layer_norm.forward(&hidden), train);
        outputs.push_hidden(&hidden);
        let cache = (self.decoder && self.output_past).then_some(next_cache);
        Ok((hidden, cache, outputs))
    }
}

/// Output of T5 models.
#[derive(Debug)]
pub struct T5ModelOutput {
    /// Decoder output: last hidden state for [`T5Model`], logits for the LM head.
    pub decoder_output: Tensor,
    /// Encoder output (reuse it on the next step).
    pub encoder_hidden_state: Option<Tensor>,
    /// Decoder cache for the next step.
    pub next_cache: Option<DecoderCache>,
    /// Decoder hidden states, when asked for.
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

/// T5: shared embeddings (`shared`), an encoder and a decoder with relative position biases.
#[derive(Debug)]
pub struct T5Model {
    pub(crate) encoder: T5Stack,
    pub(crate) decoder: T5Stack,
    pub(crate) embeddings: nn::Embedding,
}

impl T5Model {
    /// Builds the model under `p` (variables `shared`, `encoder.*`, `decoder.*`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &T5Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        Self::build(p.borrow(), config, EncoderAttention::Full)
    }

    /// The model with the encoder self-attention `attention` (LongT5's).
    pub(crate) fn build(p: &nn::Path, config: &T5Config, attention: EncoderAttention) -> Self {
        Self {
            encoder: T5Stack::build(&(p / "encoder"), config, false, attention),
            decoder: T5Stack::new(&(p / "decoder"), config, true),
            embeddings: nn::embedding(
                p / "shared",
                config.vocab_size,
                config.d_model,
                embedding_config(),
            ),
        }
    }

    /// Runs the encoder (unless `encoder_outputs` is given) and the decoder on
    /// `decoder_input_ids` (the tokens after the cached ones). `input_embeds` and
    /// `decoder_input_embeds` (`[batch, seq, d_model]`) replace the ids they stand for.
    ///
    /// # Errors
    /// Missing inputs (or both ids and their embeddings), mis-shaped masks, ids outside the
    /// vocabulary, a cache of the wrong depth.
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
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
    ) -> Result<T5ModelOutput, RustBertError> {
        let (encoder_hidden, encoder_outputs) = match encoder_outputs {
            Some(hidden) => (hidden.shallow_clone(), StackOutputs::default()),
            None => {
                let (hidden, _, outputs) = self.encoder.forward_t(
                    input_ids,
                    input_embeds,
                    attention_mask,
                    None,
                    &self.embeddings,
                    None,
                    train,
                )?;
                (hidden, outputs)
            }
        };
        let (hidden, cache, decoder_outputs) = self.decoder.forward_t(
            decoder_input_ids,
            decoder_input_embeds,
            decoder_attention_mask,
            Some((&encoder_hidden, attention_mask)),
            &self.embeddings,
            old_layer_states,
            train,
        )?;
        Ok(T5ModelOutput {
            decoder_output: hidden,
            encoder_hidden_state: Some(encoder_hidden),
            next_cache: cache,
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
            encoder_outputs: Option<&Tensor>,
            decoder_input_ids: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            decoder_input_embeds: Option<&Tensor>,
            old_layer_states: Option<DecoderCache>,
            train: bool
        ) -> T5ModelOutput = try_forward_t
    }

    /// Runs the encoder alone.
    ///
    /// # Errors
    /// As [`T5Model::forward_t`].
    pub fn encode(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
    ) -> Result<Tensor, RustBertError> {
        Ok(self
            .encoder
            .forward_t(
                Some(input_ids),
                None,
                attention_mask,
                None,
                &self.embeddings,
                None,
                false,
            )?
            .0)
    }
}

/// T5 with its language-model head: the shared embeddings (with the decoder output scaled by
/// `d_model^-0.5`) or, when `tie_word_embeddings` is false (T5 v1.1, flan-T5), `lm_head`.
#[derive(Debug)]
pub struct T5ForConditionalGeneration {
    pub(crate) base_model: T5Model,
    lm_head: Option<Tensor>,
    scale: Option<f64>,
}

impl T5ForConditionalGeneration {
    /// Builds the model under `p` (variables `shared`, `encoder.*`, `decoder.*`, and
    /// `lm_head.weight` when untied).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &T5Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        Self::build(p.borrow(), config, EncoderAttention::Full)
    }

    /// The model with the encoder self-attention `attention` (LongT5's).
    pub(crate) fn build(p: &nn::Path, config: &T5Config, attention: EncoderAttention) -> Self {
        let scaled = config.scale_decoder_outputs();
        Self {
            base_model: T5Model::build(p, config, attention),
            lm_head: (!scaled)
                .then(|| weight(p / "lm_head", config.d_model, config.vocab_size, config, 1)),
            scale: scaled.then(|| (config.d_model as f64).powf(-0.5)),
        }
    }

    /// Runs the model (arguments as [`T5Model::forward_t`]); logits in `decoder_output`.
    ///
    /// # Errors
    /// As [`T5Model::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
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
    ) -> Result<T5ModelOutput, RustBertError> {
        let mut output = self.base_model.try_forward_t(
            input_ids,
            attention_mask,
            encoder_outputs,
            decoder_input_ids,
            decoder_attention_mask,
            input_embeds,
            decoder_input_embeds,
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
            encoder_outputs: Option<&Tensor>,
            decoder_input_ids: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            decoder_input_embeds: Option<&Tensor>,
            old_layer_states: Option<DecoderCache>,
            train: bool
        ) -> T5ModelOutput = try_forward_t
    }

    pub(crate) fn logits(&self, hidden: &Tensor) -> Tensor {
        match (&self.lm_head, self.scale) {
            (Some(head), _) => project(hidden, head, None),
            (None, scale) => project(
                &(hidden * scale.unwrap_or(1.0)),
                &self.base_model.embeddings.ws,
                None,
            ),
        }
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
        self.base_model.encode(input_ids, attention_mask)
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

/// The T5 encoder for sentence embeddings (sentence-t5): the encoder's last hidden state, to
/// be pooled by the sentence-embeddings pipeline.
#[derive(Debug)]
pub struct T5ForSentenceEmbeddings {
    embeddings: nn::Embedding,
    encoder: T5Stack,
}

impl T5ForSentenceEmbeddings {
    /// Builds the encoder under `p` (variables `shared`, `encoder.*`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &T5Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            embeddings: nn::embedding(
                p / "shared",
                config.vocab_size,
                config.d_model,
                embedding_config(),
            ),
            encoder: T5Stack::new(&(p / "encoder"), config, false),
        }
    }

    /// The encoder's last hidden state `[batch, seq, d_model]` and its attention probabilities
    /// when asked for.
    ///
    /// # Errors
    /// Mis-shaped inputs or ids outside the vocabulary.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        mask: &Tensor,
    ) -> Result<(Tensor, Option<Vec<Tensor>>), RustBertError> {
        let (hidden, _, outputs) = self.encoder.forward_t(
            Some(input_ids),
            None,
            Some(mask),
            None,
            &self.embeddings,
            None,
            false,
        )?;
        Ok((hidden, outputs.attentions))
    }
}
