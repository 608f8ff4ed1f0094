#!/usr/bin/env python3
"""Generate the ALBERT parity fixtures (tests/fixtures/albert/*); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_albert.py
Deterministic (fixed seeds, single-threaded torch). Reuses the helpers of generate_fixtures.py
(randomise, build, save_model, save_tensors, collect, check_padding).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad, eager attention.

What each fixture follows
-------------------------
No tokenizer: inputs are ids of a made-up vocabulary of VOCAB=100 ids with ALBERT's special ids
<pad>=0, <unk>=1, [CLS]=2, [SEP]=3. Rows are `[CLS] a.. [SEP] b.. [SEP]` with token types 0 for
the first segment (incl. its [SEP]) and 1 for the second, right-padded with 0, real lengths 9 / 6 / 4.

albert/<name>/{config.json, model.safetensors, expected.safetensors}
Tiny AlbertConfig: vocab 100, embedding_size 16 (!= hidden 32, so the factorised embedding and
encoder.embedding_hidden_mapping_in are exercised), num_hidden_layers 4, num_hidden_groups 2,
inner_group_num 2 (layers 0-1 run group 0, layers 2-3 group 1; each group runs its 2 inner layers),
4 heads, intermediate 37, max_position_embeddings 64, type_vocab_size 2, hidden_act gelu_new,
layer_norm_eps 0.02 (large: an epsilon not read from config.json fails 1e-4), pad 0.
Every parameter is randomised after construction (generate_fixtures.randomise: normal(0, 0.2),
LayerNorm weights normal(1, 0.2)), so a missing bias or a swapped weight cannot pass.
  - base: AlbertModel (pooler = tanh(dense(h[:, 0]))).
  - uneven_groups: AlbertModel with num_hidden_layers 3, num_hidden_groups 2, inner_group_num 1:
          HF maps layer i to group int(i / (3 / 2)) = 0, 0, 1 (float division; an integer 3 / 2
          would give 0, 1, 2 and index past the groups), 3 AlbertLayer calls.
  - masked_lm: AlbertForMaskedLM (no pooler). Tied (HF default): predictions.decoder.weight is
          albert.embeddings.word_embeddings.weight ([vocab, embedding_size]) and
          predictions.decoder.bias is predictions.bias; save_pretrained writes only
          predictions.bias (checked below).
  - masked_lm_untied: AlbertForMaskedLM with tie_word_embeddings=False: HF 5.24 then ties nothing;
          the decoder uses its own weight and predictions.decoder.bias, while predictions.bias is
          a parameter the forward pass never reads (randomised to a different value).
  - sequence_classification: AlbertForSequenceClassification, 3 labels (pooler -> classifier).
  - multiple_choice: AlbertForMultipleChoice (pooler -> classifier -> [B, C]; input [2, 3, 7]).
  - token_classification: AlbertForTokenClassification, 5 labels (no pooler).
  - question_answering: AlbertForQuestionAnswering (no pooler; qa_outputs -> start/end logits).

expected.safetensors (all runs with output_hidden_states=True, output_attentions=True):
  inputs   `input_ids`, `attention_mask`, `token_type_ids` int64 [3, 9] ([2, 3, 7] for
           multiple_choice).
  outputs  `hidden_states.<i>`, `attentions.<i>`, and `last_hidden_state` + `pooler_output` (base,
           uneven_groups) / `logits` / `start_logits` + `end_logits`.
  HF 5.24 collects ALBERT's outputs with hooks on every AlbertLayer / AlbertAttention call, so there
  are 1 + num_hidden_layers * inner_group_num hidden states (entry 0 is the input of the first
  layer, i.e. AFTER embedding_hidden_mapping_in, width hidden_size, not the embedding output) and
  num_hidden_layers * inner_group_num attentions, in call order (checked below). HF 4.x returned one
  hidden state per group call instead.
  base extras:
    `embedding_output` [3, 9, 16]: AlbertEmbeddings output (for the record; checked against
        hidden_states.0 through embedding_hidden_mapping_in).
    `single.input_ids` [1, 9] (row 0), no mask / token types / positions -> `single.last_hidden_state`,
        `single.pooler_output`.
    `batch_nomask.last_hidden_state`: the padded batch with token types but NO attention_mask.
    `embeds.inputs_embeds` [3, 9, 16] = word_embeddings(input_ids), run with mask and token types
        instead of ids -> `embeds.last_hidden_state`.
    `explicit.position_ids` [3, 9] (arange(3, 12) in each row) -> `explicit.last_hidden_state`.
"""

