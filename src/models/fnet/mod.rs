//! # FNet (Lee-Thorp et al., 2021)
//!
//! "Mixing tokens with Fourier transforms": a BERT-style encoder whose self-attention is
//! replaced by the real part of a 2-D discrete Fourier transform over the sequence and hidden
//! dimensions (LibTorch's FFT, as HF's default path). There is no attention, hence no
//! attention mask and no attention probabilities: padding tokens take part in the mixing, as in
//! HF. Variables carry HF's state-dict names, so a `model.safetensors` from the hub loads as
//! is. The tokenizer is SentencePiece (`spiece.model`, [`crate::pipelines::common::TokenizerOption::FNet`]).
//!
//! rust-bert 0.23's signatures are kept: constructors that return the model itself panic on an
//! invalid configuration (documented) and have a `try_new` twin; forward passes return
//! `Result`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::fnet::{FNetConfig, FNetForMaskedLM};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = FNetConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = FNetForMaskedLM::try_new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[1i64, 17, 6, 2]).unsqueeze(0);
//! let output = tch::no_grad(|| model.forward_t(Some(&input_ids), None, None, None, false))?;
//! println!("{:?}", output.prediction_scores.size());
//! # Ok(())
//! # }
//! ```
mod fnet_model;

pub use fnet_model::{
    FNetConfig, FNetConfigResources, FNetForMaskedLM, FNetForMultipleChoice,
    FNetForQuestionAnswering, FNetForSequenceClassification, FNetForTokenClassification,
    FNetMaskedLMOutput, FNetModel, FNetModelOutput, FNetModelResources,
    FNetQuestionAnsweringOutput, FNetSequenceClassificationOutput, FNetTokenClassificationOutput,
    FNetVocabResources,
};
