//! Root-mean-square layer normalisation (no mean, no bias), as T5, Llama and its descendants
//! use it; Gemma's form scales by `1 + weight` instead of `weight`.
use std::borrow::Borrow;
use tch::nn::{self, Init};
use tch::{Kind, Tensor};

/// RMS normalisation of the last dimension: `x / sqrt(mean(x²) + eps)`, computed in float32,
/// then scaled by `weight` (T5, Llama, Mistral, Qwen, Phi-3) or by `1 + weight` (Gemma, whose
/// weights start at zero).
#[derive(Debug)]
pub struct RmsNorm {
    weight: Tensor,
    epsilon: f64,
    unit_offset: bool,
}

impl RmsNorm {
    /// Variable `weight` `[dim]` under `p` (initialised to one), scaling by `weight`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, dim: i64, epsilon: f64) -> Self {
        Self {
            weight: p.borrow().var("weight", &[dim], Init::Const(1.0)),
            epsilon,
            unit_offset: false,
        }
    }

    /// Gemma's form: variable `weight` initialised to zero, scaling by `1 + weight`, the product
    /// taken in float32 before returning to the input's kind (HF's `GemmaRMSNorm`).
    pub fn with_unit_offset<'p, P: Borrow<nn::Path<'p>>>(p: P, dim: i64, epsilon: f64) -> Self {
        Self {
            weight: p.borrow().var("weight", &[dim], Init::Const(0.0)),
            epsilon,
            unit_offset: true,
        }
    }

    /// Normalises the last dimension.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let float = x.to_kind(Kind::Float);
        let variance = float
            .pow_tensor_scalar(2)
            .mean_dim([-1].as_slice(), true, Kind::Float);
        let normed = &float * (variance + self.epsilon).rsqrt();
        if self.unit_offset {
            return (normed * (self.weight.to_kind(Kind::Float) + 1.0)).to_kind(x.kind());
        }
        // Llama and T5 return to the narrow kind before the product with the weight.
        let normed = match self.weight.kind() {
            Kind::Half | Kind::BFloat16 => normed.to_kind(self.weight.kind()),
            _ => normed.to_kind(x.kind()),
        };
        &self.weight * normed
    }
}
