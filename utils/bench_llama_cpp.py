#!/usr/bin/env python3
"""llama.cpp on the same SmolLM2-135M-Instruct Q4_1 GGUF as benches/smollm2.rs, through the PyPI
package llama-cpp-python (which compiles llama.cpp at install; not in requirements.txt:
`CMAKE_BUILD_PARALLEL_LEVEL=2 .venv/bin/pip install llama-cpp-python==0.3.36`). llama.cpp
computes with the file's Q4_1 weights as they are (the Rust bench dequantises them to f32): this
is the speed users compare with, not the same arithmetic.

  llama_cpp_greedy_128_b1: the first prompt of benches/smollm2.rs, tokenised by llama.cpp,
                           greedy (temperature 0), exactly 128 new tokens (the generator is cut
                           at 128 tokens: the end token does not stop it), n_threads =
                           n_threads_batch = BENCH_THREADS (default 2); the context is reset
                           before each run so the prompt is evaluated every time.
Run once as warm-up, then SAMPLES times; the median wall time is reported.

Usage: bench_llama_cpp.py [SAMPLES, default 3]. Prints one JSON line:
  {"llama_cpp_version", "threads", "prompt_length", "llama_cpp_greedy_128_b1": seconds}
"""
import json
import os
import sys

import llama_cpp
from llama_cpp import Llama

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_twin import median_time, threads  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GGUF = os.path.join(ROOT, ".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf")
NEW_TOKENS = 128
PROMPT = "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village by the sea,"


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    n = threads()
    llm = Llama(model_path=os.path.realpath(GGUF), n_ctx=512, n_batch=512, n_threads=n,
                n_threads_batch=n, seed=0, verbose=False)
    tokens = llm.tokenize(PROMPT.encode("utf-8"), add_bos=False, special=False)

    def greedy():
        llm.reset()
        out = []
        for token in llm.generate(tokens, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0,
                                  reset=True):
            out.append(token)
            if len(out) == NEW_TOKENS:
                break
        assert len(out) == NEW_TOKENS, len(out)

    print(json.dumps({
        "llama_cpp_version": llama_cpp.__version__,
        "threads": n,
        "prompt_length": len(tokens),
        "llama_cpp_greedy_128_b1": median_time(greedy, samples),
    }))


if __name__ == "__main__":
    main()
