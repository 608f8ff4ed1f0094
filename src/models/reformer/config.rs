//! Reformer's configuration (HF `ReformerConfig`) and its pretrained resources.
use crate::common::activations::Activation;
use crate::common::config::{read_config_file, validated, ConfigChecks};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Pretrained Reformer weights on the hub, as `(cache subdirectory, URL)`.
pub struct ReformerModelResources;
/// Pretrained Reformer configurations on the hub, as `(cache subdirectory, URL)`.
pub struct ReformerConfigResources;
/// Pretrained Reformer SentencePiece models (`spiece.model`) on the hub.
pub struct ReformerVocabResources;

macro_rules! reformer_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// google/reformer-crime-and-punishment (Apache-2.0, the Trax authors): a Reformer
            /// language model trained on Dostoevsky's *Crime and Punishment*.
            pub const CRIME_AND_PUNISHMENT: (&'static str, &'static str) = (
                concat!("reformer-crime-punishment/", $suffix),
                concat!(
                    "https://huggingface.co/google/reformer-crime-and-punishment/resolve/main/",
                    $file
                ),
            );
        }
    };
}
reformer_resources!(ReformerModelResources, "rust_model.ot", "model");
reformer_resources!(ReformerConfigResources, "config.json", "config");
reformer_resources!(ReformerVocabResources, "spiece.model", "spiece");

/// The attention of a Reformer layer (`"local"` or `"lsh"` in `attn_layers`).
#[allow(non_camel_case_types)]
#[derive(Clone, Debug, Serialize, Deserialize, Copy, PartialEq, Eq, Hash)]
pub enum AttentionType {
    /// Chunked attention over the own chunk and its neighbours.
    local,
    /// Locality-sensitive-hashing attention: tokens hashed into buckets, sorted by bucket and
    /// attending within chunks of that order.
    lsh,
}

fn default_head_size() -> i64 {
    64
}
fn default_attn_layers() -> Vec<AttentionType> {
    use AttentionType::{local, lsh};
    vec![local, lsh, local, lsh, local, lsh]
}
fn default_one() -> f64 {
    1.0
}
fn default_true() -> bool {
    true
}
fn default_axial_dims() -> Vec<i64> {
    vec![64, 192]
}
fn default_axial_shape() -> Vec<i64> {
    vec![64, 64]
}
fn default_eos() -> i64 {
    2
}
fn default_ff() -> i64 {
    512
}
fn default_act() -> Activation {
    Activation::relu
}
fn default_dropout() -> f64 {
    0.05
}
fn default_hidden() -> i64 {
    256
}
fn default_positions() -> i64 {
    4096
}
fn default_vocab() -> i64 {
    320
}
fn default_heads() -> i64 {
    12
}
fn default_hashes() -> i64 {
    1
}

