//! The sentence-transformers modules after the transformer: [`Pooling`] (token embeddings to
//! one vector) and [`Dense`] (a linear layer and an activation). Each computes what the
//! sentence-transformers module of the same name computes.
use crate::common::activations::Activation;
use crate::common::weights::load_weights_from_resource;
use crate::resources::{LocalResource, ResourceProvider};
use crate::{Config, RustBertError};
use serde::{de, Deserialize, Deserializer};
use std::path::Path;
use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

/// `1_Pooling/config.json`: which poolings are computed (several are concatenated, in the order
/// of the fields below, as sentence-transformers does).
#[derive(Debug, Clone, Deserialize)]
pub struct PoolingConfig {
    /// Width of the token embeddings.
    pub word_embedding_dimension: i64,
    /// The first token's embedding (`[CLS]`).
    #[serde(default)]
    pub pooling_mode_cls_token: bool,
    /// The maximum of each dimension over the tokens.
    #[serde(default)]
    pub pooling_mode_max_tokens: bool,
    /// The mean over the tokens.
    #[serde(default)]
    pub pooling_mode_mean_tokens: bool,
    /// The sum over the tokens divided by the square root of their number.
    #[serde(default)]
    pub pooling_mode_mean_sqrt_len_tokens: bool,
    /// The mean weighted by position (token `i` weighs `i + 1`).
    #[serde(default)]
    pub pooling_mode_weightedmean_tokens: bool,
    /// The last real token's embedding.
    #[serde(default)]
    pub pooling_mode_lasttoken: bool,
}

impl Config for PoolingConfig {}

impl PoolingConfig {
    /// How many poolings are concatenated.
    pub fn num_modes(&self) -> i64 {
        [
            self.pooling_mode_cls_token,
            self.pooling_mode_max_tokens,
            self.pooling_mode_mean_tokens,
            self.pooling_mode_mean_sqrt_len_tokens,
            self.pooling_mode_weightedmean_tokens,
            self.pooling_mode_lasttoken,
        ]
        .iter()
        .filter(|&&mode| mode)
        .count() as i64
    }

    /// Width of the pooled vector: `word_embedding_dimension` times the number of poolings.
    pub fn output_dimension(&self) -> i64 {
        self.word_embedding_dimension * self.num_modes()
    }
}

/// Pools token embeddings `[batch, seq, dim]` into sentence embeddings `[batch, dim * modes]`,
/// ignoring padded positions.
#[derive(Debug)]
pub struct Pooling {
    conf: PoolingConfig,
}

impl Pooling {
    /// A pooling layer of the given configuration.
    pub fn new(conf: PoolingConfig) -> Pooling {
        Pooling { conf }
    }

    /// The configuration.
    pub fn config(&self) -> &PoolingConfig {
        &self.conf
    }

    /// Pools `token_embeddings` `[batch, seq, dim]` with `attention_mask` `[batch, seq]` (1 for
    /// tokens, 0 for padding). A configuration without any pooling gives `[batch, 0]`.
    pub fn forward(&self, token_embeddings: Tensor, attention_mask: &Tensor) -> Tensor {
        let kind = token_embeddings.kind();
        let size = token_embeddings.size();
        let (batch, seq) = (size[0], size[1]);
        let mask = attention_mask
            .to_kind(kind)
            .unsqueeze(-1)
            .expand_as(&token_embeddings);
        let mut outputs = Vec::new();
        if self.conf.pooling_mode_cls_token {
            outputs.push(token_embeddings.select(1, 0));
        }
        if self.conf.pooling_mode_max_tokens {
            // Padding at -1e9 never wins the maximum (sentence-transformers' value).
            let filled = token_embeddings.masked_fill(&mask.eq(0.0), -1e9);
            outputs.push(filled.amax([1].as_slice(), false));
        }
        if self.conf.pooling_mode_mean_tokens || self.conf.pooling_mode_mean_sqrt_len_tokens {
            let sum_embeddings = (&token_embeddings * &mask).sum_dim_intlist(1, false, kind);
            let sum_mask = mask.sum_dim_intlist(1, false, kind).clamp_min(1e-9);
            if self.conf.pooling_mode_mean_tokens {
                outputs.push(&sum_embeddings / &sum_mask);
            }
            if self.conf.pooling_mode_mean_sqrt_len_tokens {
                outputs.push(&sum_embeddings / sum_mask.sqrt());
            }
        }
        if self.conf.pooling_mode_weightedmean_tokens {
            let weights = Tensor::arange_start(1, seq + 1, (kind, token_embeddings.device()))
                .view([1, seq, 1]);
            let weighted = &mask * weights;
            let sum_embeddings = (&token_embeddings * &weighted).sum_dim_intlist(1, false, kind);
            let sum_weights = weighted.sum_dim_intlist(1, false, kind).clamp_min(1e-9);
            outputs.push(sum_embeddings / sum_weights);
        }
        if self.conf.pooling_mode_lasttoken {
            // The last position holding a 1: the first 1 of the flipped mask, counted back.
            let flipped_first = attention_mask
                .flip([1])
                .to_kind(Kind::Int64)
                .argmax(1, false);
            let last = (flipped_first.neg() + (seq - 1)).view([batch, 1, 1]);
            let index = last.expand([batch, 1, size[2]], false);
            outputs.push(
                (&token_embeddings * &mask)
                    .gather(1, &index, false)
                    .squeeze_dim(1),
            );
        }
        if outputs.is_empty() {
            return Tensor::zeros([batch, 0], (kind, token_embeddings.device()));
        }
        Tensor::cat(&outputs, 1)
    }
}

