//! # Zero-shot classification pipeline
//!
//! Classifies texts into labels chosen at prediction time, with a model fine-tuned on natural
//! language inference (NLI). Each text is the premise; each candidate label, put into a template
//! (default `"This example is {}."`, HF's), the hypothesis. As HF's `zero-shot-classification`
//! pipeline does:
//! - [`predict`](ZeroShotClassificationModel::predict) (one true label): a softmax over the
//!   candidate labels of the *entailment* logits; the best label is returned;
//! - [`predict_multilabel`](ZeroShotClassificationModel::predict_multilabel) (any number of true
//!   labels): for each label on its own, a softmax of its *contradiction* and *entailment*
//!   logits; every label is returned, by decreasing score.
//!
//! The entailment class is the first label of the configuration's `id2label` whose name starts
//! with `entail` (any case), else the last class; the contradiction class is the first, or the
//! last when entailment is the first. With a single candidate label, `predict` scores it as
//! `predict_multilabel` does (HF's rule: a softmax over one label would always give 1).
//!
//! Supported architectures: BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA,
//! MobileBERT, FNet, Longformer, DeBERTa, DeBERTa-v2/v3, XLNet, BART and MPNet. The `Default`
//! configuration is rust-bert's, BART-large fine-tuned on MNLI.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::common::{ModelResource, ModelType};
//! use rust_bert::pipelines::zero_shot_classification::{
//!     ZeroShotClassificationConfig, ZeroShotClassificationModel,
//! };
//! use rust_bert::resources::LocalResource;
//! use std::path::PathBuf;
//!
//! let dir = PathBuf::from("roberta-large-mnli");
//! let config = ZeroShotClassificationConfig::new(
//!     ModelType::Roberta,
//!     ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
//!     LocalResource::from(dir.join("config.json")),
//!     LocalResource::from(dir.join("vocab.json")),
//!     Some(LocalResource::from(dir.join("merges.txt"))),
//!     false,
//!     None,
//!     None,
//! );
//! let model = ZeroShotClassificationModel::new(config)?;
//! let labels = ["politics", "public health", "economics", "sports"];
//! let best = model.predict(["Who are you voting for in 2020?"], labels, None, 128)?;
//! let all = model.predict_multilabel(
//!     ["The prime minister has announced a stimulus package."],
//!     labels,
//!     Some(Box::new(|label: &str| format!("This text is about {label}."))),
//!     128,
//! )?;
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
use crate::pipelines::common::{ConfigOption, ModelResource, ModelType, TokenizerOption};
use crate::pipelines::sequence_classification::{
    argmax, batched_logits, check_supported, max_length, softmax, sort_by_score, ClassifierLogits,
    Label, SequenceClassificationOption,
};
use crate::resources::ResourceProvider;
use crate::roberta::RobertaForSequenceClassification;
use crate::RustBertError;
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::collections::HashMap;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

#[cfg(feature = "remote")]
use crate::resources::RemoteResource;

const TASK: &str = "zero-shot classification";

/// rust-bert's default zero-shot model, facebook/bart-large-mnli, as `(cache subdirectory,
/// URL)`. (They belong in a `bart` module's resource constants once BART is in the crate.)
#[cfg(feature = "remote")]
mod bart_mnli {
    pub const MODEL: (&str, &str) = (
        "bart-large-mnli/model",
        "https://huggingface.co/facebook/bart-large-mnli/resolve/main/rust_model.ot",
    );
    pub const CONFIG: (&str, &str) = (
        "bart-large-mnli/config",
        "https://huggingface.co/facebook/bart-large-mnli/resolve/main/config.json",
    );
    pub const VOCAB: (&str, &str) = (
        "bart-large-mnli/vocab",
        "https://huggingface.co/roberta-large/resolve/main/vocab.json",
    );
    pub const MERGES: (&str, &str) = (
        "bart-large-mnli/merges",
        "https://huggingface.co/roberta-large/resolve/main/merges.txt",
    );
}

/// Turns a candidate label into an NLI hypothesis (e.g. `"sports"` into
/// `"This example is sports."`). The wording matters for accuracy: something close to the use
/// case (`"This review is about {}."`) often works better.
pub type ZeroShotTemplate = Box<dyn Fn(&str) -> String>;

/// HF's default hypothesis template, `"This example is {}."`.
fn default_template(label: &str) -> String {
    format!("This example is {label}.")
}

