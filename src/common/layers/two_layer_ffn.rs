//! The position-wise feed-forward block written as one module: expand, activate, project back,
//! dropout (DistilBERT's `FFN`, and the same shape in XLM, FlauBERT, Marian/BART-style layers).
//! The residual connection and normalisation stay with the caller, which knows whether the
//! layer is pre- or post-norm. Both projections go through `project` (the few-row route of
//! generation steps).
use crate::common::activations::Activation;
use crate::common::layers::linear::project_linear;
use crate::common::layers::{linear, Dropout};
use std::borrow::Borrow;
use tch::nn;
use tch::Tensor;

/// `dropout(second(activation(first(x))))` with the two linear layers named as the checkpoint
/// names them (DistilBERT: `lin1`, `lin2`).
#[derive(Debug)]
pub struct TwoLayerFeedForward {
    first: nn::Linear,
    second: nn::Linear,
    activation: Activation,
    dropout: Dropout,
}

impl TwoLayerFeedForward {
    /// Builds the block under `p`: `names[0]` maps `dim -> hidden_dim`, `names[1]` maps
    /// `hidden_dim -> dim`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        dim: i64,
        hidden_dim: i64,
        activation: Activation,
        dropout: f64,
        names: [&str; 2],
    ) -> Self {
        let p = p.borrow();
        Self {
            first: linear(p / names[0], dim, hidden_dim),
            second: linear(p / names[1], hidden_dim, dim),
            activation,
            dropout: Dropout::new(dropout),
        }
    }

    /// Applies the block to `[..., dim]` inputs.
    pub fn forward_t(&self, input: &Tensor, train: bool) -> Tensor {
        let expanded = self.activation.apply(&project_linear(&self.first, input));
        self.dropout
            .forward_t(&project_linear(&self.second, &expanded), train)
    }
}
