//! Reformer's two self-attentions: LSH attention (queries and keys shared, hashed by random
//! rotations into buckets, sorted by bucket and attending within chunks of that order) and
//! local attention (chunks of the sequence attending to themselves and their neighbours).
//! Both follow HF's `LSHSelfAttention` and `LocalSelfAttention` operation for operation, the
//! cached one-token steps of generation included.
use crate::common::layers::linear::{linear_without_bias, project};
use crate::common::layers::Dropout;
use crate::generation::BucketState;
use crate::reformer::config::{ChunkSettings, NumBuckets, ReformerConfig};
use crate::RustBertError;
use std::sync::OnceLock;
use tch::{nn, Kind, Tensor};

/// What a self-attention returns: its output `[batch, seq, heads * head_size]`, the attention
/// probabilities when asked for, and (LSH) the buckets `[batch, heads, num_hashes, length]`.
pub(crate) struct SelfAttentionOutput {
    pub hidden: Tensor,
    pub probs: Option<Tensor>,
    pub buckets: Option<Tensor>,
}

/// Mask values by precision, as HF keeps them: for masked positions (`-1e9`, `-1e4` in half)
/// and for a token's own position in LSH attention (`-1e5`, `-1e3` in half).
fn mask_values(kind: Kind) -> (f64, f64) {
    if kind == Kind::Half {
        (-1e4, -1e3)
    } else {
        (-1e9, -1e5)
    }
}

/// `[batch, seq, heads * size]` -> `[batch, heads, seq, size]`.
fn split_heads(x: &Tensor, heads: i64, size: i64) -> Tensor {
    let s = x.size();
    x.view([s[0], s[1], heads, size]).transpose(1, 2)
}

/// `[batch, heads, seq, size]` -> `[batch, seq, heads * size]`.
fn merge_heads(x: &Tensor) -> Tensor {
    let s = x.size();
    x.permute([0, 2, 1, 3]).reshape([s[0], s[2], s[1] * s[3]])
}

/// Splits dimension 2 (the sequence) of `[batch, heads, seq, (size)]` into `[f1, f2]`.
fn split_sequence(x: &Tensor, f1: i64, f2: i64) -> Tensor {
    let s = x.size();
    let mut shape = vec![s[0], s[1], f1, f2];
    if s.len() == 4 {
        shape.push(s[3]);
    }
    x.reshape(shape.as_slice())
}

/// Each chunk (dimension 2) followed, along dimension 3, by its `before` predecessors and
/// `after` successors (circularly, with Python's slice clamping where there are fewer chunks
/// than neighbours, as HF's `_look_adjacent`).
fn look_adjacent(x: &Tensor, before: i64, after: i64) -> Tensor {
    if before == 0 && after == 0 {
        return x.shallow_clone();
    }
    let n = x.size()[2];
    let parts: Vec<Tensor> = (-before..=after)
        .map(|i| {
            if i == 0 {
                return x.shallow_clone();
            }
            let k = if i < 0 { n + i } else { i }.clamp(0, n);
            Tensor::cat(&[x.narrow(2, k, n - k), x.narrow(2, 0, k)], 2)
        })
        .collect();
    Tensor::cat(&parts, 3)
}

/// Scales each vector to unit root mean square (epsilon 1e-6), then by `1 / sqrt(size)`.
fn length_and_dim_norm(x: &Tensor, size: i64) -> Tensor {
    let variance = x.pow_tensor_scalar(2).mean_dim(-1, true, x.kind());
    x * (variance + 1e-6).rsqrt() / (size as f64).sqrt()
}

/// Softmax through `logsumexp`, as HF computes it (the log-normaliser is also LSH's weight of
/// each hashing round).
fn softmax_with_logits(dots: &Tensor) -> (Tensor, Tensor) {
    let logits = dots.logsumexp([-1], true);
    ((dots - &logits).exp(), logits)
}

/// An argsort that is stable for integer keys (HF's `_stable_argsort`): ties broken by position.
fn stable_argsort(x: &Tensor) -> Tensor {
    let n = *x.size().last().unwrap_or(&1);
    let offset = Tensor::arange(n, (Kind::Int64, x.device()));
    (x.to_kind(Kind::Int64) * n + offset).argsort(-1, false)
}

