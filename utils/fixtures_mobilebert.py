#!/usr/bin/env python3
"""Generate the MobileBERT parity fixtures (tests/fixtures/mobilebert/*); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_mobilebert.py
Deterministic (fixed seeds, single-threaded torch). Reuses generate_fixtures.py's helpers and
fixtures_albert.py's made-up-vocabulary inputs (vocabulary of 100 ids, [CLS]=2, [SEP]=3, pad 0;
a padded batch of real lengths 9 / 6 / 4 with token types; multiple choice [2, 3, 7]).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad, eager attention.

Configurations (every one chosen so that a mis-read field fails the 1e-4 tolerance)
-----------------------------------------------------------------------------------
Common: vocab 100, hidden_size 32, embedding_size 16, 2 layers, 4 heads, intermediate 37,
max_position_embeddings 64, type_vocab_size 2, hidden_act gelu_new (HF default relu),
layer_norm_eps 0.02 (HF default 1e-12; HF passes it to some LayerNorms only: the embeddings'
and each layer's `output.LayerNorm` keep PyTorch's 1e-5). Parameters randomised after
construction (generate_fixtures.randomise), NoNorm weights included.

  - base: the default layout: no_norm, trigram_input, use_bottleneck with
          intra_bottleneck_size 24 (not hidden_size), key_query_shared_bottleneck,
          num_feedforward_networks 3 (HF default 4), classifier_activation (pooler dense+tanh).
  - layer_norm: normalization_type layer_norm, trigram_input off (embedding_size 16 still
          projected to 32), use_bottleneck_attention (query/key/value all from the bottleneck),
          num_feedforward_networks 1, classifier_activation off (pooler = first token).
  - no_bottleneck: use_bottleneck off (attention and FFNs hidden_size wide), layer_norm,
          trigram off with embedding_size == hidden_size (no projection applied, though HF
          still has and saves embedding_transformation), num_feedforward_networks 2.
  - unshared: use_bottleneck with neither key_query_shared_bottleneck nor
          use_bottleneck_attention (query/key/value from the layer input; HF then needs
          intra_bottleneck_size == hidden_size = 32), no_norm, trigram.
Heads on the base configuration: masked_lm (decoder tied to the word embeddings: HF saves
cls.predictions.bias and dense.weight only), masked_lm_untied (tie_word_embeddings false:
decoder.weight/decoder.bias read, cls.predictions.bias saved but unread), sequence_classification
(3 labels), token_classification (5 labels), question_answering, multiple_choice.

Pipelines (HF 5.24 pipelines on tiny MobileBERTs of the base layout, 64 positions):
  - mobilebert/pipelines/{classifier (3 labels, config_nli.json), fill_mask}/ and expected.json
    (utils/pipeline_refs.py: text-classification, zero-shot-classification, fill-mask) on the
    WordPiece vocab of tests/fixtures/pipeline_classification (BERT's tokenizer, uncased).
  - pipeline_tokens/mobilebert_ner, mobilebert_pos: fixtures_pipeline_tokens.references (NER on
    bert_ner's uncased vocab, CoNLL labels; POS tags with rust-bert's punctuation rule), seeds
    picked by fixtures_pipeline_tokens.pick_model.
  - pipeline_qa/mobilebert: fixtures_pipeline_qa.gen_model (BERT's question-first algorithm on
    pipeline_qa/vocab.txt; settings 40 / 10 / 16 / 8).

expected.safetensors (runs with output_hidden_states=True, output_attentions=True):
  inputs `input_ids`, `attention_mask`, `token_type_ids`; outputs `hidden_states.<i>`
  (layers + 1), `attentions.<i>`, `last_hidden_state` / `pooler_output` / `logits` /
  `start_logits` + `end_logits`.
  base extras: `single.*` (row 0 alone, no mask / types), `batch_nomask.last_hidden_state`,
  `embeds.inputs_embeds` [3, 9, 16] (word embeddings, through the trigram input) ->
  `embeds.last_hidden_state`, `explicit.position_ids` -> `explicit.last_hidden_state`.
"""

