#!/usr/bin/env python3
"""HF-reference fixtures of the classification pipelines (sequence classification, sentiment,
zero-shot classification) under tests/fixtures/pipeline_classification/.

Run from the repository root:  .venv/bin/python utils/fixtures_pipeline_classification.py
Deterministic (fixed seeds, single-threaded torch): a rerun writes identical files.
Reuses the helpers of generate_fixtures.py (randomise, build, save_model, save_json) and
fixtures_distilbert.py (tiny config, DistilBERT layer-norm randomisation).

Reference: transformers 5.24.0 / torch 2.13.0, CPU, float32, eval(), eager attention, through
`transformers.pipeline(...)` itself (both pipelines still ship in 5.24):
  - "text-classification" (TextClassificationPipeline), called on the list of texts with
    `truncation=True` (HF does not truncate by default and would fail on the 100k-character text;
    the Rust pipeline always truncates to the model's maximum length). Three calls per model:
      default       -> top label and score (softmax over the labels, or sigmoid when the config's
                       problem_type is multi_label_classification or num_labels == 1),
      all           -> `top_k=None`: every label, sorted by score (default function),
      sigmoid       -> `top_k=None, function_to_apply="sigmoid"`: every label, sorted by score
                       (what predict_multilabel thresholds).
  - "zero-shot-classification" (ZeroShotClassificationPipeline): each text x candidate label as an
    NLI premise/hypothesis pair (`hypothesis_template`, default "This example is {}."), truncation
    ONLY_FIRST at the tokenizer's model_max_length; entailment id = the first label2id entry whose
    name starts with "entail" (else -1), contradiction id = 0 (or -1 when entailment is 0).
    single  -> softmax of the entailment logits over the candidate labels, labels sorted by score;
    multi   -> `multi_label=True`: per label, softmax of (contradiction, entailment) logits.
    HF refuses an empty sequence ("" has length 0: "You must include at least one label and at
    least one sequence"), so the empty text has no reference (the Rust test only checks it runs).
    Cases: default template, a custom template, one candidate label (HF then uses the multi-label
    formula), and a tokenizer whose model_max_length is 24 (the Rust `max_length` argument).
HF runs every text on its own (pipeline batch_size 1, no padding); the Rust pipelines pad batches
with attention masks, so the same numbers also prove batching does not leak between inputs.

XLNet (added after the other models, own seed; nothing above depends on it)
  Tokenizer: HF 5.24 `XLNetTokenizer.from_pretrained("xlnet/")` on spiece.model = the fixture
  SentencePiece model tests/fixtures/tokenizers/spm/xlnet.model (1000 pieces: <unk>=0 <s>=1 </s>=2
  <cls>=3 <sep>=4 <pad>=5 <mask>=6 <eod>=7 <eop>=8), model_max_length 64 (24 for "short"), no
  lower-casing, accents stripped (NFKD + StripAccents, always in 5.24). Single text
  `A <sep> <cls>` (token types 0.. 0 2), pair `A <sep> B <sep> <cls>` (0.. 1.. 2). Checked here:
  len(tokenizer) == 1000 == the spm size, every piece in spm id order, and for every text the
  ids are sentencepiece's own ids of HF 4.x's preprocessed text (whitespace runs collapsed, NFKD
  minus combining marks) -- `XLNetTokenizer(vocab_file=...)` would silently build a 9-token
  vocabulary in 5.24, hence from_pretrained on the folder.
  Two 5.24 regressions against HF 4.x are undone on the tokenizer object (4.x behaviour, what
  rust-bert's XLNet pipelines do): 5.24's XLNetTokenizer has model_input_names [input_ids,
  attention_mask], so its pipelines would run XLNet WITHOUT token_type_ids (the segment term of
  XLNet's attention then differs: about 1e-2 on the scores); here
  model_input_names = [input_ids, token_type_ids, attention_mask], so the pipelines pass the
  token types above. And 5.24 resets pad_token_type_id to 0; set back to 3 (only matters for
  padded batches, which no reference here uses). Padding is on the LEFT.
  XLNet has no position limit (no max_position_embeddings) and neither has HF's XLNet tokenizer;
  the Rust pipelines then cut inputs at 512 tokens (XLNet's pretraining length), so the XLNet
  classification references use a tokenizer with model_max_length XLNET_PIPELINE_MAX = 512 (the
  "<LONG>" text is cut to 510 text tokens + <sep> <cls>) and the zero-shot references (single,
  multi, template, one_label) model_max_length XLNET_ZS_MAX = 128, the `max_length` argument of the
  Rust zero-shot test ("short" stays at 24 as for every model).
  The existing texts are kept (they are shared by every model). HF ids are stored per text;
  expected differences of the Rust SentencePiece tokenizer (tests/tokenizers.rs): none for the
  whitespace-only "   " (both give only <sep> <cls>); the text with a tab, a newline, NUL, BEL
  and ESC is the one to watch (HF: NUL -> <unk>, BEL and ESC removed by the spm normalizer).

BART (added after XLNet, own seed 7500; nothing above depends on it)
  Tokenizer: HF 5.24 `BartTokenizer.from_pretrained("bpe/")` -- in 5.24 BartTokenizer is only an
  alias of RobertaTokenizer (models/bart/tokenization_bart.py), so it reads the same bpe/ files
  (<s>=0 <pad>=1 </s>=2 <unk>=3 ... <mask>) with model_max_length 64 (24 for "short").
  Checked here (check_bart_tokenizer): the ids equal the RoBERTa tokenizer's for every text,
  every zero-shot text and every hypothesis, alone and as pairs, so classification.bart and
  zero_shot.bart have the same input_ids as the roberta entries. Single text `<s> A </s>`, pair
  `<s> A </s></s> B </s>`, no token types; padding on the RIGHT with <pad>=1.
  BartForSequenceClassification feeds the decoder with input_ids shifted right (decoder start
  </s>=2, then input_ids[:-1]; pad stays pad) and pools the decoder's last hidden state at the
  LAST </s> (eos_token_id 2) of each row, through classification_head (dense, tanh, out_proj).
  HF raises "All examples must have the same number of <eos> tokens." when the rows of a batch
  have different numbers of </s> (a text containing the literal "</s>", which the tokenizer
  keeps as the special token), and "Each example must contain at least one <eos> token." when a
  row has none. None of the shared texts contains "</s>", and every text, empty and
  whitespace-only ones included, ends in exactly one </s> (pairs: three), which is checked;
  HF's pipelines run every text on its own anyway, so HF ran every text and nothing is
  skipped. Should a text ever fail, `each` records None for it and its index and error under
  classification.bart.skipped / zero_shot.bart.skipped ({"indices", "errors"}); the shared
  texts are never changed for BART. (The whitespace-only "   " is the same known
  rust_tokenizers byte-level BPE gap as for RoBERTa: HF gives <s> + Ġ tokens + </s>.)
  Positions: BART's learned position table has max_position_embeddings + 2 rows (offset 2) and
  positions start at 0 whatever the padding, so max_position_embeddings = 64 gives the same
  64-token budget (and the same 66 rows) as RoBERTa's 66 with its padding offset; the Rust
  pipelines take BART's budget as max_position_embeddings itself.

Files
-----
vocab.txt             WordPiece vocab cut from all-MiniLM-L6-v2's (bert-base-uncased) vocab.txt: the
                      special tokens, the tokens the full vocab gives every test text, a-z and ##a-##z
                      (so unseen words split into letters), in MiniLM id order ([PAD]=0 [UNK]=1
                      [CLS]=2 [SEP]=3 [MASK]=4). tokenizer_config.json: do_lower_case, model_max_length 64.
bpe/vocab.json, bpe/merges.txt
                      A byte-level BPE cut from GPT-2's (tests/fixtures/tokenizers/gpt2): <s>=0 <pad>=1
                      </s>=2 <unk>=3, the 256 byte symbols, the merges GPT-2's BPE applies to the
                      words of the test texts (in GPT-2 rank order) and their results, <mask> last.
                      Keeping every merge a word uses (and only dropping merges never chosen) leaves
                      the tokenization of those words unchanged.
<model>/config.json, model.safetensors (tiny: hidden 32, 2 layers, 4 heads, intermediate 37; every
                      parameter randomised normal(0, 0.2), layer-norm weights normal(1, 0.2); then the
                      classifier's output bias is shifted so each label's mean logit over the test
                      texts is 0, so that the winning label changes from text to text):
  bert/               BertForSequenceClassification, 3 labels negative/neutral/positive,
                      max_position_embeddings 64.
    config_multilabel.json  the same with problem_type "multi_label_classification" (HF's default
                      function becomes sigmoid).
    config_nli.json   the same weights labelled entailment/neutral/contradiction (entailment id 0,
                      so HF's contradiction id is -1, the last logit).
    config_no_labels.json   config.json without id2label / label2id (construction must fail).
  distilbert/         DistilBertForSequenceClassification, 2 labels NEGATIVE/POSITIVE (SST-2 style).
    config_nli.json   the same weights labelled not_entailment/entailment (RTE style).
  roberta/            RobertaForSequenceClassification, 3 labels negative/neutral/positive,
                      max_position_embeddings 66 (64 usable positions after the padding offset).
    config_nli.json   the same weights labelled contradiction/neutral/entailment (MNLI order).
  xlnet/              XLNetForSequenceClassification (d_model 32, n_layer 2, n_head 4, d_inner 37,
                      ff_activation gelu, layer_norm_eps 1e-5, dropout 0, summary_type "last",
                      summary_use_proj, summary_activation tanh, summary_last_dropout 0, mem_len 512
                      (default), pad 5 / bos 1 / eos 2), 3 labels negative/neutral/positive; seed 7400,
                      randomised as above (its `layer_norm` weights normal(1, 0.2) as DistilBERT's),
                      logits_proj bias centred as above.
    spiece.model      copy of tests/fixtures/tokenizers/spm/xlnet.model (what the Rust side reads).
    tokenizer_config.json  do_lower_case false, model_max_length 64, model_input_names with
                      token_type_ids, tokenizer_class XLNetTokenizer (rebuilds the HF tokenizer).
    config_nli.json   the same weights labelled contradiction/entailment/neutral (entailment id 1,
                      contradiction id 0).
  bart/               BartForSequenceClassification (d_model 32, encoder_layers = decoder_layers 2,
                      4 heads each, ffn 37 each, max_position_embeddings 64, activation gelu,
                      dropout / attention_dropout / activation_dropout / classifier_dropout 0,
                      scale_embedding false, pad 1 / bos 0 / eos 2, decoder_start_token_id 2,
                      forced_eos_token_id 2, shared embeddings tied: only model.shared.weight is
                      saved), 3 labels negative/neutral/positive; seed 7500, randomised as above
                      (bart_build: every nn.LayerNorm weight -- layernorm_embedding,
                      self_attn_layer_norm, encoder_attn_layer_norm, final_layer_norm --
                      normal(1, 0.2) from a torch.Generator seeded 9500), classification_head.out_proj
                      bias centred as above. No tokenizer files: it uses bpe/ as RoBERTa does.
    config_nli.json   the same weights labelled contradiction/neutral/entailment: BART-MNLI's own
                      order, the same as roberta/config_nli.json (entailment id 2, contradiction 0).
  electra/            ElectraForSequenceClassification (added after BART, own seed 7600; nothing
                      above depends on it): embedding_size 16 projected to hidden 32
                      (embeddings_project), 2 layers, 4 heads, intermediate 37, hidden_act silu,
                      layer_norm_eps 0.02, max_position_embeddings 64; 3 labels
                      negative/neutral/positive; randomised as above, classifier.out_proj bias
                      centred as above. Tokenizer: HF 5.24 maps model type "electra" to
                      BertTokenizer, so it is the WordPiece vocab.txt above, as for BERT.
    config_nli.json   the same weights labelled entailment/neutral/contradiction (as BERT's).
expected.json
  texts               the classification texts; the entry "<LONG>" stands for long_text.
  long_text           {"unit", "chars"}: unit repeated and cut to `chars` characters (100,000).
  zero_shot_texts, zero_shot_labels, zero_shot_template (custom), zero_shot_short_max_length.
  (models: bert, distilbert, roberta, xlnet, bart, electra; xlnet, bart and electra have only
  classification.<model>.config)
  classification.<model>.<config>: {"input_ids": HF ids of each text (truncated),
                      "default": [{label, score}], "all": [[{label, score}]], "sigmoid": [[...]]}
  zero_shot.<model>:  {"input_ids": HF ids of the first label's pairs, "single", "multi",
                      "template", "one_label", "short": [{labels, scores}] per text}
  classification.<model>.skipped, zero_shot.<model>.skipped
                      only where HF failed on a text (None in its place): {"indices", "errors"}.
                      Absent everywhere with these texts (BART included).
"""
import copy
import json
import os
import shutil
import sys
import tempfile
import unicodedata

