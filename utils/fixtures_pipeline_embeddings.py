#!/usr/bin/env python3
"""Generate the parity fixtures of the fill-mask, sentence-embeddings and keyword-extraction
pipelines under tests/fixtures/pipeline_embeddings/ (see shared/docs/parity.md).

Run from the repository root:  .venv/bin/python utils/fixtures_pipeline_embeddings.py
Deterministic (fixed seeds, single-threaded torch). Reuses the helpers of generate_fixtures.py
(randomise, save_tensors, save_json, load_vocab).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), no_grad, eager attention.
Expected embeddings come from sentence-transformers 6.3 itself (`SentenceTransformer(folder).encode`)
and expected keywords from KeyBERT 0.9 itself (`KeyBERT.extract_keywords`), both pinned in
utils/requirements.txt; a transcription of their maths in torch/numpy (st_encode, keybert_*) is kept
as a cross-check that must agree with the libraries.

What each fixture follows
-------------------------
vocab.txt
    Tiny WordPiece vocabulary cut from all-MiniLM-L6-v2's (bert-base-uncased) vocab.txt: the special
    tokens, punctuation, every piece the full vocabulary splits the words of BERT_TEXTS into
    (so the tiny vocabulary tokenizes them exactly as the full one), a few extra words, in MiniLM
    id order ([PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4).
bpe/vocab.json, bpe/merges.txt
    Tiny byte-level BPE cut from GPT-2's (tests/fixtures/tokenizers/gpt2): every merge GPT-2's BPE
    applies to the words of BPE_TEXTS, in GPT-2 rank order, and every symbol those merges produce,
    plus the 256 byte symbols; RoBERTa's special tokens <s>=0 <pad>=1 </s>=2 <unk>=3 first and
    <mask> last. Checked: HF RobertaTokenizer on these files gives the same tokens as on GPT-2's.

fill_mask/<name>/{config.json, model.safetensors}  (name = bert, distilbert, roberta, albert, electra,
    longformer)
    Tiny masked LMs (hidden 32, 2 layers, 4 heads, intermediate 37, max_position_embeddings 64),
    every parameter randomised (generate_fixtures.randomise: normal(0, 0.2), LayerNorm weights
    normal(1, 0.2)). Tokenizers: bert/distilbert vocab.txt above (lower case), roberta bpe/ above,
    albert tests/fixtures/tokenizers/spm/albert.model (lower case, accents stripped). RoBERTa's
    <mask> strips the space before it (lstrip=True), as roberta-base's tokenizer.json declares.
    electra: ElectraForMaskedLM (the generator; embedding_size 16 projected to hidden 32, hidden_act
    silu, layer_norm_eps 0.02, LM head tied to the word embeddings) on the bert vocab.txt (HF 5.24
    maps model type "electra" to BertTokenizer), added last with its own seed.
fill_mask/expected.json
    {name: {"texts": [...], "results": [...]}} where results[i] is the output of
    transformers.pipeline("fill-mask", model, tokenizer)(texts[i], top_k=TOP_K,
    tokenizer_kwargs={"truncation": True}) (the tokenizer's model_max_length is the model's: 64, and
    62 for RoBERTa whose positions start after the padding index), each text run alone (batch of
    one, no padding), normalised to one list per mask: [[{"score", "token", "token_str"}, ...], ...].
    A text whose (truncated) input holds no mask token makes HF raise PipelineException: its result
    is null (the Rust pipeline returns an empty list there, as rust-bert).

st/<name>/  sentence-transformers folders written here, in the layout
    sentence-transformers saves: modules.json, sentence_bert_config.json, config.json,
    model.safetensors, tokenizer files + tokenizer_config.json + special_tokens_map.json,
    1_Pooling/config.json, optional 2_Dense/{config.json, model.safetensors (linear.weight,
    linear.bias)}, optional Normalize module. Models (randomised as above):
    - bert_cls_dense: BertModel (config output_attentions=true), pooling cls, Dense 32->16 with bias
      and Tanh, Normalize.
    - distilbert_max_sqrt: DistilBertModel, pooling max + mean_sqrt_len_tokens (concatenated, 64),
      no Dense, no Normalize.
    - roberta_mean_dense: RobertaModel (tiny BPE), pooling mean, Dense 32->24 without bias and
      Identity, Normalize.
    - albert_multi: AlbertModel (spm albert.model), pooling cls + mean + max (concatenated in
      sentence-transformers' order cls, max, mean: 96), Normalize.
    - electra_mean: ElectraModel (embedding_size 16 projected to hidden 32, hidden_act silu,
      layer_norm_eps 0.02) on vocab.txt, pooling mean, Normalize; added last, own seed.
    - bert_mean_dense_gelu: BertModel, pooling mean, Dense 32->20 with bias and GELU, Normalize.
    - roberta_cls_dense_silu: RobertaModel (tiny BPE), pooling cls, Dense 32->12 with bias and
      SiLU, no Normalize.
st/expected.safetensors
    `<name>.embeddings` [len(ST_SENTENCES), dim]: SentenceTransformer(folder).encode(ST_SENTENCES) in
    one padded batch (its tokenizer: padding=True, truncation=True, max_length=max_seq_length).
    `bert_cls_dense.attentions.<i>.<layer>` [heads, len, len]: the attention probabilities of
    sentence i run alone (unpadded), for i in ATTENTION_SENTENCES.
    `distilbert_max_sqrt.weighted_last.embeddings` [len(ST_SENTENCES), 96]: the distilbert_max_sqrt
    folder with WEIGHTED_LAST_POOLING as its pooling (mean + weightedmean + lasttoken; the Rust
    test writes that configuration into a copy of the folder).
st/sentences.json
    ST_SENTENCES.

minilm/expected.safetensors, minilm/sentences.json
    The real all-MiniLM-L6-v2 (.venv/models/all-MiniLM-L6-v2) through its sentence-transformers
    modules: BertTokenizer (tokenizer.json) with padding=True, truncation=True, max_length=256
    (sentence_bert_config.json), BertModel, mean pooling over attention_mask, L2 normalisation
    (F.normalize, eps 1e-12). `embeddings` [len(MINILM_SENTENCES), 384], batches of 32 sorted by
    length as sentence-transformers' encode does (the order does not change the values beyond
    1e-7).

keywords/expected.json
    KeyBERT.extract_keywords (cosine ranking, MMR, MaxSum; its 4-decimal rounding shadowed, see
    keybert_model), on candidates made as the Rust pipeline (rust-bert's rules) makes them: words
    matched by (?u)\\b\\w+\\b, n-grams of consecutive words, lower-cased (MiniLM lower-cases),
    skipped when the n-gram contains one of FORBIDDEN_NGRAM_CHARS, when it is a stop word, or (n > 1)
    when one of its words is a stop word; stop words read from the Rust source
    src/pipelines/keywords_extraction/stopwords.rs. Candidates keep their first-appearance order.
    Embeddings: MiniLM through sentence-transformers (document truncated to 256 tokens). Scores
    are the candidates' cosine similarity to the document, sorted as rust-bert sorts them. MaxSum considers
    the 2 * num_keywords most similar candidates (rust-bert's default `max_sum_candidates`).
    Entries: {"paragraphs": [...], "runs": [{"scorer", "ngram_range", "num_keywords", "diversity",
    "keywords": [[[text, score, [[begin, end], ...]], ...] per paragraph]}]}; offsets are byte
    offsets into the paragraph (rust-bert's).
"""

