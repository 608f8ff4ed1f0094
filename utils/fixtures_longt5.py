#!/usr/bin/env python3
"""HF-reference fixtures for LongT5 (tests/fixtures/longt5_local/, tests/fixtures/longt5_tglobal/).

Run from the repository root:  .venv/bin/python utils/fixtures_longt5.py   (--scan local|tglobal A B)
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention, torch
single-threaded (generate_fixtures sets it). Deterministic: two runs write byte-identical files.
Every expected value comes from HF.

Tokenizer
    tests/fixtures/t5/spiece.model (written by fixtures_t5.py, NOT copied; the same training is
    rerun and compared): HF T5Tokenizer.from_pretrained(folder, extra_ids=100), 350 ids.
<folder>/config.json, model.safetensors
    LongT5ForConditionalGeneration(LongT5Config(vocab_size 350, d_model 32, d_kv 8, d_ff 64,
    2 + 2 layers, 4 heads, relative_attention_num_buckets 8, relative_attention_max_distance 20,
    feed_forward_proj gated-gelu, layer_norm_epsilon 0.02, dropout 0, local_radius 3 (blocks of 4
    tokens), global_block_size 3, encoder_attention_type "local" (longt5_local) or
    "transient-global" (longt5_tglobal), pad 0, eos 1, decoder_start 0, tied head scaled by
    d_model ** -0.5)). Randomised and shaped as fixtures_t5.py does (randomise, shape_output:
    unused ids pushed down, EOS shifted so about half of the greedy decodings end with it).
expected.safetensors
    `input_ids`, `attention_mask` [3, L]: FORWARD_TEXTS tokenized and right-padded (lengths in
    the printout: the longest spans several local blocks, the others end inside a block, so padding
    sits inside a block and, for transient-global attention, inside a global block);
    `decoder_input_ids` [3, 5] (0 then random pieces): `logits`, `encoder_last_hidden_state`,
    `encoder_hidden_states.i`, `decoder_hidden_states.i`, `encoder_attentions.i` (per block:
    [batch, blocks, heads, 4, 12 (+ global tokens)]), `decoder_attentions.i`, `cross_attentions.i`;
    incremental decoding `step.k.decoder_input_ids` / `step.k.logits` (cache; equal to the full
    forward to 1e-5). `nomask.*`: the first row alone without attention mask (HF builds a mask of
    ones).
cases.json
    fixtures_t5.gen_cases on the model (greedy, min_length, repetition penalty + no_repeat 2, beam 3,
    beam 4 early stopping returning 2, beam 3 no_repeat 2 + length penalty 2, bad words, forced EOS,
    beam 4 no_repeat 3, single unpadded row); every gap asserted > 5e-5.
text.json (longt5_tglobal only)
    Summarization as the pipeline does it (no prefix for LongT5, as rust-bert): tokenizer(SUMMARY_TEXTS,
    padding=True), generate with rust-bert 0.23's default summarization settings (num_beams 3,
    min_length 56, max_length 142, early_stopping True, no_repeat_ngram_size 3, length_penalty 1.0),
    decode(skip_special_tokens=True).
"""
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402  (sets torch threads 1, deterministic algorithms)
import fixtures_generation as fgen  # noqa: E402
import fixtures_t5 as ft5  # noqa: E402
from transformers import LongT5Config, LongT5ForConditionalGeneration, T5Tokenizer  # noqa: E402

SEEDS = {"local": 29, "tglobal": 20}
KINDS = {"local": "local", "tglobal": "transient-global"}
FORWARD_TEXTS = [ft5.TEXTS[0], ft5.CORPUS[1], "Vielen Dank."]
# Two corpus lines: with these settings (up to 142 steps of beam search on a random model) they
# keep every near-tie above 4e-5, 40 times the crate's logits error (other texts tie exactly).
SUMMARY_TEXTS = ft5.CORPUS[6:8]
SUMMARY_OPTIONS = dict(num_beams=3, min_length=56, max_length=142, early_stopping=True,
                       no_repeat_ngram_size=3, length_penalty=1.0)


def out_dir(kind):
    return os.path.join(gf.FIX, f"longt5_{kind}")


def load_tokenizer():
    proto = ft5.train_spm()
    with open(os.path.join(ft5.OUT_T5, "spiece.model"), "rb") as f:
        assert f.read() == proto, "tests/fixtures/t5/spiece.model is stale: run fixtures_t5.py"
    return ft5.load_tokenizer(proto)


def config(kind):
    c = LongT5Config(
        vocab_size=ft5.V, d_model=ft5.D_MODEL, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
        relative_attention_num_buckets=8, relative_attention_max_distance=20, feed_forward_proj="gated-gelu",
        layer_norm_epsilon=0.02, dropout_rate=0.0, pad_token_id=ft5.PAD, eos_token_id=ft5.EOS,
        decoder_start_token_id=ft5.PAD, local_radius=3, global_block_size=3, encoder_attention_type=KINDS[kind],
    )
    c._attn_implementation = "eager"
    return c


def build(tok, kind, seed):
    torch.manual_seed(seed)
    model = LongT5ForConditionalGeneration(config(kind))
    ft5.randomise(model, seed + 1000)
    model.eval()
    assert model.lm_head.weight.data_ptr() == model.shared.weight.data_ptr()
    assert model.config.scale_decoder_outputs
    stats = ft5.shape_output(model, model.shared, tok)
    return model, stats


