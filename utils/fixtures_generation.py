#!/usr/bin/env python3
"""HF-reference fixtures for the text-generation engine (tests/fixtures/generation/).

Run from the repository root:  .venv/bin/python utils/fixtures_generation.py
Reference: transformers 5.24 / torch 2.13 / tokenizers 0.23, CPU, float32, eval, no_grad, eager
attention, torch single-threaded (generate_fixtures sets it), tokenizers' trainer single-threaded
(RAYON_NUM_THREADS=1). Deterministic: two runs write byte-identical files. Expected values all come
from HF (model.generate, compute_transition_scores, HF logits processor classes).

gpt2/vocab.json, gpt2/merges.txt
    Byte-level BPE trained with `tokenizers` on CORPUS below (30 plain English sentences, one per
    line): BpeTrainer(vocab_size=399, initial_alphabet=ByteLevel.alphabet(), min_frequency=2, no
    special tokens), ByteLevel pre-tokenizer (add_prefix_space=False) and decoder -> 256 byte symbols
    + 143 merges; then `<|endoftext|>` is appended as id 399 (the last id, as in GPT-2), so V = 400.
    vocab.json is {token: id} in id order; merges.txt is "#version: 0.2" then one "a b" merge per
    line in merge order (GPT-2's layout). Checked: transformers.GPT2Tokenizer(vocab.json, merges.txt)
    has 400 tokens, eos_token_id 399 (also its bos/unk; no pad token), encodes a test sentence like
    the trained tokenizer and decodes it back exactly.
gpt2/{config.json, model.safetensors}
    GPT2LMHeadModel(vocab 400, n_positions 64, n_embd 32, 2 layers, 4 heads, gelu_new, layer_norm
    1e-5, bos = eos = 399, no pad token), lm_head tied to transformer.wte. Seed GPT2_SEED. Every
    parameter randomised: normal(0, 0.2), LayerNorm weights (ln_*.weight) normal(1, 0.2). Then the
    output distribution is shaped through the (tied) embedding rows, see shape_output(): with d =
    the unit mean final hidden state over the corpus lines, the 229 token ids never produced by
    tokenizing CORPUS (stray byte symbols) get -1.0 * d (readable generations), and the EOS row
    gets +s * d with s bisected so that EOS is the argmax at ~12% of corpus positions (likely, not
    dominant; s is printed: 0.262).
openai_gpt/{config.json, model.safetensors}
    OpenAIGPTLMHeadModel, same sizes and vocab (afn gelu, layer_norm_epsilon 1e-5), lm_head tied
    to tokens_embed, seed OPENAI_SEED, same randomisation and shaping (s = 0.434). Its config has no
    EOS: the generate calls pass eos_token_id = pad_token_id = 399. No tokenizer files (ids only).

cases.json
    A list of generate cases. Each: {"name", "model": "gpt2" | "openai_gpt", "input_ids",
    "attention_mask" ([B, L] lists: prompts LEFT-padded with the EOS id 399, mask 0 on pads),
    "options", "prefix_allowed_tokens_fn" (null or the string below), "sequences", "sequences_scores",
    "token_scores", "generated_lengths", "eos_rows", "hits_eos", "steps", and "seed" (sampling)}.
    The call is exactly
        [torch.manual_seed(seed)]  # sampling cases only, immediately before generate
        model.generate(torch.tensor(input_ids), attention_mask=torch.tensor(attention_mask),
                       **options, [prefix_allowed_tokens_fn=fn,] return_dict_in_generate=True,
                       output_scores=True)
    `options` always holds pad_token_id=399, eos_token_id=399, do_sample, use_cache=True,
    num_beams, length_penalty, early_stopping, no_repeat_ngram_size, repetition_penalty,
    min_length, num_return_sequences and exactly one of max_length / max_new_tokens, plus the
    case's own options (bad_words_ids, forced_eos_token_id, top_k, top_p, temperature), so that no
    generation_config default leaks in.
    prefix_allowed_tokens_fn (cases *_prefix_allowed_tokens_fn), with V = 400:
        lambda batch_id, ids: [t for t in range(V) if (t + batch_id + len(ids)) % 3 != 0]
    batch_id = the prompt's index in the batch (HF: row // max(num_beams, num_return_sequences)),
    ids = the whole current row (1-D, left pads and prompt included), len(ids) = its length.
    The default prompts: "The little dog ran to the park and played" cut to 7 tokens, "She reads
    a good book" cut to 4, "Hello there" cut to 2, padded to width 7 (3 and 5 pads).
    sequences: out.sequences ([B * num_return_sequences, L + T], prompt included; rows of one prompt
        are adjacent: prompt-major, then return index / best beam first).
    sequences_scores: beam search only (else null): out.sequences_scores = sum(token_scores of the
        hypothesis) / generated_length ** length_penalty (checked here to 1e-5).
    token_scores: [rows, T] floats, T = len(out.scores) = the number of generated columns.
        greedy / sampling: log_softmax(processed scores)[chosen token] at every step, i.e.
            model.compute_transition_scores(sequences, scores, normalize_logits=True), where the
            processed scores are what HF's processors (and warpers when sampling) made of the raw
            last-position logits; positions AFTER the row's first generated EOS are set to 0.0
            (the EOS itself keeps its score).
        beam search: model.compute_transition_scores(sequences, scores, beam_indices,
            normalize_logits=False): the processed log-probability of each chosen token along the
            hypothesis' beam path, where the processors ran on log_softmax(raw logits) (no
            renormalisation after them). Positions after the hypothesis' end (beam_indices == -1)
            are 0.0. A genuine 0.0 also occurs: the forced EOS of forced_eos_token_id has score 0.
    generated_lengths: per row, the number of generated tokens up to and including the first EOS
        (greedy/sampling) or (beam_indices >= 0).sum() (beam: the hypothesis' length including its
        EOS); the length in the length penalty.
    eos_rows: per row, whether an EOS is among its first generated_lengths tokens; hits_eos: any.
    steps: len(out.scores).
    Cases (this run; eos_rows / generated_lengths; max new tokens in brackets):
      greedy_max_new_tokens_10                 [10]  T F T   3 10 6
      greedy_min_length_16_max_length_20       [13]  F F F   (EOS of rows 0 and 2 suppressed)
      greedy_repetition_penalty_no_repeat_ngram [12] T F T   3 12 4   (penalty 1.3, 2-grams)
      greedy_bad_words                         [10]  F F T   10 10 6  bad_words_ids [[65], [291, 298]]
          (65: row 0's first greedy token; (291, 298): the last prompt token of row 0 and the
          token greedy picks after it once 65 is banned, so both bans change the output)
      beam3_early_stopping_false               [10]  F F F
      beam3_early_stopping_true_return3        [10]  prompt 0: T T T (3 3 4), prompts 1, 2: F
      beam5_length_penalty_0.5_no_repeat_3     [12]  T F T   3 12 1
      beam5_length_penalty_2.0                 [12]  F F F
      beam3_forced_eos_max_length_14           [7]   T T T   7 7 7 (EOS forced at the last step)
      beam3_min_length_12_return2              [9]   all F   (EOS suppressed for 5 steps)
      beam5_bad_words_repetition_penalty       [10]  T T T   7 7 4   (same bad words, penalty 1.5)
      greedy_single_unpadded                   [10]  T       3   (prompt 0 alone, no padding)
      greedy_prefix_allowed_tokens_fn          [10]  F F T   10 10 6
      beam3_prefix_allowed_tokens_fn           [10]  F F F
      openai_gpt_greedy                        [10]  T T T   3 3 5
      openai_gpt_beam3_return2                 [10]  F T | F T | T T   10 10 | 10 7 | 4 3
      beam4_early_stopping_true_staggered_eos  [12]  T T F   5 4 12  (early_stopping True; the
          first window of 3 STAGGER_TEXTS (whole, unpadded lengths 11, 4, 15 -> width 15) whose
          EOS-ending best beams end at different steps)
      sample_top_k_top_p_temperature           [10]  F F T   seed 42, do_sample, top_k 20,
          top_p 0.9, temperature 0.8 (for information: whether LibTorch's multinomial reproduces)
      sample_top_k_top_p_temperature_return2   [10]  F F F T T T  seed 43, num_return_sequences 2
    Near-ties (printed per case): greedy cases (not sampling): the smallest best-minus-second-best
    processed score over every step of every running row is 3.3e-3 (all cases > 1e-4); beam
    cases: the smallest difference between consecutive values of the sorted top (2 * num_beams + 1)
    accumulated scores at every step (finite values > -1e8 only) is 1.7e-4 (keep boundary, rank
    2 * num_beams vs 2 * num_beams + 1: >= 2.6e-4). The script fails if any gap is <= 1e-4.

processors.safetensors + processors.json
    Inputs `input_ids` int64 [4, 9] (values in 0..50; row 0 = 5 9 12 5 9 30 41 5 9, row 1 ends
    with 7, row 2 repeats 33 and 4) and `scores` float32 [4, 50] (normal * 3, seed 500; row 3 holds
    exact ties: ids 10, 20, 30 tied at the top and ids 11, 21, 31 tied at ranks 4-6, across the
    top-5 boundary). For each entry of processors.json ({"name", "class", "params"}) the HF class
    built with those params was applied to clones of the inputs -> `<name>.output` float32 [4, 50]
    (filtered entries are -inf, stored as -inf). EOS id 1. Entries: temperature_0.7, top_k_5,
    top_k_5_min_keep_8, top_p_0.8, top_p_0.3_min_keep_2, min_p_0.1, typical_0.9,
    repetition_penalty_1.3, repetition_penalty_1.3_prompt_ignore (prompt_ignore_length tensor
    [0, 2, 0, 5]: the first n ids of each row are not penalised), no_repeat_ngram_2,
    no_repeat_ngram_3, no_bad_words ([[3], [7, 8], [input_ids[2, -2], input_ids[2, -1], 17]],
    eos 1), min_length_12 (input length 9 < 12: EOS -inf), forced_eos_max_length_10 (input length
    9 == 10 - 1: all -inf but EOS = 0), and chain_temperature_top_k_top_p = LogitsProcessorList(
    [Temperature(0.7), TopK(5), TopP(0.8)]) (HF's warper order when sampling).

text.json
    GPT2Tokenizer on gpt2/vocab.json + merges.txt, the gpt2 model.
    "prompts": TEXT_PROMPTS; "prompt_ids": tokenizer(text, add_special_tokens=False) ids; "input_ids",
    "attention_mask": left-padded with EOS (mask 0 on pads). "generations": [{"name": "greedy" |
    "beam3", "options" (generate kwargs, max_new_tokens 12), "sequences" (full rows, pads included),
    "texts": tokenizer.decode(row, skip_special_tokens=True) of the full row, "new_texts": the same
    of the generated columns only}].
    "conversations" (DialoGPT-style, HF's old conversational format), each call greedy with
    "conversation_options" (max_new_tokens 10), batch of 1, no padding, attention mask all ones:
        history = []
        for user in turns:
            history += ids(user) + [EOS]          # ids = tokenizer(user, add_special_tokens=False)
            output = generate(history)            # -> "input_ids" = history, "output_ids" = output
            new = output[len(history):]           # "new_ids"
            response = new up to (excluding) its first EOS, or all of new   # "response_ids"
            "response" = tokenizer.decode(new, skip_special_tokens=True)
            history += response + [EOS]           # the EOS is re-added whether or not generated
    Conversation A: "Hello, how are you?" then "What do you like?"; B: one turn.

HF 5.24 behaviour these fixtures pin down (a reimplementation must match):
  * min_length and max_length count the whole (left-padded) input row: MinLength bans EOS while
    input_ids.shape[-1] < min_length, the same threshold for every row of the batch.
  * no_repeat_ngram_size: n-grams over the whole row, left pads (EOS id) and prompt included.
  * repetition_penalty inside generate: prompt_ignore_length = per-row index of the first 1 of the
    attention mask, i.e. the left pads are not penalised; each distinct id of the rest of the row
    once: score < 0 -> score * p, else score / p. Greedy applies it to raw logits, beam search to
    log-probs.
  * Greedy/sampling: processors run on raw logits; beam search: on log_softmax(logits). Rows that
    finished get pad_token_id (= EOS) from then on; the loop ends when all rows are finished.
  * Beam search (num_beams k): running scores start at 0 for beam 0 and -1e9 for the others; top
    2k candidates of [B, k * V]; an EOS candidate becomes a finished hypothesis only if it ranks in
    the top k of those 2k; at max_length every top-k candidate is finalised; a finished score is
    sum(log-probs) / generated_length ** length_penalty, generated_length = generated tokens
    including the EOS, excluding the padded prompt. Output width = prompt + the longest returned
    hypothesis; shorter ones are filled with pad_token_id.
  * position ids: cumsum(attention_mask) - 1 with pads at 0; OpenAI GPT has no KV cache (each step
    re-runs the whole row; use_cache=True is accepted and ignored) and gets the same position ids.
"""
import os

