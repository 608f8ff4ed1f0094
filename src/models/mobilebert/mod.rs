//! # MobileBERT (Sun et al., 2020)
//!
//! "A compact task-agnostic BERT for resource-limited devices": a deep, thin BERT whose layers
//! narrow their input to `intra_bottleneck_size` for attention and feed-forward work (with
//! query and key optionally sharing their own bottleneck), stack several feed-forward networks
//! per layer (`num_feedforward_networks`), may replace LayerNorm by an element-wise affine
//! [`NoNorm`] (`normalization_type`), and embed each token with its two neighbours (the trigram
//! input, `embedding_size * 3` projected to `hidden_size`). Variables carry HF's state-dict
//! names, so a `model.safetensors` from the hub loads as is. The tokenizer is BERT's WordPiece
//! (`vocab.txt`).
//!
//! rust-bert 0.23's signatures are kept: constructors that return the model itself panic on an
//! invalid configuration (documented) and have a `try_new` twin; forward passes return
//! `Result`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::mobilebert::{MobileBertConfig, MobileBertForMaskedLM};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = MobileBertConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = MobileBertForMaskedLM::try_new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[101i64, 1996, 4937, 103, 102]).unsqueeze(0);
//! let output =
//!     tch::no_grad(|| model.forward_t(Some(&input_ids), None, None, None, None, false))?;
//! println!("{:?}", output.logits.size());
//! # Ok(())
//! # }
//! ```
mod encoder;
mod mobilebert_model;

pub use mobilebert_model::{
    MobileBertConfig, MobileBertConfigResources, MobileBertForMaskedLM,
    MobileBertForMultipleChoice, MobileBertForQuestionAnswering,
    MobileBertForSequenceClassification, MobileBertForTokenClassification,
    MobileBertLMPredictionHead, MobileBertMaskedLMOutput, MobileBertModel,
    MobileBertModelResources, MobileBertOutput, MobileBertPredictionHeadTransform,
    MobileBertQuestionAnsweringOutput, MobileBertSequenceClassificationOutput,
    MobileBertTokenClassificationOutput, MobileBertVocabResources, NoNorm, NormalizationLayer,
    NormalizationType,
};
