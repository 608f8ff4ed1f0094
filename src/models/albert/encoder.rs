use crate::albert::AlbertConfig;
use crate::common::layers::{
    linear, run_layer_stack, DenseResidualNorm, MultiHeadAttention, TwoLayerFeedForward,
};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

/// One ALBERT layer: self-attention closed by `attention.dense` + `attention.LayerNorm`, then
/// the feed-forward `ffn` -> `ffn_output` closed by `full_layer_layer_norm` (HF `AlbertLayer`).
#[derive(Debug)]
pub struct AlbertLayer {
    attention: MultiHeadAttention,
    attention_output: DenseResidualNorm,
    ffn: TwoLayerFeedForward,
    full_layer_layer_norm: nn::LayerNorm,
}

impl AlbertLayer {
    /// Builds the layer under `p` (HF names `attention.{query,key,value,dense,LayerNorm}`,
    /// `ffn`, `ffn_output`, `full_layer_layer_norm`).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &AlbertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        let attention = p / "attention";
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        Self {
            attention: MultiHeadAttention::new(
                &attention,
                config.hidden_size,
                config.num_attention_heads,
                config.attention_probs_dropout_prob,
                ["query", "key", "value"],
            ),
            // HF: LayerNorm(hidden + dropout(dense(context))), the residual being the layer input.
            attention_output: DenseResidualNorm::new(
                &attention,
                config.hidden_size,
                config.hidden_size,
                config.layer_norm_eps(),
                config.hidden_dropout_prob,
            ),
            // HF's AlbertLayer owns a dropout but its feed-forward never applies it, so none here
            // either (this only matters when training).
            ffn: TwoLayerFeedForward::new(
                p,
                config.hidden_size,
                config.intermediate_size,
                config.hidden_act,
                0.0,
                ["ffn", "ffn_output"],
            ),
            full_layer_layer_norm: nn::layer_norm(
                p / "full_layer_layer_norm",
                vec![config.hidden_size],
                layer_norm_config,
            ),
        }
    }

    /// Runs the layer with an additive attention `bias`; returns the hidden state and, when
    /// `output_attentions`, the attention probabilities.
    pub fn forward_t(
        &self,
        hidden_states: &Tensor,
        bias: Option<&Tensor>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let (context, probs) =
            self.attention
                .forward_t(hidden_states, None, bias, train, output_attentions);
        let attended = self
            .attention_output
            .forward_t(&context, hidden_states, train);
        let output =
            (self.ffn.forward_t(&attended, train) + &attended).apply(&self.full_layer_layer_norm);
        (output, probs)
    }
}

/// A group of `inner_group_num` layers run one after the other; every layer of the model that
/// maps to this group reuses its weights (HF `AlbertLayerGroup`, variables `albert_layers.{i}`).
#[derive(Debug)]
struct AlbertLayerGroup {
    albert_layers: Vec<AlbertLayer>,
}

impl AlbertLayerGroup {
    fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &AlbertConfig) -> Self {
        let p = p.borrow() / "albert_layers";
        Self {
            albert_layers: (0..config.inner_group_num.max(0))
                .map(|i| AlbertLayer::new(&p / i, config))
                .collect(),
        }
    }
}

/// Output of an [`AlbertTransformer`].
#[derive(Debug)]
pub struct AlbertTransformerOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// The input of the first layer (the embeddings mapped to `hidden_size`) followed by the
    /// output of every layer call: `1 + num_hidden_layers * inner_group_num` tensors, as HF 5.x
    /// returns them.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities: one entry per layer (`num_hidden_layers`), each holding the
    /// `inner_group_num` probabilities of the group that layer runs.
    pub all_attentions: Option<Vec<Vec<Tensor>>>,
}

/// The ALBERT encoder: `embedding_hidden_mapping_in` lifts the factorised embeddings to the
/// hidden size, then `num_hidden_layers` layers run on `num_hidden_groups` shared groups
/// (HF `AlbertTransformer`, variables `embedding_hidden_mapping_in`, `albert_layer_groups.{g}`).
#[derive(Debug)]
pub struct AlbertTransformer {
    embedding_hidden_mapping_in: nn::Linear,
    albert_layer_groups: Vec<AlbertLayerGroup>,
    num_hidden_layers: i64,
    inner_group_num: usize,
    output_hidden_states: bool,
    output_attentions: bool,
    /// Why the configuration cannot run (no layers are built then); reported by `forward_t`,
    /// since constructors keep rust-bert's infallible signature.
    invalid: Option<String>,
}

impl AlbertTransformer {
    /// Builds the encoder under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &AlbertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        let invalid = config.check_encoder();
        let groups = if invalid.is_none() {
            config.num_hidden_groups
        } else {
            0
        };
        let groups_path = p / "albert_layer_groups";
        Self {
            embedding_hidden_mapping_in: linear(
                p / "embedding_hidden_mapping_in",
                config.embedding_size,
                config.hidden_size,
            ),
            albert_layer_groups: (0..groups)
                .map(|g| AlbertLayerGroup::new(&groups_path / g, config))
                .collect(),
            num_hidden_layers: config.num_hidden_layers,
            inner_group_num: config.inner_group_num.max(0) as usize,
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
            invalid,
        }
    }

    /// The group that layer `layer` runs. HF computes `int(layer / (num_hidden_layers /
    /// num_hidden_groups))` in floating point; the same is done here, so uneven splits (3 layers
    /// on 2 groups: 0, 0, 1) map as in HF.
    fn group_index(&self, layer: i64) -> usize {
        let groups = self.albert_layer_groups.len();
        let layers_per_group = self.num_hidden_layers as f64 / groups as f64;
        ((layer as f64 / layers_per_group) as usize).min(groups.saturating_sub(1))
    }

    /// Runs the encoder on embeddings `[batch, seq, embedding_size]` with an additive attention
    /// `bias`.
    pub fn forward_t(
        &self,
        embeddings: &Tensor,
        bias: Option<&Tensor>,
        train: bool,
    ) -> Result<AlbertTransformerOutput, RustBertError> {
        if let Some(reason) = &self.invalid {
            return Err(RustBertError::InvalidConfigurationError(reason.clone()));
        }
        let hidden = self.embedding_hidden_mapping_in.forward(embeddings);
        // The layer calls in order: each of the `num_hidden_layers` runs every inner layer of its
        // group. HF records hidden states and attentions per call, as the stack does.
        let calls = (0..self.num_hidden_layers)
            .flat_map(|layer| &self.albert_layer_groups[self.group_index(layer)].albert_layers);
        let output = run_layer_stack(
            &hidden,
            calls,
            self.output_hidden_states,
            self.output_attentions,
            |layer, hidden| layer.forward_t(hidden, bias, train, self.output_attentions),
        );
        // rust-bert nests the attentions per layer: the probabilities of its group's inner layers.
        let all_attentions = output.all_attentions.map(|flat| {
            let mut flat = flat.into_iter();
            (0..self.num_hidden_layers)
                .map(|_| flat.by_ref().take(self.inner_group_num).collect())
                .collect()
        });
        Ok(AlbertTransformerOutput {
            hidden_state: output.hidden_state,
            all_hidden_states: output.all_hidden_states,
            all_attentions,
        })
    }
}
