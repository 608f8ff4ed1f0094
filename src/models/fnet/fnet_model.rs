use crate::bert::{BertConfig, BertLMPredictionHead};
use crate::common::activations::Activation;
use crate::common::layers::{
    linear, run_layer_stack, ChoiceInputs, DenseResidualNorm, Dropout, Intermediate,
    TransformerEmbeddings, TransformerEmbeddingsConfig,
};
use crate::common::twin::infallible_new;
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Module};
use tch::Tensor;

/// Pretrained FNet weights on the hub, as `(cache subdirectory, URL)`.
pub struct FNetModelResources;
/// Pretrained FNet configurations on the hub, as `(cache subdirectory, URL)`.
pub struct FNetConfigResources;
/// Pretrained FNet SentencePiece models on the hub, as `(cache subdirectory, URL)`.
pub struct FNetVocabResources;

impl FNetModelResources {
    /// google/fnet-base (Lee-Thorp et al., Apache 2.0), the pretrained model.
    pub const BASE: (&'static str, &'static str) = (
        "fnet-base/model",
        "https://huggingface.co/google/fnet-base/resolve/main/rust_model.ot",
    );
    /// gchhablani/fnet-base-finetuned-sst2 (Apache 2.0): SST-2 sentiment.
    pub const BASE_SST2: (&'static str, &'static str) = (
        "fnet-base-sst2/model",
        "https://huggingface.co/gchhablani/fnet-base-finetuned-sst2/resolve/main/rust_model.ot",
    );
}

impl FNetConfigResources {
    /// google/fnet-base (Lee-Thorp et al., Apache 2.0), the pretrained model.
    pub const BASE: (&'static str, &'static str) = (
        "fnet-base/config",
        "https://huggingface.co/google/fnet-base/resolve/main/config.json",
    );
    /// gchhablani/fnet-base-finetuned-sst2 (Apache 2.0): SST-2 sentiment.
    pub const BASE_SST2: (&'static str, &'static str) = (
        "fnet-base-sst2/config",
        "https://huggingface.co/gchhablani/fnet-base-finetuned-sst2/resolve/main/config.json",
    );
}

impl FNetVocabResources {
    /// google/fnet-base's SentencePiece model.
    pub const BASE: (&'static str, &'static str) = (
        "fnet-base/spiece",
        "https://huggingface.co/google/fnet-base/resolve/main/spiece.model",
    );
    /// The SST-2 model's SentencePiece model (google/fnet-base's, as in rust-bert).
    pub const BASE_SST2: (&'static str, &'static str) = (
        "fnet-base-sst2/spiece",
        "https://huggingface.co/google/fnet-base/resolve/main/spiece.model",
    );
}

// HF 5.24 `FNetConfig` defaults, for keys a config.json may omit.
fn default_vocab() -> i64 {
    32000
}
fn default_hidden_size() -> i64 {
    768
}
fn default_layers() -> i64 {
    12
}
fn default_intermediate_size() -> i64 {
    3072
}
fn default_act() -> Activation {
    Activation::gelu_new
}
fn default_dropout() -> f64 {
    0.1
}
fn default_positions() -> i64 {
    512
}
fn default_type_vocab() -> i64 {
    4
}
fn default_initializer_range() -> f64 {
    0.02
}

/// FNet configuration; deserializes an HF `config.json` (keys HF may omit take the defaults of
/// HF's `FNetConfig`).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct FNetConfig {
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Hidden size.
    #[serde(default = "default_hidden_size")]
    pub hidden_size: i64,
    /// Number of layers.
    #[serde(default = "default_layers")]
    pub num_hidden_layers: i64,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_intermediate_size")]
    pub intermediate_size: i64,
    /// Activation of the feed-forward blocks and of the MLM head transform.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on hidden states and before classification heads.
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Number of learned positions (the longest input).
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Number of token types (segments).
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: i64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f64,
    /// LayerNorm epsilon (HF default 1e-12).
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Padding token id.
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Beginning-of-sequence token id.
    #[serde(default)]
    pub bos_token_id: Option<i64>,
    /// End-of-sequence token id.
    #[serde(default)]
    pub eos_token_id: Option<i64>,
    /// Unused (an encoder); kept for rust-bert compatibility.
    #[serde(default)]
    pub decoder_start_token_id: Option<i64>,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Unused: FNet has no attention (kept for rust-bert compatibility).
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// HF's TPU variant of the Fourier transform (DFT matrices for sequences of exactly
    /// `tpu_short_seq_length`); the same transform is computed here by FFT, with HF's rule on
    /// the sequence length (not in rust-bert 0.23).
    #[serde(default)]
    pub use_tpu_fourier_optimizations: Option<bool>,
    /// The one sequence length the TPU variant accepts (HF default 512; not in rust-bert 0.23).
    #[serde(default)]
    pub tpu_short_seq_length: Option<i64>,
    /// Whether the MLM decoder is the word embedding matrix (HF default true; not in rust-bert
    /// 0.23).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
}

