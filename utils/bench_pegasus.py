#!/usr/bin/env python3
"""Python twin of the Criterion Pegasus bench (benches/pegasus.rs): the same work in HF
Transformers 5.24 (torch 2.13, CPU, eval, no_grad, HF's default attention implementation and
torch's default thread count) on a google/pegasus-large-sized PegasusForConditionalGeneration with
random weights (HF's init after torch.manual_seed(0)).

Sizes: vocab 96103, d_model 1024, 16 encoder + 16 decoder layers, 16 heads, ffn 4096,
max_position_embeddings 1024, relu, scale_embedding True, pad 0, eos 1, decoder_start 0.
Input: 2 rows x 512 token ids, no padding: 511 ids drawn uniformly from 105..96101
(torch.Generator seed 1234) + </s> (1).
  pegasus_large_beam4_2x512_40: beam search, num_beams 4, exactly 40 new tokens
  (min_new_tokens = max_new_tokens = 40), early_stopping False, length_penalty 1.0, no
  forced tokens, do_sample False, KV cache on.
Run once as warm-up, then SAMPLES times (argv[1], default 5); the median wall time is reported.
Prints one JSON line: {"torch_threads", "attn_implementation", "pegasus_large_beam4_2x512_40": seconds}
"""
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import PegasusConfig, PegasusForConditionalGeneration

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 5
BATCH, LENGTH, NEW_TOKENS, BEAMS = 2, 512, 40, 4

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


def main():
    torch.manual_seed(0)
    config = PegasusConfig(vocab_size=96103, d_model=1024, encoder_layers=16, decoder_layers=16,
                           encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096,
                           decoder_ffn_dim=4096, max_position_embeddings=1024, activation_function="relu",
                           scale_embedding=True, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
                           forced_eos_token_id=None)
    model = PegasusForConditionalGeneration(config).eval()
    g = torch.Generator().manual_seed(1234)
    body = torch.randint(105, 96102, (BATCH, LENGTH - 1), generator=g)
    input_ids = torch.cat([body, torch.full((BATCH, 1), 1)], 1)
    options = dict(attention_mask=torch.ones_like(input_ids), num_beams=BEAMS, do_sample=False, use_cache=True,
                   min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS, early_stopping=False,
                   length_penalty=1.0, no_repeat_ngram_size=0, repetition_penalty=1.0,
                   num_return_sequences=1, forced_bos_token_id=None, forced_eos_token_id=None,
                   pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)

    def beam():
        with torch.no_grad():
            out = model.generate(input_ids, **options)
        assert out.shape == (BATCH, 1 + NEW_TOKENS), out.shape

    print(json.dumps({
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "pegasus_large_beam4_2x512_40": median_time(beam),
    }))


if __name__ == "__main__":
    main()
