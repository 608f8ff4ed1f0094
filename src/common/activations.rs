//! Activation functions under the names HF `config.json` files use (`hidden_act`, ...).
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use tch::Tensor;

/// An activation function, (de)serialized under its HF name.
///
/// Variant names are lowercase as in rust-bert; each computes what the HF activation of the same
/// name computes (`transformers.activations.ACT2FN`).
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    /// Exact GELU, `x * Φ(x)` (erf form).
    gelu,
    /// ReLU.
    relu,
    /// SiLU / swish, `x * sigmoid(x)`; HF's `silu` deserializes to this too.
    #[serde(alias = "silu")]
    swish,
    /// Mish, `x * tanh(softplus(x))`.
    mish,
    /// GELU, tanh approximation as written in the original GPT-2/BERT code.
    gelu_new,
    /// Hyperbolic tangent.
    tanh,
    /// GELU, a faster tanh approximation (`x * 0.7978845608 * (1 + 0.044715 x²)`).
    gelu_fast,
    /// GELU, LibTorch's own tanh approximation (`approximate="tanh"`).
    gelu_pytorch_tanh,
    /// GELU approximated by `x * sigmoid(1.702 x)` (CLIP).
    quick_gelu,
    /// GELU tanh approximation, HF's `gelu_accurate`.
    gelu_accurate,
    /// ReLU capped at 6.
    relu6,
    /// Logistic sigmoid.
    sigmoid,
    /// Leaky ReLU with slope 0.01.
    leaky_relu,
    /// Identity (HF's `linear`).
    #[serde(alias = "linear")]
    identity,
}

/// An activation as a plain function pointer (rust-bert's wrapper type).
#[derive(Clone)]
pub struct TensorFunction(Box<fn(&Tensor) -> Tensor>);

impl TensorFunction {
    /// Wraps a function.
    pub fn new(function: Box<fn(&Tensor) -> Tensor>) -> Self {
        Self(function)
    }

    /// The wrapped function.
    pub fn get_fn(&self) -> &fn(&Tensor) -> Tensor {
        &self.0
    }
}

impl std::fmt::Debug for TensorFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TensorFunction")
    }
}

fn tanh_gelu(x: &Tensor) -> Tensor {
    let inner = (x + x.pow_tensor_scalar(3.0) * 0.044715) * (2.0 / PI).sqrt();
    x * 0.5 * (inner.tanh() + 1.0)
}

fn fast_gelu(x: &Tensor) -> Tensor {
    let inner = x * 0.7978845608 * (x * x * 0.044715 + 1.0);
    x * 0.5 * (inner.tanh() + 1.0)
}

impl Activation {
    /// Applies the activation.
    pub fn apply(&self, x: &Tensor) -> Tensor {
        (self.function())(x)
    }

    /// The activation as a boxed function pointer (rust-bert's accessor).
    pub fn get_function(&self) -> TensorFunction {
        TensorFunction(Box::new(self.function()))
    }

    fn function(&self) -> fn(&Tensor) -> Tensor {
        match self {
            Activation::gelu => |x| x.gelu("none"),
            Activation::relu => |x| x.relu(),
            Activation::swish => |x| x.silu(),
            Activation::mish => |x| x.mish(),
            Activation::gelu_new | Activation::gelu_accurate => tanh_gelu,
            Activation::tanh => |x| x.tanh(),
            Activation::gelu_fast => fast_gelu,
            Activation::gelu_pytorch_tanh => |x| x.gelu("tanh"),
            Activation::quick_gelu => |x| x * (x * 1.702).sigmoid(),
            Activation::relu6 => |x| x.clamp(0.0, 6.0),
            Activation::sigmoid => |x| x.sigmoid(),
            Activation::leaky_relu => |x| x.leaky_relu(),
            Activation::identity => |x| x.shallow_clone(),
        }
    }
}
