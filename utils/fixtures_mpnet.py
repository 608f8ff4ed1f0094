#!/usr/bin/env python3
"""Generate the MPNet parity fixtures (tests/fixtures/mpnet/*); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_mpnet.py [real | pipelines]
  (no argument) the tiny-model parity fixtures below;
  real          the real all-mpnet-base-v2 embeddings and the tokenizer corpus (further down);
  pipelines     the HF pipeline references on tiny MPNet heads (further down).
Deterministic (fixed seeds, single-threaded torch). Reuses generate_fixtures.py's helpers.

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad, eager attention.

What each fixture follows
-------------------------
No tokenizer for the models: ids of a made-up vocabulary of 100 ids laid out as MPNet's
(<s>=0, <pad>=1, </s>=2), pairs as `<s> A </s></s> B </s>`, a batch padded with id 1 (MPNet's
embeddings count positions after padding index 1, so the pad id matters) of real lengths
14 / 9 / 5: distances up to 13 reach the logarithmic relative-position buckets (exact below 8).

mpnet/<name>/{config.json, model.safetensors, expected.safetensors}
Tiny MPNetConfig: vocab 100, hidden 32, 2 layers, 4 heads, intermediate 37, max_position 40,
hidden_act "silu" (the LM head uses a fixed exact gelu, the feed-forward hidden_act:
mixing them fails), layer_norm_eps 0.02, relative_attention_num_buckets 40: HF still buckets
into 32 (compute_position_bias's default) and only sizes the table from the config, so bucketing
with the config value fails. Every parameter is randomised (generate_fixtures.randomise).
  - base: MPNetModel with its pooler (`pooler_output` saved).
  - masked_lm: MPNetForMaskedLM, tied decoder (lm_head.bias only).
  - masked_lm_untied: tie_word_embeddings=False.
  - sequence_classification (3 labels), token_classification (5 labels), question_answering,
    multiple_choice (input [2, 3, 8], pooler -> classifier).

expected.safetensors (output_hidden_states=True, output_attentions=True):
  inputs `input_ids`, `attention_mask` int64; outputs `hidden_states.<i>`, `attentions.<i>`,
  `last_hidden_state` / `pooler_output` / `logits` / `start_logits` + `end_logits`.
  base extras: `single.*` (first row unpadded, no mask), `embeds.*` (inputs_embeds, whose
  positions are 2.. for every row), `explicit.position_ids` [3, 14].
"""

import os
import sys