/// Reformer configuration; deserializes an HF `config.json` (keys it may omit take the
/// defaults of HF's `ReformerConfig`).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct ReformerConfig {
    /// Width of each attention head (independent of `hidden_size`).
    #[serde(default = "default_head_size")]
    pub attention_head_size: i64,
    /// Attention type of every layer (`num_hidden_layers` is its length).
    #[serde(default = "default_attn_layers")]
    pub attn_layers: Vec<AttentionType>,
    /// Standard deviation of the axial position weights at initialisation.
    #[serde(default = "default_one")]
    pub axial_norm_std: f64,
    /// Axial (factorised) position embeddings instead of a plain table.
    #[serde(default = "default_true")]
    pub axial_pos_embds: bool,
    /// Widths of the two axial embeddings (they sum to `hidden_size`).
    #[serde(default = "default_axial_dims")]
    pub axial_pos_embds_dim: Vec<i64>,
    /// The two axial factors; their product is the number of positions.
    #[serde(default = "default_axial_shape")]
    pub axial_pos_shape: Vec<i64>,
    /// Positions per chunk of the language-model head (0: all at once).
    #[serde(default)]
    pub chunk_size_lm_head: i64,
    /// Positions per chunk of the feed-forward layers (`None` or 0: all at once).
    #[serde(default)]
    pub chunk_size_feed_forward: Option<i64>,
    /// End-of-sequence token.
    #[serde(default = "default_eos")]
    pub eos_token_id: i64,
    /// Padding token (also what inputs are padded with to a multiple of the chunk length).
    #[serde(default)]
    pub pad_token_id: i64,
    /// Token forced first (generation).
    #[serde(default)]
    pub forced_bos_token_id: Option<i64>,
    /// Token forced last (generation).
    #[serde(default)]
    pub forced_eos_token_id: Option<i64>,
    /// Inner size of the feed-forward layers.
    #[serde(default = "default_ff")]
    pub feed_forward_size: i64,
    /// Seed of the LSH random rotations: LibTorch's global generator is seeded with it before
    /// each draw, as HF seeds PyTorch's (`None`: fresh rotations from the global generator).
    #[serde(default)]
    pub hash_seed: Option<i64>,
    /// Feed-forward activation.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on hidden states (training only).
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Hidden size (each of the two reversible streams).
    #[serde(default = "default_hidden")]
    pub hidden_size: i64,
    /// Standard deviation of the initializer.
    #[serde(default)]
    pub initializer_range: Option<f64>,
    /// Causal attention (required by the language-model head).
    #[serde(default)]
    pub is_decoder: bool,
    /// LayerNorm epsilon (HF default 1e-12).
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Longest sequence the model takes.
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads")]
    pub num_attention_heads: i64,
    /// LSH buckets: a number, a list of factors (factorised hashing), or `null` (chosen from the
    /// first sequence length an LSH layer hashes, as HF does).
    #[serde(default)]
    pub num_buckets: Value,
    /// Chunk length of local attention layers.
    #[serde(default)]
    pub local_attn_chunk_length: Option<i64>,
    /// Chunks after its own a local chunk attends to (0 for causal models).
    #[serde(default)]
    pub local_num_chunks_after: Option<i64>,
    /// Chunks before its own a local chunk attends to.
    #[serde(default)]
    pub local_num_chunks_before: Option<i64>,
    /// Dropout on local attention probabilities (training only).
    #[serde(default)]
    pub local_attention_probs_dropout_prob: Option<f64>,
    /// Chunk length of LSH attention layers.
    #[serde(default)]
    pub lsh_attn_chunk_length: Option<i64>,
    /// Chunks after its own an LSH chunk attends to (0 for causal models).
    #[serde(default)]
    pub lsh_num_chunks_after: Option<i64>,
    /// Chunks before its own an LSH chunk attends to.
    #[serde(default)]
    pub lsh_num_chunks_before: Option<i64>,
    /// Dropout on LSH attention probabilities (training only).
    #[serde(default)]
    pub lsh_attention_probs_dropout_prob: Option<f64>,
    /// Hashing rounds of LSH attention.
    #[serde(default = "default_hashes")]
    pub num_hashes: i64,
    /// Number of layers (HF derives it from `attn_layers`; when absent it is their count).
    #[serde(default)]
    pub num_hidden_layers: i64,
    /// Return the generation cache (default true).
    #[serde(default)]
    pub use_cache: Option<bool>,
    /// Label names of a classification head.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Unused by this decoder-only model (kept from rust-bert's configuration).
    #[serde(default)]
    pub decoder_start_token_id: Option<i64>,
}