import itertools
import json
import os
import re
import shutil
import sys
import tempfile

import numpy as np
import regex
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402

import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AddedToken,
    AlbertConfig,
    AlbertForMaskedLM,
    AlbertModel,
    AlbertTokenizer,
    BertConfig,
    BertForMaskedLM,
    BertModel,
    BertTokenizer,
    DistilBertConfig,
    DistilBertForMaskedLM,
    DistilBertModel,
    DistilBertTokenizer,
    ElectraConfig,
    ElectraForMaskedLM,
    ElectraModel,
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaModel,
    RobertaTokenizer,
)
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy  # noqa: E402
from transformers.pipelines.base import PipelineException  # noqa: E402

ROOT = gf.ROOT
OUT = os.path.join(gf.FIX, "pipeline_embeddings")
MINILM = gf.MINILM
GPT2 = os.path.join(gf.FIX, "tokenizers", "gpt2")
ALBERT_SPM = os.path.join(gf.FIX, "tokenizers", "spm", "albert.model")
STOPWORDS_RS = os.path.join(ROOT, "src", "pipelines", "keywords_extraction", "stopwords.rs")

TOP_K = 3
MAX_POS = 64

# --------------------------------------------------------------------------------------------
# texts
# --------------------------------------------------------------------------------------------
LONG_TAIL = " ".join(["the dog ran over the big green tree"] * 10)
BERT_MASK_TEXTS = [
    "The cat sat on the [MASK].",
    "Hello [MASK], this is a [MASK] test!",
    "[MASK] [MASK] [MASK]",
    "She walked to the park and [MASK] with her friends.",
    "Is it going to [MASK] today? We bought some apples, [MASK] and milk.",
    "There is no mask in this sentence.",
    "",
    "[MASK]",
    "A [MASK] at the start, " + LONG_TAIL,  # truncated to 64 tokens: the mask stays
    LONG_TAIL + " and a [MASK] after the cut",  # truncated: the mask is cut off
]
ROBERTA_MASK_TEXTS = [
    "The cat sat on the <mask>.",
    "Hello <mask>, this is a <mask> test!",
    "<mask> <mask>",
    "She walked to the park and <mask> with her friends.",
    "There is no mask in this sentence.",
    "<mask>",
    "A <mask> at the start, " + LONG_TAIL,
    LONG_TAIL + " and a <mask> after the cut",
]
ALBERT_MASK_TEXTS = [
    "The cat sat on the [MASK].",
    "Hello [MASK], this is a [MASK] test!",
    "She walked to the park and [MASK] with her friends.",
    "There is no mask in this sentence.",
    "[MASK]",
]
ST_SENTENCES = [
    "The cat sat on the mat.",
    "Hello world, this is a test!",
    "The quick brown fox jumps over the lazy dog.",
    "She walked to the park and played with her friends.",
    "Is it going to rain today?",
    "",
    "   ",
    "I love reading books about science and history.",
    LONG_TAIL,  # longer than max_seq_length: truncated
]
ATTENTION_SENTENCES = [0, 3]
BERT_TEXTS = BERT_MASK_TEXTS + ST_SENTENCES
BPE_TEXTS = [t.replace("<mask>", "") for t in ROBERTA_MASK_TEXTS] + ST_SENTENCES
EXTRA_WORDS = (
    "a an and are as at be but by can day do for from get good had has have he her him his how i "
    "if in into is it its just know like little long look made make man many me more my new no not "
    "now of on one or other our out over people said see she so some than that their them then "
    "there they this time to two up very was way we well were what when where which who will with "
    "would year you happy sad run play eat house car city water food small red blue answer "
    "question why because first last morning night sun moon"
).split()

