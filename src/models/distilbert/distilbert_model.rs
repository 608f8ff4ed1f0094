use crate::common::activations::Activation;
use crate::common::layers::summary::flatten_choices;
use crate::common::layers::{encoder_attention_bias, linear, Dropout};
use crate::distilbert::embeddings::DistilBertEmbedding;
use crate::distilbert::transformer::{DistilBertTransformerOutput, Transformer};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Module};
use tch::Tensor;

/// Epsilon of every DistilBERT LayerNorm. HF hard-codes it (its config has no epsilon key), so
/// no checkpoint can use another value.
pub(crate) const LAYER_NORM_EPS: f64 = 1e-12;

/// Pretrained DistilBERT weights on the hub, as `(cache subdirectory, URL)`.
pub struct DistilBertModelResources;
/// Pretrained DistilBERT configurations on the hub, as `(cache subdirectory, URL)`.
pub struct DistilBertConfigResources;
/// Pretrained DistilBERT vocabularies on the hub, as `(cache subdirectory, URL)`.
pub struct DistilBertVocabResources;

macro_rules! hub_resources {
    ($name:ident, $suffix:literal, $file:literal) => {
        impl $name {
            /// distilbert-base-uncased fine-tuned on SST-2 (sentiment; HF).
            pub const DISTIL_BERT_SST2: (&'static str, &'static str) = (
                concat!("distilbert-sst2/", $suffix),
                concat!(
                    "https://huggingface.co/distilbert-base-uncased-finetuned-sst-2-english/resolve/main/",
                    $file
                ),
            );
            /// distilbert-base-uncased (Sanh et al.; HF).
            pub const DISTIL_BERT: (&'static str, &'static str) = (
                concat!("distilbert/", $suffix),
                concat!(
                    "https://huggingface.co/distilbert-base-uncased/resolve/main/",
                    $file
                ),
            );
            /// distilbert-base-cased distilled on SQuAD (question answering; HF).
            pub const DISTIL_BERT_SQUAD: (&'static str, &'static str) = (
                concat!("distilbert-qa/", $suffix),
                concat!(
                    "https://huggingface.co/distilbert-base-cased-distilled-squad/resolve/main/",
                    $file
                ),
            );
            /// sentence-transformers distiluse-base-multilingual-cased.
            pub const DISTILUSE_BASE_MULTILINGUAL_CASED: (&'static str, &'static str) = (
                concat!("distiluse-base-multilingual-cased/", $suffix),
                concat!(
                    "https://huggingface.co/sentence-transformers/distiluse-base-multilingual-cased/resolve/main/",
                    $file
                ),
            );
        }
    };
}
hub_resources!(DistilBertModelResources, "model", "rust_model.ot");
hub_resources!(DistilBertConfigResources, "config", "config.json");

// The vocabularies of two models live in the BERT repositories they were distilled from.
impl DistilBertVocabResources {
    /// Vocabulary of distilbert-base-uncased fine-tuned on SST-2.
    pub const DISTIL_BERT_SST2: (&'static str, &'static str) = (
        "distilbert-sst2/vocab",
        "https://huggingface.co/distilbert-base-uncased-finetuned-sst-2-english/resolve/main/vocab.txt",
    );
    /// Vocabulary of distilbert-base-uncased (bert-base-uncased's WordPiece vocabulary).
    pub const DISTIL_BERT: (&'static str, &'static str) = (
        "distilbert/vocab",
        "https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt",
    );
    /// Vocabulary of the SQuAD model (bert-large-cased's WordPiece vocabulary).
    pub const DISTIL_BERT_SQUAD: (&'static str, &'static str) = (
        "distilbert-qa/vocab",
        "https://huggingface.co/bert-large-cased/resolve/main/vocab.txt",
    );
    /// Vocabulary of distiluse-base-multilingual-cased.
    pub const DISTILUSE_BASE_MULTILINGUAL_CASED: (&'static str, &'static str) = (
        "distiluse-base-multilingual-cased/vocab",
        "https://huggingface.co/sentence-transformers/distiluse-base-multilingual-cased/resolve/main/vocab.txt",
    );
}

