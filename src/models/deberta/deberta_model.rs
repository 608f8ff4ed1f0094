use crate::bert::{
    BertQuestionAnsweringOutput, BertSequenceClassificationOutput, BertTokenClassificationOutput,
};
use crate::common::activations::Activation;
use crate::common::layers::embeddings::batch_and_length;
use crate::common::layers::{linear, run_layer_stack, ChoiceInputs, Dropout};
use crate::common::twin::infallible_new;
use crate::deberta::attention::{
    relative_distances, DebertaAttentionMask, DebertaDisentangledSelfAttention, DebertaLayer,
    LayerSizes, RelativePositions,
};
use crate::deberta::embeddings::DebertaEmbeddings;
use crate::{Config, RustBertError};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::str::FromStr;
use tch::nn::{self, Module, ModuleT};
use tch::Tensor;

/// Pretrained DeBERTa weights on the hub, as `(cache subdirectory, URL)`.
pub struct DebertaModelResources;
/// Pretrained DeBERTa configurations on the hub, as `(cache subdirectory, URL)`.
pub struct DebertaConfigResources;
/// Pretrained DeBERTa vocabularies (`vocab.json`) on the hub, as `(cache subdirectory, URL)`.
pub struct DebertaVocabResources;
/// Pretrained DeBERTa BPE merges (`merges.txt`) on the hub, as `(cache subdirectory, URL)`.
pub struct DebertaMergesResources;

macro_rules! deberta_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// microsoft/deberta-base (He et al., MIT license).
            pub const DEBERTA_BASE: (&'static str, &'static str) = (
                concat!("deberta-base/", $suffix),
                concat!(
                    "https://huggingface.co/microsoft/deberta-base/resolve/main/",
                    $file
                ),
            );
            /// microsoft/deberta-base-mnli: deberta-base fine-tuned on MNLI (entailment,
            /// neutral, contradiction), for zero-shot classification.
            pub const DEBERTA_BASE_MNLI: (&'static str, &'static str) = (
                concat!("deberta-base-mnli/", $suffix),
                concat!(
                    "https://huggingface.co/microsoft/deberta-base-mnli/resolve/main/",
                    $file
                ),
            );
        }
    };
}
deberta_resources!(DebertaModelResources, "rust_model.ot", "model");
deberta_resources!(DebertaConfigResources, "config.json", "config");
deberta_resources!(DebertaVocabResources, "vocab.json", "vocab");
deberta_resources!(DebertaMergesResources, "merges.txt", "merges");

/// A kind of relative-position score of the disentangled attention.
#[allow(non_camel_case_types)]
#[derive(Clone, Debug, Serialize, Deserialize, Copy, PartialEq, Eq)]
pub enum PositionAttentionType {
    /// Position to content: relative-position queries against content keys.
    p2c,
    /// Content to position: content queries against relative-position keys.
    c2p,
    /// Position to position: listed by some checkpoints; only counts in v1's score scale.
    p2p,
}

impl FromStr for PositionAttentionType {
    type Err = RustBertError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "p2c" => Ok(Self::p2c),
            "c2p" => Ok(Self::c2p),
            "p2p" => Ok(Self::p2p),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "position attention type `{other}` is not one of `p2c`, `c2p`, `p2p`"
            ))),
        }
    }
}

/// The relative-position scores a model adds (`pos_att_type`: `"c2p|p2c"` or `["c2p", "p2c"]`
/// in config.json).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PositionAttentionTypes {
    types: Vec<PositionAttentionType>,
}

impl FromStr for PositionAttentionTypes {
    type Err = RustBertError;

    /// Parses HF's legacy `|`-separated form (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let types = s
            .to_lowercase()
            .split('|')
            .filter(|t| !t.trim().is_empty())
            .map(PositionAttentionType::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { types })
    }
}

impl PositionAttentionTypes {
    /// Whether `attention_type` is listed.
    pub fn has_type(&self, attention_type: PositionAttentionType) -> bool {
        self.types.contains(&attention_type)
    }

    /// Number of listed types (v1 scales its scores by `sqrt(head_dim * (1 + len))`).
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether no type is listed.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

/// `pos_att_type` as written in config.json: a `|`-separated string or a list of strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    fn joined(self) -> String {
        match self {
            Self::One(s) => s,
            Self::Many(list) => list.join("|"),
        }
    }
}

