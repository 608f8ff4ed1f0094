#!/usr/bin/env python3
"""A Llama GGUF with a SentencePiece vocabulary (tests/fixtures/gguf_spm/); tests/gguf_spm.rs reads it.

Run from the repository root:  .venv/bin/python utils/fixtures_gguf_spm.py
Deterministic (fixed seeds, single-threaded SentencePiece training). References: sentencepiece,
the `gguf` package (llama.cpp's writer) and HF Transformers 5.24's GGUF loaders
(`AutoTokenizer.from_pretrained(dir, gguf_file=...)`, `AutoModelForCausalLM.from_pretrained(...)`).

tiny_spm.gguf
    SentencePiece BPE (vocab 1600, byte fallback, character coverage 0.98 so rare characters of
    the corpus fall back to bytes, digits split, whitespace kept as is, user-defined `<|user|>`
    `<|end|>`, control `<ctrl>`) trained on tests/fixtures/tokenizers/corpus.txt, written as
    llama.cpp's converter writes a Llama vocabulary: `tokenizer.ggml.model = llama`, tokens,
    scores, token types (NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, BYTE 6), bos 1, eos 2,
    unk 0, padding 0, add_bos true, add_eos false, add_space_prefix true. With it a tiny random
    Llama (hidden 32, 2 layers, 4 heads, 2 key/value heads, head 8, MLP 64, context 128, tied
    embeddings), f32 tensors (the embeddings f16) under llama.cpp's names with its query/key row permutation, and the
    sampling keys llama.cpp's writer has (general.sampling.*).
tiny_spm_tokenizer.json
    HF's tokenizer of the file on the corpus lines and texts with special/added tokens: ids (HF's
    default add_special_tokens) and decodings (with and without skip_special_tokens); the
    tokenizer's special tokens.
tiny_spm_phi3.gguf, tiny_spm_phi3_tokenizer.json
    The same metadata under architecture `phi3` (no tensors: a tokenizer-only file), which HF
    builds with Phi-3's normalizer instead of Metaspace; HF's ids and decodings as above.
tiny_spm_generation.json
    HF's LlamaForCausalLM from the file (float32, eager): for prompts, their ids and the greedy
    continuation of 24 new tokens (HF generate defaults with the file's generation settings).
"""
import io
import json
import os

import numpy as np
import sentencepiece as spm
import torch

import gguf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "gguf_spm")
CORPUS = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "corpus.txt")
EXTRA = ["<|user|>Hi there<|end|>", "a<ctrl>b </s> <s>x", "  two leading spaces", " one", "",
         "trailing  ", "tab\there\nnew line", "ÿ ü 🦀 日本語 ∑", "<unk> <0x41>"]
PROMPTS = ["The quick brown fox", "Hello, world!", "I'm sure you'll love it"]
HIDDEN, LAYERS, HEADS, KV, FFN, CTX = 32, 2, 4, 2, 64, 128


