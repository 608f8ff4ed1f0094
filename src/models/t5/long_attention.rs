//! LongT5's encoder self-attention on T5's attention layer: local attention (each token sees
//! the tokens within `local_radius`, computed block by block) and transient-global attention
//! (local attention plus one summary token per `global_block_size` tokens). The projections,
//! the relative position table and the bucketing are T5's; the block bookkeeping is
//! [`crate::common::layers::local_attention`].
use super::t5_model::{T5Attention, T5Config, T5LayerNorm};
use crate::common::layers::linear::{embedding_config, project};
use crate::common::layers::local_attention::{
    additive, concatenate_3_blocks, global_aggregates, global_block_ids, local_attention_mask,
    side_relative_positions, split_into_blocks, three_block_relative_positions,
};
use crate::common::layers::relative_position_bucket;
use tch::nn;
use tch::{Kind, Tensor};

/// How a T5 encoder's self-attention sees the sequence: T5's full attention or LongT5's
/// block-local variants (`block_len` = `local_radius + 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EncoderAttention {
    /// Every token sees every token (T5).
    Full,
    /// Tokens see the tokens within `block_len - 1` positions (LongT5 `local`).
    Local {
        /// `local_radius + 1`.
        block_len: i64,
    },
    /// Local attention plus one global token per `global_block_size` tokens (LongT5
    /// `transient-global`).
    TransientGlobal {
        /// `local_radius + 1`.
        block_len: i64,
        /// Tokens summed into each global token.
        global_block_size: i64,
    },
}

impl EncoderAttention {
    /// HF's module name of the self-attention layer (`encoder.block.i.layer.0.<name>`).
    pub(crate) fn variable_name(self) -> &'static str {
        match self {
            Self::Full => "SelfAttention",
            Self::Local { .. } => "LocalSelfAttention",
            Self::TransientGlobal { .. } => "TransientGlobalSelfAttention",
        }
    }
}

/// The parts block-local attention adds to a T5 attention layer.
#[derive(Debug)]
pub(crate) struct BlockAttention {
    block_len: i64,
    global: Option<GlobalParts>,
}

/// Transient-global attention's own variables.
#[derive(Debug)]
struct GlobalParts {
    global_block_size: i64,
    /// Relative-position table of token-to-global-token distances (first layer only).
    global_relative_attention_bias: Option<nn::Embedding>,
    /// RMS norm of the summed global inputs.
    global_input_layer_norm: T5LayerNorm,
}

impl BlockAttention {
    pub(super) fn new(
        p: &nn::Path,
        config: &T5Config,
        has_bias: bool,
        attention: EncoderAttention,
    ) -> Option<Self> {
        match attention {
            EncoderAttention::Full => None,
            EncoderAttention::Local { block_len } => Some(Self {
                block_len,
                global: None,
            }),
            EncoderAttention::TransientGlobal {
                block_len,
                global_block_size,
            } => Some(Self {
                block_len,
                global: Some(GlobalParts {
                    global_block_size,
                    global_relative_attention_bias: has_bias.then(|| {
                        nn::embedding(
                            p / "global_relative_attention_bias",
                            config.relative_attention_num_buckets,
                            config.num_heads,
                            embedding_config(),
                        )
                    }),
                    global_input_layer_norm: T5LayerNorm::new(
                        p / "global_input_layer_norm",
                        config.d_model,
                        config.layer_norm_epsilon,
                    ),
                }),
            }),
        }
    }
}

/// What transient-global attention derives from the padding mask and the inputs.
struct Globals {
    block_ids: Tensor,
    segment_ids: Tensor,
    inputs: Tensor,
}

impl T5Attention {
    /// Bias of a table over relative positions `[..]` → `[.., heads]`.
    fn bucket_bias(&self, table: &nn::Embedding, positions: &Tensor) -> Tensor {
        let buckets = relative_position_bucket(
            positions,
            self.bidirectional,
            self.num_buckets,
            self.max_distance,
        );
        let mut size = positions.size();
        size.push(self.num_heads);
        table
            .ws
            .index_select(0, &buckets.view([-1]))
            .view(size.as_slice())
    }

