//! The encoder-decoder families at the model level, through their generators: BART
//! (`BartGenerator`), Marian (`MarianGenerator`) and T5 (`T5Generator`), each a
//! `LanguageGenerator` with the same `generate` / `generate_indices` and per-call
//! `GenerateOptions`. Offline, on the tiny random models of the test fixtures with their own
//! tokenizers (their outputs are random but reproducible).
//!
//! ```sh
//! cargo run --example model_seq2seq
//! ```
use rust_bert::bart::BartGenerator;
use rust_bert::marian::MarianGenerator;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::resources::LocalResource;
use rust_bert::t5::T5Generator;
use rust_bert::RustBertError;
use std::path::{Path, PathBuf};

/// A beam-search configuration for the fixture model in `dir`.
fn config(model_type: ModelType, dir: &Path, vocab: &str, merges: Option<&str>) -> GenerateConfig {
    GenerateConfig {
        model_type,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(dir.join(vocab))),
        merges_resource: merges.map(|m| {
            Box::new(LocalResource::from(dir.join(m)))
                as Box<dyn rust_bert::resources::ResourceProvider + Send>
        }),
        num_beams: 3,
        do_sample: false,
        device: tch::Device::cuda_if_available(),
        ..Default::default()
    }
}

fn main() -> Result<(), RustBertError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let options = GenerateOptions {
        max_new_tokens: Some(12),
        ..Default::default()
    };

    let bart = BartGenerator::new(config(
        ModelType::Bart,
        &root.join("bart"),
        "vocab.json",
        Some("merges.txt"),
    ))?;
    let texts = ["The little dog ran to the park and played with a ball."];
    for output in bart.generate(Some(&texts), Some(options))? {
        println!("BART:   {:?}", output.text);
    }

    let marian = MarianGenerator::new(config(
        ModelType::Marian,
        &root.join("marian"),
        "vocab.json",
        Some("source.spm"),
    ))?;
    for output in marian.generate(Some(&["The cat sits on the mat."]), Some(options))? {
        println!("Marian: {:?}", output.text);
    }

    let t5 = T5Generator::new(config(
        ModelType::T5,
        &root.join("t5"),
        "spiece.model",
        None,
    ))?;
    let prompts = ["summarize: The little dog ran to the park and played with a ball."];
    for output in t5.generate_indices(Some(&prompts), Some(options))? {
        println!("T5:     ids {:?}", output.indices);
    }
    Ok(())
}
