//! # DistilBERT (Sanh et al., 2019)
//!
//! A six-layer BERT distilled from BERT-base: word and position embeddings (no token types),
//! post-norm transformer layers, no pooler. The base model and every HF task head are here;
//! variables carry HF's state-dict names (`distilbert.embeddings.word_embeddings.weight`,
//! `distilbert.transformer.layer.0.attention.q_lin.weight`, ...), so a `model.safetensors`,
//! `pytorch_model.bin` or rust-bert `rust_model.ot` loads as is (see
//! [`crate::common::weights`]).
//!
//! Numerics follow HF Transformers 5.24 where rust-bert 0.23 departs from it: the masked-LM
//! head applies the configured `activation` (rust-bert: always GELU), the token classifier's
//! dropout is `dropout`, and `all_hidden_states` holds the embedding output followed by every
//! layer's output (`n_layers + 1` tensors; rust-bert leaves out the embedding output).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::distilbert::{DistilBertConfig, DistilBertModelMaskedLM};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = DistilBertConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = DistilBertModelMaskedLM::new(vs.root(), &config);
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[101i64, 7592, 103, 102]).unsqueeze(0);
//! let output = tch::no_grad(|| model.forward_t(Some(&input_ids), None, None, false))?;
//! println!("{:?}", output.prediction_scores.size());
//! # Ok(())
//! # }
//! ```
mod distilbert_model;
mod embeddings;
mod transformer;

pub use distilbert_model::{
    DistilBertConfig, DistilBertConfigResources, DistilBertForMaskedLM,
    DistilBertForMultipleChoice, DistilBertForQuestionAnswering, DistilBertForSentenceEmbeddings,
    DistilBertForSequenceClassification, DistilBertForTokenClassification,
    DistilBertMaskedLMOutput, DistilBertModel, DistilBertModelClassifier, DistilBertModelMaskedLM,
    DistilBertModelOutput, DistilBertModelResources, DistilBertQuestionAnsweringOutput,
    DistilBertSequenceClassificationOutput, DistilBertTokenClassificationOutput,
    DistilBertVocabResources,
};
pub use embeddings::DistilBertEmbedding;
pub use transformer::{DistilBertTransformerOutput, Transformer, TransformerBlock};