import torch
from safetensors import safe_open
from transformers import (
    MPNetConfig,
    MPNetForMaskedLM,
    MPNetForMultipleChoice,
    MPNetForQuestionAnswering,
    MPNetForSequenceClassification,
    MPNetForTokenClassification,
    MPNetModel,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402

COMMON = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
OUT = os.path.join(gf.FIX, "mpnet")
VOCAB, BOS, PAD, EOS = 100, 0, 1, 2


def tiny_config(**kw):
    cfg = dict(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=40, hidden_act="silu",
        layer_norm_eps=0.02, relative_attention_num_buckets=40, hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1, pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS,
    )
    cfg.update(kw)
    return MPNetConfig(**cfg)


def row(first, second=None):
    ids = [BOS] + first + [EOS]
    if second is not None:
        ids += [EOS] + second + [EOS]
    return ids


def pad(rows, length):
    ids = torch.full((len(rows), length), PAD, dtype=torch.int64)
    mask = torch.zeros(len(rows), length, dtype=torch.int64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    return ids, mask


def batch_inputs():
    rows = [row([17, 42, 5, 70, 33], [88, 23, 61, 9, 12]), row([9, 73, 44, 21], [30]), row([55, 12, 90])]
    assert [len(r) for r in rows] == [14, 9, 5]
    return pad(rows, 14)


def mc_inputs():
    questions = [[11, 47], [60]]
    choices = [[[20, 21], [99], [7]], [[38], [8, 81, 19], [66]]]
    ids, masks = [], []
    for q, cs in zip(questions, choices):
        i, m = pad([row(q, c) for c in cs], 8)
        ids.append(i), masks.append(m)
    ids, masks = torch.stack(ids), torch.stack(masks)
    assert (masks.sum(-1) < 8).any()
    return ids, masks


def saved(folder):
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        return list(f.keys())


def check_layers(name, cfg, res):
    n_hidden = sum(k.startswith("hidden_states.") for k in res)
    n_att = sum(k.startswith("attentions.") for k in res)
    assert n_hidden == cfg.num_hidden_layers + 1 and n_att == cfg.num_hidden_layers, (name, n_hidden, n_att)


def gen_base(ids, mask):
    inputs = {"input_ids": ids, "attention_mask": mask}
    cfg = tiny_config()
    model = gf.build(MPNetModel, cfg, seed=900)
    assert model.encoder.relative_attention_bias.num_embeddings == 40
    folder = os.path.join(OUT, "base")
    gf.save_model(model, folder)
    with torch.no_grad():
        out = model(**inputs, **COMMON)
        res = dict(inputs, **gf.collect(out))
        gf.check_padding("mpnet/base", res, mask)
        check_layers("base", cfg, res)
        # The bias HF uses buckets into 32, whatever the table's size.
        bias32 = model.encoder.compute_position_bias(out.last_hidden_state)
        assert bias32.shape[1] == 4
        one = ids[:1, :14]
        o = model(input_ids=one, return_dict=True)
        res["single.input_ids"] = one
        res["single.last_hidden_state"] = o.last_hidden_state
        res["single.pooler_output"] = o.pooler_output
        embeds = model.embeddings.word_embeddings(ids)
        o = model(inputs_embeds=embeds, attention_mask=mask, return_dict=True)
        res["embeds.inputs_embeds"] = embeds
        res["embeds.last_hidden_state"] = o.last_hidden_state
        pos = torch.arange(3, 17, dtype=torch.int64).expand(3, -1).contiguous()
        o = model(**inputs, position_ids=pos, return_dict=True)
        res["explicit.position_ids"] = pos
        res["explicit.last_hidden_state"] = o.last_hidden_state
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
    gf.NOTES.append(f"mpnet/base: saved keys outside layers: "
                    f"{[k for k in saved(folder) if '.layer.' not in k]}")


def gen_heads(ids, mask):
    inputs = {"input_ids": ids, "attention_mask": mask}
    heads = [
        ("masked_lm", MPNetForMaskedLM, {}, 910),
        ("masked_lm_untied", MPNetForMaskedLM, dict(tie_word_embeddings=False), 920),
        ("sequence_classification", MPNetForSequenceClassification,
         dict(num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()}), 930),
        ("token_classification", MPNetForTokenClassification,
         dict(num_labels=5, id2label=TOKEN_LABELS, label2id={v: k for k, v in TOKEN_LABELS.items()}), 940),
        ("question_answering", MPNetForQuestionAnswering, {}, 950),
        ("multiple_choice", MPNetForMultipleChoice, {}, 960),
    ]
    for name, cls, kw, seed in heads:
        cfg = tiny_config(**kw)
        model = gf.build(cls, cfg, seed=seed)
        folder = os.path.join(OUT, name)
        gf.save_model(model, folder)
        if name == "multiple_choice":
            i, m = mc_inputs()
            inp = {"input_ids": i, "attention_mask": m}
        else:
            inp, m = inputs, mask
        with torch.no_grad():
            out = model(**inp, **COMMON)
        res = dict(inp, **gf.collect(out))
        gf.check_padding(f"mpnet/{name}", res, m)
        check_layers(name, cfg, res)
        gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
        keys = saved(folder)
        if name.startswith("masked_lm"):
            lm = sorted(k for k in keys if k.startswith("lm_head"))
            gf.NOTES.append(f"mpnet/{name}: lm_head keys saved: {lm}")


def main():
    import transformers
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    ids, mask = batch_inputs()
    gen_base(ids, mask)
    gen_heads(ids, mask)
    print("\n== notes ==")
    for n in gf.NOTES:
        print(" -", n)
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"\n== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")


if __name__ == "__main__" and sys.argv[1:] == []:
    main()


