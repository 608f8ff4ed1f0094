use crate::albert::encoder::AlbertTransformer;
use crate::common::activations::Activation;
use crate::common::layers::summary::ChoiceInputs;
use crate::common::layers::{
    encoder_attention_bias, linear, Dropout, TransformerEmbeddings, TransformerEmbeddingsConfig,
};
use crate::common::twin::infallible_twin;
use crate::{Config, RustBertError};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Module};
use tch::Tensor;

/// Pretrained ALBERT weights on the hub, as `(cache subdirectory, URL)`.
pub struct AlbertModelResources;
/// Pretrained ALBERT configurations on the hub, as `(cache subdirectory, URL)`.
pub struct AlbertConfigResources;
/// Pretrained ALBERT SentencePiece vocabularies on the hub, as `(cache subdirectory, URL)`.
pub struct AlbertVocabResources;

macro_rules! albert_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// albert-base-v2 (Lan et al., Google Research).
            pub const ALBERT_BASE_V2: (&'static str, &'static str) = (
                concat!("albert-base-v2/", $suffix),
                concat!("https://huggingface.co/albert-base-v2/resolve/main/", $file),
            );
            /// sentence-transformers paraphrase-albert-small-v2.
            pub const PARAPHRASE_ALBERT_SMALL_V2: (&'static str, &'static str) = (
                concat!("paraphrase-albert-small-v2/", $suffix),
                concat!(
                    "https://huggingface.co/sentence-transformers/paraphrase-albert-small-v2/resolve/main/",
                    $file
                ),
            );
        }
    };
}
albert_resources!(AlbertModelResources, "rust_model.ot", "model");
albert_resources!(AlbertConfigResources, "config.json", "config");
albert_resources!(AlbertVocabResources, "spiece.model", "spiece");

// HF 5.24 `AlbertConfig` defaults, for keys a config.json may omit.
fn default_act() -> Activation {
    Activation::gelu_new
}
fn default_classifier_dropout() -> Option<f64> {
    Some(0.1)
}
fn default_embedding_size() -> i64 {
    128
}
fn default_hidden_size() -> i64 {
    4096
}
fn default_initializer_range() -> f32 {
    0.02
}
fn default_one() -> i64 {
    1
}
fn default_intermediate_size() -> i64 {
    16384
}
fn default_positions() -> i64 {
    512
}
fn default_heads() -> i64 {
    64
}
fn default_layers() -> i64 {
    12
}
fn default_type_vocab() -> i64 {
    2
}
fn default_vocab() -> i64 {
    30000
}
fn default_bos() -> i64 {
    2
}
fn default_eos() -> i64 {
    3
}

/// A special-token id as HF writes it: a number, `null`, or (for `eos_token_id`) a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum TokenId {
    One(i64),
    Many(Vec<i64>),
}

/// Reads a token id, keeping `default` for `null` or an empty list and the first id of a list:
/// the fields keep rust-bert's `i64` type while accepting every form HF 5.x writes.
fn token_id<'de, D: Deserializer<'de>>(d: D, default: i64) -> Result<i64, D::Error> {
    Ok(match Option::<TokenId>::deserialize(d)? {
        Some(TokenId::One(id)) => id,
        Some(TokenId::Many(ids)) => ids.first().copied().unwrap_or(default),
        None => default,
    })
}
fn bos_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    token_id(d, default_bos())
}
fn eos_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    token_id(d, default_eos())
}
fn pad_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    token_id(d, 0)
}

