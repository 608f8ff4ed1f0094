//! DeBERTa's disentangled attention: content-to-content scores plus content-to-position (c2p)
//! and position-to-content (p2c) scores read from a table of relative-position embeddings.
//!
//! What v1 and v2 share lives here: the padding mask, the relative-position indices (built once
//! per forward pass, not per layer), the gather of relative scores, the softmax/context step and
//! the layer around the attention. v1's own attention (one `in_proj` for q, k and v, separate
//! `q_bias` / `v_bias`, optional talking heads) is [`DebertaDisentangledSelfAttention`].
use crate::common::activations::Activation;
use crate::common::kind::get_min;
use crate::common::layers::{
    linear, linear_no_bias, merge_heads, DenseResidualNorm, Dropout, Intermediate, LinearNoBias,
};
use crate::deberta::deberta_model::{DebertaConfig, PositionAttentionType};
use crate::RustBertError;
use std::borrow::Borrow;
use std::cell::RefCell;
use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

/// The attention mask of an encoder pass, in the two forms DeBERTa needs.
#[derive(Debug)]
pub(crate) struct DebertaAttentionMask {
    /// `true` where query `i` may not attend key `j`, `[batch, 1, seq, seq]`: HF's
    /// `mask[i] * mask[j]`, so a padded query attends nothing and gets a uniform row, as in HF.
    pub(crate) blocked: Tensor,
    /// The padding mask `[batch, seq]` as 0./1. in the hidden states' kind (DeBERTa zeroes padded
    /// embeddings and, in v2, the convolution's padded outputs).
    pub(crate) tokens: Tensor,
}

impl DebertaAttentionMask {
    /// Builds the mask of a `[batch, seq]` (or `[batch, seq, seq]`) user mask of 1 / 0, or of no
    /// mask (every token attended); errors on a shape that does not match the input.
    pub(crate) fn new(
        mask: Option<&Tensor>,
        batch: i64,
        seq: i64,
        kind: Kind,
        device: Device,
    ) -> Result<Self, RustBertError> {
        let mask = match mask {
            Some(mask) => mask.to_device(device),
            None => Tensor::ones([batch, seq], (Kind::Int64, device)),
        };
        let size = mask.size();
        let (blocked, tokens) = match size.as_slice() {
            [b, s] if *b == batch && *s == seq => {
                let allowed = mask.ne(0);
                let pairs = allowed.unsqueeze(1).logical_and(&allowed.unsqueeze(2));
                (pairs.logical_not().unsqueeze(1), allowed.to_kind(kind))
            }
            [b, q, k] if *b == batch && *q == seq && *k == seq => {
                let allowed = mask.ne(0);
                // HF's input mask of a 3-D attention mask: tokens some query attends.
                let tokens = allowed.any_dim(-2, false).to_kind(kind);
                (allowed.logical_not().unsqueeze(1), tokens)
            }
            _ => {
                return Err(RustBertError::ValueError(format!(
                    "attention mask has shape {size:?}; expected [{batch}, {seq}] or \
                     [{batch}, {seq}, {seq}]"
                )))
            }
        };
        Ok(Self { blocked, tokens })
    }
}

/// The relative positions of one forward pass, ready for every layer: the rows of the
/// relative-embedding table that the sequence reaches, and the c2p / p2c column of each
/// (query, key) pair in those rows.
#[derive(Debug)]
pub(crate) struct RelativePositions {
    /// First row of the embedding table used.
    pub(crate) first_row: i64,
    /// Number of rows used.
    pub(crate) rows: i64,
    /// `[seq, seq]` column of `c2p` scores for query `i`, key `j`.
    pub(crate) c2p: Tensor,
    /// `[seq, seq]` column of `p2c` scores for key `i`, query `j` (HF's layout, transposed after
    /// the gather).
    pub(crate) p2c: Tensor,
    /// The `[batch, heads, seq, rows]` products of every layer's c2p and p2c, written into one
    /// buffer for the whole pass when no gradient is recorded: each is read once by its gather,
    /// and a fresh allocation of that size per product (two per layer, 12 MB each for 8 × 128
    /// tokens on DeBERTa-v3-base) costs page faults on every layer.
    scratch: RefCell<Option<Tensor>>,
}

