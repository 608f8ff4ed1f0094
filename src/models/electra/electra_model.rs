use crate::bert::{BertConfig, BertEncoder};
use crate::common::activations::Activation;
use crate::common::layers::{
    encoder_attention_bias, linear, ChoiceInputs, Dropout, SequenceSummary, SummaryConfig,
    SummaryType, TransformerEmbeddings, TransformerEmbeddingsConfig,
};
use crate::common::twin::{infallible_new, infallible_twin};
use crate::{Config, RustBertError};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Module};
use tch::Tensor;

/// Pretrained ELECTRA weights on the hub, as `(cache subdirectory, URL)`.
pub struct ElectraModelResources;
/// Pretrained ELECTRA configurations on the hub, as `(cache subdirectory, URL)`.
pub struct ElectraConfigResources;
/// Pretrained ELECTRA vocabularies on the hub, as `(cache subdirectory, URL)`.
pub struct ElectraVocabResources;

macro_rules! electra_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// google/electra-base-generator (Clark et al.), the masked-LM generator.
            pub const BASE_GENERATOR: (&'static str, &'static str) = (
                concat!("electra-base-generator/", $suffix),
                concat!(
                    "https://huggingface.co/google/electra-base-generator/resolve/main/",
                    $file
                ),
            );
            /// google/electra-base-discriminator (Clark et al.), the replaced-token detector.
            pub const BASE_DISCRIMINATOR: (&'static str, &'static str) = (
                concat!("electra-base-discriminator/", $suffix),
                concat!(
                    "https://huggingface.co/google/electra-base-discriminator/resolve/main/",
                    $file
                ),
            );
        }
    };
}
electra_resources!(ElectraModelResources, "rust_model.ot", "model");
electra_resources!(ElectraConfigResources, "config.json", "config");
electra_resources!(ElectraVocabResources, "vocab.txt", "vocab");

// HF 5.24 `ElectraConfig` defaults (electra-small sizes), for keys a config.json may omit.
fn default_act() -> Activation {
    Activation::gelu
}
fn default_dropout() -> f64 {
    0.1
}
fn default_embedding_size() -> i64 {
    128
}
fn default_hidden_size() -> i64 {
    256
}
fn default_initializer_range() -> f32 {
    0.02
}
fn default_intermediate_size() -> i64 {
    1024
}
fn default_positions() -> i64 {
    512
}
fn default_heads() -> i64 {
    4
}
fn default_layers() -> i64 {
    12
}
fn default_type_vocab() -> i64 {
    2
}
fn default_vocab() -> i64 {
    30522
}

/// `pad_token_id` as HF writes it (a number or `null`), kept as rust-bert's `i64` (0 for null).
fn pad_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.unwrap_or(0))
}

/// ELECTRA configuration; deserializes an HF `config.json` (keys HF may omit take the defaults
/// of HF's `ElectraConfig`).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct ElectraConfig {
    /// Activation of the feed-forward blocks and of the discriminator head.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Width of the token embeddings (projected to `hidden_size` when they differ).
    #[serde(default = "default_embedding_size")]
    pub embedding_size: i64,
    /// Dropout on hidden states.
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Hidden size of the encoder.
    #[serde(default = "default_hidden_size")]
    pub hidden_size: i64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f32,
    /// LayerNorm epsilon (HF default 1e-12); used by every LayerNorm, never hard-coded.
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_intermediate_size")]
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
    /// Padding token id (`null` in config.json reads as 0).
    #[serde(default, deserialize_with = "pad_id")]
    pub pad_token_id: i64,
    /// Unused (an encoder has no cache); kept for rust-bert compatibility.
    #[serde(default)]
    pub output_past: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Dropout before classification heads (defaults to `hidden_dropout_prob`).
    #[serde(default)]
    pub classifier_dropout: Option<f64>,
    /// Whether the generator's LM head shares the word embeddings (HF default true).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
    /// How the multiple-choice head summarises a sequence (HF default `first`).
    #[serde(default)]
    pub summary_type: Option<SummaryType>,
    /// Whether the multiple-choice summary has a projection (HF default true).
    #[serde(default)]
    pub summary_use_proj: Option<bool>,
    /// Activation after the summary projection (HF default `gelu`).
    #[serde(default)]
    pub summary_activation: Option<Activation>,
    /// Project the summary to the labels instead of the hidden size (absent in HF's config).
    #[serde(default)]
    pub summary_proj_to_labels: Option<bool>,
    /// Dropout before the summary projection (absent in HF's config: none).
    #[serde(default)]
    pub summary_first_dropout: Option<f64>,
    /// Dropout after the summary activation (HF default 0.1).
    #[serde(default)]
    pub summary_last_dropout: Option<f64>,
}

