//! Position-wise feed-forward pieces of BERT-style (post-norm) layers.
use crate::common::activations::Activation;
use crate::common::layers::linear::project_linear;
use crate::common::layers::{linear, Dropout};
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

/// `LayerNorm(dropout(dense(x)) + residual)`: the output block that closes both the attention
/// and the feed-forward sub-layers of BERT, RoBERTa, ELECTRA and their relatives
/// (HF `*SelfOutput` and `*Output`; variables `dense` and `LayerNorm`).
#[derive(Debug)]
pub struct DenseResidualNorm {
    dense: nn::Linear,
    layer_norm: nn::LayerNorm,
    dropout: Dropout,
}

impl DenseResidualNorm {
    /// Builds the block under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        in_dim: i64,
        out_dim: i64,
        layer_norm_eps: f64,
        dropout: f64,
    ) -> Self {
        let p = p.borrow();
        Self::with_paths(
            &(p / "dense"),
            &(p / "LayerNorm"),
            in_dim,
            out_dim,
            layer_norm_eps,
            dropout,
        )
    }

    /// Builds the block with its projection at `dense` and its norm at `layer_norm`, for
    /// checkpoints that file the two under different parents (MPNet: `attention.attn.o` and
    /// `attention.LayerNorm`).
    pub fn with_paths(
        dense: &nn::Path,
        layer_norm: &nn::Path,
        in_dim: i64,
        out_dim: i64,
        layer_norm_eps: f64,
        dropout: f64,
    ) -> Self {
        let layer_norm_config = nn::LayerNormConfig {
            eps: layer_norm_eps,
            ..Default::default()
        };
        Self {
            dense: linear(dense, in_dim, out_dim),
            layer_norm: nn::layer_norm(layer_norm, vec![out_dim], layer_norm_config),
            dropout: Dropout::new(dropout),
        }
    }

    /// Applies the block to `hidden` with the residual `input`.
    pub fn forward_t(&self, hidden: &Tensor, input: &Tensor, train: bool) -> Tensor {
        let hidden = self
            .dropout
            .forward_t(&project_linear(&self.dense, hidden), train);
        (hidden + input).apply(&self.layer_norm)
    }
}

/// `activation(dense(x))`: the expanding half of the feed-forward sub-layer
/// (HF `*Intermediate`; variable `dense`).
#[derive(Debug)]
pub struct Intermediate {
    dense: nn::Linear,
    activation: Activation,
}

impl Intermediate {
    /// Builds the block under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        in_dim: i64,
        out_dim: i64,
        activation: Activation,
    ) -> Self {
        Self {
            dense: linear(p.borrow() / "dense", in_dim, out_dim),
            activation,
        }
    }
}

impl Module for Intermediate {
    fn forward(&self, xs: &Tensor) -> Tensor {
        self.activation.apply(&project_linear(&self.dense, xs))
    }
}
