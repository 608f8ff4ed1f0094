#!/usr/bin/env python3
"""Question-answering pipeline parity fixtures under tests/fixtures/pipeline_qa/ (see
shared/docs/parity.md, "Pipelines HF 5.24 no longer ships").

Run from the repository root:  .venv/bin/python utils/fixtures_pipeline_qa.py
Deterministic: fixed seeds, single-threaded torch (set by generate_fixtures on import); two runs
write identical files.

Which algorithm the reference follows
-------------------------------------
HF 5.24 removed `QuestionAnsweringPipeline`. The reference is the HF 4.x pipeline (4.26 to 4.57,
fast-tokenizer path, the defaults `align_to_words=True`, `handle_impossible_answer=False`) rebuilt
here from HF 5.24 parts:
  1. Windows: the 5.24 fast tokenizer called as 4.x's `preprocess` called it:
     tok(question, context, truncation="only_second", max_length=max_seq_length,
         stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True,
         return_special_tokens_mask=True, return_token_type_ids=True)
     (question first: the BERT, DistilBERT and RoBERTa tokenizers pad on the right; XLNet's pads on
     the left, see "XLNet" below). The question is never truncated
     (4.x's fast path ignores `max_question_len`; every question here is shorter than
     max_query_length, so the Rust side's question truncation does not apply).
  2. p_mask: 1 everywhere but on context tokens (`sequence_ids == 1`); every position holding
     `cls_token_id` is unmasked (4.x keeps CLS for unanswerable questions).
  3. The model, one window at a time (4.x's default batch_size=1), with `tokenizer.model_input_names`
     (input_ids, attention_mask, plus token_type_ids for BERT).
  4. Span selection: `select_starts_ends` as HF 5.24 still ships it in
     transformers/pipelines/document_question_answering.py (imported below, not copied): masked
     logits set to -10000, softmax over the window (so CLS stays in the denominator), then the CLS
     probability zeroed (`start[0, 0] = end[0, 0] = 0`), scores = outer(start, end) limited to
     end >= start and end - start < max_answer_length; top_k per window.
  5. 4.x `get_indices` with align_to_words=True: token -> word (`Encoding.token_to_word`) ->
     character span of that word within the window (`Encoding.word_to_chars(word, sequence_index=1)`),
     falling back to the token offsets when there is no word.
  6. 4.x `postprocess`: the answers of every window sorted by score, first top_k.
  Stored as `hf4_answers`.

XLNet: context first, with two deliberate fixes of HF 4.x
----------------------------------------------------------
HF 4.x chose the order with `question_first = tokenizer.padding_side == "right"`; XLNet's tokenizer
pads on the left, so for XLNet the CONTEXT COMES FIRST. The xlnet/ reference is steps 1-6 with:
  1'. Windows: tok(context, question, truncation="only_first", max_length=max_seq_length,
      stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True,
      return_special_tokens_mask=True, return_token_type_ids=True): the context (sequence 0) is
      split into overlapping windows, each followed by the whole question:
      `context piece <sep> question <sep> <cls>`, token types 0 .. 0 1 .. 1 2 (no padding).
  2'. p_mask: 1 everywhere but on the context tokens (`sequence_ids == 0`) and the <cls> position.
      FIX 1: 4.x's expression `tok != 1 if question_first else 0` is 0 for every token when the
      context is first, so 4.x masked NOTHING and let answers start or end in the question, <sep>
      or <cls> (with this model about a third of the per-window top-k spans of 4.x's version touch
      them; their characters then come from `word_to_chars(.., sequence_index=0)` of a question
      word index, i.e. a wrong context word).
  3'. The model gets input_ids, attention_mask and token_type_ids (4.x's model_input_names for
      XLNet; HF 5.24's XLNetTokenizer dropped token_type_ids from them, and its pad_token_type_id
      to 0: both set back on the tokenizer object, pad type 3).
  4'. Span selection: select_starts_ends_cls below, HF's select_starts_ends line for line (same
      float32 numpy operations, same decode_spans imported from HF; checked equal to HF's for the
      CLS at index 0) except that the CLS probability is zeroed at the <cls> token's own position,
      the last one. FIX 2: 4.x zeroed index 0, which for XLNet is the first context token (so a
      window's first token could never be an answer) and left <cls> in the candidates.
  5'. get_indices with `word_to_chars(word, sequence_index=0)` (what 4.x did for context first).
      XLNet's words are whitespace-separated (WhitespaceSplit pre-tokenizer), so answers are
      whole whitespace words, punctuation included ("hills."). A word cut by a window edge maps
      to the characters of its pieces inside that window (e.g. "s walk", "carries car", "y by
      hand." in xlnet/expected.json): the 1000-piece model splits words into ~3 pieces, so windows
      cut words far more often than for the other models.
  `hf4_answers` (a required field of the format) holds the FIXED 4.x list (steps 1'-5', then 6:
  per-window top_k, sorted, cut; duplicates kept), `answers` the merged distinct spans as below.
  Neither is what HF 4.x printed for XLNet (that had the two bugs above).
  Cases: XLNET_CASES = CASES with the UNICODE context rewritten as UNICODE_XLNET (no double space,
  tab, newline or zero-width space: the Rust SentencePiece tokenizer differs from HF there, see
  tests/tokenizers.rs; accents, CJK, emoji and guillemets kept).

The pipeline's answers (`answers`, what the Rust tests compare to) add one step to that algorithm:
identical character spans are merged, keeping their best score, before the top_k cut. HF 4.x
returns the same span several times when two windows overlap on it, or when two token spans
widen to the same words (e.g. `play ##ed` and `##ed` both give "played"); rust-bert 0.23 also
removes duplicate spans. So `answers` = the top_k distinct character spans, each scored by the
best (window, token span) giving it, taken over every span with a positive score (spans that
include a masked token have probability exactly 0 in float32 and are never answers). Whenever
HF 4.x's list has no duplicate, the two lists are identical (checked below for every case); the
script prints the cases where they differ. Ties are broken by (start, end); the script asserts
that consecutive scores in each list, and the k-th and (k+1)-th distinct spans, differ by more
than 1e-4 relative, so float noise cannot reorder them.

Files
-----
vocab.txt
    A tiny WordPiece vocabulary cut from all-MiniLM-L6-v2's (bert-base-uncased) vocab.txt: the special
    tokens, punctuation and the word pieces the full vocabulary gives for every text below, minus some
    whole words so that they split into '##' pieces (FORCE_SPLIT) and minus the pieces of the words in
    UNKNOWN_WORDS (they become [UNK]); MiniLM id order ([PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4).
tokenizer.json, special_tokens_map.json, tokenizer_config.json
    HF 5.24 `BertTokenizer(vocab.txt, do_lower_case=True)` saved with save_pretrained (the
    tokenizer.json variant of TokenizerOption is checked on it); special_tokens_map.json is written
    here (5.24 no longer writes it).
bert/, distilbert/, roberta/, xlnet/: {config.json, model.safetensors, expected.json}
    (+ xlnet/spiece.model, xlnet/tokenizer_config.json)
    Tiny random models (every parameter normal(0, 0.2), LayerNorm weights normal(1, 0.2); the
    qa_outputs layer normal(0, 0.6) so that span scores are spread as a trained model's are):
    - bert: BertForQuestionAnswering, hidden 32, 2 layers, 4 heads, intermediate 37, 64 positions;
      pipeline settings max_seq_length 40, doc_stride 10, max_query_length 16, max_answer_length 8.
    - distilbert: DistilBertForQuestionAnswering (dim 32, 2 layers, 4 heads, hidden_dim 37, 64
      positions); DistilBertTokenizer on the same vocab.txt; settings 64 / 16 / 16 / 15.
    - roberta: RobertaForQuestionAnswering (hidden 32, 2 layers, 4 heads, 66 positions,
      layer_norm_eps 1e-5) with a small byte-level BPE (bpe/vocab.json, bpe/merges.txt): the
      256 byte symbols, fairseq's <s>/<pad>/</s>/<unk>/<mask>, and exactly the GPT-2 merges (in
      GPT-2's order) that GPT-2's BPE applies to the words of the texts below, so these texts
      tokenize as with the full GPT-2 vocabulary; HF RobertaTokenizer (add_prefix_space=False,
      trim_offsets=True); settings 48 / 12 / 16 / 10.
    - xlnet: XLNetForQuestionAnsweringSimple (d_model 32, n_layer 2, n_head 4, d_inner 37, gelu,
      layer_norm_eps 1e-5, dropout 0, summary_last_dropout 0, summary_type "last",
      summary_use_proj, summary_activation tanh, mem_len 512, pad 5 / bos 1 / eos 2; no position
      limit), randomised as above (its `layer_norm` weights normal(1, 0.2), qa_outputs normal(0,
      0.6)), seed 1014, generated after the other models. Tokenizer: xlnet/spiece.model, a copy of
      tests/fixtures/tokenizers/spm/xlnet.model (1000 pieces; <unk>=0 <s>=1 </s>=2 <cls>=3 <sep>=4
      <pad>=5), loaded with HF 5.24 `XLNetTokenizer.from_pretrained(xlnet/)` (xlnet/
      tokenizer_config.json: no lower-casing, model_input_names with token_type_ids); accents
      stripped, whitespace runs collapsed. Checked: 1000 tokens in spm order, ids = sentencepiece's
      ids of HF 4.x's preprocessed text for every question and context. Settings 64 / 16 / 40 / 12
      (the short_context question is 37 pieces). Context first: see "XLNet" above.
    - electra: ElectraForQuestionAnswering (embedding_size 16 projected to hidden 32 by
      embeddings_project, 2 layers, 4 heads, intermediate 37, 64 positions, hidden_act silu,
      layer_norm_eps 0.02), randomised as above, seed 1015, generated last (after the SQuAD
      files). Tokenizer: HF 5.24 maps model type "electra" to BertTokenizer, so BERT's
      vocab.txt, lower-cased, with token_type_ids; question first; settings 40 / 10 / 16 / 8.
    expected.json: {"settings": {max_seq_length, doc_stride, max_query_length, max_answer_length},
      "cases": [{"name", "question", "context", "top_k",
                 "windows": [[input ids of each window]],   (XLNet: context piece first)
                 "answers": [{"score", "start", "end", "answer"}],   (the pipeline's, see above)
                 "hf4_answers": [...same fields...]}]}
    start/end are character (Unicode code point) offsets into `context`; answer = context[start:end].
squad_v1.json, squad_v2.json, squad_expected.json
    Two small SQuAD-format files (v2 with is_impossible / plausible_answers) and the (question, context)
    pairs a reader must produce from them, in file order.
bench_squad.json
    The workload of benches/question_answering.rs and its Python twin utils/bench_question_answering.py:
    a SQuAD v1.1 file of 64 questions on 8 paragraphs made of the texts below (30 to 480 words; the
    longest needs several windows at max_seq_length 384 / doc_stride 128).
"""

