//! Extractive question answering: find the span of a context that answers a question.
//!
//! By default the pipeline runs `distilbert-base-cased-distilled-squad` (downloaded once into the
//! cache); any BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA, MobileBERT, FNet,
//! MPNet, Longformer, DeBERTa, DeBERTa-v2 or XLNet checkpoint with a question-answering head
//! can be loaded through [`QuestionAnsweringConfig`].
//!
//! ```no_run
//! use rust_bert::pipelines::question_answering::{QaInput, QuestionAnsweringModel};
//!
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! let qa_model = QuestionAnsweringModel::new(Default::default())?;
//! let input = QaInput {
//!     question: String::from("Where does Amy live ?"),
//!     context: String::from("Amy lives in Amsterdam"),
//! };
//! let answers = qa_model.predict(&[input], 1, 32);
//! // [[Answer { score: 0.99.., start: 13, end: 22, answer: "Amsterdam" }]]
//! # Ok(())
//! # }
//! ```
//!
//! # How answers are found
//! The steps are those of HF Transformers 4.x's `QuestionAnsweringPipeline` (HF 5 no longer
//! ships it; `utils/fixtures_pipeline_qa.py` rebuilds it from HF 5.24 parts as the reference):
//!
//! 1. **Windows.** The question, then the context, with the model's special tokens. A context
//!    too long for `max_seq_length` is split into overlapping windows that share `doc_stride`
//!    tokens (HF's `truncation="only_second", stride=doc_stride, return_overflowing_tokens`).
//!    Questions longer than `max_query_length` tokens are cut to that length first (HF 4.x's
//!    fast path never cut them and failed when they left no room for the context).
//! 2. **Model.** Windows of every input are sorted by length and run in batches of
//!    `batch_size`, with attention masks, so a batch gives the answers of its inputs run alone.
//! 3. **Scores.** In each window, start and end logits become probabilities by a softmax over
//!    the context tokens and the CLS token; CLS is then given probability 0. A span's score is
//!    `p_start * p_end`, for spans of at most `max_answer_length` tokens that start and end in
//!    the context.
//! 4. **Answers.** Each span is widened to the whole words it touches and becomes a character
//!    span of the original context (`start..end` in Unicode characters, as `str::chars` counts
//!    them). Identical character spans found by several windows, or by several token spans,
//!    are merged with their best score (HF 4.x returns such duplicates; rust-bert removes them
//!    too). The `top_k` best distinct spans are returned, best first.
//!
//! A question or context with no tokens (empty, whitespace, or characters the tokenizer drops)
//! gives no answer, and so does an empty input list.
use crate::albert::AlbertForQuestionAnswering;
use crate::bert::BertForQuestionAnswering;
use crate::distilbert::DistilBertForQuestionAnswering;
use crate::electra::ElectraForQuestionAnswering;
use crate::fnet::FNetForQuestionAnswering;
use crate::longformer::LongformerForQuestionAnswering;
use crate::mobilebert::MobileBertForQuestionAnswering;
use crate::mpnet::MPNetForQuestionAnswering;
use crate::pipelines::common::{
    length_sorted_batches, pad_sequences, ConfigOption, ModelResource, ModelType, PaddingSide,
    TokenizerOption,
};
use crate::resources::{load_weights, ResourceProvider};
use crate::roberta::RobertaForQuestionAnswering;
use crate::RustBertError;
use rust_tokenizers::{Mask, Offset, TokenizedInput};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{nn, no_grad, Device, Kind, Tensor};

#[cfg(feature = "remote")]
use crate::distilbert::{
    DistilBertConfigResources, DistilBertModelResources, DistilBertVocabResources,
};
#[cfg(feature = "remote")]
use crate::resources::RemoteResource;

/// A question and the context holding its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QaInput {
    /// The question.
    pub question: String,
    /// The text the answer is extracted from.
    pub context: String,
}

/// One answer: a span of the context and its score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    /// Probability of the span (`p_start * p_end` in the window that scored it best).
    pub score: f64,
    /// First character of the span in the context (Unicode characters, not bytes).
    pub start: usize,
    /// One past the last character of the span.
    pub end: usize,
    /// The characters `start..end` of the context.
    pub answer: String,
}

/// Two answers are equal when they are the same span, whatever their scores (as in rust-bert).
impl PartialEq for Answer {
    fn eq(&self, other: &Self) -> bool {
        self.start == other.start && self.end == other.end && self.answer == other.answer
    }
}

