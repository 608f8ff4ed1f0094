//! # Text generation pipeline
//!
//! Continues prompts with a causal language model (GPT-2, OpenAI GPT, GPT-Neo, GPT-J, XLNet, and the decoder
//! LLMs of [`crate::llama`]: Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma 2). Prompts of different
//! lengths are left-padded and generated together; a prefix (given per call, or the model's
//! own) is put before every prompt to condition the model and removed from the outputs.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::common::ModelType;
//! use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
//!
//! let model = TextGenerationModel::new(TextGenerationConfig {
//!     model_type: ModelType::GPT2,
//!     max_length: Some(30),
//!     do_sample: false,
//!     num_beams: 3,
//!     ..Default::default()
//! })?;
//! for text in model.generate(&["The dog", "The cat was"], None)? {
//!     println!("{text}");
//! }
//! # Ok(())
//! # }
//! ```
use crate::generation::{
    impl_into_generate_config, GenerateConfig, GenerateOptions, GeneratedIndicesOutput,
    LanguageGenerator, ModelDefaults,
};
use crate::gpt2::{GPT2Generator, OpenAIGenerator};
use crate::gpt_j::GptJGenerator;
use crate::gpt_neo::GptNeoGenerator;
use crate::llama::LlamaGenerator;
use crate::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use crate::reformer::ReformerGenerator;
use crate::resources::ResourceProvider;
use crate::xlnet::XLNetGenerator;
use crate::RustBertError;
#[cfg(feature = "remote")]
use crate::{
    gpt2::{Gpt2ConfigResources, Gpt2MergesResources, Gpt2ModelResources, Gpt2VocabResources},
    resources::RemoteResource,
};
use tch::{Device, Kind};

/// Configuration of a [`TextGenerationModel`]: the fields of [`GenerateConfig`] (see there for
/// their meaning), with rust-bert's text-generation defaults.
pub struct TextGenerationConfig {
    /// Model architecture (GPT-2, OpenAI GPT, GPT-Neo, GPT-J or XLNet).
    pub model_type: ModelType,
    /// Weights.
    pub model_resource: ModelResource,
    /// HF `config.json`.
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary.
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// BPE merges.
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Minimum length (default 0).
    pub min_length: i64,
    /// Maximum length, prompt included (default `Some(56)`).
    pub max_length: Option<i64>,
    /// Sample (default true).
    pub do_sample: bool,
    /// Beam search early stopping (default true).
    pub early_stopping: bool,
    /// Beams (default 5).
    pub num_beams: i64,
    /// Temperature (default 1.0).
    pub temperature: f64,
    /// Top-k (default 0: off).
    pub top_k: i64,
    /// Top-p (default 0.9).
    pub top_p: f64,
    /// Repetition penalty (default 1.0).
    pub repetition_penalty: f64,
    /// Length penalty (default 1.0).
    pub length_penalty: f64,
    /// No-repeat n-gram size (default 0).
    pub no_repeat_ngram_size: i64,
    /// Outputs per prompt (default 1).
    pub num_return_sequences: i64,
    /// Beam groups for diverse beam search.
    pub num_beam_groups: Option<i64>,
    /// Diversity penalty for diverse beam search.
    pub diversity_penalty: Option<f64>,
    /// Device (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights.
    pub kind: Option<Kind>,
    /// How the model's own sampling defaults (`generation_config.json`) combine with these
    /// settings (default: they fill the settings left at their default values; see
    /// [`ModelDefaults`]).
    pub model_defaults: ModelDefaults,
}

impl TextGenerationConfig {
    /// A configuration for `model_type` from its resources, with the default settings.
    pub fn new<RC, RV>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
        merges_resource: Option<RV>,
    ) -> TextGenerationConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        TextGenerationConfig {
            model_type,
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            merges_resource: merges_resource.map(|r| Box::new(r) as Box<_>),
            min_length: 0,
            max_length: Some(56),
            do_sample: true,
            early_stopping: true,
            num_beams: 5,
            temperature: 1.0,
            top_k: 0,
            top_p: 0.9,
            repetition_penalty: 1.0,
            length_penalty: 1.0,
            no_repeat_ngram_size: 0,
            num_return_sequences: 1,
            num_beam_groups: None,
            diversity_penalty: None,
            device: Device::cuda_if_available(),
            kind: None,
            model_defaults: ModelDefaults::FillUnset,
        }
    }
}

