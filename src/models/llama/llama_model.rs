//! The decoder stack (embeddings, layers, final norm) and its language-model head.
use super::attention::DecoderAttention;
use super::config::LlamaConfig;
use crate::common::layers::embeddings::{check_ids, ids_or_embeds};
use crate::common::layers::linear::{embedding_config, project, uninitialized};
use crate::common::layers::{
    causal_attention_bias, run_layer_stack, sliding_window_bias, GatedMlp, RmsNorm, RotaryEmbedding,
};
use crate::generation::{Cache, LMModelOutput};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn;
use tch::{Kind, Tensor};

/// One decoder layer: pre-norm attention and gated MLP, with Gemma 2's extra norms.
#[derive(Debug)]
pub struct DecoderLayer {
    input_layernorm: RmsNorm,
    self_attn: DecoderAttention,
    post_attention_layernorm: RmsNorm,
    /// Gemma 2: norms before and after the MLP (its `post_attention_layernorm` then normalises
    /// the attention output inside the residual branch).
    feedforward_norms: Option<(RmsNorm, RmsNorm)>,
    mlp: GatedMlp,
}

fn norm(p: nn::Path, config: &LlamaConfig) -> RmsNorm {
    if config.is_gemma() {
        RmsNorm::with_unit_offset(p, config.hidden_size, config.rms_norm_eps)
    } else {
        RmsNorm::new(p, config.hidden_size, config.rms_norm_eps)
    }
}

impl DecoderLayer {
    fn new(p: nn::Path, config: &LlamaConfig, layer: i64) -> Self {
        let gemma = config.is_gemma();
        Self {
            input_layernorm: norm(&p / "input_layernorm", config),
            self_attn: DecoderAttention::new(&p / "self_attn", &config.attention(layer)),
            post_attention_layernorm: norm(&p / "post_attention_layernorm", config),
            feedforward_norms: gemma.then(|| {
                (
                    norm(&p / "pre_feedforward_layernorm", config),
                    norm(&p / "post_feedforward_layernorm", config),
                )
            }),
            mlp: GatedMlp::new(
                &p / "mlp",
                config.hidden_size,
                config.intermediate_size,
                config.activation(),
                config.mlp_bias(),
                config.fused(),
            ),
        }
    }

    fn forward(
        &self,
        x: &Tensor,
        layer_past: Option<&Tensor>,
        rotary: (&RotaryEmbedding, &(Tensor, Tensor)),
        bias: &Tensor,
        output_attentions: bool,
    ) -> (Tensor, Tensor, Option<Tensor>) {
        let (attention, present, probs) = self.self_attn.forward(
            &self.input_layernorm.forward(x),
            layer_past,
            rotary,
            bias,
            output_attentions,
        );
        let output = match &self.feedforward_norms {
            Some((pre, post)) => {
                let x = x + self.post_attention_layernorm.forward(&attention);
                let m = post.forward(&self.mlp.forward(&pre.forward(&x)));
                x + m
            }
            None => {
                let x = x + attention;
                let m = self.mlp.forward(&self.post_attention_layernorm.forward(&x));
                x + m
            }
        };
        (output, present, probs)
    }
}

