#!/usr/bin/env bash
# Runs the Criterion Longformer benchmark, its Python twin and the peak-memory mode, and prints
# both medians, the ratio (Rust / Python: below 1 means Rust is faster) and the peak resident
# memory of each process. Usage: ./utils/bench_longformer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench longformer -- --noplot >/dev/null
memory=$(LONGFORMER_PEAK_MEMORY=1 cargo bench --bench longformer 2>/dev/null | grep longformer_base)
python_json=$(.venv/bin/python utils/bench_longformer.py 2>/dev/null | tail -n 1)
echo "Rust: $memory"
.venv/bin/python - "$python_json" "${CARGO_TARGET_DIR:-target}" <<'PY'
import json, sys
py = json.loads(sys.argv[1])
with open(f"{sys.argv[2]}/criterion/longformer_base/forward_1x4096/new/estimates.json") as f:
    rust = json.load(f)["median"]["point_estimate"] / 1e9
print(f"torch threads: {py['torch_threads']}; HF peak resident memory {py['peak_rss_mb']:.0f} MB "
      f"({py['loaded_rss_mb']:.0f} MB after building the model)")
print("| benchmark | Rust median | Python (HF) median | Rust / Python |")
print("|---|---|---|---|")
p = py["forward_1x4096"]
print(f"| longformer_base/forward_1x4096 | {rust:.2f} s | {p:.2f} s | {rust / p:.2f} |")
PY
