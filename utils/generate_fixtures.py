#!/usr/bin/env python3
"""Generate the HF-reference parity fixtures under tests/fixtures/ (see shared/docs/parity.md).

Run from the repository root:  .venv/bin/python utils/generate_fixtures.py
Deterministic: fixed seeds, single-threaded torch; two runs produce byte-identical files.

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, model.eval(), torch.no_grad(),
attn_implementation="eager" (sdpa is also run on `base` and MiniLM and must agree to < 1e-5).

What each fixture follows
-------------------------
activations.safetensors
    transformers.activations.ACT2FN[name](x) for each name listed in ACTIVATIONS present in ACT2FN.
    Keys: `x` [N] float32, `act.<name>` [N] float32.

bert/vocab.txt
    A tiny WordPiece vocab cut from the all-MiniLM-L6-v2 (bert-base-uncased) vocab.txt: the special
    tokens, punctuation, ~130 words and a few '##' pieces, in MiniLM id order (so [PAD]=0, [UNK]=1,
    [CLS]=2, [SEP]=3, [MASK]=4). Every word of TINY_SENTENCES tokenizes without [UNK].
bert/sentences.json
    [{"text", "ids", "tokens"}] for TINY_SENTENCES tokenized by the python BertTokenizerLegacy
    (do_lower_case=True) on bert/vocab.txt, with [CLS]/[SEP].

bert/<name>/{config.json, model.safetensors, expected.safetensors}
    Tiny BertConfig (vocab_size=len(vocab), hidden 32, 2 layers, 4 heads, intermediate 37,
    max_position_embeddings 64, type_vocab_size 2, gelu, layer_norm_eps 1e-12, pad_token_id 0),
    saved with save_pretrained (safetensors). Every parameter is randomised after construction:
    normal(0, 0.2), LayerNorm weights normal(1, 0.2) (seed per folder).
    - base:   transformers.BertModel (with pooler), layer_norm_eps=0.02 (large enough that an epsilon not read from
              config.json fails the 1e-4 tolerance), hidden_act="gelu_new".
    - decoder: BertModel with is_decoder=True, add_cross_attention=True (with pooler). HF makes the
              self-attention causal (create_causal_mask, combined with the padding mask); cross-attention
              uses encoder_attention_mask (bidirectional). Called with use_cache=False.
    - masked_lm: BertForMaskedLM (tie_word_embeddings=True, HF default: cls.predictions.decoder.weight
              is bert.embeddings.word_embeddings.weight and cls.predictions.decoder.bias is
              cls.predictions.bias; save_pretrained drops the tied duplicates, see the printed summary).
    - sequence_classification: BertForSequenceClassification, num_labels=3,
              id2label {0: negative, 1: neutral, 2: positive} (pooler -> dropout -> classifier).
    - multiple_choice: BertForMultipleChoice (flatten [B, C, L] -> pooler -> classifier -> [B, C]).
    - token_classification: BertForTokenClassification, num_labels=5, id2label O/B-PER/I-PER/B-LOC/I-LOC.
    - question_answering: BertForQuestionAnswering (qa_outputs -> start_logits, end_logits).
    - masked_lm_untied: BertForMaskedLM with tie_word_embeddings=False (HF 5.24 then ties nothing:
              the decoder uses cls.predictions.decoder.{weight,bias}; cls.predictions.bias is unused).
    expected.safetensors keys (all models run with output_hidden_states=True, output_attentions=True):
      inputs   `input_ids`, `attention_mask`, `token_type_ids` int64 [3, 9] (real lengths 9, 6, 4,
               right-padded with 0; multiple_choice: [2, 3, 7]).
      outputs  `hidden_states.<i>` i = 0..num_layers (0 = embeddings output), `attentions.<i>` per layer
               ([B, heads, L, L], softmax probabilities), and
               base/decoder: `last_hidden_state`, `pooler_output`;
               decoder: `cross_attentions.<i>`, inputs `encoder_hidden_states` float32 [3, 5, 32],
                        `encoder_attention_mask` int64 [3, 5];
               masked_lm / sequence_classification / multiple_choice / token_classification: `logits`;
               question_answering: `start_logits`, `end_logits`.
      base extras (defaults):
               `single.input_ids` [1, 9] (first sequence, unpadded) run with NO attention_mask, NO
               token_type_ids, NO position_ids -> `single.last_hidden_state`, `single.pooler_output`.
               `nomask.input_ids` [1, 9] + `nomask.token_type_ids` (first row) run with NO attention_mask
               and NO position_ids -> `nomask.last_hidden_state`, `nomask.pooler_output` (equal to batch
               row 0, whose real length is the full 9).
               `batch_nomask.last_hidden_state`, `batch_nomask.pooler_output`: the padded [3, 9] batch
               (same input_ids/token_type_ids) with NO attention_mask (pads are attended to).
    Padded positions: attention probabilities to padded keys are exactly 0 (mask = finfo.min); values
    at padded query positions are computed anyway (deterministic garbage): compare hidden states only
    where attention_mask == 1. They are stored in full.

minilm/expected.safetensors
    Real all-MiniLM-L6-v2 (.venv/models/all-MiniLM-L6-v2): BertTokenizerFast(folder)(MINILM_SENTENCES,
    padding=True, return_tensors="pt") -> BertModel.from_pretrained(folder).
    Keys: `input_ids`, `attention_mask`, `token_type_ids` int64 [10, L], `last_hidden_state` [10, L, 384],
    `pooler_output` [10, 384] (the checkpoint ships pooler weights), `sentence_embedding` [10, 384]
    = sentence-transformers modules.json pipeline: 0_Transformer -> 1_Pooling (mean over
    attention_mask) -> 2_Normalize (L2, F.normalize eps 1e-12).
minilm/tokenization.json
    [{"text", "ids", "tokens", "offsets"}] for MINILM_SENTENCES + HARD_TEXTS. `ids`/`tokens` from the
    python BertTokenizerLegacy (original BERT algorithm, vocab.txt, do_lower_case=True) with [CLS]/[SEP],
    no truncation; `offsets` from the fast (tokenizers) BertTokenizer, character (Unicode code point)
    offsets into `text`, special tokens [0, 0]. Disagreements between fast and slow ids are printed and
    stored as `fast_ids` on that entry.
"""

