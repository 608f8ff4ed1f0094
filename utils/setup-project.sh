#!/usr/bin/env bash
# Prepares a Cargo project that depends on this crate so that plain `cargo build`, `cargo run`,
# `cargo test` and `cargo run --example` work there with no exported variable.
#
#   utils/setup-project.sh [--libtorch DIR | --venv DIR] [--no-cuda-link] PROJECT
#
# LibTorch 2.13.0 (the version tch 0.26 expects) comes from, in this order:
#   --libtorch DIR   a LibTorch you already have (an unzipped libtorch archive, or a `torch`
#                    package folder); without an option, LIBTORCH from the environment;
#   --venv DIR       a Python virtual environment holding torch==2.13.0; created and filled
#                    from PyPI when it lacks torch (default: PROJECT/.venv). Python is $PYTHON,
#                    else python3.
# It then writes, in PROJECT/.cargo/config.toml, between two marker lines (anything else in
# the file is left as it is; a rerun replaces only that block):
#   [env]    LIBTORCH and LIBTORCH_CXX11_ABI for torch-sys's build script;
#   [build]  rustflags and rustdocflags: the rpath of LibTorch's lib/ folder, so every binary,
#            test, example and doctest of the project finds libtorch_cpu.so at run time; and,
#            when the LibTorch has CUDA (unless --no-cuda-link), an eager link of
#            libtorch_cuda.so, without which `Device::cuda_if_available()` never sees a GPU
#            (the linker drops the library, as no symbol of it is referenced), with
#            `target = <host>` so that build scripts and proc macros do not get it.
# It refuses, naming what is wrong, a LibTorch of another version, a missing Python, and a
# config that already sets [env], [build], rustflags or rustdocflags outside its block (two
# sources for one setting: merge them by hand, or move yours into the block's place).
# PROJECT is the folder cargo runs in: in a workspace, its root (Cargo reads .cargo/config.toml
# from the current folder and those above it, not from the package's).
# Nothing is written outside PROJECT except the virtual environment named by --venv.
set -euo pipefail

want_version=2.13.0
begin_marker='# >>> rust-bert setup-project >>> (written by utils/setup-project.sh; rerun it to update)'
end_marker='# <<< rust-bert setup-project <<<'

die() {
  echo "setup-project: $*" >&2
  exit 1
}
usage() {
  sed -n '5p' "$0" | sed 's/^#  */usage: /' >&2
  exit 2
}

libtorch_opt=""
venv_opt=""
cuda_link=1
project=""
while [ $# -gt 0 ]; do
  case "$1" in
    --libtorch) [ $# -ge 2 ] || usage; libtorch_opt=$2; shift 2 ;;
    --libtorch=*) libtorch_opt=${1#*=}; shift ;;
    --venv) [ $# -ge 2 ] || usage; venv_opt=$2; shift 2 ;;
    --venv=*) venv_opt=${1#*=}; shift ;;
    --no-cuda-link) cuda_link=0; shift ;;
    -h|--help) usage ;;
    -*) echo "setup-project: unknown option $1" >&2; usage ;;
    *) [ -z "$project" ] || usage; project=$1; shift ;;
  esac
done
[ -n "$project" ] || usage
[ -z "$libtorch_opt" ] || [ -z "$venv_opt" ] || die "give --libtorch or --venv, not both"
[ -f "$project/Cargo.toml" ] || die "$project is not a Cargo project: $project/Cargo.toml not found"
project=$(cd "$project" && pwd)
# Cargo reads .cargo/config.toml from the folder it runs in and those above, so a workspace
# member's config is skipped when cargo runs at the workspace root.
up=$(dirname "$project")
while [ "$up" != / ]; do
  if [ -f "$up/Cargo.toml" ] && grep -q '^[[:space:]]*\[workspace\]' "$up/Cargo.toml"; then
    echo "setup-project: warning: $project is a member of the workspace $up; cargo run in $up does not read $project/.cargo/config.toml: prepare $up as well" >&2
    break
  fi
  up=$(dirname "$up")
done

