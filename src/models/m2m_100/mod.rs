//! # M2M100 (Fan et al., 2020)
//!
//! Many-to-many translation between 100 languages on BART's stack with M2M100's switches:
//! pre-norm layers, final layer norms, no embedding layer norm, token embeddings scaled by
//! `sqrt(d_model)`, sinusoidal positions computed from the token ids (padding keeps the pad
//! position, real tokens count from `pad + 1`), and a language-model head without
//! `final_logits_bias`. The source is `[src_lang] tokens </s>` (rust_tokenizers'
//! `M2M100Tokenizer` reads the code from a `>>en.<< ` prefix), generation starts from `</s>` and
//! forces the target language token first. NLLB runs on this model ([`crate::nllb`]).
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::m2m_100::{M2M100Config, M2M100ForConditionalGeneration};
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = M2M100Config::try_from_file("m2m100/config.json")?;
//! let vs = VarStore::new(Device::Cpu);
//! let model = M2M100ForConditionalGeneration::new(vs.root(), &config);
//! load_weights_from_file(&vs, "m2m100/model.safetensors")?;
//! let input = Tensor::from_slice(&[128022i64, 17, 2]).unsqueeze(0);
//! let output = tch::no_grad(|| model.try_forward_t(Some(&input), None, None, None, None, None, false))?;
//! println!("{:?}", output.decoder_output.size());
//! # Ok(())
//! # }
//! ```
mod m2m_100_model;

pub use crate::generation::LayerState;
pub(crate) use m2m_100_model::m2m100_language_code;
pub use m2m_100_model::{
    M2M100Config, M2M100ConfigResources, M2M100ForConditionalGeneration, M2M100Generator,
    M2M100MergesResources, M2M100Model, M2M100ModelOutput, M2M100ModelResources,
    M2M100SourceLanguages, M2M100TargetLanguages, M2M100VocabResources,
};