# tokenizers' BPE trainer: one thread, so that training is reproducible (set before any import of it)
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import (  # noqa: E402
    GPT2Config,
    GPT2LMHeadModel,
    GPT2Tokenizer,
    OpenAIGPTConfig,
    OpenAIGPTLMHeadModel,
)
from transformers.generation.logits_process import (  # noqa: E402
    ForcedEOSTokenLogitsProcessor,
    LogitsProcessorList,
    MinLengthLogitsProcessor,
    MinPLogitsWarper,
    NoBadWordsLogitsProcessor,
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
    TypicalLogitsWarper,
)

OUT = os.path.join(gf.FIX, "generation")
EOS_TOKEN = "<|endoftext|>"
VOCAB_SIZE = 400  # 399 BPE tokens (256 byte symbols + 143 merges) + <|endoftext|> (id 399)

# model seeds: picked by scanning GPT2_SEED 1..59 (OPENAI_SEED = GPT2_SEED + 100) for every greedy and beam
# gap > 1e-4 (asserted in main) and a mix of rows ending / not ending with EOS; shaping: shape_output
GPT2_SEED = 36
OPENAI_SEED = 136
EOS_TARGET_RATE = 0.12
UNUSED_SHIFT = 1.0

CORPUS = """\
The cat sat on the mat and looked at the little dog in the garden.
The dog ran to the park and played with a red ball all day.
She walked to the market in the morning to buy bread, milk and apples.
He reads a book about the history of the old city by the river.
We like to walk in the park when the sun is warm and the sky is blue.
The children played in the garden while their mother cooked dinner.
It is a good day to read a book, drink some tea and rest at home.
They went to the sea in the summer and swam in the cold water.
The old man sat by the fire and told stories about his long life.
I think that the weather will be better tomorrow than it was today.
My friend lives in a small house near the forest with two cats.
The train left the station at nine and arrived in the city at noon.
She said that she would come back home before the end of the week.
The teacher asked the students to write a short story about a trip.
He likes music, and he plays the piano every evening after work.
The birds sang in the trees, and the wind moved the green leaves.
We bought new shoes, a warm coat and a hat for the winter.
The little girl smiled when her father gave her a small blue box.
People in the town like to meet in the square on Sunday morning.
The river runs through the valley and into the sea far away.
Hello, how are you? I am fine, thank you, and how are you today?
What do you like to do on the weekend? I like to read and to walk.
Do you want to go to the park with me? Yes, I would like that very much.
The computer is on the table, and the phone is next to the lamp.
He opened the door, looked outside and saw that it was raining.
In the evening the family ate together and talked about the day.
The doctor told him to sleep more, eat well and walk every day.
A good friend is someone who listens to you and helps you.
The store closes at six, so we should go there before it is late.
After the rain the streets were wet and the air was fresh and clean.
"""