# The version a LibTorch folder says it is: build-version (libtorch archives) or version.py
# (the torch Python package), without the local part (+cpu, +cu130).
libtorch_version() {
  local dir=$1 v=""
  if [ -f "$dir/build-version" ]; then
    v=$(head -n1 "$dir/build-version")
  elif [ -f "$dir/version.py" ]; then
    v=$(sed -n "s/^__version__ *= *['\"]\([^'\"]*\)['\"].*/\1/p" "$dir/version.py")
  fi
  echo "${v%%+*}"
}

# Checks that DIR is a LibTorch of the wanted version; prints its canonical path.
check_libtorch() {
  local dir=$1 what=$2 v
  [ -d "$dir" ] || die "$what $dir: no such folder"
  dir=$(cd "$dir" && pwd -P)
  [ -f "$dir/lib/libtorch_cpu.so" ] || [ -f "$dir/lib/libtorch_cpu.dylib" ] ||
    die "$what $dir is not a LibTorch: $dir/lib/libtorch_cpu.so not found"
  v=$(libtorch_version "$dir")
  [ -n "$v" ] || die "$what $dir: no version found (neither $dir/build-version nor $dir/version.py)"
  [ "$v" = "$want_version" ] ||
    die "$what $dir is LibTorch $v; tch 0.26 needs $want_version (torch==$want_version)"
  echo "$dir"
}

python_ok() {
  command -v "$1" >/dev/null 2>&1 && "$1" -c 'import sys' >/dev/null 2>&1
}

if [ -n "$libtorch_opt" ]; then
  libtorch=$(check_libtorch "$libtorch_opt" "--libtorch")
  source_desc="--libtorch $libtorch_opt"
elif [ -z "$venv_opt" ] && [ -n "${LIBTORCH:-}" ]; then
  libtorch=$(check_libtorch "$LIBTORCH" "LIBTORCH")
  source_desc="LIBTORCH=$LIBTORCH"
else
  venv=${venv_opt:-$project/.venv}
  if [ ! -x "$venv/bin/python" ]; then
    py=${PYTHON:-python3}
    python_ok "$py" ||
      die "Python not found: '$py' does not run (install Python 3 with its venv module, set PYTHON=/path/to/python3, or pass --libtorch DIR)"
    "$py" -m venv "$venv" || die "'$py -m venv $venv' failed (on Debian/Ubuntu: apt install python3-venv)"
  fi
  python_ok "$venv/bin/python" || die "the virtual environment $venv has no working bin/python"
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  if [ ! -f "$site/torch/version.py" ]; then
    echo "setup-project: installing torch==$want_version into $venv (on Linux x86-64 the CUDA build: about 4.5 GB with its nvidia-* libraries)"
    "$venv/bin/python" -m pip install --disable-pip-version-check -q "torch==$want_version" ||
      die "pip could not install torch==$want_version into $venv"
  fi
  libtorch=$(check_libtorch "$site/torch" "the torch package of $venv:")
  source_desc="--venv $venv"
fi

lib=$libtorch/lib
case "$lib" in
  *,*) die "the LibTorch path $lib holds a comma, which -Wl,-rpath,... would split: move or link it elsewhere" ;;
esac
# LIBTORCH_CXX11_ABI: 1 for the PyPI wheel; look for the C++11 mangled names rather than assume.
abi=0
for f in "$lib"/libc10.so "$lib"/libc10.dylib; do
  if [ -f "$f" ] && grep -q __cxx11 "$f"; then abi=1; fi
done
cuda=0
[ -f "$lib/libtorch_cuda.so" ] && [ "$cuda_link" = 1 ] && cuda=1
host=""
if [ "$cuda" = 1 ]; then
  host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p') || true
  [ -n "$host" ] || die "rustc not found (needed to name the host target for the CUDA link): install Rust (rustup) first"
fi

config_dir=$project/.cargo
config=$config_dir/config.toml
[ ! -e "$config_dir/config" ] ||
  die "$config_dir/config exists (Cargo reads it instead of config.toml): rename it to config.toml and rerun"

