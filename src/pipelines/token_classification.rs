//! # Token classification (named entities, part-of-speech tags)
//!
//! [`TokenClassificationModel`] gives every token of a text a label (`B-PER`, `NN`, ...) with
//! the model's probability for it, and its character offsets in the text. [`NERModel`] and
//! [`POSModel`] are built on it.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::pipelines::common::{ModelResource, ModelType};
//! use rust_bert::pipelines::token_classification::{
//!     LabelAggregationOption, TokenClassificationConfig, TokenClassificationModel,
//! };
//! use rust_bert::resources::LocalResource;
//! use std::path::PathBuf;
//!
//! let dir = PathBuf::from("path/to/model");
//! let config = TokenClassificationConfig::new(
//!     ModelType::Bert,
//!     ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
//!     LocalResource::from(dir.join("config.json")),
//!     LocalResource::from(dir.join("vocab.txt")),
//!     None,  // merges, for byte-level BPE tokenizers (RoBERTa)
//!     false, // lower case
//!     None,  // strip accents (default: as lower case)
//!     None,  // add prefix space
//!     LabelAggregationOption::First,
//! );
//! let model = TokenClassificationModel::new(config)?;
//! let tokens = model.predict(&["My name is Amélie. I live in Paris."], true, false);
//! for token in &tokens[0] {
//!     println!("{} {} {:.3} {:?}", token.text, token.label, token.score, token.offset);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## How it works, and how it maps onto HF's `pipeline("token-classification")`
//!
//! * Scores are the softmax of the model's logits; a token's label is the most probable one
//!   and its score that probability, as in HF.
//! * `predict(texts, false, false)` returns every text token (special tokens left out): HF's
//!   `aggregation_strategy="none"` with `ignore_labels=[]` (same labels, scores, `index`,
//!   `start`/`end` = [`Token::offset`]). `return_special = true` adds the special tokens
//!   (`[CLS]`, `[SEP]`), which HF never returns.
//! * `predict(texts, true, _)` merges the sub-word tokens of each word into one [`Token`]. A word
//!   is a token and the sub-word tokens after it, by HF's rule (`is_subword`): for tokenizers with
//!   a continuing-subword prefix (WordPiece's `##`: BERT, DistilBERT, ...) the tokens marked as
//!   continuations; for the others (byte-level BPE, SentencePiece) HF's fallback heuristic, a
//!   token is a sub-word when it does not start the text and neither it nor the character before
//!   it is a space (so `Paris.` is one word for RoBERTa, as in HF); an unknown token always
//!   starts a word. The word's label comes from [`LabelAggregationOption`]: with
//!   [`LabelAggregationOption::First`] the words are those of HF's `aggregation_strategy="first"`
//!   before its entity grouping (label and score of the first sub-token). `Last` takes the last
//!   sub-token's label and score. `Mode` and `Custom`, which choose a label from all sub-tokens,
//!   report the mean probability of the chosen label over the sub-tokens (the score HF's
//!   `average` strategy gives its label); a custom label index outside the model's labels gets
//!   score 0. Words of a single token are returned as they are. rust-bert 0.23 scored merged
//!   words with a product of sub-token scores; HF's scores are used here.
//! * [`NERModel::predict_full_entities`](crate::pipelines::ner::NERModel::predict_full_entities)
//!   groups the words into entities as HF's `aggregation_strategy="first"` does.
//!
//! ## Long texts
//! A text longer than the model's maximum length is split into overlapping windows (HF's
//! overflowing tokens: windows of `max_len` tokens with special tokens, consecutive windows
//! sharing `max_len / 4` tokens, rust-bert's overlap). Each text token takes its label from one
//! window: of the tokens two windows share, the first half from the earlier window and the rest
//! from the later one, so every token keeps context on both sides. Offsets always point into the
//! whole text, whatever the window or the batch it was scored in (rust-bert 0.23 restarted them
//! for texts longer than one batch of windows). HF's pipeline truncates such texts unless it is
//! given a `stride`.
//!
//! ## Batching
//! Windows of all texts are sorted by length and run in batches of
//! [`TokenClassificationConfig::batch_size`] with their attention masks, so a text gets the same
//! labels and scores alone or in any batch.
//!
//! [`NERModel`]: crate::pipelines::ner::NERModel
//! [`POSModel`]: crate::pipelines::pos_tagging::POSModel
use crate::albert::AlbertForTokenClassification;
use crate::bert::BertForTokenClassification;
use crate::distilbert::DistilBertForTokenClassification;
use crate::electra::ElectraForTokenClassification;
use crate::fnet::FNetForTokenClassification;
use crate::longformer::LongformerForTokenClassification;
use crate::mobilebert::MobileBertForTokenClassification;
use crate::mpnet::MPNetForTokenClassification;
use crate::pipelines::common::{
    length_sorted_batches, pad_sequences, ConfigOption, ModelResource, ModelType, PaddingSide,
    TokenizerOption,
};
use crate::resources::ResourceProvider;
use crate::roberta::RobertaForTokenClassification;
use crate::RustBertError;
use rust_tokenizers::{ConsolidatableTokens, ConsolidatedTokenIterator, TokenTrait};
use rust_tokenizers::{Mask, Offset};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::VarStore;
use tch::{nn, Device, Kind, Tensor};

