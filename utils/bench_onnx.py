#!/usr/bin/env python3
"""ONNX Runtime twin of the BERT-base forward bench: the forward_8x128 workload of bench_bert.py
(the very model and inputs of its forward_model_and_inputs(): BertConfig() sizes, HF's init and
8 x 128 random ids after torch.manual_seed(0), attention mask all ones) exported to ONNX and run
by ONNX Runtime on the CPU.

  ort_f32_forward_8x128          the exported graph after ONNX Runtime's BERT optimizer
                                 (onnxruntime.transformers.optimizer, model_type "bert": fused
                                 Attention, SkipLayerNormalization and BiasGelu), f32: the recipe
                                 ONNX Runtime documents for BERT, and the figure of the table
  ort_int8_forward_8x128         that fused graph after onnxruntime.quantization.quantize_dynamic
                                 with its defaults (int8 weights, one scale per tensor; uint8
                                 activations quantised per tensor at run time)
  ort_f32_unfused_forward_8x128  the exported graph as is (ONNX Runtime's own session-level
                                 optimisations only), f32: for reference

Both outputs (last_hidden_state and pooler_output) are computed, as the HF twin's forward does.
Export: torch.onnx.export's TorchScript exporter (dynamo=False, opset 17, batch and sequence
axes dynamic), with HF's eager attention so that the optimizer recognises the attention pattern
(the weights and the function are the same as the twin's SDPA model: checked below).
Threads: intra_op_num_threads = torch.get_num_threads() (the count the HF twin runs with; set
OMP_NUM_THREADS to change both), inter_op_num_threads 1, sequential execution, all graph
optimisations on.

The ONNX files are cached in BENCH_MODELS_DIR (default target/bench_models)/onnx-bert-base and
rebuilt when bench_bert.py, this file's EXPORT revision or the onnxruntime / torch versions
change. When they are (re)built, each graph's last_hidden_state is compared with HF's on the same
inputs (max absolute error; kept in bench_source.json and in the JSON line as ort_check).

Usage: bench_onnx.py [samples, default 10]
Prints one JSON line: {"ort_version", "ort_threads", "ort_check", "ort_<variant>_forward_8x128":
seconds, ...}; without onnxruntime / onnx installed: {"ort_skipped": reason}.
"""
import hashlib
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
from bench_twin import median_time  # noqa: E402

# Bumped when the export below changes, so cached files are rebuilt.
EXPORT = 1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.environ.get("BENCH_MODELS_DIR", os.path.join(ROOT, "target", "bench_models"))
FOLDER = os.path.join(MODELS_DIR, "onnx-bert-base")
# variant -> file in FOLDER
VARIANTS = {"f32": "model.fused.onnx", "int8": "model.fused.int8.onnx", "f32_unfused": "model.onnx"}


class Outputs(torch.nn.Module):
    """BertModel called with keywords (its positional order is not (input_ids, attention_mask)),
    returning both outputs as a tuple for the exporter."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return out.last_hidden_state, out.pooler_output


def source_key():
    import bench_bert
    import onnxruntime

    with open(bench_bert.__file__, "rb") as f:
        twin_hash = hashlib.sha256(f.read()).hexdigest()
    return {"twin": "bench_bert.py", "twin_sha256": twin_hash, "export": EXPORT,
            "onnxruntime": onnxruntime.__version__, "torch": torch.__version__}


def session(path, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def feeds(input_ids, mask):
    return {"input_ids": input_ids.numpy(), "attention_mask": mask.numpy()}


def ensure_exported(threads):
    """The cached ONNX files, exported, optimised and quantised from the twin's model if missing
    or stale; returns the agreement with HF recorded when they were made."""
    import bench_bert
    import onnx
    from onnxruntime.quantization import quantize_dynamic
    from onnxruntime.transformers import optimizer

    key = source_key()
    try:
        with open(os.path.join(FOLDER, "bench_source.json")) as f:
            record = json.load(f)
        if record.get("source") == key and all(os.path.exists(os.path.join(FOLDER, v)) for v in VARIANTS.values()):
            return record["check"]
    except (OSError, ValueError):
        pass
    print("== exporting bench_bert.py's BERT-base to ONNX", file=sys.stderr)
    start = time.perf_counter()
    model, input_ids, mask = bench_bert.forward_model_and_inputs()
    config = model.config
    with torch.no_grad():
        reference = model(input_ids=input_ids, attention_mask=mask).last_hidden_state.numpy()
    model.set_attn_implementation("eager")
    tmp = FOLDER + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    axes = {0: "batch", 1: "sequence"}
    # eval() on the wrapper too: the exporter puts every module back in the wrapper's mode.
    with torch.no_grad():
        torch.onnx.export(Outputs(model).eval(), (input_ids, mask), os.path.join(tmp, VARIANTS["f32_unfused"]),
                          dynamo=False, opset_version=17, input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state", "pooler_output"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                        "last_hidden_state": axes, "pooler_output": {0: "batch"}})
    fused = optimizer.optimize_model(os.path.join(tmp, VARIANTS["f32_unfused"]), model_type="bert",
                                     num_heads=config.num_attention_heads, hidden_size=config.hidden_size)
    fused_ops = {op: n for op, n in fused.get_fused_operator_statistics().items() if n}
    fused.save_model_to_file(os.path.join(tmp, VARIANTS["f32"]))
    # Shape inference does not type the outputs of the fused (com.microsoft) operators: they are
    # f32, which the quantizer is told rather than left to fail on.
    quantize_dynamic(os.path.join(tmp, VARIANTS["f32"]), os.path.join(tmp, VARIANTS["int8"]),
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    check = {"fused_operators": fused_ops}
    for variant, name in VARIANTS.items():
        out = session(os.path.join(tmp, name), threads).run(["last_hidden_state"], feeds(input_ids, mask))[0]
        check[f"{variant}_max_abs_error"] = float(abs(out - reference).max())
    print(f"   {check}", file=sys.stderr)
    with open(os.path.join(tmp, "bench_source.json"), "w") as f:
        json.dump({"source": key, "check": check}, f)
    shutil.rmtree(FOLDER, ignore_errors=True)
    os.replace(tmp, FOLDER)
    print(f"   exported in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return check


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    try:
        import onnx  # noqa: F401  (the exporter and the optimizer need it)
        import onnxruntime
    except ImportError as error:
        print(json.dumps({"ort_skipped": f"onnxruntime / onnx not installed ({error})"}))
        return
    import bench_bert
    import transformers

    transformers.logging.set_verbosity_error()
    threads = torch.get_num_threads()
    os.makedirs(MODELS_DIR, exist_ok=True)
    check = ensure_exported(threads)
    result = {"ort_version": onnxruntime.__version__, "ort_threads": threads, "ort_check": check}
    # The same ids as the twin's (drawn after the model's init, so the model is rebuilt here:
    # a few seconds, cheaper than keeping the ids in the cache).
    _, input_ids, mask = bench_bert.forward_model_and_inputs()
    inputs = feeds(input_ids, mask)
    for variant, name in VARIANTS.items():
        run = session(os.path.join(FOLDER, name), threads)
        seconds = median_time(lambda: run.run(None, inputs), samples)
        result[f"ort_{variant}_forward_8x128"] = seconds
        print(f"   ort {variant} forward_8x128: {seconds * 1000:.1f} ms", file=sys.stderr)
        del run
    print(json.dumps(result))


if __name__ == "__main__":
    main()
