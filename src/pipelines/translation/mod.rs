//! # Translation pipeline
//!
//! Translates with Marian (the OPUS-MT models: one per language pair, a few covering several
//! target languages chosen by a `>>xx<<` prefix), T5 (English to French, German and
//! Romanian, chosen by its `translate English to German: ` prefix) or mBART-50 (51 languages:
//! the source language code leads the input, the target language code is forced as the first
//! generated token). [`TranslationModelBuilder`]
//! picks the model for the asked languages; [`TranslationConfig`] sets one explicitly.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::translation::{Language, TranslationModelBuilder};
//!
//! let model = TranslationModelBuilder::new()
//!     .with_source_languages(vec![Language::English])
//!     .with_target_languages(vec![Language::French])
//!     .create_model()?;
//! let output = model.translate(&["This is a sentence to be translated"], None, Language::French)?;
//! println!("{output:?}");
//! # Ok(())
//! # }
//! ```
pub use crate::common::language::Language;
use crate::marian::MARIAN_PRESETS;
pub use crate::marian::{MarianSourceLanguages, MarianTargetLanguages};

use crate::generation::{
    impl_into_generate_config, right_pad, GenerateConfig, GenerateOptions, LanguageGenerator,
    PrivateLanguageGenerator,
};
use crate::m2m_100::{m2m100_language_code, M2M100Generator};
use crate::marian::MarianGenerator;
use crate::mbart::{mbart50_language_code, MBartGenerator};
use crate::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use crate::resources::ResourceProvider;
use crate::t5::T5Generator;
use crate::RustBertError;
use std::collections::HashSet;
use tch::{Device, Kind};

/// Languages of T5's translation tasks.
pub const T5_SOURCE_LANGUAGES: &[Language] = &[Language::English];
/// Target languages of T5's translation tasks.
pub const T5_TARGET_LANGUAGES: &[Language] =
    &[Language::French, Language::German, Language::Romanian];

/// Configuration of a [`TranslationModel`]: the model files, its languages and the generation
/// settings (see [`GenerateConfig`]).
pub struct TranslationConfig {
    /// Model architecture (Marian or T5).
    pub model_type: ModelType,
    /// Weights.
    pub model_resource: ModelResource,
    /// HF `config.json`.
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Vocabulary (`vocab.json` for Marian, `spiece.model` for T5).
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// Marian: the source SentencePiece model (`source.spm`).
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Languages the model reads.
    pub source_languages: HashSet<Language>,
    /// Languages the model writes.
    pub target_languages: HashSet<Language>,
    /// Minimum length (default 0).
    pub min_length: i64,
    /// Maximum length (default `Some(512)`).
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
    /// No-repeat n-gram size (default 0).
    pub no_repeat_ngram_size: i64,
    /// Translations per text (default 1).
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

impl TranslationConfig {
    /// A configuration for `model_type` from its resources and languages, with the default
    /// settings (`device`: `None` for CUDA when available).
    #[allow(clippy::too_many_arguments)]
    pub fn new<RC, RV, S, T>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
        merges_resource: Option<RV>,
        source_languages: S,
        target_languages: T,
        device: impl Into<Option<Device>>,
    ) -> TranslationConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
        S: AsRef<[Language]>,
        T: AsRef<[Language]>,
    {
        TranslationConfig {
            model_type,
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            merges_resource: merges_resource.map(|r| Box::new(r) as Box<_>),
            source_languages: source_languages.as_ref().iter().copied().collect(),
            target_languages: target_languages.as_ref().iter().copied().collect(),
            min_length: 0,
            max_length: Some(512),
            do_sample: false,
            early_stopping: true,
            num_beams: 3,
            temperature: 1.0,
            top_k: 50,
            top_p: 1.0,
            repetition_penalty: 1.0,
            length_penalty: 1.0,
            no_repeat_ngram_size: 0,
            num_return_sequences: 1,
            num_beam_groups: None,
            diversity_penalty: None,
            device: device.into().unwrap_or_else(Device::cuda_if_available),
            kind: None,
        }
    }
}

