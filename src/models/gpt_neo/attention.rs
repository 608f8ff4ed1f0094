//! GPT-Neo's layer: self-attention without score scaling (global, or local over a sliding
//! window) whose scores are computed in single precision whatever the weights' precision, as
//! HF does, and a pre-norm block around it.
use crate::common::activations::Activation;
use crate::common::layers::linear::{linear_without_bias, project_linear};
use crate::common::layers::{
    linear, merge_heads, scaled_dot_product_f32_scores, split_heads, Dropout, TwoLayerFeedForward,
};
use crate::generation::KeyValueState;
use crate::gpt_neo::AttentionLayerType;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

/// Sizes and switches of one GPT-Neo layer, read from the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerConfig {
    pub hidden_size: i64,
    pub num_heads: i64,
    pub intermediate_size: i64,
    pub layer_norm_epsilon: f64,
    pub activation: Activation,
    pub attention_dropout: f64,
    pub resid_dropout: f64,
    pub attention_type: AttentionLayerType,
}

/// Self-attention with `q_proj`, `k_proj`, `v_proj` (no bias) and `out_proj` (HF
/// `GPTNeoSelfAttention`, under `attn.attention`). Scores are `q kᵀ`, unscaled: GPT-Neo was
/// trained without the `1/sqrt(head_dim)` factor.
#[derive(Debug)]
pub struct GptNeoSelfAttention {
    q_proj: nn::Linear,
    k_proj: nn::Linear,
    v_proj: nn::Linear,
    out_proj: nn::Linear,
    attention_dropout: Dropout,
    resid_dropout: Dropout,
    num_heads: i64,
    head_dim: i64,
    attention_type: AttentionLayerType,
}

impl GptNeoSelfAttention {
    fn new(p: &nn::Path, config: &LayerConfig) -> Self {
        let hidden = config.hidden_size;
        Self {
            q_proj: linear_without_bias(p / "q_proj", hidden, hidden),
            k_proj: linear_without_bias(p / "k_proj", hidden, hidden),
            v_proj: linear_without_bias(p / "v_proj", hidden, hidden),
            out_proj: linear(p / "out_proj", hidden, hidden),
            attention_dropout: Dropout::new(config.attention_dropout),
            resid_dropout: Dropout::new(config.resid_dropout),
            num_heads: config.num_heads,
            head_dim: hidden / config.num_heads.max(1),
            attention_type: config.attention_type,
        }
    }

    /// Attends over the cached keys and values of `state` and the current ones with the additive
    /// `bias` (`[batch or 1, 1, seq, past + seq]`: the global or the windowed one, per the
    /// layer's type). Returns the output, the state for the next step and, when asked, the
    /// attention probabilities.
    fn forward_t(
        &self,
        hidden: &Tensor,
        state: Option<&KeyValueState>,
        bias: &Tensor,
        train: bool,
        output_attentions: bool,
    ) -> Result<(Tensor, KeyValueState, Option<Tensor>), RustBertError> {
        let heads = |layer: &nn::Linear| {
            split_heads(
                &project_linear(layer, hidden),
                self.num_heads,
                self.head_dim,
            )
        };
        let query = heads(&self.q_proj);
        let mut key = heads(&self.k_proj);
        let mut value = heads(&self.v_proj);
        if let Some(state) = state {
            let past_value = state.prev_value.as_ref().ok_or_else(|| {
                RustBertError::ValueError(
                    "a GPT-Neo layer state without cached values (prev_value = None)".into(),
                )
            })?;
            key = Tensor::f_cat(&[&state.prev_key, &key], 2)?;
            value = Tensor::f_cat(&[past_value, &value], 2)?;
        }
        let (context, probs) = scaled_dot_product_f32_scores(
            &query,
            &key,
            &value,
            Some(bias),
            1.0,
            &self.attention_dropout,
            train,
            output_attentions,
        );
        let output = self.resid_dropout.forward_t(
            &project_linear(&self.out_proj, &merge_heads(&context)),
            train,
        );
        let state = KeyValueState {
            prev_key: key,
            prev_value: Some(value),
        };
        Ok((output, state, probs))
    }
}

/// One GPT-Neo layer (HF `GPTNeoBlock`, `h.{i}`): `ln_1`, attention (`attn.attention`), `ln_2`
/// and the MLP (`mlp.c_fc`, `mlp.c_proj`), pre-norm with residual connections.
#[derive(Debug)]
pub struct GptNeoBlock {
    ln_1: nn::LayerNorm,
    attention: GptNeoSelfAttention,
    ln_2: nn::LayerNorm,
    mlp: TwoLayerFeedForward,
}

impl GptNeoBlock {
    pub(crate) fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &LayerConfig) -> Self {
        let p = p.borrow();
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_epsilon,
            ..Default::default()
        };
        Self {
            ln_1: nn::layer_norm(p / "ln_1", vec![config.hidden_size], norm),
            attention: GptNeoSelfAttention::new(&(p / "attn" / "attention"), config),
            ln_2: nn::layer_norm(p / "ln_2", vec![config.hidden_size], norm),
            mlp: TwoLayerFeedForward::new(
                p / "mlp",
                config.hidden_size,
                config.intermediate_size,
                config.activation,
                config.resid_dropout,
                ["c_fc", "c_proj"],
            ),
        }
    }

    /// Whether the layer attends over a sliding window.
    pub(crate) fn is_local(&self) -> bool {
        self.attention.attention_type == AttentionLayerType::Local
    }

    /// Runs the layer with the bias of its attention type; returns its output, its state for
    /// the next step and, when asked, the attention probabilities.
    pub(crate) fn forward_t(
        &self,
        x: &Tensor,
        state: Option<&KeyValueState>,
        bias: &Tensor,
        train: bool,
        output_attentions: bool,
    ) -> Result<(Tensor, KeyValueState, Option<Tensor>), RustBertError> {
        let (attended, state, probs) = self.attention.forward_t(
            &self.ln_1.forward(x),
            state,
            bias,
            train,
            output_attentions,
        )?;
        let x = x + attended;
        let fed = self.mlp.forward_t(&self.ln_2.forward(&x), train);
        Ok((x + fed, state, probs))
    }
}
