//! Summarization and translation pipelines against HF Transformers 5.24 on the tiny seq2seq
//! fixtures (text.json of tests/fixtures/{bart,marian,t5}): tokenizer, truncation, padding,
//! beam search settings and decoding together.
use crate::util::fixtures;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::resources::LocalResource;
use serde_json::Value;

fn text_fixture(name: &str) -> Value {
    let path = fixtures().join(name).join("text.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap()
}

/// The BART fixture's summarization pipeline, with the generation options of its HF reference.
pub(crate) fn bart_summarization_config() -> SummarizationConfig {
    let fixture = text_fixture("bart");
    let d = fixtures().join("bart");
    let mut config = SummarizationConfig::new(
        ModelType::Bart,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(d.join("vocab.json")),
        Some(LocalResource::from(d.join("merges.txt"))),
    );
    let o = &fixture["options"];
    config.device = tch::Device::Cpu;
    config.min_length = o["min_length"].as_i64().unwrap();
    config.max_length = o["max_length"].as_i64();
    config.num_beams = o["num_beams"].as_i64().unwrap();
    config.no_repeat_ngram_size = o["no_repeat_ngram_size"].as_i64().unwrap();
    config.early_stopping = o["early_stopping"].as_bool().unwrap();
    config
}

#[test]
fn bart_summarization_equals_hf() {
    let fixture = text_fixture("bart");
    let model = SummarizationModel::new(bart_summarization_config()).unwrap();
    let texts = strings(&fixture["texts"]);
    let summaries = model.summarize(&texts).unwrap();
    assert_eq!(summaries, strings(&fixture["summaries"]));
    // One by one equals the batch (right padding of the encoder inputs).
    for (text, expected) in texts.iter().zip(strings(&fixture["summaries"])) {
        assert_eq!(model.summarize(&[text]).unwrap(), [expected]);
    }
    assert!(model.summarize(&[] as &[&str]).unwrap().is_empty());
}

pub(crate) fn marian_translation_config() -> rust_bert::pipelines::translation::TranslationConfig {
    use rust_bert::pipelines::translation::{Language, TranslationConfig};
    let d = fixtures().join("marian");
    let mut config = TranslationConfig::new(
        ModelType::Marian,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(d.join("vocab.json")),
        Some(LocalResource::from(d.join("source.spm"))),
        [Language::English],
        [Language::French],
        tch::Device::Cpu,
    );
    config.num_beams = 6;
    config.early_stopping = true;
    config
}

#[test]
fn marian_translation_equals_hf() {
    use rust_bert::pipelines::generation_utils::GenerateOptions;
    use rust_bert::pipelines::translation::{Language, TranslationModel};
    let fixture = text_fixture("marian");
    let model = TranslationModel::new(marian_translation_config()).unwrap();
    let sources = strings(&fixture["sources"]);
    let options = GenerateOptions {
        max_new_tokens: fixture["options"]["max_new_tokens"].as_i64(),
        ..Default::default()
    };
    let translations = model
        .translate_with_options(&sources, Language::English, Language::French, Some(options))
        .unwrap();
    assert_eq!(translations, strings(&fixture["texts"]));
    // Languages may be left out when the model has one of each; others are errors.
    let again = model
        .translate_with_options(&sources, None, None, Some(options))
        .unwrap();
    assert_eq!(again, translations);
    let error = model
        .translate(&sources, Language::German, Language::French)
        .unwrap_err();
    assert!(error.to_string().contains("German"), "{error}");
    assert!(model
        .translate(&[] as &[&str], None, None)
        .unwrap()
        .is_empty());
}

#[test]
fn translation_builder_picks_models_and_names_unserved_pairs() {
    use rust_bert::pipelines::translation::{Language, TranslationModelBuilder};
    let builder = TranslationModelBuilder::new()
        .with_source_languages([Language::English])
        .with_target_languages([Language::Spanish, Language::Italian]);
    assert_eq!(builder.marian_preset(), Some("ENGLISH2ROMANCE"));
    let builder = TranslationModelBuilder::new()
        .with_source_languages([Language::English])
        .with_target_languages([Language::French]);
    assert_eq!(builder.marian_preset(), Some("ENGLISH2FRENCH"));
    // No Marian preset, not T5's, not M2M100's: refused before any download, naming it.
    let error = TranslationModelBuilder::new()
        .with_source_languages([Language::Tigrinya])
        .with_target_languages([Language::Thai])
        .create_model()
        .err()
        .unwrap();
    assert!(error.to_string().contains("Tigrinya"), "{error}");
    let error = TranslationModelBuilder::new()
        .with_source_languages([Language::English])
        .with_target_languages([Language::Tigrinya])
        .with_large_model()
        .create_model()
        .err()
        .unwrap();
    assert!(error.to_string().contains("M2M100"), "{error}");
    let error = TranslationModelBuilder::new()
        .with_model_type(ModelType::MBart)
        .with_source_languages([Language::English])
        .with_target_languages([Language::Zulu])
        .create_model()
        .err()
        .unwrap();
    assert!(error.to_string().contains("Zulu"), "{error}");
    assert_eq!(Language::French.get_iso_639_1_code(), Some("fr"));
    assert_eq!(Language::French.get_iso_639_3_code(), "fra");
    assert_eq!(Language::from_code("deu"), Some(Language::German));
}

#[test]
fn seq2seq_pipelines_take_long_and_empty_texts() {
    use rust_bert::pipelines::generation_utils::GenerateOptions;
    use rust_bert::pipelines::translation::{Language, TranslationModel};
    let options = Some(GenerateOptions {
        max_new_tokens: Some(4),
        ..Default::default()
    });
    // The tiny BART has 64 positions: a 600-word text is truncated (keeping its end token), as
    // HF's tokenizer with truncation does, and summarized.
    let d = fixtures().join("bart");
    let mut config = SummarizationConfig::new(
        ModelType::Bart,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(d.join("vocab.json")),
        Some(LocalResource::from(d.join("merges.txt"))),
    );
    config.device = tch::Device::Cpu;
    config.min_length = 0;
    let summarizer = SummarizationModel::new(config).unwrap();
    let long = "The city council voted on Monday to build a new bridge. ".repeat(60);
    let out = summarizer
        .summarize_with_options(&[long.as_str(), ""], options)
        .unwrap();
    assert_eq!(out.len(), 2);
    let translator = TranslationModel::new(marian_translation_config()).unwrap();
    let long = "The sun is warm. ".repeat(80);
    let out = translator
        .translate_with_options(&[long.as_str(), ""], None, Language::French, options)
        .unwrap();
    assert_eq!(out.len(), 2);
}
