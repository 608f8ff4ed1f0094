use crate::bert::embeddings::{BertEmbedding, BertEmbeddings};
use crate::bert::encoder::{BertEncoder, BertPooler};
use crate::common::activations::Activation;
use crate::common::layers::{
    attention_bias, causal_mask_bias, encoder_attention_bias, linear, Dropout,
};
use crate::common::twin::infallible_twin;
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Module};
use tch::Tensor;

/// Pretrained BERT weights on the hub, as `(cache subdirectory, URL)`.
pub struct BertModelResources;
/// Pretrained BERT configurations on the hub, as `(cache subdirectory, URL)`.
pub struct BertConfigResources;
/// Pretrained BERT vocabularies on the hub, as `(cache subdirectory, URL)`.
pub struct BertVocabResources;

macro_rules! hub_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// bert-base-uncased (Devlin et al.).
            pub const BERT: (&'static str, &'static str) = (
                concat!("bert/", $suffix),
                concat!("https://huggingface.co/bert-base-uncased/resolve/main/", $file),
            );
            /// BERT large cased fine-tuned on CoNLL-03 English NER (dbmdz).
            pub const BERT_NER: (&'static str, &'static str) = (
                concat!("bert-ner/", $suffix),
                concat!(
                    "https://huggingface.co/dbmdz/bert-large-cased-finetuned-conll03-english/resolve/main/",
                    $file
                ),
            );
            /// BERT large cased whole-word-masking fine-tuned on SQuAD.
            pub const BERT_QA: (&'static str, &'static str) = (
                concat!("bert-qa/", $suffix),
                concat!(
                    "https://huggingface.co/bert-large-cased-whole-word-masking-finetuned-squad/resolve/main/",
                    $file
                ),
            );
            /// sentence-transformers bert-base-nli-mean-tokens.
            pub const BERT_BASE_NLI_MEAN_TOKENS: (&'static str, &'static str) = (
                concat!("bert-base-nli-mean-tokens/", $suffix),
                concat!(
                    "https://huggingface.co/sentence-transformers/bert-base-nli-mean-tokens/resolve/main/",
                    $file
                ),
            );
            /// sentence-transformers all-MiniLM-L12-v2.
            pub const ALL_MINI_LM_L12_V2: (&'static str, &'static str) = (
                concat!("all-mini-lm-l12-v2/", $suffix),
                concat!(
                    "https://huggingface.co/sentence-transformers/all-MiniLM-L12-v2/resolve/main/",
                    $file
                ),
            );
            /// sentence-transformers all-MiniLM-L6-v2.
            pub const ALL_MINI_LM_L6_V2: (&'static str, &'static str) = (
                concat!("all-mini-lm-l6-v2/", $suffix),
                concat!(
                    "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/",
                    $file
                ),
            );
        }
    };
}
hub_resources!(BertModelResources, "rust_model.ot", "model");
hub_resources!(BertConfigResources, "config.json", "config");
hub_resources!(BertVocabResources, "vocab.txt", "vocab");

fn default_act() -> Activation {
    Activation::gelu
}
fn default_dropout() -> f64 {
    0.1
}
fn default_hidden() -> i64 {
    768
}
fn default_init() -> f32 {
    0.02
}
fn default_intermediate() -> i64 {
    3072
}
fn default_positions() -> i64 {
    512
}
fn default_heads_layers() -> i64 {
    12
}
fn default_type_vocab() -> i64 {
    2
}
fn default_vocab() -> i64 {
    30522
}

/// BERT configuration; deserializes an HF `config.json` (keys HF may omit take HF's defaults).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct BertConfig {
    /// Activation of the feed-forward block and of the MLM transform.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Dropout on hidden states.
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Hidden size.
    #[serde(default = "default_hidden")]
    pub hidden_size: i64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_init")]
    pub initializer_range: f32,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_intermediate")]
    pub intermediate_size: i64,
    /// Number of learned positions (the longest input).
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads_layers")]
    pub num_attention_heads: i64,
    /// Number of layers.
    #[serde(default = "default_heads_layers")]
    pub num_hidden_layers: i64,
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
    /// Causal self-attention (decoder use).
    #[serde(default)]
    pub is_decoder: Option<bool>,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// LayerNorm epsilon (HF default 1e-12); never hard-coded.
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Padding token id.
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Add cross-attention layers (decoder in an encoder-decoder).
    #[serde(default)]
    pub add_cross_attention: Option<bool>,
    /// Dropout before classification heads (defaults to `hidden_dropout_prob`).
    #[serde(default)]
    pub classifier_dropout: Option<f64>,
    /// Whether the MLM decoder shares the word embeddings (HF default true).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
}

