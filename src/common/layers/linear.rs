//! Linear layers named as HF names them (`weight`, `bias`).
//!
//! A linear layer built directly (`BertModel::new(vs.root(), &config)`, as rust-bert's users
//! do) starts as HF initialises it: weights drawn from `normal(0, std)` with the configuration's
//! `initializer_range` (BART's `init_std`; T5 scales each layer by `initializer_factor` as HF
//! does), biases zero, so a model used or fine-tuned before (or without) loading computes on
//! HF's initial distribution, never on uninitialised memory. The model constructors set the
//! standard deviation with [`init_std`] (0.02, HF's default, outside any). The crate's
//! own loaders (pipelines, generators) build their models inside [`defer_init`]: there
//! every variable is overwritten by the weight file right after (a tensor the file lacks is a
//! load error, so none is ever used unloaded), and initialising first would cost a pass over
//! the model's memory (a random init of BERT-base takes about 0.8 s on two cores against a
//! 65 ms load); HF skips it the same way (`from_pretrained` builds on the meta device).
//! Embedding tables follow the same rule ([`embedding_config`]); norms start at one, their
//! biases at zero.
use std::borrow::Borrow;
use std::cell::Cell;
use tch::nn::{self, Init, Module};
use tch::{Kind, Tensor};

thread_local! {
    /// Set while [`defer_init`] runs on this thread.
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
    /// The standard deviation of new weight matrices and embedding tables on this thread.
    static STD: Cell<f64> = const { Cell::new(0.02) };
}

/// While alive, weight matrices and embedding tables built on this thread are drawn from
/// `normal(0, std)` (see [`init_std`]); dropping it restores the previous value, so guards nest
/// (T5 sets one per kind of layer inside the model's own).
#[must_use = "the standard deviation applies only while the guard is alive"]
pub struct InitStd(f64);

/// Draws the weights of the layers built on this thread from `normal(0, std)` until the guard
/// is dropped: the model constructors call it with their configuration's `initializer_range`.
pub fn init_std(std: f64) -> InitStd {
    InitStd(STD.with(|s| s.replace(std)))
}

impl Drop for InitStd {
    fn drop(&mut self) {
        STD.with(|s| s.set(self.0));
    }
}

/// While alive, linear layers built on this thread leave their weights as allocated instead of
/// initialising them: for a model whose every variable is loaded right after. The crate's
/// pipelines and generators build their models under one, then load them with the loaders of
/// [`crate::common::weights`], which refuse a file missing any tensor. Dropping it restores the
/// previous state (also when construction unwinds).
#[must_use = "initialisation is deferred only while the guard is alive"]
pub struct DeferredInit(bool);

/// Starts deferring initialisation on this thread until the guard is dropped (see
/// [`DeferredInit`]).
pub fn defer_init() -> DeferredInit {
    DeferredInit(DEFERRED.with(|d| d.replace(true)))
}

impl Drop for DeferredInit {
    fn drop(&mut self) {
        DEFERRED.with(|d| d.set(self.0));
    }
}

/// Whether [`defer_init`] is active on this thread: a layer with an initialiser of its own
/// then leaves its variables as allocated too (they are loaded right after).
pub fn init_deferred() -> bool {
    DEFERRED.with(Cell::get)
}

/// A trainable variable `name` of shape `dims` for a linear layer: HF's initial values (a
/// matrix from `normal(0, std)` of [`init_std`], a vector zero), or, inside [`defer_init`],
/// memory left as allocated until the weights are loaded into it.
pub fn uninitialized(p: &nn::Path, name: &str, dims: &[i64]) -> Tensor {
    if DEFERRED.with(Cell::get) {
        return p.add(name, Tensor::empty(dims, (p.kind(), p.device())), true);
    }
    let init = if dims.len() >= 2 {
        Init::Randn {
            mean: 0.0,
            stdev: STD.with(Cell::get),
        }
    } else {
        Init::Const(0.0)
    };
    p.var(name, dims, init)
}

/// A linear layer with `weight` and `bias` variables (initialised as the module docs say).
pub fn linear<'p, P: Borrow<nn::Path<'p>>>(p: P, in_dim: i64, out_dim: i64) -> nn::Linear {
    let p = p.borrow();
    nn::Linear {
        ws: uninitialized(p, "weight", &[out_dim, in_dim]),
        bs: Some(uninitialized(p, "bias", &[out_dim])),
    }
}

