#!/usr/bin/env python3
"""Generate the Longformer parity fixtures (tests/fixtures/longformer/*); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_longformer.py
Deterministic (fixed seeds, single-threaded torch). Reuses generate_fixtures.py's helpers (build,
save_model, save_tensors, collect).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad, eager attention.

No tokenizer: ids of a made-up vocabulary of 100 ids with RoBERTa's special ids <s>=0, <pad>=1,
</s>=2. Rows are question/context pairs `<s> q.. </s></s> c.. </s>` (three separators each, what
HF's question-answering and multiple-choice heads look for), right-padded with 1: real lengths
9 / 7 / 6 in a batch of 9 columns, with token types 0 / 1 drawn at random.

Tiny LongformerConfig: vocab 100, hidden 16, 4 heads (head_dim 4), 3 layers with
attention_window [4, 6, 4] (one-sided windows 2, 3, 2: a window read for the wrong layer, or
one window for all, fails), so inputs of 9 tokens are padded to 12 (a multiple of the largest
window; HF needs the padded length to be a multiple of every window, which holds for 12 and 24)
and un-padded afterwards; (HF fails on attention_window 2, an indexing edge case); intermediate 23, max_position_embeddings 40, type_vocab_size
2, hidden_act "gelu_new", layer_norm_eps 0.02 (an epsilon not read from config.json fails),
pad 1, sep 2. Every parameter is randomised (generate_fixtures.randomise).

Global attention (`global` mask): row 0 on positions 0, 3, 5; row 1 on 0; row 2 on none but on
its padding position 7 (masked by attention_mask, so not global: HF multiplies the masks):
3 global slots, unused slots in rows 1 and 2.

longformer/<name>/{config.json, model.safetensors, expected.safetensors}
  - base: LongformerModel with pooler. Keys (prefix.):
      `input_ids`, `attention_mask`, `token_type_ids`, `global_attention_mask` [3, 9];
      (none)     padded batch, global mask -> last_hidden_state, pooler_output,
                 hidden_states.<i> (4), attentions.<i> [3, 4, 9, 3 + w + 1] (un-padded rows),
                 global_attentions.<i> [3, 4, 12, 3] (HF keeps the padded 12 keys here).
      local.     the same without global mask -> last_hidden_state, attentions.<i> [3, 4, 9, w+1]
                 (no global attentions).
      single.    `input_ids` [1, 11] alone, no mask -> last_hidden_state.
      embeds.    `inputs_embeds` = word_embeddings(input_ids) with mask and global mask (HF pads
                 embeddings with the full embedding output of <pad> ids) -> last_hidden_state.
      allglobal. every real token global -> last_hidden_state, attentions.<i>,
                 global_attentions.<i>.
      long.      `input_ids` [2, 22] (row 1 padded from 19), `attention_mask`,
                 `global_attention_mask` (2 and 1 tokens) -> last_hidden_state.
  - masked_lm: LongformerForMaskedLM (tied decoder) with the global mask -> logits.
  - sequence_classification: 3 labels, no global mask (HF puts it on <s>) -> logits,
      global_attentions.<i> [3, 4, 12, 1].
  - token_classification: 5 labels, attention_window 8 written as one integer (HF's other
      form), no global mask (none global) -> logits; `short.input_ids` [1, 3] (shorter than the
      window) -> `short.logits`.
  - question_answering: no global mask (HF puts it on the question, before the first </s>) ->
      start_logits, end_logits, global_attentions.<i>.
  - multiple_choice: [2, 3, 8] inputs, no global mask (HF puts it after the second </s>) ->
      logits [2, 3].
Every expected file has hidden_states.<i> and attentions.<i> (output_hidden_states and
output_attentions on).
"""

import json
import os
import sys

