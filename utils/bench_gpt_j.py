#!/usr/bin/env python3
"""Python twin of the Criterion GPT-J bf16 bench (benches/gpt_j.rs): the same work in HF
Transformers 5.24 (torch 2.13, CPU, eval, no_grad, HF's default attention implementation) on the
checkpoint the Rust bench writes: GPT-J at its real width (n_embd 4096, 16 heads, rotary_dim
64, n_inner 16384, vocab 50400) and reduced depth, random bf16 weights, loaded with
GPTJForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).

Prompt: the 8 token ids PROMPT below, batch 1, attention mask all ones, KV cache on.
  gpt_j_bf16_greedy_32: greedy, exactly 32 new tokens (min_new_tokens = max_new_tokens = 32, so
                        the end token cannot stop it early).
Run once as warm-up, then SAMPLES times; the median wall time is reported.

Usage: bench_gpt_j.py FOLDER [SAMPLES, default 3] (threads: BENCH_THREADS, default 2, as the
Rust bench). Prints one JSON line:
  {"torch_threads", "attn_implementation", "layers", "gpt_j_bf16_greedy_32": seconds}
"""
import json
import os
import sys

import torch

import transformers
from transformers import GPTJForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_twin import median_time, threads  # noqa: E402

PROMPT = [464, 2068, 7586, 21831, 18045, 625, 262, 16931]  # "The quick brown fox jumps over the lazy"
NEW_TOKENS = 32
transformers.logging.set_verbosity_error()


def main():
    folder = sys.argv[1]
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(threads())
    model = GPTJForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).eval()
    assert model.dtype == torch.bfloat16, model.dtype
    eos = model.config.eos_token_id
    input_ids = torch.tensor([PROMPT])

    def greedy():
        with torch.no_grad():
            out = model.generate(input_ids, attention_mask=torch.ones_like(input_ids), pad_token_id=eos,
                                 eos_token_id=eos, do_sample=False, num_beams=1, use_cache=True,
                                 min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS)
        assert out.shape == (1, len(PROMPT) + NEW_TOKENS), out.shape

    print(json.dumps({
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "layers": model.config.n_layer,
        "gpt_j_bf16_greedy_32": median_time(greedy, samples=samples),
    }))


if __name__ == "__main__":
    main()
