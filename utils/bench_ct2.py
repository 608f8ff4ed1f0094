#!/usr/bin/env python3
"""CTranslate2 twin of the generation benches: the workloads of the HF twins bench_generation.py,
bench_marian.py, bench_bart.py and bench_t5.py, on the very models those twins build (their
build_model(): same configs, HF's init after torch.manual_seed(0)) converted by the loaders of
CTranslate2's Transformers converter (run on the model in memory), once in float32 and once in
int8, and on the same input ids.

  ct2_{f32,int8}_gpt2_greedy_64   GPT-2 124M, prompt PROMPT (8 ids), greedy, exactly 64 new tokens
  ct2_{f32,int8}_gpt2_beam5_32    GPT-2 124M, same prompt, beam 5, exactly 32 new tokens
  ct2_{f32,int8}_marian_beam6_40  Marian (opus-mt-en-fr sizes), 4 x 32 source ids, beam 6, 40 tokens
  ct2_{f32,int8}_bart_beam3_40    BART-base, 2 x 256 source ids, beam 3, 40 tokens
  ct2_{f32,int8}_t5_beam4_40      T5-small, 2 x 128 source ids, beam 4, 40 tokens

The lengths are forced as in the HF twins (min length = max length, so the end token cannot end
a sequence early), and every run checks that each output has exactly that many new tokens.
Beam search: length_penalty 1, one hypothesis returned, no n-gram ban, no repetition penalty.
Threads: intra_threads = torch.get_num_threads() (the count the HF twins run with; set
OMP_NUM_THREADS to change both), inter_threads 1, device cpu. compute_type is float32 for the f32
folders; int8 on the CPU means int8 weights with per-row scales and int8 GEMMs on activations
quantised per row at run time, everything else (softmax, layer norms, ...) in f32.
CTranslate2 picks its GEMM backends itself (CT2_VERBOSE=1 prints them): on AMD CPUs it skips
Intel MKL and uses oneDNN for both f32 and int8 at AVX2. CTranslate2's own environment variables
(CT2_USE_MKL, CT2_FORCE_CPU_ISA, ...) pass through and are recorded in the JSON line (ct2_env);
the figures of the table are the defaults'. On a loaded machine these timings swing far more
than HF's (OpenMP threads waiting on busy cores): compare figures from a quiet machine.

Where the semantics differ from HF (none of it changes the amount of work):
  - GPT-2: the 8 prompt ids are forwarded at once to fill the KV cache
    (include_prompt_in_result=False), as HF's prefill does.
  - Marian: CTranslate2's converter drops the pad row from the vocabulary and the output layer
    (the decoder starts from a zero embedding instead), so pad can never be produced: HF gets the
    same with bad_words_ids [[pad]]. HF also forces EOS at the 40th step (forced_eos_token_id);
    CTranslate2 has no such processor, so its 40th token is whatever scores best.
  - HF bans the end token at every one of the forced steps (min_new_tokens); should CTranslate2
    produce it at the last step, it is kept in the output (return_end_token=True), so the length
    check counts decoding steps either way.
  - CTranslate2 has no attention mask input: every row is unpadded on both sides (HF's masks are
    all ones).
Token strings: the random models have no tokenizer, so id i is the token "t<i>" (Marian's pad is
"<pad>", which the converter recognises and removes).

The converted folders are cached in BENCH_MODELS_DIR (default target/bench_models) as
ct2-<model>-<f32|int8>; a folder is rebuilt when its twin script, this file's CONVERSION
revision or the CTranslate2 version changes. When a folder is (re)built, it is checked against HF
on the same model: greedy outputs of 8 tokens (tokens equal before the first difference, per row)
and the log-probabilities of HF's greedy tokens (max absolute error), reported on stderr, kept in
the folder's bench_source.json and in the JSON line (ct2_agreement); the timing runs never need
the HF model.

Usage: bench_ct2.py [samples, default 5] [model ...]  (models: gpt2 marian bart t5; default all)
Prints one JSON line: {"ct2_version", "ct2_threads", "ct2_env", "ct2_agreement",
"ct2_<quant>_<workload>": seconds, ...};
without ctranslate2 installed: {"ct2_skipped": reason}.
"""
import copy
import hashlib
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
from bench_twin import median_time  # noqa: E402

