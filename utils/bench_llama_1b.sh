#!/usr/bin/env bash
# Runs the Criterion Llama-3.2-1B-width bf16 benchmark (reduced depth, greedy 32 tokens) and its
# Python twin on the same checkpoint and prints both medians and the ratio Rust / Python
# (issue 20's goal: <= 0.5). The bench writes the 0.8 GB folder once under
# $BENCH_MODELS_DIR (default target/bench_models). Both sides use BENCH_THREADS threads (2).
# Usage: ./utils/bench_llama_1b.sh [python samples, default 3]   (BENCH_QUICK=1: a smoke run,
# Criterion's --quick and one Python sample)
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_MODELS_DIR="${BENCH_MODELS_DIR:-$PWD/target/bench_models}" BENCH_THREADS="${BENCH_THREADS:-2}"
layers="${LLAMA_BENCH_LAYERS:-2}"
quick=(); samples="${1:-3}"
if [ -n "${BENCH_QUICK:-}" ]; then quick=(--quick); samples=1; fi
cargo bench --bench llama_1b -- --noplot "${quick[@]}" >/dev/null
python_json=$(.venv/bin/python utils/bench_llama_1b.py "$BENCH_MODELS_DIR/llama_1b_${layers}l" "$samples" 2>/dev/null | tail -n 1)
.venv/bin/python - "$python_json" "${CARGO_TARGET_DIR:-target}" <<'PY'
import json, sys
py = json.loads(sys.argv[1])
with open(f"{sys.argv[2]}/criterion/llama_1b_bf16/greedy_32/new/estimates.json") as f:
    r = json.load(f)["median"]["point_estimate"] / 1e9
p = py["llama_1b_bf16_greedy_32"]
print(f"torch threads: {py['torch_threads']}, HF attention: {py['attn_implementation']}, layers: {py['layers']}")
print("| benchmark | Rust median | Python (HF) median | Rust / Python |")
print("|---|---|---|---|")
print(f"| Llama-3.2-1B width, {py['layers']} layers, bf16, greedy 32 tokens | {r:.2f} s | {p:.2f} s | {r/p:.2f} |")
PY