import torch
import transformers
from tokenizers import pre_tokenizers
from transformers import (
    BartConfig,
    BartForSequenceClassification,
    BartTokenizer,
    BertForSequenceClassification,
    BertTokenizer,
    DistilBertForSequenceClassification,
    ElectraConfig,
    ElectraForSequenceClassification,
    RobertaConfig,
    RobertaForSequenceClassification,
    RobertaTokenizer,
    XLNetConfig,
    XLNetForSequenceClassification,
    XLNetTokenizer,
    pipeline,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402
import fixtures_distilbert as fd  # noqa: E402

OUT = os.path.join(gf.FIX, "pipeline_classification")
GPT2 = os.path.join(gf.FIX, "tokenizers", "gpt2")
XLNET_SPM = os.path.join(gf.FIX, "tokenizers", "spm", "xlnet.model")
# HF 4.x's XLNet tokenizer fed token_type_ids to the model; 5.24's XLNetTokenizer drops them from
# model_input_names (see the module docstring), so they are asked for explicitly.
XLNET_INPUTS = ["input_ids", "token_type_ids", "attention_mask"]
MAX_LEN = 64
XLNET_PIPELINE_MAX = 512
XLNET_ZS_MAX = 128

TEXTS = [
    "I love this movie, it was great!",
    "This film was terrible and boring.",
    "The plot was okay but the acting was bad.",
    "What a wonderful day at the park with my friends.",
    "The food was cold and the service was slow.",
    "",
    "   ",
    "tab\tnew\nline\u0000bell\u0007esc\u001b end",
    "Café naïve résumé 東京 Москва مرحبا 😀 ok",
    "x",
    "<LONG>",
]
LONG_UNIT = "the movie was good and the actors were great but the ending was sad . "
LONG_CHARS = 100_000

ZS_TEXTS = [
    "The team won the football match last night.",
    "The government announced a new tax on bread.",
    "I cooked pasta with tomato sauce for dinner.",
    "   ",
    "<LONG>",
]
ZS_LABELS = ["sports", "politics", "food", "science fiction"]
ZS_TEMPLATE = "This text is about {}."
ZS_SHORT = 24

SEQ_LABELS = {0: "negative", 1: "neutral", 2: "positive"}


def long_text():
    return (LONG_UNIT * (LONG_CHARS // len(LONG_UNIT) + 1))[:LONG_CHARS]


def real(texts):
    return [long_text() if t == "<LONG>" else t for t in texts]


def template_texts():
    hypotheses = [t.format(label) for t in ("This example is {}.", ZS_TEMPLATE) for label in ZS_LABELS]
    return real(TEXTS) + real(ZS_TEXTS) + hypotheses


# --------------------------------------------------------------------------------------------
# tokenizers
# --------------------------------------------------------------------------------------------
def gen_wordpiece():
    full_path = os.path.join(gf.MINILM, "vocab.txt")
    full = gf.load_vocab(full_path)
    full_id = {t: i for i, t in enumerate(full)}
    full_tok = BertTokenizer.from_pretrained(gf.MINILM)
    chosen = set(gf.SPECIALS) | set(gf.PUNCT)
    for text in template_texts():
        chosen |= set(full_tok.tokenize(text))
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    chosen |= set(letters) | {"##" + c for c in letters}
    vocab = sorted(chosen, key=lambda t: full_id[t])
    assert vocab[:5] == gf.SPECIALS, vocab[:5]
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    gf.WRITTEN.append(os.path.join(OUT, "vocab.txt"))
    gf.save_json(os.path.join(OUT, "tokenizer_config.json"),
                 {"do_lower_case": True, "model_max_length": MAX_LEN,
                  "tokenizer_class": "BertTokenizer"})
    tok = BertTokenizer.from_pretrained(OUT)
    for text in template_texts():
        assert tok.tokenize(text) == full_tok.tokenize(text), text[:50]
    print(f"[wordpiece] {len(vocab)} tokens")
    return len(vocab)


def bytes_to_unicode():
    # GPT-2's reversible byte -> printable character table.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]


def gen_bpe():
    with open(os.path.join(GPT2, "vocab.bpe"), encoding="utf-8") as f:
        merges = [tuple(line.split()) for line in f.read().split("\n")[1:] if line]
    ranks = {m: i for i, m in enumerate(merges)}
    pre = pre_tokenizers.ByteLevel(add_prefix_space=False)
    used = set()
    cache = {}

    def bpe(word):
        symbols = list(word)
        while len(symbols) > 1:
            pairs = set(zip(symbols, symbols[1:]))
            best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
            if best not in ranks:
                break
            used.add(best)
            merged, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        return symbols

    for text in template_texts():
        for word, _ in pre.pre_tokenize_str(text):
            if word not in cache:
                cache[word] = bpe(word)
    kept = sorted(used, key=lambda m: ranks[m])
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for symbol in bytes_to_unicode() + [a + b for a, b in kept]:
        vocab.setdefault(symbol, len(vocab))
    vocab["<mask>"] = len(vocab)
    folder = os.path.join(OUT, "bpe")
    os.makedirs(folder, exist_ok=True)
    gf.save_json(os.path.join(folder, "vocab.json"), vocab)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in kept))
    gf.WRITTEN.append(os.path.join(folder, "merges.txt"))
    gf.save_json(os.path.join(folder, "tokenizer_config.json"),
                 {"model_max_length": MAX_LEN, "add_prefix_space": False,
                  "tokenizer_class": "RobertaTokenizer"})
    # The cut vocabulary must tokenize every text as GPT-2's full one does.
    tok = RobertaTokenizer.from_pretrained(folder)
    with open(os.path.join(GPT2, "encoder.json"), encoding="utf-8") as f:
        gpt2_vocab = json.load(f)
    for text in template_texts():
        full = [t for w, _ in pre.pre_tokenize_str(text) for t in cache[w]]
        assert all(t in gpt2_vocab for t in full)
        assert tok.tokenize(text) == full, text[:50]
    print(f"[bpe] {len(vocab)} tokens, {len(kept)} merges")
    return len(vocab)


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------
def labelled(config, id2label, **extra):
    config = copy.deepcopy(config)
    config.id2label = dict(id2label)
    config.label2id = {v: k for k, v in id2label.items()}
    for key, value in extra.items():
        setattr(config, key, value)
    return config


def write_config(config, path):
    config.to_json_file(path)
    gf.WRITTEN.append(path)


def center_logits(model, tok, bias):
    # A random deep encoder maps every text to nearly the same pooled vector, so one label would
    # win everywhere and a test could not tell labels apart. Shifting the (random) classifier bias
    # so that each label's mean logit over the test texts is 0 makes the winning label depend on
    # the text.
    texts = real(TEXTS) + real(ZS_TEXTS)
    with torch.no_grad():
        logits = torch.cat([model(**tok(t, truncation=True, return_tensors="pt")).logits for t in texts])
        bias -= logits.mean(0)


def gen_models(wordpiece_size, bpe_size):
    models = {}
    # BERT, 3 labels.
    cfg = gf.tiny_config(wordpiece_size, num_labels=3, id2label=SEQ_LABELS,
                         label2id={v: k for k, v in SEQ_LABELS.items()}, max_position_embeddings=MAX_LEN)
    bert = gf.build(BertForSequenceClassification, cfg, seed=7100)
    center_logits(bert, tokenizer_for("bert"), bert.classifier.bias)
    folder = os.path.join(OUT, "bert")
    gf.save_model(bert, folder)
    multilabel = labelled(bert.config, SEQ_LABELS, problem_type="multi_label_classification")
    nli = labelled(bert.config, {0: "entailment", 1: "neutral", 2: "contradiction"})
    write_config(multilabel, os.path.join(folder, "config_multilabel.json"))
    write_config(nli, os.path.join(folder, "config_nli.json"))
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        raw = json.load(f)
    raw.pop("id2label"), raw.pop("label2id")
    gf.save_json(os.path.join(folder, "config_no_labels.json"), raw)
    models["bert"] = (bert, {"config": bert.config, "config_multilabel": multilabel}, nli)

    # DistilBERT, 2 labels (SST-2 names).
    sst2 = {0: "NEGATIVE", 1: "POSITIVE"}
    cfg = fd.tiny_config(wordpiece_size, num_labels=2, id2label=sst2,
                         label2id={v: k for k, v in sst2.items()})
    distil = fd.build(DistilBertForSequenceClassification, cfg, seed=7200)
    center_logits(distil, tokenizer_for("distilbert"), distil.classifier.bias)
    folder = os.path.join(OUT, "distilbert")
    gf.save_model(distil, folder)
    nli = labelled(distil.config, {0: "not_entailment", 1: "entailment"})
    write_config(nli, os.path.join(folder, "config_nli.json"))
    models["distilbert"] = (distil, {"config": distil.config}, nli)

    # RoBERTa, 3 labels.
    cfg = RobertaConfig(
        vocab_size=bpe_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=MAX_LEN + 2, type_vocab_size=1,
        hidden_act="gelu", layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()},
    )
    roberta = gf.build(RobertaForSequenceClassification, cfg, seed=7300)
    center_logits(roberta, tokenizer_for("roberta"), roberta.classifier.out_proj.bias)
    folder = os.path.join(OUT, "roberta")
    gf.save_model(roberta, folder)
    nli = labelled(roberta.config, {0: "contradiction", 1: "neutral", 2: "entailment"})
    write_config(nli, os.path.join(folder, "config_nli.json"))
    models["roberta"] = (roberta, {"config": roberta.config}, nli)

    # XLNet last (its own seed), so the models above are built exactly as before.
    models["xlnet"] = gen_xlnet()
    # BART after XLNet (its own seed): nothing above depends on it.
    models["bart"] = gen_bart(bpe_size)
    # ELECTRA after BART (its own seed): nothing above depends on it.
    models["electra"] = gen_electra(wordpiece_size)
    # Longformer after ELECTRA (its own seed): nothing above depends on it.
    models["longformer"] = gen_longformer(bpe_size)
    return models


