//! ProphetNet as a generator (summarization), through the shared generation engine: the next
//! token comes from the first predict stream, one token per cached step as in HF's `generate`.
use super::{ProphetNetConfig, ProphetNetForConditionalGeneration};
use crate::common::model_type::ModelType;
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    Cache, GenerateConfig, GeneratorSpecials, LMModelOutput, LanguageModelGenerator, StepInput,
};
use crate::{Config, RustBertError};
use tch::Tensor;

/// ProphetNet text generator: [`crate::generation::LanguageGenerator`] over
/// [`ProphetNetForConditionalGeneration`].
pub type ProphetNetConditionalGenerator =
    LanguageModelGenerator<ProphetNetForConditionalGeneration>;

fn specials(config: &ProphetNetConfig, _tokenizer: &TokenizerOption) -> GeneratorSpecials {
    GeneratorSpecials {
        bos_token_id: Some(config.bos_token_id),
        eos_token_ids: Some(vec![config.eos_token_id]),
        pad_token_id: Some(config.pad_token_id),
        decoder_start_token_id: config.decoder_start_token_id,
        forced_bos_token_id: config.forced_bos_token_id,
        forced_eos_token_id: config.forced_eos_token_id,
        vocab_size: config.vocab_size,
        max_positions: Some(config.max_position_embeddings),
        is_encoder_decoder: true,
        banned_token_ids: Vec::new(),
        ..Default::default()
    }
}

fn read_config(path: &std::path::Path) -> Result<ProphetNetConfig, RustBertError> {
    ProphetNetConfig::try_from_file(path)
}

impl LanguageModelGenerator<ProphetNetForConditionalGeneration> {
    /// Loads ProphetNet and its tokenizer (uncased WordPiece, accents stripped, as the released
    /// checkpoints and HF's tokenizer default) from the configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the vocabulary and
    /// the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        let tokenizer = TokenizerOption::from_resources(
            ModelType::ProphetNet,
            generate_config.vocab_resource.as_ref(),
            None,
            true,
            None,
            None,
        )?;
        Self::new_with_tokenizer(generate_config, tokenizer)
    }

    /// Loads ProphetNet with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`ProphetNetConditionalGenerator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            |p, c| ProphetNetForConditionalGeneration::new(p, c),
            specials,
        )
    }
}

impl GenerativeModel for ProphetNetForConditionalGeneration {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        let cache = match cache {
            Cache::ProphetNetCache(layers) => layers,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "ProphetNet takes a Cache::ProphetNetCache, not {}",
                    other.variant_name()
                )))
            }
        };
        let encoder = input.encoder_outputs.ok_or_else(|| {
            RustBertError::ValueError("a decoder step needs the encoder output".into())
        })?;
        let (lm_logits, next) =
            self.decoder_step(input.input_ids, encoder, input.attention_mask, cache)?;
        Ok(LMModelOutput {
            lm_logits,
            cache: Cache::ProphetNetCache(next),
        })
    }

    fn encode(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> Result<Option<Tensor>, RustBertError> {
        Ok(Some(ProphetNetForConditionalGeneration::encode(
            self,
            Some(input_ids),
            Some(attention_mask),
            None,
        )?))
    }
}
