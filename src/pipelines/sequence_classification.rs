//! # Sequence classification pipeline (sentiment analysis, topic classification, ...)
//!
//! Classifies whole texts with a model fine-tuned for sequence classification (BERT,
//! DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA, MobileBERT, FNet, Longformer, DeBERTa,
//! DeBERTa-v2/v3, XLNet, BART or MPNet). The labels are those of
//! the checkpoint's `id2label`. Scores follow HF's `text-classification` pipeline: a softmax over
//! the labels, or a sigmoid per label when the configuration's `problem_type` is
//! `multi_label_classification` or the model has a single label (raw logits for `regression`).
//!
//! Texts are truncated to the model's maximum length, sorted by length into batches (padded with
//! an attention mask, so a text gets the same scores whatever it is batched with) and returned in
//! input order. The default model is DistilBERT fine-tuned on SST-2 (downloaded on first use).
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::distilbert::{
//!     DistilBertConfigResources, DistilBertModelResources, DistilBertVocabResources,
//! };
//! use rust_bert::pipelines::common::{ModelResource, ModelType};
//! use rust_bert::pipelines::sequence_classification::{
//!     SequenceClassificationConfig, SequenceClassificationModel,
//! };
//! use rust_bert::resources::RemoteResource;
//!
//! let config = SequenceClassificationConfig::new(
//!     ModelType::DistilBert,
//!     ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
//!         DistilBertModelResources::DISTIL_BERT_SST2,
//!     ))),
//!     RemoteResource::from_pretrained(DistilBertConfigResources::DISTIL_BERT_SST2),
//!     RemoteResource::from_pretrained(DistilBertVocabResources::DISTIL_BERT_SST2),
//!     None,  // merges (BPE tokenizers only)
//!     true,  // lower case
//!     None,  // strip accents
//!     None,  // add prefix space
//! );
//! let model = SequenceClassificationModel::new(config)?;
//! let labels = model.predict([
//!     "Probably my all-time favorite movie, a story of selflessness and dedication.",
//!     "This film tried to be too many things all at once.",
//! ]);
//! for label in labels {
//!     println!("{} ({:.3})", label.text, label.score);
//! }
//! # Ok(())
//! # }
//! ```
use crate::albert::AlbertForSequenceClassification;
use crate::bert::BertForSequenceClassification;
use crate::distilbert::DistilBertModelClassifier;
use crate::electra::ElectraForSequenceClassification;
use crate::fnet::FNetForSequenceClassification;
use crate::longformer::LongformerForSequenceClassification;
use crate::mobilebert::MobileBertForSequenceClassification;
use crate::mpnet::MPNetForSequenceClassification;
use crate::pipelines::common::{
    length_sorted_batches, ConfigOption, ModelResource, ModelType, PaddedBatch, TokenizerOption,
};
use crate::resources::{load_weights, ResourceProvider};
use crate::roberta::RobertaForSequenceClassification;
use crate::xlnet::XLNetForSequenceClassification;
use crate::RustBertError;
use rust_tokenizers::tokenizer::TruncationStrategy;
use rust_tokenizers::TokenizedInput;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

#[cfg(feature = "remote")]
use crate::{
    distilbert::{DistilBertConfigResources, DistilBertModelResources, DistilBertVocabResources},
    resources::RemoteResource,
};

/// Inputs per forward pass. Batches are cut from the inputs sorted by length, so each pads to
/// little more than its own longest text.
const BATCH_SIZE: usize = 32;

/// A label given to a text by [`SequenceClassificationModel`] (or
/// [`ZeroShotClassificationModel`](crate::pipelines::zero_shot_classification::ZeroShotClassificationModel)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// The label's name (`id2label` of the checkpoint; the candidate label for zero-shot).
    pub text: String,
    /// Its score (a probability, except for regression checkpoints).
    pub score: f64,
    /// Its id (the class index; for zero-shot, the index in the candidate labels).
    pub id: i64,
    /// The index of the text it belongs to, in the input.
    #[serde(default)]
    pub sentence: usize,
}

