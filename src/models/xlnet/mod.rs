//! # XLNet (Yang et al., 2019)
//!
//! A permutation language model on Transformer-XL's relative attention: every layer runs a
//! content stream (each token sees itself) and, when positions to predict are given through a
//! `target_mapping`, a query stream (the prediction sees the context but not its own token).
//! Segments enter the attention as a learned same / different segment score, positions as
//! sinusoidal encodings of relative distances, and the hidden states entering each layer can
//! be kept as a memory (`mems`) that later calls attend to. The base model and every HF task
//! head are here with HF's state-dict names (`transformer.layer.0.rel_attn.q`), so an HF
//! `model.safetensors` or a rust-bert `rust_model.ot` loads as is.
//!
//! XLNet's tokenizer pads on the left and closes inputs with `<sep> <cls>`: the sequence
//! classification head summarises the last position. Generation follows HF: each step feeds
//! the last two tokens and a dummy token that nobody sees (`perm_mask`), predicted through the
//! query stream (`target_mapping`), with the memory of the earlier tokens.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::xlnet::{XLNetConfig, XLNetForSequenceClassification};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = XLNetConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = XLNetForSequenceClassification::new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[17i64, 9, 4, 3]).unsqueeze(0);
//! let output = tch::no_grad(|| {
//!     model.try_forward_t(Some(&input_ids), None, None, None, None, None, None, false)
//! })?;
//! println!("{:?}", output.logits.size());
//! # Ok(())
//! # }
//! ```
mod attention;
mod generator;
mod xlnet_model;

pub use attention::{XLNetFeedForward, XLNetLayer, XLNetRelativeAttention};
pub use generator::XLNetGenerator;
pub use xlnet_model::{
    AttentionType, LayerState, XLNetConfig, XLNetConfigResources, XLNetForMultipleChoice,
    XLNetForQuestionAnswering, XLNetForSequenceClassification, XLNetForTokenClassification,
    XLNetLMHeadModel, XLNetModel, XLNetModelOutput, XLNetModelResources,
    XLNetQuestionAnsweringOutput, XLNetSequenceClassificationOutput,
    XLNetTokenClassificationOutput, XLNetVocabResources,
};