def gen_electra(wordpiece_size):
    cfg = ElectraConfig(
        vocab_size=wordpiece_size, embedding_size=16, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=37, max_position_embeddings=MAX_LEN,
        hidden_act="silu", layer_norm_eps=0.02, pad_token_id=0, num_labels=3,
        id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()},
    )
    electra = gf.build(ElectraForSequenceClassification, cfg, seed=7600)
    center_logits(electra, tokenizer_for("electra"), electra.classifier.out_proj.bias)
    folder = os.path.join(OUT, "electra")
    gf.save_model(electra, folder)
    nli = labelled(electra.config, {0: "entailment", 1: "neutral", 2: "contradiction"})
    write_config(nli, os.path.join(folder, "config_nli.json"))
    return electra, {"config": electra.config}, nli


def gen_longformer(bpe_size):
    """Longformer on RoBERTa's BPE, 3 labels; windows [4, 8] (texts of up to 64 tokens padded to a
    multiple of 8), gelu_new, layer_norm_eps 0.02. HF's head puts global attention on <s>."""
    from transformers import LongformerConfig, LongformerForSequenceClassification

    cfg = LongformerConfig(
        vocab_size=bpe_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, max_position_embeddings=MAX_LEN + 2, type_vocab_size=1,
        attention_window=[4, 8], hidden_act="gelu_new", layer_norm_eps=0.02, pad_token_id=1,
        bos_token_id=0, eos_token_id=2, sep_token_id=2, num_labels=3, id2label=SEQ_LABELS,
        label2id={v: k for k, v in SEQ_LABELS.items()},
    )
    longformer = gf.build(LongformerForSequenceClassification, cfg, seed=7700)
    center_logits(longformer, tokenizer_for("longformer"), longformer.classifier.out_proj.bias)
    folder = os.path.join(OUT, "longformer")
    gf.save_model(longformer, folder)
    nli = labelled(longformer.config, {0: "contradiction", 1: "neutral", 2: "entailment"})
    write_config(nli, os.path.join(folder, "config_nli.json"))
    return longformer, {"config": longformer.config}, nli


