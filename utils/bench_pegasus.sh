#!/usr/bin/env bash
# Runs the Criterion Pegasus benchmark (benches/pegasus.rs: pegasus-large sizes, beam 4, 40 new
# tokens on 2 x 512) and its Python twin (utils/bench_pegasus.py); prints both medians and
# Rust / Python (the issue's goal: <= 0.5). Writes a ~2.3 GB random checkpoint to a temporary
# folder. Usage: ./utils/bench_pegasus.sh [python samples]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench pegasus -- --noplot >/dev/null
py=$(.venv/bin/python utils/bench_pegasus.py "${1:-3}" 2>/dev/null | tail -n 1)
.venv/bin/python - "$py" <<'PY'
import json, sys
py = json.loads(sys.argv[1])
name = "pegasus_large_beam4_2x512_40"
with open(f"target/criterion/pegasus/{name}/new/estimates.json") as f:
    rust = json.load(f)["median"]["point_estimate"] / 1e9
print(f"torch threads: {py['torch_threads']}, HF attention: {py['attn_implementation']}")
print("| benchmark | Rust median | Python (HF) median | Rust / Python |")
print("|---|---|---|---|")
print(f"| pegasus/{name} | {rust:.2f} s | {py[name]:.2f} s | {rust / py[name]:.2f} |")
PY
