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
//! ## Layers
//! The crate is four layers, each importing only from itself and those below it:
//!
//! | Layer | What it holds |
//! |---|---|
//! | [`common`] | errors, the [`Config`] trait, resources, weight loading, shared layers (attention, embeddings, feed-forward, norms, the few-row matrix kernel), activations, [`common::tokenizer::TokenizerOption`], [`common::model_type::ModelType`], [`common::model_resource::ModelResource`] |
//! | [`generation`] | the text generation engine: [`generation::LanguageGenerator`], [`generation::GenerateConfig`] / [`generation::GenerateOptions`], the cache layouts ([`generation::Cache`]), search loops, logits processors, [`generation::LanguageModelGenerator`] |
//! | [`models`] | one module per architecture (also at the crate root: `rust_bert::bert`, ...); a generative model implements the engine's trait |
//! | [`pipelines`] | ready-to-use tasks over enums of models, [`pipelines::common::ConfigOption`] |
//!
//! rust-bert's paths keep working: `pipelines::generation_utils` re-exports the engine and
//! `pipelines::common` the tokenizer, model type and resources.
//!
//! ## Models
//!
//! | Model | Heads | Parity |
//! |---|---|---|
//! | BERT | base, masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings, decoder with cross-attention | HF 5.24, ≤ 1e-4 |
//! | DistilBERT | base, masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings | HF 5.24, ≤ 1e-4 |
//! | RoBERTa, XLM-RoBERTa | base, masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings | HF 5.24, ≤ 1e-4 |
//! | ALBERT | base, masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings | HF 5.24, ≤ 1e-4 |
//! | ELECTRA | base (embedding projection), discriminator, generator (masked LM), sequence classification, multiple choice, token classification, question answering, sentence embeddings | HF 5.24, ≤ 1e-4 |
//! | MPNet | base (relative position bias), masked LM, sequence classification, multiple choice, token classification, question answering, sentence embeddings | HF 5.24, ≤ 1e-4 |
//! | MobileBERT | base (bottlenecks, NoNorm, trigram input, stacked FFNs), masked LM, sequence classification, multiple choice, token classification, question answering | HF 5.24, ≤ 1e-4 |
//! | FNet | base (Fourier mixing), masked LM, sequence classification, multiple choice, token classification, question answering | HF 5.24, ≤ 1e-4 |
//! | DeBERTa, DeBERTa-v2/v3 | base (disentangled attention; v2: log buckets, shared keys, convolution), masked LM, sequence classification, token classification, question answering, multiple choice (v2) | HF 5.24, ≤ 1e-4 |
//! | XLNet | base (two-stream relative attention, memory), LM head, sequence classification, multiple choice, token classification, question answering, generator | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | GPT-2, OpenAI GPT | base, LM head with key/value cache, generators | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | GPT-Neo | base (global and local attention), causal LM with key/value cache, generator | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | GPT-J | base (rotary embeddings, parallel attention and MLP), LM head with key/value cache, generator | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | Reformer | base (LSH and local attention, axial positions, reversible layers), LM head with bucket cache, generator; classification and QA heads | HF 5.24, ≤ 1e-4 (seeded hashing); `generate` token-identical |
//! | BART | base, conditional generation, sequence classification, generator | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | Marian | conditional generation (BART's stack), generator, OPUS-MT presets | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | T5 | base, conditional generation, sentence-embedding encoder, generator | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | Pegasus | base, conditional generation (BART's stack), generator | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | LongT5 | base, conditional generation (T5's layers; local and transient-global encoder attention), generator | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | ProphetNet | base, conditional generation (n-stream self-attention, main and predict streams), causal generation, generator | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | mBART, mBART-50 | base, conditional generation, sequence classification, generator (BART's stack) | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | M2M100, NLLB | base, conditional generation, generators (sinusoidal positions from the ids) | HF 5.24, ≤ 1e-4; `generate` token-identical |
//! | Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma 2 | one decoder stack: base, causal LM, generator (HF folders or GGUF files) | HF 5.24, ≤ 1e-4; `generate` token-identical; real SmolLM2 GGUF |
//!
//! ## Pipelines
//! Sentiment, sequence classification, zero-shot classification, token classification / NER /
//! POS tagging, question answering, fill-mask, sentence embeddings, keyword extraction,
//! cross-encoder reranking, summarization, translation, text generation, conversation and chat
//! ([`pipelines`]); each is checked against the HF (or sentence-transformers) pipeline on tiny
//! models.
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
pub use models::longt5;
pub use models::pegasus;
pub use models::prophetnet;
pub use models::{
    albert, bart, bert, deberta, deberta_v2, distilbert, electra, gpt2, m2m_100, marian, mbart,
    mpnet, nllb, openai_gpt, roberta, t5, xlm_roberta, xlnet,
};
pub use models::{fnet, llama, longformer, mobilebert};
pub use models::{gpt_j, gpt_neo, reformer};
