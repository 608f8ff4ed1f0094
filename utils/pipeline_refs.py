"""HF 5.24 pipeline references for a tiny model family, in one compact JSON (used by
fixtures_mobilebert.py and fixtures_fnet.py; tests/mobilebert.rs and tests/fnet.rs read it).

For a classifier, an NLI-labelled copy of it and a masked LM, `references` runs HF's
`text-classification` (default top-1, truncation to the tokenizer's 64 tokens),
`zero-shot-classification` (single-label, HF's default template) and `fill-mask` (top 3)
pipelines and writes `<folder>/expected.json`:
  {"texts", "classification": [{label, score}], "input_ids": [[...]] (HF ids of each text),
   "zero_shot_texts", "zero_shot_labels", "zero_shot": [{labels, scores}],
   "fill_mask_texts", "fill_mask": [[{token, token_str, score}]]}
"""

import json
import os

import torch
from transformers import pipeline

import fixtures_pipeline_classification as fpc
import generate_fixtures as gf

TEXTS = [
    "I love this movie, it was great!",
    "This film was terrible and boring.",
    "The plot was okay but the acting was bad.",
    "What a wonderful day at the park with my friends.",
    "The food was cold and the service was slow.",
    "",
    "x",
    "<LONG>",
]
ZS_TEXTS = [
    "The team won the football match last night.",
    "The government announced a new tax on bread.",
    "I cooked pasta with tomato sauce for dinner.",
]
ZS_LABELS = ["sports", "politics", "food"]
LONG = ("the movie was good and the actors were great but the ending was sad . " * 200).strip()


def real(texts):
    return [LONG if t == "<LONG>" else t for t in texts]


def center_logits(model, tok, texts):
    """As fixtures_pipeline_classification.center_logits: each label's mean logit over the
    texts is 0, so the winning label depends on the text (a random encoder pools every text
    alike)."""
    bias = model.classifier.bias
    with torch.no_grad():
        logits = torch.cat([model(**tok(t, truncation=True, return_tensors="pt")).logits for t in texts])
        bias -= logits.mean(0)


def references(folder, classifier, nli, masked_lm, tok, fill_mask_texts, texts=None, zs_texts=None):
    texts = TEXTS if texts is None else texts
    zs_texts = ZS_TEXTS if zs_texts is None else zs_texts
    clf = pipeline("text-classification", model=classifier, tokenizer=tok, device="cpu")
    zs = pipeline("zero-shot-classification", model=nli, tokenizer=tok, device="cpu")
    fill = pipeline("fill-mask", model=masked_lm, tokenizer=tok, device="cpu")
    result = {
        "texts": texts,
        "long": LONG,
        "input_ids": [tok(t, truncation=True)["input_ids"] for t in real(texts)],
        "classification": [clf(t, truncation=True)[0] for t in real(texts)],
        "zero_shot_texts": zs_texts,
        "zero_shot_labels": ZS_LABELS,
        "zero_shot": [],
        "fill_mask_texts": fill_mask_texts,
        "fill_mask": [],
    }
    for text in zs_texts:
        out = zs(text, candidate_labels=ZS_LABELS)
        result["zero_shot"].append({"labels": out["labels"], "scores": out["scores"]})
    for text in fill_mask_texts:
        out = fill(text, top_k=3)
        assert isinstance(out[0], dict), "one mask per text"
        result["fill_mask"].append([{k: o[k] for k in ("token", "token_str", "score")} for o in out])
    path = os.path.join(folder, "expected.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    gf.WRITTEN.append(path)
    return result


def labelled(config, id2label):
    return fpc.labelled(config, id2label)