/// Settings of a [`QuestionAnsweringModel`]: resources, device and windowing.
pub struct QuestionAnsweringConfig {
    /// Weights (default: DistilBERT distilled on SQuAD).
    pub model_resource: ModelResource,
    /// `config.json` of the model.
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Vocabulary of the tokenizer (`vocab.txt`, `vocab.json`, `spiece.model`...).
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// BPE merges, for RoBERTa-style tokenizers.
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Device the model runs on (default: CUDA when available).
    pub device: Device,
    /// Architecture of the checkpoint.
    pub model_type: ModelType,
    /// Whether the tokenizer lower-cases its input.
    pub lower_case: bool,
    /// Whether the tokenizer strips accents (BERT, ALBERT); `None` follows `lower_case`.
    pub strip_accents: Option<bool>,
    /// Whether the tokenizer adds a space before the text (RoBERTa-style tokenizers).
    pub add_prefix_space: Option<bool>,
    /// Longest window, in tokens (question, context and special tokens; default 384). Larger
    /// than the model's positions, it is lowered to them.
    pub max_seq_length: usize,
    /// Tokens shared by consecutive windows of a long context (default 128).
    pub doc_stride: usize,
    /// Longest question, in tokens; longer ones are cut (default 64).
    pub max_query_length: usize,
    /// Longest answer, in tokens (default 15).
    pub max_answer_length: usize,
    /// Precision of the weights after loading (default `None`: float32).
    pub kind: Option<Kind>,
}

impl QuestionAnsweringConfig {
    /// A configuration with the default windowing (`max_seq_length` 384, `doc_stride` 128,
    /// `max_query_length` 64, `max_answer_length` 15).
    ///
    /// * `model_type` - the architecture of the checkpoint.
    /// * `model_resource` - the weights (`.safetensors`, `.bin` or `.ot`).
    /// * `config_resource` - the model's `config.json`.
    /// * `vocab_resource` - the tokenizer's vocabulary.
    /// * `merges_resource` - the BPE merges (RoBERTa), else `None`.
    /// * `lower_case` - whether the tokenizer lower-cases.
    /// * `strip_accents` - whether the tokenizer strips accents (BERT, ALBERT).
    /// * `add_prefix_space` - whether the tokenizer adds a leading space (RoBERTa).
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
    ) -> QuestionAnsweringConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        Self::custom_new(
            model_type,
            model_resource,
            config_resource,
            vocab_resource,
            merges_resource,
            lower_case,
            strip_accents,
            add_prefix_space,
            None,
            None,
            None,
            None,
        )
    }

    /// A configuration with chosen windowing; each `None` takes the default of
    /// [`QuestionAnsweringConfig::new`].
    ///
    /// `doc_stride` must leave windows moving forward: `max_seq_length` has to exceed
    /// `max_query_length + doc_stride` plus the special tokens of a pair, which
    /// [`QuestionAnsweringModel::new`] checks.
    #[allow(clippy::too_many_arguments)]
    pub fn custom_new<RC, RV>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
        merges_resource: Option<RV>,
        lower_case: bool,
        strip_accents: impl Into<Option<bool>>,
        add_prefix_space: impl Into<Option<bool>>,
        max_seq_length: impl Into<Option<usize>>,
        doc_stride: impl Into<Option<usize>>,
        max_query_length: impl Into<Option<usize>>,
        max_answer_length: impl Into<Option<usize>>,
    ) -> QuestionAnsweringConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        QuestionAnsweringConfig {
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            merges_resource: merges_resource.map(|r| Box::new(r) as Box<_>),
            device: Device::cuda_if_available(),
            model_type,
            lower_case,
            strip_accents: strip_accents.into(),
            add_prefix_space: add_prefix_space.into(),
            max_seq_length: max_seq_length.into().unwrap_or(384),
            doc_stride: doc_stride.into().unwrap_or(128),
            max_query_length: max_query_length.into().unwrap_or(64),
            max_answer_length: max_answer_length.into().unwrap_or(15),
            kind: None,
        }
    }
}

/// `distilbert-base-cased-distilled-squad` from the Hugging Face hub (cased: no lower-casing).
#[cfg(feature = "remote")]
impl Default for QuestionAnsweringConfig {
    fn default() -> QuestionAnsweringConfig {
        QuestionAnsweringConfig::new(
            ModelType::DistilBert,
            ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                DistilBertModelResources::DISTIL_BERT_SQUAD,
            ))),
            RemoteResource::from_pretrained(DistilBertConfigResources::DISTIL_BERT_SQUAD),
            RemoteResource::from_pretrained(DistilBertVocabResources::DISTIL_BERT_SQUAD),
            None,
            false,
            None,
            None,
        )
    }
}

/// A question-answering model of any supported architecture.
#[allow(clippy::large_enum_variant)]
pub enum QuestionAnsweringOption {
    /// BERT.
    Bert(BertForQuestionAnswering),
    /// DistilBERT.
    DistilBert(DistilBertForQuestionAnswering),
    /// RoBERTa.
    Roberta(RobertaForQuestionAnswering),
    /// XLM-RoBERTa (RoBERTa's model).
    XLMRoberta(RobertaForQuestionAnswering),
    /// ALBERT.
    Albert(AlbertForQuestionAnswering),
    /// ELECTRA.
    Electra(ElectraForQuestionAnswering),
    /// MobileBERT.
    MobileBert(MobileBertForQuestionAnswering),
    /// FNet (each window runs unpadded: FNet has no attention mask).
    FNet(FNetForQuestionAnswering),
    /// Longformer (global attention on the question tokens, as HF's head puts it).
    Longformer(LongformerForQuestionAnswering),
    /// DeBERTa.
    Deberta(crate::deberta::DebertaForQuestionAnswering),
    /// DeBERTa-v2/v3.
    DebertaV2(crate::deberta_v2::DebertaV2ForQuestionAnswering),
    /// XLNet (the simple span head).
    XLNet(crate::xlnet::XLNetForQuestionAnswering),
    /// MPNet.
    MPNet(MPNetForQuestionAnswering),
}

