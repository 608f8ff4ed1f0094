//! The encoder-decoder stack of the BART family (BART, Marian, and later mBART, Pegasus,
//! M2M100): attention with a generation cache, encoder and decoder layers with post- or pre-norm,
//! learned or sinusoidal positions. One implementation with the switches these models differ by.
use crate::common::activations::Activation;
use crate::common::layers::linear::project;
use crate::common::layers::{linear, merge_heads, scaled_dot_product, split_heads, Dropout};
use crate::generation::LayerState;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

fn apply(layer: &nn::Linear, x: &Tensor) -> Tensor {
    project(x, &layer.ws, layer.bs.as_ref())
}

/// Multi-head attention with `q_proj`, `k_proj`, `v_proj`, `out_proj` (HF `BartAttention`), as
/// self-attention or cross-attention over the encoder output.
#[derive(Debug)]
pub struct BartAttention {
    q_proj: nn::Linear,
    k_proj: nn::Linear,
    v_proj: nn::Linear,
    out_proj: nn::Linear,
    num_heads: i64,
    head_dim: i64,
    dropout: Dropout,
}

impl BartAttention {
    /// Builds the projections under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        embed_dim: i64,
        num_heads: i64,
        dropout: f64,
    ) -> Self {
        Self::with_names(
            p,
            embed_dim,
            num_heads,
            dropout,
            ["q_proj", "k_proj", "v_proj", "out_proj"],
        )
    }

    /// Attends from `hidden` `[batch, seq, embed]` to itself, or to `key_value` (the encoder
    /// output) for cross-attention. `state` holds the keys and values of earlier steps:
    /// self-attention appends the new ones to it, cross-attention reuses it instead of
    /// projecting the encoder output again. Returns the output, the probabilities (when asked)
    /// and the state for the next step (when `keep_state`).
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        hidden: &Tensor,
        key_value: Option<&Tensor>,
        bias: Option<&Tensor>,
        state: Option<LayerState>,
        keep_state: bool,
        output_attentions: bool,
        train: bool,
    ) -> (Tensor, Option<Tensor>, Option<LayerState>) {
        let heads = |x: &Tensor| split_heads(x, self.num_heads, self.head_dim);
        let query = heads(&apply(&self.q_proj, hidden));
        let (key, value) = match (key_value, state) {
            (Some(_), Some(state)) => (state.prev_key, state.prev_value),
            (Some(source), None) => (
                heads(&apply(&self.k_proj, source)),
                heads(&apply(&self.v_proj, source)),
            ),
            (None, state) => {
                let key = heads(&apply(&self.k_proj, hidden));
                let value = heads(&apply(&self.v_proj, hidden));
                match state {
                    Some(past) => (
                        Tensor::cat(&[&past.prev_key, &key], 2),
                        Tensor::cat(&[&past.prev_value, &value], 2),
                    ),
                    None => (key, value),
                }
            }
        };
        let scaling = 1.0 / (self.head_dim as f64).sqrt();
        let (context, probs) = scaled_dot_product(
            &query,
            &key,
            &value,
            bias,
            scaling,
            &self.dropout,
            train,
            output_attentions,
        );
        let output = apply(&self.out_proj, &merge_heads(&context));
        let state = keep_state.then_some(LayerState {
            prev_key: key,
            prev_value: value,
        });
        (output, probs, state)
    }
}

/// Position embeddings of the stack.
#[derive(Debug)]
pub enum PositionEmbedding {
    /// A learned table read at `position + offset` (BART's offset is 2).
    Learned {
        /// The table `[max_positions + offset, embed]` (variable `weight`).
        table: nn::Embedding,
        /// Offset added to positions.
        offset: i64,
    },
    /// A fixed sinusoidal table (Marian, Pegasus): sines in the first half of the features,
    /// cosines in the second, not loaded.
    Sinusoidal(Tensor),
    /// M2M100's sinusoidal positions, computed from the token ids: each non-pad token's
    /// position is its count of non-pad tokens so far plus `padding_idx` (padding sits at
    /// `padding_idx`, whose embedding is zero); frequencies `exp(-ln(10000) * i / (dim/2 - 1))`,
    /// sines then cosines. Not a table: HF grows it for any length.
    SinusoidalFromIds {
        /// The pad token id (positions start after it).
        padding_idx: i64,
        /// Embedding size.
        embed_dim: i64,
    },
}

