#!/usr/bin/env python3
"""Python twin of benches/bert.rs: the same work in HF Transformers (torch 2.13, CPU, eval,
no_grad, HF's default attention implementation), medians over the same number of samples.

Prints one JSON object: {"load_safetensors", "forward_8x128", "forward_8x128_bf16",
"forward_8x128_f16", "matmul_1024": seconds, ...}.
"""
import json
import statistics
import sys
import tempfile
import time

import torch
from transformers import BertConfig, BertModel

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def median_time(fn, samples=SAMPLES, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forward_model_and_inputs():
    """The model and the 8 x 128 inputs of forward_8x128 (HF's init and random ids after
    torch.manual_seed(0)); the ONNX Runtime twin (bench_onnx.py) exports this same model and
    feeds it these same inputs."""
    torch.manual_seed(0)
    config = BertConfig()  # bert-base sizes, as BertConfig::default() in Rust
    model = BertModel(config).eval()
    input_ids = torch.randint(config.vocab_size, (8, 128))
    mask = torch.ones(8, 128, dtype=torch.long)
    return model, input_ids, mask


def main():
    torch.manual_seed(0)
    config = BertConfig()  # bert-base sizes, as BertConfig::default() in Rust
    with tempfile.TemporaryDirectory() as tmp:
        BertModel(config).save_pretrained(tmp, safe_serialization=True)
        load = median_time(lambda: BertModel.from_pretrained(tmp))
    model, input_ids, mask = forward_model_and_inputs()

    def forward():
        with torch.no_grad():
            model(input_ids=input_ids, attention_mask=mask)

    result = {
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "load_safetensors": load,
        "forward_8x128": median_time(forward),
    }
    for name, dtype in (("forward_8x128_bf16", torch.bfloat16), ("forward_8x128_f16", torch.float16)):
        half = BertModel(config).eval().to(dtype)

        def forward_half():
            with torch.no_grad():
                half(input_ids=input_ids, attention_mask=mask)

        result[name] = median_time(forward_half)
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    result["matmul_1024"] = median_time(lambda: a @ b, samples=max(SAMPLES, 20))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