impl Config for ElectraConfig {
    fn initializer_std(&self) -> f64 {
        f64::from(self.initializer_range)
    }

    fn validate(&self) -> Result<(), RustBertError> {
        self.check()
    }
}

impl Default for ElectraConfig {
    fn default() -> Self {
        Self {
            hidden_act: default_act(),
            attention_probs_dropout_prob: default_dropout(),
            embedding_size: default_embedding_size(),
            hidden_dropout_prob: default_dropout(),
            hidden_size: default_hidden_size(),
            initializer_range: default_initializer_range(),
            layer_norm_eps: Some(1e-12),
            intermediate_size: default_intermediate_size(),
            max_position_embeddings: default_positions(),
            num_attention_heads: default_heads(),
            num_hidden_layers: default_layers(),
            type_vocab_size: default_type_vocab(),
            vocab_size: default_vocab(),
            pad_token_id: 0,
            output_past: None,
            output_attentions: None,
            output_hidden_states: None,
            id2label: None,
            label2id: None,
            classifier_dropout: None,
            tie_word_embeddings: None,
            summary_type: None,
            summary_use_proj: None,
            summary_activation: None,
            summary_proj_to_labels: None,
            summary_first_dropout: None,
            summary_last_dropout: None,
        }
    }
}

impl ElectraConfig {
    /// The LayerNorm epsilon of the config, or HF's default.
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-12)
    }

    /// Why no model can be built from this configuration, if none can: sizes that are not
    /// positive, heads that do not divide the hidden size, a negative or non-finite epsilon.
    pub fn check(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("ELECTRA")
            .positive("vocab_size", self.vocab_size)
            .positive("embedding_size", self.embedding_size)
            .positive("hidden_size", self.hidden_size)
            .positive("intermediate_size", self.intermediate_size)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .positive("num_attention_heads", self.num_attention_heads)
            .non_negative("num_hidden_layers", self.num_hidden_layers)
            .non_negative("type_vocab_size", self.type_vocab_size)
            .divides(
                "num_attention_heads",
                self.num_attention_heads,
                "hidden_size",
                self.hidden_size,
            )
            .finite("layer_norm_eps", self.layer_norm_eps())
            .finish()
    }

    /// Number of labels of a classification head, from `id2label`.
    fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }

    fn classifier_dropout(&self) -> Dropout {
        Dropout::new(self.classifier_dropout.unwrap_or(self.hidden_dropout_prob))
    }

    /// The encoder is BERT's: the same layers under the same HF names.
    fn encoder_config(&self) -> BertConfig {
        BertConfig {
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
            output_attentions: self.output_attentions,
            output_hidden_states: self.output_hidden_states,
            layer_norm_eps: Some(self.layer_norm_eps()),
            pad_token_id: Some(self.pad_token_id),
            ..BertConfig::default()
        }
    }

    fn embeddings_config(&self) -> TransformerEmbeddingsConfig {
        TransformerEmbeddingsConfig {
            vocab_size: self.vocab_size,
            embedding_size: self.embedding_size,
            max_position_embeddings: self.max_position_embeddings,
            type_vocab_size: self.type_vocab_size,
            layer_norm_eps: self.layer_norm_eps(),
            dropout: self.hidden_dropout_prob,
        }
    }

    /// HF's `ElectraSequenceSummary` settings: `first`, a projection, gelu, dropout 0.1 by
    /// default; HF reads `summary_proj_to_labels` and `summary_first_dropout` only when a
    /// config.json sets them.
    fn summary(&self) -> SummaryConfig {
        SummaryConfig {
            summary_type: Some(self.summary_type.unwrap_or(SummaryType::first)),
            summary_use_proj: Some(self.summary_use_proj.unwrap_or(true)),
            summary_activation: self.summary_activation.or(Some(Activation::gelu)),
            summary_proj_to_labels: self.summary_proj_to_labels,
            summary_first_dropout: self.summary_first_dropout,
            summary_last_dropout: Some(self.summary_last_dropout.unwrap_or(0.1)),
            hidden_size: self.hidden_size,
            // HF's num_labels: from id2label, 2 when a config has none.
            num_labels: Some(self.id2label.as_ref().map_or(2, |l| l.len() as i64)),
        }
    }
}

