#!/usr/bin/env python3
"""HF-reference fixtures for DIVERSE (group) beam search: tests/fixtures/generation/group_beam.json.

transformers 5.x removed group beam search from the library, so this script runs on transformers 4.56.2 (the
last 4.x whose generate() still runs `_group_beam_search` in-library; 4.57.x redirects it to the Hub repo
`transformers-community/group-beam-search`, which needs network + trust_remote_code). Set-up and run, from the
repository root:

    bash utils/setup_hf4.sh                    # transformers 4.56.2 (+ tokenizers 0.22.1, huggingface_hub 0.36.2,
                                              # requests...) into .venv/hf4; torch 2.13 etc. come from .venv
    PYTHONPATH=.venv/hf4 .venv/bin/python utils/fixtures_group_beam.py

Reference: transformers 4.56.2 / torch 2.13, CPU, float32, eval, no_grad, eager attention, torch single-threaded,
deterministic algorithms. Deterministic: two runs write byte-identical files.

Model and inputs: the tiny GPT-2 of tests/fixtures/generation/gpt2 (config.json + model.safetensors, written by
utils/fixtures_generation.py; vocab 400, EOS = pad = 399), loaded with
GPT2LMHeadModel.from_pretrained(dir, attn_implementation="eager"). The batch is `input_ids` / `attention_mask` of
the FIRST case of tests/fixtures/generation/cases.json (3 prompts of 7 / 4 / 2 tokens, LEFT-padded with the EOS id
399 to width 7, mask 0 on pads). If fixtures_generation.py rewrites the model or cases.json, rerun this script
(each case records "model_sha256" = sha256 of model.safetensors). Before the group cases, the script re-runs the
plain beam cases of cases.json (no repetition penalty, no prefix fn) on 4.56.2 and checks sequences (exact) and
sequences_scores / token_scores (1e-5) against the 5.24 values: the model loads and computes the same on both.

group_beam.json: a JSON list of cases, each
    {"name", "input_ids", "attention_mask", "options", "sequences", "sequences_scores", "token_scores",
     "token_scores_error", "token_scores_true", "beam_indices", "beam_indices_true", "groups", "generated_lengths",
     "generated_lengths_hf", "eos_rows", "hits_eos", "steps", "transformers_version", "model_sha256"}
The call is exactly
    model.generate(torch.tensor(input_ids), attention_mask=torch.tensor(attention_mask), **options)
`options` always holds do_sample=False, num_beams, num_beam_groups, diversity_penalty, num_return_sequences,
length_penalty, early_stopping, exactly one of max_new_tokens / max_length, pad_token_id=399, eos_token_id=399,
output_scores=True, return_dict_in_generate=True, use_cache=True, no_repeat_ngram_size, repetition_penalty,
min_length (so that no generation_config default leaks in).
    sequences: out.sequences [B * num_return_sequences, L + W] (prompt included; rows of one prompt adjacent,
        best hypothesis first). finalize: sent_max_len = min(max(len(hyp)) + 1, max_length), len(hyp) = prompt +
        generated tokens WITHOUT the EOS; a row with len(hyp) < sent_max_len gets eos_token_id[0] at index
        len(hyp), and pad_token_id after it (both 399 here); rows cut by max_length get no EOS.
    sequences_scores: out.sequences_scores (float32) = sum_logprobs / generated_len ** length_penalty.
    token_scores: model.compute_transition_scores(out.sequences, out.scores, out.beam_indices,
        normalize_logits=False) exactly as HF returns it, [rows, steps]; positions where out.beam_indices == -1
        (after the hypothesis' end) are 0.0. null when HF raises (then "token_scores_error" holds the message,
        else null): it does when its beam_indices are longer than len(out.scores) (see the bug below). A -inf
        (a banned token's score read from a wrong row; only in this field) is written as null (strict JSON).
        !! NOT the scores along the hypothesis' path: 4.56.2 _group_beam_search's beam_indices bookkeeping is
        broken for groups > 0 (and batch items > 0):
          - the stored indices are GROUP-LOCAL (b * gs + k, utils.py:3720-3723) while out.scores rows are GLOBAL
            (b * num_beams + g * gs + k);
          - process() gets sum(beam_indices, ()) (utils.py:3704, all groups concatenated group-major, group 0
            already extended by this step) and indexes it with the group-local index (beam_search.py:278-280):
            an EOS hypothesis of group g > 0 gets group 0's history, one step TOO LONG (hence
            generated_lengths_hf != generated_lengths, and the crash when the EOS comes at the last step);
          - finalize() indexes the same concatenation with the GLOBAL index (beam_search.py:350).
        Any reimplementation with correct bookkeeping should compare with token_scores_true.
    token_scores_true: the processed log-prob (what the processors made of log_softmax(logits), without the
        running beam score) of each generated token along the hypothesis' REAL beam path, 0.0 after its end
        (EOS included in the path). From a re-run with patched copies of _group_beam_search and
        BeamSearchScorer.process (patch_source below: only the beam_indices bookkeeping changes, global rows
        throughout); checked: the re-run gives identical sequences, sequences_scores and out.scores, and for every
        row sum(token_scores_true) / generated_len ** length_penalty == sequences_scores (|diff| <= 2e-5).
    beam_indices / beam_indices_true: out.beam_indices of the plain / patched run ([rows, L + W], -1-filled,
        only the first generated_len (hf: generated_len_hf) entries set; true ones are global rows of out.scores).
    groups: per row, the beam group of its hypothesis ((beam_indices_true % num_beams) // gs, constant along a path).
    generated_lengths: generated tokens of the hypothesis, EOS INCLUDED (the length of the length penalty) =
        (beam_indices_true >= 0).sum(-1); generated_lengths_hf: (out.beam_indices >= 0).sum(-1) (HF's, can be
        +1 for EOS hypotheses of groups > 0); eos_rows: the hypothesis ended with EOS (token at
        L + generated_len - 1 is EOS); hits_eos: any(eos_rows); steps: len(out.scores).
    Near ties: the script fails unless, at every step, for every (not done) group and batch item, consecutive
    sorted top-2*gs candidate scores (values > -1e8) differ by > 1e-4, and so do the num_return_sequences + 1 best
    final hypotheses of each item (exact ties of token-identical hypotheses from two groups are allowed).

Cases (this run; per row eos / generated_lengths / groups, rows of one prompt separated by |):
    group4x2_div1.0_max_new_10  (a)                         [10 steps]  F|F|F  10|10|10  1|0|0
    group6x3_div2.0_return3  (b)                            [10]  FFT|FFF|FFT  10 10 3|10 10 10|10 10 2
                                                                  groups 1 1 0|0 0 1|0 0 1
    group4x4_div0.5_early_stopping_true_return2  (c)        [12]  FT|FF|FT  12 3|12 12|12 6  groups 3 0|0 3|1 0
    group4x2_div1.5_length_penalty_0.5_min_length_11_max_length_20  (d)
                                                            [13]  T|F|F  6|13|13  1|0|1  (EOS banned while the
                                                                  row is shorter than 11 = first 4 steps)
    group4x2_div1.0_no_repeat_2_repetition_1.3  (e)         [10]  T|F|F  3|10|10  0|0|1
    group6x2_div0.7_return6_length_penalty_2.0              [12]  no EOS; all 6 hypotheses (3 per group)
    group4x2_div1.0_early_stopping_never_return4            [10]  FFTT|FFFF|FFFF  10 10 6 9|10...  0 0 1 1|0 0 1 1|1 1 0 0
    group2x2_div0.5_early_stopping_true_no_repeat_2_max_new_30
                                                            [26 of 30: ends on beam_scorer.is_done]  T|T|T
                                                                  3|26|4  0|0|1
    single_group2x2_div0.5_early_stopping_true_no_repeat_3_return2  (1 unpadded prompt)
                                                            [3]  T T  3 3  groups 0 1  (token_scores null: HF's
                                                                  compute_transition_scores raises)
    Smallest near-tie gap: 1.5e-4. token_scores differs from token_scores_true on most rows of every case.

HF 4.56.2 group beam search, as read in .venv/hf4/transformers/generation/{utils.py, beam_search.py,
logits_process.py, configuration_utils.py, stopping_criteria.py} (line numbers of those files):

 * Mode: num_beams > 1 and num_beam_groups > 1 (configuration_utils.py:509-510). generate builds
   BeamSearchScorer(batch_size, num_beams, length_penalty, do_early_stopping=early_stopping,
   num_beam_hyps_to_keep=num_return_sequences, num_beam_groups, max_length) (utils.py:2560-2584); prompts are
   expanded to max(num_beams, num_return_sequences) rows each (utils.py:2354-2356): row = b * num_beams + j;
   group g = beams g*gs .. g*gs+gs-1, gs = num_beams // num_beam_groups. One BeamHypotheses (capacity gs) per
   (b, g): index b * num_beam_groups + g (beam_search.py:182-196).
 * Initial beam scores (utils.py:3614-3618): [B, num_beams] float32 filled with -1e9, then beam_scores[:, ::gs]
   = 0: the FIRST beam of EACH group starts at 0, the others at -1e9.
 * Per step: one forward of all B * num_beams rows; current_tokens = zeros (utils.py:3625); then the groups in
   order g = 0 .. G-1 (utils.py:3656-3734). For group g: its rows' last-position logits, float32,
   log_softmax (utils.py:3677-3679), then logits_processor(group_input_ids, scores, current_tokens=current_tokens,
   beam_group_idx=g) (utils.py:3682-3684), group_input_ids = the group's rows of input_ids BEFORE this step's
   token ([B * gs, cur_len], left pads + prompt + generated so far). LogitsProcessorList passes the two kwargs
   only to processors whose __call__ takes them (logits_process.py:83-93).
 * Processor order (_get_logits_processor, utils.py:1083-1249; those that can be active here):
   [guidance, sequence_bias] -> HammingDiversity (utils.py:1117-1124, only if diversity_penalty > 0) ->
   EncoderRepetitionPenalty -> RepetitionPenalty (1142-1143) -> NoRepeatNGram (1144-1145) -> EncoderNoRepeatNGram
   -> NoBadWords (1163-1169) -> MinLength (1170-1181) -> MinNewTokens (1182-1192) -> PrefixConstrained (1193-1200,
   built with num_beams // num_beam_groups) -> ForcedBOS / ForcedEOS (1201-1214) -> ... -> user processors merged
   (1249). So the diversity penalty is subtracted FIRST, and the repetition penalty then multiplies the already
   penalised log-prob (x * p for x < 0).
 * HammingDiversityLogitsProcessor.__call__ (logits_process.py:1531-1576): g == 0 -> unchanged (1563-1564);
   else for each batch item b: token_frequency = bincount(current_tokens[b*num_beams : b*num_beams + g*gs],
   minlength=V) (the tokens ALREADY CHOSEN at this step by groups 0..g-1 of the same item, in their new order;
   EOS candidates that became hypotheses are NOT in current_tokens, only the next-beam tokens), and rows
   b*gs .. b*gs+gs-1 of the group get scores -= diversity_penalty * token_frequency (float32).
 * RepetitionPenaltyLogitsProcessor is built WITHOUT prompt_ignore_length in 4.56.2 (utils.py:1143): the whole
   row is penalised, LEFT PADS (399 = EOS) INCLUDED, so on padded rows EOS is penalised too (5.x skips the left
   pads: differs from the 5.24 cases.json); gather/scatter over the row's ids: each distinct id once,
   x < 0 -> x * p else x / p (logits_process.py:400-407). NoRepeatNGram: n-grams of the whole row, pads and prompt
   included (logits_process.py:903-968, 1018-1026). MinLength: EOS = -inf while input_ids.shape[-1] <
   min_length, i.e. counting the padded prompt width (logits_process.py:150-156).
 * out.scores[t] (utils.py:3687-3689, 3739-3740): [B * num_beams, V], the PROCESSED log-probs (no running score)
   of each row as it was at step t's forward (before that step's reordering).
 * Candidates per group (utils.py:3690-3700): processed + beam_scores[row] -> [B, gs * V] -> torch.topk(
   max(2, 1 + n_eos) * gs = 2 * gs, sorted); token = idx % V, source = idx // V (group-local beam).
 * BeamSearchScorer.process (beam_search.py:215-318), per batch item: if (b, g) is already done (255-264): next
   scores 0, tokens pad_token_id, source index 0 for all gs beams -> the done group's rows become copies of
   group-local row 0 = BATCH ITEM 0's first beam of that group (input_ids AND KV cache, utils.py:3725-3735), they
   keep running, and current_tokens gets pad_token_id (= EOS) for them, so LATER groups of that item get EOS
   penalised by diversity_penalty per done beam. Otherwise the candidates in rank order (266-300): an EOS
   candidate of rank >= gs is skipped (275-277); an EOS candidate of rank < gs is added to the hypotheses with
   hyp = the source row WITHOUT the EOS, sum_logprobs = its candidate score (which includes the EOS log-prob)
   and generated_len = cur_len - decoder_prompt_len where cur_len = group_input_ids.shape[-1] + 1 (228, 284-289):
   the EOS IS counted in generated_len; decoder_prompt_len = padded prompt width. Other candidates fill the gs
   next beams in rank order. Then (308-310) _done[b, g] |= hyps.is_done(max of the 2*gs candidate scores (EOS
   ones included), cur_len, prompt_len).
 * BeamHypotheses (beam_search.py:930-1020): score = sum_logprobs / generated_len ** length_penalty (python
   float; generated_len is the int above, so with length_penalty 1 an exact division); kept if len < gs or
   score > worst_score (967); over capacity: sorted((score, idx)) -> the lowest is removed (ties: lowest index),
   worst_score = the second lowest (973-975), else worst_score = min(score, worst_score) (977); worst_score starts
   at 1e9. is_done (979-1020): False while len < gs; early_stopping True -> True; False -> worst_score >=
   best_sum_logprobs / (cur_len - prompt_len) ** length_penalty (995); "never" -> with length_penalty > 0:
   best_sum_logprobs / (max_length - prompt_len) ** length_penalty (1006), else as False.
 * KV cache (utils.py:3729-3735, 3766-3772): reordered once per step with reordering_indices = b * num_beams +
   g * gs + (local source % gs). After all groups: input_ids = cat(input_ids, current_tokens) (utils.py:3757).
 * Loop end (utils.py:3777-3778): beam_scorer.is_done (ALL (b, g) done: beam_search.py:212-213) or
   MaxLengthCriteria (input_ids.shape[-1] >= max_length, stopping_criteria.py:76-78; max_length = L +
   max_new_tokens).
 * finalize (beam_search.py:320-417): each (b, g) NOT done adds ALL its gs running beams (hyp = the full row,
   score = running beam score, generated_len = row length - prompt_len; no EOS) (340-352). Per batch item, the
   hypotheses of ALL groups are concatenated in group order, each group's list in its internal order (insertion
   order minus removals) (363), sorted ascending by score with python's STABLE sorted() (364) and
   num_return_sequences are pop()ed from the end (366): best first; among EXACTLY equal scores the one LATER in
   the concatenation (later group / later insertion) is returned first. Output width and EOS / pad filling:
   see "sequences" above (379-408).
"""
import hashlib
import inspect
import json
import os
import textwrap

