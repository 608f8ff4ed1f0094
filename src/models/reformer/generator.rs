//! Reformer as a text generator.
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    generator_constructors, Cache, GeneratorSpecials, LMModelOutput, LanguageModelGenerator,
    StepInput,
};
use crate::reformer::{ReformerConfig, ReformerModelWithLMHead};
use crate::{Config, RustBertError};

/// Reformer text generator: [`crate::generation::LanguageGenerator`] over
/// [`ReformerModelWithLMHead`].
pub type ReformerGenerator = LanguageModelGenerator<ReformerModelWithLMHead>;

/// Reformer's special tokens from its configuration: `eos_token_id` ends, `pad_token_id` pads;
/// no beginning token. The longest sequence is the number of positions (axial positions
/// included), cut to a multiple of the chunk lengths so that a prompt of that length needs no
/// padding beyond it.
fn specials(config: &ReformerConfig, tokenizer: &TokenizerOption) -> GeneratorSpecials {
    let (chunk, _) = config.chunk_lengths();
    let positions = config.max_positions();
    let max_positions = if chunk > 0 && positions >= chunk {
        positions / chunk * chunk
    } else {
        positions
    };
    GeneratorSpecials {
        bos_token_id: tokenizer.get_bos_id(),
        eos_token_ids: Some(vec![config.eos_token_id]),
        pad_token_id: Some(config.pad_token_id),
        decoder_start_token_id: None,
        forced_bos_token_id: config.forced_bos_token_id,
        forced_eos_token_id: config.forced_eos_token_id,
        vocab_size: config.vocab_size,
        max_positions: Some(max_positions),
        is_encoder_decoder: false,
        banned_token_ids: Vec::new(),
        ..Default::default()
    }
}

generator_constructors!(
    ReformerModelWithLMHead,
    "Reformer",
    |path: &std::path::Path| ReformerConfig::try_from_file(path),
    |p, c| ReformerModelWithLMHead::new(p, c),
    specials
);

impl GenerativeModel for ReformerModelWithLMHead {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        self.step(input.input_ids, cache)
    }
}
