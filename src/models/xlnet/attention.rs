//! XLNet's layer: two-stream relative multi-head attention and the feed-forward block.
//!
//! Tensors run batch-first here (`[batch, heads, query, key]` scores) where HF keeps the
//! original code's length-first layout; the arithmetic is HF's, in its order: content score
//! `(q + r_w_bias)·k`, position score `(q + r_r_bias)·k_r` moved into place by the
//! reshape-and-drop "relative shift", segment score `(q + r_s_bias)·seg_embed[same/other]`,
//! their sum scaled by `1/sqrt(d_head)`, masked by subtracting `1e30` (65500 in half
//! precision), softmax, values, output projection, residual and layer norm.
use crate::common::activations::Activation;
use crate::common::layers::{linear, Dropout};
use crate::xlnet::XLNetConfig;
use std::borrow::Borrow;
use tch::nn::{self, Init, Module};
use tch::{Kind, Tensor};

/// What the attention of every layer shares in one forward pass.
pub(crate) struct AttentionContext<'a> {
    /// Positional encodings `[1 | batch, positions, d_model]` (relative distances from
    /// `klen` down).
    pub positions: &'a Tensor,
    /// Whether query `i` and key `j` are in different segments, `[batch, 1, query, key]`.
    pub other_segment: Option<&'a Tensor>,
    /// Content-stream mask (1 = hidden), `[1 | batch, 1, query, key]`.
    pub mask_h: Option<&'a Tensor>,
    /// Query-stream mask, same layout.
    pub mask_g: Option<&'a Tensor>,
    /// Prediction targets `[batch, num_predict, query]` of the query stream.
    pub target_mapping: Option<&'a Tensor>,
}

/// Keys, values and position keys of one layer, `[batch | 1, heads, length, d_head]`.
struct Keys {
    content: Tensor,
    values: Tensor,
    position: Tensor,
}

/// Relative attention with XLNet's two streams (variables `q k v o r`, `r_r_bias`,
/// `r_s_bias`, `r_w_bias`, `seg_embed`, `layer_norm`).
#[derive(Debug)]
pub struct XLNetRelativeAttention {
    q: Tensor,
    k: Tensor,
    v: Tensor,
    o: Tensor,
    r: Tensor,
    r_r_bias: Tensor,
    r_s_bias: Tensor,
    r_w_bias: Tensor,
    seg_embed: Tensor,
    layer_norm: nn::LayerNorm,
    dropout: Dropout,
    n_head: i64,
    d_head: i64,
    scale: f64,
}

