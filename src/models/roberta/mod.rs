//! # RoBERTa (Liu et al., 2019)
//!
//! BERT's encoder with fairseq's embeddings: positions count from the padding index
//! (`pad_token_id`, 1), so padded rows keep the positions they have alone. The base model is
//! [`BertModel`](crate::bert::BertModel)`<`[`RobertaEmbeddings`]`>` ([`RobertaModel`]); the
//! configuration is [`BertConfig`](crate::bert::BertConfig) ([`RobertaConfig`]). Heads:
//! - masked language model: [`RobertaForMaskedLM`] (decoder tied to the word embeddings);
//! - sequence classification: [`RobertaForSequenceClassification`] (`<s>` token, dense, tanh,
//!   projection; no pooler);
//! - multiple choice: [`RobertaForMultipleChoice`] (pooler);
//! - token classification (NER, POS): [`RobertaForTokenClassification`];
//! - question answering: [`RobertaForQuestionAnswering`];
//! - sentence embeddings: [`RobertaForSentenceEmbeddings`] (the base model).
//!
//! XLM-RoBERTa checkpoints run on the same types (see [`crate::xlm_roberta`]). Variables carry
//! HF's state-dict names (`roberta.encoder.layer.0.attention.self.query.weight`, `lm_head.dense`,
//! `classifier.out_proj`), so HF's `model.safetensors` / `pytorch_model.bin` and rust-bert's
//! `rust_model.ot` load as they are (see [`crate::common::weights`]).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::roberta::{RobertaConfig, RobertaForMaskedLM};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = RobertaConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = RobertaForMaskedLM::new(vs.root(), &config);
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! // <s> Hello <mask> </s>
//! let input_ids = Tensor::from_slice(&[0i64, 31414, 50264, 2]).unsqueeze(0);
//! let output = tch::no_grad(|| {
//!     model.try_forward_t(Some(&input_ids), None, None, None, None, None, None, false)
//! })?;
//! println!("{:?}", output.prediction_scores.size());
//! # Ok(())
//! # }
//! ```
mod embeddings;
mod roberta_model;

pub use embeddings::RobertaEmbeddings;
pub use roberta_model::{
    RobertaClassificationHead, RobertaConfig, RobertaConfigResources, RobertaForMaskedLM,
    RobertaForMultipleChoice, RobertaForQuestionAnswering, RobertaForSentenceEmbeddings,
    RobertaForSequenceClassification, RobertaForTokenClassification, RobertaLMHead,
    RobertaMaskedLMOutput, RobertaMergesResources, RobertaModel, RobertaModelResources,
    RobertaQuestionAnsweringOutput, RobertaSequenceClassificationOutput,
    RobertaTokenClassificationOutput, RobertaVocabResources,
};