import json
import os
import shutil
import sys
import tempfile
import unicodedata

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402  (torch threads, determinism, logging)

import torch  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig,
    BertForQuestionAnswering,
    BertTokenizer,
    DistilBertConfig,
    DistilBertForQuestionAnswering,
    DistilBertTokenizer,
    ElectraConfig,
    ElectraForQuestionAnswering,
    RobertaConfig,
    RobertaForQuestionAnswering,
    RobertaTokenizer,
    XLNetConfig,
    XLNetForQuestionAnsweringSimple,
    XLNetTokenizer,
)
from transformers.pipelines.document_question_answering import decode_spans, select_starts_ends  # noqa: E402

OUT = os.path.join(gf.FIX, "pipeline_qa")
GPT2 = os.path.join(gf.FIX, "tokenizers", "gpt2")
XLNET_SPM = os.path.join(gf.FIX, "tokenizers", "spm", "xlnet.model")
XLNET_INPUTS = ["input_ids", "token_type_ids", "attention_mask"]

# ---------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------
TOWN = (
    "The river town of Ashford sits at the foot of green hills. Its old stone bridge was built in "
    "1820 by local farmers, who carried every block from the quarry by hand. Today the bridge "
    "carries cars and buses, and tourists walk across it to visit the market, which opens every "
    "Saturday morning. The market sells bread, cheese, apples and honey, and musicians played near "
    "the fountain until noon."
)
SCIENCE = (
    "Marie Curie was born in Warsaw in 1867. She moved to Paris, where she studied physics and "
    "mathematics at the Sorbonne. In 1903 she shared the Nobel Prize in Physics with her husband "
    "Pierre and with Henri Becquerel, and in 1911 she received a second Nobel Prize, this time in "
    "chemistry, for the discovery of polonium and radium."
)
UNICODE = (
    "Le café de la gare, à Zürich, ouvre à 7 h. Près du 東京 stand, a naïve visitor asked 🙂 for "
    "tea\tand\ncake;  the waiter smiled\u200b and said: «voilà»."
)
SHORT = "The quarry."
HARBOUR = (
    "North of the hills lies a small harbour, where fishing boats leave before dawn and return in the "
    "late afternoon. In 1954 a storm destroyed the northern wall, and the people of the town rebuilt it "
    "within two years. A lighthouse painted red and white guides ships past the rocks, and its keeper, "
    "an old sailor named Tom, has lived there since 1988."
)
SCHOOL = (
    "The village school has three classrooms and a library with nearly four thousand books. Children "
    "learn music on Tuesday and Thursday, and every spring they plant trees along the road to the "
    "station. Their teacher, Mrs Green, says the garden behind the school grows the best tomatoes in "
    "the county."
)
LONG = " ".join([SCIENCE, HARBOUR, TOWN, SCHOOL])