impl<'de> Deserialize<'de> for PositionAttentionTypes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        StringOrList::deserialize(d)?
            .joined()
            .parse()
            .map_err(D::Error::custom)
    }
}

impl Serialize for PositionAttentionTypes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.types.serialize(s)
    }
}

// HF 5.24 `DebertaConfig` defaults (deberta-base sizes), for keys a config.json may omit.
pub(crate) fn default_act() -> Activation {
    Activation::gelu
}
pub(crate) fn default_dropout() -> f64 {
    0.1
}
pub(crate) fn default_initializer_range() -> f64 {
    0.02
}
pub(crate) fn default_positions() -> i64 {
    512
}
fn default_hidden_size() -> i64 {
    768
}
fn default_intermediate_size() -> i64 {
    3072
}
fn default_heads() -> i64 {
    12
}
fn default_layers() -> i64 {
    12
}
fn default_vocab() -> i64 {
    50265
}

/// DeBERTa (v1) configuration; deserializes an HF `config.json` (keys HF may omit take the
/// defaults of HF's `DebertaConfig`). rust-bert 0.23's fields, plus `legacy`,
/// `tie_word_embeddings` and `cls_dropout`, which HF reads.
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct DebertaConfig {
    /// Activation of the feed-forward blocks and of the masked-LM transform.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Dropout on hidden states (and on the relative embeddings).
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Hidden size.
    #[serde(default = "default_hidden_size")]
    pub hidden_size: i64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f64,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_intermediate_size")]
    pub intermediate_size: i64,
    /// Number of learned absolute positions.
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads")]
    pub num_attention_heads: i64,
    /// Number of layers.
    #[serde(default = "default_layers")]
    pub num_hidden_layers: i64,
    /// Number of token types (0: no token-type embeddings, HF's default).
    #[serde(default)]
    pub type_vocab_size: i64,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Whether absolute position embeddings are added to the input (HF default true).
    #[serde(default)]
    pub position_biased_input: Option<bool>,
    /// Relative-position scores (`c2p`, `p2c`, `p2p`).
    #[serde(default)]
    pub pos_att_type: Option<PositionAttentionTypes>,
    /// Dropout before the pooler's projection (HF default 0).
    #[serde(default)]
    pub pooler_dropout: Option<f64>,
    /// Activation of the pooler (HF default gelu).
    #[serde(default)]
    pub pooler_hidden_act: Option<Activation>,
    /// Width of the pooler (HF: `hidden_size`; another value cannot feed the classifier).
    #[serde(default)]
    pub pooler_hidden_size: Option<i64>,
    /// LayerNorm epsilon (HF default 1e-7).
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Padding token id.
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Whether the disentangled relative-position attention is used (HF default false).
    #[serde(default)]
    pub relative_attention: Option<bool>,
    /// Relative distances beyond this are clamped; below 1, `max_position_embeddings`.
    #[serde(default)]
    pub max_relative_positions: Option<i64>,
    /// Width of the word embeddings when narrower than `hidden_size` (projected by
    /// `embed_proj`).
    #[serde(default)]
    pub embedding_size: Option<i64>,
    /// Talking-heads attention (v1 only): scores and probabilities mixed across heads.
    #[serde(default)]
    pub talking_head: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Dropout before classification heads (rust-bert's name; HF reads `cls_dropout`).
    #[serde(default)]
    pub classifier_dropout: Option<f64>,
    /// Unused (an encoder); kept for rust-bert compatibility.
    #[serde(default)]
    pub is_decoder: Option<bool>,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Unused by v1 (a v2 field rust-bert 0.23 keeps here too).
    #[serde(default)]
    pub share_att_key: Option<bool>,
    /// Unused by v1 (a v2 field rust-bert 0.23 keeps here too).
    #[serde(default)]
    pub position_buckets: Option<i64>,
    /// Which masked-LM head the checkpoint has: HF's legacy `cls.predictions` (default true) or
    /// `lm_predictions.lm_head`.
    #[serde(default)]
    pub legacy: Option<bool>,
    /// Whether the legacy LM head's decoder is the word embedding matrix (HF default true).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
    /// HF's dropout before the sequence classifier (defaults to `classifier_dropout`, then
    /// `hidden_dropout_prob`).
    #[serde(default)]
    pub cls_dropout: Option<f64>,
}

impl Config for DebertaConfig {
    fn initializer_std(&self) -> f64 {
        self.initializer_range
    }

    fn validate(&self) -> Result<(), RustBertError> {
        self.check()
    }
}

impl Default for DebertaConfig {
    fn default() -> Self {
        Self {
            hidden_act: default_act(),
            attention_probs_dropout_prob: default_dropout(),
            hidden_dropout_prob: default_dropout(),
            hidden_size: default_hidden_size(),
            initializer_range: default_initializer_range(),
            intermediate_size: default_intermediate_size(),
            max_position_embeddings: default_positions(),
            num_attention_heads: default_heads(),
            num_hidden_layers: default_layers(),
            type_vocab_size: 0,
            vocab_size: default_vocab(),
            position_biased_input: Some(true),
            pos_att_type: None,
            pooler_dropout: Some(0.0),
            pooler_hidden_act: Some(Activation::gelu),
            pooler_hidden_size: Some(default_hidden_size()),
            layer_norm_eps: Some(1e-7),
            pad_token_id: Some(0),
            relative_attention: Some(false),
            max_relative_positions: Some(-1),
            embedding_size: None,
            talking_head: None,
            output_hidden_states: None,
            output_attentions: None,
            classifier_dropout: None,
            is_decoder: None,
            id2label: None,
            label2id: None,
            share_att_key: None,
            position_buckets: None,
            legacy: None,
            tie_word_embeddings: None,
            cls_dropout: None,
        }
    }
}

impl DebertaConfig {
    /// The LayerNorm epsilon of the config, or HF's default (1e-7).
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-7)
    }

    /// The width of the word embeddings (`embedding_size`, else `hidden_size`).
    pub fn embedding_size(&self) -> i64 {
        self.embedding_size.unwrap_or(self.hidden_size)
    }

    /// The relative-position score types (none when absent).
    pub fn attention_types(&self) -> PositionAttentionTypes {
        self.pos_att_type.clone().unwrap_or_default()
    }

    /// The clamp of relative distances: `max_relative_positions`, or `max_position_embeddings`
    /// when below 1 (HF's rule).
    pub fn relative_positions(&self) -> i64 {
        match self.max_relative_positions {
            Some(n) if n >= 1 => n,
            _ => self.max_position_embeddings,
        }
    }

    /// Why no model can be built from this configuration, if none can (checked by every
    /// constructor, so a bad config.json is an error naming the field, not a LibTorch panic).
    pub fn check(&self) -> Result<(), RustBertError> {
        check_sizes("DeBERTa", self)
    }

    pub(crate) fn layer_sizes(&self) -> LayerSizes {
        LayerSizes {
            hidden: self.hidden_size,
            intermediate: self.intermediate_size,
            activation: self.hidden_act,
            eps: self.layer_norm_eps(),
            dropout: self.hidden_dropout_prob,
        }
    }

    fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }

    fn classifier_dropout(&self) -> Dropout {
        Dropout::new(
            self.cls_dropout
                .or(self.classifier_dropout)
                .unwrap_or(self.hidden_dropout_prob),
        )
    }
}

