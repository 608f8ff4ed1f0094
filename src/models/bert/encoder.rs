use crate::bert::BertConfig;
use crate::common::layers::{run_layer_stack, DenseResidualNorm, Intermediate, MultiHeadAttention};
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

/// Self- (or cross-) attention followed by its output block (HF `BertAttention`).
#[derive(Debug)]
struct BertAttention {
    attention: MultiHeadAttention,
    output: DenseResidualNorm,
}

impl BertAttention {
    fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let p = p.borrow();
        Self {
            attention: MultiHeadAttention::new(
                p / "self",
                config.hidden_size,
                config.num_attention_heads,
                config.attention_probs_dropout_prob,
                ["query", "key", "value"],
            ),
            output: DenseResidualNorm::new(
                p / "output",
                config.hidden_size,
                config.hidden_size,
                config.layer_norm_eps(),
                config.hidden_dropout_prob,
            ),
        }
    }

    fn forward_t(
        &self,
        hidden: &Tensor,
        key_value_source: Option<&Tensor>,
        bias: Option<&Tensor>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let (context, probs) =
            self.attention
                .forward_t(hidden, key_value_source, bias, train, output_attentions);
        (self.output.forward_t(&context, hidden, train), probs)
    }
}

/// Output of one [`BertLayer`].
#[derive(Debug)]
pub struct BertLayerOutput {
    /// Hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// Self-attention probabilities `[batch, heads, seq, seq]` when asked for.
    pub attention_weights: Option<Tensor>,
    /// Cross-attention probabilities when the layer has cross-attention and they are asked for.
    pub cross_attention_weights: Option<Tensor>,
}

/// One post-norm transformer layer: self-attention, optional cross-attention, feed-forward.
#[derive(Debug)]
pub struct BertLayer {
    attention: BertAttention,
    cross_attention: Option<BertAttention>,
    intermediate: Intermediate,
    output: DenseResidualNorm,
    output_attentions: bool,
}

impl BertLayer {
    /// Builds the layer under `p` (HF names `attention`, `crossattention`, `intermediate`,
    /// `output`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            attention: BertAttention::new(p / "attention", config),
            cross_attention: config
                .add_cross_attention
                .unwrap_or(false)
                .then(|| BertAttention::new(p / "crossattention", config)),
            intermediate: Intermediate::new(
                p / "intermediate",
                config.hidden_size,
                config.intermediate_size,
                config.hidden_act,
            ),
            output: DenseResidualNorm::new(
                p / "output",
                config.intermediate_size,
                config.hidden_size,
                config.layer_norm_eps(),
                config.hidden_dropout_prob,
            ),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Runs the layer. `bias` and `encoder_bias` are additive attention biases (see
    /// [`crate::common::layers::padding_mask_bias`]).
    pub fn forward_t(
        &self,
        hidden_states: &Tensor,
        bias: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        encoder_bias: Option<&Tensor>,
        train: bool,
    ) -> BertLayerOutput {
        let output_attentions = self.output_attentions;
        let (mut hidden, probs) =
            self.attention
                .forward_t(hidden_states, None, bias, train, output_attentions);
        let mut cross_probs = None;
        if let (Some(cross), Some(encoder_states)) = (&self.cross_attention, encoder_hidden_states)
        {
            let (attended, probs) = cross.forward_t(
                &hidden,
                Some(encoder_states),
                encoder_bias,
                train,
                output_attentions,
            );
            hidden = attended;
            cross_probs = probs;
        }
        let expanded = self.intermediate.forward(&hidden);
        let hidden_state = self.output.forward_t(&expanded, &hidden, train);
        BertLayerOutput {
            hidden_state,
            attention_weights: probs,
            cross_attention_weights: cross_probs,
        }
    }
}

/// Output of a [`BertEncoder`].
#[derive(Debug)]
pub struct BertEncoderOutput {
    /// Last hidden state.
    pub hidden_state: Tensor,
    /// The input followed by the output of every layer (`num_layers + 1` tensors), when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Self-attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// A stack of [`BertLayer`]s (variables `layer.{i}`).
#[derive(Debug)]
pub struct BertEncoder {
    layers: Vec<BertLayer>,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl BertEncoder {
    /// Builds `num_hidden_layers` layers under `p / "layer"`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow() / "layer";
        Self {
            layers: (0..config.num_hidden_layers)
                .map(|i| BertLayer::new(&p / i, config))
                .collect(),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Runs every layer.
    pub fn forward_t(
        &self,
        input: &Tensor,
        bias: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        encoder_bias: Option<&Tensor>,
        train: bool,
    ) -> BertEncoderOutput {
        let output = run_layer_stack(
            input,
            &self.layers,
            self.output_hidden_states,
            self.output_attentions,
            |layer, hidden| {
                let out = layer.forward_t(hidden, bias, encoder_hidden_states, encoder_bias, train);
                (out.hidden_state, out.attention_weights)
            },
        );
        BertEncoderOutput {
            hidden_state: output.hidden_state,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        }
    }
}

/// `tanh(dense(h[:, 0]))`: the sentence vector of BERT's first token.
#[derive(Debug)]
pub struct BertPooler {
    dense: nn::Linear,
}

impl BertPooler {
    /// Builds the pooler under `p` (variable `dense`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        Self {
            dense: crate::common::layers::linear(
                p.borrow() / "dense",
                config.hidden_size,
                config.hidden_size,
            ),
        }
    }

    /// Pools `[batch, seq, hidden]` into `[batch, hidden]`.
    pub fn forward(&self, hidden_states: &Tensor) -> Tensor {
        hidden_states.select(1, 0).apply(&self.dense).tanh()
    }
}
