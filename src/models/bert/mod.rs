//! # BERT (Devlin et al., 2018)
//!
//! Bidirectional transformer encoder with word, position and token-type embeddings. The base
//! model and every HF task head are here; variables carry HF's state-dict names, so a
//! `model.safetensors` or `pytorch_model.bin` from the hub loads as is (see
//! [`crate::common::weights`]).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = BertConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = BertModel::<BertEmbeddings>::new(vs.root(), &config);
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[101i64, 7592, 2088, 102]).unsqueeze(0);
//! let output = tch::no_grad(|| model.forward_t(Some(&input_ids), None, None, None, None, None, None, false))?;
//! println!("{:?}", output.hidden_state.size());
//! # Ok(())
//! # }
//! ```
mod bert_model;
mod embeddings;
mod encoder;

pub use bert_model::{
    BertConfig, BertConfigResources, BertForMaskedLM, BertForMultipleChoice,
    BertForQuestionAnswering, BertForSentenceEmbeddings, BertForSequenceClassification,
    BertForTokenClassification, BertLMPredictionHead, BertLikeForMultipleChoice,
    BertLikeForQuestionAnswering, BertLikeForTokenClassification, BertMaskedLMOutput, BertModel,
    BertModelOutput, BertModelResources, BertPredictionHeadTransform, BertQuestionAnsweringOutput,
    BertSequenceClassificationOutput, BertTokenClassificationOutput, BertVocabResources,
};
pub use embeddings::{BertEmbedding, BertEmbeddings};
pub use encoder::{BertEncoder, BertEncoderOutput, BertLayer, BertLayerOutput, BertPooler};
