#!/usr/bin/env python3
"""HF-reference fixtures for Pegasus (PegasusForConditionalGeneration + PegasusTokenizer).

Run from the repository root:  .venv/bin/python utils/fixtures_pegasus.py   (--scan N: seed scan)
Reference: transformers 5.24 / torch 2.13 / tokenizers 0.23, CPU, float32, eval, no_grad, eager
attention, torch single-threaded (generate_fixtures sets it). Deterministic: two runs write
byte-identical files. Every expected value comes from HF.

Tokenizer
    spiece.model = tests/fixtures/tokenizers/spm/t5.model (written by fixtures_tokenizers.py; NOT
    copied): a 1000-piece unigram model laid out as Pegasus' own spiece.model (<pad> 0, </s> 1,
    <unk> 2). HF's PegasusTokenizer.from_pretrained(folder with that file as spiece.model)
    converts it (PegasusConverter) into HF's offset layout: <pad> 0, </s> 1, <mask_1> 2,
    <mask_2> 3, <unk_2> .. <unk_102> 4 .. 104, then the spm pieces from <unk> on at 105 (piece p
    -> p + 103): 1103 ids. Encoding appends </s>; pairs are `A B </s>`.
tests/fixtures/tokenizers/pegasus.json
    fixtures_tokenizers.reference(tok) on its corpus: per line ids / offsets / tokens, pairs,
    stride windows and question/context windows, as the other tokenizers' files.
tests/fixtures/pegasus/config.json, model.safetensors
    PegasusForConditionalGeneration(PegasusConfig(vocab_size 1103, d_model 32, 2 + 2 layers,
    4 heads, ffn 64, max_position_embeddings 160, activation relu, scale_embedding True,
    pad 0, eos 1, decoder_start 0, forced_eos 1, dropouts 0)). Every parameter normal(0, 0.2),
    layer norm weights normal(1, 0.2), final_logits_bias normal(0, 0.2); the sinusoidal tables
    are left alone (not saved; rebuilt at load). Then final_logits_bias is shaped:
    ids 0 .. 105 (pad, specials, <unk>) get -3 (generations of real pieces), and EOS's entry is
    bisected so that about half of the greedy decodings of SHAPE_TEXTS end with a generated EOS.
expected.safetensors
    `input_ids`, `attention_mask` [3, L] (BATCH_TEXTS, right-padded with 0), `decoder_input_ids`
    [3, 5] (0 then the first ids of DECODER_TEXTS): `logits`, `encoder_last_hidden_state`,
    `encoder_hidden_states.i`, `decoder_hidden_states.i` (the last one after the final layer
    norm, as HF reports it), `encoder_attentions.i`, `decoder_attentions.i`,
    `cross_attentions.i`; `positions` [160, 32] (HF's table: sines in the first half, cosines in
    the second); incremental decoding `step.k.decoder_input_ids` / `step.k.logits` with the
    cache (checked equal to the full forward to 1e-5).
cases.json
    HF generate cases as in fixtures_marian.py (run_case), options always explicit (pad 0,
    eos 1, decoder_start 0, forced_eos 1 unless null): greedy, greedy with no_repeat_ngram_size
    and repetition penalty, beam 3, beam 4 early stopping returning 2, beam 3 with no_repeat 2
    and length penalty 2.0, beam 3 without forced EOS, single unpadded rows. Every greedy and
    beam near-tie > 1e-4 (asserted).
text.json
    Summarization as the pipeline does it: tokenizer(SUMMARY_TEXTS, truncation=True,
    max_length=160, padding=True) (the first text is longer than 160 tokens: truncated, </s>
    kept), generate with rust-bert 0.23's default summarization settings (num_beams 3,
    min_length 56, max_length 142, early_stopping True, no_repeat_ngram_size 3, length_penalty
    1.0) plus the model's forced EOS, decode(skip_special_tokens=True).
"""
import os
import shutil
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402  (sets torch threads 1, deterministic algorithms)
import fixtures_marian as fm  # noqa: E402  (run_case, BeamRecorder, right_pad, sinusoidal_table)
import fixtures_tokenizers as ft  # noqa: E402
from transformers import PegasusConfig, PegasusForConditionalGeneration, PegasusTokenizer  # noqa: E402

