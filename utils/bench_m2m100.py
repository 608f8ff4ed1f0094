#!/usr/bin/env python3
"""Python twin of the Criterion M2M100 bench (benches/seq2seq.rs, m2m100_beam4_40): the same work
in HF Transformers 5.24 (torch 2.13, CPU, eval, no_grad, HF's default attention implementation and
torch's default thread count) on an M2M100ForConditionalGeneration of facebook/m2m100_418M's sizes
with random weights (HF's own init after torch.manual_seed(0)):
    M2M100Config(vocab_size=128112, d_model=1024, encoder_layers=12, decoder_layers=12,
                 encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096,
                 decoder_ffn_dim=4096, max_position_embeddings=1024, pad_token_id=1,
                 bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, scale_embedding=True,
                 activation_function="relu")

Input: batch 4, 32 source ids per row, attention mask all ones; row b, position i < 31:
    4 + ((b * 32 + i) * 2654435761) % 127996        (ids 4..127999: no special token)
and position 31 is EOS 2 (the Rust bench draws random ids in the same range: the work does
not depend on them).
  m2m100_beam4_40: beam search, num_beams 4, exactly 40 new tokens (min_new_tokens =
                   max_new_tokens = 40), early_stopping False, length_penalty 1.0, KV cache on,
                   no forced tokens. Output [4, 41] (decoder start + 40).
Run once as warm-up, then SAMPLES times (argv[1], default 5); the median wall time is reported.
Prints one JSON line:  {"torch_threads", "attn_implementation", "m2m100_beam4_40": seconds}
"""
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import M2M100Config, M2M100ForConditionalGeneration

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 5
BATCH, SRC_LEN, NEW_TOKENS, BEAMS = 4, 32, 40, 4
VOCAB, PAD, EOS = 128112, 1, 2

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


def source_ids():
    rows = []
    for b in range(BATCH):
        row = [4 + ((b * SRC_LEN + i) * 2654435761) % 127996 for i in range(SRC_LEN - 1)]
        rows.append(row + [EOS])
    return torch.tensor(rows)


def main():
    torch.manual_seed(0)
    config = M2M100Config(vocab_size=VOCAB, d_model=1024, encoder_layers=12, decoder_layers=12,
                          encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096,
                          decoder_ffn_dim=4096, max_position_embeddings=1024, pad_token_id=PAD,
                          bos_token_id=0, eos_token_id=EOS, decoder_start_token_id=EOS,
                          scale_embedding=True, activation_function="relu")
    model = M2M100ForConditionalGeneration(config).eval()
    input_ids = source_ids()
    options = dict(attention_mask=torch.ones_like(input_ids), pad_token_id=PAD, eos_token_id=EOS,
                   decoder_start_token_id=EOS, forced_bos_token_id=None, forced_eos_token_id=None,
                   do_sample=False, use_cache=True, num_beams=BEAMS, num_return_sequences=1,
                   early_stopping=False, length_penalty=1.0, repetition_penalty=1.0, no_repeat_ngram_size=0,
                   min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS)

    def beam():
        with torch.no_grad():
            out = model.generate(input_ids, **options)
        assert out.shape == (BATCH, 1 + NEW_TOKENS), out.shape

    result = {
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "m2m100_beam4_40": median_time(beam),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