/// Configuration of a [`ZeroShotClassificationModel`]: model type, resources, tokenizer options
/// and device.
pub struct ZeroShotClassificationConfig {
    /// Model architecture.
    pub model_type: ModelType,
    /// Model weights (an NLI classifier: `.safetensors`, `.bin` or `.ot`).
    pub model_resource: ModelResource,
    /// Model configuration (`config.json`, whose `id2label` names the entailment class).
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary.
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer merges (BPE tokenizers only).
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Whether the tokenizer lower-cases its input.
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

impl ZeroShotClassificationConfig {
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
    ) -> ZeroShotClassificationConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        ZeroShotClassificationConfig {
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
impl Default for ZeroShotClassificationConfig {
    /// rust-bert's default, BART-large fine-tuned on MNLI.
    fn default() -> ZeroShotClassificationConfig {
        ZeroShotClassificationConfig::new(
            ModelType::Bart,
            ModelResource::Torch(Box::new(RemoteResource::from_pretrained(bart_mnli::MODEL))),
            RemoteResource::from_pretrained(bart_mnli::CONFIG),
            RemoteResource::from_pretrained(bart_mnli::VOCAB),
            Some(RemoteResource::from_pretrained(bart_mnli::MERGES)),
            false,
            None,
            None,
        )
    }
}

/// An NLI classifier of any supported architecture.
// The variants hold whole models; one is built per pipeline.
#[allow(clippy::large_enum_variant)]
pub enum ZeroShotClassificationOption {
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
    /// FNet.
    FNet(FNetForSequenceClassification),
    /// Longformer.
    Longformer(LongformerForSequenceClassification),
    /// DeBERTa (microsoft/deberta-base-mnli).
    Deberta(crate::deberta::DebertaForSequenceClassification),
    /// DeBERTa-v2/v3 (DeBERTa-v3 fine-tuned on MNLI is the strongest zero-shot model of
    /// the family).
    DebertaV2(crate::deberta_v2::DebertaV2ForSequenceClassification),
    /// XLNet.
    XLNet(crate::xlnet::XLNetForSequenceClassification),
    /// BART (BART-large-MNLI is the default).
    Bart(crate::bart::BartForSequenceClassification),
    /// MPNet.
    MPNet(MPNetForSequenceClassification),
}

impl From<SequenceClassificationOption> for ZeroShotClassificationOption {
    fn from(model: SequenceClassificationOption) -> Self {
        match model {
            SequenceClassificationOption::Bert(m) => Self::Bert(m),
            SequenceClassificationOption::DistilBert(m) => Self::DistilBert(m),
            SequenceClassificationOption::Roberta(m) => Self::Roberta(m),
            SequenceClassificationOption::XLMRoberta(m) => Self::XLMRoberta(m),
            SequenceClassificationOption::Albert(m) => Self::Albert(m),
            SequenceClassificationOption::Electra(m) => Self::Electra(m),
            SequenceClassificationOption::MobileBert(m) => Self::MobileBert(m),
            SequenceClassificationOption::FNet(m) => Self::FNet(m),
            SequenceClassificationOption::Longformer(m) => Self::Longformer(m),
            SequenceClassificationOption::Deberta(m) => Self::Deberta(m),
            SequenceClassificationOption::DebertaV2(m) => Self::DebertaV2(m),
            SequenceClassificationOption::XLNet(m) => Self::XLNet(m),
            SequenceClassificationOption::Bart(m) => Self::Bart(m),
            SequenceClassificationOption::MPNet(m) => Self::MPNet(m),
        }
    }
}

impl ZeroShotClassificationOption {
    /// Builds the classifier the configuration describes and loads its weights.
    ///
    /// # Errors
    /// `UnsupportedError` for an architecture without a classifier here (before any download);
    /// errors reading the configuration (including a missing `id2label`) or the weights.
    pub fn new(config: &ZeroShotClassificationConfig) -> Result<Self, RustBertError> {
        check_supported(config.model_type, TASK)?;
        let config_path = config.config_resource.get_local_path()?;
        let model_config = ConfigOption::from_file(config.model_type, &config_path)?;
        let (model, _) = Self::load(config, &model_config)?;
        Ok(model)
    }

    fn load(
        config: &ZeroShotClassificationConfig,
        model_config: &ConfigOption,
    ) -> Result<(Self, VarStore), RustBertError> {
        let (model, var_store) = SequenceClassificationOption::load(
            config.model_type,
            model_config,
            &config.model_resource,
            config.device,
            config.kind,
        )?;
        Ok((model.into(), var_store))
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

    /// NLI logits `[batch, num_classes]` of the wrapped model (arguments as the models'
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

/// Which logits mean entailment and contradiction, by HF's rules (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NliClasses {
    entailment: usize,
    contradiction: usize,
}

impl NliClasses {
    fn from_labels(id2label: &HashMap<i64, String>) -> Self {
        let last = id2label.len().saturating_sub(1);
        let mut ids: Vec<(&i64, &String)> = id2label.iter().collect();
        ids.sort();
        let entailment = ids
            .iter()
            .find(|(_, name)| name.to_lowercase().starts_with("entail"))
            .and_then(|(&id, _)| usize::try_from(id).ok())
            .unwrap_or(last);
        let contradiction = if entailment == 0 { last } else { 0 };
        NliClasses {
            entailment,
            contradiction,
        }
    }
}

/// Zero-shot classification pipeline: texts and candidate labels in, scored labels out.
pub struct ZeroShotClassificationModel {
    tokenizer: TokenizerOption,
    zero_shot_classifier: ZeroShotClassificationOption,
    classes: NliClasses,
    device: Device,
    max_length: usize,
    // Keeps the variables' store with the model.
    _var_store: VarStore,
}

impl ZeroShotClassificationModel {
    /// Builds the pipeline: tokenizer, model and weights from the configuration's resources.
    ///
    /// # Errors
    /// `UnsupportedError` for an architecture without a classifier here (checked before any
    /// download); errors fetching or reading the resources;
    /// `InvalidConfigurationError` when the configuration has no `id2label`.
    pub fn new(
        config: ZeroShotClassificationConfig,
    ) -> Result<ZeroShotClassificationModel, RustBertError> {
        check_supported(config.model_type, TASK)?;
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

    /// Builds the pipeline with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`ZeroShotClassificationModel::new`].
    pub fn new_with_tokenizer(
        config: ZeroShotClassificationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<ZeroShotClassificationModel, RustBertError> {
        check_supported(config.model_type, TASK)?;
        let config_path = config.config_resource.get_local_path()?;
        let model_config = ConfigOption::from_file(config.model_type, &config_path)?;
        tokenizer.check_model_vocab(model_config.get_vocab_size())?;
        let classes = NliClasses::from_labels(model_config.get_label_mapping()?);
        let (zero_shot_classifier, var_store) =
            ZeroShotClassificationOption::load(&config, &model_config)?;
        Ok(ZeroShotClassificationModel {
            tokenizer,
            zero_shot_classifier,
            classes,
            device: config.device,
            max_length: max_length(&model_config),
            _var_store: var_store,
        })
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        &self.tokenizer
    }

    /// The tokenizer, mutably.
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        &mut self.tokenizer
    }

    /// Single-label classification: for each text, the most likely of the candidate `labels`
    /// (`id`: its index in `labels`; `sentence`: the text's index).
    ///
    /// `template` turns a label into the hypothesis (`None`: `"This example is {}."`).
    /// Each premise/hypothesis pair is cut to `max_length` tokens (and to the model's maximum),
    /// shortening the text, never the hypothesis (HF's `only_first`; when the hypothesis alone is
    /// too long, both are cut, longest first). No text gives no labels.
    ///
    /// # Errors
    /// `ValueError` when texts are given without any candidate label; errors of the model.
    pub fn predict<'a, S, T>(
        &self,
        inputs: S,
        labels: T,
        template: Option<ZeroShotTemplate>,
        max_length: usize,
    ) -> Result<Vec<Label>, RustBertError>
    where
        S: AsRef<[&'a str]>,
        T: AsRef<[&'a str]>,
    {
        let labels = labels.as_ref();
        let scores = self.scores(inputs.as_ref(), labels, template, max_length, false)?;
        Ok(scores
            .into_iter()
            .enumerate()
            .filter_map(|(sentence, scores)| {
                let (id, score) = argmax(&scores)?;
                Some(candidate(labels, id, score, sentence))
            })
            .collect())
    }

    /// Multi-label classification: for each text, every candidate label with its own
    /// probability of being true (entailment against contradiction), by decreasing score.
    ///
    /// Arguments as [`ZeroShotClassificationModel::predict`].
    ///
    /// # Errors
    /// `ValueError` when texts are given without any candidate label; errors of the model.
    pub fn predict_multilabel<'a, S, T>(
        &self,
        inputs: S,
        labels: T,
        template: Option<ZeroShotTemplate>,
        max_length: usize,
    ) -> Result<Vec<Vec<Label>>, RustBertError>
    where
        S: AsRef<[&'a str]>,
        T: AsRef<[&'a str]>,
    {
        let labels = labels.as_ref();
        let scores = self.scores(inputs.as_ref(), labels, template, max_length, true)?;
        Ok(scores
            .into_iter()
            .enumerate()
            .map(|(sentence, scores)| {
                let mut result: Vec<Label> = scores
                    .into_iter()
                    .enumerate()
                    .map(|(id, score)| candidate(labels, id, score, sentence))
                    .collect();
                sort_by_score(&mut result);
                result
            })
            .collect())
    }

    /// For each text, one score per candidate label (in label order).
    fn scores(
        &self,
        inputs: &[&str],
        labels: &[&str],
        template: Option<ZeroShotTemplate>,
        max_length: usize,
        multi_label: bool,
    ) -> Result<Vec<Vec<f64>>, RustBertError> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        if labels.is_empty() {
            return Err(RustBertError::ValueError(
                "zero-shot classification needs at least one candidate label".to_string(),
            ));
        }
        let template = template.unwrap_or_else(|| Box::new(default_template));
        let hypotheses: Vec<String> = labels.iter().map(|label| template(label)).collect();
        let pairs: Vec<(&str, &str)> = inputs
            .iter()
            .flat_map(|&input| hypotheses.iter().map(move |h| (input, h.as_str())))
            .collect();
        let encoded = self.tokenizer.encode_pair_list(
            &pairs,
            max_length.min(self.max_length),
            &TruncationStrategy::OnlyFirst,
            0,
        );
        let logits = batched_logits(&self.tokenizer, &encoded, self.device, |batch| {
            self.zero_shot_classifier.forward_t(
                Some(&batch.input_ids),
                Some(&batch.attention_mask),
                Some(&batch.token_type_ids),
                None,
                None,
                false,
            )
        })?;
        let classes = self.classes;
        let logit = |row: &[f32], class: usize| {
            row.get(class).map(|&x| f64::from(x)).ok_or_else(|| {
                RustBertError::ValueError(format!(
                    "the classifier gave {} logits; class {class} was expected",
                    row.len()
                ))
            })
        };
        logits
            .chunks(labels.len())
            .map(|rows| {
                let entailment = rows
                    .iter()
                    .map(|row| logit(row, classes.entailment))
                    .collect::<Result<Vec<_>, _>>()?;
                if multi_label || labels.len() == 1 {
                    rows.iter()
                        .zip(&entailment)
                        .map(|(row, &e)| {
                            let c = logit(row, classes.contradiction)?;
                            Ok(1.0 / (1.0 + (c - e).exp()))
                        })
                        .collect()
                } else {
                    Ok(softmax(&entailment))
                }
            })
            .collect()
    }
}

fn candidate(labels: &[&str], id: usize, score: f64, sentence: usize) -> Label {
    Label {
        text: labels.get(id).map(|l| l.to_string()).unwrap_or_default(),
        score,
        id: id as i64,
        sentence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> HashMap<i64, String> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (i as i64, n.to_string()))
            .collect()
    }

    #[test]
    fn nli_classes_follow_hf() {
        let mnli = NliClasses::from_labels(&labels(&["contradiction", "neutral", "entailment"]));
        assert_eq!((mnli.entailment, mnli.contradiction), (2, 0));
        let first = NliClasses::from_labels(&labels(&["ENTAILMENT", "neutral", "contradiction"]));
        assert_eq!((first.entailment, first.contradiction), (0, 2));
        let rte = NliClasses::from_labels(&labels(&["not_entailment", "entailment"]));
        assert_eq!((rte.entailment, rte.contradiction), (1, 0));
        let unnamed = NliClasses::from_labels(&labels(&["LABEL_0", "LABEL_1", "LABEL_2"]));
        assert_eq!((unnamed.entailment, unnamed.contradiction), (2, 0));
    }

    #[test]
    fn default_template_is_hf_s() {
        assert_eq!(default_template("sports"), "This example is sports.");
    }
}
