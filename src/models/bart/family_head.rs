//! The heads of models on BART's stack that are BART's conditional-generation head built with
//! other switches (Marian, Pegasus): a newtype over [`BartForConditionalGeneration`] in a field
//! `base`, with rust-bert's `forward_t` / `encode` (and their `try_` twins) and the generation
//! engine's step, written once here.
#[cfg(doc)]
use crate::bart::BartForConditionalGeneration;

/// Implements `try_forward_t`, `forward_t`, `try_encode`, `encode` and the engine's
/// `GenerativeModel` for `$model`, a struct holding a `BartForConditionalGeneration` in `base`.
macro_rules! bart_family_head {
    // The generation engine's step alone, for a head whose own `forward_t` differs (mBART's
    // shifted decoder input).
    (step $model:ty) => {
        impl crate::generation::private_generation_utils::GenerativeModel for $model {
            fn forward_step(
                &self,
                input: &crate::generation::StepInput<'_>,
                cache: crate::generation::Cache,
            ) -> Result<crate::generation::LMModelOutput, crate::RustBertError> {
                self.base.decoder_step(input, cache)
            }

            fn encode(
                &self,
                input_ids: &tch::Tensor,
                attention_mask: &tch::Tensor,
            ) -> Result<Option<tch::Tensor>, crate::RustBertError> {
                Ok(Some(self.base.try_encode(input_ids, Some(attention_mask))?))
            }
        }
    };
    ($model:ty) => {
        impl $model {
            /// Runs the model (arguments as [`crate::bart::BartForConditionalGeneration::forward_t`];
            /// without `decoder_input_ids`, the input shifted right after the decoder start
            /// token): logits in `decoder_output`.
            ///
            /// # Errors
            /// Missing inputs, mis-shaped masks, ids outside the vocabulary, sequences longer
            /// than the position table, a cache of the wrong depth.
            #[allow(clippy::too_many_arguments)]
            pub fn try_forward_t(
                &self,
                input_ids: Option<&tch::Tensor>,
                attention_mask: Option<&tch::Tensor>,
                encoder_output: Option<&tch::Tensor>,
                decoder_input_ids: Option<&tch::Tensor>,
                decoder_attention_mask: Option<&tch::Tensor>,
                old_layer_states: Option<crate::generation::DecoderCache>,
                train: bool,
            ) -> Result<crate::bart::BartModelOutput, crate::RustBertError> {
                self.base.try_forward_t(
                    input_ids,
                    attention_mask,
                    encoder_output,
                    decoder_input_ids,
                    decoder_attention_mask,
                    old_layer_states,
                    train,
                )
            }

            crate::common::twin::infallible_twin! {
                /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output
                /// itself.
                pub fn forward_t(
                    &self,
                    input_ids: Option<&tch::Tensor>,
                    attention_mask: Option<&tch::Tensor>,
                    encoder_output: Option<&tch::Tensor>,
                    decoder_input_ids: Option<&tch::Tensor>,
                    decoder_attention_mask: Option<&tch::Tensor>,
                    old_layer_states: Option<crate::generation::DecoderCache>,
                    train: bool
                ) -> crate::bart::BartModelOutput = try_forward_t
            }

            /// Runs the encoder alone: `[batch, source, d_model]`.
            ///
            /// # Errors
            /// As [`Self::try_forward_t`].
            pub fn try_encode(
                &self,
                input_ids: &tch::Tensor,
                attention_mask: Option<&tch::Tensor>,
            ) -> Result<tch::Tensor, crate::RustBertError> {
                self.base.try_encode(input_ids, attention_mask)
            }

            crate::common::twin::infallible_twin! {
                /// As [`Self::try_encode`], with rust-bert 0.23's signature: the output itself.
                pub fn encode(
                    &self,
                    input_ids: &tch::Tensor,
                    attention_mask: Option<&tch::Tensor>
                ) -> tch::Tensor = try_encode
            }
        }

        $crate::bart::bart_family_head!(step $model);
    };
}
pub(crate) use bart_family_head;