MINILM_SENTENCES = [
    "The cat sits on the mat.",
    "A kitten is resting on a rug.",
    "Stock markets fell sharply on Monday.",
    "Shares dropped at the start of the week.",
    "How do I bake sourdough bread at home?",
    "Baking bread requires flour, water, salt and patience.",
    "The Eiffel Tower is in Paris.",
    "Paris is the capital of France.",
    "Quantum computers use qubits instead of bits.",
    "She plays the violin in an orchestra.",
    "He runs five kilometres every morning before work.",
    "The meeting was postponed until next Thursday.",
    "Électricité et café: naïve façade, São Paulo.",
    "東京は日本の首都です。",
    "Emoji test 🎉🚀 with mixed scripts: Привет, мир!",
    "",
    "   ",
    "a",
    "Control\tcharacters\nand\r\nline breaks.",
    "UPPER CASE AND lower case AND MiXeD CaSe",
    "Numbers like 3.14159, 2,718 and 1e-9 appear here.",
    "The mitochondria is the powerhouse of the cell.",
    "Rust guarantees memory safety without a garbage collector.",
    " ".join(["This sentence is repeated to exceed the two hundred and fifty six token limit."] * 30),
]

PARAGRAPHS = [
    "Photosynthesis is the process by which green plants, algae and some bacteria convert light "
    "energy into chemical energy. During photosynthesis, chlorophyll in the chloroplasts absorbs "
    "sunlight, and the plant uses that energy to turn carbon dioxide and water into glucose, "
    "releasing oxygen as a by-product. The glucose fuels the plant's growth, while the oxygen "
    "sustains most animal life on Earth.",
    "Rust is a systems programming language focused on safety, speed and concurrency. Its "
    "ownership model and borrow checker let the compiler reject data races and dangling pointers "
    "at compile time, without a garbage collector. Cargo, the Rust package manager, builds "
    "projects, downloads crates from the registry and runs the tests.",
]
FORBIDDEN_NGRAM_CHARS = ".!?,:;()[]\"'"
KEYWORD_RUNS = [
    dict(scorer="CosineSimilarity", ngram_range=(1, 1), num_keywords=5, diversity=None),
    dict(scorer="CosineSimilarity", ngram_range=(1, 2), num_keywords=5, diversity=None),
    dict(scorer="MaximalMarginRelevance", ngram_range=(1, 2), num_keywords=5, diversity=0.5),
    dict(scorer="MaximalMarginRelevance", ngram_range=(1, 1), num_keywords=4, diversity=0.8),
    dict(scorer="MaxSum", ngram_range=(1, 1), num_keywords=5, diversity=None),
    dict(scorer="MaxSum", ngram_range=(1, 3), num_keywords=3, diversity=None),
]


# --------------------------------------------------------------------------------------------
# tokenizers
# --------------------------------------------------------------------------------------------
def gen_wordpiece_vocab():
    full = gf.load_vocab(os.path.join(MINILM, "vocab.txt"))
    full_id = {t: i for i, t in enumerate(full)}
    legacy = BertTokenizerLegacy(os.path.join(MINILM, "vocab.txt"), do_lower_case=True)
    chosen = set(gf.SPECIALS) | set(gf.PUNCT) | set(EXTRA_WORDS) | {"##s", "##ed", "##ing", "##ly"}
    for text in BERT_TEXTS:
        chosen |= set(legacy.tokenize(text.replace("[MASK]", " ")))
    chosen.discard("[UNK]")
    chosen |= {"[UNK]"}
    vocab = sorted(chosen, key=lambda t: full_id[t])
    assert vocab[:5] == gf.SPECIALS, vocab[:5]
    path = os.path.join(OUT, "vocab.txt")
    os.makedirs(OUT, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    gf.WRITTEN.append(path)
    tok = BertTokenizer(path, do_lower_case=True, model_max_length=MAX_POS)
    for text in BERT_TEXTS:
        ids = tok(text)["input_ids"]
        assert tok.unk_token_id not in ids, (text, tok.convert_ids_to_tokens(ids))
        assert tok.convert_ids_to_tokens(ids) == legacy.convert_ids_to_tokens(
            legacy(text)["input_ids"]
        ), text
    print(f"[vocab] tiny WordPiece vocab: {len(vocab)} tokens")
    return path


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1)
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)


