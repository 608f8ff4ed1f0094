use crate::bert::{
    BertConfig, BertEmbedding, BertMaskedLMOutput, BertPooler, BertQuestionAnsweringOutput,
    BertSequenceClassificationOutput, BertTokenClassificationOutput,
};
use crate::common::activations::Activation;
use crate::common::layers::{encoder_attention_bias, linear, ChoiceInputs, Dropout};
use crate::common::twin::{infallible_new, infallible_twin};
use crate::mpnet::encoder::MPNetEncoder;
use crate::roberta::{RobertaClassificationHead, RobertaEmbeddings, RobertaLMHead};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Module};
use tch::Tensor;

/// Pretrained MPNet weights on the hub, as `(cache subdirectory, URL)`.
pub struct MPNetModelResources;
/// Pretrained MPNet configurations on the hub, as `(cache subdirectory, URL)`.
pub struct MPNetConfigResources;
/// Pretrained MPNet vocabularies on the hub, as `(cache subdirectory, URL)`.
pub struct MPNetVocabResources;

macro_rules! mpnet_resources {
    ($name:ident, $suffix:literal, $base_file:literal, $st_file:literal) => {
        impl $name {
            /// microsoft/mpnet-base (Song et al.), the pretrained masked and permuted LM.
            pub const MPNET_BASE: (&'static str, &'static str) = (
                concat!("mpnet-base/", $suffix),
                concat!(
                    "https://huggingface.co/microsoft/mpnet-base/resolve/main/",
                    $base_file
                ),
            );
            /// sentence-transformers/all-mpnet-base-v2, the sentence-embeddings encoder.
            pub const ALL_MPNET_BASE_V2: (&'static str, &'static str) = (
                concat!("all-mpnet-base-v2/", $suffix),
                concat!(
                    "https://huggingface.co/sentence-transformers/all-mpnet-base-v2/resolve/main/",
                    $st_file
                ),
            );
        }
    };
}
mpnet_resources!(
    MPNetModelResources,
    "model",
    "pytorch_model.bin",
    "model.safetensors"
);
mpnet_resources!(MPNetConfigResources, "config", "config.json", "config.json");
mpnet_resources!(MPNetVocabResources, "vocab", "vocab.txt", "vocab.txt");

// HF 5.24 `MPNetConfig` defaults (mpnet-base sizes), for keys a config.json may omit.
fn default_act() -> Activation {
    Activation::gelu
}
fn default_dropout() -> f64 {
    0.1
}
fn default_hidden_size() -> i64 {
    768
}
fn default_initializer_range() -> f32 {
    0.02
}
fn default_intermediate_size() -> i64 {
    3072
}
fn default_positions() -> i64 {
    512
}
fn default_heads_layers() -> i64 {
    12
}
fn default_vocab() -> i64 {
    30527
}
fn default_buckets() -> i64 {
    32
}

/// MPNet's padding index: HF's `MPNetEmbeddings` fixes it at 1 (`<pad>` in MPNet's vocabulary)
/// whatever `pad_token_id` says, and counts positions from it as RoBERTa does.
const PADDING_INDEX: i64 = 1;

/// MPNet configuration; deserializes an HF `config.json` (keys HF may omit take the defaults of
/// HF's `MPNetConfig`).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct MPNetConfig {
    /// Activation of the feed-forward blocks.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Dropout on hidden states (and before the classification heads).
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Hidden size.
    #[serde(default = "default_hidden_size")]
    pub hidden_size: i64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f32,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_intermediate_size")]
    pub intermediate_size: i64,
    /// Number of learned positions; positions start after the padding index 1, so
    /// `max_position_embeddings - 2` tokens fit.
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads_layers")]
    pub num_attention_heads: i64,
    /// Number of layers.
    #[serde(default = "default_heads_layers")]
    pub num_hidden_layers: i64,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Rows of the relative position bias table (HF default 32). HF buckets positions into 32
    /// whatever this says, so a table of fewer rows fails on long enough inputs (in HF too).
    #[serde(default = "default_buckets")]
    pub relative_attention_num_buckets: i64,
    /// LayerNorm epsilon (HF default 1e-12); used by every LayerNorm, never hard-coded.
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Padding token id (informational: the embeddings pad at 1, as HF's).
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Beginning-of-sequence token id.
    #[serde(default)]
    pub bos_token_id: Option<i64>,
    /// End-of-sequence token id.
    #[serde(default)]
    pub eos_token_id: Option<i64>,
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
    /// Whether the LM head's decoder shares the word embeddings (HF default true).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
}

