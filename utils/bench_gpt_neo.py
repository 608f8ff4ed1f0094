#!/usr/bin/env python3
"""Python twin of the Criterion GPT-Neo bench (benches/gpt_neo.rs): the same work in HF
Transformers 5.24 (torch 2.13, CPU, eval, no_grad, HF's default attention implementation and
torch's default thread count) on GPT-Neo 125M's sizes (GPTNeoConfig with hidden_size 768,
num_layers 12, num_heads 12, attention_types [[["global", "local"], 6]], window 256, 2048
positions, vocab 50257) with random weights (HF's init after torch.manual_seed(0)).

Prompt: the 8 token ids PROMPT below, batch 1, attention mask all ones, KV cache on.
  gpt_neo_greedy_64:  greedy, exactly 64 new tokens (min_new_tokens = max_new_tokens = 64).
  gpt_neo_beam5_32:   beam search, num_beams 5, exactly 32 new tokens, early_stopping False,
                      length_penalty 1.0.
Each is run once as warm-up, then SAMPLES times (argv[1], default 5); the median wall time is
reported. Prints one JSON line:
  {"torch_threads", "attn_implementation", "gpt_neo_greedy_64": seconds, "gpt_neo_beam5_32": seconds}
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_generation import PROMPT, median_time  # noqa: E402
from transformers import GPTNeoConfig, GPTNeoForCausalLM  # noqa: E402


def main():
    torch.manual_seed(0)
    config = GPTNeoConfig(hidden_size=768, num_layers=12, num_heads=12,
                          attention_types=[[["global", "local"], 6]])
    model = GPTNeoForCausalLM(config).eval()
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

    print(json.dumps({
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "gpt_neo_greedy_64": median_time(greedy),
        "gpt_neo_beam5_32": median_time(beam),
    }))


if __name__ == "__main__":
    main()
