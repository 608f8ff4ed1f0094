#!/usr/bin/env bash
# Regenerates every parity fixture under tests/fixtures/ from HF Transformers (deterministic).
# Order matters: the model scripts read tests/fixtures/bert/vocab.txt written by the first one,
# and the pipeline scripts read the tokenizer files written by fixtures_tokenizers.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in generate_fixtures fixtures_distilbert fixtures_roberta fixtures_albert fixtures_tokenizers \
    fixtures_pipeline_classification fixtures_pipeline_tokens fixtures_pipeline_qa \
    fixtures_pipeline_embeddings fixtures_gpt2 fixtures_generation; do
  echo "== utils/$script.py"
  .venv/bin/python "utils/$script.py"
done