/// Configuration of a [`SequenceClassificationModel`]: model type, resources, tokenizer options
/// and device.
pub struct SequenceClassificationConfig {
    /// Model architecture.
    pub model_type: ModelType,
    /// Model weights (`.safetensors`, `.bin` or `.ot`).
    pub model_resource: ModelResource,
    /// Model configuration (`config.json` with `id2label`).
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary (`vocab.txt`, `vocab.json`, `spiece.model`, ...).
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer merges (`merges.txt`; BPE tokenizers such as RoBERTa's only).
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Whether the tokenizer lower-cases its input (uncased checkpoints).
    pub lower_case: bool,
    /// Whether the tokenizer strips accents (BERT and ALBERT tokenizers; `None`: their default).
    pub strip_accents: Option<bool>,
    /// Whether the tokenizer adds a space before the text (RoBERTa-style tokenizers).
    pub add_prefix_space: Option<bool>,
    /// Device the model runs on (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights (`None`: float32 on CPU, the file's precision elsewhere).
    pub kind: Option<Kind>,
}

impl SequenceClassificationConfig {
    /// A configuration for the given model type and resources, on CUDA when available.
    #[allow(clippy::too_many_arguments)]
    pub fn new<RC, RV>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
        merges_resource: Option<RV>,
        lower_case: bool,
        strip_accents: impl Into<Option<bool>>,
        add_prefix_space: impl Into<Option<bool>>,
    ) -> SequenceClassificationConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        SequenceClassificationConfig {
            model_type,
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            merges_resource: merges_resource.map(|r| Box::new(r) as Box<_>),
            lower_case,
            strip_accents: strip_accents.into(),
            add_prefix_space: add_prefix_space.into(),
            device: Device::cuda_if_available(),
            kind: None,
        }
    }
}

#[cfg(feature = "remote")]
impl Default for SequenceClassificationConfig {
    /// DistilBERT (uncased) fine-tuned on SST-2: English sentiment, labels NEGATIVE / POSITIVE.
    fn default() -> SequenceClassificationConfig {
        SequenceClassificationConfig::new(
            ModelType::DistilBert,
            ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                DistilBertModelResources::DISTIL_BERT_SST2,
            ))),
            RemoteResource::from_pretrained(DistilBertConfigResources::DISTIL_BERT_SST2),
            RemoteResource::from_pretrained(DistilBertVocabResources::DISTIL_BERT_SST2),
            None,
            true,
            None,
            None,
        )
    }
}

/// A sequence classifier of any supported architecture.
// The variants hold whole models; one is built per pipeline.
#[allow(clippy::large_enum_variant)]
pub enum SequenceClassificationOption {
    /// BERT.
    Bert(BertForSequenceClassification),
    /// DistilBERT.
    DistilBert(DistilBertModelClassifier),
    /// RoBERTa.
    Roberta(RobertaForSequenceClassification),
    /// XLM-RoBERTa (RoBERTa's architecture).
    XLMRoberta(RobertaForSequenceClassification),
    /// ALBERT.
    Albert(AlbertForSequenceClassification),
    /// ELECTRA.
    Electra(ElectraForSequenceClassification),
    /// MobileBERT.
    MobileBert(MobileBertForSequenceClassification),
    /// FNet (each text runs unpadded: FNet has no attention mask).
    FNet(FNetForSequenceClassification),
    /// Longformer (global attention on `<s>`, as HF's head puts it).
    Longformer(LongformerForSequenceClassification),
    /// DeBERTa.
    Deberta(crate::deberta::DebertaForSequenceClassification),
    /// DeBERTa-v2/v3.
    DebertaV2(crate::deberta_v2::DebertaV2ForSequenceClassification),
    /// XLNet.
    XLNet(XLNetForSequenceClassification),
    /// BART (the decoder state at the last end token).
    Bart(crate::bart::BartForSequenceClassification),
    /// MPNet.
    MPNet(MPNetForSequenceClassification),
}

/// The class logits of one classifier head, whatever its architecture's `forward_t` takes.
pub(crate) trait ClassifierLogits {
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError>;
}

