use crate::bert::{BertConfig, BertEmbedding};
use crate::common::layers::TransformerEmbeddings;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::{nn, Kind, Tensor};

/// RoBERTa's padding index when `config.json` does not name one (`<pad>` is id 1 in every
/// RoBERTa and XLM-R vocabulary).
const DEFAULT_PADDING_INDEX: i64 = 1;

/// RoBERTa's embeddings: BERT's word + position + token-type sum, LayerNorm and dropout, with
/// positions counted from the padding index as fairseq does.
///
/// When no `position_ids` are given, a real token at (1-based) rank `k` among the non-padding
/// tokens of its row gets position `padding_idx + k` and a padding token gets `padding_idx`
/// (HF `create_position_ids_from_input_ids`); from `input_embeds` every row gets
/// `padding_idx + 1 ..= padding_idx + seq_len` (HF `create_position_ids_from_inputs_embeds`).
/// This is why RoBERTa checkpoints have `max_position_embeddings = 514` for 512 tokens.
/// `padding_idx` is `config.pad_token_id` (1 by default). Variables keep HF's names.
#[derive(Debug)]
pub struct RobertaEmbeddings {
    inner: TransformerEmbeddings,
    padding_index: i64,
    max_position_embeddings: i64,
}

impl RobertaEmbeddings {
    /// The padding index positions are counted from.
    pub fn padding_index(&self) -> i64 {
        self.padding_index
    }

    /// Positions of `input_ids` `[batch, seq]`: padding tokens at `padding_idx`, the others
    /// numbered from `padding_idx + 1` in order, skipping the padding.
    pub fn create_position_ids_from_input_ids(&self, input_ids: &Tensor) -> Tensor {
        let real = input_ids.ne(self.padding_index).to_kind(Kind::Int64);
        real.cumsum(1, Kind::Int64) * &real + self.padding_index
    }

    /// Positions for `input_embeds` `[batch, seq, hidden]`: padding cannot be seen in
    /// embeddings, so every row counts `padding_idx + 1 ..= padding_idx + seq`. Shape `[1, seq]`.
    pub fn create_position_ids_from_embeddings(&self, input_embeds: &Tensor) -> Tensor {
        let seq_len = input_embeds.size().get(1).copied().unwrap_or(0);
        let start = self.padding_index + 1;
        Tensor::arange_start(start, start + seq_len, (Kind::Int64, input_embeds.device()))
            .unsqueeze(0)
    }

    /// Errors when computed positions run past the learned table, with the reason: RoBERTa's
    /// positions start after the padding index, so `max_position_embeddings - padding_idx - 1`
    /// tokens fit.
    fn check_positions(&self, positions: &Tensor, seq_len: i64) -> Result<(), RustBertError> {
        // Fast path without a device sync: even the last position of a row without padding fits.
        if seq_len + self.padding_index < self.max_position_embeddings {
            return Ok(());
        }
        let highest = positions.f_max()?.int64_value(&[]);
        if highest < self.max_position_embeddings {
            return Ok(());
        }
        Err(RustBertError::ValueError(format!(
            "input of {seq_len} tokens needs position {highest}, but max_position_embeddings = {} \
             (positions start after padding index {}, so at most {} tokens fit); \
             truncate it",
            self.max_position_embeddings,
            self.padding_index,
            self.max_position_embeddings - self.padding_index - 1
        )))
    }
}

impl BertEmbedding for RobertaEmbeddings {
    const BASE_MODEL_PREFIX: &'static str = "roberta";

    fn new<'p, P>(p: P, config: &BertConfig) -> Self
    where
        P: Borrow<nn::Path<'p>>,
    {
        Self {
            inner: TransformerEmbeddings::new(p, &config.embeddings_config()),
            padding_index: config.pad_token_id.unwrap_or(DEFAULT_PADDING_INDEX),
            max_position_embeddings: config.max_position_embeddings,
        }
    }

    fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let words = self.inner.word_embeddings(input_ids, input_embeds)?;
        let size = words.size();
        if size.len() != 3 {
            return Err(RustBertError::ValueError(format!(
                "expected input of shape [batch, sequence], got embeddings of shape {size:?}"
            )));
        }
        let positions = match (position_ids, input_ids) {
            (Some(given), _) => given.shallow_clone(),
            (None, Some(ids)) => {
                let positions = self.create_position_ids_from_input_ids(ids);
                self.check_positions(&positions, size[1])?;
                positions
            }
            (None, None) => {
                let positions = self.create_position_ids_from_embeddings(&words);
                self.check_positions(&positions, size[1])?;
                positions
            }
        };
        self.inner
            .forward_with_positions(words, &positions, token_type_ids, train)
    }

    fn word_embeddings_weight(&self) -> &Tensor {
        self.inner.word_embeddings_weight()
    }
}