/// ALBERT configuration; deserializes an HF `config.json` (keys HF may omit take the defaults
/// of HF's `AlbertConfig`, i.e. ALBERT-xxlarge sizes).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct AlbertConfig {
    /// Activation of the feed-forward blocks and of the MLM transform.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on attention probabilities.
    #[serde(default)]
    pub attention_probs_dropout_prob: f64,
    /// Dropout before the classification heads (HF default 0.1).
    #[serde(default = "default_classifier_dropout")]
    pub classifier_dropout_prob: Option<f64>,
    /// Beginning-of-sequence token id (`[CLS]`).
    #[serde(default = "default_bos", deserialize_with = "bos_id")]
    pub bos_token_id: i64,
    /// End-of-sequence token id (`[SEP]`); the first one when the config lists several.
    #[serde(default = "default_eos", deserialize_with = "eos_id")]
    pub eos_token_id: i64,
    /// Width of the factorised token embeddings (smaller than `hidden_size`).
    #[serde(default = "default_embedding_size")]
    pub embedding_size: i64,
    /// Dropout on hidden states.
    #[serde(default)]
    pub hidden_dropout_prob: f64,
    /// Hidden size of the encoder.
    #[serde(default = "default_hidden_size")]
    pub hidden_size: i64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f32,
    /// Number of layers inside each shared group.
    #[serde(default = "default_one")]
    pub inner_group_num: i64,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_intermediate_size")]
    pub intermediate_size: i64,
    /// LayerNorm epsilon (HF default 1e-12); used by every LayerNorm, never hard-coded.
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Number of learned positions (the longest input).
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads")]
    pub num_attention_heads: i64,
    /// Number of groups of shared weights the layers map onto.
    #[serde(default = "default_one")]
    pub num_hidden_groups: i64,
    /// Number of layers run (each runs the `inner_group_num` layers of its group).
    #[serde(default = "default_layers")]
    pub num_hidden_layers: i64,
    /// Padding token id (`null` in config.json reads as 0).
    #[serde(default, deserialize_with = "pad_id")]
    pub pad_token_id: i64,
    /// Number of token types (segments).
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: i64,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Unused by ALBERT (an encoder only); kept for rust-bert compatibility.
    #[serde(default)]
    pub is_decoder: Option<bool>,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Whether the MLM decoder shares the word embeddings (HF default true).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
}

impl Config for AlbertConfig {
    fn initializer_std(&self) -> f64 {
        f64::from(self.initializer_range)
    }

    fn validate(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("ALBERT")
            .positive("vocab_size", self.vocab_size)
            .positive("embedding_size", self.embedding_size)
            .positive("hidden_size", self.hidden_size)
            .positive("intermediate_size", self.intermediate_size)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .positive("num_attention_heads", self.num_attention_heads)
            .divides(
                "num_attention_heads",
                self.num_attention_heads,
                "hidden_size",
                self.hidden_size,
            )
            .non_negative("num_hidden_layers", self.num_hidden_layers)
            .positive("num_hidden_groups", self.num_hidden_groups)
            .positive("inner_group_num", self.inner_group_num)
            .non_negative("type_vocab_size", self.type_vocab_size)
            .finite("layer_norm_eps", self.layer_norm_eps.unwrap_or(1e-12))
            .finish()
    }
}

impl Default for AlbertConfig {
    fn default() -> Self {
        Self {
            hidden_act: default_act(),
            attention_probs_dropout_prob: 0.0,
            classifier_dropout_prob: default_classifier_dropout(),
            bos_token_id: default_bos(),
            eos_token_id: default_eos(),
            embedding_size: default_embedding_size(),
            hidden_dropout_prob: 0.0,
            hidden_size: default_hidden_size(),
            initializer_range: default_initializer_range(),
            inner_group_num: 1,
            intermediate_size: default_intermediate_size(),
            layer_norm_eps: None,
            max_position_embeddings: default_positions(),
            num_attention_heads: default_heads(),
            num_hidden_groups: 1,
            num_hidden_layers: default_layers(),
            pad_token_id: 0,
            type_vocab_size: default_type_vocab(),
            vocab_size: default_vocab(),
            output_attentions: None,
            output_hidden_states: None,
            is_decoder: None,
            id2label: None,
            label2id: None,
            tie_word_embeddings: None,
        }
    }
}

impl AlbertConfig {
    /// The LayerNorm epsilon of the config, or HF's default.
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-12)
    }

    /// Number of labels of a classification head, from `id2label`.
    fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }

    fn classifier_dropout(&self) -> Dropout {
        Dropout::new(
            self.classifier_dropout_prob
                .unwrap_or(self.hidden_dropout_prob),
        )
    }

    /// Why the encoder cannot be built from this configuration, if it cannot.
    pub(crate) fn check_encoder(&self) -> Option<String> {
        if self.num_hidden_groups < 1 {
            return Some(format!(
                "num_hidden_groups = {} in the ALBERT configuration; expected at least 1",
                self.num_hidden_groups
            ));
        }
        if self.num_attention_heads < 1 || self.hidden_size % self.num_attention_heads != 0 {
            return Some(format!(
                "hidden_size = {} is not a multiple of num_attention_heads = {} in the ALBERT \
                 configuration",
                self.hidden_size, self.num_attention_heads
            ));
        }
        None
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
}