impl XLNetRelativeAttention {
    /// Builds the attention under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &XLNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let (d, n, dh) = (config.d_model, config.n_head, config.d_head());
        let zero = Init::Const(0.0);
        let projection = |name: &str| p.var(name, &[d, n, dh], zero);
        let bias = |name: &str| p.var(name, &[n, dh], zero);
        let layer_norm = nn::layer_norm(
            p / "layer_norm",
            vec![d],
            nn::LayerNormConfig {
                eps: config.layer_norm_eps(),
                ..Default::default()
            },
        );
        Self {
            q: projection("q"),
            k: projection("k"),
            v: projection("v"),
            o: projection("o"),
            r: projection("r"),
            r_r_bias: bias("r_r_bias"),
            r_s_bias: bias("r_s_bias"),
            r_w_bias: bias("r_w_bias"),
            seg_embed: p.var("seg_embed", &[2, n, dh], zero),
            layer_norm,
            dropout: Dropout::new(config.dropout),
            n_head: n,
            d_head: dh,
            scale: 1.0 / (dh as f64).sqrt(),
        }
    }

    /// `x [batch, len, d_model]` through a `[d_model, heads, d_head]` projection, as
    /// `[batch, heads, len, d_head]`.
    fn heads(&self, x: &Tensor, weight: &Tensor) -> Tensor {
        let size = x.size();
        let projected = x.matmul(&weight.reshape([size[2], self.n_head * self.d_head]));
        projected
            .view([size[0], size[1], self.n_head, self.d_head])
            .transpose(1, 2)
    }

    /// Moves the position scores `[batch, heads, query, positions]` so that column `j` holds
    /// the score of key `j` (HF's `rel_shift_bnij`, the same reshapes).
    fn rel_shift(scores: &Tensor, key_len: i64) -> Tensor {
        let s = scores.size();
        scores
            .reshape([s[0], s[1], s[3], s[2]])
            .narrow(2, 1, s[3] - 1)
            .reshape([s[0], s[1], s[2], s[3] - 1])
            .narrow(3, 0, key_len)
    }

    /// Attention of queries `q [batch, heads, query, d_head]` over keys and values; returns
    /// the attended values `[batch, heads, query, d_head]` and the probabilities.
    fn core(
        &self,
        q: &Tensor,
        keys: &Keys,
        context: &AttentionContext<'_>,
        mask: Option<&Tensor>,
        train: bool,
    ) -> (Tensor, Tensor) {
        let bias = |b: &Tensor| b.view([1, self.n_head, 1, self.d_head]);
        let key_len = keys.content.size()[2];
        let content = (q + bias(&self.r_w_bias)).matmul(&keys.content.transpose(-1, -2));
        let position = (q + bias(&self.r_r_bias)).matmul(&keys.position.transpose(-1, -2));
        let mut scores = content + Self::rel_shift(&position, key_len);
        if let Some(other) = context.other_segment {
            // [batch, heads, query, 2]: the score against "same segment" and "other segment".
            let segment = (q + bias(&self.r_s_bias)).matmul(&self.seg_embed.permute([1, 2, 0]));
            let same = segment.select(-1, 0).unsqueeze(-1);
            let differ = segment.select(-1, 1).unsqueeze(-1);
            scores += differ.where_self(other, &same);
        }
        scores *= self.scale;
        if let Some(mask) = mask {
            let big = if scores.kind() == Kind::Half {
                65500.0
            } else {
                1e30
            };
            scores -= mask * big;
        }
        let probabilities = scores.softmax(-1, scores.kind());
        let attended = self
            .dropout
            .forward_t(&probabilities, train)
            .matmul(&keys.values);
        (attended, probabilities)
    }

    /// Output projection of `attended [batch, heads, len, d_head]`, residual and layer norm.
    fn post_attention(&self, residual: &Tensor, attended: &Tensor, train: bool) -> Tensor {
        let size = attended.size();
        let merged =
            attended
                .transpose(1, 2)
                .reshape([size[0], size[2], self.n_head * self.d_head]);
        let d_model = residual.size()[2];
        let out = merged.matmul(&self.o.reshape([d_model, self.n_head * self.d_head]).tr());
        self.layer_norm
            .forward(&(self.dropout.forward_t(&out, train) + residual))
    }

    /// Runs both streams: `h [batch, len, d_model]` (content), `g [batch, num_predict,
    /// d_model]` (query, with a target mapping), `memory [batch, mlen, d_model]`. Returns the
    /// new streams and their attention probabilities.
    pub(crate) fn forward_t(
        &self,
        h: &Tensor,
        g: Option<&Tensor>,
        memory: Option<&Tensor>,
        context: &AttentionContext<'_>,
        train: bool,
    ) -> (Tensor, Option<Tensor>, Tensor, Option<Tensor>) {
        let keys_in = match memory {
            Some(memory) => Tensor::cat(&[memory, h], 1),
            None => h.shallow_clone(),
        };
        let keys = Keys {
            content: self.heads(&keys_in, &self.k),
            values: self.heads(&keys_in, &self.v),
            position: self.heads(context.positions, &self.r),
        };
        let q_h = self.heads(h, &self.q);
        let (attended_h, probabilities_h) = self.core(&q_h, &keys, context, context.mask_h, train);
        let output_h = self.post_attention(h, &attended_h, train);
        let (output_g, probabilities_g) = match g {
            Some(g) => {
                let q_g = self.heads(g, &self.q);
                let (attended_g, probabilities_g) = match context.target_mapping {
                    Some(mapping) => {
                        // Predictions -> their positions, attend, and back.
                        let mapping = mapping.unsqueeze(1);
                        let q_positions = mapping.transpose(-1, -2).matmul(&q_g);
                        let (attended, probabilities) =
                            self.core(&q_positions, &keys, context, context.mask_g, train);
                        (mapping.matmul(&attended), probabilities)
                    }
                    None => self.core(&q_g, &keys, context, context.mask_g, train),
                };
                (
                    Some(self.post_attention(g, &attended_g, train)),
                    Some(probabilities_g),
                )
            }
            None => (None, None),
        };
        (output_h, output_g, probabilities_h, probabilities_g)
    }
}

/// XLNet's feed-forward block with its residual and layer norm (`layer_1`, `layer_2`,
/// `layer_norm`).
#[derive(Debug)]
pub struct XLNetFeedForward {
    layer_1: nn::Linear,
    layer_2: nn::Linear,
    layer_norm: nn::LayerNorm,
    activation: Activation,
    dropout: Dropout,
}

impl XLNetFeedForward {
    /// Builds the block under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &XLNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            layer_1: linear(p / "layer_1", config.d_model, config.d_inner),
            layer_2: linear(p / "layer_2", config.d_inner, config.d_model),
            layer_norm: nn::layer_norm(
                p / "layer_norm",
                vec![config.d_model],
                nn::LayerNormConfig {
                    eps: config.layer_norm_eps(),
                    ..Default::default()
                },
            ),
            activation: config.ff_activation,
            dropout: Dropout::new(config.dropout),
        }
    }

    /// `layer_norm(x + dropout(layer_2(dropout(act(layer_1(x))))))`.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let inner = self
            .dropout
            .forward_t(&self.activation.apply(&x.apply(&self.layer_1)), train);
        let out = self.dropout.forward_t(&inner.apply(&self.layer_2), train);
        self.layer_norm.forward(&(out + x))
    }
}

/// One XLNet layer (`rel_attn`, `ff`); the feed-forward block runs on both streams.
#[derive(Debug)]
pub struct XLNetLayer {
    rel_attn: XLNetRelativeAttention,
    ff: XLNetFeedForward,
}

impl XLNetLayer {
    /// Builds the layer under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &XLNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            rel_attn: XLNetRelativeAttention::new(p / "rel_attn", config),
            ff: XLNetFeedForward::new(p / "ff", config),
        }
    }

    /// Runs the layer; returns the streams and the attention probabilities of each.
    pub(crate) fn forward_t(
        &self,
        h: &Tensor,
        g: Option<&Tensor>,
        memory: Option<&Tensor>,
        context: &AttentionContext<'_>,
        train: bool,
    ) -> (Tensor, Option<Tensor>, Tensor, Option<Tensor>) {
        let (h, g, attention_h, attention_g) =
            self.rel_attn.forward_t(h, g, memory, context, train);
        let g = g.map(|g| self.ff.forward_t(&g, train));
        (self.ff.forward_t(&h, train), g, attention_h, attention_g)
    }
}
