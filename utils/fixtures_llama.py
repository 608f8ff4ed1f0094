#!/usr/bin/env python3
"""HF-reference fixtures for the decoder stack of modern LLMs (tests/llama.rs): Llama (incl.
Llama 3 rope scaling), Mistral, Qwen2, Qwen3, Phi-3 and Gemma 2 as tiny random models.

Run from the repository root:  .venv/bin/python utils/fixtures_llama.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention,
torch single-threaded (generate_fixtures sets it).

tokenizer/{tokenizer.json, special_tokens_map.json}
    Byte-level BPE trained with `tokenizers` on CORPUS (vocab 160, specials <unk>=0, <pad>=1,
    <s>=2, </s>=3). Every model has V = the tokenizer's vocabulary size.

<family>/{config.json, model.safetensors, expected.safetensors} (generation_config.json too
    for llama: its EOS list is read by the Rust side). Families and the switches they exercise:
    llama       GQA 4:1 (8 heads, 2 key/value heads), head_dim 16 != hidden/heads = 8, llama3
                rope scaling (factor 8, original 16), separate lm_head, rms_norm_eps 1e-5.
    llama_yarn  yarn rope scaling (factor 4, original 16), tied embeddings, attention and MLP
                biases, stored as a sharded checkpoint (model-0000x-of-00002.safetensors + index).
    mistral     sliding_window 4 (shorter than the 7-token prompt), GQA 2:1.
    qwen2       q/k/v biases (o without), linear rope scaling (factor 2), layer 1 sliding (window 3
                through use_sliding_window / max_window_layers).
    qwen3       per-head q/k RMSNorm, head_dim 16, dynamic NTK rope (inside the context: HF's
                frequencies are the default ones there).
    phi3        fused qkv_proj and gate_up_proj, partial_rotary_factor 0.5, longrope (short
                factors; original 32 of 64 positions: attention factor sqrt(1 + ln 2 / ln 32)).
    gemma2      (1 + w) RMSNorms, embeddings scaled by sqrt(hidden), pre/post feed-forward norms,
                GELU-tanh, query_pre_attn_scalar 24, attention soft-capping 5, final soft-capping
                3, alternating sliding (window 4) / full layers, tied embeddings.
Every parameter randomised: normal(0, 0.2); norm weights normal(1, 0.2) (Gemma's normal(0, 0.2),
its norms being 1 + w).

expected.safetensors keys:
  left.input_ids, left.attention_mask, left.position_ids [3, 7]: rows of 7, 5 and 3 tokens,
      LEFT-padded with <pad>, positions = cumsum(mask) - 1 with pads set to 1 (HF generate's).
  left.logits [3, 7, V], left.hidden_states.{0..layers} (HF: the last one after the final norm),
  left.attentions.{i}: output_hidden_states / output_attentions of one forward, use_cache=False.
  step.0.logits: the left batch as prompt with use_cache=True; step.k.{input_ids, attention_mask,
      position_ids, logits} k = 1..3: one new token per row fed with the cache.
  full.{input_ids, attention_mask, position_ids, logits}: the prompt and the 3 tokens at once.
  gen.greedy / gen.beam3 / gen.sample: model.generate(left.input_ids, attention_mask=...,
      pad_token_id=1, eos_token_id=3, max_new_tokens=10, use_cache=True) with do_sample=False
      (greedy), num_beams=3 (length_penalty 1, early_stopping False), and do_sample=True,
      top_k=20, top_p=0.9, temperature=0.8 under torch.manual_seed(42) (sampling): full rows.
  rope.{short,long}.{position_ids, cos, sin}: the model's rotary embedding alone at positions
      0..20 and 0..100 (past the 64-position context: dynamic NTK's grown base, longrope's long
      factors), [1, n, rotary_dim].
  text.* (llama only): the TEXT prompts encoded with the tokenizer (no special tokens), left
      padded; gen.text_greedy: greedy max_new_tokens 8 from them; decoded texts in text.json.
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import (  # noqa: E402
    Gemma2Config,
    Gemma2ForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    Phi3Config,
    Phi3ForCausalLM,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen3Config,
    Qwen3ForCausalLM,
)

OUT = os.path.join(gf.FIX, "llama")
CORPUS = [
    "The little dog ran to the park and played with a ball.",
    "She reads a good book every night before she sleeps.",
    "Hello there, how are you doing today?",
    "The sun rises in the east and sets in the west.",
    "A cat sat on the warm mat near the door.",
    "We walked along the river and talked about the weather.",
    "He made a cup of tea and sat by the window.",
    "The children laughed as the kite flew over the hill.",
]
TEXT = ["The little dog", "She reads a good book", "Hello"]
PAD, EOS = 1, 3
LENGTHS = [7, 5, 3]
L = 7


def tokenizer():
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=160, special_tokens=["<unk>", "<pad>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet()[:0],
                                  min_frequency=1, show_progress=False)
    tok.train_from_iterator(CORPUS, trainer)
    folder = os.path.join(OUT, "tokenizer")
    os.makedirs(folder, exist_ok=True)
    tok.save(os.path.join(folder, "tokenizer.json"))
    gf.WRITTEN.append(os.path.join(folder, "tokenizer.json"))
    gf.save_json(os.path.join(folder, "special_tokens_map.json"),
                 {"unk_token": "<unk>", "pad_token": "<pad>", "bos_token": "<s>", "eos_token": "</s>"})
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>",
                                   bos_token="<s>", eos_token="</s>")
    return fast, tok.get_vocab_size()


def randomise(model, seed, gemma):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and not gemma:
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)


def positions(mask):
    return (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)


def left_batch(rs):
    ids = torch.full((len(rs), L), PAD, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rs):
        ids[i, L - len(r):] = r
        mask[i, L - len(r):] = 1
    return ids, mask, positions(mask)


def run(name, cls, config, seed, v, shards=False, extra=None):
    torch.manual_seed(seed)
    config._attn_implementation = "eager"
    model = cls(config)
    randomise(model, seed + 1000, isinstance(config, Gemma2Config))
    model.eval()
    folder = os.path.join(OUT, name)
    if shards:
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)
        model.save_pretrained(folder, safe_serialization=True, max_shard_size="60KB")
        for f in sorted(os.listdir(folder)):
            if f == "generation_config.json":
                os.remove(os.path.join(folder, f))
            else:
                gf.WRITTEN.append(os.path.join(folder, f))
    else:
        print(name, gf.save_model(model, folder))
    g = torch.Generator().manual_seed(seed + 1)
    rs = [torch.randint(4, v, (n,), generator=g) for n in LENGTHS]
    res = {}
    with torch.no_grad():
        ids, mask, pos = left_batch(rs)
        out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False,
                    output_hidden_states=True, output_attentions=True)
        res.update({"left.input_ids": ids, "left.attention_mask": mask, "left.position_ids": pos,
                    "left.logits": out.logits})
        for i, t in enumerate(out.hidden_states):
            res[f"left.hidden_states.{i}"] = t
        for i, t in enumerate(out.attentions):
            res[f"left.attentions.{i}"] = t
        out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        res["step.0.logits"] = out.logits
        past = out.past_key_values
        new = torch.randint(4, v, (3, 3), generator=g)
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
            print(f"  {name}: HF cache step {k} vs full forward {d:.2e}")
        ids, mask, _ = left_batch(rs)
        common = dict(attention_mask=mask, pad_token_id=PAD, eos_token_id=EOS, max_new_tokens=10,
                      use_cache=True, min_length=0, repetition_penalty=1.0, no_repeat_ngram_size=0,
                      num_return_sequences=1, top_k=None, top_p=None, temperature=None)
        res["gen.greedy"] = model.generate(ids, do_sample=False, num_beams=1, **common)
        res["gen.beam3"] = model.generate(ids, do_sample=False, num_beams=3, length_penalty=1.0,
                                          early_stopping=False, **common)
        sample = dict(common, top_k=20, top_p=0.9, temperature=0.8)
        torch.manual_seed(42)
        res["gen.sample"] = model.generate(ids, do_sample=True, num_beams=1, **sample)
        if extra:
            res.update(extra(model))
        # The rotary tables alone, within and beyond the context (dynamic NTK grows its base past
        # max_position_embeddings, longrope switches to its long factors past the original
        # context); short first, as HF's dynamic tables are stateful.
        rotary = model.model.rotary_emb
        for tag, n in (("short", 20), ("long", 100)):
            pos = torch.arange(n)[None]
            cos, sin = rotary(torch.zeros(1), pos)
            res.update({f"rope.{tag}.position_ids": pos, f"rope.{tag}.cos": cos,
                        f"rope.{tag}.sin": sin})
    gf.save_tensors(os.path.join(folder, "expected.safetensors"), res)


def text_cases(fast):
    def go(model):
        enc = fast(TEXT, add_special_tokens=False)
        rows = [torch.tensor(r) for r in enc["input_ids"]]
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), PAD, dtype=torch.int64)
        mask = torch.zeros_like(ids)
        for i, r in enumerate(rows):
            ids[i, width - len(r):] = r
            mask[i, width - len(r):] = 1
        out = model.generate(ids, attention_mask=mask, pad_token_id=PAD, eos_token_id=EOS,
                             max_new_tokens=8, do_sample=False, num_beams=1, top_k=None, top_p=None,
                             temperature=None)
        texts = [fast.decode(r, skip_special_tokens=True) for r in out]
        gf.save_json(os.path.join(OUT, "llama", "text.json"), {"prompts": TEXT, "texts": texts})
        return {"text.input_ids": ids, "text.attention_mask": mask, "gen.text_greedy": out}
    return go


def main():
    fast, v = tokenizer()
    base = dict(vocab_size=v, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                num_attention_heads=8, max_position_embeddings=64, bos_token_id=2, eos_token_id=EOS,
                pad_token_id=PAD)
    run("llama", LlamaForCausalLM, LlamaConfig(
        **base, num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-5, tie_word_embeddings=False,
        rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                         "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 16}), 500, v, extra=text_cases(fast))
    gf.save_json(os.path.join(OUT, "llama", "generation_config.json"),
                 {"bos_token_id": 2, "eos_token_id": [EOS, 0], "pad_token_id": PAD,
                  "do_sample": True, "temperature": 0.6, "top_p": 0.9})
    run("llama_yarn", LlamaForCausalLM, LlamaConfig(
        **base, num_key_value_heads=4, tie_word_embeddings=True, attention_bias=True,
        mlp_bias=True, rope_parameters={"rope_type": "yarn", "rope_theta": 500.0, "factor": 4.0,
                                        "original_max_position_embeddings": 16}),
        510, v, shards=True)
    run("mistral", MistralForCausalLM, MistralConfig(
        **base, num_key_value_heads=4, head_dim=8, sliding_window=4, tie_word_embeddings=False),
        520, v)
    run("qwen2", Qwen2ForCausalLM, Qwen2Config(
        **base, num_key_value_heads=2, use_sliding_window=True, sliding_window=3,
        max_window_layers=1, tie_word_embeddings=False,
        rope_parameters={"rope_type": "linear", "rope_theta": 1000.0, "factor": 2.0}), 530, v)
    run("qwen3", Qwen3ForCausalLM, Qwen3Config(
        **base, num_key_value_heads=2, head_dim=16, tie_word_embeddings=True,
        rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}), 540, v)
    half = 4  # rotary dim 8 of head_dim 16 -> 4 frequencies
    run("phi3", Phi3ForCausalLM, Phi3Config(
        **dict(base, num_attention_heads=4), num_key_value_heads=2, tie_word_embeddings=False,
        original_max_position_embeddings=32, partial_rotary_factor=0.5,
        rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
                         "short_factor": [1.0, 1.5, 2.0, 3.0][:half],
                         "long_factor": [2.0, 3.0, 5.0, 8.0][:half]}), 550, v)
    run("gemma2", Gemma2ForCausalLM, Gemma2Config(
        **base, num_key_value_heads=4, head_dim=16, query_pre_attn_scalar=24,
        attn_logit_softcapping=5.0, final_logit_softcapping=3.0, sliding_window=4,
        layer_types=["sliding_attention", "full_attention"], hidden_activation="gelu_pytorch_tanh",
        tie_word_embeddings=True), 560, v)
    print("\n".join(gf.WRITTEN))


if __name__ == "__main__":
    main()
