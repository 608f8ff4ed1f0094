//! Linear layers named as HF names them (`weight`, `bias`).
//!
//! Variables of every shared layer start at zero rather than at a random init: models here are
//! built to receive pretrained weights (a missing tensor is a load error), and the random init
//! of a BERT-base alone costs about 0.8 s on two cores, ten times the load itself.
use std::borrow::Borrow;
use tch::nn::{self, Init, Module};
use tch::Tensor;

/// A linear layer with `weight` and `bias` variables.
pub fn linear<'p, P: Borrow<nn::Path<'p>>>(p: P, in_dim: i64, out_dim: i64) -> nn::Linear {
    let config = nn::LinearConfig {
        ws_init: Init::Const(0.0),
        bs_init: Some(Init::Const(0.0)),
        bias: true,
    };
    nn::linear(p, in_dim, out_dim, config)
}

/// Embedding-table configuration with the zero start of [`linear`].
pub fn embedding_config() -> nn::EmbeddingConfig {
    nn::EmbeddingConfig {
        ws_init: Init::Const(0.0),
        ..Default::default()
    }
}

/// A linear layer without bias (`weight` only).
#[derive(Debug)]
pub struct LinearNoBias {
    /// Weight of shape `[out_dim, in_dim]`.
    pub ws: Tensor,
}

/// Builds a [`LinearNoBias`] under `p` (variable `weight`).
pub fn linear_no_bias<'p, P: Borrow<nn::Path<'p>>>(
    p: P,
    in_dim: i64,
    out_dim: i64,
) -> LinearNoBias {
    let bound = 1.0 / (in_dim as f64).sqrt();
    let ws = p.borrow().var(
        "weight",
        &[out_dim, in_dim],
        Init::Uniform {
            lo: -bound,
            up: bound,
        },
    );
    LinearNoBias { ws }
}

impl Module for LinearNoBias {
    fn forward(&self, xs: &Tensor) -> Tensor {
        xs.matmul(&self.ws.tr())
    }
}
