#!/usr/bin/env bash
# Runs the Criterion GPT-Neo 125M generation benchmark and its Python twin in one go and prints
# both medians and the ratio Rust / Python (issue 19's goal: greedy <= 0.5, beam <= 0.4).
# Usage: ./utils/bench_gpt_neo.sh [python samples, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench gpt_neo -- --noplot >/dev/null
python_json=$(.venv/bin/python utils/bench_gpt_neo.py "${1:-5}" 2>/dev/null | tail -n 1)
.venv/bin/python - "$python_json" "${CARGO_TARGET_DIR:-target}" <<'PY'
import json, sys
py = json.loads(sys.argv[1])
def rust(name):
    with open(f"{sys.argv[2]}/criterion/gpt_neo/{name}/new/estimates.json") as f:
        return json.load(f)["median"]["point_estimate"] / 1e9
print(f"torch threads: {py['torch_threads']}, HF attention: {py['attn_implementation']}")
print("| benchmark | Rust median | Python (HF) median | Rust / Python |")
print("|---|---|---|---|")
for name, py_name in [("greedy_64", "gpt_neo_greedy_64"), ("beam5_32", "gpt_neo_beam5_32")]:
    r, p = rust(name), py[py_name]
    print(f"| gpt_neo/{name} | {r:.2f} s | {p:.2f} s | {r/p:.2f} |")
PY