import collections
import hashlib
import json
import os
import shutil
import sys

import torch
from safetensors.torch import load_file, save_file
from safetensors import safe_open

import transformers
from transformers import (
    BertConfig,
    BertForMaskedLM,
    BertForMultipleChoice,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    BertTokenizerFast,
)
from transformers.activations import ACT2FN
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
MINILM = os.path.join(ROOT, ".venv", "models", "all-MiniLM-L6-v2")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
transformers.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()

WRITTEN = []
NOTES = []


def save_tensors(path, tensors):
    tensors = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    for k, v in tensors.items():
        assert v.dtype in (torch.float32, torch.int64), (k, v.dtype)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_file(tensors, path)
    WRITTEN.append(path)


def save_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
    WRITTEN.append(path)


# --------------------------------------------------------------------------------------------
# 1. activations
# --------------------------------------------------------------------------------------------
ACTIVATIONS = [
    "gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "quick_gelu", "relu", "silu", "swish",
    "mish", "tanh", "linear", "gelu_accurate", "relu6", "sigmoid", "leaky_relu",
]


def gen_activations():
    g = torch.Generator().manual_seed(1234)
    x = torch.cat([
        torch.linspace(-6.0, 6.0, 200, dtype=torch.float32),
        torch.randn(24, generator=g, dtype=torch.float32) * 3.0,
        torch.tensor([0.0, -0.0, 1e-4, -1e-4, 1e-3, -1e-3, -20.0, -10.0, 10.0, 20.0], dtype=torch.float32),
    ])
    out = {"x": x}
    skipped = []
    for name in ACTIVATIONS:
        if name not in ACT2FN:
            skipped.append(name)
            continue
        with torch.no_grad():
            out[f"act.{name}"] = ACT2FN[name](x.clone()).to(torch.float32)
    print(f"[activations] {len(out) - 1} activations, skipped (not in ACT2FN): {skipped or 'none'}")
    save_tensors(os.path.join(FIX, "activations.safetensors"), out)