impl_into_generate_config!(TranslationConfig);

/// The generators the translation pipeline runs.
// One per pipeline, built once: the variants' size difference costs nothing (rust-bert's
// API holds the generators unboxed).
#[allow(clippy::large_enum_variant)]
pub enum TranslationOption {
    /// Marian (OPUS-MT).
    Marian(MarianGenerator),
    /// T5.
    T5(T5Generator),
    /// mBART-50.
    MBart(MBartGenerator),
    /// M2M100.
    M2M100(M2M100Generator),
    /// NLLB (M2M100's network with NLLB's tokenizer).
    NLLB(M2M100Generator),
}

impl TranslationOption {
    /// Loads the generator of `config.model_type`.
    ///
    /// # Errors
    /// `UnsupportedError` for a model type without translation here; loading errors.
    pub fn new(config: TranslationConfig) -> Result<Self, RustBertError> {
        Self::build(config, None)
    }

    /// As [`TranslationOption::new`] with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`TranslationOption::new`].
    pub fn new_with_tokenizer(
        config: TranslationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::build(config, Some(tokenizer))
    }

    fn build(
        config: TranslationConfig,
        tokenizer: Option<TokenizerOption>,
    ) -> Result<Self, RustBertError> {
        let model_type = config.model_type;
        let config: GenerateConfig = config.into();
        Ok(match (model_type, tokenizer) {
            (ModelType::Marian, None) => Self::Marian(MarianGenerator::new(config)?),
            (ModelType::Marian, Some(t)) => {
                Self::Marian(MarianGenerator::new_with_tokenizer(config, t)?)
            }
            (ModelType::T5, None) => Self::T5(T5Generator::new(config)?),
            (ModelType::T5, Some(t)) => Self::T5(T5Generator::new_with_tokenizer(config, t)?),
            (ModelType::MBart, None) => Self::MBart(MBartGenerator::new(config)?),
            (ModelType::MBart, Some(t)) => {
                Self::MBart(MBartGenerator::new_with_tokenizer(config, t)?)
            }
            (ModelType::M2M100, None) => Self::M2M100(M2M100Generator::new(config)?),
            (ModelType::M2M100, Some(t)) => {
                Self::M2M100(M2M100Generator::new_with_tokenizer(config, t)?)
            }
            (ModelType::NLLB, None) => Self::NLLB(M2M100Generator::new(config)?),
            (ModelType::NLLB, Some(t)) => {
                Self::NLLB(M2M100Generator::new_with_tokenizer(config, t)?)
            }
            (other, _) => {
                return Err(RustBertError::UnsupportedError(format!(
                "translation is not available for {other:?} (Marian, T5, MBart, M2M100, NLLB are)"
            )))
            }
        })
    }

    /// The model type.
    pub fn model_type(&self) -> ModelType {
        match self {
            Self::Marian(_) => ModelType::Marian,
            Self::T5(_) => ModelType::T5,
            Self::MBart(_) => ModelType::MBart,
            Self::M2M100(_) => ModelType::M2M100,
            Self::NLLB(_) => ModelType::NLLB,
        }
    }

