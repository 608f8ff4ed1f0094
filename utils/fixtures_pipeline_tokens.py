#!/usr/bin/env python3
"""Generate the token-classification / NER / POS pipeline fixtures (tests/fixtures/pipeline_tokens/*).

Run from the repository root:  .venv/bin/python utils/fixtures_pipeline_tokens.py
Deterministic (fixed seeds, single-threaded torch). Reuses generate_fixtures.py (randomise, build,
save_model, save_json). Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(),
no_grad, eager attention.

Tokenizers (built here, saved with the models)
-----------------------------------------------
bert_vocab.txt      uncased WordPiece vocab cut from all-MiniLM-L6-v2's vocab.txt (MiniLM id order, so
                    [PAD]=0 [UNK]=100->1 ...): specials, punctuation, digits, the letters a-z and ##a-##z
                    (so every Latin word tokenizes, long ones into sub-words), the short words of the
                    texts and a few MiniLM '##' pieces. Emoji and CJK characters are left out: [UNK].
cased_vocab.txt     cased WordPiece vocab written here (not MiniLM's): specials, punctuation, digits,
                    upper and lower letters with their '##' forms, accented letters, a few cased words.
roberta/vocab.json, roberta/merges.txt
                    byte-level BPE cut from GPT-2's encoder.json / vocab.bpe (tests/fixtures/tokenizers/
                    gpt2): <s>=0 <pad>=1 </s>=2 <unk>=3, the 256 byte symbols, every token made by the
                    GPT-2 merges that fire on the texts, <mask> last; merges = those that fire, in GPT-2
                    order (the texts tokenize exactly as with the full GPT-2 BPE: checked).
xlnet_ner/spiece.model
                    copy of the fixture SentencePiece model tests/fixtures/tokenizers/spm/xlnet.model
                    (1000 pieces, <unk>=0 <s>=1 </s>=2 <cls>=3 <sep>=4 <pad>=5 ...), loaded with HF 5.24
                    `XLNetTokenizer.from_pretrained(xlnet_ner/)` (tokenizer_config.json: no lower-casing,
                    model_max_length 64, model_input_names with token_type_ids). Accents are stripped
                    (NFKD + StripAccents, always in 5.24), whitespace runs collapsed. Checked: 1000
                    tokens in spm id order, ids = sentencepiece's ids of HF 4.x's preprocessed text,
                    every text encodes as `text <sep> <cls>`, special mask on those two, token types
                    0 .. 0 2. Two 5.24 regressions against HF 4.x are undone on the tokenizer object:
                    model_input_names gets token_type_ids back (5.24 drops them, so its pipeline would
                    run XLNet without segment ids, unlike 4.x and rust-bert) and pad_token_type_id is
                    set back to 3 (5.24 resets it to 0; only label_mix pads). Padding is on the left.

Models (tiny, every parameter randomised: normal(0, 0.2), LayerNorm weights normal(1, 0.2), word
embeddings normal(0, 1) so that labels vary with the tokens; of 40 seeds, the one whose predictions
on TEXTS mix B-/I- continuations, O and many labels best, see label_mix)
--------------------------------------------------------------------------------------------------
<name>/{config.json, model.safetensors, tokenizer files}, hidden 32, 2 layers, 4 heads,
intermediate 37, max positions 64 (RoBERTa 66: 64 usable), model_max_length 64:
  bert_ner        BertForTokenClassification, uncased vocab (lowercase + strip accents), CoNLL labels
                  O B-PER I-PER B-ORG I-ORG B-LOC I-LOC B-MISC I-MISC. Also tokenizer.json +
                  special_tokens_map.json (HF tokenizers variant), config_no_labels.json (id2label
                  and label2id removed) and config_label_gap.json (id2label {0, 1, 3}: index 2 missing).
  distilbert_ner  DistilBertForTokenClassification, cased vocab (no lowercasing, accents kept).
  roberta_ner     RobertaForTokenClassification, the small byte-level BPE (add_prefix_space False).
  bert_pos        BertForTokenClassification, uncased vocab, POS labels without B-/I- prefixes.
  xlnet_ner       XLNetForTokenClassification (d_model 32, n_layer 2, n_head 4, d_inner 37, gelu,
                  layer_norm_eps 1e-5, dropout 0, summary_* as XLNet's defaults but summary_last_dropout
                  0, mem_len 512, pad 5 / bos 1 / eos 2; no position limit: the tokenizer's
                  model_max_length 64 is the only cut), the SentencePiece tokenizer above, CoNLL labels;
                  randomised as above plus `layer_norm` weights normal(1, 0.2); seeds 700..739, built
                  after every other model. Texts: XLNET_TEXTS = TEXTS without the whitespace-run text
                  "  Leading   spaces..." (HF's SentencePiece collapses the runs and strips the ends,
                  the Rust SentencePiece tokenizer does not: a known difference, tests/tokenizers.rs).
                  The script asserts that some "first" entity holds several words and some word
                  several tokens (what the Rust tests require of every model).
  electra_ner     ElectraForTokenClassification (built after XLNet, seeds 800..839): embedding_size 16
                  projected to hidden 32 (embeddings_project), 2 layers, 4 heads, intermediate 37,
                  hidden_act silu, layer_norm_eps 0.02, max positions 64, CoNLL labels; the uncased
                  vocab of bert_ner (HF 5.24 maps model type "electra" to BertTokenizer), no
                  tokenizer files of its own. Same assertions as XLNet's.

References (<name>/expected.json)
---------------------------------
For each text of TEXTS (POS_TEXTS for bert_pos, XLNET_TEXTS for xlnet_ner), from HF's
TokenClassificationPipeline (pipeline("token-classification", model, tokenizer)); the model gets the
tokenizer's model_input_names (XLNet: with token_type_ids, see above):
  positions     every position of the encoded text (special tokens included; XLNet's <sep> <cls>
                are the last two positions, offsets (0, 0)): id, special, start,
                end (offsets), probs (softmax of the model logits, as the pipeline's postprocess),
                label_index (argmax), label, score (max prob). Same forward pass as the pipeline's.
  none          pipe(text, aggregation_strategy="none", ignore_labels=[]): every non-special token
                (entity, score, index, word, start, end).
  first_words   HF's word aggregation with FIRST before entity grouping:
                pipe.aggregate_words(pipe.gather_pre_entities(...), FIRST) (entity, score, word, start,
                end). A word is a token and the sub-word tokens after it, HF's `is_subword`: a
                different length between the token string and the text span for tokenizers with a
                continuing-subword prefix (WordPiece: '##'), else HF's fallback heuristic (start > 0
                and no ' ' in text[start-1:start+1]); an unknown token is never a sub-word.
  last_words    the same words; a word's label and score from its LAST token (argmax, max prob).
  mode_words    the same words; label = most frequent token argmax (ties: highest token score, then
                lowest label index), score = mean over the word's tokens of the probability of that
                label. Words of one token keep their token's label and score.
                (last/mode have no HF strategy: they are computed here from HF's probabilities with
                the rule documented in src/pipelines/token_classification.rs.)
  first         pipe(text, aggregation_strategy="first"): entity_group, score, word, start, end.
  simple        pipe(text, aggregation_strategy="simple").
  pos_words     (bert_pos only) first_words with rust-bert's POS rule: a word made only of ASCII
                punctuation whose score is < 0.5 gets label "." and score 1.

XLNet in HF's token-classification pipeline (what xlnet_ner/expected.json shows; HF is followed as is):
  - Unigram has no continuing-subword prefix, so words come from HF's fallback heuristic on
    offsets (as for RoBERTa).
  - A lone "▁" token (before a word whose first piece has no "▁" form, e.g. "▁" "J" "o" "h" "n")
    gets HF's offsets (s, s + 1): the word's first character, the same start as the next token.
    By the heuristic it is a word of its own (span = that one character, e.g. "J") and the next
    token starts another word at the same offset ("John"): first/last/mode words and the "first"
    entities have such one-character words overlapping the next word.
  - HF's "word" strings of entities are `convert_tokens_to_string` of the pieces: accent-stripped,
    words joined without spaces ("Amelie", "atAcme"), "" for a lone "▁". Only their start/end
    spans match the text (the Rust tests compare spans, not HF's word strings).
  - Unknown characters are <unk> pieces with the offsets of their character.
  - No bert_ner-style long.json for XLNet.

bert_ner/long.json: a text of LONG_SENTENCES (about 580 tokens) longer than the model's 64 positions,
split into HF's overflowing windows: tokenizer(text, truncation=True, max_length=64, stride=16,
return_overflowing_tokens=True, return_offsets_mapping=True) (stride = max_len / 4, the overlap
rust-bert uses), each window run alone through the model (no padding). Each text token is taken from
one window: of the `stride` tokens two consecutive windows share, the first floor(stride / 2) from the
earlier window, the others from the later one; [CLS] from the first window, [SEP] from the last.
  positions: index (position in the whole text's encoding: [CLS] 0, text tokens 1..n, [SEP] n+1),
  special, start, end (character offsets into the whole text), label_index, label, score, window.
  (HF's pipeline truncates such a text at 64 tokens unless `stride` is given, and with `stride` it
  merges entities of overlapping windows; rust-bert labels every token, this reference follows it.)
"""

