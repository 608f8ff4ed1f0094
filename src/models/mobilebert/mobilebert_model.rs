use crate::common::activations::Activation;
use crate::common::layers::{encoder_attention_bias, linear, ChoiceInputs, Dropout};
use crate::common::twin::infallible_new;
use crate::mobilebert::encoder::{MobileBertEmbeddings, MobileBertEncoder, MobileBertPooler};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Init, Module};
use tch::Tensor;

/// Pretrained MobileBERT weights on the hub, as `(cache subdirectory, URL)`.
pub struct MobileBertModelResources;
/// Pretrained MobileBERT configurations on the hub, as `(cache subdirectory, URL)`.
pub struct MobileBertConfigResources;
/// Pretrained MobileBERT vocabularies on the hub, as `(cache subdirectory, URL)`.
pub struct MobileBertVocabResources;

macro_rules! mobilebert_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// google/mobilebert-uncased (Sun et al., Apache 2.0), the pretrained model.
            pub const MOBILEBERT_UNCASED: (&'static str, &'static str) = (
                concat!("mobilebert-uncased/", $suffix),
                concat!(
                    "https://huggingface.co/google/mobilebert-uncased/resolve/main/",
                    $file
                ),
            );
            /// mrm8488/mobilebert-finetuned-pos (MIT): English part-of-speech tags, rust-bert's
            /// default POS model.
            pub const MOBILEBERT_ENGLISH_POS: (&'static str, &'static str) = (
                concat!("mobilebert-finetuned-pos/", $suffix),
                concat!(
                    "https://huggingface.co/mrm8488/mobilebert-finetuned-pos/resolve/main/",
                    $file
                ),
            );
        }
    };
}
mobilebert_resources!(MobileBertModelResources, "rust_model.ot", "model");
mobilebert_resources!(MobileBertConfigResources, "config.json", "config");
mobilebert_resources!(MobileBertVocabResources, "vocab.txt", "vocab");

/// MobileBERT's normalisation (`normalization_type` in config.json).
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NormalizationType {
    /// A standard LayerNorm.
    layer_norm,
    /// [`NoNorm`]: an element-wise affine map, no statistics (MobileBERT's default, cheaper on
    /// devices).
    no_norm,
}

/// MobileBERT's `NoNorm`: `x * weight + bias`, element-wise, in place of a LayerNorm.
#[derive(Debug)]
pub struct NoNorm {
    weight: Tensor,
    bias: Tensor,
}

impl NoNorm {
    /// Builds the layer under `p` (variables `weight`, starting at one, and `bias`, at zero).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, hidden_size: i64) -> NoNorm {
        let p = p.borrow();
        NoNorm {
            weight: p.var("weight", &[hidden_size], Init::Const(1.0)),
            bias: p.var("bias", &[hidden_size], Init::Const(0.0)),
        }
    }
}

impl Module for NoNorm {
    fn forward(&self, xs: &Tensor) -> Tensor {
        xs * &self.weight + &self.bias
    }
}

/// Either normalisation, as `normalization_type` selects.
#[derive(Debug)]
pub enum NormalizationLayer {
    /// A LayerNorm.
    LayerNorm(nn::LayerNorm),
    /// A [`NoNorm`].
    NoNorm(NoNorm),
}

impl NormalizationLayer {
    /// Builds the normalisation under `p`; `eps` (LayerNorm only) defaults to 1e-12.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        normalization_type: NormalizationType,
        hidden_size: i64,
        eps: Option<f64>,
    ) -> NormalizationLayer {
        match normalization_type {
            NormalizationType::layer_norm => {
                let config = nn::LayerNormConfig {
                    eps: eps.unwrap_or(1e-12),
                    ..Default::default()
                };
                NormalizationLayer::LayerNorm(nn::layer_norm(p, vec![hidden_size], config))
            }
            NormalizationType::no_norm => NormalizationLayer::NoNorm(NoNorm::new(p, hidden_size)),
        }
    }

    /// Normalises `input` over its last dimension.
    pub fn forward(&self, input: &Tensor) -> Tensor {
        match self {
            NormalizationLayer::LayerNorm(layer_norm) => input.apply(layer_norm),
            NormalizationLayer::NoNorm(no_norm) => input.apply(no_norm),
        }
    }
}