/// Output of [`LlamaModel`].
#[derive(Debug)]
pub struct LlamaModelOutput {
    /// Last hidden state after the final norm `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// Per layer, the cached keys and values `[2, batch, kv_heads, past + seq, head_dim]`; a
    /// sliding layer keeps only the last `sliding_window - 1` positions (what a next query can
    /// see), so its entry stops growing there.
    pub cache: Vec<Tensor>,
    /// The embeddings then every layer's output (the last after the final norm), when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The decoder stack (HF's `model.*`): token embeddings, decoder layers and final norm, for
/// every family of [`LlamaConfig`].
#[derive(Debug)]
pub struct LlamaModel {
    embed_tokens: nn::Embedding,
    layers: Vec<DecoderLayer>,
    norm: RmsNorm,
    rotary: RotaryEmbedding,
    embed_scale: Option<f64>,
    max_positions: i64,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl LlamaModel {
    /// Builds the stack under `p` (variables `embed_tokens`, `layers.{i}`, `norm`).
    ///
    /// # Errors
    /// The configuration's validation errors.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &LlamaConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let layers_path = p / "layers";
        Ok(Self {
            embed_tokens: nn::embedding(
                p / "embed_tokens",
                config.vocab_size,
                config.hidden_size,
                embedding_config(),
            ),
            layers: (0..config.num_hidden_layers)
                .map(|i| DecoderLayer::new(&layers_path / i, config, i))
                .collect(),
            norm: norm(p / "norm", config),
            rotary: config.rotary()?,
            // HF multiplies by the square root as a float32 tensor.
            embed_scale: config
                .is_gemma()
                .then(|| (config.hidden_size as f64).sqrt() as f32 as f64),
            max_positions: config.max_position_embeddings,
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        })
    }

    /// The token embedding matrix `[vocab, hidden]`.
    pub fn embeddings(&self) -> &Tensor {
        &self.embed_tokens.ws
    }

    /// The number of tokens seen before this call (`total`) and, per layer, how many of them
    /// its cache entry holds. A sliding layer keeps only the last `window - 1` (all a new query
    /// can see; HF's sliding-window cache keeps as many), so its entry may be shorter than the
    /// others: the total then comes from the attention mask (`[batch, total + seq]`) or, without
    /// one, from the longest entry.
    fn past_lengths(
        &self,
        layer_past: &[Tensor],
        batch: i64,
        seq: i64,
        attention_mask: Option<&Tensor>,
    ) -> Result<(i64, Vec<i64>), RustBertError> {
        if layer_past.len() != self.layers.len() {
            return Err(RustBertError::ValueError(format!(
                "layer_past has {} layers; the model has {}",
                layer_past.len(),
                self.layers.len()
            )));
        }
        let lengths: Vec<i64> = layer_past
            .iter()
            .map(|entry| match entry.size().as_slice() {
                [_, _, _, past, _] => *past,
                _ => 0,
            })
            .collect();
        let longest = lengths.iter().copied().max().unwrap_or(0);
        let total = match attention_mask.map(Tensor::size).as_deref() {
            Some([_, width]) if *width - seq >= longest => *width - seq,
            _ => longest,
        };
        // Every entry is checked: a mismatch would otherwise abort inside LibTorch's `cat`.
        for (i, ((entry, layer), &length)) in layer_past
            .iter()
            .zip(&self.layers)
            .zip(&lengths)
            .enumerate()
        {
            let (heads, head_dim) = layer.self_attn.cache_dims();
            let shortest = match layer.self_attn.window() {
                Some(window) => total.min((window - 1).max(0)),
                None => total,
            };
            let mut expected = vec![2, batch, heads, length, head_dim];
            let fits = (shortest..=total).contains(&length);
            if !fits || entry.size() != expected {
                expected[3] = total;
                return Err(RustBertError::ValueError(format!(
                    "layer_past[{i}] has shape {:?}; expected {expected:?}{}",
                    entry.size(),
                    if shortest < total {
                        format!(" (or down to {shortest} cached positions: the layer slides)")
                    } else {
                        String::new()
                    }
                )));
            }
        }
        Ok((total, lengths))
    }