impl PositionEmbedding {
    /// A learned table under `p` (variable `weight`).
    pub fn learned<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        max_positions: i64,
        embed_dim: i64,
        offset: i64,
    ) -> Self {
        let table = nn::embedding(
            p,
            max_positions + offset,
            embed_dim,
            crate::common::layers::linear::embedding_config(),
        );
        Self::Learned { table, offset }
    }

    /// HF's sinusoidal table (`MarianSinusoidalPositionalEmbedding`): for position `pos` and
    /// feature pair `j`, angle `pos / 10000^(2j / dim)`; sines of the even features fill the
    /// first `ceil(dim / 2)` columns, cosines of the odd ones the rest.
    pub fn sinusoidal(max_positions: i64, embed_dim: i64, device: tch::Device) -> Self {
        let dim = embed_dim as usize;
        let sentinel = dim.div_ceil(2);
        let mut table = vec![0f32; max_positions as usize * dim];
        for pos in 0..max_positions as usize {
            let row = &mut table[pos * dim..(pos + 1) * dim];
            for j in 0..dim {
                let angle = pos as f64 / 10000f64.powf(2.0 * (j / 2) as f64 / dim as f64);
                if j % 2 == 0 {
                    row[j / 2] = angle.sin() as f32;
                } else {
                    row[sentinel + j / 2] = angle.cos() as f32;
                }
            }
        }
        Self::Sinusoidal(
            Tensor::from_slice(&table)
                .view([max_positions, embed_dim])
                .to(device),
        )
    }

    /// Longest sequence the table covers (unbounded for positions computed from ids).
    pub fn max_positions(&self) -> i64 {
        match self {
            Self::Learned { table, offset } => table.ws.size()[0] - offset,
            Self::Sinusoidal(table) => table.size()[0],
            Self::SinusoidalFromIds { .. } => i64::MAX,
        }
    }

    /// Embeddings of positions `past..past + seq`, `[seq, embed]` (for
    /// [`PositionEmbedding::SinusoidalFromIds`], the positions of `past` non-pad tokens followed
    /// by `seq` of them).
    pub fn forward(&self, past: i64, seq: i64) -> Tensor {
        match self {
            Self::Learned { table, offset } => table.ws.narrow(0, past + offset, seq),
            Self::Sinusoidal(table) => table.narrow(0, past, seq),
            Self::SinusoidalFromIds {
                padding_idx,
                embed_dim,
            } => {
                let positions = Tensor::arange(seq, (tch::Kind::Int64, tch::Device::Cpu))
                    + (past + padding_idx + 1);
                sinusoids(&positions, *padding_idx, *embed_dim)
            }
        }
    }

    /// Embeddings of the positions of `input_ids` `[batch, seq]` after `past` cached tokens:
    /// `[batch, seq, embed]` for positions computed from ids, else [`PositionEmbedding::forward`]'s
    /// `[seq, embed]` (broadcast over the batch).
    pub fn forward_ids(&self, input_ids: &Tensor, past: i64) -> Tensor {
        match self {
            Self::SinusoidalFromIds {
                padding_idx,
                embed_dim,
            } => {
                // HF's create_position_ids_from_input_ids: (cumsum(mask) + past) * mask + pad.
                let mask = input_ids.ne(*padding_idx).to_kind(tch::Kind::Int64);
                let positions = (mask.cumsum(1, tch::Kind::Int64) + past) * &mask + *padding_idx;
                sinusoids(&positions, *padding_idx, *embed_dim)
            }
            _ => self.forward(past, input_ids.size().last().copied().unwrap_or(0)),
        }
    }
}

