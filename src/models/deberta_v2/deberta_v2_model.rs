use crate::common::activations::Activation;
use crate::common::layers::linear::embedding_config;
use crate::common::layers::run_layer_stack;
use crate::common::twin::infallible_new;
use crate::deberta::{
    check_sizes, input_shape, DebertaAttentionMask, DebertaBackbone, DebertaConfig,
    DebertaEmbeddings, DebertaLayerBase, DebertaMaskedLMOutput, DebertaModelOutput,
    DebertaQuestionAnsweringOutput, DebertaSequenceClassificationOutput,
    DebertaTokenClassificationOutput, GenericDebertaForMaskedLM, GenericDebertaForMultipleChoice,
    GenericDebertaForQuestionAnswering, GenericDebertaForSequenceClassification,
    GenericDebertaForTokenClassification, PositionAttentionTypes,
};
use crate::deberta_v2::attention::{v2_positions, ConvLayer, DebertaV2DisentangledSelfAttention};
use crate::{Config, RustBertError};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::str::FromStr;
use tch::nn::{self, Module};
use tch::Tensor;

/// Pretrained DeBERTa-v2/v3 weights on the hub, as `(cache subdirectory, URL)`.
pub struct DebertaV2ModelResources;
/// Pretrained DeBERTa-v2/v3 configurations on the hub, as `(cache subdirectory, URL)`.
pub struct DebertaV2ConfigResources;
/// Pretrained DeBERTa-v2/v3 SentencePiece models (`spm.model`) on the hub, as
/// `(cache subdirectory, URL)`.
pub struct DebertaV2VocabResources;

macro_rules! deberta_v2_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// microsoft/deberta-v3-base (He et al., MIT license).
            pub const DEBERTA_V3_BASE: (&'static str, &'static str) = (
                concat!("deberta-v3-base/", $suffix),
                concat!(
                    "https://huggingface.co/microsoft/deberta-v3-base/resolve/main/",
                    $file
                ),
            );
        }
    };
}
deberta_v2_resources!(DebertaV2ModelResources, "rust_model.ot", "model");
deberta_v2_resources!(DebertaV2ConfigResources, "config.json", "config");
deberta_v2_resources!(DebertaV2VocabResources, "spm.model", "vocab");

/// A normalisation of the relative-position table (`norm_rel_ebd`).
#[allow(non_camel_case_types)]
#[derive(Clone, Debug, Serialize, Deserialize, Copy, PartialEq, Eq)]
pub enum NormRelEmbedType {
    /// LayerNorm over each row (variables `encoder.LayerNorm`).
    layer_norm,
}

impl FromStr for NormRelEmbedType {
    type Err = RustBertError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "layer_norm" => Ok(Self::layer_norm),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "norm_rel_ebd `{other}` is not `layer_norm` or `none`"
            ))),
        }
    }
}

/// The normalisations of the relative-position table (`norm_rel_ebd`: `"layer_norm"`, or
/// `"none"` for none, `|`-separated).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NormRelEmbedTypes {
    types: Vec<NormRelEmbedType>,
}

impl FromStr for NormRelEmbedTypes {
    type Err = RustBertError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let types = s
            .to_lowercase()
            .split('|')
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != "none")
            .map(NormRelEmbedType::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { types })
    }
}

impl NormRelEmbedTypes {
    /// Whether `norm_type` is listed.
    pub fn has_type(&self, norm_type: NormRelEmbedType) -> bool {
        self.types.contains(&norm_type)
    }

    /// Number of listed normalisations.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether none is listed.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

impl<'de> Deserialize<'de> for NormRelEmbedTypes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}

impl Serialize for NormRelEmbedTypes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<&str> = self.types.iter().map(|_| "layer_norm").collect();
        if names.is_empty() {
            s.serialize_str("none")
        } else {
            s.serialize_str(&names.join("|"))
        }
    }
}

fn default_act() -> Activation {
    Activation::gelu
}
fn default_dropout() -> f64 {
    0.1
}
fn default_initializer_range() -> f64 {
    0.02
}
fn default_positions() -> i64 {
    512
}
fn default_hidden_size() -> i64 {
    1536
}
fn default_intermediate_size() -> i64 {
    6144
}
fn default_heads() -> i64 {
    24
}
fn default_layers() -> i64 {
    24
}
fn default_vocab() -> i64 {
    128100
}

