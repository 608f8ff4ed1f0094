//! The cache layouts: what a generative model hands back after each forward pass so that the
//! next step does not recompute earlier tokens, one [`Cache`] variant per layout. The layouts
//! belong to the engine (it reorders them after beam-search steps); the models re-export them
//! under their own names (`bart::LayerState`, `xlnet::LayerState`).
use crate::RustBertError;
use tch::Tensor;

/// Key/value states a generative model returns after a forward pass, to be passed back on the
/// next step so that earlier tokens are not recomputed. One variant per cache layout.
#[derive(Debug)]
pub enum Cache {
    /// GPT-2 family: one tensor per layer of shape
    /// `[2, batch, heads, past_length, head_dim]` (keys then values); `None` before the first
    /// step.
    GPT2Cache(Option<Vec<Tensor>>),
    /// Encoder-decoder models of the BART family (BART, Marian, mBART, Pegasus, ...): per
    /// decoder layer, the self-attention state (grows each step) and the cross-attention state
    /// (the encoder's keys and values, computed on the first step).
    BARTCache(Option<DecoderCache>),
    /// T5: per decoder layer, the self-attention and cross-attention states.
    T5Cache(Option<DecoderCache>),
    /// ProphetNet: per decoder layer, the main stream's self-attention state and the
    /// cross-attention state.
    ProphetNetCache(Option<DecoderCache>),
    /// XLNet: per layer, the memory of the hidden states entering it
    /// (`[length, batch, d_model]`).
    XLNetCache(Option<Vec<Option<MemoryState>>>),
    /// GPT-Neo: per layer, the keys and values of every token seen so far (local layers keep
    /// them all too: their window is applied as a mask, as HF does).
    GPTNeoCache(Option<Vec<Option<KeyValueState>>>),
    /// GPT-J: per layer, the (rotated) keys and the values of every token seen so far.
    GPTJCache(Option<Vec<Option<LayerState>>>),
    /// Reformer: per layer, the (normalised) hidden states entering its attention and, for LSH
    /// layers once hashed, their buckets.
    ReformerCache(Option<Vec<Option<BucketState>>>),
    /// No cache (models without one, or the first step).
    None,
}

impl Cache {
    /// Whether the cache holds no state (the next step must see the whole sequence).
    pub fn is_empty(&self) -> bool {
        match self {
            Cache::GPT2Cache(layers) => layers.is_none(),
            Cache::BARTCache(layers) | Cache::T5Cache(layers) => layers.is_none(),
            Cache::ProphetNetCache(layers) => layers.is_none(),
            Cache::XLNetCache(layers) => layers.is_none(),
            Cache::GPTNeoCache(layers) => layers.is_none(),
            Cache::GPTJCache(layers) => layers.is_none(),
            Cache::ReformerCache(layers) => layers.is_none(),
            Cache::None => true,
        }
    }

    /// The variant's name, for error messages.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Cache::GPT2Cache(_) => "Cache::GPT2Cache",
            Cache::BARTCache(_) => "Cache::BARTCache",
            Cache::T5Cache(_) => "Cache::T5Cache",
            Cache::ProphetNetCache(_) => "Cache::ProphetNetCache",
            Cache::XLNetCache(_) => "Cache::XLNetCache",
            Cache::GPTNeoCache(_) => "Cache::GPTNeoCache",
            Cache::GPTJCache(_) => "Cache::GPTJCache",
            Cache::ReformerCache(_) => "Cache::ReformerCache",
            Cache::None => "Cache::None",
        }
    }

    /// Reorders the cache after a beam-search step: as [`Cache::reorder`], except that the
    /// cross-attention states are left alone. They hold the keys and values of the encoder
    /// output, identical for every beam of an input, so when `rows` only moves rows among the
    /// beams of the same input (what beam search does) copying them would change nothing.
    pub fn reorder_beams(&mut self, rows: &Tensor) -> Result<(), RustBertError> {
        match self {
            Cache::BARTCache(Some(layers))
            | Cache::T5Cache(Some(layers))
            | Cache::ProphetNetCache(Some(layers)) => {
                for (self_attention, _) in layers.iter_mut() {
                    if let Some(state) = self_attention {
                        state.reorder_cache(rows)?;
                    }
                }
                Ok(())
            }
            _ => self.reorder(rows),
        }
    }

    /// Keeps, in this order, the batch rows `rows` (an int64 tensor of row indices) of every
    /// cached state: what beam search does after each step, when the surviving beams descend
    /// from different parents. A row may be taken several times or not at all.
    pub fn reorder(&mut self, rows: &Tensor) -> Result<(), RustBertError> {
        match self {
            Cache::GPT2Cache(Some(layers)) => {
                for layer in layers.iter_mut() {
                    *layer = layer.f_index_select(1, rows)?;
                }
            }
            Cache::BARTCache(Some(layers))
            | Cache::T5Cache(Some(layers))
            | Cache::ProphetNetCache(Some(layers)) => {
                for (self_attention, cross_attention) in layers.iter_mut() {
                    for state in [self_attention, cross_attention].into_iter().flatten() {
                        state.reorder_cache(rows)?;
                    }
                }
            }
            Cache::XLNetCache(Some(layers)) => {
                for state in layers.iter_mut().flatten() {
                    state.reorder_cache(rows)?;
                }
            }
            Cache::GPTNeoCache(Some(layers)) => {
                for state in layers.iter_mut().flatten() {
                    state.reorder_cache(rows)?;
                }
            }
            Cache::GPTJCache(Some(layers)) => {
                for state in layers.iter_mut().flatten() {
                    state.reorder_cache(rows)?;
                }
            }
            Cache::ReformerCache(Some(layers)) => {
                for state in layers.iter_mut().flatten() {
                    state.reorder_cache(rows)?;
                }
            }
            Cache::GPT2Cache(None)
            | Cache::BARTCache(None)
            | Cache::T5Cache(None)
            | Cache::ProphetNetCache(None)
            | Cache::XLNetCache(None)
            | Cache::GPTNeoCache(None)
            | Cache::GPTJCache(None)
            | Cache::ReformerCache(None)
            | Cache::None => {}
        }
        Ok(())
    }
}