impl Config for BertConfig {
    fn initializer_std(&self) -> f64 {
        f64::from(self.initializer_range)
    }

    fn validate(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("BERT")
            .positive("vocab_size", self.vocab_size)
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
            .non_negative("type_vocab_size", self.type_vocab_size)
            .finite("layer_norm_eps", self.layer_norm_eps.unwrap_or(1e-12))
            .probability("hidden_dropout_prob", self.hidden_dropout_prob)
            .probability(
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            )
            .finish()
    }
}

impl Default for BertConfig {
    fn default() -> Self {
        Self {
            hidden_act: Activation::gelu,
            attention_probs_dropout_prob: 0.1,
            hidden_dropout_prob: 0.1,
            hidden_size: 768,
            initializer_range: 0.02,
            intermediate_size: 3072,
            max_position_embeddings: 512,
            num_attention_heads: 12,
            num_hidden_layers: 12,
            type_vocab_size: 2,
            vocab_size: 30522,
            output_attentions: None,
            output_hidden_states: None,
            is_decoder: None,
            id2label: None,
            label2id: None,
            layer_norm_eps: None,
            pad_token_id: None,
            add_cross_attention: None,
            classifier_dropout: None,
            tie_word_embeddings: None,
        }
    }
}

impl BertConfig {
    /// The LayerNorm epsilon of the config, or HF's default.
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-12)
    }

    /// Number of labels of a classification head, from `id2label`.
    pub(crate) fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }

    /// The dropout of classification heads: `classifier_dropout`, else `hidden_dropout_prob`.
    pub(crate) fn classifier_dropout(&self) -> Dropout {
        Dropout::new(self.classifier_dropout.unwrap_or(self.hidden_dropout_prob))
    }
}

/// Output of [`BertModel`].
#[derive(Debug)]
pub struct BertModelOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_state: Tensor,
    /// Pooled first token `[batch, hidden]`, when the model has a pooler.
    pub pooled_output: Option<Tensor>,
    /// Embedding output and the output of every layer, when `output_hidden_states`.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when `output_attentions`.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// The BERT encoder: embeddings, layers and an optional pooler. Generic over the embedding
/// block so RoBERTa reuses it (`BertModel<RobertaEmbeddings>`).
#[derive(Debug)]
pub struct BertModel<T: BertEmbedding> {
    embeddings: T,
    encoder: BertEncoder,
    pooler: Option<BertPooler>,
    is_decoder: bool,
}

/// BERT as a sentence-transformers encoder (the base model; pooling is done by the pipeline).
pub type BertForSentenceEmbeddings = BertModel<BertEmbeddings>;

