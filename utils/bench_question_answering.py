#!/usr/bin/env python3
"""Python twin of benches/question_answering.rs: the same work in HF Transformers 5.24 (torch 2.13,
CPU, eval, no_grad, HF's default attention implementation): 64 SQuAD-like questions
(tests/fixtures/pipeline_qa/bench_squad.json), a DistilBERT-base-size model with random weights,
top_k 1, windows of 384 tokens with a stride of 128, batches of 32 windows.

HF 5.24 has no question-answering pipeline; this runs HF 4.x's QuestionAnsweringPipeline algorithm
(see utils/fixtures_pipeline_qa.py): the fast tokenizer's overflow windows for all questions in one
call, the model on padded batches of 32 windows in input order (as the 4.x pipeline batched them),
`select_starts_ends` on each window, word-aligned character spans, the best answer per question.

Prints one JSON object: {"torch_threads", "attn_implementation", "windows", "qa_64_items": seconds}.
Usage: .venv/bin/python utils/bench_question_answering.py [samples]
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from transformers import BertTokenizer, DistilBertConfig, DistilBertForQuestionAnswering
from transformers.pipelines.document_question_answering import select_starts_ends

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 10
MAX_SEQ_LEN, DOC_STRIDE, MAX_ANSWER_LEN, TOP_K, BATCH = 384, 128, 15, 1, 32


def median_time(fn, samples=SAMPLES, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_items():
    with open(os.path.join(ROOT, "tests", "fixtures", "pipeline_qa", "bench_squad.json"), encoding="utf-8") as f:
        data = json.load(f)["data"]
    return [(qa["question"], p["context"]) for a in data for p in a["paragraphs"] for qa in p["qas"]]


def get_indices(enc, s, e):
    try:
        start = enc.word_to_chars(enc.token_to_word(s), sequence_index=1)[0]
        end = enc.word_to_chars(enc.token_to_word(e), sequence_index=1)[1]
    except Exception:
        start, end = enc.offsets[s][0], enc.offsets[e][1]
    return start, end


def answer_all(model, tok, items):
    questions = [q for q, _ in items]
    contexts = [c for _, c in items]
    enc = tok(questions, contexts, truncation="only_second", max_length=MAX_SEQ_LEN, stride=DOC_STRIDE,
              return_overflowing_tokens=True, return_offsets_mapping=True)
    n = len(enc["input_ids"])
    answers = [[] for _ in items]
    for first in range(0, n, BATCH):
        rows = list(range(first, min(first + BATCH, n)))
        batch = tok.pad({"input_ids": [enc["input_ids"][i] for i in rows],
                         "attention_mask": [enc["attention_mask"][i] for i in rows]}, return_tensors="pt")
        with torch.no_grad():
            out = model(**batch)
        starts, ends = out.start_logits.numpy(), out.end_logits.numpy()
        for row, i in enumerate(rows):
            length = len(enc["input_ids"][i])
            p_mask = np.array([[0 if sid == 1 else 1 for sid in enc.sequence_ids(i)]])
            p_mask[0, 0] = 0  # CLS
            attention = np.ones((1, length), dtype=np.int64)
            s_idx, e_idx, scores, _ = select_starts_ends(
                starts[row:row + 1, :length], ends[row:row + 1, :length], p_mask, attention,
                1000000, TOP_K, False, MAX_ANSWER_LEN)
            window = enc[i]
            example = enc["overflow_to_sample_mapping"][i]
            for s, e, score in zip(s_idx, e_idx, scores):
                answers[example].append((float(score), *get_indices(window, int(s), int(e))))
    return [sorted(a, reverse=True)[:TOP_K] for a in answers], n


def main():
    torch.manual_seed(0)
    config = DistilBertConfig()  # distilbert-base sizes, as DistilBertConfig::default() in Rust
    model = DistilBertForQuestionAnswering(config).eval()
    tok = BertTokenizer(os.path.join(ROOT, ".venv", "models", "all-MiniLM-L6-v2", "vocab.txt"), do_lower_case=True)
    items = load_items()
    assert len(items) == 64
    answers, windows = answer_all(model, tok, items)
    assert all(len(a) == TOP_K for a in answers)
    result = {
        "torch_threads": torch.get_num_threads(),
        "attn_implementation": model.config._attn_implementation,
        "windows": windows,
        "qa_64_items": median_time(lambda: answer_all(model, tok, items)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