fn wrong_config(model_type: ModelType, config: &ConfigOption) -> RustBertError {
    RustBertError::InvalidConfigurationError(format!(
        "a {model_type:?} question-answering model cannot be built from {}",
        config.description()
    ))
}

impl QuestionAnsweringOption {
    /// Builds the model of `model_type` under `p` from its configuration.
    ///
    /// # Errors
    /// `InvalidConfigurationError` when the configuration belongs to another architecture;
    /// `UnsupportedError` for architectures without a question-answering model in this crate.
    pub fn new<'p, P>(
        model_type: ModelType,
        p: P,
        config: &ConfigOption,
    ) -> Result<Self, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        let p = p.borrow();
        match (model_type, config) {
            (ModelType::Bert, ConfigOption::Bert(config)) => {
                Ok(Self::Bert(BertForQuestionAnswering::new(p, config)))
            }
            (ModelType::DistilBert, ConfigOption::DistilBert(config)) => Ok(Self::DistilBert(
                DistilBertForQuestionAnswering::new(p, config),
            )),
            (ModelType::Roberta, ConfigOption::Roberta(config) | ConfigOption::Bert(config)) => {
                Ok(Self::Roberta(RobertaForQuestionAnswering::new(p, config)))
            }
            (ModelType::XLMRoberta, ConfigOption::Roberta(config) | ConfigOption::Bert(config)) => {
                Ok(Self::XLMRoberta(RobertaForQuestionAnswering::new(
                    p, config,
                )))
            }
            (ModelType::Albert, ConfigOption::Albert(config)) => {
                Ok(Self::Albert(AlbertForQuestionAnswering::new(p, config)))
            }
            (ModelType::Electra, ConfigOption::Electra(config)) => {
                Ok(Self::Electra(ElectraForQuestionAnswering::new(p, config)?))
            }
            (ModelType::MobileBert, ConfigOption::MobileBert(config)) => Ok(Self::MobileBert(
                MobileBertForQuestionAnswering::try_new(p, config)?,
            )),
            (ModelType::FNet, ConfigOption::FNet(config)) => {
                Ok(Self::FNet(FNetForQuestionAnswering::try_new(p, config)?))
            }
            (ModelType::Longformer, ConfigOption::Longformer(config)) => Ok(Self::Longformer(
                LongformerForQuestionAnswering::try_new(p, config)?,
            )),
            (ModelType::Deberta, ConfigOption::Deberta(config)) => Ok(Self::Deberta(
                crate::deberta::DebertaForQuestionAnswering::try_new(p, config)?,
            )),
            (ModelType::DebertaV2, ConfigOption::DebertaV2(config)) => Ok(Self::DebertaV2(
                crate::deberta_v2::DebertaV2ForQuestionAnswering::try_new(p, config)?,
            )),
            (ModelType::XLNet, ConfigOption::XLNet(config)) => Ok(Self::XLNet(
                crate::xlnet::XLNetForQuestionAnswering::new(p, config)?,
            )),
            (ModelType::MPNet, ConfigOption::MPNet(config)) => {
                Ok(Self::MPNet(MPNetForQuestionAnswering::try_new(p, config)?))
            }
            (
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
                | ModelType::DebertaV2,
                _,
            ) => Err(wrong_config(model_type, config)),
            _ => Err(RustBertError::UnsupportedError(format!(
                "question answering is not implemented for {model_type:?} in this crate \
                 (supported: BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA, MobileBERT, FNet, \
                 XLNet, MPNet, Longformer, DeBERTa, DeBERTa-v2)"
            ))),
        }
    }

    /// The architecture of the model.
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

    /// Start and end logits `[batch, seq]`, without token type ids (rust-bert's signature; the
    /// pipeline passes them through [`QuestionAnsweringOption::forward_with_token_type_ids`]).
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<(Tensor, Tensor), RustBertError> {
        self.forward_with_token_type_ids(input_ids, mask, None, input_embeds, train)
    }

    /// Start and end logits `[batch, seq]`. `token_type_ids` go to the models that have token
    /// types (BERT, ALBERT, ELECTRA, DeBERTa, XLNet), as HF's tokenizers return them for those
    /// models only.
    pub fn forward_with_token_type_ids(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<(Tensor, Tensor), RustBertError> {
        Ok(match self {
            Self::Bert(model) => {
                let output = model.try_forward_t(
                    input_ids,
                    mask,
                    token_type_ids,
                    None,
                    input_embeds,
                    train,
                )?;
                (output.start_logits, output.end_logits)
            }
            Self::DistilBert(model) => {
                let output = model.forward_t(input_ids, mask, input_embeds, train)?;
                (output.start_logits, output.end_logits)
            }
            Self::Roberta(model) | Self::XLMRoberta(model) => {
                let output =
                    model.try_forward_t(input_ids, mask, None, None, input_embeds, train)?;
                (output.start_logits, output.end_logits)
            }
            Self::Albert(model) => {
                let output = model.try_forward_t(
                    input_ids,
                    mask,
                    token_type_ids,
                    None,
                    input_embeds,
                    train,
                )?;
                (output.start_logits, output.end_logits)
            }
            Self::Electra(model) => {
                let output = model.try_forward_t(
                    input_ids,
                    mask,
                    token_type_ids,
                    None,
                    input_embeds,
                    train,
                )?;
                (output.start_logits, output.end_logits)
            }
            Self::MobileBert(model) => match (input_ids, input_embeds) {
                // Unpadded: MobileBERT's trigram input would show the last token its padding.
                (Some(ids), None) => {
                    let mut outputs = crate::pipelines::unpadded::forward_unpadded(
                        ids,
                        token_type_ids,
                        mask,
                        true,
                        |ids, types| {
                            let output =
                                model.forward_t(Some(ids), types, None, None, None, train)?;
                            Ok(vec![output.start_logits, output.end_logits])
                        },
                    )?;
                    let end = outputs.remove(1);
                    (outputs.remove(0), end)
                }
                _ => {
                    let output = model.forward_t(
                        input_ids,
                        token_type_ids,
                        None,
                        input_embeds,
                        mask,
                        train,
                    )?;
                    (output.start_logits, output.end_logits)
                }
            },
            Self::FNet(model) => match (input_ids, input_embeds) {
                (Some(ids), None) => {
                    let mut outputs = crate::pipelines::unpadded::forward_unpadded(
                        ids,
                        token_type_ids,
                        mask,
                        true,
                        |ids, types| {
                            let output = model.forward_t(Some(ids), types, None, None, train)?;
                            Ok(vec![output.start_logits, output.end_logits])
                        },
                    )?;
                    let end = outputs.remove(1);
                    (outputs.remove(0), end)
                }
                _ => {
                    let output =
                        model.forward_t(input_ids, token_type_ids, None, input_embeds, train)?;
                    (output.start_logits, output.end_logits)
                }
            },
            // No global mask: the head puts it on the tokens before the first separator, the
            // question of `<s> question </s></s> context </s>`, as HF's head does.
            Self::Longformer(model) => {
                let output =
                    model.forward_t(input_ids, mask, None, None, None, input_embeds, train)?;
                (output.start_logits, output.end_logits)
            }
            Self::Deberta(model) => {
                let output =
                    model.forward_t(input_ids, mask, token_type_ids, None, input_embeds, train)?;
                (output.start_logits, output.end_logits)
            }
            Self::DebertaV2(model) => {
                let output =
                    model.forward_t(input_ids, mask, token_type_ids, None, input_embeds, train)?;
                (output.start_logits, output.end_logits)
            }
            Self::XLNet(model) => {
                let output = model.try_forward_t(
                    input_ids,
                    mask,
                    None,
                    None,
                    None,
                    token_type_ids,
                    input_embeds,
                    train,
                )?;
                (output.start_logits, output.end_logits)
            }
            // MPNet has no token types.
            Self::MPNet(model) => {
                let output = model.try_forward_t(input_ids, mask, None, input_embeds, train)?;
                (output.start_logits, output.end_logits)
            }
        })
    }
}

