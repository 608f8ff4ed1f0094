//! # MPNet (Song et al., 2020)
//!
//! "Masked and Permuted Pre-training for Language Understanding": a BERT-sized post-norm
//! encoder whose attention scores get a learned bias per head for each bucket of relative
//! positions (one table, `encoder.relative_attention_bias`, shared by every layer), with
//! RoBERTa-style absolute positions (counted after the padding index 1) and no token types.
//! sentence-transformers' `all-mpnet-base-v2` is one. Variables carry HF's state-dict names, so
//! a `model.safetensors` from the hub loads as is. The tokenizer is BERT's WordPiece with
//! MPNet's special tokens (`<s>`, `</s>`, `<pad>`, `<mask>`; pairs `<s> A </s></s> B </s>`):
//! [`crate::common::tokenizer::MPNetTokenizer`].
//!
//! The forward passes take `input_ids`, `mask`, `position_ids`, `input_embeds` and `train`
//! (BERT's arguments less the token types MPNet does not have). Each head has a `try_` twin
//! returning `Result`; the plain form panics on bad input (documented).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::mpnet::{MPNetConfig, MPNetModel};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = MPNetConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = MPNetModel::try_new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[0i64, 7592, 2088, 2]).unsqueeze(0);
//! let output = tch::no_grad(|| model.forward_t(Some(&input_ids), None, None, None, false))?;
//! println!("{:?}", output.hidden_state.size());
//! # Ok(())
//! # }
//! ```
mod encoder;
mod mpnet_model;

pub use encoder::{MPNetEncoder, MPNetEncoderOutput, MPNetLayer};
pub use mpnet_model::{
    MPNetConfig, MPNetConfigResources, MPNetForMaskedLM, MPNetForMultipleChoice,
    MPNetForQuestionAnswering, MPNetForSequenceClassification, MPNetForTokenClassification,
    MPNetMaskedLMOutput, MPNetModel, MPNetModelOutput, MPNetModelResources,
    MPNetQuestionAnsweringOutput, MPNetSequenceClassificationOutput,
    MPNetTokenClassificationOutput, MPNetVocabResources,
};
