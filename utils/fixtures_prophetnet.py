#!/usr/bin/env python3
"""HF-reference fixtures for ProphetNet (tests/fixtures/prophetnet/).

Run from the repository root:  .venv/bin/python utils/fixtures_prophetnet.py
Reference: transformers 5.24 / torch 2.13 / tokenizers 0.23, CPU, float32, eval, no_grad, torch
single-threaded (generate_fixtures sets it). Deterministic: two runs write identical files. Every
expected value comes from HF (model forward, model.generate, ProphetNetTokenizer).

prophetnet/prophetnet.tokenizer
    A WordPiece vocabulary (one token a line, the file name HF and rust-bert use): the specials
    [PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3 [MASK]=4 [X_SEP]=5, then the pieces ProphetNetTokenizer
    makes of the fixture texts (fixtures_bart.CORPUS and the texts below) with bert-base-uncased's
    vocabulary (see train_vocab). Checked: HF's ProphetNetTokenizer on it tokenizes every line
    without [UNK] and appends [SEP].

prophetnet/{config.json, model.safetensors}
    ProphetNetForConditionalGeneration(ProphetNetConfig(vocab_size V, hidden 32, 2 + 2 layers,
    4 + 4 heads, ffn 64, max_position_embeddings 64, ngram 3, num_buckets 8,
    relative_max_distance 20 (max_exact 2: distances past 2 use the logarithmic buckets), gelu,
    dropouts 0, pad 0, bos 1, eos 2, decoder_start_token_id 0)). Every parameter randomised:
    normal(0, 0.2), LayerNorm weights normal(1, 0.2). The word embeddings are shared by encoder,
    decoder and lm_head (HF ties them; save_pretrained stores prophetnet.word_embeddings.weight
    only). Tokens the corpus never produces get their embedding row scaled down (so that lm_head
    rarely picks them) and the [SEP] row (EOS) is moved towards the mean decoder state so that EOS
    appears in generations.

prophetnet/expected.safetensors (one forward with output_hidden_states / output_attentions)
    `input_ids`, `attention_mask` [3, 9]: ProphetNetTokenizer(FORWARD_TEXTS[i], truncation=True,
        max_length=n), n = 9, 6, 4, right-padded with [PAD] 0.
    `decoder_input_ids` [3, 6] (decoder start 0 then five tokens), `decoder_attention_mask`
        [3, 6]: rows 1 and 2 right-padded (real lengths 6, 4, 5).
    `logits` [3, 6, V] (first predict stream: HF's next-token logits), `logits_ngram`
        [3, 2, 6, V] (streams 2 and 3), `encoder_last_hidden_state`,
        `encoder_hidden_states.i` (i = 0..2), `encoder_attentions.i`,
        `decoder_hidden_states.i` (main stream) and `decoder_ngram_hidden_states.i` [3, 3 * 6, 32]
        (the predict streams side by side), `decoder_attentions.i` (main stream),
        `decoder_ngram_attentions.i` [3, 3, 4, 6, 12] (predict streams), `cross_attentions.i`.
    Incremental decoding (no decoder mask, as generate): `nomask.logits`, `nomask.logits_ngram`
        (full forward of decoder_input_ids without mask); `step.k.decoder_input_ids`: the first
        2 tokens (k = 0), then one token each (k = 1..3) fed with the cache -> `step.k.logits`,
        `step.k.logits_ngram`. HF's cached steps differ from its full forward (printed, about
        0.4 here): HF's `get_predict_relative_pos_embeddings` gathers the per-position bucket
        biases in a [batch, ngram, heads, L] order while the projected table is laid out
        [batch, L, ngram, heads], so with L > 1 the predict streams read other positions'
        biases; with one new token (every cached step, every step of generate) the two orders
        agree. Step 0 (two tokens, no cache) is itself a full forward of
        length 2, so it differs from the first two positions of the length-6 forward too.

prophetnet/causal/{config.json, model.safetensors, expected.safetensors}
    ProphetNetForCausalLM (same sizes, add_cross_attention False, seed CAUSAL_SEED):
    `input_ids`, `attention_mask` [2, 7] (right-padded row 1) -> `logits`, `logits_ngram`,
    `hidden_states.i`, `hidden_states_ngram.i`.

prophetnet/cases.json
    generate cases in the format of tests/fixtures/bart/cases.json (see fixtures_bart.py; options
    always hold pad 0, eos 2, decoder_start 0, so that generation_config cannot leak in).

prophetnet/text.json
    Summarization reference: ProphetNetTokenizer(SUMMARY_TEXTS, truncation=True, max_length=64,
    padding=True) -> generate(SUMMARY_OPTIONS) -> decode(skip_special_tokens=True) (the first text
    is longer than 64 tokens and truncated to 63 + [SEP]).

prophetnet/tokenizer_corpus.json
    ProphetNetTokenizer (do_lower_case True) on the bert-base-uncased vocabulary of
    all-MiniLM-L6-v2 with "[unused0]" renamed "[X_SEP]" (tests/prophetnet.rs builds the same
    file in a temporary folder), on every line of tests/fixtures/tokenizers/corpus.txt:
    {"cases": [{"text", "ids", "tokens", "decoded"}]} (`decoded`: decode(ids,
    skip_special_tokens=True), `decoded_with_specials`: decode(ids)), then EXTRA_TOKENIZER_TEXTS
    (ProphetNet's special tokens, [X_SEP] among them, written in text). Plus the same on this
    model's tiny vocabulary: "tiny_cases".

HF 5.24 behaviour pinned here (transformers/models/prophetnet/modeling_prophetnet.py):
  * positions are padding_idx + 1.. whatever the attention mask (encoder and decoder), clamped to
    max_position_embeddings - 1; the predict streams read positions + 1;
  * the logits returned as `logits` are the first predict stream's (the main stream only feeds
    the attention of the predict streams);
  * full-sequence predict-stream buckets are read from HF's buffered table at an offset of one
    (relative position j - i + 1 for the predict-stream keys), incremental ones at j - i: only the
    diagonal is attended, where both give bucket 0;
  * with a cache, the decoder attention mask is ignored (generate passes none).
"""
import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402
from fixtures_bart import CORPUS  # noqa: E402
from fixtures_generation import BeamRecorder, greedy_gap  # noqa: E402
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers  # noqa: E402
from transformers import (  # noqa: E402
    ProphetNetConfig,
    ProphetNetForCausalLM,
    ProphetNetForConditionalGeneration,
    ProphetNetTokenizer,
)

