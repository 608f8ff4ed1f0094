//! The generator every model plugs into: a language-model head plus its tokenizer, variables,
//! default settings and special tokens. `GPT2Generator`, `OpenAIGenerator`, ... are this type
//! for their model.
use super::language_generator::private_generation_utils::{
    GenerativeModel, PrivateLanguageGenerator,
};
use super::{
    Cache, GenerateConfig, LMModelOutput, LanguageGenerator, ModelDefaults, SamplingDefaults,
    StepInput,
};
use crate::common::tokenizer::TokenizerOption;
use crate::resources::ResourceProvider;
use crate::RustBertError;
use tch::nn::VarStore;
use tch::Tensor;

/// The special tokens and limits a generator needs from its model's configuration.
#[derive(Debug, Clone, Default)]
pub(crate) struct GeneratorSpecials {
    pub bos_token_id: Option<i64>,
    pub eos_token_ids: Option<Vec<i64>>,
    pub pad_token_id: Option<i64>,
    pub decoder_start_token_id: Option<i64>,
    pub forced_bos_token_id: Option<i64>,
    pub forced_eos_token_id: Option<i64>,
    pub vocab_size: i64,
    pub max_positions: Option<i64>,
    pub is_encoder_decoder: bool,
    /// Tokens never generated (Marian's pad token), banned like single-token bad words.
    pub banned_token_ids: Vec<i64>,
    /// The sampling defaults the model ships with (its `generation_config.json`).
    pub sampling_defaults: SamplingDefaults,
    /// The model's `max_new_tokens`, when it applies (set by [`LanguageModelGenerator::load`]).
    pub default_max_new_tokens: Option<i64>,
}

/// A generative model ready for [`LanguageGenerator`]: the model, its tokenizer, its variables
/// and the default generation settings.
pub struct LanguageModelGenerator<M> {
    pub(crate) model: M,
    pub(crate) tokenizer: TokenizerOption,
    pub(crate) var_store: VarStore,
    pub(crate) generate_config: GenerateConfig,
    pub(crate) specials: GeneratorSpecials,
}

impl<M> LanguageModelGenerator<M> {
    /// The underlying model.
    pub fn get_model(&self) -> &M {
        &self.model
    }
}

impl<M: GenerativeModel> PrivateLanguageGenerator for LanguageModelGenerator<M> {
    fn _get_tokenizer(&self) -> &TokenizerOption {
        &self.tokenizer
    }
    fn _get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        &mut self.tokenizer
    }
    fn get_var_store(&self) -> &VarStore {
        &self.var_store
    }
    fn get_var_store_mut(&mut self) -> &mut VarStore {
        &mut self.var_store
    }
    fn get_config(&self) -> &GenerateConfig {
        &self.generate_config
    }
    fn get_bos_id(&self) -> Option<i64> {
        self.specials.bos_token_id
    }
    fn get_eos_ids(&self) -> Option<&Vec<i64>> {
        self.specials.eos_token_ids.as_ref()
    }
    fn get_pad_id(&self) -> Option<i64> {
        self.specials.pad_token_id
    }
    fn is_encoder_decoder(&self) -> bool {
        self.specials.is_encoder_decoder
    }
    fn get_vocab_size(&self) -> i64 {
        self.specials.vocab_size
    }
    fn get_decoder_start_id(&self) -> Option<i64> {
        self.specials.decoder_start_token_id
    }
    fn get_max_positions_embeddings(&self) -> Option<i64> {
        self.specials.max_positions
    }
    fn get_forced_bos_token_id(&self) -> Option<i64> {
        self.specials.forced_bos_token_id
    }
    fn get_forced_eos_token_id(&self) -> Option<i64> {
        self.specials.forced_eos_token_id
    }
    fn get_banned_token_ids(&self) -> &[i64] {
        &self.specials.banned_token_ids
    }
    fn get_default_max_new_tokens(&self) -> Option<i64> {
        self.specials.default_max_new_tokens
    }
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        self.model.forward_step(input, cache)
    }
    fn encode(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> Result<Option<Tensor>, RustBertError> {
        self.model.encode(input_ids, attention_mask)
    }
    fn prepare_scores_for_generation(&self, scores: Tensor) -> Tensor {
        self.model.prepare_scores(scores)
    }
    fn prompt_special_tokens(&self) -> bool {
        self.model.prompt_special_tokens()
    }
}

