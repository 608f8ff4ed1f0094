#!/usr/bin/env python3
"""Generate the RoBERTa and XLM-RoBERTa parity fixtures (tests/fixtures/roberta/*,
tests/fixtures/xlm_roberta/*); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_roberta.py
Deterministic (fixed seeds, single-threaded torch). Reuses the helpers of generate_fixtures.py
(randomise, build, save_model, save_tensors, collect, check_padding).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad, eager attention.

What each fixture follows
-------------------------
No tokenizer: inputs are token ids of a made-up vocabulary of VOCAB=100 ids with RoBERTa's special
ids <s>=0, <pad>=1, </s>=2 (pad_token_id=1, HF's RoBERTa default). Rows are `0 ... 2` right-padded
with 1, real lengths 9 / 6 / 4, so HF's padding-aware positions (create_position_ids_from_input_ids:
cumsum of non-pad tokens, + padding_idx; pads get position padding_idx) differ from 0..seq.

<family>/<name>/{config.json, model.safetensors, expected.safetensors}, family = roberta (HF
Roberta* classes) or xlm_roberta (HF XLMRoberta* classes, the same maths under another model_type).
Tiny config: vocab 100, hidden 32, 2 layers, 4 heads, intermediate 37, max_position_embeddings 24
(positions reach seq_len + 1), type_vocab_size 1, gelu, layer_norm_eps 1e-5, pad 1, bos 0, eos 2.
Every parameter is randomised after construction (generate_fixtures.randomise: normal(0, 0.2),
LayerNorm weights normal(1, 0.2)), so a missing bias or a swapped weight cannot pass.
  - base: RobertaModel (with pooler), type_vocab_size=2 (token types passed),
          layer_norm_eps=0.02 (an epsilon not read from config.json fails 1e-4), hidden_act=gelu_new.
  - masked_lm: RobertaForMaskedLM, layer_norm_eps=0.02 (also lm_head.layer_norm), hidden_act=gelu_new
          (lm_head applies exact gelu whatever hidden_act says: reading hidden_act there fails), tied decoder
          (lm_head.decoder.weight is the word-embedding matrix, lm_head.decoder.bias is lm_head.bias).
  - masked_lm_untied: RobertaForMaskedLM with tie_word_embeddings=False: HF 5.24 then ties nothing,
          lm_head.decoder has its own weight and bias, and lm_head.bias is a parameter the forward
          pass never reads (randomised to a different value, so reading it fails).
  - sequence_classification: RobertaForSequenceClassification, 3 labels (classifier.dense -> tanh ->
          classifier.out_proj on the first token; no pooler).
  - multiple_choice: RobertaForMultipleChoice (pooler -> classifier; input [2, 3, 7] padded with 1).
  - token_classification: RobertaForTokenClassification, 5 labels.
  - question_answering: RobertaForQuestionAnswering (qa_outputs, num_labels 2 -> start/end logits).
  xlm_roberta/: XLMRobertaForMaskedLM, XLMRobertaForSequenceClassification and
  XLMRobertaForTokenClassification (the heads rust-bert's XLM-R checkpoints use), other seeds,
  layer_norm_eps 1e-5. The XLM-R classes are RoBERTa's under another model_type; these fixtures check
  that the xlm_roberta aliases read XLM-R config.json files and checkpoints (the masked_lm checkpoint
  also serves the bare XLMRobertaModel: its hidden_states.2 is the last hidden state).

expected.safetensors (all runs with output_hidden_states=True, output_attentions=True):
  inputs   `input_ids`, `attention_mask` int64 [3, 9] ([2, 3, 7] for multiple_choice); base also
           `token_type_ids`.
  outputs  `hidden_states.<i>` (0 = embeddings), `attentions.<i>`, and `last_hidden_state` +
           `pooler_output` (base) / `logits` / `start_logits` + `end_logits`.
  base extras:
    `position_ids` [3, 9]: the positions HF computes from input_ids (for the record).
    `single.input_ids` [1, 9] (row 0, unpadded), no mask / token types -> `single.last_hidden_state`.
    `batch_nomask.last_hidden_state`: the padded batch with token types but NO attention_mask (pads
        attended to; their positions stay padding_idx).
    `embeds.inputs_embeds` [3, 9, 32] = word_embeddings(input_ids), run with attention_mask and token
        types but no ids: positions are padding_idx+1 .. seq+padding_idx for every row
        (create_position_ids_from_inputs_embeds), so rows 1 and 2 differ from the ids run ->
        `embeds.last_hidden_state`, `embeds.pooler_output`.
    `leftpad.input_ids`, `leftpad.attention_mask` [1, 9]: batch row 2 LEFT-padded (5 pads, then
        its 4 tokens), whose real tokens keep positions 2..5 -> `leftpad.last_hidden_state`.
    `explicit.position_ids` [3, 9] (arange(2, 11) in each row) passed explicitly ->
        `explicit.last_hidden_state`.
  Values at padded query positions are deterministic but meaningless: tests compare hidden states
  where attention_mask == 1 when positions differ; attention probabilities to pads are exactly 0.
"""