#[cfg(feature = "remote")]
impl Default for TextGenerationConfig {
    /// GPT-2 (124M).
    fn default() -> TextGenerationConfig {
        TextGenerationConfig::new(
            ModelType::GPT2,
            ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                Gpt2ModelResources::GPT2,
            ))),
            RemoteResource::from_pretrained(Gpt2ConfigResources::GPT2),
            RemoteResource::from_pretrained(Gpt2VocabResources::GPT2),
            Some(RemoteResource::from_pretrained(Gpt2MergesResources::GPT2)),
        )
    }
}

impl TextGenerationConfig {
    /// A GGUF file (llama.cpp's format): weights, configuration and tokenizer all come from it
    /// (the model type becomes the file's architecture).
    pub fn from_gguf<P: AsRef<std::path::Path>>(path: P) -> TextGenerationConfig {
        use crate::resources::LocalResource;
        let path = path.as_ref().to_path_buf();
        TextGenerationConfig::new(
            ModelType::Llama,
            ModelResource::Torch(Box::new(LocalResource::from(path.clone()))),
            LocalResource::from(path.clone()),
            LocalResource::from(path),
            None,
        )
    }
}

impl_into_generate_config!(TextGenerationConfig, |config: &TextGenerationConfig| config
    .model_defaults);

/// The local path of weights stored as a GGUF file (recognised by its magic, whatever its
/// name), `None` for other weights (and for files that cannot be opened: their loader reports
/// that).
///
/// # Errors
/// A remote resource that cannot be fetched.
pub(crate) fn gguf_weights(
    resource: &ModelResource,
) -> Result<Option<std::path::PathBuf>, RustBertError> {
    use std::io::Read;
    let path = resource.get_local_path()?;
    let mut magic = [0u8; 4];
    let is_gguf = std::fs::File::open(&path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok()
        && &magic == b"GGUF";
    Ok(is_gguf.then_some(path))
}

/// [`LlamaGenerator::from_gguf`], or the error of a build without the `hf-tokenizers` feature
/// (GGUF tokenizers are built with it).
pub(crate) fn llama_from_gguf(
    path: &std::path::Path,
    config: GenerateConfig,
) -> Result<LlamaGenerator, RustBertError> {
    #[cfg(feature = "hf-tokenizers")]
    {
        LlamaGenerator::from_gguf(path, config)
    }
    #[cfg(not(feature = "hf-tokenizers"))]
    {
        let _ = config;
        Err(RustBertError::UnsupportedError(format!(
            "{}: GGUF files need the `hf-tokenizers` feature (their tokenizer is built with it)",
            path.display()
        )))
    }
}

/// Whether `model_type` runs on the decoder stack of [`crate::llama`].
pub(crate) fn is_decoder_llm(model_type: ModelType) -> bool {
    matches!(
        model_type,
        ModelType::Llama
            | ModelType::Mistral
            | ModelType::Qwen2
            | ModelType::Qwen3
            | ModelType::Phi3
            | ModelType::Gemma2
    )
}

/// The generators the text-generation pipeline runs.
// One generator per pipeline: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum TextGenerationOption {
    /// GPT-2 (and DialoGPT, DistilGPT-2).
    GPT2(GPT2Generator),
    /// OpenAI GPT.
    GPT(OpenAIGenerator),
    /// XLNet.
    XLNet(XLNetGenerator),
    /// GPT-Neo.
    GPTNeo(GptNeoGenerator),
    /// GPT-J.
    GPTJ(GptJGenerator),
    /// Reformer.
    Reformer(ReformerGenerator),
    /// The decoder LLMs of [`crate::llama`] (Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma 2).
    Llama(LlamaGenerator),
}