impl<M: GenerativeModel> LanguageGenerator for LanguageModelGenerator<M> {}

impl<M> LanguageModelGenerator<M> {
    /// Builds a generator: checks the settings, loads the tokenizer from the configuration's
    /// resources unless one is given, reads the model configuration with `read_config`, fills
    /// the settings left unset with the model's sampling defaults (see [`ModelDefaults`]),
    /// builds the model with `make` and loads the weights into it.
    pub(crate) fn load<C>(
        mut generate_config: GenerateConfig,
        tokenizer: Option<TokenizerOption>,
        read_config: impl FnOnce(&std::path::Path) -> Result<C, RustBertError>,
        make: impl for<'p> FnOnce(tch::nn::Path<'p>, &C) -> Result<M, RustBertError>,
        specials: impl FnOnce(&C, &TokenizerOption) -> GeneratorSpecials,
    ) -> Result<Self, RustBertError> {
        generate_config.validate()?;
        let tokenizer = match tokenizer {
            Some(tokenizer) => tokenizer,
            None => TokenizerOption::from_resources(
                generate_config.model_type,
                generate_config.vocab_resource.as_ref(),
                generate_config.merges_resource.as_deref(),
                false,
                None,
                None,
            )?,
        };
        let model_config = read_config(&generate_config.config_resource.get_local_path()?)?;
        let mut specials = specials(&model_config, &tokenizer);
        if generate_config.model_defaults == ModelDefaults::FillUnset {
            specials.default_max_new_tokens = specials.sampling_defaults.fill(&mut generate_config);
            generate_config.validate().map_err(|e| {
                RustBertError::ValueError(format!(
                    "the model's generation defaults give invalid settings: {e}"
                ))
            })?;
        }
        tokenizer.check_model_vocab(specials.vocab_size)?;
        let mut var_store = VarStore::new(generate_config.device);
        // Variables are created in the kind asked for: weights stored in that kind then load
        // without a copy (a bf16 `.safetensors` is mapped, never widened to f32 and narrowed
        // back), so a model needs about its file's size in memory.
        // (int8 weights, `Kind::QInt8`, are created and loaded in f32, then quantised.)
        if let Some(kind) = crate::common::quantize::storage_kind(generate_config.kind) {
            var_store.set_kind(kind);
        }
        let _deferred = crate::common::layers::linear::defer_init();
        let model = make(var_store.root(), &model_config)?;
        crate::resources::load_weights(
            &generate_config.model_resource,
            &mut var_store,
            generate_config.kind,
            generate_config.device,
        )?;
        Ok(Self {
            model,
            tokenizer,
            var_store,
            generate_config,
            specials,
        })
    }
}

/// Writes a generator's rust-bert constructors, `new(GenerateConfig)` and
/// `new_with_tokenizer(GenerateConfig, TokenizerOption)`, over
/// [`LanguageModelGenerator::load`]: `$name` names the model in the docs, `$read_config` reads
/// its configuration file, `$make` builds the model (`(path, &config) -> Result<model>`) and
/// `$specials` reads its special tokens.
macro_rules! generator_constructors {
    ($model:ty, $name:literal, $read_config:expr, $make:expr, $specials:expr) => {
        impl $crate::generation::LanguageModelGenerator<$model> {
            #[doc = concat!("Loads ", $name, " and its tokenizer from the configuration's resources.")]
            ///
            /// # Errors
            /// Invalid settings, and errors of the resources, the configuration, the tokenizer
            /// files and the weights.
            pub fn new(
                generate_config: $crate::generation::GenerateConfig,
            ) -> Result<Self, $crate::RustBertError> {
                Self::load(generate_config, None, $read_config, $make, $specials)
            }

            #[doc = concat!("Loads ", $name, " with a tokenizer of your own (the vocabulary resources are then unused).")]
            ///
            /// # Errors
            /// As `new`.
            pub fn new_with_tokenizer(
                generate_config: $crate::generation::GenerateConfig,
                tokenizer: $crate::common::tokenizer::TokenizerOption,
            ) -> Result<Self, $crate::RustBertError> {
                Self::load(generate_config, Some(tokenizer), $read_config, $make, $specials)
            }
        }
    };
}
pub(crate) use generator_constructors;
