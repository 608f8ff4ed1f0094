//! The traits a generative model implements: the crate-private [`PrivateLanguageGenerator`]
//! (and, underneath it, [`GenerativeModel`]: one forward step) and the public
//! [`LanguageGenerator`] every model gets from it.
use super::search;
use super::{
    Cache, GenerateConfig, GenerateOptions, GeneratedIndicesOutput, GeneratedTextOutput,
    LMModelOutput,
};
use crate::common::tokenizer::TokenizerOption;
use crate::RustBertError;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// One forward step's inputs, as the engine hands them to a model.
pub struct StepInput<'a> {
    /// Tokens not yet in the cache `[rows, n]` (the whole sequence on the first step or for
    /// models without a cache; for encoder-decoder models, the decoder's tokens).
    pub input_ids: &'a Tensor,
    /// Every token of the rows so far `[rows, length]` (prompt and generated tokens; the
    /// decoder's tokens for encoder-decoder models), for models that re-read some of them
    /// (XLNet feeds its last two tokens each step).
    pub sequences: &'a Tensor,
    /// Decoder-only: the attention mask of the whole sequence `[rows, past + n]`;
    /// encoder-decoder: the encoder's mask `[rows, source]`.
    pub attention_mask: &'a Tensor,
    /// Decoder-only: positions of `input_ids` (from the attention mask, as HF generate).
    pub position_ids: Option<&'a Tensor>,
    /// Encoder-decoder: the encoder's output `[rows, source, hidden]`.
    pub encoder_outputs: Option<&'a Tensor>,
}

pub(crate) mod private_generation_utils {
    use super::*;

    /// A language-model head as the generator drives it (implemented by the crate's models).
    pub trait GenerativeModel {
        /// One forward step: logits `[rows, n, vocab]` and the cache for the next step.
        fn forward_step(
            &self,
            input: &StepInput<'_>,
            cache: Cache,
        ) -> Result<LMModelOutput, RustBertError>;

        /// Encoder-decoder models: the encoder's output for the source tokens.
        fn encode(
            &self,
            _input_ids: &Tensor,
            _attention_mask: &Tensor,
        ) -> Result<Option<Tensor>, RustBertError> {
            Ok(None)
        }

        /// Model-specific changes to the next-token scores.
        fn prepare_scores(&self, scores: Tensor) -> Tensor {
            scores
        }

        /// Whether a decoder-only model's text prompts get the tokenizer's special tokens
        /// (HF's text-generation pipeline tokenizes with them: Llama's BOS). rust-bert's
        /// models (GPT-2, GPT-Neo, ...) tokenize prompts without them.
        fn prompt_special_tokens(&self) -> bool {
            false
        }
    }

    /// What a model provides to the generation engine. Crate-private: the models of this crate
    /// implement it and get [`LanguageGenerator`] in return.
    pub trait PrivateLanguageGenerator {
        /// The tokenizer.
        fn _get_tokenizer(&self) -> &TokenizerOption;
        /// The tokenizer, mutably.
        fn _get_tokenizer_mut(&mut self) -> &mut TokenizerOption;
        /// The variables.
        fn get_var_store(&self) -> &VarStore;
        /// The variables, mutably.
        fn get_var_store_mut(&mut self) -> &mut VarStore;
        /// The default settings.
        fn get_config(&self) -> &GenerateConfig;
        /// Beginning-of-sequence id (starts generation from no prompt).
        fn get_bos_id(&self) -> Option<i64>;
        /// End-of-sequence ids.
        fn get_eos_ids(&self) -> Option<&Vec<i64>>;
        /// Padding id.
        fn get_pad_id(&self) -> Option<i64>;
        /// Whether the model has an encoder and a decoder.
        fn is_encoder_decoder(&self) -> bool;
        /// Output vocabulary size.
        fn get_vocab_size(&self) -> i64;
        /// First decoder token of encoder-decoder models.
        fn get_decoder_start_id(&self) -> Option<i64>;
        /// Longest sequence the model takes (prompt and new tokens for decoder-only models).
        fn get_max_positions_embeddings(&self) -> Option<i64>;
        /// Token forced first, from the model's configuration.
        fn get_forced_bos_token_id(&self) -> Option<i64> {
            None
        }
        /// Token forced last at the maximum length, from the model's configuration.
        fn get_forced_eos_token_id(&self) -> Option<i64> {
            None
        }
        /// Tokens the model never generates (Marian's pad token).
        fn get_banned_token_ids(&self) -> &[i64] {
            &[]
        }
        /// The model's own `max_new_tokens` (its generation defaults), used when neither the
        /// configuration nor the call sets a length.
        fn get_default_max_new_tokens(&self) -> Option<i64> {
            None
        }

