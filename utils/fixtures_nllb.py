#!/usr/bin/env python3
"""HF-reference fixtures for NLLB (M2M100ForConditionalGeneration + NllbTokenizer) under
tests/fixtures/nllb/.

Run from the repository root:  .venv/bin/python utils/fixtures_nllb.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention.
NLLB's network is M2M100's (its parity: utils/fixtures_m2m100.py); this fixture checks the NLLB
tokenizer's language-token placement and translation through the pipeline.

tokenizer.json
    HF's NllbTokenizer built from tests/fixtures/tokenizers/spm/fnet.model (a BPE model, read by
    the tests there as NLLB's sentencepiece.bpe.model) with the 202 FLORES-200 codes as
    additional special tokens (as the hub checkpoints list them), saved by save_pretrained; the
    added tokens (<mask>, the codes) are also written into model.vocab with their ids, where
    rust_tokenizers' NLLB vocabulary reads every token.
config.json, model.safetensors
    A tiny M2M100ForConditionalGeneration (utils/fixtures_m2m100.py's configuration and shaping)
    over the tokenizer's 1205 ids.
tokenization.json
    For TEXTS: HF's ids with src_lang eng_Latn / fra_Latn, default (non-legacy: [code] X </s>)
    and legacy_behaviour=True (X </s> [code]).
text.json
    Translation as HF does it: tokenizer(src_lang=eng_Latn)(TEXTS, padding=True, truncation=True,
    max_length=64), generate(forced_bos_token_id = fra_Latn / spa_Latn, num_beams 3,
    early_stopping True, max_length 16, decoder start 2, no forced EOS), decode(skip_special_tokens).
"""
import json
import os
import shutil
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_m2m100 as m2m  # noqa: E402
import generate_fixtures as gf  # noqa: E402
from transformers import NllbTokenizer  # noqa: E402
from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES  # noqa: E402

OUT = os.path.join(gf.FIX, "nllb")
SPM = os.path.join(gf.FIX, "tokenizers", "spm", "fnet.model")
TEXTS = m2m.TEXTS
TARGETS = ["fra_Latn", "spa_Latn"]
EOS_SCALE = float(os.environ.get("NLLB_EOS_SCALE", 1.5))


def tokenizer(folder, **kw):
    shutil.copyfile(SPM, os.path.join(folder, "sentencepiece.bpe.model"))
    return NllbTokenizer.from_pretrained(folder, additional_special_tokens=FAIRSEQ_LANGUAGE_CODES, **kw)


def write_tokenizer_json(tok):
    with tempfile.TemporaryDirectory() as scratch:
        tok.save_pretrained(scratch)
        with open(os.path.join(scratch, "tokenizer.json"), encoding="utf-8") as f:
            data = json.load(f)
    for added in data["added_tokens"]:
        data["model"]["vocab"].setdefault(added["content"], added["id"])
    path = os.path.join(OUT, "tokenizer.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    gf.WRITTEN.append(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        tok = tokenizer(scratch, src_lang="eng_Latn")
        legacy = {lang: tokenizer(scratch, src_lang=lang, legacy_behaviour=True) for lang in ["eng_Latn", "fra_Latn"]}
        modern = {lang: tokenizer(scratch, src_lang=lang) for lang in ["eng_Latn", "fra_Latn"]}
    model = m2m.build(m2m.tiny_config(len(tok)), m2m.MODEL_SEED)
    with torch.no_grad():
        shared = model.model.shared.weight
        shared[1003:] *= 0.1  # the language codes: rarely generated unless forced
        shared[m2m.EOS] *= EOS_SCALE
    gf.save_model(model, OUT)
    write_tokenizer_json(tok)
    tokenization = {"texts": TEXTS, "non_legacy": {}, "legacy": {}}
    for lang in ["eng_Latn", "fra_Latn"]:
        tokenization["non_legacy"][lang] = [modern[lang](t)["input_ids"] for t in TEXTS]
        tokenization["legacy"][lang] = [legacy[lang](t)["input_ids"] for t in TEXTS]
    gf.save_json(os.path.join(OUT, "tokenization.json"), tokenization)
    enc = tok(TEXTS, padding=True, truncation=True, max_length=64)
    options = dict(num_beams=3, early_stopping=True, max_length=16, min_length=0, pad_token_id=1, eos_token_id=2,
                   decoder_start_token_id=2, forced_eos_token_id=None, no_repeat_ngram_size=0,
                   length_penalty=1.0, repetition_penalty=1.0, do_sample=False)
    result = {"texts": TEXTS, "source": "eng_Latn", "input_ids": enc["input_ids"],
              "attention_mask": enc["attention_mask"], "options": options, "translations": {}}
    for target in TARGETS:
        forced = tok.convert_tokens_to_ids(target)
        with torch.no_grad():
            seqs = model.generate(torch.tensor(enc["input_ids"]), attention_mask=torch.tensor(enc["attention_mask"]),
                                  forced_bos_token_id=forced, **options)
        result["translations"][target] = {
            "forced_bos_token_id": forced, "sequences": seqs.tolist(),
            "texts": [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()],
        }
        print(f"  [text] {target}: {result['translations'][target]['texts']}")
    # HF's legacy layout (`tokens </s> [src_lang]`) on the encoder side, French to Spanish.
    legacy_enc = legacy["fra_Latn"](TEXTS, padding=True, truncation=True, max_length=64)
    forced = tok.convert_tokens_to_ids("spa_Latn")
    with torch.no_grad():
        seqs = model.generate(torch.tensor(legacy_enc["input_ids"]),
                              attention_mask=torch.tensor(legacy_enc["attention_mask"]),
                              forced_bos_token_id=forced, **options)
    result["legacy"] = {"source": "fra_Latn", "target": "spa_Latn", "input_ids": legacy_enc["input_ids"],
                        "sequences": seqs.tolist(),
                        "texts": [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()]}
    print(f"  [legacy] fra_Latn -> spa_Latn: {result['legacy']['texts']}")
    gf.save_json(os.path.join(OUT, "text.json"), result)
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        total += os.path.getsize(p)
        print(f"{os.path.getsize(p):9d} {os.path.relpath(p, gf.ROOT)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
