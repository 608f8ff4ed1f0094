#!/usr/bin/env python3
"""HF-reference fixtures for GPT-2 and OpenAI GPT (tests/gpt2.rs); see shared/docs/parity.md.

Run from the repository root:  .venv/bin/python utils/fixtures_gpt2.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention.

gpt2/{config.json, model.safetensors, expected.safetensors}
    GPT2LMHeadModel: n_embd 32, 2 layers, 4 heads, vocab 100, n_positions 16, gelu_new,
    layer_norm_epsilon 0.02 (an epsilon not read from the config fails 1e-4),
    scale_attn_by_inverse_layer_idx=True (a scaling flag that is ignored fails too).
    lm_head.weight is tied to transformer.wte.weight (save_pretrained stores wte only).
openai_gpt/{config.json, model.safetensors, expected.safetensors}
    OpenAIGPTLMHeadModel: same sizes, afn gelu, layer_norm_epsilon 0.02; lm_head tied to
    transformer.tokens_embed.weight.
Every parameter is randomised: normal(0, 0.2), LayerNorm weights (ln_*.weight) normal(1, 0.2).

expected.safetensors keys (all with output_hidden_states and output_attentions):
  right.*   `input_ids`, `attention_mask`, `token_type_ids` [3, 9], real lengths 9/6/4,
            right-padded; positions default (arange) -> `logits`, `hidden_states.i`,
            `attentions.i`.
  left.*    the same rows left-padded, `position_ids` = cumsum(mask) - 1 with padded
            positions set to 1 (what HF generate builds), no token types -> same outputs.
  gpt2 only, incremental decoding with the cache (use_cache=True, DynamicCache):
  step.0.*  the left batch as prompt -> `logits`;
  step.k.*  k = 1..3: one new token per row (`input_ids` [3, 1]), `attention_mask` [3, 9 + k]
            (grown by a 1), `position_ids` [3, 1] (last position + 1), fed with the cache of
            step k - 1 -> `logits` [3, 1, V].
  full.*    the prompt and the 3 new tokens in one forward (`input_ids`, `attention_mask`,
            `position_ids` [3, 12]) -> `logits` (equal to the steps' logits at their rows).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel, OpenAIGPTConfig, OpenAIGPTLMHeadModel  # noqa: E402

V = 100
LENGTHS = [9, 6, 4]
L = 9


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".ln_" in name and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)


def build(cls, config, seed):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = cls(config)
    randomise(model, seed + 1000)
    model.eval()
    return model


def rows(seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(1, V, (n,), generator=g) for n in LENGTHS]


def right_batch(rs):
    ids = torch.zeros(len(rs), L, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    tt = torch.zeros_like(ids)
    for i, r in enumerate(rs):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
        tt[i, : len(r)] = torch.arange(len(r)) % 3  # token types index the token embeddings
    return ids, mask, tt


def left_batch(rs):
    ids = torch.zeros(len(rs), L, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rs):
        ids[i, L - len(r):] = r
        mask[i, L - len(r):] = 1
    return ids, mask, positions(mask)


def positions(mask):
    return (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)


def collect(out, prefix):
    res = {prefix + "logits": out.logits}
    for name in ("hidden_states", "attentions"):
        for i, t in enumerate(getattr(out, name) or ()):
            res[f"{prefix}{name}.{i}"] = t
    return res


def run_padded(model, rs, with_types=True):
    res = {}
    ids, mask, tt = right_batch(rs)
    out = model(input_ids=ids, attention_mask=mask, token_type_ids=tt if with_types else None,
                output_hidden_states=True, output_attentions=True, use_cache=False)
    res.update({"right.input_ids": ids, "right.attention_mask": mask, "right.token_type_ids": tt})
    res.update(collect(out, "right."))
    ids, mask, pos = left_batch(rs)
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos,
                output_hidden_states=True, output_attentions=True, use_cache=False)
    res.update({"left.input_ids": ids, "left.attention_mask": mask, "left.position_ids": pos})
    res.update(collect(out, "left."))
    return res


def gen_gpt2():
    config = GPT2Config(vocab_size=V, n_positions=16, n_embd=32, n_layer=2, n_head=4,
                        activation_function="gelu_new", layer_norm_epsilon=0.02,
                        scale_attn_by_inverse_layer_idx=True, bos_token_id=1, eos_token_id=2)
    model = build(GPT2LMHeadModel, config, 300)
    folder = os.path.join(gf.FIX, "gpt2")
    keys = gf.save_model(model, folder)
    print("gpt2 stored tensors:", keys)
    with torch.no_grad():
        res = run_padded(model, rows(301))
        ids, mask, pos = left_batch(rows(301))
        g = torch.Generator().manual_seed(302)
        new = torch.randint(1, V, (3, 3), generator=g)
        out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        res.update({"step.0.input_ids": ids, "step.0.attention_mask": mask,
                    "step.0.position_ids": pos, "step.0.logits": out.logits})
        past = out.past_key_values
        for k in range(1, 4):
            mask = torch.cat([mask, torch.ones(3, 1, dtype=torch.int64)], 1)
            step_ids = new[:, k - 1: k]
            step_pos = positions(mask)[:, -1:]
            out = model(input_ids=step_ids, attention_mask=mask, position_ids=step_pos,
                        past_key_values=past, use_cache=True)
            past = out.past_key_values
            res.update({f"step.{k}.input_ids": step_ids, f"step.{k}.attention_mask": mask,
                        f"step.{k}.position_ids": step_pos, f"step.{k}.logits": out.logits})
        full_ids = torch.cat([ids, new], 1)
        full_pos = positions(mask)
        out = model(input_ids=full_ids, attention_mask=mask, position_ids=full_pos, use_cache=False)
        res.update({"full.input_ids": full_ids, "full.attention_mask": mask,
                    "full.position_ids": full_pos, "full.logits": out.logits})
        for k in range(1, 4):
            d = (out.logits[:, L + k - 1] - res[f"step.{k}.logits"][:, 0]).abs().max().item()
            assert d < 1e-5, d
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)


def gen_openai_gpt():
    config = OpenAIGPTConfig(vocab_size=V, n_positions=16, n_embd=32, n_layer=2, n_head=4,
                             afn="gelu", layer_norm_epsilon=0.02)
    model = build(OpenAIGPTLMHeadModel, config, 400)
    folder = os.path.join(gf.FIX, "openai_gpt")
    keys = gf.save_model(model, folder)
    print("openai_gpt stored tensors:", keys)
    with torch.no_grad():
        res = run_padded(model, rows(401))
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)


if __name__ == "__main__":
    gen_gpt2()
    gen_openai_gpt()
    print("\n".join(gf.WRITTEN))