/// A linear layer with a `weight` variable only (HF's `bias=False` projections), initialised as
/// [`linear`]'s weight; apply it with [`project_linear`].
pub fn linear_without_bias<'p, P: Borrow<nn::Path<'p>>>(
    p: P,
    in_dim: i64,
    out_dim: i64,
) -> nn::Linear {
    nn::Linear {
        ws: uninitialized(p.borrow(), "weight", &[out_dim, in_dim]),
        bs: None,
    }
}

/// Applies an `nn::Linear` through [`project`] (the few-row route generation steps need).
pub fn project_linear(layer: &nn::Linear, x: &Tensor) -> Tensor {
    project(x, &layer.ws, layer.bs.as_ref())
}

/// A linear layer whose bias is optional ([`linear`] or [`linear_without_bias`]): the decoder
/// LLMs switch biases per projection from their configuration.
pub fn linear_with_bias<'p, P: Borrow<nn::Path<'p>>>(
    p: P,
    in_dim: i64,
    out_dim: i64,
    bias: bool,
) -> nn::Linear {
    if bias {
        linear(p, in_dim, out_dim)
    } else {
        linear_without_bias(p, in_dim, out_dim)
    }
}

/// Embedding-table configuration initialised as [`uninitialized`] does a matrix: HF's
/// `normal(0, std)` of [`init_std`], or zeros inside [`defer_init`] (cheap, and overwritten by
/// the weights loaded right after).
pub fn embedding_config() -> nn::EmbeddingConfig {
    let ws_init = if DEFERRED.with(Cell::get) {
        Init::Const(0.0)
    } else {
        Init::Randn {
            mean: 0.0,
            stdev: STD.with(Cell::get),
        }
    };
    nn::EmbeddingConfig {
        ws_init,
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
/// Up to 32 rows of f32 or bf16 on an AVX2 CPU (and no gradient needed), the product goes to
/// the crate's own few-row kernel instead (`common::few_rows`: no packing of the weight, 1.5x
/// faster again on the shapes above in f32; in bf16 it streams the weight's two bytes an
/// element and beats LibTorch's bf16 `linear`). Other half-precision products on the CPU go to
/// LibTorch's `linear` (oneDNN's bf16/f16 GEMM).
///
/// A weight whose variable store was quantised (`common::quantize`, `kind: Some(Kind::QInt8)`)
/// is multiplied through its int8 copy instead.
pub fn project(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    // A weight of a store quantised to int8 (`common::quantize`): its one-byte copy.
    if let Some(product) = crate::common::quantize::try_project(x, weight, bias) {
        return product;
    }
    let size = x.size();
    let in_dim = size.last().copied().unwrap_or(1).max(1);
    let rows = x.numel() as i64 / in_dim;
    let mut out_shape = size;
    if let Some(last) = out_shape.last_mut() {
        *last = weight.size()[0];
    }
    // Few rows of f32 or bf16: the crate's kernel, which streams the weight as stored (for bf16,
    // half the bytes of f32, widened in registers).
    if (1..=crate::common::few_rows::MAX_ROWS).contains(&rows) {
        let flat = x.reshape([rows, in_dim]);
        if let Some(product) = crate::common::few_rows::try_project(&flat, weight, bias) {
            return product.reshape(out_shape.as_slice());
        }
    }
    if matches!(x.kind(), Kind::BFloat16 | Kind::Half) && x.device() == tch::Device::Cpu {
        // Other half-precision products on the CPU (f16, more rows, no AVX2): LibTorch's `linear`
        // (addmm) reaches oneDNN's bf16/f16 GEMM, which uses the CPU's native bf16 dot products;
        // the transposed route below falls to a slower generic kernel there. Measured on GPT-J's
        // shapes in bf16, one row, 2 threads: 4096 x 4096 in 7.8 ms against 13.3 ms, the
        // 50400-word head in 61 ms against 106 ms.
        return x.linear(weight, bias);
    }
    if x.device() == tch::Device::Cpu && (1..=FEW_ROWS).contains(&rows) {
        let flat = x.reshape([rows, in_dim]).contiguous();
        let flat = if rows == 1 { flat.repeat([2, 1]) } else { flat };
        let product = weight.matmul(&flat.tr()).tr().narrow(0, 0, rows);
        let out = product.reshape(out_shape.as_slice());
        match bias {
            Some(bias) => out + bias,
            None => out,
        }
    } else {
        // Many rows: LibTorch's `linear` (one GEMM with the bias folded in), as `nn::Linear`.
        x.linear(weight, bias)
    }
}