/// Output of [`ElectraModel`].
#[derive(Debug)]
pub struct ElectraModelOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// The encoder input (embeddings after `embeddings_project`) and the output of every layer,
    /// when `output_hidden_states`.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when `output_attentions`.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The ELECTRA encoder: embeddings of width `embedding_size` (`embeddings`), a projection to
/// `hidden_size` when the two differ (`embeddings_project`), and BERT's encoder (`encoder`).
/// ELECTRA has no pooler.
#[derive(Debug)]
pub struct ElectraModel {
    embeddings: TransformerEmbeddings,
    embeddings_project: Option<nn::Linear>,
    encoder: BertEncoder,
}

impl ElectraModel {
    infallible_new!(ElectraConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<ElectraModel, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.check()?;
        let p = p.borrow();
        // HF builds the projection only when the widths differ; its checkpoints follow.
        let embeddings_project = (config.embedding_size != config.hidden_size).then(|| {
            linear(
                p / "embeddings_project",
                config.embedding_size,
                config.hidden_size,
            )
        });
        Ok(Self {
            embeddings: TransformerEmbeddings::new(p / "embeddings", &config.embeddings_config()),
            embeddings_project,
            encoder: BertEncoder::new(p / "encoder", &config.encoder_config()),
        })
    }

    /// The word embedding matrix `[vocab, embedding_size]` (tied to the generator's LM head).
    fn word_embeddings_weight(&self) -> &Tensor {
        self.embeddings.word_embeddings_weight()
    }

    /// Runs the model.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, embedding_size]` (exactly
    ///   one);
    /// * `mask` `[batch, seq]` of 1 (token) / 0 (padding), or `[batch, seq, seq]`;
    /// * `token_type_ids`, `position_ids` default to zeros and `0..seq`.
    ///
    /// Bad inputs (shapes, ids out of range, an empty or too long sequence) are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ElectraModelOutput, RustBertError> {
        let embeddings = self.embeddings.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let embeddings = match &self.embeddings_project {
            Some(project) => project.forward(&embeddings),
            None => embeddings,
        };
        let bias = encoder_attention_bias(&embeddings, mask)?;
        let encoded = self
            .encoder
            .forward_t(&embeddings, bias.as_ref(), None, None, train);
        Ok(ElectraModelOutput {
            hidden_state: encoded.hidden_state,
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
        })
    }
}

/// The discriminator's per-token head (HF `ElectraDiscriminatorPredictions`): `dense`, the
/// configuration's `hidden_act`, then `dense_prediction` to one logit per token.
#[derive(Debug)]
pub struct ElectraDiscriminatorHead {
    dense: nn::Linear,
    dense_prediction: nn::Linear,
    activation: Activation,
}