    /// The tokenizer of the model.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        match self {
            Self::Marian(g) => g.get_tokenizer(),
            Self::T5(g) => g.get_tokenizer(),
            Self::MBart(g) => g.get_tokenizer(),
            Self::M2M100(g) | Self::NLLB(g) => g.get_tokenizer(),
        }
    }

    /// The tokenizer of the model, to change (e.g. add tokens).
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        match self {
            Self::Marian(g) => g.get_tokenizer_mut(),
            Self::T5(g) => g.get_tokenizer_mut(),
            Self::MBart(g) => g.get_tokenizer_mut(),
            Self::M2M100(g) | Self::NLLB(g) => g.get_tokenizer_mut(),
        }
    }

    /// The text put before each input for this language pair: Marian's `>>xx<< ` when the
    /// model writes several languages, T5's `translate A to B: `.
    ///
    /// # Errors
    /// A language the model does not support, or a missing language the model needs.
    pub fn validate_and_get_prefix(
        &self,
        source: Option<Language>,
        target: Option<Language>,
        supported_source: &HashSet<Language>,
        supported_target: &HashSet<Language>,
    ) -> Result<Option<String>, RustBertError> {
        Ok(self
            .validate_and_get_prefix_and_forced_bos_id(
                source,
                target,
                supported_source,
                supported_target,
            )?
            .0)
    }

    /// The prefix of [`TranslationOption::validate_and_get_prefix`] and the token generation
    /// must start with: the target language code of the multilingual models (mBART-50's
    /// `>>fr<<`, HF's `fr_XX`), whose source language code leads the prefix.
    ///
    /// # Errors
    /// A language the model does not support, a missing language the model needs, or a
    /// language token the tokenizer lacks.
    pub fn validate_and_get_prefix_and_forced_bos_id(
        &self,
        source: Option<Language>,
        target: Option<Language>,
        supported_source: &HashSet<Language>,
        supported_target: &HashSet<Language>,
    ) -> Result<(Option<String>, Option<i64>), RustBertError> {
        let check = |language: Option<Language>, supported: &HashSet<Language>, side: &str| {
            match language {
                Some(language) if !supported.contains(&language) => {
                    let mut names: Vec<&str> = supported.iter().map(|l| l.name()).collect();
                    names.sort_unstable();
                    Err(RustBertError::ValueError(format!(
                        "{side} language {language} is not supported by this model ({})",
                        names.join(", ")
                    )))
                }
                _ => Ok(()),
            }
        };
        check(source, supported_source, "source")?;
        check(target, supported_target, "target")?;
        let only = |language: Option<Language>, supported: &HashSet<Language>, side: &str| match (
            language,
            supported.len(),
        ) {
            (Some(language), _) => Ok(language),
            (None, 1) => Ok(*supported.iter().next().unwrap_or(&Language::English)),
            (None, _) => Err(RustBertError::ValueError(format!(
                "this model has several {side} languages: give the {side} language"
            ))),
        };
        let language_token = |language: Language, side: &str| {
            let tokenizer = self.get_tokenizer();
            let code = match self {
                Self::MBart(_) => mbart50_language_code(language),
                Self::M2M100(_) => m2m100_language_code(language),
                Self::NLLB(_) => language.get_nllb_code().map(str::to_string),
                _ => None,
            }
            .ok_or_else(|| {
                RustBertError::ValueError(format!(
                    "{side} language {language} has no language token in {:?}",
                    self.model_type()
                ))
            })?;
            let id = tokenizer
                .convert_tokens_to_ids(&[code.as_str()])
                .first()
                .copied()
                .filter(|id| *id != tokenizer.get_unk_id())
                .ok_or_else(|| {
                    RustBertError::ValueError(format!(
                        "{side} language {language}: the tokenizer has no token {code}"
                    ))
                })?;
            Ok::<_, RustBertError>((code, id))
        };
        Ok(match self {
            Self::MBart(_) | Self::M2M100(_) | Self::NLLB(_) => {
                let (source_code, _) =
                    language_token(only(source, supported_source, "source")?, "source")?;
                let (_, target_id) =
                    language_token(only(target, supported_target, "target")?, "target")?;
                (Some(format!("{source_code} ")), Some(target_id))
            }
            Self::Marian(_) if supported_target.len() > 1 => {
                let target = only(target, supported_target, "target")?;
                let code = target
                    .get_iso_639_1_code()
                    .unwrap_or_else(|| target.get_iso_639_3_code());
                (Some(format!(">>{code}<< ")), None)
            }
            Self::Marian(_) => (None, None),
            Self::T5(_) => {
                let source = only(source, supported_source, "source")?;
                let target = only(target, supported_target, "target")?;
                (Some(format!("translate {source} to {target}: ")), None)
            }
        })
    }

    /// Translates `texts` already carrying their prefix.
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
            Self::Marian(g) => g.generate(Some(texts), options)?,
            Self::T5(g) => g.generate(Some(texts), options)?,
            Self::MBart(g) => g.generate(Some(texts), options)?,
            Self::M2M100(g) | Self::NLLB(g) => g.generate(Some(texts), options)?,
        };
        Ok(outputs.into_iter().map(|output| output.text).collect())
    }

    /// NLLB with HF's legacy language-token layout (`legacy_behaviour=True`): each text, led
    /// by its source language code, is encoded `tokens </s> [src_lang]` instead of the default
    /// `[src_lang] tokens </s>`. The other models (and NLLB's default) go through
    /// [`TranslationOption::generate`].
    fn generate_nllb_legacy<S>(
        &self,
        texts: &[S],
        options: Option<GenerateOptions>,
    ) -> Result<Vec<String>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let Self::NLLB(generator) = self else {
            return self.generate(texts, options);
        };
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let pad = generator.get_pad_id().unwrap_or(1);
        // The default layout, truncated to the encoder's positions with `</s>` kept, then
        // the leading code moved behind `</s>` (same length, so still within the positions).
        let (ids, mask) =
            generator.encode_prompt_text(texts, generator.get_max_positions_embeddings(), pad)?;
        let lengths = Vec::<i64>::try_from(mask.sum_dim_intlist(1, false, Kind::Int64))?;
        let ids = Vec::<Vec<i64>>::try_from(ids)?;
        let rows: Vec<Vec<i64>> = ids
            .into_iter()
            .zip(lengths)
            .map(|(row, length)| {
                let mut row = row[..length as usize].to_vec();
                if row.len() > 1 {
                    row.rotate_left(1);
                }
                row
            })
            .collect();
        let device = generator.get_var_store().device();
        let (ids, mask) = right_pad(&rows, pad, device);
        let outputs = generator.generate_from_ids_and_past(ids, Some(mask), options)?;
        let tokenizer = generator.get_tokenizer();
        let clean_up = tokenizer.hf_clean_up_tokenization_spaces();
        Ok(outputs
            .into_iter()
            .map(|output| tokenizer.decode(&output.indices, true, clean_up))
            .collect())
    }
}