import os
import sys

import torch
from safetensors import safe_open
from transformers import (
    AlbertConfig,
    AlbertForMaskedLM,
    AlbertForMultipleChoice,
    AlbertForQuestionAnswering,
    AlbertForSequenceClassification,
    AlbertForTokenClassification,
    AlbertModel,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402

VOCAB = 100
PAD, CLS, SEP = 0, 2, 3
COMMON = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
OUT = os.path.join(gf.FIX, "albert")


def tiny_config(**kw):
    cfg = dict(
        vocab_size=VOCAB, embedding_size=16, hidden_size=32, num_hidden_layers=4,
        num_hidden_groups=2, inner_group_num=2, num_attention_heads=4, intermediate_size=37,
        max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu_new", layer_norm_eps=0.02,
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, classifier_dropout_prob=0.1,
        pad_token_id=PAD, bos_token_id=CLS, eos_token_id=SEP, initializer_range=0.02,
    )
    cfg.update(kw)
    return AlbertConfig(**cfg)


def row(first, second=None):
    """[CLS] first [SEP] (second [SEP]) as ids and token types."""
    ids = [CLS] + first + [SEP]
    types = [0] * len(ids)
    if second is not None:
        ids += second + [SEP]
        types += [1] * (len(second) + 1)
    return ids, types


def batch_inputs():
    rows = [row([17, 42, 5], [88, 23, 61]), row([9, 73], [30]), row([55, 12])]
    assert [len(r[0]) for r in rows] == [9, 6, 4]
    return gf.pad_batch(rows, 9)


def mc_inputs():
    # real lengths [7, 6, 6] and [6, 7, 5]
    questions = [[11, 47], [60]]
    choices = [[[20, 21], [99], [7]], [[38], [8, 81, 19], [66]]]
    ids, masks, types = [], [], []
    for q, cs in zip(questions, choices):
        rows = [row(q, c) for c in cs]
        i, m, t = gf.pad_batch(rows, 7)
        ids.append(i), masks.append(m), types.append(t)
    ids, masks, types = torch.stack(ids), torch.stack(masks), torch.stack(types)
    assert (masks.sum(-1) < 7).any()
    return ids, masks, types


def check_layer_outputs(name, cfg, res):
    """HF 5.24 records one hidden state per AlbertLayer call (+ the first layer's input)."""
    calls = cfg.num_hidden_layers * cfg.inner_group_num
    n_hidden = sum(k.startswith("hidden_states.") for k in res)
    n_att = sum(k.startswith("attentions.") for k in res)
    assert n_hidden == calls + 1 and n_att == calls, (name, n_hidden, n_att)
    assert res["hidden_states.0"].shape[-1] == cfg.hidden_size
    gf.NOTES.append(f"albert/{name}: {n_hidden} hidden states, {n_att} attentions "
                    f"({cfg.num_hidden_layers} layers x {cfg.inner_group_num} inner)")


def saved(folder):
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        return list(f.keys())


def gen_base(ids, mask, tt):
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    cfg = tiny_config()
    model = gf.build(AlbertModel, cfg, seed=300)
    folder = os.path.join(OUT, "base")
    gf.save_model(model, folder)
    with torch.no_grad():
        out = model(**inputs, **COMMON)
        res = dict(inputs, **gf.collect(out))
        gf.check_padding("albert/base", res, mask)
        check_layer_outputs("base", cfg, res)
        emb = model.embeddings(input_ids=ids, token_type_ids=tt)
        res["embedding_output"] = emb
        mapped = model.encoder.embedding_hidden_mapping_in(emb)
        assert (mapped - res["hidden_states.0"]).abs().max().item() == 0.0
        # The layer-to-group map, as HF's loop computes it.
        groups = [int(i / (cfg.num_hidden_layers / cfg.num_hidden_groups)) for i in range(cfg.num_hidden_layers)]
        assert groups == [0, 0, 1, 1], groups

        single = ids[:1]
        o = model(input_ids=single, return_dict=True)
        res["single.input_ids"] = single
        res["single.last_hidden_state"] = o.last_hidden_state
        res["single.pooler_output"] = o.pooler_output
        o = model(input_ids=ids, token_type_ids=tt, return_dict=True)
        res["batch_nomask.last_hidden_state"] = o.last_hidden_state
        embeds = model.embeddings.word_embeddings(ids)
        o = model(inputs_embeds=embeds, attention_mask=mask, token_type_ids=tt, return_dict=True)
        assert (o.last_hidden_state - out.last_hidden_state).abs().max().item() < 1e-6
        res["embeds.inputs_embeds"] = embeds
        res["embeds.last_hidden_state"] = o.last_hidden_state
        pos = torch.arange(3, 12, dtype=torch.int64).expand(3, -1).contiguous()
        o = model(**inputs, position_ids=pos, return_dict=True)
        res["explicit.position_ids"] = pos
        res["explicit.last_hidden_state"] = o.last_hidden_state
        # sdpa agrees with eager on real positions (the Rust side uses the fused kernel when no
        # attention probabilities are asked for).
        model.set_attn_implementation("sdpa")
        o = model(**inputs, return_dict=True)
        d = ((o.last_hidden_state - out.last_hidden_state) * mask[..., None]).abs().max().item()
        gf.NOTES.append(f"albert/base: sdpa vs eager max|diff| at real positions {d:.2e}")
        assert d < 1e-5
        model.set_attn_implementation("eager")
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
    gf.NOTES.append(f"albert/base: saved keys outside layer groups: "
                    f"{[k for k in saved(folder) if 'albert_layer_groups' not in k]}")


def gen_uneven(ids, mask, tt):
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    cfg = tiny_config(num_hidden_layers=3, num_hidden_groups=2, inner_group_num=1)
    groups = [int(i / (cfg.num_hidden_layers / cfg.num_hidden_groups)) for i in range(cfg.num_hidden_layers)]
    assert groups == [0, 0, 1], groups
    model = gf.build(AlbertModel, cfg, seed=310)
    folder = os.path.join(OUT, "uneven_groups")
    gf.save_model(model, folder)
    with torch.no_grad():
        out = model(**inputs, **COMMON)
    res = dict(inputs, **gf.collect(out))
    gf.check_padding("albert/uneven_groups", res, mask)
    check_layer_outputs("uneven_groups", cfg, res)
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)


