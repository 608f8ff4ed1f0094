//! Rotary position embeddings (RoPE, Su et al., 2021) on the first `rotary_dim` dimensions of
//! each head, in both layouts HF uses: the two halves of the rotated part paired (Llama and its
//! descendants, GPT-NeoX: `rotate_half`), or neighbouring dimensions `2i`, `2i + 1` paired
//! (GPT-J: `rotate_every_two`). The frequencies follow the schemes of HF's `rope_scaling` /
//! `rope_parameters`: `default`, `linear`, `dynamic` (NTK), `llama3`, `yarn` and `longrope`,
//! with `rope_theta` and `partial_rotary_factor`.
//!
//! The inverse frequencies are computed with the same float32 LibTorch operations as HF's
//! `modeling_rope_utils`, so that positions far into the context keep HF's angles bit for bit.
use crate::RustBertError;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use tch::{Device, Kind, Tensor};

/// RoPE settings as HF writes them: `rope_scaling` in older `config.json` files, the
/// `rope_parameters` of HF 5.x (which also hold `rope_theta` and `partial_rotary_factor`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RopeParameters {
    /// `default`, `linear`, `dynamic`, `llama3`, `yarn` or `longrope`.
    #[serde(default)]
    pub rope_type: Option<String>,
    /// Older files' name of `rope_type`.
    #[serde(default, rename = "type")]
    pub legacy_type: Option<String>,
    /// Base of the frequencies.
    #[serde(default)]
    pub rope_theta: Option<f64>,
    /// Scaling factor (linear, dynamic, llama3, yarn; longrope derives it when absent).
    #[serde(default)]
    pub factor: Option<f64>,
    /// Fraction of each head that rotates.
    #[serde(default)]
    pub partial_rotary_factor: Option<f64>,
    /// Context length of pre-training (llama3, yarn, longrope).
    #[serde(default)]
    pub original_max_position_embeddings: Option<i64>,
    /// Factor on cos/sin (yarn, longrope; derived when absent).
    #[serde(default)]
    pub attention_factor: Option<f64>,
    /// Yarn's extrapolation boundary (default 32).
    #[serde(default)]
    pub beta_fast: Option<f64>,
    /// Yarn's interpolation boundary (default 1).
    #[serde(default)]
    pub beta_slow: Option<f64>,
    /// Yarn: numerator scale of the derived attention factor.
    #[serde(default)]
    pub mscale: Option<f64>,
    /// Yarn: denominator scale of the derived attention factor.
    #[serde(default)]
    pub mscale_all_dim: Option<f64>,
    /// Yarn: round the correction range (default true).
    #[serde(default)]
    pub truncate: Option<bool>,
    /// Llama 3: low-frequency factor.
    #[serde(default)]
    pub low_freq_factor: Option<f64>,
    /// Llama 3: high-frequency factor.
    #[serde(default)]
    pub high_freq_factor: Option<f64>,
    /// Longrope: per-frequency factors within the original context.
    #[serde(default)]
    pub short_factor: Option<Vec<f64>>,
    /// Longrope: per-frequency factors beyond it.
    #[serde(default)]
    pub long_factor: Option<Vec<f64>>,
}

impl RopeParameters {
    /// The scheme's name (`default` when none is given).
    pub fn kind(&self) -> &str {
        self.rope_type
            .as_deref()
            .or(self.legacy_type.as_deref())
            .unwrap_or("default")
    }
}

/// What the model around the rotary embedding fixes: sizes and context lengths.
#[derive(Debug, Clone, Copy)]
pub struct RotaryDims {
    /// Size of one attention head.
    pub head_dim: i64,
    /// Longest sequence of the model (`max_position_embeddings`).
    pub max_positions: i64,
    /// Pre-training context of Phi-3 style configurations (`original_max_position_embeddings`
    /// outside the RoPE parameters), which wins over the one inside them, as in HF.
    pub original_max_positions: Option<i64>,
}