OUT = os.path.join(gf.FIX, "prophetnet")
CAUSAL_OUT = os.path.join(OUT, "causal")
SPECIALS = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]", "[X_SEP]"]
PAD, BOS, EOS, UNK = 0, 1, 2, 3
MODEL_SEED = int(os.environ.get("PROPHETNET_SEED", 36))
CAUSAL_SEED = 57
EOS_TARGET_RATE = float(os.environ.get("PROPHETNET_EOS_RATE", 0.2))

FORWARD_TEXTS = [
    "The city council voted on Monday to build a new bridge.",
    "Heavy rain caused flooding in several towns.",
    "The mayor said the bridge would open.",
]
FORWARD_LENGTHS = [9, 6, 4]
DECODER_TEXTS = ["The bridge will open next year", "Rain fell in the north", "The new plan will help"]
DECODER_LENGTHS = [6, 4, 5]

CASE_TEXTS = [
    "The government announced a plan to cut taxes for small businesses and workers.",
    "Scientists said the results show the value of exercise.",
    "The team won the final.",
]
CASE_LENGTHS = [12, 8, 5]

SUMMARY_TEXTS = [
    "The city council voted on Monday to build a new bridge over the river. The mayor said the "
    "bridge would open next year and cost about ten million dollars. Officials said the old bridge "
    "was no longer safe for heavy trucks, and that work would start in the spring. Workers will "
    "close the old bridge during the summer, and the city will add new bus routes for people "
    "who cross the river every day.",
    "The central bank kept interest rates unchanged on Wednesday. Prices rose by two percent in "
    "the past year.",
]
# ProphetNet's own special tokens in text (the summaries' sentence separator [X_SEP] among them).
EXTRA_TOKENIZER_TEXTS = [
    "the city voted [X_SEP] the bridge will open",
    "The Mayor [SEP] said [MASK] it [PAD] would [UNK] open.",
    "[X_SEP][X_SEP] Café déjà vu [X_SEP]",
]
SUMMARY_OPTIONS = dict(num_beams=3, min_length=8, max_length=24, no_repeat_ngram_size=3,
                       length_penalty=1.2, early_stopping=True)


