"""Helpers of the Python twins of the LLM benches (bench_gpt_j.py, bench_smollm2.py,
bench_llama_1b.py, bench_llama_cpp.py): thread count and median timing."""
import os
import statistics
import time


def threads():
    """BENCH_THREADS (default 2): the thread count the Rust benches set too."""
    return int(os.environ.get("BENCH_THREADS", "2"))


def median_time(fn, samples, warmup=1):
    """Median wall time of `samples` calls of fn after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