#[cfg(feature = "remote")]
use crate::{
    bert::{BertConfigResources, BertModelResources, BertVocabResources},
    resources::RemoteResource,
};

/// A token (or, after consolidation, a word) with its label.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    /// The token's text: the characters of the input it spans (`[CLS]`-like special tokens,
    /// which span none, are decoded from the vocabulary).
    pub text: String,
    /// The model's probability for `label`.
    pub score: f64,
    /// The label (e.g. `B-PER`, `NN`).
    pub label: String,
    /// The label's index in the model's `id2label`.
    pub label_index: i64,
    /// The position of the token's text in the input list.
    pub sentence: usize,
    /// The token's position in the text's encoding, special tokens included (HF's `index`;
    /// for a merged word, its first sub-token's). Saturates at `u16::MAX`.
    pub index: u16,
    /// The position of the token's word among the returned tokens' words, from 0 (special
    /// tokens count as words when returned; rust-bert 0.23 counted from 1). Saturates at
    /// `u16::MAX`.
    pub word_index: u16,
    /// Character (Unicode code point) offsets of the token in its text; `None` for special
    /// tokens.
    pub offset: Option<Offset>,
    /// The token's role: `Special`, `Unknown`, `Begin` (a word's first sub-token),
    /// `Continuation` (a later sub-token), or the tokenizer's mask; `None` for merged words.
    pub mask: Mask,
}

impl TokenTrait for Token {
    fn offset(&self) -> Option<Offset> {
        self.offset
    }

    fn mask(&self) -> Mask {
        self.mask
    }

    fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

impl ConsolidatableTokens<Token> for Vec<Token> {
    fn iter_consolidate_tokens(&self) -> ConsolidatedTokenIterator<'_, Token> {
        ConsolidatedTokenIterator::new(self)
    }
}

/// A custom rule choosing a word's `(label index, label)` from its sub-tokens.
pub type LabelAggregationFunction = Box<dyn Fn(&[Token]) -> (i64, String) + Send + Sync>;

/// How the label of a word made of several sub-tokens is chosen when sub-tokens are
/// consolidated (see the [module docs](self) for the scores).
pub enum LabelAggregationOption {
    /// The first sub-token's label (HF's `aggregation_strategy="first"`).
    First,
    /// The last sub-token's label.
    Last,
    /// The most frequent label among the sub-tokens (ties: the highest sub-token score, then
    /// the lowest label index).
    Mode,
    /// A function of the sub-tokens returning `(label index, label)`.
    Custom(LabelAggregationFunction),
}

impl std::fmt::Debug for LabelAggregationOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::First => f.write_str("First"),
            Self::Last => f.write_str("Last"),
            Self::Mode => f.write_str("Mode"),
            Self::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// Configuration of a [`TokenClassificationModel`]: the resources to load, the tokenizer's
/// options, the device and the aggregation of sub-tokens.
pub struct TokenClassificationConfig {
    /// Model architecture.
    pub model_type: ModelType,
    /// Weights (`.safetensors`, `.bin`, `.ot`).
    pub model_resource: ModelResource,
    /// HF `config.json` (with `id2label`).
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary.
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer merges (byte-level BPE tokenizers such as RoBERTa's).
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Lower-case the input (for uncased models).
    pub lower_case: bool,
    /// Strip accents (BERT and ALBERT tokenizers; `None`: as `lower_case`).
    pub strip_accents: Option<bool>,
    /// Add a space before the text (byte-level BPE tokenizers).
    pub add_prefix_space: Option<bool>,
    /// Device of the model (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights (`None`: float32 on CPU; `Some(Kind::QInt8)`: int8 copies of
    /// the matrices, see `common::quantize`).
    pub kind: Option<Kind>,
    /// Label of a word made of several sub-tokens (default: `First`).
    pub label_aggregation_function: LabelAggregationOption,
    /// Windows per forward pass (default 64).
    pub batch_size: usize,
}

impl TokenClassificationConfig {
    /// A configuration from its resources and tokenizer options, on CUDA when available, with
    /// batches of 64 windows.
    #[allow(clippy::too_many_arguments)]
    pub fn new<RC, RV>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
        merges_resource: Option<RV>,
        lower_case: bool,
        strip_accents: impl Into<Option<bool>>,
        add_prefix_space: impl Into<Option<bool>>,
        label_aggregation_function: LabelAggregationOption,
    ) -> TokenClassificationConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        TokenClassificationConfig {
            model_type,
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            merges_resource: merges_resource
                .map(|r| Box::new(r) as Box<dyn ResourceProvider + Send>),
            lower_case,
            strip_accents: strip_accents.into(),
            add_prefix_space: add_prefix_space.into(),
            device: Device::cuda_if_available(),
            kind: None,
            label_aggregation_function,
            batch_size: 64,
        }
    }
}

