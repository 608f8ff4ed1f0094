use crate::bert::{BertConfig, BertEmbedding, BertPooler};
use crate::common::activations::Activation;
use crate::common::config::num_labels;
use crate::common::layers::{
    flatten_choices, linear, ChoiceInputs, DenseResidualNorm, Dropout, Intermediate,
};
use crate::longformer::attention::{AttentionMasks, LongformerSelfAttention};
use crate::roberta::{RobertaClassificationHead, RobertaEmbeddings, RobertaLMHead};
use crate::{Config, RustBertError};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

/// Pretrained Longformer weights on the hub, as `(cache subdirectory, URL)`.
pub struct LongformerModelResources;
/// Pretrained Longformer configurations on the hub, as `(cache subdirectory, URL)`.
pub struct LongformerConfigResources;
/// Pretrained Longformer vocabularies (`vocab.json`) on the hub, as `(cache subdirectory, URL)`.
pub struct LongformerVocabResources;
/// Pretrained Longformer BPE merges (`merges.txt`) on the hub, as `(cache subdirectory, URL)`.
pub struct LongformerMergesResources;

/// Writes one constant per checkpoint on each resource type, with rust-bert 0.23's cache
/// subdirectories (both checkpoints share `longformer-base-4096/`, as in rust-bert).
macro_rules! longformer_resources {
    ($($(#[$doc:meta])* $name:ident = $repo:literal;)*) => {
        impl LongformerModelResources {
            $($(#[$doc])* pub const $name: (&'static str, &'static str) = (
                "longformer-base-4096/model",
                concat!("https://huggingface.co/", $repo, "/resolve/main/rust_model.ot"),
            );)*
        }
        impl LongformerConfigResources {
            $($(#[$doc])* pub const $name: (&'static str, &'static str) = (
                "longformer-base-4096/config",
                concat!("https://huggingface.co/", $repo, "/resolve/main/config.json"),
            );)*
        }
        impl LongformerVocabResources {
            $($(#[$doc])* pub const $name: (&'static str, &'static str) = (
                "longformer-base-4096/vocab",
                concat!("https://huggingface.co/", $repo, "/resolve/main/vocab.json"),
            );)*
        }
        impl LongformerMergesResources {
            $($(#[$doc])* pub const $name: (&'static str, &'static str) = (
                "longformer-base-4096/merges",
                concat!("https://huggingface.co/", $repo, "/resolve/main/merges.txt"),
            );)*
        }
    };
}

longformer_resources! {
    /// longformer-base-4096 (AllenAI, Apache 2.0).
    LONGFORMER_BASE_4096 = "allenai/longformer-base-4096";
    /// longformer-base-4096 fine-tuned on SQuAD v1 (valhalla, MIT).
    LONGFORMER_BASE_SQUAD1 = "valhalla/longformer-base-4096-finetuned-squadv1";
}

/// Position embedding type of the configuration (read for compatibility; Longformer's
/// positions are always absolute, as in HF).
#[derive(Debug, Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum PositionEmbeddingType {
    /// Learned absolute positions.
    Absolute,
    /// Relative key positions (not used by Longformer).
    RelativeKey,
}

fn default_act() -> Activation {
    Activation::gelu
}
fn default_window() -> Vec<i64> {
    vec![512]
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
fn default_sep() -> i64 {
    2
}
fn default_pad() -> Option<i64> {
    Some(1)
}

/// `attention_window` as HF writes it: one size for every layer, or a list of one per layer.
fn window_sizes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Window {
        One(i64),
        PerLayer(Vec<i64>),
    }
    Ok(match Window::deserialize(deserializer)? {
        Window::One(size) => vec![size],
        Window::PerLayer(sizes) => sizes,
    })
}

/// Longformer configuration; deserializes an HF `config.json` (keys HF may omit take HF's
/// defaults).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct LongformerConfig {
    /// Activation of the feed-forward block.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Full width (both sides) of each layer's sliding window: one value per layer, or a single
    /// value for all layers (HF accepts an integer; so does this field's deserializer). Every
    /// value must be even and positive.
    #[serde(default = "default_window", deserialize_with = "window_sizes")]
    pub attention_window: Vec<i64>,
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
    /// Number of learned positions; positions start after the padding index, as RoBERTa's.
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads_layers")]
    pub num_attention_heads: i64,
    /// Number of layers.
    #[serde(default = "default_heads_layers")]
    pub num_hidden_layers: i64,
    /// Number of token types.
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: i64,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Separator token id (`</s>`): question answering puts global attention on the tokens
    /// before the first one.
    #[serde(default = "default_sep")]
    pub sep_token_id: i64,
    /// Padding token id (1 when absent): the id inputs are padded with to a multiple of the
    /// window, and the index positions count from.
    #[serde(default = "default_pad")]
    pub pad_token_id: Option<i64>,
    /// LayerNorm epsilon (HF default 1e-12); never hard-coded.
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Position embedding type (read, not used: positions are absolute).
    #[serde(default)]
    pub position_embedding_type: Option<PositionEmbeddingType>,
    /// Decoder use (read, not used: Longformer is an encoder).
    #[serde(default)]
    pub is_decoder: Option<bool>,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
    /// Whether the masked-LM decoder shares the word embeddings (HF default true).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
}

