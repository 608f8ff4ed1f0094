//! Longformer's self-attention: a sliding window of `attention_window / 2` tokens on each side of
//! every token, plus global attention to and from the tokens marked global.
//!
//! The window is computed band by band, never as a `seq × seq` matrix: the (padded) sequence is
//! cut into blocks of `w` queries (`w` the one-sided window), and each block is multiplied with
//! the `3w` keys around it (the block itself and `w` on each side), which holds every key its
//! queries may see. The `[w, 3w]` score block is then read as a `[w, 2w + 1]` band by a strided
//! view (row `r` starts `r + 1` elements further than row `r - 1`), so key `i - w + j` of query
//! `i` lands in column `j`, HF's layout. Memory and time grow linearly with the length (HF's
//! chunking multiplies overlapping `2w` chunks, 4w keys per query; this takes 3w).
//!
//! Masking follows HF's conventions, which decide the values of every returned probability:
//! - scores to padding keys, to global keys (which are reached through the global columns
//!   instead) and to positions outside the sequence get `f32::MIN` added;
//! - probabilities of padding queries are zero, and so are the local probabilities of global
//!   queries (their output comes from the global path);
//! - in the global path, slots past a row's number of global tokens get `f32::MIN` everywhere
//!   (a uniform distribution that is never used but is returned), padding keys `f32::MIN`.
use crate::common::kind::get_min;
use crate::common::layers::linear::project;
use crate::common::layers::{linear, Dropout};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn;
use tch::{Kind, Tensor};

/// Which tokens attend how, computed once per forward pass for every layer (the number of
/// global tokens is the only value read back from the device).
#[derive(Debug)]
pub(crate) struct AttentionMasks {
    /// `[batch, seq]`: padding positions (no attention to or from them).
    pub is_masked: Tensor,
    /// Whether any position is padding (skips the zeroing of padding rows when none is).
    pub any_masked: bool,
    /// `[batch, seq]` f32: `f32::MIN` for keys the sliding window must skip (padding and global
    /// tokens), 0 elsewhere.
    pub key_bias: Tensor,
    /// The global tokens, when a row has any.
    pub global: Option<GlobalIndex>,
}

/// Where the global tokens are: each row's global positions in order, packed into `count`
/// slots (the most any row has), with the unused slots flagged.
#[derive(Debug)]
pub(crate) struct GlobalIndex {
    /// The most global tokens in a row.
    pub count: i64,
    /// `[batch, count]`: position of each slot's token (valid slots hold the global positions in
    /// increasing order; the others hold some non-global position and are flagged).
    pub positions: Tensor,
    /// `[batch, count]`: slots past the row's number of global tokens.
    pub slot_unused: Tensor,
    /// `[batch, seq]`: global positions.
    pub is_global: Tensor,
    /// `[batch, seq]`: for a global position, its slot (0 elsewhere, never read there).
    pub slot_of: Tensor,
}

impl AttentionMasks {
    /// Masks from HF's merged mask `[batch, seq]`: 0 padding, 1 local, 2 global.
    pub fn new(merged: &Tensor) -> Result<Self, RustBertError> {
        let is_masked = merged.eq(0);
        let is_global = merged.eq(2);
        let any_masked = bool::try_from(is_masked.any())?;
        let min = get_min(Kind::Float);
        let key_bias = Tensor::zeros(merged.size(), (Kind::Float, merged.device()))
            .masked_fill(&is_masked.logical_or(&is_global), min);
        let counts = is_global.sum_dim_intlist(1, false, Kind::Int64);
        let count = i64::try_from(counts.max())?;
        let global = if count > 0 {
            // A stable sort puts each row's global positions first, in their order.
            let (_, order) = is_global
                .logical_not()
                .to_kind(Kind::Int64)
                .sort_stable(true, 1, false);
            let slots = Tensor::arange(count, (Kind::Int64, merged.device()));
            Some(GlobalIndex {
                count,
                positions: order.narrow(1, 0, count),
                slot_unused: slots.unsqueeze(0).ge_tensor(&counts.unsqueeze(1)),
                slot_of: (is_global.cumsum(1, Kind::Int64) - 1).clamp_min(0),
                is_global,
            })
        } else {
            None
        };
        Ok(Self {
            is_masked,
            any_masked,
            key_bias,
            global,
        })
    }
}

/// What one attention layer returns: the attended values and, when asked, the probabilities.
pub(crate) struct AttentionOutput {
    /// `[batch, seq, hidden]`, before the output projection.
    pub context: Tensor,
    /// `[batch, heads, seq, global_count + 2w + 1]`: probabilities to the global slots then to
    /// the window (HF's `attentions`).
    pub local_probs: Option<Tensor>,
    /// `[batch, heads, seq, global_count]`: probabilities of each global slot's query over every
    /// key, transposed (HF's `global_attentions`).
    pub global_probs: Option<Tensor>,
}