impl RelativePositions {
    /// `relative` is the `[seq, seq]` (query - key) distance, bucketed or not; `span` the half
    /// width of the window HF indexes (`clamp(rel + span, 0, 2 span - 1)`), which starts at row
    /// `offset` of the table.
    ///
    /// The indices are computed on the CPU (a few `seq²` integer operations), which also tells
    /// which rows of the table can be reached: only those are projected by each layer (HF
    /// projects the whole window; for DeBERTa-v3's 512-row table and a 128-token input, half
    /// of it is never read).
    pub(crate) fn new(relative: &Tensor, span: i64, offset: i64, device: Device) -> Self {
        let c2p = (relative + span).clamp(0, 2 * span - 1);
        let p2c = (-relative + span).clamp(0, 2 * span - 1);
        let low = c2p.min().int64_value(&[]).min(p2c.min().int64_value(&[]));
        let high = c2p.max().int64_value(&[]).max(p2c.max().int64_value(&[]));
        Self {
            first_row: offset + low,
            rows: high - low + 1,
            c2p: (c2p - low).to_device(device),
            p2c: (p2c - low).to_device(device),
            scratch: RefCell::new(None),
        }
    }

    /// `a · bᵀ`, into the pass's scratch buffer where no gradient is recorded (see `scratch`).
    fn product(&self, a: &Tensor, b: &Tensor) -> Tensor {
        let b = b.transpose(-1, -2);
        if a.requires_grad() || b.requires_grad() {
            return a.matmul(&b);
        }
        let mut scratch = self.scratch.borrow_mut();
        match scratch.as_ref() {
            Some(buffer) if buffer.kind() == a.kind() && buffer.device() == a.device() => {
                a.matmul_out(buffer, &b)
            }
            _ => {
                let product = a.matmul(&b);
                *scratch = Some(product.shallow_clone());
                product
            }
        }
    }

    /// The rows of `table` (`[rows, hidden]`) this pass reads, `[1, used_rows, hidden]`.
    pub(crate) fn rows_of(&self, table: &Tensor) -> Tensor {
        table.narrow(0, self.first_row, self.rows).unsqueeze(0)
    }

    /// The `c2p` scores `[batch, heads, seq, seq]` of queries `[batch, heads, seq, d]` against
    /// projected relative embeddings `[1, heads, rows, d]`.
    pub(crate) fn c2p_scores(&self, query: &Tensor, pos_key: &Tensor) -> Tensor {
        let scores = self.product(query, pos_key);
        let size = scores.size();
        let index = self.c2p.expand([size[0], size[1], size[2], size[2]], false);
        scores.gather(-1, &index, false)
    }

    /// The `p2c` scores `[batch, heads, seq(query), seq(key)]` of keys `[batch, heads, seq, d]`
    /// against projected relative embeddings `[1, heads, rows, d]`.
    pub(crate) fn p2c_scores(&self, key: &Tensor, pos_query: &Tensor) -> Tensor {
        let scores = self.product(key, pos_query);
        let size = scores.size();
        let index = self.p2c.expand([size[0], size[1], size[2], size[2]], false);
        scores.gather(-1, &index, false).transpose(-1, -2)
    }
}

/// `[seq, seq]` distances `i - j` between query `i` and key `j` (int64, on the CPU).
pub(crate) fn relative_distances(seq: i64) -> Tensor {
    let ids = Tensor::arange(seq, (Kind::Int64, Device::Cpu));
    ids.unsqueeze(1) - ids.unsqueeze(0)
}

/// `[batch, heads, seq, head_dim]` of `[batch, seq, heads * head_dim]`.
pub(crate) fn heads_of(x: &Tensor, heads: i64) -> Tensor {
    let size = x.size();
    x.view([size[0], size[1], heads, -1]).permute([0, 2, 1, 3])
}

/// The talking-heads projections of v1 (`head_logits_proj` before the softmax,
/// `head_weights_proj` after it), mixing scores across heads.
#[derive(Debug)]
pub(crate) struct TalkingHeads {
    logits: LinearNoBias,
    weights: LinearNoBias,
}

/// Mixes `[batch, heads, q, k]` scores across heads with a `[heads, heads]` projection.
fn across_heads(scores: &Tensor, projection: &LinearNoBias) -> Tensor {
    projection
        .forward(&scores.permute([0, 2, 3, 1]))
        .permute([0, 3, 1, 2])
}

