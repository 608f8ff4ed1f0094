//! Self-attention of the decoder stack: grouped-query heads, rotary positions, optional biases,
//! per-head q/k norms (Qwen3), Phi-3's fused projection, soft-capped scores (Gemma 2), and a
//! key/value cache.
use super::config::AttentionSettings;
use crate::common::layers::linear::{linear_with_bias, project_linear};
use crate::common::layers::{RmsNorm, RotaryEmbedding};
use std::borrow::Borrow;
use tch::nn;
use tch::{Kind, Tensor};

#[derive(Debug)]
enum Projections {
    Separate {
        q: nn::Linear,
        k: nn::Linear,
        v: nn::Linear,
    },
    Fused(nn::Linear),
}

/// Causal self-attention of one decoder layer (HF's `self_attn`).
#[derive(Debug)]
pub struct DecoderAttention {
    projections: Projections,
    o: nn::Linear,
    norms: Option<(RmsNorm, RmsNorm)>,
    settings: AttentionSettings,
}

fn linear(p: &nn::Path, name: &str, input: i64, output: i64, bias: bool) -> nn::Linear {
    linear_with_bias(p / name, input, output, bias)
}

impl DecoderAttention {
    pub(crate) fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, s: &AttentionSettings) -> Self {
        let p = p.borrow();
        let (q_dim, kv_dim) = (s.heads * s.head_dim, s.kv_heads * s.head_dim);
        let projections = if s.fused_qkv {
            Projections::Fused(linear(
                p,
                "qkv_proj",
                s.hidden,
                q_dim + 2 * kv_dim,
                s.qkv_bias,
            ))
        } else {
            Projections::Separate {
                q: linear(p, "q_proj", s.hidden, q_dim, s.qkv_bias),
                k: linear(p, "k_proj", s.hidden, kv_dim, s.qkv_bias),
                v: linear(p, "v_proj", s.hidden, kv_dim, s.qkv_bias),
            }
        };
        let norms = s.qk_norm.then(|| {
            (
                RmsNorm::new(p / "q_norm", s.head_dim, s.eps),
                RmsNorm::new(p / "k_norm", s.head_dim, s.eps),
            )
        });
        Self {
            projections,
            o: linear(p, "o_proj", q_dim, s.hidden, s.o_bias),
            norms,
            settings: *s,
        }
    }

    /// `(key/value heads, head size)` of the cache entries this layer reads and writes.
    pub fn cache_dims(&self) -> (i64, i64) {
        (self.settings.kv_heads, self.settings.head_dim)
    }

    /// The sliding window of this layer, if it slides.
    pub fn window(&self) -> Option<i64> {
        self.settings.window
    }

    /// Attends over the cached keys/values (`layer_past`, `[2, batch, kv_heads, past,
    /// head_dim]`, keys already rotated) and the current ones. `bias` is the additive mask
    /// `[batch or 1, 1, seq, past + seq]`. Returns the output, the new cache entry and, when
    /// asked, the attention probabilities.
    pub fn forward(
        &self,
        x: &Tensor,
        layer_past: Option<&Tensor>,
        rotary: (&RotaryEmbedding, &(Tensor, Tensor)),
        bias: &Tensor,
        output_attentions: bool,
    ) -> (Tensor, Tensor, Option<Tensor>) {
        let s = &self.settings;
        let (batch, seq) = (x.size()[0], x.size()[1]);
        let (q_dim, kv_dim) = (s.heads * s.head_dim, s.kv_heads * s.head_dim);
        let (q, k, v) = match &self.projections {
            Projections::Separate { q, k, v } => (
                project_linear(q, x),
                project_linear(k, x),
                project_linear(v, x),
            ),
            Projections::Fused(qkv) => {
                let all = project_linear(qkv, x);
                (
                    all.narrow(-1, 0, q_dim),
                    all.narrow(-1, q_dim, kv_dim),
                    all.narrow(-1, q_dim + kv_dim, kv_dim),
                )
            }
        };
        let heads = |t: Tensor, n: i64| t.reshape([batch, seq, n, s.head_dim]);
        let (mut q, mut k) = (heads(q, s.heads), heads(k, s.kv_heads));
        if let Some((q_norm, k_norm)) = &self.norms {
            q = q_norm.forward(&q);
            k = k_norm.forward(&k);
        }
        let (rope, angles) = rotary;
        let q = rope.apply(&q.transpose(1, 2), angles);
        let k = rope.apply(&k.transpose(1, 2), angles);
        let v = heads(v, s.kv_heads).transpose(1, 2);
        let current = Tensor::stack(&[&k, &v], 0);
        let present = match layer_past {
            Some(past) => Tensor::cat(&[past, &current], 3),
            None => current,
        };
        let (k, v) = (present.get(0), present.get(1));
        let (context, probs) = if s.softcap.is_none() && !output_attentions {
            let context = Tensor::scaled_dot_product_attention(
                &q,
                &k,
                &v,
                Some(bias),
                0.0,
                false,
                s.scaling,
                s.kv_heads != s.heads,
            );
            (context, None)
        } else {
            let groups = s.heads / s.kv_heads;
            let (k, v) = if groups > 1 {
                (
                    k.repeat_interleave_self_int(groups, 1, None),
                    v.repeat_interleave_self_int(groups, 1, None),
                )
            } else {
                (k, v)
            };
            let mut scores = q.matmul(&k.transpose(-1, -2)) * s.scaling;
            if let Some(cap) = s.softcap {
                scores = (scores / cap).tanh() * cap;
            }
            let scores = scores + bias;
            let probs = scores.softmax(-1, Kind::Float).to_kind(q.kind());
            let context = probs.matmul(&v);
            (context, output_attentions.then_some(probs))
        };
        let context = context.transpose(1, 2).reshape([batch, seq, q_dim]);
        (project_linear(&self.o, &context), present, probs)
    }
}
