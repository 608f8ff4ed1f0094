//! The few-row kernel (`common::few_rows`, reached through `project`) on GPT-J's shapes, weights
//! out of cache, one to eight rows (a generation step, greedy or a few beams): bf16 weights
//! through the kernel against LibTorch's bf16 `linear` (oneDNN) and against the f32 kernel on
//! the f32 copy of the same weights, the three timed back to back in one process so that the
//! machine's load weighs on them alike. `BENCH_THREADS` threads (default 2), `BENCH_ROWS`
//! (default `1,4,8`), `BENCH_REPEATS` (default 15, 7 for the largest shapes). Prints the median
//! and fastest time of each and their ratios.
use rust_bert::common::layers::linear::project;
use std::time::Instant;
use tch::{Device, Kind, Tensor};

/// The median and the fastest of `times`: on a loaded machine the fastest shows what the code
/// can do, the median what it met.
fn summary(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0])
}

/// A timed case: its name, the product, and the bytes of weight it reads per element.
type Case<'a> = (&'a str, Box<dyn Fn() -> Tensor + 'a>, f64);

fn main() {
    let threads = std::env::var("BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let rows: Vec<i64> = std::env::var("BENCH_ROWS")
        .unwrap_or_else(|_| "1,4,8".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    tch::set_num_threads(threads);
    let _guard = tch::no_grad_guard();
    // Read between timed calls, so that each call finds its weight in memory, not in cache.
    let scrub = Tensor::ones([32 << 20], (Kind::Float, Device::Cpu));
    println!("threads {threads}; median/fastest ms (GB/s of weight read at the fastest)");
    for (out_dim, in_dim) in [(4096, 4096), (16384, 4096), (4096, 16384), (50400, 4096)] {
        let w32 = Tensor::randn([out_dim, in_dim], (Kind::Float, Device::Cpu)) * 0.02;
        let w16 = w32.to_kind(Kind::BFloat16);
        let repeats = std::env::var("BENCH_REPEATS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(if out_dim * in_dim > 100 << 20 { 7 } else { 15 });
        for &r in &rows {
            let x32 = Tensor::randn([r, in_dim], (Kind::Float, Device::Cpu));
            let x16 = x32.to_kind(Kind::BFloat16);
            let cases: [Case; 3] = [
                ("bf16 kernel", Box::new(|| project(&x16, &w16, None)), 2.0),
                (
                    "bf16 linear",
                    Box::new(|| x16.linear::<Tensor>(&w16, None)),
                    2.0,
                ),
                ("f32 kernel", Box::new(|| project(&x32, &w32, None)), 4.0),
            ];
            let mut times = vec![Vec::new(); cases.len()];
            for _ in 0..repeats {
                for (i, (_, run, _)) in cases.iter().enumerate() {
                    let _ = scrub.sum(Kind::Float).double_value(&[]);
                    let start = Instant::now();
                    let out = run();
                    let _ = out.numel();
                    times[i].push(start.elapsed().as_secs_f64() * 1e3);
                }
            }
            let summaries: Vec<(f64, f64)> = times.into_iter().map(summary).collect();
            let line: Vec<String> = cases
                .iter()
                .zip(&summaries)
                .map(|((name, _, bytes), (median, fastest))| {
                    let gbs = (out_dim * in_dim) as f64 * bytes / (fastest * 1e6);
                    format!("{name} {median:.2}/{fastest:.2} ({gbs:.1})")
                })
                .collect();
            let ratio = |i: usize, j: usize| {
                (
                    summaries[i].0 / summaries[j].0,
                    summaries[i].1 / summaries[j].1,
                )
            };
            let ((lm, lf), (fm, ff)) = (ratio(0, 1), ratio(0, 2));
            println!(
                "{out_dim}x{in_dim} rows {r}: {}; kernel/linear {lm:.2}/{lf:.2}, \
                 kernel/f32 {fm:.2}/{ff:.2}",
                line.join(", ")
            );
        }
    }
}