PROMPT_TEXTS = [
    "The little dog ran to the park and played",  # cut to 7 tokens
    "She reads a good book",  # cut to 4 tokens
    "Hello there",  # cut to 2 tokens
]
PROMPT_LENGTHS = [7, 4, 2]


# --------------------------------------------------------------------------------------------
# 1. tokenizer
# --------------------------------------------------------------------------------------------
def train_tokenizer():
    """Byte-level BPE trained on CORPUS -> (vocab dict in id order, merges list "a b")."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE - 1, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[], show_progress=False, min_frequency=2,
    )
    tok.train_from_iterator(CORPUS.splitlines(), trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = dict(sorted(model["vocab"].items(), key=lambda kv: kv[1]))
    assert list(vocab.values()) == list(range(len(vocab))), "vocab ids not contiguous"
    assert len(vocab) == VOCAB_SIZE - 1, len(vocab)
    vocab[EOS_TOKEN] = len(vocab)  # GPT-2 style: <|endoftext|> is the last id
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return vocab, merges, tok


def write_tokenizer(folder, vocab, merges, trained):
    """vocab.json + merges.txt (GPT-2 layout) in `folder`, checked with HF's GPT2Tokenizer."""
    os.makedirs(folder, exist_ok=True)
    vocab_path = os.path.join(folder, "vocab.json")
    merges_path = os.path.join(folder, "merges.txt")
    with open(vocab_path, "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(merges_path, "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        f.write("".join(m + "\n" for m in merges))
    hf = GPT2Tokenizer(vocab_path, merges_path)
    assert len(hf) == VOCAB_SIZE, len(hf)
    assert hf.eos_token_id == VOCAB_SIZE - 1, hf.eos_token_id
    sentence = "The little dog said: hello, how are you? I like the park!"
    ids = hf(sentence, add_special_tokens=False)["input_ids"]
    assert hf.decode(ids) == sentence, hf.decode(ids)
    assert ids == trained.encode(sentence).ids, "HF GPT2Tokenizer disagrees with the trained tokenizer"
    return hf, ids, [vocab_path, merges_path]


def load_tokenizer():
    """Train, write to a scratch folder (the model's save_pretrained clears extra files from the
    fixture folder, so the fixture copy is written after the model; see main)."""
    vocab, merges, trained = train_tokenizer()
    scratch = os.path.join(OUT, "_scratch_tokenizer")
    hf, ids, paths = write_tokenizer(scratch, vocab, merges, trained)
    for p in paths:
        os.remove(p)
    os.rmdir(scratch)
    print(f"[tokenizer] {len(vocab)} tokens, {len(merges)} merges, EOS id {hf.eos_token_id}; "
          f"round trip of {len(ids)} tokens ok: {hf.convert_ids_to_tokens(ids)[:8]}...")
    return hf, (vocab, merges, trained)


# --------------------------------------------------------------------------------------------
# 2. models
# --------------------------------------------------------------------------------------------
def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():  # tied lm_head is not listed twice
            if ".ln_" in name and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)