impl Config for LongformerConfig {
    fn initializer_std(&self) -> f64 {
        f64::from(self.initializer_range)
    }

    fn validate(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("Longformer")
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
            .finish()?;
        self.layer_windows().map(|_| ())
    }
}

impl Default for LongformerConfig {
    fn default() -> Self {
        LongformerConfig {
            hidden_act: Activation::gelu,
            attention_window: vec![512],
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
            sep_token_id: 2,
            pad_token_id: None,
            layer_norm_eps: None,
            output_attentions: None,
            output_hidden_states: None,
            position_embedding_type: None,
            is_decoder: None,
            id2label: None,
            label2id: None,
            tie_word_embeddings: None,
        }
    }
}

impl LongformerConfig {
    /// The padding id (1, RoBERTa's `<pad>`, when the configuration names none).
    pub fn padding_id(&self) -> i64 {
        self.pad_token_id.unwrap_or(1)
    }

    /// The window of each layer: a single `attention_window` value applies to every layer.
    ///
    /// # Errors
    /// A list whose length is neither 1 nor `num_hidden_layers`, or a window that is not even
    /// and positive (HF's rules), or a hidden size the heads do not divide.
    pub fn layer_windows(&self) -> Result<Vec<i64>, RustBertError> {
        let layers = self.num_hidden_layers.max(0) as usize;
        let windows = match self.attention_window.as_slice() {
            [one] => vec![*one; layers],
            list if list.len() == layers => list.to_vec(),
            list => {
                return Err(RustBertError::InvalidConfigurationError(format!(
                    "attention_window has {} values for {layers} layers (give one value, or one \
                     per layer)",
                    list.len()
                )))
            }
        };
        if let Some(bad) = windows.iter().find(|w| **w <= 0 || **w % 2 != 0) {
            return Err(RustBertError::InvalidConfigurationError(format!(
                "attention_window values must be even and positive, found {bad}"
            )));
        }
        if self.num_attention_heads <= 0 || self.hidden_size % self.num_attention_heads != 0 {
            return Err(RustBertError::InvalidConfigurationError(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            )));
        }
        Ok(windows)
    }

    /// The same network described as a RoBERTa configuration, for the pieces Longformer shares
    /// with RoBERTa (embeddings, pooler, masked-LM and classification heads).
    fn roberta_config(&self) -> BertConfig {
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
            is_decoder: None,
            id2label: self.id2label.clone(),
            label2id: self.label2id.clone(),
            layer_norm_eps: Some(self.layer_norm_eps.unwrap_or(1e-12)),
            pad_token_id: Some(self.padding_id()),
            add_cross_attention: None,
            // HF's Longformer classification head drops out with `hidden_dropout_prob`.
            classifier_dropout: Some(self.hidden_dropout_prob),
            tie_word_embeddings: self.tie_word_embeddings,
        }
    }
}

/// One encoder layer: Longformer self-attention, then BERT's output and feed-forward blocks
/// (variables `attention.self`, `attention.output`, `intermediate`, `output`).
#[derive(Debug)]
struct LongformerLayer {
    attention: LongformerSelfAttention,
    attention_output: DenseResidualNorm,
    intermediate: Intermediate,
    output: DenseResidualNorm,
}

/// What a layer hands back: its output and, when asked, local and global probabilities.
type LayerOutput = (Tensor, Option<Tensor>, Option<Tensor>);