/// Translation pipeline.
pub struct TranslationModel {
    model: TranslationOption,
    supported_source_languages: HashSet<Language>,
    supported_target_languages: HashSet<Language>,
    nllb_legacy_behaviour: bool,
}

/// NLLB's `legacy_behaviour` from the `tokenizer_config.json` beside the vocabulary file, as
/// HF's `NllbTokenizer` reads it (absent, unreadable or not NLLB: the default layout).
fn nllb_legacy_behaviour(config: &TranslationConfig) -> bool {
    if config.model_type != ModelType::NLLB {
        return false;
    }
    let Ok(vocab) = config.vocab_resource.get_local_path() else {
        return false;
    };
    let Some(path) = vocab.parent().map(|dir| dir.join("tokenizer_config.json")) else {
        return false;
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|value| value.get("legacy_behaviour").and_then(|v| v.as_bool()))
        .unwrap_or(false)
}

impl TranslationModel {
    /// Loads the pipeline.
    ///
    /// # Errors
    /// As [`TranslationOption::new`].
    pub fn new(config: TranslationConfig) -> Result<Self, RustBertError> {
        let (source, target) = (
            config.source_languages.clone(),
            config.target_languages.clone(),
        );
        let nllb_legacy_behaviour = nllb_legacy_behaviour(&config);
        Ok(Self {
            model: TranslationOption::new(config)?,
            supported_source_languages: source,
            supported_target_languages: target,
            nllb_legacy_behaviour,
        })
    }

