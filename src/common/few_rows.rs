//! A matrix product for the few-row case of generation: `x · weightᵀ (+ bias)` for an `x` of a
//! handful of rows (one per beam) and an `nn.Linear` weight `[out, in]`, both f32 on the CPU.
//!
//! Why not LibTorch's GEMM: a BLAS GEMM packs the weight into its own blocked layout at every
//! call, a full read and write of the weight, which for a generation step (a few rows, the
//! weight read once) costs about as much as the product itself. Here each output is a dot
//! product of a weight row and an input row, both contiguous along `in`, so the weight is
//! streamed once, in place, with no packing: three weight rows at a time, each met with four
//! input rows (twelve 8-float accumulators, AVX2 + FMA), the weight rows ahead prefetched into
//! L2. Measured on 2 Zen 4 cores (threads as LibTorch's): Marian's decoder layers (24 rows,
//! 512 → 1536 / 2048, 2048 → 512) at 165 to 185 GFLOP/s against 110 to 125 for LibTorch, its
//! 59514-word head in 10 ms against 21, BART's head for 6 rows in 5.4 ms, T5-small's for 8 rows
//! in 1.8 ms.
//!
//! HF's `Conv1D` layers (GPT-2, OpenAI GPT) keep their weight as `[in, out]`; the product is then
//! `x · W` with `W` row-major, which a second kernel streams the same way: each weight row
//! (one input feature, contiguous along the outputs) scaled by that feature of every input row
//! and added into the output rows, which stay in cache. Weights stay in the layout their
//! files have, so the variables save, load zero-copy and convert as they are.
//!
//! bf16 weights (a model loaded with `kind = BFloat16`) take the same kernels with the weight
//! streamed as it is stored, two bytes an element, and widened to f32 in registers (a bf16 is the
//! top half of an f32: a 16-bit shift); the input rows are converted to f32 once per call (a
//! few rows), the sums run in f32 with FMA, and the output is rounded to bf16 once at the end
//! (round-to-nearest-even, LibTorch's `.to(bf16)`), as a bf16 GEMM that accumulates in f32 does.
//! A generation step reads each weight once, so half the bytes is close to half the time:
//! measured on GPT-J's shapes (one row; 4096 x 4096, 16384 x 4096, 4096 x 16384 and the
//! 50400-word head; weights out of cache; `benches/few_rows.rs`, one thread of a loaded 2-core
//! Zen 4), 0.25 to 0.6x the time of LibTorch's bf16 `linear` (oneDNN's, which uses the CPU's
//! bf16 dot products) and 0.3 to 0.6x that of the f32 kernel on the f32 copy of the weights.
//! One or two input rows take blocks of their own size: padded to four rows, a one-row step
//! spent its time on sums it threw away and ran at the f32 kernel's speed.
//!
//! The route is taken only where it is exact to within float rounding of another summation
//! order and gradients are not needed (see [`try_project`]); everything else goes to LibTorch.
use tch::{Device, Kind, Tensor};

/// Most rows this route handles (measured up to 24, the largest beam batch of the benches;
/// with more rows a GEMM amortises its packing over more work).
pub(crate) const MAX_ROWS: i64 = 32;

/// Weight rows handled together by the kernel.
const WEIGHT_BLOCK: usize = 3;
/// Input rows handled together by the kernel.
const ROW_BLOCK: usize = 4;
/// Column granularity of the threads' shares for the `[in, out]` kernel (its 8-float vectors).
const COLUMN_BLOCK: usize = 8;
/// Input features (weight rows) the `[in, out]` kernel adds per read-modify-write of the output
/// (twelve weight vectors in registers; 4, 8 and 16 measured slower).
const FEATURE_BLOCK: usize = 12;

/// Whether this CPU and build run the kernel (AVX2 + FMA on x86-64 with libgomp).
#[cfg(test)]
pub(crate) fn available() -> bool {
    kernel::available()
}

/// Whether LibTorch records operations for autograd on this thread.
pub(crate) fn grad_enabled() -> bool {
    // SAFETY: the two calls only read and restore LibTorch's thread-local grad-mode flag.
    unsafe {
        let previous = torch_sys::at_grad_set_enabled(0);
        torch_sys::at_grad_set_enabled(previous);
        previous != 0
    }
}