/// The softmax and context step of the disentangled attention: `softmax(q·kᵀ·scale + relative,
/// masked) · v`, merged back to `[batch, seq, hidden]`, with the probabilities when asked.
///
/// Without probabilities to return (and without talking heads), LibTorch's fused
/// `scaled_dot_product_attention` runs, the relative scores and the mask folded into its
/// additive bias (a blocked entry is the most negative float, as HF's `masked_fill`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn attend(
    query: &Tensor,
    key: &Tensor,
    value: &Tensor,
    scale: f64,
    relative: Option<Tensor>,
    mask: &DebertaAttentionMask,
    dropout: &Dropout,
    talking: Option<&TalkingHeads>,
    train: bool,
    output_attentions: bool,
) -> (Tensor, Option<Tensor>) {
    let min = get_min(query.kind());
    if !output_attentions && talking.is_none() {
        let bias = match relative {
            // In place: the relative scores are this layer's own fresh tensor.
            Some(mut relative) => relative.masked_fill_(&mask.blocked, min),
            None => Tensor::zeros_like(&mask.blocked.to_kind(query.kind()))
                .masked_fill(&mask.blocked, min),
        };
        let dropout_p = if train { dropout.probability() } else { 0.0 };
        let context = Tensor::scaled_dot_product_attention(
            query,
            key,
            value,
            Some(&bias),
            dropout_p,
            false,
            scale,
            false,
        );
        return (merge_heads(&context), None);
    }
    let mut scores = query.matmul(&key.transpose(-1, -2)) * scale;
    if let Some(relative) = relative {
        scores += relative;
    }
    if let Some(talking) = talking {
        scores = across_heads(&scores, &talking.logits);
    }
    let probs = scores
        .masked_fill(&mask.blocked, min)
        .softmax(-1, scores.kind());
    let mut probs = dropout.forward_t(&probs, train);
    if let Some(talking) = talking {
        // HF returns the probabilities after this mix (and after dropout).
        probs = across_heads(&probs, &talking.weights);
    }
    let context = merge_heads(&probs.matmul(value));
    (context, output_attentions.then_some(probs))
}

/// The attention of a DeBERTa layer, v1's or v2's.
pub(crate) trait DisentangledSelfAttention {
    /// Attends from `hidden` `[batch, seq, hidden]` to itself; returns the merged context and,
    /// when asked, the attention probabilities.
    fn forward_t(
        &self,
        hidden: &Tensor,
        mask: &DebertaAttentionMask,
        relative: Option<(&Tensor, &RelativePositions)>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>);
}

/// DeBERTa v1's disentangled self-attention (HF `DisentangledSelfAttention`; variables
/// `in_proj`, `q_bias`, `v_bias`, `pos_proj` (c2p), `pos_q_proj` (p2c), `head_logits_proj` /
/// `head_weights_proj` with talking heads).
#[derive(Debug)]
pub struct DebertaDisentangledSelfAttention {
    in_proj: LinearNoBias,
    q_bias: Tensor,
    v_bias: Tensor,
    pos_proj: Option<LinearNoBias>,
    pos_q_proj: Option<nn::Linear>,
    talking: Option<TalkingHeads>,
    heads: i64,
    head_dim: i64,
    scale_factor: i64,
    dropout: Dropout,
    pos_dropout: Dropout,
}

impl DebertaDisentangledSelfAttention {
    /// Builds the attention under `p` (`attention.self` in HF checkpoints).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DebertaConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let hidden = config.hidden_size;
        let heads = config.num_attention_heads;
        let types = config.attention_types();
        let relative = config.relative_attention.unwrap_or(false);
        let has = |t| relative && types.has_type(t);
        let talking = config.talking_head.unwrap_or(false).then(|| TalkingHeads {
            logits: linear_no_bias(p / "head_logits_proj", heads, heads),
            weights: linear_no_bias(p / "head_weights_proj", heads, heads),
        });
        Self {
            in_proj: linear_no_bias(p / "in_proj", hidden, 3 * hidden),
            q_bias: p.zeros("q_bias", &[hidden]),
            v_bias: p.zeros("v_bias", &[hidden]),
            pos_proj: has(PositionAttentionType::c2p)
                .then(|| linear_no_bias(p / "pos_proj", hidden, hidden)),
            pos_q_proj: has(PositionAttentionType::p2c)
                .then(|| linear(p / "pos_q_proj", hidden, hidden)),
            talking,
            heads,
            head_dim: hidden / heads,
            // v1 counts every listed type, p2p included (v2 counts c2p and p2c only).
            scale_factor: 1 + types.len() as i64,
            dropout: Dropout::new(config.attention_probs_dropout_prob),
            pos_dropout: Dropout::new(config.hidden_dropout_prob),
        }
    }
}