def final_hidden(model, ids_list):
    """ln_f / last hidden state outputs at every position of every (unpadded) sequence."""
    outs = []
    with torch.no_grad():
        for ids in ids_list:
            out = model(input_ids=torch.tensor([ids]), output_hidden_states=True, use_cache=False)
            outs.append(out.hidden_states[-1][0])
    return torch.cat(outs, 0)


def shape_output(model, emb, eos, contexts, unused):
    """Shape the output distribution of a random model (the embedding is tied with lm_head):
    d = the unit mean final hidden state over every position of `contexts` (corpus lines, which
    contain neither EOS nor the `unused` tokens, so their hidden states do not depend on those rows).
    1. rows of `unused` (tokens never produced by tokenizing CORPUS: stray byte symbols) get
       -UNUSED_SHIFT * d, so that generations are made of real sub-words (readable text);
    2. the EOS row gets +s * d, s = the multiple of 0.001 nearest to the shift under which EOS is the
       argmax at a fraction EOS_TARGET_RATE of those positions (bisection): likely, not dominant."""
    h = final_hidden(model, contexts)
    direction = h.mean(0)
    direction = direction / direction.norm()
    with torch.no_grad():
        emb.weight[unused] -= UNUSED_SHIFT * direction
        scores = h @ emb.weight.T
        others = torch.cat([scores[:, :eos], scores[:, eos + 1:]], 1).max(-1).values
        base, slope = scores[:, eos], h @ direction

        def rate(s):
            return ((base + s * slope) > others).float().mean().item()

        lo, hi = -5.0, 5.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if rate(mid) < EOS_TARGET_RATE else (lo, mid)
        shift = round(hi, 3)
        emb.weight[eos] += shift * direction
        unused_rate = torch.isin((h @ emb.weight.T).argmax(-1), torch.tensor(unused)).float().mean().item()
        return shift, rate(shift), unused_rate


def build_gpt2(tok, seed=GPT2_SEED):
    eos = tok.eos_token_id
    config = GPT2Config(vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=2, n_head=4,
                        bos_token_id=eos, eos_token_id=eos)
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = GPT2LMHeadModel(config)
    randomise(model, seed + 1000)
    model.eval()
    stats = shape_output(model, model.transformer.wte, eos, corpus_contexts(tok), unused_tokens(tok))
    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()
    return model, stats


def build_openai(tok, seed=OPENAI_SEED):
    eos = tok.eos_token_id
    config = OpenAIGPTConfig(vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=2, n_head=4,
                             afn="gelu", layer_norm_epsilon=1e-5)
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = OpenAIGPTLMHeadModel(config)
    randomise(model, seed + 1000)
    model.eval()
    stats = shape_output(model, model.transformer.tokens_embed, eos, corpus_contexts(tok), unused_tokens(tok))
    assert model.lm_head.weight.data_ptr() == model.transformer.tokens_embed.weight.data_ptr()
    return model, stats


def corpus_contexts(tok):
    return [tok(line, add_special_tokens=False)["input_ids"][:40] for line in CORPUS.splitlines()]


