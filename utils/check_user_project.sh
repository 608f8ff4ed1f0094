#!/usr/bin/env bash
# Proves the README's "Use it in your project" as a new user would meet it: a crate made by
# `cargo new` outside the repository, this crate as a path dependency, prepared by
# utils/setup-project.sh, then, with no LibTorch variable in the environment, `cargo run`
# (and the binary alone) and `cargo test` print or assert all-MiniLM-L6-v2's cosine of two
# sentences (0.6411, the README's figure, which the parity tests tie to sentence-transformers);
# a doctest and `cargo run --example` run LibTorch too.
# First, without building anything, the script's refusals and its config merging.
# Needs ./utils/setup.sh (the .venv with torch==2.13.0 and the model).
# The scratch crate builds in target/user-project (its own rustflags would rebuild the
# repository's target/ otherwise), so a second run only relinks.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
setup=$repo/utils/setup-project.sh
model=$repo/.venv/models/all-MiniLM-L6-v2
expected=0.6411
[ -d "$model" ] || { echo "check_user_project: $model not found: run ./utils/setup.sh first" >&2; exit 1; }
[ -x "$repo/.venv/bin/python" ] || { echo "check_user_project: $repo/.venv not found: run ./utils/setup.sh first" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() {
  echo "check_user_project: FAIL: $*" >&2
  exit 1
}
# Runs setup-project.sh expecting a refusal whose message contains $1.
refuses() {
  local want=$1 out
  shift
  if out=$("$setup" "$@" 2>&1); then
    fail "setup-project.sh $* succeeded; expected a refusal saying '$want'"
  fi
  case "$out" in
    *"$want"*) echo "  refused as expected: $out" ;;
    *) fail "setup-project.sh $*: expected '$want' in: $out" ;;
  esac
}

