//! The GPT transformer block shared by GPT-2 (pre-norm) and OpenAI GPT (post-norm): a fused
//! query/key/value projection, causal self-attention with an optional key/value cache, and a
//! two-layer MLP, all with HF's `Conv1D` projections.
use crate::common::activations::Activation;
use crate::common::layers::linear::{project, uninitialized};
use crate::common::layers::{merge_heads, scaled_dot_product, split_heads, Dropout};
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

/// HF's `Conv1D`: a linear projection whose weight is stored transposed, `[in, out]`.
///
/// The variable keeps HF's shape and layout (row-major `[in, out]`), so files load into it
/// (zero-copy for `.safetensors`) and `VarStore::save` writes it as it is; [`project`] reads its
/// transpose through the few-row kernel's `[in, out]` variant during generation.
#[derive(Debug)]
pub struct Conv1D {
    weight: Tensor,
    bias: Tensor,
}

impl Conv1D {
    /// Variables `weight` `[in_dim, out_dim]` and `bias` `[out_dim]` under `p`, initialised as
    /// the shared linear layers are (HF's values, or left for loading inside
    /// [`crate::common::layers::linear::defer_init`]).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, in_dim: i64, out_dim: i64) -> Self {
        let p = p.borrow();
        Self {
            weight: uninitialized(p, "weight", &[in_dim, out_dim]),
            bias: uninitialized(p, "bias", &[out_dim]),
        }
    }
}

impl Module for Conv1D {
    fn forward(&self, xs: &Tensor) -> Tensor {
        project(xs, &self.weight.tr(), Some(&self.bias))
    }
}

/// Sizes and switches of a GPT block, read from the model's configuration.
#[derive(Debug, Clone, Copy)]
pub struct BlockConfig {
    /// Hidden size.
    pub n_embd: i64,
    /// Attention heads.
    pub n_head: i64,
    /// Inner size of the MLP.
    pub n_inner: i64,
    /// LayerNorm epsilon.
    pub layer_norm_epsilon: f64,
    /// MLP activation.
    pub activation: Activation,
    /// Dropout on attention probabilities.
    pub attn_pdrop: f64,
    /// Dropout on the attention and MLP outputs.
    pub resid_pdrop: f64,
    /// Factor applied to `q kᵀ` (HF folds `1/sqrt(head_dim)` and the per-layer scaling into it).
    pub scaling: f64,
    /// Layer norms before each sub-block (GPT-2) or after the residual sum (OpenAI GPT).
    pub pre_norm: bool,
}

/// Causal self-attention with a fused `c_attn` projection and `c_proj` output.
#[derive(Debug)]
pub struct Attention {
    c_attn: Conv1D,
    c_proj: Conv1D,
    n_head: i64,
    head_dim: i64,
    scaling: f64,
    attn_dropout: Dropout,
    resid_dropout: Dropout,
}

impl Attention {
    /// Builds `c_attn` and `c_proj` under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BlockConfig) -> Self {
        let p = p.borrow();
        Self {
            c_attn: Conv1D::new(p / "c_attn", config.n_embd, 3 * config.n_embd),
            c_proj: Conv1D::new(p / "c_proj", config.n_embd, config.n_embd),
            n_head: config.n_head,
            head_dim: config.n_embd / config.n_head,
            scaling: config.scaling,
            attn_dropout: Dropout::new(config.attn_pdrop),
            resid_dropout: Dropout::new(config.resid_pdrop),
        }
    }

    /// Attends over the cached keys/values (`layer_past`, `[2, batch, heads, past, head_dim]`)
    /// and the current ones. Returns the output, the new cache entry (past and current keys and
    /// values stacked the same way) and, when asked, the attention probabilities.
    pub fn forward_t(
        &self,
        x: &Tensor,
        layer_past: Option<&Tensor>,
        bias: &Tensor,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Tensor, Option<Tensor>) {
        let qkv = self.c_attn.forward(x).split(x.size()[2], 2);
        let query = split_heads(&qkv[0], self.n_head, self.head_dim);
        let key = split_heads(&qkv[1], self.n_head, self.head_dim);
        let value = split_heads(&qkv[2], self.n_head, self.head_dim);
        // One copy of the cache per step: the new keys and values are appended to the stacked
        // cache along its length, and attention reads views of the result.
        let current = Tensor::stack(&[&key, &value], 0);
        let present = match layer_past {
            Some(past) => Tensor::cat(&[past, &current], 3),
            None => current,
        };
        let (key, value) = (present.get(0), present.get(1));
        let (context, probs) = scaled_dot_product(
            &query,
            &key,
            &value,
            Some(bias),
            self.scaling,
            &self.attn_dropout,
            train,
            output_attentions,
        );
        let output = self
            .resid_dropout
            .forward_t(&self.c_proj.forward(&merge_heads(&context)), train);
        (output, present, probs)
    }
}