def unused_tokens(tok):
    used = {t for line in CORPUS.splitlines() for t in tok(line, add_special_tokens=False)["input_ids"]}
    return [t for t in range(len(tok)) if t not in used and t != tok.eos_token_id]


# --------------------------------------------------------------------------------------------
# 3. generate cases
# --------------------------------------------------------------------------------------------
PREFIX_FN_DOC = "lambda batch_id, ids: [t for t in range(V) if (t + batch_id + len(ids)) % 3 != 0]"


def make_prefix_fn(vocab_size):
    # batch_id: index of the prompt in the batch (not of the beam row); ids: the full row so far
    # (1-D LongTensor, left pads included), len(ids) = its length.
    return lambda batch_id, ids: [t for t in range(vocab_size) if (t + batch_id + len(ids)) % 3 != 0]


def left_pad(rows, pad):
    width = max(len(r) for r in rows)
    ids = [[pad] * (width - len(r)) + list(r) for r in rows]
    mask = [[0] * (width - len(r)) + [1] * len(r) for r in rows]
    return ids, mask


def base_options(eos):
    """Every option the cases do not vary, given explicitly so that generation_config defaults do
    not leak in."""
    return dict(pad_token_id=eos, eos_token_id=eos, do_sample=False, use_cache=True, num_beams=1,
                length_penalty=1.0, early_stopping=False, no_repeat_ngram_size=0,
                repetition_penalty=1.0, min_length=0, num_return_sequences=1)


class BeamRecorder:
    """Wraps GenerationMixin._get_top_k_continuations on one model instance to record, at every
    beam step and for every prompt, the sorted top (2 * num_beams + 1) accumulated scores (read only;
    the call itself is unchanged)."""

    def __init__(self, model):
        self.model = model
        self.steps = []

    def __enter__(self):
        original = type(self.model)._get_top_k_continuations
        recorder = self

        def wrapped(self_model, accumulated_log_probs, *args, **kwargs):
            k = kwargs["beams_to_keep"] + 1
            recorder.steps.append(torch.topk(accumulated_log_probs, k=k).values.clone())
            return original(self_model, accumulated_log_probs, *args, **kwargs)

        self.model._get_top_k_continuations = wrapped.__get__(self.model)
        return self

    def __exit__(self, *exc):
        del self.model._get_top_k_continuations
        return False

    def min_gap(self):
        """Smallest difference between consecutive finite (> -1e8) values of the recorded top
        (2 * num_beams + 1) scores, and the smallest gap across the keep boundary (rank 2 * num_beams
        vs 2 * num_beams + 1) where both are finite."""
        gap, boundary = math.inf, math.inf
        for values in self.steps:
            for row in values:
                finite = row[row > -1e8]
                if finite.numel() > 1:
                    gap = min(gap, (finite[:-1] - finite[1:]).min().item())
                if row[-1] > -1e8:
                    boundary = min(boundary, (row[-2] - row[-1]).item())
        return gap, boundary


def greedy_gap(scores, sequences, prompt_len, eos):
    """Smallest top-1 minus top-2 processed score over every step of every row still running."""
    gap = math.inf
    for t, s in enumerate(scores):
        for r in range(s.shape[0]):
            if (sequences[r, prompt_len:prompt_len + t] == eos).any():
                continue
            top = torch.topk(s[r], 2).values
            if torch.isfinite(top[1]):
                gap = min(gap, (top[0] - top[1]).item())
    return gap


def run_case(model, name, model_name, rows, options, eos, prefix=False, seed=None):
    ids, mask = left_pad(rows, eos)
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    extra = {"prefix_allowed_tokens_fn": make_prefix_fn(model.config.vocab_size)} if prefix else {}
    beam = options["num_beams"] > 1
    with torch.no_grad(), BeamRecorder(model) as rec:
        if seed is not None:
            torch.manual_seed(seed)
        out = model.generate(input_ids, attention_mask=attention_mask, **options, **extra,
                             return_dict_in_generate=True, output_scores=True)
    seqs = out.sequences
    prompt_len = input_ids.shape[1]
    new = seqs[:, prompt_len:]
    steps = len(out.scores)
    if beam:
        token_scores = model.compute_transition_scores(seqs, out.scores, out.beam_indices,
                                                       normalize_logits=False)
        gen_lens = (out.beam_indices >= 0).sum(-1).tolist()
        lp = options["length_penalty"]
        recon = token_scores.sum(-1) / torch.tensor(gen_lens, dtype=torch.float32) ** lp
        assert torch.allclose(recon, out.sequences_scores, atol=1e-5), (name, recon, out.sequences_scores)
        seq_scores = [float(x) for x in out.sequences_scores]
        gap, boundary = rec.min_gap()
    else:
        token_scores = model.compute_transition_scores(seqs, out.scores, normalize_logits=True)
        gen_lens = []
        for r in range(new.shape[0]):
            hit = (new[r] == eos).nonzero()
            gen_lens.append(int(hit[0, 0]) + 1 if hit.numel() else new.shape[1])
            token_scores[r, gen_lens[-1]:] = 0.0
        seq_scores = None
        gap = greedy_gap(out.scores, seqs, prompt_len, eos) if not options["do_sample"] else None
        boundary = None
    assert token_scores.shape == new.shape, (name, token_scores.shape, new.shape)
    assert torch.isfinite(token_scores).all(), name
    eos_rows = [bool((new[r, :gen_lens[r]] == eos).any()) for r in range(new.shape[0])]
    case = {
        "name": name, "model": model_name, "input_ids": ids, "attention_mask": mask,
        "options": dict(options), "prefix_allowed_tokens_fn": PREFIX_FN_DOC if prefix else None,
        "sequences": seqs.tolist(), "sequences_scores": seq_scores,
        "token_scores": [[float(x) for x in row] for row in token_scores],
        "generated_lengths": gen_lens, "eos_rows": eos_rows, "hits_eos": any(eos_rows),
        "steps": steps,
    }
    if seed is not None:
        case["seed"] = seed
    info = {"gap": gap, "boundary": boundary}
    return case, info