impl LongformerLayer {
    fn new(p: &nn::Path, config: &LongformerConfig, window: i64) -> Self {
        let eps = config.layer_norm_eps.unwrap_or(1e-12);
        let hidden = config.hidden_size;
        let dropout = config.hidden_dropout_prob;
        Self {
            attention: LongformerSelfAttention::new(
                p / "attention" / "self",
                hidden,
                config.num_attention_heads,
                window,
                config.attention_probs_dropout_prob,
            ),
            attention_output: DenseResidualNorm::new(
                p / "attention" / "output",
                hidden,
                hidden,
                eps,
                dropout,
            ),
            intermediate: Intermediate::new(
                p / "intermediate",
                hidden,
                config.intermediate_size,
                config.hidden_act,
            ),
            output: DenseResidualNorm::new(
                p / "output",
                config.intermediate_size,
                hidden,
                eps,
                dropout,
            ),
        }
    }

    fn forward_t(
        &self,
        hidden: &Tensor,
        masks: &AttentionMasks,
        output_attentions: bool,
        train: bool,
    ) -> LayerOutput {
        let attention = self
            .attention
            .forward_t(hidden, masks, output_attentions, train);
        let attended = self
            .attention_output
            .forward_t(&attention.context, hidden, train);
        let output = self
            .output
            .forward_t(&self.intermediate.forward(&attended), &attended, train);
        (output, attention.local_probs, attention.global_probs)
    }
}

/// Output of [`LongformerModel`].
#[derive(Debug)]
pub struct LongformerModelOutput {
    /// Last hidden state `[batch, seq, hidden]` (the window padding removed).
    pub hidden_state: Tensor,
    /// Pooled first token `[batch, hidden]` (when the model has a pooler).
    pub pooled_output: Option<Tensor>,
    /// The embeddings then every layer's output, `[batch, seq, hidden]` each, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Every layer's local attention probabilities, `[batch, heads, seq, global + window + 1]`
    /// (the columns for the `global` slots first, then key `i - window/2 + j` of query `i` in
    /// column `global + j`), when asked.
    pub all_attentions: Option<Vec<Tensor>>,
    /// Every layer's global attention probabilities `[batch, heads, padded_seq, global]` (the
    /// attention of each global token, by slot, over every key), when asked and some token is
    /// global. As in HF, the key dimension keeps the padding to a multiple of the window.
    pub all_global_attentions: Option<Vec<Tensor>>,
}

/// The Longformer encoder (HF `LongformerModel`; variables `embeddings`, `encoder.layer.<i>`,
/// `pooler`).
///
/// Inputs are padded to a multiple of the largest window (with `pad_token_id`, no attention)
/// and the outputs cut back, as HF does. `global_attention_mask` marks the tokens with global
/// attention (1) among the others (0).
#[derive(Debug)]
pub struct LongformerModel {
    embeddings: RobertaEmbeddings,
    layers: Vec<LongformerLayer>,
    pooler: Option<BertPooler>,
    pad_multiple: i64,
    pad_token_id: i64,
    output_attentions: bool,
    output_hidden_states: bool,
}