/// BERT-style heads take every input of the trait.
macro_rules! classifier_logits {
    ($($model:ty),+) => {$(
        impl ClassifierLogits for $model {
            fn logits(
                &self,
                input_ids: Option<&Tensor>,
                mask: Option<&Tensor>,
                token_type_ids: Option<&Tensor>,
                position_ids: Option<&Tensor>,
                input_embeds: Option<&Tensor>,
                train: bool,
            ) -> Result<Tensor, RustBertError> {
                let output = self.try_forward_t(
                    input_ids,
                    mask,
                    token_type_ids,
                    position_ids,
                    input_embeds,
                    train,
                )?;
                Ok(output.logits)
            }
        }
    )+};
}

classifier_logits!(
    BertForSequenceClassification,
    RobertaForSequenceClassification,
    AlbertForSequenceClassification,
    ElectraForSequenceClassification
);

impl ClassifierLogits for MobileBertForSequenceClassification {
    /// MobileBERT's trigram input shows the last token its padded neighbour: runs of equally
    /// long texts are cut to their length instead (`pipelines::unpadded::forward_unpadded`),
    /// so a text scores as it does alone, as in HF's pipelines. (rust-bert's MobileBERT takes
    /// the mask last.)
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        match (input_ids, position_ids, input_embeds) {
            (Some(ids), None, None) => {
                let mut outputs = crate::pipelines::unpadded::forward_unpadded(
                    ids,
                    token_type_ids,
                    mask,
                    false,
                    |ids, types| {
                        Ok(vec![
                            self.forward_t(Some(ids), types, None, None, None, train)?
                                .logits,
                        ])
                    },
                )?;
                Ok(outputs.remove(0))
            }
            _ => Ok(self
                .forward_t(
                    input_ids,
                    token_type_ids,
                    position_ids,
                    input_embeds,
                    mask,
                    train,
                )?
                .logits),
        }
    }
}

impl ClassifierLogits for FNetForSequenceClassification {
    /// FNet takes no mask: each run of equally long texts is cut to its length instead (see
    /// `pipelines::unpadded::forward_unpadded`), so a text scores as it does alone, as in HF.
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        match (input_ids, position_ids, input_embeds) {
            (Some(ids), None, None) => {
                let mut outputs = crate::pipelines::unpadded::forward_unpadded(
                    ids,
                    token_type_ids,
                    mask,
                    false,
                    |ids, types| {
                        Ok(vec![
                            self.forward_t(Some(ids), types, None, None, train)?.logits,
                        ])
                    },
                )?;
                Ok(outputs.remove(0))
            }
            _ => Ok(self
                .forward_t(input_ids, token_type_ids, position_ids, input_embeds, train)?
                .logits),
        }
    }
}

impl ClassifierLogits for LongformerForSequenceClassification {
    /// Longformer's head puts global attention on `<s>` itself.
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let output = self.forward_t(
            input_ids,
            mask,
            None,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(output.logits)
    }
}

/// DeBERTa's heads (v1 and v2 share them) return `Result` from `forward_t` itself, as in
/// rust-bert.
impl<M: crate::deberta::DebertaBackbone> ClassifierLogits
    for crate::deberta::GenericDebertaForSequenceClassification<M>
{
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let output = self.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(output.logits)
    }
}

impl ClassifierLogits for XLNetForSequenceClassification {
    /// XLNet has no position ids (its positions are relative).
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        _position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let output = self.try_forward_t(
            input_ids,
            mask,
            None,
            None,
            None,
            token_type_ids,
            input_embeds,
            train,
        )?;
        Ok(output.logits)
    }
}

impl ClassifierLogits for crate::bart::BartForSequenceClassification {
    /// BART reads ids and the mask only (no token types, learned positions of its own).
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        _token_type_ids: Option<&Tensor>,
        _position_ids: Option<&Tensor>,
        _input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let input_ids = input_ids.ok_or_else(|| {
            RustBertError::ValueError("BART classification needs input_ids".to_string())
        })?;
        Ok(self
            .try_forward_t(input_ids, mask, None, None, None, train)?
            .decoder_output)
    }
}