/// `x · weightᵀ + bias` for `x` `[rows, in]` through the few-row kernel, or `None` when the
/// route does not apply: not an x86-64 CPU with AVX2 and FMA, tensors not all f32 or all bf16
/// on the CPU, more than [`MAX_ROWS`] rows, shapes that do not match, a weight `[out, in]` that
/// is neither contiguous nor the transpose of a contiguous `[in, out]` (a `Conv1D` weight), or
/// autograd needing the product (grad mode on and a tensor requiring gradients). bf16 operands
/// give a bf16 product (f32 sums rounded once).
pub(crate) fn try_project(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Option<Tensor> {
    if !kernel::available() {
        return None;
    }
    let (rows, in_dim) = match x.size().as_slice() {
        [rows, in_dim] => (*rows, *in_dim),
        _ => return None,
    };
    let (out_dim, weight_in) = match weight.size().as_slice() {
        [out_dim, weight_in] => (*out_dim, *weight_in),
        _ => return None,
    };
    let kind = x.kind();
    let same_kind_cpu = matches!(kind, Kind::Float | Kind::BFloat16)
        && std::iter::once(weight)
            .chain(bias)
            .all(|t| t.kind() == kind && t.device() == Device::Cpu)
        && x.device() == Device::Cpu;
    if !same_kind_cpu
        || !(1..=MAX_ROWS).contains(&rows)
        || in_dim != weight_in
        || in_dim == 0
        || out_dim == 0
        || !(weight.is_contiguous() || weight.tr().is_contiguous())
        || bias.is_some_and(|b| b.size() != [out_dim] || !b.is_contiguous())
    {
        return None;
    }
    let needs_grad =
        x.requires_grad() || weight.requires_grad() || bias.is_some_and(|b| b.requires_grad());
    if needs_grad && grad_enabled() {
        return None;
    }
    // bf16: the input rows and the bias (small) in f32 once; the weight stays as stored.
    let bf16 = kind == Kind::BFloat16;
    let x = if bf16 {
        x.to_kind(Kind::Float).contiguous()
    } else {
        x.contiguous()
    };
    let bias = bias.map(|b| {
        if bf16 {
            b.to_kind(Kind::Float)
        } else {
            b.shallow_clone()
        }
    });
    // A non-contiguous weight here is the `[out, in]` view of a contiguous `[in, out]` matrix.
    let transposed = !weight.is_contiguous();
    let out = Tensor::empty([rows, out_dim], (Kind::Float, Device::Cpu));
    let (rows, in_dim, out_dim) = (rows as usize, in_dim as usize, out_dim as usize);
    // SAFETY: `x` and `bias` are f32 CPU tensors of `rows * in_dim` and `out_dim` elements and
    // `weight` an f32 (or, when `bf16`, bf16) CPU tensor of `out_dim * in_dim` elements, all
    // contiguous (the weight in its `[out, in]` or, when `transposed`, its `[in, out]` order;
    // checked above) and alive for this call; `out` is a fresh contiguous f32 tensor of
    // `rows * out_dim` elements that nothing else sees until it is returned.
    unsafe {
        let matrices = Matrices {
            x: x.data_ptr() as *const f32,
            weight: weight.data_ptr() as *const u8,
            element: if bf16 { Element::Bf16 } else { Element::F32 },
            scales: None,
            group: in_dim,
            bias: bias.as_ref().map(|b| b.data_ptr() as *const f32),
            out: out.data_ptr() as *mut f32,
            rows,
            in_dim,
            out_dim,
            transposed,
        };
        kernel::run(&matrices);
    }
    // Rounded once, to nearest even, as LibTorch's bf16 GEMM rounds its f32 sums.
    Some(if bf16 {
        out.to_kind(Kind::BFloat16)
    } else {
        out
    })
}

/// `x · weightᵀ + bias` for `x` `[rows, in]` (f32, bf16 or f16) with an int8 weight copy
/// (`[out, in]`, one scale per group of inputs of each output): the weight streamed as int8
/// and widened in registers, the sums of each group in f32, scaled once and added up, then
/// the bias added. `None` where the kernel does
/// not run (no AVX2, more than [`MAX_ROWS`] rows, shapes that do not match). The product has
/// `x`'s kind.
pub(crate) fn try_project_int8(
    x: &Tensor,
    weight: &crate::common::quantize::Int8Weight,
    bias: Option<&Tensor>,
) -> Option<Tensor> {
    if !kernel::available() || x.device() != Device::Cpu {
        return None;
    }
    let (rows, in_dim) = match x.size().as_slice() {
        [rows, in_dim] => (*rows, *in_dim),
        _ => return None,
    };
    let (out_dim, weight_in) = match weight.values.size().as_slice() {
        [out_dim, weight_in] => (*out_dim, *weight_in),
        _ => return None,
    };
    if !(1..=MAX_ROWS).contains(&rows)
        || in_dim != weight_in
        || in_dim == 0
        || out_dim == 0
        || bias.is_some_and(|b| b.size() != [out_dim] || b.device() != Device::Cpu)
        || weight.values.kind() != Kind::Int8
        || !weight.values.is_contiguous()
        || !(weight.group == in_dim || (weight.group % 8 == 0 && in_dim % weight.group == 0))
        || weight.scales.size() != [out_dim, in_dim / weight.group]
    {
        return None;
    }
    let kind = x.kind();
    let x = x.to_kind(Kind::Float).contiguous();
    let bias = bias.map(|b| b.to_kind(Kind::Float).contiguous());
    let out = Tensor::empty([rows, out_dim], (Kind::Float, Device::Cpu));
    // SAFETY: `x` (`rows * in_dim`), `bias` (`out_dim`) and the scales (`out_dim`) are
    // contiguous f32 CPU tensors and the weight a contiguous int8 `[out_dim, in_dim]` one, all
    // alive for this call; `out` is a fresh contiguous f32 tensor that nothing else sees yet.
    unsafe {
        let matrices = Matrices {
            x: x.data_ptr() as *const f32,
            weight: weight.values.data_ptr() as *const u8,
            element: Element::I8,
            scales: Some(weight.scales.data_ptr() as *const f32),
            group: weight.group as usize,
            bias: bias.as_ref().map(|b| b.data_ptr() as *const f32),
            out: out.data_ptr() as *mut f32,
            rows: rows as usize,
            in_dim: in_dim as usize,
            out_dim: out_dim as usize,
            transposed: false,
        };
        kernel::run(&matrices);
    }
    Some(if kind == Kind::Float {
        out
    } else {
        out.to_kind(kind)
    })
}

/// How the weight's elements are stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Element {
    F32,
    Bf16,
    /// Int8 codes, with f32 scales per group of inputs of each output in `Matrices::scales`.
    I8,
}