impl LongformerModel {
    /// Builds the model under `p`, with the pooler when `add_pooling_layer`.
    ///
    /// # Errors
    /// A configuration with a bad `attention_window` or head count
    /// ([`LongformerConfig::layer_windows`]).
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &LongformerConfig,
        add_pooling_layer: bool,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let windows = config.layer_windows()?;
        let roberta = config.roberta_config();
        let layer_path = p / "encoder" / "layer";
        let layers = windows
            .iter()
            .enumerate()
            .map(|(i, window)| LongformerLayer::new(&(&layer_path / i), config, *window))
            .collect();
        Ok(Self {
            embeddings: RobertaEmbeddings::new(p / "embeddings", &roberta),
            layers,
            pooler: add_pooling_layer.then(|| BertPooler::new(p / "pooler", &roberta)),
            pad_multiple: windows.iter().copied().max().unwrap_or(2),
            pad_token_id: config.padding_id(),
            output_attentions: config.output_attentions.unwrap_or(false),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
        })
    }

    crate::common::twin::infallible_new!(LongformerConfig, add_pooling_layer: bool);

    /// The word embedding matrix (tied to the masked-LM decoder).
    fn word_embeddings_weight(&self) -> &Tensor {
        self.embeddings.word_embeddings_weight()
    }

    /// Runs the encoder.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, hidden]`: exactly one.
    /// * `attention_mask` `[batch, seq]`: 1 for tokens, 0 for padding (all ones by default).
    /// * `global_attention_mask` `[batch, seq]`: 1 for tokens with global attention.
    /// * `token_type_ids`, `position_ids` `[batch, seq]`: positions default to RoBERTa's
    ///   (counted from the padding index, padding excluded).
    ///
    /// # Errors
    /// Missing, doubled or mis-shaped inputs, an empty batch, ids past the vocabulary or
    /// positions past `max_position_embeddings`.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        global_attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<LongformerModelOutput, RustBertError> {
        let (batch, seq, device) = batch_and_length_or_embeds(input_ids, input_embeds)?;
        if batch == 0 {
            return Err(RustBertError::ValueError(
                "Longformer received an empty batch".into(),
            ));
        }
        let check = |t: Option<&Tensor>, what: &str| -> Result<(), RustBertError> {
            match t {
                Some(t) if t.size() != [batch, seq] => Err(RustBertError::ValueError(format!(
                    "{what} has shape {:?}; expected [{batch}, {seq}]",
                    t.size()
                ))),
                _ => Ok(()),
            }
        };
        check(attention_mask, "attention_mask")?;
        check(global_attention_mask, "global_attention_mask")?;
        check(token_type_ids, "token_type_ids")?;
        check(position_ids, "position_ids")?;

        // HF's merged mask: 0 padding, 1 local attention, 2 global attention.
        let local = match attention_mask {
            Some(mask) => mask.ne(0).to_kind(Kind::Int64).to_device(device),
            None => Tensor::ones([batch, seq], (Kind::Int64, device)),
        };
        let merged = match global_attention_mask {
            Some(global) => &local * (global.ne(0).to_kind(Kind::Int64).to_device(device) + 1),
            None => local,
        };

        let padding = (self.pad_multiple - seq % self.pad_multiple) % self.pad_multiple;
        let pad = |t: &Tensor, value: i64| t.pad([0, padding], "constant", value as f64);
        let (ids, merged, types, positions, embeds) = if padding > 0 {
            let embeds = match input_embeds {
                // HF appends the *full embedding output* of padding ids to the given
                // embeddings (which then go through the embeddings again); kept for parity.
                Some(embeds) => {
                    let pad_ids =
                        Tensor::full([batch, padding], self.pad_token_id, (Kind::Int64, device));
                    let tail =
                        self.embeddings
                            .forward_t(Some(&pad_ids), None, None, None, train)?;
                    Some(Tensor::cat(&[embeds, &tail.to_kind(embeds.kind())], 1))
                }
                None => None,
            };
            (
                input_ids.map(|ids| pad(ids, self.pad_token_id)),
                pad(&merged, 0),
                token_type_ids.map(|t| pad(t, 0)),
                position_ids.map(|t| pad(t, self.pad_token_id)),
                embeds,
            )
        } else {
            (
                input_ids.map(Tensor::shallow_clone),
                merged,
                token_type_ids.map(Tensor::shallow_clone),
                position_ids.map(Tensor::shallow_clone),
                input_embeds.map(Tensor::shallow_clone),
            )
        };
        let embedded = self.embeddings.forward_t(
            ids.as_ref(),
            types.as_ref(),
            positions.as_ref(),
            embeds.as_ref(),
            train,
        )?;
        let masks = AttentionMasks::new(&merged)?;

        let output_attentions = self.output_attentions;
        let mut all_hidden_states = self.output_hidden_states.then(Vec::new);
        let mut all_attentions = output_attentions.then(Vec::new);
        let mut all_global_attentions =
            (output_attentions && masks.global.is_some()).then(Vec::new);
        let unpad = |t: &Tensor, dim: i64| {
            if padding > 0 {
                t.narrow(dim, 0, seq)
            } else {
                t.shallow_clone()
            }
        };
        let mut hidden = embedded;
        for layer in &self.layers {
            if let Some(states) = all_hidden_states.as_mut() {
                states.push(unpad(&hidden, 1));
            }
            let (output, local, global) =
                layer.forward_t(&hidden, &masks, output_attentions, train);
            hidden = output;
            if let (Some(all), Some(local)) = (all_attentions.as_mut(), local) {
                all.push(unpad(&local, 2));
            }
            if let (Some(all), Some(global)) = (all_global_attentions.as_mut(), global) {
                all.push(global);
            }
        }
        let hidden_state = unpad(&hidden, 1);
        if let Some(states) = all_hidden_states.as_mut() {
            states.push(hidden_state.shallow_clone());
        }
        let pooled_output = self.pooler.as_ref().map(|p| p.forward(&hidden_state));
        Ok(LongformerModelOutput {
            hidden_state,
            pooled_output,
            all_hidden_states,
            all_attentions,
            all_global_attentions,
        })
    }
}