impl ClassifierLogits for MPNetForSequenceClassification {
    /// MPNet has no token types.
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        _token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        Ok(self
            .try_forward_t(input_ids, mask, position_ids, input_embeds, train)?
            .logits)
    }
}

impl ClassifierLogits for DistilBertModelClassifier {
    /// DistilBERT has no token types, and computes its own positions.
    fn logits(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        _token_type_ids: Option<&Tensor>,
        _position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        Ok(self.forward_t(input_ids, mask, input_embeds, train)?.logits)
    }
}

/// The model types the classification pipelines support, named in errors.
pub(crate) const SUPPORTED: &str =
    "BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA, MobileBERT, FNet, Longformer, DeBERTa, DeBERTa-v2, XLNet, BART, MPNet";

/// Refuses a model type the pipelines cannot run, before any resource is fetched.
pub(crate) fn check_supported(model_type: ModelType, task: &str) -> Result<(), RustBertError> {
    match model_type {
        ModelType::Bert
        | ModelType::DistilBert
        | ModelType::Roberta
        | ModelType::XLMRoberta
        | ModelType::Albert
        | ModelType::Electra
        | ModelType::MobileBert
        | ModelType::FNet
        | ModelType::Longformer
        | ModelType::Deberta
        | ModelType::DebertaV2
        | ModelType::XLNet
        | ModelType::Bart
        | ModelType::MPNet => Ok(()),
        other => Err(RustBertError::UnsupportedError(format!(
            "{task} is not available for {other:?} models in this crate yet (supported: {SUPPORTED})"
        ))),
    }
}

impl SequenceClassificationOption {
    /// Builds the classifier the configuration describes and loads its weights.
    ///
    /// # Errors
    /// `UnsupportedError` for an architecture without a classifier here; errors reading the
    /// configuration (including a missing `id2label`) or the weights.
    pub fn new(config: &SequenceClassificationConfig) -> Result<Self, RustBertError> {
        check_supported(config.model_type, "sequence classification")?;
        let config_path = config.config_resource.get_local_path()?;
        let model_config = ConfigOption::from_file(config.model_type, &config_path)?;
        let (model, _) = Self::load(
            config.model_type,
            &model_config,
            &config.model_resource,
            config.device,
            config.kind,
        )?;
        Ok(model)
    }

