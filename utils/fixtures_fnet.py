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

Pipelines: fnet/pipelines/classifier (3 labels, config_nli.json) and expected.json, the
text-classification and zero-shot references computed from the HF model's logits as HF's
pipelines compute them, on sentencepiece's own ids of tests/fixtures/tokenizers/spm/fnet.model
(a SentencePiece BPE model, as google/fnet-base's): see gen_pipelines for why not through HF's
tokenizer.

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


SPM = os.path.join(gf.FIX, "tokenizers", "spm", "fnet.model")


def gen_pipelines():
    """Classification and zero-shot references for FNet, computed as HF's pipelines compute them
    from the model's logits (text-classification: softmax, top label; zero-shot: softmax of the
    entailment logits over the candidates, HF's default template), on sentencepiece's own ids
    of spm/fnet.model: HF 5.24 cannot tokenize FNet as google/fnet-base does from a bare
    spiece.model (see fixtures_tokenizers.py), and its rebuilt BPE merges depart from
    sentencepiece's on most of these texts; rust_tokenizers follows sentencepiece, and the Rust
    test checks its ids against `input_ids` / `zero_shot_input_ids` first."""
    import copy
    import json

    import sentencepiece

    import pipeline_refs as pr

    sp = sentencepiece.SentencePieceProcessor(model_file=SPM)
    max_len = 64

    def encode(text, pair=None):
        a, b = sp.encode(text), sp.encode(pair) if pair is not None else None
        if b is None:
            ids = [2] + a[:max_len - 2] + [3]
            return ids, [0] * len(ids)
        a = a[:max_len - 3 - len(b)]
        return [2] + a + [3] + b + [3], [0] * (len(a) + 2) + [1] * (len(b) + 1)

    def logits(model, text, pair=None):
        ids, types = encode(text, pair)
        with torch.no_grad():
            return model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([types])).logits[0]

    texts = pr.TEXTS
    size = dict(vocab_size=sp.get_piece_size(), max_position_embeddings=max_len)
    folder = os.path.join(OUT, "pipelines")
    cfg = tiny_config(**size, num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()})
    classifier = build(FNetForSequenceClassification, cfg, seed=1200)
    with torch.no_grad():  # pipeline_refs.center_logits, on sentencepiece's ids
        all_logits = torch.stack([logits(classifier, t) for t in pr.real(texts) + pr.ZS_TEXTS])
        classifier.classifier.bias -= all_logits.mean(0)
    gf.save_model(classifier, os.path.join(folder, "classifier"))
    nli_labels = {0: "entailment", 1: "neutral", 2: "contradiction"}
    nli_config = pr.labelled(classifier.config, nli_labels)
    path = os.path.join(folder, "classifier", "config_nli.json")
    nli_config.to_json_file(path)
    gf.WRITTEN.append(path)

    classification = []
    for text in pr.real(texts):
        probs = logits(classifier, text).softmax(-1)
        best = int(probs.argmax())
        classification.append({"label": SEQ_LABELS[best], "score": float(probs[best])})
    zero_shot = []
    for text in pr.ZS_TEXTS:
        entail = torch.stack([logits(classifier, text, f"This example is {label}.")[[2, 0]]
                              for label in pr.ZS_LABELS])
        scores = entail[:, 1].softmax(0)  # single label: entailment logits over the candidates
        order = scores.argsort(descending=True).tolist()
        zero_shot.append({"labels": [pr.ZS_LABELS[i] for i in order],
                          "scores": [float(scores[i]) for i in order]})
    result = {
        "texts": texts,
        "long": pr.LONG,
        "input_ids": [encode(t)[0] for t in pr.real(texts)],
        "classification": classification,
        "zero_shot_texts": pr.ZS_TEXTS,
        "zero_shot_labels": pr.ZS_LABELS,
        "zero_shot_input_ids": [encode(t, f"This example is {pr.ZS_LABELS[0]}.")[0] for t in pr.ZS_TEXTS],
        "zero_shot": zero_shot,
    }
    path = os.path.join(folder, "expected.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    gf.WRITTEN.append(path)
    print(f"[fnet pipelines] {classification[:2]} / {zero_shot[0]}")


def main():
    import transformers
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    ids, mask, tt = fa.batch_inputs()
    gen_base(ids, mask, tt)
    gen_heads(ids, mask, tt)
    gen_pipelines()
    print("\n== notes ==")
    for n in gf.NOTES:
        print(" -", n)
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"\n== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")


if __name__ == "__main__":
    main()