/// How the frequencies depend on the positions of a forward pass.
#[derive(Debug)]
enum Schedule {
    /// One set of frequencies.
    Fixed,
    /// Dynamic NTK: beyond `max_positions`, the base grows with the longest position.
    Dynamic { base: f64, factor: f64 },
    /// Longrope: the long factors beyond the original context.
    Long { long: Tensor, threshold: i64 },
}

/// Rotary position embedding of one model: inverse frequencies, the factor on cos/sin, and
/// how the rotated dimensions are paired.
#[derive(Debug)]
pub struct RotaryEmbedding {
    inv_freq: Tensor,
    attention_factor: f64,
    rotary_dim: i64,
    max_positions: i64,
    schedule: Schedule,
    /// GPT-J's layout (neighbours paired); positions past `max_positions` are refused, as its
    /// fixed table does.
    interleaved: bool,
}

fn exponents(dim: i64) -> Tensor {
    Tensor::arange_start_step(0, dim, 2, (Kind::Int64, Device::Cpu)).to_kind(Kind::Float)
        / dim as f64
}

/// `1 / base^(2i / dim)`, HF's default inverse frequencies.
fn default_inv_freq(base: f64, dim: i64) -> Tensor {
    Tensor::pow_scalar(base, &exponents(dim)).reciprocal()
}

fn missing(kind: &str, field: &str) -> RustBertError {
    RustBertError::InvalidConfigurationError(format!(
        "rope `{kind}` needs `{field}` in the RoPE parameters"
    ))
}

impl RotaryEmbedding {
    /// GPT-J's rotary embedding: `rotary_dim` (even) dimensions with frequencies
    /// `base^(-2i / rotary_dim)`, neighbouring dimensions paired, for `max_positions`
    /// positions. (`device` is where the frequencies live first; they follow the positions.)
    pub fn new(rotary_dim: i64, max_positions: i64, base: f64, device: Device) -> Self {
        Self {
            inv_freq: default_inv_freq(base, rotary_dim).to_device(device),
            attention_factor: 1.0,
            rotary_dim,
            max_positions,
            schedule: Schedule::Fixed,
            interleaved: true,
        }
    }

