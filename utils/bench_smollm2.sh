#!/usr/bin/env bash
# Runs the Criterion SmolLM2-135M-Instruct benchmark (the real Q4_1 GGUF in f32, greedy 128
# tokens at batch 1 and 8), its HF twin and, when the llama-cpp-python package is installed,
# llama.cpp on the same file; prints the medians and the ratios Rust / HF (issue 20's goal:
# <= 0.5) and Rust / llama.cpp (batch 1). Both sides use BENCH_THREADS threads (default 2).
# llama-cpp-python compiles llama.cpp (many minutes) and is not in requirements.txt; install it
# with LLAMA_CPP_INSTALL=1 or by hand:
#   CMAKE_BUILD_PARALLEL_LEVEL=2 .venv/bin/pip install llama-cpp-python==0.3.36
# Usage: ./utils/bench_smollm2.sh [python samples, default 3]   (BENCH_QUICK=1: a smoke run,
# Criterion's --quick and one Python sample)
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_THREADS="${BENCH_THREADS:-2}"
quick=(); samples="${1:-3}"
if [ -n "${BENCH_QUICK:-}" ]; then quick=(--quick); samples=1; fi
if [ -n "${LLAMA_CPP_INSTALL:-}" ] && ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" .venv/bin/pip install llama-cpp-python==0.3.36 >&2
fi
cargo bench --bench smollm2 -- --noplot "${quick[@]}" >/dev/null
hf_json=$(.venv/bin/python utils/bench_smollm2.py "$samples" 2>/dev/null | tail -n 1)
llama_cpp_json=null
if .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  llama_cpp_json=$(.venv/bin/python utils/bench_llama_cpp.py "$samples" 2>/dev/null | tail -n 1)
else
  echo "llama-cpp-python is not installed: no llama.cpp row (LLAMA_CPP_INSTALL=1 installs it)" >&2
fi
.venv/bin/python - "$hf_json" "$llama_cpp_json" "${CARGO_TARGET_DIR:-target}" <<'PY'
import json, sys
hf, cpp, target = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
def rust(name):
    with open(f"{target}/criterion/smollm2/{name}/new/estimates.json") as f:
        return json.load(f)["median"]["point_estimate"] / 1e9
print(f"torch threads: {hf['torch_threads']}, HF attention: {hf['attn_implementation']}, "
      f"HF prompt lengths: {hf['prompt_lengths']}")
if cpp:
    print(f"llama.cpp {cpp['llama_cpp_version']}, {cpp['threads']} threads, prompt length {cpp['prompt_length']}")
print("| benchmark | Rust median | other median | Rust / other |")
print("|---|---|---|---|")
for name, label in [("greedy_128_b1", "batch 1"), ("greedy_128_b8", "batch 8")]:
    r, p = rust(name), hf[f"smollm2_{name}"]
    print(f"| SmolLM2-135M f32 greedy 128 tokens, {label} (vs HF f32) | {r:.2f} s | {p:.2f} s | {r/p:.2f} |")
if cpp:
    r, c = rust("greedy_128_b1"), cpp["llama_cpp_greedy_128_b1"]
    print(f"| SmolLM2-135M greedy 128 tokens, batch 1 (vs llama.cpp, Q4_1) | {r:.2f} s | {c:.2f} s | {r/c:.2f} |")
PY