import json
import os
import shutil
import string
import sys
import unicodedata

import numpy as np
import torch
from tokenizers import pre_tokenizers
from transformers import (
    BertConfig,
    BertForTokenClassification,
    BertTokenizer,
    DistilBertConfig,
    DistilBertForTokenClassification,
    ElectraConfig,
    ElectraForTokenClassification,
    RobertaConfig,
    RobertaForTokenClassification,
    RobertaTokenizer,
    XLNetConfig,
    XLNetForTokenClassification,
    XLNetTokenizer,
    pipeline,
)
from transformers.models.bert.tokenization_bert_legacy import BasicTokenizer
from transformers.pipelines.token_classification import AggregationStrategy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402

OUT = os.path.join(gf.FIX, "pipeline_tokens")
GPT2 = os.path.join(gf.FIX, "tokenizers", "gpt2")
XLNET_SPM = os.path.join(gf.FIX, "tokenizers", "spm", "xlnet.model")
XLNET_INPUTS = ["input_ids", "token_type_ids", "attention_mask"]
MAX_LEN = 64
STRIDE = MAX_LEN // 4

NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
POS_LABELS = ["NN", "NNP", "VB", "VBZ", "DT", "JJ", "IN", "PRP", ".", ","]

TEXTS = [
    "My name is Amélie and I live in Paris.",
    "John Smith works at Acme Corporation in New York City.",
    "Crème brûlée at the café in São Paulo was délicieux!",
    "The unbelievable journey of Jean-Baptiste to Zürich, Switzerland.",
    "I love 🦀 and 東京タワー.",
    "  Leading   spaces\tand\ttabs \n newline  ",
    "HeLLo WoRLD, O'Neil's e-mail is test@example.com (really).",
    "Ame\u0301lie Poulain",
    "Paris",
    "",
]
# XLNet: TEXTS without the whitespace-run text (HF's SentencePiece collapses runs and strips the
# ends, the Rust SentencePiece tokenizer does not: a known tokenizer difference, tests/tokenizers.rs).
XLNET_TEXTS = [t for t in TEXTS if t != "  Leading   spaces\tand\ttabs \n newline  "]
assert len(XLNET_TEXTS) == len(TEXTS) - 1
POS_TEXTS = [
    "My name is Amélie. How are you?",
    "The quick brown fox jumps over the lazy dog!",
    "Well... she said: \"no\" (twice).",
]
LONG_SENTENCES = [
    "Sentence {i}: Amélie and John Smith travelled from Paris to New York with Acme Corporation.",
    "They discussed the unbelievable journey of Jean-Baptiste, who lives in Zürich.",
    "Crème brûlée, café au lait and croissants were served at the station in São Paulo.",
]

