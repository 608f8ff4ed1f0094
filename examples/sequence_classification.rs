//! Sequence classification, offline, on the tiny random BERT classifier of the test fixtures
//! (labels negative / neutral / positive; its predictions are random but reproducible).
//!
//! ```sh
//! cargo run --example sequence_classification
//! ```
//! For a real checkpoint, point the resources at its files (see `sentiment_remote` for the
//! default SST-2 model).
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_classification");
    let config = SequenceClassificationConfig::new(
        ModelType::Bert,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("bert/model.safetensors"),
        ))),
        LocalResource::from(dir.join("bert/config.json")),
        LocalResource::from(dir.join("vocab.txt")),
        None,
        true,
        None,
        None,
    );
    let model = SequenceClassificationModel::new(config)?;

    let texts = [
        "I love this movie, it was great!",
        "This film was terrible and boring.",
        "The plot was okay but the acting was bad.",
    ];
    println!("single label (softmax over the labels):");
    for label in model.predict(texts) {
        println!(
            "  {:<9} {:.4}  {:?}",
            label.text, label.score, texts[label.sentence]
        );
    }
    println!("multi-label (sigmoid per label, threshold 0.3):");
    for (text, labels) in texts.iter().zip(model.predict_multilabel(&texts, 0.3)?) {
        let labels: Vec<String> = labels
            .iter()
            .map(|l| format!("{} {:.4}", l.text, l.score))
            .collect();
        println!("  {text:?}: [{}]", labels.join(", "));
    }
    Ok(())
}
