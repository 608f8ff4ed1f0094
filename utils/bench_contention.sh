#!/usr/bin/env bash
# Generation time under CPU contention, Rust against HF (issue 24): the GPT-2 greedy workload
# (benches/generation.rs gpt2/greedy_64, twin utils/bench_generation.py) and the Marian beam
# workload (benches/seq2seq.rs seq2seq/marian_beam6_40, twin utils/bench_marian.py), each run
# quiet, then again with one extra busy process per core (`nproc` Python spin loops, killed on
# exit). Both sides keep their default thread count (LibTorch's and torch's: one per core).
# Prints the medians and the growth loaded / quiet of each side; the goal is Rust's growth no
# larger than HF's.
# The Criterion benches run with BENCH_QUICK=1 (ten single runs after a one-second warm-up);
# the twins run PYTHON_SAMPLES times after one warm-up. About 5-8 minutes on 2 cores.
# Usage: ./utils/bench_contention.sh [python samples, default 5] [rounds, default 1]
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${1:-5}"
rounds="${2:-1}"
criterion="${CARGO_TARGET_DIR:-target}/criterion"
python=.venv/bin/python

hogs=()
stop_load() {
  for pid in "${hogs[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  hogs=()
}
trap stop_load EXIT
start_load() {
  for _ in $(seq "$(nproc)"); do
    python3 -c 'while True: pass' &
    hogs+=("$!")
  done
  sleep 1
}

# Built before any timing, so that no compilation runs under (or as) the load.
cargo bench --bench generation --bench seq2seq --no-run >/dev/null 2>&1

rust_median() { # group/name: Criterion's median, seconds
  $python -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"] / 1e9)' \
    "$criterion/$1/new/estimates.json"
}

measure() { # prints one JSON object: the four medians of this run
  BENCH_QUICK=1 cargo bench --bench generation -- --noplot greedy_64 >/dev/null 2>&1
  local rust_greedy rust_marian py_greedy py_marian
  rust_greedy=$(rust_median gpt2/greedy_64)
  BENCH_QUICK=1 cargo bench --bench seq2seq -- --noplot marian_beam6_40 >/dev/null 2>&1
  rust_marian=$(rust_median seq2seq/marian_beam6_40)
  py_greedy=$($python utils/bench_generation.py "$samples" gpt2_greedy_64 2>/dev/null | tail -n 1)
  py_marian=$($python utils/bench_marian.py "$samples" 2>/dev/null | tail -n 1)
  $python -c 'import json,sys
g, m = json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(json.dumps({"rust_greedy": float(sys.argv[1]), "rust_marian": float(sys.argv[2]),
                  "py_greedy": g["gpt2_greedy_64"], "py_marian": m["marian_beam6_40"],
                  "torch_threads": g["torch_threads"]}))' \
    "$rust_greedy" "$rust_marian" "$py_greedy" "$py_marian"
}

for round in $(seq "$rounds"); do
  echo "== round $round: quiet" >&2
  quiet=$(measure)
  echo "== round $round: loaded ($(nproc) busy processes)" >&2
  start_load
  loaded=$(measure)
  stop_load
  $python - "$quiet" "$loaded" "$(nproc)" <<'PY'
import json, sys
quiet, loaded, cores = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
print(f"{cores} cores, torch threads {quiet['torch_threads']}; loaded = {cores} extra busy processes")
print("| workload | Rust quiet | Rust loaded | Rust growth | HF quiet | HF loaded | HF growth |")
print("|---|---|---|---|---|---|---|")
for name, label in [("greedy", "gpt2/greedy_64"), ("marian", "seq2seq/marian_beam6_40")]:
    rq, rl = quiet[f"rust_{name}"], loaded[f"rust_{name}"]
    pq, pl = quiet[f"py_{name}"], loaded[f"py_{name}"]
    print(f"| {label} | {rq:.2f} s | {rl:.2f} s | {rl / rq:.2f}x | {pq:.2f} s | {pl:.2f} s | {pl / pq:.2f}x |")
PY
done
