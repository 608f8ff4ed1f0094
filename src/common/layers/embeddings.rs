//! Word + position (+ token type) embeddings followed by LayerNorm and dropout, the input block
//! of BERT, RoBERTa, ELECTRA and their relatives.
use crate::common::layers::linear::embedding_config;
use crate::common::layers::Dropout;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

/// Sizes of a [`TransformerEmbeddings`].
#[derive(Debug, Clone)]
pub struct TransformerEmbeddingsConfig {
    /// Vocabulary size.
    pub vocab_size: i64,
    /// Embedding width.
    pub embedding_size: i64,
    /// Number of learned positions.
    pub max_position_embeddings: i64,
    /// Number of token types; 0 for models without `token_type_embeddings`.
    pub type_vocab_size: i64,
    /// LayerNorm epsilon (read from config.json, never hard-coded).
    pub layer_norm_eps: f64,
    /// Dropout probability after the LayerNorm.
    pub dropout: f64,
}

/// Learned embeddings with HF variable names `word_embeddings`, `position_embeddings`,
/// `token_type_embeddings` and `LayerNorm`.
#[derive(Debug)]
pub struct TransformerEmbeddings {
    word_embeddings: nn::Embedding,
    position_embeddings: nn::Embedding,
    token_type_embeddings: Option<nn::Embedding>,
    layer_norm: nn::LayerNorm,
    dropout: Dropout,
    max_position_embeddings: i64,
}

impl TransformerEmbeddings {
    /// Builds the embeddings under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &TransformerEmbeddingsConfig) -> Self {
        let p = p.borrow();
        let dim = config.embedding_size;
        let embedding = |name: &str, n: i64| nn::embedding(p / name, n, dim, embedding_config());
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps,
            ..Default::default()
        };
        Self {
            word_embeddings: embedding("word_embeddings", config.vocab_size),
            position_embeddings: embedding("position_embeddings", config.max_position_embeddings),
            token_type_embeddings: (config.type_vocab_size > 0)
                .then(|| embedding("token_type_embeddings", config.type_vocab_size)),
            layer_norm: nn::layer_norm(p / "LayerNorm", vec![dim], layer_norm_config),
            dropout: Dropout::new(config.dropout),
            max_position_embeddings: config.max_position_embeddings,
        }
    }

    /// The word embedding matrix `[vocab, dim]` (tied to the LM head's decoder).
    pub fn word_embeddings_weight(&self) -> &Tensor {
        &self.word_embeddings.ws
    }

    /// Looks up word embeddings, or passes `input_embeds` through; exactly one must be given.
    pub fn word_embeddings(
        &self,
        input_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
    ) -> Result<Tensor, RustBertError> {
        ids_or_embeds(
            &self.word_embeddings.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )
        .map(|(embeddings, _, _)| embeddings)
    }

    /// Sums word, position and token-type embeddings, then LayerNorm and dropout.
    ///
    /// `position_ids` default to `0..seq_len` and `token_type_ids` to zeros; a sequence longer
    /// than the learned positions is an error, not an index panic.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let words = self.word_embeddings(input_ids, input_embeds)?;
        let size = words.size();
        if size.len() != 3 {
            return Err(RustBertError::ValueError(format!(
                "expected input of shape [batch, sequence], got embeddings of shape {size:?}"
            )));
        }
        let seq_len = size[1];
        let device = words.device();
        let positions = match position_ids {
            Some(ids) => ids.shallow_clone(),
            None => {
                if seq_len > self.max_position_embeddings {
                    return Err(RustBertError::ValueError(format!(
                        "input of {seq_len} tokens is longer than max_position_embeddings = {}; \
                         truncate it",
                        self.max_position_embeddings
                    )));
                }
                Tensor::arange(seq_len, (tch::Kind::Int64, device)).unsqueeze(0)
            }
        };
        self.forward_with_positions(words, &positions, token_type_ids, train)
    }

    /// Adds position and token-type embeddings to already looked-up word embeddings, then
    /// LayerNorm and dropout. For models whose position ids follow other rules (RoBERTa).
    pub fn forward_with_positions(
        &self,
        words: Tensor,
        position_ids: &Tensor,
        token_type_ids: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let (batch, seq) = (words.size()[0], words.size()[1]);
        check_ids(position_ids, batch, seq, true, "position_ids")?;
        if let Some(ids) = token_type_ids {
            check_ids(ids, batch, seq, false, "token_type_ids")?;
        }
        let mut embeddings =
            words + lookup(&self.position_embeddings.ws, position_ids, "position_ids")?;
        if let Some(token_types) = &self.token_type_embeddings {
            embeddings = match token_type_ids {
                Some(ids) => embeddings + lookup(&token_types.ws, ids, "token_type_ids")?,
                // Token type 0 everywhere: one row of the table, broadcast.
                None => embeddings + token_types.ws.get(0),
            };
        }
        Ok(self
            .dropout
            .forward_t(&self.layer_norm.forward(&embeddings), train))
    }
}

