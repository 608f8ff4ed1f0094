//! Sentiment analysis with the default model: DistilBERT (uncased) fine-tuned on SST-2,
//! downloaded from the Hugging Face hub on first use into `RUSTBERT_CACHE` (default
//! `~/.cache/.rustbert`). Needs the network (or a filled cache); not run in CI.
//!
//! ```sh
//! cargo run --release --example sentiment_remote
//! ```
use rust_bert::pipelines::sentiment::{SentimentConfig, SentimentModel};
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let model = SentimentModel::new(SentimentConfig::default())?;
    let texts = [
        "Probably my all-time favorite movie, a story of selflessness, sacrifice and dedication \
         to a noble cause, but it's not preachy or boring.",
        "This film tried to be too many things all at once: stinging political satire, Hollywood \
         blockbuster, sappy romantic comedy, family values promo...",
        "If you like original gut wrenching laughter you will like this movie. If you are young \
         or old then you will love this movie, hell even my mom liked it.",
    ];
    for (text, sentiment) in texts.iter().zip(model.predict(texts)) {
        println!("{:?} {:.4}  {text:?}", sentiment.polarity, sentiment.score);
    }
    Ok(())
}