import os
import sys

import torch
from safetensors import safe_open
from transformers import (
    MobileBertConfig,
    MobileBertForMaskedLM,
    MobileBertForMultipleChoice,
    MobileBertForQuestionAnswering,
    MobileBertForSequenceClassification,
    MobileBertForTokenClassification,
    MobileBertModel,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_albert as fa  # noqa: E402
import generate_fixtures as gf  # noqa: E402

COMMON = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
OUT = os.path.join(gf.FIX, "mobilebert")

VARIANTS = {
    "base": dict(),
    "layer_norm": dict(normalization_type="layer_norm", trigram_input=False,
                       use_bottleneck_attention=True, num_feedforward_networks=1,
                       classifier_activation=False),
    "no_bottleneck": dict(normalization_type="layer_norm", trigram_input=False, embedding_size=32,
                          use_bottleneck=False, num_feedforward_networks=2),
    "unshared": dict(key_query_shared_bottleneck=False, intra_bottleneck_size=32),
}


def tiny_config(**kw):
    cfg = dict(
        vocab_size=fa.VOCAB, embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=37, max_position_embeddings=64,
        type_vocab_size=2, hidden_act="gelu_new", layer_norm_eps=0.02, hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1, pad_token_id=0, initializer_range=0.02,
        trigram_input=True, use_bottleneck=True, intra_bottleneck_size=24,
        use_bottleneck_attention=False, key_query_shared_bottleneck=True,
        num_feedforward_networks=3, normalization_type="no_norm", classifier_activation=True,
    )
    cfg.update(kw)
    return MobileBertConfig(**cfg)


def saved(folder):
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        return list(f.keys())


def check_layers(name, cfg, res):
    n_hidden = sum(k.startswith("hidden_states.") for k in res)
    n_att = sum(k.startswith("attentions.") for k in res)
    assert n_hidden == cfg.num_hidden_layers + 1 and n_att == cfg.num_hidden_layers, (name, n_hidden, n_att)


def gen_base(ids, mask, tt):
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    for seed, (name, kw) in enumerate(VARIANTS.items()):
        cfg = tiny_config(**kw)
        model = gf.build(MobileBertModel, cfg, seed=900 + 10 * seed)
        folder = os.path.join(OUT, name)
        gf.save_model(model, folder)
        with torch.no_grad():
            out = model(**inputs, **COMMON)
            res = dict(inputs, **gf.collect(out))
            gf.check_padding(f"mobilebert/{name}", res, mask)
            check_layers(name, cfg, res)
            if name == "base":
                o = model(input_ids=ids[:1], return_dict=True)
                res["single.input_ids"] = ids[:1]
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
        gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
        gf.NOTES.append(f"mobilebert/{name}: {len(saved(folder))} tensors saved")


def gen_heads(ids, mask, tt):
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    heads = [
        ("masked_lm", MobileBertForMaskedLM, {}, 950),
        ("masked_lm_untied", MobileBertForMaskedLM, dict(tie_word_embeddings=False), 960),
        ("sequence_classification", MobileBertForSequenceClassification,
         dict(num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()}), 970),
        ("token_classification", MobileBertForTokenClassification,
         dict(num_labels=5, id2label=TOKEN_LABELS, label2id={v: k for k, v in TOKEN_LABELS.items()}), 980),
        ("question_answering", MobileBertForQuestionAnswering, {}, 990),
        ("multiple_choice", MobileBertForMultipleChoice, {}, 1000),
    ]
    for name, cls, kw, seed in heads:
        cfg = tiny_config(**kw)
        model = gf.build(cls, cfg, seed=seed)
        if name == "masked_lm":
            assert model.cls.predictions.decoder.weight is model.mobilebert.embeddings.word_embeddings.weight
        if name == "masked_lm_untied":
            assert model.cls.predictions.decoder.weight is not model.mobilebert.embeddings.word_embeddings.weight
            # The bias the forward pass adds is the decoder's: make it differ from the head's.
            with torch.no_grad():
                model.cls.predictions.bias.add_(1.0)
            assert (model.cls.predictions.bias - model.cls.predictions.decoder.bias).abs().max() > 0.5
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
        gf.check_padding(f"mobilebert/{name}", res, m)
        check_layers(name, cfg, res)
        gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)
        keys = saved(folder)
        if name.startswith("masked_lm"):
            lm = sorted(k for k in keys if k.startswith("cls."))
            gf.NOTES.append(f"mobilebert/{name}: cls keys saved: {lm}")
            assert ("cls.predictions.decoder.weight" in lm) == (name == "masked_lm_untied"), lm