impl<T: BertEmbedding> BertModel<T> {
    /// Builds the model with a pooler under `p` (variables `embeddings`, `encoder`, `pooler`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        Self::new_with_optional_pooler(p, config, true)
    }

    /// Builds the model, with or without the pooler.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new_with_optional_pooler<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BertConfig,
        add_pooling_layer: bool,
    ) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            embeddings: T::new(p / "embeddings", config),
            encoder: BertEncoder::new(p / "encoder", config),
            pooler: add_pooling_layer.then(|| BertPooler::new(p / "pooler", config)),
            is_decoder: config.is_decoder.unwrap_or(false),
        }
    }

    /// The embedding block.
    pub fn embeddings(&self) -> &T {
        &self.embeddings
    }

    /// Runs the model.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, hidden]` (exactly one);
    /// * `mask` `[batch, seq]` of 1 (token) / 0 (padding), or `[batch, seq, seq]`;
    /// * `token_type_ids`, `position_ids` default to zeros and `0..seq`;
    /// * `encoder_hidden_states` / `encoder_mask` feed the cross-attention of a decoder.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        encoder_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<BertModelOutput, RustBertError> {
        let embedding_output = self.embeddings.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let kind = embedding_output.kind();
        let mut bias = encoder_attention_bias(&embedding_output, mask)?;
        let (batch, seq_len) = (embedding_output.size()[0], embedding_output.size()[1]);
        if self.is_decoder {
            let causal = causal_mask_bias(seq_len, seq_len, kind, embedding_output.device());
            // Clamp so that a position masked twice stays finite (no -inf - -inf = NaN).
            bias = Some(match bias {
                Some(b) => (b + causal).clamp_min(crate::common::kind::get_min(kind)),
                None => causal,
            });
        }
        let encoder_len = match encoder_hidden_states {
            Some(states) => {
                let size = states.size();
                if size.len() != 3 || size[0] != batch || size[2] != embedding_output.size()[2] {
                    return Err(RustBertError::ValueError(format!(
                        "encoder_hidden_states has shape {size:?}; expected [{batch}, length, {}]",
                        embedding_output.size()[2]
                    )));
                }
                size[1]
            }
            None => 0,
        };
        let encoder_bias = encoder_mask
            .map(|m| attention_bias(m, batch, seq_len, encoder_len, kind, "encoder mask"))
            .transpose()?;
        let encoded = self.encoder.forward_t(
            &embedding_output,
            bias.as_ref(),
            encoder_hidden_states,
            encoder_bias.as_ref(),
            train,
        );
        let pooled_output = self
            .pooler
            .as_ref()
            .map(|p| p.forward(&encoded.hidden_state));
        Ok(BertModelOutput {
            hidden_state: encoded.hidden_state,
            pooled_output,
            all_hidden_states: encoded.all_hidden_states,
            all_attentions: encoded.all_attentions,
        })
    }
}

/// Dense + activation + LayerNorm before the MLM decoder (HF `BertPredictionHeadTransform`).
#[derive(Debug)]
pub struct BertPredictionHeadTransform {
    dense: nn::Linear,
    activation: Activation,
    layer_norm: nn::LayerNorm,
}

impl BertPredictionHeadTransform {
    /// Builds the transform under `p` (variables `dense`, `LayerNorm`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        Self {
            dense: linear(p / "dense", config.hidden_size, config.hidden_size),
            activation: config.hidden_act,
            layer_norm: nn::layer_norm(
                p / "LayerNorm",
                vec![config.hidden_size],
                layer_norm_config,
            ),
        }
    }

    /// Applies the transform.
    pub fn forward(&self, hidden_states: &Tensor) -> Tensor {
        self.activation
            .apply(&hidden_states.apply(&self.dense))
            .apply(&self.layer_norm)
    }
}

/// The MLM head: transform, then a decoder onto the vocabulary whose weight is the word
/// embedding matrix (unless `tie_word_embeddings` is false) plus its own `bias`.
#[derive(Debug)]
pub struct BertLMPredictionHead {
    transform: BertPredictionHeadTransform,
    decoder_weight: Tensor,
    bias: Tensor,
}

impl BertLMPredictionHead {
    /// Builds the head under `p` (`cls.predictions` in HF checkpoints); `word_embeddings` is
    /// shared with the decoder when weights are tied.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BertConfig,
        word_embeddings: &Tensor,
    ) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        // Tied (HF's default): the word embeddings and `bias` (HF ties `decoder.bias` to it).
        // Untied: HF 5.x ties nothing and reads `decoder.weight` and `decoder.bias`; the
        // head's own `bias` is then never read, so it is no variable here.
        let (decoder_weight, bias) = if config.tie_word_embeddings.unwrap_or(true) {
            let bias = p.var("bias", &[config.vocab_size], nn::Init::Const(0.0));
            (word_embeddings.shallow_clone(), bias)
        } else {
            let decoder = linear(p / "decoder", config.hidden_size, config.vocab_size);
            let bias = decoder
                .bs
                .unwrap_or_else(|| word_embeddings.zeros_like().select(1, 0));
            (decoder.ws, bias)
        };
        Self {
            transform: BertPredictionHeadTransform::new(p / "transform", config),
            decoder_weight,
            bias,
        }
    }

    /// Vocabulary logits `[..., vocab]`.
    pub fn forward(&self, hidden_states: &Tensor) -> Tensor {
        self.transform
            .forward(hidden_states)
            .linear(&self.decoder_weight, Some(&self.bias))
    }
}

