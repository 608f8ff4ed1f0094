#!/usr/bin/env python3
"""Generate the DeBERTa (v1) and DeBERTa-v2/v3 parity fixtures (tests/fixtures/deberta/*,
tests/fixtures/deberta_v2/*); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_deberta.py
Deterministic (fixed seeds, single-threaded torch). Reuses the helpers of generate_fixtures.py
(build, save_model, save_tensors, collect) and the made-up-vocabulary inputs of
fixtures_albert.py (batch_inputs: real lengths 9 / 6 / 4 padded to 9, with token types;
mc_inputs: [2, 3, 7]).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad, eager attention.

Configurations (every parameter randomised after construction), chosen so a mis-read field
fails 1e-4:
v1 (DebertaConfig; hidden 32, 4 heads, 2 layers, intermediate 37, vocab 100, 64 positions)
  - base: relative_attention, max_relative_positions 5 (< the 9-token batch: the relative
          window is clamped), pos_att_type "c2p|p2c" (the legacy string form),
          position_biased_input true, type_vocab_size 2, embedding_size 16 (embed_proj),
          hidden_act gelu_new, layer_norm_eps 0.02.
  - p2c_talking: pos_att_type ["p2c", "p2p"] (p2p only counts in v1's score scale),
          max_relative_positions -1 (-> max_position_embeddings), no absolute positions,
          no token types, talking_head true, hidden_act relu, layer_norm_eps 1e-3.
  - absolute: relative_attention false (plain absolute-position DeBERTa), hidden_act silu.
  - heads on base's config: masked_lm (legacy head, decoder tied to the word embeddings),
          masked_lm_new (legacy=False: lm_predictions.lm_head; embedding_size 32, as HF's
          head multiplies hidden states by the word embeddings), sequence_classification
          (3 labels, pooler_hidden_act tanh, pooler_dropout 0.3, cls_dropout 0.2),
          token_classification (5 labels), question_answering.
v2 (DebertaV2Config; same sizes)
  - base (DeBERTa-v3 style): position_buckets 6, max_relative_positions 20 (log buckets),
          share_att_key true, norm_rel_ebd "layer_norm", pos_att_type "p2c|c2p",
          position_biased_input false, type_vocab_size 0, hidden_act gelu, layer_norm_eps 0.02.
  - conv: share_att_key false, pos_att_type ["c2p"], no buckets, max_relative_positions 6,
          conv_kernel_size 3, conv_groups 2, conv_act gelu, position_biased_input true,
          type_vocab_size 2, embedding_size 16, norm_rel_ebd none, hidden_act gelu_new,
          layer_norm_eps 1e-3.
  - heads on base's config: masked_lm, masked_lm_new, sequence_classification,
          token_classification, question_answering, multiple_choice; and
          conv_sequence_classification on conv's config.

expected.safetensors (output_hidden_states=True, output_attentions=True):
  inputs `input_ids`, `attention_mask`, `token_type_ids` int64 [3, 9] ([2, 3, 7] for MC);
  outputs `hidden_states.<i>` (layers + 1), `attentions.<i>`, `last_hidden_state` / `logits` /
  `start_logits` + `end_logits`. Padded positions are included: DeBERTa zeroes padded
  embeddings and gives padded queries a uniform attention row, and both are compared.
  base extras: `single.input_ids` [1, 9] (no mask, no token types) -> `single.last_hidden_state`;
  `embeds.inputs_embeds` (word embeddings) -> `embeds.last_hidden_state`; v1 base only:
  `explicit.position_ids` [3, 9] (arange(3, 12)) -> `explicit.last_hidden_state`.
"""

import os
import sys

import torch
from safetensors import safe_open
from transformers import (
    DebertaConfig,
    DebertaForMaskedLM,
    DebertaForQuestionAnswering,
    DebertaForSequenceClassification,
    DebertaForTokenClassification,
    DebertaModel,
    DebertaV2Config,
    DebertaV2ForMaskedLM,
    DebertaV2ForMultipleChoice,
    DebertaV2ForQuestionAnswering,
    DebertaV2ForSequenceClassification,
    DebertaV2ForTokenClassification,
    DebertaV2Model,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_albert as fa  # noqa: E402
import generate_fixtures as gf  # noqa: E402

COMMON = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}


