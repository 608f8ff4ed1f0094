use crate::common::layers::{TransformerEmbeddings, TransformerEmbeddingsConfig};
use crate::distilbert::distilbert_model::{DistilBertConfig, LAYER_NORM_EPS};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::{nn, Kind, Tensor};

/// DistilBERT's input block: word + position embeddings (no token types), LayerNorm, dropout
/// (variables `word_embeddings`, `position_embeddings`, `LayerNorm`).
#[derive(Debug)]
pub struct DistilBertEmbedding {
    inner: TransformerEmbeddings,
}

impl DistilBertEmbedding {
    /// Builds the embeddings under `p`. With `sinusoidal_pos_embds`, the position table starts
    /// as HF's sinusoids; like any variable it is then overwritten by a loaded checkpoint (HF's
    /// `from_pretrained` keeps the saved table too: the sinusoids are only its initialisation).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DistilBertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        let inner = TransformerEmbeddings::new(
            p,
            &TransformerEmbeddingsConfig {
                vocab_size: config.vocab_size,
                embedding_size: config.dim,
                max_position_embeddings: config.max_position_embeddings,
                type_vocab_size: 0,
                layer_norm_eps: LAYER_NORM_EPS,
                dropout: config.dropout,
            },
        );
        if config.sinusoidal_pos_embds {
            if let Some(mut table) = (p / "position_embeddings").get("weight") {
                let values = sinusoidal_table(config.max_position_embeddings, config.dim)
                    .to_kind(table.kind())
                    .to_device(table.device());
                // The shapes agree by construction; an error here would leave the zero start,
                // which a checkpoint overwrites anyway.
                let _ = tch::no_grad(|| table.f_copy_(&values));
            }
        }
        Self { inner }
    }

    /// The word embedding matrix `[vocab, dim]` (tied to the masked-LM projector).
    pub fn word_embeddings_weight(&self) -> &Tensor {
        self.inner.word_embeddings_weight()
    }

    /// Embeds `input_ids` (or passes `input_embeds` through) and adds the positions
    /// (`position_ids` default to `0..seq`).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        self.inner
            .forward_t(input_ids, None, position_ids, input_embeds, train)
    }
}

/// HF's sinusoidal table `[n_pos, dim]`: `sin(pos / 10000^(2⌊j/2⌋/dim))` at even `j`, `cos` of the
/// same angle at odd `j`, computed in f64 as HF's numpy code does.
fn sinusoidal_table(n_pos: i64, dim: i64) -> Tensor {
    let mut values = Vec::with_capacity((n_pos.max(0) * dim.max(0)) as usize);
    for pos in 0..n_pos {
        for j in 0..dim {
            let exponent = (2 * (j / 2)) as f64 / dim as f64;
            let angle = pos as f64 / 10000f64.powf(exponent);
            values.push(if j % 2 == 0 { angle.sin() } else { angle.cos() });
        }
    }
    Tensor::from_slice(&values)
        .view([n_pos.max(0), dim.max(0)])
        .to_kind(Kind::Float)
}