// HF 5.24 `MobileBertConfig` defaults, for keys a config.json may omit.
fn default_act() -> Activation {
    Activation::relu
}
fn default_attention_dropout() -> f64 {
    0.1
}
fn default_hidden_size() -> i64 {
    512
}
fn default_initializer_range() -> f64 {
    0.02
}
fn default_positions() -> i64 {
    512
}
fn default_heads() -> i64 {
    4
}
fn default_layers() -> i64 {
    24
}
fn default_type_vocab() -> i64 {
    2
}
fn default_vocab() -> i64 {
    30522
}
fn default_embedding_size() -> i64 {
    128
}

/// MobileBERT configuration; deserializes an HF `config.json` (keys HF may omit take the
/// defaults of HF's `MobileBertConfig`; optional fields read `None` as HF's default).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct MobileBertConfig {
    /// Activation of the feed-forward networks and of the MLM head transform.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on attention probabilities.
    #[serde(default = "default_attention_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Dropout on hidden states (HF default 0).
    #[serde(default)]
    pub hidden_dropout_prob: f64,
    /// Width of the layer inputs and outputs (between bottlenecks).
    #[serde(default = "default_hidden_size")]
    pub hidden_size: i64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f64,
    /// Width of the feed-forward expansions.
    #[serde(default = "default_hidden_size")]
    pub intermediate_size: i64,
    /// Number of learned positions (the longest input).
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads")]
    pub num_attention_heads: i64,
    /// Number of layers.
    #[serde(default = "default_layers")]
    pub num_hidden_layers: i64,
    /// Number of token types (segments).
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: i64,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Width of the word embeddings (before the trigram input and `embedding_transformation`).
    #[serde(default = "default_embedding_size")]
    pub embedding_size: i64,
    /// Epsilon of the LayerNorms HF gives it (default 1e-12; the embeddings' and each layer's
    /// `output` LayerNorm use PyTorch's 1e-5, as in HF).
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Padding token id (HF's `pad_token_id`).
    #[serde(default, alias = "pad_token_id")]
    pub pad_token_idx: Option<i64>,
    /// Whether each position embeds its neighbours too (HF default true).
    #[serde(default)]
    pub trigram_input: Option<bool>,
    /// Whether layers narrow to `intra_bottleneck_size` inside (HF default true).
    #[serde(default)]
    pub use_bottleneck: Option<bool>,
    /// Whether query, key and value all come from the bottleneck (HF default false).
    #[serde(default)]
    pub use_bottleneck_attention: Option<bool>,
    /// Width inside the bottlenecks (HF default 128).
    #[serde(default)]
    pub intra_bottleneck_size: Option<i64>,
    /// Whether query and key share their own bottleneck (HF default true).
    #[serde(default)]
    pub key_query_shared_bottleneck: Option<bool>,
    /// Feed-forward networks per layer (HF default 4).
    #[serde(default)]
    pub num_feedforward_networks: Option<i64>,
    /// `no_norm` (HF default) or `layer_norm`.
    #[serde(default)]
    pub normalization_type: Option<NormalizationType>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Whether the pooler applies `dense` and tanh to the first token (HF default true).
    #[serde(default)]
    pub classifier_activation: Option<bool>,
    /// Unused (MobileBERT is an encoder); kept for rust-bert compatibility.
    #[serde(default)]
    pub is_decoder: Option<bool>,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Dropout before classification heads (defaults to `hidden_dropout_prob`; not in
    /// rust-bert 0.23).
    #[serde(default)]
    pub classifier_dropout: Option<f64>,
    /// Whether the MLM decoder is the word embedding matrix (HF default true; not in rust-bert
    /// 0.23).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
}

impl Config for MobileBertConfig {
    fn initializer_std(&self) -> f64 {
        self.initializer_range
    }

    fn validate(&self) -> Result<(), RustBertError> {
        self.check()
    }
}

impl Default for MobileBertConfig {
    /// HF's `MobileBertConfig()` (google/mobilebert-uncased's sizes).
    fn default() -> Self {
        MobileBertConfig {
            hidden_act: Activation::relu,
            attention_probs_dropout_prob: 0.1,
            hidden_dropout_prob: 0.0,
            hidden_size: 512,
            initializer_range: 0.02,
            intermediate_size: 512,
            max_position_embeddings: 512,
            num_attention_heads: 4,
            num_hidden_layers: 24,
            type_vocab_size: 2,
            vocab_size: 30522,
            embedding_size: 128,
            layer_norm_eps: Some(1e-12),
            pad_token_idx: Some(0),
            trigram_input: Some(true),
            use_bottleneck: Some(true),
            use_bottleneck_attention: Some(false),
            intra_bottleneck_size: Some(128),
            key_query_shared_bottleneck: Some(true),
            num_feedforward_networks: Some(4),
            normalization_type: Some(NormalizationType::no_norm),
            output_attentions: None,
            output_hidden_states: None,
            classifier_activation: None,
            is_decoder: None,
            id2label: None,
            label2id: None,
            classifier_dropout: None,
            tie_word_embeddings: None,
        }
    }
}

impl MobileBertConfig {
    /// The LayerNorm epsilon of the config, or HF's default (1e-12).
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-12)
    }

    /// The normalisation of the config, or HF's default (`no_norm`).
    pub fn normalization_type(&self) -> NormalizationType {
        self.normalization_type
            .unwrap_or(NormalizationType::no_norm)
    }

    /// Width inside the bottlenecks (HF default 128).
    pub fn intra_bottleneck_size(&self) -> i64 {
        self.intra_bottleneck_size.unwrap_or(128)
    }

    /// Width of the attention and feed-forward blocks: `intra_bottleneck_size` with
    /// bottlenecks, `hidden_size` without (HF's `true_hidden_size`).
    pub fn true_hidden_size(&self) -> i64 {
        if self.use_bottleneck.unwrap_or(true) {
            self.intra_bottleneck_size()
        } else {
            self.hidden_size
        }
    }

    /// Feed-forward networks per layer (HF default 4).
    pub fn num_feedforward_networks(&self) -> i64 {
        self.num_feedforward_networks.unwrap_or(4)
    }

    /// Why no model can be built from this configuration, if none can: sizes that are not
    /// positive, heads that do not divide the attention width, a bottleneck layout whose
    /// widths do not fit (HF would fail in a matrix product), a bad epsilon.
    pub fn check(&self) -> Result<(), RustBertError> {
        let width = self.true_hidden_size();
        let narrowed_queries = !self.use_bottleneck.unwrap_or(true)
            || self.use_bottleneck_attention.unwrap_or(false)
            || self.key_query_shared_bottleneck.unwrap_or(true);
        crate::common::config::ConfigChecks::new("MobileBERT")
            .positive("vocab_size", self.vocab_size)
            .positive("embedding_size", self.embedding_size)
            .positive("hidden_size", self.hidden_size)
            .positive("intermediate_size", self.intermediate_size)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .positive("num_attention_heads", self.num_attention_heads)
            .positive("type_vocab_size", self.type_vocab_size)
            .positive("intra_bottleneck_size", self.intra_bottleneck_size())
            .positive("num_feedforward_networks", self.num_feedforward_networks())
            .non_negative("num_hidden_layers", self.num_hidden_layers)
            // The attention width: intra_bottleneck_size with bottlenecks, else hidden_size.
            .divides(
                "num_attention_heads",
                self.num_attention_heads,
                "the attention width (intra_bottleneck_size with bottlenecks, else hidden_size)",
                width,
            )
            .require(narrowed_queries || width == self.hidden_size, || {
                format!(
                    "with use_bottleneck and neither use_bottleneck_attention nor \
                     key_query_shared_bottleneck, queries are hidden_size = {} wide and \
                     intra_bottleneck_size = {width} must equal it",
                    self.hidden_size
                )
            })
            .require(self.hidden_size >= self.embedding_size, || {
                format!(
                    "hidden_size = {} is smaller than embedding_size = {} (the MLM head's extra \
                     projection would have a negative width)",
                    self.hidden_size, self.embedding_size
                )
            })
            .finite("layer_norm_eps", self.layer_norm_eps())
            .finish()
    }

    fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }

    fn classifier_dropout(&self) -> Dropout {
        Dropout::new(self.classifier_dropout.unwrap_or(self.hidden_dropout_prob))
    }
}

