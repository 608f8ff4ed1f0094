#!/usr/bin/env python3
"""Cross-encoder fixtures (tests/fixtures/cross_encoder/*): references from sentence-transformers'
own `CrossEncoder` (6.3.0) on tiny random sequence-classification models.

Run from the repository root:  .venv/bin/python utils/fixtures_cross_encoder.py
Deterministic (fixed seeds, single-threaded torch). Reference: sentence-transformers 6.3.0,
transformers 5.24.0, torch 2.13.0, CPU, float32.

vocab.txt (what the Rust tests load; the folders hold the tokenizer.json HF saves of it)
    A made-up WordPiece vocabulary: the specials of both layouts ([PAD] [UNK] [CLS] [SEP] [MASK]
    for BERT, <s> <pad> </s> <unk> ... <mask> for MPNet), every lower-cased word of QUERIES and
    PASSAGES except WORDPIECE_ONLY (written as `##` pieces so WordPiece splits them), single
    characters and their `##` forms.
<name>/  a folder CrossEncoder loads as is (config.json, model.safetensors, tokenizer files):
    - bert: BertForSequenceClassification, 1 label (CrossEncoder's default activation: sigmoid).
      hidden 32, 2 layers, 4 heads, intermediate 37, 64 positions, hidden_act silu,
      layer_norm_eps 0.02; token types (the passage is segment 1).
    - mpnet: MPNetForSequenceClassification, 1 label, the same sizes, a 40-row relative position
      table (HF buckets into 32), padding id 1; `<s> q </s></s> p </s>`, no token types.
    - mpnet_nli: the MPNet classifier with 3 labels (default activation: identity) and
      `sentence_transformers.activation_fn` absent.
    - bert_tanh (expected.json only; the folder is written to a temporary directory): the BERT
      folder with config.json naming `torch.nn.modules.activation.Tanh` under
      `sentence_transformers.activation_fn` (the activation a checkpoint may name).
expected.json
    {"max_length": 24, "batch_size": 4, "pairs": [[q, p], ...], "queries": [...],
     "passages": [...], "top_k": 3,
     "<name>": {"predict": CrossEncoder(folder, max_length=24).predict(pairs, batch_size=4),
                "predict_softmax": (mpnet_nli only) predict(..., apply_softmax=True),
                "rank": {query: rank(query, passages) as [[corpus_id, score]]},
                "rank_top_k": {query: rank(query, passages, top_k=3)},
                "input_ids": the tokenizer's ids of each pair, called on the whole batch as
                              CrossEncoder does (truncated, longest first)}}
    PASSAGES hold an empty passage and one far longer than max_length (truncated).
"""

import json
import os
import re
import shutil
import sys
import tempfile

import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertTokenizer,
    MPNetConfig,
    MPNetForSequenceClassification,
    MPNetTokenizer,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402

OUT = os.path.join(gf.FIX, "cross_encoder")
MAX_LENGTH = 24
BATCH_SIZE = 4
TOP_K = 3

QUERIES = [
    "how many people live in berlin?",
    "What is the capital of France?",
    "best way to cook pasta",
]
PASSAGES = [
    "Berlin had a population of 3,520,031 registered inhabitants.",
    "Paris is the capital and most populous city of France.",
    "Boil the pasta in salted water until it is al dente.",
    "The museum island in Berlin holds five museums.",
    "",
    "France is a country in Western Europe; its capital is Paris, a city of art and food, "
    "of museums and cafés, where people from every country come to live, cook and eat.",
    "Cook it!",
]
WORDPIECE_ONLY = {"population", "inhabitants", "populous", "museums"}


def words(text):
    return re.findall(r"\w+|[^\w\s]", text.lower())


def build_vocab():
    specials = ["<s>", "<pad>", "</s>", "<unk>", "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    seen = set()
    vocab = []

    def add(token):
        if token not in seen:
            seen.add(token)
            vocab.append(token)

    for s in specials:
        add(s)
    texts = QUERIES + PASSAGES
    for text in texts:
        for w in words(text):
            if w not in WORDPIECE_ONLY:
                add(w)
    chars = sorted({c for text in texts for c in text.lower() if not c.isspace()})
    for c in chars:
        add(c)
        add("##" + c)
    for w in sorted(WORDPIECE_ONLY):
        add(w[:4])
        add("##" + w[4:])
    add("<mask>")
    return vocab


def write_vocab(folder, vocab):
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(vocab) + "\n")


def tiny(cls, cfg_cls, seed, **kw):
    cfg = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
               hidden_act="silu", layer_norm_eps=0.02)
    cfg.update(kw)
    return gf.build(cls, cfg_cls(**cfg), seed=seed)