# --------------------------------------------------------------------------------------------
# 1. tokenizer
# --------------------------------------------------------------------------------------------
def big_vocab():
    """bert-base-uncased's vocabulary (all-MiniLM-L6-v2's vocab.txt) with "[unused0]" renamed
    "[X_SEP]": the layout of ProphetNet's own uncased vocabulary, at full size."""
    with open(os.path.join(gf.MINILM, "vocab.txt"), encoding="utf-8") as f:
        vocab = f.read().split("\n")
    if vocab[-1] == "":
        vocab = vocab[:-1]
    assert vocab[1] == "[unused0]", vocab[:3]
    vocab[1] = "[X_SEP]"
    return vocab


def train_vocab():
    """The specials, then every token ProphetNetTokenizer produces on the fixture texts with the
    full vocabulary, in its id order. Greedy longest-match WordPiece on this subset picks the
    same pieces as on the full vocabulary (every piece it chose there is here, and nothing longer
    is), so the tiny tokenizer is the real one restricted to these texts."""
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "prophetnet.tokenizer")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in big_vocab()))
        big = ProphetNetTokenizer(path)
        lines = CORPUS.splitlines() + SUMMARY_TEXTS + CASE_TEXTS + FORWARD_TEXTS + DECODER_TEXTS
        used = sorted({i for line in lines for i in big(line)["input_ids"]})
        tokens = big.convert_ids_to_tokens(used)
    return SPECIALS + [t for t in tokens if t not in SPECIALS]


def write_vocab(folder, tokens):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "prophetnet.tokenizer")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))
    tok = ProphetNetTokenizer(path)
    assert tok.pad_token_id == PAD and tok.sep_token_id == EOS and tok.unk_token_id == UNK
    for line in CORPUS.splitlines() + SUMMARY_TEXTS + CASE_TEXTS:
        ids = tok(line)["input_ids"]
        assert ids[-1] == EOS and UNK not in ids, (line, ids)
    return tok, path


# --------------------------------------------------------------------------------------------
# 2. models
# --------------------------------------------------------------------------------------------
def tiny_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, hidden_size=32, encoder_ffn_dim=64, decoder_ffn_dim=64,
        num_encoder_layers=2, num_decoder_layers=2, num_encoder_attention_heads=4,
        num_decoder_attention_heads=4, max_position_embeddings=64, ngram=3, num_buckets=8,
        relative_max_distance=20, activation_function="gelu", dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS,
        decoder_start_token_id=PAD,
    )
    cfg.update(kw)
    return ProphetNetConfig(**cfg)


def build(cls, config, seed):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = cls(config)
    torch.manual_seed(seed + 1000)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)
    model.eval()
    return model


def shape_output(model, tok):
    """Makes generations plausible: unused tokens' rows shrink (rarely the argmax), and EOS's row
    gets a multiple of the mean first-stream state, bisected so that EOS is the argmax at about
    EOS_TARGET_RATE of the teacher-forced positions of the corpus."""
    emb = model.prophetnet.word_embeddings.weight
    used = {t for line in CORPUS.splitlines() + SUMMARY_TEXTS + CASE_TEXTS for t in tok(line)["input_ids"]}
    unused = [t for t in range(emb.shape[0]) if t not in used and t != EOS]
    with torch.no_grad():
        emb[unused] *= 0.3
        states = []
        for line in CORPUS.splitlines():
            ids = tok(line, truncation=True, max_length=40)["input_ids"]
            out = model.prophetnet(input_ids=torch.tensor([ids]),
                                   decoder_input_ids=torch.tensor([[PAD] + ids[:-1]]), use_cache=False)
            states.append(out.last_hidden_state_ngram[0, :len(ids)])
        states = torch.cat(states, 0)
        mean = states.mean(0)
        base_eos = emb[EOS].clone()

        def rate(s):
            logits = states @ emb.T
            eos = states @ (base_eos + s * mean)
            others = torch.cat([logits[:, :EOS], logits[:, EOS + 1:]], 1).max(-1).values
            return (eos > others).float().mean().item()

        lo, hi = -5.0, 5.0
        for _ in range(50):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if rate(mid) < EOS_TARGET_RATE else (lo, mid)
        s = round(hi, 3)
        emb[EOS] = base_eos + s * mean
    return s, rate(s), len(unused)


