//! # Llama and the decoder LLMs built like it: Mistral, Qwen2, Qwen3, Phi-3, Gemma 2
//!
//! One decoder stack, every family a configuration of it ([`LlamaConfig`] reads each family's
//! `config.json`): rotary positions with HF's scaling kinds (default, linear, dynamic NTK,
//! `llama3`, `yarn`, `longrope`, partial rotation), grouped- and multi-query attention,
//! optional q/k/v/o biases (Qwen2), per-head q/k RMSNorm (Qwen3), sliding-window layers
//! (Mistral, Qwen2/3, Gemma 2's alternating ones), attention and final soft-capping, Gemma's
//! `1 + weight` norms, scaled embeddings and pre/post feed-forward norms, Phi-3's fused
//! projections, tied or separate LM heads. Variables carry HF's names (`model.layers.0.
//! self_attn.q_proj.weight`, ...), so `model.safetensors` and sharded checkpoints
//! (`model.safetensors.index.json`) load as they are.
//!
//! [`LlamaGenerator`] runs them on the generation engine (greedy, beam search, sampling; the
//! key/value cache holds the key/value heads only; left-padded batches take their positions
//! from the attention mask).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::llama::{LlamaConfig, LlamaForCausalLM};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = LlamaConfig::try_from_file("qwen3/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = LlamaForCausalLM::new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "qwen3/model.safetensors.index.json")?;
//! let prompt = Tensor::from_slice(&[9707i64, 11, 1879]).unsqueeze(0);
//! let output = tch::no_grad(|| model.forward_t(Some(&prompt), None, None, None, None))?;
//! println!("{:?}", output.lm_logits.size());
//! # Ok(())
//! # }
//! ```
mod attention;
mod config;
mod generator;
mod llama_model;

pub use attention::DecoderAttention;
pub use config::{GenerationDefaults, LlamaConfig, LlamaFamily, TokenIds};
pub use generator::LlamaGenerator;
pub use llama_model::{
    DecoderLayer, LlamaCausalLMOutput, LlamaForCausalLM, LlamaModel, LlamaModelOutput,
};