/// The text put before XLNet prompts by default (HF's `XL_PREFIX`, on one line as rust-bert
/// has it): XLNet writes poorly from a short context, and this gives it one.
pub const XLNET_PREFIX: &str = "In 1991, the remains of Russian Tsar Nicholas II and his family \
(except for Alexei and Maria) are discovered. The voice of Nicholas's young son, Tsarevich Alexei \
Nikolaevich, narrates the remainder of the story. 1883 Western Siberia, a young Grigori Rasputin \
is asked by his father and a group of men to perform magic. Rasputin has a vision and denounces \
one of the men as a horse thief. Although his father initially slaps him for making such an \
accusation, Rasputin watches as the man is chased outside and beaten. Twenty years later, \
Rasputin sees a vision of the Virgin Mary, prompting him to become a priest. Rasputin quickly \
becomes famous, with people, even a bishop, begging for his blessing. <eod> </s> <eos>";

macro_rules! each_generator {
    ($self:expr, $g:ident => $body:expr) => {
        match $self {
            TextGenerationOption::GPT2($g) => $body,
            TextGenerationOption::GPT($g) => $body,
            TextGenerationOption::XLNet($g) => $body,
            TextGenerationOption::GPTNeo($g) => $body,
            TextGenerationOption::GPTJ($g) => $body,
            TextGenerationOption::Reformer($g) => $body,
            TextGenerationOption::Llama($g) => $body,
        }
    };
}

impl TextGenerationOption {
    /// Loads the generator of `config.model_type`.
    ///
    /// # Errors
    /// `UnsupportedError` for a model type without text generation here; loading errors.
    pub fn new(config: TextGenerationConfig) -> Result<Self, RustBertError> {
        Self::build(config, None)
    }

    /// As [`TextGenerationOption::new`] with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`TextGenerationOption::new`].
    pub fn new_with_tokenizer(
        config: TextGenerationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::build(config, Some(tokenizer))
    }

    fn build(
        config: TextGenerationConfig,
        tokenizer: Option<TokenizerOption>,
    ) -> Result<Self, RustBertError> {
        // GGUF weights carry their configuration and tokenizer: the file decides.
        if let Some(path) = gguf_weights(&config.model_resource)? {
            if tokenizer.is_some() {
                return Err(RustBertError::UnsupportedError(format!(
                    "{}: a GGUF file brings its own tokenizer; use TextGenerationModel::new",
                    path.display()
                )));
            }
            return Ok(Self::Llama(llama_from_gguf(&path, config.into())?));
        }
        let model_type = config.model_type;
        let config: GenerateConfig = config.into();
        Ok(match (model_type, tokenizer) {
            (ModelType::GPT2, None) => Self::GPT2(GPT2Generator::new(config)?),
            (ModelType::GPT2, Some(t)) => Self::GPT2(GPT2Generator::new_with_tokenizer(config, t)?),
            (ModelType::OpenAiGpt, None) => Self::GPT(OpenAIGenerator::new(config)?),
            (ModelType::OpenAiGpt, Some(t)) => {
                Self::GPT(OpenAIGenerator::new_with_tokenizer(config, t)?)
            }
            (ModelType::XLNet, None) => Self::XLNet(XLNetGenerator::new(config)?),
            (ModelType::XLNet, Some(t)) => {
                Self::XLNet(XLNetGenerator::new_with_tokenizer(config, t)?)
            }
            (ModelType::GPTNeo, None) => Self::GPTNeo(GptNeoGenerator::new(config)?),
            (ModelType::GPTNeo, Some(t)) => {
                Self::GPTNeo(GptNeoGenerator::new_with_tokenizer(config, t)?)
            }
            (ModelType::GPTJ, None) => Self::GPTJ(GptJGenerator::new(config)?),
            (ModelType::GPTJ, Some(t)) => Self::GPTJ(GptJGenerator::new_with_tokenizer(config, t)?),
            (ModelType::Reformer, None) => Self::Reformer(ReformerGenerator::new(config)?),
            (ModelType::Reformer, Some(t)) => {
                Self::Reformer(ReformerGenerator::new_with_tokenizer(config, t)?)
            }
            (llm, tokenizer) if is_decoder_llm(llm) => Self::Llama(match tokenizer {
                None => LlamaGenerator::new(config)?,
                Some(t) => LlamaGenerator::new_with_tokenizer(config, t)?,
            }),
            (other, _) => {
                return Err(RustBertError::UnsupportedError(format!(
                    "text generation is not available for {other:?} (GPT2, OpenAiGpt, XLNet, GPTNeo, GPTJ, Reformer, \
                     Llama, Mistral, Qwen2, Qwen3, Phi3, Gemma2 are)"
                )))
            }
        })
    }