/// One window of one input, as the model sees it.
struct QaFeature {
    /// Index of the input it comes from.
    example: usize,
    ids: Vec<i64>,
    token_types: Vec<i64>,
    /// Character span of each token in the context (`None` for special and question tokens).
    offsets: Vec<Option<Offset>>,
    /// Whether each token continues the word of the token before it.
    continues_word: Vec<bool>,
    /// Positions of the context tokens.
    context: Range<usize>,
    /// Whether the context comes before the question (CLS then closes the window).
    context_first: bool,
}

/// Logits of each feature of a batch, without padding.
type RowLogits = Vec<Vec<f32>>;

/// A candidate answer: a character span of the context and its score.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Span {
    start: u32,
    end: u32,
    score: f32,
}

/// Best first; equal scores by position, so results never depend on the order of candidates.
fn by_score(a: &Span, b: &Span) -> Ordering {
    b.score
        .partial_cmp(&a.score)
        .unwrap_or(Ordering::Equal)
        .then(a.start.cmp(&b.start))
        .then(a.end.cmp(&b.end))
}

/// Extractive question answering (see the [module docs](self)).
pub struct QuestionAnsweringModel {
    tokenizer: TokenizerOption,
    qa_model: QuestionAnsweringOption,
    var_store: VarStore,
    max_seq_len: usize,
    doc_stride: usize,
    max_query_length: usize,
    max_answer_len: usize,
}