impl Config for FNetConfig {
    fn initializer_std(&self) -> f64 {
        self.initializer_range
    }

    fn validate(&self) -> Result<(), RustBertError> {
        self.check()
    }
}

impl Default for FNetConfig {
    /// HF's `FNetConfig()` (google/fnet-base's sizes).
    fn default() -> Self {
        FNetConfig {
            vocab_size: 32000,
            hidden_size: 768,
            num_hidden_layers: 12,
            intermediate_size: 3072,
            hidden_act: Activation::gelu_new,
            hidden_dropout_prob: 0.1,
            max_position_embeddings: 512,
            type_vocab_size: 4,
            initializer_range: 0.02,
            layer_norm_eps: Some(1e-12),
            pad_token_id: Some(3),
            bos_token_id: Some(1),
            eos_token_id: Some(2),
            decoder_start_token_id: None,
            id2label: None,
            label2id: None,
            output_attentions: None,
            output_hidden_states: None,
            use_tpu_fourier_optimizations: None,
            tpu_short_seq_length: None,
            tie_word_embeddings: None,
        }
    }
}

impl FNetConfig {
    /// The LayerNorm epsilon of the config, or HF's default (1e-12).
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-12)
    }

    /// Why no model can be built from this configuration, if none can.
    pub fn check(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("FNet")
            .positive("vocab_size", self.vocab_size)
            .positive("hidden_size", self.hidden_size)
            .positive("intermediate_size", self.intermediate_size)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .non_negative("num_hidden_layers", self.num_hidden_layers)
            .non_negative("type_vocab_size", self.type_vocab_size)
            .finite("layer_norm_eps", self.layer_norm_eps())
            .finish()
    }

    fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }

    /// The MLM head is BERT's, under the same names.
    fn head_config(&self) -> BertConfig {
        BertConfig {
            hidden_act: self.hidden_act,
            hidden_size: self.hidden_size,
            vocab_size: self.vocab_size,
            layer_norm_eps: Some(self.layer_norm_eps()),
            tie_word_embeddings: self.tie_word_embeddings,
            initializer_range: self.initializer_range as f32,
            // FNet has no attention; any head count dividing the hidden size keeps the
            // derived configuration valid.
            num_attention_heads: 1,
            ..BertConfig::default()
        }
    }
}

/// FNet's embeddings (HF `FNetEmbeddings`): word + token type + position, LayerNorm, then a
/// `projection`, then dropout.
#[derive(Debug)]
struct FNetEmbeddings {
    inner: TransformerEmbeddings,
    projection: nn::Linear,
    dropout: Dropout,
}

impl FNetEmbeddings {
    fn new(p: &nn::Path, config: &FNetConfig) -> Self {
        let embeddings = TransformerEmbeddingsConfig {
            vocab_size: config.vocab_size,
            embedding_size: config.hidden_size,
            max_position_embeddings: config.max_position_embeddings,
            type_vocab_size: config.type_vocab_size,
            layer_norm_eps: config.layer_norm_eps(),
            // HF's dropout comes after the projection, below.
            dropout: 0.0,
        };
        Self {
            inner: TransformerEmbeddings::new(p, &embeddings),
            projection: linear(p / "projection", config.hidden_size, config.hidden_size),
            dropout: Dropout::new(config.hidden_dropout_prob),
        }
    }

    fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let normed =
            self.inner
                .forward_t(input_ids, token_type_ids, position_ids, input_embeds, false)?;
        Ok(self
            .dropout
            .forward_t(&normed.apply(&self.projection), train))
    }
}