# --------------------------------------------------------------------------------------------
# BART (RoBERTa's byte-level BPE, encoder-decoder, pooled at the last </s>)
# --------------------------------------------------------------------------------------------
BART_SEED = 7500


def bart_build(config, seed):
    """generate_fixtures.build (every parameter normal(0, 0.2)), then every LayerNorm weight
    normal(1, 0.2) from its own seed: BART's norms are named layernorm_embedding,
    self_attn_layer_norm, encoder_attn_layer_norm and final_layer_norm, none of which
    generate_fixtures.randomise (`LayerNorm`) or fixtures_distilbert.build (`layer_norm`) all
    catch."""
    model = gf.build(BartForSequenceClassification, config, seed)
    gen = torch.Generator().manual_seed(seed + 2000)
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.copy_(torch.empty_like(module.weight).normal_(1.0, 0.2, generator=gen))
    model.eval()
    return model


def check_bart_tokenizer(tok):
    """HF 5.24's BartTokenizer is an alias of RobertaTokenizer: on the same bpe/ files it must
    give the RoBERTa ids for every text and pair, pad on the right with <pad>=1, and put one
    </s> (eos 2) at the end of every single text, so BART's last-eos pooling is well defined."""
    roberta = tokenizer_for("roberta")
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.padding_side == "right" and len(tok) == len(roberta)
    hypothesis = "This example is {}.".format(ZS_LABELS[0])
    for text in template_texts():
        ids = tok(text, truncation=True)["input_ids"]
        assert ids == roberta(text, truncation=True)["input_ids"], text[:50]
        assert ids[0] == 0 and ids[-1] == 2 and ids.count(2) == 1, (text[:50], ids)
        pair = tok(text, hypothesis, truncation="only_first")["input_ids"]
        assert pair == roberta(text, hypothesis, truncation="only_first")["input_ids"], text[:50]
        assert pair.count(2) == 3, (text[:50], pair)  # <s> A </s></s> B </s>