/// The key/padding and causal masks of chunked or full attention, combined (`None` when
/// neither applies): `true` where attending is allowed.
fn combine_masks(causal: Option<Tensor>, padding: Option<Tensor>) -> Option<Tensor> {
    match (causal, padding) {
        (Some(c), Some(p)) => Some(c.logical_and(&p)),
        (c, p) => c.or(p),
    }
}

/// Locality-sensitive-hashing self-attention (HF `LSHSelfAttention`; variables
/// `query_key.weight`, `value.weight`).
#[derive(Debug)]
pub(crate) struct LshSelfAttention {
    query_key: Tensor,
    value: Tensor,
    heads: i64,
    head_size: i64,
    hidden_size: i64,
    chunk: ChunkSettings,
    num_hashes: i64,
    /// The bucket layout: from the configuration, or, when it has none, chosen from the first
    /// sequence this layer hashes and kept (HF's `_set_num_buckets`).
    num_buckets: OnceLock<NumBuckets>,
    hash_seed: Option<i64>,
    is_decoder: bool,
    max_position_embeddings: i64,
    dropout: Dropout,
}

impl std::fmt::Debug for ChunkSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "chunks of {} ({} before, {} after)",
            self.chunk_length, self.before, self.after
        )
    }
}

impl LshSelfAttention {
    pub(crate) fn new(p: &nn::Path, config: &ReformerConfig) -> Result<Self, RustBertError> {
        let all = config.num_attention_heads * config.attention_head_size;
        let num_buckets = OnceLock::new();
        if let Some(layout) = config.buckets()? {
            let _ = num_buckets.set(layout);
        }
        Ok(Self {
            query_key: linear_without_bias(p / "query_key", config.hidden_size, all).ws,
            value: linear_without_bias(p / "value", config.hidden_size, all).ws,
            heads: config.num_attention_heads,
            head_size: config.attention_head_size,
            hidden_size: config.hidden_size,
            chunk: config.lsh_chunks(),
            num_hashes: config.num_hashes,
            num_buckets,
            hash_seed: config.hash_seed,
            is_decoder: config.is_decoder,
            max_position_embeddings: config.max_position_embeddings,
            dropout: Dropout::new(config.lsh_attention_probs_dropout_prob.unwrap_or(0.0)),
        })
    }

    /// The bucket layout, chosen from `length` on first use when the configuration has none:
    /// about two buckets per chunk, a power of two, factorised in two when above
    /// `2 * max(sqrt(max_position_embeddings / chunk), chunk)` (HF's rule).
    fn layout(&self, length: i64) -> &NumBuckets {
        self.num_buckets.get_or_init(|| {
            let chunk = self.chunk.chunk_length;
            let target = 2 * (length / chunk);
            let power = (64 - target.leading_zeros() as i64 - 1).max(0);
            let buckets = 1i64 << power;
            let limit =
                2 * (((self.max_position_embeddings / chunk) as f64).sqrt() as i64).max(chunk);
            if buckets > limit {
                NumBuckets::Factors(vec![1 << (power / 2), 1 << (power - power / 2)])
            } else {
                NumBuckets::Single(buckets)
            }
        })
    }