# (name, question, context, top_k)
CASES = [
    ("town_when", "When was the bridge built?", TOWN, 1),
    ("town_who", "Who carried the stone blocks?", TOWN, 3),
    ("town_what", "What does the market sell?", TOWN, 5),
    ("town_open", "When does the market open?", TOWN, 2),
    ("town_many", "Who played near the fountain?", TOWN, 12),
    ("science_where", "Where was Marie Curie born?", SCIENCE, 1),
    ("science_what", "What did she discover?", SCIENCE, 3),
    ("science_who", "Who shared the prize with her?", SCIENCE, 4),
    ("unicode", "Where is the café?", UNICODE, 3),
    ("short_context", "Where did the old farmers carry the heavy stone blocks from?", SHORT, 2),
    ("no_answer", "What colour is the sky on Mars?", TOWN, 3),
    ("long", "Which prize did she receive in 1911?", LONG, 3),
]

FORCE_SPLIT = {"played", "farmers", "tourists", "musicians", "opens", "hills", "apples", "received"}
SPLIT_PIECES = ["play", "farmer", "tourist", "musician", "open", "hill", "apple", "receive",
                "##ed", "##s", "##d", "##es"]
UNKNOWN_WORDS = {"ashford", "sorbonne", "becquerel", "polonium"}