/// Output of [`AlbertModel`].
#[derive(Debug)]
pub struct AlbertOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// `tanh(pooler(h[:, 0]))` `[batch, hidden]`.
    pub pooled_output: Tensor,
    /// When `output_hidden_states`: the embeddings mapped to `hidden_size` (the input of the first
    /// layer), then the output of every layer call, `1 + num_hidden_layers * inner_group_num`
    /// tensors (HF 5.x).
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// When `output_attentions`: per layer (`num_hidden_layers`), the attention probabilities of
    /// its `inner_group_num` inner layers; flattened, they are HF's `attentions`.
    pub all_attentions: Option<Vec<Vec<Tensor>>>,
}

/// Output of the encoder without the pooler, what the heads use.
struct AlbertEncoded {
    hidden_state: Tensor,
    all_hidden_states: Option<Vec<Tensor>>,
    all_attentions: Option<Vec<Vec<Tensor>>>,
}

/// The ALBERT encoder: factorised embeddings (`embeddings`, width `embedding_size`), the
/// shared-layer encoder (`encoder`) and a tanh pooler (`pooler`).
#[derive(Debug)]
pub struct AlbertModel {
    embeddings: TransformerEmbeddings,
    encoder: AlbertTransformer,
    pooler: Option<nn::Linear>,
}

/// ALBERT as a sentence-transformers encoder (the base model; pooling is done by the pipeline).
pub type AlbertForSentenceEmbeddings = AlbertModel;

impl AlbertModel {
    /// Builds the model with its pooler under `p` (variables `embeddings`, `encoder`, `pooler`).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &AlbertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        Self::new_with_optional_pooler(p, config, true)
    }

    /// Builds the model, with or without the pooler (HF builds token-level heads without it, and
    /// their checkpoints have no `albert.pooler`). Crate-private: [`AlbertModel::forward_t`]
    /// always returns a pooled output.
    pub(crate) fn new_with_optional_pooler<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &AlbertConfig,
        add_pooling_layer: bool,
    ) -> Self {
        let p = p.borrow();
        Self {
            embeddings: TransformerEmbeddings::new(p / "embeddings", &config.embeddings_config()),
            encoder: AlbertTransformer::new(p / "encoder", config),
            pooler: add_pooling_layer
                .then(|| linear(p / "pooler", config.hidden_size, config.hidden_size)),
        }
    }

    /// Runs the model.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, embedding_size]` (exactly
    ///   one);
    /// * `mask` `[batch, seq]` of 1 (token) / 0 (padding), or `[batch, seq, seq]`;
    /// * `token_type_ids`, `position_ids` default to zeros and `0..seq`.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<AlbertOutput, RustBertError> {
        let encoded = self.encode(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let pooled_output = self.pooled(&encoded)?;
        Ok(AlbertOutput {
            hidden_state: encoded.hidden_state,
            pooled_output,
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
        })
    }

    fn encode(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<AlbertEncoded, RustBertError> {
        let embedding_output = self.embeddings.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let bias = encoder_attention_bias(&embedding_output, mask)?;
        let output = self
            .encoder
            .forward_t(&embedding_output, bias.as_ref(), train)?;
        Ok(AlbertEncoded {
            hidden_state: output.hidden_state,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    fn pooled(&self, encoded: &AlbertEncoded) -> Result<Tensor, RustBertError> {
        let pooler = self.pooler.as_ref().ok_or_else(|| {
            RustBertError::ValueError("the ALBERT model was built without a pooler".into())
        })?;
        Ok(pooler.forward(&encoded.hidden_state.select(1, 0)).tanh())
    }
}

/// The MLM head: `dense` to `embedding_size`, activation, `LayerNorm`, then a decoder onto the
/// vocabulary (HF `AlbertMLMHead`).
///
/// With tied weights (HF default) the decoder's weight is the word embedding matrix and its bias
/// is `predictions.bias` (HF saves only that one). Untied, HF 5.x ties nothing: the decoder uses
/// its own `decoder.weight` and `decoder.bias`, and `predictions.bias` is never read.
#[derive(Debug)]
pub struct AlbertMLMHead {
    dense: nn::Linear,
    activation: Activation,
    layer_norm: nn::LayerNorm,
    decoder_weight: Tensor,
    decoder_bias: Tensor,
}

impl AlbertMLMHead {
    /// Builds the head under `p` (`predictions` in HF checkpoints); `word_embeddings`
    /// (`[vocab, embedding_size]`) is the decoder weight when weights are tied.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &AlbertConfig,
        word_embeddings: &Tensor,
    ) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        let zero = nn::Init::Const(0.0);
        let (decoder_weight, decoder_bias) = if config.tie_word_embeddings.unwrap_or(true) {
            (
                word_embeddings.shallow_clone(),
                p.var("bias", &[config.vocab_size], zero),
            )
        } else {
            let decoder = p / "decoder";
            (
                decoder.var("weight", &[config.vocab_size, config.embedding_size], zero),
                decoder.var("bias", &[config.vocab_size], zero),
            )
        };
        Self {
            dense: linear(p / "dense", config.hidden_size, config.embedding_size),
            activation: config.hidden_act,
            layer_norm: nn::layer_norm(
                p / "LayerNorm",
                vec![config.embedding_size],
                layer_norm_config,
            ),
            decoder_weight,
            decoder_bias,
        }
    }

    /// Vocabulary logits `[..., vocab]` of hidden states `[..., hidden]`.
    pub fn forward(&self, hidden_states: &Tensor) -> Tensor {
        self.activation
            .apply(&self.dense.forward(hidden_states))
            .apply(&self.layer_norm)
            .linear(&self.decoder_weight, Some(&self.decoder_bias))
    }
}

/// Output of [`AlbertForMaskedLM`].
#[derive(Debug)]
pub struct AlbertMaskedLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub prediction_scores: Tensor,
    /// Hidden states (see [`AlbertOutput::all_hidden_states`]), when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities (see [`AlbertOutput::all_attentions`]), when asked.
    pub all_attentions: Option<Vec<Vec<Tensor>>>,
}