def right_pad(rows, width=None, pad=PAD):
    width = width or max(len(r) for r in rows)
    ids = [list(r) + [pad] * (width - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
    return ids, mask


# --------------------------------------------------------------------------------------------
# 3. forward fixtures
# --------------------------------------------------------------------------------------------
def gen_forward(model, tok):
    rows = [tok(t, truncation=True, max_length=n)["input_ids"] for t, n in zip(FORWARD_TEXTS, FORWARD_LENGTHS)]
    assert [len(r) for r in rows] == FORWARD_LENGTHS
    ids, mask = right_pad(rows, 9)
    dec_rows = []
    for text, n in zip(DECODER_TEXTS, DECODER_LENGTHS):
        t = tok(text, add_special_tokens=False)["input_ids"]
        assert len(t) >= n - 1, (text, t)
        dec_rows.append([PAD] + t[:n - 1])
    dec, dec_mask = right_pad(dec_rows, 6)
    ids, mask, dec, dec_mask = map(torch.tensor, (ids, mask, dec, dec_mask))
    res = {"input_ids": ids, "attention_mask": mask, "decoder_input_ids": dec,
           "decoder_attention_mask": dec_mask}
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec,
                    decoder_attention_mask=dec_mask, output_hidden_states=True,
                    output_attentions=True, use_cache=False)
    res["logits"] = out.logits
    res["logits_ngram"] = out.logits_ngram
    res["encoder_last_hidden_state"] = out.encoder_last_hidden_state
    for name in ("encoder_hidden_states", "encoder_attentions", "decoder_hidden_states",
                 "decoder_ngram_hidden_states", "decoder_attentions", "decoder_ngram_attentions",
                 "cross_attentions"):
        for i, t in enumerate(getattr(out, name)):
            res[f"{name}.{i}"] = t
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec, use_cache=False)
        res["nomask.logits"], res["nomask.logits_ngram"] = full.logits, full.logits_ngram
        cache = None
        for k, (a, b) in enumerate([(0, 2), (2, 3), (3, 4), (4, 5)]):
            step = dec[:, a:b]
            o = model(input_ids=ids, attention_mask=mask, decoder_input_ids=step, cache=cache,
                      use_cache=True)
            cache = o.cache
            res[f"step.{k}.decoder_input_ids"] = step
            res[f"step.{k}.logits"] = o.logits
            res[f"step.{k}.logits_ngram"] = o.logits_ngram
            d = (o.logits - full.logits[:, a:b]).abs().max().item()
            print(f"  [incremental] step {k}: max |cached - full forward| = {d:.3e}")
    gf.save_tensors(os.path.join(OUT, "expected.safetensors"), res)
    return ids, mask


