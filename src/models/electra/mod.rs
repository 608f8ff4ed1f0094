//! # ELECTRA (Clark et al., 2020)
//!
//! "Pre-training text encoders as discriminators rather than generators": a BERT encoder whose
//! token embeddings may be narrower than its hidden states (`embedding_size`, projected to
//! `hidden_size` by `embeddings_project`). Pre-training pairs a small masked-LM generator
//! ([`ElectraForMaskedLM`]) with a discriminator that tells which tokens the generator replaced
//! ([`ElectraDiscriminator`]); fine-tuned checkpoints use the task heads. Variables carry HF's
//! state-dict names, so a `model.safetensors` from the hub loads as is. The tokenizer is
//! BERT's WordPiece (`vocab.txt`).
//!
//! rust-bert 0.23's signatures are kept: constructors and forward passes that return bare values
//! there panic on a bad configuration or input here too (documented), and each has a `try_`
//! twin returning `Result`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::electra::{ElectraConfig, ElectraDiscriminator};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = ElectraConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = ElectraDiscriminator::try_new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[101i64, 1996, 4937, 2938, 102]).unsqueeze(0);
//! let output =
//!     tch::no_grad(|| model.try_forward_t(Some(&input_ids), None, None, None, None, false))?;
//! println!("{:?}", output.probabilities.size());
//! # Ok(())
//! # }
//! ```
mod electra_model;

pub use electra_model::{
    ElectraClassificationHead, ElectraConfig, ElectraConfigResources, ElectraDiscriminator,
    ElectraDiscriminatorHead, ElectraDiscriminatorOutput, ElectraForMaskedLM,
    ElectraForMultipleChoice, ElectraForQuestionAnswering, ElectraForSequenceClassification,
    ElectraForTokenClassification, ElectraGeneratorHead, ElectraMaskedLMOutput, ElectraModel,
    ElectraModelOutput, ElectraModelResources, ElectraQuestionAnsweringOutput,
    ElectraSequenceClassificationOutput, ElectraTokenClassificationOutput, ElectraVocabResources,
};
