//! Int8 weights for inference on the CPU: every matrix product that goes through
//! [`project`](crate::common::layers::linear::project) reads a one-byte copy of its weight.
//!
//! Why: a generation step reads every weight once for a handful of rows, so on a CPU it runs at
//! the speed of memory, and four bytes an f32 weight is what it costs. An int8 copy with an f32
//! scale per 64 inputs of each output (`w ≈ scale · q`, `q` in `-127..=127`,
//! `scale = max|w_group| / 127`; see [`group_size`]) is 17/64 of the bytes.
//!
//! How it is switched on: [`quantize_var_store`] (or `kind: Some(Kind::QInt8)` in any pipeline
//! or generation configuration, which loads the weights in f32 then calls it) marks the
//! store's matrices. The int8 copy of a matrix is made the first time `project` multiplies by
//! it, in the orientation it is used in (a `Conv1D` weight stored `[in, out]` is quantised per
//! output column), and kept beside the f32 variable, which stays as it was: embedding lookups,
//! tied output heads and every layer that does not go through `project` keep reading f32, so
//! nothing computes on the wrong representation, at the price of the int8 bytes on top of the
//! f32 ones in memory.
//!
//! Products:
//! - up to 8 rows (greedy and small-beam generation steps, bound by memory): the few-row
//!   kernel streams the int8 weight, widens it to f32 and scales it in registers, and multiplies
//!   by the f32 input rows. Only the weight is rounded. From 9 to 32 rows (bound by
//!   arithmetic, where widening costs more than the bytes it saves) the f32 kernel runs on the
//!   f32 variable.
//! - more rows (encoders, prompts): compute-bound, so fewer weight bytes do not help; what
//!   does is a faster multiply. On CPUs with native bf16 (AVX512-BF16, AMX) the product runs in
//!   bf16 on a bf16 copy of the weight (made on first use: inputs rounded to bf16, sums in f32,
//!   output rounded to bf16, bias added in f32); elsewhere in f32 on the variable itself.
//!   Quantising the input rows as well for an int8 GEMM (LibTorch's `_int_mm`) was measured and
//!   rejected: on all-MiniLM-L6-v2 it left embeddings at cosine 0.986 to f32 with one symmetric
//!   scale per row (0.992 asymmetric), against 0.9965 with int8 weights alone and 0.9966 with
//!   bf16 inputs too (the bar is 0.995): activation outliers take the int8 range.
//!
//! The copies belong to the store: they are used while the [`VarStore`] that
//! [`quantize_var_store`] marked is alive and dropped with it (at the next quantisation).
//! Weights changed after quantising (loaded again, converted to another kind) are not
//! re-quantised: quantise last.
use crate::common::error::RustBertError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use tch::nn::{VarStore, Variables};
use tch::{Device, Kind, Tensor};

/// The int8 copy of one weight matrix, in the orientation `project` multiplies by (`[out, in]`).
pub(crate) struct Int8Weight {
    /// `q[o][i]`, int8, contiguous `[out, in]`.
    pub(crate) values: Tensor,
    /// f32 scales, `[out, in / group]`: one per `group` consecutive inputs of each output.
    pub(crate) scales: Tensor,
    /// Inputs per scale (see [`group_size`]).
    pub(crate) group: i64,
    /// The bf16 copy of the source weight for many-row products, made on first use there.
    bf16: std::sync::OnceLock<Tensor>,
}

// SAFETY: both tensors are created once, never written after, and only read (LibTorch reads of
// one tensor from several threads are safe); they own their memory (no view of a variable).
unsafe impl Send for Int8Weight {}
// SAFETY: as above: shared references only read.
unsafe impl Sync for Int8Weight {}

impl Int8Weight {
    /// Quantises `weight` (`[out, in]`, any floating kind, any layout) per group of
    /// [`group_size`] inputs of each output row.
    fn new(weight: &Tensor) -> Int8Weight {
        let _guard = tch::no_grad_guard();
        let size = weight.size();
        let (out_dim, in_dim) = (size[0], size[1]);
        let group = group_size(in_dim);
        let w = weight
            .to_kind(Kind::Float)
            .reshape([out_dim, in_dim / group, group]);
        // An all-zero group keeps scale 1 (its codes are all zero either way).
        let max = w.abs().amax([2].as_slice(), true);
        let scales = (&max / 127.0).where_self(&max.gt(0.0), &max.ones_like());
        let values = (&w / &scales)
            .round()
            .clamp(-127.0, 127.0)
            .to_kind(Kind::Int8)
            .reshape([out_dim, in_dim])
            .contiguous();
        Int8Weight {
            values,
            scales: scales.reshape([out_dim, in_dim / group]).contiguous(),
            group,
            bf16: std::sync::OnceLock::new(),
        }
    }