def gen_bart(bpe_size):
    folder = os.path.join(OUT, "bart")
    cfg = BartConfig(
        vocab_size=bpe_size, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=37,
        decoder_ffn_dim=37, max_position_embeddings=MAX_LEN, activation_function="gelu",
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, classifier_dropout=0.0,
        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
        forced_eos_token_id=2, num_labels=3, id2label=SEQ_LABELS,
        label2id={v: k for k, v in SEQ_LABELS.items()},
    )
    bart = bart_build(cfg, seed=BART_SEED)
    # 64 + 2 rows: BartLearnedPositionalEmbedding's offset of 2
    assert bart.model.encoder.embed_positions.weight.shape[0] == MAX_LEN + 2
    tok = tokenizer_for("bart")
    check_bart_tokenizer(tok)
    center_logits(bart, tok, bart.classification_head.out_proj.bias)
    gf.save_model(bart, folder)
    # BART-MNLI's own order, the same as the RoBERTa NLI config (entailment id 2, contradiction 0)
    nli = labelled(bart.config, {0: "contradiction", 1: "neutral", 2: "entailment"})
    write_config(nli, os.path.join(folder, "config_nli.json"))
    print(f"[bart] {len(tok)} BPE tokens (BartTokenizer = RobertaTokenizer in 5.24)")
    return bart, {"config": bart.config}, nli