# --------------------------------------------------------------------------------------------
# 2. tiny BERT vocab
# --------------------------------------------------------------------------------------------
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PUNCT = list(".,!?'-():;\"")
TINY_SENTENCES = [
    "The cat sat on the mat.",
    "Hello world, this is a test!",
    "The quick brown fox jumps over the lazy dog.",
    "She walked to the park and played with her friends.",
    "Is it going to rain today?",
    "I love reading books about science and history.",
    "We bought some apples, bread and milk.",
    "He said: \"good morning\" (and smiled).",
]
# extra common words (all present in bert-base-uncased)
EXTRA_WORDS = (
    "a an and are as at be but by can day did do does for from get good got had has have he her "
    "him his how i if in into is it its just know like little long look made make man many may me "
    "more most my new no not now of off old on one only or other our out over people said see she "
    "so some than that the their them then there these they this time to two up us use very was "
    "way we well were what when where which who will with would year you your yes happy sad run "
    "walk play read eat dog house car city tree water food big small red blue green answer question "
    "which why because first last"
).split()
WORD_PIECES = ["##s", "##ed", "##ing", "##ly", "##er", "##est", "##ness"]
# words that must NOT be whole words in the tiny vocab so that they split into '##' pieces
FORCE_SPLIT = {"walked", "played", "friends", "reading", "books", "apples", "smiled", "jumps", "going"}


def load_vocab(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def gen_tiny_vocab():
    full = load_vocab(os.path.join(MINILM, "vocab.txt"))
    full_id = {t: i for i, t in enumerate(full)}
    # words of the sentences, via the MiniLM basic tokenizer (lowercase, punctuation split)
    basic = BertTokenizerLegacy(os.path.join(MINILM, "vocab.txt"), do_lower_case=True).basic_tokenizer
    words = set()
    for s in TINY_SENTENCES:
        for w in basic.tokenize(s):
            if w in FORCE_SPLIT:
                continue
            words.add(w)
    # stems for the forced splits: walk ##ed, play ##ed, friend ##s, read ##ing, book ##s, apple ##s,
    # smile ##d? (no: "smiled" -> "smile" + "##d")
    words |= {"walk", "play", "friend", "read", "book", "apple", "smile", "jump", "go"}
    pieces = set(WORD_PIECES) | {"##d"}
    chosen = set(SPECIALS) | set(PUNCT) | words | set(EXTRA_WORDS) | pieces
    missing = sorted(t for t in chosen if t not in full_id)
    assert not missing, f"not in MiniLM vocab: {missing}"
    vocab = sorted(chosen, key=lambda t: full_id[t])
    assert vocab[:5] == SPECIALS, vocab[:5]
    path = os.path.join(FIX, "bert", "vocab.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    WRITTEN.append(path)

    tok = BertTokenizerLegacy(path, do_lower_case=True)
    entries = []
    for s in TINY_SENTENCES:
        ids = tok(s)["input_ids"]
        assert tok.unk_token_id not in ids, (s, tok.convert_ids_to_tokens(ids))
        entries.append({"text": s, "ids": ids, "tokens": tok.convert_ids_to_tokens(ids)})
    assert any(t.startswith("##") for e in entries for t in e["tokens"])
    save_json(os.path.join(FIX, "bert", "sentences.json"), entries)
    print(f"[vocab] tiny vocab: {len(vocab)} tokens; e.g. {entries[3]['tokens']}")
    return path, tok


# --------------------------------------------------------------------------------------------
# 3. tiny BERT models
# --------------------------------------------------------------------------------------------
def tiny_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu",
        layer_norm_eps=1e-12, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        pad_token_id=0, initializer_range=0.02,
    )
    cfg.update(kw)
    return BertConfig(**cfg)


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():  # named_parameters() skips tied duplicates
            if "LayerNorm.weight" in name:
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)


def build(cls, config, seed, **kw):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = cls(config, **kw) if kw else cls(config)
    randomise(model, seed + 1000)
    model.eval()
    return model


def encode_pair(tok, a, b=None):
    enc = tok(a, b, return_token_type_ids=True) if b is not None else tok(a, return_token_type_ids=True)
    return enc["input_ids"], enc["token_type_ids"]