import torch
from transformers import (
    LongformerConfig,
    LongformerForMaskedLM,
    LongformerForMultipleChoice,
    LongformerForQuestionAnswering,
    LongformerForSequenceClassification,
    LongformerForTokenClassification,
    LongformerModel,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402

VOCAB = 100
BOS, PAD, SEP = 0, 1, 2
COMMON = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
OUT = os.path.join(gf.FIX, "longformer")


def tiny_config(**kw):
    cfg = dict(
        vocab_size=VOCAB, hidden_size=16, num_hidden_layers=3, num_attention_heads=4,
        intermediate_size=23, max_position_embeddings=40, type_vocab_size=2,
        attention_window=[4, 6, 4], hidden_act="gelu_new", layer_norm_eps=0.02,
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, pad_token_id=PAD,
        bos_token_id=BOS, eos_token_id=SEP, sep_token_id=SEP, initializer_range=0.02,
    )
    cfg.update(kw)
    return LongformerConfig(**cfg)


def pair(question, context):
    return [BOS] + question + [SEP, SEP] + context + [SEP]


def pad_rows(rows, length):
    ids = torch.full((len(rows), length), PAD, dtype=torch.int64)
    mask = torch.zeros(len(rows), length, dtype=torch.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return ids, mask


def batch_inputs():
    rows = [pair([17, 42], [88, 23, 61]), pair([9], [30, 31]), pair([55], [12])]
    assert [len(r) for r in rows] == [9, 7, 6]
    ids, mask = pad_rows(rows, 9)
    g = torch.Generator().manual_seed(5)
    tt = torch.randint(0, 2, ids.shape, generator=g) * mask
    glob = torch.zeros_like(ids)
    glob[0, [0, 3, 5]] = 1
    glob[1, 0] = 1
    glob[2, 7] = 1  # padding: masked, not global
    return ids, mask, tt, glob


def mc_inputs():
    questions = [[11, 47], [60]]
    choices = [[[20, 21], [99], [7]], [[38], [8, 81, 19], [66]]]
    ids, masks = [], []
    for q, cs in zip(questions, choices):
        i, m = pad_rows([pair(q, c) for c in cs], 8)
        ids.append(i), masks.append(m)
    return torch.stack(ids), torch.stack(masks)


def collect(out, prefix=""):
    res = gf.collect(out, prefix)
    g = getattr(out, "global_attentions", None)
    if g is not None:
        for i, t in enumerate(g):
            res[f"{prefix}global_attentions.{i}"] = t
    return res


def gen_base():
    ids, mask, tt, glob = batch_inputs()
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt,
              "global_attention_mask": glob}
    cfg = tiny_config()
    model = gf.build(LongformerModel, cfg, seed=900)
    folder = os.path.join(OUT, "base")
    gf.save_model(model, folder)
    with torch.no_grad():
        out = model(**inputs, **COMMON)
        res = dict(inputs, **collect(out))
        assert res["attentions.0"].shape == (3, 4, 9, 3 + 5), res["attentions.0"].shape
        assert res["attentions.1"].shape == (3, 4, 9, 3 + 7)
        assert res["global_attentions.0"].shape == (3, 4, 12, 3)
        o = model(input_ids=ids, attention_mask=mask, token_type_ids=tt, **COMMON)
        assert o.global_attentions is None
        res.update(collect(o, "local."))
        single = torch.tensor([[BOS, 5, 6, 7, 8, 9, 10, 11, 12, 13, SEP]])
        o = model(input_ids=single, return_dict=True)
        res["single.input_ids"] = single
        res["single.last_hidden_state"] = o.last_hidden_state
        embeds = model.embeddings.word_embeddings(ids)
        o = model(inputs_embeds=embeds, attention_mask=mask, token_type_ids=tt,
                  global_attention_mask=glob, return_dict=True)
        res["embeds.inputs_embeds"] = embeds
        res["embeds.last_hidden_state"] = o.last_hidden_state
        allg = mask.clone()
        o = model(input_ids=ids, attention_mask=mask, token_type_ids=tt,
                  global_attention_mask=allg, **COMMON)
        res["allglobal.global_attention_mask"] = allg
        res.update(collect(o, "allglobal."))
        g = torch.Generator().manual_seed(6)
        long_ids = torch.randint(3, VOCAB, (2, 22), generator=g)
        long_ids[:, 0] = BOS
        long_ids[0, 21] = SEP
        long_ids[1, 18] = SEP
        long_ids[1, 19:] = PAD
        long_mask = (torch.arange(22)[None, :] < torch.tensor([[22], [19]])).long()
        long_glob = torch.zeros_like(long_ids)
        long_glob[0, [0, 13]] = 1
        long_glob[1, 0] = 1
        o = model(input_ids=long_ids, attention_mask=long_mask, global_attention_mask=long_glob,
                  return_dict=True)
        res["long.input_ids"] = long_ids
        res["long.attention_mask"] = long_mask
        res["long.global_attention_mask"] = long_glob
        res["long.last_hidden_state"] = o.last_hidden_state
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)


def gen_heads():
    ids, mask, tt, glob = batch_inputs()
    heads = [
        ("masked_lm", LongformerForMaskedLM, {}, 910, True),
        ("sequence_classification", LongformerForSequenceClassification,
         dict(num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()}),
         920, False),
        ("token_classification", LongformerForTokenClassification,
         dict(num_labels=5, id2label=TOKEN_LABELS, label2id={v: k for k, v in TOKEN_LABELS.items()},
              attention_window=8),
         930, False),
        ("question_answering", LongformerForQuestionAnswering, {}, 940, False),
        ("multiple_choice", LongformerForMultipleChoice, {}, 950, False),
    ]
    for name, cls, kw, seed, with_global in heads:
        cfg = tiny_config(**kw)
        model = gf.build(cls, cfg, seed=seed)
        if name == "masked_lm":
            assert model.lm_head.decoder.weight is model.longformer.embeddings.word_embeddings.weight
        folder = os.path.join(OUT, name)
        gf.save_model(model, folder)
        if name == "token_classification":
            # HF saves the per-layer list; write the single-integer form it also reads.
            path = os.path.join(folder, "config.json")
            with open(path) as f:
                saved = json.load(f)
            assert saved["attention_window"] == [8, 8, 8]
            saved["attention_window"] = 8
            with open(path, "w") as f:
                json.dump(saved, f, indent=2, sort_keys=True)
            assert LongformerConfig.from_pretrained(folder).attention_window == 8
        if name == "multiple_choice":
            i, m = mc_inputs()
            inp = {"input_ids": i, "attention_mask": m}
        else:
            inp = {"input_ids": ids, "attention_mask": mask}
            if with_global:
                inp["global_attention_mask"] = glob
        with torch.no_grad():
            out = model(**inp, **COMMON)
        res = dict(inp, **collect(out))
        if name == "token_classification":
            short = torch.tensor([[BOS, 44, SEP]])
            with torch.no_grad():
                res["short.logits"] = model(input_ids=short, return_dict=True).logits
            res["short.input_ids"] = short
        if name in ("sequence_classification", "question_answering", "multiple_choice"):
            assert "global_attentions.0" in res, name
        gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)


def main():
    import transformers
    torch.set_num_threads(1)
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    gen_base()
    gen_heads()
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"\n== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")


if __name__ == "__main__":
    main()
