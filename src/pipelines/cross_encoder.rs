//! # Cross-encoder reranking (sentence-transformers' `CrossEncoder`)
//!
//! A cross-encoder reads a query and a passage together, as one `(query, passage)` pair, and
//! scores how well they match: more accurate than comparing sentence embeddings, and the usual
//! second stage of a search (retrieve candidates with embeddings, rerank them here). Any
//! sequence-classification checkpoint of the crate (BERT, RoBERTa, ELECTRA, MPNet, ...) runs as
//! one, e.g. `cross-encoder/ms-marco-MiniLM-L6-v2`.
//!
//! Scores follow `CrossEncoder.predict` (sentence-transformers 6.3): the logits, through the
//! activation the checkpoint's `config.json` names (`sentence_transformers.activation_fn`, or
//! the older `sbert_ce_default_activation_function`), else a sigmoid for one-label models and
//! none otherwise; [`CrossEncoderConfig::apply_softmax`] adds a softmax over the labels, as its
//! `apply_softmax=True`. [`CrossEncoderModel::rank`] scores a query against passages and sorts
//! them as `CrossEncoder.rank`. Pairs are truncated to the model's maximum length longest-first
//! (HF's `truncation=True`) and run in length-sorted batches.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::common::{ModelResource, ModelType};
//! use rust_bert::pipelines::cross_encoder::{CrossEncoderConfig, CrossEncoderModel};
//! use rust_bert::resources::LocalResource;
//!
//! let dir = std::path::PathBuf::from("path/to/ms-marco-MiniLM-L6-v2");
//! let config = CrossEncoderConfig::new(
//!     ModelType::Bert,
//!     ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
//!     LocalResource::from(dir.join("config.json")),
//!     LocalResource::from(dir.join("vocab.txt")),
//!     None,
//!     true,
//! );
//! let model = CrossEncoderModel::new(config)?;
//! let query = "How many people live in Berlin?";
//! let passages = [
//!     "Berlin had a population of 3,520,031 registered inhabitants.",
//!     "Berlin is well known for its museums.",
//! ];
//! for (index, score) in model.rank(query, &passages, Some(1))? {
//!     println!("{score:.3} {}", passages[index]);
//! }
//! # Ok(())
//! # }
//! ```
use crate::pipelines::common::{
    length_sorted_batches, ConfigOption, ModelResource, ModelType, TokenizerOption,
};
use crate::pipelines::sequence_classification::{
    check_supported, max_length, softmax, SequenceClassificationOption,
};
use crate::resources::ResourceProvider;
use crate::RustBertError;
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::Path;
use tch::nn::VarStore;
use tch::{Device, Kind};

/// Pairs per forward pass by default (`CrossEncoder.predict`'s `batch_size`).
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// What turns a pair's logits into its scores (`CrossEncoder`'s `activation_fn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossEncoderActivation {
    /// `1 / (1 + e^-x)` per label (the default of one-label models).
    Sigmoid,
    /// The logits themselves (the default of models with several labels).
    Identity,
    /// `tanh(x)` per label.
    Tanh,
}

impl CrossEncoderActivation {
    /// The activation a checkpoint's `config.json` names, else sentence-transformers' default
    /// for `num_labels`.
    ///
    /// # Errors
    /// An activation other than sigmoid, identity and tanh (`UnsupportedError`, naming it), or a
    /// file that cannot be read.
    pub fn from_config_file(path: &Path, num_labels: usize) -> Result<Self, RustBertError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RustBertError::IOError(format!("cannot read {}: {e}", path.display())))?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            RustBertError::InvalidConfigurationError(format!("{}: {e}", path.display()))
        })?;
        let named = json
            .get("sentence_transformers")
            .and_then(|st| st.get("activation_fn"))
            .or_else(|| json.get("sbert_ce_default_activation_function"))
            .and_then(serde_json::Value::as_str);
        match named {
            None if num_labels == 1 => Ok(Self::Sigmoid),
            None => Ok(Self::Identity),
            Some(path_name) => match path_name.rsplit('.').next() {
                Some("Sigmoid") => Ok(Self::Sigmoid),
                Some("Identity") => Ok(Self::Identity),
                Some("Tanh") => Ok(Self::Tanh),
                _ => Err(RustBertError::UnsupportedError(format!(
                    "{}: cross-encoder activation `{path_name}` is not supported (sigmoid, \
                     identity, tanh)",
                    path.display()
                ))),
            },
        }
    }

    fn apply(self, x: f64) -> f64 {
        match self {
            Self::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Self::Identity => x,
            Self::Tanh => x.tanh(),
        }
    }
}

