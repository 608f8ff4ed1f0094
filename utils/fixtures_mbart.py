#!/usr/bin/env python3
"""HF-reference fixtures for mBART-50 (MBartForConditionalGeneration + MBart50Tokenizer) under
tests/fixtures/mbart/.

Run from the repository root:  .venv/bin/python utils/fixtures_mbart.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention, torch
single-threaded (generate_fixtures sets it). Deterministic: two runs write identical files. Every
expected value comes from HF (forward, generate, compute_transition_scores, MBart50Tokenizer).

The tokenizer: tests/fixtures/tokenizers/spm/xlm_roberta.model (not copied; the tests read it
    there) as mBART-50's sentencepiece.bpe.model (unigram, 1000 pieces, <unk> 0,
    <s> 1, </s> 2: the layout of mBART-50's own model, which HF's MBart50Tokenizer reorders into
    fairseq's ids: <s> 0, <pad> 1, </s> 2, <unk> 3, piece i -> i + 1 (i >= 3), then the 52
    language codes ar_AR .. sl_SI (1001 .. 1052), then <mask> 1053). rust_tokenizers'
    MBart50Tokenizer lays its vocabulary out identically, its language codes written `>>en<<`.

config.json, model.safetensors
    MBartForConditionalGeneration(MBartConfig(vocab_size 1054, d_model 32, 2 + 2 layers, 4 heads,
    ffn 64, max_position_embeddings 64, gelu, scale_embedding True, pad 1, bos 0, eos 2,
    decoder_start_token_id 2, forced_eos_token_id 2, dropouts 0)): mBART's pre-norm layers,
    embedding layer norms and final layer norms. Every parameter normal(0, 0.2) (layer-norm weights
    normal(1, 0.2)), final_logits_bias normal(0, 0.2); then shape_output biases EOS so that some
    greedy rows end early, and the language codes / <mask> down (never generated unless forced).

expected.safetensors
    `input_ids`, `attention_mask` [3, 9]: MBart50Tokenizer(src_lang en_XX) rows
    [en_XX, pieces.., </s>] of FORWARD_TEXTS cut to lengths 9 / 6 / 4 (the code first, </s> last),
    right-padded with 1. `decoder_input_ids` [3, 5]: [</s>, fr_XX, 3 pieces] (mBART-50's
    generation start: decoder start 2, then the forced target code).
    One forward with output_hidden_states / output_attentions: `logits`,
    `encoder_last_hidden_state`, `{encoder,decoder}_hidden_states.i` (i = 0..2),
    `{encoder,decoder}_attentions.i`, `cross_attentions.i`.
    `shift.logits`: the same batch with NO decoder_input_ids (mBART's shift_tokens_right: each
    row's last non-pad token, </s>, wrapped to the front).
    `step.k.*`: incremental decoding (cache) over the decoder input in spans (0,2),(2,3),(3,4),(4,5),
    asserted equal to the full forward (< 1e-5).

cases.json
    HF generate cases (format of fixtures_bart.py): greedy, beams (3 and 4 with
    num_return_sequences 2), no_repeat_ngram_size, forced BOS = a language code (fr_XX / es_XX),
    forced EOS at max_length. Decoder start 2.

text.json
    Translation as HF does it for mBART-50: tokenizer.src_lang = en_XX,
    tokenizer(TEXTS, padding=True), generate(forced_bos_token_id = lang_code_to_id[target],
    num_beams 3, early_stopping True, max_length 16), decode(skip_special_tokens=True), for the
    targets in TRANSLATION_TARGETS.

../mbart_classification/{config.json, model.safetensors, expected.safetensors}
    MBartForSequenceClassification (the same tiny configuration with 3 labels, seed CLS_SEED,
    every parameter randomised likewise) on expected.safetensors' padded batch with no decoder
    input (mBART's shifted input): `input_ids`, `attention_mask`, `logits` [3, 3].

tokenizer_corpus.json
    MBart50Tokenizer(src_lang=en_XX) ids of every line of tests/fixtures/tokenizers/corpus.txt,
    and decode(ids, skip_special_tokens=True).
"""
import os
import shutil
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402
from fixtures_generation import BeamRecorder, greedy_gap  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import (  # noqa: E402
    MBart50Tokenizer,
    MBartConfig,
    MBartForConditionalGeneration,
    MBartForSequenceClassification,
)