/// Output of [`MobileBertModel`].
#[derive(Debug)]
pub struct MobileBertOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// Pooled first token `[batch, hidden]`, when the model has a pooler.
    pub pooled_output: Option<Tensor>,
    /// The embedding output and the output of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The MobileBERT encoder (variables `embeddings`, `encoder`, `pooler`).
#[derive(Debug)]
pub struct MobileBertModel {
    embeddings: MobileBertEmbeddings,
    encoder: MobileBertEncoder,
    pooler: Option<MobileBertPooler>,
}

impl MobileBertModel {
    crate::common::twin::infallible_new!(MobileBertConfig, add_pooling_layer: bool);

    /// Builds the model under `p`, with a pooler when `add_pooling_layer`; an invalid
    /// configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MobileBertConfig,
        add_pooling_layer: bool,
    ) -> Result<MobileBertModel, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.check()?;
        let p = p.borrow();
        Ok(MobileBertModel {
            embeddings: MobileBertEmbeddings::new(p / "embeddings", config),
            encoder: MobileBertEncoder::new(p / "encoder", config),
            pooler: add_pooling_layer.then(|| MobileBertPooler::new(p / "pooler", config)),
        })
    }

    fn word_embeddings_weight(&self) -> &Tensor {
        self.embeddings.word_embeddings_weight()
    }

    /// Runs the model.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, embedding_size]` (exactly
    ///   one);
    /// * `token_type_ids`, `position_ids` default to zeros and `0..seq`;
    /// * `attention_mask` `[batch, seq]` of 1 (token) / 0 (padding), or `[batch, seq, seq]`.
    ///
    /// Bad inputs (shapes, ids out of range, an empty or too long sequence) are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<MobileBertOutput, RustBertError> {
        let embeddings = self.embeddings.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let bias = encoder_attention_bias(&embeddings, attention_mask)?;
        let encoded = self.encoder.forward_t(&embeddings, bias.as_ref(), train);
        let pooled_output = self
            .pooler
            .as_ref()
            .map(|pooler| pooler.forward(&encoded.hidden_state));
        Ok(MobileBertOutput {
            hidden_state: encoded.hidden_state,
            pooled_output,
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
        })
    }
}