/// `(batch, length)` of token ids that must be `[batch, length]` with at least one token; an
/// error naming `what` otherwise.
pub fn batch_and_length(ids: &Tensor, what: &str) -> Result<(i64, i64), RustBertError> {
    match ids.size().as_slice() {
        [batch, length] if *length > 0 => Ok((*batch, *length)),
        other => Err(RustBertError::ValueError(format!(
            "{what} must be [batch, length] with length > 0, got {other:?}"
        ))),
    }
}

/// Looks `ids` up in the embedding matrix `table` (`[rows, width]`), turning an out-of-range id
/// into an error naming `what` (LibTorch would otherwise abort the lookup with an index error).
pub fn lookup(table: &Tensor, ids: &Tensor, what: &str) -> Result<Tensor, RustBertError> {
    Tensor::f_embedding(table, ids, -1, false, false).map_err(|e| {
        RustBertError::ValueError(format!(
            "{what}: lookup in a table of {} rows failed: {e}",
            table.size()[0]
        ))
    })
}

/// The embeddings of `ids` (`[batch, sequence]`) looked up in `table` (`[rows, width]`), or the
/// given `embeds` (`[batch, sequence, width]`): exactly one of the two, as every model's
/// `input_ids` / `input_embeds` pair. Returns them with the batch size and the sequence length;
/// `names` are the two inputs' names for the errors (`("input_ids", "input_embeds")`).
pub fn ids_or_embeds(
    table: &Tensor,
    ids: Option<&Tensor>,
    embeds: Option<&Tensor>,
    names: (&str, &str),
) -> Result<(Tensor, i64, i64), RustBertError> {
    let (ids_name, embeds_name) = names;
    let width = table.size().get(1).copied().unwrap_or(0);
    match (ids, embeds) {
        (Some(ids), None) => match ids.size().as_slice() {
            [batch, seq] => Ok((lookup(table, ids, ids_name)?, *batch, *seq)),
            size => Err(RustBertError::ValueError(format!(
                "{ids_name} has shape {size:?}; expected [batch, sequence]"
            ))),
        },
        (None, Some(embeds)) => match embeds.size().as_slice() {
            [batch, seq, dim] if *dim == width => Ok((embeds.shallow_clone(), *batch, *seq)),
            size => Err(RustBertError::ValueError(format!(
                "{embeds_name} has shape {size:?}; expected [batch, sequence, {width}]"
            ))),
        },
        (Some(_), Some(_)) => Err(RustBertError::ValueError(format!(
            "only one of {ids_name} or {embeds_name} may be set"
        ))),
        (None, None) => Err(RustBertError::ValueError(format!(
            "one of {ids_name} or {embeds_name} must be set"
        ))),
    }
}

/// Checks that ids line up with the `[batch, seq]` input (positions may be shared: `[1, seq]`).
pub fn check_ids(
    ids: &Tensor,
    batch: i64,
    seq: i64,
    shared: bool,
    what: &str,
) -> Result<(), RustBertError> {
    let size = ids.size();
    let valid = match size.as_slice() {
        [b, s] => *s == seq && (*b == batch || (shared && *b == 1)),
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(RustBertError::ValueError(format!(
            "{what} has shape {size:?}; expected [{batch}, {seq}]"
        )))
    }
}