    /// Runs the stack.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, hidden]` (exactly one);
    /// * `layer_past`: the per-layer cache of the previous step (sliding layers' entries
    ///   trimmed to their window);
    /// * `attention_mask` `[batch, past + seq]`: 1 for tokens, 0 for padding, `past` counting
    ///   every token seen (also those a sliding layer has dropped). Without it, `past` is the
    ///   longest cache entry: once every layer slides and has dropped tokens, give the mask or
    ///   `position_ids` so positions continue from the true count;
    /// * `position_ids` `[batch, seq]`: default `past..past + seq`; with left padding give
    ///   `cumsum(mask) - 1` (what the generation engine does).
    ///
    /// # Errors
    /// Mis-shaped inputs, ids outside the vocabulary, positions past `max_position_embeddings`.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Option<&[Tensor]>,
        attention_mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
    ) -> Result<LlamaModelOutput, RustBertError> {
        let (mut hidden, batch, seq) = ids_or_embeds(
            &self.embed_tokens.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        if seq == 0 {
            return Err(RustBertError::ValueError(
                "the input sequence is empty (0 tokens)".into(),
            ));
        }
        if let Some(scale) = self.embed_scale {
            hidden *= scale;
        }
        let (past, cached) = match layer_past {
            Some(layers) => self.past_lengths(layers, batch, seq, attention_mask)?,
            None => (0, vec![0; self.layers.len()]),
        };
        let device = hidden.device();
        let positions = match position_ids {
            Some(ids) => {
                check_ids(ids, batch, seq, false, "position_ids")?;
                ids.to_device(device)
            }
            None => Tensor::arange_start(past, past + seq, (Kind::Int64, device))
                .unsqueeze(0)
                .expand([batch, seq], false),
        };
        if past + seq > self.max_positions
            || (positions.numel() > 0 && positions.max().int64_value(&[]) >= self.max_positions)
        {
            return Err(RustBertError::ValueError(format!(
                "{} tokens (cached and new) exceed the model's context of {} positions",
                past + seq,
                self.max_positions
            )));
        }
        let angles = self.rotary.sin_cos(&positions, hidden.kind(), device)?;
        let full = causal_attention_bias(attention_mask, batch, seq, past, hidden.kind(), device)?;
        // One bias per window length among the sliding layers (Gemma 2 alternates one).
        let mut windowed: Vec<(i64, Tensor)> = Vec::new();
        for layer in &self.layers {
            if let Some(window) = layer.self_attn.window() {
                if !windowed.iter().any(|(w, _)| *w == window) {
                    windowed.push((window, sliding_window_bias(&full, window)));
                }
            }
        }
        let pasts: Vec<(Option<&Tensor>, i64)> = match layer_past {
            Some(layers) => layers.iter().map(Some).zip(cached).collect(),
            None => vec![(None, 0); self.layers.len()],
        };
        let mut presents = Vec::with_capacity(self.layers.len());
        let stack = run_layer_stack(
            &hidden,
            self.layers.iter().zip(pasts),
            self.output_hidden_states,
            self.output_attentions,
            |(layer, (layer_past, cached)), x| {
                let window = layer.self_attn.window();
                let mask = match window {
                    Some(window) => windowed
                        .iter()
                        .find(|(w, _)| *w == window)
                        .map_or(&full, |(_, b)| b),
                    None => &full,
                };
                // A trimmed entry holds the last `cached` of the `past` positions: the mask's
                // earlier columns (out of every query's window) go with them.
                let trimmed;
                let mask = if cached < past {
                    trimmed = mask.narrow(-1, past - cached, cached + seq);
                    &trimmed
                } else {
                    mask
                };
                let (output, mut present, probs) = layer.forward(
                    x,
                    layer_past,
                    (&self.rotary, &angles),
                    mask,
                    self.output_attentions,
                );
                // A sliding layer keeps what the next query can still see, so the cache stays
                // bounded however long the generation (HF's `DynamicSlidingWindowLayer`).
                if let Some(window) = window {
                    let keep = (window - 1).max(0);
                    let length = present.size()[3];
                    if length > keep {
                        present = present.narrow(3, length - keep, keep);
                    }
                }
                presents.push(present);
                (output, probs)
            },
        );
        let hidden_state = self.norm.forward(&stack.hidden_state);
        let mut all_hidden_states = stack.all_hidden_states;
        if let Some(last) = all_hidden_states.as_mut().and_then(|h| h.last_mut()) {
            *last = hidden_state.shallow_clone();
        }
        Ok(LlamaModelOutput {
            hidden_state,
            cache: presents,
            all_hidden_states,
            all_attentions: stack.all_attentions,
        })
    }
}

/// Output of [`LlamaForCausalLM::forward_t`].
#[derive(Debug)]
pub struct LlamaCausalLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]` (`[batch, 1, vocab]` for the last position only).
    pub lm_logits: Tensor,
    /// The cache for the next step ([`Cache::GPT2Cache`]'s layout, key/value heads).
    pub cache: Cache,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The decoder stack with its language-model head (HF's `*ForCausalLM`): `lm_head.weight`, or
/// the token embeddings when tied; Gemma 2's final soft-capping.
#[derive(Debug)]
pub struct LlamaForCausalLM {
    model: LlamaModel,
    lm_head: Option<Tensor>,
    final_softcap: Option<f64>,
}

impl LlamaForCausalLM {
    /// Builds the model under `p` (variables `model.*` and, unless tied, `lm_head.weight`).
    ///
    /// # Errors
    /// The configuration's validation errors.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &LlamaConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            model: LlamaModel::new(p / "model", config)?,
            lm_head: (!config.tied()).then(|| {
                uninitialized(
                    &(p / "lm_head"),
                    "weight",
                    &[config.vocab_size, config.hidden_size],
                )
            }),
            final_softcap: if config.is_gemma() {
                config.final_logit_softcapping
            } else {
                None
            },
        })
    }

    /// The decoder stack.
    pub fn get_model(&self) -> &LlamaModel {
        &self.model
    }

    /// Runs the model (inputs as in [`LlamaModel::forward_t`]); `layer_past` is the cache the
    /// previous call returned.
    ///
    /// # Errors
    /// As [`LlamaModel::forward_t`].
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Option<&[Tensor]>,
        attention_mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
    ) -> Result<LlamaCausalLMOutput, RustBertError> {
        self.run(
            input_ids,
            layer_past,
            attention_mask,
            position_ids,
            input_embeds,
            false,
        )
    }

    /// The forward pass; with `last_only`, the head runs on the last position only (what a
    /// generation step reads, sparing the head's largest product).
    pub(crate) fn run(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Option<&[Tensor]>,
        attention_mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        last_only: bool,
    ) -> Result<LlamaCausalLMOutput, RustBertError> {
        let output = self.model.forward_t(
            input_ids,
            layer_past,
            attention_mask,
            position_ids,
            input_embeds,
        )?;
        let hidden = if last_only {
            let seq = output.hidden_state.size()[1];
            output.hidden_state.narrow(1, seq - 1, 1)
        } else {
            output.hidden_state
        };
        let head = self.lm_head.as_ref().unwrap_or(&self.model.embed_tokens.ws);
        let mut logits = project(&hidden, head, None);
        if let Some(cap) = self.final_softcap {
            logits = (logits / cap).tanh() * cap;
        }
        Ok(LlamaCausalLMOutput {
            lm_logits: logits,
            cache: Cache::GPT2Cache(Some(output.cache)),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    /// One generation step for the engine.
    pub(crate) fn step(
        &self,
        input_ids: &Tensor,
        cache: Cache,
        attention_mask: &Tensor,
        position_ids: Option<&Tensor>,
    ) -> Result<LMModelOutput, RustBertError> {
        let layer_past = match cache {
            Cache::GPT2Cache(layers) => layers,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "Llama takes a Cache::GPT2Cache, not {}",
                    other.variant_name()
                )))
            }
        };
        let output = self.run(
            Some(input_ids),
            layer_past.as_deref(),
            Some(attention_mask),
            position_ids,
            None,
            true,
        )?;
        Ok(LMModelOutput {
            lm_logits: output.lm_logits,
            cache: output.cache,
        })
    }
}