STAGGER_TEXTS = [
    "The old man sat by the fire",
    "We like to walk",
    "My friend lives in a small house",
    "The birds sang in the trees",
    "He opened the door",
    "The children played in the garden",
    "After the rain the streets were wet",
    "A good friend listens",
    "The train left the station",
    "She said that she would come back",
    "The teacher asked the students",
    "People in the town like to meet",
]


def prompt_rows(tok):
    rows = []
    for text, n in zip(PROMPT_TEXTS, PROMPT_LENGTHS):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert len(ids) >= n, (text, ids)
        rows.append(ids[:n])
    return rows


def pick_bad_words(model, rows, options, case1, eos):
    """[[a], [b, c]]: a = the first token greedy generates for prompt 0 (case 1); then greedy is
    re-run with only [[a]] banned and (b, c) = the first adjacent pair of generated tokens (row by
    row, first generated token paired with the last prompt token included) with a, EOS not in
    (b, c): up to that pair the run with both bans is the same, so both bans change the output."""
    prompt_len = len(case1["input_ids"][0])
    a = case1["sequences"][0][prompt_len]
    assert a != eos
    probe, _ = run_case(model, "probe", "gpt2", rows, dict(options, bad_words_ids=[[a]]), eos)
    for seq in probe["sequences"]:
        for b, c in zip(seq[prompt_len - 1:], seq[prompt_len:]):
            if a not in (b, c) and eos not in (b, c):
                return [[a], [b, c]]
    raise AssertionError("no bigram for bad_words_ids")


def gen_cases(gpt2, openai, tok):
    eos = tok.eos_token_id
    rows = prompt_rows(tok)
    base = base_options(eos)
    cases, infos = [], {}

    def add(model, name, model_name, options, rows=rows, prefix=False, seed=None):
        case, info = run_case(model, name, model_name, rows, options, eos, prefix=prefix, seed=seed)
        cases.append(case)
        infos[name] = info
        return case

    beam = lambda n, **kw: dict(base, num_beams=n, **kw)  # noqa: E731
    c1 = add(gpt2, "greedy_max_new_tokens_10", "gpt2", dict(base, max_new_tokens=10))
    add(gpt2, "greedy_min_length_16_max_length_20", "gpt2", dict(base, min_length=16, max_length=20))
    add(gpt2, "greedy_repetition_penalty_no_repeat_ngram", "gpt2",
        dict(base, repetition_penalty=1.3, no_repeat_ngram_size=2, max_new_tokens=12))
    bad = pick_bad_words(gpt2, rows, dict(base, max_new_tokens=10), c1, eos)
    c4 = add(gpt2, "greedy_bad_words", "gpt2", dict(base, bad_words_ids=bad, max_new_tokens=10))
    add(gpt2, "beam3_early_stopping_false", "gpt2", beam(3, max_new_tokens=10))
    add(gpt2, "beam3_early_stopping_true_return3", "gpt2",
        beam(3, early_stopping=True, num_return_sequences=3, max_new_tokens=10))
    add(gpt2, "beam5_length_penalty_0.5_no_repeat_3", "gpt2",
        beam(5, length_penalty=0.5, no_repeat_ngram_size=3, max_new_tokens=12))
    add(gpt2, "beam5_length_penalty_2.0", "gpt2", beam(5, length_penalty=2.0, max_new_tokens=12))
    add(gpt2, "beam3_forced_eos_max_length_14", "gpt2", beam(3, forced_eos_token_id=eos, max_length=14))
    add(gpt2, "beam3_min_length_12_return2", "gpt2",
        beam(3, min_length=12, num_return_sequences=2, max_length=16))
    add(gpt2, "beam5_bad_words_repetition_penalty", "gpt2",
        beam(5, bad_words_ids=bad, repetition_penalty=1.5, max_new_tokens=10))
    add(gpt2, "greedy_single_unpadded", "gpt2", dict(base, max_new_tokens=10), rows=rows[:1])
    add(gpt2, "greedy_prefix_allowed_tokens_fn", "gpt2", dict(base, max_new_tokens=10), prefix=True)
    add(gpt2, "beam3_prefix_allowed_tokens_fn", "gpt2", beam(3, max_new_tokens=10), prefix=True)
    add(openai, "openai_gpt_greedy", "openai_gpt", dict(base, max_new_tokens=10))
    add(openai, "openai_gpt_beam3_return2", "openai_gpt",
        beam(3, num_return_sequences=2, max_new_tokens=10))
    # 17: a batch whose best beams end with EOS at different steps (first fitting window of texts)
    stagger = beam(4, early_stopping=True, length_penalty=1.0, max_new_tokens=12)
    found = None
    for start in range(len(STAGGER_TEXTS) - 2):
        cand = [tok(t, add_special_tokens=False)["input_ids"] for t in STAGGER_TEXTS[start:start + 3]]
        case, info = run_case(gpt2, "probe", "gpt2", cand, stagger, eos)
        lens = [n for n, e in zip(case["generated_lengths"], case["eos_rows"]) if e]
        if len(set(lens)) >= 2 and len(set(lens)) == len(lens):
            found = cand
            break
    assert found is not None, "no staggered-EOS batch"
    add(gpt2, "beam4_early_stopping_true_staggered_eos", "gpt2", stagger, rows=found)
    sample = dict(base, do_sample=True, top_k=20, top_p=0.9, temperature=0.8, max_new_tokens=10)
    add(gpt2, "sample_top_k_top_p_temperature", "gpt2", sample, seed=42)
    add(gpt2, "sample_top_k_top_p_temperature_return2", "gpt2", dict(sample, num_return_sequences=2),
        seed=43)
    # the option under test changes the output (each compared with its plain counterpart)
    by_name = {c["name"]: c for c in cases}
    for name, plain in [("greedy_bad_words", "greedy_max_new_tokens_10"),
                        ("greedy_repetition_penalty_no_repeat_ngram", "greedy_max_new_tokens_10"),
                        ("greedy_prefix_allowed_tokens_fn", "greedy_max_new_tokens_10"),
                        ("beam3_prefix_allowed_tokens_fn", "beam3_early_stopping_false"),
                        ("beam5_bad_words_repetition_penalty", "beam3_early_stopping_false")]:
        assert by_name[name]["sequences"] != by_name[plain]["sequences"], name
    bad_rows = [row[len(c4["input_ids"][0]) - 1:] for row in c4["sequences"]]
    for row in bad_rows:
        assert bad[0][0] not in row[1:] and all(row[i:i + 2] != bad[1] for i in range(len(row) - 1)), row
    return cases, infos


