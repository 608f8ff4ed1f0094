//! Multi-head attention shared by the encoder models.
use crate::common::kind::get_min;
use crate::common::layers::linear::project_linear;
use crate::common::layers::{linear, Dropout};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn;
use tch::{Device, Kind, Tensor};

/// `[batch, seq, heads * head_dim]` -> `[batch, heads, seq, head_dim]`.
pub fn split_heads(x: &Tensor, num_heads: i64, head_dim: i64) -> Tensor {
    let (batch, seq) = (x.size()[0], x.size()[1]);
    x.view([batch, seq, num_heads, head_dim]).transpose(1, 2)
}

/// `[batch, heads, seq, head_dim]` -> `[batch, seq, heads * head_dim]`.
pub fn merge_heads(x: &Tensor) -> Tensor {
    let size = x.size();
    x.transpose(1, 2)
        .contiguous()
        .view([size[0], size[2], size[1] * size[3]])
}

/// Turns a `[batch, key_len]` (or `[batch, query_len, key_len]`) mask of 1 (attend) and 0
/// (ignore) into an additive bias broadcastable to `[batch, heads, query_len, key_len]`:
/// 0 where attended, the most negative value of `kind` where not (HF's extended mask).
pub fn padding_mask_bias(mask: &Tensor, kind: Kind) -> Tensor {
    let mask = match mask.dim() {
        3 => mask.unsqueeze(1),
        _ => mask.unsqueeze(1).unsqueeze(1),
    };
    (mask.to_kind(kind).ones_like() - mask.to_kind(kind)) * get_min(kind)
}

/// Checks a user-given attention mask against the attention it will bias, then builds the
/// bias: `[batch, key_len]` (padding) or `[batch, query_len, key_len]`. A wrong shape is an
/// error naming `what`, instead of a broadcasting panic deep inside LibTorch.
pub fn attention_bias(
    mask: &Tensor,
    batch: i64,
    query_len: i64,
    key_len: i64,
    kind: Kind,
    what: &str,
) -> Result<Tensor, RustBertError> {
    let size = mask.size();
    let valid = match size.as_slice() {
        [b, k] => *b == batch && *k == key_len,
        [b, q, k] => *b == batch && *q == query_len && *k == key_len,
        _ => false,
    };
    if !valid {
        return Err(RustBertError::ValueError(format!(
            "{what} has shape {size:?}; expected [{batch}, {key_len}] or \
             [{batch}, {query_len}, {key_len}]"
        )));
    }
    Ok(padding_mask_bias(mask, kind))
}

/// The self-attention bias of an encoder whose input embeddings are `[batch, seq, dim]`: the
/// checked bias of `mask` ([`attention_bias`]), `None` without a mask. An empty sequence is an
/// error: there is nothing to attend to (pipelines return empty outputs before this point).
pub fn encoder_attention_bias(
    embeddings: &Tensor,
    mask: Option<&Tensor>,
) -> Result<Option<Tensor>, RustBertError> {
    let (batch, seq_len) = match embeddings.size().as_slice() {
        [batch, seq_len, _] if *seq_len > 0 => (*batch, *seq_len),
        _ => {
            return Err(RustBertError::ValueError(
                "the input sequence is empty (0 tokens)".into(),
            ))
        }
    };
    mask.map(|m| {
        attention_bias(
            m,
            batch,
            seq_len,
            seq_len,
            embeddings.kind(),
            "attention mask",
        )
    })
    .transpose()
}

/// Additive causal bias `[1, 1, query_len, key_len]`: query `i` (the last `query_len` of
/// `key_len` positions) may attend keys `0..=key_len - query_len + i`.
pub fn causal_mask_bias(query_len: i64, key_len: i64, kind: Kind, device: Device) -> Tensor {
    let offset = key_len - query_len;
    let allowed = Tensor::ones([query_len, key_len], (Kind::Bool, device)).tril(offset);
    Tensor::zeros([query_len, key_len], (kind, device))
        .masked_fill(&allowed.logical_not(), get_min(kind))
        .view([1, 1, query_len, key_len])
}

/// Additive attention bias `[batch or 1, 1, seq, past + seq]`: causal, and combined with the
/// padding `attention_mask` (`[batch, past + seq]`) when given.
///
/// The two are merged with `minimum` rather than added: a query whose every key is masked (a
/// left-padding position) then gets the most negative value everywhere, a uniform softmax as
/// in HF, instead of an overflow to `-inf` whose NaN would leak through later layers.
pub fn causal_attention_bias(
    attention_mask: Option<&Tensor>,
    batch: i64,
    seq: i64,
    past: i64,
    kind: Kind,
    device: Device,
) -> Result<Tensor, RustBertError> {
    let key_len = past + seq;
    let causal = causal_mask_bias(seq, key_len, kind, device);
    match attention_mask {
        None => Ok(causal),
        Some(mask) => {
            let padding = attention_bias(
                mask,
                batch,
                seq,
                key_len,
                kind,
                "attention_mask (covering the cached and the new tokens)",
            )?;
            Ok(causal.minimum(&padding.to_device(device)))
        }
    }
}

