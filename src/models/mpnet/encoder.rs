use crate::common::layers::{
    run_layer_stack, DenseResidualNorm, Intermediate, MultiHeadAttention, RelativePositionBias,
};
use crate::mpnet::MPNetConfig;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::Tensor;

/// HF's MPNet buckets relative positions into 32 whatever `relative_attention_num_buckets` says
/// (its `compute_position_bias` is called with the default), up to a distance of 128.
const BUCKETS: i64 = 32;
const MAX_DISTANCE: i64 = 128;

/// One post-norm MPNet layer (HF `MPNetLayer`): self-attention with projections `q`, `k`, `v`
/// and `o` under `attention.attn` and its norm at `attention.LayerNorm`, then BERT's
/// feed-forward (`intermediate`, `output`).
#[derive(Debug)]
pub struct MPNetLayer {
    attention: MultiHeadAttention,
    attention_output: DenseResidualNorm,
    intermediate: Intermediate,
    output: DenseResidualNorm,
}

impl MPNetLayer {
    /// Builds the layer under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &MPNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let attention = p / "attention";
        let eps = config.layer_norm_eps();
        Self {
            attention: MultiHeadAttention::new(
                &attention / "attn",
                config.hidden_size,
                config.num_attention_heads,
                config.attention_probs_dropout_prob,
                ["q", "k", "v"],
            ),
            attention_output: DenseResidualNorm::with_paths(
                &(&attention / "attn" / "o"),
                &(&attention / "LayerNorm"),
                config.hidden_size,
                config.hidden_size,
                eps,
                config.hidden_dropout_prob,
            ),
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
                eps,
                config.hidden_dropout_prob,
            ),
        }
    }

    /// Runs the layer with `bias` (relative positions plus padding, `[batch or 1, heads, seq,
    /// seq]`); returns the hidden state and, when asked, the attention probabilities.
    pub fn forward_t(
        &self,
        hidden: &Tensor,
        bias: &Tensor,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let (context, probs) =
            self.attention
                .forward_t(hidden, None, Some(bias), train, output_attentions);
        let attended = self.attention_output.forward_t(&context, hidden, train);
        let expanded = self.intermediate.forward(&attended);
        (self.output.forward_t(&expanded, &attended, train), probs)
    }
}

/// Output of an [`MPNetEncoder`].
#[derive(Debug)]
pub struct MPNetEncoderOutput {
    /// Last hidden state.
    pub hidden_state: Tensor,
    /// The input followed by the output of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The layers (`layer.{i}`) and the relative position bias they share
/// (`relative_attention_bias`, one table for the whole stack).
#[derive(Debug)]
pub struct MPNetEncoder {
    layers: Vec<MPNetLayer>,
    relative_attention_bias: RelativePositionBias,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl MPNetEncoder {
    /// Builds the encoder under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &MPNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let layer = p / "layer";
        Self {
            layers: (0..config.num_hidden_layers)
                .map(|i| MPNetLayer::new(&layer / i, config))
                .collect(),
            relative_attention_bias: RelativePositionBias::new(
                p / "relative_attention_bias",
                config.relative_attention_num_buckets,
                config.num_attention_heads,
                BUCKETS,
                MAX_DISTANCE,
                true,
            ),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Runs every layer over `input` `[batch, seq, hidden]`; `padding_bias` is the additive
    /// padding mask (see [`crate::common::layers::padding_mask_bias`]).
    ///
    /// # Errors
    /// A relative position table too small for the buckets.
    pub fn forward_t(
        &self,
        input: &Tensor,
        padding_bias: Option<&Tensor>,
        train: bool,
    ) -> Result<MPNetEncoderOutput, RustBertError> {
        let seq_len = input.size()[1];
        let positions = self
            .relative_attention_bias
            .forward(seq_len, seq_len, 0, input.kind())?
            .to_device(input.device());
        // Added once for all layers; HF adds the two to the scores one after the other, the
        // same sum.
        let bias = match padding_bias {
            Some(padding) => positions + padding,
            None => positions,
        };
        let output = run_layer_stack(
            input,
            &self.layers,
            self.output_hidden_states,
            self.output_attentions,
            |layer, hidden| layer.forward_t(hidden, &bias, train, self.output_attentions),
        );
        Ok(MPNetEncoderOutput {
            hidden_state: output.hidden_state,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}
