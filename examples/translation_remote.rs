//! Translation with OPUS-MT English-to-French, chosen by `TranslationModelBuilder` and
//! downloaded on first use.
//!
//! ```sh
//! cargo run --release --example translation_remote
//! ```
use rust_bert::pipelines::translation::{Language, TranslationModelBuilder};
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let model = TranslationModelBuilder::new()
        .with_source_languages([Language::English])
        .with_target_languages([Language::French])
        .create_model()?;
    let output = model.translate(
        &[
            "This sentence will be translated into French.",
            "The weather is nice today.",
        ],
        Language::English,
        Language::French,
    )?;
    for sentence in output {
        println!("{sentence}");
    }
    Ok(())
}
