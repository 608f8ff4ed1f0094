//! # DeBERTa-v2 and DeBERTa-v3 (He et al., 2020, 2021)
//!
//! DeBERTa's disentangled attention ([`crate::deberta`]) with v2's changes: separate, biased
//! query / key / value projections, relative distances mapped to log-spaced buckets
//! (`position_buckets`), relative embeddings optionally projected by the content projections
//! (`share_att_key`) and normalised (`norm_rel_ebd = "layer_norm"`), and an optional grouped
//! convolution beside the first layer (`conv_kernel_size`, `conv_groups`, `conv_act`).
//! DeBERTa-v3 checkpoints are v2 networks (`model_type` `deberta-v2`) trained ELECTRA-style.
//! The tokenizer is SentencePiece (`spm.model`).
//!
//! The embeddings and every task head are v1's, shared through
//! [`crate::deberta::DebertaBackbone`]; v2 adds a multiple-choice head (HF has one).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::deberta_v2::{DebertaV2Config, DebertaV2ForSequenceClassification};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = DebertaV2Config::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = DebertaV2ForSequenceClassification::new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[1i64, 100, 200, 2]).unsqueeze(0);
//! let output = tch::no_grad(|| model.forward_t(Some(&input_ids), None, None, None, None, false))?;
//! println!("{:?}", output.logits.size());
//! # Ok(())
//! # }
//! ```
mod attention;
mod deberta_v2_model;

pub use attention::{ConvLayer, DebertaV2DisentangledSelfAttention};
pub use deberta_v2_model::{
    DebertaV2Config, DebertaV2ConfigResources, DebertaV2ForMaskedLM, DebertaV2ForMultipleChoice,
    DebertaV2ForQuestionAnswering, DebertaV2ForSequenceClassification,
    DebertaV2ForTokenClassification, DebertaV2MaskedLMOutput, DebertaV2Model, DebertaV2ModelOutput,
    DebertaV2ModelResources, DebertaV2QuestionAnsweringOutput,
    DebertaV2SequenceClassificationOutput, DebertaV2TokenClassificationOutput,
    DebertaV2VocabResources, NormRelEmbedType, NormRelEmbedTypes,
};