    /// Loads the pipeline with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`TranslationOption::new`].
    pub fn new_with_tokenizer(
        config: TranslationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        let (source, target) = (
            config.source_languages.clone(),
            config.target_languages.clone(),
        );
        let nllb_legacy_behaviour = nllb_legacy_behaviour(&config);
        Ok(Self {
            model: TranslationOption::new_with_tokenizer(config, tokenizer)?,
            supported_source_languages: source,
            supported_target_languages: target,
            nllb_legacy_behaviour,
        })
    }

    /// Whether NLLB inputs use HF's legacy layout `tokens </s> [src_lang]` (`true`) or the
    /// default `[src_lang] tokens </s>`. Read from `legacy_behaviour` in the
    /// `tokenizer_config.json` beside the vocabulary file when the pipeline is built (absent:
    /// `false`, as HF's `NllbTokenizer`); other models ignore it.
    pub fn nllb_legacy_behaviour(&self) -> bool {
        self.nllb_legacy_behaviour
    }

    /// Sets the layout of [`TranslationModel::nllb_legacy_behaviour`], as HF's
    /// `NllbTokenizer(legacy_behaviour=...)`.
    pub fn set_nllb_legacy_behaviour(&mut self, legacy: bool) {
        self.nllb_legacy_behaviour = legacy;
    }

    /// The tokenizer of the model.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        self.model.get_tokenizer()
    }

    /// The tokenizer of the model, to change.
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        self.model.get_tokenizer_mut()
    }

    /// Translates `texts` from `source` to `target` (either may be left out when the model has
    /// a single one). Texts longer than the encoder's maximum are truncated.
    ///
    /// # Errors
    /// A language the model does not serve; generation errors.
    pub fn translate<S>(
        &self,
        texts: &[S],
        source_language: impl Into<Option<Language>>,
        target_language: impl Into<Option<Language>>,
    ) -> Result<Vec<String>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        self.translate_with_options(texts, source_language, target_language, None)
    }

    /// As [`TranslationModel::translate`] with per-call [`GenerateOptions`].
    ///
    /// # Errors
    /// As [`TranslationModel::translate`].
    pub fn translate_with_options<S>(
        &self,
        texts: &[S],
        source_language: impl Into<Option<Language>>,
        target_language: impl Into<Option<Language>>,
        options: Option<GenerateOptions>,
    ) -> Result<Vec<String>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let (prefix, forced_bos_token_id) = self.model.validate_and_get_prefix_and_forced_bos_id(
            source_language.into(),
            target_language.into(),
            &self.supported_source_languages,
            &self.supported_target_languages,
        )?;
        let options = match (forced_bos_token_id, options) {
            (None, options) => options,
            (Some(id), Some(options)) => Some(GenerateOptions {
                forced_bos_token_id: options.forced_bos_token_id.or(Some(id)),
                ..options
            }),
            (Some(id), None) => Some(GenerateOptions {
                forced_bos_token_id: Some(id),
                ..Default::default()
            }),
        };
        match prefix {
            Some(prefix) => {
                let texts: Vec<String> = texts
                    .iter()
                    .map(|text| format!("{prefix}{}", text.as_ref()))
                    .collect();
                if self.nllb_legacy_behaviour {
                    self.model.generate_nllb_legacy(&texts, options)
                } else {
                    self.model.generate(&texts, options)
                }
            }
            None => self.model.generate(texts, options),
        }
    }
}

/// Model size for [`TranslationModelBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelSize {
    /// Marian (one model per language pair) or T5-base.
    Medium,
    /// M2M100-418M.
    Large,
    /// M2M100-1.2B.
    XLarge,
}