fn default_activation() -> Activation {
    Activation::gelu
}
fn default_dropout() -> f64 {
    0.1
}
fn default_dim() -> i64 {
    768
}
fn default_hidden_dim() -> i64 {
    3072
}
fn default_init() -> f32 {
    0.02
}
fn default_positions() -> i64 {
    512
}
fn default_heads() -> i64 {
    12
}
fn default_layers() -> i64 {
    6
}
fn default_seq_classif_dropout() -> f64 {
    0.2
}
fn default_true() -> bool {
    true
}
fn default_vocab() -> i64 {
    30522
}

/// DistilBERT configuration; deserializes an HF `config.json`, old (with `tie_weights_`,
/// `output_past`) or as HF 5.x writes it (keys it omits take HF's defaults).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct DistilBertConfig {
    /// Activation of the feed-forward blocks and of the masked-LM transform.
    #[serde(default = "default_activation")]
    pub activation: Activation,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_dropout: f64,
    /// Hidden size.
    #[serde(default = "default_dim")]
    pub dim: i64,
    /// Dropout on hidden states (embeddings, feed-forward output, token classifier).
    #[serde(default = "default_dropout")]
    pub dropout: f64,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_hidden_dim")]
    pub hidden_dim: i64,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_init")]
    pub initializer_range: f32,
    /// Present in old configs; DistilBERT is never a decoder.
    #[serde(default)]
    pub is_decoder: Option<bool>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Number of positions (the longest input).
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads")]
    pub n_heads: i64,
    /// Number of layers.
    #[serde(default = "default_layers")]
    pub n_layers: i64,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Present in old configs; unused (DistilBERT keeps no cache).
    #[serde(default)]
    pub output_past: Option<bool>,
    /// Dropout before the question-answering projection.
    #[serde(default = "default_dropout")]
    pub qa_dropout: f64,
    /// Dropout before the sequence classifier.
    #[serde(default = "default_seq_classif_dropout")]
    pub seq_classif_dropout: f64,
    /// Whether the position table starts as sinusoids (HF init; a checkpoint overwrites it).
    #[serde(default)]
    pub sinusoidal_pos_embds: bool,
    /// Key of old configs (HF 5.x no longer writes it; its old default, true, when absent).
    /// Tying follows `tie_word_embeddings`, as in HF 5.x.
    #[serde(default = "default_true")]
    pub tie_weights_: bool,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Padding token id.
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Whether the masked-LM projector shares the word embeddings (HF default true).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
}

impl Config for DistilBertConfig {
    fn initializer_std(&self) -> f64 {
        f64::from(self.initializer_range)
    }

    fn validate(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("DistilBERT")
            .positive("vocab_size", self.vocab_size)
            .positive("dim", self.dim)
            .positive("hidden_dim", self.hidden_dim)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .positive("n_heads", self.n_heads)
            .divides("n_heads", self.n_heads, "dim", self.dim)
            .non_negative("n_layers", self.n_layers)
            .probability("dropout", self.dropout)
            .probability("attention_dropout", self.attention_dropout)
            .finish()
    }
}

impl Default for DistilBertConfig {
    fn default() -> Self {
        Self {
            activation: Activation::gelu,
            attention_dropout: 0.1,
            dim: 768,
            dropout: 0.1,
            hidden_dim: 3072,
            id2label: None,
            initializer_range: 0.02,
            is_decoder: None,
            label2id: None,
            max_position_embeddings: 512,
            n_heads: 12,
            n_layers: 6,
            output_attentions: None,
            output_hidden_states: None,
            output_past: None,
            qa_dropout: 0.1,
            seq_classif_dropout: 0.2,
            sinusoidal_pos_embds: false,
            tie_weights_: true,
            vocab_size: 30522,
            pad_token_id: Some(0),
            tie_word_embeddings: None,
        }
    }
}

impl DistilBertConfig {
    /// Number of labels of a classification head, from `id2label`.
    fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }

    /// Why the attention cannot be built from this configuration, if it cannot.
    fn attention_error(&self) -> Option<String> {
        (self.n_heads <= 0 || self.dim % self.n_heads != 0).then(|| {
            format!(
                "invalid configuration: n_heads = {} must divide dim = {}",
                self.n_heads, self.dim
            )
        })
    }

    /// Heads to build the layers with: `n_heads`, or 1 when the configuration is invalid, so
    /// that construction (whose rust-bert signature cannot fail) does not panic; the forward
    /// pass then reports [`Self::attention_error`].
    pub(crate) fn heads_for_layers(&self) -> i64 {
        if self.attention_error().is_some() {
            1
        } else {
            self.n_heads
        }
    }
}

