//! Reformer's base model, its heads (language model, sequence classification, question
//! answering) and their outputs.
use crate::common::config::num_labels;
use crate::common::layers::embeddings::ids_or_embeds;
use crate::common::layers::linear::{linear, project, project_linear};
use crate::common::layers::Dropout;
use crate::generation::{Cache, LMModelOutput};
use crate::reformer::config::{AttentionType, ReformerConfig};
use crate::reformer::embeddings::ReformerEmbeddings;
use crate::reformer::encoder::{apply_chunked, LayerState, ReformerEncoder, ReformerModelOutput};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn;
use tch::{Kind, Tensor};

/// Reformer base model (HF `ReformerModel`): embeddings (`embeddings.*`) and the reversible
/// encoder (`encoder.*`). Inputs longer than the shortest chunk length are padded (with
/// `pad_token_id`, masked) to a multiple of the chunk lengths and the outputs cut back, as HF
/// does in evaluation.
#[derive(Debug)]
pub struct ReformerModel {
    embeddings: ReformerEmbeddings,
    encoder: ReformerEncoder,
    least_common_mult_chunk_length: i64,
    min_chunk_length: i64,
    pad_token_id: i64,
    hidden_size: i64,
    num_heads: i64,
    num_hashes: i64,
}

impl ReformerModel {
    /// The number of tokens a cache holds, after checking it against the model and the batch:
    /// every layer's states `[batch, cached, hidden]` and buckets `[batch, heads, hashes,
    /// cached]`; one new token per row.
    fn cached_length(
        &self,
        states: &[Option<LayerState>],
        batch: i64,
        length: i64,
        hashes: i64,
    ) -> Result<i64, RustBertError> {
        let cached = states
            .iter()
            .flatten()
            .map(|state| state.prev_states.size().get(1).copied().unwrap_or(-1))
            .next()
            .unwrap_or(0);
        let expected = [batch, cached, self.hidden_size];
        let buckets = [batch, self.num_heads, hashes, cached];
        for (i, state) in states.iter().flatten().enumerate() {
            let size = state.prev_states.size();
            let bucket_size = state.prev_buckets.as_ref().map(Tensor::size);
            if size != expected || bucket_size.as_ref().is_some_and(|b| *b != buckets) {
                return Err(RustBertError::ValueError(format!(
                    "old_layer_states[{i}] holds states of shape {size:?} and buckets of shape \
                     {bucket_size:?}; expected {expected:?} and {buckets:?}"
                )));
            }
        }
        if length != 1 {
            return Err(RustBertError::ValueError(format!(
                "with a cache, Reformer takes one new token per row, not {length}"
            )));
        }
        Ok(cached)
    }

