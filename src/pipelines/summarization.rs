//! # Summarization pipeline
//!
//! Abstractive summaries with an encoder-decoder model: BART (default: bart-large-cnn with
//! rust-bert's settings, beam search with 3 beams, 56 to 142 tokens, no repeated trigrams),
//! T5 (its `summarize: ` prefix is added to every text), ProphetNet (the same settings, as
//! rust-bert; its uncased vocabulary lowercases the texts), Pegasus or LongT5. Texts longer than the encoder's
//! maximum are truncated; an empty list gives an empty output.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::summarization::SummarizationModel;
//!
//! let model = SummarizationModel::new(Default::default())?;
//! let input = ["In findings published Tuesday in Cornell University's arXiv by a team of \
//!     scientists from the University of Montreal and a separate report published Wednesday \
//!     in Nature Astronomy by a team from University College London (UCL), the presence of \
//!     water vapour was confirmed in the atmosphere of K2-18b, a planet circling a star in the \
//!     constellation Leo."];
//! println!("{:?}", model.summarize(&input)?);
//! # Ok(())
//! # }
//! ```
use crate::bart::BartGenerator;
use crate::generation::{
    impl_into_generate_config, GenerateConfig, GenerateOptions, LanguageGenerator,
};
use crate::longt5::LongT5Generator;
use crate::pegasus::PegasusConditionalGenerator;
use crate::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use crate::prophetnet::ProphetNetConditionalGenerator;
use crate::resources::ResourceProvider;
use crate::t5::T5Generator;
use crate::RustBertError;
#[cfg(feature = "remote")]
use crate::{
    bart::{BartConfigResources, BartMergesResources, BartModelResources, BartVocabResources},
    resources::RemoteResource,
};
use tch::{Device, Kind};

/// Configuration of a [`SummarizationModel`]: the model files and the generation settings (see
/// [`GenerateConfig`]), with rust-bert's summarization defaults (BART-CNN's).
pub struct SummarizationConfig {
    /// Model architecture (BART, T5, ProphetNet, Pegasus or LongT5).
    pub model_type: ModelType,
    /// Weights.
    pub model_resource: ModelResource,
    /// HF `config.json`.
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary (`vocab.json` for BART, `spiece.model` for T5, Pegasus and LongT5,
    /// `prophetnet.tokenizer` for ProphetNet).
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// BPE merges (BART).
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Minimum summary length in tokens (default 56).
    pub min_length: i64,
    /// Maximum summary length in tokens (default `Some(142)`).
    pub max_length: Option<i64>,
    /// Sample (default false).
    pub do_sample: bool,
    /// Beam search early stopping (default true).
    pub early_stopping: bool,
    /// Beams (default 3).
    pub num_beams: i64,
    /// Temperature (default 1.0).
    pub temperature: f64,
    /// Top-k (default 50).
    pub top_k: i64,
    /// Top-p (default 1.0).
    pub top_p: f64,
    /// Repetition penalty (default 1.0).
    pub repetition_penalty: f64,
    /// Length penalty (default 1.0).
    pub length_penalty: f64,
    /// No-repeat n-gram size (default 3).
    pub no_repeat_ngram_size: i64,
    /// Summaries per text (default 1).
    pub num_return_sequences: i64,
    /// Beam groups for diverse beam search.
    pub num_beam_groups: Option<i64>,
    /// Diversity penalty for diverse beam search.
    pub diversity_penalty: Option<f64>,
    /// Device (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights.
    pub kind: Option<Kind>,
}

impl SummarizationConfig {
    /// A configuration for `model_type` from its resources, with the default settings.
    pub fn new<RC, RV>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
        merges_resource: Option<RV>,
    ) -> SummarizationConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        SummarizationConfig {
            model_type,
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            merges_resource: merges_resource.map(|r| Box::new(r) as Box<_>),
            min_length: 56,
            max_length: Some(142),
            do_sample: false,
            early_stopping: true,
            num_beams: 3,
            temperature: 1.0,
            top_k: 50,
            top_p: 1.0,
            repetition_penalty: 1.0,
            length_penalty: 1.0,
            no_repeat_ngram_size: 3,
            num_return_sequences: 1,
            num_beam_groups: None,
            diversity_penalty: None,
            device: Device::cuda_if_available(),
            kind: None,
        }
    }
}

#[cfg(feature = "remote")]
impl Default for SummarizationConfig {
    /// bart-large-cnn.
    fn default() -> SummarizationConfig {
        SummarizationConfig::new(
            ModelType::Bart,
            ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                BartModelResources::BART_CNN,
            ))),
            RemoteResource::from_pretrained(BartConfigResources::BART_CNN),
            RemoteResource::from_pretrained(BartVocabResources::BART_CNN),
            Some(RemoteResource::from_pretrained(
                BartMergesResources::BART_CNN,
            )),
        )
    }
}

impl_into_generate_config!(SummarizationConfig);