/// M2M100's sinusoids of integer `positions` (any shape; the embedding is appended as the last
/// dimension), computed in float32 by the same operations as HF's `get_embedding`, so the
/// values are identical: `position * exp(i * -ln(10000) / (half - 1))`, sines then cosines, a
/// zero column for an odd size, zeros at `padding_idx`.
fn sinusoids(positions: &Tensor, padding_idx: i64, embed_dim: i64) -> Tensor {
    let half = embed_dim / 2;
    let step = (10000f64).ln() / ((half - 1).max(1) as f64);
    let frequencies = (Tensor::arange(half, (tch::Kind::Int64, positions.device()))
        .to_kind(tch::Kind::Float)
        * -step)
        .exp();
    let angles = positions.to_kind(tch::Kind::Float).unsqueeze(-1) * frequencies;
    let mut parts = vec![angles.sin(), angles.cos()];
    if embed_dim % 2 == 1 {
        parts.push(angles.zeros_like().narrow(-1, 0, 1));
    }
    let embeddings = Tensor::cat(&parts, -1);
    embeddings.masked_fill(&positions.eq(padding_idx).unsqueeze(-1), 0.0)
}

/// How a stack of the family is built.
#[derive(Debug, Clone, Copy)]
pub struct StackOptions {
    /// Layer norm before each block (mBART, Pegasus) instead of after (BART, Marian).
    pub normalize_before: bool,
    /// A layer norm right after the embeddings (BART, mBART).
    pub layernorm_embedding: bool,
    /// A layer norm after the last layer (mBART, Pegasus).
    pub final_layer_norm: bool,
    /// Token embeddings are multiplied by this (`sqrt(d_model)` when `scale_embedding`).
    pub embed_scale: f64,
    /// Activation of the feed-forward blocks.
    pub activation: Activation,
    /// Dropout after attention and feed-forward blocks.
    pub dropout: f64,
    /// Dropout on attention probabilities.
    pub attention_dropout: f64,
    /// Dropout inside the feed-forward blocks.
    pub activation_dropout: f64,
}

fn layer_norm<'p, P: Borrow<nn::Path<'p>>>(p: P, dim: i64) -> nn::LayerNorm {
    // The family uses PyTorch's default epsilon.
    nn::layer_norm(p, vec![dim], Default::default())
}

/// Residual block around `f`, with the norm before (pre-norm) or after (post-norm).
fn residual(
    x: &Tensor,
    norm: &nn::LayerNorm,
    normalize_before: bool,
    dropout: &Dropout,
    train: bool,
    f: impl FnOnce(&Tensor) -> Tensor,
) -> Tensor {
    if normalize_before {
        x + dropout.forward_t(&f(&norm.forward(x)), train)
    } else {
        norm.forward(&(x + dropout.forward_t(&f(x), train)))
    }
}

/// `fc2(activation(fc1(x)))`.
#[derive(Debug)]
struct FeedForward {
    fc1: nn::Linear,
    fc2: nn::Linear,
    activation: Activation,
    activation_dropout: Dropout,
}

