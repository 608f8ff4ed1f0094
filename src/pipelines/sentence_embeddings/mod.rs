//! # Sentence embeddings pipeline
//!
//! Turns texts into fixed-size vectors to compare (e.g. by cosine similarity) for semantic
//! search, clustering or paraphrase mining, as [sentence-transformers](https://sbert.net) does:
//! a transformer (BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA, MPNet or T5's encoder)
//! gives token embeddings, a [`Pooling`](layers::Pooling) module makes one vector of them (CLS
//! token, mean, max, mean over the square root of the length, ...), then an optional
//! [`Dense`](layers::Dense) layer and an optional L2 normalisation follow, as the folder's
//! `modules.json` lists them.
//!
//! Models load from a folder saved by sentence-transformers (safetensors, PyTorch or `.ot`
//! weights, no conversion needed) or from the pretrained models of
//! [`SentenceEmbeddingsModelType`]. Inputs are truncated to `max_seq_length` tokens and encoded
//! in batches of similar length; results come back in input order, and a batch gives the same
//! embeddings as its inputs one by one.
//!
//! ```no_run
//! use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
//!
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! let model = SentenceEmbeddingsBuilder::local("path/to/all-MiniLM-L6-v2")
//!     .with_device(tch::Device::cuda_if_available())
//!     .create_model()?;
//! let embeddings = model.encode(&["This is an example sentence", "Each sentence is converted"])?;
//! assert_eq!(embeddings[0].len(), model.get_embedding_dim()? as usize);
//! # Ok(())
//! # }
//! ```
pub mod builder;
mod config;
pub mod layers;
mod pipeline;
mod resources;

pub use builder::SentenceEmbeddingsBuilder;
pub use config::{
    SentenceEmbeddingsConfig, SentenceEmbeddingsModuleConfig, SentenceEmbeddingsModuleType,
    SentenceEmbeddingsModulesConfig, SentenceEmbeddingsSentenceBertConfig,
    SentenceEmbeddingsTokenizerConfig,
};
pub use pipeline::{
    SentenceEmbeddingsModel, SentenceEmbeddingsModelOutput, SentenceEmbeddingsOption,
    SentenceEmbeddingsTokenizerOutput,
};
pub use resources::{
    SentenceEmbeddingsConfigResources, SentenceEmbeddingsDenseConfigResources,
    SentenceEmbeddingsDenseResources, SentenceEmbeddingsModelType,
    SentenceEmbeddingsModulesConfigResources, SentenceEmbeddingsPoolingConfigResources,
    SentenceEmbeddingsTokenizerConfigResources,
};

/// The name rust-bert 0.19-0.20 gave [`SentenceEmbeddingsModelOutput`].
pub type SentenceEmbeddingsModelOuput = SentenceEmbeddingsModelOutput;
/// The name rust-bert 0.19-0.20 gave [`SentenceEmbeddingsTokenizerOutput`].
pub type SentenceEmbeddingsTokenizerOuput = SentenceEmbeddingsTokenizerOutput;

/// Attention of one token to every token of the input.
pub type Attention = Vec<f32>;
/// One head's attention matrix (one [`Attention`] per token).
pub type AttentionHead = Vec<Attention>;
/// One layer's heads.
pub type AttentionLayer = Vec<AttentionHead>;
/// Every layer's attention for one input.
pub type AttentionOutput = Vec<AttentionLayer>;

/// One sentence embedding.
pub type Embedding = Vec<f32>;
