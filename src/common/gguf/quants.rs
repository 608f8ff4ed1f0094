//! Dequantisation of the GGML block formats a GGUF file stores its tensors in.
//!
//! Each quantised format packs a fixed number of values (a block: 32, or 256 for the "K"
//! formats) with their scales. The layouts and formulas are llama.cpp's (`ggml-quants.c`,
//! `dequantize_row_*`); they are checked value for value against the `gguf` Python package's
//! `gguf.quants.dequantize` on random blocks (tests/gguf.rs).
use half::{bf16, f16};

/// A tensor type of the GGML family, with the codes GGUF files use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum GgmlType {
    /// 32-bit float.
    F32,
    /// 16-bit IEEE float.
    F16,
    /// bfloat16.
    BF16,
    /// Blocks of 32: one f16 scale, 4-bit values offset by 8.
    Q4_0,
    /// Blocks of 32: f16 scale and minimum, 4-bit values.
    Q4_1,
    /// Blocks of 32: one f16 scale, 8-bit signed values.
    Q8_0,
    /// Super-blocks of 256: f16 scale and minimum, 6-bit sub-block scales and minimums, 4-bit values.
    Q4_K,
    /// Q4_K with a fifth bit per value.
    Q5_K,
    /// Super-blocks of 256: f16 scale, 8-bit sub-block scales, 6-bit values offset by 32.
    Q6_K,
    /// A type GGUF defines that this crate does not read (its code).
    Other(u32),
}

impl GgmlType {
    /// The type of GGUF code `code`.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            8 => Self::Q8_0,
            12 => Self::Q4_K,
            13 => Self::Q5_K,
            14 => Self::Q6_K,
            30 => Self::BF16,
            other => Self::Other(other),
        }
    }

    /// Values per block and bytes per block; `None` for a type this crate does not read.
    pub fn block(self) -> Option<(usize, usize)> {
        Some(match self {
            Self::F32 => (1, 4),
            Self::F16 | Self::BF16 => (1, 2),
            Self::Q4_0 => (32, 18),
            Self::Q4_1 => (32, 20),
            Self::Q8_0 => (32, 34),
            Self::Q4_K => (256, 144),
            Self::Q5_K => (256, 176),
            Self::Q6_K => (256, 210),
            Self::Other(_) => return None,
        })
    }
}

fn half_at(bytes: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([bytes[at], bytes[at + 1]]).to_f32()
}

/// The 6-bit scale and minimum of sub-block `j` of a Q4_K / Q5_K super-block (12 packed bytes).
fn scale_min(j: usize, scales: &[u8]) -> (f32, f32) {
    if j < 4 {
        ((scales[j] & 63) as f32, (scales[j + 4] & 63) as f32)
    } else {
        let scale = (scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4);
        let min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
        (scale as f32, min as f32)
    }
}