/// HF `MobileBertPredictionHeadTransform`: `dense`, `hidden_act`, then always a LayerNorm
/// (whatever `normalization_type` says), with `layer_norm_eps`.
#[derive(Debug)]
pub struct MobileBertPredictionHeadTransform {
    dense: nn::Linear,
    activation: Activation,
    layer_norm: nn::LayerNorm,
}

impl MobileBertPredictionHeadTransform {
    /// Builds the transform under `p` (variables `dense`, `LayerNorm`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MobileBertConfig,
    ) -> MobileBertPredictionHeadTransform {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        MobileBertPredictionHeadTransform {
            dense: linear(p / "dense", config.hidden_size, config.hidden_size),
            activation: config.hidden_act,
            layer_norm: nn::layer_norm(
                p / "LayerNorm",
                vec![config.hidden_size],
                layer_norm_config,
            ),
        }
    }

    /// Transforms hidden states `[..., hidden]`.
    pub fn forward(&self, hidden_states: &Tensor) -> Tensor {
        self.activation
            .apply(&hidden_states.apply(&self.dense))
            .apply(&self.layer_norm)
    }
}

/// HF `MobileBertLMPredictionHead`: the transform, then a product with the decoder matrix
/// `[hidden_size, vocab]` made of the word embeddings (transposed; `decoder.weight` when
/// untied) stacked over `dense.weight` (the remaining `hidden_size - embedding_size` rows),
/// plus the decoder bias.
#[derive(Debug)]
pub struct MobileBertLMPredictionHead {
    transform: MobileBertPredictionHeadTransform,
    dense_weight: Tensor,
    decoder_weight: Option<Tensor>,
    bias: Tensor,
}

