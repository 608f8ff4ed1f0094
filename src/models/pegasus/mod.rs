//! # Pegasus (Zhang et al., 2019)
//!
//! The abstractive summarizer pretrained by gap-sentence generation, on BART's encoder-decoder
//! stack with Pegasus' switches: layer norms before each block (pre-norm) and after the last
//! layer of the encoder and the decoder, no layer norm after the embeddings, fixed sinusoidal
//! positions (sines in the first half of the features, cosines in the second, as HF lays them
//! out), and token embeddings scaled by `sqrt(d_model)` when `scale_embedding` is set. The
//! language-model head is tied to the shared embeddings, plus `final_logits_bias`.
//!
//! Tokenization uses the SentencePiece model `spiece.model` with Pegasus' offset specials:
//! `<pad>` 0, `</s>` 1, `<mask_1>` 2, `<mask_2>` 3, `<unk_2>` .. `<unk_102>` 4 .. 104, then the
//! SentencePiece pieces shifted by 103 (HF's layout, which
//! [`crate::pipelines::common::TokenizerOption`] reproduces).
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::pegasus::{PegasusConfig, PegasusForConditionalGeneration};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = PegasusConfig::try_from_file("pegasus/config.json")?;
//! let vs = VarStore::new(Device::Cpu);
//! let model = PegasusForConditionalGeneration::new(vs.root(), &config);
//! load_weights_from_file(&vs, "pegasus/model.safetensors")?;
//! let input = Tensor::from_slice(&[182i64, 1010, 1]).unsqueeze(0);
//! let decoder_input = Tensor::from_slice(&[0i64]).unsqueeze(0);
//! let output = tch::no_grad(|| {
//!     model.try_forward_t(Some(&input), None, None, Some(&decoder_input), None, None, false)
//! })?;
//! println!("{:?}", output.decoder_output.size());
//! # Ok(())
//! # }
//! ```
mod pegasus_model;

pub use crate::generation::LayerState;
pub use pegasus_model::{
    PegasusConditionalGenerator, PegasusConfig, PegasusConfigResources,
    PegasusForConditionalGeneration, PegasusModel, PegasusModelOutput, PegasusModelResources,
    PegasusVocabResources,
};