    /// The rotary embedding of HF `rope_parameters` (with `rope_theta` and
    /// `partial_rotary_factor` already merged in) for a model of `dims`, the halves of the
    /// rotated part paired (Llama's layout).
    ///
    /// # Errors
    /// An unknown scheme, or one missing a parameter it needs, naming it.
    pub fn from_parameters(
        params: &RopeParameters,
        dims: RotaryDims,
    ) -> Result<Self, RustBertError> {
        let base = params.rope_theta.unwrap_or(10000.0);
        let partial = params.partial_rotary_factor.unwrap_or(1.0);
        let dim = (dims.head_dim as f64 * partial) as i64;
        if dim < 2 || dim > dims.head_dim {
            return Err(RustBertError::InvalidConfigurationError(format!(
                "partial_rotary_factor {partial} leaves {dim} rotating dimensions of {}",
                dims.head_dim
            )));
        }
        let kind = params.kind();
        let original = || {
            dims.original_max_positions
                .or(params.original_max_position_embeddings)
                .unwrap_or(dims.max_positions)
        };
        let factor = |name: &str| params.factor.ok_or_else(|| missing(name, "factor"));
        let mut attention_factor = 1.0;
        let mut schedule = Schedule::Fixed;
        let inv_freq = match kind {
            "default" => default_inv_freq(base, dim),
            "linear" => default_inv_freq(base, dim) / factor(kind)?,
            "dynamic" => {
                schedule = Schedule::Dynamic {
                    base,
                    factor: factor(kind)?,
                };
                default_inv_freq(base, dim)
            }
            "llama3" => {
                let factor = factor(kind)?;
                let low = params
                    .low_freq_factor
                    .ok_or_else(|| missing(kind, "low_freq_factor"))?;
                let high = params
                    .high_freq_factor
                    .ok_or_else(|| missing(kind, "high_freq_factor"))?;
                let old = original() as f64;
                let inv = default_inv_freq(base, dim);
                let wavelen = (inv.reciprocal() * (2.0 * PI)).to_kind(Kind::Float);
                let low_wavelen = old / low;
                let high_wavelen = old / high;
                let scaled = inv.where_self(&wavelen.le(low_wavelen), &(&inv / factor));
                let smooth = (wavelen.reciprocal() * old - low) / (high - low);
                let smoothed =
                    (smooth.ones_like() - &smooth) * &scaled / factor + &smooth * &scaled;
                let medium = wavelen
                    .ge(high_wavelen)
                    .logical_and(&wavelen.le(low_wavelen));
                smoothed.where_self(&medium, &scaled)
            }
            "yarn" => {
                let original = original();
                let factor = params
                    .factor
                    .unwrap_or(dims.max_positions as f64 / original as f64);
                let mscale = |scale: f64, m: f64| {
                    if scale <= 1.0 {
                        1.0
                    } else {
                        0.1 * m * scale.ln() + 1.0
                    }
                };
                attention_factor = match (
                    params.attention_factor,
                    params.mscale,
                    params.mscale_all_dim,
                ) {
                    (Some(f), _, _) => f,
                    (None, Some(m), Some(all)) if m != 0.0 && all != 0.0 => {
                        mscale(factor, m) / mscale(factor, all)
                    }
                    _ => mscale(factor, 1.0),
                };
                let beta_fast = params.beta_fast.filter(|b| *b != 0.0).unwrap_or(32.0);
                let beta_slow = params.beta_slow.filter(|b| *b != 0.0).unwrap_or(1.0);
                let correction = |rotations: f64| {
                    dim as f64 * (original as f64 / (rotations * 2.0 * PI)).ln() / (2.0 * base.ln())
                };
                let (mut low, mut high) = (correction(beta_fast), correction(beta_slow));
                if params.truncate.unwrap_or(true) {
                    low = low.floor();
                    high = high.ceil();
                }
                let low = low.max(0.0);
                let mut high = high.min((dim - 1) as f64);
                if low == high {
                    high += 0.001;
                }
                let pos_freqs = Tensor::pow_scalar(base, &exponents(dim));
                let extrapolation = pos_freqs.reciprocal();
                let interpolation = (&pos_freqs * factor).reciprocal();
                let ramp = ((Tensor::arange(dim / 2, (Kind::Float, Device::Cpu)) - low)
                    / (high - low))
                    .clamp(0.0, 1.0);
                let extrapolation_factor = ramp.ones_like() - ramp;
                &interpolation * (extrapolation_factor.ones_like() - &extrapolation_factor)
                    + &extrapolation * &extrapolation_factor
            }
            "longrope" => {
                let original = original();
                let factor = params
                    .factor
                    .unwrap_or(dims.max_positions as f64 / original as f64);
                attention_factor = match params.attention_factor {
                    Some(f) => f,
                    None if factor <= 1.0 => 1.0,
                    None => (1.0 + factor.ln() / (original as f64).ln()).sqrt(),
                };
                let factors = |name: &str, values: &Option<Vec<f64>>| {
                    let values = values.as_ref().ok_or_else(|| missing(kind, name))?;
                    if values.len() as i64 != dim / 2 {
                        return Err(RustBertError::InvalidConfigurationError(format!(
                            "rope `longrope`: `{name}` has {} values; the rotary dimension {dim} \
                             needs {}",
                            values.len(),
                            dim / 2
                        )));
                    }
                    let values: Vec<f32> = values.iter().map(|v| *v as f32).collect();
                    Ok(Tensor::from_slice(&values))
                };
                let short = factors("short_factor", &params.short_factor)?;
                let long = factors("long_factor", &params.long_factor)?;
                let shape = exponents(dim);
                let powers = Tensor::pow_scalar(base, &shape);
                schedule = Schedule::Long {
                    long: (&long * &powers).reciprocal(),
                    threshold: original,
                };
                (short * powers).reciprocal()
            }
            other => {
                return Err(RustBertError::InvalidConfigurationError(format!(
                    "unknown rope type `{other}` (default, linear, dynamic, llama3, yarn and \
                     longrope are supported)"
                )))
            }
        };
        Ok(Self {
            inv_freq,
            attention_factor,
            rotary_dim: dim,
            max_positions: dims.max_positions,
            schedule,
            interleaved: false,
        })
    }

