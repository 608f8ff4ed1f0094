#!/usr/bin/env python3
"""DeBERTa tokenizer parity fixtures under tests/fixtures/tokenizers/ (HF 5.24 the reference),
on the corpus of utils/fixtures_tokenizers.py (its helpers and corpus are reused unchanged).

Run from the repository root:  .venv/bin/python utils/fixtures_tokenizers_deberta.py
Deterministic (sentencepiece trained single-threaded, fixed seed, no sampling).

deberta.json
    HF 5.24 `DebertaTokenizer.from_pretrained` on a folder holding vocab.json = GPT-2's BPE laid
    out as microsoft/deberta-base's ({[PAD]:0, [CLS]:1, [SEP]:2, [UNK]:3, GPT-2 token t:
    id(t)+4, [MASK]: last}; tests/tokenizers_deberta.rs builds the identical file instead of
    committing a second 1 MB vocabulary) and merges.txt = tests/fixtures/tokenizers/gpt2/vocab.bpe.
    Also "pairs_4x": the same pairs with HF 4.x's DeBERTa pair template
    ([CLS] A [SEP] B [SEP], token types 0 / 1; HF 5.24's class, built from vocab.json and
    merges.txt, uses RoBERTa's [CLS] A [SEP] [SEP] B [SEP] with all-zero types instead).
spm/deberta_v2.model
    A unigram SentencePiece model trained on corpus.txt (1000 pieces) laid out as
    microsoft/deberta-v3-base's spm.model: [PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3, [MASK] a control
    piece (4) instead of v3's added token 128000.
deberta_v2.json
    HF 5.24 `DebertaV2Tokenizer.from_pretrained` on a folder holding spm.model, default options
    (do_lower_case false, add_prefix_space true, split_by_punct false).
"""

import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures_tokenizers as ft  # noqa: E402


def deberta_vocab():
    with open(os.path.join(ft.OUT, "gpt2", "encoder.json"), encoding="utf-8") as f:
        gpt2 = json.load(f)
    vocab = {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3}
    for token, index in gpt2.items():
        vocab[token] = index + 4
    vocab["[MASK]"] = len(gpt2) + 4
    return vocab


def train_deberta_v2_spm():
    import sentencepiece as spm

    dst = os.path.join(ft.OUT, "spm")
    spm.SentencePieceTrainer.train(
        input=os.path.join(ft.OUT, "corpus.txt"),
        model_prefix=os.path.join(dst, "deberta_v2"),
        vocab_size=1000,
        character_coverage=0.98,
        num_threads=1,
        minloglevel=2,
        model_type="unigram",
        pad_id=0, pad_piece="[PAD]", bos_id=1, bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]",
        unk_id=3, unk_piece="[UNK]", control_symbols=["[MASK]"],
    )
    os.remove(os.path.join(dst, "deberta_v2.vocab"))
    return os.path.join(dst, "deberta_v2.model")


def main():
    import transformers
    from tokenizers import processors

    assert transformers.__version__ == "5.24.0", transformers.__version__
    model = train_deberta_v2_spm()
    with tempfile.TemporaryDirectory() as scratch:
        folder = os.path.join(scratch, "deberta")
        os.makedirs(folder)
        with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(deberta_vocab(), f, ensure_ascii=False)
        shutil.copyfile(os.path.join(ft.OUT, "gpt2", "vocab.bpe"), os.path.join(folder, "merges.txt"))
        tok = transformers.DebertaTokenizer.from_pretrained(folder)
        result = ft.reference(tok)
        # HF 4.x's (and the original DeBERTa's) pair layout, for the pairs only.
        tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
            single="[CLS]:0 $A:0 [SEP]:0",
            pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
            special_tokens=[("[CLS]", tok.cls_token_id), ("[SEP]", tok.sep_token_id)],
        )
        result["pairs_4x"] = ft.reference(tok)["pairs"]
        result.update({"class": "DebertaTokenizer", "options": {}})
        ft.save_json("deberta.json", result)
        print(f"deberta: {type(tok).__name__}, {len(result['cases'])} cases")

        folder = os.path.join(scratch, "deberta_v2")
        os.makedirs(folder)
        shutil.copyfile(model, os.path.join(folder, "spm.model"))
        tok = transformers.DebertaV2Tokenizer.from_pretrained(folder)
        assert tok.convert_tokens_to_ids(["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]) == [0, 1, 2, 3, 4]
        result = ft.reference(tok)
        result.update({"class": "DebertaV2Tokenizer", "options": {}})
        ft.save_json("deberta_v2.json", result)
        print(f"deberta_v2: {type(tok).__name__}, {len(result['cases'])} cases")


if __name__ == "__main__":
    main()