    /// The first layer's additive bias, shared by the others as HF does: relative positions
    /// within three blocks plus the local mask `[batch, blocks, heads, block_len, 3 *
    /// block_len]`, then (transient-global) the token-to-global biases and mask appended along
    /// the keys.
    fn block_bias(
        &self,
        blocks: &BlockAttention,
        mask: &Tensor,
        globals: Option<&Globals>,
        kind: Kind,
    ) -> Tensor {
        let block_len = blocks.block_len;
        let device = mask.device();
        let relative = match &self.relative_attention_bias {
            Some(table) => self
                .bucket_bias(table, &three_block_relative_positions(block_len, device))
                .permute([2, 0, 1])
                .unsqueeze(0)
                .unsqueeze(0)
                .to_kind(kind),
            None => Tensor::zeros(
                [1, 1, self.num_heads, block_len, 3 * block_len],
                (kind, device),
            ),
        };
        let local = additive(&local_attention_mask(mask, block_len), kind).unsqueeze(2);
        let bias = relative + local;
        let (Some(globals), Some(parts)) = (globals, &blocks.global) else {
            return bias;
        };
        let count = globals.segment_ids.size()[1];
        // A token sees the global tokens of its row's blocks; padding sees none of them.
        let allowed = mask
            .ne(0)
            .to_kind(Kind::Int64)
            .unsqueeze(-1)
            .eq_tensor(&globals.segment_ids.unsqueeze(1));
        // `[batch, 1, seq, globals]`, broadcast over the heads by the table's bias.
        let side_mask = additive(&allowed, kind).unsqueeze(1);
        let side = match &parts.global_relative_attention_bias {
            Some(table) => {
                let positions = side_relative_positions(&globals.block_ids, count);
                side_mask
                    + self
                        .bucket_bias(table, &positions)
                        .permute([0, 3, 1, 2])
                        .to_kind(kind)
            }
            None => side_mask.expand([-1, self.num_heads, -1, -1], false),
        };
        let side = split_into_blocks(&side, block_len, -2).transpose(1, 2);
        Tensor::cat(&[bias, side], -1)
    }

    /// Block-local self-attention of `hidden` `[batch, seq, d_model]` (already normed) with
    /// the padding mask `mask` `[batch, seq]`. `position_bias` is the first layer's bias
    /// (computed here when `None`). Returns the output, the bias for the next layers and the
    /// probabilities `[batch, blocks, heads, block_len, keys]` when asked.
    pub(super) fn forward_blocks(
        &self,
        blocks: &BlockAttention,
        hidden: &Tensor,
        mask: &Tensor,
        position_bias: Option<&Tensor>,
        output_attentions: bool,
        train: bool,
    ) -> (Tensor, Tensor, Option<Tensor>) {
        let (batch, seq) = (hidden.size()[0], hidden.size()[1]);
        let block_len = blocks.block_len;
        let heads = |x: &Tensor| x.view([batch, -1, self.num_heads, self.d_kv]);
        let blocked =
            |w: &Tensor| split_into_blocks(&heads(&project(hidden, w, None)), block_len, 1);
        // [batch, blocks, block_len | 3 * block_len (+ globals), heads, d_kv]
        let query = blocked(&self.q);
        let mut key = concatenate_3_blocks(&blocked(&self.k), 1, 2);
        let mut value = concatenate_3_blocks(&blocked(&self.v), 1, 2);
        let globals = blocks.global.as_ref().map(|parts| {
            let (block_ids, segment_ids) = global_block_ids(mask, parts.global_block_size);
            let count = segment_ids.size()[1];
            let inputs = parts
                .global_input_layer_norm
                .forward(&global_aggregates(hidden, &block_ids, count));
            Globals {
                block_ids,
                segment_ids,
                inputs,
            }
        });
        if let Some(globals) = &globals {
            let n_blocks = key.size()[1];
            let side = |w: &Tensor| {
                heads(&project(&globals.inputs, w, None))
                    .unsqueeze(1)
                    .expand([-1, n_blocks, -1, -1, -1], false)
            };
            key = Tensor::cat(&[key, side(&self.k)], 2);
            value = Tensor::cat(&[value, side(&self.v)], 2);
        }
        let scores = query
            .permute([0, 1, 3, 2, 4])
            .matmul(&key.permute([0, 1, 3, 4, 2]));
        let bias = match position_bias {
            Some(bias) => bias.shallow_clone(),
            None => self.block_bias(blocks, mask, globals.as_ref(), scores.kind()),
        };
        let scores = scores + &bias;
        let probs = scores.softmax(-1, Kind::Float).to_kind(scores.kind());
        let context = self
            .dropout
            .forward_t(&probs, train)
            .matmul(&value.permute([0, 1, 3, 2, 4]));
        let context = context
            .permute([0, 1, 3, 2, 4])
            .reshape([batch, -1, self.num_heads * self.d_kv])
            .narrow(1, 0, seq);
        (
            project(&context, &self.o, None),
            bias,
            output_attentions.then_some(probs),
        )
    }
}
