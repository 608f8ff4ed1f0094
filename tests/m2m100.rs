//! M2M100 parity against HF Transformers 5.24 on a tiny random M2M100ForConditionalGeneration
//! with the tokenizer fixtures' BPE SentencePiece model and a vocab.json laid out as M2M100's
//! (tests/fixtures/m2m100, written by utils/fixtures_m2m100.py): every layer of a padded batch
//! (positions computed from the ids with the padding offset, pre-norm, final layer norms, no
//! logits bias), incremental decoding, HF `generate` cases with a forced target language token,
//! the M2M100 tokenizer on the tokenizer corpus, and translation through the pipeline.
use crate::bart::{check_every_layer, check_generation_cases, check_incremental, dir, Forward};
use crate::util::fixtures;
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::m2m_100::{
    M2M100Config, M2M100ForConditionalGeneration, M2M100Generator, M2M100SourceLanguages,
    M2M100TargetLanguages,
};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::GenerateConfig;
use rust_bert::pipelines::translation::{Language, TranslationConfig, TranslationModel};
use rust_bert::resources::LocalResource;
use rust_bert::Config;
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::nn::VarStore;
use tch::Device;

fn spm() -> PathBuf {
    fixtures().join("tokenizers").join("spm").join("fnet.model")
}

fn m2m100(layers: bool) -> (VarStore, M2M100ForConditionalGeneration) {
    let mut config = M2M100Config::try_from_file(dir("m2m100").join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    let vs = VarStore::new(Device::Cpu);
    let model = M2M100ForConditionalGeneration::new(vs.root(), &config);
    load_weights_from_file(&vs, dir("m2m100").join("model.safetensors")).unwrap();
    (vs, model)
}

fn run(model: &M2M100ForConditionalGeneration) -> Box<Forward<'_>> {
    Box::new(move |ids, mask, encoder, decoder, cache| {
        model
            .try_forward_t(ids, mask, encoder, decoder, None, cache, false)
            .unwrap()
    })
}

#[test]
fn m2m100_padded_batch_matches_hf_at_every_layer() {
    let (_vs, model) = m2m100(true);
    check_every_layer("m2m100", &run(&model));
}

#[test]
fn m2m100_incremental_decoding_matches_hf() {
    let (_vs, model) = m2m100(false);
    check_incremental("m2m100", &run(&model));
}

fn generate_config() -> GenerateConfig {
    let d = dir("m2m100");
    GenerateConfig {
        model_type: ModelType::M2M100,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            d.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(d.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(d.join("vocab.json"))),
        merges_resource: Some(Box::new(LocalResource::from(spm()))),
        device: Device::Cpu,
        ..crate::bart::generate_config("m2m100", ModelType::M2M100, &d.join("config.json"))
    }
}

#[test]
fn m2m100_generation_equals_hf_generate() {
    // The fixture's config has forced_eos_token_id 2 (HF's default); the cases pass it
    // explicitly, so the generator is built from a copy without it.
    let scratch = tempfile::tempdir().unwrap();
    let config = crate::bart::unforced_config("m2m100", scratch.path());
    let generate_config = GenerateConfig {
        config_resource: Box::new(LocalResource::from(config)),
        ..generate_config()
    };
    let generator = M2M100Generator::new(generate_config).unwrap();
    check_generation_cases("m2m100", &generator);
}