impl MobileBertLMPredictionHead {
    /// Builds the head under `p`: variables `transform`, `dense.weight` and `bias` (which HF
    /// ties to the decoder's bias); untied (`tie_word_embeddings` false), HF ties nothing and
    /// reads `decoder.weight` and `decoder.bias` instead (`bias` stays in the checkpoint,
    /// unread).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MobileBertConfig,
    ) -> MobileBertLMPredictionHead {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let extra = config.hidden_size - config.embedding_size;
        let own_bias = p.var("bias", &[config.vocab_size], Init::Const(0.0));
        let (decoder_weight, bias) = if config.tie_word_embeddings.unwrap_or(true) {
            (None, own_bias)
        } else {
            let decoder = linear(p / "decoder", config.embedding_size, config.vocab_size);
            let bias = decoder.bs.unwrap_or(own_bias);
            (Some(decoder.ws), bias)
        };
        MobileBertLMPredictionHead {
            transform: MobileBertPredictionHeadTransform::new(p / "transform", config),
            dense_weight: crate::common::layers::linear::uninitialized(
                &(p / "dense"),
                "weight",
                &[extra, config.vocab_size],
            ),
            decoder_weight,
            bias,
        }
    }

    /// Vocabulary logits of hidden states `[..., hidden]`; `embeddings` is the word embedding
    /// matrix `[vocab, embedding_size]` (the decoder when tied).
    pub fn forward(&self, hidden_states: &Tensor, embeddings: &Tensor) -> Tensor {
        let decoder = self.decoder_weight.as_ref().unwrap_or(embeddings);
        let matrix = Tensor::cat(&[&decoder.tr(), &self.dense_weight], 0);
        self.transform.forward(hidden_states).matmul(&matrix) + &self.bias
    }
}

/// Output of [`MobileBertForMaskedLM`].
#[derive(Debug)]
pub struct MobileBertMaskedLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// MobileBERT masked language model (variables `mobilebert`, `cls.predictions`).
#[derive(Debug)]
pub struct MobileBertForMaskedLM {
    mobilebert: MobileBertModel,
    predictions: MobileBertLMPredictionHead,
}