SHORT_WORDS = {"my", "name", "is", "and", "i", "live", "in", "at", "the", "was", "to", "of", "new", "york",
               "city", "works", "love", "how", "are", "you", "she", "said", "no", "fox", "dog", "over",
               "lazy", "quick", "brown", "well", "with", "from", "they", "who", "lives", "were", "au",
               "station", "sentence", "smith", "john", "paris", "cafe", "o", "s", "e", "mail", "com"}
MINILM_PIECES = ["##ing", "##s", "##ed", "##able", "##eli", "##rich", "##ule", "##ly", "##er", "##tion",
                 "##ation", "##ie", "##ious", "un", "cr", "br", "am", "zu", "jean", "##land", "##eme"]


def uncased_vocab(path):
    full = gf.load_vocab(os.path.join(gf.MINILM, "vocab.txt"))
    full_id = {t: i for i, t in enumerate(full)}
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    digits = [str(d) for d in range(10)]
    chosen = set(gf.SPECIALS) | set(".,!?'-():;\"@/") | set(letters) | {"##" + c for c in letters + digits}
    chosen |= set(digits) | SHORT_WORDS | set(MINILM_PIECES)
    missing = sorted(t for t in chosen if t not in full_id)
    assert not missing, f"not in MiniLM vocab: {missing}"
    vocab = sorted(chosen, key=lambda t: full_id[t])
    assert vocab[:5] == gf.SPECIALS, vocab[:5]
    write_lines(path, vocab)
    return vocab


def cased_vocab(path):
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    chars += list("éèêüûãç") + [str(d) for d in range(10)]
    words = ["My", "name", "is", "and", "I", "live", "in", "Paris", "John", "Smith", "at", "the", "The", "New",
             "York", "City", "was", "to", "of", "love", "Am", "Zür", "Jean", "Baptiste", "São", "café", "works"]
    pieces = ["##ich", "##él", "##ie", "##ation", "##ing", "##s", "##er", "##able", "##ème", "##lée", "##rich"]
    vocab = specials + list(".,!?'-():;\"@/") + chars + ["##" + c for c in chars] + words + pieces
    vocab = list(dict.fromkeys(vocab))
    write_lines(path, vocab)
    return vocab


def write_lines(path, tokens):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))
    gf.WRITTEN.append(path)


