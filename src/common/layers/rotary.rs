//! Rotary position embeddings (Su et al., 2021) on the first `rotary_dim` dimensions of each
//! head, the pairs interleaved as GPT-J rotates them (dimensions `2i` and `2i + 1` form a pair,
//! HF's `rotate_every_two`), not split in halves as Llama and GPT-NeoX do.
use crate::common::layers::embeddings::lookup;
use crate::RustBertError;
use tch::{Device, Kind, Tensor};

/// The sine and cosine table of rotary embeddings: `[max_positions, rotary_dim]`, the sines of
/// the `rotary_dim / 2` frequencies then their cosines (HF's `create_sinusoidal_positions`,
/// computed in single precision as there). Not a variable: nothing is loaded into it.
#[derive(Debug)]
pub struct RotaryEmbedding {
    sin_cos: Tensor,
    rotary_dim: i64,
}

impl RotaryEmbedding {
    /// The table for `max_positions` positions, rotating `rotary_dim` dimensions (an even
    /// number) with frequencies `base^(-2i / rotary_dim)`.
    pub fn new(rotary_dim: i64, max_positions: i64, base: f64, device: Device) -> Self {
        let exponents = Tensor::arange_start_step(0, rotary_dim, 2, (Kind::Int64, device))
            .to_kind(Kind::Float)
            / rotary_dim as f64;
        let inverse_frequencies = Tensor::pow_scalar(base, &exponents).reciprocal();
        let angles = Tensor::arange(max_positions, (Kind::Int64, device))
            .to_kind(Kind::Float)
            .unsqueeze(1)
            * inverse_frequencies.unsqueeze(0);
        Self {
            sin_cos: Tensor::cat(&[angles.sin(), angles.cos()], 1),
            rotary_dim,
        }
    }

    /// The number of rotated dimensions per head.
    pub fn rotary_dim(&self) -> i64 {
        self.rotary_dim
    }

    /// Sines and cosines of `position_ids` (`[batch, seq]`), each `[batch, 1, seq,
    /// rotary_dim]` with every frequency repeated for its pair, in `kind` on `device`.
    ///
    /// # Errors
    /// A position beyond the table.
    pub fn sin_cos(
        &self,
        position_ids: &Tensor,
        kind: Kind,
        device: Device,
    ) -> Result<(Tensor, Tensor), RustBertError> {
        let table = self.sin_cos.to_device(device);
        let rows = lookup(&table, &position_ids.to_device(device), "position_ids")?;
        let half = self.rotary_dim / 2;
        let pairs = |t: Tensor| t.repeat_interleave_self_int(2, -1, None).unsqueeze(1);
        Ok((
            pairs(rows.narrow(-1, 0, half)).to_kind(kind),
            pairs(rows.narrow(-1, half, half)).to_kind(kind),
        ))
    }

    /// Rotates the first `rotary_dim` dimensions of `x` (`[batch, heads, seq, head_dim]`) by
    /// the angles of `sin_cos` (from [`RotaryEmbedding::sin_cos`]); the others pass unchanged.
    pub fn apply(&self, x: &Tensor, (sin, cos): &(Tensor, Tensor)) -> Tensor {
        let head_dim = x.size().last().copied().unwrap_or(0);
        let rotated = self.rotary_dim.min(head_dim);
        let part = x.narrow(-1, 0, rotated);
        // (x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)
        let size = part.size();
        let mut pair_shape = size[..size.len() - 1].to_vec();
        pair_shape.extend([rotated / 2, 2]);
        let pairs = part.reshape(pair_shape.as_slice());
        let turned = Tensor::stack(&[-pairs.select(-1, 1), pairs.select(-1, 0)], -1)
            .reshape(size.as_slice());
        let part = &part * cos + turned * sin;
        if rotated == head_dim {
            part
        } else {
            Tensor::cat(&[part, x.narrow(-1, rotated, head_dim - rotated)], -1)
        }
    }
}
