#!/usr/bin/env python3
"""HF-reference fixtures for GPT-Neo (tests/gpt_neo.rs); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_gpt_neo.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention, torch
single-threaded (generate_fixtures sets it). Every expected value comes from HF.

gpt_neo/{config.json, model.safetensors, vocab.json, merges.txt}
    GPTNeoForCausalLM: vocab 400 (the byte-level BPE of utils/fixtures_generation.py, trained on
    its CORPUS, `<|endoftext|>` = 399 = bos = eos, no pad token), hidden 32, 4 layers from
    attention_types [[["global", "local"], 2]] (global, local, global, local), 4 heads,
    window_size 4 (every sequence below is longer, so local layers drop keys), intermediate_size
    48 (not 4 * hidden: a size not read from the config fails), max_position_embeddings 64,
    gelu_new, layer_norm_epsilon 0.02 (an epsilon not read from the config fails 1e-4).
    lm_head is tied to transformer.wte (save_pretrained stores wte only). Every parameter is
    randomised: normal(0, 0.2), LayerNorm weights (ln_*.weight) normal(1, 0.2); then the output
    rows are shaped as fixtures_generation.shape_output does (readable generations, EOS likely
    at ~12% of corpus positions, not dominant). The model seed is the first of SEEDS whose
    greedy and beam cases have no near-tie (gap > 1e-4, checked as fixtures_generation does).

gpt_neo/expected.safetensors (all with output_hidden_states and output_attentions):
  right.*   `input_ids`, `attention_mask` [3, 12], real lengths 12/8/5, right-padded; default
            positions -> `logits`, `hidden_states.i` (i = 0..4, the last after ln_f),
            `attentions.i` (i = 0..3).
  left.*    the same rows left-padded, `position_ids` = cumsum(mask) - 1 with padded positions
            set to 1 (what HF generate builds) -> the same outputs.
  incremental decoding with the cache (use_cache=True, DynamicCache):
  step.0.*  the left batch as prompt -> `logits`;
  step.k.*  k = 1..5: new tokens per row, 1, 2, 1, 1, 1 of them (`input_ids` [3, n]),
            `attention_mask` [3, 12 + seen] (grown by ones), `position_ids` [3, n] (following
            the last position), fed with the cache of step k - 1 -> `logits` [3, n, V]. The
            local layers' window (4) is passed from the first step on.
  full.*    the prompt and the 6 new tokens in one forward (`input_ids`, `attention_mask`,
            `position_ids` [3, 18]) -> `logits` (equal to the steps' logits at their columns,
            checked here to 1e-5).

gpt_neo/cases.json
    HF `generate` cases in the format of utils/fixtures_generation.py (its run_case: see its
    docstring for every field), on the prompts "The little dog ran to the park and played" cut
    to 7 tokens, "She reads a good book" cut to 4, "Hello there" cut to 2, left-padded with 399:
      greedy_max_new_tokens_12
      beam3_early_stopping_true_return2       num_beams 3, early_stopping, 2 returned sequences
      beam5_length_penalty_0.5_no_repeat_3    num_beams 5, length_penalty 0.5, no_repeat_ngram 3
      sample_top_k_top_p_temperature          seed 42: do_sample, top_k 20, top_p 0.9, temp 0.8
      greedy_bos_only                         input [[399]] (what an empty prompt becomes),
                                              min_length 6 (EOS comes first otherwise)
      greedy_long_prompt_end                  the last 63 tokens of LONG_TEXT (185 tokens; the
                                              model takes 64 positions), max_new_tokens 1
    Every case generates past the window (7 + 12 > 4).

gpt_neo/text.json
    "prompts": TEXT_PROMPTS; "greedy": {"options": HF kwargs (max_new_tokens 10), "texts": tokenizer.decode(row, skip_special_tokens=True) of each full output
    row}; "long_text": LONG_TEXT, "long_prompt_ids": its ids (185 tokens).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_generation as fg  # noqa: E402  (sets the tokenizers' single-thread variables)
import generate_fixtures as gf  # noqa: E402
import torch  # noqa: E402
from transformers import GPTNeoConfig, GPTNeoForCausalLM  # noqa: E402

OUT = os.path.join(gf.FIX, "gpt_neo")
SEEDS = range(700, 760)
LENGTHS = [12, 8, 5]
L = 12
STEPS = [1, 2, 1, 1, 1]
TEXT_PROMPTS = ["The children played in the", "He opened the door and looked"]
LONG_TEXT = " ".join(fg.CORPUS.splitlines()[:7])


def build(tok, seed):
    eos = tok.eos_token_id
    config = GPTNeoConfig(vocab_size=len(tok), max_position_embeddings=64, hidden_size=32,
                          num_layers=4, attention_types=[[["global", "local"], 2]], num_heads=4,
                          window_size=4, intermediate_size=48, activation_function="gelu_new",
                          layer_norm_epsilon=0.02, bos_token_id=eos, eos_token_id=eos)
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = GPTNeoForCausalLM(config)
    fg.randomise(model, seed + 1000)
    model.eval()
    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()
    stats = fg.shape_output(model, model.transformer.wte, eos, fg.corpus_contexts(tok),
                            fg.unused_tokens(tok))
    return model, stats


def rows(tok):
    g = torch.Generator().manual_seed(701)  # also GPT-J's inputs (utils/fixtures_gpt_j.py)
    return [torch.randint(0, len(tok), (n,), generator=g) for n in LENGTHS]


def positions(mask):
    return (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)


def collect(out, prefix):
    res = {prefix + "logits": out.logits}
    for name in ("hidden_states", "attentions"):
        for i, t in enumerate(getattr(out, name) or ()):
            res[f"{prefix}{name}.{i}"] = t
    return res


def layer_outputs(model, tok):
    rs = rows(tok)
    res = {}
    ids = torch.zeros(len(rs), L, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rs):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True,
                output_attentions=True, use_cache=False)
    res.update({"right.input_ids": ids, "right.attention_mask": mask})
    res.update(collect(out, "right."))
    ids = torch.full((len(rs), L), 399, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rs):
        ids[i, L - len(r):] = r
        mask[i, L - len(r):] = 1
    pos = positions(mask)
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, output_hidden_states=True,
                output_attentions=True, use_cache=False)
    res.update({"left.input_ids": ids, "left.attention_mask": mask, "left.position_ids": pos})
    res.update(collect(out, "left."))

    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
    res.update({"step.0.input_ids": ids, "step.0.attention_mask": mask,
                "step.0.position_ids": pos, "step.0.logits": out.logits})
    cache = out.cache
    g = torch.Generator().manual_seed(702)
    new = torch.randint(0, len(tok), (len(rs), sum(STEPS)), generator=g)
    seen = 0
    for k, n in enumerate(STEPS, start=1):
        mask = torch.cat([mask, torch.ones(len(rs), n, dtype=torch.int64)], 1)
        step_ids = new[:, seen: seen + n]
        step_pos = positions(mask)[:, -n:]
        out = model(input_ids=step_ids, attention_mask=mask, position_ids=step_pos, cache=cache,
                    use_cache=True)
        cache = out.cache
        res.update({f"step.{k}.input_ids": step_ids, f"step.{k}.attention_mask": mask,
                    f"step.{k}.position_ids": step_pos, f"step.{k}.logits": out.logits})
        seen += n
    full_ids = torch.cat([ids, new], 1)
    full_pos = positions(mask)
    out = model(input_ids=full_ids, attention_mask=mask, position_ids=full_pos, use_cache=False)
    res.update({"full.input_ids": full_ids, "full.attention_mask": mask,
                "full.position_ids": full_pos, "full.logits": out.logits})
    seen = 0
    for k, n in enumerate(STEPS, start=1):
        d = (out.logits[:, L + seen: L + seen + n] - res[f"step.{k}.logits"]).abs().max().item()
        assert d < 1e-5, (k, d)
        seen += n
    return res


def gen_cases(model, tok, model_name="gpt_neo"):
    eos = tok.eos_token_id
    prompts = fg.prompt_rows(tok)
    base = fg.base_options(eos)
    cases, gaps = [], {}

    def add(name, options, rs=prompts, seed=None):
        case, info = fg.run_case(model, name, model_name, rs, options, eos, seed=seed)
        cases.append(case)
        gaps[name] = info
        return case

    add("greedy_max_new_tokens_12", dict(base, max_new_tokens=12))
    add("beam3_early_stopping_true_return2",
        dict(base, num_beams=3, early_stopping=True, num_return_sequences=2, max_new_tokens=12))
    add("beam5_length_penalty_0.5_no_repeat_3",
        dict(base, num_beams=5, length_penalty=0.5, no_repeat_ngram_size=3, max_new_tokens=12))
    add("sample_top_k_top_p_temperature",
        dict(base, do_sample=True, top_k=20, top_p=0.9, temperature=0.8, max_new_tokens=12), seed=42)
    add("greedy_bos_only", dict(base, min_length=6, max_new_tokens=8), rs=[[eos]])
    long_ids = tok(LONG_TEXT, add_special_tokens=False)["input_ids"]
    assert len(long_ids) > 64, len(long_ids)
    add("greedy_long_prompt_end", dict(base, max_new_tokens=1), rs=[long_ids[-63:]])
    return cases, gaps, long_ids


def near_tie(gaps):
    for info in gaps.values():
        for key in ("gap", "boundary"):
            if info[key] is not None and info[key] <= 1e-4:
                return True
    return False


def gen_text(model, tok, long_ids):
    eos = tok.eos_token_id
    ids, mask = fg.left_pad([tok(t, add_special_tokens=False)["input_ids"] for t in TEXT_PROMPTS], eos)
    options = dict(fg.base_options(eos), max_new_tokens=10)
    with torch.no_grad():
        seqs = model.generate(torch.tensor(ids), attention_mask=torch.tensor(mask), **options)
    return {"prompts": TEXT_PROMPTS, "greedy": {
        "options": options, "texts": [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()]},
        "long_text": LONG_TEXT, "long_prompt_ids": long_ids}


def main():
    tok, trained = fg.load_tokenizer()
    for seed in SEEDS:
        model, (shift, rate, unused) = build(tok, seed)
        with torch.no_grad():
            cases, gaps, long_ids = gen_cases(model, tok)
        if not near_tie(gaps):
            break
        print(f"[gpt_neo] seed {seed}: near-tie, next seed")
    else:
        raise AssertionError("no seed without near-ties")
    print(f"[gpt_neo] seed {seed}: EOS row shift {shift}: EOS argmax at {rate:.3f}, unused {unused:.3f}")
    for case in cases:
        print(f"  [case] {case['name']:40s} eos rows {case['eos_rows']} lengths "
              f"{case['generated_lengths']} gap {gaps[case['name']]}")
    gf.save_model(model, OUT)
    _, _, paths = fg.write_tokenizer(OUT, *trained)
    gf.WRITTEN.extend(paths)
    with torch.no_grad():
        gf.save_tensors(os.path.join(OUT, "expected.safetensors"), layer_outputs(model, tok))
        text = gen_text(model, tok, long_ids)
    print(f"  [text] {text['greedy']['texts']}")
    gf.save_json(os.path.join(OUT, "cases.json"), cases)
    gf.save_json(os.path.join(OUT, "text.json"), text)
    total = sum(os.path.getsize(p) for p in set(gf.WRITTEN))
    print("\n".join(sorted(set(gf.WRITTEN))))
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