# --------------------------------------------------------------------------------------------
# Byte-level BPE cut from GPT-2
# --------------------------------------------------------------------------------------------
def bpe_word(word, ranks, used):
    symbols = list(word)
    while len(symbols) > 1:
        pairs = [(ranks.get((a, b), None), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        pairs = [(r, i) for r, i in pairs if r is not None]
        if not pairs:
            break
        rank = min(r for r, _ in pairs)
        first, second = next((symbols[i], symbols[i + 1]) for r, i in pairs if r == rank)
        used.add((first, second))
        merged, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == first and symbols[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols


def roberta_files(folder, texts):
    with open(os.path.join(GPT2, "encoder.json"), encoding="utf-8") as f:
        gpt2_vocab = json.load(f)
    with open(os.path.join(GPT2, "vocab.bpe"), encoding="utf-8") as f:
        merges = [tuple(line.split()) for line in f.read().split("\n")[1:] if line.strip()]
    ranks = {m: i for i, m in enumerate(merges)}
    pre = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    used = set()
    for text in texts:
        for word, _ in pre.pre_tokenize_str(text):
            bpe_word(word, ranks, used)
    byte_symbols = pre_tokenizers.ByteLevel.alphabet()
    tokens = ["<s>", "<pad>", "</s>", "<unk>"] + sorted(byte_symbols, key=lambda s: gpt2_vocab[s])
    kept = [m for m in merges if m in used]
    for a, b in kept:
        if a + b not in tokens:
            tokens.append(a + b)
    tokens.append("<mask>")
    vocab = {t: i for i, t in enumerate(tokens)}
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in kept))
    gf.WRITTEN += [os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt")]
    return len(vocab)


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------
def labels_kw(labels):
    return dict(id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})


def bert_config(vocab_size, labels):
    cfg = gf.tiny_config(vocab_size, **labels_kw(labels))
    return cfg


def distilbert_config(vocab_size, labels):
    return DistilBertConfig(vocab_size=vocab_size, dim=32, n_layers=2, n_heads=4, hidden_dim=37,
                            max_position_embeddings=MAX_LEN, pad_token_id=0, activation="gelu",
                            **labels_kw(labels))


def roberta_config(vocab_size, labels):
    return RobertaConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=37, max_position_embeddings=MAX_LEN + 2, type_vocab_size=1,
                         layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                         **labels_kw(labels))


def build(cls, config, seed):
    """generate_fixtures.build, then word embeddings normal(0, 1): with the 0.2 of the other
    parameters, random encoders map every token to nearly the same label; larger embeddings make
    the labels depend on the tokens."""
    model = gf.build(cls, config, seed)
    with torch.no_grad():
        model.get_input_embeddings().weight.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(seed))
    return model


def label_mix(model, tok, texts, labels):
    """How well a random model exercises entity grouping: B-X/I-X -> I-X continuations, O tokens
    and distinct labels (each capped, so no single one wins)."""
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        predicted = model(**enc).logits.argmax(-1)
    rows = [[labels[k] for k, m in zip(r.tolist(), mask.tolist()) if m]
            for r, mask in zip(predicted, enc["attention_mask"])]
    merges = sum(b.startswith("I-") and a[2:] == b[2:] for row in rows for a, b in zip(row, row[1:]))
    outside = sum(row.count("O") for row in rows)
    distinct = len({label for row in rows for label in row})
    return min(merges, 40) + min(outside, 40) + 5 * distinct


def pick_model(cls, config, first_seed, tok, labels, texts=TEXTS, builder=None):
    """The model of the seed in first_seed .. first_seed + 39 with the best label_mix."""
    builder = builder or build
    best = max(range(first_seed, first_seed + 40),
               key=lambda seed: (label_mix(builder(cls, config, seed), tok, texts, labels), -seed))
    print(f"  seed {best}")
    return builder(cls, config, best)


def save_model(model, folder):
    """generate_fixtures.save_model in a scratch folder (it deletes other files of its folder)."""
    scratch = os.path.join(folder, "_model")
    gf.save_model(model, scratch)
    for name in ("config.json", "model.safetensors"):
        os.replace(os.path.join(scratch, name), os.path.join(folder, name))
        gf.WRITTEN.remove(os.path.join(scratch, name))
        gf.WRITTEN.append(os.path.join(folder, name))
    shutil.rmtree(scratch)


def save_tokenizer(tok, folder, files):
    """Saves the HF tokenizer (for the record: tokenizer.json, tokenizer_config.json), keeping
    only `files` plus the tokenizer files the Rust side reads."""
    scratch = os.path.join(folder, "_tok")
    tok.save_pretrained(scratch)
    for name in files:
        shutil.copyfile(os.path.join(scratch, name), os.path.join(folder, name))
        gf.WRITTEN.append(os.path.join(folder, name))
    shutil.rmtree(scratch)