# Bumped when the conversion below changes, so cached folders are rebuilt.
CONVERSION = 3
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.environ.get("BENCH_MODELS_DIR", os.path.join(ROOT, "target", "bench_models"))
QUANTIZATIONS = {"f32": "float32", "int8": "int8"}
CHECK_TOKENS = 8


class IdTokenizer:
    """What CTranslate2's loaders read from a tokenizer, for a model without one: token i is
    "t<i>" (names[i] where given), special tokens by id."""

    def __init__(self, size, bos, eos, unk, pad, names=None):
        self.names = names or {}
        self.size = size
        self.bos_token, self.eos_token = self.token(bos), self.token(eos)
        self.unk_token, self.pad_token = self.token(unk), self.token(pad)

    def token(self, i):
        return self.names.get(i, f"t{i}")

    def get_vocab(self):
        return {self.token(i): i for i in range(self.size)}

    def convert_ids_to_tokens(self, i):
        return self.token(i)


def tokens(ids):
    return [f"t{int(i)}" for i in ids]


def ids(tokens_):
    return [int(t[1:]) for t in tokens_]


def model_spec(model, tokenizer):
    """CTranslate2's own loader for this HF model class, run on the in-memory model (the
    TransformersConverter would reload it from a folder and want a tokenizer there)."""
    from ctranslate2.converters.transformers import _MODEL_LOADERS

    with torch.no_grad():
        return _MODEL_LOADERS[type(model.config).__name__](model, tokenizer)


def convert(model, tokenizer, quantization, out_dir):
    import ctranslate2.converters

    class InMemory(ctranslate2.converters.Converter):
        def _load(self):
            return model_spec(model, tokenizer)

    tmp = out_dir + ".tmp"
    InMemory().convert(tmp, quantization=quantization, force=True)
    return tmp


class Workload:
    """One benchmarked model: its HF twin module (whose build_model() gives the weights), the
    tokenizer stand-in for the converter, the engine kind ("generator" or "translator"), the
    timed calls (key -> engine -> callable) and the agreement check against HF."""

    def __init__(self, name, twin, tokenizer, kind, runs, check, prepare=None):
        self.name, self.twin, self.tokenizer = name, twin, tokenizer
        self.kind, self.runs, self.check = kind, runs, check
        # Fills in what CTranslate2's loader reads from the config and a bare config lacks.
        self.prepare = prepare or (lambda config: None)


def gpt2_workload():
    import bench_generation as twin

    prompt = tokens(twin.PROMPT)

    def run(generator, beams, new_tokens):
        def call():
            result = generator.generate_batch(
                [prompt], beam_size=beams, min_length=new_tokens, max_length=new_tokens,
                length_penalty=1.0, repetition_penalty=1.0, no_repeat_ngram_size=0, num_hypotheses=1,
                include_prompt_in_result=False, return_end_token=True)
            got = len(result[0].sequences_ids[0])
            assert got == new_tokens, f"gpt2: {got} new tokens, expected {new_tokens}"
        return call

    def check(model):
        """HF's side of the check, done once before converting; returns the CTranslate2 side."""
        with torch.no_grad():
            hf = model.generate(torch.tensor([twin.PROMPT]), num_beams=1, do_sample=False,
                                min_new_tokens=CHECK_TOKENS, max_new_tokens=CHECK_TOKENS,
                                pad_token_id=model.config.eos_token_id)[0, len(twin.PROMPT):].tolist()
            # Log-probabilities of prompt + HF's continuation, token 1 onwards.
            sequence = twin.PROMPT + hf
            logits = model(torch.tensor([sequence])).logits[0, :-1]
        hf_scores = torch.log_softmax(logits, -1).gather(1, torch.tensor(sequence[1:])[:, None])[:, 0]

        def compare(generator):
            ct2 = generator.generate_batch([prompt], beam_size=1, min_length=CHECK_TOKENS,
                                           max_length=CHECK_TOKENS, include_prompt_in_result=False,
                                           return_end_token=True)[0].sequences_ids[0]
            ct2_scores = torch.tensor(generator.score_batch([tokens(sequence)])[0].log_probs)
            return [hf], [ct2], float((hf_scores - ct2_scores).abs().max())
        return compare

    eos = 50256
    return Workload("gpt2", twin, IdTokenizer(50257, eos, eos, eos, eos), "generator", {
        "gpt2_greedy_64": lambda g: run(g, 1, 64),
        "gpt2_beam5_32": lambda g: run(g, 5, 32),
    }, check)