/// Raw views of the operands (see the safety note in [`try_project`]).
struct Matrices {
    x: *const f32,
    /// The weight's first byte, elements as `element` says.
    weight: *const u8,
    /// The weight's element type (the inputs, bias and output are f32 either way).
    element: Element,
    /// Scales of an int8 weight (`[out, in]` layout only): `[out, in / group]`, one per
    /// `group` consecutive inputs of each output.
    scales: Option<*const f32>,
    /// Inputs per scale of an int8 weight (a multiple of 8 dividing `in_dim`, or `in_dim`).
    group: usize,
    bias: Option<*const f32>,
    out: *mut f32,
    rows: usize,
    in_dim: usize,
    out_dim: usize,
    /// The weight is stored `[in, out]` (row `i` holds input feature `i`'s weights).
    transposed: bool,
}

/// The kernel and its threading: x86-64 with LibTorch's libgomp (torch-sys links it on every
/// target but MSVC and Apple).
#[cfg(all(
    target_arch = "x86_64",
    not(target_env = "msvc"),
    not(target_vendor = "apple")
))]
mod kernel {
    use super::{Matrices, COLUMN_BLOCK, FEATURE_BLOCK, ROW_BLOCK, WEIGHT_BLOCK};
    use std::sync::OnceLock;

    /// Whether this CPU runs the kernel (AVX2 and FMA), detected once.
    pub(super) fn available() -> bool {
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        })
    }

    // LibTorch's own OpenMP runtime.
    extern "C" {
        fn GOMP_parallel(
            body: extern "C" fn(*mut std::ffi::c_void),
            data: *mut std::ffi::c_void,
            num_threads: std::ffi::c_uint,
            flags: std::ffi::c_uint,
        );
        fn omp_get_thread_num() -> std::ffi::c_int;
        fn omp_get_num_threads() -> std::ffi::c_int;
    }

    /// One thread's share of the output columns: whole weight (or column) blocks, thread
    /// `index` of `threads`.
    fn share(m: &Matrices, index: usize, threads: usize) -> (usize, usize) {
        let block = if m.transposed {
            COLUMN_BLOCK
        } else {
            WEIGHT_BLOCK
        };
        let size = m.out_dim.div_ceil(threads.max(1)).div_ceil(block) * block;
        let start = (index * size).min(m.out_dim);
        (start, (start + size).min(m.out_dim))
    }

    /// The body each thread of the OpenMP team runs: its share of the columns.
    extern "C" fn team_body(data: *mut std::ffi::c_void) {
        // SAFETY: `data` is the `Matrices` that `run` passed, alive until GOMP_parallel returns;
        // the OpenMP calls only read the team's numbering.
        unsafe {
            let m = &*(data as *const Matrices);
            let index = omp_get_thread_num().max(0) as usize;
            let threads = omp_get_num_threads().max(1) as usize;
            let (start, end) = share(m, index, threads);
            if start < end {
                columns(m, start, end);
            }
        }
    }

    /// Runs the kernel over every output column, split among LibTorch's threads.
    ///
    /// The split runs on LibTorch's own OpenMP team (the threads its operations use, idle while
    /// this runs): a separate pool would compete for the cores with OpenMP workers still spinning
    /// after LibTorch's last operation, which made a Marian decoding step slower than without the
    /// kernel; on the same team the workers are already awake.
    ///
    /// # Safety
    /// The pointers of `m` must be valid as described in [`try_project`](super::try_project).
    pub(super) unsafe fn run(m: &Matrices) {
        let threads = tch::get_num_threads().max(1) as usize;
        // Small products are not worth waking a second thread.
        let work = m.rows * m.in_dim * m.out_dim;
        if threads == 1 || work < (1 << 16) {
            columns(m, 0, m.out_dim);
            return;
        }
        GOMP_parallel(
            team_body,
            m as *const Matrices as *mut std::ffi::c_void,
            threads as std::ffi::c_uint,
            0,
        );
    }

    /// Output columns `start..end` of every row, by the kernel of the weight's layout and kind.
    ///
    /// # Safety
    /// As [`run`]; `start..end` within the output columns; the CPU must support AVX2 and FMA.
    unsafe fn columns(m: &Matrices, start: usize, end: usize) {
        match (m.transposed, m.element) {
            (true, super::Element::F32) => kernel_avx2_t::<f32>(m, start, end),
            (true, super::Element::Bf16) => kernel_avx2_t::<Bf16>(m, start, end),
            // Int8 copies are made in the `[out, in]` layout (`try_project_int8` says so).
            (_, super::Element::I8) => kernel_avx2::<I8>(m, start, end),
            (false, super::Element::F32) => kernel_avx2::<f32>(m, start, end),
            (false, super::Element::Bf16) => kernel_avx2::<Bf16>(m, start, end),
        }
    }

    /// A weight element as the kernels read it: an f32, or a bf16 or int8 widened to f32 in
    /// registers.
    trait Element: Copy {
        /// How the element is stored.
        const KIND: super::Element;
    }

    impl Element for f32 {
        const KIND: super::Element = super::Element::F32;
    }

    /// An int8 code (scaled per output after the sums).
    #[derive(Clone, Copy)]
    #[repr(transparent)]
    struct I8(#[allow(dead_code)] i8);

    impl Element for I8 {
        const KIND: super::Element = super::Element::I8;
    }

    /// The bits of a bf16 value.
    #[derive(Clone, Copy)]
    #[repr(transparent)]
    struct Bf16(#[allow(dead_code)] u16);

    impl Element for Bf16 {
        const KIND: super::Element = super::Element::Bf16;
    }

    /// Eight weights from `p`, as f32.
    ///
    /// # Safety
    /// `p` must point to eight readable elements; the CPU must support AVX2.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn load8<W: Element>(p: *const W) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        match W::KIND {
            super::Element::Bf16 => {
                // Zero-extended to 32 bits, then shifted into the top half: the same value as f32.
                let halves = _mm_loadu_si128(p.cast());
                _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(halves)))
            }
            // Sign-extended to 32 bits, then converted (exact: |q| <= 127).
            super::Element::I8 => {
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(p.cast())))
            }
            super::Element::F32 => _mm256_loadu_ps(p.cast()),
        }
    }

    /// One weight from `p`, as f32.
    ///
    /// # Safety
    /// `p` must point to a readable element.
    #[inline]
    unsafe fn scalar<W: Element>(p: *const W) -> f32 {
        match W::KIND {
            super::Element::Bf16 => f32::from_bits(u32::from(*p.cast::<u16>()) << 16),
            super::Element::I8 => f32::from(*p.cast::<i8>()),
            super::Element::F32 => *p.cast::<f32>(),
        }
    }

    /// Output columns `start..end` of every row for a weight stored `[in, out]`: the weight is
    /// read in its own order, twelve input features' rows (this thread's columns of them) at a
    /// time; each output vector of each input row takes the twelve scaled weight vectors in one
    /// read-modify-write, while the output rows (`rows x (end - start)` floats) stay in cache and
    /// the weight streams from memory once. Measured with weights out of cache (24 matrices
    /// 768 x 3072, 2 threads): as fast as the `[out, in]` kernel within noise; one feature at a
    /// time was 1.5-2.3x slower (too few misses in flight), reading the weight column block by
    /// column block (sums in registers) 2-3x slower (a page apart per feature). On the whole
    /// GPT-2 benchmark it still runs 15-30% behind the old column-major copy of the weight.    ///
    /// # Safety
    /// As [`run`]; `start..end` within the output columns; the CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn kernel_avx2_t<W: Element>(m: &Matrices, start: usize, end: usize) {
        use std::arch::x86_64::*;
        let (k, out_dim) = (m.in_dim, m.out_dim);
        let weight = m.weight.cast::<W>();
        let vector_end = start + (end - start) / 8 * 8;
        for r in 0..m.rows {
            let out = m.out.add(r * out_dim);
            for c in start..end {
                *out.add(c) = m.bias.map_or(0.0, |b| *b.add(c));
            }
        }
        // Broadcast input features of the current block, one row per input row; built once and
        // refilled for the rows in use at each block (not re-zeroed: 12 KB per block).
        let mut scales = [[_mm256_setzero_ps(); FEATURE_BLOCK]; super::MAX_ROWS as usize];
        let mut i = 0;
        while i < k {
            // Features past the end repeat the last one's weights with a zero scale.
            let f_valid = (k - i).min(FEATURE_BLOCK);
            let w: [*const W; FEATURE_BLOCK] =
                std::array::from_fn(|f| weight.add((i + f.min(f_valid - 1)) * out_dim));
            for (r, row_scales) in scales.iter_mut().enumerate().take(m.rows) {
                let x = m.x.add(r * k + i);
                for (f, scale) in row_scales.iter_mut().enumerate() {
                    *scale = if f < f_valid {
                        _mm256_set1_ps(*x.add(f))
                    } else {
                        _mm256_setzero_ps()
                    };
                }
            }
            let mut c = start;
            while c < vector_end {
                let wv: [__m256; FEATURE_BLOCK] = std::array::from_fn(|f| load8(w[f].add(c)));
                for (r, row_scales) in scales.iter().enumerate().take(m.rows) {
                    let o = m.out.add(r * out_dim + c);
                    let mut acc = _mm256_loadu_ps(o);
                    for f in 0..FEATURE_BLOCK {
                        acc = _mm256_fmadd_ps(wv[f], row_scales[f], acc);
                    }
                    _mm256_storeu_ps(o, acc);
                }
                c += 8;
            }
            for c in vector_end..end {
                for r in 0..m.rows {
                    let x = m.x.add(r * k + i);
                    for (f, row) in w.iter().enumerate().take(f_valid) {
                        *m.out.add(r * out_dim + c) += scalar(row.add(c)) * *x.add(f);
                    }
                }
            }
            i += FEATURE_BLOCK;
        }
    }

    /// Horizontal sum of the eight lanes.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn lane_sum(v: std::arch::x86_64::__m256) -> f32 {
        use std::arch::x86_64::*;
        let pair = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let pair = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
        _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1)))
    }

    /// One block of the `[out, in]` kernel: weight rows `n..n + n_valid` (padded to
    /// [`WEIGHT_BLOCK`] rows by repeating the last) met with input rows `r..r + R`.
    struct Block<'a, W> {
        w: &'a [*const W; WEIGHT_BLOCK],
        n: usize,
        n_valid: usize,
        r: usize,
        /// Prefetch the weight ahead (the first input rows of the block do).
        prefetch: bool,
    }

    /// The sums of one [`Block`], `R` input rows at once: `WEIGHT_BLOCK x R` eight-float
    /// accumulators, each weight vector loaded (and for bf16 widened) once for the `R` rows.
    ///
    /// # Safety
    /// As [`kernel_avx2`]; the block's rows within the operands.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn row_block<W: Element, const R: usize>(m: &Matrices, b: &Block<'_, W>) {
        use std::arch::x86_64::*;
        let (k, w, n) = (m.in_dim, b.w, b.n);
        let k_vector = k / 8 * 8;
        // Weight elements per 64-byte cache line: one prefetch per line.
        let line = 64 / std::mem::size_of::<W>();
        // The weight rows of the block after next are prefetched into L2 (not L1, where they
        // would push out the input rows) while the first input rows are met: the weight comes from
        // memory once, the inputs stay in cache. Into L2 measured 10-50% faster than into L1 on
        // the heads of Marian (24 rows), BART (6) and T5 (8).
        let prefetch_distance = 2 * WEIGHT_BLOCK * k;
        let prefetch_limit = m.out_dim * k;
        let x: [*const f32; R] = std::array::from_fn(|j| m.x.add((b.r + j) * k));
        // Int8 weights: each weight vector is widened and multiplied by its group's scale in
        // registers (a second set of accumulators per group would not fit the sixteen AVX2
        // registers); f32 and bf16 weights are one group with scale 1.
        let int8 = W::KIND == super::Element::I8;
        let group = if int8 { m.group } else { k.max(1) };
        let scale_rows: [*const f32; WEIGHT_BLOCK] = std::array::from_fn(|i| match m.scales {
            Some(scales) if int8 => scales.add((n + i.min(b.n_valid - 1)) * (k / group)),
            _ => std::ptr::null(),
        });
        let scale = |i: usize, g: usize| if int8 { *scale_rows[i].add(g) } else { 1.0 };
        let mut acc = [[_mm256_setzero_ps(); R]; WEIGHT_BLOCK];
        let mut kk = 0;
        while kk < k_vector {
            // The group's end is found once, not tested per step (a division by the run-time
            // group size in the inner loop nearly doubled Marian's int8 step time).
            let group_end = (kk + group).min(k_vector);
            let scales =
                std::array::from_fn::<_, WEIGHT_BLOCK, _>(|i| _mm256_set1_ps(scale(i, kk / group)));
            while kk < group_end {
                if b.prefetch && kk % line == 0 {
                    for (i, row) in w.iter().enumerate() {
                        let offset = (n + i) * k + kk + prefetch_distance;
                        if offset < prefetch_limit {
                            _mm_prefetch::<_MM_HINT_T1>(row.add(kk + prefetch_distance).cast());
                        }
                    }
                }
                let (mut w0, mut w1, mut w2) = (
                    load8(w[0].add(kk)),
                    load8(w[1].add(kk)),
                    load8(w[2].add(kk)),
                );
                if int8 {
                    w0 = _mm256_mul_ps(w0, scales[0]);
                    w1 = _mm256_mul_ps(w1, scales[1]);
                    w2 = _mm256_mul_ps(w2, scales[2]);
                }
                for j in 0..R {
                    let xv = _mm256_loadu_ps(x[j].add(kk));
                    acc[0][j] = _mm256_fmadd_ps(w0, xv, acc[0][j]);
                    acc[1][j] = _mm256_fmadd_ps(w1, xv, acc[1][j]);
                    acc[2][j] = _mm256_fmadd_ps(w2, xv, acc[2][j]);
                }
                kk += 8;
            }
        }
        for (i, row_acc) in acc.iter().enumerate().take(b.n_valid) {
            let bias = m.bias.map_or(0.0, |bias| *bias.add(n + i));
            for (j, lanes) in row_acc.iter().enumerate() {
                let mut sum = lane_sum(*lanes);
                // Inputs past the last multiple of 8 (for int8, only in a group spanning every
                // input).
                for t in k_vector..k {
                    sum += scalar(w[i].add(t)) * scale(i, t / group) * *x[j].add(t);
                }
                *m.out.add((b.r + j) * m.out_dim + n + i) = sum + bias;
            }
        }
    }

    /// Output columns `start..end` of every row. Blocks at the right edge reuse the last valid
    /// weight row (its extra results are not stored), so every load stays inside the operands.
    ///
    /// # Safety
    /// As [`run`]; `start..end` within the output columns; the CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn kernel_avx2<W: Element>(m: &Matrices, start: usize, end: usize) {
        let k = m.in_dim;
        let weight = m.weight.cast::<W>();
        let mut n = start;
        while n < end {
            let n_valid = (end - n).min(WEIGHT_BLOCK);
            let w: [*const W; WEIGHT_BLOCK] =
                std::array::from_fn(|i| weight.add((n + i.min(n_valid - 1)) * k));
            let mut r = 0;
            while r < m.rows {
                // A block of as many input rows as are left (up to four), so that one or two
                // rows (greedy generation) do not pay for four rows' sums.
                let block = Block {
                    w: &w,
                    n,
                    n_valid,
                    r,
                    prefetch: r == 0,
                };
                let rows = (m.rows - r).min(ROW_BLOCK);
                match rows {
                    1 => row_block::<W, 1>(m, &block),
                    2 => row_block::<W, 2>(m, &block),
                    3 => row_block::<W, 3>(m, &block),
                    _ => row_block::<W, ROW_BLOCK>(m, &block),
                }
                r += rows;
            }
            n += WEIGHT_BLOCK;
        }
    }
}