/// Global attention on the tokens before the first separator (`before_separator`, the question
/// of a question-answering input `<s> question </s></s> context </s>`), or after the second one
/// (the choice of a multiple-choice input), as HF computes it when no mask is given.
///
/// # Errors
/// A row without exactly three separators (HF's rule: the inputs are not question/context
/// pairs; give `global_attention_mask` explicitly then).
fn global_mask_from_separators(
    input_ids: &Tensor,
    sep_token_id: i64,
    before_separator: bool,
) -> Result<Tensor, RustBertError> {
    let (batch, seq) = match input_ids.size().as_slice() {
        [batch, seq] => (*batch, *seq),
        other => {
            return Err(RustBertError::ValueError(format!(
                "input_ids must be [batch, seq], got {other:?}"
            )))
        }
    };
    let is_sep = input_ids.eq(sep_token_id);
    let counts = is_sep.sum_dim_intlist(1, false, Kind::Int64);
    if batch > 0 && !bool::try_from(counts.eq(3).all())? {
        return Err(RustBertError::ValueError(format!(
            "every input needs exactly three separator tokens ({sep_token_id}) to place global \
             attention automatically; found {:?}. Give a global_attention_mask instead",
            Vec::<i64>::try_from(&counts)?
        )));
    }
    // argmax returns the first maximal index: the first separator.
    let first = is_sep.to_kind(Kind::Int64).argmax(1, true);
    let positions = Tensor::arange(seq, (Kind::Int64, input_ids.device())).unsqueeze(0);
    Ok(if before_separator {
        positions.lt_tensor(&first)
    } else {
        positions.gt_tensor(&(first + 1))
    }
    .to_kind(Kind::Int64))
}

/// Output of [`LongformerForMaskedLM`].
#[derive(Debug)]
pub struct LongformerMaskedLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub prediction_scores: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Local attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
    /// Global attention probabilities of every layer, when asked and some token is global.
    pub all_global_attentions: Option<Vec<Tensor>>,
}

/// Output of [`LongformerForSequenceClassification`] and [`LongformerForMultipleChoice`].
#[derive(Debug)]
pub struct LongformerSequenceClassificationOutput {
    /// Class logits `[batch, num_labels]` (`[batch, num_choices]` for multiple choice).
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Local attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
    /// Global attention probabilities of every layer, when asked and some token is global.
    pub all_global_attentions: Option<Vec<Tensor>>,
}

/// Output of [`LongformerForTokenClassification`].
#[derive(Debug)]
pub struct LongformerTokenClassificationOutput {
    /// Label logits `[batch, seq, num_labels]`.
    pub logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Local attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
    /// Global attention probabilities of every layer, when asked and some token is global.
    pub all_global_attentions: Option<Vec<Tensor>>,
}

/// Output of [`LongformerForQuestionAnswering`].
#[derive(Debug)]
pub struct LongformerQuestionAnsweringOutput {
    /// Answer start logits `[batch, seq]`.
    pub start_logits: Tensor,
    /// Answer end logits `[batch, seq]`.
    pub end_logits: Tensor,
    /// Hidden states of every layer, when asked.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Local attention probabilities of every layer, when asked.
    pub all_attentions: Option<Vec<Tensor>>,
    /// Global attention probabilities of every layer, when asked and some token is global.
    pub all_global_attentions: Option<Vec<Tensor>>,
}

/// Longformer with a masked-language-model head (variables `longformer`, `lm_head`: RoBERTa's
/// head, decoder tied to the word embeddings unless `tie_word_embeddings` is false).
#[derive(Debug)]
pub struct LongformerForMaskedLM {
    longformer: LongformerModel,
    lm_head: RobertaLMHead,
}