import torch

import transformers

assert transformers.__version__.startswith("4."), (
    f"needs transformers 4.x (PYTHONPATH=.venv/hf4, see utils/setup_hf4.sh), got {transformers.__version__}"
)

from transformers import GPT2LMHeadModel  # noqa: E402
from transformers.generation.beam_search import BeamSearchScorer  # noqa: E402
from transformers.generation.utils import GenerationMixin  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "tests", "fixtures", "generation")
MODEL_DIR = os.path.join(GEN, "gpt2")
OUT_PATH = os.path.join(GEN, "group_beam.json")
EOS = 399

BASE = dict(
    do_sample=False,
    pad_token_id=EOS,
    eos_token_id=EOS,
    output_scores=True,
    return_dict_in_generate=True,
    use_cache=True,
    no_repeat_ngram_size=0,
    repetition_penalty=1.0,
    min_length=0,
    num_return_sequences=1,
    length_penalty=1.0,
    early_stopping=False,
)

# (name, options on top of BASE)
CASES = [
    ("group4x2_div1.0_max_new_10",
     dict(num_beams=4, num_beam_groups=2, diversity_penalty=1.0, max_new_tokens=10)),
    ("group6x3_div2.0_return3",
     dict(num_beams=6, num_beam_groups=3, diversity_penalty=2.0, num_return_sequences=3, max_new_tokens=10)),
    ("group4x4_div0.5_early_stopping_true_return2",
     dict(num_beams=4, num_beam_groups=4, diversity_penalty=0.5, early_stopping=True, num_return_sequences=2,
          max_new_tokens=12)),
    ("group4x2_div1.5_length_penalty_0.5_min_length_11_max_length_20",
     dict(num_beams=4, num_beam_groups=2, diversity_penalty=1.5, length_penalty=0.5, min_length=11,
          max_length=20)),
    ("group4x2_div1.0_no_repeat_2_repetition_1.3",
     dict(num_beams=4, num_beam_groups=2, diversity_penalty=1.0, no_repeat_ngram_size=2, repetition_penalty=1.3,
          max_new_tokens=10)),
    ("group6x2_div0.7_return6_length_penalty_2.0",
     dict(num_beams=6, num_beam_groups=2, diversity_penalty=0.7, num_return_sequences=6, length_penalty=2.0,
          max_new_tokens=12)),
    ("group4x2_div1.0_early_stopping_never_return4",
     dict(num_beams=4, num_beam_groups=2, diversity_penalty=1.0, early_stopping="never", num_return_sequences=4,
          max_new_tokens=10)),
    # all (item, group) pairs done before max_new_tokens: the loop ends on beam_scorer.is_done
    ("group2x2_div0.5_early_stopping_true_no_repeat_2_max_new_30",
     dict(num_beams=2, num_beam_groups=2, diversity_penalty=0.5, early_stopping=True, no_repeat_ngram_size=2,
          max_new_tokens=30)),
]
# batch of ONE unpadded prompt (input_ids of the cases.json case "greedy_single_unpadded")
SINGLE_CASES = [
    ("single_group2x2_div0.5_early_stopping_true_no_repeat_3_return2",
     dict(num_beams=2, num_beam_groups=2, diversity_penalty=0.5, early_stopping=True, no_repeat_ngram_size=3,
          num_return_sequences=2, max_new_tokens=30)),
]