/// DeBERTa-v2/v3 configuration; deserializes an HF `config.json` (keys HF may omit take the
/// defaults of HF's `DebertaV2Config`). rust-bert 0.23's fields, plus `legacy`,
/// `tie_word_embeddings` and `cls_dropout`, which HF reads.
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct DebertaV2Config {
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Hidden size.
    #[serde(default = "default_hidden_size")]
    pub hidden_size: i64,
    /// Number of layers.
    #[serde(default = "default_layers")]
    pub num_hidden_layers: i64,
    /// Activation of the feed-forward blocks and of the masked-LM transform.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Dropout on hidden states.
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f64,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_intermediate_size")]
    pub intermediate_size: i64,
    /// Number of learned absolute positions.
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Log-bucketed relative positions (`2 * position_buckets` table rows) when > 0.
    #[serde(default)]
    pub position_buckets: Option<i64>,
    /// Attention heads per layer.
    #[serde(default = "default_heads")]
    pub num_attention_heads: i64,
    /// Number of token types (0: none, HF's default).
    #[serde(default)]
    pub type_vocab_size: i64,
    /// Whether absolute position embeddings are added to the input (HF default true; false in
    /// DeBERTa-v3).
    #[serde(default)]
    pub position_biased_input: Option<bool>,
    /// Relative-position scores (`c2p`, `p2c`).
    #[serde(default)]
    pub pos_att_type: Option<PositionAttentionTypes>,
    /// Normalisation of the relative-position table (`layer_norm` in DeBERTa-v3).
    #[serde(default)]
    pub norm_rel_ebd: Option<NormRelEmbedTypes>,
    /// Whether relative embeddings are projected by the content `query_proj` / `key_proj`.
    #[serde(default)]
    pub share_att_key: Option<bool>,
    /// Kernel of the convolution beside the first layer (none when absent or 0).
    #[serde(default)]
    pub conv_kernel_size: Option<i64>,
    /// Groups of that convolution (HF default 1).
    #[serde(default)]
    pub conv_groups: Option<i64>,
    /// Activation of that convolution (HF default tanh).
    #[serde(default)]
    pub conv_act: Option<Activation>,
    /// Dropout before the pooler's projection (HF default 0).
    #[serde(default)]
    pub pooler_dropout: Option<f64>,
    /// Activation of the pooler (HF default gelu).
    #[serde(default)]
    pub pooler_hidden_act: Option<Activation>,
    /// Width of the pooler (must be `hidden_size`).
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
    /// Relative distances beyond this are clamped (or bucketed); below 1,
    /// `max_position_embeddings`.
    #[serde(default)]
    pub max_relative_positions: Option<i64>,
    /// Width of the word embeddings when narrower than `hidden_size`.
    #[serde(default)]
    pub embedding_size: Option<i64>,
    /// Unused by v2 (HF's v2 has no talking heads); kept for rust-bert compatibility.
    #[serde(default)]
    pub talking_head: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Unused; kept for rust-bert compatibility.
    #[serde(default)]
    pub classifier_activation: Option<bool>,
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
    /// Which masked-LM head the checkpoint has (HF default true: `cls.predictions`).
    #[serde(default)]
    pub legacy: Option<bool>,
    /// Whether the legacy LM head's decoder is the word embedding matrix (HF default true).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
    /// HF's dropout before the sequence classifier.
    #[serde(default)]
    pub cls_dropout: Option<f64>,
}

impl Config for DebertaV2Config {
    fn initializer_std(&self) -> f64 {
        self.initializer_range
    }

    fn validate(&self) -> Result<(), RustBertError> {
        self.check()
    }
}

impl Default for DebertaV2Config {
    fn default() -> Self {
        Self {
            vocab_size: default_vocab(),
            hidden_size: default_hidden_size(),
            num_hidden_layers: default_layers(),
            hidden_act: default_act(),
            attention_probs_dropout_prob: default_dropout(),
            hidden_dropout_prob: default_dropout(),
            initializer_range: default_initializer_range(),
            intermediate_size: default_intermediate_size(),
            max_position_embeddings: default_positions(),
            position_buckets: None,
            num_attention_heads: default_heads(),
            type_vocab_size: 0,
            position_biased_input: Some(true),
            pos_att_type: None,
            norm_rel_ebd: None,
            share_att_key: None,
            conv_kernel_size: None,
            conv_groups: None,
            conv_act: None,
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
            classifier_activation: None,
            classifier_dropout: None,
            is_decoder: None,
            id2label: None,
            label2id: None,
            legacy: None,
            tie_word_embeddings: None,
            cls_dropout: None,
        }
    }
}