impl Config for MPNetConfig {
    fn initializer_std(&self) -> f64 {
        f64::from(self.initializer_range)
    }

    fn validate(&self) -> Result<(), RustBertError> {
        self.check()
    }
}

impl Default for MPNetConfig {
    fn default() -> Self {
        Self {
            hidden_act: default_act(),
            attention_probs_dropout_prob: default_dropout(),
            hidden_dropout_prob: default_dropout(),
            hidden_size: default_hidden_size(),
            initializer_range: default_initializer_range(),
            intermediate_size: default_intermediate_size(),
            max_position_embeddings: default_positions(),
            num_attention_heads: default_heads_layers(),
            num_hidden_layers: default_heads_layers(),
            vocab_size: default_vocab(),
            relative_attention_num_buckets: default_buckets(),
            layer_norm_eps: Some(1e-12),
            pad_token_id: Some(PADDING_INDEX),
            bos_token_id: Some(0),
            eos_token_id: Some(2),
            output_attentions: None,
            output_hidden_states: None,
            id2label: None,
            label2id: None,
            tie_word_embeddings: None,
        }
    }
}

impl MPNetConfig {
    /// The LayerNorm epsilon of the config, or HF's default.
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-12)
    }

    /// Why no model can be built from this configuration, if none can: sizes that are not
    /// positive, heads that do not divide the hidden size, a negative or non-finite epsilon.
    pub fn check(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("MPNet")
            .positive("vocab_size", self.vocab_size)
            .positive("hidden_size", self.hidden_size)
            .positive("intermediate_size", self.intermediate_size)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .positive("num_attention_heads", self.num_attention_heads)
            .positive(
                "relative_attention_num_buckets",
                self.relative_attention_num_buckets,
            )
            .non_negative("num_hidden_layers", self.num_hidden_layers)
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

    /// The same sizes as a BERT configuration, for the pieces MPNet shares with BERT and
    /// RoBERTa: RoBERTa's embeddings without token types (padding index 1), BERT's pooler,
    /// RoBERTa's LM and classification heads.
    fn bert_config(&self) -> BertConfig {
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
            type_vocab_size: 0,
            vocab_size: self.vocab_size,
            output_attentions: self.output_attentions,
            output_hidden_states: self.output_hidden_states,
            id2label: self.id2label.clone(),
            label2id: self.label2id.clone(),
            layer_norm_eps: Some(self.layer_norm_eps()),
            pad_token_id: Some(PADDING_INDEX),
            tie_word_embeddings: self.tie_word_embeddings,
            ..BertConfig::default()
        }
    }
}

/// Output of [`MPNetModel`].
#[derive(Debug)]
pub struct MPNetModelOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// Pooled first token `[batch, hidden]` (`tanh(dense(h[:, 0]))`), when the model has a
    /// pooler.
    pub pooled_output: Option<Tensor>,
    /// Embedding output and the output of every layer, when `output_hidden_states`.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when `output_attentions`.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The MPNet encoder (variables `embeddings`, `encoder`, `pooler`): RoBERTa-style embeddings
/// without token types, post-norm layers whose attention scores get a relative position bias
/// shared by every layer, and BERT's pooler.
#[derive(Debug)]
pub struct MPNetModel {
    embeddings: RobertaEmbeddings,
    encoder: MPNetEncoder,
    pooler: Option<BertPooler>,
}

impl MPNetModel {
    infallible_new!(MPNetConfig);

