#!/usr/bin/env python3
"""Convert an HF checkpoint (pytorch_model.bin, model.safetensors or a sharded index) to
rust-bert's `rust_model.ot`, next to the source file unless --output says otherwise.

    .venv/bin/python utils/convert_model.py path/to/pytorch_model.bin [--prefix bert.]
        [--skip_embeddings] [--skip_lm_head] [--dtype float16] [--output path/rust_model.ot]

Python does what only PyTorch can do (unpickle any torch.save file, including the pre-1.6
non-zip format); it hands the tensors over as safetensors to the crate's `convert-tensor`
binary, which applies the options and writes the `.ot`. The options therefore mean exactly
what they mean for `convert-tensor`.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_state_dict(path):
    if path.endswith(".index.json"):
        import json
        with open(path) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        state = {}
        for shard in shards:
            state.update(load_state_dict(os.path.join(os.path.dirname(path), shard)))
        return state
    if path.endswith(".safetensors"):
        return load_file(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    return {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}


def convert_tensor_command():
    # An explicit binary (the tests pass the one cargo just built); otherwise let cargo build
    # or reuse it, so a stale binary is never run.
    exe = os.environ.get("CONVERT_TENSOR")
    if exe:
        return [exe]
    return ["cargo", "run", "--quiet", "--release", "--manifest-path",
            os.path.join(ROOT, "Cargo.toml"), "--bin", "convert-tensor", "--"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="pytorch_model.bin, model.safetensors or *.index.json")
    parser.add_argument("--output", help="output .ot (default: rust_model.ot beside the source)")
    parser.add_argument("--prefix", help="prefix added to every tensor name")
    parser.add_argument("--dtype", help="float32, float16 or bfloat16 for floating tensors")
    parser.add_argument("--skip_embeddings", action="store_true", help="drop shared token embeddings")
    parser.add_argument("--skip_lm_head", action="store_true", help="drop lm_head.weight")
    args = parser.parse_args(argv)

    output = args.output or os.path.join(os.path.dirname(os.path.abspath(args.source)), "rust_model.ot")
    state = {k: v.contiguous() for k, v in load_state_dict(args.source).items()}
    # Tied weights share storage; safetensors refuses shared tensors, so give each its own.
    state = {k: v.clone() for k, v in state.items()}
    with tempfile.TemporaryDirectory() as tmp:
        staged = os.path.join(tmp, "staged.safetensors")
        save_file(state, staged)
        command = convert_tensor_command() + [staged, output]
        if args.prefix:
            command += ["--prefix", args.prefix]
        if args.dtype:
            command += ["--dtype", args.dtype]
        if args.skip_embeddings:
            command.append("--skip_embeddings")
        if args.skip_lm_head:
            command.append("--skip_lm_head")
        result = subprocess.run(command)
        if result.returncode != 0:
            sys.exit(result.returncode)
    print(f"converted {args.source} -> {output}")


if __name__ == "__main__":
    main()