    /// The weight as the int8 codes times their scales, `[out, in]` f32.
    #[cfg(test)]
    fn dequantized(&self) -> Tensor {
        let size = self.values.size();
        let groups = size[1] / self.group;
        (self
            .values
            .to_kind(Kind::Float)
            .reshape([size[0], groups, self.group])
            * self.scales.unsqueeze(2))
        .reshape(size.as_slice())
    }
}

/// Inputs per scale of an int8 copy: 64 where the inputs divide into groups of 64 (32 where
/// of 32), one scale per output row otherwise. Per-row scales alone let SmolLM2-135M's greedy
/// replies leave f32's after 5 tokens on one of three prompts; a scale per 64 inputs costs
/// 1/16 more bytes than the codes.
pub(crate) fn group_size(in_dim: i64) -> i64 {
    [64, 32]
        .into_iter()
        .find(|g| in_dim % g == 0)
        .unwrap_or(in_dim.max(1))
}

impl Int8Weight {
    /// `x · weightᵀ + bias` for `x` `[rows, in]` (f32, bf16 or f16), in `x`'s kind; `source`
    /// is the weight this copy was made from (`[out, in]`, the variable's own values).
    fn project(&self, x: &Tensor, source: &Tensor, bias: Option<&Tensor>) -> Tensor {
        let rows = x.size()[0];
        if rows <= INT8_MAX_ROWS {
            if let Some(out) = crate::common::few_rows::try_project_int8(x, self, bias) {
                return out;
            }
        }
        if rows <= crate::common::few_rows::MAX_ROWS {
            // More rows than int8 pays for (see `INT8_MAX_ROWS`): the f32 kernel on the source.
            if let Some(out) = crate::common::few_rows::try_project(x, source, bias) {
                return out;
            }
        }
        let kind = x.kind();
        if !native_bf16() {
            // Many rows without native bf16: the variable's own product (see the module docs).
            return x.linear(
                &source.to_kind(kind),
                bias.map(|b| b.to_kind(kind)).as_ref(),
            );
        }
        let weight = self
            .bf16
            .get_or_init(|| source.to_kind(Kind::BFloat16).contiguous());
        let out = x.to_kind(Kind::BFloat16).linear::<&Tensor>(weight, None);
        let out = out.to_kind(Kind::Float);
        let out = match bias {
            Some(bias) => out + bias.to_kind(Kind::Float),
            None => out,
        };
        out.to_kind(kind)
    }
}

/// Most rows the int8 kernel takes. Widening the codes costs instructions the f32 kernel does
/// not spend, so int8 wins while a product is bound by memory (few rows: GPT-2's beam-5 steps,
/// 5 rows, ran in 0.80x the f32 time) and loses once it is bound by arithmetic (Marian's 24-row
/// beam steps took 1.36x the f32 time); in between the f32 kernel multiplies on the f32
/// variable, which is still there.
const INT8_MAX_ROWS: i64 = 8;

