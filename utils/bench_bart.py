#!/usr/bin/env python3
"""Python twin of the Criterion BART generation bench: the same work in HF Transformers 5.24
(torch 2.13, CPU, eval, no_grad, HF's default attention implementation and torch's default thread
count) on a BART-base-sized BartForConditionalGeneration with random weights (HF's init after
torch.manual_seed(0)).

Sizes: facebook/bart-base's (d_model 768, 6 encoder + 6 decoder layers, 12 heads, ffn 3072, vocab
50265, max_position_embeddings 1024, gelu, scale_embedding False, pad 1, bos 0, eos 2,
decoder_start_token_id 2). NB: BartConfig() defaults are bart-large's (d_model 1024, 12 + 12
layers, 16 heads, ffn 4096), so the base sizes are given explicitly.

Input: 2 rows x 256 token ids, no padding (attention mask all ones): row = [0] + 254 ids drawn
uniformly from 4..50263 (torch.Generator seed 1234; no special ids, no <mask>) + [2].
  bart_beam3_40: beam search, num_beams 3, exactly 40 new tokens (min_new_tokens = max_new_tokens
                 = 40, so EOS cannot end it early; output [2, 41] with the decoder start token),
                 early_stopping False, length_penalty 1.0, no_repeat_ngram_size 0,
                 repetition_penalty 1.0, forced_bos_token_id None, forced_eos_token_id None,
                 do_sample False, KV cache on.
Run once as warm-up, then SAMPLES times (argv[1], default 5); the median wall time is reported.
Prints one JSON line: {"torch_threads", "attn_implementation", "bart_beam3_40": seconds}
"""
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import BartConfig, BartForConditionalGeneration

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 5
BATCH, LENGTH, NEW_TOKENS = 2, 256, 40

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


def inputs(config):
    g = torch.Generator().manual_seed(1234)
    body = torch.randint(4, config.vocab_size - 1, (BATCH, LENGTH - 2), generator=g)
    bos = torch.full((BATCH, 1), config.bos_token_id)
    eos = torch.full((BATCH, 1), config.eos_token_id)
    return torch.cat([bos, body, eos], 1)


def build_model():
    """The benchmarked model (HF's init after torch.manual_seed(0)); the CTranslate2 twin
    (bench_ct2.py) converts this same model."""
    torch.manual_seed(0)
    config = BartConfig(d_model=768, encoder_layers=6, decoder_layers=6, encoder_attention_heads=12,
                        decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072)
    return BartForConditionalGeneration(config).eval()


def main():
    model = build_model()
    config = model.config
    input_ids = inputs(config)
    options = dict(attention_mask=torch.ones_like(input_ids), num_beams=3, do_sample=False, use_cache=True,
                   min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS, early_stopping=False,
                   length_penalty=1.0, no_repeat_ngram_size=0, repetition_penalty=1.0,
                   num_return_sequences=1, forced_bos_token_id=None, forced_eos_token_id=None,
                   pad_token_id=config.pad_token_id, eos_token_id=config.eos_token_id,
                   decoder_start_token_id=config.decoder_start_token_id)

    def beam():
        with torch.no_grad():
            out = model.generate(input_ids, **options)
        assert out.shape == (BATCH, 1 + NEW_TOKENS), out.shape

    result = {
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "bart_beam3_40": median_time(beam),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