    /// Number of rotating dimensions at the start of each head.
    pub fn rotary_dim(&self) -> i64 {
        self.rotary_dim
    }

    /// The inverse frequencies for a forward pass whose longest position is `max_position`:
    /// HF's dynamic schemes choose them from the positions of each call.
    fn frequencies(&self, max_position: i64) -> Tensor {
        let seq_len = max_position + 1;
        match &self.schedule {
            Schedule::Fixed => self.inv_freq.shallow_clone(),
            Schedule::Dynamic { base, factor } => {
                if seq_len <= self.max_positions {
                    return self.inv_freq.shallow_clone();
                }
                let dim = self.rotary_dim as f64;
                let grown = base
                    * ((factor * seq_len as f64 / self.max_positions as f64) - (factor - 1.0))
                        .powf(dim / (dim - 2.0));
                default_inv_freq(grown, self.rotary_dim)
            }
            Schedule::Long { long, threshold } => {
                if seq_len > *threshold {
                    long.shallow_clone()
                } else {
                    self.inv_freq.shallow_clone()
                }
            }
        }
    }

    /// Sines and cosines of `position_ids` (`[batch, seq]`), each `[batch, 1, seq,
    /// rotary_dim]` laid out for [`RotaryEmbedding::apply`], in `kind` on `device`.
    ///
    /// # Errors
    /// In GPT-J's layout, a position past `max_positions` (its table's length).
    pub fn sin_cos(
        &self,
        position_ids: &Tensor,
        kind: Kind,
        device: Device,
    ) -> Result<(Tensor, Tensor), RustBertError> {
        let max_position = if position_ids.numel() == 0 {
            0
        } else {
            position_ids.max().int64_value(&[])
        };
        if self.interleaved && max_position >= self.max_positions {
            return Err(RustBertError::ValueError(format!(
                "position_ids: position {max_position} is past the table of {} positions",
                self.max_positions
            )));
        }
        let inv = self.frequencies(max_position).to_device(device);
        let freqs = position_ids
            .to_device(device)
            .to_kind(Kind::Float)
            .unsqueeze(-1)
            * inv;
        let angles = if self.interleaved {
            freqs.repeat_interleave_self_int(2, -1, None)
        } else {
            Tensor::cat(&[&freqs, &freqs], -1)
        };
        let table = |t: Tensor| (t * self.attention_factor).to_kind(kind).unsqueeze(1);
        Ok((table(angles.sin()), table(angles.cos())))
    }

    /// Rotates the first `rotary_dim` dimensions of `x` (`[batch, heads, seq, head_dim]`) by
    /// the angles of `sin_cos` (from [`RotaryEmbedding::sin_cos`]); the others pass unchanged.
    pub fn apply(&self, x: &Tensor, (sin, cos): &(Tensor, Tensor)) -> Tensor {
        let head_dim = x.size().last().copied().unwrap_or(0);
        let rotated = self.rotary_dim.min(head_dim);
        let part = x.narrow(-1, 0, rotated);
        let turned = if self.interleaved {
            // (x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)
            let size = part.size();
            let mut pair_shape = size[..size.len() - 1].to_vec();
            pair_shape.extend([rotated / 2, 2]);
            let pairs = part.reshape(pair_shape.as_slice());
            Tensor::stack(&[-pairs.select(-1, 1), pairs.select(-1, 0)], -1).reshape(size.as_slice())
        } else {
            // (first half, second half) -> (-second half, first half)
            let half = rotated / 2;
            Tensor::cat(
                &[
                    -part.narrow(-1, half, rotated - half),
                    part.narrow(-1, 0, half),
                ],
                -1,
            )
        };
        let part = &part * cos + turned * sin;
        if rotated == head_dim {
            part
        } else {
            Tensor::cat(&[part, x.narrow(-1, rotated, head_dim - rotated)], -1)
        }
    }
}