#[cfg(feature = "remote")]
impl Default for TokenClassificationConfig {
    /// English named entities (CoNLL-03): dbmdz/bert-large-cased-finetuned-conll03-english from
    /// the hub, cased, `First` aggregation.
    fn default() -> TokenClassificationConfig {
        TokenClassificationConfig::new(
            ModelType::Bert,
            ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                BertModelResources::BERT_NER,
            ))),
            RemoteResource::from_pretrained(BertConfigResources::BERT_NER),
            RemoteResource::from_pretrained(BertVocabResources::BERT_NER),
            None,
            false,
            None,
            None,
            LabelAggregationOption::First,
        )
    }
}

/// A token-classification model of any supported architecture.
// One model per pipeline: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum TokenClassificationOption {
    /// BERT.
    Bert(BertForTokenClassification),
    /// DistilBERT.
    DistilBert(DistilBertForTokenClassification),
    /// RoBERTa.
    Roberta(RobertaForTokenClassification),
    /// XLM-RoBERTa (RoBERTa's model).
    XLMRoberta(RobertaForTokenClassification),
    /// ALBERT.
    Albert(AlbertForTokenClassification),
    /// ELECTRA.
    Electra(ElectraForTokenClassification),
    /// MobileBERT.
    MobileBert(MobileBertForTokenClassification),
    /// FNet (each text runs unpadded: FNet has no attention mask).
    FNet(FNetForTokenClassification),
    /// Longformer.
    Longformer(LongformerForTokenClassification),
    /// DeBERTa.
    Deberta(crate::deberta::DebertaForTokenClassification),
    /// DeBERTa-v2/v3.
    DebertaV2(crate::deberta_v2::DebertaV2ForTokenClassification),
    /// XLNet.
    XLNet(crate::xlnet::XLNetForTokenClassification),
    /// MPNet.
    MPNet(MPNetForTokenClassification),
}

fn wrong_config(model_type: ModelType, config: &ConfigOption) -> RustBertError {
    RustBertError::InvalidConfigurationError(format!(
        "{} cannot build a {model_type:?} token classifier",
        config.description()
    ))
}

impl TokenClassificationOption {
    /// Checks that `model_type` has a token-classification model in this crate (before any
    /// resource is fetched).
    ///
    /// # Errors
    /// `UnsupportedError` naming the model type.
    pub fn check_model_type(model_type: ModelType) -> Result<(), RustBertError> {
        match model_type {
            ModelType::Bert
            | ModelType::DistilBert
            | ModelType::Roberta
            | ModelType::XLMRoberta
            | ModelType::Albert
            | ModelType::Electra
            | ModelType::MobileBert
            | ModelType::FNet
            | ModelType::XLNet
            | ModelType::MPNet
            | ModelType::Longformer
            | ModelType::Deberta
            | ModelType::DebertaV2 => Ok(()),
            ModelType::Reformer => Err(RustBertError::UnsupportedError(format!(
                "token classification with {model_type:?} is not implemented in this crate yet \
                 (supported: Bert, DistilBert, Roberta, XLMRoberta, Albert, Electra, MobileBert, FNet, \
                 XLNet, MPNet, Longformer, Deberta, DebertaV2)"
            ))),
            _ => Err(RustBertError::UnsupportedError(format!(
                "{model_type:?} has no token classification model"
            ))),
        }
    }

