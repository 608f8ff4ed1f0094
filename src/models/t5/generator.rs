//! T5 as a generator (summarization, translation, any text-to-text task).
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    Cache, GenerateConfig, GeneratorSpecials, LMModelOutput, LanguageModelGenerator, StepInput,
};
use crate::t5::{T5Config, T5ForConditionalGeneration};
use crate::{Config, RustBertError};
use tch::Tensor;

/// T5 text generator: [`crate::generation::LanguageGenerator`] over
/// [`T5ForConditionalGeneration`].
pub type T5Generator = LanguageModelGenerator<T5ForConditionalGeneration>;

/// T5's special tokens: pad 0 (also the decoder start), end 1, no beginning token.
pub(crate) fn t5_specials(config: &T5Config, tokenizer: &TokenizerOption) -> GeneratorSpecials {
    let pad = config
        .pad_token_id
        .or_else(|| tokenizer.get_pad_id())
        .unwrap_or(0);
    GeneratorSpecials {
        bos_token_id: None,
        eos_token_ids: Some(vec![config
            .eos_token_id
            .or_else(|| tokenizer.get_eos_id())
            .unwrap_or(1)]),
        pad_token_id: Some(pad),
        decoder_start_token_id: Some(config.decoder_start_token_id.unwrap_or(pad)),
        forced_bos_token_id: config.forced_bos_token_id,
        forced_eos_token_id: config.forced_eos_token_id,
        vocab_size: config.vocab_size,
        // Relative positions have no table: the limit is the tokenizer's (rust-bert's 512).
        max_positions: Some(config.n_positions.unwrap_or(512)),
        is_encoder_decoder: true,
        banned_token_ids: Vec::new(),
        ..Default::default()
    }
}

fn read_config(path: &std::path::Path) -> Result<T5Config, RustBertError> {
    T5Config::try_from_file(path)
}

fn build(p: tch::nn::Path, config: &T5Config) -> Result<T5ForConditionalGeneration, RustBertError> {
    Ok(T5ForConditionalGeneration::new(p, config))
}

impl LanguageModelGenerator<T5ForConditionalGeneration> {
    /// Loads T5 and its tokenizer from the configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer files
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(generate_config, None, read_config, build, t5_specials)
    }

    /// Loads T5 with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`T5Generator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            build,
            t5_specials,
        )
    }
}

impl GenerativeModel for T5ForConditionalGeneration {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        let cache = match cache {
            Cache::T5Cache(layers) => layers,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "T5 takes a Cache::T5Cache, not {}",
                    other.variant_name()
                )))
            }
        };
        let encoder = input.encoder_outputs.ok_or_else(|| {
            RustBertError::ValueError("a decoder step needs the encoder output".into())
        })?;
        let output = self.base_model.try_forward_t(
            None,
            Some(input.attention_mask),
            Some(encoder),
            Some(input.input_ids),
            None,
            None,
            None,
            cache,
            false,
        )?;
        let seq = output.decoder_output.size()[1];
        Ok(LMModelOutput {
            lm_logits: self.logits(&output.decoder_output.narrow(1, seq - 1, 1)),
            cache: Cache::T5Cache(output.next_cache),
        })
    }

    fn encode(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> Result<Option<Tensor>, RustBertError> {
        Ok(Some(
            self.base_model.encode(input_ids, Some(attention_mask))?,
        ))
    }
}