    /// Builds the classifier of `model_type` from its configuration, loads its weights and
    /// returns it with its variables.
    pub(crate) fn load(
        model_type: ModelType,
        model_config: &ConfigOption,
        weights: &ModelResource,
        device: Device,
        kind: Option<Kind>,
    ) -> Result<(Self, VarStore), RustBertError> {
        let mut var_store = VarStore::new(device);
        let root = var_store.root();
        let _deferred = crate::common::layers::linear::defer_init();
        let model = match (model_type, model_config) {
            (ModelType::Bert, ConfigOption::Bert(config)) => {
                Self::Bert(BertForSequenceClassification::new(&root, config)?)
            }
            (ModelType::DistilBert, ConfigOption::DistilBert(config)) => {
                Self::DistilBert(DistilBertModelClassifier::new(&root, config)?)
            }
            (ModelType::Roberta, ConfigOption::Roberta(config)) => {
                Self::Roberta(RobertaForSequenceClassification::new(&root, config)?)
            }
            (ModelType::XLMRoberta, ConfigOption::Roberta(config)) => {
                Self::XLMRoberta(RobertaForSequenceClassification::new(&root, config)?)
            }
            (ModelType::Albert, ConfigOption::Albert(config)) => {
                Self::Albert(AlbertForSequenceClassification::new(&root, config)?)
            }
            (ModelType::Electra, ConfigOption::Electra(config)) => {
                Self::Electra(ElectraForSequenceClassification::new(&root, config)?)
            }
            (ModelType::MobileBert, ConfigOption::MobileBert(config)) => {
                Self::MobileBert(MobileBertForSequenceClassification::new(&root, config)?)
            }
            (ModelType::FNet, ConfigOption::FNet(config)) => {
                Self::FNet(FNetForSequenceClassification::new(&root, config)?)
            }
            (ModelType::Longformer, ConfigOption::Longformer(config)) => {
                Self::Longformer(LongformerForSequenceClassification::new(&root, config)?)
            }
            (ModelType::Deberta, ConfigOption::Deberta(config)) => Self::Deberta(
                crate::deberta::DebertaForSequenceClassification::new(&root, config)?,
            ),
            (ModelType::DebertaV2, ConfigOption::DebertaV2(config)) => Self::DebertaV2(
                crate::deberta_v2::DebertaV2ForSequenceClassification::new(&root, config)?,
            ),
            (ModelType::XLNet, ConfigOption::XLNet(config)) => {
                Self::XLNet(XLNetForSequenceClassification::new(&root, config)?)
            }
            (ModelType::Bart, ConfigOption::Bart(config)) => Self::Bart(
                crate::bart::BartForSequenceClassification::new(&root, config)?,
            ),
            (ModelType::MPNet, ConfigOption::MPNet(config)) => {
                Self::MPNet(MPNetForSequenceClassification::new(&root, config)?)
            }
            (
                ModelType::Bert
                | ModelType::DistilBert
                | ModelType::Roberta
                | ModelType::XLMRoberta
                | ModelType::Albert
                | ModelType::Electra
                | ModelType::MobileBert
                | ModelType::FNet
                | ModelType::Longformer
                | ModelType::Deberta
                | ModelType::DebertaV2
                | ModelType::XLNet
                | ModelType::Bart
                | ModelType::MPNet,
                other,
            ) => {
                return Err(RustBertError::InvalidConfigurationError(format!(
                    "model type {model_type:?} does not match the configuration given ({})",
                    config_name(other)
                )))
            }
            (other, _) => {
                return Err(RustBertError::UnsupportedError(format!(
                "no sequence classifier for {other:?} in this crate yet (supported: {SUPPORTED})"
            )))
            }
        };
        load_weights(weights, &mut var_store, kind, device)?;
        Ok((model, var_store))
    }

    /// The architecture of the classifier.
    pub fn model_type(&self) -> ModelType {
        match self {
            Self::Bert(_) => ModelType::Bert,
            Self::DistilBert(_) => ModelType::DistilBert,
            Self::Roberta(_) => ModelType::Roberta,
            Self::XLMRoberta(_) => ModelType::XLMRoberta,
            Self::Albert(_) => ModelType::Albert,
            Self::Electra(_) => ModelType::Electra,
            Self::MobileBert(_) => ModelType::MobileBert,
            Self::FNet(_) => ModelType::FNet,
            Self::Longformer(_) => ModelType::Longformer,
            Self::Deberta(_) => ModelType::Deberta,
            Self::DebertaV2(_) => ModelType::DebertaV2,
            Self::XLNet(_) => ModelType::XLNet,
            Self::Bart(_) => ModelType::Bart,
            Self::MPNet(_) => ModelType::MPNet,
        }
    }

    /// Class logits `[batch, num_labels]` of the wrapped model (arguments as the models'
    /// `forward_t`; DistilBERT ignores token types and position ids).
    ///
    /// Unlike rust-bert (which panics inside), errors of the model are returned.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let head: &dyn ClassifierLogits = match self {
            Self::Bert(model) => model,
            Self::DistilBert(model) => model,
            Self::Roberta(model) | Self::XLMRoberta(model) => model,
            Self::Albert(model) => model,
            Self::Electra(model) => model,
            Self::MobileBert(model) => model,
            Self::FNet(model) => model,
            Self::Longformer(model) => model,
            Self::Deberta(model) => model,
            Self::DebertaV2(model) => model,
            Self::XLNet(model) => model,
            Self::Bart(model) => model,
            Self::MPNet(model) => model,
        };
        head.logits(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )
    }
}

fn config_name(config: &ConfigOption) -> &'static str {
    config.description()
}

