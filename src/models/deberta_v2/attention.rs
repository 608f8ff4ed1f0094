//! DeBERTa-v2's attention (separate, biased q / k / v projections; relative embeddings projected
//! by the content projections when `share_att_key`), its log-bucketed relative positions, and
//! the convolution beside the first layer.
use crate::common::activations::Activation;
use crate::common::layers::{linear, Dropout};
use crate::deberta::{
    attend, heads_of, DebertaAttentionMask, DisentangledSelfAttention, PositionAttentionType,
    RelativePositions,
};
use crate::deberta_v2::DebertaV2Config;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

/// HF's `make_log_bucket_position` on `[seq, seq]` distances (int64, CPU): distances within
/// `bucket_size / 2` are kept, longer ones mapped to `mid + ceil(log(|d| / mid) /
/// log((max_position - 1) / mid) * (mid - 1))` with their sign. Computed with the same float32
/// tensor operations as HF, so the buckets agree at their boundaries.
pub(crate) fn log_buckets(relative: &Tensor, bucket_size: i64, max_position: i64) -> Tensor {
    let mid = bucket_size / 2;
    let sign = relative.sign();
    let inside = relative.lt(mid).logical_and(&relative.gt(-mid));
    let abs = relative
        .abs()
        .where_self(&inside.logical_not(), &Tensor::from(mid - 1));
    let ratio = ((max_position - 1) as f64 / mid as f64) as f32;
    let denominator = Tensor::from(ratio).log();
    let log_pos = ((abs.to_kind(Kind::Float) / mid as f64).log() / denominator * (mid - 1) as f64)
        .ceil()
        + mid as f64;
    let signed = log_pos * sign.to_kind(Kind::Float);
    relative
        .to_kind(Kind::Float)
        .where_self(&abs.le(mid), &signed)
        .to_kind(Kind::Int64)
}

/// The relative positions of a v2 pass over `seq` tokens: bucketed when `buckets > 0`, read in
/// a table of `2 * span` rows.
pub(crate) fn v2_positions(
    seq: i64,
    span: i64,
    buckets: i64,
    max_relative_positions: i64,
    device: Device,
) -> RelativePositions {
    let distances = crate::deberta::relative_distances(seq);
    let distances = if buckets > 0 && max_relative_positions > 0 {
        log_buckets(&distances, buckets, max_relative_positions)
    } else {
        distances
    };
    RelativePositions::new(&distances, span, 0, device)
}

/// DeBERTa-v2's disentangled self-attention (HF `DisentangledSelfAttention` of
/// `modeling_deberta_v2`; variables `query_proj`, `key_proj`, `value_proj`, and without
/// `share_att_key` `pos_key_proj` (c2p) / `pos_query_proj` (p2c)).
#[derive(Debug)]
pub struct DebertaV2DisentangledSelfAttention {
    query_proj: nn::Linear,
    key_proj: nn::Linear,
    value_proj: nn::Linear,
    pos_key_proj: Option<nn::Linear>,
    pos_query_proj: Option<nn::Linear>,
    c2p: bool,
    p2c: bool,
    share_att_key: bool,
    heads: i64,
    head_dim: i64,
    scale_factor: i64,
    dropout: Dropout,
    pos_dropout: Dropout,
}

impl DebertaV2DisentangledSelfAttention {
    /// Builds the attention under `p` (`attention.self` in HF checkpoints).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DebertaV2Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let hidden = config.hidden_size;
        let heads = config.num_attention_heads;
        let types = config.pos_att_type.clone().unwrap_or_default();
        let c2p = types.has_type(PositionAttentionType::c2p);
        let p2c = types.has_type(PositionAttentionType::p2c);
        let relative = config.relative_attention.unwrap_or(false);
        let share_att_key = config.share_att_key.unwrap_or(false);
        let own = |on: bool, name: &str| {
            (relative && !share_att_key && on).then(|| linear(p / name, hidden, hidden))
        };
        Self {
            query_proj: linear(p / "query_proj", hidden, hidden),
            key_proj: linear(p / "key_proj", hidden, hidden),
            value_proj: linear(p / "value_proj", hidden, hidden),
            pos_key_proj: own(c2p, "pos_key_proj"),
            pos_query_proj: own(p2c, "pos_query_proj"),
            c2p,
            p2c,
            share_att_key,
            heads,
            head_dim: hidden / heads,
            // Unlike v1, only c2p and p2c count (p2p is ignored).
            scale_factor: 1 + c2p as i64 + p2c as i64,
            dropout: Dropout::new(config.attention_probs_dropout_prob),
            pos_dropout: Dropout::new(config.hidden_dropout_prob),
        }
    }

    /// The projection of the relative embeddings for c2p (`key`) or p2c (`query`).
    fn position_projection(&self, query: bool) -> Option<&nn::Linear> {
        match (self.share_att_key, query) {
            (true, true) => Some(&self.query_proj),
            (true, false) => Some(&self.key_proj),
            (false, true) => self.pos_query_proj.as_ref(),
            (false, false) => self.pos_key_proj.as_ref(),
        }
    }
}