# --------------------------------------------------------------------------------------------
# XLNet (SentencePiece tokenizer, left padding, <sep> <cls> at the end)
# --------------------------------------------------------------------------------------------
def write_xlnet_tokenizer(folder, record=True):
    """spiece.model (the fixture SentencePiece model) and a tokenizer_config.json from which
    `XLNetTokenizer.from_pretrained(folder)` rebuilds the reference tokenizer (but for
    pad_token_type_id, see xlnet_tokenizer)."""
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(XLNET_SPM, os.path.join(folder, "spiece.model"))
    config = {"do_lower_case": False, "keep_accents": False, "model_max_length": MAX_LEN,
              "model_input_names": XLNET_INPUTS, "tokenizer_class": "XLNetTokenizer"}
    path = os.path.join(folder, "tokenizer_config.json")
    if record:
        gf.WRITTEN.append(os.path.join(folder, "spiece.model"))
        gf.save_json(path, config)
    else:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f)


def xlnet_tokenizer(folder, max_len=MAX_LEN):
    tok = XLNetTokenizer.from_pretrained(folder, model_max_length=max_len, model_input_names=XLNET_INPUTS)
    tok._pad_token_type_id = 3  # HF 4.x's value; 5.24's base __init__ resets it to 0
    return tok


def xlnet_preprocess(text):
    """The text sentencepiece sees in HF 4.x's slow XLNetTokenizer (remove_space, `` and '' to ",
    NFKD without combining marks; no lower-casing)."""
    text = " ".join(text.strip().split()).replace("``", '"').replace("''", '"')
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def check_xlnet_tokenizer(tok, texts):
    """The HF tokenizer really reads spiece.model (5.24's XLNetTokenizer(vocab_file=...) silently
    builds a 9-token vocabulary instead) and gives sentencepiece's own ids."""
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=XLNET_SPM)
    assert len(tok) == sp.get_piece_size() == 1000, (len(tok), sp.get_piece_size())
    assert tok.convert_ids_to_tokens(list(range(len(tok)))) == [sp.id_to_piece(i) for i in range(len(tok))]
    assert (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id, tok.unk_token_id) == (3, 4, 5, 0)
    assert tok.padding_side == "left" and tok.pad_token_type_id == 3
    for text in texts:
        assert tok(text, add_special_tokens=False)["input_ids"] == sp.encode(xlnet_preprocess(text)), text[:50]
    enc = tok("a b", "c", return_token_type_ids=True)  # A <sep> B <sep> <cls>, types 0 0 0 1 1 2
    assert tok.convert_ids_to_tokens(enc["input_ids"]) == ["▁a", "▁b", "<sep>", "▁c", "<sep>", "<cls>"], enc
    assert enc["token_type_ids"] == [0, 0, 0, 1, 1, 2], enc
    padded = tok(["a", "a b"], padding=True, return_token_type_ids=True)
    assert padded["input_ids"][0][0] == 5 and padded["token_type_ids"][0][0] == 3, padded