impl DebertaV2Config {
    /// The LayerNorm epsilon of the config, or HF's default (1e-7).
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-7)
    }

    /// The clamp of relative distances: `max_relative_positions`, or `max_position_embeddings`
    /// when below 1 (HF's rule).
    pub fn relative_positions(&self) -> i64 {
        match self.max_relative_positions {
            Some(n) if n >= 1 => n,
            _ => self.max_position_embeddings,
        }
    }

    /// Half the rows of the relative-position table: `position_buckets` when > 0, else
    /// [`Self::relative_positions`].
    pub fn position_span(&self) -> i64 {
        match self.position_buckets {
            Some(n) if n > 0 => n,
            _ => self.relative_positions(),
        }
    }

    /// Why no model can be built from this configuration, if none can.
    pub fn check(&self) -> Result<(), RustBertError> {
        check_sizes("DeBERTa-v2", &self.base_config())?;
        let invalid = |message: String| {
            Err(RustBertError::InvalidConfigurationError(format!(
                "DeBERTa-v2 configuration: {message}"
            )))
        };
        if let Some(buckets) = self.position_buckets {
            if buckets > 0 && buckets < 4 {
                return invalid(format!(
                    "position_buckets = {buckets}; expected at least 4 (or <= 0 for none)"
                ));
            }
            if buckets > 0 && self.relative_positions() <= buckets / 2 + 1 {
                return invalid(format!(
                    "max_relative_positions = {} must exceed position_buckets / 2 + 1 = {}",
                    self.relative_positions(),
                    buckets / 2 + 1
                ));
            }
        }
        let kernel = self.conv_kernel_size.unwrap_or(0);
        if kernel > 0 {
            let groups = self.conv_groups.unwrap_or(1);
            if kernel % 2 == 0 {
                return invalid(format!(
                    "conv_kernel_size = {kernel}; expected an odd size (HF's padding keeps the \
                     length only for odd kernels)"
                ));
            }
            if groups < 1 || self.hidden_size % groups != 0 {
                return invalid(format!(
                    "conv_groups = {groups} does not divide hidden_size = {}",
                    self.hidden_size
                ));
            }
        }
        Ok(())
    }

    /// The v1 view the shared embeddings and heads read: same sizes, dropouts, activations,
    /// labels (v2's own fields are not in it).
    pub fn base_config(&self) -> DebertaConfig {
        DebertaConfig {
            hidden_act: self.hidden_act,
            attention_probs_dropout_prob: self.attention_probs_dropout_prob,
            hidden_dropout_prob: self.hidden_dropout_prob,
            hidden_size: self.hidden_size,
            initializer_range: self.initializer_range,
            intermediate_size: self.intermediate_size,
            max_position_embeddings: self.max_position_embeddings,
            num_attention_heads: self.num_attention_heads,
            num_hidden_layers: self.num_hidden_layers,
            type_vocab_size: self.type_vocab_size,
            vocab_size: self.vocab_size,
            position_biased_input: self.position_biased_input,
            pos_att_type: self.pos_att_type.clone(),
            pooler_dropout: self.pooler_dropout,
            pooler_hidden_act: self.pooler_hidden_act,
            pooler_hidden_size: self.pooler_hidden_size,
            layer_norm_eps: Some(self.layer_norm_eps()),
            pad_token_id: self.pad_token_id,
            relative_attention: self.relative_attention,
            max_relative_positions: self.max_relative_positions,
            embedding_size: self.embedding_size,
            talking_head: None,
            output_hidden_states: self.output_hidden_states,
            output_attentions: self.output_attentions,
            classifier_dropout: self.classifier_dropout,
            is_decoder: self.is_decoder,
            id2label: self.id2label.clone(),
            label2id: self.label2id.clone(),
            share_att_key: self.share_att_key,
            position_buckets: self.position_buckets,
            legacy: self.legacy,
            tie_word_embeddings: self.tie_word_embeddings,
            cls_dropout: self.cls_dropout,
        }
    }
}

/// A DeBERTa-v2 layer.
pub(crate) type DebertaV2Layer = DebertaLayerBase<DebertaV2DisentangledSelfAttention>;

