//! GPT-J's layer: rotary self-attention and an MLP reading the same normalised input, their
//! outputs added to the residual together (the parallel layout of GPT-J, not GPT-2's sequence).
use crate::common::activations::Activation;
use crate::common::layers::linear::{linear_without_bias, project_linear};
use crate::common::layers::{
    merge_heads, scaled_dot_product_f32_scores, split_heads, Dropout, RotaryEmbedding,
    TwoLayerFeedForward,
};
use crate::generation::LayerState;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

/// Sizes and switches of a GPT-J layer, read from the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerConfig {
    pub n_embd: i64,
    pub n_head: i64,
    pub n_inner: i64,
    pub layer_norm_epsilon: f64,
    pub activation: Activation,
    pub attn_pdrop: f64,
    pub resid_pdrop: f64,
}

/// GPT-J self-attention (HF `GPTJAttention`, under `attn`): `q_proj`, `k_proj`, `v_proj`,
/// `out_proj`, all without bias; queries and keys rotated by their positions before the keys
/// are cached; scores scaled by `1/sqrt(head_dim)` and computed in single precision.
#[derive(Debug)]
pub struct GptJAttention {
    q_proj: nn::Linear,
    k_proj: nn::Linear,
    v_proj: nn::Linear,
    out_proj: nn::Linear,
    attn_dropout: Dropout,
    resid_dropout: Dropout,
    n_head: i64,
    head_dim: i64,
}

impl GptJAttention {
    fn new(p: &nn::Path, config: &LayerConfig) -> Self {
        let width = config.n_embd;
        Self {
            q_proj: linear_without_bias(p / "q_proj", width, width),
            k_proj: linear_without_bias(p / "k_proj", width, width),
            v_proj: linear_without_bias(p / "v_proj", width, width),
            out_proj: linear_without_bias(p / "out_proj", width, width),
            attn_dropout: Dropout::new(config.attn_pdrop),
            resid_dropout: Dropout::new(config.resid_pdrop),
            n_head: config.n_head,
            head_dim: width / config.n_head.max(1),
        }
    }

    /// Attends over the cached keys and values of `state` and the current ones; `angles` are
    /// the rotary sines and cosines of the current positions. Returns the output, the state
    /// for the next step and, when asked, the attention probabilities.
    #[allow(clippy::too_many_arguments)]
    fn forward_t(
        &self,
        hidden: &Tensor,
        state: Option<&LayerState>,
        bias: &Tensor,
        rotary: &RotaryEmbedding,
        angles: &(Tensor, Tensor),
        train: bool,
        output_attentions: bool,
    ) -> Result<(Tensor, LayerState, Option<Tensor>), RustBertError> {
        let heads = |layer: &nn::Linear| {
            split_heads(&project_linear(layer, hidden), self.n_head, self.head_dim)
        };
        let query = rotary.apply(&heads(&self.q_proj), angles);
        let mut key = rotary.apply(&heads(&self.k_proj), angles);
        let mut value = heads(&self.v_proj);
        if let Some(state) = state {
            key = Tensor::f_cat(&[&state.prev_key, &key], 2)?;
            value = Tensor::f_cat(&[&state.prev_value, &value], 2)?;
        }
        let (context, probs) = scaled_dot_product_f32_scores(
            &query,
            &key,
            &value,
            Some(bias),
            1.0 / (self.head_dim as f64).sqrt(),
            &self.attn_dropout,
            train,
            output_attentions,
        );
        let output = self.resid_dropout.forward_t(
            &project_linear(&self.out_proj, &merge_heads(&context)),
            train,
        );
        let state = LayerState {
            prev_key: key,
            prev_value: value,
        };
        Ok((output, state, probs))
    }
}

/// One GPT-J layer (HF `GPTJBlock`, `h.{i}`): `x + attn(ln_1(x)) + mlp(ln_1(x))`, the MLP being
/// `mlp.fc_in`, the activation and `mlp.fc_out`.
#[derive(Debug)]
pub struct GptJBlock {
    ln_1: nn::LayerNorm,
    attn: GptJAttention,
    mlp: TwoLayerFeedForward,
}

impl GptJBlock {
    pub(crate) fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &LayerConfig) -> Self {
        let p = p.borrow();
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_epsilon,
            ..Default::default()
        };
        Self {
            ln_1: nn::layer_norm(p / "ln_1", vec![config.n_embd], norm),
            attn: GptJAttention::new(&(p / "attn"), config),
            mlp: TwoLayerFeedForward::new(
                p / "mlp",
                config.n_embd,
                config.n_inner,
                config.activation,
                config.resid_pdrop,
                ["fc_in", "fc_out"],
            ),
        }
    }

    /// Runs the layer; returns its output, its state for the next step and, when asked, the
    /// attention probabilities.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn forward_t(
        &self,
        x: &Tensor,
        state: Option<&LayerState>,
        bias: &Tensor,
        rotary: &RotaryEmbedding,
        angles: &(Tensor, Tensor),
        train: bool,
        output_attentions: bool,
    ) -> Result<(Tensor, LayerState, Option<Tensor>), RustBertError> {
        let normed = self.ln_1.forward(x);
        let (attended, state, probs) = self.attn.forward_t(
            &normed,
            state,
            bias,
            rotary,
            angles,
            train,
            output_attentions,
        )?;
        let fed = self.mlp.forward_t(&normed, train);
        Ok((attended + fed + x, state, probs))
    }
}