def gen_bpe_vocab():
    with open(os.path.join(GPT2, "vocab.bpe"), encoding="utf-8") as f:
        merges = [tuple(line.split()) for line in f.read().split("\n")[1:] if line.strip()]
    rank = {m: i for i, m in enumerate(merges)}
    b2u = bytes_to_unicode()
    used, symbols = set(), set(b2u.values())

    def bpe(word):
        parts = list(word)
        while len(parts) > 1:
            best = min(((rank.get(p, float("inf")), i) for i, p in enumerate(zip(parts, parts[1:]))))
            if best[0] == float("inf"):
                break
            pair = (parts[best[1]], parts[best[1] + 1])
            used.add(pair)
            merged, j = [], 0
            while j < len(parts):
                if j < len(parts) - 1 and (parts[j], parts[j + 1]) == pair:
                    merged.append(parts[j] + parts[j + 1])
                    j += 2
                else:
                    merged.append(parts[j])
                    j += 1
            parts = merged
            symbols.update(parts)
        return parts

    for text in BPE_TEXTS + [" " + t for t in BPE_TEXTS]:
        for word in GPT2_PATTERN.findall(text):
            bpe("".join(b2u[b] for b in word.encode("utf-8")))
    kept = sorted(used, key=lambda m: rank[m])
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for symbol in sorted(symbols):
        vocab[symbol] = len(vocab)
    vocab["<mask>"] = len(vocab)
    folder = os.path.join(OUT, "bpe")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in kept))
    gf.WRITTEN += [os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt")]
    # the cut vocabulary tokenizes the texts as GPT-2's full one
    tiny = roberta_tokenizer()
    scratch = os.path.join(OUT, "_scratch_bpe")
    os.makedirs(scratch, exist_ok=True)
    full_vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    with open(os.path.join(GPT2, "encoder.json"), encoding="utf-8") as f:
        for token, index in json.load(f).items():
            full_vocab[token] = index + 4
    full_vocab["<mask>"] = len(full_vocab)
    with open(os.path.join(scratch, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(full_vocab, f, ensure_ascii=False)
    full = RobertaTokenizer(os.path.join(scratch, "vocab.json"), os.path.join(GPT2, "vocab.bpe"))
    for text in BPE_TEXTS:
        assert tiny.tokenize(text) == full.tokenize(text), text
        assert tiny.unk_token_id not in tiny(text)["input_ids"], text
    shutil.rmtree(scratch)
    print(f"[bpe] tiny BPE: {len(vocab)} tokens, {len(kept)} merges")


def roberta_tokenizer():
    # roberta-base's tokenizer.json declares <mask> with lstrip=True (the space before a mask
    # belongs to it); HF 5.24's RobertaTokenizer built from vocab/merges files defaults to a plain
    # "<mask>", so the hub's setting is given explicitly.
    folder = os.path.join(OUT, "bpe")
    return RobertaTokenizer(
        os.path.join(folder, "vocab.json"),
        os.path.join(folder, "merges.txt"),
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True),
        model_max_length=MAX_POS - 2,
    )


def bert_tokenizer(cls=BertTokenizer):
    return cls(os.path.join(OUT, "vocab.txt"), do_lower_case=True, model_max_length=MAX_POS)


def albert_tokenizer():
    # HF 5.x builds ALBERT's tokenizer from a folder holding spiece.model (the constructor takes a
    # parsed vocabulary, not a file).
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copyfile(ALBERT_SPM, os.path.join(scratch, "spiece.model"))
        return AlbertTokenizer.from_pretrained(
            scratch, do_lower_case=True, keep_accents=False, model_max_length=MAX_POS
        )


# --------------------------------------------------------------------------------------------
# tiny models
# --------------------------------------------------------------------------------------------
def bert_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=MAX_POS, type_vocab_size=2,
        hidden_act="gelu", layer_norm_eps=1e-12, pad_token_id=0,
    )
    cfg.update(kw)
    return BertConfig(**cfg)


def roberta_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=MAX_POS, type_vocab_size=1,
        hidden_act="gelu", layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
    cfg.update(kw)
    return RobertaConfig(**cfg)


def longformer_config(vocab_size, **kw):
    from transformers import LongformerConfig

    cfg = dict(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=MAX_POS, type_vocab_size=1,
        attention_window=[4, 8], hidden_act="gelu_new", layer_norm_eps=0.02, pad_token_id=1,
        bos_token_id=0, eos_token_id=2, sep_token_id=2,
    )
    cfg.update(kw)
    return LongformerConfig(**cfg)


def distilbert_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, dim=32, n_layers=2, n_heads=4, hidden_dim=37,
        max_position_embeddings=MAX_POS, activation="gelu", pad_token_id=0,
    )
    cfg.update(kw)
    return DistilBertConfig(**cfg)


def electra_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=37, max_position_embeddings=MAX_POS,
        type_vocab_size=2, hidden_act="silu", layer_norm_eps=0.02, pad_token_id=0,
    )
    cfg.update(kw)
    return ElectraConfig(**cfg)


def albert_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_hidden_groups=1, inner_group_num=1, num_attention_heads=4, intermediate_size=37,
        max_position_embeddings=MAX_POS, hidden_act="gelu_new", layer_norm_eps=1e-12,
        pad_token_id=0, bos_token_id=2, eos_token_id=3,
    )
    cfg.update(kw)
    return AlbertConfig(**cfg)


def build(cls, config, seed):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = cls(config)
    gf.randomise(model, seed + 1000)
    model.eval()
    return model


def save_model(model, folder):
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    for name in sorted(os.listdir(folder)):
        if name not in ("config.json", "model.safetensors"):
            path = os.path.join(folder, name)
            os.remove(path) if os.path.isfile(path) else shutil.rmtree(path)
    gf.WRITTEN += [os.path.join(folder, "config.json"), os.path.join(folder, "model.safetensors")]


# --------------------------------------------------------------------------------------------
# fill-mask
# --------------------------------------------------------------------------------------------
def fill_mask_reference(model, tokenizer, texts):
    fill = transformers.pipeline("fill-mask", model=model, tokenizer=tokenizer, device="cpu")
    results = []
    for text in texts:
        try:
            out = fill(text, top_k=TOP_K, tokenizer_kwargs={"truncation": True})
        except PipelineException:
            results.append(None)
            continue
        if out and isinstance(out[0], dict):  # a single mask: HF returns the list directly
            out = [out]
        results.append(
            [
                [
                    {"score": float(p["score"]), "token": int(p["token"]), "token_str": p["token_str"]}
                    for p in per_mask
                ]
                for per_mask in out
            ]
        )
    return results


SHARPEN = {
    "cls.predictions.transform.LayerNorm.weight",
    "vocab_layer_norm.weight",
    "lm_head.layer_norm.weight",
    "predictions.LayerNorm.weight",
    "generator_predictions.LayerNorm.weight",
}