/// Longformer self-attention (HF `LongformerSelfAttention`; variables `query`, `key`, `value`,
/// `query_global`, `key_global`, `value_global`).
#[derive(Debug)]
pub struct LongformerSelfAttention {
    query: nn::Linear,
    key: nn::Linear,
    value: nn::Linear,
    query_global: nn::Linear,
    key_global: nn::Linear,
    value_global: nn::Linear,
    num_heads: i64,
    head_dim: i64,
    one_sided_window: i64,
    dropout: Dropout,
}

/// `x · weightᵀ + bias` of a linear layer through the crate's projection routine.
fn apply(layer: &nn::Linear, x: &Tensor) -> Tensor {
    project(x, &layer.ws, layer.bs.as_ref())
}

/// The `[w, 2w + 1]` band of each `[w, 3w]` block of a contiguous `[..., w, 3w]` tensor:
/// element `(r, j)` is the block's `(r, r + j)`.
fn band_of_blocks(blocks: &Tensor, w: i64) -> Tensor {
    let size = blocks.size();
    let lead = &size[..size.len() - 2];
    let mut shape = lead.to_vec();
    shape.extend([w, 2 * w + 1]);
    let mut strides: Vec<i64> = blocks.stride()[..lead.len()].to_vec();
    strides.extend([3 * w + 1, 1]);
    blocks.as_strided(
        shape.as_slice(),
        strides.as_slice(),
        blocks.storage_offset(),
    )
}

/// The inverse of [`band_of_blocks`]: bands `[batch, heads, seq, 2w + 1]` (any strides) back
/// into zero-filled blocks `[batch, heads, blocks, w, 3w]`, the sequence first padded by `tail`
/// rows to whole blocks. Padding each row to `3w + 1` and re-reading the rows `3w` wide shifts
/// row `r` of a block right by `r`; both paddings are one copy.
fn blocks_of_band(band: &Tensor, w: i64, tail: i64) -> Tensor {
    let size = band.size();
    let (batch, heads, rows) = (size[0], size[1], size[2] + tail);
    let blocks = rows / w;
    band.constant_pad_nd([0, w, 0, tail])
        .view([batch, heads, blocks, w * (3 * w + 1)])
        .narrow(-1, 0, w * 3 * w)
        .view([batch, heads, blocks, w, 3 * w])
}