/// Other targets: the route is off and LibTorch computes every product.
#[cfg(not(all(
    target_arch = "x86_64",
    not(target_env = "msvc"),
    not(target_vendor = "apple")
)))]
mod kernel {
    pub(super) fn available() -> bool {
        false
    }

    /// Never called: [`available`] is false.
    pub(super) unsafe fn run(_: &super::Matrices) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_libtorch_on_edge_shapes() {
        let _guard = tch::no_grad_guard();
        for (rows, in_dim, out_dim) in [
            (1, 1, 1),
            (1, 7, 5),
            (5, 13, 4),
            (32, 64, 700),
            (7, 520, 2000),
            (6, 768, 2304),
            (13, 33, 35),
        ] {
            let x = Tensor::randn([rows, in_dim], (Kind::Float, Device::Cpu));
            let w = Tensor::randn([out_dim, in_dim], (Kind::Float, Device::Cpu));
            let b = Tensor::randn([out_dim], (Kind::Float, Device::Cpu));
            // The `[out, in]` layout, then the `[in, out]` one (a Conv1D weight's transpose).
            let conv1d = w.tr().contiguous();
            for weight in [w.shallow_clone(), conv1d.tr()] {
                let Some(out) = try_project(&x, &weight, Some(&b)) else {
                    assert!(!kernel::available());
                    return;
                };
                let expected = x.matmul(&w.tr()) + &b;
                let diff = (out - expected).abs().max().double_value(&[]);
                assert!(
                    diff < 1e-4 * (in_dim as f64).sqrt(),
                    "{rows}x{in_dim}x{out_dim} (contiguous {}): {diff}",
                    weight.is_contiguous()
                );
            }
        }
    }

