//! # OpenAI GPT (Radford et al., 2018)
//!
//! The first GPT: a decoder-only transformer with learned positions and post-norm layers (the
//! GPT-2 block with its layer norms after each residual sum), no final layer norm and a
//! language-model head tied to the token embeddings. Variables carry HF's names
//! (`transformer.tokens_embed`, `transformer.h.0.attn.c_attn`, ...).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::generation::Cache;
//! use rust_bert::openai_gpt::{OpenAIGPTLMHeadModel, OpenAiGptConfig};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = OpenAiGptConfig::try_from_file("openai-gpt/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = OpenAIGPTLMHeadModel::new(vs.root(), &config);
//! load_weights_from_file(&vs, "openai-gpt/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[481i64, 2585, 544]).unsqueeze(0);
//! let output = tch::no_grad(|| model.forward_t(Some(&input_ids), Cache::None, None, None, None, None, None, None, false))?;
//! println!("{:?}", output.lm_logits.size());
//! # Ok(())
//! # }
//! ```
mod openai_gpt_model;

pub use crate::gpt2::OpenAIGenerator;

pub use openai_gpt_model::{
    OpenAIGPTLMHeadModel, OpenAiGptConfig, OpenAiGptConfigResources, OpenAiGptMergesResources,
    OpenAiGptModel, OpenAiGptModelOutput, OpenAiGptModelResources, OpenAiGptVocabResources,
};