impl QuestionAnsweringModel {
    /// Loads the tokenizer, configuration and weights of `question_answering_config`.
    ///
    /// # Errors
    /// Resource, tokenizer, configuration and weight errors (naming the file at fault), an
    /// architecture without question answering, and windowing settings that leave no room:
    /// `max_seq_length` (lowered to the model's positions) must exceed `max_query_length +
    /// doc_stride` plus the special tokens of a pair, and `max_query_length` and
    /// `max_answer_length` must be at least 1.
    pub fn new(
        question_answering_config: QuestionAnsweringConfig,
    ) -> Result<QuestionAnsweringModel, RustBertError> {
        let tokenizer = TokenizerOption::from_resources(
            question_answering_config.model_type,
            question_answering_config.vocab_resource.as_ref(),
            question_answering_config.merges_resource.as_deref(),
            question_answering_config.lower_case,
            question_answering_config.strip_accents,
            question_answering_config.add_prefix_space,
        )?;
        Self::new_with_tokenizer(question_answering_config, tokenizer)
    }

    /// Like [`QuestionAnsweringModel::new`], with a tokenizer built by the caller (for example
    /// from an HF `tokenizer.json`); the vocabulary resources of the configuration are not read.
    pub fn new_with_tokenizer(
        question_answering_config: QuestionAnsweringConfig,
        tokenizer: TokenizerOption,
    ) -> Result<QuestionAnsweringModel, RustBertError> {
        let config = question_answering_config;
        let config_path = config.config_resource.get_local_path()?;
        let model_config = ConfigOption::from_file(config.model_type, &config_path)?;
        tokenizer.check_model_vocab(model_config.get_vocab_size())?;
        let max_seq_len = match model_config.get_max_len() {
            Some(model_max)
                if i64::try_from(config.max_seq_length).unwrap_or(i64::MAX) > model_max =>
            {
                log::warn!(
                    "max_seq_length {} exceeds the {model_max} positions of {}: windows of \
                     {model_max} tokens are used",
                    config.max_seq_length,
                    config_path.display()
                );
                usize::try_from(model_max).unwrap_or(0)
            }
            _ => config.max_seq_length,
        };
        if config.max_query_length == 0 || config.max_answer_length == 0 {
            return Err(RustBertError::InvalidConfigurationError(format!(
                "max_query_length ({}) and max_answer_length ({}) must be at least 1",
                config.max_query_length, config.max_answer_length
            )));
        }
        let reserved = tokenizer.num_special_tokens(true) + config.max_query_length;
        if max_seq_len <= reserved + config.doc_stride {
            return Err(RustBertError::InvalidConfigurationError(format!(
                "max_seq_length {max_seq_len} leaves no room for windows to move forward: it \
                 must exceed max_query_length {} + doc_stride {} + {} special tokens",
                config.max_query_length,
                config.doc_stride,
                tokenizer.num_special_tokens(true)
            )));
        }
        let mut var_store = VarStore::new(config.device);
        let _deferred = crate::common::layers::linear::defer_init();
        let qa_model =
            QuestionAnsweringOption::new(config.model_type, var_store.root(), &model_config)?;
        load_weights(
            &config.model_resource,
            &mut var_store,
            config.kind,
            config.device,
        )?;
        Ok(QuestionAnsweringModel {
            tokenizer,
            qa_model,
            var_store,
            max_seq_len,
            doc_stride: config.doc_stride,
            max_query_length: config.max_query_length,
            max_answer_len: config.max_answer_length,
        })
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        &self.tokenizer
    }