    /// Builds the model with its pooler under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MPNetConfig,
    ) -> Result<MPNetModel, RustBertError> {
        let _init = crate::common::config::building(config)?;
        Self::new_with_optional_pooler(p, config, true)
    }

    /// Builds the model with or without the pooler (HF's heads other than multiple choice
    /// have none); an invalid configuration is an error.
    pub fn new_with_optional_pooler<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MPNetConfig,
        add_pooling_layer: bool,
    ) -> Result<MPNetModel, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.check()?;
        let p = p.borrow();
        let bert_config = config.bert_config();
        Ok(Self {
            embeddings: RobertaEmbeddings::new(p / "embeddings", &bert_config),
            encoder: MPNetEncoder::new(p / "encoder", config),
            pooler: add_pooling_layer.then(|| BertPooler::new(p / "pooler", &bert_config)),
        })
    }

    /// The word embedding matrix `[vocab, hidden]` (tied to the LM head's decoder).
    fn word_embeddings_weight(&self) -> &Tensor {
        self.embeddings.word_embeddings_weight()
    }

    /// Runs the model.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, hidden]` (exactly one);
    /// * `mask` `[batch, seq]` of 1 (token) / 0 (padding), or `[batch, seq, seq]`;
    /// * `position_ids` default to RoBERTa's (counted from 2, padding at 1).
    ///
    /// MPNet has no token types (HF's tokenizer returns none). Bad inputs (shapes, ids out of
    /// range, an empty or too long sequence) are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<MPNetModelOutput, RustBertError> {
        let embeddings =
            self.embeddings
                .forward_t(input_ids, None, position_ids, input_embeds, train)?;
        let padding_bias = encoder_attention_bias(&embeddings, mask)?;
        let encoded = self
            .encoder
            .forward_t(&embeddings, padding_bias.as_ref(), train)?;
        let pooled_output = self
            .pooler
            .as_ref()
            .map(|pooler| pooler.forward(&encoded.hidden_state));
        Ok(MPNetModelOutput {
            hidden_state: encoded.hidden_state,
            pooled_output,
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
        })
    }
}

/// Output of [`MPNetForMaskedLM`].
pub type MPNetMaskedLMOutput = BertMaskedLMOutput;
/// Output of [`MPNetForSequenceClassification`] and [`MPNetForMultipleChoice`].
pub type MPNetSequenceClassificationOutput = BertSequenceClassificationOutput;
/// Output of [`MPNetForTokenClassification`].
pub type MPNetTokenClassificationOutput = BertTokenClassificationOutput;
/// Output of [`MPNetForQuestionAnswering`].
pub type MPNetQuestionAnsweringOutput = BertQuestionAnsweringOutput;

/// MPNet as a masked language model (variables `mpnet`, `lm_head`). The head is RoBERTa's:
/// `dense`, exact gelu, `layer_norm`, then the decoder, whose weight is the word embedding
/// matrix unless `tie_word_embeddings` is false (its bias is `lm_head.bias`).
#[derive(Debug)]
pub struct MPNetForMaskedLM {
    mpnet: MPNetModel,
    lm_head: RobertaLMHead,
}

impl MPNetForMaskedLM {
    infallible_new!(MPNetConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MPNetConfig,
    ) -> Result<MPNetForMaskedLM, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let mpnet = MPNetModel::new_with_optional_pooler(p / "mpnet", config, false)?;
        let lm_head = RobertaLMHead::new(
            p / "lm_head",
            &config.bert_config(),
            mpnet.word_embeddings_weight(),
        );
        Ok(Self { mpnet, lm_head })
    }

    /// Vocabulary logits for every position `[batch, seq, vocab]` (arguments as
    /// [`MPNetModel::forward_t`]); bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<MPNetMaskedLMOutput, RustBertError> {
        let output = self
            .mpnet
            .forward_t(input_ids, mask, position_ids, input_embeds, train)?;
        Ok(MPNetMaskedLMOutput {
            prediction_scores: self.lm_head.forward(&output.hidden_state),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`]: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> MPNetMaskedLMOutput = try_forward_t
    }
}

/// MPNet classifying whole sequences (variables `mpnet`, `classifier`): on the first token
/// (`<s>`), dropout, `dense`, tanh, dropout, `out_proj` (RoBERTa's head).
#[derive(Debug)]
pub struct MPNetForSequenceClassification {
    mpnet: MPNetModel,
    classifier: RobertaClassificationHead,
}

impl MPNetForSequenceClassification {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MPNetConfig,
    ) -> Result<MPNetForSequenceClassification, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            mpnet: MPNetModel::new_with_optional_pooler(p / "mpnet", config, false)?,
            classifier: RobertaClassificationHead::new(p / "classifier", &config.bert_config())?,
        })
    }

    /// Class logits `[batch, num_labels]` (arguments as [`MPNetModel::forward_t`]); bad inputs
    /// are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<MPNetSequenceClassificationOutput, RustBertError> {
        let output = self
            .mpnet
            .forward_t(input_ids, mask, position_ids, input_embeds, train)?;
        Ok(MPNetSequenceClassificationOutput {
            logits: self.classifier.forward_t(&output.hidden_state, train),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`]: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> MPNetSequenceClassificationOutput = try_forward_t
    }
}

