#!/usr/bin/env python3
"""HF-reference fixtures for the chat pipeline (tests/chat.rs) on the tiny Llama of
fixtures_llama.py (tests/fixtures/llama/llama, its tokenizer tests/fixtures/llama/tokenizer).

Run from the repository root, after utils/fixtures_llama.py:
    .venv/bin/python utils/fixtures_chat.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention,
torch single-threaded (generate_fixtures sets it).

chat/tokenizer_config.json
    The tokenizer's special tokens and TEMPLATE under `chat_template`, as hub repositories ship
    it. The folder HF loads is the model (config.json, generation_config.json with its EOS list
    [3, 0], model.safetensors) + tokenizer.json + this file; AutoTokenizer reads the template
    from it.
chat/expected.json
    context: the model's max_position_embeddings (64); max_new_tokens: MAX_NEW (10).
    cases[i]: {messages, prompt, input_ids, generated, text}
        prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True),
        input_ids = tok(prompt, add_special_tokens=False) (what apply_chat_template(tokenize=True)
        gives), generated = model.generate(ids, do_sample=False, max_new_tokens=MAX_NEW) new
        tokens (stopping at generation_config's EOS ids 3 or 0, the EOS kept when reached), text =
        tok.decode(generated, skip_special_tokens=True).
    batch: model.generate on every case's prompt at once, LEFT-padded with <pad> = 1 (attention
        mask 0 there), greedy: the new tokens of each row up to and including its first EOS.
    truncated: a conversation too long for the context. HF has no truncation of its own: the
        oldest turns (a user message and the replies after it) are dropped whole, the system
        message kept, until the prompt leaves room for MAX_NEW new tokens (prompt <= 64 - 10):
        {messages (all), kept (the messages left), dropped (count of messages left out),
         prompt, input_ids, generated, text} for the kept messages as in `cases`.
    too_long: a conversation whose last turn alone does not fit (no reference output).
"""
import json
import os
import shutil
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402
from transformers import AutoTokenizer, LlamaForCausalLM  # noqa: E402

SRC = os.path.join(gf.FIX, "llama")
OUT = os.path.join(gf.FIX, "chat")
MAX_NEW = 10
PAD = 1

# Raises on an unknown role (the bad-input test sends one); the system message has no role tag.
TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
    "{{ raise_exception('Unknown role: ' + message['role']) }}"
    "{% endif %}"
    "{% if message['role'] == 'system' %}{{ message['content'] | trim }}"
    "{% else %}{{ message['role'] }} {{ message['content'] | trim }}{% endif %}"
    "{{ eos_token }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}assistant{% endif %}"
)

CASES = [
    [{"role": "user", "content": "Hello there, how are you doing today?"}],
    [{"role": "system", "content": "A cat sat on the mat."},
     {"role": "user", "content": "The little dog ran to the park."}],
    [{"role": "user", "content": "She reads a good book."},
     {"role": "assistant", "content": "The sun rises in the east."},
     {"role": "user", "content": "We walked along the river."}],
    [{"role": "user", "content": "He made a cup of tea."}],
    [{"role": "user", "content": "The children laughed"}],
    [{"role": "user", "content": "Hello"}],
    # Ends on id 0, the second EOS of generation_config.json (config.json names only 3).
    [{"role": "user", "content": "with good how there"}],
]

TRUNCATED = [
    {"role": "system", "content": "A cat sat on the mat."},
    {"role": "user", "content": "The little dog ran to the park and played with a ball."},
    {"role": "assistant", "content": "She reads a good book every night."},
    {"role": "user", "content": "The sun rises in the east and sets in the west."},
    {"role": "assistant", "content": "He made a cup of tea."},
    {"role": "user", "content": "Hello there, how are you doing today?"},
]

TOO_LONG = [
    {"role": "user", "content": "Hello."},
    {"role": "assistant", "content": "Hello there."},
    {"role": "user", "content": " ".join(["The children laughed as the kite flew over the hill."] * 4)},
]