def sizes(**kw):
    cfg = dict(
        vocab_size=fa.VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=64, hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1, pad_token_id=0, initializer_range=0.02,
    )
    cfg.update(kw)
    return cfg


V1 = {
    "base": dict(relative_attention=True, max_relative_positions=5, pos_att_type="c2p|p2c",
                 position_biased_input=True, type_vocab_size=2, embedding_size=16,
                 hidden_act="gelu_new", layer_norm_eps=0.02),
    "p2c_talking": dict(relative_attention=True, max_relative_positions=-1,
                        pos_att_type=["p2c", "p2p"], position_biased_input=False,
                        type_vocab_size=0, talking_head=True, hidden_act="relu",
                        layer_norm_eps=1e-3),
    "absolute": dict(relative_attention=False, position_biased_input=True, type_vocab_size=2,
                     hidden_act="silu", layer_norm_eps=0.02),
}
V2 = {
    "base": dict(relative_attention=True, position_buckets=6, max_relative_positions=20,
                 share_att_key=True, norm_rel_ebd="layer_norm", pos_att_type="p2c|c2p",
                 position_biased_input=False, type_vocab_size=0, hidden_act="gelu",
                 layer_norm_eps=0.02),
    "conv": dict(relative_attention=True, max_relative_positions=6, share_att_key=False,
                 pos_att_type=["c2p"], conv_kernel_size=3, conv_groups=2, conv_act="gelu",
                 position_biased_input=True, type_vocab_size=2, embedding_size=16,
                 norm_rel_ebd="none", hidden_act="gelu_new", layer_norm_eps=1e-3),
}


def labels(table):
    return dict(num_labels=len(table), id2label=table, label2id={v: k for k, v in table.items()})


def check_layers(name, cfg, res, mask):
    n_hidden = sum(k.startswith("hidden_states.") for k in res)
    n_att = sum(k.startswith("attentions.") for k in res)
    assert n_hidden == cfg.num_hidden_layers + 1 and n_att == cfg.num_hidden_layers, (name, n_hidden, n_att)
    if mask.dim() == 3:
        mask = mask.reshape(-1, mask.shape[-1])
    # attention of real queries to padded keys must be ~0 (padded queries attend uniformly)
    real = mask[:, None, :, None].float()
    for k, v in res.items():
        if k.startswith("attentions."):
            to_pad = v * real * (1 - mask)[:, None, None, :].float()
            assert to_pad.abs().max().item() < 1e-6, (name, k)


def saved(folder):
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        return sorted(f.keys())


def gen_base(out_dir, cfg_cls, model_cls, kw, seed, ids, mask, tt, explicit):
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    cfg = cfg_cls(**sizes(**kw))
    model = gf.build(model_cls, cfg, seed=seed)
    folder = os.path.join(out_dir)
    gf.save_model(model, folder)
    with torch.no_grad():
        out = model(**inputs, **COMMON)
        res = dict(inputs, **gf.collect(out))
        check_layers(folder, cfg, res, mask)
        o = model(input_ids=ids[:1], return_dict=True)
        res["single.input_ids"] = ids[:1]
        res["single.last_hidden_state"] = o.last_hidden_state
        embeds = model.embeddings.word_embeddings(ids)
        o = model(inputs_embeds=embeds, attention_mask=mask, token_type_ids=tt, return_dict=True)
        assert (o.last_hidden_state - out.last_hidden_state).abs().max().item() < 1e-6
        res["embeds.inputs_embeds"] = embeds
        res["embeds.last_hidden_state"] = o.last_hidden_state
        if explicit:
            pos = torch.arange(3, 12, dtype=torch.int64).expand(3, -1).contiguous()
            o = model(**inputs, position_ids=pos, return_dict=True)
            assert (o.last_hidden_state - out.last_hidden_state).abs().max().item() > 1e-3
            res["explicit.position_ids"] = pos
            res["explicit.last_hidden_state"] = o.last_hidden_state
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
    gf.NOTES.append(f"{os.path.relpath(folder, gf.FIX)}: saved keys outside layers: "
                    f"{[k for k in saved(folder) if '.layer.' not in k]}")


