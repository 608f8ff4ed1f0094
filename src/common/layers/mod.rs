//! Layers shared by every model: attention, feed-forward blocks, embeddings, dropout.
pub mod attention;
pub mod dropout;
pub mod embeddings;
pub mod feed_forward;
pub mod gated_mlp;
pub mod layer_stack;
pub mod linear;
pub mod local_attention;
pub mod relative_position;
pub mod rms_norm;
pub mod rotary;
pub mod summary;
pub mod two_layer_ffn;

pub use attention::{
    attention_bias, causal_attention_bias, causal_mask_bias, encoder_attention_bias, merge_heads,
    padding_mask_bias, scaled_dot_product, scaled_dot_product_f32_scores, sliding_window_bias,
    split_heads, MultiHeadAttention,
};
pub use dropout::Dropout;
pub use embeddings::{TransformerEmbeddings, TransformerEmbeddingsConfig};
pub use feed_forward::{DenseResidualNorm, Intermediate};
pub use gated_mlp::GatedMlp;
pub use layer_stack::{run_layer_stack, try_run_layer_stack, LayerStackOutput, StackOutputs};
pub use linear::{linear, linear_no_bias, linear_with_bias, LinearNoBias};
pub use relative_position::{relative_position_bucket, RelativePositionBias};
pub use rms_norm::RmsNorm;
pub use rotary::{RopeParameters, RotaryDims, RotaryEmbedding};
pub use summary::{
    flatten_choices, num_choices, ChoiceInputs, SequenceSummary, SummaryConfig, SummaryType,
};
pub use two_layer_ffn::TwoLayerFeedForward;
