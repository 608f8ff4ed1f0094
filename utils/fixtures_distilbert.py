#!/usr/bin/env python3
"""Generate the DistilBERT parity fixtures under tests/fixtures/distilbert/ (see shared/docs/parity.md).

Run from the repository root, after utils/generate_fixtures.py (it reads tests/fixtures/bert/vocab.txt):
    .venv/bin/python utils/fixtures_distilbert.py
Deterministic: fixed seeds, single-threaded torch (set by generate_fixtures on import).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, model.eval(), torch.no_grad(),
attn_implementation="eager" (sdpa is also run on `base` and must agree to < 1e-5).

What each fixture follows
-------------------------
distilbert/<name>/{config.json, model.safetensors, expected.safetensors}
    Tiny DistilBertConfig (vocab_size = 180, the tiny BERT vocab of tests/fixtures/bert/vocab.txt; dim 32,
    n_layers 2, n_heads 4, hidden_dim 37, max_position_embeddings 64, pad_token_id 0), saved with
    save_pretrained (safetensors). Every parameter is randomised after construction with
    generate_fixtures.randomise (normal(0, 0.2), embeddings LayerNorm weight normal(1, 0.2)), then the
    weights of the other LayerNorms (sa_layer_norm, output_layer_norm, vocab_layer_norm) are redrawn
    from normal(1, 0.2) as well (seed per folder).
    HF hard-codes every DistilBERT LayerNorm epsilon to 1e-12 (embeddings, sa_layer_norm,
    output_layer_norm, vocab_layer_norm); the config has no epsilon key.
    - base: transformers.DistilBertModel, activation="gelu_new" (an activation not read from the config
            fails the tolerance).
    - masked_lm: DistilBertForMaskedLM, activation="relu" (HF applies config.activation between
            vocab_transform and vocab_layer_norm; rust-bert 0.23 hard-codes gelu there).
            tie_word_embeddings=True (HF default): vocab_projector.weight IS
            distilbert.embeddings.word_embeddings.weight (`_tied_weights_keys`), so save_pretrained
            omits vocab_projector.weight and keeps vocab_projector.bias (see the printed notes).
    - masked_lm_untied: DistilBertForMaskedLM with tie_word_embeddings=False (vocab_projector.weight
            saved, its own values).
    - sequence_classification: DistilBertForSequenceClassification, num_labels=3, id2label
            {0: negative, 1: neutral, 2: positive}: hidden[:, 0] -> pre_classifier -> ReLU -> dropout
            -> classifier.
    - multiple_choice: DistilBertForMultipleChoice (flatten [B, C, L] -> first token -> pre_classifier
            -> ReLU -> classifier -> [B, C]).
    - token_classification: DistilBertForTokenClassification, num_labels=5, id2label
            O/B-PER/I-PER/B-LOC/I-LOC.
    - question_answering: DistilBertForQuestionAnswering (qa_outputs -> start_logits, end_logits).
    - sinusoidal: DistilBertModel with sinusoidal_pos_embds=True. HF only *initialises* the position
            table with sinusoids (_init_weights); the table is an ordinary parameter, saved in the
            checkpoint and overwritten by from_pretrained (checked below: after randomising it and a
            save/load round trip, the loaded table is the random one, not sinusoids). Extra key
            `init.position_embeddings` [64, 32]: the table of a freshly constructed HF model (the
            sinusoids HF's init writes), before randomisation.
    expected.safetensors keys (all models run with output_hidden_states=True, output_attentions=True):
      inputs   `input_ids`, `attention_mask` int64 [3, 9] (the padded batch of generate_fixtures:
               real lengths 9, 6, 4, right-padded with 0; no token types: DistilBERT has none;
               multiple_choice: [2, 3, 7]).
      outputs  `hidden_states.<i>` i = 0..n_layers (0 = embeddings output, n_layers + 1 tensors),
               `attentions.<i>` per layer ([B, heads, L, L] softmax probabilities), and
               base/sinusoidal: `last_hidden_state`;
               masked_lm / masked_lm_untied / sequence_classification / multiple_choice /
               token_classification: `logits`; question_answering: `start_logits`, `end_logits`.
      base extras: `single.input_ids` [1, 9] (first row, unpadded) with NO attention_mask and NO
               position_ids -> `single.last_hidden_state`; `batch_nomask.last_hidden_state`: the padded
               [3, 9] batch with NO attention_mask (pads attended to); `positions.position_ids` [3, 9]
               (per-row custom ids) -> `positions.last_hidden_state` (with the attention mask).
    Padded positions: probabilities to padded keys are exactly 0; values at padded query positions are
    computed anyway and stored in full.

distilbert/old_config.json
    The sequence_classification config rewritten the way configs of rust-bert's hub files look
    (transformers 2.x/4.x era, e.g. distilbert-base-uncased-finetuned-sst-2-english): with
    `tie_weights_: true`, `output_past`, `output_attentions: false`, `output_hidden_states: false`,
    `finetuning_task`, `is_decoder`, string id2label keys, and without the 5.x-only keys
    (`tie_word_embeddings`, `dtype`, `bos_token_id`, `eos_token_id`). HF 5.24 DistilBertConfig must
    load it (checked) and gives the same logits with it.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402  (sets torch threads/determinism, logging)

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import (  # noqa: E402
    DistilBertConfig,
    DistilBertForMaskedLM,
    DistilBertForMultipleChoice,
    DistilBertForQuestionAnswering,
    DistilBertForSequenceClassification,
    DistilBertForTokenClassification,
    DistilBertModel,
)
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy  # noqa: E402

DDIR = os.path.join(gf.FIX, "distilbert")
VOCAB = os.path.join(gf.FIX, "bert", "vocab.txt")


def tiny_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, dim=32, n_layers=2, n_heads=4, hidden_dim=37, max_position_embeddings=64,
        activation="gelu", dropout=0.1, attention_dropout=0.1, qa_dropout=0.1, seq_classif_dropout=0.2,
        pad_token_id=0, initializer_range=0.02,
    )
    cfg.update(kw)
    return DistilBertConfig(**cfg)


def build(cls, config, seed):
    model = gf.build(cls, config, seed)
    # generate_fixtures.randomise only knows BERT's `LayerNorm` name: give DistilBERT's own norms
    # weights around 1 too (a weight near 0 would hide what the norm does).
    torch.manual_seed(seed + 2000)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"):
                p.normal_(1.0, 0.2)
    model.eval()
    return model


def inputs_of(tok):
    ids, mask, _ = gf.batch_inputs(tok)
    return ids, mask


def gen():
    tok = BertTokenizerLegacy(VOCAB, do_lower_case=True)
    V = len(gf.load_vocab(VOCAB))
    ids, mask = inputs_of(tok)
    inputs = {"input_ids": ids, "attention_mask": mask}
    common = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
    saved_keys = {}

    # ---- base ----
    model = build(DistilBertModel, tiny_config(V, activation="gelu_new"), seed=110)
    saved_keys["base"] = gf.save_model(model, os.path.join(DDIR, "base"))
    with torch.no_grad():
        out = model(**inputs, **common)
        res = dict(inputs, **gf.collect(out))
        assert len(out.hidden_states) == 3, len(out.hidden_states)
        gf.check_padding("distilbert base", res, mask)
        single = ids[:1, : int(mask[0].sum())]
        res["single.input_ids"] = single
        res["single.last_hidden_state"] = model(input_ids=single).last_hidden_state
        res["batch_nomask.last_hidden_state"] = model(input_ids=ids).last_hidden_state
        pos = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7, 8], [10, 11, 12, 13, 14, 15, 16, 17, 18],
                            [63, 5, 0, 7, 7, 1, 2, 3, 4]], dtype=torch.int64)
        res["positions.position_ids"] = pos
        res["positions.last_hidden_state"] = model(**inputs, position_ids=pos).last_hidden_state
        model.set_attn_implementation("sdpa")
        o = model(**inputs)
        d = ((o.last_hidden_state - out.last_hidden_state) * mask[..., None]).abs().max().item()
        gf.NOTES.append(f"distilbert base: sdpa vs eager max|diff| at real positions {d:.2e}")
        assert d < 1e-5
        model.set_attn_implementation("eager")
    gf.save_tensors(os.path.join(DDIR, "base", "expected.safetensors"), res)

    # ---- heads ----
    seq_labels = dict(num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"},
                      label2id={"negative": 0, "neutral": 1, "positive": 2})
    tok_labels = dict(num_labels=5, id2label={0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"},
                      label2id={"O": 0, "B-PER": 1, "I-PER": 2, "B-LOC": 3, "I-LOC": 4})
    heads = [
        ("masked_lm", DistilBertForMaskedLM, dict(activation="relu"), 130),
        ("masked_lm_untied", DistilBertForMaskedLM, dict(tie_word_embeddings=False), 135),
        ("sequence_classification", DistilBertForSequenceClassification, seq_labels, 140),
        ("multiple_choice", DistilBertForMultipleChoice, {}, 150),
        ("token_classification", DistilBertForTokenClassification, tok_labels, 160),
        ("question_answering", DistilBertForQuestionAnswering, {}, 170),
    ]
    for name, cls, kw, seed in heads:
        model = build(cls, tiny_config(V, **kw), seed=seed)
        if name.startswith("masked_lm"):
            tied = model.vocab_projector.weight is model.distilbert.embeddings.word_embeddings.weight
            assert tied == (name == "masked_lm"), (name, tied)
            assert model.vocab_projector.bias.abs().sum() > 0
        saved_keys[name] = gf.save_model(model, os.path.join(DDIR, name))
        if name == "multiple_choice":
            i, m, _ = gf.mc_inputs(tok)
            inp = {"input_ids": i, "attention_mask": m}
        else:
            inp, m = inputs, mask
        with torch.no_grad():
            out = model(**inp, **common)
        res = dict(inp, **gf.collect(out))
        gf.check_padding(f"distilbert {name}", res, m)
        gf.save_tensors(os.path.join(DDIR, name, "expected.safetensors"), res)
        if name == "sequence_classification":
            seq_logits = out.logits

    # ---- sinusoidal position table: initialised by HF, then loaded like any parameter ----
    cfg = tiny_config(V, sinusoidal_pos_embds=True)
    torch.manual_seed(180)
    fresh = DistilBertModel(cfg)
    init_table = fresh.embeddings.position_embeddings.weight.detach().clone()
    assert abs(init_table[1, 0].item() - torch.sin(torch.tensor(1.0)).item()) < 1e-6, "no sinusoids at init"
    model = build(DistilBertModel, tiny_config(V, sinusoidal_pos_embds=True), seed=180)
    folder = os.path.join(DDIR, "sinusoidal")
    saved_keys["sinusoidal"] = gf.save_model(model, folder)
    reloaded = DistilBertModel.from_pretrained(folder, attn_implementation="eager").eval()
    loaded_table = reloaded.embeddings.position_embeddings.weight
    random_table = model.embeddings.position_embeddings.weight
    assert torch.equal(loaded_table, random_table), "from_pretrained did not keep the saved position table"
    gf.NOTES.append("distilbert sinusoidal: from_pretrained keeps the saved (random) position table; "
                    "sinusoids are only HF's init")
    with torch.no_grad():
        out = reloaded(**inputs, **common)
    res = dict(inputs, **gf.collect(out))
    res["init.position_embeddings"] = init_table
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)

    # ---- an old-style (rust-bert hub era) config for the sequence classification model ----
    with open(os.path.join(DDIR, "sequence_classification", "config.json")) as f:
        new_cfg = json.load(f)
    old = {k: v for k, v in new_cfg.items()
           if k not in ("tie_word_embeddings", "dtype", "bos_token_id", "eos_token_id", "transformers_version")}
    old.update({
        "architectures": ["DistilBertForSequenceClassification"],
        "finetuning_task": "sst-2",
        "id2label": {str(k): v for k, v in seq_labels["id2label"].items()},
        "is_decoder": False,
        "output_attentions": False,
        "output_hidden_states": False,
        "output_past": True,
        "tie_weights_": True,
        "torchscript": False,
    })
    assert "tie_weights_" not in new_cfg, "HF 5.24 now writes tie_weights_"
    old_path = os.path.join(DDIR, "old_config.json")
    gf.save_json(old_path, old)
    hf_old = DistilBertConfig.from_json_file(old_path)
    hf_old._attn_implementation = "eager"
    model = DistilBertForSequenceClassification.from_pretrained(
        os.path.join(DDIR, "sequence_classification"), config=hf_old).eval()
    with torch.no_grad():
        d = (model(**inputs).logits - seq_logits).abs().max().item()
    assert d < 1e-6, d
    gf.NOTES.append(f"distilbert old_config.json: HF 5.24 loads it (tie_word_embeddings={hf_old.tie_word_embeddings}, "
                    f"tie_weights_={getattr(hf_old, 'tie_weights_', None)}); logits max|diff| {d:.1e}")

    for name, keys in saved_keys.items():
        gf.NOTES.append(f"distilbert {name}: {len(keys)} tensors; non-layer keys: "
                        f"{[k for k in keys if '.layer.' not in k]}")


def main():
    gen()
    print("== notes ==")
    for n in gf.NOTES:
        print(" -", n)
    print("== files ==")
    total = 0
    for p in gf.WRITTEN:
        total += os.path.getsize(p)
        print(f"  {os.path.relpath(p, gf.ROOT):60s} {os.path.getsize(p):>9d} B")
    print(f"  total {total} B ({total / 1024:.1f} KiB)")


if __name__ == "__main__":
    main()