    /// bf16 weights: the kernel's output is LibTorch's f32 product of the same bf16 operands
    /// (`x`, weight and bias widened to f32) rounded to bf16, to within one bf16 ulp (sums in
    /// another order can round the other way on a tie), on shapes whose rows, inputs and outputs
    /// are not multiples of the kernel's blocks, with and without bias, in both weight layouts.
    #[test]
    fn bf16_equals_libtorch_f32_product_within_one_bf16_ulp() {
        let _guard = tch::no_grad_guard();
        if !kernel::available() {
            return;
        }
        let bf16 = |t: Tensor| t.to_kind(Kind::BFloat16);
        let (mut elements, mut rounded_alike, mut worst_ulps) = (0i64, 0i64, 0f64);
        for (rows, in_dim, out_dim) in [
            (1, 1, 1),
            (1, 7, 5),
            (2, 9, 17),
            (5, 13, 4),
            (3, 100, 33),
            (13, 33, 35),
            (7, 520, 2000),
            (31, 64, 77),
            (32, 64, 700),
            (1, 1000, 301),
        ] {
            let x = bf16(Tensor::randn([rows, in_dim], (Kind::Float, Device::Cpu)));
            let w = bf16(Tensor::randn([out_dim, in_dim], (Kind::Float, Device::Cpu)));
            let b = bf16(Tensor::randn([out_dim], (Kind::Float, Device::Cpu)));
            let conv1d = w.tr().contiguous();
            for bias in [Some(&b), None] {
                let exact = x.to_kind(Kind::Float).matmul(&w.to_kind(Kind::Float).tr());
                let exact = match bias {
                    Some(b) => exact + b.to_kind(Kind::Float),
                    None => exact,
                };
                for weight in [w.shallow_clone(), conv1d.tr()] {
                    let label = format!(
                        "{rows}x{in_dim}x{out_dim} bias {} contiguous {}",
                        bias.is_some(),
                        weight.is_contiguous()
                    );
                    let out = try_project(&x, &weight, bias).expect(&label);
                    assert_eq!(out.kind(), Kind::BFloat16, "{label}");
                    assert_eq!(out.size(), [rows, out_dim], "{label}");
                    let out = out.to_kind(Kind::Float);
                    // One bf16 ulp at each exact value: 2^(exponent - 7) (8 significant bits),
                    // plus f32 rounding of the sums for values near zero.
                    let ulp = (exact.abs().log2().floor() - 7.0).exp2();
                    let slack = 1e-6 * in_dim as f64;
                    let excess = ((&out - &exact).abs() - &ulp - slack)
                        .max()
                        .double_value(&[]);
                    assert!(excess <= 0.0, "{label}: {excess} past one ulp");
                    // In ulps where the sum is not a cancellation (|exact| >= 1; f32 rounding
                    // of the sums can dominate below).
                    let ulps = ((&out - &exact).abs() / &ulp).masked_select(&exact.abs().ge(1.0));
                    if ulps.numel() > 0 {
                        worst_ulps = worst_ulps.max(ulps.max().double_value(&[]));
                    }
                    elements += out.numel() as i64;
                    rounded_alike += out
                        .eq_tensor(&exact.to_kind(Kind::BFloat16).to_kind(Kind::Float))
                        .sum(Kind::Int64)
                        .int64_value(&[]);
                }
            }
        }
        // Nearly every element is LibTorch's own rounding of the exact sum.
        assert!(
            rounded_alike as f64 >= 0.99 * elements as f64,
            "{rounded_alike} of {elements} rounded as LibTorch (worst {worst_ulps} ulp)"
        );
        println!("{rounded_alike} of {elements} rounded as LibTorch, worst {worst_ulps} ulp");
    }