/// Configuration of a [`CrossEncoderModel`]: the sequence-classification checkpoint, its
/// tokenizer, where to run, how long and how many pairs at once.
pub struct CrossEncoderConfig {
    /// Model architecture (any with a sequence classifier in the crate).
    pub model_type: ModelType,
    /// Model weights (`.safetensors`, `.bin` or `.ot`).
    pub model_resource: ModelResource,
    /// Model configuration (`config.json`).
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary (`vocab.txt`, `vocab.json`, `spiece.model`, ...).
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer merges (BPE tokenizers such as RoBERTa's only).
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Whether the tokenizer lower-cases its input.
    pub lower_case: bool,
    /// Whether the tokenizer strips accents (`None`: its default).
    pub strip_accents: Option<bool>,
    /// Whether the tokenizer adds a space before the text (RoBERTa-style tokenizers).
    pub add_prefix_space: Option<bool>,
    /// Device the model runs on (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights (`None`: float32 on CPU, the file's precision elsewhere).
    pub kind: Option<Kind>,
    /// Longest pair in tokens, special tokens included (`CrossEncoder`'s `max_length`); `None`:
    /// the model's maximum. Longer pairs are truncated longest-first.
    pub max_length: Option<usize>,
    /// Pairs per forward pass (0 counts as 1).
    pub batch_size: usize,
    /// Softmax over the labels after the activation (`predict(..., apply_softmax=True)`; only
    /// changes models with several labels).
    pub apply_softmax: bool,
}

impl CrossEncoderConfig {
    /// A configuration for the given model type and resources: on CUDA when available, the
    /// model's maximum length, batches of [`DEFAULT_BATCH_SIZE`], no softmax.
    pub fn new<RC, RV>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
        merges_resource: Option<RV>,
        lower_case: bool,
    ) -> CrossEncoderConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        CrossEncoderConfig {
            model_type,
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            merges_resource: merges_resource.map(|r| Box::new(r) as Box<_>),
            lower_case,
            strip_accents: None,
            add_prefix_space: None,
            device: Device::cuda_if_available(),
            kind: None,
            max_length: None,
            batch_size: DEFAULT_BATCH_SIZE,
            apply_softmax: false,
        }
    }
}

/// Scores `(query, passage)` pairs with a sequence-classification model, and ranks passages.
pub struct CrossEncoderModel {
    tokenizer: TokenizerOption,
    classifier: SequenceClassificationOption,
    activation: CrossEncoderActivation,
    apply_softmax: bool,
    num_labels: usize,
    max_length: usize,
    batch_size: usize,
    device: Device,
    // Keeps the variables' store with the model.
    _var_store: VarStore,
}