impl LongformerSelfAttention {
    /// Builds the attention under `p` for a window of `attention_window` tokens (even, > 0;
    /// checked by the configuration).
    pub(crate) fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        hidden_size: i64,
        num_heads: i64,
        attention_window: i64,
        dropout: f64,
    ) -> Self {
        let p = p.borrow();
        let lin = |name: &str| linear(p / name, hidden_size, hidden_size);
        Self {
            query: lin("query"),
            key: lin("key"),
            value: lin("value"),
            query_global: lin("query_global"),
            key_global: lin("key_global"),
            value_global: lin("value_global"),
            num_heads,
            head_dim: hidden_size / num_heads,
            one_sided_window: attention_window / 2,
            dropout: Dropout::new(dropout),
        }
    }

    /// `[batch, seq, hidden]` to `[batch, heads, seq, head_dim]`.
    fn split(&self, x: &Tensor) -> Tensor {
        let size = x.size();
        x.view([size[0], size[1], self.num_heads, self.head_dim])
            .permute([0, 2, 1, 3])
    }

    /// Attends `hidden` `[batch, seq, hidden]` (seq padded as the model pads it).
    pub(crate) fn forward_t(
        &self,
        hidden: &Tensor,
        masks: &AttentionMasks,
        output_attentions: bool,
        train: bool,
    ) -> AttentionOutput {
        let size = hidden.size();
        let (batch, seq, width) = (size[0], size[1], size[2]);
        let heads = self.num_heads;
        let head_dim = self.head_dim;
        let w = self.one_sided_window;
        let min = get_min(Kind::Float);
        let scale = (head_dim as f64).sqrt();

        let query = self.split(&(apply(&self.query, hidden) / scale));
        let key = self.split(&apply(&self.key, hidden));
        let value = self.split(&apply(&self.value, hidden));

        // Queries in blocks of w (the sequence padded to a whole number of blocks when the
        // window does not divide it), keys and values padded by w on both sides so that block
        // c sees padded rows [c·w, c·w + 3w), i.e. keys c·w - w .. c·w + 2w.
        let blocks = (seq + w - 1) / w;
        let padded_seq = blocks * w;
        let tail = padded_seq - seq;
        let query_blocks = query
            .constant_pad_nd([0, 0, 0, tail])
            .view([batch, heads, blocks, w, head_dim]);
        let key_windows = key.constant_pad_nd([0, 0, w, w + tail]).unfold(2, 3 * w, w);
        let scores = query_blocks.matmul(&key_windows).contiguous();
        drop(key_windows);
        // The same windows over the key bias (no head dimension), as bands.
        let bias_windows = pad_value(&masks.key_bias, w, w + tail, min)
            .unfold(1, 3 * w, w)
            .unsqueeze(2)
            .expand([batch, blocks, w, 3 * w], false)
            .contiguous();
        let band_bias = band_of_blocks(&bias_windows, w).unsqueeze(1);
        let band = (band_of_blocks(&scores, w) + band_bias)
            .view([batch, heads, padded_seq, 2 * w + 1])
            .narrow(2, 0, seq);
        drop(scores);

        let global = masks.global.as_ref();
        let global_values = global.map(|g| gather_slots(&value, &g.positions, head_dim));
        let scores = match global {
            Some(g) => {
                let global_keys = gather_slots(&key, &g.positions, head_dim);
                let to_global = query
                    .matmul(&global_keys.transpose(-1, -2))
                    .masked_fill(&g.slot_unused.view([batch, 1, 1, g.count]), min);
                Tensor::cat(&[to_global, band], -1)
            }
            None => band,
        };
        let mut probs = scores.softmax(-1, Kind::Float);
        drop(scores);
        if masks.any_masked {
            let _ = probs.masked_fill_(&masks.is_masked.view([batch, 1, seq, 1]), 0.0);
        }
        let probs = self.dropout.forward_t(&probs, train);
        let count = global.map_or(0, |g| g.count);

        let value_windows = value
            .constant_pad_nd([0, 0, w, w + tail])
            .unfold(2, 3 * w, w)
            .transpose(-1, -2);
        let mut context = blocks_of_band(&probs.narrow(-1, count, 2 * w + 1), w, tail)
            .matmul(&value_windows)
            .view([batch, heads, padded_seq, head_dim])
            .narrow(2, 0, seq);
        drop(value_windows);
        if let Some(global_values) = &global_values {
            context += probs.narrow(-1, 0, count).matmul(global_values);
        }

        let mut global_probs = None;
        let mut local_probs = None;
        if let Some(g) = global {
            let (output, attention) = self.global_attention(hidden, masks, g, train);
            // A global query's output is its global attention's, at its slot.
            let at_position = output.gather(
                2,
                &g.slot_of
                    .view([batch, 1, seq, 1])
                    .expand([batch, heads, seq, head_dim], false),
                false,
            );
            let is_global = g.is_global.view([batch, 1, seq, 1]);
            context = at_position.where_self(&is_global, &context);
            if output_attentions {
                local_probs = Some(probs.masked_fill(&is_global, 0.0));
                global_probs = Some(attention.transpose(2, 3));
            }
        } else if output_attentions {
            local_probs = Some(probs);
        }
        AttentionOutput {
            context: context.permute([0, 2, 1, 3]).reshape([batch, seq, width]),
            local_probs,
            global_probs,
        }
    }

    /// The global tokens' own attention over every key, with the `*_global` projections:
    /// outputs `[batch, heads, count, head_dim]` and probabilities `[batch, heads, count, seq]`.
    fn global_attention(
        &self,
        hidden: &Tensor,
        masks: &AttentionMasks,
        g: &GlobalIndex,
        train: bool,
    ) -> (Tensor, Tensor) {
        let size = hidden.size();
        let (batch, seq, width) = (size[0], size[1], size[2]);
        let min = get_min(Kind::Float);
        let scale = (self.head_dim as f64).sqrt();
        let global_hidden = hidden.gather(
            1,
            &g.positions
                .unsqueeze(-1)
                .expand([batch, g.count, width], false),
            false,
        );
        let query = self.split(&(apply(&self.query_global, &global_hidden) / scale));
        let key = self.split(&apply(&self.key_global, hidden));
        let value = self.split(&apply(&self.value_global, hidden));
        let mut scores = query
            .matmul(&key.transpose(-1, -2))
            .masked_fill(&g.slot_unused.view([batch, 1, g.count, 1]), min);
        if masks.any_masked {
            scores = scores.masked_fill(&masks.is_masked.view([batch, 1, 1, seq]), min);
        }
        let probs = self
            .dropout
            .forward_t(&scores.softmax(-1, Kind::Float), train);
        (probs.matmul(&value), probs)
    }
}

/// Rows `positions` `[batch, count]` of `x` `[batch, heads, seq, head_dim]`.
fn gather_slots(x: &Tensor, positions: &Tensor, head_dim: i64) -> Tensor {
    let size = x.size();
    let count = positions.size()[1];
    let index = positions
        .view([size[0], 1, count, 1])
        .expand([size[0], size[1], count, head_dim], false);
    x.gather(2, &index, false)
}

/// `x` `[batch, seq]` padded on its last dimension with `left` and `right` copies of `value`.
fn pad_value(x: &Tensor, left: i64, right: i64, value: f64) -> Tensor {
    x.pad([left, right], "constant", value)
}
