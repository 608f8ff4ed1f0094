#!/usr/bin/env python3
"""Python twin of the Criterion SmolLM2 bench (benches/smollm2.rs): the same work in HF
Transformers 5.24 (torch 2.13, CPU, eval, no_grad, HF's default attention implementation) on
the real SmolLM2-135M-Instruct Q4_1 GGUF, dequantised into float32 by HF's loader
(AutoModelForCausalLM.from_pretrained(folder, gguf_file=..., dtype=torch.float32)).

Prompts: PROMPTS below (the Rust bench's), tokenised by HF's GGUF tokenizer outside the timed
call, left-padded; KV cache on.
  smollm2_greedy_128_b1: the first prompt, greedy, exactly 128 new tokens (min_new_tokens =
                         max_new_tokens = 128: the end tokens cannot stop it early).
  smollm2_greedy_128_b8: the eight prompts as one batch, the same.
Each is run once as warm-up, then SAMPLES times; the median wall time is reported.

Usage: bench_smollm2.py [SAMPLES, default 3] (threads: BENCH_THREADS, default 2, as the Rust
bench). Prints one JSON line:
  {"torch_threads", "attn_implementation", "prompt_lengths", "smollm2_greedy_128_b1": seconds,
   "smollm2_greedy_128_b8": seconds}
"""
import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_twin import median_time, threads  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GGUF = os.path.join(ROOT, ".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf")
NEW_TOKENS = 128
PROMPTS = [
    "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village by the sea,",
    "Explain in simple words why the sky is blue.",
    "Write a short poem about autumn leaves.",
    "What is the capital of France, and what is it famous for?",
    "List three tips for learning a new programming language quickly and well.",
    "Summarise the plot of a detective story in which the butler did not do it.",
    "How do bees make honey?",
    "Translate to French: The weather is lovely today and we are going to the beach.",
]
transformers.logging.set_verbosity_error()


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    torch.set_num_threads(threads())
    real = os.path.realpath(GGUF)
    folder, name = os.path.dirname(real), os.path.basename(real)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    eos = model.generation_config.eos_token_id
    if isinstance(eos, list):
        eos = eos[0]
    pad = tok.pad_token_id if tok.pad_token_id is not None else eos
    lengths = [len(tok(p).input_ids) for p in PROMPTS]

    def encode(prompts):
        ids = [tok(p).input_ids for p in prompts]
        longest = max(map(len, ids))
        input_ids = torch.tensor([[pad] * (longest - len(i)) + i for i in ids])
        mask = torch.tensor([[0] * (longest - len(i)) + [1] * len(i) for i in ids])
        return input_ids, mask

    def greedy(input_ids, mask):
        def run():
            with torch.no_grad():
                out = model.generate(input_ids, attention_mask=mask, pad_token_id=pad, do_sample=False,
                                     num_beams=1, use_cache=True, min_new_tokens=NEW_TOKENS,
                                     max_new_tokens=NEW_TOKENS)
            assert out.shape == (input_ids.shape[0], input_ids.shape[1] + NEW_TOKENS), out.shape
        return run

    print(json.dumps({
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "prompt_lengths": lengths,
        "smollm2_greedy_128_b1": median_time(greedy(*encode(PROMPTS[:1])), samples),
        "smollm2_greedy_128_b8": median_time(greedy(*encode(PROMPTS)), samples),
    }))


if __name__ == "__main__":
    main()
