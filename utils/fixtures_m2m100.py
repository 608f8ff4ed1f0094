#!/usr/bin/env python3
"""HF-reference fixtures for M2M100 (M2M100ForConditionalGeneration + M2M100Tokenizer) under
tests/fixtures/m2m100/.

Run from the repository root:  .venv/bin/python utils/fixtures_m2m100.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention, torch
single-threaded. Deterministic. Every expected value comes from HF.

vocab.json
    M2M100's layout: <s> 0, <pad> 1, </s> 2, <unk> 3, then every normal piece of the tokenizer
    fixtures' BPE SentencePiece model (tests/fixtures/tokenizers/spm/fnet.model, which the tests
    read there as M2M100's sentencepiece.bpe.model) in piece order. HF's M2M100Tokenizer adds
    the 100 language tokens __af__ .. __zu__ after it (rust_tokenizers: >>af.<< .. >>zu.<<, the
    same ids) and 8 made-up words.

config.json, model.safetensors
    M2M100ForConditionalGeneration(M2M100Config(vocab_size = len(tokenizer), d_model 32, 2 + 2
    layers, 4 heads, ffn 64, max_position_embeddings 64, relu, scale_embedding True, pad 1,
    bos 0, eos 2, decoder_start 2, dropouts 0)): sinusoidal positions from the token ids (offset
    by the pad id), pre-norm layers, final layer norms, no embedding layer norm, no
    final_logits_bias. Parameters normal(0, 0.2) (layer-norm weights normal(1, 0.2)); the
    language tokens and made-up words are biased down through their embedding rows... (see
    shape_output: the head has no bias, so the EOS / language rows of `shared` are scaled).

expected.safetensors, cases.json, text.json, tokenizer_corpus.json
    As utils/fixtures_mbart.py, with src_lang "en" (source rows [__en__, pieces.., </s>]) and
    target codes fr / es / hi (forced BOS). text.json also holds a text longer than the 64
    positions (truncated to 64 by the tokenizer call).
"""
import json
import os
import shutil
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402
from fixtures_generation import BeamRecorder, greedy_gap  # noqa: E402
import sentencepiece  # noqa: E402
from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer  # noqa: E402

OUT = os.path.join(gf.FIX, "m2m100")
SPM = os.path.join(gf.FIX, "tokenizers", "spm", "fnet.model")
CORPUS = os.path.join(gf.FIX, "tokenizers", "corpus.txt")
PAD, BOS, EOS = 1, 0, 2
MODEL_SEED = int(os.environ.get("M2M_SEED", 35))
EOS_SCALE = float(os.environ.get("M2M_EOS_SCALE", 3.0))

FORWARD_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Each sentence is converted to a vector.",
    "This is an example sentence.",
]
FORWARD_LENGTHS = [9, 6, 4]
CASE_TEXTS = [
    "A man is eating food. A man is riding a horse.",
    "Don't stop believing; hold on to that feeling.",
    "She said hello.",
]
# rust_tokenizers' M2M100 tokenizer and sentencepiece agree on English text with this model
# (tests/m2m100.rs pins the corpus lines where they differ: unknown-character runs, format
# characters); the translation pipeline is compared on texts both tokenize alike. The last one is longer
# than the 64 positions (truncated).
TEXTS = [
    "H₂O is water.",
    "OK",
    "",
    "a.b,c;d:e!f?g " * 12,
]
TRANSLATION_TARGETS = ["fr", "es", "hi"]


def write_vocab(folder):
    sp = sentencepiece.SentencePieceProcessor(model_file=SPM)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i) or sp.is_control(i) or sp.is_unused(i):
            continue
        vocab.setdefault(sp.id_to_piece(i), len(vocab))
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, indent=0)
        f.write("\n")
    return vocab


def tokenizer(folder):
    """With the language tokens as additional special tokens, as the hub checkpoints'
    tokenizer_config.json lists them (built bare, HF 5.24's M2M100Tokenizer does not register
    them, and decode(skip_special_tokens=True) would keep them)."""
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    shutil.copyfile(SPM, os.path.join(folder, "sentencepiece.bpe.model"))
    codes = [f"__{c}__" for c in FAIRSEQ_LANGUAGE_CODES["m2m100"]]
    tok = M2M100Tokenizer(os.path.join(folder, "vocab.json"), os.path.join(folder, "sentencepiece.bpe.model"),
                          src_lang="en", additional_special_tokens=codes)
    assert "__fr__" in tok.all_special_tokens
    return tok


def tiny_config(vocab_size):
    return M2M100Config(
        vocab_size=vocab_size, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=64, activation_function="relu", scale_embedding=True,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
        pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS, decoder_start_token_id=EOS,
        forced_eos_token_id=EOS,
    )