OUT = os.path.join(gf.FIX, "mbart")
SPM = os.path.join(gf.FIX, "tokenizers", "spm", "xlm_roberta.model")
CORPUS = os.path.join(gf.FIX, "tokenizers", "corpus.txt")
PAD, BOS, EOS = 1, 0, 2
MODEL_SEED = int(os.environ.get("MBART_SEED", 34))
CLS_SEED = 77
EOS_TARGET_RATE = float(os.environ.get("MBART_EOS_RATE", 0.08))

FORWARD_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Each sentence is converted to a vector.",
    "This is an example sentence.",
]
FORWARD_LENGTHS = [9, 6, 4]
CASE_TEXTS = [
    "A man is eating food. A man is riding a horse.",
    "Don't stop believing; hold on to that feeling.",
    "She said hello.",
]
TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "She said hello.",
    "",
    "This is an example sentence that is rather long for such a tiny model, " * 8,
]
TRANSLATION_TARGETS = ["fr_XX", "es_XX", "hi_IN"]


def tokenizer(folder):
    return MBart50Tokenizer.from_pretrained(folder, src_lang="en_XX")


def tiny_config(vocab_size):
    return MBartConfig(
        vocab_size=vocab_size, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=64, activation_function="gelu", scale_embedding=True,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, classifier_dropout=0.0,
        pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS, decoder_start_token_id=EOS,
        forced_eos_token_id=EOS,
    )


def build(config, seed):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = MBartForConditionalGeneration(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ("layer_norm" in name or "layernorm" in name) and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)
        model.final_logits_bias.normal_(0.0, 0.2)
    return model.eval()


def shape_output(model, tok):
    """Language codes and <mask> biased down; EOS bias bisected so that EOS wins at about
    EOS_TARGET_RATE of teacher-forced positions of the corpus."""
    bias = model.final_logits_bias[0]
    lines = [t for t in open(CORPUS, encoding="utf-8").read().split("\n") if t.strip()][:60]
    with torch.no_grad():
        bias[len(tok) - 53:] -= 3.0
        logits = []
        for line in lines:
            ids = tok(line, truncation=True, max_length=40)["input_ids"]
            dec = [EOS] + ids[:-1]
            logits.append(model(input_ids=torch.tensor([ids]), decoder_input_ids=torch.tensor([dec]),
                                use_cache=False).logits[0])
        logits = torch.cat(logits, 0)
        base = logits[:, EOS] - bias[EOS]
        others = torch.cat([logits[:, :EOS], logits[:, EOS + 1:]], 1).max(-1).values

        def rate(s):
            return ((base + s) > others).float().mean().item()

        lo, hi = -20.0, 20.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if rate(mid) < EOS_TARGET_RATE else (lo, mid)
        bias[EOS] = round(hi, 3)
    return round(hi, 3)


def right_pad(rows, width=None):
    width = width or max(len(r) for r in rows)
    return ([list(r) + [PAD] * (width - len(r)) for r in rows],
            [[1] * len(r) + [0] * (width - len(r)) for r in rows])


