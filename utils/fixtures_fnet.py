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
tokenizer. Token classification (pipeline_tokens/fnet_ner), fill-mask (fnet/pipelines/fill_mask)
and question answering (pipeline_qa/fnet) go through HF's own pipelines with HF's tokenizer, its
model rebuilt as BPE (hf_tokenizer says why); gen_hf_pipelines.

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


def hf_tokenizer():
    """HF's ALBERT tokenizer on spm/fnet.model with google/fnet-base's options (case and accents
    kept), as HF converts FNet's tokenizer, with one repair: HF 5.24 turns this SentencePiece BPE
    model into a Unigram model over the same pieces (its converter reads the scores, not the
    model type), which segments many words differently from sentencepiece ("▁w as" for "▁was").
    The model is replaced by a BPE model over the same vocabulary whose merges are every split
    of every piece into two pieces, ranked by the piece's score: that is sentencepiece's BPE
    rule (merge the adjacent pair whose union scores highest), and every text used below is
    checked to give sentencepiece's own ids. Normaliser, pre-tokeniser, specials, offsets and
    the [CLS] A [SEP] B [SEP] template stay HF's. FNet's forward takes no attention mask: the
    tokenizer returns none, so HF's pipelines can call the model."""
    import json
    import shutil
    import tempfile

    import sentencepiece
    from tokenizers import Tokenizer
    from transformers import AlbertTokenizer

    scratch = tempfile.mkdtemp()
    shutil.copy(SPM, os.path.join(scratch, "spiece.model"))
    tok = AlbertTokenizer.from_pretrained(scratch, do_lower_case=False, keep_accents=True, model_max_length=64)
    tok.model_input_names = ["input_ids", "token_type_ids"]
    sp = sentencepiece.SentencePieceProcessor(model_file=SPM)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = []
    for i in sorted(range(len(pieces)), key=lambda i: (-sp.get_score(i), i)):
        if sp.is_control(i) or sp.is_unknown(i):
            continue
        p = pieces[i]
        merges += [[p[:k], p[k:]] for k in range(1, len(p)) if p[:k] in vocab and p[k:] in vocab]
    spec = json.loads(tok.backend_tokenizer.to_str())
    assert spec["model"]["type"] == "Unigram", spec["model"]["type"]
    spec["model"] = dict(type="BPE", dropout=None, unk_token=sp.id_to_piece(sp.unk_id()), continuing_subword_prefix=None,
                         end_of_word_suffix=None, fuse_unk=True, byte_fallback=False, ignore_merges=False,
                         vocab=vocab, merges=merges)
    tok._tokenizer = Tokenizer.from_str(json.dumps(spec))
    return tok


def agrees(tok, sp, text, pair=None):
    ours = [2] + sp.encode(text) + [3] + ((sp.encode(pair) + [3]) if pair is not None else [])
    return tok(text, pair)["input_ids"] == ours


FILL_MASK_TEXTS = [
    "The movie was [MASK].",
    "I love this [MASK], it was great!",
    "The food was cold and the [MASK] was slow.",
]