    /// Hashes `vectors` (`[batch, heads, length, size]`) into `[batch, heads, hashes * length]`
    /// buckets, each round offset by its number of buckets. The rotations are drawn from
    /// LibTorch's global generator, seeded with `hash_seed` first when there is one: the same
    /// draw as HF's (`torch.manual_seed` then `torch.randn` of the same shape, kind and device),
    /// which leaves the generator in the same state for whatever draws next (sampling).
    /// `mask` (`[batch, length]`) sends padding to an extra bucket; `extra_bucket` counts that
    /// bucket without a mask (a cache whose buckets have it).
    fn hash(
        &self,
        vectors: &Tensor,
        hashes: i64,
        mask: Option<&Tensor>,
        extra_bucket: bool,
    ) -> Tensor {
        let size = vectors.size();
        let (batch, length) = (size[0], size[2]);
        let layout = self.layout(length).clone();
        if let Some(seed) = self.hash_seed {
            tch::manual_seed(seed);
        }
        let rotations = Tensor::randn(
            [self.heads, size[3], hashes, layout.rotation_size() / 2],
            (vectors.kind(), vectors.device()),
        );
        let rotated = Tensor::einsum("bmtd,mdhr->bmhtr", &[vectors, &rotations], None::<i64>);
        let argmax_signed = |x: &Tensor| Tensor::cat(&[x, &x.neg()], -1).argmax(-1, false);
        let mut buckets = match &layout {
            NumBuckets::Single(_) => argmax_signed(&rotated),
            NumBuckets::Factors(factors) => {
                // Each factor hashes with its own slice of the rotation; the bucket is their
                // mixed-radix combination.
                let (mut start, mut product) = (0, 1);
                let mut combined = rotated.zeros_like().select(-1, 0).to_kind(Kind::Int64);
                for &factor in factors {
                    let part = argmax_signed(&rotated.narrow(-1, start, factor / 2));
                    combined += part * product;
                    start += factor / 2;
                    product *= factor;
                }
                combined
            }
        };
        let mut count = layout.total();
        let keep = mask.map(|m| m.to_kind(Kind::Bool));
        match keep {
            Some(keep) if keep.logical_not().any().int64_value(&[]) != 0 => {
                count += 1;
                let keep = keep.view([batch, 1, 1, length]).expand_as(&buckets);
                buckets =
                    buckets.where_self(&keep, &Tensor::from(count - 1).to_device(buckets.device()));
            }
            _ if extra_bucket => count += 1,
            _ => {}
        }
        let offsets =
            (Tensor::arange(hashes, (Kind::Int64, vectors.device())) * count).view([1, 1, -1, 1]);
        (buckets + offsets).flatten(2, 3)
    }

    /// Self-attention over a whole sequence (`hidden` `[batch, seq, hidden]`, already
    /// normalised; `mask` `[batch, seq]`): full attention up to one chunk, LSH beyond.
    pub(crate) fn forward_t(
        &self,
        hidden: &Tensor,
        mask: Option<&Tensor>,
        num_hashes: Option<i64>,
        output_attentions: bool,
        train: bool,
    ) -> Result<SelfAttentionOutput, RustBertError> {
        let hashes = num_hashes.unwrap_or(self.num_hashes);
        if hashes < 1 {
            return Err(RustBertError::ValueError(format!(
                "num_hashes = {hashes}, expected at least 1"
            )));
        }
        let (batch, length) = (hidden.size()[0], hidden.size()[1]);
        let (heads, size, chunk) = (self.heads, self.head_size, self.chunk.chunk_length);
        let query_key = split_heads(&project(hidden, &self.query_key, None), heads, size);
        let value = split_heads(&project(hidden, &self.value, None), heads, size);
        let (mask_value, self_value) = mask_values(hidden.kind());
        let keep = mask.map(|m| m.to_kind(Kind::Bool));
        if length <= chunk {
            // Full (causal) attention; a token still may not attend to itself.
            let positions = Tensor::arange(length, (Kind::Int64, hidden.device()));
            let query_index = positions.view([1, 1, length, 1]);
            let key_index = positions.view([1, 1, 1, length]);
            let key = length_and_dim_norm(&query_key, size);
            let mut dots = query_key.matmul(&key.transpose(-1, -2));
            let causal = self.is_decoder.then(|| query_index.ge_tensor(&key_index));
            let padding = keep.map(|k| k.view([batch, 1, 1, length]));
            if let Some(allowed) = combine_masks(causal, padding) {
                dots = dots.masked_fill(&allowed.logical_not(), mask_value);
            }
            dots = dots.masked_fill(&query_index.eq_tensor(&key_index), self_value);
            let (probs, _) = softmax_with_logits(&dots);
            let probs = self.dropout.forward_t(&probs, train);
            let out = probs.matmul(&value);
            return Ok(SelfAttentionOutput {
                hidden: merge_heads(&out),
                probs: output_attentions.then_some(probs),
                buckets: None,
            });
        }
        if length % chunk != 0 {
            return Err(RustBertError::ValueError(format!(
                "LSH attention over {length} positions: not a multiple of its chunk length {chunk}"
            )));
        }
        let buckets = self.hash(&query_key, hashes, keep.as_ref(), false);
        let sorted = stable_argsort(&buckets);
        let undo = sorted.zeros_like().scatter(
            -1,
            &sorted,
            &Tensor::arange(hashes * length, (Kind::Int64, hidden.device()))
                .view([1, 1, -1])
                .expand_as(&sorted),
        );
        let per_hash = sorted.remainder(length);
        let gather = |x: &Tensor| {
            let index = per_hash.unsqueeze(-1).expand([-1, -1, -1, size], false);
            split_sequence(&x.gather(2, &index, false), -1, chunk)
        };
        let query = gather(&query_key);
        let value = gather(&value);
        let key = length_and_dim_norm(&query, size);
        let (before, after) = (self.chunk.before, self.chunk.after);
        let key = look_adjacent(&key, before, after);
        let value = look_adjacent(&value, before, after);
        let mut dots = query.matmul(&key.transpose(-1, -2));
        let query_index = split_sequence(&per_hash, -1, chunk);
        let key_index = look_adjacent(&query_index, before, after);
        let causal = self.is_decoder.then(|| {
            query_index
                .unsqueeze(-1)
                .ge_tensor(&key_index.unsqueeze(-2))
        });
        let padding = keep.map(|k| {
            let chunks = key_index.size()[2];
            k.view([batch, 1, 1, length])
                .expand([batch, heads, chunks, length], false)
                .gather(-1, &key_index, false)
                .unsqueeze(-2)
        });
        if let Some(allowed) = combine_masks(causal, padding) {
            dots = dots.masked_fill(&allowed.logical_not(), mask_value);
        }
        dots = dots.masked_fill(
            &query_index
                .unsqueeze(-1)
                .eq_tensor(&key_index.unsqueeze(-2)),
            self_value,
        );
        let (probs, logits) = softmax_with_logits(&dots);
        let probs_out = self.dropout.forward_t(&probs, train);
        let out = probs_out.matmul(&value).flatten(2, 3);
        let logits = logits.flatten(2, 3).squeeze_dim(-1);
        // Back to the sequence order.
        let out = out.gather(2, &undo.unsqueeze(-1).expand_as(&out), false);
        let logits = logits.gather(2, &undo, false);
        let out = combine_rounds(&out, &logits, hashes, length);
        Ok(SelfAttentionOutput {
            hidden: merge_heads(&out),
            probs: output_attentions.then_some(probs_out),
            buckets: Some(buckets.view([batch, heads, hashes, -1])),
        })
    }

