//! # ProphetNet (Qi et al., 2020)
//!
//! Encoder-decoder transformer pretrained to predict several future tokens at once. The encoder
//! is a post-norm transformer with learned positions (read after the padding index). The
//! decoder runs a main stream and `ngram` predict streams side by side: the main stream attends
//! causally to itself, predict stream `s` to the main stream up to its position and to its own
//! token, and both add a per-head bias for the bucket of each relative position, projected from
//! the query's hidden state. The next-token logits are the first predict stream's (HF's
//! `logits`), the others' are `ngram_logits`; the token table is shared by encoder, decoder and
//! output. Variables carry HF's names (`prophetnet.decoder.layers.0.self_attn.query_proj`, ...).
//!
//! Numerics follow HF Transformers 5.24, including its full-sequence predict-stream bias (see
//! `tests/prophetnet.rs`): HF's cached steps, one token each as `generate` runs them, read the
//! per-position biases in another order than its full forward, and both are reproduced.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::prophetnet::{ProphetNetConfig, ProphetNetForConditionalGeneration};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = ProphetNetConfig::try_from_file("prophetnet/config.json")?;
//! let vs = VarStore::new(Device::Cpu);
//! let model = ProphetNetForConditionalGeneration::new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "prophetnet/model.safetensors")?;
//! let input = Tensor::from_slice(&[2023i64, 2003, 1037, 3231, 102]).unsqueeze(0);
//! let decoder_input = Tensor::from_slice(&[0i64, 2023]).unsqueeze(0);
//! let output = tch::no_grad(|| {
//!     model.forward_t(Some(&input), None, None, Some(&decoder_input), None, None, None, None, false)
//! })?;
//! println!("{:?}", output.logits.size());
//! # Ok(())
//! # }
//! ```
mod attention;
mod generator;
mod prophetnet_model;

pub use crate::generation::LayerState;
pub use attention::NgramSelfAttention;
pub use generator::ProphetNetConditionalGenerator;
pub use prophetnet_model::{
    ProphetNetConfig, ProphetNetConfigResources, ProphetNetDecoder, ProphetNetDecoderOutput,
    ProphetNetEncoder, ProphetNetEncoderOutput, ProphetNetForCausalGeneration,
    ProphetNetForConditionalGeneration, ProphetNetGenerationOutput, ProphetNetModel,
    ProphetNetModelResources, ProphetNetOutput, ProphetNetVocabResources,
};
