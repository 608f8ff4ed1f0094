//! # Named entity recognition
//!
//! [`NERModel`] finds people, places, organisations... in text with a token-classification
//! model (by default dbmdz's BERT large fine-tuned on English CoNLL-03, from the hub).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::pipelines::ner::NERModel;
//!
//! let ner_model = NERModel::new(Default::default())?;
//! let input = ["My name is Amélie. I live in Paris.", "Paris is a city in France."];
//! // One entity per word (label with its B-/I- prefix): Amélie I-PER, Paris I-LOC, ...
//! let words = ner_model.predict(&input);
//! // Words merged into entities: "New York" LOC, ...
//! let entities = ner_model.predict_full_entities(&input);
//! # Ok(())
//! # }
//! ```
//!
//! * [`NERModel::predict`]: the words (sub-tokens consolidated with the configured
//!   [`LabelAggregationOption`](crate::pipelines::token_classification::LabelAggregationOption))
//!   whose label is not `O`; with `First` (the default) the words of HF's
//!   `pipeline("ner", aggregation_strategy="first")` before entity grouping.
//! * [`NERModel::predict_full_entities`]: those words grouped into entities by
//!   [`group_entities`], HF's `aggregation_strategy="first"` (with `First`).
//! * [`group_entities`] on the tokens of
//!   [`TokenClassificationModel::predict(texts, false, false)`](TokenClassificationModel::predict)
//!   is HF's `aggregation_strategy="simple"`.
//!
//! An entity's `word` is the text it spans (HF gives decoded tokens: lower-cased for uncased
//! models, spaces around punctuation; rust-bert joined the words with spaces); its `offset` is
//! HF's `start`/`end` and its `score` the mean of its words' scores, as in HF (rust-bert
//! multiplied them).
use crate::pipelines::common::TokenizerOption;
use crate::pipelines::token_classification::{
    slice, Token, TokenClassificationConfig, TokenClassificationModel,
};
use crate::RustBertError;
use rust_tokenizers::{Mask, Offset};
use serde::{Deserialize, Serialize};

/// A named entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entity {
    /// The text of the entity.
    pub word: String,
    /// Confidence: the label's probability (mean over the words of a grouped entity).
    pub score: f64,
    /// The label (e.g. `I-PER`; grouped entities: `PER`).
    pub label: String,
    /// Character (Unicode code point) offsets of the entity in its text.
    pub offset: Offset,
}

/// Configuration of a [`NERModel`] (rust-bert's alias).
pub type NERConfig = TokenClassificationConfig;

/// Named entity recognition on a token-classification model.
pub struct NERModel {
    token_classification_model: TokenClassificationModel,
}

impl NERModel {
    /// Loads the model of `ner_config`.
    ///
    /// # Errors
    /// As [`TokenClassificationModel::new`].
    pub fn new(ner_config: NERConfig) -> Result<NERModel, RustBertError> {
        Ok(NERModel {
            token_classification_model: TokenClassificationModel::new(ner_config)?,
        })
    }

    /// Loads the model of `ner_config` with a tokenizer of the caller's.
    ///
    /// # Errors
    /// As [`TokenClassificationModel::new_with_tokenizer`].
    pub fn new_with_tokenizer(
        ner_config: NERConfig,
        tokenizer: TokenizerOption,
    ) -> Result<NERModel, RustBertError> {
        Ok(NERModel {
            token_classification_model: TokenClassificationModel::new_with_tokenizer(
                ner_config, tokenizer,
            )?,
        })
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        self.token_classification_model.get_tokenizer()
    }

