#!/usr/bin/env bash
# Runs the Criterion DeBERTa-v3-base benchmark and its Python twin in one go and prints both
# medians and the ratio Rust / Python (below 1 means Rust is faster; the goal is <= 0.9).
# Usage: ./utils/bench_deberta.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench deberta -- --noplot >/dev/null
python_json=$(.venv/bin/python utils/bench_deberta.py 2>/dev/null | tail -n 1)
.venv/bin/python - "$python_json" "${CARGO_TARGET_DIR:-target}" <<'PY'
import json, sys
py = json.loads(sys.argv[1])
with open(f"{sys.argv[2]}/criterion/deberta_v3_base/forward_8x128/new/estimates.json") as f:
    rust = json.load(f)["median"]["point_estimate"] / 1e9
p = py["forward_8x128"]
print(f"torch threads: {py['torch_threads']}")
print("| benchmark | Rust median | Python (HF) median | Rust / Python |")
print("|---|---|---|---|")
print(f"| deberta_v3_base/forward_8x128 | {rust*1000:.1f} ms | {p*1000:.1f} ms | {rust/p:.2f} |")
PY