impl FeedForward {
    fn new(p: &nn::Path, embed_dim: i64, ffn_dim: i64, options: &StackOptions) -> Self {
        Self {
            fc1: linear(p / "fc1", embed_dim, ffn_dim),
            fc2: linear(p / "fc2", ffn_dim, embed_dim),
            activation: options.activation,
            activation_dropout: Dropout::new(options.activation_dropout),
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let hidden = self.activation.apply(&apply(&self.fc1, x));
        apply(
            &self.fc2,
            &self.activation_dropout.forward_t(&hidden, train),
        )
    }
}

/// Encoder layer: self-attention then feed-forward, each in a residual block.
#[derive(Debug)]
pub struct EncoderLayer {
    self_attn: BartAttention,
    self_attn_layer_norm: nn::LayerNorm,
    feed_forward: FeedForward,
    final_layer_norm: nn::LayerNorm,
    dropout: Dropout,
    normalize_before: bool,
}

impl EncoderLayer {
    /// Builds the layer under `p`.
    pub fn new(
        p: &nn::Path,
        embed_dim: i64,
        heads: i64,
        ffn_dim: i64,
        options: &StackOptions,
    ) -> Self {
        Self {
            self_attn: BartAttention::new(
                p / "self_attn",
                embed_dim,
                heads,
                options.attention_dropout,
            ),
            self_attn_layer_norm: layer_norm(p / "self_attn_layer_norm", embed_dim),
            feed_forward: FeedForward::new(p, embed_dim, ffn_dim, options),
            final_layer_norm: layer_norm(p / "final_layer_norm", embed_dim),
            dropout: Dropout::new(options.dropout),
            normalize_before: options.normalize_before,
        }
    }

    /// Runs the layer; `bias` is the padding bias of the input.
    pub fn forward_t(
        &self,
        x: &Tensor,
        bias: Option<&Tensor>,
        output_attentions: bool,
        train: bool,
    ) -> (Tensor, Option<Tensor>) {
        let mut probs = None;
        let x = residual(
            x,
            &self.self_attn_layer_norm,
            self.normalize_before,
            &self.dropout,
            train,
            |h| {
                let (out, p, _) =
                    self.self_attn
                        .forward_t(h, None, bias, None, false, output_attentions, train);
                probs = p;
                out
            },
        );
        let x = residual(
            &x,
            &self.final_layer_norm,
            self.normalize_before,
            &self.dropout,
            train,
            |h| self.feed_forward.forward_t(h, train),
        );
        (x, probs)
    }
}

/// What a decoder layer returns.
pub struct DecoderLayerOutput {
    /// The layer's output.
    pub hidden: Tensor,
    /// Self-attention probabilities, when asked.
    pub self_attention: Option<Tensor>,
    /// Cross-attention probabilities, when asked.
    pub cross_attention: Option<Tensor>,
    /// Self- and cross-attention states for the next step, when kept.
    pub state: (Option<LayerState>, Option<LayerState>),
}

/// Decoder layer: causal self-attention, cross-attention over the encoder output, then
/// feed-forward, each in a residual block.
#[derive(Debug)]
pub struct DecoderLayer {
    self_attn: BartAttention,
    self_attn_layer_norm: nn::LayerNorm,
    encoder_attn: BartAttention,
    encoder_attn_layer_norm: nn::LayerNorm,
    feed_forward: FeedForward,
    final_layer_norm: nn::LayerNorm,
    dropout: Dropout,
    normalize_before: bool,
}

impl DecoderLayer {
    /// Builds the layer under `p`.
    pub fn new(
        p: &nn::Path,
        embed_dim: i64,
        heads: i64,
        ffn_dim: i64,
        options: &StackOptions,
    ) -> Self {
        Self {
            self_attn: BartAttention::new(
                p / "self_attn",
                embed_dim,
                heads,
                options.attention_dropout,
            ),
            self_attn_layer_norm: layer_norm(p / "self_attn_layer_norm", embed_dim),
            encoder_attn: BartAttention::new(
                p / "encoder_attn",
                embed_dim,
                heads,
                options.attention_dropout,
            ),
            encoder_attn_layer_norm: layer_norm(p / "encoder_attn_layer_norm", embed_dim),
            feed_forward: FeedForward::new(p, embed_dim, ffn_dim, options),
            final_layer_norm: layer_norm(p / "final_layer_norm", embed_dim),
            dropout: Dropout::new(options.dropout),
            normalize_before: options.normalize_before,
        }
    }

