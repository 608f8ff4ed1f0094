#!/usr/bin/env python3
"""Generate the ELECTRA parity fixtures (tests/fixtures/electra/*); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_electra.py
Deterministic (fixed seeds, single-threaded torch). Reuses the helpers of generate_fixtures.py
(build, save_model, save_tensors, collect, check_padding) and the made-up-vocabulary inputs of
fixtures_albert.py (batch_inputs, mc_inputs).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad, eager attention.

What each fixture follows
-------------------------
No tokenizer: ids of a made-up vocabulary of 100 ids ([CLS]=2, [SEP]=3, pad 0), a padded batch
of real lengths 9 / 6 / 4 with token types (fixtures_albert.batch_inputs).

electra/<name>/{config.json, model.safetensors, expected.safetensors}
Tiny ElectraConfig: vocab 100, embedding_size 16 != hidden_size 32 (so `embeddings_project`
exists and is exercised), 2 layers, 4 heads, intermediate 37, max_position_embeddings 64,
hidden_act "silu" (HF's discriminator head uses hidden_act, while the generator head and the
sequence classification head use a fixed exact gelu: reading the wrong one fails),
layer_norm_eps 0.02 (large: an epsilon not read from config.json fails 1e-4), pad 0.
Every parameter is randomised after construction (generate_fixtures.randomise).
  - base: ElectraModel (no pooler in ELECTRA).
  - discriminator: ElectraForPreTraining (rust-bert's ElectraDiscriminator): logits [B, S] of
          discriminator_predictions (dense -> hidden_act -> dense_prediction, squeeze(-1)), and
          `probabilities` = sigmoid(logits), what rust-bert's output holds.
  - generator: ElectraForMaskedLM: generator_predictions (dense hidden->embedding_size, gelu,
          LayerNorm) then generator_lm_head, whose weight is tied to the word embeddings
          (HF default): save_pretrained writes only generator_lm_head.bias (checked below).
  - generator_untied: the same with tie_word_embeddings=False (generator_lm_head.weight saved).
  - sequence_classification: ElectraForSequenceClassification, 3 labels: ElectraClassificationHead
          on token 0 (dense -> gelu -> out_proj).
  - token_classification: ElectraForTokenClassification, 5 labels.
  - question_answering: ElectraForQuestionAnswering.
  - multiple_choice: ElectraForMultipleChoice: ElectraSequenceSummary with ElectraConfig's
          defaults (summary_type "first", summary_use_proj, summary_activation "gelu";
          no summary_proj_to_labels attribute, so the projection is hidden->hidden) then
          classifier; input [2, 3, 7].

expected.safetensors (runs with output_hidden_states=True, output_attentions=True):
  inputs   `input_ids`, `attention_mask`, `token_type_ids` int64 [3, 9] ([2, 3, 7] for MC).
  outputs  `hidden_states.<i>` (num_hidden_layers + 1; entry 0 is the embedding output AFTER
           embeddings_project, width hidden_size), `attentions.<i>`, and `last_hidden_state` /
           `logits` / `start_logits` + `end_logits` / `probabilities`.
  base extras:
    `single.input_ids` [1, 9], no mask / token types -> `single.last_hidden_state`.
    `batch_nomask.last_hidden_state`: the padded batch with token types, no attention_mask.
    `embeds.inputs_embeds` [3, 9, 16] = word_embeddings(input_ids) (embedding_size wide: HF runs
        them through the embedding block and embeddings_project) -> `embeds.last_hidden_state`.
    `explicit.position_ids` [3, 9] (arange(3, 12)) -> `explicit.last_hidden_state`.
"""

import os
import sys