    /// One generation step (`hidden` `[batch, 1, hidden]`) against the states (and buckets)
    /// cached for the earlier tokens, as HF's cached path: without buckets, full attention over
    /// every cached token (hashing them all once the sequence reaches a chunk); with buckets,
    /// the new token is hashed, sorted among them, and attends to its chunk of that order and
    /// the chunks before it. The attention mask plays no part (HF's generation passes none).
    pub(crate) fn forward_cached(
        &self,
        hidden: &Tensor,
        past: &BucketState,
        num_hashes: Option<i64>,
        output_attentions: bool,
        train: bool,
    ) -> Result<SelfAttentionOutput, RustBertError> {
        let hashes = num_hashes.unwrap_or(self.num_hashes);
        let (batch, heads, size) = (hidden.size()[0], self.heads, self.head_size);
        let query = split_heads(&project(hidden, &self.query_key, None), heads, size);
        let states = Tensor::cat(&[&past.prev_states, hidden], 1);
        let length = states.size()[1];
        let (_, self_value) = mask_values(hidden.kind());
        let Some(past_buckets) = past.prev_buckets.as_ref().filter(|b| b.numel() > 0) else {
            let query_key = split_heads(&project(&states, &self.query_key, None), heads, size);
            let value = split_heads(&project(&states, &self.value, None), heads, size);
            let buckets = (length >= self.chunk.chunk_length).then(|| {
                self.hash(&query_key, hashes, None, false)
                    .view([batch, heads, hashes, -1])
            });
            let key = length_and_dim_norm(&query_key, size);
            let dots = query.matmul(&key.transpose(-1, -2));
            let own = Tensor::arange(length, (Kind::Int64, hidden.device())).eq(length - 1);
            let dots = dots.masked_fill(&own, self_value);
            let (probs, _) = softmax_with_logits(&dots);
            let probs = self.dropout.forward_t(&probs, train);
            let out = probs.matmul(&value);
            return Ok(SelfAttentionOutput {
                hidden: merge_heads(&out),
                probs: output_attentions.then_some(probs),
                buckets,
            });
        };
        let total_buckets = self.layout(length).total();
        let extra = past_buckets.max().int64_value(&[]) > hashes * total_buckets - 1;
        let query_buckets = self
            .hash(&query, hashes, None, extra)
            .view([batch, heads, hashes, 1]);
        let all = Tensor::cat(&[&past_buckets.to_kind(Kind::Int64), &query_buckets], -1);
        let order = stable_argsort(&all);
        // Where the new token (index length - 1) landed in each round's order, and the window
        // of its chunk and the chunks before (and after) it, wrapping around the round.
        let at = order.eq(length - 1).to_kind(Kind::Int64).argmax(-1, false);
        let chunk = self.chunk.chunk_length;
        let window = chunk * (1 + self.chunk.before + self.chunk.after);
        let start = (at.divide_scalar_mode(chunk, "floor") - self.chunk.before) * chunk;
        let offsets = Tensor::arange(window, (Kind::Int64, hidden.device()));
        let positions = (start.unsqueeze(-1) + offsets).remainder(length);
        let relevant = order.gather(-1, &positions, false);
        // HF offsets the gathered rows by batch with a factor that is always zero, so every row
        // reads the states of batch row 0 at its own positions; kept for identical outputs.
        let selected = states
            .get(0)
            .index_select(0, &relevant.flatten(0, -1))
            .view([batch, heads, hashes * window, self.hidden_size]);
        let per_head = |weight: &Tensor| {
            let w = weight
                .reshape([heads, size, self.hidden_size])
                .transpose(-2, -1);
            Tensor::einsum("balh,ahr->balr", &[&selected, &w], None::<i64>)
                .reshape([batch, heads, hashes, window, size])
        };
        let query_key = per_head(&self.query_key);
        let value = per_head(&self.value);
        let query = query.unsqueeze(2).repeat([1, 1, hashes, 1, 1]);
        let key = length_and_dim_norm(&query_key, size);
        let dots = query.matmul(&key.transpose(-1, -2));
        let newest = relevant.max();
        let dots = dots.masked_fill(&relevant.eq_tensor(&newest).unsqueeze(-2), self_value);
        let (probs, logits) = softmax_with_logits(&dots);
        let probs = self.dropout.forward_t(&probs, train);
        let out = probs.matmul(&value).flatten(2, 3);
        let logits = logits.flatten(2, 3).squeeze_dim(-1);
        let out = combine_rounds(&out, &logits, hashes, 1);
        Ok(SelfAttentionOutput {
            hidden: merge_heads(&out),
            probs: output_attentions.then_some(probs),
            buckets: Some(query_buckets),
        })
    }
}