OUT = os.path.join(gf.FIX, "pegasus")
SPM = os.path.join(gf.FIX, "tokenizers", "spm", "t5.model")
MODEL_SEED = 3
POSITIONS = 160
SPECIAL_SHIFT = -3.0
EOS_TARGET_RATE = 0.5
SHAPE_NEW_TOKENS = 12

BATCH_TEXTS = ["The old river runs to the sea.", "My friend reads.", "The dog."]
DECODER_TEXTS = ["The dog runs in the park.", "She reads a good book.", "Hello my friend."]
SHAPE_TEXTS = [
    "The cat is black.", "The dog is small.", "I like green apples.", "She reads a book.",
    "He drinks some water.", "We live in a small house.", "They play in the garden.",
    "The sun is warm today.", "My friend has a red car.", "The children are at school.",
    "Where is the train station?", "I am very happy.", "The weather is nice.",
    "My mother cooks dinner.", "The bread is fresh.", "He walks to work.",
    "She speaks French well.", "The book is on the table.", "We eat at noon.",
    "The river is long.", "I want a cup of coffee.", "The city is very old.",
]
SUMMARY_TEXTS = [
    "The city council voted on Monday to build a new bridge over the river. " * 12,
    "The train was late because of snow.",
    "Children planted trees in the park on Saturday morning.",
]
SUMMARY_OPTIONS = dict(num_beams=3, min_length=56, max_length=142, early_stopping=True,
                       no_repeat_ngram_size=3, length_penalty=1.0)


def load_tokenizer(folder):
    return PegasusTokenizer.from_pretrained(folder)


def tokenizer_fixture(scratch):
    tok = ft.build_hf("PegasusTokenizer", {"spiece.model": SPM}, {}, scratch)
    assert len(tok) == 1103 and tok.pad_token_id == 0 and tok.eos_token_id == 1 and tok.unk_token_id == 105
    assert tok.convert_tokens_to_ids(["<mask_1>", "<mask_2>", "<unk_2>", "<unk_102>"]) == [2, 3, 4, 104]
    ref = ft.reference(tok)
    path = os.path.join(ft.OUT, "pegasus.json")
    ft.save_json("pegasus.json", ref)
    gf.WRITTEN.append(path)
    return tok


def make_config():
    return PegasusConfig(
        vocab_size=1103, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=POSITIONS, activation_function="relu", scale_embedding=True,
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
    )


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "embed_positions" in name:
                continue
            if "layer_norm" in name and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)
        model.final_logits_bias.normal_(0.0, 0.2)


def base_options(config):
    return dict(pad_token_id=config.pad_token_id, eos_token_id=config.eos_token_id,
                decoder_start_token_id=config.decoder_start_token_id, forced_eos_token_id=config.eos_token_id,
                do_sample=False, use_cache=True, num_beams=1, length_penalty=1.0, early_stopping=False,
                no_repeat_ngram_size=0, repetition_penalty=1.0, min_length=0, num_return_sequences=1,
                output_scores=True, return_dict_in_generate=True)


def shape_output(model, tok):
    eos = model.config.eos_token_id
    enc = tok(SHAPE_TEXTS, padding=True, return_tensors="pt")
    options = dict(base_options(model.config), forced_eos_token_id=None, max_new_tokens=SHAPE_NEW_TOKENS,
                   output_scores=False, return_dict_in_generate=False)
    with torch.no_grad():
        bias = model.final_logits_bias[0]
        bias[:106] += SPECIAL_SHIFT

        def rate(s):
            bias[eos] = s
            seqs = model.generate(enc["input_ids"], attention_mask=enc["attention_mask"], **options)
            return (seqs[:, 1:] == eos).any(-1).float().mean().item()

        lo, hi = -20.0, 20.0
        for _ in range(30):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if rate(mid) < EOS_TARGET_RATE else (lo, mid)
        s = round(hi, 3)
        return s, rate(s)


