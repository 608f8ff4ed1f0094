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
    fixtures()
        .join("tokenizers")
        .join("spm")
        .join("xlm_roberta.model")
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

/// Corpus lines where the M2M100 ids differ from HF's. rust_tokenizers' M2M100 tokenizer runs
/// its own BPE over the SentencePiece model's pieces (merging by score, which stalls where an
/// intermediate piece of this 1000-piece model is missing: `▁e x a m p le` for sentencepiece's
/// `▁ example`), where HF runs sentencepiece itself: 205 of 230 lines differ, 65 of them in the
/// segmentation only (the same text, SEGMENTATION_ONLY), the others also through pieces that
/// are unknown to vocab.json (`<unk>`). On real M2M100 models (128k pieces) the two agree far
/// more; the translation test uses texts both tokenize alike.
const M2M100_IDS: &[usize] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 22, 23, 24, 25, 26, 27, 28,
    29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,
    53, 54, 55, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 75, 80, 86, 87,
    88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108,
    109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127,
    128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 149, 150,
    151, 152, 153, 155, 156, 157, 158, 159, 161, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173,
    174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192,
    193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 207, 208, 209, 210, 211, 212,
    213, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228,
];
/// How many of [`M2M100_IDS`] differ in segmentation only.
const SEGMENTATION_ONLY: usize = 65;
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
