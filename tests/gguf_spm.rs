//! A Llama GGUF file with a SentencePiece vocabulary (`tokenizer.ggml.model = llama`) against
//! HF 5.24's GGUF loaders (fixtures: utils/fixtures_gguf_spm.py): the tokenizer built from the
//! metadata, and greedy generation through `LlamaGenerator::from_gguf`.
use crate::util::fixtures;
use rust_bert::common::gguf::GgufFile;
use rust_bert::pipelines::common::TokenizerOption;
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;

fn dir() -> PathBuf {
    fixtures().join("gguf_spm")
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join(name)).unwrap()).unwrap()
}

/// The tokenizer from the file's metadata equals `AutoTokenizer.from_pretrained(dir,
/// gguf_file=...)` on every line of the tokenizer corpus and on texts with control,
/// user-defined and byte-fallback tokens, leading and repeated spaces: ids (BOS added, as the
/// file asks), decodings with and without the special tokens, and the special tokens.
/// The same metadata under architecture `phi3` builds Phi-3's variant (the leading `▁` and
/// the spaces' replacement in a normalizer), as HF builds it.
#[test]
fn sentencepiece_tokenizer_from_metadata_equals_hf() {
    for (gguf, expected) in [
        ("tiny_spm.gguf", "tiny_spm_tokenizer.json"),
        ("tiny_spm_phi3.gguf", "tiny_spm_phi3_tokenizer.json"),
    ] {
        check_tokenizer(gguf, expected);
    }
}

fn check_tokenizer(gguf: &str, expected: &str) {
    let file = GgufFile::open(dir().join(gguf)).unwrap();
    let tokenizer = TokenizerOption::from_gguf(&file).unwrap();
    let e = json(expected);
    let texts = e["texts"].as_array().unwrap();
    let (mut ids_differ, mut decodings_differ) = (Vec::new(), Vec::new());
    let mut total = 0;
    for (i, text) in texts.iter().enumerate() {
        let text = text.as_str().unwrap();
        let want: Vec<i64> = serde_json::from_value(e["ids"][i].clone()).unwrap();
        total += want.len();
        let got = tokenizer.encode_list(&[text], 100_000, &TruncationStrategy::LongestFirst, 0)[0]
            .token_ids
            .clone();
        if got != want {
            ids_differ.push((i, text.to_string(), got.clone(), want.clone()));
        }
        for (skip, key) in [(false, "decoded"), (true, "decoded_skip")] {
            let decoded = tokenizer.decode(&want, skip, false);
            if decoded != e[key][i].as_str().unwrap() {
                decodings_differ.push((i, skip, decoded, e[key][i].clone()));
            }
        }
    }
    println!(
        "{gguf}: {} texts, {total} ids, {} differ in ids, {} decodings differ",
        texts.len(),
        ids_differ.len(),
        decodings_differ.len()
    );
    assert!(
        ids_differ.is_empty(),
        "{gguf}: ids differ from HF: {ids_differ:?}"
    );
    assert!(
        decodings_differ.is_empty(),
        "{gguf}: decodings differ from HF: {decodings_differ:?}"
    );
    let special = &e["special_tokens"];
    assert_eq!(tokenizer.get_bos_id(), Some(1));
    assert_eq!(tokenizer.get_eos_id(), Some(2));
    assert_eq!(tokenizer.get_unk_id(), 0);
    assert_eq!(special["unk_token"], "<unk>");
    assert_eq!(special["pad_token"], "<unk>");
    assert_eq!(tokenizer.get_pad_id(), Some(0));
}

/// `LlamaGenerator::from_gguf` on the file (configuration, weights with llama.cpp's query/key
/// row order undone, SentencePiece tokenizer) gives HF's last-position logits and HF's greedy
/// continuation token for token (24 new tokens) from HF's prompt ids.
#[test]
fn sentencepiece_gguf_generates_as_hf() {
    use rust_bert::llama::LlamaGenerator;
    use rust_bert::pipelines::generation_utils::{
        GenerateConfig, GenerateOptions, LanguageGenerator,
    };
    use tch::Device;
    let e = json("tiny_spm_generation.json");
    let generator = LlamaGenerator::from_gguf(
        dir().join("tiny_spm.gguf"),
        GenerateConfig {
            device: Device::Cpu,
            do_sample: false,
            num_beams: 1,
            no_repeat_ngram_size: 0,
            ..Default::default()
        },
    )
    .unwrap();
    for case in e["cases"].as_array().unwrap() {
        let prompt = case["prompt"].as_str().unwrap();
        let ids: Vec<i64> = serde_json::from_value(case["input_ids"].clone()).unwrap();
        let input = tch::Tensor::from_slice(&ids).unsqueeze(0);
        let logits = tch::no_grad(|| {
            generator
                .get_model()
                .forward_t(Some(&input), None, None, None, None)
        })
        .unwrap()
        .lm_logits
        .get(0)
        .get(-1);
        let want: Vec<f32> = serde_json::from_value(case["last_logits"].clone()).unwrap();
        let diff = (logits - tch::Tensor::from_slice(&want))
            .abs()
            .max()
            .double_value(&[]);
        println!("{prompt:?}: last-position logits max |diff| {diff:.2e}");
        assert!(diff <= 1e-4, "{prompt:?}: logits max |diff| {diff:e}");
        // HF's ids (with the BOS its tokenizer adds).
        let out = generator
            .generate_from_ids_and_past(
                input,
                None,
                Some(GenerateOptions {
                    max_new_tokens: Some(24),
                    ..Default::default()
                }),
            )
            .unwrap();
        let generated: Vec<i64> = serde_json::from_value(case["generated"].clone()).unwrap();
        assert_eq!(
            &out[0].indices[..ids.len()],
            ids.as_slice(),
            "{prompt:?}: prompt ids"
        );
        assert_eq!(
            &out[0].indices[ids.len()..],
            generated.as_slice(),
            "{prompt:?}: continuation"
        );
        // The text prompt: encoded with the tokenizer's BOS, as HF's tokenizer (and its
        // text-generation pipeline) does.
        let out = generator
            .generate_indices(
                Some(&[prompt]),
                Some(GenerateOptions {
                    max_new_tokens: Some(24),
                    ..Default::default()
                }),
            )
            .unwrap();
        assert_eq!(
            &out[0].indices[..ids.len()],
            ids.as_slice(),
            "{prompt:?}: text prompt ids"
        );
        assert_eq!(
            &out[0].indices[ids.len()..],
            generated.as_slice(),
            "{prompt:?}: text prompt continuation"
        );
    }
}