def xlnet_config(vocab_size, **kw):
    return XLNetConfig(
        vocab_size=vocab_size, d_model=32, n_layer=2, n_head=4, d_inner=37, ff_activation="gelu",
        layer_norm_eps=1e-5, dropout=0.0, summary_type="last", summary_use_proj=True,
        summary_activation="tanh", summary_last_dropout=0.0, pad_token_id=5, bos_token_id=1,
        eos_token_id=2, **kw,
    )


def gen_xlnet():
    folder = os.path.join(OUT, "xlnet")
    cfg = xlnet_config(1000, num_labels=3, id2label=SEQ_LABELS, label2id={v: k for k, v in SEQ_LABELS.items()})
    # fd.build: generate_fixtures.build + layer_norm weights normal(1, 0.2) (XLNet's norms are
    # named layer_norm, like DistilBERT's)
    xlnet = fd.build(XLNetForSequenceClassification, cfg, seed=7400)
    with tempfile.TemporaryDirectory() as scratch:
        write_xlnet_tokenizer(scratch, record=False)
        center_logits(xlnet, xlnet_tokenizer(scratch), xlnet.logits_proj.bias)
    gf.save_model(xlnet, folder)  # removes the folder's other files: tokenizer files after it
    write_xlnet_tokenizer(folder)
    check_xlnet_tokenizer(tokenizer_for("xlnet"), template_texts())
    nli = labelled(xlnet.config, {0: "contradiction", 1: "entailment", 2: "neutral"})
    write_config(nli, os.path.join(folder, "config_nli.json"))
    print(f"[xlnet] {len(tokenizer_for('xlnet'))} SentencePiece tokens")
    return xlnet, {"config": xlnet.config}, nli


def tokenizer_for(name, max_len=MAX_LEN):
    if name == "xlnet":
        return xlnet_tokenizer(os.path.join(OUT, "xlnet"), max_len)
    if name in ("roberta", "longformer"):
        return RobertaTokenizer.from_pretrained(os.path.join(OUT, "bpe"), model_max_length=max_len)
    if name == "bart":
        return BartTokenizer.from_pretrained(os.path.join(OUT, "bpe"), model_max_length=max_len)
    return BertTokenizer.from_pretrained(OUT, model_max_length=max_len)


