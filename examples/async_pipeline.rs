//! A pipeline inside an async program: LibTorch inference blocks its thread, so each request
//! runs on tokio's blocking pool (`spawn_blocking`) while the async tasks stay responsive. The
//! model sits in an `Arc<Mutex<_>>` shared by every request. Offline, on the tiny random
//! DistilBERT classifier of the test fixtures (its labels are random but reproducible).
//!
//! ```sh
//! cargo run --example async_pipeline
//! ```
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::sentiment::{Sentiment, SentimentConfig, SentimentModel};
use rust_bert::resources::LocalResource;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_classification");
    let config = SentimentConfig::new(
        ModelType::DistilBert,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("distilbert/model.safetensors"),
        ))),
        LocalResource::from(dir.join("distilbert/config.json")),
        LocalResource::from(dir.join("vocab.txt")),
        None,
        true,
        None,
        None,
    );
    // Loading reads files and copies weights: blocking work too.
    let model = tokio::task::spawn_blocking(move || SentimentModel::new(config)).await??;
    let model = Arc::new(Mutex::new(model));

    let requests = [
        "I love this movie, it was great!",
        "This film was terrible and boring.",
        "What a wonderful day at the park with my friends.",
        "The food was cold and the service was slow.",
    ];
    let tasks: Vec<_> = requests
        .iter()
        .map(|text| {
            let model = Arc::clone(&model);
            let text = text.to_string();
            let input = text.clone();
            tokio::spawn(async move {
                let answer = tokio::task::spawn_blocking(move || -> Result<Sentiment, String> {
                    let model = model.lock().map_err(|e| e.to_string())?;
                    let mut sentiments = model
                        .try_predict([input.as_str()])
                        .map_err(|e| e.to_string())?;
                    sentiments.pop().ok_or_else(|| "no answer".to_string())
                })
                .await;
                (text, answer)
            })
        })
        .collect();
    for task in tasks {
        let (text, answer) = task.await?;
        match answer? {
            Ok(sentiment) => println!("{:?} {:.4}  {text:?}", sentiment.polarity, sentiment.score),
            Err(error) => eprintln!("{text:?}: {error}"),
        }
    }
    Ok(())
}