/// Builds a [`TranslationModel`] for the asked languages, choosing the model.
pub struct TranslationModelBuilder {
    model_type: Option<ModelType>,
    source_languages: Option<Vec<Language>>,
    target_languages: Option<Vec<Language>>,
    device: Option<Device>,
    model_size: ModelSize,
}

impl Default for TranslationModelBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TranslationModelBuilder {
    /// A builder with no languages, the medium size and the default device.
    pub fn new() -> Self {
        Self {
            model_type: None,
            source_languages: None,
            target_languages: None,
            device: None,
            model_size: ModelSize::Medium,
        }
    }

    /// Runs on `device`.
    pub fn with_device(mut self, device: Device) -> Self {
        self.device = Some(device);
        self
    }

    /// Uses this architecture (Marian, T5 or MBart: mBART-50 many-to-many).
    pub fn with_model_type(mut self, model_type: ModelType) -> Self {
        self.model_type = Some(model_type);
        self
    }

    /// The languages to translate from.
    pub fn with_source_languages<S: AsRef<[Language]>>(mut self, languages: S) -> Self {
        self.source_languages = Some(languages.as_ref().to_vec());
        self
    }

    /// The languages to translate to.
    pub fn with_target_languages<T: AsRef<[Language]>>(mut self, languages: T) -> Self {
        self.target_languages = Some(languages.as_ref().to_vec());
        self
    }

    /// Medium models: Marian (as rust-bert, this sets the model type to Marian).
    pub fn with_medium_model(mut self) -> Self {
        self.model_size = ModelSize::Medium;
        self.model_type = Some(ModelType::Marian);
        self
    }

    /// Large models: M2M100-418M (as rust-bert, this sets the model type to M2M100).
    pub fn with_large_model(mut self) -> Self {
        self.model_size = ModelSize::Large;
        self.model_type = Some(ModelType::M2M100);
        self
    }

    /// Extra-large models: M2M100-1.2B (as rust-bert, this sets the model type to M2M100).
    pub fn with_xlarge_model(mut self) -> Self {
        self.model_size = ModelSize::XLarge;
        self.model_type = Some(ModelType::M2M100);
        self
    }