SETTINGS = {
    "bert": dict(max_seq_length=40, doc_stride=10, max_query_length=16, max_answer_length=8),
    "distilbert": dict(max_seq_length=64, doc_stride=16, max_query_length=16, max_answer_length=15),
    "roberta": dict(max_seq_length=48, doc_stride=12, max_query_length=16, max_answer_length=10),
    # the 1000-piece SentencePiece model cuts words into ~3 pieces: the short_context question is
    # 37 pieces long, hence max_query_length 40
    "xlnet": dict(max_seq_length=64, doc_stride=16, max_query_length=40, max_answer_length=12),
    "electra": dict(max_seq_length=40, doc_stride=10, max_query_length=16, max_answer_length=8),
    "longformer": dict(max_seq_length=48, doc_stride=12, max_query_length=16, max_answer_length=10),
}

# XLNet's cases: CASES with the UNICODE context written without its whitespace runs, tab, newline
# and zero-width space (HF's SentencePiece normalisation of those differs from the Rust
# SentencePiece tokenizer's: tests/tokenizers.rs); accents, CJK, emoji and guillemets stay.
UNICODE_XLNET = (
    "Le café de la gare, à Zürich, ouvre à 7 h. Près du 東京 stand, a naïve visitor asked 🙂 for "
    "tea and cake; the waiter smiled and said: «voilà»."
)
XLNET_CASES = [(n, q, UNICODE_XLNET if c == UNICODE else c, k) for n, q, c, k in CASES]


def save_json(path, obj):
    gf.save_json(path, obj)


# ---------------------------------------------------------------------------------------------
# Tokenizers
# ---------------------------------------------------------------------------------------------
def all_texts():
    texts = []
    for _, q, c, _ in CASES:
        texts += [q, c]
    return texts


def gen_wordpiece():
    full_path = os.path.join(gf.MINILM, "vocab.txt")
    full = gf.load_vocab(full_path)
    full_id = {t: i for i, t in enumerate(full)}
    full_tok = BertTokenizer(full_path, do_lower_case=True)
    words = set()
    for text in all_texts():
        for word in full_tok.backend_tokenizer.pre_tokenizer.pre_tokenize_str(
                full_tok.backend_tokenizer.normalizer.normalize_str(text)):
            words.add(word[0])
    chosen = set(gf.SPECIALS) | set(gf.PUNCT) | set(SPLIT_PIECES)
    for word in sorted(words):
        if word in UNKNOWN_WORDS or word in FORCE_SPLIT:
            continue
        chosen |= set(full_tok.tokenize(word))
    chosen.discard("[UNK]")
    chosen |= {"[UNK]"}
    missing = sorted(t for t in chosen if t not in full_id)
    assert not missing, missing
    vocab = sorted(chosen, key=lambda t: full_id[t])
    assert vocab[:5] == gf.SPECIALS, vocab[:5]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    gf.WRITTEN.append(path)

    tok = BertTokenizer(path, do_lower_case=True)
    for word in FORCE_SPLIT:
        pieces = tok.tokenize(word)
        assert len(pieces) > 1 and "[UNK]" not in pieces, (word, pieces)
    for word in UNKNOWN_WORDS:
        assert tok.tokenize(word) == ["[UNK]"], (word, tok.tokenize(word))
    # tokenizer.json for TokenizerOption::from_hf_tokenizer_file
    scratch = os.path.join(OUT, "_scratch")
    shutil.rmtree(scratch, ignore_errors=True)
    tok.save_pretrained(scratch)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(scratch, name), os.path.join(OUT, name))
        gf.WRITTEN.append(os.path.join(OUT, name))
    shutil.rmtree(scratch)
    save_json(os.path.join(OUT, "special_tokens_map.json"), {
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
        "mask_token": "[MASK]"})
    print(f"[vocab] {len(vocab)} WordPiece tokens; town context: {tok.tokenize(TOWN)[:24]}")
    return path