impl DisentangledSelfAttention for DebertaV2DisentangledSelfAttention {
    fn forward_t(
        &self,
        hidden: &Tensor,
        mask: &DebertaAttentionMask,
        relative: Option<(&Tensor, &RelativePositions)>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let project = |layer: &nn::Linear, x: &Tensor| heads_of(&layer.forward(x), self.heads);
        let query = project(&self.query_proj, hidden);
        let key = project(&self.key_proj, hidden);
        let value = project(&self.value_proj, hidden);
        // HF divides the scores by sqrt(d * factor), computed in float32.
        let scale = ((self.head_dim * self.scale_factor) as f32).sqrt() as f64;
        let relative = relative.and_then(|(table, positions)| {
            let table = self.pos_dropout.forward_t(table, train);
            let mut score: Option<Tensor> = None;
            if self.c2p {
                if let Some(projection) = self.position_projection(false) {
                    score = Some(positions.c2p_scores(&query, &project(projection, &table)));
                }
            }
            if self.p2c {
                if let Some(projection) = self.position_projection(true) {
                    let p2c = positions.p2c_scores(&key, &project(projection, &table));
                    // In place: the gathered scores are this layer's own tensors.
                    score = Some(match score {
                        Some(mut c2p) => {
                            c2p += p2c;
                            c2p
                        }
                        None => p2c,
                    });
                }
            }
            score.map(|mut s| {
                s /= scale;
                s
            })
        });
        attend(
            &query,
            &key,
            &value,
            1.0 / scale,
            relative,
            mask,
            &self.dropout,
            None,
            train,
            output_attentions,
        )
    }
}

/// The convolution HF runs beside the first layer when `conv_kernel_size > 0` (HF `ConvLayer`;
/// variables `conv` (a grouped 1-D convolution over the sequence) and `LayerNorm`): the
/// embedding output is convolved, padded positions zeroed, `conv_act` applied, added to the
/// first layer's output, normalised and masked again.
#[derive(Debug)]
pub struct ConvLayer {
    weight: Tensor,
    bias: Tensor,
    groups: i64,
    padding: i64,
    activation: Activation,
    layer_norm: nn::LayerNorm,
    dropout: Dropout,
}

impl ConvLayer {
    /// Builds the layer under `p` (`encoder.conv`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DebertaV2Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let hidden = config.hidden_size;
        let kernel = config.conv_kernel_size.unwrap_or(3);
        let groups = config.conv_groups.unwrap_or(1);
        let conv = p / "conv";
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        Self {
            weight: crate::common::layers::linear::uninitialized(
                &conv,
                "weight",
                &[hidden, hidden / groups, kernel],
            ),
            bias: conv.zeros("bias", &[hidden]),
            groups,
            padding: (kernel - 1) / 2,
            activation: config.conv_act.unwrap_or(Activation::tanh),
            layer_norm: nn::layer_norm(p / "LayerNorm", vec![hidden], layer_norm_config),
            dropout: Dropout::new(config.hidden_dropout_prob),
        }
    }

    /// Combines the encoder input `embedded` with the first layer's `residual` output;
    /// `tokens` is the `[batch, seq]` padding mask (1 / 0) in the hidden states' kind.
    pub fn forward_t(
        &self,
        embedded: &Tensor,
        residual: &Tensor,
        tokens: &Tensor,
        train: bool,
    ) -> Tensor {
        let tokens = tokens.unsqueeze(-1);
        let convolved = embedded
            .transpose(1, 2)
            .conv1d(
                &self.weight,
                Some(&self.bias),
                [1],
                [self.padding],
                [1],
                self.groups,
            )
            .transpose(1, 2);
        // Padded positions are zeroed before the activation, as HF's masked_fill.
        let activated = self
            .activation
            .apply(&self.dropout.forward_t(&(convolved * &tokens), train));
        (residual + activated).apply(&self.layer_norm) * tokens
    }
}