def pad_batch(rows, length):
    ids = torch.zeros(len(rows), length, dtype=torch.int64)
    tt = torch.zeros(len(rows), length, dtype=torch.int64)
    mask = torch.zeros(len(rows), length, dtype=torch.int64)
    for i, (r_ids, r_tt) in enumerate(rows):
        n = len(r_ids)
        assert n <= length
        ids[i, :n] = torch.tensor(r_ids)
        tt[i, :n] = torch.tensor(r_tt)
        mask[i, :n] = 1
    return ids, mask, tt


def batch_inputs(tok):
    rows = [
        encode_pair(tok, "the cat sat", "it was happy"),  # 9 tokens, token types 0*5 + 1*4
        encode_pair(tok, "hello world", "good"),           # 6 tokens, token types 0*4 + 1*2
        encode_pair(tok, "walked"),                        # 4 tokens: [CLS] walk ##ed [SEP]
    ]
    assert [len(r[0]) for r in rows] == [9, 6, 4], [tok.convert_ids_to_tokens(r[0]) for r in rows]
    assert tok.unk_token_id not in sum((r[0] for r in rows), [])
    return pad_batch(rows, 9)


def mc_inputs(tok):
    # real lengths: [7, 6, 6] and [6, 7, 5]
    questions = ["where is", "food"]
    choices = [["the house", "up", "there"], ["apples", "red bread", "milk"]]
    ids, masks, tts = [], [], []
    for q, cs in zip(questions, choices):
        rows = [encode_pair(tok, q, c) for c in cs]
        i, m, t = pad_batch(rows, max(len(r[0]) for r in rows))
        ids.append(i), masks.append(m), tts.append(t)
    L = max(x.shape[1] for x in ids)
    assert L == 7, L

    def padto(x):
        return torch.nn.functional.pad(x, (0, L - x.shape[1]))

    ids = torch.stack([padto(x) for x in ids])
    masks = torch.stack([padto(x) for x in masks])
    tts = torch.stack([padto(x) for x in tts])
    assert (masks.sum(-1) < L).any() and tok.unk_token_id not in ids.flatten().tolist()
    return ids, masks, tts


def collect(out, prefix=""):
    res = {}
    for name in ("last_hidden_state", "pooler_output", "logits", "start_logits", "end_logits"):
        v = getattr(out, name, None)
        if v is not None:
            res[prefix + name] = v
    for name in ("hidden_states", "attentions", "cross_attentions"):
        v = getattr(out, name, None)
        if v is not None:
            for i, t in enumerate(v):
                res[f"{prefix}{name}.{i}"] = t
    return res


def check_padding(name, res, mask):
    # attention probabilities to padded keys must be ~0
    if mask.dim() == 3:
        mask = mask.reshape(-1, mask.shape[-1])
    for k, v in res.items():
        if k.startswith("attentions."):
            to_pad = v * (1 - mask)[:, None, None, :].float()
            assert to_pad.abs().max().item() < 1e-6, (name, k, to_pad.abs().max().item())


def save_model(model, folder):
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)  # prints a tqdm "Writing model shards" bar
    for f in ("config.json", "model.safetensors"):
        WRITTEN.append(os.path.join(folder, f))
    extra = sorted(set(os.listdir(folder)) - {"config.json", "model.safetensors", "expected.safetensors"})
    for f in extra:  # e.g. generation_config.json: not wanted
        p = os.path.join(folder, f)
        os.remove(p) if os.path.isfile(p) else shutil.rmtree(p)
        print(f"  (removed extra save_pretrained file {f})")
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        return list(f.keys())