    /// The tokenizer, mutably (to add tokens).
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        &mut self.tokenizer
    }

    /// The `top_k` best answers to each input, best first, in input order (see the
    /// [module docs](self)); windows are run `batch_size` at a time.
    ///
    /// An input whose question or context has no token gets no answer, and so does every input
    /// when `top_k < 1`.
    ///
    /// # Panics
    /// When [`QuestionAnsweringModel::try_predict`] returns an error (the model fails, which the
    /// windowing prevents for any text); call it to get the `RustBertError` instead. This
    /// signature is rust-bert 0.23's.
    #[allow(clippy::panic)]
    pub fn predict(
        &self,
        qa_inputs: &[QaInput],
        top_k: i64,
        batch_size: usize,
    ) -> Vec<Vec<Answer>> {
        match self.try_predict(qa_inputs, top_k, batch_size) {
            Ok(answers) => answers,
            Err(error) => panic!("predict: {error}"),
        }
    }

    /// [`QuestionAnsweringModel::predict`], returning the model's errors.
    pub fn try_predict(
        &self,
        qa_inputs: &[QaInput],
        top_k: i64,
        batch_size: usize,
    ) -> Result<Vec<Vec<Answer>>, RustBertError> {
        let top_k = usize::try_from(top_k).unwrap_or(0);
        if top_k == 0 {
            return Ok(vec![Vec::new(); qa_inputs.len()]);
        }
        let mut features: Vec<QaFeature> = Vec::new();
        for (example, input) in qa_inputs.iter().enumerate() {
            features.extend(self.features(example, input)?);
        }
        let mut candidates: Vec<Vec<Span>> = vec![Vec::new(); qa_inputs.len()];
        let lengths: Vec<usize> = features.iter().map(|f| f.ids.len()).collect();
        for batch in length_sorted_batches(&lengths, batch_size) {
            let batch: Vec<&QaFeature> = batch.iter().map(|&i| &features[i]).collect();
            let (start_logits, end_logits) = self.logits(&batch)?;
            for (feature, (start, end)) in batch.iter().zip(start_logits.iter().zip(&end_logits)) {
                candidates[feature.example].extend(self.window_spans(feature, start, end, top_k));
            }
        }
        Ok(qa_inputs
            .iter()
            .zip(candidates)
            .map(|(input, spans)| answers(&input.context, spans, top_k))
            .collect())
    }

    /// The windows of one input (none when its question or context has no token).
    fn features(&self, example: usize, input: &QaInput) -> Result<Vec<QaFeature>, RustBertError> {
        let question = self.truncated_question(&input.question);
        let question_tokens = self.tokenizer.tokenize(&question).len();
        if question_tokens == 0 {
            return Ok(Vec::new());
        }
        // Tokenizers that pad on the left (XLNet) put the context first, as HF does for them
        // (and as their models are fine-tuned).
        let context_first = self.tokenizer.default_padding_side() == PaddingSide::Left;
        let whitespace = whitespace_words(&self.tokenizer);
        let windows = if context_first {
            self.tokenizer.encode_pair_windows_first(
                &input.context,
                &question,
                self.max_seq_len,
                self.doc_stride,
            )
        } else {
            self.tokenizer.encode_pair_windows(
                &question,
                &input.context,
                self.max_seq_len,
                self.doc_stride,
            )
        };
        let windows = windows.map_err(|error| {
            RustBertError::ValueError(format!(
                "question answering: input {example} cannot be split into windows: {error}"
            ))
        })?;
        Ok(windows
            .into_iter()
            .map(|window| {
                let words = whitespace.then_some(input.context.as_str());
                feature(example, window, question_tokens, context_first, words)
            })
            // A context without tokens gives one window with nothing to answer from.
            .filter(|feature| !feature.context.is_empty())
            .collect())
    }

    /// The question cut after `max_query_length` tokens, at the end of the last token kept.
    fn truncated_question(&self, question: &str) -> String {
        let tokens = self.tokenizer.tokenize_with_offsets(question);
        if tokens.tokens.len() <= self.max_query_length {
            return question.to_string();
        }
        let end = tokens
            .offsets
            .iter()
            .take(self.max_query_length)
            .rev()
            .find_map(|offset| offset.map(|o| o.end as usize))
            .unwrap_or(0);
        question.chars().take(end).collect()
    }

    /// Start and end logits of each feature of a batch, on the CPU, without padding.
    fn logits(&self, batch: &[&QaFeature]) -> Result<(RowLogits, RowLogits), RustBertError> {
        let device = self.var_store.device();
        let padded = pad_sequences(
            batch
                .iter()
                .map(|f| (f.ids.as_slice(), f.token_types.as_slice())),
            self.tokenizer.pad_id_or_fallback(),
            self.tokenizer.pad_token_type_id(),
            PaddingSide::Right,
            device,
        );
        let (start, end) = crate::common::error::guarded("question answering", || {
            no_grad(|| {
                self.qa_model.forward_with_token_type_ids(
                    Some(&padded.input_ids),
                    Some(&padded.attention_mask),
                    Some(&padded.token_type_ids),
                    None,
                    false,
                )
            })
        })?;
        let rows = |logits: Tensor| -> Result<RowLogits, RustBertError> {
            let width = logits.size().last().copied().unwrap_or(0).max(0) as usize;
            let values = Vec::<f32>::try_from(
                logits
                    .to_device(Device::Cpu)
                    .to_kind(Kind::Float)
                    .flatten(0, -1),
            )?;
            Ok(padded
                .lengths
                .iter()
                .enumerate()
                .map(|(row, &length)| {
                    values
                        .get(row * width..row * width + length)
                        .map(<[f32]>::to_vec)
                        .unwrap_or_default()
                })
                .collect())
        };
        Ok((rows(start)?, rows(end)?))
    }

    /// The `top_k` best distinct character spans of one window.
    fn window_spans(
        &self,
        feature: &QaFeature,
        start: &[f32],
        end: &[f32],
        top_k: usize,
    ) -> Vec<Span> {
        let cls = self.tokenizer.get_cls_id();
        let p_start = span_probabilities(feature, start, cls);
        let p_end = span_probabilities(feature, end, cls);
        let context = feature.context.clone();
        let mut candidates: Vec<(usize, usize, f32)> = Vec::new();
        for (s, &p_s) in p_start
            .iter()
            .enumerate()
            .take(context.end)
            .skip(context.start)
        {
            let last = (s + self.max_answer_len).min(context.end);
            for (e, &p_e) in p_end.iter().enumerate().take(last).skip(s) {
                let score = p_s * p_e;
                // A probability that underflowed to 0 is no answer (HF's zero-score spans are
                // the masked ones and come in arbitrary order).
                if score > 0.0 {
                    candidates.push((s, e, score));
                }
            }
        }
        candidates.sort_by(|a, b| {
            b.2.partial_cmp(&a.2)
                .unwrap_or(Ordering::Equal)
                .then(a.0.cmp(&b.0))
                .then(a.1.cmp(&b.1))
        });
        let mut spans: Vec<Span> = Vec::new();
        let mut kept: HashSet<(u32, u32)> = HashSet::new();
        for (s, e, score) in candidates {
            let Some((start, end)) = word_span(feature, s, e) else {
                continue;
            };
            // Candidates come best first: a span already kept has its best score.
            if kept.insert((start, end)) {
                spans.push(Span { start, end, score });
                if spans.len() == top_k {
                    break;
                }
            }
        }
        spans
    }
}