/// Sums the hashing rounds of `out` (`[batch, heads, hashes * length, size]`), each weighted by
/// the softmax over rounds of its log-normaliser `logits` (`[batch, heads, hashes * length]`).
fn combine_rounds(out: &Tensor, logits: &Tensor, hashes: i64, length: i64) -> Tensor {
    if hashes == 1 {
        return out.shallow_clone();
    }
    let out = split_sequence(out, hashes, length);
    let logits = split_sequence(logits, hashes, length).unsqueeze(-1);
    let weights = (&logits - logits.logsumexp([2], true)).exp();
    (out * weights).sum_dim_intlist(2, false, None::<Kind>)
}

/// Local (chunked) self-attention (HF `LocalSelfAttention`; variables `query.weight`,
/// `key.weight`, `value.weight`).
#[derive(Debug)]
pub(crate) struct LocalSelfAttention {
    query: Tensor,
    key: Tensor,
    value: Tensor,
    heads: i64,
    head_size: i64,
    chunk: ChunkSettings,
    is_decoder: bool,
    dropout: Dropout,
}

impl LocalSelfAttention {
    pub(crate) fn new(p: &nn::Path, config: &ReformerConfig) -> Self {
        let all = config.num_attention_heads * config.attention_head_size;
        Self {
            query: linear_without_bias(p / "query", config.hidden_size, all).ws,
            key: linear_without_bias(p / "key", config.hidden_size, all).ws,
            value: linear_without_bias(p / "value", config.hidden_size, all).ws,
            heads: config.num_attention_heads,
            head_size: config.attention_head_size,
            chunk: config.local_chunks(),
            is_decoder: config.is_decoder,
            dropout: Dropout::new(config.local_attention_probs_dropout_prob.unwrap_or(0.05)),
        }
    }