/// Runs `forward` on the encoded inputs in length-sorted, padded batches and returns each
/// input's logits in input order (float32 on the CPU).
pub(crate) fn batched_logits<F>(
    tokenizer: &TokenizerOption,
    inputs: &[TokenizedInput],
    device: Device,
    forward: F,
) -> Result<Vec<Vec<f32>>, RustBertError>
where
    F: Fn(&PaddedBatch) -> Result<Tensor, RustBertError>,
{
    let lengths: Vec<usize> = inputs.iter().map(|input| input.token_ids.len()).collect();
    let mut rows = vec![Vec::new(); inputs.len()];
    for batch in length_sorted_batches(&lengths, BATCH_SIZE) {
        let members: Vec<TokenizedInput> = batch.iter().map(|&i| inputs[i].clone()).collect();
        let padded = tokenizer.pad_batch(&members, tokenizer.default_padding_side(), device);
        let logits = crate::common::error::guarded("sequence classification", || {
            tch::no_grad(|| forward(&padded))
        })?;
        let logits = logits.f_to_device(Device::Cpu)?.f_to_kind(Kind::Float)?;
        let size = logits.size();
        let width = match size.as_slice() {
            [n, width] if *n == batch.len() as i64 => *width as usize,
            _ => {
                return Err(RustBertError::ValueError(format!(
                    "the classifier returned logits of shape {size:?} for a batch of {}",
                    batch.len()
                )))
            }
        };
        let values = Vec::<f32>::try_from(logits.f_flatten(0, -1)?)?;
        for (row, &index) in values.chunks(width.max(1)).zip(&batch) {
            rows[index] = row.to_vec();
        }
    }
    Ok(rows)
}

/// How logits become scores (HF's `function_to_apply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScoreFunction {
    Softmax,
    Sigmoid,
    Identity,
}

impl ScoreFunction {
    /// HF's default: raw logits for regression, a sigmoid for multi-label checkpoints and single
    /// outputs, a softmax otherwise.
    fn default_for(problem_type: Option<&str>, num_labels: usize) -> Self {
        match problem_type {
            Some("regression") => Self::Identity,
            Some("multi_label_classification") => Self::Sigmoid,
            _ if num_labels == 1 => Self::Sigmoid,
            _ => Self::Softmax,
        }
    }

    fn apply(self, logits: &[f32]) -> Vec<f64> {
        let logits = logits.iter().map(|&x| f64::from(x));
        match self {
            Self::Identity => logits.collect(),
            Self::Sigmoid => logits.map(|x| 1.0 / (1.0 + (-x).exp())).collect(),
            Self::Softmax => softmax(&logits.collect::<Vec<_>>()),
        }
    }
}