/// The checks shared by v1 and v2 (on v2's [`DebertaConfig`] view); `family` names the model in
/// the errors.
pub(crate) fn check_sizes(
    family: &'static str,
    config: &DebertaConfig,
) -> Result<(), RustBertError> {
    crate::common::config::ConfigChecks::new(family)
        .positive("vocab_size", config.vocab_size)
        .positive("hidden_size", config.hidden_size)
        .positive("embedding_size", config.embedding_size())
        .positive("intermediate_size", config.intermediate_size)
        .positive("max_position_embeddings", config.max_position_embeddings)
        .positive("num_attention_heads", config.num_attention_heads)
        .non_negative("num_hidden_layers", config.num_hidden_layers)
        .non_negative("type_vocab_size", config.type_vocab_size)
        .divides(
            "num_attention_heads",
            config.num_attention_heads,
            "hidden_size",
            config.hidden_size,
        )
        .finite("layer_norm_eps", config.layer_norm_eps())
        .require(
            config
                .pooler_hidden_size
                .is_none_or(|size| size == config.hidden_size),
            || {
                format!(
                    "pooler_hidden_size = {:?} differs from hidden_size = {} (the pooler reads \
                     and the classifier takes hidden_size-wide vectors)",
                    config.pooler_hidden_size, config.hidden_size
                )
            },
        )
        .finish()
}