def gen_causal(tok):
    model = build(ProphetNetForCausalLM, tiny_config(len(tok), add_cross_attention=False,
                                                     is_encoder_decoder=False), CAUSAL_SEED)
    keys = gf.save_model(model, CAUSAL_OUT)
    rows = [tok(t, truncation=True, max_length=n, add_special_tokens=False)["input_ids"]
            for t, n in zip(FORWARD_TEXTS[:2], [7, 5])]
    ids, mask = map(torch.tensor, right_pad(rows, 7))
    res = {"input_ids": ids, "attention_mask": mask}
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, use_cache=False)
        again = ProphetNetForCausalLM.from_pretrained(CAUSAL_OUT).eval()
        assert torch.equal(again(input_ids=ids, attention_mask=mask).logits, out.logits)
    res["logits"], res["logits_ngram"] = out.logits, out.logits_ngram
    for i, t in enumerate(out.hidden_states):
        res[f"hidden_states.{i}"] = t
    for i, t in enumerate(out.hidden_states_ngram):
        res[f"hidden_states_ngram.{i}"] = t
    gf.save_tensors(os.path.join(CAUSAL_OUT, "expected.safetensors"), res)
    print(f"[causal] stored tensors {len(keys)}: {[k for k in keys if '.layers.' not in k]}")


# --------------------------------------------------------------------------------------------
# 4. generate cases
# --------------------------------------------------------------------------------------------
def base_options(**kw):
    opts = dict(pad_token_id=PAD, eos_token_id=EOS, decoder_start_token_id=PAD, forced_bos_token_id=None,
                forced_eos_token_id=None, do_sample=False, use_cache=True, num_beams=1, length_penalty=1.0,
                early_stopping=False, no_repeat_ngram_size=0, repetition_penalty=1.0, min_length=0,
                num_return_sequences=1)
    opts.update(kw)
    opts.update(output_scores=True, return_dict_in_generate=True)
    return opts


def run_case(model, name, rows, options):
    ids, mask = right_pad(rows)
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    beam = options["num_beams"] > 1
    with torch.no_grad(), BeamRecorder(model) as rec:
        out = model.generate(input_ids, attention_mask=attention_mask, **options)
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
    eos_rows = [bool((new[r, :gen_lens[r]] == EOS).any()) for r in range(new.shape[0])]
    case = {
        "name": name, "input_ids": ids, "attention_mask": mask, "options": dict(options),
        "sequences": seqs.tolist(), "sequences_scores": seq_scores,
        "token_scores": [[float(x) for x in row] for row in token_scores],
        "generated_lengths": gen_lens, "eos_rows": eos_rows, "hits_eos": any(eos_rows),
        "steps": len(out.scores),
    }
    return case, gap


def gen_cases(model, tok):
    rows = [tok(t, truncation=True, max_length=n)["input_ids"] for t, n in zip(CASE_TEXTS, CASE_LENGTHS)]
    assert [len(r) for r in rows] == CASE_LENGTHS
    cases = []
    for name, options, rs in [
        ("greedy_max_new_tokens_10", base_options(max_new_tokens=10), rows),
        ("greedy_min_length_8_max_length_14", base_options(min_length=8, max_length=14), rows),
        ("beam3_early_stopping_false", base_options(num_beams=3, max_new_tokens=10), rows),
        ("beam4_early_stopping_true_return2",
         base_options(num_beams=4, early_stopping=True, num_return_sequences=2, max_new_tokens=10), rows),
        ("beam3_no_repeat_ngram_2_length_penalty_2.0",
         base_options(num_beams=3, no_repeat_ngram_size=2, length_penalty=2.0, max_new_tokens=12), rows),
        ("greedy_no_repeat_ngram_3_max_new_tokens_16",
         base_options(no_repeat_ngram_size=3, max_new_tokens=16), rows),
        ("beam3_repetition_penalty_1.3", base_options(num_beams=3, repetition_penalty=1.3,
                                                     max_new_tokens=10), rows),
        ("beam3_cnn_settings", base_options(num_beams=3, min_length=6, max_length=14,
                                            no_repeat_ngram_size=3, length_penalty=1.2,
                                            early_stopping=True), rows),
        ("greedy_single_unpadded", base_options(max_new_tokens=10), rows[:1]),
    ]:
        case, gap = run_case(model, name, rs, options)
        print(f"  [case] {name:45s} eos rows {case['eos_rows']} lengths {case['generated_lengths']}"
              f" min gap {gap:.2e}")
        assert gap > 1e-4, (name, gap)
        cases.append(case)
    gf.save_json(os.path.join(OUT, "cases.json"), cases)


