#!/usr/bin/env python3
"""Python twin of the Criterion text-generation bench: the same work in HF Transformers 5.24
(torch 2.13, CPU, eval, no_grad, HF's default attention implementation and torch's default thread
count) on GPT-2 124M (GPT2Config() defaults: vocab 50257, 12 layers, 12 heads, n_embd 768) with
random weights (HF's init after torch.manual_seed(0)).

Prompt: the 8 token ids PROMPT below, batch 1, attention mask all ones, KV cache on.
  gpt2_greedy_64:  greedy, exactly 64 new tokens (min_new_tokens = max_new_tokens = 64, so EOS
                   cannot end it early), do_sample False, num_beams 1.
  gpt2_beam5_32:   beam search, num_beams 5, exactly 32 new tokens (min_new_tokens =
                   max_new_tokens = 32), early_stopping False, length_penalty 1.0.
Each is run once as warm-up, then SAMPLES times (argv[1], default 5); the median wall time is
reported. argv[2], optional, a comma-separated subset of the two names to run (default both; the
contention harness utils/bench_contention.sh runs gpt2_greedy_64 only). Prints one JSON line:
  {"torch_threads", "attn_implementation", "gpt2_greedy_64": seconds, "gpt2_beam5_32": seconds}
"""
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 5
PROMPT = [464, 2068, 7586, 21831, 18045, 625, 262, 16931]  # "The quick brown fox jumps over the lazy"

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
    """The benchmarked model (GPT2Config(), HF's init after torch.manual_seed(0)); the
    CTranslate2 twin (bench_ct2.py) converts this same model."""
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config()).eval()


def main():
    model = build_model()
    config = model.config
    eos = config.eos_token_id
    input_ids = torch.tensor([PROMPT])
    common = dict(attention_mask=torch.ones_like(input_ids), pad_token_id=eos, eos_token_id=eos,
                  do_sample=False, use_cache=True, num_return_sequences=1, repetition_penalty=1.0,
                  no_repeat_ngram_size=0, length_penalty=1.0)

    def greedy():
        with torch.no_grad():
            out = model.generate(input_ids, num_beams=1, min_new_tokens=64, max_new_tokens=64, **common)
        assert out.shape == (1, len(PROMPT) + 64), out.shape

    def beam():
        with torch.no_grad():
            out = model.generate(input_ids, num_beams=5, early_stopping=False, min_new_tokens=32,
                                 max_new_tokens=32, **common)
        assert out.shape == (1, len(PROMPT) + 32), out.shape

    wanted = sys.argv[2].split(",") if len(sys.argv) > 2 else ["gpt2_greedy_64", "gpt2_beam5_32"]
    result = {
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
    }
    for name, fn in [("gpt2_greedy_64", greedy), ("gpt2_beam5_32", beam)]:
        if name in wanted:
            result[name] = median_time(fn)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