import os
import sys

import torch
from transformers import (
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaForMultipleChoice,
    RobertaForQuestionAnswering,
    RobertaForSequenceClassification,
    RobertaForTokenClassification,
    RobertaModel,
    XLMRobertaConfig,
    XLMRobertaForMaskedLM,
    XLMRobertaForSequenceClassification,
    XLMRobertaForTokenClassification,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402

VOCAB = 100
BOS, PAD, EOS = 0, 1, 2
COMMON = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}

FAMILIES = {
    "roberta": dict(
        config=RobertaConfig, base=RobertaModel, masked_lm=RobertaForMaskedLM,
        sequence_classification=RobertaForSequenceClassification,
        multiple_choice=RobertaForMultipleChoice,
        token_classification=RobertaForTokenClassification,
        question_answering=RobertaForQuestionAnswering, seed=100,
    ),
    "xlm_roberta": dict(
        config=XLMRobertaConfig, masked_lm=XLMRobertaForMaskedLM,
        sequence_classification=XLMRobertaForSequenceClassification,
        token_classification=XLMRobertaForTokenClassification, seed=200,
    ),
}


def tiny_config(cls, **kw):
    cfg = dict(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=24, type_vocab_size=1, hidden_act="gelu",
        layer_norm_eps=1e-5, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS, initializer_range=0.02,
    )
    cfg.update(kw)
    return cls(**cfg)