/// Restricts an additive causal bias `[..., query_len, key_len]` (the queries being the last
/// `query_len` of `key_len` positions, as [`causal_mask_bias`] builds it) to a sliding window:
/// query `i` keeps the keys `i - window < j <= i` only (HF GPT-Neo's local attention, counted
/// on the positions of the cache, padding included).
pub fn sliding_window_bias(bias: &Tensor, window: i64) -> Tensor {
    let size = bias.size();
    let (query_len, key_len) = match size.as_slice() {
        [.., q, k] => (*q, *k),
        _ => return bias.shallow_clone(),
    };
    let offset = key_len - query_len;
    let too_far = Tensor::ones([query_len, key_len], (Kind::Bool, bias.device()))
        .tril(offset - window.max(1));
    bias.masked_fill(&too_far, get_min(bias.kind()))
}

/// `softmax(q kᵀ · scaling + bias) v` on `[batch, heads, seq, head_dim]` tensors; returns the
/// context and, when `output_attentions`, the attention probabilities.
///
/// Without probabilities to return, LibTorch's fused `scaled_dot_product_attention` runs
/// instead of the three separate steps (what HF's default `sdpa` implementation does too).
#[allow(clippy::too_many_arguments)]
pub fn scaled_dot_product(
    query: &Tensor,
    key: &Tensor,
    value: &Tensor,
    bias: Option<&Tensor>,
    scaling: f64,
    dropout: &Dropout,
    train: bool,
    output_attentions: bool,
) -> (Tensor, Option<Tensor>) {
    if !output_attentions {
        let dropout_p = if train { dropout.probability() } else { 0.0 };
        let context = Tensor::scaled_dot_product_attention(
            query, key, value, bias, dropout_p, false, scaling, false,
        );
        return (context, None);
    }
    let scores = query.matmul(&key.transpose(-1, -2)) * scaling;
    let scores = match bias {
        Some(bias) => scores + bias,
        None => scores,
    };
    let probs = scores.softmax(-1, scores.kind());
    let context = dropout.forward_t(&probs, train).matmul(value);
    (context, Some(probs))
}

/// As [`scaled_dot_product`], with the scores and the softmax in single precision whatever
/// the inputs' precision (HF's GPT-Neo and GPT-J do this: their scores overflow half
/// precision); the probabilities then multiply the values in the values' precision. For
/// single-precision inputs it is [`scaled_dot_product`] itself.
#[allow(clippy::too_many_arguments)]
pub fn scaled_dot_product_f32_scores(
    query: &Tensor,
    key: &Tensor,
    value: &Tensor,
    bias: Option<&Tensor>,
    scaling: f64,
    dropout: &Dropout,
    train: bool,
    output_attentions: bool,
) -> (Tensor, Option<Tensor>) {
    if query.kind() == Kind::Float {
        return scaled_dot_product(
            query,
            key,
            value,
            bias,
            scaling,
            dropout,
            train,
            output_attentions,
        );
    }
    let scores = query
        .to_kind(Kind::Float)
        .matmul(&key.to_kind(Kind::Float).transpose(-1, -2))
        * scaling;
    let scores = match bias {
        Some(bias) => scores + bias.to_kind(Kind::Float),
        None => scores,
    };
    let probs = scores.softmax(-1, Kind::Float).to_kind(value.kind());
    let context = dropout.forward_t(&probs, train).matmul(value);
    (context, output_attentions.then_some(probs))
}

/// Multi-head attention with separate query, key and value projections (HF `BertSelfAttention`
/// and its copies). Used as self-attention, or as cross-attention when keys and values come
/// from another sequence.
#[derive(Debug)]
pub struct MultiHeadAttention {
    query: nn::Linear,
    key: nn::Linear,
    value: nn::Linear,
    num_heads: i64,
    head_dim: i64,
    dropout: Dropout,
}

impl MultiHeadAttention {
    /// Builds the projections under `p` with the given variable names (BERT: `query`, `key`,
    /// `value`).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        hidden_size: i64,
        num_heads: i64,
        dropout: f64,
        names: [&str; 3],
    ) -> Self {
        let p = p.borrow();
        Self {
            query: linear(p / names[0], hidden_size, hidden_size),
            key: linear(p / names[1], hidden_size, hidden_size),
            value: linear(p / names[2], hidden_size, hidden_size),
            num_heads,
            head_dim: hidden_size / num_heads,
            dropout: Dropout::new(dropout),
        }
    }

    /// Attends from `hidden` to `key_value_source` (itself for self-attention) with an additive
    /// `bias`; returns the merged context `[batch, seq, hidden]` and, when `output_attentions`,
    /// the probabilities.
    pub fn forward_t(
        &self,
        hidden: &Tensor,
        key_value_source: Option<&Tensor>,
        bias: Option<&Tensor>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let source = key_value_source.unwrap_or(hidden);
        // Through `project` (as every projection): the int8 copies of a quantised store.
        let project = |layer: &nn::Linear, x: &Tensor| {
            split_heads(&project_linear(layer, x), self.num_heads, self.head_dim)
        };
        let query = project(&self.query, hidden);
        let key = project(&self.key, source);
        let value = project(&self.value, source);
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
        (merge_heads(&context), probs)
    }
}
