#!/usr/bin/env python3
"""generation_config.json's sampling defaults as HF 5.24's `generate` applies them
(tests/fixtures/llama/gen_defaults/); tests/generation_defaults.rs reads them.

Run from the repository root (after utils/fixtures_llama.py):
    .venv/bin/python utils/fixtures_generation_defaults.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eager attention, single thread.

gen_defaults/config.json        the tiny Mistral's (tests/fixtures/llama/mistral, sliding window 4),
                                so generation_config.json is read beside it; weights stay there.
gen_defaults/generation_config.json
                                do_sample, temperature 0.7, top_k 5, top_p 0.8, repetition_penalty
                                1.3, max_new_tokens 12, pad 1, eos 3.
gen_defaults/expected.json      the left-padded batch of mistral/expected.safetensors (left.*) and
                                HF's rows (prompt then new tokens, padded with 1) for:
    model_defaults   generate(ids, attention_mask=mask): every sampling setting the model's;
    explicit         generate(..., temperature=1.5, top_k=3): the caller's two win, the rest the
                     model's;
    ignored          generate(..., temperature=1.0, top_k=0, top_p=0.9, repetition_penalty=1.0,
                     max_new_tokens=None, max_length=30): rust-bert's defaults (max_length 30).
    each under torch.manual_seed(42).
"""
import json
import os

import torch
from safetensors.torch import load_file
from transformers import GenerationConfig, MistralForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLAMA = os.path.join(ROOT, "tests", "fixtures", "llama")
OUT = os.path.join(LLAMA, "gen_defaults")
DEFAULTS = {"bos_token_id": 2, "eos_token_id": 3, "pad_token_id": 1, "do_sample": True, "temperature": 0.7,
            "top_k": 5, "top_p": 0.8, "repetition_penalty": 1.3, "max_new_tokens": 12}
CASES = {
    "model_defaults": {},
    "explicit": {"temperature": 1.5, "top_k": 3},
    "ignored": {"temperature": 1.0, "top_k": 0, "top_p": 0.9, "repetition_penalty": 1.0, "max_new_tokens": None,
                "max_length": 30},
}


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(LLAMA, "mistral", "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(OUT, "generation_config.json"), "w") as f:
        json.dump(DEFAULTS, f, indent=1)
        f.write("\n")
    model = MistralForCausalLM.from_pretrained(os.path.join(LLAMA, "mistral"), dtype=torch.float32,
                                               attn_implementation="eager").eval()
    model.generation_config = GenerationConfig.from_pretrained(OUT)
    e = load_file(os.path.join(LLAMA, "mistral", "expected.safetensors"))
    ids, mask = e["left.input_ids"], e["left.attention_mask"]
    out = {"input_ids": ids.tolist(), "attention_mask": mask.tolist()}
    for name, kwargs in CASES.items():
        torch.manual_seed(42)
        with torch.no_grad():
            rows = model.generate(ids, attention_mask=mask, **kwargs)
        out[name] = rows.tolist()
        print(name, [len(r) for r in rows.tolist()], rows[:, ids.shape[1]:].tolist())
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
