//! # GPT-2 (Radford et al., 2019)
//!
//! Decoder-only transformer with learned positions, pre-norm layers and a language-model head
//! tied to the token embeddings. Variables carry HF's names (`transformer.h.0.attn.c_attn`,
//! ...), so `model.safetensors`, `pytorch_model.bin` and rust-bert's `rust_model.ot` load as
//! they are; the causal mask is built, never loaded (old checkpoints' `attn.bias` buffers are
//! reported as unused).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::generation::Cache;
//! use rust_bert::gpt2::{GPT2LMHeadModel, Gpt2Config};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = Gpt2Config::try_from_file("gpt2/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = GPT2LMHeadModel::new(vs.root(), &config);
//! load_weights_from_file(&vs, "gpt2/model.safetensors")?;
//! let prompt = Tensor::from_slice(&[464i64, 3290, 318]).unsqueeze(0);
//! let first = tch::no_grad(|| model.forward_t(Some(&prompt), None, None, None, None, None, false))?;
//! let next = first.lm_logits.select(1, -1).argmax(-1, true);
//! // The key/value tensors of the prompt, one per layer (rust-bert's `layer_past`).
//! let past = match first.cache {
//!     Cache::GPT2Cache(layers) => layers,
//!     _ => None,
//! };
//! let second = tch::no_grad(|| model.forward_t(Some(&next), past.as_ref(), None, None, None, None, false))?;
//! println!("{:?}", second.lm_logits.size());
//! # Ok(())
//! # }
//! ```
mod generator;
mod gpt2_model;
pub(crate) mod transformer;

pub use generator::{GPT2Generator, OpenAIGenerator};
pub(crate) use gpt2_model::{check_2d, position_embeddings};
pub use gpt2_model::{
    GPT2LMHeadModel, Gpt2Config, Gpt2ConfigResources, Gpt2MergesResources, Gpt2Model,
    Gpt2ModelOutput, Gpt2ModelResources, Gpt2VocabResources,
};
