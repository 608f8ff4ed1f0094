#!/usr/bin/env bash
# Regenerates every parity fixture under tests/fixtures/ from HF Transformers (deterministic).
# Order matters: the model scripts read tests/fixtures/bert/vocab.txt written by the first one,
# and the pipeline scripts read the tokenizer files written by fixtures_tokenizers.
set -euo pipefail
# Not run here: utils/fixtures_group_beam.py needs HF 4.56.2 (diverse beam search left HF in
# 5.x): ./utils/setup_hf4.sh, then PYTHONPATH=.venv/hf4 .venv/bin/python utils/fixtures_group_beam.py
cd "$(dirname "$0")/.."
for script in generate_fixtures fixtures_distilbert fixtures_roberta fixtures_albert fixtures_electra fixtures_longformer fixtures_tokenizers \
    fixtures_pipeline_classification fixtures_pipeline_tokens fixtures_pipeline_qa \
    fixtures_pipeline_embeddings fixtures_gpt2 fixtures_generation fixtures_gpt_neo fixtures_gpt_j fixtures_reformer fixtures_bart fixtures_marian fixtures_t5 fixtures_xlnet \
    fixtures_mobilebert fixtures_fnet fixtures_deberta fixtures_tokenizers_deberta fixtures_pipeline_deberta; do
  echo "== utils/$script.py"
  .venv/bin/python "utils/$script.py"
done
# MPNet (after fixtures_tokenizers: `real` writes tokenizers/mpnet.json beside its corpus) and
# the cross-encoder references from sentence-transformers itself.
for mode in "" real pipelines; do
  echo "== utils/fixtures_mpnet.py $mode"
  .venv/bin/python utils/fixtures_mpnet.py $mode
done
echo "== utils/fixtures_cross_encoder.py"
.venv/bin/python utils/fixtures_cross_encoder.py
# ProphetNet (after fixtures_tokenizers: its tokenizer reference reads tokenizers/corpus.txt).
echo "== utils/fixtures_prophetnet.py"
.venv/bin/python utils/fixtures_prophetnet.py
# Pegasus (after fixtures_tokenizers: its tokenizer is tokenizers/spm/t5.model).
echo "== utils/fixtures_pegasus.py"
.venv/bin/python utils/fixtures_pegasus.py
# LongT5 (after fixtures_t5: its tokenizer is t5/spiece.model).
echo "== utils/fixtures_longt5.py"
.venv/bin/python utils/fixtures_longt5.py
echo "== utils/fixtures_llama.py"
.venv/bin/python utils/fixtures_llama.py
echo "== utils/fixtures_generation_defaults.py"
.venv/bin/python utils/fixtures_generation_defaults.py
# The chat pipeline's references (after fixtures_llama: its tiny Llama and tokenizer).
echo "== utils/fixtures_chat.py"
.venv/bin/python utils/fixtures_chat.py
# mBART-50, M2M100, NLLB (after fixtures_tokenizers and fixtures_bart).
for script in fixtures_mbart fixtures_m2m100 fixtures_nllb; do
  echo "== utils/$script.py"
  .venv/bin/python "utils/$script.py"
done
# GGUF (after fixtures_tokenizers: the SmolLM2 tokenizer reference reads tokenizers/corpus.txt;
# needs the real SmolLM2 file utils/setup.sh installs).
echo "== utils/fixtures_gguf.py"
.venv/bin/python utils/fixtures_gguf.py
echo "== utils/fixtures_gguf_spm.py"
.venv/bin/python utils/fixtures_gguf_spm.py
