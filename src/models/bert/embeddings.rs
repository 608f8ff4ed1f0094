use crate::bert::BertConfig;
use crate::common::layers::{TransformerEmbeddings, TransformerEmbeddingsConfig};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::{nn, Tensor};

/// An input embedding block usable by [`crate::bert::BertModel`]; RoBERTa plugs in its own
/// (padding-aware positions) through this trait.
pub trait BertEmbedding {
    /// Variable prefix of the encoder inside models with a head (`bert` in HF's BERT
    /// checkpoints, `roberta` in RoBERTa's).
    const BASE_MODEL_PREFIX: &'static str = "bert";

    /// Builds the embeddings under `p`.
    fn new<'p, P>(p: P, config: &BertConfig) -> Self
    where
        P: Borrow<nn::Path<'p>>;

    /// Embeds `input_ids` (or passes `input_embeds`) with positions and token types.
    fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError>;

    /// The word embedding matrix, tied to the masked-LM decoder.
    fn word_embeddings_weight(&self) -> &Tensor;
}

/// BERT's embeddings: word + absolute position + token type, LayerNorm, dropout.
#[derive(Debug)]
pub struct BertEmbeddings {
    inner: TransformerEmbeddings,
}

impl BertConfig {
    /// Sizes of the embedding block.
    pub(crate) fn embeddings_config(&self) -> TransformerEmbeddingsConfig {
        TransformerEmbeddingsConfig {
            vocab_size: self.vocab_size,
            embedding_size: self.hidden_size,
            max_position_embeddings: self.max_position_embeddings,
            type_vocab_size: self.type_vocab_size,
            layer_norm_eps: self.layer_norm_eps(),
            dropout: self.hidden_dropout_prob,
        }
    }
}

impl BertEmbedding for BertEmbeddings {
    fn new<'p, P>(p: P, config: &BertConfig) -> Self
    where
        P: Borrow<nn::Path<'p>>,
    {
        Self {
            inner: TransformerEmbeddings::new(p, &config.embeddings_config()),
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
        self.inner
            .forward_t(input_ids, token_type_ids, position_ids, input_embeds, train)
    }

    fn word_embeddings_weight(&self) -> &Tensor {
        self.inner.word_embeddings_weight()
    }
}