impl Default for ReformerConfig {
    /// HF's `ReformerConfig()`.
    fn default() -> Self {
        let attn_layers = default_attn_layers();
        Self {
            attention_head_size: 64,
            num_hidden_layers: attn_layers.len() as i64,
            attn_layers,
            axial_norm_std: 1.0,
            axial_pos_embds: true,
            axial_pos_embds_dim: default_axial_dims(),
            axial_pos_shape: default_axial_shape(),
            chunk_size_lm_head: 0,
            chunk_size_feed_forward: None,
            eos_token_id: 2,
            pad_token_id: 0,
            forced_bos_token_id: None,
            forced_eos_token_id: None,
            feed_forward_size: 512,
            hash_seed: None,
            hidden_act: Activation::relu,
            hidden_dropout_prob: 0.05,
            hidden_size: 256,
            initializer_range: Some(0.02),
            is_decoder: false,
            layer_norm_eps: Some(1e-12),
            max_position_embeddings: 4096,
            vocab_size: 320,
            num_attention_heads: 12,
            num_buckets: Value::Null,
            local_attn_chunk_length: Some(64),
            local_num_chunks_after: Some(0),
            local_num_chunks_before: Some(1),
            local_attention_probs_dropout_prob: Some(0.05),
            lsh_attn_chunk_length: Some(64),
            lsh_num_chunks_after: Some(0),
            lsh_num_chunks_before: Some(1),
            lsh_attention_probs_dropout_prob: Some(0.0),
            num_hashes: 1,
            use_cache: None,
            id2label: None,
            label2id: None,
            output_attentions: None,
            output_hidden_states: None,
            decoder_start_token_id: None,
        }
    }
}

/// The LSH bucket layout of `num_buckets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NumBuckets {
    /// One rotation of `n / 2` directions, `n` buckets.
    Single(i64),
    /// Factorised hashing: one rotation block per factor; the bucket is their mixed-radix
    /// combination (`product` buckets).
    Factors(Vec<i64>),
}

impl NumBuckets {
    /// Total number of buckets (without the padding bucket).
    pub(crate) fn total(&self) -> i64 {
        match self {
            Self::Single(n) => *n,
            Self::Factors(factors) => factors.iter().product(),
        }
    }

    /// Width of the random rotation: half the sum of the factors.
    pub(crate) fn rotation_size(&self) -> i64 {
        match self {
            Self::Single(n) => *n,
            Self::Factors(factors) => factors.iter().sum(),
        }
    }
}

/// Chunk lengths and neighbour counts with HF's defaults (64, 1 before, 0 after).
pub(crate) struct ChunkSettings {
    pub chunk_length: i64,
    pub before: i64,
    pub after: i64,
}

