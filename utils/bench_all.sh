#!/usr/bin/env bash
# The whole benchmark suite against Python, in one command: every Criterion benchmark in
# benches/ and its Python twin in utils/ (HF Transformers 5.24, torch 2.13, same thread count),
# run one after the other on the same machine; writes target/bench/table.md (machine, threads,
# median Rust, median Python, Rust / Python, BERT forward GFLOP/s against the 1024^3 matmul of
# the same run) and prints it.
# Three more columns put the engines users pick for CPU speed on the same scale, from the very
# models and inputs of the Python twins in the same run: CTranslate2 f32 and int8
# (utils/bench_ct2.py: GPT-2, Marian, BART, T5 generation) and ONNX Runtime f32
# (utils/bench_onnx.py: BERT-base forward), each as engine time / HF time; a dash where the engine
# has no such workload or is not installed. The engines (utils/requirements-bench.txt) are
# installed into .venv first when missing; neither the tests nor utils/setup.sh need them.
# Then the LLM benches of issues 19 and 20 (GPT-J width in bf16, SmolLM2-135M GGUF at batch 1
# and 8 with llama.cpp when llama-cpp-python is installed, Llama-3.2-1B width in bf16): each
# script runs its Criterion bench and twins and appends its own table.
# Usage: ./utils/bench_all.sh [python samples for the slow generation twins, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${1:-3}"
mkdir -p target/bench
if ! .venv/bin/python -c "import ctranslate2, onnxruntime, onnx" 2>/dev/null; then
  echo "== pip install -r utils/requirements-bench.txt" >&2
  .venv/bin/pip install -q -r utils/requirements-bench.txt >&2 ||
    echo "warning: CTranslate2 / ONNX Runtime not installed: their columns will show dashes" >&2
fi
for bench in bert sequence_classification ner question_answering generation seq2seq deberta longformer; do
  echo "== cargo bench --bench $bench" >&2
  cargo bench --bench "$bench" -- --noplot >/dev/null
done
py() { echo "== utils/$1.py" >&2; .venv/bin/python "utils/$1.py" "${@:2}" 2>/dev/null | tail -n 1; }
bert=$(py bench_bert 10)
# Right after their HF twins; an engine that fails leaves its columns to dashes, not the run.
onnx=$(py bench_onnx 10 || true)
classification=$(py bench_sequence_classification)
ner=$(py bench_ner)
qa=$(py bench_question_answering)
generation=$(py bench_generation "$samples")
marian=$(py bench_marian "$samples")
bart=$(py bench_bart "$samples")
t5=$(py bench_t5 "$samples")
ct2=$(py bench_ct2 "$samples" || true)
# The encoder twins reuse key names (forward_8x128): kept apart, passed last.
deberta=$(py bench_deberta)
longformer=$(py bench_longformer)
.venv/bin/python - "$bert" "$classification" "$ner" "$qa" "$generation" "$marian" "$bart" "$t5" \
    "$onnx" "$ct2" "$deberta" "$longformer" <<'PY' | tee target/bench/table.md
import json, os, platform, sys
py = {}
for arg in sys.argv[1:-2]:
    # The engines' lines are empty when their script failed: no keys, dashes.
    py.update(json.loads(arg) if arg.strip() else {})
encoders = {"deberta": json.loads(sys.argv[-2]), "longformer": json.loads(sys.argv[-1])}

def rust(group, name):
    with open(f"target/criterion/{group}/{name}/new/estimates.json") as f:
        return json.load(f)["median"]["point_estimate"] / 1e9

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"Machine: {cpu}, {os.cpu_count()} cores; torch threads (both sides): {py['torch_threads']}; "
      f"HF attention: {py['attn_implementation']}.\n")
