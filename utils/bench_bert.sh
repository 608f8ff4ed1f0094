#!/usr/bin/env bash
# Runs the Criterion BERT benchmark and its Python twin in one go and prints both medians and
# the ratio (Python / Rust: above 1 means Rust is faster). Usage: ./utils/bench_bert.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench bert -- --noplot >/dev/null
python_json=$(.venv/bin/python utils/bench_bert.py 2>/dev/null | tail -n 1)
.venv/bin/python - "$python_json" <<'PY'
import json, sys
py = json.loads(sys.argv[1])
def rust(name):
    with open(f"target/criterion/bert_base/{name}/new/estimates.json") as f:
        return json.load(f)["median"]["point_estimate"] / 1e9
print(f"torch threads: {py['torch_threads']}, HF attention: {py['attn_implementation']}")
print("| benchmark | Rust median | Python (HF) median | Python / Rust |")
print("|---|---|---|---|")
for name, py_name in [("load_safetensors", "load_safetensors"), ("load_ot", None), ("forward_8x128", "forward_8x128")]:
    r = rust(name)
    if py_name:
        p = py[py_name]
        print(f"| bert_base/{name} | {r*1000:.1f} ms | {p*1000:.1f} ms | {p/r:.2f}x |")
    else:
        print(f"| bert_base/{name} | {r*1000:.1f} ms | - | - |")
PY