/// Output of [`DistilBertModel`] (the name of the naming scheme `XModelOutput`).
pub type DistilBertModelOutput = DistilBertTransformerOutput;

/// The DistilBERT encoder: embeddings and transformer layers, no pooler.
///
/// As in rust-bert, [`DistilBertModel::new`] places its variables under `p / "distilbert"`
/// (HF's `distilbert.embeddings...`, `distilbert.transformer...`); a checkpoint of the bare HF
/// `DistilBertModel` (names without the prefix) loads through
/// [`crate::common::weights::load_weights_from_file`], which adds or drops the prefix.
#[derive(Debug)]
pub struct DistilBertModel {
    embeddings: DistilBertEmbedding,
    transformer: Transformer,
    config_error: Option<String>,
}

/// DistilBERT as a sentence-transformers encoder (the base model; pooling is done by the
/// pipeline).
pub type DistilBertForSentenceEmbeddings = DistilBertModel;

impl DistilBertModel {
    /// Builds the model under `p / "distilbert"`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DistilBertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow() / "distilbert";
        Self {
            embeddings: DistilBertEmbedding::new(&p / "embeddings", config),
            transformer: Transformer::new(&p / "transformer", config),
            config_error: config.attention_error(),
        }
    }

    /// The embedding block.
    pub fn embeddings(&self) -> &DistilBertEmbedding {
        &self.embeddings
    }

    /// Runs the model.
    ///
    /// * `input` `[batch, seq]` token ids, or `input_embeds` `[batch, seq, dim]` (exactly one);
    /// * `mask` `[batch, seq]` of 1 (token) / 0 (padding), or `[batch, seq, seq]`; none: every
    ///   position is attended.
    pub fn forward_t(
        &self,
        input: Option<&Tensor>,
        mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DistilBertTransformerOutput, RustBertError> {
        self.forward_t_with_position_ids(input, mask, None, input_embeds, train)
    }

    /// [`Self::forward_t`] with explicit `position_ids` (`[batch, seq]` or `[1, seq]`; by
    /// default `0..seq`), as HF's `position_ids` argument.
    pub fn forward_t_with_position_ids(
        &self,
        input: Option<&Tensor>,
        mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DistilBertTransformerOutput, RustBertError> {
        if let Some(error) = &self.config_error {
            return Err(RustBertError::InvalidConfigurationError(error.clone()));
        }
        let embeddings = self
            .embeddings
            .forward_t(input, position_ids, input_embeds, train)?;
        let bias = encoder_attention_bias(&embeddings, mask)?;
        Ok(self
            .transformer
            .forward_t(&embeddings, bias.as_ref(), train))
    }
}

/// Output of [`DistilBertModelMaskedLM`].
#[derive(Debug)]
pub struct DistilBertMaskedLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub prediction_scores: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// DistilBERT with its masked-language-model head: `vocab_transform`, activation,
/// `vocab_layer_norm`, then `vocab_projector`, whose weight is the word embedding matrix unless
/// `tie_word_embeddings` is false (HF's `_tied_weights_keys`: HF 5.x files omit
/// `vocab_projector.weight`; its bias is saved).
#[derive(Debug)]
pub struct DistilBertModelMaskedLM {
    distil_bert_model: DistilBertModel,
    vocab_transform: nn::Linear,
    activation: Activation,
    vocab_layer_norm: nn::LayerNorm,
    projector_weight: Tensor,
    projector_bias: Tensor,
}

/// The masked-LM model under HF's class name.
pub type DistilBertForMaskedLM = DistilBertModelMaskedLM;

impl DistilBertModelMaskedLM {
    /// Builds the model under `p` (variables `distilbert`, `vocab_transform`,
    /// `vocab_layer_norm`, `vocab_projector`).
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DistilBertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        let distil_bert_model = DistilBertModel::new(p, config);
        let projector = p / "vocab_projector";
        let projector_weight = if config.tie_word_embeddings.unwrap_or(true) {
            distil_bert_model
                .embeddings
                .word_embeddings_weight()
                .shallow_clone()
        } else {
            projector.var(
                "weight",
                &[config.vocab_size, config.dim],
                nn::Init::Const(0.0),
            )
        };
        let layer_norm_config = nn::LayerNormConfig {
            eps: LAYER_NORM_EPS,
            ..Default::default()
        };
        Self {
            vocab_transform: linear(p / "vocab_transform", config.dim, config.dim),
            activation: config.activation,
            vocab_layer_norm: nn::layer_norm(
                p / "vocab_layer_norm",
                vec![config.dim],
                layer_norm_config,
            ),
            projector_bias: projector.var("bias", &[config.vocab_size], nn::Init::Const(0.0)),
            projector_weight,
            distil_bert_model,
        }
    }

    /// Vocabulary logits for every position (arguments as [`DistilBertModel::forward_t`]).
    pub fn forward_t(
        &self,
        input: Option<&Tensor>,
        mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DistilBertMaskedLMOutput, RustBertError> {
        let output = self
            .distil_bert_model
            .forward_t(input, mask, input_embeds, train)?;
        let transformed = self
            .activation
            .apply(&self.vocab_transform.forward(&output.hidden_state))
            .apply(&self.vocab_layer_norm);
        Ok(DistilBertMaskedLMOutput {
            prediction_scores: transformed
                .linear(&self.projector_weight, Some(&self.projector_bias)),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// Output of [`DistilBertModelClassifier`] and [`DistilBertForMultipleChoice`].
#[derive(Debug)]
pub struct DistilBertSequenceClassificationOutput {
    /// Class logits `[batch, num_labels]` (`[batch, num_choices]` for multiple choice).
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// `classifier(dropout(relu(pre_classifier(h[:, 0]))))`: the sentence head of DistilBERT's
/// sequence classification and multiple choice models.
#[derive(Debug)]
struct FirstTokenClassifier {
    pre_classifier: nn::Linear,
    classifier: nn::Linear,
    dropout: Dropout,
}

impl FirstTokenClassifier {
    fn new(p: &nn::Path, config: &DistilBertConfig, num_labels: i64) -> Self {
        Self {
            pre_classifier: linear(p / "pre_classifier", config.dim, config.dim),
            classifier: linear(p / "classifier", config.dim, num_labels),
            dropout: Dropout::new(config.seq_classif_dropout),
        }
    }

    fn forward_t(&self, hidden_state: &Tensor, train: bool) -> Tensor {
        let pooled = self
            .pre_classifier
            .forward(&hidden_state.select(1, 0))
            .relu();
        self.classifier
            .forward(&self.dropout.forward_t(&pooled, train))
    }
}

/// DistilBERT classifying whole sequences (variables `distilbert`, `pre_classifier`,
/// `classifier`).
#[derive(Debug)]
pub struct DistilBertModelClassifier {
    distil_bert_model: DistilBertModel,
    head: FirstTokenClassifier,
}

/// The sequence classifier under HF's class name.
pub type DistilBertForSequenceClassification = DistilBertModelClassifier;

impl DistilBertModelClassifier {
    /// Builds the model under `p`; errors when the configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &DistilBertConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            distil_bert_model: DistilBertModel::new(p, config),
            head: FirstTokenClassifier::new(p, config, num_labels),
        })
    }

    /// Class logits for each sequence (arguments as [`DistilBertModel::forward_t`]).
    pub fn forward_t(
        &self,
        input: Option<&Tensor>,
        mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DistilBertSequenceClassificationOutput, RustBertError> {
        let output = self
            .distil_bert_model
            .forward_t(input, mask, input_embeds, train)?;
        Ok(DistilBertSequenceClassificationOutput {
            logits: self.head.forward_t(&output.hidden_state, train),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// DistilBERT scoring each choice of a multiple-choice question (variables `distilbert`,
/// `pre_classifier`, `classifier`; HF `DistilBertForMultipleChoice`).
#[derive(Debug)]
pub struct DistilBertForMultipleChoice {
    distil_bert_model: DistilBertModel,
    head: FirstTokenClassifier,
}

impl DistilBertForMultipleChoice {
    /// Builds the model under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DistilBertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        Self {
            distil_bert_model: DistilBertModel::new(p, config),
            head: FirstTokenClassifier::new(p, config, 1),
        }
    }

    /// Scores choices: `input` and `mask` are `[batch, num_choices, seq]` (or `input_embeds`
    /// `[batch, num_choices, seq, dim]`); logits are `[batch, num_choices]`.
    pub fn forward_t(
        &self,
        input: Option<&Tensor>,
        mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DistilBertSequenceClassificationOutput, RustBertError> {
        let num_choices = match (input, input_embeds) {
            (Some(ids), _) => ids.size().get(1).copied(),
            (None, Some(embeds)) => embeds.size().get(1).copied(),
            (None, None) => {
                return Err(RustBertError::ValueError(
                    "give one of input_ids or input_embeds".into(),
                ))
            }
        }
        .unwrap_or(0);
        let flat = |t: Option<&Tensor>, dims: usize, what: &str| {
            t.map(|t| flatten_choices(t, dims, what)).transpose()
        };
        let input = flat(input, 3, "input_ids")?;
        let input_embeds = flat(input_embeds, 4, "input_embeds")?;
        let mask = flat(mask, 3, "attention mask")?;
        let output = self.distil_bert_model.forward_t(
            input.as_ref(),
            mask.as_ref(),
            input_embeds.as_ref(),
            train,
        )?;
        let logits = self
            .head
            .forward_t(&output.hidden_state, train)
            .f_view([-1, num_choices])
            .map_err(|e| RustBertError::ValueError(format!("multiple choice logits: {e}")))?;
        Ok(DistilBertSequenceClassificationOutput {
            logits,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// Output of [`DistilBertForQuestionAnswering`].
#[derive(Debug)]
pub struct DistilBertQuestionAnsweringOutput {
    /// Logit of each token starting the answer `[batch, seq]`.
    pub start_logits: Tensor,
    /// Logit of each token ending the answer `[batch, seq]`.
    pub end_logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// DistilBERT predicting answer spans (variables `distilbert`, `qa_outputs`).
#[derive(Debug)]
pub struct DistilBertForQuestionAnswering {
    distil_bert_model: DistilBertModel,
    qa_outputs: nn::Linear,
    dropout: Dropout,
}

impl DistilBertForQuestionAnswering {
    /// Builds the model under `p`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &DistilBertConfig) -> Self {
        let _init = crate::common::config::init_std_of(config);
        let p = p.borrow();
        Self {
            distil_bert_model: DistilBertModel::new(p, config),
            qa_outputs: linear(p / "qa_outputs", config.dim, 2),
            dropout: Dropout::new(config.qa_dropout),
        }
    }

    /// Start and end logits of every token (arguments as [`DistilBertModel::forward_t`]).
    pub fn forward_t(
        &self,
        input: Option<&Tensor>,
        mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DistilBertQuestionAnsweringOutput, RustBertError> {
        let output = self
            .distil_bert_model
            .forward_t(input, mask, input_embeds, train)?;
        let logits = self
            .qa_outputs
            .forward(&self.dropout.forward_t(&output.hidden_state, train));
        Ok(DistilBertQuestionAnsweringOutput {
            start_logits: logits.select(-1, 0),
            end_logits: logits.select(-1, 1),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}

/// Output of [`DistilBertForTokenClassification`].
#[derive(Debug)]
pub struct DistilBertTokenClassificationOutput {
    /// Label logits for every token `[batch, seq, num_labels]`.
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// DistilBERT labelling each token (NER, POS; variables `distilbert`, `classifier`).
#[derive(Debug)]
pub struct DistilBertForTokenClassification {
    distil_bert_model: DistilBertModel,
    classifier: nn::Linear,
    dropout: Dropout,
}

impl DistilBertForTokenClassification {
    /// Builds the model under `p`; errors when the configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &DistilBertConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            distil_bert_model: DistilBertModel::new(p, config),
            classifier: linear(p / "classifier", config.dim, num_labels),
            // HF applies `dropout` here (rust-bert used `seq_classif_dropout`).
            dropout: Dropout::new(config.dropout),
        })
    }

    /// Label logits for every token (arguments as [`DistilBertModel::forward_t`]).
    pub fn forward_t(
        &self,
        input: Option<&Tensor>,
        mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<DistilBertTokenClassificationOutput, RustBertError> {
        let output = self
            .distil_bert_model
            .forward_t(input, mask, input_embeds, train)?;
        Ok(DistilBertTokenClassificationOutput {
            logits: self
                .classifier
                .forward(&self.dropout.forward_t(&output.hidden_state, train)),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }
}
