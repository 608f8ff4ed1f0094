//! # ALBERT (Lan et al., 2019)
//!
//! A Lite BERT: token embeddings of a small width (`embedding_size`) lifted to the hidden size by
//! `encoder.embedding_hidden_mapping_in`, and layers that share weights: the
//! `num_hidden_layers` layers run on `num_hidden_groups` groups (layer `i` runs group
//! `int(i / (num_hidden_layers / num_hidden_groups))`, as HF computes it), each group holding
//! `inner_group_num` post-norm layers. The base model and every HF task head are here, with
//! HF's state-dict names (`albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query`),
//! so a `model.safetensors`, `pytorch_model.bin` or rust-bert `rust_model.ot` loads as is (see
//! [`crate::common::weights`]).
//!
//! Per-layer outputs follow HF 5.x: `all_hidden_states` holds the input of the first layer (the
//! embeddings mapped to `hidden_size`) and the output of every inner-layer call, so
//! `1 + num_hidden_layers * inner_group_num` tensors; `all_attentions` keeps rust-bert's nesting
//! (per layer, the probabilities of its inner layers).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::albert::{AlbertConfig, AlbertForMaskedLM};
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = AlbertConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = AlbertForMaskedLM::new(vs.root(), &config);
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[2i64, 10975, 4, 9, 3]).unsqueeze(0);
//! let output = tch::no_grad(|| model.try_forward_t(Some(&input_ids), None, None, None, None, false))?;
//! println!("{:?}", output.prediction_scores.size());
//! # Ok(())
//! # }
//! ```
mod albert_model;
mod encoder;

pub use albert_model::{
    AlbertConfig, AlbertConfigResources, AlbertForMaskedLM, AlbertForMultipleChoice,
    AlbertForQuestionAnswering, AlbertForSentenceEmbeddings, AlbertForSequenceClassification,
    AlbertForTokenClassification, AlbertMLMHead, AlbertMaskedLMOutput, AlbertModel,
    AlbertModelResources, AlbertOutput, AlbertQuestionAnsweringOutput,
    AlbertSequenceClassificationOutput, AlbertTokenClassificationOutput, AlbertVocabResources,
};
pub use encoder::{AlbertLayer, AlbertTransformer, AlbertTransformerOutput};