# --------------------------------------------------------------------------------------------
# 4. logits processors on fixed logits
# --------------------------------------------------------------------------------------------
P_BATCH, P_VOCAB, P_LEN, P_EOS = 4, 50, 9, 1


def processor_inputs():
    g = torch.Generator().manual_seed(500)
    ids = torch.randint(0, P_VOCAB, (P_BATCH, P_LEN), generator=g)
    # planted repeats: row 0 has the bigram (5, 9) three times and ends with it, so its 2-gram
    # suffix (9) and 3-gram suffix (5, 9) both match earlier windows; row 1 ends with 7 (bad word
    # [7, 8] is completable there); row 2 repeats token 33 and 4 several times.
    ids[0] = torch.tensor([5, 9, 12, 5, 9, 30, 41, 5, 9])
    ids[1, -1] = 7
    ids[2, 1] = ids[2, 4] = ids[2, 6] = 33
    ids[2, 2] = ids[2, 7] = 4
    scores = torch.randn(P_BATCH, P_VOCAB, generator=g, dtype=torch.float32) * 3.0
    # row 3: deliberate exact ties: a 3-way tie at the top (ids 10, 20, 30) and a 3-way tie across
    # the top-5 boundary (ids 11, 21, 31 at ranks 4-6)
    top = scores[3].max().item()
    scores[3, [10, 20, 30]] = top + 1.0
    rest = scores[3].clone()
    rest[[10, 20, 30]] = -math.inf
    rest[[11, 21, 31]] = -math.inf
    scores[3, [11, 21, 31]] = rest.max().item() + 0.5  # above every untied value: ranks 4, 5, 6
    return ids, scores


def gen_processors():
    ids, scores = processor_inputs()
    suffix_seq = [int(ids[2, -2]), int(ids[2, -1]), 17]
    specs = [
        ("temperature_0.7", TemperatureLogitsWarper, {"temperature": 0.7}),
        ("top_k_5", TopKLogitsWarper, {"top_k": 5}),
        ("top_k_5_min_keep_8", TopKLogitsWarper, {"top_k": 5, "min_tokens_to_keep": 8}),
        ("top_p_0.8", TopPLogitsWarper, {"top_p": 0.8}),
        ("top_p_0.3_min_keep_2", TopPLogitsWarper, {"top_p": 0.3, "min_tokens_to_keep": 2}),
        ("min_p_0.1", MinPLogitsWarper, {"min_p": 0.1}),
        ("typical_0.9", TypicalLogitsWarper, {"mass": 0.9}),
        ("repetition_penalty_1.3", RepetitionPenaltyLogitsProcessor, {"penalty": 1.3}),
        ("repetition_penalty_1.3_prompt_ignore", RepetitionPenaltyLogitsProcessor,
         {"penalty": 1.3, "prompt_ignore_length": [0, 2, 0, 5]}),
        ("no_repeat_ngram_2", NoRepeatNGramLogitsProcessor, {"ngram_size": 2}),
        ("no_repeat_ngram_3", NoRepeatNGramLogitsProcessor, {"ngram_size": 3}),
        ("no_bad_words", NoBadWordsLogitsProcessor,
         {"bad_words_ids": [[3], [7, 8], suffix_seq], "eos_token_id": P_EOS}),
        ("min_length_12", MinLengthLogitsProcessor, {"min_length": 12, "eos_token_id": P_EOS}),
        ("forced_eos_max_length_10", ForcedEOSTokenLogitsProcessor, {"max_length": 10, "eos_token_id": P_EOS}),
    ]
    tensors = {"input_ids": ids, "scores": scores}
    listing = []
    for name, cls, params in specs:
        kwargs = dict(params)
        if "prompt_ignore_length" in kwargs:
            kwargs["prompt_ignore_length"] = torch.tensor(kwargs["prompt_ignore_length"])
        out = cls(**kwargs)(ids.clone(), scores.clone())
        tensors[f"{name}.output"] = out
        listing.append({"name": name, "class": cls.__name__, "params": params})
    chain = [("TemperatureLogitsWarper", {"temperature": 0.7}), ("TopKLogitsWarper", {"top_k": 5}),
             ("TopPLogitsWarper", {"top_p": 0.8})]
    warpers = LogitsProcessorList([TemperatureLogitsWarper(0.7), TopKLogitsWarper(5), TopPLogitsWarper(0.8)])
    tensors["chain_temperature_top_k_top_p.output"] = warpers(ids.clone(), scores.clone())
    listing.append({"name": "chain_temperature_top_k_top_p", "class": "LogitsProcessorList",
                    "params": {"processors": [{"class": c, "params": p} for c, p in chain]}})
    for k, v in tensors.items():
        if k.endswith(".output"):
            changed = (v != scores).sum().item() if not k.startswith(("temperature", "chain")) else "all"
            print(f"  [processors] {k}: {changed} entries changed, {torch.isinf(v).sum().item()} -inf")
    gf.save_tensors(os.path.join(OUT, "processors.safetensors"), tensors)
    gf.save_json(os.path.join(OUT, "processors.json"), {
        "batch": P_BATCH, "vocab": P_VOCAB, "eos_token_id": P_EOS,
        "input_ids_shape": list(ids.shape), "processors": listing})


