//! GPT-J as a text generator.
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    generator_constructors, Cache, GeneratorSpecials, LMModelOutput, LanguageModelGenerator,
    StepInput,
};
use crate::gpt_j::{GptJConfig, GptJLMHeadModel};
use crate::{Config, RustBertError};

/// GPT-J text generator: [`crate::generation::LanguageGenerator`] over [`GptJLMHeadModel`].
pub type GptJGenerator = LanguageModelGenerator<GptJLMHeadModel>;

/// GPT-J's special tokens: the configuration's, else the tokenizer's (GPT-2's
/// `<|endoftext|>` begins and ends); no padding token (padding uses the end token).
fn specials(config: &GptJConfig, tokenizer: &TokenizerOption) -> GeneratorSpecials {
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

generator_constructors!(
    GptJLMHeadModel,
    "GPT-J",
    |path: &std::path::Path| GptJConfig::try_from_file(path),
    |p, c| GptJLMHeadModel::try_new(p, c),
    specials
);

impl GenerativeModel for GptJLMHeadModel {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        self.run(
            (Some(input.input_ids), None, None),
            cache,
            Some(input.attention_mask),
            input.position_ids,
            false,
            true,
        )
    }
}