def gen_heads(ids, mask, tt):
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    heads = [
        ("masked_lm", AlbertForMaskedLM, {}, 320),
        ("masked_lm_untied", AlbertForMaskedLM, dict(tie_word_embeddings=False), 330),
        ("sequence_classification", AlbertForSequenceClassification,
         dict(num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()}), 340),
        ("multiple_choice", AlbertForMultipleChoice, {}, 350),
        ("token_classification", AlbertForTokenClassification,
         dict(num_labels=5, id2label=TOKEN_LABELS, label2id={v: k for k, v in TOKEN_LABELS.items()}), 360),
        ("question_answering", AlbertForQuestionAnswering, {}, 370),
    ]
    for name, cls, kw, seed in heads:
        cfg = tiny_config(**kw)
        model = gf.build(cls, cfg, seed=seed)
        pred = getattr(model, "predictions", None)
        if name == "masked_lm":
            assert pred.decoder.weight is model.albert.embeddings.word_embeddings.weight, "not tied"
            assert pred.decoder.bias is pred.bias, "bias not tied"
        if name == "masked_lm_untied":
            assert pred.decoder.weight is not model.albert.embeddings.word_embeddings.weight
            assert pred.decoder.bias is not pred.bias
            assert (pred.decoder.bias - pred.bias).abs().max().item() > 0.1
        folder = os.path.join(OUT, name)
        gf.save_model(model, folder)
        if name == "multiple_choice":
            i, m, t = mc_inputs()
            inp = {"input_ids": i, "attention_mask": m, "token_type_ids": t}
        else:
            inp, m = inputs, mask
        with torch.no_grad():
            out = model(**inp, **COMMON)
        res = dict(inp, **gf.collect(out))
        gf.check_padding(f"albert/{name}", res, m)
        check_layer_outputs(name, cfg, res)
        gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
        keys = saved(folder)
        if name.startswith("masked_lm"):
            gf.NOTES.append(f"albert/{name}: predictions.* keys saved: "
                            f"{sorted(k for k in keys if k.startswith('predictions'))}")
        gf.NOTES.append(f"albert/{name}: pooler saved: {any('pooler' in k for k in keys)}")


def main():
    import transformers
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    ids, mask, tt = batch_inputs()
    gen_base(ids, mask, tt)
    gen_uneven(ids, mask, tt)
    gen_heads(ids, mask, tt)
    print("\n== notes ==")
    for n in gf.NOTES:
        print(" -", n)
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"\n== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")


if __name__ == "__main__":
    main()
