#!/usr/bin/env python3
"""HF-reference fixtures for BART (tests/fixtures/bart/, tests/fixtures/bart_classification/).

Run from the repository root:  .venv/bin/python utils/fixtures_bart.py
Reference: transformers 5.24 / torch 2.13 / tokenizers 0.23, CPU, float32, eval, no_grad, eager
attention, torch single-threaded (generate_fixtures sets it), tokenizers' trainer single-threaded
(RAYON_NUM_THREADS=1). Deterministic: two runs write byte-identical files. Every expected value
comes from HF (model forward, model.generate, compute_transition_scores, BartTokenizer).

bart/vocab.json, bart/merges.txt
    Byte-level BPE trained with `tokenizers` on CORPUS below (plain news-like English, one sentence
    a line): BpeTrainer(vocab_size=V - 1, special_tokens=[<s>, <pad>, </s>, <unk>],
    initial_alphabet=ByteLevel.alphabet(), min_frequency=2), ByteLevel pre-tokenizer
    (add_prefix_space=False) and decoder -> ids <s>=0 <pad>=1 </s>=2 <unk>=3, then the 256 byte
    symbols, then the merges' symbols; `<mask>` is appended as the last id (V - 1), as in BART.
    V = VOCAB_SIZE = 500. vocab.json is {token: id} in id order; merges.txt is "#version: 0.2" then
    one "a b" merge a line in merge order. Checked: transformers.BartTokenizer(vocab.json,
    merges.txt) (in 5.24 an alias of RobertaTokenizer: tokenizers backend, add_prefix_space=False,
    trim_offsets=True, plain "<mask>" without lstrip) has V tokens, the special ids above, encodes
    "Hello world" as [0, ..., 2] (no <unk>), tokenizes like the trained tokenizer and decodes back.

bart/{config.json, model.safetensors}
    BartForConditionalGeneration(BartConfig(vocab_size V, d_model 32, encoder_layers 2,
    decoder_layers 2, encoder/decoder_attention_heads 4, encoder/decoder_ffn_dim 64,
    max_position_embeddings 64, activation_function gelu, scale_embedding True (embeddings * sqrt(32);
    bart-large has False: read it from config.json), dropout/attention_dropout/activation_dropout 0,
    pad 1, bos 0, eos 2, decoder_start_token_id 2, forced_eos_token_id 2, tie_word_embeddings True)),
    saved with save_pretrained; then "forced_bos_token_id": 0 is added to config.json (as in
    facebook/bart-large-cnn's config.json: HF 5.24's BartConfig has no such field and drops it
    from config.json, but from_pretrained moves a config.json forced_bos_token_id into
    model.generation_config; checked below). Every parameter randomised after construction:
    normal(0, 0.2), LayerNorm weights (*layer_norm.weight, *layernorm_embedding.weight) normal(1, 0.2)
    (seed MODEL_SEED + 1000); the final_logits_bias buffer is saved by save_pretrained and is
    randomised too: normal(0, 0.2), then shaped: tokens never produced by tokenizing CORPUS (stray
    byte symbols, <unk>, <mask>, <pad>) get -UNUSED_SHIFT, and the EOS entry gets +s with s bisected
    so that EOS is the argmax at EOS_TARGET_RATE of the teacher-forced decoder positions of the
    corpus lines (likely, not dominant; s is printed).
    model.safetensors holds model.shared.weight (the one embedding matrix; encoder/decoder
    embed_tokens and lm_head.weight are tied to it and NOT stored), final_logits_bias [1, V],
    model.{encoder,decoder}.embed_positions.weight [64 + 2, 32] (BART's offset 2: position p reads
    row p + 2), layernorm_embedding.{weight,bias}, and the layers' q/k/v/out_proj, fc1, fc2,
    self_attn_layer_norm, (decoder) encoder_attn + encoder_attn_layer_norm, final_layer_norm.
    No final encoder/decoder layer_norm (BART has none; mBART has).

bart/expected.safetensors  (one model forward with output_hidden_states and output_attentions)
    `input_ids`, `attention_mask` int64 [3, 9]: BartTokenizer(FORWARD_TEXTS[i], truncation=True,
        max_length=n) for n = 9, 6, 4 (rows <s> ... </s>), right-padded with <pad>=1, mask 0 there.
    `decoder_input_ids` int64 [3, 5]: [2, 0, a, b, c] (decoder start = </s>, then <s> and three ids
        of DECODER_TEXTS[i]); no decoder_attention_mask (HF 5.24: all ones, causal).
    outputs: `logits` [3, 5, V] (lm_head(x) + final_logits_bias), `encoder_last_hidden_state`
        [3, 9, 32], `encoder_hidden_states.i` / `decoder_hidden_states.i` i = 0..2 (0 = the
        embeddings after layernorm_embedding; i = the output of layer i), `encoder_attentions.i`
        [3, 4, 9, 9], `decoder_attentions.i` [3, 4, 5, 5] (causal), `cross_attentions.i`
        [3, 4, 5, 9] (0 on padded encoder keys), i = 0..1.
    incremental decoding with the cache (use_cache=True, the same input_ids / attention_mask for
    the encoder each call): `step.0.decoder_input_ids` [3, 2] = the first 2 decoder tokens ->
    `step.0.logits` [3, 2, V]; `step.k.decoder_input_ids` [3, 1] = decoder token k + 1 fed with the
    cache of step k - 1 -> `step.k.logits` [3, 1, V], k = 1..3. Asserted here: equal to the full
    forward's logits at the same positions (< 1e-5). Decoder positions continue from the cache
    length (arange(cache_len, cache_len + n) + 2), independent of any padding.
    Values at padded encoder positions are deterministic but meaningless: compare encoder hidden
    states where attention_mask == 1.

bart_classification/{config.json, model.safetensors, expected.safetensors}
    BartForSequenceClassification, same sizes and randomisation (seed CLS_SEED + 1000), num_labels 3,
    id2label {0: negative, 1: neutral, 2: positive} (classification_head.dense [32, 32] -> tanh ->
    classification_head.out_proj [3, 32]; classifier_dropout 0). No forced_bos in its config.json.
    expected.safetensors:
      `input_ids`, `attention_mask` [3, 9]: the forward batch above (one </s> per row) -> `logits`
          [3, 3], `eos_hidden_state` [3, 32] (the decoder hidden state the head reads).
      `pair.input_ids`, `pair.attention_mask` [2, 27]: BartTokenizer(a, b) for PAIR_TEXTS
          (<s> a </s></s> b </s>: 3 </s> per row; real lengths 20, 27), right-padded with 1 ->
          `pair.logits` [2, 3]
          (the head reads the LAST </s> of each row).
    HF's rule (modeling_bart.py BartForSequenceClassification.forward): decoder_input_ids =
    shift_tokens_right(input_ids, pad 1, decoder_start 2) (pads included, no decoder mask), the
    encoder mask is used for cross-attention; eos_mask = input_ids == eos; all rows must have the
    same number of </s> (else a ValueError "All examples must have the same number of <eos>
    tokens."; checked here); the decoder's last hidden state at the last </s> of each row feeds
    the head.

bart/cases.json
    A list of generate cases (the format of tests/fixtures/generation/cases.json; see
    utils/fixtures_generation.py), each {"name", "input_ids" (encoder input, RIGHT-padded with
    <pad>=1 as the tokenizer pads), "attention_mask", "options", "sequences", "sequences_scores",
    "token_scores", "generated_lengths", "eos_rows", "hits_eos", "steps"}. The call is exactly
        model.generate(torch.tensor(input_ids), attention_mask=torch.tensor(attention_mask), **options)
    `options` always holds pad_token_id 1, eos_token_id 2, decoder_start_token_id 2,
    forced_bos_token_id (0 or null), forced_eos_token_id (2 or null), do_sample False, use_cache,
    num_beams, length_penalty, early_stopping, no_repeat_ngram_size, repetition_penalty,
    min_length, num_return_sequences, exactly one of max_length / max_new_tokens,
    output_scores True, return_dict_in_generate True (plus bad_words_ids where used), so that no
    generation_config default (e.g. the config's forced_eos_token_id 2) leaks in: null means off.
    Encoder prompts: CASE_TEXTS tokenized with truncation to 12, 8 and 5 tokens (<s> ... </s>),
    padded to 12.
    sequences: the decoder rows, starting with the decoder start token 2 ([rows, 1 + T]; rows of
        one prompt adjacent, best first). For an encoder-decoder model max_length and min_length
        count the decoder row INCLUDING the start token; max_new_tokens = max_length - 1.
    sequences_scores: beam only: sum(token_scores) / generated_length ** length_penalty.
    token_scores: [rows, T]: greedy: log_softmax(processed scores)[chosen] (0.0 after the row's
        first EOS); beam: compute_transition_scores(..., beam_indices, normalize_logits=False)
        (0.0 after the hypothesis' end). generated_lengths: tokens after the start token, EOS
        included (beam: (beam_indices >= 0).sum()). eos_rows, hits_eos, steps = len(out.scores).
    Near-ties: greedy cases: min best-minus-second-best processed score over every step of every
    running row; beam cases: min difference between consecutive finite sorted top (2k + 1)
    accumulated scores at every step (fixtures_generation.BeamRecorder); all asserted > 1e-4
    (values printed). Cases (this run; eos_rows / generated_lengths; min gap):
      greedy_max_new_tokens_10                    F T T   10 7 3          2.1e-02
      greedy_min_length_10_max_length_14          F T T   13 10 10        6.7e-02 (EOS allowed from
                                                                          the 10th generated token)
      beam3_early_stopping_false                  F F T   10 10 4         6.4e-04
      beam4_early_stopping_true_return2           all T   7 6 | 6 5 | 4 3  6.4e-04
      beam3_no_repeat_ngram_2_length_penalty_2.0  T T T   10 6 6          3.6e-04
      beam3_repetition_penalty_1.3_bad_words      F F T   10 10 4         6.4e-04  bad_words_ids
          [[395], [290, 487]] (395: prompt 0's first greedy token; (290, 487): the first generated
          bigram once 395 is banned)
      greedy_forced_bos                           F F T   10 10 4         8.3e-02
      beam3_forced_bos                            F F T   10 10 2         4.1e-04
      beam3_forced_eos_max_length_8               T T T   7 7 4           6.4e-04 (EOS forced at
                                                                          the last step, score 0)
      beam3_cnn_settings                          T T T   6 10 6          3.7e-04 (forced BOS + EOS,
          min_length 6, max_length 14, no_repeat_ngram_size 3, early_stopping True)
      greedy_single_unpadded                      F       10              3.9e-01 (prompt 0 alone)

bart/text.json
    Summarization reference (rust-bert's BART-CNN settings scaled down): {"texts": SUMMARY_TEXTS,
    "tokenizer_call": ..., "input_ids", "attention_mask" (BartTokenizer(texts, truncation=True,
    max_length=64, padding=True): right-padded with 1; the first text is 93 tokens and is cut to
    63 + </s>, the second is 50), "untruncated_lengths", "options" (num_beams 3, min_length 8, max_length 24,
    no_repeat_ngram_size 3, length_penalty 1.0, early_stopping True, forced_bos_token_id 0,
    forced_eos_token_id 2, decoder_start_token_id 2, pad 1, eos 2, do_sample False,
    num_return_sequences 1, repetition_penalty 1.0), "output_ids" (generate's rows, decoder start
    included, padded with 1), "summaries": tokenizer.decode(row, skip_special_tokens=True) with the
    tokenizer's default clean_up_tokenization_spaces (recorded as "clean_up_tokenization_spaces"),
    "min_gap" (beam near-tie measure, 9.9e-4)}. This run: 8 and 9 generated tokens (<s> ... </s>; the
    first ends at the earliest step min_length allows, its row is padded with 1).

HF 5.24 behaviour these fixtures pin down (transformers/models/bart/modeling_bart.py,
transformers/generation/utils.py and logits_process.py):
  * embeddings: shared(ids) * (sqrt(d_model) if scale_embedding else 1) + embed_positions(arange + 2)
    -> layernorm_embedding; post-LN layers (residual add, then LayerNorm) in both stacks.
  * attention: scores = (q @ k^T) * head_dim ** -0.5 + mask; finfo.min on padded encoder keys (encoder
    self-attention and cross-attention), causal decoder self-attention.
  * scale_embedding multiplies the token embeddings only (not the positions), in both stacks.
  * logits = hidden @ shared.T + final_logits_bias.
  * generation: decoder starts with decoder_start_token_id 2 (= EOS); ForcedBOS forces <s>=0 at
    the first generated step; ForcedEOS forces EOS when cur_len == max_length - 1; min_length bans
    EOS while the decoder row (start token included) is shorter than min_length; repetition_penalty
    penalises every distinct id of the decoder row INCLUDING the start token 2 (= EOS): no
    prompt_ignore_length for encoder-decoder models without a decoder_attention_mask (checked:
    the raw EOS logit is divided by 1.3 at the first step).
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
from fixtures_generation import BeamRecorder, greedy_gap  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import (  # noqa: E402
    BartConfig,
    BartForConditionalGeneration,
    BartForSequenceClassification,
    BartTokenizer,
)

OUT = os.path.join(gf.FIX, "bart")
CLS_OUT = os.path.join(gf.FIX, "bart_classification")
VOCAB_SIZE = 500
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
BOS, PAD, EOS, UNK = 0, 1, 2, 3
MASK = VOCAB_SIZE - 1

MODEL_SEED = int(os.environ.get("BART_SEED", 23))
CLS_SEED = 77
EOS_TARGET_RATE = float(os.environ.get("BART_EOS_RATE", 0.15))
UNUSED_SHIFT = 2.0

CORPUS = """\
The city council voted on Monday to build a new bridge over the river.
The mayor said the bridge would open next year and cost about ten million dollars.
Officials said the old bridge was no longer safe for heavy trucks.
Heavy rain caused flooding in several towns in the north of the country on Tuesday.
Hundreds of people were moved from their homes as the river rose.
The weather service said more rain was expected later in the week.
The government announced a plan to cut taxes for small businesses.
The finance minister said the plan would help companies hire more workers.
Critics said the tax cut would add to the national debt.
The central bank kept interest rates unchanged at its meeting on Wednesday.
Prices rose by two percent in the past year, the bank said.
The stock market closed higher on Thursday after strong results from technology companies.
Shares in the largest bank fell after it reported a loss for the third quarter.
A new study found that people who walk every day live longer.
The researchers followed more than ten thousand people for twenty years.
Scientists said the results show the value of regular exercise.
The national team won the final match of the tournament on Sunday.
The captain scored two goals in the second half of the game.
Thousands of fans celebrated in the streets of the capital after the game.
The school board approved a plan to hire more teachers next year.
Parents said classes in the city schools were too large.
The company said it would open a new factory and create five hundred jobs.
Workers at the factory will build parts for electric cars.
The president met with leaders from several countries to discuss trade.
The leaders agreed to work together on climate change and energy.
Police said the fire started in a house on the edge of the town.
No one was hurt, but the house was badly damaged by the fire.
The museum will open a new exhibition about the history of the city next month.
The exhibition includes old maps, photos and letters from the first families in the city.
The hospital said it had treated more patients this winter than in any year before.
Doctors asked people to stay at home if they feel sick.
The airline said it would add new flights to several cities in the summer.
Travel demand has grown strongly since the start of the year, the airline said.
Farmers said the dry weather had hurt their crops this year.
The price of bread and milk rose in many shops across the country.
"""

FORWARD_TEXTS = [
    "The city council voted on Monday to build a new bridge.",  # cut to 9 tokens
    "Heavy rain caused flooding in several towns.",  # cut to 6
    "The mayor said the bridge would open.",  # cut to 4
]
FORWARD_LENGTHS = [9, 6, 4]
DECODER_TEXTS = ["The bridge will", "Rain fell in", "The new plan"]
PAIR_TEXTS = [("The bank kept rates.", "Prices rose."), ("The team won.", "Fans celebrated in the streets.")]

CASE_TEXTS = [
    "The government announced a plan to cut taxes for small businesses and workers.",  # cut to 12
    "Scientists said the results show the value of exercise.",  # cut to 8
    "The team won the final.",  # cut to 5
]
CASE_LENGTHS = [12, 8, 5]

SUMMARY_TEXTS = [
    "The city council voted on Monday to build a new bridge over the river. The mayor said the "
    "bridge would open next year and cost about ten million dollars. Officials said the old bridge "
    "was no longer safe for heavy trucks, and that work would start in the spring.",
    "The central bank kept interest rates unchanged on Wednesday. Prices rose by two percent in "
    "the past year.",
]
SUMMARY_OPTIONS = dict(num_beams=3, min_length=8, max_length=24, no_repeat_ngram_size=3,
                       length_penalty=1.0, early_stopping=True)


# --------------------------------------------------------------------------------------------
# 1. tokenizer
# --------------------------------------------------------------------------------------------
def train_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE - 1, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=SPECIALS, show_progress=False, min_frequency=2,
    )
    tok.train_from_iterator(CORPUS.splitlines(), trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = dict(sorted(model["vocab"].items(), key=lambda kv: kv[1]))
    assert list(vocab.values()) == list(range(len(vocab))), "vocab ids not contiguous"
    assert len(vocab) == VOCAB_SIZE - 1, len(vocab)
    assert [t for t, _ in list(vocab.items())[:4]] == SPECIALS
    vocab["<mask>"] = len(vocab)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return vocab, merges, tok


def write_tokenizer(folder, vocab, merges, trained):
    os.makedirs(folder, exist_ok=True)
    vocab_path = os.path.join(folder, "vocab.json")
    merges_path = os.path.join(folder, "merges.txt")
    with open(vocab_path, "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(merges_path, "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        f.write("".join(m + "\n" for m in merges))
    tok = BartTokenizer(vocab_path, merges_path)
    assert len(tok) == VOCAB_SIZE, len(tok)
    ids = dict(bos=tok.bos_token_id, pad=tok.pad_token_id, eos=tok.eos_token_id, unk=tok.unk_token_id,
               mask=tok.mask_token_id, cls=tok.cls_token_id, sep=tok.sep_token_id)
    assert ids == dict(bos=BOS, pad=PAD, eos=EOS, unk=UNK, mask=MASK, cls=BOS, sep=EOS), ids
    hello = tok("Hello world")["input_ids"]
    assert hello[0] == BOS and hello[-1] == EOS and UNK not in hello, hello
    assert tok.decode(hello, skip_special_tokens=True) == "Hello world"
    for text in CORPUS.splitlines() + SUMMARY_TEXTS + CASE_TEXTS:
        enc = tok(text, add_special_tokens=False)["input_ids"]
        assert enc == trained.encode(text).ids, text
        assert tok.decode(enc) == text, text
        assert UNK not in enc
    return tok, hello, [vocab_path, merges_path]


def load_tokenizer():
    vocab, merges, trained = train_tokenizer()
    with tempfile.TemporaryDirectory() as scratch:
        tok, hello, _ = write_tokenizer(scratch, vocab, merges, trained)
    print(f"[tokenizer] {len(vocab)} tokens, {len(merges)} merges; 'Hello world' -> {hello} "
          f"{tok.convert_ids_to_tokens(hello)}; clean_up_tokenization_spaces="
          f"{tok.clean_up_tokenization_spaces}")
    return tok, (vocab, merges, trained)


# --------------------------------------------------------------------------------------------
# 2. models
# --------------------------------------------------------------------------------------------
def tiny_config(vocab_size, **kw):
    cfg = dict(
        vocab_size=vocab_size, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=64, activation_function="gelu", scale_embedding=True,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, classifier_dropout=0.0,
        pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS, decoder_start_token_id=EOS,
        forced_eos_token_id=EOS,
    )
    cfg.update(kw)
    return BartConfig(**cfg)


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():  # tied embeddings / lm_head listed once
            if ("layer_norm" in name or "layernorm" in name) and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)
        if hasattr(model, "final_logits_bias"):
            model.final_logits_bias.normal_(0.0, 0.2)


def build(cls, config, seed):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = cls(config)
    randomise(model, seed + 1000)
    model.eval()
    return model


def corpus_batches(tok):
    """Teacher-forced decoder inputs: encoder = a corpus line, decoder = shift_right(same line)."""
    out = []
    for line in CORPUS.splitlines():
        ids = tok(line, truncation=True, max_length=40)["input_ids"]
        out.append((torch.tensor([ids]), torch.tensor([[EOS] + ids[:-1]])))
    return out


def unused_tokens(tok):
    used = {t for line in CORPUS.splitlines() + SUMMARY_TEXTS + CASE_TEXTS
            for t in tok(line)["input_ids"]}
    return [t for t in range(VOCAB_SIZE) if t not in used and t != EOS]


def shape_output(model, tok):
    bias = model.final_logits_bias[0]
    unused = unused_tokens(tok)
    with torch.no_grad():
        bias[unused] -= UNUSED_SHIFT
        logits = []
        for enc, dec in corpus_batches(tok):
            logits.append(model(input_ids=enc, decoder_input_ids=dec, use_cache=False).logits[0])
        logits = torch.cat(logits, 0)
        base = logits[:, EOS] - bias[EOS]
        others = torch.cat([logits[:, :EOS], logits[:, EOS + 1:]], 1).max(-1).values

        def rate(s):
            return ((base + s) > others).float().mean().item()

        lo, hi = -20.0, 20.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if rate(mid) < EOS_TARGET_RATE else (lo, mid)
        shift = round(hi, 3)
        bias[EOS] = shift
    return shift, rate(shift), len(unused)


def save_bart(model, folder, forced_bos=None):
    keys = gf.save_model(model, folder)
    if forced_bos is not None:
        path = os.path.join(folder, "config.json")
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
        cfg["forced_bos_token_id"] = forced_bos
        cfg = dict(sorted(cfg.items()))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
            f.write("\n")
    return keys


def check_reload(cls, folder, model, inputs, forced_bos=None):
    again = cls.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        a = model(**inputs).logits
        b = again(**inputs).logits
    assert torch.equal(a, b), (folder, (a - b).abs().max())
    if forced_bos is not None:
        assert again.generation_config.forced_bos_token_id == forced_bos, again.generation_config
        assert again.generation_config.forced_eos_token_id == EOS
    return again


# --------------------------------------------------------------------------------------------
# 3. forward fixtures
# --------------------------------------------------------------------------------------------
def right_pad(rows, width=None, pad=PAD):
    width = width or max(len(r) for r in rows)
    ids = [list(r) + [pad] * (width - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
    return ids, mask


def forward_inputs(tok):
    rows = [tok(t, truncation=True, max_length=n)["input_ids"] for t, n in zip(FORWARD_TEXTS, FORWARD_LENGTHS)]
    assert [len(r) for r in rows] == FORWARD_LENGTHS, rows
    assert all(r[0] == BOS and r[-1] == EOS and r.count(EOS) == 1 for r in rows), rows
    ids, mask = right_pad(rows, 9)
    dec = []
    for text in DECODER_TEXTS:
        t = tok(text, add_special_tokens=False)["input_ids"]
        assert len(t) >= 3, (text, t)
        dec.append([EOS, BOS] + t[:3])
    return torch.tensor(ids), torch.tensor(mask), torch.tensor(dec)


def gen_forward(model, tok):
    ids, mask, dec = forward_inputs(tok)
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
    pad_keys = (1 - mask)[:, None, None, :].float()
    for i in range(2):
        assert (res[f"encoder_attentions.{i}"] * pad_keys).abs().max() < 1e-6
        assert (res[f"cross_attentions.{i}"] * pad_keys).abs().max() < 1e-6
        assert torch.triu(res[f"decoder_attentions.{i}"], diagonal=1).abs().max() == 0.0
    # incremental decoding with the cache
    with torch.no_grad():
        cache = None
        spans = [(0, 2), (2, 3), (3, 4), (4, 5)]
        for k, (a, b) in enumerate(spans):
            step = dec[:, a:b]
            o = model(input_ids=ids, attention_mask=mask, decoder_input_ids=step, cache=cache,
                      use_cache=True)
            cache = o.cache
            res[f"step.{k}.decoder_input_ids"] = step
            res[f"step.{k}.logits"] = o.logits
            d = (o.logits - out.logits[:, a:b]).abs().max().item()
            assert d < 1e-5, (k, d)
    gf.save_tensors(os.path.join(OUT, "expected.safetensors"), res)
    return ids, mask


def gen_classification(tok, ids, mask):
    labels = {0: "negative", 1: "neutral", 2: "positive"}
    cfg = tiny_config(VOCAB_SIZE, num_labels=3, id2label=labels, label2id={v: k for k, v in labels.items()})
    model = build(BartForSequenceClassification, cfg, CLS_SEED)
    keys = save_bart(model, CLS_OUT)
    check_reload(BartForSequenceClassification, CLS_OUT, model, {"input_ids": ids, "attention_mask": mask})
    res = {"input_ids": ids, "attention_mask": mask}
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        res["logits"] = out.logits
        last = out.decoder_hidden_states[-1]
        eos_pos = [max(j for j in range(ids.shape[1]) if ids[r, j] == EOS) for r in range(ids.shape[0])]
        res["eos_hidden_state"] = torch.stack([last[r, p] for r, p in enumerate(eos_pos)])
        # the rule, recomputed: shift_tokens_right(input_ids) as decoder input, no decoder mask
        dec = torch.cat([torch.full((ids.shape[0], 1), EOS), ids[:, :-1]], 1)
        o2 = model.model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec)
        head = model.classification_head(torch.stack([o2.last_hidden_state[r, p] for r, p in enumerate(eos_pos)]))
        assert torch.allclose(head, out.logits, atol=1e-6)
        pair = [tok(a, b)["input_ids"] for a, b in PAIR_TEXTS]
        assert all(r.count(EOS) == 3 for r in pair), pair
        p_ids, p_mask = right_pad(pair)
        p_ids, p_mask = torch.tensor(p_ids), torch.tensor(p_mask)
        res["pair.input_ids"], res["pair.attention_mask"] = p_ids, p_mask
        res["pair.logits"] = model(input_ids=p_ids, attention_mask=p_mask).logits
        # rows with different numbers of </s> are rejected
        bad = ids.clone()
        bad[2, 2] = EOS
        try:
            model(input_ids=bad, attention_mask=mask)
            raise AssertionError("uneven EOS counts accepted")
        except ValueError as e:
            uneven = f"{type(e).__name__}: {e}"
    gf.save_tensors(os.path.join(CLS_OUT, "expected.safetensors"), res)
    print(f"[classification] stored tensors: {len(keys)}; non-layer keys: "
          f"{[k for k in keys if '.layers.' not in k]}")
    print(f"[classification] logits {out.logits.tolist()}; pair logits {res['pair.logits'].tolist()}; "
          f"uneven EOS -> {uneven}; pair rows {pair}")


# --------------------------------------------------------------------------------------------
# 4. generate cases
# --------------------------------------------------------------------------------------------
def base_options(**kw):
    opts = dict(pad_token_id=PAD, eos_token_id=EOS, decoder_start_token_id=EOS, forced_bos_token_id=None,
                forced_eos_token_id=None, do_sample=False, use_cache=True, num_beams=1, length_penalty=1.0,
                early_stopping=False, no_repeat_ngram_size=0, repetition_penalty=1.0, min_length=0,
                num_return_sequences=1)
    opts.update(kw)
    opts.update(output_scores=True, return_dict_in_generate=True)
    return opts


def case_rows(tok):
    rows = [tok(t, truncation=True, max_length=n)["input_ids"] for t, n in zip(CASE_TEXTS, CASE_LENGTHS)]
    assert [len(r) for r in rows] == CASE_LENGTHS, [len(r) for r in rows]
    return rows


def run_case(model, name, rows, options):
    ids, mask = right_pad(rows)
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    beam = options["num_beams"] > 1
    with torch.no_grad(), BeamRecorder(model) as rec:
        out = model.generate(input_ids, attention_mask=attention_mask, **options)
    seqs = out.sequences
    assert (seqs[:, 0] == options["decoder_start_token_id"]).all()
    new = seqs[:, 1:]
    if beam:
        token_scores = model.compute_transition_scores(seqs, out.scores, out.beam_indices, normalize_logits=False)
        gen_lens = (out.beam_indices >= 0).sum(-1).tolist()
        recon = token_scores.sum(-1) / torch.tensor(gen_lens, dtype=torch.float32) ** options["length_penalty"]
        assert torch.allclose(recon, out.sequences_scores, atol=1e-5), (name, recon, out.sequences_scores)
        seq_scores = [float(x) for x in out.sequences_scores]
        gap, boundary = rec.min_gap()
    else:
        token_scores = model.compute_transition_scores(seqs, out.scores, normalize_logits=True)
        gen_lens = []
        for r in range(new.shape[0]):
            hit = (new[r] == EOS).nonzero()
            gen_lens.append(int(hit[0, 0]) + 1 if hit.numel() else new.shape[1])
            token_scores[r, gen_lens[-1]:] = 0.0
        seq_scores = None
        gap, boundary = greedy_gap(out.scores, seqs, 1, EOS), None
    assert token_scores.shape == new.shape, (name, token_scores.shape, new.shape)
    assert torch.isfinite(token_scores).all(), name
    eos_rows = [bool((new[r, :gen_lens[r]] == EOS).any()) for r in range(new.shape[0])]
    case = {
        "name": name, "input_ids": ids, "attention_mask": mask, "options": dict(options),
        "sequences": seqs.tolist(), "sequences_scores": seq_scores,
        "token_scores": [[float(x) for x in row] for row in token_scores],
        "generated_lengths": gen_lens, "eos_rows": eos_rows, "hits_eos": any(eos_rows),
        "steps": len(out.scores),
    }
    return case, {"gap": gap, "boundary": boundary}


def pick_bad_words(model, rows, plain):
    """[[a], [b, c]]: a = the first non-forced token greedy generates for prompt 0 (plain greedy
    case), (b, c) = the first adjacent generated pair (start token excluded) of the run with only
    [[a]] banned that holds neither a nor EOS: both bans change the output."""
    a = plain["sequences"][0][1]
    assert a not in (EOS, PAD)
    probe, _ = run_case(model, "probe", rows, base_options(max_new_tokens=10, bad_words_ids=[[a]]))
    for seq in probe["sequences"]:
        for b, c in zip(seq[1:], seq[2:]):
            if a not in (b, c) and EOS not in (b, c) and PAD not in (b, c):
                return [[a], [b, c]]
    raise AssertionError("no bigram for bad_words_ids")


def gen_cases(model, tok):
    rows = case_rows(tok)
    cases, infos = [], {}

    def add(name, options, rows=rows):
        case, info = run_case(model, name, rows, options)
        cases.append(case)
        infos[name] = info
        return case

    c1 = add("greedy_max_new_tokens_10", base_options(max_new_tokens=10))
    add("greedy_min_length_10_max_length_14", base_options(min_length=10, max_length=14))
    add("beam3_early_stopping_false", base_options(num_beams=3, max_new_tokens=10))
    add("beam4_early_stopping_true_return2",
        base_options(num_beams=4, early_stopping=True, num_return_sequences=2, max_new_tokens=10))
    add("beam3_no_repeat_ngram_2_length_penalty_2.0",
        base_options(num_beams=3, no_repeat_ngram_size=2, length_penalty=2.0, max_new_tokens=12))
    bad = pick_bad_words(model, rows, c1)
    add("beam3_repetition_penalty_1.3_bad_words",
        base_options(num_beams=3, repetition_penalty=1.3, bad_words_ids=bad, max_new_tokens=10))
    add("greedy_forced_bos", base_options(forced_bos_token_id=BOS, max_new_tokens=10))
    add("beam3_forced_bos", base_options(num_beams=3, forced_bos_token_id=BOS, max_new_tokens=10))
    add("beam3_forced_eos_max_length_8", base_options(num_beams=3, forced_eos_token_id=EOS, max_length=8))
    add("beam3_cnn_settings", base_options(num_beams=3, forced_bos_token_id=BOS, forced_eos_token_id=EOS,
                                           min_length=6, max_length=14, no_repeat_ngram_size=3,
                                           early_stopping=True))
    add("greedy_single_unpadded", base_options(max_new_tokens=10), rows=rows[:1])
    # repetition_penalty also hits the decoder start token 2 (= EOS) at the first step
    ids, mask = right_pad(rows[:1])
    with torch.no_grad():
        out = model.generate(torch.tensor(ids), attention_mask=torch.tensor(mask),
                             **dict(base_options(max_new_tokens=1, repetition_penalty=1.3), output_logits=True))
    raw, proc = out.logits[0][0, EOS].item(), out.scores[0][0, EOS].item()
    assert abs((raw / 1.3 if raw > 0 else raw * 1.3) - proc) < 1e-5, (raw, proc)
    by_name = {c["name"]: c for c in cases}
    assert by_name["beam3_repetition_penalty_1.3_bad_words"]["sequences"] != \
        by_name["beam3_early_stopping_false"]["sequences"]
    assert by_name["greedy_forced_bos"]["sequences"] != c1["sequences"]
    assert all(s[1] == BOS for s in by_name["greedy_forced_bos"]["sequences"])
    return cases, infos


# --------------------------------------------------------------------------------------------
# 5. summarization text reference
# --------------------------------------------------------------------------------------------
def gen_text(model, tok):
    call = dict(truncation=True, max_length=64, padding=True)
    enc = tok(SUMMARY_TEXTS, **call)
    full = [len(tok(t)["input_ids"]) for t in SUMMARY_TEXTS]
    assert full[0] > 64 >= full[1], full
    options = base_options(forced_bos_token_id=BOS, forced_eos_token_id=EOS, **SUMMARY_OPTIONS)
    options.pop("output_scores"), options.pop("return_dict_in_generate")
    ids, mask = torch.tensor(enc["input_ids"]), torch.tensor(enc["attention_mask"])
    with torch.no_grad(), BeamRecorder(model) as rec:
        seqs = model.generate(ids, attention_mask=mask, **options)
    gap, boundary = rec.min_gap()
    summaries = [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()]
    result = {"texts": SUMMARY_TEXTS, "untruncated_lengths": full, "tokenizer_call": call,
              "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "options": options,
              "output_ids": seqs.tolist(), "summaries": summaries,
              "clean_up_tokenization_spaces": tok.clean_up_tokenization_spaces, "min_gap": gap}
    gf.save_json(os.path.join(OUT, "text.json"), result)
    return result, gap, boundary


# --------------------------------------------------------------------------------------------
def main():
    tok, trained = load_tokenizer()
    model = build(BartForConditionalGeneration, tiny_config(VOCAB_SIZE), MODEL_SEED)
    assert model.lm_head.weight.data_ptr() == model.model.shared.weight.data_ptr()
    assert model.model.encoder.embed_tokens.weight.data_ptr() == model.model.shared.weight.data_ptr()
    shift, rate, n_unused = shape_output(model, tok)
    print(f"[bart] seed {MODEL_SEED}: EOS bias {shift} -> EOS argmax at {rate:.3f} of teacher-forced "
          f"positions; {n_unused} unused tokens biased by -{UNUSED_SHIFT}")
    keys = save_bart(model, OUT, forced_bos=BOS)
    print(f"[bart] stored tensors: {len(keys)}; non-layer keys: {[k for k in keys if '.layers.' not in k]}")
    _, _, paths = write_tokenizer(OUT, *trained)
    gf.WRITTEN.extend(paths)
    ids, mask = gen_forward(model, tok)
    check_reload(BartForConditionalGeneration, OUT, model,
                 {"input_ids": ids, "attention_mask": mask,
                  "decoder_input_ids": torch.tensor([[EOS, BOS, 5, 6, 7]] * 3)}, forced_bos=BOS)
    gen_classification(tok, ids, mask)

    cases, infos = gen_cases(model, tok)
    for case in cases:
        info = infos[case["name"]]
        bnd = "" if info["boundary"] is None else f" (keep boundary {info['boundary']:.2e})"
        print(f"  [case] {case['name']:45s} eos rows {case['eos_rows']} lengths {case['generated_lengths']}"
              f" steps {case['steps']} min gap {info['gap']:.2e}{bnd}")
        assert info["gap"] > 1e-4, (case["name"], info["gap"])
    gf.save_json(os.path.join(OUT, "cases.json"), cases)
    text, gap, boundary = gen_text(model, tok)
    print(f"  [text] summaries {text['summaries']} output ids {text['output_ids']} min gap {gap:.2e} "
          f"(keep boundary {boundary:.2e})")
    assert gap > 1e-4
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        total += os.path.getsize(p)
        print(f"{os.path.getsize(p):9d} {os.path.relpath(p, gf.ROOT)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