# --------------------------------------------------------------------------------------------
# 5. text-level references
# --------------------------------------------------------------------------------------------
TEXT_PROMPTS = ["He likes music and", "The river runs", "I like to read"]
CONVERSATIONS = {"A": ["Hello, how are you?", "What do you like?"], "B": ["Do you want to go to the park?"]}


def gen_text(model, tok):
    eos = tok.eos_token_id
    base = base_options(eos)
    prompt_ids = [tok(t, add_special_tokens=False)["input_ids"] for t in TEXT_PROMPTS]
    ids, mask = left_pad(prompt_ids, eos)
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    result = {"prompts": TEXT_PROMPTS, "prompt_ids": prompt_ids, "input_ids": ids, "attention_mask": mask,
              "generations": []}
    for name, options in [("greedy", dict(base, max_new_tokens=12)),
                          ("beam3", dict(base, num_beams=3, max_new_tokens=12))]:
        with torch.no_grad():
            seqs = model.generate(input_ids, attention_mask=attention_mask, **options)
        new = seqs[:, input_ids.shape[1]:]
        result["generations"].append({
            "name": name, "options": options, "sequences": seqs.tolist(),
            "texts": [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()],
            "new_texts": [tok.decode(s, skip_special_tokens=True) for s in new.tolist()],
        })
    conv_options = dict(base, max_new_tokens=10)
    result["conversation_options"] = conv_options
    result["conversations"] = {}
    for conv, turns in CONVERSATIONS.items():
        history, calls = [], []
        for turn in turns:
            history = history + tok(turn, add_special_tokens=False)["input_ids"] + [eos]
            inp = torch.tensor([history])
            with torch.no_grad():
                seq = model.generate(inp, attention_mask=torch.ones_like(inp), **conv_options)[0].tolist()
            new = seq[len(history):]
            response = new[:new.index(eos)] if eos in new else new
            calls.append({"user": turn, "input_ids": history, "output_ids": seq, "new_ids": new,
                          "response_ids": response,
                          "response": tok.decode(new, skip_special_tokens=True)})
            history = history + response + [eos]
        result["conversations"][conv] = calls
    gf.save_json(os.path.join(OUT, "text.json"), result)
    return result


# --------------------------------------------------------------------------------------------
def main():
    tok, trained = load_tokenizer()
    gpt2, (shift, rate, unused) = build_gpt2(tok)
    print(f"[gpt2] seed {GPT2_SEED}: EOS row shift {shift}: EOS argmax at {rate:.3f} of corpus positions, "
          f"an unused token at {unused:.3f}")
    gf.save_model(gpt2, os.path.join(OUT, "gpt2"))
    tok2, _, paths = write_tokenizer(os.path.join(OUT, "gpt2"), *trained)
    gf.WRITTEN.extend(paths)
    assert tok2.get_vocab() == tok.get_vocab()
    openai, (shift, rate, unused) = build_openai(tok)
    print(f"[openai_gpt] seed {OPENAI_SEED}: EOS row shift {shift}: EOS argmax at {rate:.3f}, unused {unused:.3f}")
    gf.save_model(openai, os.path.join(OUT, "openai_gpt"))

    cases, infos = gen_cases(gpt2, openai, tok)
    for case in cases:
        info = infos[case["name"]]
        gap = "-" if info["gap"] is None else f"{info['gap']:.2e}"
        bnd = "" if info["boundary"] is None else f" (keep boundary {info['boundary']:.2e})"
        print(f"  [case] {case['name']:45s} eos rows {case['eos_rows']} lengths {case['generated_lengths']}"
              f" min gap {gap}{bnd}")
        if info["gap"] is not None:
            assert info["gap"] > 1e-4, (case["name"], info["gap"])
    gf.save_json(os.path.join(OUT, "cases.json"), cases)
    gen_processors()
    text = gen_text(gpt2, tok)
    for g in text["generations"]:
        print(f"  [text] {g['name']}: {g['new_texts']}")
    for conv, calls in text["conversations"].items():
        print(f"  [conversation {conv}] {[c['response'] for c in calls]}")
    total = sum(os.path.getsize(p) for p in set(gf.WRITTEN))
    print("\n".join(sorted(set(gf.WRITTEN))))
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
