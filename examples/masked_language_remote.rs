//! Fill-mask with the default model, bert-base-uncased, downloaded from the Hugging Face hub on
//! first use into `RUSTBERT_CACHE` (default `~/.cache/.rustbert`). Needs the network (or a filled
//! cache); not run in CI.
//!
//! ```sh
//! cargo run --release --example masked_language_remote
//! ```
use rust_bert::pipelines::masked_language::{MaskedLanguageConfig, MaskedLanguageModel};
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let model = MaskedLanguageModel::new(MaskedLanguageConfig::default())?;
    let texts = [
        "Hello I am a [MASK] student",
        "Paris is the [MASK] of France. It is [MASK] in Europe.",
    ];
    for (text, masks) in texts.iter().zip(model.predict(texts)?) {
        let words: Vec<String> = masks
            .iter()
            .map(|token| format!("{} ({:.3})", token.text, token.score))
            .collect();
        println!("{text:?}: {}", words.join(", "));
    }
    Ok(())
}
