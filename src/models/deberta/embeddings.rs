//! DeBERTa's input block (v1 and v2 alike): word embeddings, plus absolute positions only when
//! `position_biased_input`, plus token types when the model has them, projected to the hidden
//! size when narrower (`embed_proj`), LayerNorm, then padded positions zeroed.
use crate::common::layers::embeddings::{check_ids, ids_or_embeds, lookup};
use crate::common::layers::linear::embedding_config;
use crate::common::layers::{linear_no_bias, Dropout, LinearNoBias};
use crate::deberta::deberta_model::DebertaConfig;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// DeBERTa embeddings (variables `word_embeddings`, `position_embeddings`,
/// `token_type_embeddings`, `embed_proj`, `LayerNorm`).
#[derive(Debug)]
pub struct DebertaEmbeddings {
    word_embeddings: nn::Embedding,
    position_embeddings: Option<nn::Embedding>,
    token_type_embeddings: Option<nn::Embedding>,
    embed_proj: Option<LinearNoBias>,
    layer_norm: nn::LayerNorm,
    dropout: Dropout,
    max_position_embeddings: i64,
}

impl DebertaEmbeddings {
    /// Builds the embeddings under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DebertaConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let width = config.embedding_size();
        let table =
            |name: &str, rows: i64| nn::embedding(p / name, rows, width, embedding_config());
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        Self {
            word_embeddings: table("word_embeddings", config.vocab_size),
            position_embeddings: config
                .position_biased_input
                .unwrap_or(true)
                .then(|| table("position_embeddings", config.max_position_embeddings)),
            token_type_embeddings: (config.type_vocab_size > 0)
                .then(|| table("token_type_embeddings", config.type_vocab_size)),
            embed_proj: (width != config.hidden_size)
                .then(|| linear_no_bias(p / "embed_proj", width, config.hidden_size)),
            layer_norm: nn::layer_norm(
                p / "LayerNorm",
                vec![config.hidden_size],
                layer_norm_config,
            ),
            dropout: Dropout::new(config.hidden_dropout_prob),
            max_position_embeddings: config.max_position_embeddings,
        }
    }

    /// The word embedding matrix `[vocab, embedding_size]` (the masked-LM heads' decoder).
    pub fn word_embeddings_weight(&self) -> &Tensor {
        &self.word_embeddings.ws
    }

    /// Embeds `input_ids` (or takes `input_embeds`), adds positions and token types, then
    /// LayerNorm and zeroes the padded positions of `tokens` (`[batch, seq]`, 1 / 0).
    ///
    /// Absolute positions default to `0..seq`; a longer input than the learned positions is an
    /// error (models without absolute positions accept any length).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        tokens: &Tensor,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let (mut embeddings, batch, seq) = ids_or_embeds(
            &self.word_embeddings.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        if seq < 1 {
            return Err(RustBertError::ValueError(
                "the input sequence is empty (0 tokens)".into(),
            ));
        }
        if let Some(table) = &self.position_embeddings {
            let positions = match position_ids {
                Some(ids) => {
                    check_ids(ids, batch, seq, true, "position_ids")?;
                    ids.shallow_clone()
                }
                None => {
                    if seq > self.max_position_embeddings {
                        return Err(RustBertError::ValueError(format!(
                            "input of {seq} tokens is longer than max_position_embeddings = {}; \
                             truncate it",
                            self.max_position_embeddings
                        )));
                    }
                    Tensor::arange(seq, (Kind::Int64, embeddings.device())).unsqueeze(0)
                }
            };
            // Not `+=`: with `input_embeds` this tensor is the caller's, and stays untouched.
            embeddings = embeddings.f_add(&lookup(&table.ws, &positions, "position_ids")?)?;
        }
        if let Some(table) = &self.token_type_embeddings {
            embeddings = match token_type_ids {
                Some(ids) => {
                    check_ids(ids, batch, seq, false, "token_type_ids")?;
                    embeddings + lookup(&table.ws, ids, "token_type_ids")?
                }
                None => embeddings + table.ws.get(0),
            };
        }
        if let Some(project) = &self.embed_proj {
            embeddings = project.forward(&embeddings);
        }
        let normed = self.layer_norm.forward(&embeddings) * tokens.unsqueeze(-1);
        Ok(self.dropout.forward_t(&normed, train))
    }
}