impl ElectraDiscriminatorHead {
    infallible_new!(ElectraConfig);

    /// Builds the head under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.check()?;
        let p = p.borrow();
        Ok(Self {
            dense: linear(p / "dense", config.hidden_size, config.hidden_size),
            dense_prediction: linear(p / "dense_prediction", config.hidden_size, 1),
            activation: config.hidden_act,
        })
    }

    /// Logits `[..., seq]` (is this token replaced?) of hidden states `[..., seq, hidden]`.
    ///
    /// Unlike rust-bert, which squeezes every dimension of size 1 (so a batch of one loses its
    /// batch dimension), only the last one is removed, as HF does.
    pub fn forward(&self, encoder_hidden_states: &Tensor) -> Tensor {
        self.activation
            .apply(&self.dense.forward(encoder_hidden_states))
            .apply(&self.dense_prediction)
            .squeeze_dim(-1)
    }
}

/// The generator's transform before its LM head (HF `ElectraGeneratorPredictions`): `dense` to
/// `embedding_size`, exact gelu (whatever `hidden_act` says, as HF), `LayerNorm`.
#[derive(Debug)]
pub struct ElectraGeneratorHead {
    dense: nn::Linear,
    layer_norm: nn::LayerNorm,
}

impl ElectraGeneratorHead {
    infallible_new!(ElectraConfig);

    /// Builds the head under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.check()?;
        let p = p.borrow();
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        Ok(Self {
            dense: linear(p / "dense", config.hidden_size, config.embedding_size),
            layer_norm: nn::layer_norm(
                p / "LayerNorm",
                vec![config.embedding_size],
                layer_norm_config,
            ),
        })
    }

    /// Transformed hidden states `[..., embedding_size]` of `[..., hidden]`.
    pub fn forward(&self, encoder_hidden_states: &Tensor) -> Tensor {
        Activation::gelu
            .apply(&self.dense.forward(encoder_hidden_states))
            .apply(&self.layer_norm)
    }
}