/// One FNet layer: the real part of the 2-D Fourier transform over sequence and hidden
/// dimensions replaces attention (`fourier.output.LayerNorm` of input + mixing), then BERT's
/// feed-forward block (`intermediate`, `output`).
#[derive(Debug)]
struct FNetLayer {
    fourier_norm: nn::LayerNorm,
    intermediate: Intermediate,
    output: DenseResidualNorm,
}

impl FNetLayer {
    fn new(p: &nn::Path, config: &FNetConfig) -> Self {
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        Self {
            fourier_norm: nn::layer_norm(
                p / "fourier" / "output" / "LayerNorm",
                vec![config.hidden_size],
                layer_norm_config,
            ),
            intermediate: Intermediate::new(
                p / "intermediate",
                config.hidden_size,
                config.intermediate_size,
                config.hidden_act,
            ),
            output: DenseResidualNorm::new(
                p / "output",
                config.intermediate_size,
                config.hidden_size,
                config.layer_norm_eps(),
                config.hidden_dropout_prob,
            ),
        }
    }

    fn forward_t(&self, hidden: &Tensor, train: bool) -> Tensor {
        // Unnormalised forward DFT over dims 1 (sequence) and 2 (hidden), as torch.fft.fftn.
        // An empty batch has nothing to transform (MKL refuses a zero-sized transform).
        let mixed = if hidden.numel() == 0 {
            hidden.zeros_like()
        } else {
            hidden
                .fft_fftn(None::<&[i64]>, [1i64, 2].as_slice(), "backward")
                .real()
        };
        let mixed = (mixed + hidden).apply(&self.fourier_norm);
        let expanded = self.intermediate.forward(&mixed);
        self.output.forward_t(&expanded, &mixed, train)
    }
}

/// Output of [`FNetModel`].
#[derive(Debug)]
pub struct FNetModelOutput {
    /// Last hidden state `[batch, seq, hidden]`.
    pub hidden_states: Tensor,
    /// `tanh(dense(first token))` `[batch, hidden]`, when the model has a pooler.
    pub pooled_output: Option<Tensor>,
    /// The embedding output and the output of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
}

/// The FNet encoder (variables `embeddings`, `encoder.layer.{i}`, `pooler`).
///
/// FNet mixes tokens with a Fourier transform over the whole padded sequence and takes no
/// attention mask (as HF): padding changes the outputs of the tokens it pads.
#[derive(Debug)]
pub struct FNetModel {
    embeddings: FNetEmbeddings,
    layers: Vec<FNetLayer>,
    pooler: Option<nn::Linear>,
    output_hidden_states: bool,
    tpu_short_seq_length: Option<i64>,
}

impl FNetModel {
    crate::common::twin::infallible_new!(FNetConfig, add_pooling_layer: bool);

    /// Builds the model under `p`, with a pooler when `add_pooling_layer`; an invalid
    /// configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &FNetConfig,
        add_pooling_layer: bool,
    ) -> Result<FNetModel, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.check()?;
        let p = p.borrow();
        let layers = p / "encoder" / "layer";
        Ok(FNetModel {
            embeddings: FNetEmbeddings::new(&(p / "embeddings"), config),
            layers: (0..config.num_hidden_layers)
                .map(|i| FNetLayer::new(&(&layers / i), config))
                .collect(),
            pooler: add_pooling_layer.then(|| {
                linear(
                    p / "pooler" / "dense",
                    config.hidden_size,
                    config.hidden_size,
                )
            }),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            tpu_short_seq_length: config
                .use_tpu_fourier_optimizations
                .unwrap_or(false)
                .then(|| config.tpu_short_seq_length.unwrap_or(512)),
        })
    }

    fn word_embeddings_weight(&self) -> &Tensor {
        self.embeddings.inner.word_embeddings_weight()
    }

    /// Runs the model.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeddings` `[batch, seq, hidden]` (exactly one);
    /// * `token_type_ids`, `position_ids` default to zeros and `0..seq`.
    ///
    /// Bad inputs (shapes, ids out of range, an empty or too long sequence) are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeddings: Option<&Tensor>,
        train: bool,
    ) -> Result<FNetModelOutput, RustBertError> {
        let embeddings = self.embeddings.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeddings,
            train,
        )?;
        let seq = embeddings.size()[1];
        if seq == 0 {
            return Err(RustBertError::ValueError(
                "the input sequence is empty (0 tokens)".into(),
            ));
        }
        if let Some(expected) = self.tpu_short_seq_length {
            // HF's rule for its DFT-matrix variant (which only exists up to 4096 positions).
            if seq <= 4096 && seq != expected {
                return Err(RustBertError::ValueError(format!(
                    "with use_tpu_fourier_optimizations, inputs must be padded to \
                     tpu_short_seq_length = {expected} tokens, got {seq}"
                )));
            }
        }
        let output = run_layer_stack(
            &embeddings,
            &self.layers,
            self.output_hidden_states,
            false,
            |layer, hidden| (layer.forward_t(hidden, train), None),
        );
        let pooled_output = self
            .pooler
            .as_ref()
            .map(|dense| dense.forward(&output.hidden_state.select(1, 0)).tanh());
        Ok(FNetModelOutput {
            hidden_states: output.hidden_state,
            pooled_output,
            all_hidden_states: output.all_hidden_states,
        })
    }
}