/// Feed-forward block: `c_proj(activation(c_fc(x)))` with dropout.
#[derive(Debug)]
pub struct Mlp {
    c_fc: Conv1D,
    c_proj: Conv1D,
    activation: Activation,
    dropout: Dropout,
}

impl Mlp {
    /// Builds `c_fc` and `c_proj` under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BlockConfig) -> Self {
        let p = p.borrow();
        Self {
            c_fc: Conv1D::new(p / "c_fc", config.n_embd, config.n_inner),
            c_proj: Conv1D::new(p / "c_proj", config.n_inner, config.n_embd),
            activation: config.activation,
            dropout: Dropout::new(config.resid_pdrop),
        }
    }

    /// Applies the block.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let hidden = self.activation.apply(&self.c_fc.forward(x));
        self.dropout.forward_t(&self.c_proj.forward(&hidden), train)
    }
}

/// One transformer layer: attention (`attn`), MLP (`mlp`) and layer norms `ln_1`, `ln_2`.
#[derive(Debug)]
pub struct Block {
    ln_1: nn::LayerNorm,
    attn: Attention,
    ln_2: nn::LayerNorm,
    mlp: Mlp,
    pre_norm: bool,
}

impl Block {
    /// Builds the layer under `p` (HF's `h.{i}`).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BlockConfig) -> Self {
        let p = p.borrow();
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_epsilon,
            ..Default::default()
        };
        Self {
            ln_1: nn::layer_norm(p / "ln_1", vec![config.n_embd], norm),
            attn: Attention::new(p / "attn", config),
            ln_2: nn::layer_norm(p / "ln_2", vec![config.n_embd], norm),
            mlp: Mlp::new(p / "mlp", config),
            pre_norm: config.pre_norm,
        }
    }

    /// Runs the layer; returns its output, its cache entry and, when asked, the attention
    /// probabilities.
    pub fn forward_t(
        &self,
        x: &Tensor,
        layer_past: Option<&Tensor>,
        bias: &Tensor,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Tensor, Option<Tensor>) {
        if self.pre_norm {
            let (a, present, probs) = self.attn.forward_t(
                &self.ln_1.forward(x),
                layer_past,
                bias,
                train,
                output_attentions,
            );
            let x = x + a;
            let m = self.mlp.forward_t(&self.ln_2.forward(&x), train);
            (x + m, present, probs)
        } else {
            let (a, present, probs) =
                self.attn
                    .forward_t(x, layer_past, bias, train, output_attentions);
            let n = self.ln_1.forward(&(x + a));
            let m = self.mlp.forward_t(&n, train);
            (self.ln_2.forward(&(n + m)), present, probs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Conv1D;
    use crate::common::weights::{load_tensors_into, load_weights_from_file, write_tensors};
    use tch::nn::VarStore;
    use tch::{Device, Kind, Tensor};

    /// Whichever way the weights arrive (zero-copy `.safetensors`, copied tensors, `.ot`), the
    /// `Conv1D` weight keeps a layout the few-row kernel takes.
    #[test]
    fn conv1d_weights_reach_the_few_row_kernel_after_every_loading_path() {
        let dir = std::env::temp_dir().join(format!("rust-bert-conv1d-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let weight = Tensor::randn([24, 40], (Kind::Float, Device::Cpu));
        let bias = Tensor::randn([40], (Kind::Float, Device::Cpu));
        let tensors = vec![
            ("c.bias".to_string(), bias.shallow_clone()),
            ("c.weight".to_string(), weight.shallow_clone()),
        ];
        write_tensors(&tensors, dir.join("w.safetensors")).unwrap();
        Tensor::save_multi(
            &[("c.weight", &weight), ("c.bias", &bias)],
            dir.join("w.ot"),
        )
        .unwrap();
        let x = Tensor::randn([3, 24], (Kind::Float, Device::Cpu));
        let expected = x.matmul(&weight) + &bias;
        let _guard = tch::no_grad_guard();
        for path in ["w.safetensors", "w.ot", "copied"] {
            let vs = VarStore::new(Device::Cpu);
            let conv = Conv1D::new(vs.root() / "c", 24, 40);
            if path == "copied" {
                load_tensors_into(
                    &vs,
                    tensors.iter().map(|(n, t)| (n.clone(), t.copy())).collect(),
                    "test",
                )
                .unwrap();
            } else {
                load_weights_from_file(&vs, dir.join(path)).unwrap();
            }
            let routed =
                crate::common::few_rows::try_project(&x, &conv.weight.tr(), Some(&conv.bias));
            if crate::common::few_rows::available() {
                let out = routed.unwrap_or_else(|| panic!("{path}: the kernel refused the weight"));
                let diff = (out - &expected).abs().max().double_value(&[]);
                assert!(diff < 1e-4, "{path}: {diff}");
            }
        }
    }
}