/// Output of [`ElectraForMaskedLM`].
#[derive(Debug)]
pub struct ElectraMaskedLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub prediction_scores: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The ELECTRA generator: a masked language model (variables `electra`,
/// `generator_predictions`, `generator_lm_head`).
///
/// With tied weights (HF default) the LM head's weight is the word embedding matrix and only
/// `generator_lm_head.bias` is its own (HF saves only that one); untied, it reads
/// `generator_lm_head.weight` too.
#[derive(Debug)]
pub struct ElectraForMaskedLM {
    electra: ElectraModel,
    generator_head: ElectraGeneratorHead,
    lm_head_weight: Tensor,
    lm_head_bias: Tensor,
}

impl ElectraForMaskedLM {
    infallible_new!(ElectraConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<ElectraForMaskedLM, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let electra = ElectraModel::try_new(p / "electra", config)?;
        let generator_head = ElectraGeneratorHead::try_new(p / "generator_predictions", config)?;
        let lm_head = p / "generator_lm_head";
        let (lm_head_weight, lm_head_bias) = if config.tie_word_embeddings.unwrap_or(true) {
            let bias = lm_head.var("bias", &[config.vocab_size], nn::Init::Const(0.0));
            (electra.word_embeddings_weight().shallow_clone(), bias)
        } else {
            let head = linear(&lm_head, config.embedding_size, config.vocab_size);
            let bias = head
                .bs
                .unwrap_or_else(|| Tensor::zeros([config.vocab_size], (p.kind(), p.device())));
            (head.ws, bias)
        };
        Ok(Self {
            electra,
            generator_head,
            lm_head_weight,
            lm_head_bias,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> ElectraMaskedLMOutput = try_forward_t
    }

    /// Vocabulary logits for every position; bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ElectraMaskedLMOutput, RustBertError> {
        let output = self.electra.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let prediction_scores = self
            .generator_head
            .forward(&output.hidden_state)
            .linear(&self.lm_head_weight, Some(&self.lm_head_bias));
        Ok(ElectraMaskedLMOutput {
            prediction_scores,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// Output of [`ElectraDiscriminator`].
#[derive(Debug)]
pub struct ElectraDiscriminatorOutput {
    /// Probability that each token was replaced, `sigmoid(logits)`, `[batch, seq]`.
    pub probabilities: Tensor,
    /// The logits HF returns, `[batch, seq]` (not in rust-bert 0.23).
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The ELECTRA discriminator, detecting replaced tokens (HF `ElectraForPreTraining`; variables
/// `electra`, `discriminator_predictions`).
#[derive(Debug)]
pub struct ElectraDiscriminator {
    electra: ElectraModel,
    discriminator_head: ElectraDiscriminatorHead,
}

impl ElectraDiscriminator {
    infallible_new!(ElectraConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<ElectraDiscriminator, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            electra: ElectraModel::try_new(p / "electra", config)?,
            discriminator_head: ElectraDiscriminatorHead::try_new(
                p / "discriminator_predictions",
                config,
            )?,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> ElectraDiscriminatorOutput = try_forward_t
    }

    /// Replacement logits and probabilities for every token; bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ElectraDiscriminatorOutput, RustBertError> {
        let output = self.electra.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let logits = self.discriminator_head.forward(&output.hidden_state);
        Ok(ElectraDiscriminatorOutput {
            probabilities: logits.sigmoid(),
            logits,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// Output of [`ElectraForTokenClassification`].
#[derive(Debug)]
pub struct ElectraTokenClassificationOutput {
    /// Label logits for every token `[batch, seq, num_labels]`.
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// ELECTRA labelling each token (NER, POS; variables `electra`, `classifier`).
#[derive(Debug)]
pub struct ElectraForTokenClassification {
    electra: ElectraModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl ElectraForTokenClassification {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<ElectraForTokenClassification, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            electra: ElectraModel::try_new(p / "electra", config)?,
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> ElectraTokenClassificationOutput = try_forward_t
    }

    /// Label logits for every token `[batch, seq, num_labels]`; bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ElectraTokenClassificationOutput, RustBertError> {
        let output = self.electra.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(ElectraTokenClassificationOutput {
            logits: self
                .dropout
                .forward_t(&output.hidden_state, train)
                .apply(&self.classifier),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// HF's `ElectraClassificationHead`: on the first token, dropout, `dense`, exact gelu (not
/// BERT's tanh pooler, and not `hidden_act`), dropout, `out_proj`.
#[derive(Debug)]
pub struct ElectraClassificationHead {
    dense: nn::Linear,
    dropout: Dropout,
    out_proj: nn::Linear,
}

impl ElectraClassificationHead {
    /// Builds the head under `p` (`classifier` in HF checkpoints); errors when the
    /// configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            dense: linear(p / "dense", config.hidden_size, config.hidden_size),
            dropout: config.classifier_dropout(),
            out_proj: linear(p / "out_proj", config.hidden_size, num_labels),
        })
    }

    /// Class logits `[batch, num_labels]` of hidden states `[batch, seq, hidden]`.
    pub fn forward_t(&self, hidden_states: &Tensor, train: bool) -> Tensor {
        let first = self.dropout.forward_t(&hidden_states.select(1, 0), train);
        let activated = Activation::gelu.apply(&self.dense.forward(&first));
        self.dropout
            .forward_t(&activated, train)
            .apply(&self.out_proj)
    }
}

/// Output of [`ElectraForSequenceClassification`] and [`ElectraForMultipleChoice`].
#[derive(Debug)]
pub struct ElectraSequenceClassificationOutput {
    /// Class logits `[batch, num_labels]` (`[batch, num_choices]` for multiple choice).
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// ELECTRA classifying whole sequences (variables `electra`, `classifier`; not in rust-bert
/// 0.23).
#[derive(Debug)]
pub struct ElectraForSequenceClassification {
    electra: ElectraModel,
    classifier: ElectraClassificationHead,
}

impl ElectraForSequenceClassification {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            electra: ElectraModel::try_new(p / "electra", config)?,
            classifier: ElectraClassificationHead::new(p / "classifier", config)?,
        })
    }

    /// Class logits for each sequence (arguments as [`ElectraModel::forward_t`]); bad inputs
    /// are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ElectraSequenceClassificationOutput, RustBertError> {
        let output = self.electra.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(ElectraSequenceClassificationOutput {
            logits: self.classifier.forward_t(&output.hidden_state, train),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> ElectraSequenceClassificationOutput = try_forward_t
    }
}

/// Output of [`ElectraForQuestionAnswering`].
#[derive(Debug)]
pub struct ElectraQuestionAnsweringOutput {
    /// Logit of each token starting the answer `[batch, seq]`.
    pub start_logits: Tensor,
    /// Logit of each token ending the answer `[batch, seq]`.
    pub end_logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// ELECTRA predicting answer spans (variables `electra`, `qa_outputs`; not in rust-bert 0.23).
#[derive(Debug)]
pub struct ElectraForQuestionAnswering {
    electra: ElectraModel,
    qa_outputs: nn::Linear,
}

impl ElectraForQuestionAnswering {
    /// Builds the model; errors when the configuration is invalid.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            electra: ElectraModel::try_new(p / "electra", config)?,
            // Start and end logits (HF's `num_labels`, 2 for every QA checkpoint).
            qa_outputs: linear(p / "qa_outputs", config.hidden_size, 2),
        })
    }

    /// Start and end logits of every token, each `[batch, seq]`; bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ElectraQuestionAnsweringOutput, RustBertError> {
        let output = self.electra.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let logits = self.qa_outputs.forward(&output.hidden_state);
        Ok(ElectraQuestionAnsweringOutput {
            start_logits: logits.select(-1, 0),
            end_logits: logits.select(-1, 1),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> ElectraQuestionAnsweringOutput = try_forward_t
    }
}

/// ELECTRA scoring each choice of a multiple-choice question: HF's sequence summary (first
/// token, projection, gelu by default) then `classifier` (variables `electra`,
/// `sequence_summary`, `classifier`; not in rust-bert 0.23).
#[derive(Debug)]
pub struct ElectraForMultipleChoice {
    electra: ElectraModel,
    sequence_summary: SequenceSummary,
    classifier: nn::Linear,
}

impl ElectraForMultipleChoice {
    /// Builds the model; errors when the configuration is invalid (including a
    /// `summary_type` of `attn`, which HF does not implement either).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &ElectraConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            electra: ElectraModel::try_new(p / "electra", config)?,
            sequence_summary: SequenceSummary::new(p / "sequence_summary", &config.summary())?,
            classifier: linear(p / "classifier", config.hidden_size, 1),
        })
    }

    /// Scores choices: `input_ids` `[batch, num_choices, seq]` (or `input_embeds`
    /// `[batch, num_choices, seq, embedding_size]`), the other inputs `[batch, num_choices,
    /// seq]`; logits `[batch, num_choices]`. Bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<ElectraSequenceClassificationOutput, RustBertError> {
        let choices =
            ChoiceInputs::flatten(input_ids, mask, token_type_ids, position_ids, input_embeds)?;
        let output = self.electra.forward_t(
            choices.input_ids.as_ref(),
            choices.mask.as_ref(),
            choices.token_type_ids.as_ref(),
            choices.position_ids.as_ref(),
            choices.input_embeds.as_ref(),
            train,
        )?;
        let scores = self
            .sequence_summary
            .forward_t(&output.hidden_state, None, train)?
            .apply(&self.classifier);
        let logits = choices.logits(&scores)?;
        Ok(ElectraSequenceClassificationOutput {
            logits,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> ElectraSequenceClassificationOutput = try_forward_t
    }
}