    /// Builds the model with its variables under `p` (HF names: `p` is usually `reformer`).
    ///
    /// # Errors
    /// A configuration [`crate::Config::validate`] refuses.
    pub fn new<'p, P>(p: P, config: &ReformerConfig) -> Result<ReformerModel, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let (least_common_mult_chunk_length, min_chunk_length) = config.chunk_lengths();
        Ok(Self {
            embeddings: ReformerEmbeddings::new(&(p / "embeddings"), config),
            encoder: ReformerEncoder::new(&(p / "encoder"), config)?,
            least_common_mult_chunk_length,
            min_chunk_length,
            pad_token_id: config.pad_token_id,
            hidden_size: config.hidden_size,
            num_heads: config.num_attention_heads,
            num_hashes: config.num_hashes,
        })
    }

    /// Runs the model (rust-bert 0.23's argument order).
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, hidden]` (exactly one);
    /// * `position_ids` `[batch, seq]` (default: after the cached tokens);
    /// * `attention_mask` `[batch, seq]`: 1 for tokens, 0 for padding (without a cache);
    /// * `num_hashes`: LSH hashing rounds (default `config.num_hashes`);
    /// * `old_layer_states`: the cache returned by the previous call (`next_cache`); with it,
    ///   one new token per row, and the attention mask is not used (HF's generation passes none).
    ///
    /// # Errors
    /// Mis-shaped inputs or cache, ids outside the vocabulary, a sequence (padded to the chunk
    /// length) longer than the positions the model has.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        num_hashes: Option<i64>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        train: bool,
    ) -> Result<ReformerModelOutput, RustBertError> {
        let (embeds, batch, length) = ids_or_embeds(
            &self.embeddings.word_embeddings,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        if length == 0 {
            return Err(RustBertError::ValueError(
                "Reformer: the input has no tokens".to_string(),
            ));
        }
        let layers = self.encoder.num_layers();
        let past = match old_layer_states {
            Some(states) if states.iter().any(Option::is_some) => {
                if states.len() != layers || states.iter().any(Option::is_none) {
                    return Err(RustBertError::ValueError(format!(
                        "old_layer_states has {} entries ({} filled); the model has {layers} layers",
                        states.len(),
                        states.iter().flatten().count()
                    )));
                }
                Some(states)
            }
            _ => None,
        };
        let hashes = num_hashes.unwrap_or(self.num_hashes);
        if hashes < 1 {
            return Err(RustBertError::ValueError(format!(
                "num_hashes = {hashes}, expected at least 1"
            )));
        }
        let start = match &past {
            Some(states) => self.cached_length(states, batch, length, hashes)?,
            None => 0,
        };
        if let Some(mask) = attention_mask {
            if past.is_none() && mask.size() != [batch, length] {
                return Err(RustBertError::ValueError(format!(
                    "attention_mask has shape {:?}; expected [{batch}, {length}]",
                    mask.size()
                )));
            }
        }
        let chunk = self.least_common_mult_chunk_length;
        let must_pad = past.is_none() && length % chunk != 0 && length > self.min_chunk_length;
        let (embeds, mask, positions) = if must_pad {
            let padding = chunk - length % chunk;
            let device = embeds.device();
            let pad_ids = Tensor::full([batch, padding], self.pad_token_id, (Kind::Int64, device));
            let embeds = Tensor::cat(&[&embeds, &self.embeddings.embed(&pad_ids)?], 1);
            let mask = match attention_mask {
                Some(mask) => Tensor::cat(
                    &[
                        mask,
                        &mask.zeros_like().narrow(1, 0, 1).repeat([1, padding]),
                    ],
                    1,
                ),
                None => Tensor::cat(
                    &[
                        Tensor::ones([batch, length], (Kind::Int64, device)),
                        Tensor::zeros([batch, padding], (Kind::Int64, device)),
                    ],
                    1,
                ),
            };
            let positions = position_ids.map(|ids| {
                let extra = Tensor::arange_start(length, length + padding, (Kind::Int64, device))
                    .unsqueeze(0)
                    .expand([batch, padding], true);
                Tensor::cat(&[ids, &extra], 1)
            });
            (embeds, Some(mask), positions)
        } else {
            (
                embeds,
                attention_mask
                    .filter(|_| past.is_none())
                    .map(Tensor::shallow_clone),
                position_ids.map(Tensor::shallow_clone),
            )
        };
        let hidden = self
            .embeddings
            .forward_t(&embeds, positions.as_ref(), start, train)?;
        self.encoder.forward_t(
            &hidden,
            mask.as_ref(),
            num_hashes,
            past.as_deref(),
            length,
            train,
        )
    }
}

/// Output of [`ReformerModelWithLMHead`].
#[derive(Debug)]
pub struct ReformerLMModelOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub logits: Tensor,
    /// As [`ReformerModelOutput::all_hidden_states`].
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// As [`ReformerModelOutput::all_attentions`].
    pub all_attentions: Option<Vec<Tensor>>,
    /// As [`ReformerModelOutput::next_cache`].
    pub next_cache: Option<Vec<Option<LayerState>>>,
}

/// Output of [`ReformerForSequenceClassification`].
#[derive(Debug)]
pub struct ReformerClassificationOutput {
    /// Class logits `[batch, num_labels]`.
    pub logits: Tensor,
    /// As [`ReformerModelOutput::all_hidden_states`].
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// As [`ReformerModelOutput::all_attentions`].
    pub all_attentions: Option<Vec<Tensor>>,
}

/// Output of [`ReformerForQuestionAnswering`].
#[derive(Debug)]
pub struct ReformerQuestionAnsweringModelOutput {
    /// Span-start logits `[batch, seq]`.
    pub start_logits: Tensor,
    /// Span-end logits `[batch, seq]`.
    pub end_logits: Tensor,
    /// As [`ReformerModelOutput::all_hidden_states`].
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// As [`ReformerModelOutput::all_attentions`].
    pub all_attentions: Option<Vec<Tensor>>,
}

/// Reformer with a language-model head (HF `ReformerModelWithLMHead`: `reformer.*` and
/// `lm_head.decoder`, a linear layer from both streams, `2 * hidden`, to the vocabulary).
#[derive(Debug)]
pub struct ReformerModelWithLMHead {
    reformer: ReformerModel,
    decoder: nn::Linear,
    chunk_size_lm_head: i64,
}

impl ReformerModelWithLMHead {
    /// Builds the model under `p` (variables `reformer.*`, `lm_head.*`).
    ///
    /// # Errors
    /// A configuration [`crate::Config::validate`] refuses, or one that cannot generate: `is_decoder`
    /// false, or chunks attending to later chunks (`*_num_chunks_after` not 0).
    pub fn new<'p, P>(
        p: P,
        config: &ReformerConfig,
    ) -> Result<ReformerModelWithLMHead, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let _init = crate::common::config::building(config)?;
        if !config.is_decoder {
            return Err(RustBertError::InvalidConfigurationError(
                "Reformer: a language model needs is_decoder = true".to_string(),
            ));
        }
        for (kind, after, name) in [
            (
                AttentionType::local,
                config.local_chunks().after,
                "local_num_chunks_after",
            ),
            (
                AttentionType::lsh,
                config.lsh_chunks().after,
                "lsh_num_chunks_after",
            ),
        ] {
            if config.attn_layers.contains(&kind) && after != 0 {
                return Err(RustBertError::InvalidConfigurationError(format!(
                    "Reformer: a causal language model needs {name} = 0, not {after}"
                )));
            }
        }
        let p = p.borrow();
        let lm_head = p / "lm_head";
        // HF keeps an unused `lm_head.bias` next to the decoder's own: it loads, and stays unused.
        let _unused_bias =
            crate::common::layers::linear::uninitialized(&lm_head, "bias", &[config.vocab_size]);
        Ok(Self {
            reformer: ReformerModel::new(p / "reformer", config)?,
            decoder: linear(
                &lm_head / "decoder",
                2 * config.hidden_size,
                config.vocab_size,
            ),
            chunk_size_lm_head: config.chunk_size_lm_head,
        })
    }

    /// Runs the model (inputs as in [`ReformerModel::forward_t`]).
    ///
    /// # Errors
    /// As [`ReformerModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        num_hashes: Option<i64>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        train: bool,
    ) -> Result<ReformerLMModelOutput, RustBertError> {
        self.run(
            (input_ids, position_ids, input_embeds, attention_mask),
            num_hashes,
            old_layer_states,
            train,
            false,
        )
    }

    /// The forward pass; with `last_only`, logits of the last position only.
    fn run(
        &self,
        (input_ids, position_ids, input_embeds, attention_mask): (
            Option<&Tensor>,
            Option<&Tensor>,
            Option<&Tensor>,
            Option<&Tensor>,
        ),
        num_hashes: Option<i64>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        train: bool,
        last_only: bool,
    ) -> Result<ReformerLMModelOutput, RustBertError> {
        let output = self.reformer.forward_t(
            input_ids,
            position_ids,
            input_embeds,
            attention_mask,
            num_hashes,
            old_layer_states,
            train,
        )?;
        let hidden = if last_only {
            let seq = output.hidden_states.size()[1];
            output.hidden_states.narrow(1, seq - 1, 1)
        } else {
            output.hidden_states
        };
        let logits = apply_chunked(&hidden, self.chunk_size_lm_head, |chunk| {
            project_linear(&self.decoder, chunk)
        });
        Ok(ReformerLMModelOutput {
            logits,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
            next_cache: output.next_cache,
        })
    }

    /// One generation step as the engine wants it: as HF's generation, no attention mask and
    /// default positions (the prompt's padding is attended to, as there).
    pub(crate) fn step(
        &self,
        input_ids: &Tensor,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        let states = match cache {
            Cache::ReformerCache(states) => states,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "Reformer takes a Cache::ReformerCache, not {}",
                    other.variant_name()
                )))
            }
        };
        let output = self.run(
            (Some(input_ids), None, None, None),
            None,
            states,
            false,
            true,
        )?;
        Ok(LMModelOutput {
            lm_logits: output.logits,
            cache: Cache::ReformerCache(output.next_cache),
        })
    }
}

