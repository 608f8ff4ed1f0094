//! The gated feed-forward block of Llama and its descendants:
//! `down(activation(gate(x)) * up(x))`, with separate `gate_proj` / `up_proj` (Llama, Mistral,
//! Qwen, Gemma) or one fused `gate_up_proj` (Phi-3, gate rows first).
use crate::common::activations::Activation;
use crate::common::layers::linear::{linear_with_bias, project_linear};
use std::borrow::Borrow;
use tch::nn;
use tch::Tensor;

/// How the gate and up projections are stored.
#[derive(Debug)]
enum GateUp {
    Separate { gate: nn::Linear, up: nn::Linear },
    Fused(nn::Linear),
}

/// Gated MLP (SiLU for Llama-style models, GELU-tanh for Gemma).
#[derive(Debug)]
pub struct GatedMlp {
    gate_up: GateUp,
    down: nn::Linear,
    activation: Activation,
}

impl GatedMlp {
    /// Builds the block under `p` with HF's names (`gate_proj`, `up_proj`, `down_proj`, or
    /// `gate_up_proj` when `fused`), biases when `bias` (Llama's `mlp_bias`).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        hidden: i64,
        intermediate: i64,
        activation: Activation,
        bias: bool,
        fused: bool,
    ) -> Self {
        let p = p.borrow();
        let gate_up = if fused {
            GateUp::Fused(linear_with_bias(
                p / "gate_up_proj",
                hidden,
                2 * intermediate,
                bias,
            ))
        } else {
            GateUp::Separate {
                gate: linear_with_bias(p / "gate_proj", hidden, intermediate, bias),
                up: linear_with_bias(p / "up_proj", hidden, intermediate, bias),
            }
        };
        Self {
            gate_up,
            down: linear_with_bias(p / "down_proj", intermediate, hidden, bias),
            activation,
        }
    }

    /// Applies the block.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let (gate, up) = match &self.gate_up {
            GateUp::Separate { gate, up } => (project_linear(gate, x), project_linear(up, x)),
            GateUp::Fused(both) => {
                let out = project_linear(both, x);
                let half = out.size().last().copied().unwrap_or(0) / 2;
                (out.narrow(-1, 0, half), out.narrow(-1, half, half))
            }
        };
        let hidden = self.activation.apply(&gate) * up;
        project_linear(&self.down, &hidden)
    }
}