import torch
from safetensors import safe_open
from transformers import (
    ElectraConfig,
    ElectraForMaskedLM,
    ElectraForMultipleChoice,
    ElectraForPreTraining,
    ElectraForQuestionAnswering,
    ElectraForSequenceClassification,
    ElectraForTokenClassification,
    ElectraModel,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_albert as fa  # noqa: E402
import generate_fixtures as gf  # noqa: E402

COMMON = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
OUT = os.path.join(gf.FIX, "electra")


def tiny_config(**kw):
    cfg = dict(
        vocab_size=fa.VOCAB, embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=37, max_position_embeddings=64,
        type_vocab_size=2, hidden_act="silu", layer_norm_eps=0.02, hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1, pad_token_id=0, initializer_range=0.02,
    )
    cfg.update(kw)
    return ElectraConfig(**cfg)


def saved(folder):
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        return list(f.keys())


def check_layers(name, cfg, res):
    n_hidden = sum(k.startswith("hidden_states.") for k in res)
    n_att = sum(k.startswith("attentions.") for k in res)
    assert n_hidden == cfg.num_hidden_layers + 1 and n_att == cfg.num_hidden_layers, (name, n_hidden, n_att)
    assert res["hidden_states.0"].shape[-1] == cfg.hidden_size


def gen_base(ids, mask, tt):
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    cfg = tiny_config()
    model = gf.build(ElectraModel, cfg, seed=800)
    assert hasattr(model, "embeddings_project")
    folder = os.path.join(OUT, "base")
    gf.save_model(model, folder)
    with torch.no_grad():
        out = model(**inputs, **COMMON)
        res = dict(inputs, **gf.collect(out))
        gf.check_padding("electra/base", res, mask)
        check_layers("base", cfg, res)
        emb = model.embeddings(input_ids=ids, token_type_ids=tt)
        assert (model.embeddings_project(emb) - res["hidden_states.0"]).abs().max().item() == 0.0
        o = model(input_ids=ids[:1], return_dict=True)
        res["single.input_ids"] = ids[:1]
        res["single.last_hidden_state"] = o.last_hidden_state
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
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
    gf.NOTES.append(f"electra/base: saved keys outside layers: "
                    f"{[k for k in saved(folder) if '.layer.' not in k]}")


def gen_heads(ids, mask, tt):
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    heads = [
        ("discriminator", ElectraForPreTraining, {}, 810),
        ("generator", ElectraForMaskedLM, {}, 820),
        ("generator_untied", ElectraForMaskedLM, dict(tie_word_embeddings=False), 830),
        ("sequence_classification", ElectraForSequenceClassification,
         dict(num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()}), 840),
        ("token_classification", ElectraForTokenClassification,
         dict(num_labels=5, id2label=TOKEN_LABELS, label2id={v: k for k, v in TOKEN_LABELS.items()}), 850),
        ("question_answering", ElectraForQuestionAnswering, {}, 860),
        ("multiple_choice", ElectraForMultipleChoice, {}, 870),
    ]
    for name, cls, kw, seed in heads:
        cfg = tiny_config(**kw)
        model = gf.build(cls, cfg, seed=seed)
        if name == "generator":
            assert model.generator_lm_head.weight is model.electra.embeddings.word_embeddings.weight
        if name == "generator_untied":
            assert model.generator_lm_head.weight is not model.electra.embeddings.word_embeddings.weight
        if name == "multiple_choice":
            s = model.sequence_summary
            assert s.summary_type == "first" and s.summary.out_features == cfg.hidden_size
            assert not hasattr(cfg, "summary_proj_to_labels") or not cfg.summary_proj_to_labels
        folder = os.path.join(OUT, name)
        gf.save_model(model, folder)
        if name == "multiple_choice":
            i, m, t = fa.mc_inputs()
            inp = {"input_ids": i, "attention_mask": m, "token_type_ids": t}
        else:
            inp, m = inputs, mask
        with torch.no_grad():
            out = model(**inp, **COMMON)
        res = dict(inp, **gf.collect(out))
        if name == "discriminator":
            res["probabilities"] = torch.sigmoid(out.logits)
        gf.check_padding(f"electra/{name}", res, m)
        check_layers(name, cfg, res)
        gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
        keys = saved(folder)
        if name.startswith("generator"):
            lm = sorted(k for k in keys if k.startswith("generator_lm_head"))
            gf.NOTES.append(f"electra/{name}: generator_lm_head keys saved: {lm}")
            assert ("generator_lm_head.weight" in lm) == (name == "generator_untied"), lm


def main():
    import transformers
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    ids, mask, tt = fa.batch_inputs()
    gen_base(ids, mask, tt)
    gen_heads(ids, mask, tt)
    print("\n== notes ==")
    for n in gf.NOTES:
        print(" -", n)
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"\n== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")


if __name__ == "__main__":
    main()
