#!/usr/bin/env python3
"""Python twin of the Criterion Marian translation bench: the same work in HF Transformers 5.24
(torch 2.13, CPU, eval, no_grad, HF's default attention implementation and torch's default thread
count) on a MarianMTModel of Helsinki-NLP/opus-mt-en-fr's sizes with random weights (HF's own init
after torch.manual_seed(0)):
    MarianConfig(vocab_size=59514, d_model=512, encoder_layers=6, decoder_layers=6,
                 encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048,
                 decoder_ffn_dim=2048, max_position_embeddings=512, pad_token_id=59513,
                 decoder_start_token_id=59513, eos_token_id=0, forced_eos_token_id=0,
                 scale_embedding=True, activation_function="swish")

Input: batch 4, 32 source ids per row, attention mask all ones; row b, position i < 31:
    1 + ((b * 32 + i) * 2654435761) % 59512        (ids 1..59512: never EOS 0 nor pad 59513)
and position 31 is EOS 0 (as the tokenizer ends every row).
  marian_beam6_40: beam search, num_beams 6, exactly 40 new tokens (min_new_tokens =
                   max_new_tokens = 40: EOS is banned until the last step), early_stopping False,
                   length_penalty 1.0, KV cache on, with Marian's generation defaults
                   bad_words_ids [[59513]] (pad never generated, as converted opus-mt configs set)
                   and forced_eos_token_id 0 (MarianConfig's default: at the 40th step every token
                   but EOS is -inf). Output [4, 41] (decoder start + 40).
Run once as warm-up, then SAMPLES times (argv[1], default 5); the median wall time is reported.
Prints one JSON line:  {"torch_threads", "attn_implementation", "marian_beam6_40": seconds}
"""
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import MarianConfig, MarianMTModel

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 5
BATCH, SRC_LEN, NEW_TOKENS, BEAMS = 4, 32, 40, 6
VOCAB, PAD, EOS = 59514, 59513, 0

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
        row = [1 + ((b * SRC_LEN + i) * 2654435761) % (VOCAB - 2) for i in range(SRC_LEN - 1)]
        rows.append(row + [EOS])
    return torch.tensor(rows)


def build_model():
    """The benchmarked model (HF's init after torch.manual_seed(0)); the CTranslate2 twin
    (bench_ct2.py) converts this same model."""
    torch.manual_seed(0)
    config = MarianConfig(vocab_size=VOCAB, d_model=512, encoder_layers=6, decoder_layers=6,
                          encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048,
                          decoder_ffn_dim=2048, max_position_embeddings=512, pad_token_id=PAD,
                          decoder_start_token_id=PAD, eos_token_id=EOS, forced_eos_token_id=EOS,
                          scale_embedding=True, activation_function="swish")
    return MarianMTModel(config).eval()


def main():
    model = build_model()
    input_ids = source_ids()
    assert int(input_ids[:, :-1].min()) >= 1 and int(input_ids[:, :-1].max()) <= VOCAB - 2
    options = dict(attention_mask=torch.ones_like(input_ids), pad_token_id=PAD, eos_token_id=EOS,
                   decoder_start_token_id=PAD, forced_eos_token_id=EOS, bad_words_ids=[[PAD]],
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
        "marian_beam6_40": median_time(beam),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