        /// One forward step: logits `[rows, n, vocab]` and the cache for the next step.
        fn forward_step(
            &self,
            input: &StepInput<'_>,
            cache: Cache,
        ) -> Result<LMModelOutput, RustBertError>;

        /// Encoder-decoder models: runs the encoder once per call.
        fn encode(
            &self,
            _input_ids: &Tensor,
            _attention_mask: &Tensor,
        ) -> Result<Option<Tensor>, RustBertError> {
            Ok(None)
        }

        /// Model-specific changes to the next-token scores before the processors (e.g.
        /// Marian's never-generated pad token).
        fn prepare_scores_for_generation(&self, scores: Tensor) -> Tensor {
            scores
        }

        /// See [`GenerativeModel::prompt_special_tokens`].
        fn prompt_special_tokens(&self) -> bool {
            false
        }

        /// Tokenizes prompts (the model's special tokens for encoder-decoder models and for
        /// decoder-only ones whose [`PrivateLanguageGenerator::prompt_special_tokens`] says so,
        /// none for the others), truncates them to `max_len` tokens — decoder-only models keep
        /// the end of a long prompt, encoder-decoder ones its beginning — and left-pads them
        /// with `pad_token_id`. Returns the ids and the attention mask.
        fn encode_prompt_text<S: AsRef<str>>(
            &self,
            prompt_text: &[S],
            max_len: Option<i64>,
            pad_token_id: i64,
        ) -> Result<(Tensor, Tensor), RustBertError> {
            let tokenizer = self._get_tokenizer();
            let encoder_decoder = self.is_encoder_decoder();
            let mut rows: Vec<Vec<i64>> = prompt_text
                .iter()
                .map(|text| {
                    let ids = tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(text.as_ref()));
                    if encoder_decoder || self.prompt_special_tokens() {
                        tokenizer
                            .build_input_with_special_tokens(
                                rust_tokenizers::TokenIdsWithOffsets {
                                    ids,
                                    offsets: Vec::new(),
                                    reference_offsets: Vec::new(),
                                    masks: Vec::new(),
                                },
                                None,
                            )
                            .token_ids
                    } else {
                        ids
                    }
                })
                .collect();
            // An empty prompt starts from the beginning-of-sequence token.
            if let Some(bos) = self.get_bos_id() {
                for row in rows.iter_mut().filter(|row| row.is_empty()) {
                    row.push(bos);
                }
            }
            if let Some(max_len) = max_len.filter(|&m| m > 0) {
                let max_len = max_len as usize;
                for row in rows.iter_mut().filter(|row| row.len() > max_len) {
                    if encoder_decoder {
                        let last = row.last().copied();
                        row.truncate(max_len);
                        // Keep the closing special token, as tokenizers' truncation does
                        // (ProphetNet's is its separator: it declares no end token).
                        if let (Some(last), Some(end)) = (last, row.last_mut()) {
                            if tokenizer.get_eos_id().or_else(|| tokenizer.get_sep_id())
                                == Some(last)
                            {
                                *end = last;
                            }
                        }
                    } else {
                        row.drain(..row.len() - max_len);
                    }
                }
            }
            let device = self.get_var_store().device();
            // Encoders read positions from 0 whatever the padding: their inputs are padded on
            // the right, as HF tokenizers do; decoder-only prompts on the left.
            Ok(if encoder_decoder {
                right_pad(&rows, pad_token_id, device)
            } else {
                left_pad(&rows, pad_token_id, device)
            })
        }
    }
}

pub(crate) use private_generation_utils::PrivateLanguageGenerator;

/// Left-pads rows of token ids with `pad_token_id` into a `[rows, longest]` tensor on `device`,
/// with the attention mask (0 on padding), as decoder-only generation wants its prompts.
pub(crate) fn left_pad(rows: &[Vec<i64>], pad_token_id: i64, device: Device) -> (Tensor, Tensor) {
    pad(rows, pad_token_id, device, true)
}

/// As [`left_pad`], padding on the right (encoder inputs).
pub(crate) fn right_pad(rows: &[Vec<i64>], pad_token_id: i64, device: Device) -> (Tensor, Tensor) {
    pad(rows, pad_token_id, device, false)
}