/// A window as a feature: ids, token types, offsets and word boundaries, and where its context
/// tokens are (the non-special tokens after the `question_tokens` first ones, or before the
/// `question_tokens` last ones when the context comes first).
fn feature(
    example: usize,
    window: TokenizedInput,
    question_tokens: usize,
    context_first: bool,
    whitespace_words: Option<&str>,
) -> QaFeature {
    let text_tokens = window
        .special_tokens_mask
        .iter()
        .filter(|&&special| special == 0)
        .count();
    let in_context = |index: usize| {
        if context_first {
            index + question_tokens < text_tokens
        } else {
            index >= question_tokens
        }
    };
    let mut seen = 0;
    let mut context_start = None;
    let mut context_end = 0;
    for (position, &special) in window.special_tokens_mask.iter().enumerate() {
        if special != 0 {
            continue;
        }
        if in_context(seen) {
            context_start.get_or_insert(position);
            context_end = position + 1;
        }
        seen += 1;
    }
    let context = match context_start {
        Some(start) => start..context_end,
        None => 0..0,
    };
    // rust_tokenizers' RoBERTa and XLM-R pairs lack the word mask of the separator opening the
    // second sequence (`</s></s>` gets one `Special`), so their masks are one short. The
    // missing entry is before the context: aligning the masks on the last token keeps those of
    // the context right; complete masks have no shift.
    let shift = window.token_ids.len().saturating_sub(window.mask.len());
    let context_chars: Option<Vec<char>> = whitespace_words.map(|text| text.chars().collect());
    let continues_word = (0..window.token_ids.len())
        .map(|position| {
            if let Some(chars) = &context_chars {
                // A token touching (or overlapping: a lone `▁` shares its word's first
                // character) the one before it continues that word, unless it starts at a
                // space: tokenizers whose offsets keep the space before a word (HF 5.24's
                // DeBERTa-v2) make every token touch the one before.
                let offset = |i: usize| window.token_offsets.get(i).copied().flatten();
                let special = |i: usize| window.special_tokens_mask.get(i) != Some(&0);
                let at_space = |o: Offset| {
                    chars
                        .get(o.begin as usize)
                        .is_some_and(|c| c.is_whitespace())
                };
                return position > 0
                    && !special(position)
                    && !special(position - 1)
                    && match (offset(position - 1), offset(position)) {
                        (Some(before), Some(this)) => this.begin <= before.end && !at_space(this),
                        _ => false,
                    };
            }
            position
                .checked_sub(shift)
                .and_then(|i| window.mask.get(i))
                .is_some_and(|mask| *mask == Mask::Continuation)
        })
        .collect();
    QaFeature {
        example,
        token_types: window.segment_ids.iter().map(|&t| i64::from(t)).collect(),
        continues_word,
        offsets: window.token_offsets,
        ids: window.token_ids,
        context,
        context_first,
    }
}

/// Whether HF's fast tokenizer of this kind splits words on whitespace only (SentencePiece's
/// `Metaspace` pre-tokenizer: `honey,` is one word), where `rust_tokenizers`' masks follow
/// punctuation; HF's `align_to_words` widens answers to those words.
fn whitespace_words(tokenizer: &TokenizerOption) -> bool {
    matches!(
        tokenizer,
        TokenizerOption::XLNet(_)
            | TokenizerOption::Albert(_)
            | TokenizerOption::XLMRoberta(_)
            | TokenizerOption::T5(_)
            | TokenizerOption::Marian(_)
            | TokenizerOption::Reformer(_)
            | TokenizerOption::Pegasus(_)
            | TokenizerOption::MBart50(_)
            | TokenizerOption::M2M100(_)
            | TokenizerOption::NLLB(_)
            | TokenizerOption::FNet(_)
            | TokenizerOption::DebertaV2(_)
    )
}