def build(config, seed):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = M2M100ForConditionalGeneration(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ("layer_norm" in name or "layernorm" in name) and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)
    return model.eval()


def shape_output(model, tok):
    """M2M100's head has no bias (and its embeddings are tied), so the output is not shaped;
    EOS's row is scaled by EOS_SCALE and the seed (MODEL_SEED) chosen for a mix of early and late EOS. The rows of the language
    tokens and made-up words in `shared` are shrunk (x 0.1) so that they are rarely generated
    unless forced."""
    shared = model.model.shared.weight
    with torch.no_grad():
        shared[tok.encoder_size:] *= 0.1
        shared[EOS] *= EOS_SCALE
    return 0.0


def right_pad(rows, width=None):
    width = width or max(len(r) for r in rows)
    return ([list(r) + [PAD] * (width - len(r)) for r in rows],
            [[1] * len(r) + [0] * (width - len(r)) for r in rows])


def gen_forward(model, tok):
    rows = []
    for text, n in zip(FORWARD_TEXTS, FORWARD_LENGTHS):
        ids = tok(text)["input_ids"]
        rows.append(ids[:n - 1] + [EOS])
    en = tok.lang_code_to_id["en"]
    fr = tok.lang_code_to_id["fr"]
    assert all(r[0] == en for r in rows)
    ids, mask = right_pad(rows, 9)
    ids, mask = torch.tensor(ids), torch.tensor(mask)
    dec = torch.tensor([[EOS, fr] + tok(t, add_special_tokens=False)["input_ids"][:3] for t in CASE_TEXTS])
    res = {"input_ids": ids, "attention_mask": mask, "decoder_input_ids": dec}
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec, output_hidden_states=True,
                    output_attentions=True, use_cache=False)
    res["logits"] = out.logits
    res["encoder_last_hidden_state"] = out.encoder_last_hidden_state
    for name in ("encoder_hidden_states", "decoder_hidden_states", "encoder_attentions",
                 "decoder_attentions", "cross_attentions"):
        for i, t in enumerate(getattr(out, name)):
            res[f"{name}.{i}"] = t
    assert len(out.encoder_hidden_states) == 3 and len(out.cross_attentions) == 2
    with torch.no_grad():
        cache = None
        for k, (a, b) in enumerate([(0, 2), (2, 3), (3, 4), (4, 5)]):
            step = dec[:, a:b]
            o = model(input_ids=ids, attention_mask=mask, decoder_input_ids=step, cache=cache, use_cache=True)
            cache = o.cache
            res[f"step.{k}.decoder_input_ids"] = step
            res[f"step.{k}.logits"] = o.logits
            assert (o.logits - out.logits[:, a:b]).abs().max().item() < 1e-5
    gf.save_tensors(os.path.join(OUT, "expected.safetensors"), res)


def base_options(**kw):
    opts = dict(pad_token_id=PAD, eos_token_id=EOS, decoder_start_token_id=EOS, forced_bos_token_id=None,
                forced_eos_token_id=None, do_sample=False, use_cache=True, num_beams=1, length_penalty=1.0,
                early_stopping=False, no_repeat_ngram_size=0, repetition_penalty=1.0, min_length=0,
                num_return_sequences=1)
    opts.update(kw)
    opts.update(output_scores=True, return_dict_in_generate=True)
    return opts


def run_case(model, name, rows, options):
    ids, mask = right_pad(rows)
    beam = options["num_beams"] > 1
    with torch.no_grad(), BeamRecorder(model) as rec:
        out = model.generate(torch.tensor(ids), attention_mask=torch.tensor(mask), **options)
    seqs = out.sequences
    new = seqs[:, 1:]
    if beam:
        token_scores = model.compute_transition_scores(seqs, out.scores, out.beam_indices, normalize_logits=False)
        gen_lens = (out.beam_indices >= 0).sum(-1).tolist()
        seq_scores = [float(x) for x in out.sequences_scores]
        gap, _ = rec.min_gap()
    else:
        token_scores = model.compute_transition_scores(seqs, out.scores, normalize_logits=True)
        gen_lens = []
        for r in range(new.shape[0]):
            hit = (new[r] == EOS).nonzero()
            gen_lens.append(int(hit[0, 0]) + 1 if hit.numel() else new.shape[1])
            token_scores[r, gen_lens[-1]:] = 0.0
        seq_scores = None
        gap = greedy_gap(out.scores, seqs, 1, EOS)
    assert torch.isfinite(token_scores).all(), name
    return {
        "name": name, "input_ids": ids, "attention_mask": mask, "options": dict(options),
        "sequences": seqs.tolist(), "sequences_scores": seq_scores,
        "token_scores": [[float(x) for x in row] for row in token_scores],
        "generated_lengths": gen_lens,
    }, gap