    /// Builds the model of `model_type` under `p` from its configuration.
    ///
    /// # Errors
    /// `UnsupportedError` for model types without a token classifier here,
    /// `InvalidConfigurationError` when `config` is of another architecture or has no
    /// `id2label`.
    pub fn new<'p, P>(
        model_type: ModelType,
        p: P,
        config: &ConfigOption,
    ) -> Result<Self, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        Self::check_model_type(model_type)?;
        let p = p.borrow();
        Ok(match (model_type, config) {
            (ModelType::Bert, ConfigOption::Bert(c)) => {
                Self::Bert(BertForTokenClassification::new(p, c)?)
            }
            (ModelType::DistilBert, ConfigOption::DistilBert(c)) => {
                Self::DistilBert(DistilBertForTokenClassification::new(p, c)?)
            }
            (ModelType::Roberta, ConfigOption::Roberta(c)) => {
                Self::Roberta(RobertaForTokenClassification::new(p, c)?)
            }
            (ModelType::XLMRoberta, ConfigOption::Roberta(c)) => {
                Self::XLMRoberta(RobertaForTokenClassification::new(p, c)?)
            }
            (ModelType::Albert, ConfigOption::Albert(c)) => {
                Self::Albert(AlbertForTokenClassification::new(p, c)?)
            }
            (ModelType::Electra, ConfigOption::Electra(c)) => {
                Self::Electra(ElectraForTokenClassification::new(p, c)?)
            }
            (ModelType::MobileBert, ConfigOption::MobileBert(c)) => {
                Self::MobileBert(MobileBertForTokenClassification::new(p, c)?)
            }
            (ModelType::FNet, ConfigOption::FNet(c)) => {
                Self::FNet(FNetForTokenClassification::new(p, c)?)
            }
            (ModelType::Longformer, ConfigOption::Longformer(c)) => {
                Self::Longformer(LongformerForTokenClassification::new(p, c)?)
            }
            (ModelType::Deberta, ConfigOption::Deberta(c)) => {
                Self::Deberta(crate::deberta::DebertaForTokenClassification::new(p, c)?)
            }
            (ModelType::DebertaV2, ConfigOption::DebertaV2(c)) => Self::DebertaV2(
                crate::deberta_v2::DebertaV2ForTokenClassification::new(p, c)?,
            ),
            (ModelType::XLNet, ConfigOption::XLNet(c)) => {
                Self::XLNet(crate::xlnet::XLNetForTokenClassification::new(p, c)?)
            }
            (ModelType::MPNet, ConfigOption::MPNet(c)) => {
                Self::MPNet(MPNetForTokenClassification::new(p, c)?)
            }
            (model_type, config) => return Err(wrong_config(model_type, config)),
        })
    }

    /// The model's architecture.
    pub fn model_type(&self) -> ModelType {
        match self {
            Self::Bert(_) => ModelType::Bert,
            Self::DistilBert(_) => ModelType::DistilBert,
            Self::Roberta(_) => ModelType::Roberta,
            Self::XLMRoberta(_) => ModelType::XLMRoberta,
            Self::Albert(_) => ModelType::Albert,
            Self::Electra(_) => ModelType::Electra,
            Self::MobileBert(_) => ModelType::MobileBert,
            Self::FNet(_) => ModelType::FNet,
            Self::Longformer(_) => ModelType::Longformer,
            Self::Deberta(_) => ModelType::Deberta,
            Self::DebertaV2(_) => ModelType::DebertaV2,
            Self::XLNet(_) => ModelType::XLNet,
            Self::MPNet(_) => ModelType::MPNet,
        }
    }

    /// Label logits `[batch, seq, num_labels]` (models without token types or position ids
    /// ignore those arguments).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        Ok(match self {
            Self::Bert(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            Self::DistilBert(model) => {
                model
                    .forward_t(input_ids, mask, input_embeds, train)?
                    .logits
            }
            Self::Roberta(model) | Self::XLMRoberta(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            Self::Albert(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            Self::Electra(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            Self::MobileBert(model) => match (input_ids, position_ids, input_embeds) {
                (Some(ids), None, None) => crate::pipelines::unpadded::forward_unpadded(
                    ids,
                    token_type_ids,
                    mask,
                    true,
                    |ids, types| {
                        Ok(vec![
                            model
                                .forward_t(Some(ids), types, None, None, None, train)?
                                .logits,
                        ])
                    },
                )?
                .remove(0),
                _ => {
                    model
                        .forward_t(
                            input_ids,
                            token_type_ids,
                            position_ids,
                            input_embeds,
                            mask,
                            train,
                        )?
                        .logits
                }
            },
            Self::FNet(model) => match (input_ids, position_ids, input_embeds) {
                (Some(ids), None, None) => crate::pipelines::unpadded::forward_unpadded(
                    ids,
                    token_type_ids,
                    mask,
                    true,
                    |ids, types| {
                        Ok(vec![
                            model.forward_t(Some(ids), types, None, None, train)?.logits,
                        ])
                    },
                )?
                .remove(0),
                _ => {
                    model
                        .forward_t(input_ids, token_type_ids, position_ids, input_embeds, train)?
                        .logits
                }
            },
            // No global attention, as HF's token classifier.
            Self::Longformer(model) => {
                model
                    .forward_t(
                        input_ids,
                        mask,
                        None,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            Self::Deberta(model) => {
                model
                    .forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            Self::DebertaV2(model) => {
                model
                    .forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            Self::XLNet(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        None,
                        None,
                        None,
                        token_type_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            // MPNet has no token types.
            Self::MPNet(model) => {
                model
                    .try_forward_t(input_ids, mask, position_ids, input_embeds, train)?
                    .logits
            }
        })
    }
}

/// How words are told apart (HF's `is_subword`, see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WordRule {
    /// The tokenizer marks sub-words with a prefix (`##`): its continuation masks.
    Prefix,
    /// No sub-word marker: a token glued to the previous character (no space) continues a word.
    Spaces,
}

fn word_rule(tokenizer: &TokenizerOption) -> WordRule {
    match tokenizer {
        TokenizerOption::Bert(_) | TokenizerOption::ProphetNet(_) => WordRule::Prefix,
        #[cfg(feature = "hf-tokenizers")]
        TokenizerOption::HFTokenizer(h) => {
            use tokenizers::models::ModelWrapper;
            match h.hf_tokenizer().get_model() {
                ModelWrapper::WordPiece(model) if !model.continuing_subword_prefix.is_empty() => {
                    WordRule::Prefix
                }
                ModelWrapper::BPE(model)
                    if model
                        .continuing_subword_prefix
                        .as_deref()
                        .is_some_and(|prefix| !prefix.is_empty()) =>
                {
                    WordRule::Prefix
                }
                _ => WordRule::Spaces,
            }
        }
        _ => WordRule::Spaces,
    }
}

/// One window of one text, ready for the model.
struct Window {
    /// The text's position in the input list.
    text: usize,
    /// Position of the window's first text token among the text's tokens.
    start: usize,
    first: bool,
    last: bool,
    ids: Vec<i64>,
    segments: Vec<i64>,
    special: Vec<bool>,
    offsets: Vec<Option<Offset>>,
    masks: Vec<Mask>,
}

/// A token of a text, with the label probabilities of the window it was taken from.
struct ScoredToken {
    /// Position in the text's whole encoding (special tokens included).
    index: usize,
    id: i64,
    special: bool,
    offset: Option<Offset>,
    mask: Mask,
    probabilities: Vec<f32>,
}

/// Label probabilities of a batch of windows, on the CPU.
struct BatchProbabilities {
    values: Vec<f32>,
    sequence_length: usize,
    num_labels: usize,
}

impl BatchProbabilities {
    fn row(&self, window: usize, position: usize) -> &[f32] {
        let start = (window * self.sequence_length + position) * self.num_labels;
        self.values
            .get(start..start + self.num_labels)
            .unwrap_or_default()
    }
}

/// Index of the largest probability (the first one on ties, as numpy's `argmax`; NaN never
/// wins).
fn argmax(probabilities: &[f32]) -> usize {
    let mut best = 0;
    for (i, &p) in probabilities.iter().enumerate() {
        if p > probabilities[best] || probabilities[best].is_nan() && !p.is_nan() {
            best = i;
        }
    }
    best
}

fn saturate(value: usize) -> u16 {
    u16::try_from(value).unwrap_or(u16::MAX)
}

/// A model labelling every token of a text (named entities, part-of-speech tags).
pub struct TokenClassificationModel {
    tokenizer: TokenizerOption,
    token_sequence_classifier: TokenClassificationOption,
    label_mapping: HashMap<i64, String>,
    var_store: VarStore,
    label_aggregation_function: LabelAggregationOption,
    max_length: usize,
    stride: usize,
    batch_size: usize,
    word_rule: WordRule,
    unk_id: i64,
}

impl TokenClassificationModel {
    /// Loads the tokenizer, configuration and weights of `config`.
    ///
    /// # Errors
    /// `UnsupportedError` for model types without a token classifier here (checked before any
    /// resource is fetched); resource, tokenizer and weight errors; `InvalidConfigurationError`
    /// naming the configuration file when it has no `id2label` or its labels are not numbered
    /// `0..n`, or when its maximum length leaves no room for text.
    pub fn new(
        config: TokenClassificationConfig,
    ) -> Result<TokenClassificationModel, RustBertError> {
        TokenClassificationOption::check_model_type(config.model_type)?;
        let tokenizer = TokenizerOption::from_resources(
            config.model_type,
            config.vocab_resource.as_ref(),
            config.merges_resource.as_deref(),
            config.lower_case,
            config.strip_accents,
            config.add_prefix_space,
        )?;
        Self::new_with_tokenizer(config, tokenizer)
    }

    /// Like [`TokenClassificationModel::new`] with a tokenizer of the caller's (e.g. an HF
    /// `tokenizer.json`); the vocabulary and tokenizer options of `config` are not used.
    ///
    /// # Errors
    /// As [`TokenClassificationModel::new`].
    pub fn new_with_tokenizer(
        config: TokenClassificationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<TokenClassificationModel, RustBertError> {
        TokenClassificationOption::check_model_type(config.model_type)?;
        let config_path = config.config_resource.get_local_path()?;
        let in_file = |error: RustBertError| match error {
            RustBertError::InvalidConfigurationError(message) => {
                RustBertError::InvalidConfigurationError(format!(
                    "{}: {message}",
                    config_path.display()
                ))
            }
            other => other,
        };
        let model_config = ConfigOption::from_file(config.model_type, &config_path)?;
        tokenizer.check_model_vocab(model_config.get_vocab_size())?;
        let label_mapping = model_config.get_label_mapping().map_err(in_file)?.clone();
        if let Some(missing) =
            (0..label_mapping.len() as i64).find(|i| !label_mapping.contains_key(i))
        {
            return Err(in_file(RustBertError::InvalidConfigurationError(format!(
                "id2label has {} labels but no label {missing} (labels must be numbered 0..{})",
                label_mapping.len(),
                label_mapping.len()
            ))));
        }
        let max_length = crate::pipelines::sequence_classification::max_length(&model_config);
        let width = max_length.saturating_sub(tokenizer.num_special_tokens(false));
        if width == 0 {
            return Err(in_file(RustBertError::InvalidConfigurationError(format!(
                "the maximum length {max_length} leaves no room for text after the special tokens"
            ))));
        }
        // rust-bert's overlap between windows, kept below the window's text length.
        let stride = (max_length / 4).min(width - 1);
        let mut var_store = VarStore::new(config.device);
        let _deferred = crate::common::layers::linear::defer_init();
        let token_sequence_classifier =
            TokenClassificationOption::new(config.model_type, var_store.root(), &model_config)
                .map_err(in_file)?;
        crate::resources::load_weights(
            &config.model_resource,
            &mut var_store,
            config.kind,
            config.device,
        )?;
        let word_rule = word_rule(&tokenizer);
        let unk_id = tokenizer.get_unk_id();
        Ok(TokenClassificationModel {
            tokenizer,
            token_sequence_classifier,
            label_mapping,
            var_store,
            label_aggregation_function: config.label_aggregation_function,
            max_length,
            stride,
            batch_size: config.batch_size,
            word_rule,
            unk_id,
        })
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        &self.tokenizer
    }

    /// The tokenizer, mutably (e.g. to add tokens).
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        &mut self.tokenizer
    }

    /// The labels of the model (`id2label`).
    pub fn get_label_mapping(&self) -> &HashMap<i64, String> {
        &self.label_mapping
    }

    /// Labels every token of each text.
    ///
    /// * `consolidate_sub_tokens`: merge the sub-word tokens of each word into one [`Token`]
    ///   labelled by the configured [`LabelAggregationOption`];
    /// * `return_special`: also return the special tokens (`[CLS]`, `[SEP]`, ...).
    ///
    /// Returns one list per text, in input order, tokens in text order. Empty input gives an
    /// empty list, an empty or blank text an empty list of tokens.
    ///
    /// # Panics
    /// When [`TokenClassificationModel::try_predict`] returns an error (the model fails on a
    /// batch: which inputs the tokenizer made do not cause, but a broken model or device can);
    /// call it to get the `RustBertError` instead. This signature is rust-bert 0.23's.
    #[allow(clippy::panic)]
    pub fn predict<S>(
        &self,
        input: &[S],
        consolidate_sub_tokens: bool,
        return_special: bool,
    ) -> Vec<Vec<Token>>
    where
        S: AsRef<str>,
    {
        match self.try_predict(input, consolidate_sub_tokens, return_special) {
            Ok(tokens) => tokens,
            Err(error) => panic!("predict: {error}"),
        }
    }

    /// [`TokenClassificationModel::predict`], returning the model's errors instead of
    /// panicking: a failure is never turned into empty tokens.
    pub fn try_predict<S>(
        &self,
        input: &[S],
        consolidate_sub_tokens: bool,
        return_special: bool,
    ) -> Result<Vec<Vec<Token>>, RustBertError>
    where
        S: AsRef<str>,
    {
        Ok(self
            .score_tokens(input)?
            .into_iter()
            .enumerate()
            .map(|(sentence, scored)| {
                self.build_tokens(
                    input[sentence].as_ref(),
                    sentence,
                    scored,
                    consolidate_sub_tokens,
                    return_special,
                )
            })
            .collect())
    }

    // -- model -----------------------------------------------------------------------------

    fn windows<S: AsRef<str>>(&self, input: &[S]) -> Result<Vec<Window>, RustBertError> {
        let width = self
            .max_length
            .saturating_sub(self.tokenizer.num_special_tokens(false));
        let step = width.saturating_sub(self.stride).max(1);
        let mut windows = Vec::new();
        for (text, value) in input.iter().enumerate() {
            let encoded = self
                .tokenizer
                .encode_windows(value.as_ref(), self.max_length, self.stride)
                .map_err(|error| {
                    RustBertError::ValueError(format!(
                        "token classification: cannot split text {text} into windows: {error}"
                    ))
                })?;
            let count = encoded.len();
            for (k, window) in encoded.into_iter().enumerate() {
                let n = window.token_ids.len();
                windows.push(Window {
                    text,
                    start: k * step,
                    first: k == 0,
                    last: k + 1 == count,
                    segments: (0..n)
                        .map(|i| window.segment_ids.get(i).map_or(0, |&s| i64::from(s)))
                        .collect(),
                    special: (0..n)
                        .map(|i| window.special_tokens_mask.get(i).is_some_and(|&s| s != 0))
                        .collect(),
                    offsets: (0..n)
                        .map(|i| window.token_offsets.get(i).copied().flatten())
                        .collect(),
                    masks: (0..n)
                        .map(|i| window.mask.get(i).copied().unwrap_or_default())
                        .collect(),
                    ids: window.token_ids,
                });
            }
        }
        Ok(windows)
    }

    fn probabilities(&self, windows: &[&Window]) -> Result<BatchProbabilities, RustBertError> {
        let device = self.var_store.device();
        let batch = pad_sequences(
            windows
                .iter()
                .map(|w| (w.ids.as_slice(), w.segments.as_slice())),
            self.tokenizer.pad_id_or_fallback(),
            self.tokenizer.pad_token_type_id(),
            PaddingSide::Right,
            device,
        );
        let logits = crate::common::error::guarded("token classification", || {
            tch::no_grad(|| {
                self.token_sequence_classifier.forward_t(
                    Some(&batch.input_ids),
                    Some(&batch.attention_mask),
                    Some(&batch.token_type_ids),
                    None,
                    None,
                    false,
                )
            })
        })?;
        let (_, sequence_length, num_labels) = logits.size3()?;
        let probabilities = logits
            .to_kind(Kind::Float)
            .softmax(-1, Kind::Float)
            .to_device(Device::Cpu)
            .reshape([-1]);
        Ok(BatchProbabilities {
            values: Vec::<f32>::try_from(&probabilities)?,
            sequence_length: usize::try_from(sequence_length).unwrap_or_default(),
            num_labels: usize::try_from(num_labels).unwrap_or_default(),
        })
    }

    /// The tokens of each text with their probabilities, each text token taken from one window
    /// (see the module docs), in text order.
    fn score_tokens<S: AsRef<str>>(
        &self,
        input: &[S],
    ) -> Result<Vec<Vec<ScoredToken>>, RustBertError> {
        let windows = self.windows(input)?;
        let mut scored: Vec<Vec<ScoredToken>> = input.iter().map(|_| Vec::new()).collect();
        let lengths: Vec<usize> = windows.iter().map(|w| w.ids.len()).collect();
        for batch in length_sorted_batches(&lengths, self.batch_size) {
            let members: Vec<&Window> = batch.iter().map(|&i| &windows[i]).collect();
            let probabilities = self.probabilities(&members)?;
            for (row, window) in members.iter().enumerate() {
                self.take_owned(window, &probabilities, row, &mut scored[window.text]);
            }
        }
        for tokens in &mut scored {
            tokens.sort_by_key(|token| token.index);
        }
        Ok(scored)
    }

    /// Adds the tokens `window` owns to its text's tokens.
    fn take_owned(
        &self,
        window: &Window,
        probabilities: &BatchProbabilities,
        row: usize,
        tokens: &mut Vec<ScoredToken>,
    ) {
        let leading = window.special.iter().take_while(|&&s| s).count();
        let content = window.special.iter().filter(|&&s| !s).count();
        let lo = if window.first { 0 } else { self.stride / 2 };
        let hi = if window.last {
            content
        } else {
            content.saturating_sub(self.stride - self.stride / 2)
        };
        let mut seen = 0;
        let mut trailing = 0;
        for position in 0..window.ids.len() {
            let special = window.special[position];
            let index = if special && position < leading {
                if !window.first {
                    continue;
                }
                position
            } else if special {
                trailing += 1;
                if !window.last {
                    continue;
                }
                leading + window.start + content + trailing - 1
            } else {
                seen += 1;
                let q = seen - 1;
                if q < lo || q >= hi {
                    continue;
                }
                leading + window.start + q
            };
            tokens.push(ScoredToken {
                index,
                id: window.ids[position],
                special,
                offset: window.offsets[position],
                mask: window.masks[position],
                probabilities: probabilities.row(row, position).to_vec(),
            });
        }
    }

    // -- tokens ----------------------------------------------------------------------------

    fn is_subword(&self, token: &ScoredToken, chars: &[char]) -> bool {
        if token.special || token.id == self.unk_id {
            return false;
        }
        match self.word_rule {
            WordRule::Prefix => token.mask == Mask::Continuation,
            WordRule::Spaces => match token.offset {
                Some(offset) if offset.begin > 0 => {
                    let begin = offset.begin as usize;
                    chars.get(begin - 1) != Some(&' ') && chars.get(begin) != Some(&' ')
                }
                _ => false,
            },
        }
    }

    fn label(&self, index: usize) -> (i64, String) {
        let index = i64::try_from(index).unwrap_or_default();
        let label = self.label_mapping.get(&index).cloned().unwrap_or_default();
        (index, label)
    }

    fn token_text(&self, chars: &[char], token: &ScoredToken) -> String {
        match token.offset {
            Some(offset) => slice(chars, offset),
            None => self.tokenizer.decode(&[token.id], false, false),
        }
    }

    fn build_tokens(
        &self,
        text: &str,
        sentence: usize,
        scored: Vec<ScoredToken>,
        consolidate: bool,
        return_special: bool,
    ) -> Vec<Token> {
        let chars: Vec<char> = text.chars().collect();
        let kept: Vec<ScoredToken> = scored
            .into_iter()
            .filter(|token| return_special || !token.special)
            .collect();
        // A word never continues across a special token, and the first token starts one.
        let subword: Vec<bool> = (0..kept.len())
            .map(|i| i > 0 && !kept[i - 1].special && self.is_subword(&kept[i], &chars))
            .collect();
        let mut word = 0usize;
        let mut tokens = Vec::with_capacity(kept.len());
        for (i, token) in kept.iter().enumerate() {
            if i > 0 && !subword[i] {
                word += 1;
            }
            let next_is_subword = subword.get(i + 1).copied().unwrap_or(false);
            let mask = if token.special {
                Mask::Special
            } else if subword[i] {
                Mask::Continuation
            } else if token.mask == Mask::Unknown {
                Mask::Unknown
            } else if next_is_subword {
                Mask::Begin
            } else if matches!(token.mask, Mask::Begin | Mask::Continuation) {
                Mask::None
            } else {
                token.mask
            };
            let (label_index, label) = self.label(argmax(&token.probabilities));
            let score = token
                .probabilities
                .get(label_index as usize)
                .map_or(f64::NAN, |&p| f64::from(p));
            tokens.push(Token {
                text: self.token_text(&chars, token),
                score,
                label,
                label_index,
                sentence,
                index: saturate(token.index),
                word_index: saturate(word),
                offset: token.offset,
                mask,
            });
        }
        if !consolidate {
            return tokens;
        }
        let mut words = Vec::new();
        let mut start = 0;
        while start < tokens.len() {
            let end = (start + 1..tokens.len())
                .find(|&j| !subword[j])
                .unwrap_or(tokens.len());
            if end - start == 1 {
                words.push(tokens[start].clone());
            } else {
                let probabilities: Vec<&[f32]> = kept[start..end]
                    .iter()
                    .map(|t| t.probabilities.as_slice())
                    .collect();
                words.push(self.merge(&chars, &tokens[start..end], &probabilities));
            }
            start = end;
        }
        words
    }

    /// One token for a word of several sub-tokens.
    fn merge(&self, chars: &[char], group: &[Token], probabilities: &[&[f32]]) -> Token {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let mean_probability = |label: i64| {
            let values: Option<Vec<f64>> = probabilities
                .iter()
                .map(|p| {
                    usize::try_from(label)
                        .ok()
                        .and_then(|l| p.get(l))
                        .map(|&v| f64::from(v))
                })
                .collect();
            values.map_or(0.0, |v| v.iter().sum::<f64>() / v.len() as f64)
        };
        let (label_index, label, score) = match &self.label_aggregation_function {
            LabelAggregationOption::First => (first.label_index, first.label.clone(), first.score),
            LabelAggregationOption::Last => (last.label_index, last.label.clone(), last.score),
            LabelAggregationOption::Mode => {
                let mut counts: HashMap<i64, (usize, f64)> = HashMap::new();
                for token in group {
                    let entry = counts.entry(token.label_index).or_insert((0, f64::MIN));
                    entry.0 += 1;
                    entry.1 = entry.1.max(token.score);
                }
                let best = counts
                    .iter()
                    .max_by(|a, b| {
                        (a.1 .0, a.1 .1)
                            .partial_cmp(&(b.1 .0, b.1 .1))
                            .unwrap_or(std::cmp::Ordering::Equal)
                            .then(b.0.cmp(a.0))
                    })
                    .map_or(first.label_index, |(&label, _)| label);
                let (label_index, label) = self.label(usize::try_from(best).unwrap_or_default());
                (label_index, label, mean_probability(label_index))
            }
            LabelAggregationOption::Custom(function) => {
                let (label_index, label) = function(group);
                (label_index, label, mean_probability(label_index))
            }
        };
        let offset = match (first.offset, last.offset) {
            (Some(a), Some(b)) => Some(Offset::new(a.begin, b.end)),
            _ => None,
        };
        Token {
            text: offset.map_or_else(
                || group.iter().map(|t| t.text.as_str()).collect(),
                |offset| slice(chars, offset),
            ),
            score,
            label,
            label_index,
            sentence: first.sentence,
            index: first.index,
            word_index: first.word_index,
            offset,
            mask: Mask::None,
        }
    }
}

/// The characters `offset` spans (clamped to the text).
pub(crate) fn slice(chars: &[char], offset: Offset) -> String {
    let end = (offset.end as usize).min(chars.len());
    let begin = (offset.begin as usize).min(end);
    chars[begin..end].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::LocalResource;
    use std::path::PathBuf;

    fn fixture() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_tokens/bert_ner")
    }

    /// The tiny NER model with its classifier swapped for a mis-shaped tensor after loading:
    /// every forward fails, as a broken model or device would make it.
    fn broken_model() -> TokenClassificationModel {
        let dir = fixture();
        let mut config = TokenClassificationConfig::new(
            ModelType::Bert,
            ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
            LocalResource::from(dir.join("config.json")),
            LocalResource::from(dir.join("vocab.txt")),
            None,
            true,
            None,
            None,
            LabelAggregationOption::First,
        );
        config.device = Device::Cpu;
        let model = TokenClassificationModel::new(config).unwrap();
        let variables = model.var_store.variables();
        let classifier = variables
            .iter()
            .find(|(name, _)| name.starts_with("classifier") && name.ends_with("weight"))
            .map(|(_, tensor)| tensor)
            .unwrap();
        tch::no_grad(|| {
            let mut classifier = classifier.shallow_clone();
            classifier.set_data(&Tensor::zeros([3, 5], (Kind::Float, Device::Cpu)));
        });
        model
    }

    #[test]
    fn a_failing_model_is_an_error_not_empty_tokens() {
        let model = broken_model();
        let texts = ["John lives in Berlin.", "Paris"];
        let error = model.try_predict(&texts, true, false).unwrap_err();
        assert!(
            error.to_string().contains("token classification: ")
                && error.to_string().contains("shapes cannot be multiplied"),
            "{error}"
        );
        // rust-bert's signature panics with that error instead of answering "no entities".
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            model.predict(&texts, true, false)
        }));
        assert!(panicked.is_err());
        // Empty input still gives an empty output: nothing runs.
        assert!(model
            .try_predict::<&str>(&[], true, false)
            .unwrap()
            .is_empty());
    }
}