/// MPNet scoring each choice of a multiple-choice question (variables `mpnet`, with its
/// pooler, and `classifier`): the pooled first token, dropout, one logit per choice.
#[derive(Debug)]
pub struct MPNetForMultipleChoice {
    mpnet: MPNetModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl MPNetForMultipleChoice {
    infallible_new!(MPNetConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MPNetConfig,
    ) -> Result<MPNetForMultipleChoice, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            mpnet: MPNetModel::try_new(p / "mpnet", config)?,
            dropout: Dropout::new(config.hidden_dropout_prob),
            classifier: linear(p / "classifier", config.hidden_size, 1),
        })
    }

    /// Scores choices: `input_ids` `[batch, num_choices, seq]` (or `input_embeds`
    /// `[batch, num_choices, seq, hidden]`), `mask` and `position_ids` `[batch, num_choices,
    /// seq]`; logits `[batch, num_choices]`. Bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<MPNetSequenceClassificationOutput, RustBertError> {
        let choices = ChoiceInputs::flatten(input_ids, mask, None, position_ids, input_embeds)?;
        let output = self.mpnet.forward_t(
            choices.input_ids.as_ref(),
            choices.mask.as_ref(),
            choices.position_ids.as_ref(),
            choices.input_embeds.as_ref(),
            train,
        )?;
        let pooled = output.pooled_output.ok_or_else(|| {
            RustBertError::ValueError("the multiple-choice model has no pooler".into())
        })?;
        let scores = self
            .dropout
            .forward_t(&pooled, train)
            .apply(&self.classifier);
        Ok(MPNetSequenceClassificationOutput {
            logits: choices.logits(&scores)?,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`]: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> MPNetSequenceClassificationOutput = try_forward_t
    }
}

/// MPNet labelling each token (NER, POS; variables `mpnet`, `classifier`).
#[derive(Debug)]
pub struct MPNetForTokenClassification {
    mpnet: MPNetModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl MPNetForTokenClassification {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MPNetConfig,
    ) -> Result<MPNetForTokenClassification, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            mpnet: MPNetModel::new_with_optional_pooler(p / "mpnet", config, false)?,
            dropout: Dropout::new(config.hidden_dropout_prob),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Label logits for every token `[batch, seq, num_labels]` (arguments as
    /// [`MPNetModel::forward_t`]); bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<MPNetTokenClassificationOutput, RustBertError> {
        let output = self
            .mpnet
            .forward_t(input_ids, mask, position_ids, input_embeds, train)?;
        Ok(MPNetTokenClassificationOutput {
            logits: self
                .dropout
                .forward_t(&output.hidden_state, train)
                .apply(&self.classifier),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`]: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> MPNetTokenClassificationOutput = try_forward_t
    }
}

/// MPNet predicting answer spans (variables `mpnet`, `qa_outputs`).
#[derive(Debug)]
pub struct MPNetForQuestionAnswering {
    mpnet: MPNetModel,
    qa_outputs: nn::Linear,
}

impl MPNetForQuestionAnswering {
    infallible_new!(MPNetConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MPNetConfig,
    ) -> Result<MPNetForQuestionAnswering, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            mpnet: MPNetModel::new_with_optional_pooler(p / "mpnet", config, false)?,
            // Start and end logits (HF splits `num_labels` outputs into exactly these two).
            qa_outputs: linear(p / "qa_outputs", config.hidden_size, 2),
        })
    }

    /// Start and end logits of every token, each `[batch, seq]` (arguments as
    /// [`MPNetModel::forward_t`]); bad inputs are errors.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<MPNetQuestionAnsweringOutput, RustBertError> {
        let output = self
            .mpnet
            .forward_t(input_ids, mask, position_ids, input_embeds, train)?;
        let logits = self.qa_outputs.forward(&output.hidden_state);
        Ok(MPNetQuestionAnsweringOutput {
            start_logits: logits.select(-1, 0),
            end_logits: logits.select(-1, 1),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`]: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> MPNetQuestionAnsweringOutput = try_forward_t
    }
}
