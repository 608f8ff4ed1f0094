//! GPT-2 and OpenAI GPT as text generators.
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    Cache, GenerateConfig, GeneratorSpecials, LMModelOutput, LanguageModelGenerator, StepInput,
};
use crate::gpt2::{GPT2LMHeadModel, Gpt2Config};
use crate::openai_gpt::OpenAIGPTLMHeadModel;
use crate::{Config, RustBertError};

/// GPT-2 text generator: [`crate::generation::LanguageGenerator`] over
/// [`GPT2LMHeadModel`].
pub type GPT2Generator = LanguageModelGenerator<GPT2LMHeadModel>;

/// OpenAI GPT text generator: [`crate::generation::LanguageGenerator`] over
/// [`OpenAIGPTLMHeadModel`] (no cache: each step reads the whole sequence).
pub type OpenAIGenerator = LanguageModelGenerator<OpenAIGPTLMHeadModel>;

/// Special tokens of the GPT family: the configuration's, else the tokenizer's (GPT-2's
/// `<|endoftext|>` both begins and ends); no padding token (padding uses the end token).
fn specials(config: &Gpt2Config, tokenizer: &TokenizerOption) -> GeneratorSpecials {
    GeneratorSpecials {
        bos_token_id: config.bos_token_id.or_else(|| tokenizer.get_bos_id()),
        eos_token_ids: config
            .eos_token_id
            .or_else(|| tokenizer.get_eos_id())
            .map(|id| vec![id]),
        pad_token_id: config.pad_token_id,
        decoder_start_token_id: None,
        forced_bos_token_id: config.forced_bos_token_id,
        forced_eos_token_id: config.forced_eos_token_id,
        vocab_size: config.vocab_size,
        max_positions: Some(config.n_positions),
        is_encoder_decoder: false,
        banned_token_ids: Vec::new(),
        ..Default::default()
    }
}

fn read_config(path: &std::path::Path) -> Result<Gpt2Config, RustBertError> {
    Gpt2Config::try_from_file(path)
}

impl LanguageModelGenerator<GPT2LMHeadModel> {
    /// Loads GPT-2 and its tokenizer from the configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer files
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            None,
            read_config,
            |p, c| Ok(GPT2LMHeadModel::new(p, c)),
            specials,
        )
    }

    /// Loads GPT-2 with a tokenizer of your own (the vocabulary resources are then unused).
    ///
    /// # Errors
    /// As [`GPT2Generator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            |p, c| Ok(GPT2LMHeadModel::new(p, c)),
            specials,
        )
    }
}

impl LanguageModelGenerator<OpenAIGPTLMHeadModel> {
    /// Loads OpenAI GPT and its tokenizer from the configuration's resources.
    ///
    /// # Errors
    /// As [`GPT2Generator::new`].
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            None,
            read_config,
            |p, c| Ok(OpenAIGPTLMHeadModel::new(p, c)),
            specials,
        )
    }

    /// Loads OpenAI GPT with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`GPT2Generator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            |p, c| Ok(OpenAIGPTLMHeadModel::new(p, c)),
            specials,
        )
    }
}

impl GenerativeModel for GPT2LMHeadModel {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        let layer_past = match cache {
            Cache::GPT2Cache(layer_past) => layer_past,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "GPT-2 takes a Cache::GPT2Cache, not {}",
                    other.variant_name()
                )))
            }
        };
        self.run(
            Some(input.input_ids),
            layer_past.as_ref(),
            Some(input.attention_mask),
            input.position_ids,
            (None, None),
            false,
            true,
        )
    }
}

impl GenerativeModel for OpenAIGPTLMHeadModel {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        self.run(
            Some(input.input_ids),
            cache,
            Some(input.attention_mask),
            input.position_ids,
            (None, None),
            false,
            true,
        )
    }
}