impl MobileBertForMaskedLM {
    infallible_new!(MobileBertConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MobileBertConfig,
    ) -> Result<MobileBertForMaskedLM, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(MobileBertForMaskedLM {
            mobilebert: MobileBertModel::try_new(p / "mobilebert", config, false)?,
            predictions: MobileBertLMPredictionHead::new(p / "cls" / "predictions", config),
        })
    }

    /// Vocabulary logits for every position (arguments as [`MobileBertModel::forward_t`]).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<MobileBertMaskedLMOutput, RustBertError> {
        let output = self.mobilebert.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            attention_mask,
            train,
        )?;
        Ok(MobileBertMaskedLMOutput {
            logits: self.predictions.forward(
                &output.hidden_state,
                self.mobilebert.word_embeddings_weight(),
            ),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// Output of [`MobileBertForSequenceClassification`] and [`MobileBertForMultipleChoice`].
#[derive(Debug)]
pub struct MobileBertSequenceClassificationOutput {
    /// Class logits `[batch, num_labels]` (`[batch, num_choices]` for multiple choice).
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// MobileBERT classifying whole sequences from the pooled first token (variables `mobilebert`,
/// `classifier`).
#[derive(Debug)]
pub struct MobileBertForSequenceClassification {
    mobilebert: MobileBertModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl MobileBertForSequenceClassification {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MobileBertConfig,
    ) -> Result<MobileBertForSequenceClassification, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(MobileBertForSequenceClassification {
            mobilebert: MobileBertModel::try_new(p / "mobilebert", config, true)?,
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Class logits for each sequence (arguments as [`MobileBertModel::forward_t`]).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<MobileBertSequenceClassificationOutput, RustBertError> {
        let output = self.mobilebert.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            attention_mask,
            train,
        )?;
        let pooled = pooled(&output)?;
        Ok(MobileBertSequenceClassificationOutput {
            logits: self
                .dropout
                .forward_t(pooled, train)
                .apply(&self.classifier),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// The pooled output of a model built with a pooler.
fn pooled(output: &MobileBertOutput) -> Result<&Tensor, RustBertError> {
    output
        .pooled_output
        .as_ref()
        .ok_or_else(|| RustBertError::ValueError("the model has no pooler".into()))
}

/// Output of [`MobileBertForTokenClassification`].
#[derive(Debug)]
pub struct MobileBertTokenClassificationOutput {
    /// Label logits for every token `[batch, seq, num_labels]`.
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// MobileBERT labelling each token (NER, POS; variables `mobilebert`, `classifier`).
#[derive(Debug)]
pub struct MobileBertForTokenClassification {
    mobilebert: MobileBertModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl MobileBertForTokenClassification {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MobileBertConfig,
    ) -> Result<MobileBertForTokenClassification, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(MobileBertForTokenClassification {
            mobilebert: MobileBertModel::try_new(p / "mobilebert", config, false)?,
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Label logits for every token (arguments as [`MobileBertModel::forward_t`]).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<MobileBertTokenClassificationOutput, RustBertError> {
        let output = self.mobilebert.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            attention_mask,
            train,
        )?;
        Ok(MobileBertTokenClassificationOutput {
            logits: self
                .dropout
                .forward_t(&output.hidden_state, train)
                .apply(&self.classifier),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// Output of [`MobileBertForQuestionAnswering`].
#[derive(Debug)]
pub struct MobileBertQuestionAnsweringOutput {
    /// Logit of each token starting the answer `[batch, seq]`.
    pub start_logits: Tensor,
    /// Logit of each token ending the answer `[batch, seq]`.
    pub end_logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// MobileBERT predicting answer spans (variables `mobilebert`, `qa_outputs`).
#[derive(Debug)]
pub struct MobileBertForQuestionAnswering {
    mobilebert: MobileBertModel,
    qa_outputs: nn::Linear,
}

impl MobileBertForQuestionAnswering {
    infallible_new!(MobileBertConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MobileBertConfig,
    ) -> Result<MobileBertForQuestionAnswering, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(MobileBertForQuestionAnswering {
            mobilebert: MobileBertModel::try_new(p / "mobilebert", config, false)?,
            qa_outputs: linear(p / "qa_outputs", config.hidden_size, 2),
        })
    }

    /// Start and end logits of every token, each `[batch, seq]`.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<MobileBertQuestionAnsweringOutput, RustBertError> {
        let output = self.mobilebert.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            attention_mask,
            train,
        )?;
        let logits = output.hidden_state.apply(&self.qa_outputs);
        Ok(MobileBertQuestionAnsweringOutput {
            start_logits: logits.select(-1, 0),
            end_logits: logits.select(-1, 1),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// MobileBERT scoring each choice of a multiple-choice question from its pooled first token
/// (variables `mobilebert`, `classifier`).
#[derive(Debug)]
pub struct MobileBertForMultipleChoice {
    mobilebert: MobileBertModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl MobileBertForMultipleChoice {
    infallible_new!(MobileBertConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MobileBertConfig,
    ) -> Result<MobileBertForMultipleChoice, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(MobileBertForMultipleChoice {
            mobilebert: MobileBertModel::try_new(p / "mobilebert", config, true)?,
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, 1),
        })
    }

    /// Scores choices: inputs `[batch, num_choices, seq]` (`input_embeds` `[batch,
    /// num_choices, seq, embedding_size]`); logits `[batch, num_choices]`.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<MobileBertSequenceClassificationOutput, RustBertError> {
        let choices = ChoiceInputs::flatten(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
        )?;
        let output = self.mobilebert.forward_t(
            choices.input_ids.as_ref(),
            choices.token_type_ids.as_ref(),
            choices.position_ids.as_ref(),
            choices.input_embeds.as_ref(),
            choices.mask.as_ref(),
            train,
        )?;
        let scores = self
            .dropout
            .forward_t(pooled(&output)?, train)
            .apply(&self.classifier);
        Ok(MobileBertSequenceClassificationOutput {
            logits: choices.logits(&scores)?,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}