/// Keys and values an attention layer keeps between generation steps,
/// `[batch, heads, length, head_dim]` each.
#[derive(Debug)]
pub struct LayerState {
    /// Keys of the tokens seen so far (self-attention) or of the encoder output
    /// (cross-attention).
    pub prev_key: Tensor,
    /// Values, as `prev_key`.
    pub prev_value: Tensor,
}

impl LayerState {
    /// Keeps the batch rows `rows` (int64 indices) of the state, in that order.
    pub fn reorder_cache(&mut self, rows: &Tensor) -> Result<(), RustBertError> {
        self.prev_key = self.prev_key.f_index_select(0, rows)?;
        self.prev_value = self.prev_value.f_index_select(0, rows)?;
        Ok(())
    }
}

/// Keys and values of a self-attention layer, `[batch, heads, length, head_dim]` each, whose
/// value slot may be empty: rust-bert's GPT-Neo layout (re-exported as `gpt_neo::LayerState`;
/// its older local layers cached only keys). The models of this crate always fill both.
#[derive(Debug)]
pub struct KeyValueState {
    /// Keys of the tokens seen so far.
    pub prev_key: Tensor,
    /// Values of the tokens seen so far.
    pub prev_value: Option<Tensor>,
}

impl Clone for KeyValueState {
    fn clone(&self) -> Self {
        Self {
            prev_key: self.prev_key.copy(),
            prev_value: self.prev_value.as_ref().map(Tensor::copy),
        }
    }
}

impl KeyValueState {
    /// Keeps the batch rows `rows` (int64 indices) of the state, in that order.
    pub fn reorder_cache(&mut self, rows: &Tensor) -> Result<(), RustBertError> {
        self.prev_key = self.prev_key.f_index_select(0, rows)?;
        if let Some(value) = self.prev_value.as_mut() {
            *value = value.f_index_select(0, rows)?;
        }
        Ok(())
    }
}

/// What a Reformer layer keeps between generation steps (re-exported as
/// `reformer::LayerState`): Reformer caches the hidden states its attention read (after the
/// layer norm), `[batch, length, hidden]`, from which it recomputes keys and values, and, for LSH
/// layers, the buckets those states were hashed into, `[batch, heads, num_hashes, length]`
/// (`None` while the sequence is shorter than a chunk, and for local layers).
#[derive(Debug)]
pub struct BucketState {
    /// LSH buckets of the cached states (`None`: not hashed yet, or a local layer).
    pub prev_buckets: Option<Tensor>,
    /// Normalised hidden states of the tokens seen so far.
    pub prev_states: Tensor,
}

impl Clone for BucketState {
    fn clone(&self) -> Self {
        Self {
            prev_buckets: self.prev_buckets.as_ref().map(Tensor::copy),
            prev_states: self.prev_states.copy(),
        }
    }
}