def train():
    corpus = open(CORPUS, encoding="utf-8").read()
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus.split("\n")), model_writer=model, vocab_size=1600, model_type="bpe",
        byte_fallback=True, character_coverage=0.98, num_threads=1, split_digits=True,
        user_defined_symbols=["<|user|>", "<|end|>"], control_symbols=["<ctrl>"],
        allow_whitespace_only_pieces=True, remove_extra_whitespaces=False, normalization_rule_name="identity",
        minloglevel=2)
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def permute(w, n_head):
    # llama.cpp's converter: interleave the two rotary halves of each head's rows
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write(sp, path):
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_name("tiny-spm-llama")
    w.add_context_length(CTX)
    w.add_embedding_length(HIDDEN)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FFN)
    w.add_rope_dimension_count(HIDDEN // HEADS)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_vocab_size(sp.get_piece_size())
    tokens, scores, types = [], [], []
    T = gguf.TokenType
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i).encode("utf-8"))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            types.append(T.UNKNOWN)
        elif sp.is_control(i):
            types.append(T.CONTROL)
        elif sp.is_unused(i):
            types.append(T.UNUSED)
        elif sp.is_byte(i):
            types.append(T.BYTE)
        elif sp.id_to_piece(i) in ("<|user|>", "<|end|>"):
            types.append(T.USER_DEFINED)
        else:
            types.append(T.NORMAL)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_pad_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)
    # llama.cpp's sampling defaults (HF's loader does not read them)
    w.add_float32("general.sampling.temp", 0.7)
    w.add_int32("general.sampling.top_k", 5)
    w.add_float32("general.sampling.top_p", 0.8)
    w.add_float32("general.sampling.penalty_repeat", 1.2)

    g = torch.Generator().manual_seed(2027)
    V, D = sp.get_piece_size(), HIDDEN // HEADS

    def rnd(*shape, mean=0.0):
        return (torch.randn(*shape, generator=g) * 0.2 + mean).numpy().astype(np.float32)

    w.add_tensor("token_embd.weight", rnd(V, HIDDEN).astype(np.float16))
    for i in range(LAYERS):
        w.add_tensor(f"blk.{i}.attn_norm.weight", rnd(HIDDEN, mean=1.0))
        w.add_tensor(f"blk.{i}.attn_q.weight", permute(rnd(HEADS * D, HIDDEN), HEADS))
        w.add_tensor(f"blk.{i}.attn_k.weight", permute(rnd(KV * D, HIDDEN), KV))
        w.add_tensor(f"blk.{i}.attn_v.weight", rnd(KV * D, HIDDEN))
        w.add_tensor(f"blk.{i}.attn_output.weight", rnd(HIDDEN, HEADS * D))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", rnd(HIDDEN, mean=1.0))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", rnd(FFN, HIDDEN))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rnd(FFN, HIDDEN))
        w.add_tensor(f"blk.{i}.ffn_down.weight", rnd(HIDDEN, FFN))
    w.add_tensor("output_norm.weight", rnd(HIDDEN, mean=1.0))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_phi3(src, path):
    """A copy of `src`'s metadata under architecture phi3 (llama.* keys renamed), no tensors."""
    reader = gguf.GGUFReader(src)
    w = gguf.GGUFWriter(path, arch="phi3")
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        name = field.name.replace("llama.", "phi3.")
        kind = field.types[0]
        if kind == gguf.GGUFValueType.ARRAY:
            w.add_key_value(name, field.contents(), kind, sub_type=field.types[-1])
        else:
            w.add_key_value(name, field.contents(), kind)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tokenizer_cases(sp, gguf_file, out_name):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(OUT, gguf_file=gguf_file)
    corpus = open(CORPUS, encoding="utf-8").read().split("\n")
    texts = corpus + EXTRA
    ids = [tok(t)["input_ids"] for t in texts]
    out = {
        "class": type(tok).__name__,
        "texts": texts, "ids": ids,
        "decoded": [tok.decode(i) for i in ids],
        "decoded_skip": [tok.decode(i, skip_special_tokens=True) for i in ids],
        "special_tokens": {k: str(v) for k, v in tok.special_tokens_map.items() if isinstance(v, str)},
        "spm_ids": [sp.encode(t) for t in texts],
    }
    same = sum(a[1:] == b for a, b in zip(ids, out["spm_ids"]))
    with open(os.path.join(OUT, out_name), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"[tokenizer {gguf_file}] {type(tok).__name__}: {len(texts)} texts, {sum(map(len, ids))} ids; "
          f"{same} equal sentencepiece's own (after BOS); special {out['special_tokens']}")
    return tok


def main():
    from transformers import AutoModelForCausalLM

    os.makedirs(OUT, exist_ok=True)
    sp = train()
    path = os.path.join(OUT, "tiny_spm.gguf")
    write(sp, path)
    tok = tokenizer_cases(sp, "tiny_spm.gguf", "tiny_spm_tokenizer.json")
    write_phi3(path, os.path.join(OUT, "tiny_spm_phi3.gguf"))
    tokenizer_cases(sp, "tiny_spm_phi3.gguf", "tiny_spm_phi3_tokenizer.json")

    model = AutoModelForCausalLM.from_pretrained(OUT, gguf_file="tiny_spm.gguf", dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    cases = []
    for prompt in PROMPTS:
        enc = tok(prompt, return_tensors="pt")
        with torch.no_grad():
            gen = model.generate(**enc, max_new_tokens=24, do_sample=False, num_beams=1)
            logits = model(**enc).logits[0, -1]
        cases.append({"prompt": prompt, "input_ids": enc.input_ids[0].tolist(),
                      "generated": gen[0, enc.input_ids.shape[1]:].tolist(),
                      "last_logits": logits.tolist()})
        print(f"[generation] {prompt!r} -> {tok.decode(cases[-1]['generated'])!r}")
    with open(os.path.join(OUT, "tiny_spm_generation.json"), "w", encoding="utf-8") as f:
        json.dump({"generation_config": model.generation_config.to_diff_dict(), "cases": cases}, f,
                  ensure_ascii=False)
        f.write("\n")
    print(f"[file] {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