def gen_hf_pipelines():
    """Token classification, fill-mask and question answering through HF's own pipelines
    (token-classification, fill-mask) and fixtures_pipeline_qa's transcription of HF's span
    selection, on texts where HF's tokenizer gives sentencepiece's ids (see hf_tokenizer):
      - pipeline_tokens/fnet_ner: FNetForTokenClassification, CoNLL labels, fixtures_pipeline_tokens
        .references on its XLNET_TEXTS;
      - fnet/pipelines/fill_mask + "fill_mask_texts" / "fill_mask" in fnet/pipelines/expected.json;
      - pipeline_qa/fnet: FNetForQuestionAnswering, settings 64 / 16 / 40 / 12, XLNet's cases; each
        window runs alone and unpadded (FNet has no mask).
    Seeds 1500.. (nothing generated before depends on them)."""
    import json

    import sentencepiece
    from transformers import pipeline

    import fixtures_pipeline_qa as fpq
    import fixtures_pipeline_tokens as fpt

    sp = sentencepiece.SentencePieceProcessor(model_file=SPM)
    tok = hf_tokenizer()
    size = dict(vocab_size=sp.get_piece_size(), max_position_embeddings=64)

    # token classification
    # Without the whitespace-run text: sentencepiece (and HF) collapse the runs, the Rust
    # SentencePiece tokenizers do not (tests/tokenizers.rs pins the difference), as for XLNet.
    texts = fpt.XLNET_TEXTS
    assert all(agrees(tok, sp, t) for t in texts)
    labels = fpt.NER_LABELS
    cfg = tiny_config(**size, **fpt.labels_kw(labels))

    def mix(model):  # fixtures_pipeline_tokens.label_mix, each text alone (no padding, no mask)
        rows = []
        for t in texts:
            with torch.no_grad():
                rows.append([labels[k] for k in model(**tok(t, return_tensors="pt")).logits[0].argmax(-1).tolist()])
        merges = sum(b.startswith("I-") and a[2:] == b[2:] for row in rows for a, b in zip(row, row[1:]))
        outside = sum(row.count("O") for row in rows)
        return min(merges, 40) + min(outside, 40) + 5 * len({x for row in rows for x in row})

    seed = max(range(1500, 1540), key=lambda s: (mix(fpt.build(FNetForTokenClassification, cfg, s)), -s))
    model = fpt.build(FNetForTokenClassification, cfg, seed).eval()
    target = os.path.join(fpt.OUT, "fnet_ner")
    os.makedirs(target, exist_ok=True)
    fpt.save_model(model, target)
    fpt.references("fnet_ner", model, tok, labels, texts)
    gf.WRITTEN.append(os.path.join(target, "expected.json"))
    print(f"[fnet_ner] seed {seed}")

    # fill-mask, added to the classification references
    for text in FILL_MASK_TEXTS:
        print(f"  [fnet fill-mask] {text!r}: {tok.convert_ids_to_tokens(tok(text)['input_ids'])}")
    masked_lm = build(FNetForMaskedLM, tiny_config(**size), seed=1550)
    folder = os.path.join(OUT, "pipelines")
    gf.save_model(masked_lm, os.path.join(folder, "fill_mask"))
    fill = pipeline("fill-mask", model=masked_lm, tokenizer=tok, device="cpu")
    path = os.path.join(folder, "expected.json")
    with open(path, encoding="utf-8") as f:
        result = json.load(f)
    result["fill_mask_texts"] = FILL_MASK_TEXTS
    result["fill_mask"] = []
    for text in FILL_MASK_TEXTS:
        out = fill(text, top_k=3)
        assert isinstance(out[0], dict), "one mask per text"
        result["fill_mask"].append([{k: o[k] for k in ("token", "token_str", "score")} for o in out])
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"[fnet fill-mask] {result['fill_mask'][0][0]}")

    # question answering
    class NoMask(torch.nn.Module):
        """The QA transcription passes an attention mask, which FNet's forward does not take."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask=None, token_type_ids=None):
            return self.inner(input_ids=input_ids, token_type_ids=token_type_ids)

    tok.model_input_names = ["input_ids", "token_type_ids", "attention_mask"]  # the transcription reads the mask
    cases = fpq.XLNET_CASES  # the unicode context without whitespace runs, as for XLNet
    assert all(agrees(tok, sp, c[1], c[2]) for c in cases)
    settings = dict(max_seq_length=64, doc_stride=16, max_query_length=40, max_answer_length=12)
    fpq.SETTINGS["fnet"] = settings
    model = build(FNetForQuestionAnswering, tiny_config(**size), seed=1560)
    with torch.no_grad():
        model.qa_outputs.weight.normal_(0.0, 0.6, generator=torch.Generator().manual_seed(1561))
    folder = os.path.join(fpq.OUT, "fnet")
    gf.save_model(model, folder)
    out = []
    for case, question, context, top_k in cases:
        windows, answers, hf4, _ = fpq.reference(NoMask(model), tok, question, context, top_k, settings, True)
        out.append({"name": case, "question": question, "context": context, "top_k": top_k,
                    "windows": windows, "answers": answers, "hf4_answers": hf4})
        print(f"  [fnet qa] {case}: {len(windows)} window(s), best {answers[0]['answer']!r} {answers[0]['score']:.4f}")
    assert any(len(c["windows"]) > 2 for c in out)
    fpq.save_json(os.path.join(folder, "expected.json"), {"settings": settings, "cases": out})


def main():
    import transformers
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    ids, mask, tt = fa.batch_inputs()
    gen_base(ids, mask, tt)
    gen_heads(ids, mask, tt)
    gen_pipelines()
    gen_hf_pipelines()
    print("\n== notes ==")
    for n in gf.NOTES:
        print(" -", n)
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"\n== {len(gf.WRITTEN)} files, {total} B ({total / 1024:.1f} KiB) ==")


if __name__ == "__main__":
    main()
