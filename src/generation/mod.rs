//! Text generation: the types the generative models share with the generation engine.
//!
//! For now this holds the key/value [`Cache`] the models hand back after each forward pass and
//! the [`LMModelOutput`] of language-model heads; the engine itself (generate configuration,
//! search and logits processing) is built on top of them. It lives below the models so that a
//! model never imports from `pipelines`.
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

/// Output of a language-model head.
#[derive(Debug)]
pub struct LMModelOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub lm_logits: Tensor,
    /// Cache to feed to the next step.
    pub cache: Cache,
}