def save(name, model, tokenizer, extra_config=None, root=OUT):
    folder = os.path.join(root, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    if extra_config:
        path = os.path.join(folder, "config.json")
        with open(path) as f:
            config = json.load(f)
        config.update(extra_config)
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
    if root == OUT:
        for f in sorted(os.listdir(folder)):
            gf.WRITTEN.append(os.path.join(folder, f))
    return folder


def reference(folder, pairs, softmax=False):
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(folder, max_length=MAX_LENGTH, device="cpu")
    predicted = model.predict(pairs, batch_size=BATCH_SIZE)
    res = {"predict": predicted.tolist()}
    if softmax:
        res["predict_softmax"] = model.predict(pairs, batch_size=BATCH_SIZE, apply_softmax=True).tolist()
    else:
        res["rank"] = {q: [[r["corpus_id"], float(r["score"])] for r in model.rank(q, PASSAGES)]
                       for q in QUERIES}
        res["rank_top_k"] = {q: [[r["corpus_id"], float(r["score"])]
                                 for r in model.rank(q, PASSAGES, top_k=TOP_K)] for q in QUERIES}
    tok = model.tokenizer
    # Batched, as CrossEncoder calls its tokenizer: a single call `tok(a, "")` would drop an
    # empty second text, a batch keeps it (its separator stays).
    res["input_ids"] = tok([a for a, _ in pairs], [b for _, b in pairs], truncation=True,
                           max_length=MAX_LENGTH)["input_ids"]
    assert any(len(ids) == MAX_LENGTH for ids in res["input_ids"])
    return res


def main():
    import sentence_transformers

    print(f"sentence-transformers {sentence_transformers.__version__}")
    assert sentence_transformers.__version__ == "6.3.0"
    os.makedirs(OUT, exist_ok=True)
    vocab = build_vocab()
    scratch = tempfile.mkdtemp()
    write_vocab(OUT, vocab)
    gf.WRITTEN.append(os.path.join(OUT, "vocab.txt"))
    vocab_file = os.path.join(OUT, "vocab.txt")
    bert_tok = BertTokenizer(vocab_file, do_lower_case=True)
    mpnet_tok = MPNetTokenizer(vocab_file, do_lower_case=True)
    assert mpnet_tok.unk_token == "[UNK]" and mpnet_tok.pad_token_id == 1, mpnet_tok
    pairs = [[q, p] for q in QUERIES for p in PASSAGES]
    expected = {"max_length": MAX_LENGTH, "batch_size": BATCH_SIZE, "top_k": TOP_K,
                "queries": QUERIES, "passages": PASSAGES, "pairs": pairs}

    bert = tiny(BertForSequenceClassification, BertConfig, 3000, vocab_size=len(vocab),
                max_position_embeddings=64, type_vocab_size=2, pad_token_id=vocab.index("[PAD]"),
                num_labels=1)
    folder = save("bert", bert, bert_tok)
    expected["bert"] = reference(folder, pairs)
    folder = save("bert_tanh", bert, bert_tok,
                  {"sentence_transformers": {"activation_fn": "torch.nn.modules.activation.Tanh"}},
                  root=scratch)
    expected["bert_tanh"] = reference(folder, pairs)

    mpnet_cfg = dict(vocab_size=len(vocab), max_position_embeddings=66,
                     relative_attention_num_buckets=40, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    mpnet = tiny(MPNetForSequenceClassification, MPNetConfig, 3100, num_labels=1, **mpnet_cfg)
    folder = save("mpnet", mpnet, mpnet_tok)
    expected["mpnet"] = reference(folder, pairs)
    nli = tiny(MPNetForSequenceClassification, MPNetConfig, 3200, num_labels=3,
               id2label={0: "contradiction", 1: "neutral", 2: "entailment"},
               label2id={"contradiction": 0, "neutral": 1, "entailment": 2}, **mpnet_cfg)
    folder = save("mpnet_nli", nli, mpnet_tok)
    expected["mpnet_nli"] = reference(folder, pairs, softmax=True)
    shutil.rmtree(scratch)

    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    gf.WRITTEN.append(os.path.join(OUT, "expected.json"))
    for name in ("bert", "mpnet"):
        scores = expected[name]["predict"]
        print(f"{name}: scores {min(scores):.3f}..{max(scores):.3f}")
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"== {len(gf.WRITTEN)} files, {total / 1024:.1f} KiB ==")


if __name__ == "__main__":
    main()
