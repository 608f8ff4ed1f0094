//! # DeBERTa (He et al., 2020)
//!
//! "Decoding-enhanced BERT with disentangled attention": each layer's attention scores add to
//! BERT's content-to-content term a content-to-position (`c2p`) and a position-to-content
//! (`p2c`) term, read from a shared table of relative-position embeddings
//! (`encoder.rel_embeddings`); absolute positions are optional (`position_biased_input`).
//! Padded positions are zeroed after the embeddings, and padded queries attend uniformly, as in
//! HF. Variables carry HF's state-dict names, so a `model.safetensors` from the hub loads as is.
//! The tokenizer is a byte-level BPE (`vocab.json` + `merges.txt`, RoBERTa's layout).
//!
//! The task heads are written once over [`DebertaBackbone`] and shared with
//! [`crate::deberta_v2`]: [`DebertaForSequenceClassification`] is
//! `GenericDebertaForSequenceClassification<DebertaModel>`.
//!
//! rust-bert 0.23's signatures are kept: forward passes return `Result`; the constructors that
//! return bare values there (`DebertaModel::new`, `DebertaForMaskedLM::new`,
//! `DebertaForQuestionAnswering::new`) panic on an invalid configuration and have `try_new`
//! twins.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::common::weights::load_weights_from_file;
//! use rust_bert::deberta::{DebertaConfig, DebertaForSequenceClassification};
//! use rust_bert::Config;
//! use tch::{nn::VarStore, Device, Tensor};
//!
//! let config = DebertaConfig::try_from_file("model/config.json")?;
//! let vs = VarStore::new(Device::cuda_if_available());
//! let model = DebertaForSequenceClassification::new(vs.root(), &config)?;
//! load_weights_from_file(&vs, "model/model.safetensors")?;
//! let input_ids = Tensor::from_slice(&[1i64, 100, 200, 2]).unsqueeze(0);
//! let output = tch::no_grad(|| model.forward_t(Some(&input_ids), None, None, None, None, false))?;
//! println!("{:?}", output.logits.size());
//! # Ok(())
//! # }
//! ```
mod attention;
mod deberta_model;
mod embeddings;

pub use attention::DebertaDisentangledSelfAttention;
pub(crate) use attention::{
    attend, heads_of, relative_distances, DebertaAttentionMask, DebertaLayerBase,
    DisentangledSelfAttention, RelativePositions,
};
pub(crate) use deberta_model::{check_sizes, input_shape};
pub use deberta_model::{
    ContextPooler, DebertaBackbone, DebertaConfig, DebertaConfigResources, DebertaForMaskedLM,
    DebertaForQuestionAnswering, DebertaForSequenceClassification, DebertaForTokenClassification,
    DebertaLMPredictionHead, DebertaMaskedLMOutput, DebertaMergesResources, DebertaModel,
    DebertaModelOutput, DebertaModelResources, DebertaQuestionAnsweringOutput,
    DebertaSequenceClassificationOutput, DebertaTokenClassificationOutput, DebertaVocabResources,
    GenericDebertaForMaskedLM, GenericDebertaForMultipleChoice, GenericDebertaForQuestionAnswering,
    GenericDebertaForSequenceClassification, GenericDebertaForTokenClassification,
    PositionAttentionType, PositionAttentionTypes,
};
pub use embeddings::DebertaEmbeddings;
