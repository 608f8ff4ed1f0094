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
fn grad_enabled() -> bool {
    // SAFETY: the two calls only read and restore LibTorch's thread-local grad-mode flag.
    unsafe {
        let previous = torch_sys::at_grad_set_enabled(0);
        torch_sys::at_grad_set_enabled(previous);
        previous != 0
    }
}

/// `x · weightᵀ + bias` for `x` `[rows, in]` through the few-row kernel, or `None` when the
/// route does not apply: not an x86-64 CPU with AVX2 and FMA, tensors not f32 on the CPU,
/// more than [`MAX_ROWS`] rows, shapes that do not match, a weight `[out, in]` that is neither
/// contiguous nor the transpose of a contiguous `[in, out]` (a `Conv1D` weight), or autograd
/// needing the product (grad mode on and a tensor requiring gradients).
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
    let all_f32_cpu = std::iter::once(x)
        .chain(std::iter::once(weight))
        .chain(bias)
        .all(|t| t.kind() == Kind::Float && t.device() == Device::Cpu);
    if !all_f32_cpu
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
    let x = x.contiguous();
    // A non-contiguous weight here is the `[out, in]` view of a contiguous `[in, out]` matrix.
    let transposed = !weight.is_contiguous();
    let out = Tensor::empty([rows, out_dim], (Kind::Float, Device::Cpu));
    let (rows, in_dim, out_dim) = (rows as usize, in_dim as usize, out_dim as usize);
    // SAFETY: `x`, `weight` and `bias` are f32 CPU tensors of `rows * in_dim`,
    // `out_dim * in_dim` and `out_dim` elements, contiguous (the weight in its `[out, in]` or,
    // when `transposed`, its `[in, out]` order; checked above) that stay alive for this call;
    // `out` is a fresh contiguous f32 tensor of `rows * out_dim` elements that nothing else
    // sees until it is returned.
    unsafe {
        let matrices = Matrices {
            x: x.data_ptr() as *const f32,
            weight: weight.data_ptr() as *const f32,
            bias: bias.map(|b| b.data_ptr() as *const f32),
            out: out.data_ptr() as *mut f32,
            rows,
            in_dim,
            out_dim,
            transposed,
        };
        kernel::run(&matrices);
    }
    Some(out)
}

/// Raw views of the operands (see the safety note in [`try_project`]).
struct Matrices {
    x: *const f32,
    weight: *const f32,
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

    /// Output columns `start..end` of every row, by the kernel of the weight's layout.
    ///
    /// # Safety
    /// As [`run`]; `start..end` within the output columns; the CPU must support AVX2 and FMA.
    unsafe fn columns(m: &Matrices, start: usize, end: usize) {
        if m.transposed {
            kernel_avx2_t(m, start, end);
        } else {
            kernel_avx2(m, start, end);
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
    unsafe fn kernel_avx2_t(m: &Matrices, start: usize, end: usize) {
        use std::arch::x86_64::*;
        let (k, out_dim) = (m.in_dim, m.out_dim);
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
            let w: [*const f32; FEATURE_BLOCK] =
                std::array::from_fn(|f| m.weight.add((i + f.min(f_valid - 1)) * out_dim));
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
                let wv: [__m256; FEATURE_BLOCK] =
                    std::array::from_fn(|f| _mm256_loadu_ps(w[f].add(c)));
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
                        *m.out.add(r * out_dim + c) += *row.add(c) * *x.add(f);
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

    /// Output columns `start..end` of every row. Blocks at the edges reuse the last valid weight
    /// or input row (their extra results are not stored), so every load stays inside the operands.
    ///
    /// # Safety
    /// As [`run`]; `start..end` within the output columns; the CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn kernel_avx2(m: &Matrices, start: usize, end: usize) {
        use std::arch::x86_64::*;
        let k = m.in_dim;
        let k_vector = k / 8 * 8;
        // The weight rows of the block after next are prefetched into L2 (not L1, where they
        // would push out the input rows) while the first input rows are met: the weight comes from
        // memory once, the inputs stay in cache. Into L2 measured 10-50% faster than into L1 on
        // the heads of Marian (24 rows), BART (6) and T5 (8).
        let prefetch_distance = 2 * WEIGHT_BLOCK * k;
        let prefetch_limit = m.out_dim * k;
        let mut n = start;
        while n < end {
            let n_valid = (end - n).min(WEIGHT_BLOCK);
            let w: [*const f32; WEIGHT_BLOCK] =
                std::array::from_fn(|i| m.weight.add((n + i.min(n_valid - 1)) * k));
            let mut r = 0;
            while r < m.rows {
                let r_valid = (m.rows - r).min(ROW_BLOCK);
                let x: [*const f32; ROW_BLOCK] =
                    std::array::from_fn(|j| m.x.add((r + j.min(r_valid - 1)) * k));
                let mut acc = [[_mm256_setzero_ps(); ROW_BLOCK]; WEIGHT_BLOCK];
                let mut kk = 0;
                while kk < k_vector {
                    if r == 0 && kk % 16 == 0 {
                        for (i, row) in w.iter().enumerate() {
                            let offset = (n + i) * k + kk + prefetch_distance;
                            if offset < prefetch_limit {
                                _mm_prefetch::<_MM_HINT_T1>(row.add(kk + prefetch_distance).cast());
                            }
                        }
                    }
                    let w0 = _mm256_loadu_ps(w[0].add(kk));
                    let w1 = _mm256_loadu_ps(w[1].add(kk));
                    let w2 = _mm256_loadu_ps(w[2].add(kk));
                    for j in 0..ROW_BLOCK {
                        let xv = _mm256_loadu_ps(x[j].add(kk));
                        acc[0][j] = _mm256_fmadd_ps(w0, xv, acc[0][j]);
                        acc[1][j] = _mm256_fmadd_ps(w1, xv, acc[1][j]);
                        acc[2][j] = _mm256_fmadd_ps(w2, xv, acc[2][j]);
                    }
                    kk += 8;
                }
                for (i, row_acc) in acc.iter().enumerate().take(n_valid) {
                    let bias = m.bias.map_or(0.0, |b| *b.add(n + i));
                    for (j, lanes) in row_acc.iter().enumerate().take(r_valid) {
                        let mut sum = lane_sum(*lanes);
                        for t in k_vector..k {
                            sum += *w[i].add(t) * *x[j].add(t);
                        }
                        *m.out.add((r + j) * m.out_dim + n + i) = sum + bias;
                    }
                }
                r += ROW_BLOCK;
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
        let _guard = tch::no_grad_guard();
        if !kernel::available() {
            return;
        }
        let data = |t: &Tensor| Vec::<f32>::try_from(t.reshape([-1])).unwrap();
        let w = Tensor::randn([2304, 768], (Kind::Float, Device::Cpu));
        let b = Tensor::randn([2304], (Kind::Float, Device::Cpu));
        let (w_data, b_data) = (data(&w), data(&b));
        let inputs: Vec<Vec<f32>> = (1..=8)
            .map(|rows| data(&Tensor::randn([rows, 768], (Kind::Float, Device::Cpu))))
            .collect();
        // The weights in both layouts, the inputs, from plain data (tensors are not `Sync`).
        let build = || {
            let w = Tensor::from_slice(&w_data).view([2304, 768]);
            let conv1d = w.tr().contiguous().tr();
            let b = Tensor::from_slice(&b_data);
            let x: Vec<Tensor> = inputs
                .iter()
                .map(|x| Tensor::from_slice(x).view([-1, 768]))
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
                                    "thread {thread} input {k}"
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
