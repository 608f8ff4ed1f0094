//! What is particular to ProphetNet's decoder: n-stream self-attention (a main stream and
//! `ngram` predict streams), its relative position buckets and its masks. The encoder and the
//! cross-attention are BART's attention under ProphetNet's variable names.
use crate::common::kind::get_min;
use crate::common::layers::{linear, merge_heads, relative_position_bucket, split_heads, Dropout};
use crate::generation::LayerState;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

/// Relative position buckets of a whole decoder sequence of `length` tokens (no cache), as HF
/// reads them from its buffered table (`compute_buffered_relative_buckets`):
/// main stream `[length, length]` at relative position `j - i`; predict streams
/// `[length, 2 * length]`: main-stream keys at `j - i - 1` and predict-stream keys at
/// `j - i + 1` (HF slices its table one column further than the positions it built, so this is
/// off by one from the incremental `j - i`; only the diagonal is attended there, where both
/// fall in bucket 0).
pub(crate) fn full_sequence_buckets(
    length: i64,
    num_buckets: i64,
    max_distance: i64,
    device: Device,
) -> (Tensor, Tensor) {
    let positions = Tensor::arange(length, (Kind::Int64, device));
    let delta = positions.unsqueeze(0) - positions.unsqueeze(1);
    let bucket =
        |relative: &Tensor| relative_position_bucket(relative, false, num_buckets, max_distance);
    let main = bucket(&delta);
    let predict = Tensor::cat(&[bucket(&(&delta - 1)), bucket(&(&delta + 1))], 1);
    (main, predict)
}

/// Buckets of one new token at `position` (HF's position id, padding index included) whose
/// main-stream keys are the `keys` tokens so far (the cached ones and itself): main stream
/// `[1, 1, keys]` at `j + 1 - position`, predict streams `[1, 1, keys + 1]` at `j - position`.
pub(crate) fn step_buckets(
    keys: i64,
    position: i64,
    num_buckets: i64,
    max_distance: i64,
    device: Device,
) -> (Tensor, Tensor) {
    let bucket = |relative: Tensor| {
        relative_position_bucket(&relative, false, num_buckets, max_distance).view([1, 1, -1])
    };
    let main = bucket(Tensor::arange_start(1, keys + 1, (Kind::Int64, device)) - position);
    let predict = bucket(Tensor::arange(keys + 1, (Kind::Int64, device)) - position);
    (main, predict)
}

/// The additive masks of a whole decoder sequence (no cache), `kind`'s most negative value
/// where a query may not look: main stream `[batch or 1, 1, length, length]` (causal, plus
/// padding when `attention_mask` is given), predict streams
/// `[batch or 1, ngram, 1, length, 2 * length]`: stream `s` sees the main-stream tokens up to
/// its query's position minus `s` (and always the first), plus its own token (HF's
/// `ngram_attention_bias`); the padding of the main-stream keys is added. The sums follow HF
/// (two masked terms may add up to `-inf`, as there).
pub(crate) fn full_sequence_masks(
    length: i64,
    ngram: i64,
    attention_mask: Option<&Tensor>,
    kind: Kind,
    device: Device,
) -> (Tensor, Tensor) {
    let min = get_min(kind);
    let rows = Tensor::arange(length, (Kind::Int64, device)).view([1, length, 1]);
    let cols = Tensor::arange(length, (Kind::Int64, device)).view([1, 1, length]);
    let masked =
        |blocked: &Tensor| Tensor::zeros(blocked.size(), (kind, device)).masked_fill(blocked, min);
    let main = masked(&cols.gt_tensor(&rows)).view([1, 1, length, length]);
    // Stream s blocks key j of query i when j - i >= 1 - s, except the first key.
    let offsets = (Tensor::arange(ngram, (Kind::Int64, device)).neg() + 1).view([ngram, 1, 1]);
    let left = masked(&(&cols - &rows).ge_tensor(&offsets).logical_and(&cols.ne(0)));
    let right = masked(&rows.ne_tensor(&cols).expand([ngram, length, length], false));
    let predict = Tensor::cat(&[left, right], 2).view([1, ngram, 1, length, 2 * length]);
    match attention_mask {
        None => (main, predict),
        Some(mask) => {
            let padding = (mask.to_kind(kind).ones_like() - mask.to_kind(kind)) * min;
            let main = main + padding.view([-1, 1, 1, length]);
            let predict_padding = Tensor::cat(
                &[
                    padding.view([-1, 1, 1, 1, length]),
                    padding.zeros_like().view([-1, 1, 1, 1, length]),
                ],
                4,
            );
            (main, predict + predict_padding)
        }
    }
}