/// Whether the CPU multiplies bf16 natively (AVX512-BF16; AMX CPUs have it too): many-row
/// products of a quantised store then run in bf16 (see the module docs).
fn native_bf16() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static NATIVE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *NATIVE.get_or_init(|| std::arch::is_x86_feature_detected!("avx512bf16"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The matrices of one store, found by the address of their data.
struct Entry {
    /// The store's variables: the copies are used while it lives.
    owner: Weak<Mutex<Variables>>,
    /// The variable's kind and shape when marked (a tensor later found at the same address
    /// with another kind or shape is not this variable).
    kind: Kind,
    size: Vec<i64>,
    /// The int8 copies made so far: `false` for the variable's own `[out, in]` layout, `true`
    /// for its transpose (a `[in, out]` variable multiplied as `[out, in]`).
    copies: [Option<Arc<Int8Weight>>; 2],
}

/// Marked matrices of every live quantised store, by data address.
static REGISTRY: RwLock<Option<HashMap<usize, Entry>>> = RwLock::new(None);
/// Number of marked matrices: `project` looks no further while it is zero.
static MARKED: AtomicUsize = AtomicUsize::new(0);

/// Marks every 2-D floating variable of `vs` for int8 products (see the module docs) and
/// returns how many were marked. Marking twice is harmless. Copies of stores that no longer
/// exist are dropped here.
///
/// # Errors
/// A store that is not on the CPU (int8 weights are a CPU feature here).
pub fn quantize_var_store(vs: &VarStore) -> Result<usize, RustBertError> {
    if vs.device() != Device::Cpu {
        return Err(RustBertError::ValueError(format!(
            "int8 weights run on the CPU only; this model is on {:?}",
            vs.device()
        )));
    }
    let owner = Arc::downgrade(&vs.variables_);
    let variables = vs.variables();
    let mut registry = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let map = registry.get_or_insert_with(HashMap::new);
    map.retain(|_, entry| entry.owner.strong_count() > 0);
    let mut marked = 0;
    for tensor in variables.values() {
        if tensor.dim() != 2
            || !matches!(tensor.kind(), Kind::Float | Kind::BFloat16 | Kind::Half)
            || tensor.numel() == 0
        {
            continue;
        }
        marked += 1;
        map.entry(tensor.data_ptr() as usize)
            .or_insert_with(|| Entry {
                owner: owner.clone(),
                kind: tensor.kind(),
                size: tensor.size(),
                copies: [None, None],
            });
    }
    MARKED.store(map.len(), Ordering::Release);
    Ok(marked)
}

/// Extension of [`VarStore`]: `vs.quantize_int8()` marks its matrices for int8 products.
pub trait QuantizeVarStore {
    /// See [`quantize_var_store`].
    ///
    /// # Errors
    /// As [`quantize_var_store`].
    fn quantize_int8(&self) -> Result<usize, RustBertError>;
}

impl QuantizeVarStore for VarStore {
    fn quantize_int8(&self) -> Result<usize, RustBertError> {
        quantize_var_store(self)
    }
}

/// The kind to create and load variables in for a configuration's `kind`: `QInt8` (int8
/// weights) loads in f32 and is quantised after loading; every other kind is itself.
pub fn storage_kind(kind: Option<Kind>) -> Option<Kind> {
    match kind {
        Some(Kind::QInt8) => Some(Kind::Float),
        other => other,
    }
}

/// Quantises `vs` when the configuration's `kind` asks for int8 weights (`Kind::QInt8`).
///
/// # Errors
/// As [`quantize_var_store`].
pub fn quantize_if_asked(vs: &VarStore, kind: Option<Kind>) -> Result<(), RustBertError> {
    if kind == Some(Kind::QInt8) {
        quantize_var_store(vs)?;
    }
    Ok(())
}

/// The int8 copy of `weight` (an `[out, in]` operand of `project`, possibly the transposed
/// view of an `[in, out]` variable) when its store was quantised, made on first use.
fn copy_of(weight: &Tensor) -> Option<Arc<Int8Weight>> {
    if weight.dim() != 2 || weight.device() != Device::Cpu {
        return None;
    }
    let transposed = if weight.is_contiguous() {
        false
    } else if weight.tr().is_contiguous() {
        true
    } else {
        return None;
    };
    let key = weight.data_ptr() as usize;
    let stored_size = if transposed {
        weight.tr().size()
    } else {
        weight.size()
    };
    let matches = |entry: &Entry| {
        entry.kind == weight.kind() && entry.size == stored_size && entry.owner.strong_count() > 0
    };
    {
        let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
        let entry = registry.as_ref()?.get(&key)?;
        if !matches(entry) {
            return None;
        }
        if let Some(copy) = &entry.copies[usize::from(transposed)] {
            return Some(copy.clone());
        }
    }
    let copy = Arc::new(Int8Weight::new(weight));
    let mut registry = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let entry = registry.as_mut()?.get_mut(&key)?;
    if !matches(entry) {
        return None;
    }
    // Another thread may have made it meanwhile: keep one.
    Some(
        entry.copies[usize::from(transposed)]
            .get_or_insert(copy)
            .clone(),
    )
}

/// `x · weightᵀ + bias` with `weight`'s int8 copy, or `None` when it has none (its store was
/// not quantised) or autograd needs the product.
pub(crate) fn try_project(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Option<Tensor> {
    if MARKED.load(Ordering::Acquire) == 0
        || !matches!(x.kind(), Kind::Float | Kind::BFloat16 | Kind::Half)
        || x.device() != Device::Cpu
    {
        return None;
    }
    if (x.requires_grad() || weight.requires_grad()) && crate::common::few_rows::grad_enabled() {
        return None;
    }
    let copy = copy_of(weight)?;
    let _guard = tch::no_grad_guard();
    let size = x.size();
    let in_dim = *size.last()?;
    if in_dim != copy.values.size()[1] {
        return None;
    }
    let mut out_shape = size;
    *out_shape.last_mut()? = copy.values.size()[0];
    let flat = x.reshape([-1, in_dim]);
    Some(
        copy.project(&flat, weight, bias)
            .reshape(out_shape.as_slice()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn;

    /// An int8 copy is `weight` to within half a step of its row's scale; an all-zero row
    /// keeps codes zero.
    #[test]
    fn copies_round_each_row_to_its_scale() {
        let w = Tensor::randn([5, 40], (Kind::Float, Device::Cpu));
        let w = w.index_fill(0, &Tensor::from_slice(&[2i64]), 0.0);
        let q = Int8Weight::new(&w);
        assert_eq!((q.group, q.scales.size()), (40, vec![5, 1]));
        let back = q.dequantized();
        let err = (&back - &w).abs().amax([1].as_slice(), true);
        let half_step = &q.scales / 2.0 + 1e-7;
        assert!(bool::try_from(err.le_tensor(&half_step).all()).unwrap());
        assert_eq!(q.values.get(2).abs().sum(Kind::Int64).int64_value(&[]), 0);
        // 128 inputs: two groups of 64, each to half a step of its own scale.
        let w = Tensor::randn([3, 128], (Kind::Float, Device::Cpu));
        let q = Int8Weight::new(&w);
        assert_eq!((q.group, q.scales.size()), (64, vec![3, 2]));
        let err = (q.dequantized() - &w)
            .abs()
            .reshape([3, 2, 64])
            .amax([2].as_slice(), false);
        assert!(bool::try_from(err.le_tensor(&(&q.scales / 2.0 + 1e-7)).all()).unwrap());
    }

    /// The few-row kernel on int8 copies equals LibTorch's product with the dequantised weight,
    /// on shapes with one or several groups per row, a scalar tail, and rows and outputs that
    /// are not multiples of the kernel's blocks.
    #[test]
    fn few_row_kernel_equals_the_dequantized_product() {
        let _guard = tch::no_grad_guard();
        for (rows, in_dim, out_dim) in [
            (1, 1, 1),
            (1, 7, 5),
            (5, 13, 4),
            (3, 128, 70),
            (7, 96, 33),
            (32, 520, 200),
            (2, 64, 3),
            (4, 1536, 577),
        ] {
            let x = Tensor::randn([rows, in_dim], (Kind::Float, Device::Cpu));
            let w = Tensor::randn([out_dim, in_dim], (Kind::Float, Device::Cpu));
            let b = Tensor::randn([out_dim], (Kind::Float, Device::Cpu));
            let q = Int8Weight::new(&w);
            let Some(got) = crate::common::few_rows::try_project_int8(&x, &q, Some(&b)) else {
                continue;
            };
            let expected = x.matmul(&q.dequantized().tr()) + &b;
            let diff = (got - expected).abs().max().double_value(&[]);
            assert!(
                diff < 1e-4 * (in_dim as f64).sqrt(),
                "{rows}x{in_dim}x{out_dim}: {diff}"
            );
        }
    }

    /// Products of a quantised store go through the copies; dropping the store forgets them.
    #[test]
    fn a_store_routes_project_to_its_copies_while_it_lives() {
        let _guard = tch::no_grad_guard();
        let vs = nn::VarStore::new(Device::Cpu);
        let w = vs.root().randn("w", &[64, 48], 0.0, 1.0);
        let conv = vs.root().randn("conv", &[48, 64], 0.0, 1.0);
        let x = Tensor::randn([3, 48], (Kind::Float, Device::Cpu));
        let exact = crate::common::layers::linear::project(&x, &w, None);
        assert_eq!(vs.quantize_int8().unwrap(), 2);
        for weight in [w.shallow_clone(), conv.tr()] {
            let back = Int8Weight::new(&weight).dequantized();
            for rows in [3, 40] {
                let x = Tensor::randn([rows, 48], (Kind::Float, Device::Cpu));
                let got = crate::common::layers::linear::project(&x, &weight, None);
                let exact = x.matmul(&weight.tr());
                if rows <= 32 {
                    // Few rows: the int8 weight, f32 inputs and sums.
                    let diff = (&got - x.matmul(&back.tr())).abs().max().double_value(&[]);
                    assert!(diff < 1e-4, "{rows} rows: {diff}");
                    assert!((&got - &exact).abs().max().double_value(&[]) > 0.0);
                } else if native_bf16() {
                    // Many rows on a bf16 CPU: bf16 operands, f32 sums, bf16 output.
                    let diff = (&got - &exact).abs().max().double_value(&[]);
                    assert!(diff < 0.5, "{rows} rows: {diff}");
                    assert!(diff > 0.0);
                } else {
                    assert_eq!((&got - &exact).abs().max().double_value(&[]), 0.0);
                }
            }
        }
        drop(vs);
        let again = crate::common::layers::linear::project(&x, &w, None);
        assert_eq!((again - exact).abs().max().double_value(&[]), 0.0);
    }
}