# --------------------------------------------------------------------------------------------
# 5. summarization text reference
# --------------------------------------------------------------------------------------------
def gen_text(model, tok):
    call = dict(truncation=True, max_length=64, padding=True)
    enc = tok(SUMMARY_TEXTS, **call)
    full = [len(tok(t)["input_ids"]) for t in SUMMARY_TEXTS]
    assert full[0] > 64 >= full[1], full
    options = base_options(**SUMMARY_OPTIONS)
    options.pop("output_scores"), options.pop("return_dict_in_generate")
    ids, mask = torch.tensor(enc["input_ids"]), torch.tensor(enc["attention_mask"])
    with torch.no_grad(), BeamRecorder(model) as rec:
        seqs = model.generate(ids, attention_mask=mask, **options)
    gap, _ = rec.min_gap()
    assert gap > 1e-4, gap
    summaries = [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()]
    gf.save_json(os.path.join(OUT, "text.json"), {
        "texts": SUMMARY_TEXTS, "untruncated_lengths": full, "tokenizer_call": call,
        "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "options": options,
        "output_ids": seqs.tolist(), "summaries": summaries, "min_gap": gap})
    print(f"  [text] {summaries} (min gap {gap:.2e})")


# --------------------------------------------------------------------------------------------
# 6. tokenizer corpus parity
# --------------------------------------------------------------------------------------------
def gen_tokenizer_corpus(tiny_path):
    with open(os.path.join(gf.FIX, "tokenizers", "corpus.txt"), encoding="utf-8") as f:
        corpus = f.read().split("\n")
    if corpus and corpus[-1] == "":
        corpus = corpus[:-1]
    vocab = big_vocab()
    def cases(tok):
        out = []
        for text in corpus + EXTRA_TOKENIZER_TEXTS:
            ids = tok(text)["input_ids"]
            out.append({"text": text, "ids": ids, "tokens": tok.convert_ids_to_tokens(ids),
                        "decoded": tok.decode(ids, skip_special_tokens=True),
                        "decoded_with_specials": tok.decode(ids)})
        return out

    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "prophetnet.tokenizer")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(vocab))
        big = ProphetNetTokenizer(path)
        result = {"cases": cases(big), "tiny_cases": cases(ProphetNetTokenizer(tiny_path))}
    gf.save_json(os.path.join(OUT, "tokenizer_corpus.json"), result)
    print(f"[tokenizer] {len(result['cases'])} corpus lines")


# --------------------------------------------------------------------------------------------
def main():
    tokens = train_vocab()
    with tempfile.TemporaryDirectory() as scratch:
        tok, _ = write_vocab(scratch, tokens)
    print(f"[tokenizer] {len(tokens)} tokens; 'Hello world' -> {tok('Hello world')['input_ids']}")
    model = build(ProphetNetForConditionalGeneration, tiny_config(len(tokens)), MODEL_SEED)
    assert model.lm_head.weight.data_ptr() == model.prophetnet.word_embeddings.weight.data_ptr()
    shift, rate, n_unused = shape_output(model, tok)
    print(f"[model] EOS shift {shift} -> EOS argmax at {rate:.3f}; {n_unused} unused tokens")
    keys = gf.save_model(model, OUT)
    tok, vocab_path = write_vocab(OUT, tokens)
    gf.WRITTEN.append(vocab_path)
    print(f"[model] stored tensors {len(keys)}: {[k for k in keys if '.layers.' not in k]}")
    again = ProphetNetForConditionalGeneration.from_pretrained(OUT).eval()
    gen_forward(model, tok)
    ids = torch.tensor([[5, 6, 7, 2]])
    with torch.no_grad():
        assert torch.equal(again(input_ids=ids, decoder_input_ids=ids).logits,
                           model(input_ids=ids, decoder_input_ids=ids).logits)
    gen_causal(tok)
    gen_cases(model, tok)
    gen_text(model, tok)
    gen_tokenizer_corpus(vocab_path)
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        total += os.path.getsize(p)
        print(f"{os.path.getsize(p):9d} {os.path.relpath(p, gf.ROOT)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
