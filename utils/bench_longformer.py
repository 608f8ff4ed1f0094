#!/usr/bin/env python3
"""Python twin of benches/longformer.rs: the same forward pass in HF Transformers (torch 2.13,
CPU, eval, no_grad): LongformerModel with longformer-base-4096's sizes and random weights
(normal(0, 0.02)), 1 x 4096 tokens, windows of 512, global attention on the first 4 tokens.
Median over the same number of samples.

Prints one JSON object: {"torch_threads", "forward_1x4096": seconds, "peak_rss_mb": the process's
peak resident memory after the forward passes (ru_maxrss), "loaded_rss_mb": before them}.
Usage: .venv/bin/python utils/bench_longformer.py [samples]
"""
import json
import resource
import statistics
import sys
import time

import torch
from transformers import LongformerConfig, LongformerModel

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


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    torch.manual_seed(0)
    config = LongformerConfig(
        attention_window=512, max_position_embeddings=4098, vocab_size=50265, type_vocab_size=1,
        pad_token_id=1, layer_norm_eps=1e-5, hidden_size=768, num_hidden_layers=12,
        num_attention_heads=12, intermediate_size=3072,
    )
    model = LongformerModel(config, add_pooling_layer=False).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.02)
    input_ids = torch.randint(4, config.vocab_size, (1, 4096))
    global_mask = torch.zeros_like(input_ids)
    global_mask[:, :4] = 1
    loaded = peak_mb()

    def forward():
        with torch.no_grad():
            model(input_ids=input_ids, global_attention_mask=global_mask)

    result = {
        "torch_threads": torch.get_num_threads(),
        "loaded_rss_mb": loaded,
        "forward_1x4096": median_time(forward),
        "peak_rss_mb": peak_mb(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