impl DisentangledSelfAttention for DebertaDisentangledSelfAttention {
    fn forward_t(
        &self,
        hidden: &Tensor,
        mask: &DebertaAttentionMask,
        relative: Option<(&Tensor, &RelativePositions)>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        // `in_proj` interleaves q, k and v per head: [q_h | k_h | v_h] for each head h.
        let qkv = heads_of(&self.in_proj.forward(hidden), self.heads);
        let parts = qkv.chunk(3, -1);
        let bias = |b: &Tensor| b.view([1, self.heads, 1, self.head_dim]);
        let query = &parts[0] + bias(&self.q_bias);
        let key = &parts[1];
        let value = &parts[2] + bias(&self.v_bias);
        // HF divides the query (not the scores) by sqrt(d * factor) in float32.
        let scale = ((self.head_dim * self.scale_factor) as f32).sqrt() as f64;
        let query = query / scale;
        let relative = relative.map(|(table, positions)| {
            let table = self.pos_dropout.forward_t(table, train);
            let mut score: Option<Tensor> = None;
            if let Some(pos_proj) = &self.pos_proj {
                let pos_key = heads_of(&pos_proj.forward(&table), self.heads);
                score = Some(positions.c2p_scores(&query, &pos_key));
            }
            if let Some(pos_q_proj) = &self.pos_q_proj {
                let pos_query = heads_of(&pos_q_proj.forward(&table), self.heads) / scale;
                let p2c = positions.p2c_scores(key, &pos_query);
                // In place: the gathered scores are this layer's own tensors.
                score = Some(match score {
                    Some(mut c2p) => {
                        c2p += p2c;
                        c2p
                    }
                    None => p2c,
                });
            }
            score
        });
        attend(
            &query,
            key,
            &value,
            1.0,
            relative.flatten(),
            mask,
            &self.dropout,
            self.talking.as_ref(),
            train,
            output_attentions,
        )
    }
}

/// A DeBERTa layer around attention `A`: `attention.self`, `attention.output` (dense, residual,
/// LayerNorm), `intermediate`, `output` — BERT's sub-layers, shared from `common`.
#[derive(Debug)]
pub(crate) struct DebertaLayerBase<A> {
    attention: A,
    attention_output: DenseResidualNorm,
    intermediate: Intermediate,
    output: DenseResidualNorm,
}

impl<A: DisentangledSelfAttention> DebertaLayerBase<A> {
    /// Builds the layer under `p` with the given attention (built under `p/attention/self`).
    pub(crate) fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, attention: A, sizes: LayerSizes) -> Self {
        let p = p.borrow();
        let LayerSizes {
            hidden,
            intermediate,
            activation,
            eps,
            dropout,
        } = sizes;
        Self {
            attention,
            attention_output: DenseResidualNorm::new(
                p / "attention" / "output",
                hidden,
                hidden,
                eps,
                dropout,
            ),
            intermediate: Intermediate::new(p / "intermediate", hidden, intermediate, activation),
            output: DenseResidualNorm::new(p / "output", intermediate, hidden, eps, dropout),
        }
    }

    /// The layer's output `[batch, seq, hidden]` and, when asked, its attention probabilities.
    pub(crate) fn forward_t(
        &self,
        hidden: &Tensor,
        mask: &DebertaAttentionMask,
        relative: Option<(&Tensor, &RelativePositions)>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let (context, probs) =
            self.attention
                .forward_t(hidden, mask, relative, train, output_attentions);
        let attended = self.attention_output.forward_t(&context, hidden, train);
        let expanded = self.intermediate.forward(&attended);
        (self.output.forward_t(&expanded, &attended, train), probs)
    }
}

/// The sizes of a layer's feed-forward sub-layers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerSizes {
    pub hidden: i64,
    pub intermediate: i64,
    pub activation: Activation,
    pub eps: f64,
    pub dropout: f64,
}

/// A DeBERTa v1 layer.
pub(crate) type DebertaLayer = DebertaLayerBase<DebertaDisentangledSelfAttention>;
