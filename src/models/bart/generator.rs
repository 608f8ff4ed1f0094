//! BART as a generator (summarization), through the shared generation engine.
use crate::bart::{BartConfig, BartForConditionalGeneration};
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    Cache, GenerateConfig, GeneratorSpecials, LMModelOutput, LanguageModelGenerator, StepInput,
};
use crate::{Config, RustBertError};
use tch::Tensor;

/// BART text generator: [`crate::generation::LanguageGenerator`] over
/// [`BartForConditionalGeneration`].
pub type BartGenerator = LanguageModelGenerator<BartForConditionalGeneration>;

/// Special tokens of an encoder-decoder model of the BART family: the configuration's, else
/// the tokenizer's.
pub(crate) fn seq2seq_specials(
    config: &BartConfig,
    tokenizer: &TokenizerOption,
) -> GeneratorSpecials {
    let eos = config.eos_token_id.or_else(|| tokenizer.get_eos_id());
    GeneratorSpecials {
        bos_token_id: config.bos_token_id.or_else(|| tokenizer.get_bos_id()),
        eos_token_ids: eos.map(|id| vec![id]),
        pad_token_id: config.pad_token_id.or_else(|| tokenizer.get_pad_id()),
        decoder_start_token_id: config.decoder_start_token_id.or(eos),
        forced_bos_token_id: config.forced_bos_token_id,
        forced_eos_token_id: config.forced_eos_token_id,
        vocab_size: config.vocab_size,
        max_positions: Some(config.max_position_embeddings),
        is_encoder_decoder: true,
        banned_token_ids: Vec::new(),
        ..Default::default()
    }
}

fn read_config(path: &std::path::Path) -> Result<BartConfig, RustBertError> {
    BartConfig::try_from_file(path)
}

impl LanguageModelGenerator<BartForConditionalGeneration> {
    /// Loads BART and its tokenizer from the configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer files
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            None,
            read_config,
            |p, c| Ok(BartForConditionalGeneration::new(p, c)),
            seq2seq_specials,
        )
    }

    /// Loads BART with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`BartGenerator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            |p, c| Ok(BartForConditionalGeneration::new(p, c)),
            seq2seq_specials,
        )
    }
}

impl BartForConditionalGeneration {
    /// One decoder step over a cached encoder output (shared by the family's generators).
    pub(crate) fn decoder_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        let cache = match cache {
            Cache::BARTCache(layers) => layers,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "BART-family models take a Cache::BARTCache, not {}",
                    other.variant_name()
                )))
            }
        };
        let encoder = input.encoder_outputs.ok_or_else(|| {
            RustBertError::ValueError("a decoder step needs the encoder output".into())
        })?;
        let model = &self.base_model;
        let (hidden, next, _) = model.decoder.forward_t(
            input.input_ids,
            encoder,
            Some(input.attention_mask),
            None,
            &model.embeddings,
            cache,
            false,
        )?;
        let seq = hidden.size()[1];
        Ok(LMModelOutput {
            lm_logits: self.logits(&hidden.narrow(1, seq - 1, 1)),
            cache: Cache::BARTCache(next),
        })
    }
}

impl GenerativeModel for BartForConditionalGeneration {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        self.decoder_step(input, cache)
    }

    fn encode(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> Result<Option<Tensor>, RustBertError> {
        Ok(Some(BartForConditionalGeneration::try_encode(
            self,
            input_ids,
            Some(attention_mask),
        )?))
    }
}