/// Outputs of [`NgramSelfAttention::forward_t`].
pub(crate) struct NgramAttentionOutput {
    /// `[batch, (1 + ngram) * length, hidden]`: the main stream then each predict stream.
    pub output: Tensor,
    /// Main-stream probabilities `[batch, heads, length, keys]` (when asked).
    pub main_probs: Option<Tensor>,
    /// Predict-stream probabilities `[batch, ngram, heads, length, keys + length]` (when asked).
    pub predict_probs: Option<Tensor>,
    /// The main stream's keys and values so far, for the next step (when asked).
    pub state: Option<LayerState>,
}

/// HF `ProphetNetNgramSelfAttention`: the main stream attends causally to itself; each predict
/// stream attends to the main stream and to its own token. Both add a bias per head for the
/// bucket of each relative position, projected from the query's hidden state
/// (`relative_pos_embeddings`). Only the main stream's keys and values are cached.
#[derive(Debug)]
pub struct NgramSelfAttention {
    query_proj: nn::Linear,
    key_proj: nn::Linear,
    value_proj: nn::Linear,
    out_proj: nn::Linear,
    relative_pos_embeddings: nn::Linear,
    num_heads: i64,
    head_dim: i64,
    ngram: i64,
    num_buckets: i64,
    dropout: Dropout,
}

