//! GPT-Neo as a text generator.
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    generator_constructors, Cache, GeneratorSpecials, LMModelOutput, LanguageModelGenerator,
    StepInput,
};
use crate::gpt_neo::{GptNeoConfig, GptNeoForCausalLM};
use crate::{Config, RustBertError};

/// GPT-Neo text generator: [`crate::generation::LanguageGenerator`] over
/// [`GptNeoForCausalLM`].
pub type GptNeoGenerator = LanguageModelGenerator<GptNeoForCausalLM>;

/// GPT-Neo's special tokens: `<|endoftext|>` begins and ends; no padding token (padding uses
/// the end token, as HF generate does).
fn specials(config: &GptNeoConfig, _tokenizer: &TokenizerOption) -> GeneratorSpecials {
    GeneratorSpecials {
        bos_token_id: Some(config.bos_token_id),
        eos_token_ids: Some(vec![config.eos_token_id]),
        pad_token_id: None,
        decoder_start_token_id: None,
        forced_bos_token_id: config.forced_bos_token_id,
        forced_eos_token_id: config.forced_eos_token_id,
        vocab_size: config.vocab_size,
        max_positions: Some(config.max_position_embeddings),
        is_encoder_decoder: false,
        banned_token_ids: Vec::new(),
        ..Default::default()
    }
}

generator_constructors!(
    GptNeoForCausalLM,
    "GPT-Neo",
    |path: &std::path::Path| GptNeoConfig::try_from_file(path),
    |p, c| GptNeoForCausalLM::new(p, c),
    specials
);

impl GenerativeModel for GptNeoForCausalLM {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        self.step(
            input.input_ids,
            cache,
            input.attention_mask,
            input.position_ids,
        )
    }
}