/// Softmax of a window's logits over its context tokens and CLS tokens (HF keeps the CLS token
/// for unanswerable questions), then CLS set to 0, in float32 as HF. HF zeroes the first
/// position, CLS when the question comes first; with the context first (XLNet) CLS closes the
/// window and it is zeroed where it is (HF 4.x zeroed the first context token there).
fn span_probabilities(feature: &QaFeature, logits: &[f32], cls: Option<i64>) -> Vec<f32> {
    let allowed: Vec<bool> = (0..logits.len())
        .map(|i| {
            feature.context.contains(&i) || (cls.is_some() && feature.ids.get(i).copied() == cls)
        })
        .collect();
    let max = logits
        .iter()
        .zip(&allowed)
        .filter(|(_, &a)| a)
        .map(|(&l, _)| l)
        .fold(f32::NEG_INFINITY, f32::max);
    let mut probabilities: Vec<f32> = logits
        .iter()
        .zip(&allowed)
        .map(|(&l, &a)| if a { (l - max).exp() } else { 0.0 })
        .collect();
    let sum: f32 = probabilities.iter().sum();
    if sum > 0.0 && sum.is_finite() {
        probabilities.iter_mut().for_each(|p| *p /= sum);
    }
    if feature.context_first {
        for (probability, id) in probabilities.iter_mut().zip(&feature.ids) {
            if Some(*id) == cls {
                *probability = 0.0;
            }
        }
    } else if let Some(first) = probabilities.first_mut() {
        *first = 0.0;
    }
    probabilities
}

/// The characters of the whole words holding tokens `s` to `e` (HF's `align_to_words`): the
/// span widens to the first token of `s`'s word and the last token of `e`'s word, within the
/// window's context.
fn word_span(feature: &QaFeature, s: usize, e: usize) -> Option<(u32, u32)> {
    let continues = |i: usize| feature.continues_word.get(i).copied().unwrap_or(false);
    let mut first = s;
    while first > feature.context.start && continues(first) {
        first -= 1;
    }
    let mut last = e;
    while last + 1 < feature.context.end && continues(last + 1) {
        last += 1;
    }
    let begin = feature.offsets.get(first).copied().flatten()?.begin;
    let end = feature.offsets.get(last).copied().flatten()?.end;
    (begin <= end).then_some((begin, end))
}

/// Merges the spans of every window of one input: one answer per character span, with its
/// best score, the `top_k` best first.
fn answers(context: &str, spans: Vec<Span>, top_k: usize) -> Vec<Answer> {
    let mut best: HashMap<(u32, u32), f32> = HashMap::new();
    for span in spans {
        let score = best.entry((span.start, span.end)).or_insert(span.score);
        if span.score > *score {
            *score = span.score;
        }
    }
    let mut merged: Vec<Span> = best
        .into_iter()
        .map(|((start, end), score)| Span { start, end, score })
        .collect();
    merged.sort_by(by_score);
    merged.truncate(top_k);
    // Byte position of every character (and of the end), to slice answers in constant time.
    let bytes: Vec<usize> = context
        .char_indices()
        .map(|(byte, _)| byte)
        .chain(std::iter::once(context.len()))
        .collect();
    merged
        .into_iter()
        .map(|span| {
            let (start, end) = (span.start as usize, span.end as usize);
            let text = match (bytes.get(start), bytes.get(end)) {
                (Some(&from), Some(&to)) => context.get(from..to).unwrap_or_default(),
                _ => "",
            };
            Answer {
                score: f64::from(span.score),
                start,
                end,
                answer: text.to_string(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// SQuAD files
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct SquadFile {
    data: Vec<SquadArticle>,
}

#[derive(Deserialize)]
struct SquadArticle {
    paragraphs: Vec<SquadParagraph>,
}

#[derive(Deserialize)]
struct SquadParagraph {
    context: String,
    qas: Vec<SquadQuestion>,
}

#[derive(Deserialize)]
struct SquadQuestion {
    question: String,
}

/// The questions of a SQuAD v1.1 or v2.0 JSON file, each with its paragraph as context, in file
/// order (answers and v2's `is_impossible` are not read).
///
/// Never panics: a file that cannot be read or is not SQuAD gives an empty list and an error
/// log line; [`try_squad_processor`] returns the error.
pub fn squad_processor(file_path: PathBuf) -> Vec<QaInput> {
    try_squad_processor(&file_path).unwrap_or_else(|error| {
        log::error!("{error}");
        Vec::new()
    })
}

/// [`squad_processor`], returning an error naming the file and the JSON path at fault.
///
/// # Errors
/// `IOError` when the file cannot be opened, `ValueError` when it is not SQuAD JSON.
pub fn try_squad_processor<P: AsRef<Path>>(file_path: P) -> Result<Vec<QaInput>, RustBertError> {
    let path = file_path.as_ref();
    let file = std::fs::File::open(path).map_err(|error| {
        RustBertError::IOError(format!(
            "cannot open SQuAD file {}: {error}",
            path.display()
        ))
    })?;
    let mut reader = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
    let squad: SquadFile = serde_path_to_error::deserialize(&mut reader).map_err(|error| {
        RustBertError::ValueError(format!(
            "{} is not a SQuAD file: at `{}`: {}",
            path.display(),
            error.path(),
            error.inner()
        ))
    })?;
    Ok(squad
        .data
        .into_iter()
        .flat_map(|article| article.paragraphs)
        .flat_map(|paragraph| {
            let context = paragraph.context;
            paragraph.qas.into_iter().map(move |qa| QaInput {
                question: qa.question,
                context: context.clone(),
            })
        })
        .collect())
}