/// Output of [`BertForMaskedLM`].
#[derive(Debug)]
pub struct BertMaskedLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub prediction_scores: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// BERT with a masked-language-model head (variables `bert`, `cls.predictions`).
#[derive(Debug)]
pub struct BertForMaskedLM {
    bert: BertModel<BertEmbeddings>,
    cls: BertLMPredictionHead,
}

impl BertForMaskedLM {
    /// Builds the model under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let bert: BertModel<BertEmbeddings> =
            BertModel::new_with_optional_pooler(p / "bert", config, false);
        let cls = BertLMPredictionHead::new(
            p / "cls" / "predictions",
            config,
            bert.embeddings.word_embeddings_weight(),
        );
        Self { bert, cls }
    }

    /// Vocabulary logits for every position (arguments as [`BertModel::forward_t`]).
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        encoder_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<BertMaskedLMOutput, RustBertError> {
        let output = self.bert.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            encoder_hidden_states,
            encoder_mask,
            train,
        )?;
        Ok(BertMaskedLMOutput {
            prediction_scores: self.cls.forward(&output.hidden_state),
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
            encoder_hidden_states: Option<&Tensor>,
            encoder_mask: Option<&Tensor>,
            train: bool
        ) -> BertMaskedLMOutput = try_forward_t
    }
}

/// Output of [`BertForSequenceClassification`] and [`BertForMultipleChoice`].
#[derive(Debug)]
pub struct BertSequenceClassificationOutput {
    /// Class logits `[batch, num_labels]` (`[batch, num_choices]` for multiple choice).
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// BERT with a classifier on the pooled first token (variables `bert`, `classifier`).
#[derive(Debug)]
pub struct BertForSequenceClassification {
    bert: BertModel<BertEmbeddings>,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl BertForSequenceClassification {
    /// Builds the model; errors when the configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BertConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            bert: BertModel::new(p / "bert", config),
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Class logits for each sequence.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<BertSequenceClassificationOutput, RustBertError> {
        let output = self.bert.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            None,
            None,
            train,
        )?;
        let pooled = pooled(&output)?;
        Ok(BertSequenceClassificationOutput {
            logits: self
                .dropout
                .forward_t(&pooled, train)
                .apply(&self.classifier),
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
        ) -> BertSequenceClassificationOutput = try_forward_t
    }
}

fn pooled(output: &BertModelOutput) -> Result<Tensor, RustBertError> {
    output
        .pooled_output
        .as_ref()
        .map(|t| t.shallow_clone())
        .ok_or_else(|| RustBertError::ValueError("the model was built without a pooler".into()))
}

/// A multiple-choice head on any BERT-architecture encoder (`E` picks the embeddings:
/// BERT's, RoBERTa's, ...): the pooled first token of each choice, scored by `classifier`.
/// Variables: `{prefix}` (`bert`, `roberta`) and `classifier`.
#[derive(Debug)]
pub struct BertLikeForMultipleChoice<E: BertEmbedding> {
    base: BertModel<E>,
    dropout: Dropout,
    classifier: nn::Linear,
}

/// BERT scoring each choice of a multiple-choice question (variables `bert`, `classifier`).
pub type BertForMultipleChoice = BertLikeForMultipleChoice<BertEmbeddings>;

impl<E: BertEmbedding> BertLikeForMultipleChoice<E> {
    /// Builds the model under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            base: BertModel::new(p / E::BASE_MODEL_PREFIX, config),
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, 1),
        }
    }

    /// Scores choices: `input_ids` (and the optional inputs) are `[batch, num_choices, seq]`,
    /// logits `[batch, num_choices]`.
    pub fn try_forward_t(
        &self,
        input_ids: &Tensor,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        train: bool,
    ) -> Result<BertSequenceClassificationOutput, RustBertError> {
        let size = input_ids.size();
        let (num_choices, seq_len) = match size.as_slice() {
            [_, choices, seq] => (*choices, *seq),
            _ => {
                return Err(RustBertError::ValueError(format!(
                    "multiple choice input_ids must be [batch, num_choices, seq], got {size:?}"
                )))
            }
        };
        // Every choice becomes one row of the encoder's batch.
        let flat = |t: &Tensor, what: &str| {
            t.f_reshape([-1, seq_len]).map_err(|e| {
                RustBertError::ValueError(format!(
                    "{what} of shape {:?} does not match input_ids {size:?}: {e}",
                    t.size()
                ))
            })
        };
        let input_ids = flat(input_ids, "input_ids")?;
        let mask = mask.map(|t| flat(t, "mask")).transpose()?;
        let token_type_ids = token_type_ids
            .map(|t| flat(t, "token_type_ids"))
            .transpose()?;
        let position_ids = position_ids.map(|t| flat(t, "position_ids")).transpose()?;
        let output = self.base.forward_t(
            Some(&input_ids),
            mask.as_ref(),
            token_type_ids.as_ref(),
            position_ids.as_ref(),
            None,
            None,
            None,
            train,
        )?;
        let logits = self
            .dropout
            .forward_t(&pooled(&output)?, train)
            .apply(&self.classifier)
            .view([-1, num_choices]);
        Ok(BertSequenceClassificationOutput {
            logits,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: &Tensor,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            train: bool
        ) -> BertSequenceClassificationOutput = try_forward_t
    }
}

