//! # Longformer: the long-document transformer (Beltagy, Peters and Cohan, 2020)
//!
//! RoBERTa's network with an attention whose cost grows linearly with the length: each token
//! attends to a sliding window of `attention_window / 2` tokens on each side (a window per
//! layer), and the tokens marked in `global_attention_mask` attend to, and are attended by,
//! every token through their own projections (`query_global`, `key_global`, `value_global`).
//! The window is computed band by band (see [`LongformerSelfAttention`]), never as a
//! `seq × seq` matrix, so a 4096-token input fits in a few hundred megabytes. Inputs are padded
//! to a multiple of the largest window and the outputs cut back, as HF does.
//!
//! Heads: masked language model ([`LongformerForMaskedLM`]), sequence classification
//! ([`LongformerForSequenceClassification`], global attention on `<s>` by default), question
//! answering ([`LongformerForQuestionAnswering`], global attention on the question by
//! default), token classification ([`LongformerForTokenClassification`]) and multiple choice
//! ([`LongformerForMultipleChoice`]). Embeddings, pooler, masked-LM and classification heads
//! are RoBERTa's. Variables carry HF's state-dict names, so HF's `model.safetensors` and
//! rust-bert's `rust_model.ot` load as they are. The tokenizer is RoBERTa's byte-level BPE
//! (`vocab.json`, `merges.txt`).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::longformer::{LongformerConfig, LongformerForQuestionAnswering};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = LongformerConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = LongformerForQuestionAnswering::try_new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! // <s> question </s></s> context </s>: the question gets global attention.
//! let input_ids = Tensor::from_slice(&[0i64, 2264, 2, 2, 10669, 1074, 11, 2]).unsqueeze(0);
//! let output =
//!     tch::no_grad(|| model.forward_t(Some(&input_ids), None, None, None, None, None, false))?;
//! println!("{:?}", output.start_logits.size());
//! # Ok(())
//! # }
//! ```
mod attention;
mod longformer_model;

pub use attention::LongformerSelfAttention;
pub use longformer_model::{
    LongformerConfig, LongformerConfigResources, LongformerForMaskedLM,
    LongformerForMultipleChoice, LongformerForQuestionAnswering,
    LongformerForSequenceClassification, LongformerForTokenClassification,
    LongformerMaskedLMOutput, LongformerMergesResources, LongformerModel, LongformerModelOutput,
    LongformerModelResources, LongformerQuestionAnsweringOutput,
    LongformerSequenceClassificationOutput, LongformerTokenClassificationOutput,
    LongformerVocabResources, PositionEmbeddingType,
};