    /// Kinds the kernel does not take (f16, mixed kinds) and bf16 weights wanting gradients go
    /// to LibTorch; the kernel leaves grad mode as it found it.
    #[test]
    fn bf16_route_leaves_other_kinds_and_gradients_to_libtorch() {
        let x = Tensor::randn([3, 16], (Kind::Float, Device::Cpu));
        let w = Tensor::randn([8, 16], (Kind::Float, Device::Cpu));
        let (xb, wb) = (x.to_kind(Kind::BFloat16), w.to_kind(Kind::BFloat16));
        let wg = wb.copy().set_requires_grad(true);
        assert!(try_project(&xb, &wg, None).is_none());
        let out = crate::common::layers::linear::project(&xb, &wg, None);
        out.sum(Kind::Float).backward();
        assert_eq!(wg.grad().size(), [8, 16]);
        let _guard = tch::no_grad_guard();
        let half = |t: &Tensor| t.to_kind(Kind::Half);
        assert!(try_project(&half(&x), &half(&w), None).is_none());
        assert!(try_project(&x, &wb, None).is_none());
        assert!(try_project(&xb, &w, None).is_none());
        let b = Tensor::zeros([8], (Kind::Float, Device::Cpu));
        assert!(try_project(&xb, &wb, Some(&b)).is_none());
        assert_eq!(try_project(&xb, &wb, None).is_some(), kernel::available());
        assert!(!grad_enabled());
        drop(_guard);
        assert!(grad_enabled());
        // project() in bf16 gives bf16 by whichever route.
        let got = crate::common::layers::linear::project(&xb, &wb, None);
        assert_eq!(got.kind(), Kind::BFloat16);
        let expected = xb
            .to_kind(Kind::Float)
            .matmul(&wb.to_kind(Kind::Float).tr());
        let diff = (got.to_kind(Kind::Float) - expected)
            .abs()
            .max()
            .double_value(&[]);
        assert!(diff < 0.1, "{diff}");
    }