/// Sentence-level classification head over the first position (HF
/// `ReformerClassificationHead`: `dense` from `2 * hidden`, tanh, `out_proj`).
#[derive(Debug)]
pub struct ReformerClassificationHead {
    dense: nn::Linear,
    dropout: Dropout,
    out_proj: nn::Linear,
}

impl ReformerClassificationHead {
    /// Builds the head under `p` (`dense`, `out_proj`); its size is the number of labels of
    /// `id2label`.
    ///
    /// # Errors
    /// A configuration without `id2label`.
    pub fn new<'p, P>(
        p: P,
        config: &ReformerConfig,
    ) -> Result<ReformerClassificationHead, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let labels = num_labels(config.id2label.as_ref())?;
        Ok(Self {
            dense: linear(p / "dense", 2 * config.hidden_size, config.hidden_size),
            dropout: Dropout::new(config.hidden_dropout_prob),
            out_proj: linear(p / "out_proj", config.hidden_size, labels),
        })
    }

    /// Logits from the hidden states `[batch, seq, 2 * hidden]`.
    pub fn forward_t(&self, hidden_states: &Tensor, train: bool) -> Tensor {
        let first = self.dropout.forward_t(&hidden_states.select(1, 0), train);
        let h = project_linear(&self.dense, &first).tanh();
        project_linear(&self.out_proj, &self.dropout.forward_t(&h, train))
    }
}

