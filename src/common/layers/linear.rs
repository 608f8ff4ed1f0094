//! Linear layers named as HF names them (`weight`, `bias`).
//!
//! The weights of linear layers are left as allocated, not initialised: models here are built
//! to receive pretrained weights (a tensor the file lacks is a load error), and filling them
//! first would cost a pass over most of the model's memory (about 30 ms of a 65 ms BERT-base
//! load); HF skips it the same way (`from_pretrained` builds on the meta device). A random
//! init of a BERT-base alone costs about 0.8 s on two cores. Smaller variables start at zero.
use std::borrow::Borrow;
use tch::nn::{self, Init, Module};
use tch::Tensor;

/// A trainable variable `name` of shape `dims` whose memory is left as allocated (its values
/// are whatever the allocator returns until weights are loaded into it).
pub fn uninitialized(p: &nn::Path, name: &str, dims: &[i64]) -> Tensor {
    p.add(name, Tensor::empty(dims, (p.kind(), p.device())), true)
}

/// A linear layer with `weight` and `bias` variables (uninitialised, see the module docs).
pub fn linear<'p, P: Borrow<nn::Path<'p>>>(p: P, in_dim: i64, out_dim: i64) -> nn::Linear {
    let p = p.borrow();
    nn::Linear {
        ws: uninitialized(p, "weight", &[out_dim, in_dim]),
        bs: Some(uninitialized(p, "bias", &[out_dim])),
    }
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

/// Up to this many rows, [`project`] multiplies as `weight · xᵀ` (see there).
const FEW_ROWS: i64 = 64;

/// `x · weightᵀ + bias` for a `weight` of shape `[out, in]` (nn.Linear's layout) and `x` of
/// shape `[..., in]`.
///
/// On CPU, LibTorch's GEMM is up to three times slower for a handful of rows (one per beam in
/// a generation step) when computed as `x · weightᵀ` than as `(weight · xᵀ)ᵀ`, and a single row
/// runs fastest as two: measured on GPT-2's shapes (2 threads, weights out of cache), 5 rows
/// through the 50257-word head took 26 ms as `x · wᵀ` and 9 ms as `w · xᵀ`, one row 12 ms and
/// 8 ms; 24 rows (6 beams x 4 inputs) through Marian's 59514-word head 24.7 ms vs 20.6 ms, and
/// the route stays ahead up to 64 rows on every shape measured (heads out of cache, layers in
/// cache). Few-row products therefore take that route; larger ones (and GPUs) the usual one.
/// `weight` should be contiguous for the fast route.
///
/// Up to 32 rows of f32 on an AVX2 CPU (and no gradient needed), the product goes to the crate's
/// own few-row kernel instead (`common::few_rows`: no packing of the weight, 1.5x faster again
/// on the shapes above).
pub fn project(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    let size = x.size();
    let in_dim = size.last().copied().unwrap_or(1).max(1);
    let rows = x.numel() as i64 / in_dim;
    let mut out_shape = size;
    if let Some(last) = out_shape.last_mut() {
        *last = weight.size()[0];
    }
    if (1..=crate::common::few_rows::MAX_ROWS).contains(&rows) {
        let flat = x.reshape([rows, in_dim]);
        if let Some(product) = crate::common::few_rows::try_project(&flat, weight, bias) {
            return product.reshape(out_shape.as_slice());
        }
    }
    let out = if x.device() == tch::Device::Cpu && (1..=FEW_ROWS).contains(&rows) {
        let flat = x.reshape([rows, in_dim]).contiguous();
        let flat = if rows == 1 { flat.repeat([2, 1]) } else { flat };
        let product = weight.matmul(&flat.tr()).tr().narrow(0, 0, rows);
        product.reshape(out_shape.as_slice())
    } else {
        x.matmul(&weight.tr())
    };
    match bias {
        Some(bias) => out + bias,
        None => out,
    }
}