impl CrossEncoderModel {
    /// Builds the pipeline: tokenizer, model and weights from the configuration's resources.
    ///
    /// # Errors
    /// `UnsupportedError` for an architecture without a sequence classifier here (before any
    /// download) or an activation it cannot apply; errors fetching or reading the resources.
    pub fn new(config: CrossEncoderConfig) -> Result<CrossEncoderModel, RustBertError> {
        check_supported(config.model_type, "cross-encoding")?;
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
    /// As [`CrossEncoderModel::new`].
    pub fn new_with_tokenizer(
        config: CrossEncoderConfig,
        tokenizer: TokenizerOption,
    ) -> Result<CrossEncoderModel, RustBertError> {
        check_supported(config.model_type, "cross-encoding")?;
        let config_path = config.config_resource.get_local_path()?;
        let model_config = ConfigOption::from_file(config.model_type, &config_path)?;
        let num_labels = model_config.get_label_mapping()?.len();
        let activation = CrossEncoderActivation::from_config_file(&config_path, num_labels)?;
        let (classifier, var_store) = SequenceClassificationOption::load(
            config.model_type,
            &model_config,
            &config.model_resource,
            config.device,
            config.kind,
        )?;
        let model_max = max_length(&model_config);
        Ok(CrossEncoderModel {
            tokenizer,
            classifier,
            activation,
            apply_softmax: config.apply_softmax,
            num_labels,
            max_length: config
                .max_length
                .map_or(model_max, |len| len.min(model_max)),
            batch_size: config.batch_size.max(1),
            device: config.device,
            _var_store: var_store,
        })
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        &self.tokenizer
    }

    /// The number of scores per pair (the model's labels).
    pub fn num_labels(&self) -> usize {
        self.num_labels
    }

    /// The scores of each pair, one per label, in input order (`CrossEncoder.predict`).
    ///
    /// # Errors
    /// Errors of the model (no text input causes one).
    pub fn predict_labels<A, B>(&self, pairs: &[(A, B)]) -> Result<Vec<Vec<f32>>, RustBertError>
    where
        A: AsRef<str>,
        B: AsRef<str>,
    {
        let inputs: Vec<_> = pairs
            .iter()
            .map(|(query, passage)| {
                self.tokenizer.encode_pair(
                    query.as_ref(),
                    Some(passage.as_ref()),
                    self.max_length,
                    &TruncationStrategy::LongestFirst,
                    0,
                )
            })
            .collect();
        let lengths: Vec<usize> = inputs.iter().map(|input| input.token_ids.len()).collect();
        let mut scores = vec![Vec::new(); inputs.len()];
        for batch in length_sorted_batches(&lengths, self.batch_size) {
            let members: Vec<_> = batch.iter().map(|&i| inputs[i].clone()).collect();
            let padded = self.tokenizer.pad_batch(
                &members,
                self.tokenizer.default_padding_side(),
                self.device,
            );
            let logits = tch::no_grad(|| {
                self.classifier.forward_t(
                    Some(&padded.input_ids),
                    Some(&padded.attention_mask),
                    Some(&padded.token_type_ids),
                    None,
                    None,
                    false,
                )
            })?;
            let logits = logits.f_to_device(Device::Cpu)?.f_to_kind(Kind::Float)?;
            let size = logits.size();
            if size != [batch.len() as i64, self.num_labels as i64] {
                return Err(RustBertError::ValueError(format!(
                    "the classifier returned logits of shape {size:?} for {} pairs of {} labels",
                    batch.len(),
                    self.num_labels
                )));
            }
            let values = Vec::<f32>::try_from(logits.f_flatten(0, -1)?)?;
            for (row, &index) in values.chunks(self.num_labels.max(1)).zip(&batch) {
                scores[index] = self.activate(row);
            }
        }
        Ok(scores)
    }

    /// One score per pair, in input order: what rerankers (one-label models) give.
    ///
    /// # Errors
    /// `InvalidConfigurationError` for a model with several labels (use
    /// [`CrossEncoderModel::predict_labels`]); errors of the model.
    pub fn predict<A, B>(&self, pairs: &[(A, B)]) -> Result<Vec<f32>, RustBertError>
    where
        A: AsRef<str>,
        B: AsRef<str>,
    {
        self.single_label("predict")?;
        Ok(self
            .predict_labels(pairs)?
            .into_iter()
            .map(|scores| scores.first().copied().unwrap_or(f32::NAN))
            .collect())
    }

    /// Scores `query` against each passage and returns `(passage index, score)` from the best
    /// score down, the `top_k` first when given (`CrossEncoder.rank`; equal scores keep the
    /// passages' order).
    ///
    /// # Errors
    /// `InvalidConfigurationError` for a model with several labels (as `CrossEncoder.rank`,
    /// which needs one score per passage); errors of the model.
    pub fn rank<S: AsRef<str>>(
        &self,
        query: &str,
        passages: &[S],
        top_k: Option<usize>,
    ) -> Result<Vec<(usize, f32)>, RustBertError> {
        self.single_label("rank")?;
        let pairs: Vec<(&str, &str)> = passages.iter().map(|p| (query, p.as_ref())).collect();
        let mut ranked: Vec<(usize, f32)> = self.predict(&pairs)?.into_iter().enumerate().collect();
        // Stable: equal scores stay in passage order, as Python's `sorted`.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        if let Some(k) = top_k {
            ranked.truncate(k);
        }
        Ok(ranked)
    }

    fn single_label(&self, what: &str) -> Result<(), RustBertError> {
        if self.num_labels == 1 {
            Ok(())
        } else {
            Err(RustBertError::InvalidConfigurationError(format!(
                "{what} needs a one-label cross-encoder; this model has {} labels \
                 (predict_labels gives every label's score)",
                self.num_labels
            )))
        }
    }

    fn activate(&self, logits: &[f32]) -> Vec<f32> {
        let activated: Vec<f64> = logits
            .iter()
            .map(|&x| self.activation.apply(f64::from(x)))
            .collect();
        let scores = if self.apply_softmax && activated.len() > 1 {
            softmax(&activated)
        } else {
            activated
        };
        scores.into_iter().map(|x| x as f32).collect()
    }
}