def seq2seq_run(name, source, beams, new_tokens):
    def make(translator):
        def call():
            results = translator.translate_batch(
                source, beam_size=beams, min_decoding_length=new_tokens,
                max_decoding_length=new_tokens, length_penalty=1.0, repetition_penalty=1.0,
                no_repeat_ngram_size=0, num_hypotheses=1, max_input_length=0, return_end_token=True)
            got = [len(r.hypotheses[0]) for r in results]
            assert got == [new_tokens] * len(source), f"{name}: {got} new tokens, expected {new_tokens}"
        return call
    return make


def seq2seq_check(source, hf_options):
    def check(model):
        """HF's side of the check, done once before converting; returns the CTranslate2 side."""
        input_ids = torch.tensor([ids(row) for row in source])
        mask = torch.ones_like(input_ids)
        start = torch.full((len(source), 1), hf_options["decoder_start_token_id"])
        with torch.no_grad():
            target = model.generate(input_ids, attention_mask=mask, num_beams=1, do_sample=False,
                                    min_new_tokens=CHECK_TOKENS, max_new_tokens=CHECK_TOKENS,
                                    **hf_options)[:, 1:]
            logits = model(input_ids=input_ids, attention_mask=mask,
                           decoder_input_ids=torch.cat([start, target], 1)).logits[:, :-1]
        # Log-probabilities of HF's continuation given the source.
        hf_scores = torch.log_softmax(logits, -1).gather(2, target[:, :, None])[:, :, 0]
        hf = target.tolist()

        def compare(translator):
            results = translator.translate_batch(source, beam_size=1, min_decoding_length=CHECK_TOKENS,
                                                 max_decoding_length=CHECK_TOKENS, max_input_length=0,
                                                 return_end_token=True)
            # CTranslate2 scores one more token: the end token it appends.
            scored = translator.score_batch(source, [tokens(row) for row in hf], max_input_length=0)
            ct2_scores = torch.tensor([r.log_probs[:CHECK_TOKENS] for r in scored])
            return hf, [ids(r.hypotheses[0]) for r in results], float((hf_scores - ct2_scores).abs().max())
        return compare
    return check


def marian_workload():
    import bench_marian as twin

    source = [tokens(row) for row in twin.source_ids().tolist()]
    key = f"marian_beam{twin.BEAMS}_{twin.NEW_TOKENS}"
    tokenizer = IdTokenizer(twin.VOCAB, twin.EOS, twin.EOS, 1, twin.PAD, names={twin.PAD: "<pad>"})
    check = seq2seq_check(source, dict(pad_token_id=twin.PAD, eos_token_id=twin.EOS,
                                       decoder_start_token_id=twin.PAD, bad_words_ids=[[twin.PAD]],
                                       forced_eos_token_id=None))
    return Workload("marian", twin, tokenizer, "translator", {
        key: seq2seq_run("marian", source, twin.BEAMS, twin.NEW_TOKENS),
    }, check)


def bart_workload():
    import bench_bart as twin
    from transformers import BartConfig

    # The twin's config only sets sizes; the special ids are BartConfig's defaults.
    c = BartConfig()
    source = [tokens(row) for row in twin.inputs(c).tolist()]
    check = seq2seq_check(source, dict(pad_token_id=c.pad_token_id, eos_token_id=c.eos_token_id,
                                       decoder_start_token_id=c.decoder_start_token_id,
                                       forced_bos_token_id=None, forced_eos_token_id=None))
    tokenizer = IdTokenizer(c.vocab_size, c.bos_token_id, c.eos_token_id, 3, c.pad_token_id)

    def prepare(config):
        # The loader reads normalize_before, which facebook/bart-* config.json files carry (false:
        # BART normalises after each residual, as HF's BART layers do) but BartConfig() lacks.
        config.normalize_before = False

    return Workload("bart", twin, tokenizer, "translator", {
        f"bart_beam3_{twin.NEW_TOKENS}": seq2seq_run("bart", source, 3, twin.NEW_TOKENS),
    }, check, prepare)


