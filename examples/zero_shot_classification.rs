//! Zero-shot classification, offline, on the tiny random BERT NLI classifier of the test
//! fixtures (labels entailment / neutral / contradiction; its predictions are random but
//! reproducible). A real NLI checkpoint (e.g. roberta-large-mnli) loads the same way.
//!
//! ```sh
//! cargo run --example zero_shot_classification
//! ```
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::zero_shot_classification::{
    ZeroShotClassificationConfig, ZeroShotClassificationModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_classification");
    let config = ZeroShotClassificationConfig::new(
        ModelType::Bert,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("bert/model.safetensors"),
        ))),
        LocalResource::from(dir.join("bert/config_nli.json")),
        LocalResource::from(dir.join("vocab.txt")),
        None,
        true,
        None,
        None,
    );
    let model = ZeroShotClassificationModel::new(config)?;
    let texts = [
        "The team won the football match last night.",
        "The government announced a new tax on bread.",
    ];
    let labels = ["sports", "politics", "food"];

    println!("one true label (default template \"This example is {{}}.\"):");
    for label in model.predict(texts, labels, None, 128)? {
        println!(
            "  {:<8} {:.4}  {:?}",
            label.text, label.score, texts[label.sentence]
        );
    }
    println!("any number of true labels (template \"This text is about {{}}.\"):");
    let template = Box::new(|label: &str| format!("This text is about {label}."));
    for (text, ranked) in
        texts
            .iter()
            .zip(model.predict_multilabel(texts, labels, Some(template), 128)?)
    {
        let ranked: Vec<String> = ranked
            .iter()
            .map(|l| format!("{} {:.4}", l.text, l.score))
            .collect();
        println!("  {text:?}: [{}]", ranked.join(", "));
    }
    Ok(())
}
