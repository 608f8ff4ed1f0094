//! XLNet as a text generator.
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    Cache, GenerateConfig, GeneratorSpecials, LMModelOutput, LanguageModelGenerator, StepInput,
};
use crate::xlnet::{XLNetConfig, XLNetLMHeadModel};
use crate::{Config, RustBertError};
use tch::{Kind, Tensor};

/// XLNet text generator: [`crate::generation::LanguageGenerator`] over
/// [`XLNetLMHeadModel`].
pub type XLNetGenerator = LanguageModelGenerator<XLNetLMHeadModel>;

/// Tokens each step re-reads from the end of the rows (HF's `offset`: the newest token and the
/// one before, whose memory entry is recomputed with the newest token in view).
const OFFSET: i64 = 2;

/// XLNet's special tokens from its configuration (`<s>` 1, `</s>` 2, `<pad>` 5 in the
/// pretrained vocabulary); relative positions put no limit on the length.
fn specials(config: &XLNetConfig, _tokenizer: &TokenizerOption) -> GeneratorSpecials {
    GeneratorSpecials {
        bos_token_id: Some(config.bos_token_id),
        eos_token_ids: Some(vec![config.eos_token_id]),
        pad_token_id: Some(config.pad_token_id),
        decoder_start_token_id: None,
        forced_bos_token_id: config.forced_bos_token_id,
        forced_eos_token_id: config.forced_eos_token_id,
        vocab_size: config.vocab_size,
        max_positions: None,
        is_encoder_decoder: false,
        banned_token_ids: Vec::new(),
        ..Default::default()
    }
}

fn read_config(path: &std::path::Path) -> Result<XLNetConfig, RustBertError> {
    XLNetConfig::try_from_file(path)
}

fn build(p: tch::nn::Path, config: &XLNetConfig) -> Result<XLNetLMHeadModel, RustBertError> {
    Ok(XLNetLMHeadModel::new(p, config))
}

impl LanguageModelGenerator<XLNetLMHeadModel> {
    /// Loads XLNet and its tokenizer from the configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer files
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(generate_config, None, read_config, build, specials)
    }

    /// Loads XLNet with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`XLNetGenerator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            build,
            specials,
        )
    }
}

impl GenerativeModel for XLNetLMHeadModel {
    /// One step as HF's `prepare_inputs_for_generation`: the rows (whole on the first step,
    /// else their last two tokens with the memory minus its last two entries) followed by a
    /// dummy token that no token sees, predicted through the query stream. The attention mask
    /// is not used: HF drops it, so left padding is attended to.
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        let states = match cache {
            Cache::XLNetCache(states) => states,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "XLNet takes a Cache::XLNetCache, not {}",
                    other.variant_name()
                )))
            }
        };
        let sequences = input.sequences;
        let size = sequences.size();
        let (rows, length) = (size[0], size[1]);
        let device = sequences.device();
        let (ids, states) = match states {
            Some(states) => {
                let keep = OFFSET.min(length);
                let states = states
                    .into_iter()
                    .map(|state| {
                        state.map(|mut state| {
                            let kept = (state.prev_content.size()[0] - OFFSET).max(0);
                            state.prev_content = state.prev_content.narrow(0, 0, kept);
                            state
                        })
                    })
                    .collect();
                (sequences.narrow(1, length - keep, keep), Some(states))
            }
            None => (sequences.shallow_clone(), None),
        };
        let ids = Tensor::cat(&[ids, Tensor::zeros([rows, 1], (Kind::Int64, device))], 1);
        let n = ids.size()[1];
        let perm_mask = Tensor::zeros([rows, n, n], (Kind::Float, device));
        let _ = perm_mask.narrow(2, n - 1, 1).fill_(1.0);
        let target_mapping = Tensor::zeros([rows, 1, n], (Kind::Float, device));
        let _ = target_mapping.narrow(2, n - 1, 1).fill_(1.0);
        self.forward_t(
            Some(&ids),
            None,
            states,
            Some(&perm_mask),
            Some(&target_mapping),
            None,
            None,
            false,
        )
    }
}