def gen_head(folder, cfg_cls, cls, kw, seed, inputs, mask):
    cfg = cfg_cls(**sizes(**kw))
    model = gf.build(cls, cfg, seed=seed)
    gf.save_model(model, folder)
    with torch.no_grad():
        out = model(**inputs, **COMMON)
    res = dict(inputs, **gf.collect(out))
    check_layers(folder, cfg, res, mask)
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
    keys = saved(folder)
    gf.NOTES.append(f"{os.path.relpath(folder, gf.FIX)}: head keys: "
                    f"{[k for k in keys if not k.startswith('deberta.')]}")


def main():
    import transformers
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    ids, mask, tt = fa.batch_inputs()
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    mi, mm, mt = fa.mc_inputs()
    mc = {"input_ids": mi, "attention_mask": mm, "token_type_ids": mt}
    v1 = os.path.join(gf.FIX, "deberta")
    v2 = os.path.join(gf.FIX, "deberta_v2")

    for i, (name, kw) in enumerate(V1.items()):
        gen_base(os.path.join(v1, name), DebertaConfig, DebertaModel, kw, 900 + 10 * i,
                 ids, mask, tt, explicit=kw["position_biased_input"])
    seq = dict(V1["base"], pooler_hidden_act="tanh", pooler_dropout=0.3, cls_dropout=0.2,
               **labels(SEQ_LABELS))
    heads = [
        ("masked_lm", DebertaForMaskedLM, V1["base"], 950),
        ("masked_lm_new", DebertaForMaskedLM, dict(V1["base"], legacy=False, embedding_size=32), 955),
        ("sequence_classification", DebertaForSequenceClassification, seq, 960),
        ("token_classification", DebertaForTokenClassification,
         dict(V1["base"], **labels(TOKEN_LABELS)), 970),
        ("question_answering", DebertaForQuestionAnswering, V1["base"], 980),
    ]
    for name, cls, kw, seed in heads:
        gen_head(os.path.join(v1, name), DebertaConfig, cls, kw, seed, inputs, mask)

    for i, (name, kw) in enumerate(V2.items()):
        gen_base(os.path.join(v2, name), DebertaV2Config, DebertaV2Model, kw, 1100 + 10 * i,
                 ids, mask, tt, explicit=kw["position_biased_input"])
    seq = dict(V2["base"], pooler_hidden_act="tanh", pooler_dropout=0.3, cls_dropout=0.2,
               **labels(SEQ_LABELS))
    heads = [
        ("masked_lm", DebertaV2ForMaskedLM, V2["base"], 1150, inputs, mask),
        ("masked_lm_new", DebertaV2ForMaskedLM, dict(V2["base"], legacy=False), 1155, inputs, mask),
        ("sequence_classification", DebertaV2ForSequenceClassification, seq, 1160, inputs, mask),
        ("conv_sequence_classification", DebertaV2ForSequenceClassification,
         dict(V2["conv"], **labels(SEQ_LABELS)), 1165, inputs, mask),
        ("token_classification", DebertaV2ForTokenClassification,
         dict(V2["base"], **labels(TOKEN_LABELS)), 1170, inputs, mask),
        ("question_answering", DebertaV2ForQuestionAnswering, V2["base"], 1180, inputs, mask),
        ("multiple_choice", DebertaV2ForMultipleChoice, V2["base"], 1190, mc, mm),
    ]
    for name, cls, kw, seed, inp, m in heads:
        gen_head(os.path.join(v2, name), DebertaV2Config, cls, kw, seed, inp, m)

    print("\n== notes ==")
    for n in gf.NOTES:
        print(" -", n)
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"\n== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")


if __name__ == "__main__":
    main()
