//! Helpers on tensor kinds (dtypes).
use tch::Kind;

/// The most negative finite value of a floating kind, used to mask attention scores so that
/// masked positions get exactly zero probability without producing NaN (as HF's
/// `torch.finfo(dtype).min`).
pub fn get_min(kind: Kind) -> f64 {
    match kind {
        Kind::Half => -65504.0,
        Kind::BFloat16 => -3.3895313892515355e38,
        Kind::Float => f32::MIN as f64,
        _ => f64::MIN,
    }
}

/// The negative infinity of a kind, for logits that must never be sampled.
pub fn get_negative_infinity(_kind: Kind) -> f64 {
    f64::NEG_INFINITY
}