def build_model(tok, seed):
    config = make_config()
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = PegasusForConditionalGeneration(config)
    randomise(model, seed + 1000)
    model.eval()
    stats = shape_output(model, tok)
    assert model.lm_head.weight.data_ptr() == model.model.shared.weight.data_ptr()
    return model, stats


def gen_forward(model, tok):
    start = model.config.decoder_start_token_id
    rows = [tok(t)["input_ids"] for t in BATCH_TEXTS]
    lengths = [len(r) for r in rows]
    assert len(set(lengths)) == 3, lengths
    ids, mask = fm.right_pad(rows, model.config.pad_token_id)
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    dec = torch.tensor([[start] + tok(t)["input_ids"][:4] for t in DECODER_TEXTS])
    res = {"input_ids": input_ids, "attention_mask": attention_mask, "decoder_input_ids": dec}
    table = model.model.encoder.embed_positions.weight.detach().clone()
    assert torch.equal(table, model.model.decoder.embed_positions.weight)
    assert torch.equal(table, fm.sinusoidal_table(*table.shape))
    res["positions"] = table
    with torch.no_grad():
        out = model(input_ids=input_ids, attention_mask=attention_mask, decoder_input_ids=dec,
                    output_hidden_states=True, output_attentions=True, use_cache=False)
        res["logits"] = out.logits
        res["encoder_last_hidden_state"] = out.encoder_last_hidden_state
        for name in ("encoder_hidden_states", "decoder_hidden_states", "encoder_attentions",
                     "decoder_attentions", "cross_attentions"):
            for i, t in enumerate(getattr(out, name)):
                res[f"{name}.{i}"] = t
        assert len(out.encoder_hidden_states) == 3 and len(out.cross_attentions) == 2
        encoder_outputs = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask)
        cache = None
        for k, (a, b) in enumerate([(0, 2), (2, 3), (3, 4), (4, 5)]):
            step = model(encoder_outputs=encoder_outputs, attention_mask=attention_mask,
                         decoder_input_ids=dec[:, a:b], cache=cache, use_cache=True)
            cache = step.cache
            res[f"step.{k}.decoder_input_ids"] = dec[:, a:b]
            res[f"step.{k}.logits"] = step.logits
            d = (step.logits - out.logits[:, a:b]).abs().max().item()
            assert d < 1e-5, (k, d)
    gf.save_tensors(os.path.join(OUT, "expected.safetensors"), res)
    return ids, mask


def gen_cases(model, ids, mask):
    base = base_options(model.config)
    cases, infos = [], {}

    def add(name, options, rows=(ids, mask)):
        case, info = fm.run_case(model, name, rows[0], rows[1], options)
        cases.append(case)
        infos[name] = info

    beam = lambda n, **kw: dict(base, num_beams=n, **kw)  # noqa: E731
    add("greedy_max_new_tokens_10", dict(base, max_new_tokens=10))
    add("greedy_no_forced_eos", dict(base, forced_eos_token_id=None, max_new_tokens=10))
    add("greedy_repetition_penalty_1.3_no_repeat_2", dict(base, repetition_penalty=1.3, no_repeat_ngram_size=2,
                                                         max_new_tokens=12))
    add("beam3_early_stopping_false", beam(3, max_new_tokens=10))
    add("beam4_early_stopping_true_return2", beam(4, early_stopping=True, num_return_sequences=2, max_new_tokens=10))
    add("beam3_no_repeat_2_length_penalty_2.0", beam(3, no_repeat_ngram_size=2, length_penalty=2.0,
                                                     max_new_tokens=12))
    add("beam3_no_forced_eos_max_length_8", beam(3, forced_eos_token_id=None, max_length=8))
    add("beam5_min_length_6_max_new_tokens_14", beam(5, min_length=6, max_new_tokens=14))
    single = ([ids[1][:sum(mask[1])]], [mask[1][:sum(mask[1])]])
    add("greedy_single_unpadded", dict(base, max_new_tokens=10), rows=single)
    add("beam4_single_unpadded", beam(4, max_new_tokens=10), rows=single)
    return cases, infos