impl BucketState {
    /// Keeps the batch rows `rows` (int64 indices) of the state, in that order.
    pub fn reorder_cache(&mut self, rows: &Tensor) -> Result<(), RustBertError> {
        self.prev_states = self.prev_states.f_index_select(0, rows)?;
        if let Some(buckets) = self.prev_buckets.as_mut() {
            *buckets = buckets.f_index_select(0, rows)?;
        }
        Ok(())
    }
}

/// Memory of a recurrent-memory model (XLNet, re-exported as `xlnet::LayerState`): the hidden
/// states that entered a layer, `[length, batch, d_model]`, read again by the next segment.
#[derive(Debug)]
pub struct MemoryState {
    /// Hidden states of the tokens seen so far.
    pub prev_content: Tensor,
}

impl Clone for MemoryState {
    fn clone(&self) -> Self {
        Self {
            prev_content: self.prev_content.copy(),
        }
    }
}

impl MemoryState {
    /// Keeps the batch rows `rows` (int64 indices) of the memory, in that order.
    pub fn reorder_cache(&mut self, rows: &Tensor) -> Result<(), RustBertError> {
        self.prev_content = self.prev_content.f_index_select(1, rows)?;
        Ok(())
    }
}

/// A layer's cached keys and values, as the cache checks read them.
pub(crate) trait KeyValueTensors {
    fn key(&self) -> &Tensor;
    fn value(&self) -> Option<&Tensor>;
}

impl KeyValueTensors for LayerState {
    fn key(&self) -> &Tensor {
        &self.prev_key
    }
    fn value(&self) -> Option<&Tensor> {
        Some(&self.prev_value)
    }
}

impl KeyValueTensors for KeyValueState {
    fn key(&self) -> &Tensor {
        &self.prev_key
    }
    fn value(&self) -> Option<&Tensor> {
        self.prev_value.as_ref()
    }
}

/// Checks a decoder-only model's per-layer cache (`what` names it in errors) against a model of
/// `layers` layers and a batch of `batch` rows: every key and value `[batch, heads, past,
/// head_dim]` with the same `past`, no layer empty unless all are. Returns `past`, the number
/// of cached tokens (0 for an empty cache).
pub(crate) fn cached_length<S: KeyValueTensors>(
    states: &[Option<S>],
    layers: usize,
    [batch, heads, head_dim]: [i64; 3],
    what: &str,
) -> Result<i64, RustBertError> {
    if states.len() != layers {
        return Err(RustBertError::ValueError(format!(
            "{what} has {} entries; the model has {layers} layers",
            states.len()
        )));
    }
    let past = match states.first() {
        Some(Some(state)) => state.key().size().get(2).copied().unwrap_or(-1),
        _ => 0,
    };
    let expected = [batch, heads, past, head_dim];
    for (i, state) in states.iter().enumerate() {
        let Some(state) = state else {
            if past == 0 {
                continue;
            }
            return Err(RustBertError::ValueError(format!(
                "{what}[{i}] is empty while layer 0 caches {past} tokens"
            )));
        };
        let value = state.value().ok_or_else(|| {
            RustBertError::ValueError(format!("{what}[{i}] has keys but no cached values"))
        })?;
        for size in [state.key().size(), value.size()] {
            if size.as_slice() != expected {
                return Err(RustBertError::ValueError(format!(
                    "{what}[{i}] holds a tensor of shape {size:?}; expected {expected:?}"
                )));
            }
        }
    }
    Ok(past)
}

/// A decoder cache of the encoder-decoder models (BART family, T5): per decoder layer, the
/// self-attention and cross-attention states.
pub type DecoderCache = Vec<(Option<LayerState>, Option<LayerState>)>;

/// Checks a decoder cache against a decoder of `layers` layers; returns the states each layer
/// starts from (empty without a cache) and the number of tokens already cached.
pub(crate) fn decoder_states(
    cache: Option<DecoderCache>,
    layers: usize,
) -> Result<(DecoderCache, i64), RustBertError> {
    let states = match cache {
        Some(states) if states.len() != layers => {
            return Err(RustBertError::ValueError(format!(
                "the cache has {} layers; the decoder has {layers}",
                states.len()
            )))
        }
        Some(states) => states,
        None => (0..layers).map(|_| (None, None)).collect(),
    };
    let past = states
        .first()
        .and_then(|(state, _)| state.as_ref())
        .map_or(0, |state| state.prev_key.size()[2]);
    Ok((states, past))
}

/// Output of a language-model head.
#[derive(Debug)]
pub struct LMModelOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub lm_logits: Tensor,
    /// Cache to feed to the next step.
    pub cache: Cache,
}