/// `2_Dense/config.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DenseConfig {
    /// Input width.
    pub in_features: i64,
    /// Output width.
    pub out_features: i64,
    /// Whether the layer has a bias.
    #[serde(default = "default_bias")]
    pub bias: bool,
    /// Activation after the linear layer, read from sentence-transformers' class name
    /// (`torch.nn.modules.activation.Tanh`, `torch.nn.modules.linear.Identity`, ...).
    #[serde(deserialize_with = "torch_activation")]
    pub activation_function: Activation,
}

fn default_bias() -> bool {
    true
}

impl Config for DenseConfig {}

/// Maps a PyTorch activation class (its last dotted segment) to an [`Activation`].
fn torch_activation<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Activation, D::Error> {
    let name = String::deserialize(deserializer)?;
    let class = name.rsplit('.').next().unwrap_or_default();
    Ok(match class.to_ascii_lowercase().as_str() {
        "tanh" => Activation::tanh,
        "identity" | "linear" => Activation::identity,
        "relu" => Activation::relu,
        "relu6" => Activation::relu6,
        "gelu" => Activation::gelu,
        "sigmoid" => Activation::sigmoid,
        "silu" | "swish" => Activation::swish,
        "mish" => Activation::mish,
        "leakyrelu" | "leaky_relu" => Activation::leaky_relu,
        _ => {
            return Err(de::Error::custom(format!(
                "unsupported Dense activation `{name}` (supported: Tanh, Identity, ReLU, ReLU6, \
                 GELU, Sigmoid, SiLU, Mish, LeakyReLU)"
            )))
        }
    })
}

/// A linear layer followed by an activation, on the pooled vector (sentence-transformers'
/// `Dense`). Its weights are `linear.weight` and `linear.bias`, as sentence-transformers saves
/// them (rust-bert's converted files without the `linear.` prefix load too).
#[derive(Debug)]
pub struct Dense {
    linear: nn::Linear,
    activation: Activation,
    var_store: nn::VarStore,
}

impl Dense {
    /// Builds the layer and loads its weights from a file.
    ///
    /// # Errors
    /// Unreadable weights, or tensors missing or of the wrong shape.
    pub fn new<P: AsRef<Path>>(
        dense_conf: DenseConfig,
        dense_weights: P,
        device: Device,
    ) -> Result<Dense, RustBertError> {
        Self::from_resource(
            dense_conf,
            &LocalResource::from(dense_weights.as_ref().to_path_buf()),
            device,
        )
    }

    /// Builds the layer and loads its weights from any resource.
    ///
    /// # Errors
    /// As [`Dense::new`].
    pub fn from_resource(
        dense_conf: DenseConfig,
        dense_weights: &dyn ResourceProvider,
        device: Device,
    ) -> Result<Dense, RustBertError> {
        let var_store = nn::VarStore::new(device);
        let linear_config = nn::LinearConfig {
            ws_init: nn::Init::Const(0.),
            bs_init: Some(nn::Init::Const(0.)),
            bias: dense_conf.bias,
        };
        let linear = nn::linear(
            var_store.root() / "linear",
            dense_conf.in_features,
            dense_conf.out_features,
            linear_config,
        );
        load_weights_from_resource(&var_store, dense_weights)?;
        Ok(Dense {
            linear,
            activation: dense_conf.activation_function,
            var_store,
        })
    }

    /// `activation(linear(x))`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.activation.apply(&self.linear.forward(x))
    }

    /// The layer's variables (to change their device or precision).
    pub fn var_store_mut(&mut self) -> &mut nn::VarStore {
        &mut self.var_store
    }
}