impl ReformerConfig {
    pub(crate) fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-12)
    }

    pub(crate) fn local_chunks(&self) -> ChunkSettings {
        ChunkSettings {
            chunk_length: self.local_attn_chunk_length.unwrap_or(64),
            before: self.local_num_chunks_before.unwrap_or(1),
            after: self.local_num_chunks_after.unwrap_or(0),
        }
    }

    pub(crate) fn lsh_chunks(&self) -> ChunkSettings {
        ChunkSettings {
            chunk_length: self.lsh_attn_chunk_length.unwrap_or(64),
            before: self.lsh_num_chunks_before.unwrap_or(1),
            after: self.lsh_num_chunks_after.unwrap_or(0),
        }
    }

    /// `num_buckets` read: `Ok(None)` for `null` (chosen on the fly), an error naming the value
    /// otherwise when it is neither a number nor a list of numbers.
    pub(crate) fn buckets(&self) -> Result<Option<NumBuckets>, RustBertError> {
        let bad = || {
            RustBertError::InvalidConfigurationError(format!(
                "Reformer: num_buckets = {}, expected an even number, a list of even numbers or null",
                self.num_buckets
            ))
        };
        let even = |value: &Value| match value.as_i64() {
            Some(n) if n > 0 && n % 2 == 0 => Ok(n),
            _ => Err(bad()),
        };
        match &self.num_buckets {
            Value::Null => Ok(None),
            Value::Array(items) if items.is_empty() => Err(bad()),
            Value::Array(items) if items.len() == 1 => {
                Ok(Some(NumBuckets::Single(even(&items[0])?)))
            }
            Value::Array(items) => Ok(Some(NumBuckets::Factors(
                items.iter().map(even).collect::<Result<_, _>>()?,
            ))),
            value => Ok(Some(NumBuckets::Single(even(value)?))),
        }
    }

    /// The least common multiple and the minimum of the chunk lengths of the attention types
    /// in use: inputs longer than the minimum are padded to a multiple of the former.
    pub(crate) fn chunk_lengths(&self) -> (i64, i64) {
        let local = self.local_chunks().chunk_length;
        let lsh = self.lsh_chunks().chunk_length;
        let has = |kind| self.attn_layers.contains(&kind);
        match (has(AttentionType::local), has(AttentionType::lsh)) {
            (true, true) => (lcm(local, lsh), local.min(lsh)),
            (false, true) => (lsh, lsh),
            _ => (local, local),
        }
    }

    /// The longest input the model takes: `max_position_embeddings`, and with axial positions
    /// the product of the axial shape.
    pub(crate) fn max_positions(&self) -> i64 {
        let axial: i64 = if self.axial_pos_embds {
            self.axial_pos_shape.iter().product()
        } else {
            i64::MAX
        };
        self.max_position_embeddings.min(axial)
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

fn lcm(a: i64, b: i64) -> i64 {
    if a == 0 || b == 0 {
        0
    } else {
        (a / gcd(a, b) * b).abs()
    }
}

impl Config for ReformerConfig {
    fn initializer_std(&self) -> f64 {
        self.initializer_range.unwrap_or(0.02)
    }

    /// Loads a configuration; without `num_hidden_layers`, it is the number of `attn_layers`
    /// (HF derives it so and may not write it).
    fn try_from_file<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        let mut config: ReformerConfig = read_config_file(path.as_ref())?;
        if config.num_hidden_layers == 0 {
            config.num_hidden_layers = config.attn_layers.len() as i64;
        }
        validated(config, path.as_ref())
    }

    fn validate(&self) -> Result<(), RustBertError> {
        let local = self.local_chunks();
        let lsh = self.lsh_chunks();
        let axial_ok = !self.axial_pos_embds
            || (self.axial_pos_shape.len() == 2
                && self.axial_pos_embds_dim.len() == 2
                && self.axial_pos_shape.iter().all(|&d| d > 0)
                && self.axial_pos_embds_dim.iter().all(|&d| d > 0)
                && self.axial_pos_embds_dim.iter().sum::<i64>() == self.hidden_size);
        let buckets = self.buckets().err().map(|e| e.to_string());
        ConfigChecks::new("Reformer")
            .positive("vocab_size", self.vocab_size)
            .positive("hidden_size", self.hidden_size)
            .positive("num_attention_heads", self.num_attention_heads)
            .positive("attention_head_size", self.attention_head_size)
            .positive("feed_forward_size", self.feed_forward_size)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .positive("num_hashes", self.num_hashes)
            .positive("local_attn_chunk_length", local.chunk_length)
            .positive("lsh_attn_chunk_length", lsh.chunk_length)
            .non_negative("local_num_chunks_before", local.before)
            .non_negative("local_num_chunks_after", local.after)
            .non_negative("lsh_num_chunks_before", lsh.before)
            .non_negative("lsh_num_chunks_after", lsh.after)
            .non_negative("chunk_size_lm_head", self.chunk_size_lm_head)
            .non_negative(
                "chunk_size_feed_forward",
                self.chunk_size_feed_forward.unwrap_or(0),
            )
            .require(!self.attn_layers.is_empty(), || {
                "attn_layers is empty; name at least one of \"local\", \"lsh\"".to_string()
            })
            .require(
                self.num_hidden_layers == self.attn_layers.len() as i64,
                || {
                    format!(
                        "num_hidden_layers = {} but attn_layers names {} layers",
                        self.num_hidden_layers,
                        self.attn_layers.len()
                    )
                },
            )
            .require(axial_ok, || {
                format!(
                    "axial_pos_shape = {:?} and axial_pos_embds_dim = {:?}: expected two positive \
                     factors each, the widths summing to hidden_size = {}",
                    self.axial_pos_shape, self.axial_pos_embds_dim, self.hidden_size
                )
            })
            .require(buckets.is_none(), || buckets.clone().unwrap_or_default())
            .finite("layer_norm_eps", self.layer_norm_eps())
            .probability("hidden_dropout_prob", self.hidden_dropout_prob)
            .finish()
    }
}