    /// The model type.
    pub fn model_type(&self) -> ModelType {
        match self {
            Self::GPT2(_) => ModelType::GPT2,
            Self::GPT(_) => ModelType::OpenAiGpt,
            Self::XLNet(_) => ModelType::XLNet,
            Self::GPTNeo(_) => ModelType::GPTNeo,
            Self::GPTJ(_) => ModelType::GPTJ,
            Self::Reformer(_) => ModelType::Reformer,
            Self::Llama(g) => g.generate_config.model_type,
        }
    }

    /// Text the model wants before every prompt ([`XLNET_PREFIX`] for XLNet; none for GPT).
    pub fn get_prefix(&self) -> Option<String> {
        match self {
            Self::XLNet(_) => Some(XLNET_PREFIX.to_string()),
            Self::GPT2(_)
            | Self::GPT(_)
            | Self::GPTNeo(_)
            | Self::GPTJ(_)
            | Self::Reformer(_)
            | Self::Llama(_) => None,
        }
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        each_generator!(self, g => g.get_tokenizer())
    }

    /// The tokenizer, mutably.
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        each_generator!(self, g => g.get_tokenizer_mut())
    }

    /// Generates token ids for prompts (see [`LanguageGenerator::generate_indices`]).
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate_indices`].
    pub fn generate_indices<S>(
        &self,
        prompt_texts: Option<&[S]>,
        options: Option<GenerateOptions>,
    ) -> Result<Vec<GeneratedIndicesOutput>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        each_generator!(self, g => g.generate_indices(prompt_texts, options))
    }

    /// Converts the weights to half precision.
    ///
    /// # Errors
    /// As [`LanguageGenerator::half`].
    pub fn half(&mut self) -> Result<(), RustBertError> {
        each_generator!(self, g => g.half())
    }

    /// Converts the weights to single precision.
    ///
    /// # Errors
    /// As [`LanguageGenerator::float`].
    pub fn float(&mut self) -> Result<(), RustBertError> {
        each_generator!(self, g => g.float())
    }

    /// Moves the weights to `device`.
    ///
    /// # Errors
    /// As [`LanguageGenerator::set_device`].
    pub fn set_device(&mut self, device: Device) -> Result<(), RustBertError> {
        each_generator!(self, g => g.set_device(device))
    }
}

/// Text generation pipeline.
pub struct TextGenerationModel {
    model: TextGenerationOption,
    prefix: Option<String>,
    min_length: i64,
    max_length: Option<i64>,
}

impl TextGenerationModel {
    /// Loads the pipeline.
    ///
    /// # Errors
    /// As [`TextGenerationOption::new`], and invalid settings.
    pub fn new(config: TextGenerationConfig) -> Result<Self, RustBertError> {
        let (min_length, max_length) = (config.min_length, config.max_length);
        Self::from_option(TextGenerationOption::new(config)?, min_length, max_length)
    }

    /// Loads the pipeline with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`TextGenerationModel::new`].
    pub fn new_with_tokenizer(
        config: TextGenerationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        let (min_length, max_length) = (config.min_length, config.max_length);
        Self::from_option(
            TextGenerationOption::new_with_tokenizer(config, tokenizer)?,
            min_length,
            max_length,
        )
    }

    fn from_option(
        model: TextGenerationOption,
        min_length: i64,
        max_length: Option<i64>,
    ) -> Result<Self, RustBertError> {
        Ok(Self {
            prefix: model.get_prefix(),
            model,
            min_length,
            max_length,
        })
    }

    /// Continues each text; returns `texts x num_return_sequences` strings (prompt included),
    /// grouped by text.
    ///
    /// `prefix` (or, without one, the model's own prefix) is put before every text, followed by
    /// a space; the lengths are extended by its token count and it is removed from the outputs.
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`].
    pub fn generate<'a, S>(
        &self,
        texts: &[S],
        prefix: impl Into<Option<&'a str>>,
    ) -> Result<Vec<String>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        self.generate_with_options(texts, prefix, None)
    }

    /// As [`TextGenerationModel::generate`] with per-call [`GenerateOptions`] (streaming
    /// callback, stop strings, other lengths...); the pipeline's lengths apply where the
    /// options give none.
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`].
    pub fn generate_with_options<'a, S>(
        &self,
        texts: &[S],
        prefix: impl Into<Option<&'a str>>,
        options: Option<GenerateOptions>,
    ) -> Result<Vec<String>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let (outputs, prefix_length) = self.run(texts, prefix.into(), options)?;
        let tokenizer = self.model.get_tokenizer();
        Ok(outputs
            .into_iter()
            .map(|output| {
                let skip = prefix_length.min(output.indices.len());
                tokenizer.decode(&output.indices[skip..], true, true)
            })
            .collect())
    }

    /// Generates for `texts` behind the prefix; returns the outputs and the prefix's length in
    /// tokens.
    fn run<S>(
        &self,
        texts: &[S],
        prefix: Option<&str>,
        options: Option<GenerateOptions>,
    ) -> Result<(Vec<GeneratedIndicesOutput>, usize), RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let prefix = prefix.map(str::to_string).or(self.prefix.clone());
        let tokenizer = self.model.get_tokenizer();
        let prefix_length = prefix
            .as_ref()
            .map_or(0, |p| tokenizer.tokenize(p).len() as i64);
        let mut options = options.unwrap_or_default();
        let min_length = options.min_length.unwrap_or(self.min_length);
        options.min_length = Some(min_length + prefix_length);
        if options.max_length.is_none() && options.max_new_tokens.is_none() {
            options.max_length = self.max_length.map(|m| m + prefix_length);
        }
        let outputs = match &prefix {
            Some(prefix) => {
                let texts: Vec<String> = texts
                    .iter()
                    .map(|text| format!("{prefix} {}", text.as_ref()))
                    .collect();
                self.model.generate_indices(Some(&texts), Some(options))?
            }
            None => self.model.generate_indices(Some(texts), Some(options))?,
        };
        Ok((outputs, prefix_length as usize))
    }

    /// As [`TextGenerationModel::generate`], returning token ids (prompt included, prefix
    /// removed) with their scores when `options` ask for them.
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate_indices`].
    pub fn generate_indices<'a, S>(
        &self,
        texts: &[S],
        prefix: impl Into<Option<&'a str>>,
        options: Option<GenerateOptions>,
    ) -> Result<Vec<GeneratedIndicesOutput>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let (outputs, prefix_length) = self.run(texts, prefix.into(), options)?;
        Ok(outputs
            .into_iter()
            .map(|mut output| {
                let skip = prefix_length.min(output.indices.len());
                output.indices.drain(..skip);
                output
            })
            .collect())
    }

    /// Converts the weights to half precision.
    ///
    /// # Errors
    /// As [`LanguageGenerator::half`].
    pub fn half(&mut self) -> Result<(), RustBertError> {
        self.model.half()
    }

    /// Converts the weights to single precision.
    ///
    /// # Errors
    /// As [`LanguageGenerator::float`].
    pub fn float(&mut self) -> Result<(), RustBertError> {
        self.model.float()
    }

    /// Moves the weights to `device`.
    ///
    /// # Errors
    /// As [`LanguageGenerator::set_device`].
    pub fn set_device(&mut self, device: Device) -> Result<(), RustBertError> {
        self.model.set_device(device)
    }
}
