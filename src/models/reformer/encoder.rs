//! Reformer's reversible layers: two residual streams, `Y1 = X1 + Attention(X2)` and
//! `Y2 = X2 + FeedForward(Y1)` (inference needs only this forward; the reversibility saves
//! activations in training), and the encoder that stacks them.
use crate::common::activations::Activation;
use crate::common::layers::linear::{linear, linear_without_bias, project, project_linear};
use crate::common::layers::Dropout;
use crate::generation::BucketState;
use crate::reformer::attention::{LocalSelfAttention, LshSelfAttention, SelfAttentionOutput};
use crate::reformer::config::{AttentionType, ReformerConfig};
use crate::RustBertError;
use tch::nn::{self, Module};
use tch::Tensor;

/// rust-bert's name for a Reformer layer's cache entry.
pub type LayerState = BucketState;

/// Applies `f` to chunks of `size` positions along dimension 1 and concatenates the results
/// (HF's `apply_chunking_to_forward`; `size` 0: all at once). Chunking only bounds memory, the
/// result per position is the same, so a length the chunks do not divide (where HF raises, e.g.
/// a one-token generation step) runs in one piece.
pub(crate) fn apply_chunked(x: &Tensor, size: i64, f: impl Fn(&Tensor) -> Tensor) -> Tensor {
    let length = x.size()[1];
    if size <= 0 || length <= size || length % size != 0 {
        return f(x);
    }
    let outputs: Vec<Tensor> = x.split(size, 1).iter().map(f).collect();
    Tensor::cat(&outputs, 1)
}

/// Output of the Reformer encoder (and of [`crate::reformer::ReformerModel`]).
#[derive(Debug)]
pub struct ReformerModelOutput {
    /// Both streams concatenated and normalised, `[batch, seq, 2 * hidden]`.
    pub hidden_states: Tensor,
    /// The second stream entering each layer and leaving the last, when asked for (HF's
    /// `hidden_states`: the embeddings first), `[batch, seq, hidden]`.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked for (for chunked attention in HF's
    /// chunked layout, `[batch, heads, chunks, chunk, window]`).
    pub all_attentions: Option<Vec<Tensor>>,
    /// Per-layer states for the next generation step (when `use_cache`, the default).
    pub next_cache: Option<Vec<Option<LayerState>>>,
}

enum SelfAttention {
    Lsh(LshSelfAttention),
    Local(LocalSelfAttention),
}

/// Layer norm, LSH or local self-attention and the output projection (HF `ReformerAttention`).
struct ReformerAttention {
    layer_norm: nn::LayerNorm,
    self_attention: SelfAttention,
    output: Tensor,
    dropout: Dropout,
}

impl ReformerAttention {
    fn new(
        p: &nn::Path,
        config: &ReformerConfig,
        kind: AttentionType,
    ) -> Result<Self, RustBertError> {
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        let self_path = p / "self_attention";
        let self_attention = match kind {
            AttentionType::lsh => SelfAttention::Lsh(LshSelfAttention::new(&self_path, config)?),
            AttentionType::local => {
                SelfAttention::Local(LocalSelfAttention::new(&self_path, config))
            }
        };
        Ok(Self {
            layer_norm: nn::layer_norm(p / "layer_norm", vec![config.hidden_size], norm),
            self_attention,
            output: linear_without_bias(
                p / "output" / "dense",
                config.num_attention_heads * config.attention_head_size,
                config.hidden_size,
            )
            .ws,
            dropout: Dropout::new(config.hidden_dropout_prob),
        })
    }

    /// The attention output, probabilities, and the layer's next cache entry (`keep` positions
    /// of the normalised input are cached: the padding added for chunking is not).
    #[allow(clippy::too_many_arguments)]
    fn forward_t(
        &self,
        hidden: &Tensor,
        mask: Option<&Tensor>,
        num_hashes: Option<i64>,
        past: Option<&LayerState>,
        keep: i64,
        output_attentions: bool,
        train: bool,
    ) -> Result<(Tensor, Option<Tensor>, LayerState), RustBertError> {
        let normed = self.layer_norm.forward(hidden);
        let SelfAttentionOutput {
            hidden: attended,
            probs,
            buckets,
        } = match (&self.self_attention, past) {
            (SelfAttention::Lsh(a), None) => {
                a.forward_t(&normed, mask, num_hashes, output_attentions, train)?
            }
            (SelfAttention::Lsh(a), Some(past)) => {
                a.forward_cached(&normed, past, num_hashes, output_attentions, train)?
            }
            (SelfAttention::Local(a), None) => {
                a.forward_t(&normed, mask, output_attentions, train)?
            }
            (SelfAttention::Local(a), Some(past)) => {
                a.forward_cached(&normed, past, output_attentions, train)?
            }
        };
        let new_states = normed.narrow(1, 0, keep);
        let state = match past {
            None => LayerState {
                prev_buckets: buckets.map(|b| if keep > 1 { b.narrow(3, 0, keep) } else { b }),
                prev_states: new_states,
            },
            Some(past) => LayerState {
                prev_states: Tensor::cat(&[&past.prev_states, &new_states], 1),
                prev_buckets: match (&past.prev_buckets, buckets) {
                    (Some(old), Some(new)) => Some(Tensor::cat(&[old, &new], -1)),
                    (None, new) => new,
                    (old, None) => old.as_ref().map(Tensor::shallow_clone),
                },
            },
        };
        let output = self
            .dropout
            .forward_t(&project(&attended, &self.output, None), train);
        Ok((output, probs, state))
    }
}