toml_string() { # a TOML basic string
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

block() {
  echo "$begin_marker"
  echo "# LibTorch $want_version from $source_desc"
  echo "[env]"
  echo "LIBTORCH = { value = $(toml_string "$libtorch"), force = true }"
  echo "LIBTORCH_CXX11_ABI = { value = \"$abi\", force = true }"
  echo
  echo "[build]"
  if [ "$cuda" = 1 ]; then
    echo "# The explicit target keeps the flags below away from build scripts and proc macros"
    echo "# (a proc macro linked to libtorch_cuda crashes rustc); outputs go to target/$host/."
    echo "target = $(toml_string "$host")"
  fi
  echo "# The rpath: the project's binaries, tests and examples (rustflags) and its doctests"
  echo "# (linked by rustdoc: rustdocflags) find LibTorch at run time."
  if [ "$cuda" = 1 ]; then
    echo "# libtorch_cuda is linked although nothing calls it, so that a GPU can be found."
  fi
  for key in rustflags rustdocflags; do
    echo "$key = ["
    echo "  \"-C\", $(toml_string "link-arg=-Wl,-rpath,$lib"),"
    if [ "$cuda" = 1 ]; then
      echo "  \"-C\", $(toml_string "link-arg=-L$lib"),"
      echo '  "-C", "link-arg=-Wl,--no-as-needed",'
      echo '  "-C", "link-arg=-ltorch_cuda",'
      echo '  "-C", "link-arg=-Wl,--as-needed",'
    fi
    echo "]"
  done
  echo "$end_marker"
}

mkdir -p "$config_dir"
new=$(mktemp "$config_dir/.config.toml.XXXXXX")
trap 'rm -f "$new" "$new.block"' EXIT
if [ ! -f "$config" ]; then
  block > "$new"
else
  begins=$(grep -cxF "$begin_marker" "$config" || true)
  ends=$(grep -cxF "$end_marker" "$config" || true)
  if [ "$begins" != "$ends" ] || [ "$begins" -gt 1 ]; then
    die "$config: the setup-project marker lines are broken ($begins begin, $ends end); remove the block and rerun"
  fi
  # Settings outside the block that the block would duplicate or override.
  clash=$(awk -v b="$begin_marker" -v e="$end_marker" '
    $0 == b { inside = 1; next }
    $0 == e { inside = 0; next }
    !inside && /^[[:space:]]*\[[[:space:]]*(env|build)[[:space:]]*\]/ { print NR ": " $0; next }
    !inside && /^[[:space:]]*(env|build)[[:space:]]*\./ { print NR ": " $0; next }
    !inside && /^[[:space:]]*[^#=]*rust(doc)?flags"?[[:space:]]*=/ { print NR ": " $0 }
  ' "$config" | sed 's/^/line /' | paste -sd ';' - | sed 's/;/; /g')
  if [ -n "$clash" ]; then
    die "$config already has settings this script writes ($clash); merge them by hand into [env] LIBTORCH / LIBTORCH_CXX11_ABI and [build] rustflags / rustdocflags (see the README), or remove them and rerun"
  fi
  if [ "$begins" = 1 ]; then
    block > "$new.block"
    awk -v b="$begin_marker" -v e="$end_marker" -v blockfile="$new.block" '
      $0 == b { while ((getline line < blockfile) > 0) print line; skip = 1; next }
      $0 == e { skip = 0; next }
      !skip { print }
    ' "$config" > "$new"
  else
    { cat "$config"; [ -z "$(tail -c1 "$config")" ] || echo; echo; block; } > "$new"
  fi
fi
if [ -f "$config" ] && cmp -s "$new" "$config"; then
  echo "setup-project: $config is up to date (LibTorch $libtorch)"
else
  mv "$new" "$config"
  echo "setup-project: wrote $config (LibTorch $libtorch, C++11 ABI $abi, CUDA link $([ "$cuda" = 1 ] && echo "yes, outputs in target/$host/" || echo no))"
fi
if [ -n "${RUSTFLAGS:-}${CARGO_ENCODED_RUSTFLAGS:-}" ]; then
  echo "setup-project: warning: RUSTFLAGS is set in your environment; it replaces the config's rustflags (unset it)" >&2
fi