def folder():
    """The tiny Llama laid out as a hub repository with a chat template."""
    d = tempfile.mkdtemp()
    for f in ["config.json", "generation_config.json", "model.safetensors"]:
        shutil.copy(os.path.join(SRC, "llama", f), d)
    shutil.copy(os.path.join(SRC, "tokenizer", "tokenizer.json"), d)
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
              "pad_token": "<pad>", "unk_token": "<unk>", "clean_up_tokenization_spaces": False,
              "model_max_length": 64, "chat_template": TEMPLATE}
    os.makedirs(OUT, exist_ok=True)
    gf.save_json(os.path.join(OUT, "tokenizer_config.json"), config)
    shutil.copy(os.path.join(OUT, "tokenizer_config.json"), d)
    return d


def turns(messages):
    """(system messages kept, turns): each turn a user message and what follows it."""
    system = []
    rest = list(messages)
    while rest and rest[0]["role"] == "system":
        system.append(rest.pop(0))
    groups = []
    for m in rest:
        if m["role"] == "user" or not groups:
            groups.append([])
        groups[-1].append(m)
    return system, groups


def reply(model, tok, messages):
    prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = tok(prompt, add_special_tokens=False).input_ids
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.int64),
                             do_sample=False, max_new_tokens=MAX_NEW, pad_token_id=PAD)
    new = out[0, len(ids):].tolist()
    return {"messages": messages, "prompt": prompt, "input_ids": ids, "generated": new,
            "text": tok.decode(new, skip_special_tokens=True)}


def main():
    d = folder()
    tok = AutoTokenizer.from_pretrained(d)
    assert tok.chat_template == TEMPLATE
    model = LlamaForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    eos = model.generation_config.eos_token_id
    assert eos == [3, 0], eos
    context = model.config.max_position_embeddings
    cases = [reply(model, tok, m) for m in CASES]
    for i, c in enumerate(cases):
        print(f"case {i}: {len(c['input_ids'])} prompt tokens, {len(c['generated'])} new: {c['generated']}")

    # Every prompt at once, left-padded.
    rows = [c["input_ids"] for c in cases]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), PAD, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r)
        mask[i, width - len(r):] = 1
    with torch.no_grad():
        out = model.generate(ids, attention_mask=mask, do_sample=False, max_new_tokens=MAX_NEW, pad_token_id=PAD)
    batch = []
    for row in out[:, width:].tolist():
        cut = next((k + 1 for k, t in enumerate(row) if t in eos), len(row))
        batch.append(row[:cut])
    print("batch:", batch)

    system, groups = turns(TRUNCATED)
    for drop in range(len(groups)):
        kept = system + [m for g in groups[drop:] for m in g]
        prompt = tok.apply_chat_template(kept, tokenize=False, add_generation_prompt=True)
        if len(tok(prompt, add_special_tokens=False).input_ids) + MAX_NEW <= context:
            break
    else:
        raise SystemExit("the truncation case does not fit even with its last turn alone")
    full = len(tok(tok.apply_chat_template(TRUNCATED, tokenize=False, add_generation_prompt=True),
                   add_special_tokens=False).input_ids)
    assert full + MAX_NEW > context, full
    truncated = reply(model, tok, kept)
    truncated.update({"messages": TRUNCATED, "kept": kept, "dropped": len(TRUNCATED) - len(kept)})
    print(f"truncated: {full} tokens in full, {len(truncated['input_ids'])} after dropping "
          f"{truncated['dropped']} messages")

    _, groups = turns(TOO_LONG)
    last = tok(tok.apply_chat_template(groups[-1], tokenize=False, add_generation_prompt=True),
               add_special_tokens=False).input_ids
    assert len(last) + MAX_NEW > context, len(last)
    print(f"too_long: the last turn alone is {len(last)} tokens")

    gf.save_json(os.path.join(OUT, "expected.json"),
                 {"context": context, "max_new_tokens": MAX_NEW, "eos_token_ids": eos, "cases": cases,
                  "batch": batch, "truncated": truncated, "too_long": TOO_LONG})
    shutil.rmtree(d)
    print("\n".join(gf.WRITTEN))


if __name__ == "__main__":
    main()