echo "== setup-project.sh refusals and config merging (no build)"
cargo new --quiet --vcs none "$scratch/refuse"
# A LibTorch of the wrong version, as an archive (build-version) and as a wheel (version.py).
mkdir -p "$scratch/old-archive/lib" "$scratch/old-wheel/lib"
touch "$scratch/old-archive/lib/libtorch_cpu.so" "$scratch/old-wheel/lib/libtorch_cpu.so"
echo "2.12.1+cpu" > "$scratch/old-archive/build-version"
echo "__version__ = '2.7.0+cu126'" > "$scratch/old-wheel/version.py"
refuses "is LibTorch 2.12.1; tch 0.26 needs 2.13.0" --libtorch "$scratch/old-archive" "$scratch/refuse"
refuses "is LibTorch 2.7.0; tch 0.26 needs 2.13.0" --libtorch "$scratch/old-wheel" "$scratch/refuse"
LIBTORCH=$scratch/old-wheel refuses "LIBTORCH $scratch/old-wheel is LibTorch 2.7.0" "$scratch/refuse"
refuses "is not a LibTorch" --libtorch "$scratch" "$scratch/refuse"
# A virtual environment holding another torch: refused, not upgraded.
python3 -m venv --without-pip "$scratch/old-venv"
old_site=$("$scratch/old-venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp -r "$scratch/old-wheel" "$old_site/torch"
refuses "the torch package of $scratch/old-venv: $old_site/torch is LibTorch 2.7.0" \
  --venv "$scratch/old-venv" "$scratch/refuse"
# No Python to make the virtual environment with: refused before anything is written.
PYTHON=$scratch/no-such-python refuses "Python not found: '$scratch/no-such-python'" \
  --venv "$scratch/venv" "$scratch/refuse"
[ ! -e "$scratch/venv" ] || fail "a refused run created $scratch/venv"
[ ! -e "$scratch/refuse/.cargo" ] || fail "a refused run wrote $scratch/refuse/.cargo"
refuses "is not a Cargo project" --libtorch "$repo/.venv/libtorch" "$scratch"
# A config of the user's own: kept and extended; one that sets rustflags or [env]: refused.
mkdir -p "$scratch/refuse/.cargo"
printf '[alias]\nxtask = "run --package xtask --"\n' > "$scratch/refuse/.cargo/config.toml"
"$setup" --libtorch "$repo/.venv/libtorch" "$scratch/refuse" > /dev/null
grep -qx 'xtask = "run --package xtask --"' "$scratch/refuse/.cargo/config.toml" ||
  fail "the user's [alias] did not survive in $scratch/refuse/.cargo/config.toml"
cp "$scratch/refuse/.cargo/config.toml" "$scratch/merged.toml"
"$setup" --libtorch "$repo/.venv/libtorch" "$scratch/refuse" | grep -q "is up to date" ||
  fail "a second run rewrote $scratch/refuse/.cargo/config.toml"
cmp -s "$scratch/merged.toml" "$scratch/refuse/.cargo/config.toml" || fail "a second run changed the config"
printf '[build]\nrustflags = ["-C", "target-cpu=native"]\n' > "$scratch/refuse/.cargo/config.toml"
refuses "already has settings this script writes (line 1: [build]; line 2: rustflags" \
  --libtorch "$repo/.venv/libtorch" "$scratch/refuse"
printf '[env]\nFOO = "1"\n' > "$scratch/refuse/.cargo/config.toml"
refuses "(line 1: [env])" --libtorch "$repo/.venv/libtorch" "$scratch/refuse"
printf '[target.x86_64-unknown-linux-gnu]\nrustflags = ["-C", "target-cpu=native"]\n' \
  > "$scratch/refuse/.cargo/config.toml"
refuses "(line 2: rustflags" --libtorch "$repo/.venv/libtorch" "$scratch/refuse"

# A workspace member: prepared, with a warning that cargo at the workspace root skips its config.
mkdir -p "$scratch/ws"
printf '[workspace]\nmembers = ["member"]\nresolver = "2"\n' > "$scratch/ws/Cargo.toml"
cargo new --quiet --vcs none "$scratch/ws/member"
"$setup" --libtorch "$repo/.venv/libtorch" "$scratch/ws/member" 2>&1 >/dev/null |
  grep -q "is a member of the workspace $scratch/ws" || fail "no warning for a workspace member"

echo "== a new user's project"
demo=$scratch/demo
cargo new --quiet --vcs none "$demo"
cat >> "$demo/Cargo.toml" <<EOF
rust-bert = { path = "$repo" }
tch = "0.26"

# As the repository's own profile: full debug info makes every LibTorch binary ~200 MB.
[profile.dev]
debug = "line-tables-only"
[profile.dev.package."*"]
debug = false
EOF
# The repository's versions of every dependency (a fresh resolution could pick newer ones).
cp "$repo/Cargo.lock" "$demo/Cargo.lock"
cat > "$demo/src/main.rs" <<EOF
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use tch::Device;

const MODEL: &str = "$model";

fn cosine() -> Result<f32, rust_bert::RustBertError> {
    let model = SentenceEmbeddingsBuilder::local(MODEL)
        .with_device(Device::cuda_if_available())
        .create_model()?;
    let e = model.encode(&["The cat sits on the mat.", "A kitten is resting on a rug."])?;
    Ok(e[0].iter().zip(&e[1]).map(|(a, b)| a * b).sum())
}

fn main() -> Result<(), rust_bert::RustBertError> {
    println!("cosine {:.4}", cosine()?);
    // Whether libtorch_cuda.so is in the process (what cuda_if_available needs to find a GPU).
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    println!("libtorch_cuda loaded: {}", maps.contains("libtorch_cuda.so"));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cosine_of_the_readme() {
        assert_eq!(format!("{:.4}", super::cosine().unwrap()), "$expected");
    }
}
EOF
# A library beside the binary, for a doctest (rustdoc links those) and an example.
cat > "$demo/src/lib.rs" <<'EOF'
/// The norm of (3, 4), computed by LibTorch.
/// ```
/// assert_eq!(demo::norm(), 5.0);
/// ```
pub fn norm() -> f64 {
    tch::Tensor::from_slice(&[3.0f32, 4.0]).norm().double_value(&[])
}
EOF
mkdir -p "$demo/examples"
cat > "$demo/examples/norm.rs" <<'EOF'
fn main() {
    println!("norm {}", demo::norm());
}
EOF

"$setup" --venv "$repo/.venv" "$demo"
"$setup" --venv "$repo/.venv" "$demo" | grep -q "is up to date" || fail "a second run rewrote $demo/.cargo/config.toml"
cuda=false
bin_dir=$repo/target/user-project/debug
if grep -q -- "-ltorch_cuda" "$demo/.cargo/config.toml"; then
  cuda=true
  bin_dir=$repo/target/user-project/$(rustc -vV | sed -n 's/^host: //p')/debug
fi

# A user's shell: none of the variables the set-up is there to spare them.
clean() {
  env -u LIBTORCH -u LIBTORCH_CXX11_ABI -u LIBTORCH_USE_PYTORCH -u LD_LIBRARY_PATH \
    -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS CARGO_TARGET_DIR="$repo/target/user-project" "$@"
}
cd "$demo"
out=$(clean cargo run --quiet)
echo "cargo run: $out"
grep -qx "cosine $expected" <<< "$out" || fail "cargo run printed '$out', expected 'cosine $expected'"
grep -qx "libtorch_cuda loaded: $cuda" <<< "$out" || fail "libtorch_cuda loaded should be $cuda (CUDA LibTorch: $cuda)"
# The binary itself, outside cargo: the rpath, not cargo's environment, finds LibTorch.
out=$(clean "$bin_dir/demo")
grep -qx "cosine $expected" <<< "$out" || fail "$bin_dir/demo printed '$out'"
clean cargo test 2>&1 | tee "$scratch/test.log"
grep -q "^test tests::cosine_of_the_readme ... ok" "$scratch/test.log" ||
  fail "cargo test in the user's project: the cosine test did not pass"
grep -q "^test src/lib.rs - norm (line 2) ... ok" "$scratch/test.log" ||
  fail "cargo test in the user's project: the doctest did not pass"
out=$(clean cargo run --quiet --example norm)
[ "$out" = "norm 5" ] || fail "cargo run --example norm printed '$out'"
echo "check_user_project: ok (cargo run, the binary alone, cargo test with a doctest, cargo run --example; CUDA link: $cuda)"
