#!/usr/bin/env python3
"""Python twin of the Criterion Llama-1B-width bench (benches/llama_1b.rs): the same work in HF
Transformers 5.24 (torch 2.13, CPU, eval, no_grad, HF's default attention implementation) on the
folder the Rust bench writes: Llama-3.2-1B's width (hidden 2048, intermediate 8192, 32 heads, 8
key/value heads, vocab 128256, tied embeddings, llama3 rope scaling) at reduced depth, random
bf16 weights, loaded with LlamaForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).

Prompt: the 9 token ids PROMPT below, batch 1, attention mask all ones, KV cache on.
  llama_1b_bf16_greedy_32: greedy, exactly 32 new tokens (min_new_tokens = max_new_tokens = 32).
Run once as warm-up, then SAMPLES times; the median wall time is reported.

Usage: bench_llama_1b.py FOLDER [SAMPLES, default 3] (threads: BENCH_THREADS, default 2, as the
Rust bench). Prints one JSON line:
  {"torch_threads", "attn_implementation", "layers", "llama_1b_bf16_greedy_32": seconds}
"""
import json
import os
import sys

import torch
import transformers
from transformers import LlamaForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_twin import median_time, threads  # noqa: E402

PROMPT = [128000, 791, 4062, 14198, 39935, 35308, 927, 279, 16053]
NEW_TOKENS = 32
transformers.logging.set_verbosity_error()


def main():
    folder = sys.argv[1]
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(threads())
    model = LlamaForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).eval()
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
        "layers": model.config.num_hidden_layers,
        "llama_1b_bf16_greedy_32": median_time(greedy, samples),
    }))


if __name__ == "__main__":
    main()
