#!/usr/bin/env python3
"""Python twin of benches/ner.rs: the same work in HF Transformers 5.24 (torch 2.13, CPU, eval,
no_grad inside the pipeline, HF's default attention implementation):
`pipeline("token-classification", aggregation_strategy="first")` with batch_size 64 (the Rust
pipeline's batch size) on a BERT-base token classifier with random weights (HF's init, 9 CoNLL-03
labels) and bert-base-uncased's vocabulary (all-MiniLM-L6-v2's vocab.txt), over the same 128
sentences.

Prints one JSON object: {"ner_128": seconds} (median).
"""
import json
import os
import statistics
import sys
import time

import torch
from transformers import BertConfig, BertForTokenClassification, BertTokenizer, pipeline

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 10
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MINILM = os.path.join(ROOT, ".venv", "models", "all-MiniLM-L6-v2")
WORDS = (
    "John Smith flew from Paris to New York with Amélie Dupont on Monday "
    "the Acme Corporation opened an office in Zürich and hired engineers from Berlin "
    "she visited the museum near the river before meeting her colleagues at the station "
    "Microsoft and Google announced results while the markets in London were closed "
    "they travelled through Switzerland and Italy during the unbelievable summer"
).split()
LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def sentences(count):
    return [" ".join(WORDS[(5 * i + 3 * j) % len(WORDS)] for j in range(8 + (7 * i) % 33)) + "."
            for i in range(count)]


def median_time(fn, samples=SAMPLES, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    torch.manual_seed(0)
    config = BertConfig(id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)})
    model = BertForTokenClassification(config).eval()
    tokenizer = BertTokenizer.from_pretrained(MINILM)
    ner = pipeline("token-classification", model=model, tokenizer=tokenizer, device="cpu",
                   aggregation_strategy="first", batch_size=64)
    texts = sentences(128)
    result = {
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "ner_128": median_time(lambda: ner(texts)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
