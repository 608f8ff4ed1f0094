//! # Sentiment analysis pipeline
//!
//! Positive or negative, with a confidence score, for each text: a
//! [`SequenceClassificationModel`] whose labels are read as polarities. By default DistilBERT
//! fine-tuned on SST-2 (English; downloaded on first use into `RUSTBERT_CACHE`); any binary
//! sentiment checkpoint of a supported architecture can be loaded through [`SentimentConfig`].
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::sentiment::SentimentModel;
//!
//! let sentiment_classifier = SentimentModel::new(Default::default())?;
//! let output = sentiment_classifier.predict([
//!     "Probably my all-time favorite movie, a story of selflessness and dedication.",
//!     "This film tried to be too many things all at once.",
//! ]);
//! for sentiment in output {
//!     println!("{:?} ({:.3})", sentiment.polarity, sentiment.score);
//! }
//! # Ok(())
//! # }
//! ```
use crate::pipelines::common::TokenizerOption;
use crate::pipelines::sequence_classification::{
    Label, SequenceClassificationConfig, SequenceClassificationModel,
};
use crate::RustBertError;
use serde::{Deserialize, Serialize};

/// The polarity of a text (SST-2 checkpoints have no neutral class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SentimentPolarity {
    /// Positive sentiment.
    Positive,
    /// Negative sentiment.
    Negative,
}

/// The sentiment of one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// Its polarity.
    pub polarity: SentimentPolarity,
    /// The probability of that polarity.
    pub score: f64,
}

/// Configuration of a [`SentimentModel`]: that of the sequence classification pipeline
/// (`Default`: DistilBERT fine-tuned on SST-2).
pub type SentimentConfig = SequenceClassificationConfig;

/// Sentiment analysis pipeline.
pub struct SentimentModel {
    sequence_classification_model: SequenceClassificationModel,
}

impl SentimentModel {
    /// Builds the pipeline from its configuration's resources.
    ///
    /// # Errors
    /// As [`SequenceClassificationModel::new`].
    pub fn new(sentiment_config: SentimentConfig) -> Result<SentimentModel, RustBertError> {
        Ok(SentimentModel {
            sequence_classification_model: SequenceClassificationModel::new(sentiment_config)?,
        })
    }

    /// Builds the pipeline with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`SequenceClassificationModel::new`].
    pub fn new_with_tokenizer(
        sentiment_config: SentimentConfig,
        tokenizer: TokenizerOption,
    ) -> Result<SentimentModel, RustBertError> {
        Ok(SentimentModel {
            sequence_classification_model: SequenceClassificationModel::new_with_tokenizer(
                sentiment_config,
                tokenizer,
            )?,
        })
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        self.sequence_classification_model.get_tokenizer()
    }

    /// The tokenizer, mutably.
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        self.sequence_classification_model.get_tokenizer_mut()
    }

    /// The sentiment of each text, in input order (an empty input gives an empty output).
    ///
    /// The polarity comes from the winning label's name (`POSITIVE`/`positive`/`pos...` or
    /// `NEGATIVE`/...); a label named otherwise (`LABEL_1`) counts as positive when its id is 1,
    /// SST-2's layout, as in rust-bert.
    ///
    /// # Panics
    /// When [`SentimentModel::try_predict`] returns an error (the model fails, which no text
    /// input causes); call it to get the `RustBertError` instead. This signature is rust-bert
    /// 0.23's.
    #[allow(clippy::panic)]
    pub fn predict<'a, S>(&self, input: S) -> Vec<Sentiment>
    where
        S: AsRef<[&'a str]>,
    {
        match self.try_predict(input) {
            Ok(sentiments) => sentiments,
            Err(error) => panic!("predict: {error}"),
        }
    }

    /// [`SentimentModel::predict`], with the model's errors returned.
    pub fn try_predict<'a, S>(&self, input: S) -> Result<Vec<Sentiment>, RustBertError>
    where
        S: AsRef<[&'a str]>,
    {
        Ok(self
            .sequence_classification_model
            .try_predict(input)?
            .iter()
            .map(|label| Sentiment {
                polarity: polarity(label),
                score: label.score,
            })
            .collect())
    }
}

fn polarity(label: &Label) -> SentimentPolarity {
    let name = label.text.to_lowercase();
    if name.starts_with("pos") {
        SentimentPolarity::Positive
    } else if name.starts_with("neg") {
        SentimentPolarity::Negative
    } else if label.id == 1 {
        SentimentPolarity::Positive
    } else {
        SentimentPolarity::Negative
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str, id: i64) -> Label {
        Label {
            text: text.to_string(),
            score: 0.5,
            id,
            sentence: 0,
        }
    }

    #[test]
    fn polarity_follows_the_label_name_then_sst2_ids() {
        assert_eq!(polarity(&label("POSITIVE", 0)), SentimentPolarity::Positive);
        assert_eq!(polarity(&label("negative", 1)), SentimentPolarity::Negative);
        assert_eq!(polarity(&label("LABEL_1", 1)), SentimentPolarity::Positive);
        assert_eq!(polarity(&label("LABEL_0", 0)), SentimentPolarity::Negative);
    }
}
