#!/usr/bin/env python3
"""Python twin of benches/sequence_classification.rs: the same work in HF Transformers 5.24
(torch 2.13, CPU, eval, no_grad inside the pipeline, HF's default attention implementation):
`pipeline("text-classification")` with batch_size 32 (the Rust pipeline's batch size) on a
DistilBERT-base classifier with random weights (HF's init) and bert-base-uncased's vocabulary
(all-MiniLM-L6-v2's vocab.txt), over the same texts.

Prints one JSON object: {"classify_32x64": seconds, "sentiment_256": seconds} (medians).
"""
import json
import os
import statistics
import sys
import time

import torch
from transformers import BertTokenizer, DistilBertConfig, DistilBertForSequenceClassification, pipeline

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 10
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MINILM = os.path.join(ROOT, ".venv", "models", "all-MiniLM-L6-v2")
WORDS = (
    "the movie was good and the actors were great but the ending was sad "
    "we went to the park with our friends on a sunny day and played games until night "
    "she said the food at the new place in town is very nice and not expensive "
    "he did not like the story because it was too long and the music was loud "
    "they will come back next year to see the city and visit the old house"
).split()


def texts(count, length, a, b):
    return [" ".join(WORDS[(i * a + j * b) % len(WORDS)] for j in range(length)) for i in range(count)]


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
    config = DistilBertConfig(num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                              label2id={"NEGATIVE": 0, "POSITIVE": 1})
    model = DistilBertForSequenceClassification(config).eval()
    tokenizer = BertTokenizer.from_pretrained(MINILM)
    classifier = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu",
                          batch_size=32)
    long = texts(32, 62, 7, 3)
    short = texts(256, 14, 11, 5)
    assert all(len(tokenizer(t)["input_ids"]) == 64 for t in long)
    result = {
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "classify_32x64": median_time(lambda: classifier(long)),
        "sentiment_256": median_time(lambda: classifier(short)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