fn json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir("m2m100").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn ids(value: &serde_json::Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

/// rust_tokenizers' M2M100 tokenizer, given `>>en.<< ` + text, against HF's M2M100Tokenizer
/// with `src_lang="en"` on every corpus line. The lines that differ are pinned (by index).
#[test]
fn m2m100_tokenizer_matches_hf_on_the_corpus() {
    let vocab = dir("m2m100").join("vocab.json");
    let tokenizer = TokenizerOption::from_file(
        ModelType::M2M100,
        vocab.to_str().unwrap(),
        spm().to_str(),
        false,
        None,
        None,
    )
    .unwrap();
    let corpus = json("tokenizer_corpus.json");
    let mut differing = Vec::new();
    let mut decode_differing = Vec::new();
    let mut segmentation_only = 0;
    for (index, case) in corpus["cases"].as_array().unwrap().iter().enumerate() {
        let text = case["text"].as_str().unwrap();
        let expected = ids(&case["ids"]);
        let ours = tokenizer.encode_list(
            &[format!(">>en.<< {text}")],
            10_000,
            &TruncationStrategy::LongestFirst,
            0,
        );
        let hf_decoded = case["decoded"].as_str().unwrap();
        if ours[0].token_ids != expected {
            differing.push(index);
            // The same text in other pieces: a segmentation difference only.
            if tokenizer.decode(&ours[0].token_ids, true, false) == hf_decoded {
                segmentation_only += 1;
            }
        }
        // HF's M2M100Tokenizer does not clean up tokenization spaces (" ?" stays).
        if tokenizer.decode(&expected, true, false) != hf_decoded {
            decode_differing.push(index);
        }
    }
    println!(
        "ids differ on {} lines ({segmentation_only} segmentation only): {differing:?}; \
         decode differs on {decode_differing:?}",
        differing.len()
    );
    assert_eq!(differing, M2M100_IDS, "ids");
    assert_eq!(
        segmentation_only, SEGMENTATION_ONLY,
        "segmentation-only differences"
    );
    assert_eq!(decode_differing, M2M100_DECODE, "decode");
}

/// Corpus lines where the M2M100 ids differ from HF's (which runs sentencepiece itself), 37 of
/// 230, all on text outside the tiny 1000-piece model's alphabet or on Unicode format
/// characters; 22 differ in segmentation only (the same decoded text, SEGMENTATION_ONLY).
/// rust_tokenizers' M2M100 tokenizer gives one `<unk>` per unknown character where
/// sentencepiece gives one per run (`我 <unk> 。` for a line of unknown CJK), drops the zero-width
/// joiner and the soft hyphen that sentencepiece keeps as pieces, keeps a literal `▁` that
/// sentencepiece treats as a space, and composes Vietnamese stacked accents differently. On
/// real M2M100 models (128k pieces) unknown runs are rare.
const M2M100_IDS: &[usize] = &[
    67, 88, 89, 90, 91, 92, 93, 94, 95, 97, 98, 99, 101, 103, 104, 106, 111, 112, 113, 115, 116,
    117, 119, 122, 123, 125, 126, 127, 128, 129, 174, 177, 180, 181, 184, 188, 208,
];
/// How many of [`M2M100_IDS`] differ in segmentation only.
const SEGMENTATION_ONLY: usize = 22;
/// Corpus lines where decoding HF's ids differs from HF's decode.
const M2M100_DECODE: &[usize] = &[];

fn translation_config() -> TranslationConfig {
    let d = dir("m2m100");
    let text = json("text.json");
    let mut config = TranslationConfig::new(
        ModelType::M2M100,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(d.join("vocab.json")),
        Some(LocalResource::from(spm())),
        M2M100SourceLanguages::M2M100_418M,
        M2M100TargetLanguages::M2M100_418M,
        Device::Cpu,
    );
    let options = &text["options"];
    config.num_beams = options["num_beams"].as_i64().unwrap();
    config.early_stopping = options["early_stopping"].as_bool().unwrap();
    config.max_length = options["max_length"].as_i64();
    config
}

#[test]
fn m2m100_translation_equals_hf() {
    let text = json("text.json");
    let model = TranslationModel::new(translation_config()).unwrap();
    let sources: Vec<String> = text["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    for (target, language) in [
        ("fr", Language::French),
        ("es", Language::Spanish),
        ("hi", Language::Hindi),
    ] {
        let expected: Vec<String> = text["translations"][target]["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let ours = model
            .translate(&sources, Language::English, language)
            .unwrap();
        assert_eq!(ours, expected, "{target}");
        // One by one equals the batch.
        for (source, expected) in sources.iter().zip(&expected) {
            assert_eq!(
                &model
                    .translate(&[source], Language::English, language)
                    .unwrap()[0],
                expected
            );
        }
    }
}

#[test]
fn m2m100_translation_refuses_languages_it_lacks() {
    let model = TranslationModel::new(translation_config()).unwrap();
    // Not an M2M100 language.
    let error = model
        .translate(&["Hello"], Language::English, Language::Tigrinya)
        .unwrap_err()
        .to_string();
    assert!(error.contains("Tigrinya"), "{error}");
    // A source language is needed (the model has many).
    let error = model
        .translate(&["Hello"], None, Language::French)
        .unwrap_err()
        .to_string();
    assert!(error.contains("source"), "{error}");
    assert!(model
        .translate(&["Hello"], Language::English, None)
        .is_err());
    // Empty input, empty output.
    assert!(model
        .translate(&[] as &[&str], Language::English, Language::French)
        .unwrap()
        .is_empty());
}