/// Layer norm, dense, activation, dense, applied in chunks of positions (HF
/// `ChunkReformerFeedForward`).
struct ChunkFeedForward {
    layer_norm: nn::LayerNorm,
    dense: nn::Linear,
    output: nn::Linear,
    activation: Activation,
    chunk_size: i64,
    dropout: Dropout,
}

impl ChunkFeedForward {
    fn new(p: &nn::Path, config: &ReformerConfig) -> Self {
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        Self {
            layer_norm: nn::layer_norm(p / "layer_norm", vec![config.hidden_size], norm),
            dense: linear(
                p / "dense" / "dense",
                config.hidden_size,
                config.feed_forward_size,
            ),
            output: linear(
                p / "output" / "dense",
                config.feed_forward_size,
                config.hidden_size,
            ),
            activation: config.hidden_act,
            chunk_size: config.chunk_size_feed_forward.unwrap_or(0),
            dropout: Dropout::new(config.hidden_dropout_prob),
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        apply_chunked(x, self.chunk_size, |chunk| {
            let h = project_linear(&self.dense, &self.layer_norm.forward(chunk));
            let h = self.activation.apply(&self.dropout.forward_t(&h, train));
            self.dropout
                .forward_t(&project_linear(&self.output, &h), train)
        })
    }
}

/// One reversible layer (HF `ReformerLayer`).
struct ReformerLayer {
    attention: ReformerAttention,
    feed_forward: ChunkFeedForward,
}

/// The stack of reversible layers and the final layer norm over both streams (HF
/// `ReformerEncoder`).
pub(crate) struct ReformerEncoder {
    layers: Vec<ReformerLayer>,
    layer_norm: nn::LayerNorm,
    dropout: Dropout,
    output_hidden_states: bool,
    output_attentions: bool,
    use_cache: bool,
}

impl std::fmt::Debug for ReformerEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReformerEncoder({} layers)", self.layers.len())
    }
}

impl ReformerEncoder {
    pub(crate) fn new(p: &nn::Path, config: &ReformerConfig) -> Result<Self, RustBertError> {
        let layers_path = p / "layers";
        let layers = config
            .attn_layers
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let lp = &layers_path / i;
                Ok(ReformerLayer {
                    attention: ReformerAttention::new(&(&lp / "attention"), config, *kind)?,
                    feed_forward: ChunkFeedForward::new(&(&lp / "feed_forward"), config),
                })
            })
            .collect::<Result<Vec<_>, RustBertError>>()?;
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        Ok(Self {
            layers,
            layer_norm: nn::layer_norm(p / "layer_norm", vec![2 * config.hidden_size], norm),
            dropout: Dropout::new(config.hidden_dropout_prob),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
            use_cache: config.use_cache.unwrap_or(true),
        })
    }

    pub(crate) fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Runs the layers on `hidden` (`[batch, seq, hidden]`, the embeddings; `seq` may include
    /// padding to the chunk length, of which the first `keep` positions are real); `past`, one
    /// entry per layer, for a cached step.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn forward_t(
        &self,
        hidden: &Tensor,
        mask: Option<&Tensor>,
        num_hashes: Option<i64>,
        past: Option<&[Option<LayerState>]>,
        keep: i64,
        train: bool,
    ) -> Result<ReformerModelOutput, RustBertError> {
        let mut attn_output = hidden.shallow_clone();
        let mut hidden_states = hidden.shallow_clone();
        let mut all_hidden = self.output_hidden_states.then(Vec::new);
        let mut all_attentions = self.output_attentions.then(Vec::new);
        let mut cache = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            if let Some(all) = all_hidden.as_mut() {
                all.push(hidden_states.narrow(1, 0, keep));
            }
            let layer_past = past.and_then(|states| states[i].as_ref());
            let (attended, probs, state) = layer.attention.forward_t(
                &hidden_states,
                mask,
                num_hashes,
                layer_past,
                keep,
                self.output_attentions,
                train,
            )?;
            // Out of place: both streams start as the same tensor (the embeddings).
            let next_attn = &attn_output + attended;
            attn_output = next_attn;
            let next_hidden = &hidden_states + layer.feed_forward.forward_t(&attn_output, train);
            hidden_states = next_hidden;
            cache.push(Some(state));
            if let (Some(all), Some(probs)) = (all_attentions.as_mut(), probs) {
                all.push(probs);
            }
        }
        if let Some(all) = all_hidden.as_mut() {
            all.push(hidden_states.narrow(1, 0, keep));
        }
        let output = self
            .layer_norm
            .forward(&Tensor::cat(&[&attn_output, &hidden_states], -1));
        Ok(ReformerModelOutput {
            hidden_states: self.dropout.forward_t(&output, train).narrow(1, 0, keep),
            all_hidden_states: all_hidden,
            all_attentions,
            next_cache: self.use_cache.then_some(cache),
        })
    }
}