def padded(rows, length):
    ids = torch.full((len(rows), length), PAD, dtype=torch.int64)
    mask = torch.zeros(len(rows), length, dtype=torch.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def sentence(*body):
    assert all(3 <= t < VOCAB for t in body), body
    return [BOS, *body, EOS]


def batch_inputs():
    rows = [sentence(17, 45, 8, 91, 33, 60, 5), sentence(72, 14, 99, 40), sentence(23, 66)]
    assert [len(r) for r in rows] == [9, 6, 4]
    ids, mask = padded(rows, 9)
    token_types = torch.zeros_like(ids)
    token_types[0, 5:] = 1
    token_types[1, 3:6] = 1
    return ids, mask, token_types


def mc_inputs():
    # [2 questions, 3 choices, 7]: real lengths [7, 5, 6] and [4, 7, 6]
    questions = [
        [sentence(11, 12, 13, 14, 15), sentence(11, 20, 21), sentence(11, 30, 31, 32)],
        [sentence(50, 51), sentence(50, 52, 53, 54, 55), sentence(50, 56, 57, 58)],
    ]
    ids, masks = zip(*(padded(q, 7) for q in questions))
    return torch.stack(ids), torch.stack(masks)


def roberta_positions(ids):
    # HF's create_position_ids_from_input_ids, for the record and for a sanity check.
    mask = ids.ne(PAD).int()
    return (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + PAD


def gen_base(family, spec, ids, mask, token_types):
    cfg = tiny_config(spec["config"], type_vocab_size=2, layer_norm_eps=0.02, hidden_act="gelu_new")
    model = gf.build(spec["base"], cfg, seed=spec["seed"])
    folder = os.path.join(gf.FIX, family, "base")
    keys = gf.save_model(model, folder)
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": token_types}
    with torch.no_grad():
        out = model(**inputs, **COMMON)
        res = dict(inputs, **gf.collect(out))
        gf.check_padding(f"{family}/base", res, mask)
        res["position_ids"] = roberta_positions(ids)
        explicit = model(**inputs, position_ids=res["position_ids"], return_dict=True)
        assert torch.equal(explicit.last_hidden_state, out.last_hidden_state)

        single = ids[:1, : int(mask[0].sum())]
        res["single.input_ids"] = single
        res["single.last_hidden_state"] = model(input_ids=single).last_hidden_state

        res["batch_nomask.last_hidden_state"] = model(
            input_ids=ids, token_type_ids=token_types).last_hidden_state

        embeds = model.embeddings.word_embeddings(ids)
        o = model(inputs_embeds=embeds, attention_mask=mask, token_type_ids=token_types)
        res["embeds.inputs_embeds"] = embeds
        res["embeds.last_hidden_state"] = o.last_hidden_state
        res["embeds.pooler_output"] = o.pooler_output
        # Row 0 has no padding, so its positions agree; row 2 must differ (positions 2..10 vs pads).
        assert (o.last_hidden_state[0] - out.last_hidden_state[0]).abs().max() < 1e-5
        assert (o.last_hidden_state[2, :4] - out.last_hidden_state[2, :4]).abs().max() < 1e-5
        assert (o.last_hidden_state[2, 4:] - out.last_hidden_state[2, 4:]).abs().max() > 1e-2

        # Row 2 left-padded: its real tokens keep positions 2..5 (the cumsum skips the pads).
        left = torch.full((1, 9), PAD, dtype=torch.int64)
        left[0, 5:] = ids[2, :4]
        left_mask = left.ne(PAD).long()
        o = model(input_ids=left, attention_mask=left_mask)
        res["leftpad.input_ids"] = left
        res["leftpad.attention_mask"] = left_mask
        res["leftpad.last_hidden_state"] = o.last_hidden_state
        assert roberta_positions(left)[0].tolist() == [1, 1, 1, 1, 1, 2, 3, 4, 5]
        assert (o.last_hidden_state[0, 5:] - out.last_hidden_state[2, :4]).abs().max() < 1e-5

        positions = torch.arange(PAD + 1, PAD + 10).expand(3, -1).contiguous()
        res["explicit.position_ids"] = positions
        res["explicit.last_hidden_state"] = model(
            **inputs, position_ids=positions).last_hidden_state
        gf.NOTES.append(f"{family}/base: {len(keys)} tensors saved; non-layer keys "
                        f"{[k for k in keys if '.layer.' not in k]}")
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)


def gen_heads(family, spec, ids, mask):
    heads = [
        ("masked_lm", "masked_lm",
         dict(layer_norm_eps=0.02, hidden_act="gelu_new") if family == "roberta" else {}),
        ("masked_lm_untied", "masked_lm", dict(tie_word_embeddings=False)),
        ("sequence_classification", "sequence_classification",
         dict(id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()})),
        ("multiple_choice", "multiple_choice", {}),
        ("token_classification", "token_classification",
         dict(id2label=TOKEN_LABELS, label2id={v: k for k, v in TOKEN_LABELS.items()})),
        ("question_answering", "question_answering", {}),
    ]
    if family != "roberta":
        heads = [head for head in heads if head[0] != "masked_lm_untied"]
    heads = [(name, spec[cls], kw) for name, cls, kw in heads if cls in spec]
    for offset, (name, cls, kw) in enumerate(heads):
        cfg = tiny_config(spec["config"], **kw)
        model = gf.build(cls, cfg, seed=spec["seed"] + 10 * (offset + 1))
        if name.startswith("masked_lm"):
            head = model.lm_head
            tied = head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
            assert tied == (name == "masked_lm"), name
            assert (head.decoder.bias is head.bias) == tied, name
            if not tied:
                assert (head.decoder.bias - head.bias).abs().max() > 1e-2
        folder = os.path.join(gf.FIX, family, name)
        keys = gf.save_model(model, folder)
        if name.startswith("masked_lm"):
            gf.NOTES.append(f"{family}/{name}: lm_head keys saved "
                            f"{sorted(k for k in keys if k.startswith('lm_head'))}")
        if name == "multiple_choice":
            inp_ids, inp_mask = mc_inputs()
        else:
            inp_ids, inp_mask = ids, mask
        inputs = {"input_ids": inp_ids, "attention_mask": inp_mask}
        with torch.no_grad():
            out = model(**inputs, **COMMON)
        res = dict(inputs, **gf.collect(out))
        gf.check_padding(f"{family}/{name}", res, inp_mask)
        gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)


def main():
    ids, mask, token_types = batch_inputs()
    assert roberta_positions(ids)[2].tolist() == [2, 3, 4, 5, 1, 1, 1, 1, 1]
    for family, spec in FAMILIES.items():
        if "base" in spec:
            gen_base(family, spec, ids, mask, token_types)
        gen_heads(family, spec, ids, mask)
    print("== notes ==")
    for note in gf.NOTES:
        print(" -", note)
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"{len(gf.WRITTEN)} files, {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