    /// The tokenizer, mutably.
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        self.token_classification_model.get_tokenizer_mut()
    }

    /// The words of each text whose label is not `O`, in text order (one list per text).
    ///
    /// # Panics
    /// When [`NERModel::try_predict`] returns an error (the model fails); call it to get the
    /// `RustBertError` instead. This signature is rust-bert 0.23's.
    #[allow(clippy::panic)]
    pub fn predict<S>(&self, input: &[S]) -> Vec<Vec<Entity>>
    where
        S: AsRef<str>,
    {
        match self.try_predict(input) {
            Ok(entities) => entities,
            Err(error) => panic!("predict: {error}"),
        }
    }

    /// [`NERModel::predict`], returning the model's errors (never empty entities for a
    /// failure).
    pub fn try_predict<S>(&self, input: &[S]) -> Result<Vec<Vec<Entity>>, RustBertError>
    where
        S: AsRef<str>,
    {
        Ok(self
            .token_classification_model
            .try_predict(input, true, false)?
            .into_iter()
            .map(|tokens| {
                tokens
                    .into_iter()
                    .filter(|token| token.label != "O")
                    .map(|token| Entity {
                        offset: token.offset.unwrap_or(Offset { begin: 0, end: 0 }),
                        word: token.text,
                        score: token.score,
                        label: token.label,
                    })
                    .collect()
            })
            .collect())
    }

    /// The entities of each text: consecutive words grouped by [`group_entities`] (one list per
    /// text).
    ///
    /// # Panics
    /// When [`NERModel::try_predict_full_entities`] returns an error (the model fails); call it
    /// to get the `RustBertError` instead. This signature is rust-bert 0.23's.
    #[allow(clippy::panic)]
    pub fn predict_full_entities<S>(&self, input: &[S]) -> Vec<Vec<Entity>>
    where
        S: AsRef<str>,
    {
        match self.try_predict_full_entities(input) {
            Ok(entities) => entities,
            Err(error) => panic!("predict_full_entities: {error}"),
        }
    }

    /// [`NERModel::predict_full_entities`], returning the model's errors.
    pub fn try_predict_full_entities<S>(
        &self,
        input: &[S],
    ) -> Result<Vec<Vec<Entity>>, RustBertError>
    where
        S: AsRef<str>,
    {
        Ok(self
            .token_classification_model
            .try_predict(input, true, false)?
            .iter()
            .zip(input)
            .map(|(tokens, text)| group_entities(text.as_ref(), tokens))
            .collect())
    }
}

/// Splits a label into HF's `(B or I, tag)`: `B-X` and `I-X` give `X`; any other label is its
/// own tag and continues an entity of that tag.
fn bio_tag(label: &str) -> (bool, &str) {
    if let Some(tag) = label.strip_prefix("B-") {
        (true, tag)
    } else {
        (false, label.strip_prefix("I-").unwrap_or(label))
    }
}

/// Groups consecutive tokens of `text` into entities, as HF's `group_entities`: a token joins
/// the entity before it when it has the same tag and is not a `B-` token; an entity is labelled
/// with its first token's label after the first `-` (`B-PER` -> `PER`), scored with the mean of
/// its tokens' scores (NaN scores left out), spans from its first token's start to its last
/// token's end; entities labelled `O` are dropped. Special tokens are skipped.
///
/// Applied to words (`predict(texts, true, false)` with `First`) it is HF's
/// `aggregation_strategy="first"`; to sub-tokens (`predict(texts, false, false)`), HF's
/// `"simple"`.
pub fn group_entities(text: &str, tokens: &[Token]) -> Vec<Entity> {
    let chars: Vec<char> = text.chars().collect();
    let mut groups: Vec<Vec<&Token>> = Vec::new();
    for token in tokens.iter().filter(|token| token.mask != Mask::Special) {
        let (begins, tag) = bio_tag(&token.label);
        match groups.last_mut() {
            Some(group)
                if !begins
                    && group
                        .last()
                        .is_some_and(|previous| bio_tag(&previous.label).1 == tag) =>
            {
                group.push(token)
            }
            _ => groups.push(vec![token]),
        }
    }
    groups
        .into_iter()
        .filter_map(|group| {
            let (first, last) = (group.first()?, group.last()?);
            let label = first
                .label
                .split_once('-')
                .map_or(first.label.as_str(), |(_, rest)| rest);
            if label == "O" {
                return None;
            }
            let scores: Vec<f64> = group
                .iter()
                .map(|t| t.score)
                .filter(|s| !s.is_nan())
                .collect();
            let score = if scores.is_empty() {
                f64::NAN
            } else {
                scores.iter().sum::<f64>() / scores.len() as f64
            };
            let (offset, word) = match (first.offset, last.offset) {
                (Some(a), Some(b)) => {
                    let offset = Offset::new(a.begin, b.end);
                    (offset, slice(&chars, offset))
                }
                _ => (
                    Offset::new(0, 0),
                    group
                        .iter()
                        .map(|t| t.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            };
            Some(Entity {
                word,
                score,
                label: label.to_string(),
                offset,
            })
        })
        .collect()
}