def gen_fill_mask():
    from transformers import LongformerForMaskedLM

    expected = {}
    wp = len(gf.load_vocab(os.path.join(OUT, "vocab.txt")))
    with open(os.path.join(OUT, "bpe", "vocab.json"), encoding="utf-8") as f:
        bpe = len(json.load(f))
    albert_tok = albert_tokenizer()
    runs = [
        ("bert", BertForMaskedLM, bert_config(wp, hidden_act="gelu_new", layer_norm_eps=0.02),
         bert_tokenizer(), BERT_MASK_TEXTS, 501),
        ("distilbert", DistilBertForMaskedLM, distilbert_config(wp),
         bert_tokenizer(DistilBertTokenizer), BERT_MASK_TEXTS, 502),
        ("roberta", RobertaForMaskedLM, roberta_config(bpe, layer_norm_eps=0.02),
         roberta_tokenizer(), ROBERTA_MASK_TEXTS, 503),
        ("albert", AlbertForMaskedLM, albert_config(len(albert_tok)), albert_tok,
         ALBERT_MASK_TEXTS, 504),
        ("electra", ElectraForMaskedLM, electra_config(wp), bert_tokenizer(), BERT_MASK_TEXTS, 505),
        # Longformer last (own seed): RoBERTa's BPE and texts, windows [4, 8], gelu_new.
        ("longformer", LongformerForMaskedLM, longformer_config(bpe), roberta_tokenizer(),
         ROBERTA_MASK_TEXTS, 506),
    ]
    with torch.no_grad():
        for name, cls, config, tokenizer, texts, seed in runs:
            model = build(cls, config, seed)
            # Sharper distributions: the LayerNorm weights before the vocabulary projection drawn
            # from normal(3, 0.6) instead of (1, 0.2) (or (0, 0.2) where randomise does not see a
            # "LayerNorm" in the name), so that the top-k scores stand well apart.
            for param_name, param in model.named_parameters():
                if param_name in SHARPEN:
                    param.normal_(3.0, 0.6)
            save_model(model, os.path.join(OUT, "fill_mask", name))
            results = fill_mask_reference(model, tokenizer, texts)
            expected[name] = {"texts": texts, "results": results}
            # relative gaps between consecutive top-k scores (= 1 - exp(-logit gap)): well above
            # float32 noise, so the ranking cannot flip
            gaps = [1 - m[j + 1]["score"] / m[j]["score"] for r in results if r for m in r
                    for j in range(len(m) - 1)]
            assert min(gaps) > 1e-3, (name, min(gaps))
            masks = sum(len(r) for r in results if r)
            top = max(p["score"] for r in results if r for m in r for p in m)
            print(f"[fill-mask] {name}: {len(texts)} texts, {masks} masks, best score {top:.3f}, "
                  f"smallest relative top-k gap {min(gaps):.2e}")
    gf.save_json(os.path.join(OUT, "fill_mask", "expected.json"), expected)


# --------------------------------------------------------------------------------------------
# sentence-transformers modules, as sentence-transformers computes them
# --------------------------------------------------------------------------------------------
POOLING_KEYS = [
    "pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
    "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
    "pooling_mode_lasttoken",
]


WEIGHTED_LAST_POOLING = {
    "word_embedding_dimension": 32, "pooling_mode_cls_token": False,
    "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
    "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": True,
    "pooling_mode_lasttoken": True,
}


def st_pooling(cfg, token_embeddings, attention_mask):
    token_embeddings = token_embeddings.clone()
    outputs = []
    if cfg["pooling_mode_cls_token"]:
        outputs.append(token_embeddings[:, 0])
    if cfg["pooling_mode_max_tokens"]:
        expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        token_embeddings[expanded == 0] = -1e9
        outputs.append(torch.max(token_embeddings, 1)[0])
    if cfg["pooling_mode_mean_tokens"] or cfg["pooling_mode_mean_sqrt_len_tokens"]:
        expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        sum_embeddings = torch.sum(token_embeddings * expanded, 1)
        sum_mask = torch.clamp(expanded.sum(1), min=1e-9)
        if cfg["pooling_mode_mean_tokens"]:
            outputs.append(sum_embeddings / sum_mask)
        if cfg["pooling_mode_mean_sqrt_len_tokens"]:
            outputs.append(sum_embeddings / torch.sqrt(sum_mask))
    if cfg.get("pooling_mode_weightedmean_tokens"):
        expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        weights = (
            torch.arange(start=1, end=token_embeddings.shape[1] + 1)
            .unsqueeze(0).unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        )
        expanded = expanded * weights
        sum_embeddings = torch.sum(token_embeddings * expanded, 1)
        sum_mask = torch.clamp(expanded.sum(1), min=1e-9)
        outputs.append(sum_embeddings / sum_mask)
    if cfg.get("pooling_mode_lasttoken"):
        bs, seq_len, hidden_dim = token_embeddings.shape
        gather_indices = torch.argmax(attention_mask.flip(dims=(1,)), 1)
        gather_indices = seq_len - gather_indices - 1
        gather_indices = gather_indices.unsqueeze(-1).repeat(1, hidden_dim).unsqueeze(1)
        expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        outputs.append(torch.gather(token_embeddings * expanded, 1, gather_indices).squeeze(dim=1))
    return torch.cat(outputs, 1)


ACTIVATIONS = {
    "torch.nn.modules.activation.Tanh": torch.tanh,
    "torch.nn.modules.linear.Identity": lambda x: x,
    "torch.nn.modules.activation.ReLU": torch.relu,
    "torch.nn.modules.activation.GELU": torch.nn.functional.gelu,
    "torch.nn.modules.activation.SiLU": torch.nn.functional.silu,
}


