//! NLLB against HF Transformers 5.24 (tests/fixtures/nllb, written by utils/fixtures_nllb.py):
//! NllbTokenizer's language-token placement (default and legacy layouts) and translation
//! through the pipeline on a tiny M2M100 network with NLLB's tokenizer. The network itself is
//! M2M100's (tests/m2m100.rs checks it layer by layer).
use crate::bart::dir;
use crate::util::fixtures;
use rust_bert::nllb::NLLBLanguages;
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::translation::{Language, TranslationConfig, TranslationModel};
use rust_bert::resources::LocalResource;
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;

fn spm() -> PathBuf {
    fixtures().join("tokenizers").join("spm").join("fnet.model")
}

fn json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir("nllb").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn ids(value: &serde_json::Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

fn tokenizer() -> TokenizerOption {
    let vocab = dir("nllb").join("tokenizer.json");
    TokenizerOption::from_file(
        ModelType::NLLB,
        vocab.to_str().unwrap(),
        spm().to_str(),
        false,
        None,
        None,
    )
    .unwrap()
}

/// A text led by its language code is HF's default layout `[code] tokens </s>`; a text without
/// one is HF's legacy layout for English, `tokens </s> eng_Latn`.
#[test]
fn nllb_language_tokens_are_placed_as_hf() {
    let tokenizer = tokenizer();
    let fixture = json("tokenization.json");
    let texts = strings(&fixture["texts"]);
    let encode = |text: &str| {
        tokenizer.encode_list(&[text], 10_000, &TruncationStrategy::LongestFirst, 0)[0]
            .token_ids
            .clone()
    };
    for language in ["eng_Latn", "fra_Latn"] {
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(
                encode(&format!("{language} {text}")),
                ids(&fixture["non_legacy"][language][i]),
                "{language} {text:?}"
            );
        }
    }
    for (i, text) in texts.iter().enumerate() {
        assert_eq!(
            encode(text),
            ids(&fixture["legacy"]["eng_Latn"][i]),
            "legacy {text:?}"
        );
    }
}

fn translation_config() -> TranslationConfig {
    let d = dir("nllb");
    let mut config = TranslationConfig::new(
        ModelType::NLLB,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(d.join("tokenizer.json")),
        Some(LocalResource::from(spm())),
        NLLBLanguages::NLLB,
        NLLBLanguages::NLLB,
        tch::Device::Cpu,
    );
    config.num_beams = 3;
    config.early_stopping = true;
    config.max_length = Some(16);
    config
}

#[test]
fn nllb_translation_equals_hf() {
    let text = json("text.json");
    let model = TranslationModel::new(translation_config()).unwrap();
    let sources = strings(&text["texts"]);
    for (target, language) in [
        ("fra_Latn", Language::French),
        ("spa_Latn", Language::Spanish),
    ] {
        let expected = strings(&text["translations"][target]["texts"]);
        let ours = model
            .translate(&sources, Language::English, language)
            .unwrap();
        assert_eq!(ours, expected, "{target}");
    }
    // A language NLLB lacks, and one the preset list lacks.
    let error = model
        .translate(&["Hello"], Language::English, Language::Yiddish)
        .unwrap_err()
        .to_string();
    assert!(error.contains("Yiddish"), "{error}");
    assert!(model
        .translate(&[] as &[&str], Language::English, Language::French)
        .unwrap()
        .is_empty());
}

/// HF's legacy layout (`legacy_behaviour=True`: `tokens </s> [src_lang]`), French to Spanish:
/// set on the pipeline, and read from a `tokenizer_config.json` beside the vocabulary.
#[test]
fn nllb_legacy_layout_translates_as_hf() {
    let text = json("text.json");
    let legacy = &text["legacy"];
    let expected = strings(&legacy["texts"]);
    let sources = strings(&text["texts"]);
    let mut model = TranslationModel::new(translation_config()).unwrap();
    assert!(!model.nllb_legacy_behaviour());
    let default_layout = model
        .translate(&sources, Language::French, Language::Spanish)
        .unwrap();
    // The fixture tells the layouts apart (else this test could not fail).
    assert_ne!(default_layout, expected);
    model.set_nllb_legacy_behaviour(true);
    let ours = model
        .translate(&sources, Language::French, Language::Spanish)
        .unwrap();
    assert_eq!(ours, expected);
    assert!(model
        .translate(&[] as &[&str], Language::French, Language::Spanish)
        .unwrap()
        .is_empty());

    // The flag as HF stores it, in tokenizer_config.json beside tokenizer.json.
    let folder = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir("nllb").join("tokenizer.json"),
        folder.path().join("tokenizer.json"),
    )
    .unwrap();
    std::fs::write(
        folder.path().join("tokenizer_config.json"),
        r#"{"tokenizer_class": "NllbTokenizer", "legacy_behaviour": true}"#,
    )
    .unwrap();
    let mut config = translation_config();
    config.vocab_resource = Box::new(LocalResource::from(folder.path().join("tokenizer.json")));
    let model = TranslationModel::new(config).unwrap();
    assert!(model.nllb_legacy_behaviour());
    let ours = model
        .translate(&sources, Language::French, Language::Spanish)
        .unwrap();
    assert_eq!(ours, expected);
}
