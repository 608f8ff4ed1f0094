//! Reformer's embeddings: token embeddings plus axial (factorised) or plain position embeddings.
use crate::common::layers::embeddings::lookup;
use crate::common::layers::linear::{embedding_config, init_deferred};
use crate::common::layers::Dropout;
use crate::reformer::ReformerConfig;
use crate::RustBertError;
use tch::nn::{self, Init};
use tch::{Kind, Tensor};

/// Position embeddings: axial ones hold two small tables whose rows are concatenated (position
/// `p` takes row `p / w` of the first and `p % w` of the second, `w` the second axial factor);
/// a plain table otherwise.
#[derive(Debug)]
enum Positions {
    Axial {
        first: Tensor,
        second: Tensor,
        width: i64,
    },
    Table(Tensor),
}

/// Token and position embeddings (HF `ReformerEmbeddings`, variables `word_embeddings.weight`,
/// `position_embeddings.weights.{0,1}` or `position_embeddings.embedding.weight`).
#[derive(Debug)]
pub(crate) struct ReformerEmbeddings {
    pub(crate) word_embeddings: Tensor,
    positions: Positions,
    max_positions: i64,
    max_position_embeddings: i64,
    dropout: Dropout,
}

impl ReformerEmbeddings {
    pub(crate) fn new(p: &nn::Path, config: &ReformerConfig) -> Self {
        let word_embeddings = nn::embedding(
            p / "word_embeddings",
            config.vocab_size,
            config.hidden_size,
            embedding_config(),
        )
        .ws;
        let positions_path = p / "position_embeddings";
        let positions = if config.axial_pos_embds {
            // HF stores the factors broadcast-ready: `[rows, 1, width0]` and `[1, columns, width1]`.
            let (rows, columns) = (config.axial_pos_shape[0], config.axial_pos_shape[1]);
            let (w0, w1) = (config.axial_pos_embds_dim[0], config.axial_pos_embds_dim[1]);
            let init = Init::Randn {
                mean: 0.0,
                stdev: config.axial_norm_std,
            };
            let weights = &positions_path / "weights";
            // HF draws them from normal(0, axial_norm_std); a model loaded right after draws
            // nothing (no draw from LibTorch's global generator either).
            let var = |name: &str, dims: &[i64]| {
                if init_deferred() {
                    weights.add(
                        name,
                        Tensor::empty(dims, (weights.kind(), weights.device())),
                        true,
                    )
                } else {
                    weights.var(name, dims, init)
                }
            };
            Positions::Axial {
                first: var("0", &[rows, 1, w0]),
                second: var("1", &[1, columns, w1]),
                width: columns,
            }
        } else {
            Positions::Table(
                nn::embedding(
                    &positions_path / "embedding",
                    config.max_position_embeddings,
                    config.hidden_size,
                    embedding_config(),
                )
                .ws,
            )
        };
        Self {
            word_embeddings,
            positions,
            max_positions: if config.axial_pos_embds {
                config.axial_pos_shape.iter().product()
            } else {
                config.max_position_embeddings
            },
            max_position_embeddings: config.max_position_embeddings,
            dropout: Dropout::new(config.hidden_dropout_prob),
        }
    }

    /// `embeds` (`[batch, seq, hidden]`) plus the embeddings of `position_ids` (`[batch, seq]`;
    /// default `start..start + seq`).
    pub(crate) fn forward_t(
        &self,
        embeds: &Tensor,
        position_ids: Option<&Tensor>,
        start: i64,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let (batch, seq) = (embeds.size()[0], embeds.size()[1]);
        let positions = match position_ids {
            Some(ids) => {
                if ids.size() != [batch, seq] {
                    return Err(RustBertError::ValueError(format!(
                        "position_ids has shape {:?}; expected [{batch}, {seq}]",
                        ids.size()
                    )));
                }
                ids.shallow_clone()
            }
            None => Tensor::arange_start(start, start + seq, (Kind::Int64, embeds.device()))
                .unsqueeze(0)
                .expand([batch, seq], true),
        };
        if seq > self.max_position_embeddings {
            return Err(RustBertError::ValueError(format!(
                "a sequence of {seq} positions (after padding to the chunk length) is longer than \
                 max_position_embeddings = {}",
                self.max_position_embeddings
            )));
        }
        let encodings = match &self.positions {
            Positions::Axial {
                first,
                second,
                width,
            } => {
                if positions.numel() > 0 {
                    let (low, high) = (
                        positions.min().int64_value(&[]),
                        positions.max().int64_value(&[]),
                    );
                    if low < 0 || high >= self.max_positions {
                        return Err(RustBertError::ValueError(format!(
                            "position ids {low}..={high} outside the {} axial positions",
                            self.max_positions
                        )));
                    }
                }
                let rows = positions.divide_scalar_mode(*width, "floor");
                let columns = positions.remainder(*width);
                Tensor::cat(
                    &[
                        first.squeeze_dim(1).index_select(0, &rows.flatten(0, -1)),
                        second
                            .squeeze_dim(0)
                            .index_select(0, &columns.flatten(0, -1)),
                    ],
                    -1,
                )
                .view([batch, seq, -1])
            }
            Positions::Table(table) => lookup(table, &positions, "position_ids")?,
        };
        Ok(self.dropout.forward_t(embeds, train) + encodings)
    }

    /// The token embeddings of `ids`.
    pub(crate) fn embed(&self, ids: &Tensor) -> Result<Tensor, RustBertError> {
        lookup(&self.word_embeddings, ids, "input_ids")
    }
}