/// Output of [`FNetForMaskedLM`].
#[derive(Debug)]
pub struct FNetMaskedLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub prediction_scores: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
}

/// FNet masked language model (variables `fnet`, `cls.predictions`; BERT's head, its decoder
/// tied to the word embeddings unless `tie_word_embeddings` is false).
#[derive(Debug)]
pub struct FNetForMaskedLM {
    fnet: FNetModel,
    lm_head: BertLMPredictionHead,
}

impl FNetForMaskedLM {
    infallible_new!(FNetConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &FNetConfig,
    ) -> Result<FNetForMaskedLM, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        // HF keeps the pooler in every FNet head (its weights are in the checkpoints).
        let fnet = FNetModel::try_new(p / "fnet", config, true)?;
        let lm_head = BertLMPredictionHead::new(
            p / "cls" / "predictions",
            &config.head_config(),
            fnet.word_embeddings_weight(),
        );
        Ok(FNetForMaskedLM { fnet, lm_head })
    }

    /// Vocabulary logits for every position (arguments as [`FNetModel::forward_t`]).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeddings: Option<&Tensor>,
        train: bool,
    ) -> Result<FNetMaskedLMOutput, RustBertError> {
        let output = self.fnet.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeddings,
            train,
        )?;
        Ok(FNetMaskedLMOutput {
            prediction_scores: self.lm_head.forward(&output.hidden_states),
            all_hidden_states: output.all_hidden_states,
        })
    }
}

/// Output of [`FNetForSequenceClassification`] and [`FNetForMultipleChoice`].
#[derive(Debug)]
pub struct FNetSequenceClassificationOutput {
    /// Class logits `[batch, num_labels]` (`[batch, num_choices]`; `[batch, seq, num_labels]`
    /// for token classification).
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
}

/// Output of [`FNetForTokenClassification`] (the same fields, as in rust-bert).
pub type FNetTokenClassificationOutput = FNetSequenceClassificationOutput;

fn pooled(output: &FNetModelOutput) -> Result<&Tensor, RustBertError> {
    output
        .pooled_output
        .as_ref()
        .ok_or_else(|| RustBertError::ValueError("the model has no pooler".into()))
}

/// FNet classifying whole sequences from the pooled first token (variables `fnet`,
/// `classifier`).
#[derive(Debug)]
pub struct FNetForSequenceClassification {
    fnet: FNetModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl FNetForSequenceClassification {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &FNetConfig,
    ) -> Result<FNetForSequenceClassification, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(FNetForSequenceClassification {
            fnet: FNetModel::try_new(p / "fnet", config, true)?,
            dropout: Dropout::new(config.hidden_dropout_prob),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Class logits for each sequence (arguments as [`FNetModel::forward_t`]).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeddings: Option<&Tensor>,
        train: bool,
    ) -> Result<FNetSequenceClassificationOutput, RustBertError> {
        let output = self.fnet.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeddings,
            train,
        )?;
        let logits = self
            .dropout
            .forward_t(pooled(&output)?, train)
            .apply(&self.classifier);
        Ok(FNetSequenceClassificationOutput {
            logits,
            all_hidden_states: output.all_hidden_states,
        })
    }
}