FILL_MASK_TEXTS = [
    "the movie was [MASK] .",
    "i love this [MASK] , it was great !",
    "the food was cold and the [MASK] was slow .",
]


def gen_pipelines():
    import copy

    from transformers import BertTokenizer

    import fixtures_pipeline_qa as fpq
    import fixtures_pipeline_tokens as fpt
    import pipeline_refs as pr

    # classification, zero-shot, fill-mask
    tok = BertTokenizer.from_pretrained(os.path.join(gf.FIX, "pipeline_classification"), model_max_length=64)
    size = dict(vocab_size=len(tok), max_position_embeddings=64)
    folder = os.path.join(OUT, "pipelines")
    cfg = tiny_config(**size, num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()})
    classifier = gf.build(MobileBertForSequenceClassification, cfg, seed=1200)
    pr.center_logits(classifier, tok, pr.real(pr.TEXTS) + pr.ZS_TEXTS)
    gf.save_model(classifier, os.path.join(folder, "classifier"))
    nli = copy.deepcopy(classifier)
    nli.config = pr.labelled(classifier.config, {0: "entailment", 1: "neutral", 2: "contradiction"})
    fpc_write = os.path.join(folder, "classifier", "config_nli.json")
    nli.config.to_json_file(fpc_write)
    gf.WRITTEN.append(fpc_write)
    masked_lm = gf.build(MobileBertForMaskedLM, tiny_config(**size), seed=1210)
    gf.save_model(masked_lm, os.path.join(folder, "fill_mask"))
    pr.references(folder, classifier, nli, masked_lm, tok, FILL_MASK_TEXTS)

    # token classification (NER, POS)
    tok = BertTokenizer.from_pretrained(os.path.join(fpt.OUT, "bert_ner"))
    for name, labels, texts, seed in [("mobilebert_ner", fpt.NER_LABELS, fpt.TEXTS, 1300),
                                      ("mobilebert_pos", fpt.POS_LABELS, fpt.POS_TEXTS, 1350)]:
        target = os.path.join(fpt.OUT, name)
        os.makedirs(target, exist_ok=True)
        cfg = tiny_config(vocab_size=len(tok), max_position_embeddings=fpt.MAX_LEN, **fpt.labels_kw(labels))
        model = fpt.pick_model(MobileBertForTokenClassification, cfg, seed, tok, labels, texts=texts)
        fpt.save_model(model, target)
        fpt.references(name, model, tok, labels, texts, pos=name.endswith("pos"))

    # question answering
    vocab = os.path.join(fpq.OUT, "vocab.txt")
    fpq.SETTINGS["mobilebert"] = dict(max_seq_length=40, doc_stride=10, max_query_length=16, max_answer_length=8)
    torch.manual_seed(1400)
    cfg = tiny_config(vocab_size=len(gf.load_vocab(vocab)), max_position_embeddings=64)
    cfg._attn_implementation = "eager"
    model = MobileBertForQuestionAnswering(cfg)
    fpq.randomise(model, 1401)
    fpq.gen_model("mobilebert", model.eval(), BertTokenizer(vocab, do_lower_case=True), True)


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