# ------------------------------------------------------------------------------------------------------------
# patched copies that record the REAL beam path (global row numbers); only beam_indices bookkeeping differs
# ------------------------------------------------------------------------------------------------------------
def patch_source(func, replacements):
    src = textwrap.dedent(inspect.getsource(func))
    for old, new in replacements:
        assert src.count(old) == 1, (func.__name__, old)
        src = src.replace(old, new)
    namespace = dict(vars(inspect.getmodule(func)))
    exec(compile(src, f"<patched {func.__qualname__}>", "exec"), namespace)
    return namespace[func.__name__]


ORIG_GROUP = GenerationMixin._group_beam_search
ORIG_PROCESS = BeamSearchScorer.process
ORIG_FINALIZE = BeamSearchScorer.finalize

PATCHED_GROUP = patch_source(ORIG_GROUP, [
    # process() must see this group's own histories (indexed group-locally)
    ("process_beam_indices = sum(beam_indices, ()) if beam_indices is not None else None",
     "process_beam_indices = beam_indices[beam_group_idx] if beam_indices is not None else None"),
    # store global row numbers (the rows of out.scores)
    ("beam_indices[beam_group_idx][beam_idx[i]] + (beam_idx[i],) for i in range(len(beam_indices[0]))",
     "beam_indices[beam_group_idx][beam_idx[i]] + (int(num_beams * (beam_idx[i] // group_size) + group_start_idx"
     " + beam_idx[i] % group_size),) for i in range(len(beam_indices[0]))"),
    # finalize() indexes with the global row number b * num_beams + g * gs + k
    ("final_beam_indices = sum(beam_indices, ()) if beam_indices is not None else None",
     "final_beam_indices = tuple(beam_indices[g][b * num_sub_beams + k] for b in range(batch_size)"
     " for g in range(num_beam_groups) for k in range(num_sub_beams)) if beam_indices is not None else None"),
])
PATCHED_PROCESS = patch_source(ORIG_PROCESS, [
    ("beam_index = beam_index + (batch_beam_idx,)",
     "beam_index = beam_index + (int((batch_beam_idx // self.group_size) * self.num_beams"
     " + group_index * self.group_size + batch_beam_idx % self.group_size),)"),
])