/// FNet scoring each choice of a multiple-choice question from its pooled first token
/// (variables `fnet`, `classifier`).
#[derive(Debug)]
pub struct FNetForMultipleChoice {
    fnet: FNetModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl FNetForMultipleChoice {
    infallible_new!(FNetConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &FNetConfig,
    ) -> Result<FNetForMultipleChoice, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(FNetForMultipleChoice {
            fnet: FNetModel::try_new(p / "fnet", config, true)?,
            dropout: Dropout::new(config.hidden_dropout_prob),
            classifier: linear(p / "classifier", config.hidden_size, 1),
        })
    }

    /// Scores choices: inputs `[batch, num_choices, seq]` (`input_embeddings` `[batch,
    /// num_choices, seq, hidden]`); logits `[batch, num_choices]`.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeddings: Option<&Tensor>,
        train: bool,
    ) -> Result<FNetSequenceClassificationOutput, RustBertError> {
        let choices = ChoiceInputs::flatten(
            input_ids,
            None,
            token_type_ids,
            position_ids,
            input_embeddings,
        )?;
        let output = self.fnet.forward_t(
            choices.input_ids.as_ref(),
            choices.token_type_ids.as_ref(),
            choices.position_ids.as_ref(),
            choices.input_embeds.as_ref(),
            train,
        )?;
        let scores = self
            .dropout
            .forward_t(pooled(&output)?, train)
            .apply(&self.classifier);
        Ok(FNetSequenceClassificationOutput {
            logits: choices.logits(&scores)?,
            all_hidden_states: output.all_hidden_states,
        })
    }
}

/// FNet labelling each token (variables `fnet`, `classifier`).
#[derive(Debug)]
pub struct FNetForTokenClassification {
    fnet: FNetModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl FNetForTokenClassification {
    /// Builds the model; errors when the configuration is invalid or has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &FNetConfig,
    ) -> Result<FNetForTokenClassification, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(FNetForTokenClassification {
            fnet: FNetModel::try_new(p / "fnet", config, true)?,
            dropout: Dropout::new(config.hidden_dropout_prob),
            classifier: linear(p / "classifier", config.hidden_size, num_labels),
        })
    }

    /// Label logits for every token `[batch, seq, num_labels]` (arguments as
    /// [`FNetModel::forward_t`]).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeddings: Option<&Tensor>,
        train: bool,
    ) -> Result<FNetTokenClassificationOutput, RustBertError> {
        let output = self.fnet.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeddings,
            train,
        )?;
        Ok(FNetTokenClassificationOutput {
            logits: self
                .dropout
                .forward_t(&output.hidden_states, train)
                .apply(&self.classifier),
            all_hidden_states: output.all_hidden_states,
        })
    }
}

/// Output of [`FNetForQuestionAnswering`].
#[derive(Debug)]
pub struct FNetQuestionAnsweringOutput {
    /// Logit of each token starting the answer `[batch, seq]`.
    pub start_logits: Tensor,
    /// Logit of each token ending the answer `[batch, seq]`.
    pub end_logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
}

/// FNet predicting answer spans (variables `fnet`, `qa_outputs`).
#[derive(Debug)]
pub struct FNetForQuestionAnswering {
    fnet: FNetModel,
    qa_outputs: nn::Linear,
}

impl FNetForQuestionAnswering {
    infallible_new!(FNetConfig);

    /// Builds the model under `p`; an invalid configuration is an error.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &FNetConfig,
    ) -> Result<FNetForQuestionAnswering, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(FNetForQuestionAnswering {
            fnet: FNetModel::try_new(p / "fnet", config, true)?,
            qa_outputs: linear(p / "qa_outputs", config.hidden_size, 2),
        })
    }

    /// Start and end logits of every token, each `[batch, seq]`.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeddings: Option<&Tensor>,
        train: bool,
    ) -> Result<FNetQuestionAnsweringOutput, RustBertError> {
        let output = self.fnet.forward_t(
            input_ids,
            token_type_ids,
            position_ids,
            input_embeddings,
            train,
        )?;
        let logits = output.hidden_states.apply(&self.qa_outputs);
        Ok(FNetQuestionAnsweringOutput {
            start_logits: logits.select(-1, 0),
            end_logits: logits.select(-1, 1),
            all_hidden_states: output.all_hidden_states,
        })
    }
}
