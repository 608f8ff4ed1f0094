//! Fill-mask, offline, on the tiny random BERT masked LM of the test fixtures (its predictions are
//! random but reproducible; `masked_language_remote` runs bert-base-uncased). Several masks per
//! text; the three best tokens of each with their probabilities.
//!
//! ```sh
//! cargo run --example masked_language
//! ```
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::masked_language::{MaskedLanguageConfig, MaskedLanguageModel};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_embeddings");
    let config = MaskedLanguageConfig::new(
        ModelType::Bert,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("fill_mask/bert/model.safetensors"),
        ))),
        LocalResource::from(dir.join("fill_mask/bert/config.json")),
        LocalResource::from(dir.join("vocab.txt")),
        None,
        true,
        None,
        None,
        // Masks are written `<mask>` below and replaced by BERT's `[MASK]`.
        Some(String::from("<mask>")),
    );
    let model = MaskedLanguageModel::new(config)?;
    let texts = [
        "The cat sat on the <mask>.",
        "Hello <mask>, this is a <mask> test!",
        "There is no mask in this sentence.",
    ];
    for (text, masks) in texts.iter().zip(model.predict_top_k(texts, 3)?) {
        println!("{text:?}");
        if masks.is_empty() {
            println!("  (no mask)");
        }
        for (index, candidates) in masks.iter().enumerate() {
            let shown: Vec<String> = candidates
                .iter()
                .map(|token| format!("{:?} {:.3}", token.text, token.score))
                .collect();
            println!("  mask {index}: {}", shown.join(", "));
        }
    }
    Ok(())
}