/// Dequantises `data` (whole blocks of `kind`) into `out`, which holds exactly the values the
/// blocks encode. The caller checks the sizes (`GgmlType::block`).
pub(crate) fn dequantize(kind: GgmlType, data: &[u8], out: &mut [f32]) {
    match kind {
        GgmlType::F32 => {
            for (value, bytes) in out.iter_mut().zip(data.chunks_exact(4)) {
                *value = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            }
        }
        GgmlType::F16 => {
            for (value, bytes) in out.iter_mut().zip(data.chunks_exact(2)) {
                *value = f16::from_le_bytes([bytes[0], bytes[1]]).to_f32();
            }
        }
        GgmlType::BF16 => {
            for (value, bytes) in out.iter_mut().zip(data.chunks_exact(2)) {
                *value = bf16::from_le_bytes([bytes[0], bytes[1]]).to_f32();
            }
        }
        GgmlType::Q4_0 => {
            for (y, block) in out.chunks_exact_mut(32).zip(data.chunks_exact(18)) {
                let d = half_at(block, 0);
                for (j, &q) in block[2..].iter().enumerate() {
                    y[j] = ((q & 0x0f) as f32 - 8.0) * d;
                    y[j + 16] = ((q >> 4) as f32 - 8.0) * d;
                }
            }
        }
        GgmlType::Q4_1 => {
            for (y, block) in out.chunks_exact_mut(32).zip(data.chunks_exact(20)) {
                let (d, m) = (half_at(block, 0), half_at(block, 2));
                for (j, &q) in block[4..].iter().enumerate() {
                    y[j] = (q & 0x0f) as f32 * d + m;
                    y[j + 16] = (q >> 4) as f32 * d + m;
                }
            }
        }
        GgmlType::Q8_0 => {
            for (y, block) in out.chunks_exact_mut(32).zip(data.chunks_exact(34)) {
                let d = half_at(block, 0);
                for (value, &q) in y.iter_mut().zip(&block[2..]) {
                    *value = (q as i8) as f32 * d;
                }
            }
        }
        GgmlType::Q4_K => {
            for (y, block) in out.chunks_exact_mut(256).zip(data.chunks_exact(144)) {
                let (d, dmin) = (half_at(block, 0), half_at(block, 2));
                let scales = &block[4..16];
                let qs = &block[16..];
                // Four groups of 64 values: 32 low nibbles, then 32 high nibbles, each half
                // with its own sub-block scale and minimum.
                for group in 0..4 {
                    let (s1, m1) = scale_min(2 * group, scales);
                    let (s2, m2) = scale_min(2 * group + 1, scales);
                    let q = &qs[32 * group..32 * group + 32];
                    let y = &mut y[64 * group..64 * group + 64];
                    for l in 0..32 {
                        y[l] = d * s1 * (q[l] & 0x0f) as f32 - dmin * m1;
                        y[l + 32] = d * s2 * (q[l] >> 4) as f32 - dmin * m2;
                    }
                }
            }
        }
        GgmlType::Q5_K => {
            for (y, block) in out.chunks_exact_mut(256).zip(data.chunks_exact(176)) {
                let (d, dmin) = (half_at(block, 0), half_at(block, 2));
                let scales = &block[4..16];
                let qh = &block[16..48];
                let qs = &block[48..];
                for group in 0..4 {
                    let (s1, m1) = scale_min(2 * group, scales);
                    let (s2, m2) = scale_min(2 * group + 1, scales);
                    // The fifth bits of this group's two halves, two bit planes per group.
                    let (bit1, bit2) = (1u8 << (2 * group), 2u8 << (2 * group));
                    let q = &qs[32 * group..32 * group + 32];
                    let y = &mut y[64 * group..64 * group + 64];
                    for l in 0..32 {
                        let high1 = if qh[l] & bit1 != 0 { 16.0 } else { 0.0 };
                        let high2 = if qh[l] & bit2 != 0 { 16.0 } else { 0.0 };
                        y[l] = d * s1 * ((q[l] & 0x0f) as f32 + high1) - dmin * m1;
                        y[l + 32] = d * s2 * ((q[l] >> 4) as f32 + high2) - dmin * m2;
                    }
                }
            }
        }
        GgmlType::Q6_K => {
            for (y, block) in out.chunks_exact_mut(256).zip(data.chunks_exact(210)) {
                let ql = &block[..128];
                let qh = &block[128..192];
                let scales = &block[192..208];
                let d = half_at(block, 208);
                // Two halves of 128 values, each from 64 low-nibble bytes and 32 bytes of
                // two-bit high parts.
                for half in 0..2 {
                    let ql = &ql[64 * half..64 * half + 64];
                    let qh = &qh[32 * half..32 * half + 32];
                    let sc = &scales[8 * half..8 * half + 8];
                    let y = &mut y[128 * half..128 * half + 128];
                    for l in 0..32 {
                        let is = l / 16;
                        let q1 = ((ql[l] & 0x0f) | ((qh[l] & 3) << 4)) as i32 - 32;
                        let q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
                        let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
                        let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
                        let scale = |k: usize| d * (sc[is + k] as i8) as f32;
                        y[l] = scale(0) * q1 as f32;
                        y[l + 32] = scale(2) * q2 as f32;
                        y[l + 64] = scale(4) * q3 as f32;
                        y[l + 96] = scale(6) * q4 as f32;
                    }
                }
            }
        }
        GgmlType::Other(_) => {}
    }
}
