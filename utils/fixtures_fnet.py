#!/usr/bin/env python3
"""Generate the FNet parity fixtures (tests/fixtures/fnet/*); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_fnet.py
Deterministic (fixed seeds, single-threaded torch). Reuses generate_fixtures.py's helpers and
fixtures_albert.py's made-up-vocabulary inputs (vocabulary of 100 ids, [CLS]=2, [SEP]=3, pad 0;
a padded batch of real lengths 9 / 6 / 4 with token types; multiple choice [2, 3, 7]).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad.

FNet has no attention: no attention mask is given to HF (it takes none) and the padding takes
part in the Fourier mixing, so the expected outputs are those of the padded batch as is.

Tiny FNetConfig: vocab 100, hidden 32, 2 layers, intermediate 37, max_position_embeddings 64,
type_vocab_size 4 (token types up to 1 used), hidden_act "silu" (HF default gelu_new),
layer_norm_eps 0.02, pad 0, use_tpu_fourier_optimizations off (torch.fft.fftn over dims 1, 2).
Parameters randomised after construction (generate_fixtures.randomise).
  - base: FNetModel with its pooler (`pooler_output`).
  - masked_lm: FNetForMaskedLM (decoder tied to the word embeddings; pooler saved too).
  - masked_lm_untied: tie_word_embeddings false (decoder.weight and decoder.bias read).
  - sequence_classification (3 labels), token_classification (5 labels), question_answering,
    multiple_choice ([2, 3, 7]).

expected.safetensors (output_hidden_states=True): inputs `input_ids`, `token_type_ids` (and
`attention_mask`, for the record only); outputs `hidden_states.<i>` (layers + 1),
`last_hidden_state` / `pooler_output` / `logits` / `start_logits` + `end_logits`.
  base extras: `single.*` (row 0 cut to its 9 tokens, no types), `embeds.inputs_embeds`
  [3, 9, 32] -> `embeds.last_hidden_state`, `explicit.position_ids` -> `explicit.last_hidden_state`.
"""

import os
import sys

import torch
from safetensors import safe_open
from transformers import (
    FNetConfig,
    FNetForMaskedLM,
    FNetForMultipleChoice,
    FNetForQuestionAnswering,
    FNetForSequenceClassification,
    FNetForTokenClassification,
    FNetModel,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_albert as fa  # noqa: E402
import generate_fixtures as gf  # noqa: E402

COMMON = dict(output_hidden_states=True, return_dict=True)
SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
OUT = os.path.join(gf.FIX, "fnet")


def tiny_config(**kw):
    cfg = dict(
        vocab_size=fa.VOCAB, hidden_size=32, num_hidden_layers=2, intermediate_size=37,
        max_position_embeddings=64, type_vocab_size=4, hidden_act="silu", layer_norm_eps=0.02,
        hidden_dropout_prob=0.1, pad_token_id=0, bos_token_id=2, eos_token_id=3,
        initializer_range=0.02, use_tpu_fourier_optimizations=False,
    )
    cfg.update(kw)
    return FNetConfig(**cfg)


def saved(folder):
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        return list(f.keys())


def build(cls, cfg, seed):
    torch.manual_seed(seed)
    model = cls(cfg)
    gf.randomise(model, seed + 1000)
    return model.eval()


def check_layers(name, cfg, res):
    n_hidden = sum(k.startswith("hidden_states.") for k in res)
    assert n_hidden == cfg.num_hidden_layers + 1, (name, n_hidden)


def gen_base(ids, mask, tt):
    cfg = tiny_config()
    model = build(FNetModel, cfg, seed=1100)
    folder = os.path.join(OUT, "base")
    gf.save_model(model, folder)
    inputs = {"input_ids": ids, "token_type_ids": tt}
    with torch.no_grad():
        out = model(**inputs, **COMMON)
        res = dict(inputs, attention_mask=mask, **gf.collect(out))
        check_layers("base", cfg, res)
        o = model(input_ids=ids[:1], return_dict=True)
        res["single.input_ids"] = ids[:1]
        res["single.last_hidden_state"] = o.last_hidden_state
        res["single.pooler_output"] = o.pooler_output
        embeds = model.embeddings.word_embeddings(ids)
        o = model(inputs_embeds=embeds, token_type_ids=tt, return_dict=True)
        assert (o.last_hidden_state - out.last_hidden_state).abs().max().item() < 1e-6
        res["embeds.inputs_embeds"] = embeds
        res["embeds.last_hidden_state"] = o.last_hidden_state
        pos = torch.arange(3, 12, dtype=torch.int64).expand(3, -1).contiguous()
        o = model(**inputs, position_ids=pos, return_dict=True)
        res["explicit.position_ids"] = pos
        res["explicit.last_hidden_state"] = o.last_hidden_state
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
    gf.NOTES.append(f"fnet/base: keys {sorted(k for k in saved(folder) if '.layer.' not in k)}")


def gen_heads(ids, mask, tt):
    heads = [
        ("masked_lm", FNetForMaskedLM, {}, 1110),
        ("masked_lm_untied", FNetForMaskedLM, dict(tie_word_embeddings=False), 1120),
        ("sequence_classification", FNetForSequenceClassification,
         dict(num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()}), 1130),
        ("token_classification", FNetForTokenClassification,
         dict(num_labels=5, id2label=TOKEN_LABELS, label2id={v: k for k, v in TOKEN_LABELS.items()}), 1140),
        ("question_answering", FNetForQuestionAnswering, {}, 1150),
        ("multiple_choice", FNetForMultipleChoice, {}, 1160),
    ]
    for name, cls, kw, seed in heads:
        cfg = tiny_config(**kw)
        model = build(cls, cfg, seed)
        if name == "masked_lm":
            assert model.cls.predictions.decoder.weight is model.fnet.embeddings.word_embeddings.weight
        if name == "masked_lm_untied":
            assert model.cls.predictions.decoder.weight is not model.fnet.embeddings.word_embeddings.weight
        folder = os.path.join(OUT, name)
        gf.save_model(model, folder)
        if name == "multiple_choice":
            i, m, t = fa.mc_inputs()
            inp = {"input_ids": i, "token_type_ids": t}
        else:
            inp, m = {"input_ids": ids, "token_type_ids": tt}, mask
        with torch.no_grad():
            out = model(**inp, **COMMON)
        res = dict(inp, attention_mask=m, **gf.collect(out))
        check_layers(name, cfg, res)
        gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
        if name.startswith("masked_lm"):
            lm = sorted(k for k in saved(folder) if k.startswith("cls."))
            gf.NOTES.append(f"fnet/{name}: cls keys saved: {lm}")


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