    /// The Marian preset serving every asked language, if one does.
    pub fn marian_preset(&self) -> Option<&'static str> {
        let covers = |asked: &Option<Vec<Language>>, offered: &[Language]| match asked {
            Some(asked) => !asked.is_empty() && asked.iter().all(|l| offered.contains(l)),
            None => false,
        };
        MARIAN_PRESETS
            .iter()
            .find(|(_, sources, targets)| {
                covers(&self.source_languages, sources) && covers(&self.target_languages, targets)
            })
            .map(|(name, _, _)| *name)
    }

    fn serves_t5(&self) -> bool {
        let within = |asked: &Option<Vec<Language>>, offered: &[Language]| {
            asked
                .as_ref()
                .is_some_and(|asked| asked.iter().all(|l| offered.contains(l)))
        };
        within(&self.source_languages, T5_SOURCE_LANGUAGES)
            && within(&self.target_languages, T5_TARGET_LANGUAGES)
    }

    fn describe(&self) -> String {
        let names = |languages: &Option<Vec<Language>>| match languages {
            Some(languages) => languages
                .iter()
                .map(|l| l.name())
                .collect::<Vec<_>>()
                .join(", "),
            None => "(none given)".to_string(),
        };
        format!(
            "from [{}] to [{}]",
            names(&self.source_languages),
            names(&self.target_languages)
        )
    }

    /// Loads the model for the asked languages (downloading it on first use): the model type
    /// asked for, else a Marian preset serving every language, else T5, else M2M100 (418M, or
    /// 1.2B for the extra-large size).
    ///
    /// # Errors
    /// `ValueError` when no available model serves the languages (the message names them);
    /// loading errors.
    #[cfg(feature = "remote")]
    pub fn create_model(self) -> Result<TranslationModel, RustBertError> {
        use crate::marian::{
            MarianConfigResources, MarianModelResources, MarianSpmResources, MarianVocabResources,
        };
        use crate::resources::RemoteResource;
        use crate::t5::{T5ConfigResources, T5ModelResources, T5VocabResources};

        let device = self.device.unwrap_or_else(Device::cuda_if_available);
        let marian = match self.model_type {
            None | Some(ModelType::Marian) => self.marian_preset(),
            _ => None,
        };
        if let Some(preset) = marian {
            let resource = |table: &[(&str, (&'static str, &'static str))]| {
                table
                    .iter()
                    .find(|(name, _)| *name == preset)
                    .map(|(_, resource)| RemoteResource::from_pretrained(*resource))
            };
            macro_rules! table {
                ($resources:ident) => {
                    [
                        ("ENGLISH2FRENCH", $resources::ENGLISH2FRENCH),
                        ("FRENCH2ENGLISH", $resources::FRENCH2ENGLISH),
                        ("ENGLISH2GERMAN", $resources::ENGLISH2GERMAN),
                        ("GERMAN2ENGLISH", $resources::GERMAN2ENGLISH),
                        ("ENGLISH2RUSSIAN", $resources::ENGLISH2RUSSIAN),
                        ("RUSSIAN2ENGLISH", $resources::RUSSIAN2ENGLISH),
                        ("ENGLISH2CHINESE", $resources::ENGLISH2CHINESE),
                        ("CHINESE2ENGLISH", $resources::CHINESE2ENGLISH),
                        ("ENGLISH2HINDI", $resources::ENGLISH2HINDI),
                        ("HINDI2ENGLISH", $resources::HINDI2ENGLISH),
                        ("ENGLISH2SPANISH", $resources::ENGLISH2SPANISH),
                        ("SPANISH2ENGLISH", $resources::SPANISH2ENGLISH),
                        ("ENGLISH2DUTCH", $resources::ENGLISH2DUTCH),
                        ("DUTCH2ENGLISH", $resources::DUTCH2ENGLISH),
                        ("ENGLISH2SWEDISH", $resources::ENGLISH2SWEDISH),
                        ("SWEDISH2ENGLISH", $resources::SWEDISH2ENGLISH),
                        ("ENGLISH2ROMANCE", $resources::ENGLISH2ROMANCE),
                        ("ROMANCE2ENGLISH", $resources::ROMANCE2ENGLISH),
                        ("GERMAN2FRENCH", $resources::GERMAN2FRENCH),
                        ("FRENCH2GERMAN", $resources::FRENCH2GERMAN),
                        ("ENGLISH2ARABIC", $resources::ENGLISH2ARABIC),
                        ("ARABIC2ENGLISH", $resources::ARABIC2ENGLISH),
                    ]
                };
            }
            let missing = || RustBertError::ValueError(format!("no resources for {preset}"));
            let (sources, targets) = MARIAN_PRESETS
                .iter()
                .find(|(name, _, _)| *name == preset)
                .map(|(_, s, t)| (*s, *t))
                .ok_or_else(missing)?;
            let config = TranslationConfig::new(
                ModelType::Marian,
                ModelResource::Torch(Box::new(
                    resource(&table!(MarianModelResources)).ok_or_else(missing)?,
                )),
                resource(&table!(MarianConfigResources)).ok_or_else(missing)?,
                resource(&table!(MarianVocabResources)).ok_or_else(missing)?,
                Some(resource(&table!(MarianSpmResources)).ok_or_else(missing)?),
                sources,
                targets,
                device,
            );
            return TranslationModel::new(config);
        }
        if self.model_type == Some(ModelType::MBart) {
            use crate::mbart::{
                MBartConfigResources, MBartModelResources, MBartSourceLanguages,
                MBartTargetLanguages, MBartVocabResources,
            };
            // rust-bert: every asked language must be one of mBART-50's.
            for (side, asked, offered) in [
                (
                    "source",
                    &self.source_languages,
                    &MBartSourceLanguages::MBART50_MANY_TO_MANY[..],
                ),
                (
                    "target",
                    &self.target_languages,
                    &MBartTargetLanguages::MBART50_MANY_TO_MANY[..],
                ),
            ] {
                if let Some(missing) = asked
                    .iter()
                    .flatten()
                    .find(|language| !offered.contains(language))
                {
                    return Err(RustBertError::ValueError(format!(
                        "mBART-50 has no {side} language {missing}"
                    )));
                }
            }
            let config = TranslationConfig::new(
                ModelType::MBart,
                ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                    MBartModelResources::MBART50_MANY_TO_MANY,
                ))),
                RemoteResource::from_pretrained(MBartConfigResources::MBART50_MANY_TO_MANY),
                RemoteResource::from_pretrained(MBartVocabResources::MBART50_MANY_TO_MANY),
                None,
                MBartSourceLanguages::MBART50_MANY_TO_MANY,
                MBartTargetLanguages::MBART50_MANY_TO_MANY,
                device,
            );
            return TranslationModel::new(config);
        }
        if matches!(self.model_type, None | Some(ModelType::T5)) && self.serves_t5() {
            let config = TranslationConfig::new(
                ModelType::T5,
                ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                    T5ModelResources::T5_BASE,
                ))),
                RemoteResource::from_pretrained(T5ConfigResources::T5_BASE),
                RemoteResource::from_pretrained(T5VocabResources::T5_BASE),
                None,
                T5_SOURCE_LANGUAGES,
                T5_TARGET_LANGUAGES,
                device,
            );
            return TranslationModel::new(config);
        }
        if matches!(self.model_type, None | Some(ModelType::M2M100)) {
            return self.create_m2m100(device);
        }
        Err(RustBertError::ValueError(format!(
            "no available translation model ({}) translates {}",
            match self.model_type {
                Some(model_type) => format!("{model_type:?}"),
                None => "Marian presets, T5, M2M100".to_string(),
            },
            self.describe()
        )))
    }

    /// M2M100 418M, or 1.2B for the extra-large size, when it has every asked language.
    #[cfg(feature = "remote")]
    fn create_m2m100(&self, device: Device) -> Result<TranslationModel, RustBertError> {
        use crate::m2m_100::{
            M2M100ConfigResources, M2M100MergesResources, M2M100ModelResources,
            M2M100SourceLanguages, M2M100VocabResources,
        };
        use crate::resources::RemoteResource;

        let languages = &M2M100SourceLanguages::M2M100_418M[..];
        for (side, asked) in [
            ("source", &self.source_languages),
            ("target", &self.target_languages),
        ] {
            if let Some(missing) = asked.iter().flatten().find(|l| !languages.contains(l)) {
                return Err(RustBertError::ValueError(format!(
                    "no available translation model translates {}: M2M100 has no {side} \
                     language {missing}",
                    self.describe()
                )));
            }
        }
        let (model, config, vocab, merges) = if self.model_size == ModelSize::XLarge {
            (
                M2M100ModelResources::M2M100_1_2B,
                M2M100ConfigResources::M2M100_1_2B,
                M2M100VocabResources::M2M100_1_2B,
                M2M100MergesResources::M2M100_1_2B,
            )
        } else {
            (
                M2M100ModelResources::M2M100_418M,
                M2M100ConfigResources::M2M100_418M,
                M2M100VocabResources::M2M100_418M,
                M2M100MergesResources::M2M100_418M,
            )
        };
        let config = TranslationConfig::new(
            ModelType::M2M100,
            ModelResource::Torch(Box::new(RemoteResource::from_pretrained(model))),
            RemoteResource::from_pretrained(config),
            RemoteResource::from_pretrained(vocab),
            Some(RemoteResource::from_pretrained(merges)),
            languages,
            languages,
            device,
        );
        TranslationModel::new(config)
    }
}
