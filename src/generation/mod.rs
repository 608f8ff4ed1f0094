//! Text generation: the types the generative models share with the generation engine
//! ([`crate::pipelines::generation_utils`]).
//!
//! This holds the key/value [`Cache`] the models hand back after each forward pass and the
//! [`LMModelOutput`] of language-model heads. It lives below the models so that a model never
//! imports from `pipelines`.
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
    /// No cache (models without one, or the first step).
    None,
}

impl Cache {
    /// Whether the cache holds no state (the next step must see the whole sequence).
    pub fn is_empty(&self) -> bool {
        match self {
            Cache::GPT2Cache(layers) => layers.is_none(),
            Cache::None => true,
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
            Cache::GPT2Cache(None) | Cache::None => {}
        }
        Ok(())
    }
}

/// Output of a language-model head.
#[derive(Debug)]
pub struct LMModelOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub lm_logits: Tensor,
    /// Cache to feed to the next step.
    pub cache: Cache,
}