/// A numerically stable softmax (the maximum is subtracted first).
pub(crate) fn softmax(values: &[f64]) -> Vec<f64> {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = values.iter().map(|&x| (x - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// The `problem_type` of an HF `config.json` (absent from the typed configurations).
fn read_problem_type(path: &Path) -> Result<Option<String>, RustBertError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| RustBertError::IOError(format!("cannot read {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        RustBertError::InvalidConfigurationError(format!("{}: {e}", path.display()))
    })?;
    Ok(value
        .get("problem_type")
        .and_then(|v| v.as_str())
        .map(str::to_string))
}

/// Sequence classification pipeline: texts in, one label (or several) per text out.
pub struct SequenceClassificationModel {
    tokenizer: TokenizerOption,
    sequence_classifier: SequenceClassificationOption,
    label_mapping: HashMap<i64, String>,
    score_function: ScoreFunction,
    device: Device,
    max_length: usize,
    // Keeps the variables' store with the model (precision and device changes go through it).
    _var_store: VarStore,
}

impl SequenceClassificationModel {
    /// Builds the pipeline: tokenizer, model and weights from the configuration's resources.
    ///
    /// # Errors
    /// `UnsupportedError` for an architecture without a classifier here (checked before any
    /// download); errors fetching or reading the resources; `InvalidConfigurationError` when
    /// the configuration has no `id2label`.
    pub fn new(
        config: SequenceClassificationConfig,
    ) -> Result<SequenceClassificationModel, RustBertError> {
        check_supported(config.model_type, "sequence classification")?;
        let tokenizer = TokenizerOption::from_resources(
            config.model_type,
            config.vocab_resource.as_ref(),
            config.merges_resource.as_deref(),
            config.lower_case,
            config.strip_accents,
            config.add_prefix_space,
        )?;
        Self::new_with_tokenizer(config, tokenizer)
    }

    /// Builds the pipeline with a tokenizer of your own (the configuration's vocabulary and
    /// merges resources are not used).
    ///
    /// # Errors
    /// As [`SequenceClassificationModel::new`].
    pub fn new_with_tokenizer(
        config: SequenceClassificationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<SequenceClassificationModel, RustBertError> {
        check_supported(config.model_type, "sequence classification")?;
        let config_path = config.config_resource.get_local_path()?;
        let model_config = ConfigOption::from_file(config.model_type, &config_path)?;
        tokenizer.check_model_vocab(model_config.get_vocab_size())?;
        let label_mapping = model_config.get_label_mapping()?.clone();
        let problem_type = read_problem_type(&config_path)?;
        let (sequence_classifier, var_store) = SequenceClassificationOption::load(
            config.model_type,
            &model_config,
            &config.model_resource,
            config.device,
            config.kind,
        )?;
        Ok(SequenceClassificationModel {
            tokenizer,
            sequence_classifier,
            score_function: ScoreFunction::default_for(
                problem_type.as_deref(),
                label_mapping.len(),
            ),
            label_mapping,
            device: config.device,
            max_length: max_length(&model_config),
            _var_store: var_store,
        })
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        &self.tokenizer
    }

    /// The tokenizer, mutably (e.g. to add tokens).
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        &mut self.tokenizer
    }

    /// Classifies each text: its most likely label and that label's score (HF's
    /// `text-classification` pipeline with its default `top_k=1`).
    ///
    /// Texts longer than the model's maximum are truncated; an empty input gives an empty
    /// output.
    ///
    /// # Panics
    /// When [`SequenceClassificationModel::try_predict`] returns an error (the model fails,
    /// which no text input causes); call it to get the `RustBertError` instead. This signature
    /// is rust-bert 0.23's.
    #[allow(clippy::panic)]
    pub fn predict<'a, S>(&self, input: S) -> Vec<Label>
    where
        S: AsRef<[&'a str]>,
    {
        match self.try_predict(input) {
            Ok(labels) => labels,
            Err(error) => panic!("predict: {error}"),
        }
    }

    /// [`SequenceClassificationModel::predict`], with the model's errors returned.
    pub fn try_predict<'a, S>(&self, input: S) -> Result<Vec<Label>, RustBertError>
    where
        S: AsRef<[&'a str]>,
    {
        let scores = self.scores(input.as_ref(), self.score_function)?;
        Ok(scores
            .into_iter()
            .enumerate()
            .filter_map(|(sentence, scores)| {
                let (id, score) = argmax(&scores)?;
                Some(self.label(id, score, sentence))
            })
            .collect())
    }

    /// Multi-label classification: for each text, every label whose sigmoid score is at least
    /// `threshold`, sorted by decreasing score (HF's `top_k=None, function_to_apply="sigmoid"`
    /// filtered by the threshold). A text with no such label gets an empty list.
    ///
    /// # Errors
    /// Errors of the model (no text input causes one).
    pub fn predict_multilabel(
        &self,
        input: &[&str],
        threshold: f64,
    ) -> Result<Vec<Vec<Label>>, RustBertError> {
        let scores = self.scores(input, ScoreFunction::Sigmoid)?;
        Ok(scores
            .into_iter()
            .enumerate()
            .map(|(sentence, scores)| {
                let mut labels: Vec<Label> = scores
                    .into_iter()
                    .enumerate()
                    .filter(|(_, score)| *score >= threshold)
                    .map(|(id, score)| self.label(id, score, sentence))
                    .collect();
                sort_by_score(&mut labels);
                labels
            })
            .collect())
    }

    fn label(&self, id: usize, score: f64, sentence: usize) -> Label {
        let id = id as i64;
        Label {
            // A checkpoint whose id2label skips an id still gets a name for it (HF's default).
            text: self
                .label_mapping
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("LABEL_{id}")),
            score,
            id,
            sentence,
        }
    }

    /// Each text's scores, one per class.
    fn scores(
        &self,
        texts: &[&str],
        function: ScoreFunction,
    ) -> Result<Vec<Vec<f64>>, RustBertError> {
        let inputs = self.tokenizer.encode_list(
            texts,
            self.max_length,
            &TruncationStrategy::LongestFirst,
            0,
        );
        let logits = batched_logits(&self.tokenizer, &inputs, self.device, |batch| {
            self.sequence_classifier.forward_t(
                Some(&batch.input_ids),
                Some(&batch.attention_mask),
                Some(&batch.token_type_ids),
                None,
                None,
                false,
            )
        })?;
        Ok(logits.iter().map(|row| function.apply(row)).collect())
    }
}

/// Inputs of models without a position limit (XLNet) are cut at this many tokens, XLNet's
/// pretraining length: HF's XLNet tokenizer has no limit, and a 100k-character text would
/// need a 30k x 30k attention matrix per head.
pub(crate) const UNLIMITED_MODEL_MAX_LENGTH: usize = 512;

/// The longest input of the model, in tokens ([`UNLIMITED_MODEL_MAX_LENGTH`] when the
/// configuration has no limit).
pub(crate) fn max_length(config: &ConfigOption) -> usize {
    config
        .get_max_len()
        .and_then(|len| usize::try_from(len).ok())
        .filter(|&len| len > 0)
        .unwrap_or(UNLIMITED_MODEL_MAX_LENGTH)
}

/// The first maximum and its index, as numpy's `argmax` (`None` for no values).
pub(crate) fn argmax(values: &[f64]) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &value) in values.iter().enumerate() {
        match best {
            Some((_, top)) if value <= top || value.is_nan() => {}
            _ => best = Some((i, value)),
        }
    }
    best
}

/// Sorts labels by decreasing score, ties in id order (NaN scores last).
pub(crate) fn sort_by_score(labels: &mut [Label]) {
    labels.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or_else(|| a.score.is_nan().cmp(&b.score.is_nan()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hf_default_score_function() {
        assert_eq!(ScoreFunction::default_for(None, 3), ScoreFunction::Softmax);
        assert_eq!(ScoreFunction::default_for(None, 1), ScoreFunction::Sigmoid);
        assert_eq!(
            ScoreFunction::default_for(Some("multi_label_classification"), 3),
            ScoreFunction::Sigmoid
        );
        assert_eq!(
            ScoreFunction::default_for(Some("regression"), 1),
            ScoreFunction::Identity
        );
        assert_eq!(
            ScoreFunction::default_for(Some("single_label_classification"), 2),
            ScoreFunction::Softmax
        );
    }

    #[test]
    fn softmax_is_stable_and_normalised() {
        let p = softmax(&[1000.0, 1000.0, 999.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((p[0] - p[1]).abs() < 1e-15 && p[2] < p[0]);
    }

    #[test]
    fn unsupported_types_are_refused() {
        assert!(check_supported(ModelType::Bert, "x").is_ok());
        assert!(matches!(
            check_supported(ModelType::GPT2, "x"),
            Err(RustBertError::UnsupportedError(_))
        ));
    }

    #[test]
    fn labels_sort_by_decreasing_score_ties_in_id_order() {
        let label = |id, score| Label {
            text: String::new(),
            score,
            id,
            sentence: 0,
        };
        let mut labels = vec![
            label(0, 0.1),
            label(1, f64::NAN),
            label(2, 0.5),
            label(3, 0.1),
        ];
        sort_by_score(&mut labels);
        let ids: Vec<i64> = labels.iter().map(|l| l.id).collect();
        assert_eq!(ids, vec![2, 0, 3, 1]);
    }
}
