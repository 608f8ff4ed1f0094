//! M2M100 and NLLB translation, offline, on the tiny random models of the test fixtures (their
//! SentencePiece model is the tokenizer fixtures' BPE one; the output is gibberish but
//! reproducible): the source language token leads the input, the target language token is
//! forced as the first generated token.
//!
//! ```sh
//! cargo run --example translation_m2m100_tiny
//! ```
//! rust-bert's `translation_m2m100` example runs M2M100 418M from the hub.
use rust_bert::m2m_100::{M2M100SourceLanguages, M2M100TargetLanguages};
use rust_bert::nllb::NLLBLanguages;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::translation::{Language, TranslationConfig, TranslationModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let spm = fixtures.join("tokenizers/spm/fnet.model");
    let sources = ["H₂O is water.", "OK"];

    let dir = fixtures.join("m2m100");
    let mut config = TranslationConfig::new(
        ModelType::M2M100,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("vocab.json")),
        Some(LocalResource::from(spm.clone())),
        M2M100SourceLanguages::M2M100_418M,
        M2M100TargetLanguages::M2M100_418M,
        tch::Device::Cpu,
    );
    config.max_length = Some(16);
    let m2m100 = TranslationModel::new(config)?;
    for target in [Language::French, Language::Spanish] {
        let outputs = m2m100.translate(&sources, Language::English, target)?;
        println!("M2M100 {target}: {outputs:?}");
    }

    let dir = fixtures.join("nllb");
    let mut config = TranslationConfig::new(
        ModelType::NLLB,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("tokenizer.json")),
        Some(LocalResource::from(spm)),
        NLLBLanguages::NLLB,
        NLLBLanguages::NLLB,
        tch::Device::Cpu,
    );
    config.max_length = Some(16);
    let nllb = TranslationModel::new(config)?;
    let outputs = nllb.translate(&sources, Language::English, Language::Tigrinya)?;
    println!("NLLB Tigrinya: {outputs:?}");
    match m2m100.translate(&sources, Language::English, Language::Tigrinya) {
        Err(error) => println!("M2M100 Tigrinya: {error}"),
        Ok(_) => println!("M2M100 Tigrinya unexpectedly accepted"),
    }
    Ok(())
}