def special_tokens_map(tok, path):
    gf.save_json(path, {k: str(getattr(tok, k)) for k in
                        ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")})


# --------------------------------------------------------------------------------------------
# HF references
# --------------------------------------------------------------------------------------------
def save_compact(path, obj):
    """One JSON object per line for the lists of entries (small and still diffable)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")
    gf.WRITTEN.append(path)


def f(x):
    return float(x)


def hf_forward(pipe, text):
    """The pipeline's own preprocess + forward (one chunk: texts fit in 64 tokens)."""
    chunks = list(pipe.preprocess(text, is_split_into_words=False))
    assert len(chunks) == 1, "text longer than the model"
    out = pipe.forward(chunks[0])
    logits = out["logits"][0].numpy()
    maxes = np.max(logits, axis=-1, keepdims=True)
    shifted = np.exp(logits - maxes)
    probs = shifted / shifted.sum(axis=-1, keepdims=True)
    return out, probs


def positions(pipe, text, labels):
    out, probs = hf_forward(pipe, text)
    ids = out["input_ids"][0].tolist()
    special = out["special_tokens_mask"][0].tolist()
    offsets = out["offset_mapping"][0].tolist()
    rows = []
    for i, p in enumerate(probs):
        k = int(p.argmax())
        rows.append(dict(index=i, id=ids[i], special=bool(special[i]), start=offsets[i][0], end=offsets[i][1],
                         probs=[f(v) for v in p], label_index=k, label=labels[k], score=f(p[k])))
    return rows


def pre_entities(pipe, text):
    out, probs = hf_forward(pipe, text)
    return pipe.gather_pre_entities(text, out["input_ids"][0], probs, out["offset_mapping"][0],
                                    out["special_tokens_mask"][0].numpy(), AggregationStrategy.FIRST)


def words(pre):
    groups = []
    for e in pre:
        if not groups or not e["is_subword"]:
            groups.append([e])
        else:
            groups[-1].append(e)
    return groups


def word_entry(group, label, score, labels):
    return dict(entity=labels[label], label_index=int(label), score=f(score), start=int(group[0]["start"]),
                end=int(group[-1]["end"]), tokens=len(group))


def last_words(pre, labels):
    result = []
    for g in words(pre):
        s = g[-1]["scores"]
        result.append(word_entry(g, s.argmax(), s.max(), labels))
    return result


def mode_words(pre, labels):
    result = []
    for g in words(pre):
        if len(g) == 1:
            s = g[0]["scores"]
            result.append(word_entry(g, s.argmax(), s.max(), labels))
            continue
        stats = {}
        for e in g:
            k = int(e["scores"].argmax())
            count, best = stats.get(k, (0, -1.0))
            stats[k] = (count + 1, max(best, f(e["scores"][k])))
        label = min(stats, key=lambda k: (-stats[k][0], -stats[k][1], k))
        score = np.mean([f(e["scores"][label]) for e in g])
        result.append(word_entry(g, label, score, labels))
    return result


def first_words(pipe, pre, labels):
    result = []
    for g, w in zip(words(pre), pipe.aggregate_words(pre, AggregationStrategy.FIRST)):
        assert w["start"] == g[0]["start"] and w["end"] == g[-1]["end"]
        result.append(dict(entity=w["entity"], label_index=labels.index(w["entity"]), score=f(w["score"]),
                           word=w["word"], start=int(w["start"]), end=int(w["end"]), tokens=len(g)))
    return result


def clean(entities):
    keys = ("entity", "entity_group", "score", "index", "word", "start", "end")
    return [{k: (f(e[k]) if k == "score" else (int(e[k]) if k in ("index", "start", "end") else e[k]))
             for k in keys if k in e} for e in entities]


def is_punctuation(word):
    # Rust's char::is_ascii_punctuation: the 32 characters of string.punctuation.
    return len(word) > 0 and all(c in string.punctuation for c in word)


def references(name, model, tok, labels, texts, pos=False):
    pipe = pipeline("token-classification", model=model, tokenizer=tok, device="cpu")
    result = dict(model=name, labels=labels, texts=texts, max_len=MAX_LEN, entries=[])
    for text in texts:
        pre = pre_entities(pipe, text)
        entry = dict(
            text=text,
            positions=positions(pipe, text, labels),
            none=clean(pipe(text, aggregation_strategy="none", ignore_labels=[])),
            first_words=first_words(pipe, pre, labels),
            last_words=last_words(pre, labels),
            mode_words=mode_words(pre, labels),
            first=clean(pipe(text, aggregation_strategy="first")),
            simple=clean(pipe(text, aggregation_strategy="simple")),
        )
        if pos:
            tagged = []
            for w in entry["first_words"]:
                w = dict(w)
                span = text[w["start"]:w["end"]]
                if is_punctuation(span) and (w["score"] < 0.5 or np.isnan(w["score"])):
                    w["entity"], w["score"] = ".", 1.0
                tagged.append(w)
            entry["pos_words"] = tagged
        none_tokens = [p for p in entry["positions"] if not p["special"]]
        assert len(none_tokens) == len(entry["none"]), name
        for p, e in zip(none_tokens, entry["none"]):
            assert p["label"] == e["entity"] and abs(p["score"] - e["score"]) < 1e-7 and p["start"] == e["start"]
        result["entries"].append(entry)
    save_compact(os.path.join(OUT, name, "expected.json"), result)
    return pipe, result


def long_text():
    parts = []
    for i in range(5):
        for s in LONG_SENTENCES:
            parts.append(s.format(i=i))
    return " ".join(parts)


def long_reference(model, tok, labels):
    text = long_text()
    enc = tok(text, truncation=True, max_length=MAX_LEN, stride=STRIDE, return_overflowing_tokens=True,
              return_offsets_mapping=True, return_special_tokens_mask=True)
    windows = len(enc["input_ids"])
    assert windows > 4, windows
    full = tok(text, return_offsets_mapping=True)
    n = len(full["input_ids"]) - 2
    step = MAX_LEN - 2 - STRIDE
    rows = {}
    with torch.no_grad():
        for k in range(windows):
            ids = torch.tensor([enc["input_ids"][k]])
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0].numpy()
            maxes = np.max(logits, axis=-1, keepdims=True)
            shifted = np.exp(logits - maxes)
            probs = shifted / shifted.sum(axis=-1, keepdims=True)
            content = len(ids[0]) - 2
            lo = STRIDE // 2 if k > 0 else 0
            hi = content - (STRIDE - STRIDE // 2) if k < windows - 1 else content
            for j in range(len(ids[0])):
                special = enc["special_tokens_mask"][k][j] == 1
                if special:
                    if j == 0 and k == 0:
                        index = 0
                    elif j > 0 and k == windows - 1:
                        index = n + 1
                    else:
                        continue
                else:
                    p = j - 1
                    if not (lo <= p < hi):
                        continue
                    index = 1 + k * step + p
                    assert full["input_ids"][index] == enc["input_ids"][k][j], (k, j)
                    assert tuple(full["offset_mapping"][index]) == tuple(enc["offset_mapping"][k][j])
                assert index not in rows, index
                pr = probs[j]
                lab = int(pr.argmax())
                start, end = enc["offset_mapping"][k][j]
                rows[index] = dict(index=index, special=bool(special), start=start, end=end,
                                   label_index=lab, label=labels[lab], score=f(pr[lab]), window=k)
    assert sorted(rows) == list(range(n + 2)), "every position taken once"
    save_compact(os.path.join(OUT, "bert_ner", "long.json"),
                 dict(text=text, max_len=MAX_LEN, stride=STRIDE, windows=windows,
                      positions=[rows[i] for i in range(n + 2)]))
    print(f"[long] {len(text)} chars, {n} tokens, {windows} windows")


def tokenizer_config(folder, **kw):
    cfg = dict(model_max_length=MAX_LEN, **kw)
    path = os.path.join(folder, "tokenizer_config.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(cfg, fh)
    if folder.startswith(OUT):
        gf.WRITTEN.append(path)


def check_splits(tok, texts, allow_unk):
    subwords = 0
    for text in texts:
        ids = tok(text)["input_ids"]
        toks = tok.convert_ids_to_tokens(ids)
        subwords += sum(t.startswith("##") for t in toks)
        if tok.unk_token_id in ids:
            assert text in allow_unk, (text, toks)
    return subwords


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    all_texts = TEXTS + POS_TEXTS + [long_text()]

    # ---- BERT NER (uncased, accents stripped) ----
    folder = os.path.join(OUT, "bert_ner")
    os.makedirs(folder)
    vocab = uncased_vocab(os.path.join(folder, "vocab.txt"))
    tokenizer_config(folder, do_lower_case=True, tokenizer_class="BertTokenizer")
    tok = BertTokenizer.from_pretrained(folder)
    unk_texts = {"I love 🦀 and 東京タワー."}
    n_sub = check_splits(tok, all_texts, unk_texts)
    model = pick_model(BertForTokenClassification, bert_config(len(vocab), NER_LABELS), 300, tok, NER_LABELS)
    save_model(model, folder)
    save_tokenizer(tok, folder, ["tokenizer.json"])
    special_tokens_map(tok, os.path.join(folder, "special_tokens_map.json"))
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as fh:
        config = json.load(fh)
    no_labels = {k: v for k, v in config.items() if k not in ("id2label", "label2id")}
    gf.save_json(os.path.join(folder, "config_no_labels.json"), no_labels)
    gap = dict(config, id2label={"0": "O", "1": "B-PER", "3": "I-PER"},
               label2id={"O": 0, "B-PER": 1, "I-PER": 3})
    gf.save_json(os.path.join(folder, "config_label_gap.json"), gap)
    _, ref = references("bert_ner", model, tok, NER_LABELS, TEXTS)
    long_reference(model, tok, NER_LABELS)
    print(f"[bert_ner] vocab {len(vocab)}, {n_sub} '##' tokens over the texts")

    # ---- BERT POS ----
    folder = os.path.join(OUT, "bert_pos")
    os.makedirs(folder)
    model = pick_model(BertForTokenClassification, bert_config(len(vocab), POS_LABELS), 400, tok, POS_LABELS)
    save_model(model, folder)
    references("bert_pos", model, tok, POS_LABELS, POS_TEXTS, pos=True)

    # ---- DistilBERT NER (cased, accents kept) ----
    folder = os.path.join(OUT, "distilbert_ner")
    os.makedirs(folder)
    vocab = cased_vocab(os.path.join(folder, "vocab.txt"))
    tokenizer_config(folder, do_lower_case=False, strip_accents=False, tokenizer_class="BertTokenizer")
    tok = BertTokenizer.from_pretrained(folder)
    n_sub = check_splits(tok, all_texts, unk_texts | {"Ame\u0301lie Poulain"})
    model = pick_model(DistilBertForTokenClassification, distilbert_config(len(vocab), NER_LABELS), 500, tok,
                       NER_LABELS)
    save_model(model, folder)
    references("distilbert_ner", model, tok, NER_LABELS, TEXTS)
    print(f"[distilbert_ner] vocab {len(vocab)}, {n_sub} '##' tokens over the texts")

    # ---- RoBERTa NER (byte-level BPE) ----
    folder = os.path.join(OUT, "roberta_ner")
    size = roberta_files(folder, all_texts)
    tokenizer_config(folder, add_prefix_space=False, tokenizer_class="RobertaTokenizer")
    tok = RobertaTokenizer.from_pretrained(folder)
    full = RobertaTokenizer.from_pretrained(GPT2_FOLDER())
    for text in all_texts:
        small = tok.convert_ids_to_tokens(tok(text)["input_ids"])
        big = full.convert_ids_to_tokens(full(text)["input_ids"])
        assert small == big, (text, small, big)
    model = pick_model(RobertaForTokenClassification, roberta_config(size, NER_LABELS), 600, tok, NER_LABELS)
    save_model(model, folder)
    references("roberta_ner", model, tok, NER_LABELS, TEXTS)
    print(f"[roberta_ner] vocab {size}")

    # ---- XLNet NER (SentencePiece), last: the models above are built exactly as before ----
    gen_xlnet_ner()
    # ---- ELECTRA NER, after XLNet: nothing above depends on it ----
    gen_electra_ner()
    # ---- Longformer NER, after ELECTRA: nothing above depends on it ----
    gen_longformer_ner()

    total = 0
    for p in gf.WRITTEN:
        total += os.path.getsize(p)
        print(f"  {os.path.relpath(p, gf.ROOT):60s} {os.path.getsize(p):>9d} B")
    print(f"  total {total / 1024:.1f} KiB")


# --------------------------------------------------------------------------------------------
# XLNet
# --------------------------------------------------------------------------------------------
def xlnet_config(vocab_size, labels):
    return XLNetConfig(vocab_size=vocab_size, d_model=32, n_layer=2, n_head=4, d_inner=37, ff_activation="gelu",
                       layer_norm_eps=1e-5, dropout=0.0, summary_type="last", summary_use_proj=True,
                       summary_activation="tanh", summary_last_dropout=0.0, pad_token_id=5, bos_token_id=1,
                       eos_token_id=2, **labels_kw(labels))


def xlnet_build(cls, config, seed):
    """build (word embeddings normal(0, 1)), then XLNet's `layer_norm` weights normal(1, 0.2)
    (generate_fixtures.randomise only knows BERT's `LayerNorm` name)."""
    model = build(cls, config, seed)
    gen = torch.Generator().manual_seed(seed + 2000)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"):
                p.normal_(1.0, 0.2, generator=gen)
    model.eval()
    return model


def xlnet_tokenizer(folder):
    tok = XLNetTokenizer.from_pretrained(folder, model_max_length=MAX_LEN, model_input_names=XLNET_INPUTS)
    tok._pad_token_type_id = 3  # HF 4.x's value; 5.24's base __init__ resets it to 0
    return tok


def xlnet_preprocess(text):
    """The text sentencepiece sees in HF 4.x's slow XLNetTokenizer (remove_space, `` and '' to ",
    NFKD without combining marks; no lower-casing)."""
    text = " ".join(text.strip().split()).replace("``", '"').replace("''", '"')
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def check_xlnet_tokenizer(tok, texts):
    """HF really reads spiece.model and gives sentencepiece's own ids (see the docstring)."""
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=XLNET_SPM)
    assert len(tok) == sp.get_piece_size() == 1000, (len(tok), sp.get_piece_size())
    assert tok.convert_ids_to_tokens(list(range(len(tok)))) == [sp.id_to_piece(i) for i in range(len(tok))]
    assert (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id, tok.unk_token_id) == (3, 4, 5, 0)
    assert tok.padding_side == "left" and tok.pad_token_type_id == 3
    for text in texts:
        assert tok(text, add_special_tokens=False)["input_ids"] == sp.encode(xlnet_preprocess(text)), text
        enc = tok(text, return_special_tokens_mask=True, return_token_type_ids=True)
        assert tok.convert_ids_to_tokens(enc["input_ids"][-2:]) == ["<sep>", "<cls>"]
        assert enc["special_tokens_mask"][-2:] == [1, 1] and sum(enc["special_tokens_mask"]) == 2
        assert enc["token_type_ids"] == [0] * (len(enc["input_ids"]) - 1) + [2]


def multi_word_entities(entry):
    """Entities of HF's "first" grouping that hold more than one (non-O) word."""
    words = [w for w in entry["first_words"] if w["entity"] != "O"]
    return sum(sum(e["start"] <= w["start"] and w["end"] <= e["end"] for w in words) > 1
               for e in entry["first"])


def gen_xlnet_ner():
    folder = os.path.join(OUT, "xlnet_ner")
    os.makedirs(folder)
    shutil.copyfile(XLNET_SPM, os.path.join(folder, "spiece.model"))
    gf.WRITTEN.append(os.path.join(folder, "spiece.model"))
    tokenizer_config(folder, do_lower_case=False, keep_accents=False, model_input_names=XLNET_INPUTS,
                     tokenizer_class="XLNetTokenizer")
    tok = xlnet_tokenizer(folder)
    check_xlnet_tokenizer(tok, XLNET_TEXTS)
    model = pick_model(XLNetForTokenClassification, xlnet_config(len(tok), NER_LABELS), 700, tok, NER_LABELS,
                       texts=XLNET_TEXTS, builder=xlnet_build)
    save_model(model, folder)
    _, ref = references("xlnet_ner", model, tok, NER_LABELS, XLNET_TEXTS)
    grouped = sum(multi_word_entities(e) for e in ref["entries"])
    merged = sum(w["tokens"] > 1 for e in ref["entries"] for w in e["first_words"])
    assert grouped > 0 and merged > 0, (grouped, merged)
    print(f"[xlnet_ner] vocab {len(tok)}, {merged} words of several tokens, {grouped} entities of several words")


def gen_electra_ner():
    folder = os.path.join(OUT, "electra_ner")
    os.makedirs(folder)
    tok = BertTokenizer.from_pretrained(os.path.join(OUT, "bert_ner"))
    config = ElectraConfig(vocab_size=len(tok), embedding_size=16, hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=4, intermediate_size=37, max_position_embeddings=MAX_LEN,
                           hidden_act="silu", layer_norm_eps=0.02, pad_token_id=0, **labels_kw(NER_LABELS))
    model = pick_model(ElectraForTokenClassification, config, 800, tok, NER_LABELS)
    save_model(model, folder)
    _, ref = references("electra_ner", model, tok, NER_LABELS, TEXTS)
    grouped = sum(multi_word_entities(e) for e in ref["entries"])
    merged = sum(w["tokens"] > 1 for e in ref["entries"] for w in e["first_words"])
    assert grouped > 0 and merged > 0, (grouped, merged)
    print(f"[electra_ner] {merged} words of several tokens, {grouped} entities of several words")


def gen_longformer_ner():
    """Longformer on roberta_ner's byte-level BPE (its files are read from there): windows [4, 8]
    (texts of up to 64 tokens padded to a multiple of 8), gelu_new, layer_norm_eps 0.02; no global
    attention (HF's token classifier sets none)."""
    from transformers import LongformerConfig, LongformerForTokenClassification

    folder = os.path.join(OUT, "longformer_ner")
    os.makedirs(folder, exist_ok=True)
    tok = RobertaTokenizer.from_pretrained(os.path.join(OUT, "roberta_ner"))
    config = LongformerConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                              intermediate_size=37, max_position_embeddings=MAX_LEN + 2, type_vocab_size=1,
                              attention_window=[4, 8], hidden_act="gelu_new", layer_norm_eps=0.02,
                              pad_token_id=1, bos_token_id=0, eos_token_id=2, sep_token_id=2,
                              **labels_kw(NER_LABELS))
    model = pick_model(LongformerForTokenClassification, config, 900, tok, NER_LABELS)
    save_model(model, folder)
    _, ref = references("longformer_ner", model, tok, NER_LABELS, TEXTS)
    grouped = sum(multi_word_entities(e) for e in ref["entries"])
    merged = sum(w["tokens"] > 1 for e in ref["entries"] for w in e["first_words"])
    print(f"[longformer_ner] {merged} words of several tokens, {grouped} entities of several words")


_GPT2_SCRATCH = []


def GPT2_FOLDER():
    """A scratch folder holding the full GPT-2 vocabulary as a RoBERTa tokenizer (for the check)."""
    import tempfile

    folder = tempfile.mkdtemp()
    _GPT2_SCRATCH.append(folder)
    with open(os.path.join(GPT2, "encoder.json"), encoding="utf-8") as fh:
        vocab = json.load(fh)
    for special in ("<s>", "<pad>", "</s>", "<unk>", "<mask>"):
        vocab.setdefault(special, len(vocab))
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as fh:
        json.dump(vocab, fh, ensure_ascii=False)
    shutil.copyfile(os.path.join(GPT2, "vocab.bpe"), os.path.join(folder, "merges.txt"))
    tokenizer_config(folder, add_prefix_space=False)
    return folder


if __name__ == "__main__":
    torch.set_num_threads(1)
    try:
        main()
    finally:
        for d in _GPT2_SCRATCH:
            shutil.rmtree(d, ignore_errors=True)