impl NgramSelfAttention {
    /// Builds the projections under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        hidden_size: i64,
        num_heads: i64,
        ngram: i64,
        num_buckets: i64,
        attention_dropout: f64,
    ) -> Self {
        let p = p.borrow();
        Self {
            query_proj: linear(p / "query_proj", hidden_size, hidden_size),
            key_proj: linear(p / "key_proj", hidden_size, hidden_size),
            value_proj: linear(p / "value_proj", hidden_size, hidden_size),
            out_proj: linear(p / "out_proj", hidden_size, hidden_size),
            relative_pos_embeddings: linear(
                p / "relative_pos_embeddings",
                hidden_size,
                num_buckets * num_heads,
            ),
            num_heads,
            head_dim: hidden_size / num_heads.max(1),
            ngram,
            num_buckets,
            dropout: Dropout::new(attention_dropout),
        }
    }

    /// Attends over `hidden` `[batch, (1 + ngram) * length, hidden]` (main stream first).
    /// `state` holds the main stream's earlier keys and values; `buckets` are the main and
    /// predict streams' relative position buckets (`[1, length, keys]`,
    /// `[1, length, keys + length]`); `masks` the additive masks of a whole sequence (none for
    /// a cached step, as in HF).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn forward_t(
        &self,
        hidden: &Tensor,
        state: Option<LayerState>,
        buckets: (&Tensor, &Tensor),
        masks: Option<(&Tensor, &Tensor)>,
        keep_state: bool,
        output_attentions: bool,
        train: bool,
    ) -> Result<NgramAttentionOutput, RustBertError> {
        let size = hidden.size();
        let (batch, total, hidden_size) = (size[0], size[1], size[2]);
        let streams = 1 + self.ngram;
        if total % streams != 0 {
            return Err(RustBertError::ValueError(format!(
                "n-stream attention: {total} positions do not split into {streams} streams"
            )));
        }
        let length = total / streams;
        let heads = |x: &Tensor| split_heads(x, self.num_heads, self.head_dim);
        let scaling = 1.0 / (self.head_dim as f64).sqrt();
        let query = heads(&(self.query_proj.forward(hidden) * scaling));
        let key = heads(&self.key_proj.forward(hidden));
        let value = heads(&self.value_proj.forward(hidden));
        let queries = query.split(length, 2);
        let keys = key.split(length, 2);
        let values = value.split(length, 2);
        let hiddens = hidden.split(length, 1);
        let (main_key, main_value) = match state {
            Some(past) => (
                Tensor::f_cat(&[&past.prev_key, &keys[0]], 2)?,
                Tensor::f_cat(&[&past.prev_value, &values[0]], 2)?,
            ),
            None => (keys[0].shallow_clone(), values[0].shallow_clone()),
        };
        let (main_buckets, predict_buckets) = buckets;

        // Main stream: [batch, heads, length, keys].
        let main_bias = self.main_bucket_bias(&hiddens[0], main_buckets)?;
        let mut scores = queries[0].matmul(&main_key.transpose(-1, -2)) + main_bias;
        if let Some((main_mask, _)) = masks {
            scores += main_mask;
        }
        let main_probs = scores.softmax(-1, Kind::Float).to_kind(scores.kind());
        let main_context = self
            .dropout
            .forward_t(&main_probs, train)
            .matmul(&main_value);
        let main_output = self.out_proj.forward(&merge_heads(&main_context));

        // Predict streams: [batch, ngram, heads, length, keys + length].
        let predict_query = Tensor::stack(&queries[1..], 1);
        let predict_key = Tensor::stack(
            &keys[1..]
                .iter()
                .map(|k| Tensor::cat(&[&main_key, k], 2))
                .collect::<Vec<_>>(),
            1,
        );
        let predict_value = Tensor::stack(
            &values[1..]
                .iter()
                .map(|v| Tensor::cat(&[&main_value, v], 2))
                .collect::<Vec<_>>(),
            1,
        );
        let predict_hidden = Tensor::stack(&hiddens[1..], 1);
        let predict_bias = self.predict_bucket_bias(&predict_hidden, predict_buckets)?;
        let mut scores = predict_query.matmul(&predict_key.transpose(-1, -2)) + predict_bias;
        if let Some((_, predict_mask)) = masks {
            scores += predict_mask;
        }
        let predict_probs = scores.softmax(-1, Kind::Float).to_kind(scores.kind());
        let predict_context = self
            .dropout
            .forward_t(&predict_probs, train)
            .matmul(&predict_value);
        let predict_output =
            self.out_proj
                .forward(&predict_context.transpose(2, 3).contiguous().view([
                    batch,
                    self.ngram,
                    length,
                    hidden_size,
                ]));
        let output = Tensor::cat(&[main_output.unsqueeze(1), predict_output], 1).view([
            batch,
            total,
            hidden_size,
        ]);
        Ok(NgramAttentionOutput {
            output,
            main_probs: output_attentions.then_some(main_probs),
            predict_probs: output_attentions.then_some(predict_probs),
            state: keep_state.then_some(LayerState {
                prev_key: main_key,
                prev_value: main_value,
            }),
        })
    }

    /// The main stream's bias `[batch, heads, length, keys]`: each query's projected table
    /// `[buckets, heads]` read at the bucket of every key.
    fn main_bucket_bias(&self, hidden: &Tensor, buckets: &Tensor) -> Result<Tensor, RustBertError> {
        let size = hidden.size();
        let (batch, length) = (size[0], size[1]);
        let table = self
            .relative_pos_embeddings
            .forward(hidden)
            .view([batch, length, self.num_buckets, self.num_heads])
            .permute([0, 3, 1, 2]);
        let keys = buckets.size()[2];
        let index = buckets
            .unsqueeze(1)
            .expand([batch, self.num_heads, length, keys], false);
        Ok(table.f_gather(3, &index, false)?)
    }

    /// The predict streams' bias `[batch, ngram, heads, length, keys + length]` from `hidden`
    /// `[batch, ngram, length, hidden]`, read in HF's order: its projected tables are laid out
    /// `[batch, length, ngram, heads]` but gathered as `[batch, ngram, heads, length]` rows
    /// (`get_predict_relative_pos_embeddings`), so for more than one position a query reads
    /// the table of another position, stream or head. Reproduced as is: it is what the
    /// released checkpoints compute in HF's full forward (one new token, as in every step of
    /// generation, reads its own table).
    fn predict_bucket_bias(
        &self,
        hidden: &Tensor,
        buckets: &Tensor,
    ) -> Result<Tensor, RustBertError> {
        let size = hidden.size();
        let (batch, length) = (size[0], size[2]);
        let width = buckets.size()[2];
        let table = self
            .relative_pos_embeddings
            .forward(hidden)
            .view([batch, self.ngram, length, self.num_buckets, self.num_heads])
            .permute([0, 2, 1, 4, 3])
            .reshape([-1, self.num_buckets]);
        let index = buckets
            .unsqueeze(0)
            .expand([self.ngram, batch, length, width], false)
            .unsqueeze(2)
            .expand([self.ngram, batch, self.num_heads, length, width], false)
            .reshape([-1, width]);
        Ok(table.f_gather(1, &index, false)?.view([
            batch,
            self.ngram,
            self.num_heads,
            length,
            width,
        ]))
    }
}