def with_config(model, config):
    model = copy.deepcopy(model)
    model.config = copy.deepcopy(config)
    model.eval()
    return model


def gen_expected(models):
    texts = real(TEXTS)
    zs_texts = real(ZS_TEXTS)
    expected = {
        "texts": TEXTS,
        "long_text": {"unit": LONG_UNIT, "chars": LONG_CHARS},
        "zero_shot_texts": ZS_TEXTS,
        "zero_shot_labels": ZS_LABELS,
        "zero_shot_template": ZS_TEMPLATE,
        "zero_shot_short_max_length": ZS_SHORT,
        "classification": {},
        "zero_shot": {},
    }
    for name, (model, configs, nli) in models.items():
        # XLNet has no position limit: the Rust pipelines cut its inputs at 512 tokens (its
        # pretraining length), and zero-shot at the `max_length` argument the Rust test gives (128).
        tok = tokenizer_for(name, XLNET_PIPELINE_MAX if name == "xlnet" else MAX_LEN)
        zs_tok = tokenizer_for(name, XLNET_ZS_MAX) if name == "xlnet" else tok
        ids = [tok(t, truncation=True)["input_ids"] for t in texts]
        expected["classification"][name] = {}
        skipped = {}
        for config_name, config in configs.items():
            clf = pipeline("text-classification", model=with_config(model, config), tokenizer=tok,
                           device="cpu")
            expected["classification"][name][config_name] = {
                "input_ids": ids,
                "default": each(clf, texts, skipped, truncation=True),
                "all": each(clf, texts, skipped, top_k=None, truncation=True),
                "sigmoid": each(clf, texts, skipped, top_k=None, function_to_apply="sigmoid",
                                truncation=True),
            }
        if skipped:
            expected["classification"][name]["skipped"] = skipped_entry(skipped)
        nli_model = with_config(model, nli)
        zs = pipeline("zero-shot-classification", model=nli_model, tokenizer=zs_tok, device="cpu")
        short = pipeline("zero-shot-classification", model=nli_model,
                         tokenizer=tokenizer_for(name, ZS_SHORT), device="cpu")
        hypothesis = "This example is {}.".format(ZS_LABELS[0])
        skipped = {}
        expected["zero_shot"][name] = {
            "input_ids": [zs_tok(t, hypothesis, truncation="only_first")["input_ids"] for t in zs_texts],
            "single": each(zs, zs_texts, skipped, candidate_labels=ZS_LABELS),
            "multi": each(zs, zs_texts, skipped, candidate_labels=ZS_LABELS, multi_label=True),
            "template": each(zs, zs_texts, skipped, candidate_labels=ZS_LABELS,
                             hypothesis_template=ZS_TEMPLATE),
            "one_label": each(zs, zs_texts, skipped, candidate_labels=ZS_LABELS[:1]),
            "short": each(short, zs_texts, skipped, candidate_labels=ZS_LABELS, multi_label=True),
        }
        for entry in expected["zero_shot"][name].values():
            for result in entry:
                if isinstance(result, dict):
                    result.pop("sequence")  # the 100k-character text, stored once above
        if skipped:
            expected["zero_shot"][name]["skipped"] = skipped_entry(skipped)
    gf.save_json(os.path.join(OUT, "expected.json"), expected)
    summary = expected["classification"]["bert"]["config"]["default"][:3]
    print(f"[expected] bert default on the first texts: {summary}")


def each(pipe, texts, skipped, **kw):
    """`pipe(texts, **kw)`; should HF fail on the list (BART: "All examples must have the same
    number of <eos> tokens." / "Each example must contain at least one <eos> token."), every
    text on its own, with None for a text HF cannot run and its error in `skipped` (index ->
    message). HF runs the texts one by one either way (batch_size 1), so the results of the
    texts that do run are the same."""
    try:
        return pipe(texts, **kw)
    except Exception:  # noqa: BLE001 -- recorded per text below
        pass
    results = []
    for i, text in enumerate(texts):
        try:
            results.append(pipe([text], **kw)[0])
        except Exception as error:  # noqa: BLE001
            skipped.setdefault(i, f"{type(error).__name__}: {error}")
            results.append(None)
    return results


def skipped_entry(skipped):
    return {"indices": sorted(skipped), "errors": [skipped[i] for i in sorted(skipped)]}


def main():
    transformers.logging.set_verbosity_error()
    torch.manual_seed(0)
    wordpiece_size = gen_wordpiece()
    bpe_size = gen_bpe()
    models = gen_models(wordpiece_size, bpe_size)
    gen_expected(models)
    print(f"wrote {len(gf.WRITTEN)} files under {os.path.relpath(OUT, gf.ROOT)}")


if __name__ == "__main__":
    main()
