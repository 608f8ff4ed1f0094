#!/usr/bin/env bash
# Idempotent install of a transformers 4.x side environment into .venv/hf4, for reference fixtures of
# generation modes that transformers 5.x removed (diverse / group beam search).
#
# Why 4.56.2 and not 4.57.x: in 4.57.x group beam search is no longer in the library; `generate` redirects
# it to the Hub repo `transformers-community/group-beam-search` (trust_remote_code, network), see
# GENERATION_MODES_MAPPING in transformers 4.57 generation/utils.py. 4.56.2 is the latest 4.x whose
# generation/utils.py still contains `_group_beam_search` (+ BeamSearchScorer, HammingDiversityLogitsProcessor).
#
# Everything is installed with --no-deps into one --target dir; torch, numpy, safetensors, regex, pyyaml,
# tqdm, filelock, packaging, fsspec, typing_extensions come from .venv. Only the packages whose .venv
# version is outside transformers 4.56's accepted range (tokenizers <=0.23.0, huggingface_hub <1.0) or that
# .venv lacks (requests and its deps, needed by huggingface_hub 0.x) are added.
#
# Use:  PYTHONPATH=.venv/hf4 .venv/bin/python -c "import transformers; print(transformers.__version__)"
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=.venv/hf4
PKGS=(
  transformers==4.56.2
  tokenizers==0.22.1
  huggingface_hub==0.36.2
  requests==2.32.5
  urllib3==2.5.0
  idna==3.10
  charset-normalizer==3.4.3
  certifi==2025.8.3
)
want=$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -d' ' -f1)
stamp=$TARGET/.hf4.sha256

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && PYTHONPATH=$TARGET .venv/bin/python -c 'import transformers, sys; sys.exit(0 if transformers.__version__ == "4.56.2" else 1)' 2>/dev/null; then
  echo "hf4: already installed in $TARGET"
else
  rm -rf "$TARGET"
  .venv/bin/pip install --disable-pip-version-check -q --no-deps --target "$TARGET" "${PKGS[@]}"
  echo "$want" > "$stamp"
fi

PYTHONPATH=$TARGET .venv/bin/python - <<'PY'
import torch, tokenizers, huggingface_hub, transformers
assert transformers.__version__.startswith("4."), transformers.__version__
from transformers.generation.utils import GenerationMixin
assert hasattr(GenerationMixin, "_group_beam_search"), "this transformers has no in-library group beam search"
print(f"transformers {transformers.__version__} tokenizers {tokenizers.__version__} "
      f"huggingface_hub {huggingface_hub.__version__} torch {torch.__version__} ({transformers.__file__})")
PY