impl LongformerForMaskedLM {
    /// Builds the model under `p`.
    ///
    /// # Errors
    /// A bad configuration ([`LongformerConfig::layer_windows`]).
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &LongformerConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let longformer = LongformerModel::try_new(p / "longformer", config, false)?;
        let lm_head = RobertaLMHead::new(
            p / "lm_head",
            &config.roberta_config(),
            longformer.word_embeddings_weight(),
        );
        Ok(Self {
            longformer,
            lm_head,
        })
    }

    crate::common::twin::infallible_new!(LongformerConfig);

    /// Vocabulary logits for every position (arguments as [`LongformerModel::forward_t`]).
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        global_attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<LongformerMaskedLMOutput, RustBertError> {
        let output = self.longformer.forward_t(
            input_ids,
            attention_mask,
            global_attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(LongformerMaskedLMOutput {
            prediction_scores: self.lm_head.forward(&output.hidden_state),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
            all_global_attentions: output.all_global_attentions,
        })
    }
}

/// Longformer with RoBERTa's sentence classifier on `<s>` (variables `longformer`,
/// `classifier`).
#[derive(Debug)]
pub struct LongformerForSequenceClassification {
    longformer: LongformerModel,
    classifier: RobertaClassificationHead,
}

impl LongformerForSequenceClassification {
    /// Builds the model; errors when the configuration has no `id2label` or is invalid.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &LongformerConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            longformer: LongformerModel::try_new(p / "longformer", config, false)?,
            classifier: RobertaClassificationHead::new(p / "classifier", &config.roberta_config())?,
        })
    }

    /// Class logits for each sequence. Without `global_attention_mask`, the first token
    /// (`<s>`) gets global attention, as in HF.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        global_attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<LongformerSequenceClassificationOutput, RustBertError> {
        let first_token = match global_attention_mask {
            Some(_) => None,
            None => {
                let (batch, seq, device) = batch_and_length_or_embeds(input_ids, input_embeds)?;
                let mask = Tensor::zeros([batch, seq], (Kind::Int64, device));
                let _ = mask.narrow(1, 0, 1).fill_(1);
                Some(mask)
            }
        };
        let output = self.longformer.forward_t(
            input_ids,
            attention_mask,
            global_attention_mask.or(first_token.as_ref()),
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        Ok(LongformerSequenceClassificationOutput {
            logits: self.classifier.forward_t(&output.hidden_state, train),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
            all_global_attentions: output.all_global_attentions,
        })
    }
}

/// Longformer predicting answer spans (variables `longformer`, `qa_outputs`).
#[derive(Debug)]
pub struct LongformerForQuestionAnswering {
    longformer: LongformerModel,
    qa_outputs: nn::Linear,
    sep_token_id: i64,
}

impl LongformerForQuestionAnswering {
    /// Builds the model under `p`.
    ///
    /// # Errors
    /// A bad configuration ([`LongformerConfig::layer_windows`]).
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &LongformerConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            longformer: LongformerModel::try_new(p / "longformer", config, false)?,
            qa_outputs: linear(p / "qa_outputs", config.hidden_size, 2),
            sep_token_id: config.sep_token_id,
        })
    }

    crate::common::twin::infallible_new!(LongformerConfig);

    /// Start and end logits. Without `global_attention_mask`, the question (the tokens before
    /// the first separator of `<s> question </s></s> context </s>`) gets global attention, as
    /// in HF; that needs `input_ids` with exactly three separators per row (an error
    /// otherwise). From `input_embeds` alone no token is global.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        global_attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<LongformerQuestionAnsweringOutput, RustBertError> {
        let question = match (global_attention_mask, input_ids) {
            (None, Some(ids)) => Some(global_mask_from_separators(ids, self.sep_token_id, true)?),
            _ => None,
        };
        let output = self.longformer.forward_t(
            input_ids,
            attention_mask,
            global_attention_mask.or(question.as_ref()),
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let logits = output.hidden_state.apply(&self.qa_outputs);
        let start_logits = logits.select(-1, 0).contiguous();
        let end_logits = logits.select(-1, 1).contiguous();
        Ok(LongformerQuestionAnsweringOutput {
            start_logits,
            end_logits,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
            all_global_attentions: output.all_global_attentions,
        })
    }
}

/// Longformer labelling each token (variables `longformer`, `classifier`).
#[derive(Debug)]
pub struct LongformerForTokenClassification {
    longformer: LongformerModel,
    dropout: Dropout,
    classifier: nn::Linear,
}

