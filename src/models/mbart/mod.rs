//! # mBART and mBART-50 (Liu et al., 2020; Tang et al., 2020)
//!
//! Multilingual denoising encoder-decoder on BART's stack with mBART's switches: pre-norm layers,
//! a layer norm after the embeddings and after the last layer of both stacks, token embeddings
//! scaled by `sqrt(d_model)` when `scale_embedding`, learned positions offset by 2. The decoder
//! input made from `input_ids` wraps each row's last token (the language code or `</s>`) to the
//! front, as HF's mBART `shift_tokens_right`.
//!
//! mBART-50 translation: the source is `[src_lang_code] tokens </s>` (rust_tokenizers'
//! `MBart50Tokenizer` reads the code from a `>>en<< ` prefix), generation starts from `</s>` and
//! forces the target language code as first token (`forced_bos_token_id`). The translation
//! pipeline does both from `Language`s.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::mbart::{MBartConfig, MBartForConditionalGeneration};
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = MBartConfig::try_from_file("mbart/config.json")?;
//! let vs = VarStore::new(Device::Cpu);
//! let model = MBartForConditionalGeneration::new(vs.root(), &config);
//! load_weights_from_file(&vs, "mbart/model.safetensors")?;
//! let input = Tensor::from_slice(&[250004i64, 17, 2]).unsqueeze(0);
//! let output = tch::no_grad(|| model.try_forward_t(Some(&input), None, None, None, None, None, false))?;
//! println!("{:?}", output.decoder_output.size());
//! # Ok(())
//! # }
//! ```
mod mbart_model;

pub use crate::generation::LayerState;
pub(crate) use mbart_model::mbart50_language_code;
pub use mbart_model::{
    MBartClassificationHead, MBartConfig, MBartConfigResources, MBartForConditionalGeneration,
    MBartForSequenceClassification, MBartGenerator, MBartModel, MBartModelOutput,
    MBartModelResources, MBartSourceLanguages, MBartTargetLanguages, MBartVocabResources,
};