/// Output of [`BertForTokenClassification`].
#[derive(Debug)]
pub struct BertTokenClassificationOutput {
    /// Label logits for every token `[batch, seq, num_labels]`.
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// A token-classification head on any BERT-architecture encoder (NER, POS): a label for every
/// token. Variables: `{prefix}` (`bert`, `roberta`) and `classifier`.
#[derive(Debug)]
pub struct BertLikeForTokenClassification<E: BertEmbedding> {
    base: BertModel<E>,
    dropout: Dropout,
    classifier: nn::Linear,
}

/// BERT labelling each token (NER, POS; variables `bert`, `classifier`).
pub type BertForTokenClassification = BertLikeForTokenClassification<BertEmbeddings>;

impl<E: BertEmbedding> BertLikeForTokenClassification<E> {
    /// Builds the model; errors when the configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BertConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            base: BertModel::new_with_optional_pooler(p / E::BASE_MODEL_PREFIX, config, false),
            dropout: config.classifier_dropout(),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Label logits for every token `[batch, seq, num_labels]`.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<BertTokenClassificationOutput, RustBertError> {
        let output = self.base.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            None,
            None,
            train,
        )?;
        Ok(BertTokenClassificationOutput {
            logits: self
                .dropout
                .forward_t(&output.hidden_state, train)
                .apply(&self.classifier),
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
        ) -> BertTokenClassificationOutput = try_forward_t
    }
}

/// Output of [`BertForQuestionAnswering`].
#[derive(Debug)]
pub struct BertQuestionAnsweringOutput {
    /// Logit of each token starting the answer `[batch, seq]`.
    pub start_logits: Tensor,
    /// Logit of each token ending the answer `[batch, seq]`.
    pub end_logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// A span-prediction head on any BERT-architecture encoder: start and end logits of every
/// token. Variables: `{prefix}` (`bert`, `roberta`) and `qa_outputs`.
#[derive(Debug)]
pub struct BertLikeForQuestionAnswering<E: BertEmbedding> {
    base: BertModel<E>,
    qa_outputs: nn::Linear,
}

/// BERT predicting answer spans (variables `bert`, `qa_outputs`).
pub type BertForQuestionAnswering = BertLikeForQuestionAnswering<BertEmbeddings>;

impl<E: BertEmbedding> BertLikeForQuestionAnswering<E> {
    /// Builds the model under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            base: BertModel::new_with_optional_pooler(p / E::BASE_MODEL_PREFIX, config, false),
            // Start and end logits (HF's `num_labels`, 2 for every QA checkpoint).
            qa_outputs: linear(p / "qa_outputs", config.hidden_size, 2),
        }
    }

    /// Start and end logits of every token, each `[batch, seq]`.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<BertQuestionAnsweringOutput, RustBertError> {
        let output = self.base.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            None,
            None,
            train,
        )?;
        let logits = self.qa_outputs.forward(&output.hidden_state);
        Ok(BertQuestionAnsweringOutput {
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
        ) -> BertQuestionAnsweringOutput = try_forward_t
    }
}