    /// Self-attention over a whole sequence (`hidden` normalised, `mask` `[batch, seq]`).
    pub(crate) fn forward_t(
        &self,
        hidden: &Tensor,
        mask: Option<&Tensor>,
        output_attentions: bool,
        train: bool,
    ) -> Result<SelfAttentionOutput, RustBertError> {
        let (batch, length) = (hidden.size()[0], hidden.size()[1]);
        let (heads, size, chunk) = (self.heads, self.head_size, self.chunk.chunk_length);
        let query = split_heads(&project(hidden, &self.query, None), heads, size);
        let key =
            split_heads(&project(hidden, &self.key, None), heads, size) / (size as f64).sqrt();
        let value = split_heads(&project(hidden, &self.value, None), heads, size);
        let positions = Tensor::arange(length, (Kind::Int64, hidden.device()));
        let keep = mask.map(|m| m.to_kind(Kind::Bool).view([batch, 1, length]));
        let chunked = length > chunk;
        let (query, key, value, query_index, key_index, padding) = if chunked {
            if length % chunk != 0 {
                return Err(RustBertError::ValueError(format!(
                    "local attention over {length} positions: not a multiple of its chunk length {chunk}"
                )));
            }
            let (before, after) = (self.chunk.before, self.chunk.after);
            let index = positions.view([1, 1, -1, chunk]);
            let padding = keep.map(|k| {
                look_adjacent(&k.view([batch, 1, -1, chunk]), before, after).unsqueeze(-2)
            });
            (
                split_sequence(&query, -1, chunk),
                look_adjacent(&split_sequence(&key, -1, chunk), before, after),
                look_adjacent(&split_sequence(&value, -1, chunk), before, after),
                index.shallow_clone(),
                look_adjacent(&index, before, after),
                padding,
            )
        } else {
            let padding = keep.map(|k| k.unsqueeze(-2));
            let index = positions.view([1, 1, length]);
            (query, key, value, index.shallow_clone(), index, padding)
        };
        let mut dots = query.matmul(&key.transpose(-1, -2));
        let causal = self.is_decoder.then(|| {
            query_index
                .unsqueeze(-1)
                .ge_tensor(&key_index.unsqueeze(-2))
        });
        if let Some(allowed) = combine_masks(causal, padding) {
            dots = dots.masked_fill(&allowed.logical_not(), mask_values(dots.kind()).0);
        }
        let (probs, _) = softmax_with_logits(&dots);
        let probs = self.dropout.forward_t(&probs, train);
        let mut out = probs.matmul(&value);
        if chunked {
            out = out.flatten(2, 3);
        }
        Ok(SelfAttentionOutput {
            hidden: merge_heads(&out),
            probs: output_attentions.then_some(probs),
            buckets: None,
        })
    }

    /// One generation step against the cached states: the new token attends to itself and
    /// the cached tokens from the start of the chunk `before` chunks back (HF's slice, whose
    /// negative start counts from the end).
    pub(crate) fn forward_cached(
        &self,
        hidden: &Tensor,
        past: &BucketState,
        output_attentions: bool,
        train: bool,
    ) -> Result<SelfAttentionOutput, RustBertError> {
        let (heads, size, chunk) = (self.heads, self.head_size, self.chunk.chunk_length);
        let cached = past.prev_states.size()[1];
        let start = (cached / chunk - self.chunk.before) * chunk;
        let begin = if start < 0 {
            (cached + start).max(0)
        } else {
            start.min(cached)
        };
        let states = Tensor::cat(
            &[&past.prev_states.narrow(1, begin, cached - begin), hidden],
            1,
        );
        let query = split_heads(&project(hidden, &self.query, None), heads, size);
        let key =
            split_heads(&project(&states, &self.key, None), heads, size) / (size as f64).sqrt();
        let value = split_heads(&project(&states, &self.value, None), heads, size);
        let dots = query.matmul(&key.transpose(-1, -2));
        let (probs, _) = softmax_with_logits(&dots);
        let probs = self.dropout.forward_t(&probs, train);
        let out = probs.matmul(&value);
        Ok(SelfAttentionOutput {
            hidden: merge_heads(&out),
            probs: output_attentions.then_some(probs),
            buckets: None,
        })
    }
}