def bpe_merges_used(texts):
    """The GPT-2 merges its BPE applies to the pre-tokens of `texts`, in GPT-2's rank order, and the
    symbols they create."""
    from tokenizers import pre_tokenizers

    with open(os.path.join(GPT2, "vocab.bpe"), encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#version")]
    ranks = {tuple(line.split(" ")): i for i, line in enumerate(lines)}
    pre = pre_tokenizers.ByteLevel(add_prefix_space=False)
    used = set()
    symbols = set()
    for text in texts:
        for piece, _ in pre.pre_tokenize_str(text):
            word = list(piece)
            symbols |= set(word)
            while len(word) > 1:
                pairs = [(ranks.get((a, b), None), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
                pairs = [p for p in pairs if p[0] is not None]
                if not pairs:
                    break
                rank, _ = min(pairs)
                a, b = lines[rank].split(" ")
                used.add(rank)
                merged, i = [], 0
                while i < len(word):
                    if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                        merged.append(a + b)
                        i += 2
                    else:
                        merged.append(word[i])
                        i += 1
                word = merged
                symbols |= set(word)
    return [lines[r] for r in sorted(used)], symbols


def gen_bpe():
    from tokenizers.pre_tokenizers import ByteLevel

    merges, symbols = bpe_merges_used(all_texts())
    alphabet = ByteLevel.alphabet()
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for sym in sorted(alphabet):
        vocab.setdefault(sym, len(vocab))
    for line in merges:
        vocab.setdefault(line.replace(" ", ""), len(vocab))
    assert symbols <= set(vocab), sorted(symbols - set(vocab))[:10]
    vocab["<mask>"] = len(vocab)
    # not in roberta/: save_pretrained there removes files it did not write
    folder = os.path.join(OUT, "bpe")
    os.makedirs(folder, exist_ok=True)
    save_json(os.path.join(folder, "vocab.json"), vocab)
    path = os.path.join(folder, "merges.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(m + "\n" for m in merges))
    gf.WRITTEN.append(path)
    tok = RobertaTokenizer(os.path.join(folder, "vocab.json"), path, add_prefix_space=False)
    full = RobertaTokenizer(os.path.join(GPT2, "encoder.json"), os.path.join(GPT2, "vocab.bpe"))
    for text in all_texts():
        assert tok.tokenize(text) == full.tokenize(text), text
    print(f"[bpe] {len(vocab)} tokens, {len(merges)} merges; e.g. {tok.tokenize(SCIENCE)[:12]}")
    return tok, len(vocab)


# ---------------------------------------------------------------------------------------------
# Reference algorithm (see the module docstring)
# ---------------------------------------------------------------------------------------------
def get_indices(enc, s, e, sequence_index=1):
    """4.x QuestionAnsweringPipeline.get_indices with align_to_words=True; the context is sequence 1
    (question first) or 0 (XLNet, context first)."""
    try:
        start_word = enc.token_to_word(s)
        end_word = enc.token_to_word(e)
        start = enc.word_to_chars(start_word, sequence_index=sequence_index)[0]
        end = enc.word_to_chars(end_word, sequence_index=sequence_index)[1]
    except Exception:
        start = enc.offsets[s][0]
        end = enc.offsets[e][1]
    return start, end


def answer(context, score, start, end):
    return {"score": float(score), "start": int(start), "end": int(end), "answer": context[start:end]}


def select_starts_ends_cls(start, end, p_mask, attention_mask, top_k, max_answer_len, cls_index):
    """HF 5.24's select_starts_ends (min_null_score unused, handle_impossible_answer=False), line for
    line the same float32 operations, but the CLS probability zeroed at `cls_index`, the CLS
    token's own position, instead of index 0 (XLNet's <cls> is last). Checked against
    select_starts_ends for cls_index 0 (check_select_starts_ends)."""
    undesired_tokens = np.abs(np.array(p_mask) - 1)
    if attention_mask is not None:
        undesired_tokens = undesired_tokens & attention_mask
    undesired_tokens_mask = undesired_tokens == 0.0
    start = np.where(undesired_tokens_mask, -10000.0, start)
    end = np.where(undesired_tokens_mask, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    start[0, cls_index] = end[0, cls_index] = 0.0
    starts, ends, scores = decode_spans(start, end, top_k, max_answer_len, undesired_tokens)
    return starts, ends, scores, None


def check_select_starts_ends():
    gen = np.random.default_rng(5)
    for n in (7, 30, 64):
        start = gen.normal(0.0, 3.0, (1, n)).astype(np.float32)
        end = gen.normal(0.0, 3.0, (1, n)).astype(np.float32)
        p_mask = np.array([[int(gen.random() < 0.3) for _ in range(n)]])
        p_mask[0, 0] = 0
        attention = np.ones((1, n), dtype=np.int64)
        for k in (1, 5, n * n):
            ours = select_starts_ends_cls(start, end, p_mask, attention, k, 8, 0)
            hf = select_starts_ends(start, end, p_mask, attention, 1000000, k, False, 8)
            for a, b in zip(ours[:3], hf[:3]):
                assert np.array_equal(a, b) and a.dtype == b.dtype


def reference(model, tok, question, context, top_k, settings, token_types, context_first=False):
    if context_first:
        # HF 4.x for a tokenizer padding on the left (XLNet): question_first = False
        enc = tok(
            context, question, truncation="only_first", max_length=settings["max_seq_length"],
            stride=settings["doc_stride"], return_overflowing_tokens=True, return_offsets_mapping=True,
            return_special_tokens_mask=True, return_token_type_ids=True,
        )
    else:
        enc = tok(
            question, context, truncation="only_second", max_length=settings["max_seq_length"],
            stride=settings["doc_stride"], return_overflowing_tokens=True, return_offsets_mapping=True,
            return_special_tokens_mask=True, return_token_type_ids=True,
        )
    context_index = 0 if context_first else 1
    assert len(tok(question)["input_ids"]) - tok.num_special_tokens_to_add() <= settings["max_query_length"]
    windows, hf4, best = [], [], {}
    for w in range(len(enc["input_ids"])):
        ids = enc["input_ids"][w]
        windows.append(ids)
        p_mask = [0 if sid == context_index else 1 for sid in enc.sequence_ids(w)]
        for j, t in enumerate(ids):
            if t == tok.cls_token_id:
                p_mask[j] = 0
        cls_positions = [j for j, t in enumerate(ids) if t == tok.cls_token_id]
        if context_first:
            # XLNet: `context <sep> question <sep> <cls>`, token types 0 .. 1 .. 2
            assert cls_positions == [len(ids) - 1] and enc.sequence_ids(w)[0] == 0, (ids, cls_positions)
        else:
            assert cls_positions == [0], (ids, cls_positions)
        inputs = {"input_ids": torch.tensor([ids]), "attention_mask": torch.tensor([enc["attention_mask"][w]])}
        if token_types:
            inputs["token_type_ids"] = torch.tensor([enc["token_type_ids"][w]])
        with torch.no_grad():
            out = model(**inputs)
        start, end = out.start_logits.numpy(), out.end_logits.numpy()
        p_mask = np.array([p_mask])
        attention = inputs["attention_mask"].numpy()
        mal = settings["max_answer_length"]
        window = enc[w]  # tokenizers.Encoding of this window

        def select(k):
            if context_first:
                return select_starts_ends_cls(start, end, p_mask, attention, k, mal, cls_positions[0])
            return select_starts_ends(start, end, p_mask, attention, 1000000, k, False, mal)

        starts, ends, scores, _ = select(top_k)
        for s, e, score in zip(starts, ends, scores):
            hf4.append(answer(context, score, *get_indices(window, int(s), int(e), context_index)))
        # every candidate, for the distinct-span merge
        n = start.shape[-1]
        starts, ends, scores, _ = select(n * n)
        for s, e, score in zip(starts, ends, scores):
            if score <= 0:
                continue
            span = get_indices(window, int(s), int(e), context_index)
            if score > best.get(span, 0.0):
                best[span] = float(score)
    hf4 = sorted(hf4, key=lambda a: a["score"], reverse=True)[:top_k]
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    answers = [answer(context, score, s, e) for (s, e), score in ranked[:top_k]]
    # ranks must not depend on float noise
    for i in range(min(top_k, len(ranked) - 1)):
        a, b = ranked[i][1], ranked[i + 1][1]
        assert a - b > 1e-4 * a, f"{question!r}: scores {a} and {b} too close to rank reliably"
    if len({(a["start"], a["end"]) for a in hf4}) == len(hf4) and all(a["score"] > 0 for a in hf4):
        assert [(a["start"], a["end"]) for a in hf4] == [(a["start"], a["end"]) for a in answers], (hf4, answers)
        assert all(abs(a["score"] - b["score"]) < 1e-7 for a, b in zip(hf4, answers))
        differs = False
    else:
        differs = True
    return windows, answers, hf4, differs


def randomise(model, seed):
    gf.randomise(model, seed)
    torch.manual_seed(seed + 7)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"):
                p.normal_(1.0, 0.2)
            if name.startswith("qa_outputs."):
                p.normal_(0.0, 0.6)
    model.eval()


def gen_model(name, model, tok, token_types, all_cases=CASES, context_first=False):
    folder = os.path.join(OUT, name)
    gf.save_model(model, folder)
    settings = SETTINGS[name]
    cases = []
    for case, question, context, top_k in all_cases:
        windows, answers, hf4, differs = reference(model, tok, question, context, top_k, settings, token_types,
                                                   context_first)
        cases.append({"name": case, "question": question, "context": context, "top_k": top_k,
                      "windows": windows, "answers": answers, "hf4_answers": hf4})
        note = "  (HF 4.x list has duplicate spans)" if differs else ""
        print(f"  [{name}] {case}: {len(windows)} window(s), best {answers[0]['answer']!r} "
              f"{answers[0]['score']:.4f}{note}")
    assert any(len(c["windows"]) > 2 for c in cases)
    save_json(os.path.join(folder, "expected.json"), {"settings": settings, "cases": cases})


def gen_models(vocab_path):
    V = len(gf.load_vocab(vocab_path))
    # BERT
    torch.manual_seed(11)
    config = BertConfig(
        vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
        max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
        pad_token_id=0,
    )
    config._attn_implementation = "eager"
    model = BertForQuestionAnswering(config)
    randomise(model, 1011)
    gen_model("bert", model, BertTokenizer(vocab_path, do_lower_case=True), True)
    # DistilBERT
    torch.manual_seed(12)
    config = DistilBertConfig(
        vocab_size=V, dim=32, n_layers=2, n_heads=4, hidden_dim=37, max_position_embeddings=64,
        activation="gelu", pad_token_id=0,
    )
    config._attn_implementation = "eager"
    model = DistilBertForQuestionAnswering(config)
    randomise(model, 1012)
    gen_model("distilbert", model, DistilBertTokenizer(vocab_path, do_lower_case=True), False)
    # RoBERTa
    tok, V = gen_bpe()
    torch.manual_seed(13)
    config = RobertaConfig(
        vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
        max_position_embeddings=66, type_vocab_size=1, hidden_act="gelu", layer_norm_eps=1e-5,
        pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
    config._attn_implementation = "eager"
    model = RobertaForQuestionAnswering(config)
    randomise(model, 1013)
    gen_model("roberta", model, tok, False)
    # XLNet last: the models above are built exactly as before
    gen_xlnet()


# ---------------------------------------------------------------------------------------------
# XLNet (context first, see the module docstring)
# ---------------------------------------------------------------------------------------------
def write_xlnet_tokenizer(folder, record=True):
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(XLNET_SPM, os.path.join(folder, "spiece.model"))
    config = {"do_lower_case": False, "keep_accents": False, "model_input_names": XLNET_INPUTS,
              "tokenizer_class": "XLNetTokenizer"}
    path = os.path.join(folder, "tokenizer_config.json")
    if record:
        gf.WRITTEN.append(os.path.join(folder, "spiece.model"))
        save_json(path, config)
    else:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f)


def xlnet_tokenizer(folder):
    tok = XLNetTokenizer.from_pretrained(folder, model_input_names=XLNET_INPUTS)
    tok._pad_token_type_id = 3  # HF 4.x's value; 5.24's base __init__ resets it to 0
    return tok


def xlnet_preprocess(text):
    """The text sentencepiece sees in HF 4.x's slow XLNetTokenizer (remove_space, `` and '' to ",
    NFKD without combining marks; no lower-casing)."""
    text = " ".join(text.strip().split()).replace("``", '"').replace("''", '"')
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def check_xlnet_tokenizer(tok, texts):
    """HF really reads spiece.model (5.24's XLNetTokenizer(vocab_file=...) silently builds a 9-token
    vocabulary) and gives sentencepiece's own ids."""
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=XLNET_SPM)
    assert len(tok) == sp.get_piece_size() == 1000, (len(tok), sp.get_piece_size())
    assert tok.convert_ids_to_tokens(list(range(len(tok)))) == [sp.id_to_piece(i) for i in range(len(tok))]
    assert (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id) == (3, 4, 5)
    assert tok.padding_side == "left" and tok.pad_token_type_id == 3
    for text in texts:
        assert tok(text, add_special_tokens=False)["input_ids"] == sp.encode(xlnet_preprocess(text)), text
    enc = tok("a b", "c", return_token_type_ids=True)
    assert tok.convert_ids_to_tokens(enc["input_ids"]) == ["▁a", "▁b", "<sep>", "▁c", "<sep>", "<cls>"], enc
    assert enc["token_type_ids"] == [0, 0, 0, 1, 1, 2], enc


def gen_xlnet():
    check_select_starts_ends()
    with tempfile.TemporaryDirectory() as scratch:
        write_xlnet_tokenizer(scratch, record=False)
        tok = xlnet_tokenizer(scratch)
    texts = [t for _, q, c, _ in XLNET_CASES for t in (q, c)]
    check_xlnet_tokenizer(tok, texts)
    torch.manual_seed(14)
    config = XLNetConfig(
        vocab_size=len(tok), d_model=32, n_layer=2, n_head=4, d_inner=37, ff_activation="gelu",
        layer_norm_eps=1e-5, dropout=0.0, summary_type="last", summary_use_proj=True,
        summary_activation="tanh", summary_last_dropout=0.0, pad_token_id=5, bos_token_id=1, eos_token_id=2,
    )
    config._attn_implementation = "eager"
    model = XLNetForQuestionAnsweringSimple(config)
    randomise(model, 1014)  # its `layer_norm` weights normal(1, 0.2), qa_outputs normal(0, 0.6)
    gen_model("xlnet", model, tok, True, XLNET_CASES, context_first=True)
    # after gen_model: gf.save_model removes the folder's other files
    write_xlnet_tokenizer(os.path.join(OUT, "xlnet"))


# ---------------------------------------------------------------------------------------------
# SQuAD files
# ---------------------------------------------------------------------------------------------
def gen_squad():
    v1 = {"version": "1.1", "data": [
        {"title": "Town", "paragraphs": [
            {"context": TOWN, "qas": [
                {"id": "t1", "question": "When was the bridge built?",
                 "answers": [{"text": "1820", "answer_start": TOWN.index("1820")}]},
                {"id": "t2", "question": "What does the market sell?",
                 "answers": [{"text": "bread", "answer_start": TOWN.index("bread")}]}]},
            {"context": SHORT, "qas": [
                {"id": "t3", "question": "Where from?", "answers": [{"text": "The quarry", "answer_start": 0}]}]}]},
        {"title": "Science", "paragraphs": [
            {"context": SCIENCE, "qas": [
                {"id": "s1", "question": "Where was Marie Curie born?",
                 "answers": [{"text": "Warsaw", "answer_start": SCIENCE.index("Warsaw")}]}]}]},
    ]}
    v2 = {"version": "v2.0", "data": [
        {"title": "Unicode", "paragraphs": [
            {"context": UNICODE, "qas": [
                {"id": "u1", "question": "Where is the café?", "is_impossible": False,
                 "answers": [{"text": "Zürich", "answer_start": UNICODE.index("Zürich")}]},
                {"id": "u2", "question": "Who owns the café?", "is_impossible": True, "answers": [],
                 "plausible_answers": [{"text": "the waiter", "answer_start": UNICODE.index("the waiter")}]}]}]},
    ]}
    expected = {}
    for name, data in (("squad_v1.json", v1), ("squad_v2.json", v2)):
        save_json(os.path.join(OUT, name), data)
        expected[name] = [{"question": qa["question"], "context": p["context"]}
                          for article in data["data"] for p in article["paragraphs"] for qa in p["qas"]]
    save_json(os.path.join(OUT, "squad_expected.json"), expected)


def gen_bench_squad():
    texts = [TOWN, SCIENCE, HARBOUR, SCHOOL]
    paragraphs = [
        TOWN, SCIENCE, HARBOUR, SCHOOL, UNICODE,
        " ".join([SCIENCE, HARBOUR]), " ".join([SCHOOL, TOWN]), " ".join(texts * 2),
    ]
    questions = [
        "When was the bridge built?", "Who carried the stone blocks?", "What does the market sell?",
        "Where was Marie Curie born?", "What did she discover?", "Who keeps the lighthouse?",
        "When do children learn music?", "What grows behind the school?",
    ]
    data = [{"title": f"bench {i}", "paragraphs": [{"context": context, "qas": [
        {"id": f"b{i}.{j}", "question": q, "answers": []} for j, q in enumerate(questions)]}]}
        for i, context in enumerate(paragraphs)]
    save_json(os.path.join(OUT, "bench_squad.json"), {"version": "1.1", "data": data})
    words = [len(p.split()) for p in paragraphs]
    print(f"[bench] {len(paragraphs) * len(questions)} questions, paragraphs of {min(words)}-{max(words)} words")


def gen_electra(vocab_path):
    """ELECTRA: BERT's question-first algorithm (steps 1-6) with HF 5.24's tokenizer for model type
    "electra", BertTokenizer, on the WordPiece vocab of BERT's fixture (token_type_ids passed).
    Embeddings 16 wide projected to hidden 32, hidden_act silu, layer_norm_eps 0.02."""
    V = len(gf.load_vocab(vocab_path))
    torch.manual_seed(15)
    config = ElectraConfig(
        vocab_size=V, embedding_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=64, type_vocab_size=2, hidden_act="silu",
        layer_norm_eps=0.02, pad_token_id=0,
    )
    config._attn_implementation = "eager"
    model = ElectraForQuestionAnswering(config)
    randomise(model, 1015)
    gen_model("electra", model, BertTokenizer(vocab_path, do_lower_case=True), True)


def gen_longformer():
    """Longformer: RoBERTa's question-first algorithm with the byte-level BPE of RoBERTa's fixture
    (no token_type_ids). HF's LongformerForQuestionAnswering puts global attention on the question
    (the tokens before the first </s>) when given no global_attention_mask, as the pipeline calls
    it. attention_window [4, 8] (windows of up to 48 tokens padded to a multiple of 8 and cut into
    several bands), hidden_act gelu_new, layer_norm_eps 0.02."""
    from transformers import LongformerConfig, LongformerForQuestionAnswering

    tok, V = gen_bpe()
    torch.manual_seed(16)
    config = LongformerConfig(
        vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
        max_position_embeddings=66, type_vocab_size=1, hidden_act="gelu_new", layer_norm_eps=0.02,
        attention_window=[4, 8], pad_token_id=1, bos_token_id=0, eos_token_id=2, sep_token_id=2,
    )
    config._attn_implementation = "eager"
    model = LongformerForQuestionAnswering(config)
    randomise(model, 1016)
    gen_model("longformer", model, tok, False)


def main():
    print(f"transformers {gf.transformers.__version__}, torch {torch.__version__}")
    vocab = gen_wordpiece()
    gen_models(vocab)
    gen_squad()
    gen_bench_squad()
    # ELECTRA last (own seeds): every file above is written exactly as before.
    gen_electra(vocab)
    gen_longformer()
    total = sum(os.path.getsize(p) for p in gf.WRITTEN)
    print(f"[pipeline_qa] {len(gf.WRITTEN)} files, {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
