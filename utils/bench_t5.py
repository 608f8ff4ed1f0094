#!/usr/bin/env python3
"""Python twin of the Criterion T5 generation bench: the same work in HF Transformers 5.24 (torch 2.13,
CPU, eval, no_grad, HF's default attention implementation and torch's default thread count) on
t5-small sizes (T5Config() defaults: vocab 32128, d_model 512, d_kv 64, d_ff 2048, 6 encoder + 6
decoder layers, 8 heads, 32 relative buckets, max distance 128, feed_forward_proj "relu", tied
embeddings with the d_model ** -0.5 rescale, pad 0, eos 1, decoder start 0) with random weights
(HF's init after torch.manual_seed(0)).

Input: batch 2 of 128 encoder token ids each: torch.randint(3, 32000, (2, 127)) drawn from
torch.Generator().manual_seed(1), each row followed by EOS 1 (length 128), attention mask all ones.
  t5_beam4_40: beam search, num_beams 4, exactly 40 new tokens (min_new_tokens = max_new_tokens = 40,
               so EOS cannot end it early), early_stopping False, length_penalty 1.0, do_sample False,
               no_repeat_ngram_size 0, repetition_penalty 1.0, KV cache on; output [2, 41].
Run once as warm-up, then SAMPLES times (argv[1], default 5); the median wall time is reported.
Prints one JSON line: {"torch_threads", "attn_implementation", "t5_beam4_40": seconds}
"""
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import T5Config, T5ForConditionalGeneration

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 5
BATCH, LENGTH, NEW_TOKENS, BEAMS = 2, 128, 40, 4

transformers.logging.set_verbosity_error()


def median_time(fn, samples=SAMPLES, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build_model():
    """The benchmarked model (T5Config(), HF's init after torch.manual_seed(0)); the CTranslate2
    twin (bench_ct2.py) converts this same model."""
    torch.manual_seed(0)
    return T5ForConditionalGeneration(T5Config()).eval()


def inputs(config):
    g = torch.Generator().manual_seed(1)
    return torch.cat([torch.randint(3, 32000, (BATCH, LENGTH - 1), generator=g),
                      torch.full((BATCH, 1), config.eos_token_id)], 1)


def main():
    model = build_model()
    config = model.config
    input_ids = inputs(config)
    options = dict(attention_mask=torch.ones_like(input_ids), pad_token_id=config.pad_token_id,
                   eos_token_id=config.eos_token_id, decoder_start_token_id=config.pad_token_id,
                   do_sample=False, use_cache=True, num_beams=BEAMS, num_return_sequences=1,
                   early_stopping=False, length_penalty=1.0, no_repeat_ngram_size=0, repetition_penalty=1.0,
                   min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS)

    def beam():
        with torch.no_grad():
            out = model.generate(input_ids, **options)
        assert out.shape == (BATCH, 1 + NEW_TOKENS), out.shape

    result = {
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "t5_beam4_40": median_time(beam),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
