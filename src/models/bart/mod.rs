//! # BART (Lewis et al., 2019)
//!
//! Encoder-decoder transformer pretrained as a denoising autoencoder: a bidirectional encoder,
//! an autoregressive decoder with cross-attention, learned positions (offset by 2), post-norm
//! layers with a layer norm after the embeddings, and token embeddings shared by both sides
//! and the language-model head (plus `final_logits_bias`). Variables carry HF's names
//! (`model.encoder.layers.0.self_attn.q_proj`, ...).
//!
//! The stack is written once with the switches its relatives need (pre-norm, final layer
//! norms, scaled embeddings, sinusoidal positions): Marian builds on it.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::bart::{BartConfig, BartForConditionalGeneration};
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = BartConfig::try_from_file("bart/config.json")?;
//! let vs = VarStore::new(Device::Cpu);
//! let model = BartForConditionalGeneration::new(vs.root(), &config);
//! load_weights_from_file(&vs, "bart/model.safetensors")?;
//! let input = Tensor::from_slice(&[0i64, 31414, 232, 2]).unsqueeze(0);
//! let output = tch::no_grad(|| model.try_forward_t(Some(&input), None, None, None, None, None, false))?;
//! println!("{:?}", output.decoder_output.size());
//! # Ok(())
//! # }
//! ```
mod attention;
mod bart_model;
mod family_head;
mod generator;

pub use crate::common::layers::StackOutputs;
pub use crate::generation::{DecoderCache, LayerState};
pub use attention::{BartAttention, DecoderLayer, EncoderLayer, PositionEmbedding, StackOptions};
pub use bart_model::{
    BartClassificationHead, BartConfig, BartConfigResources, BartDecoder, BartEncoder,
    BartForConditionalGeneration, BartForSequenceClassification, BartMergesResources, BartModel,
    BartModelOutput, BartModelResources, BartVocabResources,
};
pub(crate) use family_head::bart_family_head;
pub(crate) use generator::seq2seq_specials;
pub use generator::BartGenerator;