rows = [
    ("bert_base", "load_safetensors", "load_safetensors", "BERT-base load (.safetensors)"),
    ("bert_base", "load_ot", None, "BERT-base load (.ot)"),
    ("bert_base", "forward_8x128", "forward_8x128", "BERT-base forward 8x128 (f32)"),
    ("bert_base", "forward_8x128_bf16", "forward_8x128_bf16", "BERT-base forward 8x128 (bf16)"),
    ("bert_base", "forward_8x128_f16", "forward_8x128_f16", "BERT-base forward 8x128 (f16)"),
    ("bert_base", "matmul_1024", "matmul_1024", "matmul 1024^3 (f32)"),
    ("distilbert_base", "classify_32x64", "classify_32x64", "DistilBERT classification 32x64"),
    ("distilbert_base", "sentiment_256", "sentiment_256", "sentiment pipeline, 256 sentences"),
    ("bert_base_ner", "ner_128", "ner_128", "NER pipeline, 128 sentences (BERT-base)"),
    ("question_answering", "distilbert_base_64_items", "qa_64_items", "QA pipeline, 64 SQuAD-like items"),
    ("gpt2", "greedy_64", "gpt2_greedy_64", "GPT-2 greedy, 64 new tokens"),
    ("gpt2", "beam5_32", "gpt2_beam5_32", "GPT-2 beam 5, 32 new tokens"),
    ("seq2seq", "marian_beam6_40", "marian_beam6_40", "Marian beam 6, 40 tokens, 4 x 32"),
    ("seq2seq", "bart_beam3_40", "bart_beam3_40", "BART-base beam 3, 40 tokens, 2 x 256"),
    ("seq2seq", "t5_beam4_40", "t5_beam4_40", "T5-small beam 4, 40 tokens, 2 x 128"),
    # Int8 weights (kind QInt8), against HF's f32 time of the same workload.
    ("bert_base", "forward_8x128_int8", "forward_8x128", "BERT-base forward 8x128, int8 weights"),
    ("gpt2", "greedy_64_int8", "gpt2_greedy_64", "GPT-2 greedy 64, int8 weights"),
    ("gpt2", "beam5_32_int8", "gpt2_beam5_32", "GPT-2 beam 5 x 32, int8 weights"),
    ("seq2seq", "marian_beam6_40_int8", "marian_beam6_40", "Marian beam 6, int8 weights"),
]
def fmt(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
def engine(key, p):
    """An engine's time over HF's for the same workload (ct2_f32_<twin key>, ...), or a dash."""
    t = py.get(key)
    return f"{t / p:.2f}" if t and p else "-"

print("| benchmark | Rust median | Python (HF) median | Rust / Python "
      "| CTranslate2 f32 / HF | CTranslate2 int8 / HF | ONNX Runtime / HF |")
print("|---|---|---|---|---|---|---|")
for group, name, py_name, label in rows:
    r = rust(group, name)
    p = py.get(py_name) if py_name else None
    ratio = f"{r / p:.2f}" if p else "-"
    engines = [engine(f"{prefix}_{py_name}", p) for prefix in ("ct2_f32", "ct2_int8", "ort_f32")]
    print(f"| {label} | {fmt(r)} | {fmt(p) if p else '-'} | {ratio} | {' | '.join(engines)} |")
for group, name, twin, label in [
    ("deberta_v3_base", "forward_8x128", "deberta", "DeBERTa-v3-base forward 8x128"),
    ("longformer_base", "forward_1x4096", "longformer", "Longformer-base forward 1x4096"),
]:
    r, p = rust(group, name), encoders[twin][name]
    print(f"| {label} | {fmt(r)} | {fmt(p)} | {r / p:.2f} | - | - | - |")
engines = []
if "ct2_version" in py:
    engines.append(f"CTranslate2 {py['ct2_version']} (intra_threads {py['ct2_threads']}; models converted "
                   f"from the twins' own, utils/bench_ct2.py)")
else:
    engines.append(f"CTranslate2: not run ({py.get('ct2_skipped', 'utils/bench_ct2.py failed')})")
if "ort_version" in py:
    int8 = py["ort_int8_forward_8x128"]
    engines.append(f"ONNX Runtime {py['ort_version']} (intra_op_num_threads {py['ort_threads']}; BERT optimizer's "
                   f"fused graph, utils/bench_onnx.py); its quantize_dynamic int8 BERT-base forward 8x128: "
                   f"{fmt(int8)} = {int8 / py['forward_8x128']:.2f} x HF")
else:
    engines.append(f"ONNX Runtime: not run ({py.get('ort_skipped', 'utils/bench_onnx.py failed')})")
print("\nEngines (time / HF time, below 1 is faster than HF): " + "; ".join(engines) + ".")
# BERT-base forward FLOPs (8 x 128 tokens): per token and layer 24 h^2 (projections and
# feed-forward, multiply-adds counted as 2) + 4 L h (scores and weighted values).
h, layers, tokens, length = 768, 12, 8 * 128, 128
flops = tokens * layers * (24 * h * h + 4 * length * h)
matmul = 2 * 1024 ** 3
peak_r = matmul / rust("bert_base", "matmul_1024") / 1e9
peak_p = matmul / py["matmul_1024"] / 1e9
fwd_r = flops / rust("bert_base", "forward_8x128") / 1e9
fwd_p = flops / py["forward_8x128"] / 1e9
print(f"\nBERT-base forward: {flops / 1e9:.0f} GFLOP; Rust {fwd_r:.0f} GFLOP/s = {100 * fwd_r / peak_r:.0f}% "
      f"of its matmul peak ({peak_r:.0f} GFLOP/s); Python {fwd_p:.0f} GFLOP/s = {100 * fwd_p / peak_p:.0f}% "
      f"of its peak ({peak_p:.0f} GFLOP/s).")
PY
for script in bench_gpt_j bench_llama_1b bench_smollm2; do
  echo "== utils/$script.sh" >&2
  { echo; "./utils/$script.sh" "$samples"; } | tee -a target/bench/table.md
done
