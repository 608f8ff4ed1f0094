#!/usr/bin/env bash
# Drop-in check, as ../shared/tools/api-compat.sh does it but with `cargo check` (type checking
# is what "compiles unchanged" asks; linking 65 LibTorch binaries would cost CI ~20 minutes):
# rust-bert 0.23.0's own examples and integration tests (its ONNX ones aside), taken from the
# crate registry, checked unchanged against this crate. Prints the counts and, with --errors,
# each failing target's first error. Exits 1 when fewer than the expected minimum compile, so a
# signature that breaks drop-in code fails CI. Raise the minimums as architectures land.
# Usage (project root, after ./utils/setup.sh): ./utils/api_compat.sh [--errors]
set -euo pipefail
MIN_EXAMPLES=37
MIN_TESTS=28
proj=$(pwd)
[ -f Cargo.toml ] && [ -d .venv/libtorch ] || { echo "api-compat: run from the project root after ./utils/setup.sh" >&2; exit 2; }
export LIBTORCH="$proj/.venv/libtorch" LIBTORCH_CXX11_ABI=1
w=${API_COMPAT_DIR:-$proj/target/api-compat}
mkdir -p "$w/fetch/src" "$w/crate/src"
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rust-bert-0.23.0 2>/dev/null | head -1 || true)
if [ -z "$src" ]; then
  echo 'fn main() {}' > "$w/fetch/src/main.rs"
  printf '[package]\nname="fetch"\nversion="0.0.0"\nedition="2021"\n[dependencies]\nrust-bert = { version = "=0.23.0", default-features = false }\n' > "$w/fetch/Cargo.toml"
  (cd "$w/fetch" && cargo fetch -q) || { echo "api-compat: cannot fetch rust-bert 0.23.0" >&2; exit 2; }
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rust-bert-0.23.0 | head -1)
fi
c="$w/crate"; rm -rf "$c/examples" "$c/tests"; mkdir -p "$c/examples" "$c/tests"; : > "$c/src/lib.rs"
cat > "$c/Cargo.toml" <<TOML
[package]
name = "api-compat"
version = "0.0.0"
edition = "2021"
[dependencies]
rust-bert = { path = "$proj", features = ["hf-tokenizers"] }
tch = "*"
anyhow = "1"
rust_tokenizers = "8"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["sync", "rt-multi-thread", "macros"] }
tempfile = "3"
csv = "1"
itertools = "0.14"
dirs = "5"
[profile.dev]
debug = false
TOML
ne=0; for f in "$src"/examples/*.rs; do case $(basename "$f") in *onnx*) continue;; esac; cp "$f" "$c/examples/"; ne=$((ne+1)); done
nt=0; for f in "$src"/tests/*.rs; do case $(basename "$f") in *onnx*) continue;; esac; cp "$f" "$c/tests/"; nt=$((nt+1)); done
cd "$c"
export CARGO_TARGET_DIR="$w/target"
cargo check --examples --tests --keep-going --message-format json > "$w/check.json" 2>/dev/null || true
python3 - "$w/check.json" "$c" "$ne" "$nt" "$MIN_EXAMPLES" "$MIN_TESTS" "${1:-}" <<'PY'
import collections, json, sys
path, crate, ne, nt, min_e, min_t, show = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7]), sys.argv[7] == "--errors"
built, errors = collections.defaultdict(set), collections.defaultdict(list)
for line in open(path):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    t = m.get("target", {})
    if not t.get("src_path", "").startswith(crate + "/"):
        continue
    kind = "example" if "example" in t.get("kind", []) else "test" if "test" in t.get("kind", []) else None
    if kind is None:
        continue
    if m.get("reason") == "compiler-artifact":
        built[kind].add(t["name"])
    if m.get("reason") == "compiler-message" and m["message"]["level"] == "error":
        errors[(kind, t["name"])].append(m["message"]["message"])
ok = {k: built[k] - {n for (kk, n) in errors if kk == k} for k in ("example", "test")}
if show:
    for (kind, name), es in sorted(errors.items()):
        print(f"{kind} {name}: {len(es)} error(s); first: {es[0][:160]}")
print(f"api-compat: examples {len(ok['example'])}/{ne}, tests {len(ok['test'])}/{nt} compile unchanged "
      f"(minimum {min_e} / {min_t})")
sys.exit(0 if len(ok["example"]) >= min_e and len(ok["test"]) >= min_t else 1)
PY