def gen_forward(model, tok):
    rows = []
    for text, n in zip(FORWARD_TEXTS, FORWARD_LENGTHS):
        ids = tok(text)["input_ids"]
        rows.append(ids[:n - 1] + [EOS])
    en = tok.lang_code_to_id["en_XX"]
    fr = tok.lang_code_to_id["fr_XX"]
    assert all(r[0] == en for r in rows)
    ids, mask = right_pad(rows, 9)
    ids, mask = torch.tensor(ids), torch.tensor(mask)
    dec = torch.tensor([[EOS, fr] + tok(t, add_special_tokens=False)["input_ids"][:3] for t in CASE_TEXTS])
    res = {"input_ids": ids, "attention_mask": mask, "decoder_input_ids": dec}
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec, output_hidden_states=True,
                    output_attentions=True, use_cache=False)
        res["shift.logits"] = model(input_ids=ids, attention_mask=mask, use_cache=False).logits
    res["logits"] = out.logits
    res["encoder_last_hidden_state"] = out.encoder_last_hidden_state
    for name in ("encoder_hidden_states", "decoder_hidden_states", "encoder_attentions",
                 "decoder_attentions", "cross_attentions"):
        for i, t in enumerate(getattr(out, name)):
            res[f"{name}.{i}"] = t
    assert len(out.encoder_hidden_states) == 3 and len(out.cross_attentions) == 2
    with torch.no_grad():
        cache = None
        for k, (a, b) in enumerate([(0, 2), (2, 3), (3, 4), (4, 5)]):
            step = dec[:, a:b]
            o = model(input_ids=ids, attention_mask=mask, decoder_input_ids=step, cache=cache, use_cache=True)
            cache = o.cache
            res[f"step.{k}.decoder_input_ids"] = step
            res[f"step.{k}.logits"] = o.logits
            assert (o.logits - out.logits[:, a:b]).abs().max().item() < 1e-5
    gf.save_tensors(os.path.join(OUT, "expected.safetensors"), res)


def gen_classification(vocab_size):
    labels = {0: "negative", 1: "neutral", 2: "positive"}
    config = tiny_config(vocab_size)
    config.num_labels = 3
    config.id2label, config.label2id = labels, {v: k for k, v in labels.items()}
    torch.manual_seed(CLS_SEED)
    config._attn_implementation = "eager"
    model = MBartForSequenceClassification(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ("layer_norm" in name or "layernorm" in name) and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)
    model.eval()
    out_dir = os.path.join(gf.FIX, "mbart_classification")
    gf.save_model(model, out_dir)
    with safe_open(os.path.join(OUT, "expected.safetensors"), "pt") as f:
        ids, mask = f.get_tensor("input_ids"), f.get_tensor("attention_mask")
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
    gf.save_tensors(os.path.join(out_dir, "expected.safetensors"),
                    {"input_ids": ids, "attention_mask": mask, "logits": logits})
    print(f"[classification] logits {logits.tolist()}")


def base_options(**kw):
    opts = dict(pad_token_id=PAD, eos_token_id=EOS, decoder_start_token_id=EOS, forced_bos_token_id=None,
                forced_eos_token_id=None, do_sample=False, use_cache=True, num_beams=1, length_penalty=1.0,
                early_stopping=False, no_repeat_ngram_size=0, repetition_penalty=1.0, min_length=0,
                num_return_sequences=1)
    opts.update(kw)
    opts.update(output_scores=True, return_dict_in_generate=True)
    return opts


def run_case(model, name, rows, options):
    ids, mask = right_pad(rows)
    beam = options["num_beams"] > 1
    with torch.no_grad(), BeamRecorder(model) as rec:
        out = model.generate(torch.tensor(ids), attention_mask=torch.tensor(mask), **options)
    seqs = out.sequences
    new = seqs[:, 1:]
    if beam:
        token_scores = model.compute_transition_scores(seqs, out.scores, out.beam_indices, normalize_logits=False)
        gen_lens = (out.beam_indices >= 0).sum(-1).tolist()
        seq_scores = [float(x) for x in out.sequences_scores]
        gap, _ = rec.min_gap()
    else:
        token_scores = model.compute_transition_scores(seqs, out.scores, normalize_logits=True)
        gen_lens = []
        for r in range(new.shape[0]):
            hit = (new[r] == EOS).nonzero()
            gen_lens.append(int(hit[0, 0]) + 1 if hit.numel() else new.shape[1])
            token_scores[r, gen_lens[-1]:] = 0.0
        seq_scores = None
        gap = greedy_gap(out.scores, seqs, 1, EOS)
    assert torch.isfinite(token_scores).all(), name
    return {
        "name": name, "input_ids": ids, "attention_mask": mask, "options": dict(options),
        "sequences": seqs.tolist(), "sequences_scores": seq_scores,
        "token_scores": [[float(x) for x in row] for row in token_scores],
        "generated_lengths": gen_lens,
    }, gap