fn pad(rows: &[Vec<i64>], pad_token_id: i64, device: Device, left: bool) -> (Tensor, Tensor) {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut ids = Vec::with_capacity(rows.len() * width);
    let mut mask = Vec::with_capacity(rows.len() * width);
    for row in rows {
        let padding = width - row.len();
        if left {
            ids.extend(std::iter::repeat_n(pad_token_id, padding));
            mask.extend(std::iter::repeat_n(0i64, padding));
        }
        ids.extend_from_slice(row);
        mask.extend(std::iter::repeat_n(1i64, row.len()));
        if !left {
            ids.extend(std::iter::repeat_n(pad_token_id, padding));
            mask.extend(std::iter::repeat_n(0i64, padding));
        }
    }
    let shape = [rows.len() as i64, width as i64];
    (
        Tensor::from_slice(&ids).view(shape).to(device),
        Tensor::from_slice(&mask).view(shape).to(device),
    )
}

/// Text generation for every generative model of the crate (GPT-2, OpenAI GPT, ...): the
/// methods come with the model; see the module documentation.
pub trait LanguageGenerator: PrivateLanguageGenerator {
    /// Generates text from prompts (`None`: from the beginning-of-sequence token alone).
    ///
    /// Returns `prompts x num_return_sequences` outputs, grouped by prompt; an empty prompt
    /// list gives an empty output.
    ///
    /// # Errors
    /// Invalid settings, a model without a beginning-of-sequence token asked to start from
    /// nothing, and the model's errors.
    fn generate<S>(
        &self,
        prompt_texts: Option<&[S]>,
        generate_options: Option<GenerateOptions>,
    ) -> Result<Vec<GeneratedTextOutput>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let outputs = self.generate_indices(prompt_texts, generate_options)?;
        let tokenizer = self._get_tokenizer();
        let clean_up = tokenizer.hf_clean_up_tokenization_spaces();
        Ok(outputs
            .into_iter()
            .map(|output| GeneratedTextOutput {
                text: tokenizer.decode(&output.indices, true, clean_up),
                score: output.score,
            })
            .collect())
    }

    /// As [`LanguageGenerator::generate`], returning token ids instead of text.
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`].
    fn generate_indices<S>(
        &self,
        prompt_texts: Option<&[S]>,
        generate_options: Option<GenerateOptions>,
    ) -> Result<Vec<GeneratedIndicesOutput>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let pad = search::pad_token_id(self, generate_options.as_ref());
        let (input_ids, attention_mask) = match prompt_texts {
            Some([]) => return Ok(Vec::new()),
            Some(prompts) => {
                let max_len = self.get_max_positions_embeddings().map(|m| {
                    // Leave decoder-only models room for at least one new token.
                    if self.is_encoder_decoder() {
                        m
                    } else {
                        (m - 1).max(1)
                    }
                });
                self.encode_prompt_text(prompts, max_len, pad)?
            }
            None => {
                let bos = self.get_bos_id().ok_or_else(|| {
                    RustBertError::ValueError(
                        "this model has no beginning-of-sequence token: give a prompt".into(),
                    )
                })?;
                let device = self.get_var_store().device();
                (
                    Tensor::from_slice(&[bos]).view([1, 1]).to(device),
                    Tensor::ones([1, 1], (Kind::Int64, device)),
                )
            }
        };
        self.generate_from_ids_and_past(input_ids, Some(attention_mask), generate_options)
    }

    /// Generates from token ids `[batch, length]` (left-padded for decoder-only models) and an
    /// optional attention mask (default: all ones).
    ///
    /// # Errors
    /// As [`LanguageGenerator::generate`], and mis-shaped inputs.
    fn generate_from_ids_and_past(
        &self,
        input_ids: Tensor,
        attention_mask: Option<Tensor>,
        generate_options: Option<GenerateOptions>,
    ) -> Result<Vec<GeneratedIndicesOutput>, RustBertError> {
        tch::no_grad(|| search::generate(self, input_ids, attention_mask, generate_options))
    }

    /// The tokenizer.
    fn get_tokenizer(&self) -> &TokenizerOption {
        self._get_tokenizer()
    }

    /// The tokenizer, mutably (e.g. to add tokens).
    fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        self._get_tokenizer_mut()
    }

    /// Converts the weights to half precision.
    ///
    /// # Errors
    /// None today; kept fallible for parity with rust-bert.
    fn half(&mut self) -> Result<(), RustBertError> {
        self.get_var_store_mut().half();
        Ok(())
    }

    /// Converts the weights to single precision.
    ///
    /// # Errors
    /// As [`LanguageGenerator::half`].
    fn float(&mut self) -> Result<(), RustBertError> {
        self.get_var_store_mut().float();
        Ok(())
    }

    /// Moves the weights to `device`.
    ///
    /// # Errors
    /// As [`LanguageGenerator::half`].
    fn set_device(&mut self, device: Device) -> Result<(), RustBertError> {
        self.get_var_store_mut().set_device(device);
        Ok(())
    }
}