def gen_forward(model, tok, folder):
    batch = tok(FORWARD_TEXTS, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    lengths = mask.sum(1).tolist()
    assert lengths[0] > 4 * 4 and all(n % 4 != 0 for n in lengths[1:]), lengths
    g = torch.Generator().manual_seed(700)
    dec = torch.randint(3, ft5.SPM_VOCAB, (3, 5), generator=g)
    dec[:, 0] = ft5.PAD
    res = {"input_ids": ids, "attention_mask": mask, "decoder_input_ids": dec}
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec, output_hidden_states=True,
                    output_attentions=True, use_cache=False)
        res["logits"] = out.logits
        res["encoder_last_hidden_state"] = out.encoder_last_hidden_state
        for name in ("encoder_hidden_states", "decoder_hidden_states", "encoder_attentions",
                     "decoder_attentions", "cross_attentions"):
            for i, t in enumerate(getattr(out, name)):
                res[f"{name}.{i}"] = t
        cache = None
        for k in range(4):
            step_ids = dec[:, :2] if k == 0 else dec[:, k + 1:k + 2]
            step = model(input_ids=ids, attention_mask=mask, decoder_input_ids=step_ids, cache=cache, use_cache=True)
            cache = step.cache
            res[f"step.{k}.decoder_input_ids"] = step_ids
            res[f"step.{k}.logits"] = step.logits
            full = out.logits[:, :2] if k == 0 else out.logits[:, k + 1:k + 2]
            d = (full - step.logits).abs().max().item()
            assert d < 1e-5, (k, d)
        row = ids[:1, :lengths[0]]
        nomask = model(input_ids=row, decoder_input_ids=dec[:1])
        res.update({"nomask.input_ids": row, "nomask.decoder_input_ids": dec[:1], "nomask.logits": nomask.logits})
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
    return lengths, [tuple(t.shape) for t in out.encoder_attentions]


def gen_text(model, tok, folder):
    options = dict(ft5.base_options(), **SUMMARY_OPTIONS)
    batch = tok(SUMMARY_TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad(), fgen.BeamRecorder(model) as rec:
        seqs = model.generate(batch["input_ids"], attention_mask=batch["attention_mask"], **options)
    gap, boundary = rec.min_gap()
    seqs = seqs.tolist()
    # min_length 56 with no repeated trigram drives the tiny model to extra ids: special tokens,
    # skipped by decode(skip_special_tokens=True) whatever their order (rust_tokenizers numbers
    # them forward, HF backward).
    extra = sum(1 for row in seqs for t in row[1:] if t >= ft5.SPM_VOCAB)
    result = {"texts": SUMMARY_TEXTS, "input_ids": batch["input_ids"].tolist(),
              "attention_mask": batch["attention_mask"].tolist(), "options": options, "sequences": seqs,
              "summaries": [tok.decode(s, skip_special_tokens=True) for s in seqs], "min_gap": gap,
              "extra_id_tokens": extra}
    gf.save_json(os.path.join(folder, "text.json"), result)
    return result, gap, boundary


def scan(tok, kind, seeds):
    for seed in seeds:
        model, stats = build(tok, kind, seed)
        try:
            cases, infos = ft5.gen_cases(model, tok)
        except AssertionError as e:
            print(f"seed {seed}: assertion {str(e)[:100]}")
            continue
        gap = min(i["gap"] for i in infos.values())
        print(f"seed {seed}: shift {stats[0]} rate {stats[1]:.3f} min gap {gap:.2e} "
              f"greedy lens {cases[0]['generated_lengths']}", flush=True)


def main():
    tok = load_tokenizer()
    if len(sys.argv) > 1 and sys.argv[1] == "--scan":
        scan(tok, sys.argv[2], range(int(sys.argv[3]), int(sys.argv[4])))
        return
    for kind, seed in SEEDS.items():
        folder = out_dir(kind)
        model, stats = build(tok, kind, seed)
        print(f"[longt5 {kind}] seed {seed}: EOS shift {stats[0]} rate {stats[1]:.3f}")
        keys = gf.save_model(model, folder)
        assert not any("lm_head" in k for k in keys), keys
        reloaded = LongT5ForConditionalGeneration.from_pretrained(folder, attn_implementation="eager").eval()
        for k, v in reloaded.state_dict().items():
            assert torch.equal(v, model.state_dict()[k]), k
        lengths, shapes = gen_forward(model, tok, folder)
        print(f"  forward lengths {lengths}, encoder attention shapes {shapes[0]}")
        cases, infos = ft5.gen_cases(model, tok)
        gap = ft5.report_cases(kind, cases, infos)
        assert gap > 5e-5, gap
        gf.save_json(os.path.join(folder, "cases.json"), cases)
        if kind == "tglobal":
            text, gap, boundary = gen_text(model, tok, folder)
            print(f"  [text] min gap {gap:.2e} (keep boundary {boundary:.2e})")
            assert gap > 4e-5 and boundary > 1e-4, (gap, boundary)
            for s in text["summaries"]:
                print(f"  [text] {s[:90]!r}")
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        size = os.path.getsize(p)
        total += size
        print(f"{os.path.relpath(p, gf.ROOT)}  {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