impl LongformerForTokenClassification {
    /// Builds the model; errors when the configuration has no `id2label` or is invalid.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &LongformerConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let labels = num_labels(config.id2label.as_ref())?;
        Ok(Self {
            longformer: LongformerModel::try_new(p / "longformer", config, false)?,
            dropout: Dropout::new(config.hidden_dropout_prob),
            classifier: linear(p / "classifier", config.hidden_size, labels),
        })
    }

    /// Label logits for every token (no global attention unless given, as in HF).
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        global_attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<LongformerTokenClassificationOutput, RustBertError> {
        let output = self.longformer.forward_t(
            input_ids,
            attention_mask,
            global_attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let logits = self
            .dropout
            .forward_t(&output.hidden_state, train)
            .apply(&self.classifier);
        Ok(LongformerTokenClassificationOutput {
            logits,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
            all_global_attentions: output.all_global_attentions,
        })
    }
}

/// Longformer scoring each choice of a multiple-choice question on its pooled first token
/// (variables `longformer`, with its pooler, and `classifier`).
#[derive(Debug)]
pub struct LongformerForMultipleChoice {
    longformer: LongformerModel,
    dropout: Dropout,
    classifier: nn::Linear,
    sep_token_id: i64,
}

impl LongformerForMultipleChoice {
    /// Builds the model under `p`.
    ///
    /// # Errors
    /// A bad configuration ([`LongformerConfig::layer_windows`]).
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &LongformerConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            longformer: LongformerModel::try_new(p / "longformer", config, true)?,
            dropout: Dropout::new(config.hidden_dropout_prob),
            classifier: linear(p / "classifier", config.hidden_size, 1),
            sep_token_id: config.sep_token_id,
        })
    }

    crate::common::twin::infallible_new!(LongformerConfig);

    /// Choice logits `[batch, num_choices]` from `[batch, num_choices, seq]` inputs. Without
    /// `global_attention_mask`, the tokens after the second separator of each choice get global
    /// attention, as in HF (that needs three separators per row from `input_ids`).
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        global_attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<LongformerSequenceClassificationOutput, RustBertError> {
        let flat = ChoiceInputs::flatten(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
        )?;
        let global = match (global_attention_mask, &flat.input_ids) {
            (Some(global), _) => Some(flatten_choices(global, 3, "global_attention_mask")?),
            (None, Some(ids)) => Some(global_mask_from_separators(ids, self.sep_token_id, false)?),
            (None, None) => None,
        };
        let output = self.longformer.forward_t(
            flat.input_ids.as_ref(),
            flat.mask.as_ref(),
            global.as_ref(),
            flat.token_type_ids.as_ref(),
            flat.position_ids.as_ref(),
            flat.input_embeds.as_ref(),
            train,
        )?;
        let pooled = output.pooled_output.ok_or_else(|| {
            RustBertError::ValueError("the multiple-choice model has no pooler".into())
        })?;
        let scores = self
            .dropout
            .forward_t(&pooled, train)
            .apply(&self.classifier);
        Ok(LongformerSequenceClassificationOutput {
            logits: flat.logits(&scores)?,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
            all_global_attentions: output.all_global_attentions,
        })
    }
}

/// `(batch, seq, device)` of the one input given: `input_ids` `[batch, seq]` or `input_embeds`
/// `[batch, seq, hidden]`, with at least one token.
fn batch_and_length_or_embeds(
    input_ids: Option<&Tensor>,
    input_embeds: Option<&Tensor>,
) -> Result<(i64, i64, Device), RustBertError> {
    let (size, device) = match (input_ids, input_embeds) {
        (Some(ids), None) if ids.dim() == 2 => (ids.size(), ids.device()),
        (None, Some(embeds)) if embeds.dim() == 3 => (embeds.size(), embeds.device()),
        (Some(_), Some(_)) => {
            return Err(RustBertError::ValueError(
                "only one of input_ids or input_embeds may be set".into(),
            ))
        }
        (None, None) => {
            return Err(RustBertError::ValueError(
                "one of input_ids or input_embeds must be set".into(),
            ))
        }
        (Some(t), None) | (None, Some(t)) => {
            return Err(RustBertError::ValueError(format!(
                "input_ids must be [batch, seq] and input_embeds [batch, seq, hidden], got {:?}",
                t.size()
            )))
        }
    };
    if size[1] == 0 {
        return Err(RustBertError::ValueError(
            "Longformer received an input of length 0".into(),
        ));
    }
    Ok((size[0], size[1], device))
}