/// Output of [`DebertaModel`] and [`crate::deberta_v2::DebertaV2Model`].
#[derive(Debug)]
pub struct DebertaModelOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// The embedding output and the output of every layer (`layers + 1` tensors, HF's
    /// convention), when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities `[batch, heads, seq, seq]` of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// What the task heads need of a DeBERTa encoder, v1's or v2's: the heads are written once,
/// generic over it ([`DebertaForSequenceClassification`] is
/// `GenericDebertaForSequenceClassification<DebertaModel>`, v2's the same over
/// `DebertaV2Model`).
pub trait DebertaBackbone: Sized {
    /// The configuration the encoder is built from.
    type Config;

    /// Builds the encoder under `p` (`deberta` in HF checkpoints); an invalid configuration is
    /// an error.
    fn build(p: &nn::Path, config: &Self::Config) -> Result<Self, RustBertError>;

    /// The v1 view of the configuration the heads read (sizes, activations, dropouts, labels).
    fn head_config(config: &Self::Config) -> DebertaConfig;

    /// Runs the encoder (arguments as [`DebertaModel::forward_t`]).
    #[allow(clippy::too_many_arguments)]
    fn encode(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DebertaModelOutput, RustBertError>;

    /// The word embedding matrix (the masked-LM decoder).
    fn word_embeddings_weight(&self) -> &Tensor;
}

/// The shape `(batch, seq)` and device of `input_ids` `[batch, seq]` or `input_embeds`
/// `[batch, seq, width]` (exactly one).
pub(crate) fn input_shape(
    input_ids: Option<&Tensor>,
    input_embeds: Option<&Tensor>,
) -> Result<(i64, i64, tch::Device), RustBertError> {
    match (input_ids, input_embeds) {
        (Some(ids), None) => {
            let (batch, seq) = batch_and_length(ids, "input_ids")?;
            Ok((batch, seq, ids.device()))
        }
        (None, Some(embeds)) => match embeds.size().as_slice() {
            [batch, seq, _] if *seq > 0 => Ok((*batch, *seq, embeds.device())),
            size => Err(RustBertError::ValueError(format!(
                "input_embeds must be [batch, sequence, width] with sequence > 0, got {size:?}"
            ))),
        },
        (Some(_), Some(_)) => Err(RustBertError::ValueError(
            "only one of input_ids or input_embeds may be set".into(),
        )),
        (None, None) => Err(RustBertError::ValueError(
            "one of input_ids or input_embeds must be set".into(),
        )),
    }
}

/// The DeBERTa (v1) encoder: embeddings then layers of disentangled attention (variables
/// `embeddings`, `encoder.layer.<i>`, `encoder.rel_embeddings`).
#[derive(Debug)]
pub struct DebertaModel {
    embeddings: DebertaEmbeddings,
    layers: Vec<DebertaLayer>,
    rel_embeddings: Option<nn::Embedding>,
    max_relative_positions: i64,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl DebertaModel {
    infallible_new!(DebertaConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &DebertaConfig,
    ) -> Result<DebertaModel, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.check()?;
        let p = p.borrow();
        let encoder = p / "encoder";
        let layer = &encoder / "layer";
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let p = &layer / i;
                let attention =
                    DebertaDisentangledSelfAttention::new(&p / "attention" / "self", config);
                DebertaLayer::new(&p, attention, config.layer_sizes())
            })
            .collect();
        let max_relative_positions = config.relative_positions();
        let rel_embeddings = config.relative_attention.unwrap_or(false).then(|| {
            nn::embedding(
                &encoder / "rel_embeddings",
                2 * max_relative_positions,
                config.hidden_size,
                crate::common::layers::linear::embedding_config(),
            )
        });
        Ok(Self {
            embeddings: DebertaEmbeddings::new(p / "embeddings", config),
            layers,
            rel_embeddings,
            max_relative_positions,
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        })
    }

    /// Runs the model.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, embedding_size]` (exactly
    ///   one);
    /// * `attention_mask` `[batch, seq]` of 1 (token) / 0 (padding), or `[batch, seq, seq]`;
    ///   all ones when `None`;
    /// * `token_type_ids` default to zeros, `position_ids` to `0..seq` (read only with
    ///   `position_biased_input`).
    ///
    /// Bad inputs (shapes, ids out of range, an empty or too long sequence) are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DebertaModelOutput, RustBertError> {
        let (batch, seq, device) = input_shape(input_ids, input_embeds)?;
        let kind = self.embeddings.word_embeddings_weight().kind();
        let mask = DebertaAttentionMask::new(attention_mask, batch, seq, kind, device)?;
        let embedded = self.embeddings.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            &mask.tokens,
            train,
        )?;
        let relative = self.rel_embeddings.as_ref().map(|table| {
            // HF reads a window of 2 * span rows around the table's centre.
            let span = seq.min(self.max_relative_positions);
            let positions = RelativePositions::new(
                &relative_distances(seq),
                span,
                self.max_relative_positions - span,
                device,
            );
            (positions.rows_of(&table.ws), positions)
        });
        let relative = relative
            .as_ref()
            .map(|(table, positions)| (table, positions));
        let stack = run_layer_stack(
            &embedded,
            &self.layers,
            self.output_hidden_states,
            self.output_attentions,
            |layer, hidden| layer.forward_t(hidden, &mask, relative, train, self.output_attentions),
        );
        Ok(DebertaModelOutput {
            hidden_state: stack.hidden_state,
            all_hidden_states: stack.all_hidden_states,
            all_attentions: stack.all_attentions,
        })
    }
}