# ---------------------------------------------------------------------------------------------
# Real all-mpnet-base-v2 (.venv/models/all-mpnet-base-v2, installed by utils/setup.sh) and the
# MPNet tokenizer. Run with `real` as argument:  .venv/bin/python utils/fixtures_mpnet.py real
#
# all_mpnet/expected.safetensors
#   `embeddings` [N, 768]: sentence-transformers' own SentenceTransformer(folder, device="cpu")
#   .encode(ALL_MPNET_SENTENCES, batch_size=8) (mean pooling + Normalize, max_seq_length 384: the
#   last sentence is longer and is truncated), float32.
# all_mpnet/sentences.json: the sentences, in order.
# tokenizers/mpnet.json
#   fixtures_tokenizers.reference() (corpus cases, pairs, windows, QA windows) of HF's
#   MPNetTokenizer loaded from the model folder (tokenizer.json, tokenizer_config.json).
# ---------------------------------------------------------------------------------------------
ALL_MPNET = os.path.join(gf.ROOT, ".venv", "models", "all-mpnet-base-v2")
ALL_MPNET_SENTENCES = [
    "This framework generates embeddings for each input sentence.",
    "Sentences are passed as a list of strings.",
    "The quick brown fox jumps over the lazy dog.",
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "How do I reset my password?",
    "PASSWORD RESET INSTRUCTIONS WERE SENT TO YOUR E-MAIL!!!",
    "Le café est très chaud, fais attention à ne pas te brûler.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "東京は日本の首都です。",
    "The price rose 3.5% to $1,234.56 on 2024-01-15 (UTC).",
    "def mean(xs): return sum(xs) / len(xs)",
    "I ❤️ NLP 🤖 and transformers!",
    "   leading and trailing spaces   ",
    "a",
    "The <mask> sat on the mat.",
    " ".join(["Relative position buckets grow logarithmically with the distance between tokens."] * 40),
]


def gen_all_mpnet():
    import json

    from sentence_transformers import SentenceTransformer

    import fixtures_tokenizers as ft

    model = SentenceTransformer(ALL_MPNET, device="cpu")
    assert model.max_seq_length == 384
    long_ids = model.tokenizer(ALL_MPNET_SENTENCES[-1])["input_ids"]
    assert len(long_ids) > 384, len(long_ids)
    emb = model.encode(ALL_MPNET_SENTENCES, batch_size=8, convert_to_tensor=True)
    out = os.path.join(gf.FIX, "all_mpnet")
    gf.save_tensors(os.path.join(out, "expected.safetensors"), {"embeddings": emb.float().cpu()})
    gf.save_json(os.path.join(out, "sentences.json"), ALL_MPNET_SENTENCES)
    gf.WRITTEN.append(os.path.join(out, "sentences.json"))

    from transformers import MPNetTokenizer

    tok = MPNetTokenizer.from_pretrained(ALL_MPNET)
    result = ft.reference(tok)
    result.update({"class": "MPNetTokenizer", "options": {"folder": "all-mpnet-base-v2"}})
    ft.save_json("mpnet.json", result)
    gf.WRITTEN.append(os.path.join(ft.OUT, "mpnet.json"))


if __name__ == "__main__" and sys.argv[1:] == ["real"]:
    gen_all_mpnet()
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")


# ---------------------------------------------------------------------------------------------
# MPNet in the pipelines: HF 5.24 pipelines on tiny random MPNet heads. Run with `pipelines`:
#   .venv/bin/python utils/fixtures_mpnet.py pipelines
#
# mpnet/pipelines/vocab.txt: a made-up WordPiece vocabulary of MPNet's layout (<s> <pad> </s>
#   <unk> first, [UNK] among BERT's specials, <mask> last), every lower-cased word of
#   PIPELINE_TEXTS but a few written as `##` pieces, characters and their `##` forms.
# mpnet/pipelines/<name>/{config.json, model.safetensors}: tiny MPNet heads (hidden 32, 2 layers,
#   4 heads, intermediate 37, hidden_act silu, layer_norm_eps 0.02, 40-row relative table,
#   max_position_embeddings 66), randomised (generate_fixtures.randomise):
#   classifier (3 labels contradiction/neutral/entailment), ner (CoNLL labels), qa, mlm.
# mpnet/pipelines/expected.json (HF pipelines, tokenizer MPNetTokenizer(vocab.txt)):
#   classification: pipeline("text-classification")(TEXTS, top_k=None)
#   zero_shot: {"single": zero-shot(TEXTS, LABELS), "multi": ..., multi_label=True}
#   ner: pipeline("token-classification", aggregation_strategy="none")(TEXTS)
#   qa_cases: questions and contexts only (HF 5.24 removed its question-answering pipeline)
#   fill_mask: pipeline("fill-mask")(MASK_TEXTS, top_k=5)
# ---------------------------------------------------------------------------------------------
PIPE = os.path.join(OUT, "pipelines")
PIPELINE_TEXTS = [
    "The movie was wonderful and the actors were great.",
    "I did not like the food at that restaurant.",
    "John Smith lives in Berlin and works for Siemens in Munich.",
    "Paris is the capital of France.",
    "The weather today is cold, grey and rainy.",
]
ZS_LABELS = ["politics", "food", "weather", "cinema"]
QA_CASES = [
    ("Where does John live?", "John Smith lives in Berlin and works for Siemens in Munich."),
    ("What is the capital of France?", "Paris is the capital of France. The weather today is cold."),
]
MASK_TEXTS = ["Paris is the <mask> of France.", "The <mask> was wonderful and the <mask> were great."]
PIECES_ONLY = {"wonderful", "restaurant", "siemens"}
NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