/// The generators the summarization pipeline runs.
// One per pipeline, built once: the variants' size difference costs nothing (rust-bert's
// API holds the generators unboxed).
#[allow(clippy::large_enum_variant)]
pub enum SummarizationOption {
    /// BART (and DistilBART).
    Bart(BartGenerator),
    /// T5 (with the `summarize: ` prefix).
    T5(T5Generator),
    /// ProphetNet.
    ProphetNet(ProphetNetConditionalGenerator),
    /// Pegasus.
    Pegasus(PegasusConditionalGenerator),
    /// LongT5 (no prefix, as rust-bert).
    LongT5(LongT5Generator),
}

impl SummarizationOption {
    /// Loads the generator of `config.model_type`.
    ///
    /// # Errors
    /// `UnsupportedError` for a model type without summarization here; loading errors.
    pub fn new(config: SummarizationConfig) -> Result<Self, RustBertError> {
        Self::build(config, None)
    }

    /// As [`SummarizationOption::new`] with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`SummarizationOption::new`].
    pub fn new_with_tokenizer(
        config: SummarizationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::build(config, Some(tokenizer))
    }

    fn build(
        config: SummarizationConfig,
        tokenizer: Option<TokenizerOption>,
    ) -> Result<Self, RustBertError> {
        let model_type = config.model_type;
        let config: GenerateConfig = config.into();
        Ok(match (model_type, tokenizer) {
            (ModelType::Bart, None) => Self::Bart(BartGenerator::new(config)?),
            (ModelType::Bart, Some(t)) => Self::Bart(BartGenerator::new_with_tokenizer(config, t)?),
            (ModelType::T5, None) => Self::T5(T5Generator::new(config)?),
            (ModelType::T5, Some(t)) => Self::T5(T5Generator::new_with_tokenizer(config, t)?),
            (ModelType::ProphetNet, None) => {
                Self::ProphetNet(ProphetNetConditionalGenerator::new(config)?)
            }
            (ModelType::ProphetNet, Some(t)) => Self::ProphetNet(
                ProphetNetConditionalGenerator::new_with_tokenizer(config, t)?,
            ),
            (ModelType::Pegasus, None) => Self::Pegasus(PegasusConditionalGenerator::new(config)?),
            (ModelType::Pegasus, Some(t)) => {
                Self::Pegasus(PegasusConditionalGenerator::new_with_tokenizer(config, t)?)
            }
            (ModelType::LongT5, None) => Self::LongT5(LongT5Generator::new(config)?),
            (ModelType::LongT5, Some(t)) => {
                Self::LongT5(LongT5Generator::new_with_tokenizer(config, t)?)
            }
            (other, _) => {
                return Err(RustBertError::UnsupportedError(format!(
                    "summarization is not available for {other:?} (Bart, T5, ProphetNet, Pegasus, LongT5 are)"
                )))
            }
        })
    }

    /// The model type.
    pub fn model_type(&self) -> ModelType {
        match self {
            Self::Bart(_) => ModelType::Bart,
            Self::T5(_) => ModelType::T5,
            Self::ProphetNet(_) => ModelType::ProphetNet,
            Self::Pegasus(_) => ModelType::Pegasus,
            Self::LongT5(_) => ModelType::LongT5,
        }
    }

    /// Summaries of `texts` (one per text and returned sequence).
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`].
    pub fn generate<S>(
        &self,
        texts: &[S],
        options: Option<GenerateOptions>,
    ) -> Result<Vec<String>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let outputs = match self {
            Self::Bart(g) => g.generate(Some(texts), options)?,
            Self::T5(g) => g.generate(Some(texts), options)?,
            Self::ProphetNet(g) => g.generate(Some(texts), options)?,
            Self::Pegasus(g) => g.generate(Some(texts), options)?,
            Self::LongT5(g) => g.generate(Some(texts), options)?,
        };
        Ok(outputs.into_iter().map(|output| output.text).collect())
    }
}

/// Summarization pipeline.
pub struct SummarizationModel {
    model: SummarizationOption,
    prefix: Option<&'static str>,
}

impl SummarizationModel {
    /// Loads the pipeline.
    ///
    /// # Errors
    /// As [`SummarizationOption::new`].
    pub fn new(config: SummarizationConfig) -> Result<Self, RustBertError> {
        Ok(Self::from_option(SummarizationOption::new(config)?))
    }

    /// Loads the pipeline with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`SummarizationOption::new`].
    pub fn new_with_tokenizer(
        config: SummarizationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Ok(Self::from_option(SummarizationOption::new_with_tokenizer(
            config, tokenizer,
        )?))
    }

    fn from_option(model: SummarizationOption) -> Self {
        let prefix = (model.model_type() == ModelType::T5).then_some("summarize: ");
        Self { model, prefix }
    }

    /// Summarizes each text (with the configuration's settings).
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`].
    pub fn summarize<S>(&self, texts: &[S]) -> Result<Vec<String>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        self.summarize_with_options(texts, None)
    }

    /// As [`SummarizationModel::summarize`] with per-call [`GenerateOptions`].
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`].
    pub fn summarize_with_options<S>(
        &self,
        texts: &[S],
        options: Option<GenerateOptions>,
    ) -> Result<Vec<String>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        match self.prefix {
            Some(prefix) => {
                let texts: Vec<String> = texts
                    .iter()
                    .map(|text| format!("{prefix}{}", text.as_ref()))
                    .collect();
                self.model.generate(&texts, options)
            }
            None => self.model.generate(texts, options),
        }
    }
}