def gen_text(model, tok):
    call = dict(truncation=True, max_length=POSITIONS, padding=True)
    enc = tok(SUMMARY_TEXTS, **call)
    full = [len(tok(t)["input_ids"]) for t in SUMMARY_TEXTS]
    assert full[0] > POSITIONS >= max(full[1:]), full
    options = dict(base_options(model.config), **SUMMARY_OPTIONS)
    options.pop("output_scores"), options.pop("return_dict_in_generate")
    ids, mask = torch.tensor(enc["input_ids"]), torch.tensor(enc["attention_mask"])
    with torch.no_grad(), fm.BeamRecorder(model) as rec:
        seqs = model.generate(ids, attention_mask=mask, **options)
    gap, boundary = rec.min_gap()
    summaries = [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()]
    result = {"texts": SUMMARY_TEXTS, "untruncated_lengths": full, "tokenizer_call": call,
              "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "options": options,
              "output_ids": seqs.tolist(), "summaries": summaries, "min_gap": gap}
    gf.save_json(os.path.join(OUT, "text.json"), result)
    return result, gap, boundary


def run(seed, scratch):
    tok = ft.build_hf("PegasusTokenizer", {"spiece.model": SPM}, {}, scratch)
    model, (shift, rate) = build_model(tok, seed)
    ids, mask = fm.right_pad([tok(t)["input_ids"] for t in BATCH_TEXTS], 0)
    cases, infos = gen_cases(model, ids, mask)
    return tok, model, shift, rate, cases, infos


def scan(n):
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(1, n + 1):
            try:
                tok, model, shift, rate, cases, infos = run(seed, scratch)
            except AssertionError as e:
                print(f"seed {seed}: assertion {e}")
                continue
            gaps = [i["gap"] for i in infos.values()]
            lens = " ".join(",".join(map(str, c["generated_lengths"])) for c in cases)
            print(f"seed {seed}: eos bias {shift} rate {rate:.2f} min gap {min(gaps):.2e} | {lens}", flush=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        tok = tokenizer_fixture(scratch)
        model, (shift, rate) = build_model(tok, MODEL_SEED)
        print(f"[model] seed {MODEL_SEED}: EOS bias {shift}: {rate:.3f} of greedy decodings end with EOS")
        keys = gf.save_model(model, OUT)
        print(f"[model] stored tensors: {[k for k in keys if '.layers.' not in k]} + layers")
        reloaded = PegasusForConditionalGeneration.from_pretrained(OUT, attn_implementation="eager").eval()
        ids, mask = gen_forward(model, tok)
        with torch.no_grad():
            dec = torch.tensor([[0]] * 3)
            a = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), decoder_input_ids=dec).logits
            b = reloaded(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), decoder_input_ids=dec).logits
            assert torch.equal(a, b), (a - b).abs().max()
        cases, infos = gen_cases(model, ids, mask)
        for case in cases:
            info = infos[case["name"]]
            bnd = "" if info["boundary"] is None else f" (keep boundary {info['boundary']:.2e})"
            print(f"  [case] {case['name']:42s} eos {case['eos_rows']} lengths {case['generated_lengths']} "
                  f"gap {info['gap']:.2e}{bnd}")
            assert info["gap"] > 1e-4, (case["name"], info["gap"])
        gf.save_json(os.path.join(OUT, "cases.json"), cases)
        text, gap, boundary = gen_text(model, tok)
        print(f"  [text] min gap {gap:.2e} (boundary {boundary:.2e})")
        assert gap > 1e-4
        for s in text["summaries"]:
            print(f"  [text] {s[:100]!r}")
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        size = os.path.getsize(p)
        total += size
        print(f"{os.path.relpath(p, gf.ROOT)}  {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--scan":
        scan(int(sys.argv[2]) if len(sys.argv) > 2 else 10)
    else:
        main()