def gen_cases(model, tok):
    rows = [tok(t)["input_ids"] for t in CASE_TEXTS]
    fr, es = tok.lang_code_to_id["fr"], tok.lang_code_to_id["es"]
    cases = []
    for name, options, case_rows in [
        ("greedy_max_new_tokens_10", base_options(max_new_tokens=10), rows),
        ("greedy_forced_bos_fr", base_options(forced_bos_token_id=fr, max_new_tokens=10), rows),
        ("greedy_forced_bos_es_no_repeat_2",
         base_options(forced_bos_token_id=es, no_repeat_ngram_size=2, max_new_tokens=12), rows),
        ("beam3_forced_bos_fr", base_options(num_beams=3, forced_bos_token_id=fr, max_new_tokens=10), rows),
        ("beam4_early_stopping_true_return2",
         base_options(num_beams=4, early_stopping=True, num_return_sequences=2, forced_bos_token_id=fr,
                      max_new_tokens=10), rows),
        ("beam3_no_repeat_2_length_penalty_2.0",
         base_options(num_beams=3, no_repeat_ngram_size=2, length_penalty=2.0, max_new_tokens=12), rows),
        ("beam3_forced_bos_forced_eos_max_length_8",
         base_options(num_beams=3, forced_bos_token_id=fr, forced_eos_token_id=EOS, max_length=8), rows),
        ("greedy_single_unpadded", base_options(forced_bos_token_id=fr, max_new_tokens=10), rows[1:2]),
    ]:
        case, gap = run_case(model, name, case_rows, options)
        print(f"  [case] {name:45s} lengths {case['generated_lengths']} min gap {gap:.2e}")
        assert gap > 1e-4, (name, gap)
        if options["forced_bos_token_id"] is not None:
            assert all(s[1] == options["forced_bos_token_id"] for s in case["sequences"])
        cases.append(case)
    gf.save_json(os.path.join(OUT, "cases.json"), cases)


def gen_text(model, tok):
    enc = tok(TEXTS, padding=True, truncation=True, max_length=64)
    result = {"texts": TEXTS, "source": "en", "input_ids": enc["input_ids"],
              "attention_mask": enc["attention_mask"], "translations": {}}
    options = dict(num_beams=3, early_stopping=True, max_length=16, min_length=0, pad_token_id=PAD,
                   eos_token_id=EOS, decoder_start_token_id=EOS, forced_eos_token_id=None,
                   no_repeat_ngram_size=0, length_penalty=1.0, repetition_penalty=1.0, do_sample=False)
    # M2M100's config.json has no forced_eos_token_id (HF 5 keeps it in generation_config.json,
    # which M2M100 checkpoints do not set): no forced EOS, as the pipeline does.
    result["options"] = options
    for target in TRANSLATION_TARGETS:
        forced = tok.lang_code_to_id[target]
        with torch.no_grad():
            seqs = model.generate(torch.tensor(enc["input_ids"]), attention_mask=torch.tensor(enc["attention_mask"]),
                                  forced_bos_token_id=forced, **options)
        result["translations"][target] = {
            "forced_bos_token_id": forced, "sequences": seqs.tolist(),
            "texts": [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()],
        }
        print(f"  [text] {target}: {result['translations'][target]['texts']}")
    gf.save_json(os.path.join(OUT, "text.json"), result)


def gen_corpus(tok):
    lines = open(CORPUS, encoding="utf-8").read().split("\n")
    cases = []
    for text in lines:
        ids = tok(text)["input_ids"]
        cases.append({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=True)})
    gf.save_json(os.path.join(OUT, "tokenizer_corpus.json"), {"src_lang": "en", "cases": cases})


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        write_vocab(scratch)
        tok = tokenizer(scratch)
    model = build(tiny_config(tok.encoder_size + 100 + tok.num_madeup_words), MODEL_SEED)
    shape_output(model, tok)
    gf.save_model(model, OUT)
    write_vocab(OUT)
    gf.WRITTEN.append(os.path.join(OUT, "vocab.json"))
    print(f"[m2m100] seed {MODEL_SEED}: vocab {tok.encoder_size}, tokenizer {len(tok)}, "
          f"__en__ {tok.lang_code_to_id['en']}")
    gen_forward(model, tok)
    gen_cases(model, tok)
    gen_text(model, tok)
    gen_corpus(tok)
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        total += os.path.getsize(p)
        print(f"{os.path.getsize(p):9d} {os.path.relpath(p, gf.ROOT)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