/// The DeBERTa-v2/v3 encoder (variables `embeddings`, `encoder.layer.<i>`,
/// `encoder.rel_embeddings`, `encoder.LayerNorm` with `norm_rel_ebd`, `encoder.conv` with a
/// convolution).
#[derive(Debug)]
pub struct DebertaV2Model {
    embeddings: DebertaEmbeddings,
    layers: Vec<DebertaV2Layer>,
    rel_embeddings: Option<nn::Embedding>,
    rel_layer_norm: Option<nn::LayerNorm>,
    conv: Option<ConvLayer>,
    span: i64,
    buckets: i64,
    max_relative_positions: i64,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl DebertaV2Model {
    infallible_new!(DebertaV2Config);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &DebertaV2Config,
    ) -> Result<DebertaV2Model, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.check()?;
        let p = p.borrow();
        let base = config.base_config();
        let encoder = p / "encoder";
        let layer = &encoder / "layer";
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let p = &layer / i;
                let attention =
                    DebertaV2DisentangledSelfAttention::new(&p / "attention" / "self", config);
                DebertaV2Layer::new(&p, attention, base.layer_sizes())
            })
            .collect();
        let relative = config.relative_attention.unwrap_or(false);
        let span = config.position_span();
        let rel_embeddings = relative.then(|| {
            nn::embedding(
                &encoder / "rel_embeddings",
                2 * span,
                config.hidden_size,
                embedding_config(),
            )
        });
        let normalised = config
            .norm_rel_ebd
            .as_ref()
            .is_some_and(|n| n.has_type(NormRelEmbedType::layer_norm));
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        let rel_layer_norm = normalised.then(|| {
            nn::layer_norm(
                &encoder / "LayerNorm",
                vec![config.hidden_size],
                layer_norm_config,
            )
        });
        let conv = (config.conv_kernel_size.unwrap_or(0) > 0)
            .then(|| ConvLayer::new(&encoder / "conv", config));
        Ok(Self {
            embeddings: DebertaEmbeddings::new(p / "embeddings", &base),
            layers,
            rel_embeddings,
            rel_layer_norm,
            conv,
            span,
            buckets: config.position_buckets.unwrap_or(-1),
            max_relative_positions: config.relative_positions(),
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
            let positions = v2_positions(
                seq,
                self.span,
                self.buckets,
                self.max_relative_positions,
                device,
            );
            // Only the rows this length reaches; the LayerNorm is per row, so normalising them
            // alone is what HF's whole-table normalisation gives them.
            let rows = positions.rows_of(&table.ws);
            let rows = match &self.rel_layer_norm {
                Some(norm) => norm.forward(&rows),
                None => rows,
            };
            (rows, positions)
        });
        let relative = relative
            .as_ref()
            .map(|(table, positions)| (table, positions));
        let mut first = true;
        let stack = run_layer_stack(
            &embedded,
            &self.layers,
            self.output_hidden_states,
            self.output_attentions,
            |layer, hidden| {
                let (output, probs) =
                    layer.forward_t(hidden, &mask, relative, train, self.output_attentions);
                let output = match (&self.conv, first) {
                    (Some(conv), true) => conv.forward_t(&embedded, &output, &mask.tokens, train),
                    _ => output,
                };
                first = false;
                (output, probs)
            },
        );
        Ok(DebertaModelOutput {
            hidden_state: stack.hidden_state,
            all_hidden_states: stack.all_hidden_states,
            all_attentions: stack.all_attentions,
        })
    }
}

impl DebertaBackbone for DebertaV2Model {
    type Config = DebertaV2Config;

    fn build(p: &nn::Path, config: &DebertaV2Config) -> Result<Self, RustBertError> {
        Self::try_new(p, config)
    }

    fn head_config(config: &DebertaV2Config) -> DebertaConfig {
        config.base_config()
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

/// Output of [`DebertaV2Model`].
pub type DebertaV2ModelOutput = DebertaModelOutput;
/// Output of [`DebertaV2ForMaskedLM`].
pub type DebertaV2MaskedLMOutput = DebertaMaskedLMOutput;
/// Output of [`DebertaV2ForSequenceClassification`] and [`DebertaV2ForMultipleChoice`].
pub type DebertaV2SequenceClassificationOutput = DebertaSequenceClassificationOutput;
/// Output of [`DebertaV2ForTokenClassification`].
pub type DebertaV2TokenClassificationOutput = DebertaTokenClassificationOutput;
/// Output of [`DebertaV2ForQuestionAnswering`].
pub type DebertaV2QuestionAnsweringOutput = DebertaQuestionAnsweringOutput;

/// DeBERTa-v2/v3 with its masked-LM head.
pub type DebertaV2ForMaskedLM = GenericDebertaForMaskedLM<DebertaV2Model>;
/// DeBERTa-v2/v3 classifying whole sequences (NLI checkpoints for zero-shot classification).
pub type DebertaV2ForSequenceClassification =
    GenericDebertaForSequenceClassification<DebertaV2Model>;
/// DeBERTa-v2/v3 labelling each token.
pub type DebertaV2ForTokenClassification = GenericDebertaForTokenClassification<DebertaV2Model>;
/// DeBERTa-v2/v3 predicting answer spans.
pub type DebertaV2ForQuestionAnswering = GenericDebertaForQuestionAnswering<DebertaV2Model>;
/// DeBERTa-v2/v3 scoring the choices of multiple-choice questions (not in rust-bert 0.23).
pub type DebertaV2ForMultipleChoice = GenericDebertaForMultipleChoice<DebertaV2Model>;
