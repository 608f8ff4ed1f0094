use crate::common::layers::{
    linear, run_layer_stack, LayerStackOutput, MultiHeadAttention, TwoLayerFeedForward,
};
use crate::distilbert::distilbert_model::{DistilBertConfig, LAYER_NORM_EPS};
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

fn layer_norm<'p>(p: nn::Path<'p>, dim: i64) -> nn::LayerNorm {
    let config = nn::LayerNormConfig {
        eps: LAYER_NORM_EPS,
        ..Default::default()
    };
    nn::layer_norm(p, vec![dim], config)
}

/// One post-norm DistilBERT layer: `sa_layer_norm(attention(x) + x)`, then
/// `output_layer_norm(ffn(h) + h)` (variables `attention.{q_lin,k_lin,v_lin,out_lin}`,
/// `sa_layer_norm`, `ffn.{lin1,lin2}`, `output_layer_norm`).
#[derive(Debug)]
pub struct TransformerBlock {
    attention: MultiHeadAttention,
    out_lin: nn::Linear,
    sa_layer_norm: nn::LayerNorm,
    ffn: TwoLayerFeedForward,
    output_layer_norm: nn::LayerNorm,
}

impl TransformerBlock {
    /// Builds the layer under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DistilBertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        let attention = p / "attention";
        Self {
            attention: MultiHeadAttention::new(
                &attention,
                config.dim,
                config.heads_for_layers(),
                config.attention_dropout,
                ["q_lin", "k_lin", "v_lin"],
            ),
            out_lin: linear(&attention / "out_lin", config.dim, config.dim),
            sa_layer_norm: layer_norm(p / "sa_layer_norm", config.dim),
            ffn: TwoLayerFeedForward::new(
                p / "ffn",
                config.dim,
                config.hidden_dim,
                config.activation,
                config.dropout,
                ["lin1", "lin2"],
            ),
            output_layer_norm: layer_norm(p / "output_layer_norm", config.dim),
        }
    }

    /// Runs the layer with an additive attention `bias`; returns the hidden state and, when
    /// `output_attentions`, the attention probabilities.
    pub fn forward_t(
        &self,
        input: &Tensor,
        bias: Option<&Tensor>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let (context, probs) =
            self.attention
                .forward_t(input, None, bias, train, output_attentions);
        let attended = (self.out_lin.forward(&context) + input).apply(&self.sa_layer_norm);
        let output =
            (self.ffn.forward_t(&attended, train) + &attended).apply(&self.output_layer_norm);
        (output, probs)
    }
}

/// Output of the DistilBERT encoder (and of [`crate::distilbert::DistilBertModel`]):
/// `hidden_state`, and when asked `all_hidden_states` (the embedding output followed by every
/// layer's output, `n_layers + 1` tensors as HF returns them) and `all_attentions`.
pub type DistilBertTransformerOutput = LayerStackOutput;

/// The stack of [`TransformerBlock`]s (variables `layer.{i}`).
#[derive(Debug)]
pub struct Transformer {
    layers: Vec<TransformerBlock>,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl Transformer {
    /// Builds `n_layers` layers under `p / "layer"`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DistilBertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow() / "layer";
        Self {
            layers: (0..config.n_layers)
                .map(|i| TransformerBlock::new(&p / i, config))
                .collect(),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Runs every layer on the embedding output `input`.
    pub fn forward_t(
        &self,
        input: &Tensor,
        bias: Option<&Tensor>,
        train: bool,
    ) -> DistilBertTransformerOutput {
        run_layer_stack(
            input,
            &self.layers,
            self.output_hidden_states,
            self.output_attentions,
            |layer, hidden| layer.forward_t(hidden, bias, train, self.output_attentions),
        )
    }
}