RECORD = {"next_scores": [], "hyp_scores": []}


def recording_process(self, input_ids, next_scores, *args, **kwargs):
    g = kwargs["group_index"]
    done = [bool(self._done[b * self.num_beam_groups + g]) for b in range(next_scores.shape[0])]
    RECORD["next_scores"].append((g, done, next_scores.detach().clone()))
    return RECORD["process"](self, input_ids, next_scores, *args, **kwargs)


def recording_finalize(self, *args, **kwargs):
    out = ORIG_FINALIZE(self, *args, **kwargs)
    b = len(self._beam_hyps) // self.num_beam_groups
    RECORD["hyp_scores"] = [
        sorted(((s, tuple(h.tolist())) for hyps in self._beam_hyps[i * self.num_beam_groups:(i + 1) * self.num_beam_groups]
                for (s, h, _) in hyps.beams), reverse=True)
        for i in range(b)
    ]
    return out


def set_mode(patched):
    GenerationMixin._group_beam_search = PATCHED_GROUP if patched else ORIG_GROUP
    RECORD["process"] = PATCHED_PROCESS if patched else ORIG_PROCESS
    BeamSearchScorer.process = recording_process
    BeamSearchScorer.finalize = recording_finalize


def run(model, input_ids, attention_mask, options, patched):
    set_mode(patched)
    RECORD["next_scores"] = []
    RECORD["hyp_scores"] = []
    with torch.no_grad():
        out = model.generate(torch.tensor(input_ids), attention_mask=torch.tensor(attention_mask), **options)
    rec = {"next_scores": RECORD["next_scores"], "hyp_scores": RECORD["hyp_scores"]}
    set_mode(False)
    return out, rec


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fl(t):
    out = [float(x) for x in t.tolist()]
    assert all(x == x and x != float("inf") for x in out)
    return [None if x == float("-inf") else x for x in out]  # strict JSON has no -Infinity


