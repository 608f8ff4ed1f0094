//! # rust-bert
//!
//! Transformer models (BERT and its family, GPT-2, BART, T5, ...) and ready-to-use NLP
//! pipelines on LibTorch through [`tch`], with the public API of rust-bert 0.23 and the
//! numerics of HF Transformers.
//!
//! Parameters carry HF state-dict names, so `model.safetensors`, `pytorch_model.bin` and
//! rust-bert's `rust_model.ot` load alike ([`common::weights`]); configurations read HF
//! `config.json` files ([`Config`]).
//!
//! | Model | Heads | Parity |
//! |---|---|---|
//! | BERT | base, masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings, decoder with cross-attention | HF 5.24, ≤ 1e-4 |
//! | DistilBERT | base, masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings | HF 5.24, ≤ 1e-4 |
//! | RoBERTa, XLM-RoBERTa | base, masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings | HF 5.24, ≤ 1e-4 |
//! | ALBERT | base, masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings | HF 5.24, ≤ 1e-4 |
//! | GPT-2, OpenAI GPT | base, LM head with key/value cache (the generation engine comes next) | HF 5.24, ≤ 1e-4 |
//!
//! ## Quick start
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::bert::{BertConfig, BertForSentenceEmbeddings};
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device};
//!
//! let dir = std::path::Path::new(".venv/models/all-MiniLM-L6-v2");
//! let config = BertConfig::try_from_file(dir.join("config.json"))?;
//! let vs = VarStore::new(Device::Cpu);
//! let model = BertForSentenceEmbeddings::new(vs.root(), &config);
//! load_weights_from_file(&vs, dir.join("model.safetensors"))?;
//! # let _ = model;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
// No panic reachable from user input or files: errors are `RustBertError`s. The one
// exception, `Config::from_file`, keeps rust-bert's signature and says so.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable
    )
)]

pub mod common;
pub mod generation;
pub mod models;
pub mod pipelines;

pub use common::activations::Activation;
pub use common::config::Config;
pub use common::error::RustBertError;
pub use common::resources;
pub use models::{
    albert, bart, bert, distilbert, gpt2, marian, openai_gpt, roberta, t5, xlm_roberta, xlnet,
};