/// Reformer for sequence classification (`reformer.*`, `classifier.*`).
#[derive(Debug)]
pub struct ReformerForSequenceClassification {
    reformer: ReformerModel,
    classifier: ReformerClassificationHead,
}

impl ReformerForSequenceClassification {
    /// Builds the model under `p`.
    ///
    /// # Errors
    /// A configuration [`crate::Config::validate`] refuses, or without `id2label`.
    pub fn new<'p, P>(
        p: P,
        config: &ReformerConfig,
    ) -> Result<ReformerForSequenceClassification, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            reformer: ReformerModel::new(p / "reformer", config)?,
            classifier: ReformerClassificationHead::new(p / "classifier", config)?,
        })
    }

    /// Runs the model (inputs as in [`ReformerModel::forward_t`], without a cache).
    ///
    /// # Errors
    /// As [`ReformerModel::forward_t`].
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        num_hashes: Option<i64>,
        train: bool,
    ) -> Result<ReformerClassificationOutput, RustBertError> {
        let output = self.reformer.forward_t(
            input_ids,
            position_ids,
            input_embeds,
            attention_mask,
            num_hashes,
            None,
            train,
        )?;
        Ok(ReformerClassificationOutput {
            logits: self.classifier.forward_t(&output.hidden_states, train),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// Reformer for extractive question answering (`reformer.*`, `qa_outputs` from `2 * hidden`
/// to start and end logits).
#[derive(Debug)]
pub struct ReformerForQuestionAnswering {
    reformer: ReformerModel,
    qa_outputs: nn::Linear,
}

impl ReformerForQuestionAnswering {
    /// Builds the model under `p`.
    ///
    /// # Errors
    /// A configuration [`crate::Config::validate`] refuses.
    pub fn new<'p, P>(
        p: P,
        config: &ReformerConfig,
    ) -> Result<ReformerForQuestionAnswering, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            reformer: ReformerModel::new(p / "reformer", config)?,
            qa_outputs: linear(p / "qa_outputs", 2 * config.hidden_size, 2),
        })
    }

    /// Runs the model (inputs as in [`ReformerModel::forward_t`], without a cache).
    ///
    /// # Errors
    /// As [`ReformerModel::forward_t`].
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        num_hashes: Option<i64>,
        train: bool,
    ) -> Result<ReformerQuestionAnsweringModelOutput, RustBertError> {
        let output = self.reformer.forward_t(
            input_ids,
            position_ids,
            input_embeds,
            attention_mask,
            num_hashes,
            None,
            train,
        )?;
        let logits = project(
            &output.hidden_states,
            &self.qa_outputs.ws,
            self.qa_outputs.bs.as_ref(),
        );
        let parts = logits.split(1, -1);
        Ok(ReformerQuestionAnsweringModelOutput {
            start_logits: parts[0].squeeze_dim(-1),
            end_logits: parts[1].squeeze_dim(-1),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}