def check_against_5x(model, cases5):
    """Plain beam cases of cases.json (5.24) re-run on 4.56.2: same model, same numerics."""
    n = 0
    for case in cases5:
        o = case["options"]
        if (case.get("model") != "gpt2" or o.get("num_beams", 1) <= 1 or o.get("do_sample")
                or case.get("prefix_allowed_tokens_fn") or o.get("repetition_penalty", 1.0) != 1.0):
            continue
        opts = dict(o, output_scores=True, return_dict_in_generate=True)
        with torch.no_grad():
            out = model.generate(torch.tensor(case["input_ids"]), attention_mask=torch.tensor(case["attention_mask"]),
                                 **opts)
        ts = model.compute_transition_scores(out.sequences, out.scores, out.beam_indices, normalize_logits=False)
        assert out.sequences.tolist() == case["sequences"], case["name"]
        assert torch.allclose(out.sequences_scores, torch.tensor(case["sequences_scores"]), atol=1e-5, rtol=0), \
            case["name"]
        assert torch.allclose(ts, torch.tensor(case["token_scores"]), atol=1e-5, rtol=0), case["name"]
        n += 1
    assert n >= 4, n
    print(f"4.56.2 plain beam search == 5.24 cases.json on {n} cases")


def main():
    cases5 = json.load(open(os.path.join(GEN, "cases.json"), encoding="utf-8"))
    first = cases5[0]
    assert len(first["input_ids"]) == 3 and [sum(r) for r in first["attention_mask"]] == [7, 4, 2]
    assert all(t == EOS for row, m in zip(first["input_ids"], first["attention_mask"]) for t, mm in zip(row, m) if mm == 0)
    single = [c for c in cases5 if c["name"] == "greedy_single_unpadded"][0]
    assert len(single["input_ids"]) == 1 and all(single["attention_mask"][0])
    all_cases = [(n, o, first) for n, o in CASES] + [(n, o, single) for n, o in SINGLE_CASES]

    model = GPT2LMHeadModel.from_pretrained(MODEL_DIR, attn_implementation="eager").eval()
    assert model.config.eos_token_id == EOS and model.config.vocab_size == 400
    model_sha = sha256(os.path.join(MODEL_DIR, "model.safetensors"))
    check_against_5x(model, cases5)

    results, table, min_gap_all = [], [], float("inf")
    for name, extra, source in all_cases:
        input_ids, attention_mask = source["input_ids"], source["attention_mask"]
        prompt_len = len(input_ids[0])
        options = dict(BASE, **extra)
        out, rec = run(model, input_ids, attention_mask, options, patched=False)
        out_t, rec_t = run(model, input_ids, attention_mask, options, patched=True)
        assert out.sequences.tolist() == out_t.sequences.tolist(), name
        assert torch.equal(out.sequences_scores, out_t.sequences_scores), name
        assert len(out.scores) == len(out_t.scores) and all(torch.equal(a, b) for a, b in zip(out.scores, out_t.scores))
        assert rec["hyp_scores"] == rec_t["hyp_scores"], name

        nb, ng = options["num_beams"], options["num_beam_groups"]
        gs = nb // ng
        lp = options["length_penalty"]
        seqs = out.sequences
        try:
            ts, ts_error = model.compute_transition_scores(seqs, out.scores, out.beam_indices, normalize_logits=False), None
        except RuntimeError as e:  # HF's beam_indices can be longer than len(out.scores) (off-by-one, see docstring)
            ts, ts_error = None, str(e)
        ts_true = model.compute_transition_scores(seqs, out.scores, out_t.beam_indices, normalize_logits=False)
        gen_len = (out_t.beam_indices >= 0).sum(-1)
        gen_len_hf = (out.beam_indices >= 0).sum(-1)  # off by +1 for EOS hypotheses of groups > 0, see docstring
        steps = len(out.scores)
        assert ts is None or ts.shape == (seqs.shape[0], steps), (ts.shape, steps)
        assert ts_true.shape == (seqs.shape[0], steps), (ts_true.shape, steps)

        # the real path's token scores add up to the hypothesis score
        for r in range(seqs.shape[0]):
            total = float(ts_true[r, : gen_len[r]].double().sum())
            assert abs(total / float(gen_len[r]) ** lp - float(out.sequences_scores[r])) <= 2e-5, (name, r)
            assert torch.all(ts_true[r, gen_len[r]:] == 0)
        # every row's path stays in one group and one prompt
        bi = out_t.beam_indices
        groups = []
        for r in range(seqs.shape[0]):
            idx = bi[r, : gen_len[r]]
            g = (idx % nb) // gs
            assert torch.all(g == g[0]) and torch.all(idx // nb == r // options["num_return_sequences"]), (name, r)
            groups.append(int(g[0]))

        eos_rows = [bool(seqs[r, prompt_len + gen_len[r] - 1] == EOS) for r in range(seqs.shape[0])]
        for r in range(seqs.shape[0]):  # a hypothesis contains no EOS before its end; a row ending with EOS is
            assert EOS not in seqs[r, prompt_len: prompt_len + gen_len[r] - 1].tolist()  # shorter than the
            assert eos_rows[r] or gen_len[r] == steps  # max-length ones
            if not eos_rows[r]:
                assert seqs.shape[1] == prompt_len + steps
        # near ties: consecutive sorted candidate scores (finite, > -1e8) of every group step, and final hyp scores
        gaps = []
        for step_group, (_, done, ns) in enumerate(rec["next_scores"]):
            for b, row in enumerate(ns):
                v = row[row > -1e8]
                if not done[b] and v.numel() > 1:  # a done group's candidates are ignored by process()
                    gaps.append((float((v[:-1] - v[1:]).min()), f"step {step_group // ng} group {step_group % ng} item {b}"))
        identical_ties = 0
        for hs in rec["hyp_scores"]:  # best first; only the kept ones and the first one left out matter
            top = hs[: options["num_return_sequences"] + 1]
            for (sa, ha), (sb, hb) in zip(top, top[1:]):
                if sa == sb and ha == hb:  # the same hypothesis found by two groups: which one is kept only
                    identical_ties += 1    # shows in "groups" (python's stable sort, the later group wins)
                else:
                    gaps.append((sa - sb, "final hypotheses"))
        min_gap, where = min(gaps)
        min_gap_all = min(min_gap_all, min_gap)
        assert min_gap > 1e-4, (name, min_gap, where)

        assert torch.isfinite(ts_true).all() and torch.isfinite(out.sequences_scores).all(), name
        results.append({
            "name": name,
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "options": options,
            "sequences": seqs.tolist(),
            "sequences_scores": fl(out.sequences_scores),
            "token_scores": None if ts is None else [fl(r) for r in ts],
            "token_scores_error": ts_error,
            "token_scores_true": [fl(r) for r in ts_true],  # never -inf: asserted below
            "beam_indices": out.beam_indices.tolist(),
            "beam_indices_true": out_t.beam_indices.tolist(),
            "groups": groups,
            "generated_lengths": gen_len.tolist(),
            "generated_lengths_hf": gen_len_hf.tolist(),
            "eos_rows": eos_rows,
            "hits_eos": any(eos_rows),
            "steps": steps,
            "transformers_version": transformers.__version__,
            "model_sha256": model_sha,
        })
        nrs = options["num_return_sequences"]
        fmt = lambda xs: " | ".join(" ".join(str(x) for x in xs[i:i + nrs]) for i in range(0, len(xs), nrs))  # noqa
        differs = "n/a (HF raised)" if ts is None else sum(int(not torch.allclose(ts[r], ts_true[r]))
                                                            for r in range(seqs.shape[0]))
        len_differs = int((gen_len != gen_len_hf).sum())
        table.append(f"{name}\n        [steps {steps}] eos {fmt(['T' if e else 'F' for e in eos_rows])}; "
                     f"lengths {fmt(gen_len.tolist())}; groups {fmt(groups)}; "
                     f"token_scores != true on {differs}/{seqs.shape[0]} rows, "
                     f"generated_lengths_hf != true on {len_differs}; min gap {min_gap:.1e}"
                     + (f"; {identical_ties} exact ties of identical hypotheses" if identical_ties else ""))
        print(table[-1])

    print(f"smallest near-tie gap over all cases: {min_gap_all:.2e}")
    os.makedirs(GEN, exist_ok=True)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes, sha256 {sha256(OUT_PATH)})")


if __name__ == "__main__":
    main()