/// ALBERT with a masked-language-model head (variables `albert`, `predictions`; no pooler, as
/// in HF).
#[derive(Debug)]
pub struct AlbertForMaskedLM {
    albert: AlbertModel,
    predictions: AlbertMLMHead,
}

impl AlbertForMaskedLM {
    /// Builds the model under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &AlbertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        let albert = AlbertModel::new_with_optional_pooler(p / "albert", config, false);
        let predictions = AlbertMLMHead::new(
            p / "predictions",
            config,
            albert.embeddings.word_embeddings_weight(),
        );
        Self {
            albert,
            predictions,
        }
    }

    /// Vocabulary logits for every position (arguments as [`AlbertModel::forward_t`]).
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<AlbertMaskedLMOutput, RustBertError> {
        let encoded = self.albert.encode(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(AlbertMaskedLMOutput {
            prediction_scores: self.predictions.forward(&encoded.hidden_state),
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
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
        ) -> AlbertMaskedLMOutput = try_forward_t
    }
}

/// Output of [`AlbertForSequenceClassification`] and [`AlbertForMultipleChoice`].
#[derive(Debug)]
pub struct AlbertSequenceClassificationOutput {
    /// Class logits `[batch, num_labels]` (`[batch, num_choices]` for multiple choice).
    pub logits: Tensor,
    /// Hidden states (see [`AlbertOutput::all_hidden_states`]), when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities (see [`AlbertOutput::all_attentions`]), when asked.
    pub all_attentions: Option<Vec<Vec<Tensor>>>,
}

/// ALBERT with a classifier on the pooled first token (variables `albert`, `classifier`).
#[derive(Debug)]
pub struct AlbertForSequenceClassification {
    albert: AlbertModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl AlbertForSequenceClassification {
    /// Builds the model; errors when the configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &AlbertConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            albert: AlbertModel::new(p / "albert", config),
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Class logits for each sequence (arguments as [`AlbertModel::forward_t`]).
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<AlbertSequenceClassificationOutput, RustBertError> {
        let encoded = self.albert.encode(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let pooled = self.albert.pooled(&encoded)?;
        Ok(AlbertSequenceClassificationOutput {
            logits: self
                .dropout
                .forward_t(&pooled, train)
                .apply(&self.classifier),
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
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
        ) -> AlbertSequenceClassificationOutput = try_forward_t
    }
}

/// ALBERT scoring each choice of a multiple-choice question (variables `albert`, `classifier`).
#[derive(Debug)]
pub struct AlbertForMultipleChoice {
    albert: AlbertModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl AlbertForMultipleChoice {
    /// Builds the model under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &AlbertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        Self {
            albert: AlbertModel::new(p / "albert", config),
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, 1),
        }
    }

    /// Scores choices: `input_ids` `[batch, num_choices, seq]` (or `input_embeds`
    /// `[batch, num_choices, seq, embedding_size]`), the other inputs `[batch, num_choices, seq]`;
    /// logits `[batch, num_choices]`.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<AlbertSequenceClassificationOutput, RustBertError> {
        let choices =
            ChoiceInputs::flatten(input_ids, mask, token_type_ids, position_ids, input_embeds)?;
        let encoded = self.albert.encode(
            choices.input_ids.as_ref(),
            choices.mask.as_ref(),
            choices.token_type_ids.as_ref(),
            choices.position_ids.as_ref(),
            choices.input_embeds.as_ref(),
            train,
        )?;
        let scores = self
            .dropout
            .forward_t(&self.albert.pooled(&encoded)?, train)
            .apply(&self.classifier);
        let logits = choices.logits(&scores)?;
        Ok(AlbertSequenceClassificationOutput {
            logits,
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
        })
    }
}

/// Output of [`AlbertForTokenClassification`].
#[derive(Debug)]
pub struct AlbertTokenClassificationOutput {
    /// Label logits for every token `[batch, seq, num_labels]`.
    pub logits: Tensor,
    /// Hidden states (see [`AlbertOutput::all_hidden_states`]), when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities (see [`AlbertOutput::all_attentions`]), when asked.
    pub all_attentions: Option<Vec<Vec<Tensor>>>,
}

/// ALBERT labelling each token (NER, POS; variables `albert`, `classifier`; no pooler, as in HF).
#[derive(Debug)]
pub struct AlbertForTokenClassification {
    albert: AlbertModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl AlbertForTokenClassification {
    /// Builds the model; errors when the configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &AlbertConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            albert: AlbertModel::new_with_optional_pooler(p / "albert", config, false),
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Label logits for every token (arguments as [`AlbertModel::forward_t`]).
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<AlbertTokenClassificationOutput, RustBertError> {
        let encoded = self.albert.encode(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(AlbertTokenClassificationOutput {
            logits: self
                .dropout
                .forward_t(&encoded.hidden_state, train)
                .apply(&self.classifier),
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
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
        ) -> AlbertTokenClassificationOutput = try_forward_t
    }
}

/// Output of [`AlbertForQuestionAnswering`].
#[derive(Debug)]
pub struct AlbertQuestionAnsweringOutput {
    /// Logit of each token starting the answer `[batch, seq]`.
    pub start_logits: Tensor,
    /// Logit of each token ending the answer `[batch, seq]`.
    pub end_logits: Tensor,
    /// Hidden states (see [`AlbertOutput::all_hidden_states`]), when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities (see [`AlbertOutput::all_attentions`]), when asked.
    pub all_attentions: Option<Vec<Vec<Tensor>>>,
}

/// ALBERT predicting answer spans (variables `albert`, `qa_outputs`; no pooler, as in HF).
#[derive(Debug)]
pub struct AlbertForQuestionAnswering {
    albert: AlbertModel,
    qa_outputs: nn::Linear,
}

impl AlbertForQuestionAnswering {
    /// Builds the model under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &AlbertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        Self {
            albert: AlbertModel::new_with_optional_pooler(p / "albert", config, false),
            qa_outputs: linear(p / "qa_outputs", config.hidden_size, 2),
        }
    }

    /// Start and end logits of every token (arguments as [`AlbertModel::forward_t`]).
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<AlbertQuestionAnsweringOutput, RustBertError> {
        let encoded = self.albert.encode(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let logits = self.qa_outputs.forward(&encoded.hidden_state);
        Ok(AlbertQuestionAnsweringOutput {
            start_logits: logits.select(-1, 0),
            end_logits: logits.select(-1, 1),
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
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
        ) -> AlbertQuestionAnsweringOutput = try_forward_t
    }
}