def gen_tiny_models(vocab_path, tok):
    V = len(load_vocab(vocab_path))
    bdir = os.path.join(FIX, "bert")
    ids, mask, tt = batch_inputs(tok)
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}
    common = dict(output_hidden_states=True, output_attentions=True, return_dict=True)
    saved_keys = {}

    # ---- base ----
    cfg = tiny_config(V, layer_norm_eps=0.02, hidden_act="gelu_new")
    model = build(BertModel, cfg, seed=10)
    keys = save_model(model, os.path.join(bdir, "base"))
    saved_keys["base"] = keys
    with torch.no_grad():
        out = model(**inputs, **common)
        res = dict(inputs, **collect(out))
        check_padding("base", res, mask)
        single = ids[:1, : int(mask[0].sum())]
        o1 = model(input_ids=single, return_dict=True)
        res["single.input_ids"] = single
        res["single.last_hidden_state"] = o1.last_hidden_state
        res["single.pooler_output"] = o1.pooler_output
        o2 = model(input_ids=ids[:1], token_type_ids=tt[:1], return_dict=True)
        res["nomask.input_ids"] = ids[:1]
        res["nomask.token_type_ids"] = tt[:1]
        res["nomask.last_hidden_state"] = o2.last_hidden_state
        res["nomask.pooler_output"] = o2.pooler_output
        d = (o2.last_hidden_state - out.last_hidden_state[:1]).abs().max().item()
        assert d < 1e-5, d
        o3 = model(input_ids=ids, token_type_ids=tt, return_dict=True)
        res["batch_nomask.last_hidden_state"] = o3.last_hidden_state
        res["batch_nomask.pooler_output"] = o3.pooler_output
        # sdpa vs eager on the same weights
        model.set_attn_implementation("sdpa")
        o4 = model(**inputs, return_dict=True)
        dsdpa = ((o4.last_hidden_state - out.last_hidden_state) * mask[..., None]).abs().max().item()
        dsdpa_all = (o4.last_hidden_state - out.last_hidden_state).abs().max().item()
        NOTES.append(f"base: sdpa vs eager max|diff| real positions {dsdpa:.2e}, all positions {dsdpa_all:.2e}")
        assert dsdpa < 1e-5
        model.set_attn_implementation("eager")
    save_tensors(os.path.join(bdir, "base", "expected.safetensors"), res)

    # ---- decoder ----
    cfg = tiny_config(V, is_decoder=True, add_cross_attention=True)
    model = build(BertModel, cfg, seed=20)
    saved_keys["decoder"] = save_model(model, os.path.join(bdir, "decoder"))
    g = torch.Generator().manual_seed(21)
    enc_h = torch.randn(3, 5, 32, generator=g, dtype=torch.float32)
    enc_m = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], dtype=torch.int64)
    with torch.no_grad():
        out = model(**inputs, encoder_hidden_states=enc_h, encoder_attention_mask=enc_m, use_cache=False, **common)
    res = dict(inputs, encoder_hidden_states=enc_h, encoder_attention_mask=enc_m, **collect(out))
    check_padding("decoder", res, mask)
    a0 = res["attentions.0"]
    assert torch.triu(a0[0, 0], diagonal=1).abs().max().item() == 0.0, "self-attention is not causal"
    for k in [k for k in res if k.startswith("cross_attentions.")]:
        assert (res[k] * (1 - enc_m)[:, None, None, :]).abs().max().item() < 1e-6
    save_tensors(os.path.join(bdir, "decoder", "expected.safetensors"), res)

    # ---- heads ----
    heads = [
        ("masked_lm", BertForMaskedLM, {}, 30),
        ("sequence_classification", BertForSequenceClassification,
         dict(num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"},
              label2id={"negative": 0, "neutral": 1, "positive": 2}), 40),
        ("multiple_choice", BertForMultipleChoice, {}, 50),
        ("token_classification", BertForTokenClassification,
         dict(num_labels=5, id2label={0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"},
              label2id={"O": 0, "B-PER": 1, "I-PER": 2, "B-LOC": 3, "I-LOC": 4}), 60),
        ("question_answering", BertForQuestionAnswering, {}, 70),
        # Untied: the decoder has its own weight and bias; cls.predictions.bias is not read.
        ("masked_lm_untied", BertForMaskedLM, dict(tie_word_embeddings=False), 80),
    ]
    for name, cls, kw, seed in heads:
        cfg = tiny_config(V, **kw)
        model = build(cls, cfg, seed=seed)
        if name == "masked_lm":
            dec = model.cls.predictions.decoder
            assert dec.weight is model.bert.embeddings.word_embeddings.weight, "decoder weight not tied"
            assert dec.bias is model.cls.predictions.bias, "decoder bias not tied"
            assert model.cls.predictions.bias.abs().sum() > 0, "MLM bias not randomised"
        if name == "masked_lm_untied":
            dec = model.cls.predictions.decoder
            assert dec.weight is not model.bert.embeddings.word_embeddings.weight
            assert dec.bias is not model.cls.predictions.bias
        saved_keys[name] = save_model(model, os.path.join(bdir, name))
        if name == "multiple_choice":
            i, m, t = mc_inputs(tok)
            inp = {"input_ids": i, "attention_mask": m, "token_type_ids": t}
        else:
            inp, m = inputs, mask
        with torch.no_grad():
            out = model(**inp, **common)
        res = dict(inp, **collect(out))
        check_padding(name, res, m)
        save_tensors(os.path.join(bdir, name, "expected.safetensors"), res)

    for name, keys in saved_keys.items():
        NOTES.append(f"{name}: {len(keys)} tensors in model.safetensors; non-layer keys: "
                     f"{[k for k in keys if '.layer.' not in k]}")
    mlm = saved_keys["masked_lm"]
    tied = [k for k in mlm if k.startswith("cls.predictions")]
    NOTES.append(f"masked_lm cls.* keys in model.safetensors: {tied}; "
                 f"'cls.predictions.decoder.weight' saved: {'cls.predictions.decoder.weight' in mlm}; "
                 f"'cls.predictions.decoder.bias' saved: {'cls.predictions.decoder.bias' in mlm}; "
                 f"position_ids buffer saved anywhere: {any('position_ids' in k for ks in saved_keys.values() for k in ks)}")


# --------------------------------------------------------------------------------------------
# 4. all-MiniLM-L6-v2
# --------------------------------------------------------------------------------------------
MINILM_SENTENCES = [
    "This is an example sentence.",
    "Each sentence is converted to a vector.",
    "The weather is lovely today.",
    "It's so sunny outside!",
    "He drove to the stadium.",
    "A man is eating food.",
    "The new movie is awesome, but the ending was a bit confusing; I'd still recommend it to anyone who likes science fiction.",
    "Crème brûlée at the café in São Paulo was délicieux.",
    "Wait... what?! Really -- are you sure (100%)?",
    "Rust",
]
HARD_TEXTS = [
    "Café déjà vu, naïve façade",
    "我喜欢自然语言处理。東京タワー",
    "I love 🦀 and 🎉🎉!",
    "Wait...!!! ?? -- ((ok))",
    "a" * 300,
    "supercalifragilisticexpialidocious" * 10,
    "supercalifragilisticexpialidocious",
    "HeLLo WoRLD",
    "tab\there\nnewline  spaces",
    "",
]


def gen_minilm():
    with open(os.path.join(MINILM, "modules.json")) as f:
        modules = [m["type"] for m in json.load(f)]
    assert modules == ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                       "sentence_transformers.models.Normalize"], modules
    with open(os.path.join(MINILM, "1_Pooling", "config.json")) as f:
        pool = json.load(f)
    assert pool["pooling_mode_mean_tokens"] and not pool["pooling_mode_cls_token"] and not pool["pooling_mode_max_tokens"]

    fast = BertTokenizerFast.from_pretrained(MINILM)
    slow = BertTokenizerLegacy(os.path.join(MINILM, "vocab.txt"), do_lower_case=True)
    enc = fast(MINILM_SENTENCES, padding=True, return_tensors="pt")
    enc_slow = slow(MINILM_SENTENCES, padding=True, return_tensors="pt", return_token_type_ids=True,
                    return_attention_mask=True)
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        assert torch.equal(enc[k], enc_slow[k]), f"fast and slow tokenizers disagree on {k}"

    model = BertModel.from_pretrained(MINILM, attn_implementation="eager").eval()
    inputs = {k: enc[k].to(torch.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        out = model(**inputs, return_dict=True)
        h = out.last_hidden_state
        m = inputs["attention_mask"].unsqueeze(-1).to(h.dtype)
        mean = (h * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
        emb = torch.nn.functional.normalize(mean, p=2, dim=1)
        sdpa = BertModel.from_pretrained(MINILM, attn_implementation="sdpa").eval()
        hs = sdpa(**inputs).last_hidden_state
        d = ((hs - h) * m).abs().max().item()
        NOTES.append(f"minilm: sdpa vs eager max|diff| at real positions {d:.2e}")
    res = dict(inputs, last_hidden_state=h, pooler_output=out.pooler_output, sentence_embedding=emb)
    save_tensors(os.path.join(FIX, "minilm", "expected.safetensors"), res)
    print(f"[minilm] batch {tuple(inputs['input_ids'].shape)}, embedding norms "
          f"{emb.norm(dim=1).min().item():.6f}..{emb.norm(dim=1).max().item():.6f}")

    entries, disagreements = [], []
    for text in MINILM_SENTENCES + HARD_TEXTS:
        ids = slow(text)["input_ids"]
        fe = fast(text, return_offsets_mapping=True)
        offsets = [list(o) for o in fe["offset_mapping"]]
        entry = {"text": text, "ids": ids, "tokens": slow.convert_ids_to_tokens(ids), "offsets": offsets}
        if fe["input_ids"] != ids:
            disagreements.append(text)
            entry["fast_ids"] = fe["input_ids"]
        entries.append(entry)
    print(f"[minilm] fast/slow tokenizer disagreements: {disagreements or 'none'}")
    NOTES.append(f"minilm tokenization: fast/slow disagreements: {disagreements or 'none'}")
    save_json(os.path.join(FIX, "minilm", "tokenization.json"), entries)


def gen_weight_formats():
    """weights/: the `base` checkpoint in the other formats the Rust loader reads.

    - pytorch_model.bin      torch.save(model.state_dict()) (zip pickle of an OrderedDict, as HF 4.x wrote it)
    - sharded/               save_pretrained(max_shard_size=...) -> model-*.safetensors + index.json
    - fp16.safetensors       the state dict in float16 (safetensors.torch.save_file)
    - bf16.bin               the state dict in bfloat16 (torch.save)
    - expected.safetensors   HF BertModel outputs on base/expected inputs with the fp16 and bf16
                             weights upcast to float32 (`fp16.last_hidden_state`,
                             `bf16.last_hidden_state`): what loading a half file into fp32 gives.
    """
    from safetensors.torch import save_file
    src = os.path.join(FIX, "bert", "base")
    out = os.path.join(FIX, "weights")
    os.makedirs(out, exist_ok=True)
    model = BertModel.from_pretrained(src, attn_implementation="eager").eval()
    # HF's own format: torch.save of model.state_dict(), an OrderedDict (which LibTorch's C++
    # unpickler cannot read, hence the Rust reader).
    state = model.state_dict()
    assert type(state).__name__ == "OrderedDict"
    torch.save(state, os.path.join(out, "pytorch_model.bin"))
    shard_dir = os.path.join(out, "sharded")
    if os.path.isdir(shard_dir):
        shutil.rmtree(shard_dir)
    model.save_pretrained(shard_dir, safe_serialization=True, max_shard_size="40KB")
    for f in os.listdir(shard_dir):
        if not (f.endswith(".safetensors") or f.endswith(".index.json")):
            os.remove(os.path.join(shard_dir, f))
    save_file({k: v.half() for k, v in state.items()}, os.path.join(out, "fp16.safetensors"))
    torch.save(collections.OrderedDict((k, v.bfloat16()) for k, v in state.items()),
               os.path.join(out, "bf16.bin"))
    inputs = load_file(os.path.join(src, "expected.safetensors"))
    res = {}
    # state_dict() shares storage with the model: keep the float32 originals aside.
    original = {k: v.clone() for k, v in state.items()}
    for tag, kind in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
        model.load_state_dict({k: v.to(kind).float() for k, v in original.items()})
        with torch.no_grad():
            o = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                      token_type_ids=inputs["token_type_ids"])
        res[f"{tag}.last_hidden_state"] = o.last_hidden_state.contiguous()
    save_tensors(os.path.join(out, "expected.safetensors"), res)
    print(f"[weights] shards: {sorted(os.listdir(shard_dir))}")


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    gen_activations()
    vocab_path, tok = gen_tiny_vocab()
    gen_tiny_models(vocab_path, tok)
    gen_minilm()
    gen_weight_formats()

    print("\n== notes ==")
    for n in NOTES:
        print(" -", n)
    print("\n== files ==")
    total = 0
    for p in WRITTEN:
        size = os.path.getsize(p)
        total += size
        with open(p, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:16]
        print(f"  {os.path.relpath(p, ROOT):60s} {size:>9d} B  sha256:{digest}")
    print(f"  total {total} B ({total / 1024:.1f} KiB)")
    if total > 3 * 1024 * 1024:
        print("WARNING: fixtures exceed 3 MB", file=sys.stderr)


if __name__ == "__main__":
    main()