impl DebertaBackbone for DebertaModel {
    type Config = DebertaConfig;

    fn build(p: &nn::Path, config: &DebertaConfig) -> Result<Self, RustBertError> {
        Self::try_new(p, config)
    }

    fn head_config(config: &DebertaConfig) -> DebertaConfig {
        config.clone()
    }

    fn encode(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DebertaModelOutput, RustBertError> {
        self.forward_t(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )
    }

    fn word_embeddings_weight(&self) -> &Tensor {
        self.embeddings.word_embeddings_weight()
    }
}

/// The masked-LM heads of DeBERTa checkpoints: HF's legacy `cls.predictions` (dense to
/// `embedding_size`, `hidden_act`, LayerNorm, decoder tied to the word embeddings, `bias`) or
/// the newer `lm_predictions.lm_head` (dense, `hidden_act`, LayerNorm, word embeddings, `bias`).
#[derive(Debug)]
pub struct DebertaLMPredictionHead {
    dense: nn::Linear,
    activation: Activation,
    layer_norm: nn::LayerNorm,
    decoder: Option<Tensor>,
    bias: Tensor,
}

impl DebertaLMPredictionHead {
    /// Builds the head under `p` (the model's root): `cls/predictions` when `config.legacy`
    /// (HF's default), `lm_predictions/lm_head` otherwise. An untied legacy decoder reads
    /// `cls.predictions.decoder.weight`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &DebertaConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let legacy = config.legacy.unwrap_or(true);
        let (root, transform, width) = if legacy {
            let root = p / "cls" / "predictions";
            let transform = &root / "transform";
            (root, transform, config.embedding_size())
        } else {
            if config.embedding_size() != config.hidden_size {
                return Err(RustBertError::InvalidConfigurationError(format!(
                    "DeBERTa configuration: the masked-LM head of legacy = false multiplies \
                     hidden states by the word embeddings, so embedding_size = {} must equal \
                     hidden_size = {}",
                    config.embedding_size(),
                    config.hidden_size
                )));
            }
            let root = p / "lm_predictions" / "lm_head";
            (root.clone(), root, config.hidden_size)
        };
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        let decoder = (legacy && !config.tie_word_embeddings.unwrap_or(true)).then(|| {
            crate::common::layers::linear::uninitialized(
                &(&root / "decoder"),
                "weight",
                &[config.vocab_size, width],
            )
        });
        Ok(Self {
            dense: linear(&transform / "dense", config.hidden_size, width),
            activation: config.hidden_act,
            layer_norm: nn::layer_norm(&transform / "LayerNorm", vec![width], layer_norm_config),
            decoder,
            bias: root.zeros("bias", &[config.vocab_size]),
        })
    }

    /// Vocabulary logits `[..., vocab]` of hidden states `[..., hidden]`; `word_embeddings` is
    /// the tied decoder.
    pub fn forward(&self, hidden: &Tensor, word_embeddings: &Tensor) -> Tensor {
        let transformed = self
            .activation
            .apply(&self.dense.forward(hidden))
            .apply(&self.layer_norm);
        let decoder = self.decoder.as_ref().unwrap_or(word_embeddings);
        transformed.linear(decoder, Some(&self.bias))
    }
}

