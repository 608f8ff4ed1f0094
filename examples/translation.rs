//! Translation, offline, on the tiny random Marian of the test fixtures (English to French with
//! its own SentencePiece models; the output is gibberish but reproducible).
//!
//! ```sh
//! cargo run --example translation
//! ```
//! `translation_remote` builds OPUS-MT English-to-French with `TranslationModelBuilder`.
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::translation::{Language, TranslationConfig, TranslationModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian");
    let config = TranslationConfig::new(
        ModelType::Marian,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("vocab.json")),
        Some(LocalResource::from(dir.join("source.spm"))),
        [Language::English],
        [Language::French],
        tch::Device::Cpu,
    );
    let model = TranslationModel::new(config)?;
    let sources = ["The sun is warm.", "The house is very big."];
    for (source, target) in
        sources
            .iter()
            .zip(model.translate(&sources, Language::English, Language::French)?)
    {
        println!("{source:?} -> {target:?}");
    }
    match model.translate(&sources, Language::German, Language::French) {
        Err(error) => println!("German: {error}"),
        Ok(_) => println!("German unexpectedly accepted"),
    }
    Ok(())
}