    /// Runs the layer: `self_bias` is causal (and padding), `encoder_bias` the encoder's
    /// padding; `state` the cache of this layer from the previous step.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        x: &Tensor,
        self_bias: &Tensor,
        encoder_hidden: &Tensor,
        encoder_bias: Option<&Tensor>,
        state: (Option<LayerState>, Option<LayerState>),
        keep_state: bool,
        output_attentions: bool,
        train: bool,
    ) -> DecoderLayerOutput {
        let (self_state, cross_state) = state;
        let (mut self_probs, mut next_self) = (None, None);
        let x = residual(
            x,
            &self.self_attn_layer_norm,
            self.normalize_before,
            &self.dropout,
            train,
            |h| {
                let (out, p, s) = self.self_attn.forward_t(
                    h,
                    None,
                    Some(self_bias),
                    self_state,
                    keep_state,
                    output_attentions,
                    train,
                );
                self_probs = p;
                next_self = s;
                out
            },
        );
        let (mut cross_probs, mut next_cross) = (None, None);
        let x = residual(
            &x,
            &self.encoder_attn_layer_norm,
            self.normalize_before,
            &self.dropout,
            train,
            |h| {
                let (out, p, s) = self.encoder_attn.forward_t(
                    h,
                    Some(encoder_hidden),
                    encoder_bias,
                    cross_state,
                    keep_state,
                    output_attentions,
                    train,
                );
                cross_probs = p;
                next_cross = s;
                out
            },
        );
        let hidden = residual(
            &x,
            &self.final_layer_norm,
            self.normalize_before,
            &self.dropout,
            train,
            |h| self.feed_forward.forward_t(h, train),
        );
        DecoderLayerOutput {
            hidden,
            self_attention: self_probs,
            cross_attention: cross_probs,
            state: (next_self, next_cross),
        }
    }
}

/// Embeds tokens (scaled) plus the positions of `input_ids`, then the optional embedding layer
/// norm and dropout.
#[allow(clippy::too_many_arguments)]
pub(crate) fn embed(
    tokens: &Tensor,
    input_ids: &Tensor,
    embed_scale: f64,
    positions: &PositionEmbedding,
    past: i64,
    layernorm_embedding: Option<&nn::LayerNorm>,
    dropout: &Dropout,
    train: bool,
) -> Tensor {
    let scaled = if embed_scale != 1.0 {
        tokens * embed_scale
    } else {
        tokens.shallow_clone()
    };
    let position_embeddings = positions
        .forward_ids(input_ids, past)
        .to_device(tokens.device())
        .to_kind(tokens.kind());
    let hidden = scaled + position_embeddings;
    let hidden = match layernorm_embedding {
        Some(norm) => norm.forward(&hidden),
        None => hidden,
    };
    dropout.forward_t(&hidden, train)
}

/// The embedding layer norm, when the stack has one.
pub(crate) fn optional_layer_norm(p: nn::Path, dim: i64, present: bool) -> Option<nn::LayerNorm> {
    present.then(|| layer_norm(p, dim))
}

impl BartAttention {
    /// As [`BartAttention::new`] with the projections named as another checkpoint names them,
    /// in the order query, key, value, output (ProphetNet: `query_proj`, `key_proj`,
    /// `value_proj`, `out_proj`): the same attention under other variable names.
    pub fn with_names<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        embed_dim: i64,
        num_heads: i64,
        dropout: f64,
        names: [&str; 4],
    ) -> Self {
        let p = p.borrow();
        Self {
            q_proj: linear(p / names[0], embed_dim, embed_dim),
            k_proj: linear(p / names[1], embed_dim, embed_dim),
            v_proj: linear(p / names[2], embed_dim, embed_dim),
            out_proj: linear(p / names[3], embed_dim, embed_dim),
            num_heads,
            head_dim: embed_dim / num_heads.max(1),
            dropout: Dropout::new(dropout),
        }
    }
}