def gen_cases(model, tok):
    rows = [tok(t)["input_ids"] for t in CASE_TEXTS]
    fr, es = tok.lang_code_to_id["fr_XX"], tok.lang_code_to_id["es_XX"]
    cases = []
    for name, options, case_rows in [
        ("greedy_max_new_tokens_10", base_options(max_new_tokens=10), rows),
        ("greedy_forced_bos_fr", base_options(forced_bos_token_id=fr, max_new_tokens=10), rows),
        ("greedy_forced_bos_es_no_repeat_2",
         base_options(forced_bos_token_id=es, no_repeat_ngram_size=2, max_new_tokens=12), rows),
        ("beam3_forced_bos_fr", base_options(num_beams=3, forced_bos_token_id=fr, max_new_tokens=10), rows),
        ("beam4_early_stopping_true_return2",
         base_options(num_beams=4, early_stopping=True, num_return_sequences=2, forced_bos_token_id=fr,
                      max_new_tokens=10), rows),
        ("beam3_no_repeat_2_length_penalty_2.0",
         base_options(num_beams=3, no_repeat_ngram_size=2, length_penalty=2.0, max_new_tokens=12), rows),
        ("beam3_forced_bos_forced_eos_max_length_8",
         base_options(num_beams=3, forced_bos_token_id=fr, forced_eos_token_id=EOS, max_length=8), rows),
        ("greedy_single_unpadded", base_options(forced_bos_token_id=fr, max_new_tokens=10), rows[1:2]),
    ]:
        case, gap = run_case(model, name, case_rows, options)
        print(f"  [case] {name:45s} lengths {case['generated_lengths']} min gap {gap:.2e}")
        assert gap > 1e-4, (name, gap)
        if options["forced_bos_token_id"] is not None:
            assert all(s[1] == options["forced_bos_token_id"] for s in case["sequences"])
        cases.append(case)
    gf.save_json(os.path.join(OUT, "cases.json"), cases)


def gen_text(model, tok):
    enc = tok(TEXTS, padding=True, truncation=True, max_length=64)
    result = {"texts": TEXTS, "source": "en_XX", "input_ids": enc["input_ids"],
              "attention_mask": enc["attention_mask"], "translations": {}}
    options = dict(num_beams=3, early_stopping=True, max_length=16, min_length=0, pad_token_id=PAD,
                   eos_token_id=EOS, decoder_start_token_id=EOS, forced_eos_token_id=EOS,
                   no_repeat_ngram_size=0, length_penalty=1.0, repetition_penalty=1.0, do_sample=False)
    result["options"] = options
    for target in TRANSLATION_TARGETS:
        forced = tok.lang_code_to_id[target]
        with torch.no_grad():
            seqs = model.generate(torch.tensor(enc["input_ids"]), attention_mask=torch.tensor(enc["attention_mask"]),
                                  forced_bos_token_id=forced, **options)
        result["translations"][target] = {
            "forced_bos_token_id": forced, "sequences": seqs.tolist(),
            "texts": [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()],
        }
        print(f"  [text] {target}: {result['translations'][target]['texts']}")
    gf.save_json(os.path.join(OUT, "text.json"), result)


def gen_corpus(tok):
    lines = open(CORPUS, encoding="utf-8").read().split("\n")
    cases = []
    for text in lines:
        ids = tok(text)["input_ids"]
        cases.append({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=True)})
    gf.save_json(os.path.join(OUT, "tokenizer_corpus.json"), {"src_lang": "en_XX", "cases": cases})


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copyfile(SPM, os.path.join(scratch, "sentencepiece.bpe.model"))
        tok = tokenizer(scratch)
    assert len(tok) == 1054, len(tok)
    assert tok.lang_code_to_id["ar_AR"] == 1001 and tok.mask_token_id == 1053
    model = build(tiny_config(len(tok)), MODEL_SEED)
    shift = shape_output(model, tok)
    print(f"[mbart] seed {MODEL_SEED}: EOS bias {shift}")
    gf.save_model(model, OUT)
    gen_forward(model, tok)
    gen_classification(len(tok))
    gen_cases(model, tok)
    gen_text(model, tok)
    gen_corpus(tok)
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        total += os.path.getsize(p)
        print(f"{os.path.getsize(p):9d} {os.path.relpath(p, gf.ROOT)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
