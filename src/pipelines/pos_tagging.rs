//! # Part-of-speech tagging
//!
//! [`POSModel`] tags each word of a text (`NN`, `VBZ`, `JJ`, ...) with a token-classification
//! model. The default is rust-bert's: MobileBERT fine-tuned on English POS tags
//! (mrm8488/mobilebert-finetuned-pos, downloaded once into the cache):
//! `POSModel::new(POSConfig::default())`. Any other token-classification checkpoint whose
//! labels are tags works too, through a [`POSConfig`] made from a
//! [`TokenClassificationConfig`]:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::pipelines::common::{ModelResource, ModelType};
//! use rust_bert::pipelines::pos_tagging::{POSConfig, POSModel};
//! use rust_bert::pipelines::token_classification::{
//!     LabelAggregationOption, TokenClassificationConfig,
//! };
//! use rust_bert::resources::LocalResource;
//! use std::path::PathBuf;
//!
//! let dir = PathBuf::from("path/to/bert-pos-model");
//! let config = POSConfig::from(TokenClassificationConfig::new(
//!     ModelType::Bert,
//!     ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
//!     LocalResource::from(dir.join("config.json")),
//!     LocalResource::from(dir.join("vocab.txt")),
//!     None,
//!     true,
//!     None,
//!     None,
//!     LabelAggregationOption::First,
//! ));
//! let pos_model = POSModel::new(config)?;
//! let tags = pos_model.predict(&["My name is Amélie. How are you?"]);
//! # Ok(())
//! # }
//! ```
//!
//! Words are the consolidated tokens of
//! [`TokenClassificationModel::predict`] (HF's `aggregation_strategy="first"` words with the
//! default `First` aggregation), with rust-bert's rule for punctuation: a word made only of
//! ASCII punctuation whose score is below 0.5 (or NaN) is tagged `.` with score 1.
use crate::pipelines::common::{ModelResource, TokenizerOption};
use crate::pipelines::token_classification::{TokenClassificationConfig, TokenClassificationModel};
use crate::RustBertError;
use serde::{Deserialize, Serialize};

#[cfg(feature = "remote")]
use crate::{
    mobilebert::{MobileBertConfigResources, MobileBertModelResources, MobileBertVocabResources},
    pipelines::{common::ModelType, token_classification::LabelAggregationOption},
    resources::RemoteResource,
};

/// A word with its part-of-speech tag.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct POSTag {
    /// The word.
    pub word: String,
    /// The tag's probability.
    pub score: f64,
    /// The tag (e.g. `NN`, `VB`).
    pub label: String,
}

/// Configuration of a [`POSModel`]: a token-classification configuration.
pub struct POSConfig {
    token_classification_config: TokenClassificationConfig,
}

#[cfg(feature = "remote")]
impl Default for POSConfig {
    /// rust-bert's English POS model: MobileBERT (mrm8488/mobilebert-finetuned-pos), uncased.
    fn default() -> POSConfig {
        POSConfig {
            token_classification_config: TokenClassificationConfig {
                model_type: ModelType::MobileBert,
                model_resource: ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                    MobileBertModelResources::MOBILEBERT_ENGLISH_POS,
                ))),
                config_resource: Box::new(RemoteResource::from_pretrained(
                    MobileBertConfigResources::MOBILEBERT_ENGLISH_POS,
                )),
                vocab_resource: Box::new(RemoteResource::from_pretrained(
                    MobileBertVocabResources::MOBILEBERT_ENGLISH_POS,
                )),
                merges_resource: None,
                lower_case: true,
                strip_accents: Some(true),
                add_prefix_space: None,
                device: tch::Device::cuda_if_available(),
                kind: None,
                label_aggregation_function: LabelAggregationOption::First,
                batch_size: 64,
            },
        }
    }
}

impl From<POSConfig> for TokenClassificationConfig {
    fn from(pos_config: POSConfig) -> Self {
        pos_config.token_classification_config
    }
}

impl From<TokenClassificationConfig> for POSConfig {
    fn from(token_classification_config: TokenClassificationConfig) -> Self {
        POSConfig {
            token_classification_config,
        }
    }
}

/// Part-of-speech tagging on a token-classification model.
pub struct POSModel {
    token_classification_model: TokenClassificationModel,
}

impl POSModel {
    /// Loads the model of `pos_config`.
    ///
    /// # Errors
    /// As [`TokenClassificationModel::new`].
    pub fn new(pos_config: POSConfig) -> Result<POSModel, RustBertError> {
        Ok(POSModel {
            token_classification_model: TokenClassificationModel::new(pos_config.into())?,
        })
    }

    /// Loads the model of `pos_config` with a tokenizer of the caller's.
    ///
    /// # Errors
    /// As [`TokenClassificationModel::new_with_tokenizer`].
    pub fn new_with_tokenizer(
        pos_config: POSConfig,
        tokenizer: TokenizerOption,
    ) -> Result<POSModel, RustBertError> {
        Ok(POSModel {
            token_classification_model: TokenClassificationModel::new_with_tokenizer(
                pos_config.into(),
                tokenizer,
            )?,
        })
    }

    /// The tags of each word of each text (one list per text, words in text order).
    ///
    /// # Panics
    /// When [`POSModel::try_predict`] returns an error (the model fails); call it to get the
    /// `RustBertError` instead. This signature is rust-bert 0.23's.
    #[allow(clippy::panic)]
    pub fn predict<S>(&self, input: &[S]) -> Vec<Vec<POSTag>>
    where
        S: AsRef<str>,
    {
        match self.try_predict(input) {
            Ok(tags) => tags,
            Err(error) => panic!("predict: {error}"),
        }
    }

    /// [`POSModel::predict`], returning the model's errors (never empty tags for a failure).
    pub fn try_predict<S>(&self, input: &[S]) -> Result<Vec<Vec<POSTag>>, RustBertError>
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
                    .map(|token| {
                        // rust-bert's rule: punctuation the model is unsure about is `.`.
                        let uncertain = token.score < 0.5 || token.score.is_nan();
                        if is_punctuation(&token.text) && uncertain {
                            POSTag {
                                word: token.text,
                                score: 1.0,
                                label: ".".to_string(),
                            }
                        } else {
                            POSTag {
                                word: token.text,
                                score: token.score,
                                label: token.label,
                            }
                        }
                    })
                    .collect()
            })
            .collect())
    }
}

fn is_punctuation(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_punctuation())
}