def st_library(folder, sentences):
    """sentence-transformers' own `SentenceTransformer(folder).encode`, all sentences in one
    padded batch (batch_size = their number), eager attention as the transcription runs."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(folder, device="cpu", model_kwargs={"attn_implementation": "eager"})
    return model.encode(sentences, batch_size=max(1, len(sentences)), convert_to_tensor=True)


def st_encode(folder, model, tokenizer, sentences, pooling_override=None):
    with open(os.path.join(folder, "modules.json")) as f:
        modules = json.load(f)
    with open(os.path.join(folder, "sentence_bert_config.json")) as f:
        sbert = json.load(f)
    enc = tokenizer(sentences, padding=True, truncation="longest_first",
                    max_length=sbert["max_seq_length"], return_tensors="pt")
    features = model(**enc, return_dict=True).last_hidden_state
    for module in modules[1:]:
        kind = module["type"].split(".")[-1]
        path = os.path.join(folder, module["path"])
        if kind == "Pooling":
            with open(os.path.join(path, "config.json")) as f:
                cfg = pooling_override or json.load(f)
            features = st_pooling(cfg, features, enc["attention_mask"])
        elif kind == "Dense":
            with open(os.path.join(path, "config.json")) as f:
                dense_cfg = json.load(f)
            from safetensors.torch import load_file

            weights = load_file(os.path.join(path, "model.safetensors"))
            features = torch.nn.functional.linear(features, weights["linear.weight"],
                                                  weights.get("linear.bias"))
            features = ACTIVATIONS[dense_cfg["activation_function"]](features)
        elif kind == "Normalize":
            features = torch.nn.functional.normalize(features, p=2, dim=1)
        else:
            raise ValueError(kind)
    return features


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    gf.WRITTEN.append(path)


def write_st_folder(folder, model, tokenizer, tokenizer_files, pooling, dense, normalize,
                    max_seq_length, seed):
    save_model(model, folder)
    # tokenizer: the vocabulary files the Rust builder reads, and HF's configs
    for target, source in tokenizer_files.items():
        shutil.copyfile(source, os.path.join(folder, target))
        gf.WRITTEN.append(os.path.join(folder, target))
    tokenizer_config = {"tokenizer_class": type(tokenizer).__name__,
                        "model_max_length": tokenizer.model_max_length}
    if isinstance(tokenizer, (BertTokenizer, AlbertTokenizer)):
        tokenizer_config["do_lower_case"] = True
        tokenizer_config["strip_accents"] = None
    if isinstance(tokenizer, RobertaTokenizer):
        tokenizer_config["add_prefix_space"] = False
    write_json(os.path.join(folder, "tokenizer_config.json"), tokenizer_config)
    write_json(os.path.join(folder, "special_tokens_map.json"),
               {k: str(v) for k, v in tokenizer.special_tokens_map.items()})
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    pooling_cfg = {"word_embedding_dimension": 32}
    pooling_cfg.update({k: k in pooling for k in POOLING_KEYS})
    pooling_cfg["include_prompt"] = True
    write_json(os.path.join(folder, "1_Pooling", "config.json"), pooling_cfg)
    if dense is not None:
        in_features, out_features, bias, activation = dense
        modules.append({"idx": 2, "name": "2", "path": "2_Dense",
                        "type": "sentence_transformers.models.Dense"})
        write_json(os.path.join(folder, "2_Dense", "config.json"), {
            "in_features": in_features, "out_features": out_features, "bias": bias,
            "activation_function": activation,
        })
        torch.manual_seed(seed)
        weights = {"linear.weight": torch.randn(out_features, in_features) * 0.3}
        if bias:
            weights["linear.bias"] = torch.randn(out_features) * 0.3
        from safetensors.torch import save_file

        save_file(weights, os.path.join(folder, "2_Dense", "model.safetensors"))
        gf.WRITTEN.append(os.path.join(folder, "2_Dense", "model.safetensors"))
    if normalize:
        modules.append({"idx": len(modules), "name": str(len(modules)),
                        "path": f"{len(modules)}_Normalize",
                        "type": "sentence_transformers.models.Normalize"})
    write_json(os.path.join(folder, "modules.json"), modules)
    write_json(os.path.join(folder, "sentence_bert_config.json"),
               {"max_seq_length": max_seq_length, "do_lower_case": False})


def gen_sentence_transformers():
    wp = len(gf.load_vocab(os.path.join(OUT, "vocab.txt")))
    with open(os.path.join(OUT, "bpe", "vocab.json"), encoding="utf-8") as f:
        bpe = len(json.load(f))
    albert_tok = albert_tokenizer()
    vocab_txt = {"vocab.txt": os.path.join(OUT, "vocab.txt")}
    bpe_files = {"vocab.json": os.path.join(OUT, "bpe", "vocab.json"),
                 "merges.txt": os.path.join(OUT, "bpe", "merges.txt")}
    runs = [
        ("bert_cls_dense", BertModel, bert_config(wp, output_attentions=True), bert_tokenizer(),
         vocab_txt, ["pooling_mode_cls_token"], (32, 16, True, "torch.nn.modules.activation.Tanh"),
         True, 24, 601),
        ("distilbert_max_sqrt", DistilBertModel, distilbert_config(wp),
         bert_tokenizer(DistilBertTokenizer), vocab_txt,
         ["pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"], None, False, 24, 602),
        ("roberta_mean_dense", RobertaModel, roberta_config(bpe), roberta_tokenizer(), bpe_files,
         ["pooling_mode_mean_tokens"], (32, 24, False, "torch.nn.modules.linear.Identity"), True,
         24, 603),
        ("albert_multi", AlbertModel, albert_config(len(albert_tok)), albert_tok,
         {"spiece.model": ALBERT_SPM},
         ["pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens"], None,
         True, 24, 604),
        ("electra_mean", ElectraModel, electra_config(wp), bert_tokenizer(), vocab_txt,
         ["pooling_mode_mean_tokens"], None, True, 24, 605),
        ("bert_mean_dense_gelu", BertModel, bert_config(wp), bert_tokenizer(), vocab_txt,
         ["pooling_mode_mean_tokens"], (32, 20, True, "torch.nn.modules.activation.GELU"), True, 24, 606),
        ("roberta_cls_dense_silu", RobertaModel, roberta_config(bpe), roberta_tokenizer(), bpe_files,
         ["pooling_mode_cls_token"], (32, 12, True, "torch.nn.modules.activation.SiLU"), False, 24, 607),
    ]
    expected = {}
    with torch.no_grad():
        for name, cls, config, tokenizer, files, pooling, dense, normalize, max_len, seed in runs:
            folder = os.path.join(OUT, "st", name)
            shutil.rmtree(folder, ignore_errors=True)
            model = build(cls, config, seed)
            write_st_folder(folder, model, tokenizer, files, pooling, dense, normalize, max_len,
                            seed + 50)
            embeddings = st_library(folder, ST_SENTENCES)
            expected[f"{name}.embeddings"] = embeddings
            # the transcription below agrees with the library (a check of the folder's layout)
            assert (st_encode(folder, model, tokenizer, ST_SENTENCES) - embeddings).abs().max() < 1e-5, name
            # batch == one by one
            for i, sentence in enumerate(ST_SENTENCES):
                single = st_encode(folder, model, tokenizer, [sentence])
                assert (single[0] - embeddings[i]).abs().max() < 1e-5, (name, i)
            if name == "distilbert_max_sqrt":
                # The same folder with WEIGHTED_LAST_POOLING as 1_Pooling/config.json (the test
                # writes that file into a copy of the folder).
                import tempfile

                alt_folder = os.path.join(tempfile.mkdtemp(), name)
                shutil.copytree(folder, alt_folder)
                with open(os.path.join(alt_folder, "1_Pooling", "config.json"), "w") as f:
                    json.dump(WEIGHTED_LAST_POOLING, f)
                alt = st_library(alt_folder, ST_SENTENCES)
                check = st_encode(folder, model, tokenizer, ST_SENTENCES, WEIGHTED_LAST_POOLING)
                assert (alt - check).abs().max() < 1e-5
                expected[f"{name}.weighted_last.embeddings"] = alt
            if name == "bert_cls_dense":
                for i in ATTENTION_SENTENCES:
                    enc = tokenizer([ST_SENTENCES[i]], return_tensors="pt")
                    out = model(**enc, output_attentions=True, return_dict=True)
                    for layer, attention in enumerate(out.attentions):
                        expected[f"{name}.attentions.{i}.{layer}"] = attention[0]
            print(f"[st] {name}: embeddings {tuple(embeddings.shape)}")
    gf.save_tensors(os.path.join(OUT, "st", "expected.safetensors"), expected)
    gf.save_json(os.path.join(OUT, "st", "sentences.json"), ST_SENTENCES)


# --------------------------------------------------------------------------------------------
# all-MiniLM-L6-v2
# --------------------------------------------------------------------------------------------
class MiniLM:
    def __init__(self):
        self.tokenizer = BertTokenizer.from_pretrained(MINILM)
        self.model = BertModel.from_pretrained(MINILM, attn_implementation="eager").eval()

    def encode(self, sentences, batch_size=32):
        order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))
        out = [None] * len(sentences)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            enc = self.tokenizer([sentences[i] for i in idx], padding=True,
                                 truncation="longest_first", max_length=256, return_tensors="pt")
            with torch.no_grad():
                hidden = self.model(**enc, return_dict=True).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).expand(hidden.size()).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)
            normed = torch.nn.functional.normalize(mean, p=2, dim=1)
            for row, i in enumerate(idx):
                out[i] = normed[row]
        return torch.stack(out) if out else torch.zeros(0, 384)


def gen_minilm(minilm):
    from sentence_transformers import SentenceTransformer

    library = SentenceTransformer(MINILM, device="cpu", model_kwargs={"attn_implementation": "eager"})
    embeddings = library.encode(MINILM_SENTENCES, batch_size=32, convert_to_tensor=True)
    assert (minilm.encode(MINILM_SENTENCES) - embeddings).abs().max() < 1e-5
    gf.save_tensors(os.path.join(OUT, "minilm", "expected.safetensors"), {"embeddings": embeddings})
    gf.save_json(os.path.join(OUT, "minilm", "sentences.json"), MINILM_SENTENCES)
    print(f"[minilm] {len(MINILM_SENTENCES)} sentences -> {tuple(embeddings.shape)}")


# --------------------------------------------------------------------------------------------
# keyword extraction (KeyBERT's scorers)
# --------------------------------------------------------------------------------------------
def read_stopwords():
    with open(STOPWORDS_RS, encoding="utf-8") as f:
        source = f.read()
    body = source[source.index("= ["):source.rindex("]")]
    words = re.findall(r'"([^"]*)"', body)
    assert len(words) > 100, len(words)
    return set(words)


def candidates(text, ngram_range, stopwords):
    words = [(m.start(), m.end()) for m in re.finditer(r"(?u)\b\w+\b", text)]
    found = {}
    for n in range(ngram_range[0], ngram_range[1] + 1):
        for i in range(len(words) - n + 1):
            begin, end = words[i][0], words[i + n - 1][1]
            ngram = text[begin:end]
            if any(c in ngram for c in FORBIDDEN_NGRAM_CHARS):
                continue
            ngram = ngram.lower()
            if ngram in stopwords:
                continue
            if n > 1 and any(text[b:e].lower() in stopwords for b, e in words[i:i + n]):
                continue
            byte_begin = len(text[:begin].encode("utf-8"))
            byte_end = byte_begin + len(text[begin:end].encode("utf-8"))
            found.setdefault(ngram, []).append([byte_begin, byte_end])
    return list(found.items())


def keybert_cosine(doc, words, top_n):
    distances = words @ doc
    order = np.argsort(-distances, kind="stable")[:top_n]
    return [(int(i), float(distances[i])) for i in order]


def keybert_mmr(doc, words, top_n, diversity):
    word_doc_similarity = (words @ doc).reshape(-1, 1)
    word_similarity = words @ words.T
    keywords_idx = [int(np.argmax(word_doc_similarity))]
    candidates_idx = [i for i in range(len(words)) if i != keywords_idx[0]]
    for _ in range(min(top_n - 1, len(words) - 1)):
        candidate_similarities = word_doc_similarity[candidates_idx, :]
        target_similarities = np.max(word_similarity[candidates_idx][:, keywords_idx], axis=1)
        mmr = (1 - diversity) * candidate_similarities - diversity * target_similarities.reshape(-1, 1)
        mmr_idx = candidates_idx[int(np.argmax(mmr))]
        keywords_idx.append(mmr_idx)
        candidates_idx.remove(mmr_idx)
    scored = [(i, float(word_doc_similarity[i, 0])) for i in keywords_idx]
    return sorted(scored, key=lambda x: -x[1])


def keybert_max_sum(doc, words, top_n, nr_candidates):
    distances = words @ doc
    distances_words = words @ words.T
    words_idx = list(np.argsort(distances, kind="stable")[-nr_candidates:])
    candidates_sim = distances_words[np.ix_(words_idx, words_idx)]
    min_sim, best = 100_000, None
    for combination in itertools.combinations(range(len(words_idx)), top_n):
        sim = sum(candidates_sim[i][j] for i in combination for j in combination if i != j)
        if sim < min_sim:
            best, min_sim = combination, sim
    scored = [(int(words_idx[i]), float(distances[words_idx[i]])) for i in best]
    return sorted(scored, key=lambda x: -x[1])


def keybert_model():
    """KeyBERT itself on all-MiniLM-L6-v2 (sentence-transformers' model object). KeyBERT rounds
    every score to 4 decimals with the builtin `round`; the name is shadowed in its three modules
    so the expected scores keep full precision (the choice of keywords does not depend on it)."""
    import keybert._maxsum
    import keybert._mmr
    import keybert._model
    from keybert import KeyBERT
    from sentence_transformers import SentenceTransformer

    for module in (keybert._maxsum, keybert._mmr, keybert._model):
        module.round = lambda value, ndigits=None: value
    model = SentenceTransformer(MINILM, device="cpu", model_kwargs={"attn_implementation": "eager"})
    return KeyBERT(model=model)


def gen_keywords(minilm):
    """Expected keywords from KeyBERT 0.9's `extract_keywords`, given the Rust pipeline's
    candidates (rust-bert's rules, `candidates`) through a CountVectorizer whose vocabulary is
    those candidates and whose tokens are the same words (token_pattern \\b\\w+\\b; KeyBERT's
    default drops one-letter words). Every candidate is checked to be found in its paragraph, so
    KeyBERT scores exactly the Rust pipeline's candidates. KeyBERT returns MMR keywords in
    selection order and MaxSum's in combination order; rust-bert sorts by score, so the expected
    lists are sorted by score. The numpy transcription below (keybert_cosine / _mmr / _max_sum)
    must agree with the library: a check of both."""
    from sklearn.feature_extraction.text import CountVectorizer

    stopwords = read_stopwords()
    kw = keybert_model()
    docs = minilm.encode(PARAGRAPHS).numpy().astype(np.float64)
    runs = []
    for run in KEYWORD_RUNS:
        per_doc = []
        for d, text in enumerate(PARAGRAPHS):
            cands = candidates(text, run["ngram_range"], stopwords)
            names = [c for c, _ in cands]
            top_n = min(run["num_keywords"], len(cands))
            vectorizer = CountVectorizer(ngram_range=tuple(run["ngram_range"]), vocabulary=names,
                                         token_pattern=r"(?u)\b\w+\b")
            found = vectorizer.fit([text]).transform([text])[0].nonzero()[1]
            assert len(found) == len(names), [names[i] for i in set(range(len(names))) - set(found)]
            picked = kw.extract_keywords(
                text, vectorizer=vectorizer, top_n=top_n,
                use_mmr=run["scorer"] == "MaximalMarginRelevance", diversity=run.get("diversity") or 0.5,
                use_maxsum=run["scorer"] == "MaxSum", nr_candidates=min(2 * top_n, len(cands)))
            picked = sorted(((w, float(score)) for w, score in picked), key=lambda x: -x[1])
            # the transcription agrees
            emb = minilm.encode(names).numpy().astype(np.float64)
            if run["scorer"] == "CosineSimilarity":
                check = keybert_cosine(docs[d], emb, top_n)
            elif run["scorer"] == "MaximalMarginRelevance":
                check = keybert_mmr(docs[d], emb, top_n, run["diversity"])
            else:
                check = keybert_max_sum(docs[d], emb, top_n, min(2 * top_n, len(cands)))
            assert [w for w, _ in picked] == [names[i] for i, _ in check], (picked, check)
            assert all(abs(a[1] - b[1]) < 1e-5 for a, b in zip(picked, check))
            offsets = dict(cands)
            per_doc.append([[w, score, offsets[w]] for w, score in picked])
        runs.append(dict(run, ngram_range=list(run["ngram_range"]), keywords=per_doc))
        print(f"[keywords] {run['scorer']} {run['ngram_range']}: "
              + " | ".join(", ".join(k[0] for k in doc) for doc in per_doc))
    gf.save_json(os.path.join(OUT, "keywords", "expected.json"),
                 {"paragraphs": PARAGRAPHS, "runs": runs})


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    gen_wordpiece_vocab()
    gen_bpe_vocab()
    gen_fill_mask()
    gen_sentence_transformers()
    minilm = MiniLM()
    gen_minilm(minilm)
    gen_keywords(minilm)
    size = sum(os.path.getsize(p) for p in set(gf.WRITTEN) if os.path.exists(p))
    print(f"wrote {len(set(gf.WRITTEN))} files, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
