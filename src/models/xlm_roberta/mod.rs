//! # XLM-RoBERTa (Conneau et al., 2019)
//!
//! A multilingual RoBERTa: the architecture, the variable names (`roberta.*`, `lm_head.*`,
//! `classifier.*`) and the numerics are RoBERTa's; only the tokenizer differs (SentencePiece,
//! `sentencepiece.bpe.model`, instead of byte-level BPE). HF keeps separate `XLMRoberta*`
//! classes; rust-bert 0.23 has no such module and runs XLM-R checkpoints on the
//! [`crate::roberta`] types, its resource constants sitting in `RobertaModelResources`
//! (`XLM_ROBERTA_NER_EN`, ...). This module adds HF's names as aliases of those types, so both
//! spellings work, and groups the XLM-R resources.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::resources::{RemoteResource, ResourceProvider};
//! use rust_bert::xlm_roberta::{
//!     XLMRobertaConfig, XLMRobertaConfigResources, XLMRobertaForTokenClassification,
//!     XLMRobertaModelResources,
//! };
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device};
//!
//! let config_path =
//!     RemoteResource::from_pretrained(XLMRobertaConfigResources::XLM_ROBERTA_NER_EN)
//!         .get_local_path()?;
//! let weights_path =
//!     RemoteResource::from_pretrained(XLMRobertaModelResources::XLM_ROBERTA_NER_EN)
//!         .get_local_path()?;
//! let config = XLMRobertaConfig::try_from_file(config_path)?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = XLMRobertaForTokenClassification::new(vs.root(), &config)?;
//! load_weights_from_file(&vs, weights_path)?;
//! # let _ = model;
//! # Ok(())
//! # }
//! ```
use crate::roberta::{RobertaConfigResources, RobertaModelResources, RobertaVocabResources};

pub use crate::roberta::RobertaEmbeddings as XLMRobertaEmbeddings;

/// XLM-RoBERTa configuration (HF `XLMRobertaConfig`; the same keys as RoBERTa's).
pub type XLMRobertaConfig = crate::roberta::RobertaConfig;
/// The XLM-RoBERTa encoder (HF `XLMRobertaModel`).
pub type XLMRobertaModel = crate::roberta::RobertaModel;
/// XLM-RoBERTa as a sentence-transformers encoder.
pub type XLMRobertaForSentenceEmbeddings = crate::roberta::RobertaForSentenceEmbeddings;
/// XLM-RoBERTa with a masked-language-model head (HF `XLMRobertaForMaskedLM`).
pub type XLMRobertaForMaskedLM = crate::roberta::RobertaForMaskedLM;
/// XLM-RoBERTa with a sentence classifier (HF `XLMRobertaForSequenceClassification`).
pub type XLMRobertaForSequenceClassification = crate::roberta::RobertaForSequenceClassification;
/// XLM-RoBERTa for multiple choice (HF `XLMRobertaForMultipleChoice`).
pub type XLMRobertaForMultipleChoice = crate::roberta::RobertaForMultipleChoice;
/// XLM-RoBERTa labelling tokens (HF `XLMRobertaForTokenClassification`).
pub type XLMRobertaForTokenClassification = crate::roberta::RobertaForTokenClassification;
/// XLM-RoBERTa predicting answer spans (HF `XLMRobertaForQuestionAnswering`).
pub type XLMRobertaForQuestionAnswering = crate::roberta::RobertaForQuestionAnswering;

/// Output of [`XLMRobertaForMaskedLM`].
pub type XLMRobertaMaskedLMOutput = crate::roberta::RobertaMaskedLMOutput;
/// Output of [`XLMRobertaForSequenceClassification`] and [`XLMRobertaForMultipleChoice`].
pub type XLMRobertaSequenceClassificationOutput =
    crate::roberta::RobertaSequenceClassificationOutput;
/// Output of [`XLMRobertaForTokenClassification`].
pub type XLMRobertaTokenClassificationOutput = crate::roberta::RobertaTokenClassificationOutput;
/// Output of [`XLMRobertaForQuestionAnswering`].
pub type XLMRobertaQuestionAnsweringOutput = crate::roberta::RobertaQuestionAnsweringOutput;

/// Pretrained XLM-RoBERTa weights, as `(cache subdirectory, URL)` (the same values as the
/// `XLM_ROBERTA_*` constants of [`RobertaModelResources`]).
pub struct XLMRobertaModelResources;
/// Pretrained XLM-RoBERTa configurations.
pub struct XLMRobertaConfigResources;
/// Pretrained XLM-RoBERTa SentencePiece models (`sentencepiece.bpe.model`; there are no merges).
pub struct XLMRobertaVocabResources;

/// Re-exposes the XLM-R constants of a RoBERTa resource struct under the XLM-R struct.
macro_rules! xlm_resources {
    ($($target:ident = $source:ident;)*) => {$(
        impl $target {
            /// XLM-RoBERTa large fine-tuned on CoNLL-03 English NER.
            pub const XLM_ROBERTA_NER_EN: (&'static str, &'static str) =
                $source::XLM_ROBERTA_NER_EN;
            /// XLM-RoBERTa large fine-tuned on CoNLL-03 German NER.
            pub const XLM_ROBERTA_NER_DE: (&'static str, &'static str) =
                $source::XLM_ROBERTA_NER_DE;
            /// XLM-RoBERTa large fine-tuned on CoNLL-02 Dutch NER.
            pub const XLM_ROBERTA_NER_NL: (&'static str, &'static str) =
                $source::XLM_ROBERTA_NER_NL;
            /// XLM-RoBERTa large fine-tuned on CoNLL-02 Spanish NER.
            pub const XLM_ROBERTA_NER_ES: (&'static str, &'static str) =
                $source::XLM_ROBERTA_NER_ES;
        }
    )*};
}

xlm_resources! {
    XLMRobertaModelResources = RobertaModelResources;
    XLMRobertaConfigResources = RobertaConfigResources;
    XLMRobertaVocabResources = RobertaVocabResources;
}