    #[test]
    fn leaves_gradients_and_other_layouts_to_libtorch() {
        let x = Tensor::randn([3, 16], (Kind::Float, Device::Cpu));
        let w = Tensor::randn([8, 16], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        // Grad mode on and a weight that wants gradients: LibTorch's product, which autograd
        // can differentiate.
        assert!(try_project(&x, &w, None).is_none());
        let out = crate::common::layers::linear::project(&x, &w, None);
        out.sum(Kind::Float).backward();
        assert_eq!(w.grad().size(), [8, 16]);
        let _guard = tch::no_grad_guard();
        assert_eq!(try_project(&x, &w, None).is_some(), kernel::available());
        // A weight that is no layout of a contiguous matrix, another kind, too many rows: not
        // this route.
        let wt = Tensor::randn([16, 16], (Kind::Float, Device::Cpu)).slice(0, 0, 16, 2);
        assert!(try_project(&x, &wt, None).is_none());
        assert!(try_project(&x.to_kind(Kind::Double), &w.to_kind(Kind::Double), None).is_none());
        let many = Tensor::randn([MAX_ROWS + 1, 16], (Kind::Float, Device::Cpu));
        assert!(try_project(&many, &w, None).is_none());
        let expected = x.matmul(&wt.tr());
        let got = crate::common::layers::linear::project(&x, &wt, None);
        assert!((got - expected).abs().max().double_value(&[]) < 1e-5);
    }

    /// Several threads projecting at once, each through its own copy of the weights (as the
    /// server's pipelines do, each on its own thread, with no lock between them), get exactly
    /// the results of one thread alone, in both weight layouts.
    #[test]
    fn threads_at_once_get_the_single_thread_results() {
        for kind in [Kind::Float, Kind::BFloat16] {
            threads_at_once(kind);
        }
    }

    fn threads_at_once(kind: Kind) {
        let _guard = tch::no_grad_guard();
        if !kernel::available() {
            return;
        }
        let data = |t: &Tensor| Vec::<f32>::try_from(t.to_kind(Kind::Float).reshape([-1])).unwrap();
        let w = Tensor::randn([2304, 768], (Kind::Float, Device::Cpu));
        let b = Tensor::randn([2304], (Kind::Float, Device::Cpu));
        let (w_data, b_data) = (data(&w), data(&b));
        let inputs: Vec<Vec<f32>> = (1..=8)
            .map(|rows| data(&Tensor::randn([rows, 768], (Kind::Float, Device::Cpu))))
            .collect();
        // The weights in both layouts, the inputs, from plain data (tensors are not `Sync`).
        let build = || {
            let w = Tensor::from_slice(&w_data).view([2304, 768]).to_kind(kind);
            let conv1d = w.tr().contiguous().tr();
            let b = Tensor::from_slice(&b_data).to_kind(kind);
            let x: Vec<Tensor> = inputs
                .iter()
                .map(|x| Tensor::from_slice(x).view([-1, 768]).to_kind(kind))
                .collect();
            (w, conv1d, b, x)
        };
        let alone: Vec<Vec<f32>> = {
            let (w, conv1d, b, x) = build();
            x.iter()
                .flat_map(|x| [&w, &conv1d].map(|weight| try_project(x, weight, Some(&b)).unwrap()))
                .map(|t| data(&t))
                .collect()
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|thread| {
                    let (build, alone) = (&build, &alone);
                    scope.spawn(move || {
                        let _guard = tch::no_grad_guard();
                        let (w, conv1d, b, x) = build();
                        for round in 0..20 {
                            // Each thread walks the inputs in its own order.
                            let k = (thread * 3 + round) % x.len();
                            for (layout, weight) in [&w, &conv1d].into_iter().enumerate() {
                                let out = try_project(&x[k], weight, Some(&b)).unwrap();
                                assert_eq!(
                                    data(&out),
                                    alone[2 * k + layout],
                                    "{kind:?}: thread {thread} input {k}"
                                );
                            }
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
        });
    }
}
