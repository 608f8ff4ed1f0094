#!/usr/bin/env bash
# Runs the Criterion encoder-decoder benchmarks (benches/seq2seq.rs) and their Python twins
# (utils/bench_{marian,bart,t5,m2m100}.py) in one go; prints medians and Rust / Python (the
# issues' goals: Marian and M2M100 <= 0.5, BART and T5 <= 0.6). Usage: ./utils/bench_seq2seq.sh [python samples]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench seq2seq -- --noplot >/dev/null
samples="${1:-3}"
marian=$(.venv/bin/python utils/bench_marian.py "$samples" 2>/dev/null | tail -n 1)
bart=$(.venv/bin/python utils/bench_bart.py "$samples" 2>/dev/null | tail -n 1)
t5=$(.venv/bin/python utils/bench_t5.py "$samples" 2>/dev/null | tail -n 1)
m2m100=$(.venv/bin/python utils/bench_m2m100.py "$samples" 2>/dev/null | tail -n 1)
.venv/bin/python - "$marian" "$bart" "$t5" "$m2m100" <<'PY'
import json, sys
py = {}
for arg in sys.argv[1:]:
    py.update(json.loads(arg))
def rust(name):
    with open(f"target/criterion/seq2seq/{name}/new/estimates.json") as f:
        return json.load(f)["median"]["point_estimate"] / 1e9
print(f"torch threads: {py['torch_threads']}, HF attention: {py['attn_implementation']}")
print("| benchmark | Rust median | Python (HF) median | Rust / Python |")
print("|---|---|---|---|")
for name in ["marian_beam6_40", "bart_beam3_40", "t5_beam4_40", "m2m100_beam4_40"]:
    r, p = rust(name), py[name]
    print(f"| seq2seq/{name} | {r:.2f} s | {p:.2f} s | {r/p:.2f} |")
PY
