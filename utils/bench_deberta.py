#!/usr/bin/env python3
"""Python twin of benches/deberta.rs: DeBERTa-v3-base's encoder (DebertaV2Model, random
weights) on an 8x128 batch in HF Transformers (torch 2.13, CPU, eval, no_grad; DeBERTa has only
HF's eager attention), median over the same number of samples.

Prints one JSON object: {"torch_threads", "forward_8x128": seconds}.
Usage: .venv/bin/python utils/bench_deberta.py [samples]
"""
import json
import statistics
import sys
import time

import torch
from transformers import DebertaV2Config, DebertaV2Model

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 10

# microsoft/deberta-v3-base's config.json (the same as deberta_v3_base() in benches/deberta.rs)
CONFIG = dict(
    attention_probs_dropout_prob=0.1, hidden_act="gelu", hidden_dropout_prob=0.1, hidden_size=768,
    initializer_range=0.02, intermediate_size=3072, max_position_embeddings=512,
    relative_attention=True, position_buckets=256, norm_rel_ebd="layer_norm", share_att_key=True,
    pos_att_type="p2c|c2p", layer_norm_eps=1e-7, max_relative_positions=-1,
    position_biased_input=False, num_attention_heads=12, num_hidden_layers=12, type_vocab_size=0,
    vocab_size=128100,
)


def median_time(fn, samples=SAMPLES, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    torch.manual_seed(0)
    config = DebertaV2Config(**CONFIG)
    model = DebertaV2Model(config).eval()
    input_ids = torch.randint(config.vocab_size, (8, 128))
    mask = torch.ones(8, 128, dtype=torch.long)

    def forward():
        with torch.no_grad():
            model(input_ids=input_ids, attention_mask=mask)

    print(json.dumps({"torch_threads": torch.get_num_threads(), "forward_8x128": median_time(forward)}))


if __name__ == "__main__":
    main()