/// Output of the masked-LM models.
#[derive(Debug)]
pub struct DebertaMaskedLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// DeBERTa with its masked-LM head (variables `deberta`, then `cls.predictions` or
/// `lm_predictions.lm_head`); see [`DebertaForMaskedLM`].
#[derive(Debug)]
pub struct GenericDebertaForMaskedLM<M> {
    deberta: M,
    head: DebertaLMPredictionHead,
}

impl<M: DebertaBackbone> GenericDebertaForMaskedLM<M> {
    infallible_new!(M::Config);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &M::Config,
    ) -> Result<Self, RustBertError> {
        let p = p.borrow();
        Ok(Self {
            deberta: M::build(&(p / "deberta"), config)?,
            head: DebertaLMPredictionHead::new(p, &M::head_config(config))?,
        })
    }

    /// Vocabulary logits for every position (arguments as [`DebertaModel::forward_t`]); bad
    /// inputs are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DebertaMaskedLMOutput, RustBertError> {
        let output = self.deberta.encode(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(DebertaMaskedLMOutput {
            logits: self
                .head
                .forward(&output.hidden_state, self.deberta.word_embeddings_weight()),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// HF's `ContextPooler`: the first token, dropout, `dense`, `pooler_hidden_act`.
#[derive(Debug)]
pub struct ContextPooler {
    dense: nn::Linear,
    dropout: Dropout,
    activation: Activation,
    /// Width of the pooled vector.
    pub output_dim: i64,
}

impl ContextPooler {
    /// Builds the pooler under `p` (`pooler` in HF checkpoints).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DebertaConfig) -> ContextPooler {
        let _init = crate::common::config::building_or_panic(config);
        let size = config.pooler_hidden_size.unwrap_or(config.hidden_size);
        ContextPooler {
            dense: linear(p.borrow() / "dense", size, size),
            dropout: Dropout::new(config.pooler_dropout.unwrap_or(0.0)),
            activation: config.pooler_hidden_act.unwrap_or(Activation::gelu),
            output_dim: size,
        }
    }
}

impl ModuleT for ContextPooler {
    fn forward_t(&self, hidden_states: &Tensor, train: bool) -> Tensor {
        let first = self.dropout.forward_t(&hidden_states.select(1, 0), train);
        self.activation.apply(&self.dense.forward(&first))
    }
}

/// Output of the sequence classifiers (BERT's output type, as in rust-bert).
pub type DebertaSequenceClassificationOutput = BertSequenceClassificationOutput;
/// Output of the token classifiers (BERT's output type, as in rust-bert).
pub type DebertaTokenClassificationOutput = BertTokenClassificationOutput;
/// Output of the question-answering models (BERT's output type, as in rust-bert).
pub type DebertaQuestionAnsweringOutput = BertQuestionAnsweringOutput;

/// DeBERTa classifying whole sequences: [`ContextPooler`], dropout, `classifier` (variables
/// `deberta`, `pooler`, `classifier`); see [`DebertaForSequenceClassification`].
#[derive(Debug)]
pub struct GenericDebertaForSequenceClassification<M> {
    deberta: M,
    pooler: ContextPooler,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl<M: DebertaBackbone> GenericDebertaForSequenceClassification<M> {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &M::Config,
    ) -> Result<Self, RustBertError> {
        let p = p.borrow();
        let heads = M::head_config(config);
        let num_labels = heads.num_labels()?;
        let pooler = ContextPooler::new(p / "pooler", &heads);
        Ok(Self {
            deberta: M::build(&(p / "deberta"), config)?,
            classifier: linear(p / "classifier", pooler.output_dim, num_labels),
            pooler,
            dropout: heads.classifier_dropout(),
        })
    }

    /// Class logits `[batch, num_labels]` (arguments as [`DebertaModel::forward_t`]); bad
    /// inputs are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DebertaSequenceClassificationOutput, RustBertError> {
        let output = self.deberta.encode(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let pooled = self.pooler.forward_t(&output.hidden_state, train);
        Ok(DebertaSequenceClassificationOutput {
            logits: self
                .dropout
                .forward_t(&pooled, train)
                .apply(&self.classifier),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// DeBERTa labelling each token (variables `deberta`, `classifier`); see
/// [`DebertaForTokenClassification`].
#[derive(Debug)]
pub struct GenericDebertaForTokenClassification<M> {
    deberta: M,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl<M: DebertaBackbone> GenericDebertaForTokenClassification<M> {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &M::Config,
    ) -> Result<Self, RustBertError> {
        let p = p.borrow();
        let heads = M::head_config(config);
        Ok(Self {
            deberta: M::build(&(p / "deberta"), config)?,
            dropout: Dropout::new(heads.hidden_dropout_prob),
            classifier: linear(p / "classifier", heads.hidden_size, heads.num_labels()?),
        })
    }

    /// Label logits `[batch, seq, num_labels]` (arguments as [`DebertaModel::forward_t`]); bad
    /// inputs are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DebertaTokenClassificationOutput, RustBertError> {
        let output = self.deberta.encode(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(DebertaTokenClassificationOutput {
            logits: self
                .dropout
                .forward_t(&output.hidden_state, train)
                .apply(&self.classifier),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// DeBERTa predicting answer spans (variables `deberta`, `qa_outputs`); see
/// [`DebertaForQuestionAnswering`].
#[derive(Debug)]
pub struct GenericDebertaForQuestionAnswering<M> {
    deberta: M,
    qa_outputs: nn::Linear,
}

impl<M: DebertaBackbone> GenericDebertaForQuestionAnswering<M> {
    infallible_new!(M::Config);

    /// Builds the model; errors when the configuration is invalid.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &M::Config,
    ) -> Result<Self, RustBertError> {
        let p = p.borrow();
        let heads = M::head_config(config);
        Ok(Self {
            deberta: M::build(&(p / "deberta"), config)?,
            // Start and end logits (HF's num_labels, 2 for every QA checkpoint).
            qa_outputs: linear(p / "qa_outputs", heads.hidden_size, 2),
        })
    }

    /// Start and end logits `[batch, seq]` (arguments as [`DebertaModel::forward_t`]); bad
    /// inputs are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DebertaQuestionAnsweringOutput, RustBertError> {
        let output = self.deberta.encode(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let logits = self.qa_outputs.forward(&output.hidden_state);
        Ok(DebertaQuestionAnsweringOutput {
            start_logits: logits.select(-1, 0),
            end_logits: logits.select(-1, 1),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// DeBERTa scoring each choice of a multiple-choice question: [`ContextPooler`], dropout,
/// `classifier` to one score (variables `deberta`, `pooler`, `classifier`; HF has it for v2).
#[derive(Debug)]
pub struct GenericDebertaForMultipleChoice<M> {
    deberta: M,
    pooler: ContextPooler,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl<M: DebertaBackbone> GenericDebertaForMultipleChoice<M> {
    /// Builds the model; errors when the configuration is invalid.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &M::Config,
    ) -> Result<Self, RustBertError> {
        let p = p.borrow();
        let heads = M::head_config(config);
        let pooler = ContextPooler::new(p / "pooler", &heads);
        Ok(Self {
            deberta: M::build(&(p / "deberta"), config)?,
            classifier: linear(p / "classifier", pooler.output_dim, 1),
            pooler,
            dropout: heads.classifier_dropout(),
        })
    }

    /// Scores choices: `input_ids` `[batch, num_choices, seq]` (or `input_embeds`
    /// `[batch, num_choices, seq, width]`), the other inputs `[batch, num_choices, seq]`;
    /// logits `[batch, num_choices]`. Bad inputs are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DebertaSequenceClassificationOutput, RustBertError> {
        let choices = ChoiceInputs::flatten(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
        )?;
        let output = self.deberta.encode(
            choices.input_ids.as_ref(),
            choices.mask.as_ref(),
            choices.token_type_ids.as_ref(),
            choices.position_ids.as_ref(),
            choices.input_embeds.as_ref(),
            train,
        )?;
        let pooled = self.pooler.forward_t(&output.hidden_state, train);
        let scores = self
            .dropout
            .forward_t(&pooled, train)
            .apply(&self.classifier);
        Ok(DebertaSequenceClassificationOutput {
            logits: choices.logits(&scores)?,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// DeBERTa (v1) with its masked-LM head.
pub type DebertaForMaskedLM = GenericDebertaForMaskedLM<DebertaModel>;
/// DeBERTa (v1) classifying whole sequences (NLI with `microsoft/deberta-base-mnli`).
pub type DebertaForSequenceClassification = GenericDebertaForSequenceClassification<DebertaModel>;
/// DeBERTa (v1) labelling each token.
pub type DebertaForTokenClassification = GenericDebertaForTokenClassification<DebertaModel>;
/// DeBERTa (v1) predicting answer spans.
pub type DebertaForQuestionAnswering = GenericDebertaForQuestionAnswering<DebertaModel>;