def pipeline_vocab():
    import re

    vocab, seen = [], set()

    def add(t):
        if t not in seen:
            seen.add(t)
            vocab.append(t)

    for t in ["<s>", "<pad>", "</s>", "<unk>", "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]:
        add(t)
    texts = PIPELINE_TEXTS + [q for q, _ in QA_CASES] + [c for _, c in QA_CASES] + MASK_TEXTS + ZS_LABELS
    texts += ["This example is {}."]
    for text in texts:
        for w in re.findall(r"\w+|[^\w\s]", text.lower().replace("<mask>", "")):
            if w not in PIECES_ONLY:
                add(w)
    for c in sorted({c for t in texts for c in t.lower() if not c.isspace()}):
        add(c)
        add("##" + c)
    for w in sorted(PIECES_ONLY):
        add(w[:4])
        add("##" + w[4:])
    add("<mask>")
    return vocab


def gen_pipelines():
    import json

    from transformers import MPNetTokenizer, pipeline

    os.makedirs(PIPE, exist_ok=True)
    vocab = pipeline_vocab()
    vocab_file = os.path.join(PIPE, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(vocab) + "\n")
    gf.WRITTEN.append(vocab_file)
    tok = MPNetTokenizer(vocab_file, do_lower_case=True)
    size = dict(vocab_size=len(vocab), max_position_embeddings=66)

    def build(name, cls, seed, **kw):
        model = gf.build(cls, tiny_config(**size, **kw), seed=seed)
        gf.save_model(model, os.path.join(PIPE, name))
        return model

    nli = {0: "contradiction", 1: "neutral", 2: "entailment"}
    classifier = build("classifier", MPNetForSequenceClassification, 970, num_labels=3,
                       id2label=nli, label2id={v: k for k, v in nli.items()})
    ner_ids = dict(enumerate(NER_LABELS))
    ner = build("ner", MPNetForTokenClassification, 980, num_labels=len(NER_LABELS),
                id2label=ner_ids, label2id={v: k for k, v in ner_ids.items()})
    qa = build("qa", MPNetForQuestionAnswering, 990)
    mlm = build("mlm", MPNetForMaskedLM, 1000)

    expected = {"texts": PIPELINE_TEXTS, "zero_shot_labels": ZS_LABELS, "mask_texts": MASK_TEXTS}
    clf = pipeline("text-classification", model=classifier, tokenizer=tok, device=-1)
    expected["classification"] = clf(PIPELINE_TEXTS, top_k=None)
    zs = pipeline("zero-shot-classification", model=classifier, tokenizer=tok, device=-1)
    expected["zero_shot"] = {
        "single": [zs(t, candidate_labels=ZS_LABELS) for t in PIPELINE_TEXTS],
        "multi": [zs(t, candidate_labels=ZS_LABELS, multi_label=True) for t in PIPELINE_TEXTS],
    }
    tc = pipeline("token-classification", model=ner, tokenizer=tok, aggregation_strategy="none",
                  device=-1)
    expected["ner"] = [[{k: (float(v) if k == "score" else v) for k, v in e.items()} for e in r]
                       for r in tc(PIPELINE_TEXTS)]
    assert any(expected["ner"]), "no entity at all: pick another seed"
    # HF 5.24 has no question-answering pipeline any more: the qa/ model is run by the Rust
    # pipeline (a smoke test) and checked against HF at the head level (question_answering/).
    expected["qa_cases"] = [{"question": q, "context": c} for q, c in QA_CASES]
    del qa
    fm = pipeline("fill-mask", model=mlm, tokenizer=tok, device=-1)
    expected["fill_mask"] = [fm(t, top_k=5) for t in MASK_TEXTS]
    path = os.path.join(PIPE, "expected.json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1, default=float)
        f.write("\n")
    gf.WRITTEN.append(path)


if __name__ == "__main__" and sys.argv[1:] == ["pipelines"]:
    gen_pipelines()
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")
