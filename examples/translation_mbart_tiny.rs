//! mBART-50 translation, offline, on the tiny random mBART of the test fixtures (its
//! SentencePiece model is the tokenizer fixtures' one; the output is gibberish but
//! reproducible): the source language code leads the input, the target language code is forced
//! as the first generated token.
//!
//! ```sh
//! cargo run --example translation_mbart_tiny
//! ```
//! rust-bert's `translation_mbart` example runs mBART-50 many-to-many from the hub.
use rust_bert::mbart::{MBartSourceLanguages, MBartTargetLanguages};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::translation::{Language, TranslationConfig, TranslationModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = fixtures.join("mbart");
    let mut config = TranslationConfig::new(
        ModelType::MBart,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(fixtures.join("tokenizers/spm/xlm_roberta.model")),
        None,
        MBartSourceLanguages::MBART50_MANY_TO_MANY,
        MBartTargetLanguages::MBART50_MANY_TO_MANY,
        tch::Device::Cpu,
    );
    config.max_length = Some(16);
    let model = TranslationModel::new(config)?;
    let sources = [
        "The quick brown fox jumps over the lazy dog.",
        "She said hello.",
    ];
    for target in [Language::French, Language::Spanish, Language::Hindi] {
        let outputs = model.translate(&sources, Language::English, target)?;
        println!("{target}: {outputs:?}");
    }
    match model.translate(&sources, Language::English, Language::Zulu) {
        Err(error) => println!("Zulu: {error}"),
        Ok(_) => println!("Zulu unexpectedly accepted"),
    }
    Ok(())
}