def t5_workload():
    import bench_t5 as twin
    from transformers import T5Config

    c = T5Config()
    source = [tokens(row) for row in twin.inputs(c).tolist()]
    check = seq2seq_check(source, dict(pad_token_id=c.pad_token_id, eos_token_id=c.eos_token_id,
                                       decoder_start_token_id=c.pad_token_id))
    tokenizer = IdTokenizer(c.vocab_size, c.pad_token_id, c.eos_token_id, 2, c.pad_token_id)
    return Workload("t5", twin, tokenizer, "translator", {
        f"t5_beam{twin.BEAMS}_{twin.NEW_TOKENS}": seq2seq_run("t5", source, twin.BEAMS, twin.NEW_TOKENS),
    }, check)


WORKLOADS = {"gpt2": gpt2_workload, "marian": marian_workload, "bart": bart_workload, "t5": t5_workload}


def source_key(twin):
    import ctranslate2

    with open(twin.__file__, "rb") as f:
        twin_hash = hashlib.sha256(f.read()).hexdigest()
    return {"twin": os.path.basename(twin.__file__), "twin_sha256": twin_hash,
            "conversion": CONVERSION, "ctranslate2": ctranslate2.__version__}


def load(kind, path, quant, threads):
    import ctranslate2

    cls = ctranslate2.Generator if kind == "generator" else ctranslate2.Translator
    return cls(path, device="cpu", compute_type=QUANTIZATIONS[quant], inter_threads=1,
               intra_threads=threads)


def leading_equal(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def ensure_converted(workload, threads):
    """The f32 and int8 folders of this workload, converted from the twin's model if missing
    or stale; returns {quant: folder} and the agreement with HF recorded at conversion."""
    key = source_key(workload.twin)
    dirs = {q: os.path.join(MODELS_DIR, f"ct2-{workload.name}-{q}") for q in QUANTIZATIONS}

    def cached(d):
        try:
            with open(os.path.join(d, "bench_source.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    records = {q: cached(d) for q, d in dirs.items()}
    if all(r is not None and r.get("source") == key for r in records.values()):
        return dirs, {q: r.get("agreement") for q, r in records.items()}
    print(f"== converting {workload.name} ({key['twin']}'s model) to CTranslate2", file=sys.stderr)
    start = time.perf_counter()
    model = workload.twin.build_model()
    compare = workload.check(model)
    agreement = {}
    for q, d in dirs.items():
        # The int8 conversion quantises the tensors it is given in place: each conversion gets
        # its own copy of the model.
        copied = copy.deepcopy(model)
        workload.prepare(copied.config)
        tmp = convert(copied, workload.tokenizer, QUANTIZATIONS[q], d)
        hf, ct2, score_error = compare(load(workload.kind, tmp, q, threads))
        agreement[q] = {"greedy_equal_tokens": [f"{leading_equal(a, b)}/{CHECK_TOKENS}" for a, b in zip(hf, ct2)],
                        "max_abs_log_prob_error": score_error}
        print(f"   {q}: greedy tokens equal to HF before the first difference, per row: "
              f"{agreement[q]['greedy_equal_tokens']}; max |log-prob error| on HF's tokens "
              f"{score_error:.2e}", file=sys.stderr)
        with open(os.path.join(tmp, "bench_source.json"), "w") as f:
            json.dump({"source": key, "agreement": agreement[q], "hf": hf, "ct2": ct2}, f)
        shutil.rmtree(d, ignore_errors=True)
        os.replace(tmp, d)
    print(f"   converted in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return dirs, agreement


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    names = sys.argv[2:] or list(WORKLOADS)
    try:
        import ctranslate2
    except ImportError as error:
        print(json.dumps({"ct2_skipped": f"ctranslate2 not installed ({error})"}))
        return
    import transformers

    transformers.logging.set_verbosity_error()
    threads = torch.get_num_threads()
    result = {"ct2_version": ctranslate2.__version__, "ct2_threads": threads,
              "ct2_env": {k: v for k, v in os.environ.items() if k.startswith("CT2_")},
              "ct2_agreement": {}}
    os.makedirs(MODELS_DIR, exist_ok=True)
    for name in names:
        workload = WORKLOADS[name]()
        dirs, agreement = ensure_converted(workload, threads)
        result["ct2_agreement"][name] = agreement
        for quant, path in dirs.items():
            engine = load(workload.kind, path, quant, threads)
            for key, make in workload.runs.items():
                seconds = median_time(make(engine), samples)
                result[f"ct2_{quant}_{key}"] = seconds
                print(f"   ct2 {quant} {key}: {seconds:.3f} s", file=sys.stderr)
            del engine
    print(json.dumps(result))


if __name__ == "__main__":
    main()
