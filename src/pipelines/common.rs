//! What every pipeline shares: the model type, its configuration ([`ConfigOption`]), its
//! tokenizer ([`TokenizerOption`]) and the weights resource ([`ModelResource`]), plus the batching
//! steps every pipeline runs between them: encode with truncation, split long texts into
//! overlapping windows that keep their own offsets, pad a batch into `input_ids` /
//! `attention_mask` / `token_type_ids` tensors.
//!
//! Truncation and windows follow HF's fast tokenizers (`truncation=...`, `stride=...`,
//! `return_overflowing_tokens=True`), whatever the tokenizer behind the option, so a pipeline
//! sees the same inputs as HF's.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_bert::pipelines::common::{ModelType, PaddingSide, TokenizerOption};
//! use rust_tokenizers::tokenizer::TruncationStrategy;
//!
//! let tokenizer =
//!     TokenizerOption::from_file(ModelType::Bert, "vocab.txt", None, true, None, None)?;
//! let inputs = tokenizer.encode_list(&["Hello world!", "Hi"], 128, &TruncationStrategy::LongestFirst, 0);
//! let batch = tokenizer.pad_batch(&inputs, PaddingSide::Right, tch::Device::Cpu);
//! println!("{:?}", batch.input_ids.size());
//! # Ok(())
//! # }
//! ```
use crate::albert::AlbertConfig;
use crate::bert::BertConfig;
pub use crate::common::model_type::ModelType;
use crate::distilbert::DistilBertConfig;
use crate::resources::{Resource, ResourceProvider};
use crate::roberta::RobertaConfig;
use crate::{Config, RustBertError};
pub use rust_tokenizers::tokenizer::TruncationStrategy;
use rust_tokenizers::tokenizer::{
    AlbertTokenizer, BertTokenizer, DeBERTaTokenizer, DeBERTaV2Tokenizer, FNetTokenizer,
    Gpt2Tokenizer, M2M100Tokenizer, MBart50Tokenizer, MarianTokenizer, MultiThreadedTokenizer,
    NLLBTokenizer, OpenAiGptTokenizer, PegasusTokenizer, ProphetNetTokenizer, ReformerTokenizer,
    RobertaTokenizer, T5Tokenizer, Tokenizer, XLMRobertaTokenizer, XLNetTokenizer,
};
use rust_tokenizers::vocab::Vocab;
pub use rust_tokenizers::{
    Mask, Offset, OffsetSize, TokenIdsWithOffsets, TokenizedInput, TokensWithOffsets,
};
use std::collections::HashMap;
use std::convert::TryFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

#[cfg(feature = "hf-tokenizers")]
pub use hf::{HFTokenizer, SpecialTokenMap};

// ---------------------------------------------------------------------------------------------
// Model resource
// ---------------------------------------------------------------------------------------------

/// The weights of a pipeline's model.
#[derive(Debug)]
pub enum ModelResource {
    /// LibTorch weights (`.ot`, `.safetensors`, `.bin`) from any resource provider.
    Torch(Box<dyn ResourceProvider + Send>),
}

impl ResourceProvider for ModelResource {
    fn get_local_path(&self) -> Result<PathBuf, RustBertError> {
        match self {
            ModelResource::Torch(resource) => resource.get_local_path(),
        }
    }

    fn get_resource(&self) -> Result<Resource<'_>, RustBertError> {
        match self {
            ModelResource::Torch(resource) => resource.get_resource(),
        }
    }
}

impl ModelResource {
    /// The local path of the LibTorch weights (downloading them first if needed).
    pub fn get_torch_local_path(&self) -> Result<PathBuf, RustBertError> {
        match self {
            ModelResource::Torch(resource) => resource.get_local_path(),
        }
    }
}

/// Sets the variables' precision: `kind` when given, otherwise float32 on CPU (half precision
/// is slow or unsupported there) and unchanged on accelerators.
pub fn cast_var_store(varstore: &mut VarStore, kind: Option<Kind>, device: Device) {
    match (kind, device) {
        (Some(kind), _) => varstore.set_kind(kind),
        (None, Device::Cpu) => varstore.set_kind(Kind::Float),
        (None, _) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------------------------

/// A model configuration, one variant per configuration type of the crate.
///
/// Architectures whose models are not in the crate yet have no variant:
/// [`ConfigOption::from_file`] answers `UnsupportedError` for them.
#[derive(Debug, Clone)]
pub enum ConfigOption {
    /// BERT configuration.
    Bert(BertConfig),
    /// DistilBERT configuration.
    DistilBert(DistilBertConfig),
    /// RoBERTa and XLM-RoBERTa configuration (BERT's keys).
    Roberta(RobertaConfig),
    /// ALBERT configuration.
    Albert(AlbertConfig),
    /// BART configuration.
    Bart(crate::bart::BartConfig),
    /// Marian configuration (BART's keys).
    Marian(crate::marian::MarianConfig),
    /// T5 configuration.
    T5(crate::t5::T5Config),
    /// GPT-2 configuration.
    GPT2(crate::gpt2::Gpt2Config),
    /// OpenAI GPT configuration (GPT-2's keys).
    OpenAiGpt(crate::openai_gpt::OpenAiGptConfig),
    /// XLNet configuration.
    XLNet(crate::xlnet::XLNetConfig),
}

fn unsupported_config(model_type: ModelType) -> RustBertError {
    RustBertError::UnsupportedError(format!(
        "no configuration type for model type {model_type:?} (`{model_type}`) in this crate yet"
    ))
}

impl ConfigOption {
    /// Loads the configuration of `model_type` from an HF `config.json`.
    ///
    /// Unlike rust-bert (which panics), a bad file is an error naming the file and field, and a
    /// model type without a configuration in this crate is `UnsupportedError` naming it.
    pub fn from_file<P: AsRef<Path>>(
        model_type: ModelType,
        path: P,
    ) -> Result<Self, RustBertError> {
        let path = path.as_ref();
        Ok(match model_type {
            ModelType::Bert => ConfigOption::Bert(BertConfig::try_from_file(path)?),
            ModelType::DistilBert => {
                ConfigOption::DistilBert(DistilBertConfig::try_from_file(path)?)
            }
            ModelType::Roberta | ModelType::XLMRoberta => {
                ConfigOption::Roberta(RobertaConfig::try_from_file(path)?)
            }
            ModelType::Albert => ConfigOption::Albert(AlbertConfig::try_from_file(path)?),
            ModelType::Bart => ConfigOption::Bart(crate::bart::BartConfig::try_from_file(path)?),
            ModelType::Marian => {
                ConfigOption::Marian(crate::marian::MarianConfig::try_from_file(path)?)
            }
            ModelType::T5 => ConfigOption::T5(crate::t5::T5Config::try_from_file(path)?),
            ModelType::GPT2 => ConfigOption::GPT2(crate::gpt2::Gpt2Config::try_from_file(path)?),
            ModelType::OpenAiGpt => {
                ConfigOption::OpenAiGpt(crate::openai_gpt::OpenAiGptConfig::try_from_file(path)?)
            }
            ModelType::XLNet => {
                ConfigOption::XLNet(crate::xlnet::XLNetConfig::try_from_file(path)?)
            }
            // The other architectures get their configuration types with their models.
            ModelType::Deberta
            | ModelType::DebertaV2
            | ModelType::Electra
            | ModelType::MobileBert
            | ModelType::LongT5
            | ModelType::GPTJ
            | ModelType::Reformer
            | ModelType::ProphetNet
            | ModelType::Longformer
            | ModelType::Pegasus
            | ModelType::GPTNeo
            | ModelType::MBart
            | ModelType::M2M100
            | ModelType::NLLB
            | ModelType::FNet => return Err(unsupported_config(model_type)),
        })
    }

    /// "a BERT configuration", ...: for errors about a configuration of the wrong architecture.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Bert(_) => "a BERT configuration",
            Self::DistilBert(_) => "a DistilBERT configuration",
            Self::Roberta(_) => "a RoBERTa configuration",
            Self::Albert(_) => "an ALBERT configuration",
            Self::Bart(_) => "a BART configuration",
            Self::Marian(_) => "a Marian configuration",
            Self::T5(_) => "a T5 configuration",
            Self::GPT2(_) => "a GPT-2 configuration",
            Self::OpenAiGpt(_) => "an OpenAI GPT configuration",
            Self::XLNet(_) => "an XLNet configuration",
        }
    }

    /// Reads the model type from the file's `model_type` ([`ModelType::from_config_file`]) and
    /// loads the matching configuration, as HF's `AutoConfig` does.
    pub fn from_config_file<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        let model_type = ModelType::from_config_file(path.as_ref())?;
        Self::from_file(model_type, path)
    }

    /// The class labels (`id2label`) of a classification checkpoint.
    ///
    /// Returns an error (rust-bert panics) when the configuration has no `id2label`.
    pub fn get_label_mapping(&self) -> Result<&HashMap<i64, String>, RustBertError> {
        let labels = match self {
            Self::Bert(config) | Self::Roberta(config) => config.id2label.as_ref(),
            Self::DistilBert(config) => config.id2label.as_ref(),
            Self::Albert(config) => config.id2label.as_ref(),
            Self::Bart(config) | Self::Marian(config) => config.id2label.as_ref(),
            Self::XLNet(config) => config.id2label.as_ref(),
            Self::T5(_) | Self::GPT2(_) | Self::OpenAiGpt(_) => None,
        };
        labels.ok_or_else(|| {
            RustBertError::InvalidConfigurationError(
                "no label dictionary (id2label) in the model configuration".to_string(),
            )
        })
    }

    /// The longest input the model accepts, in tokens.
    ///
    /// RoBERTa's positions start after its padding index, so its usable length is
    /// `max_position_embeddings - pad_token_id - 1` (512 for the 514 positions of roberta-base),
    /// HF's `model_max_length`; rust-bert returns 514.
    pub fn get_max_len(&self) -> Option<i64> {
        match self {
            Self::Bert(config) => Some(config.max_position_embeddings),
            Self::DistilBert(config) => Some(config.max_position_embeddings),
            Self::Albert(config) => Some(config.max_position_embeddings),
            Self::Roberta(config) => {
                let offset = config.pad_token_id.unwrap_or(1) + 1;
                Some(config.max_position_embeddings - offset)
            }
            Self::Bart(config) | Self::Marian(config) => Some(config.max_position_embeddings),
            Self::T5(config) => config.n_positions.or(Some(512)),
            Self::GPT2(config) | Self::OpenAiGpt(config) => Some(config.n_positions),
            // Relative positions: no limit (HF's XLNet tokenizer has none either).
            Self::XLNet(_) => None,
        }
    }

    /// The vocabulary size.
    pub fn get_vocab_size(&self) -> i64 {
        match self {
            Self::Bert(config) | Self::Roberta(config) => config.vocab_size,
            Self::DistilBert(config) => config.vocab_size,
            Self::Albert(config) => config.vocab_size,
            Self::Bart(config) | Self::Marian(config) => config.vocab_size,
            Self::T5(config) => config.vocab_size,
            Self::GPT2(config) | Self::OpenAiGpt(config) => config.vocab_size,
            Self::XLNet(config) => config.vocab_size,
        }
    }

    /// The decoder start token id (`None` for encoder-only models).
    pub fn get_decoder_start_token_id(&self) -> Option<i64> {
        match self {
            Self::Bart(config) | Self::Marian(config) => config.decoder_start_token_id,
            Self::T5(config) => config.decoder_start_token_id.or(config.pad_token_id),
            _ => None,
        }
    }

    /// The token generation is forced to start with (`None` for encoder-only models).
    pub fn get_forced_bos_token_id(&self) -> Option<i64> {
        match self {
            Self::Bart(config) | Self::Marian(config) => config.forced_bos_token_id,
            Self::T5(config) => config.forced_bos_token_id,
            Self::GPT2(config) | Self::OpenAiGpt(config) => config.forced_bos_token_id,
            Self::XLNet(config) => config.forced_bos_token_id,
            _ => None,
        }
    }

    /// The token generation is forced to end with (`None` for encoder-only models).
    pub fn get_forced_eos_token_id(&self) -> Option<i64> {
        match self {
            Self::Bart(config) | Self::Marian(config) => config.forced_eos_token_id,
            Self::T5(config) => config.forced_eos_token_id,
            Self::GPT2(config) | Self::OpenAiGpt(config) => config.forced_eos_token_id,
            Self::XLNet(config) => config.forced_eos_token_id,
            _ => None,
        }
    }
}

impl TryFrom<&ConfigOption> for BertConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::Bert(config) | ConfigOption::Roberta(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "a BertConfig (BERT, RoBERTa) was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for DistilBertConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::DistilBert(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "a DistilBertConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for AlbertConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::Albert(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "an AlbertConfig was expected, found {other:?}"
            ))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tokenizers
// ---------------------------------------------------------------------------------------------

/// A tokenizer, one variant per tokenizer of `rust_tokenizers` 8.1, plus HF `tokenizer.json`
/// files (feature `hf-tokenizers`).
// The variants hold the tokenizers themselves, as in rust-bert (whose users build them); one is
// built per pipeline, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum TokenizerOption {
    /// BERT (WordPiece); also DistilBERT, ELECTRA, MobileBERT.
    Bert(BertTokenizer),
    /// DeBERTa (byte-level BPE).
    Deberta(DeBERTaTokenizer),
    /// DeBERTa-v2 (SentencePiece).
    DebertaV2(DeBERTaV2Tokenizer),
    /// RoBERTa (byte-level BPE); also Longformer.
    Roberta(RobertaTokenizer),
    /// XLM-RoBERTa (SentencePiece with fairseq's ids).
    XLMRoberta(XLMRobertaTokenizer),
    /// Marian (SentencePiece).
    Marian(MarianTokenizer),
    /// T5 (SentencePiece); also LongT5.
    T5(T5Tokenizer),
    /// ALBERT (SentencePiece).
    Albert(AlbertTokenizer),
    /// XLNet (SentencePiece).
    XLNet(XLNetTokenizer),
    /// GPT-2 (byte-level BPE); also GPT-Neo, GPT-J.
    GPT2(Gpt2Tokenizer),
    /// OpenAI GPT (BPE).
    OpenAiGpt(OpenAiGptTokenizer),
    /// Reformer (SentencePiece).
    Reformer(ReformerTokenizer),
    /// ProphetNet (WordPiece).
    ProphetNet(ProphetNetTokenizer),
    /// Pegasus (SentencePiece).
    Pegasus(PegasusTokenizer),
    /// mBART-50 (SentencePiece).
    MBart50(MBart50Tokenizer),
    /// M2M100 (SentencePiece).
    M2M100(M2M100Tokenizer),
    /// NLLB (SentencePiece).
    NLLB(NLLBTokenizer),
    /// FNet (SentencePiece).
    FNet(FNetTokenizer),
    /// BART (RoBERTa's byte-level BPE).
    Bart(RobertaTokenizer),
    /// Any HF `tokenizer.json` (with its `special_tokens_map.json`).
    #[cfg(feature = "hf-tokenizers")]
    HFTokenizer(HFTokenizer),
}

/// Runs `$rt` with `$t` bound to the `rust_tokenizers` tokenizer of any variant, or `$hf` with
/// `$h` bound to the HF tokenizer.
macro_rules! dispatch {
    ($self:expr, $t:ident => $rt:expr, $h:ident => $hf:expr) => {
        match $self {
            TokenizerOption::Bert($t) => $rt,
            TokenizerOption::Deberta($t) => $rt,
            TokenizerOption::DebertaV2($t) => $rt,
            TokenizerOption::Roberta($t) => $rt,
            TokenizerOption::XLMRoberta($t) => $rt,
            TokenizerOption::Marian($t) => $rt,
            TokenizerOption::T5($t) => $rt,
            TokenizerOption::Albert($t) => $rt,
            TokenizerOption::XLNet($t) => $rt,
            TokenizerOption::GPT2($t) => $rt,
            TokenizerOption::OpenAiGpt($t) => $rt,
            TokenizerOption::Reformer($t) => $rt,
            TokenizerOption::ProphetNet($t) => $rt,
            TokenizerOption::Pegasus($t) => $rt,
            TokenizerOption::MBart50($t) => $rt,
            TokenizerOption::M2M100($t) => $rt,
            TokenizerOption::NLLB($t) => $rt,
            TokenizerOption::FNet($t) => $rt,
            TokenizerOption::Bart($t) => $rt,
            #[cfg(feature = "hf-tokenizers")]
            TokenizerOption::HFTokenizer($h) => $hf,
        }
    };
}

/// A special token role, read from the tokenizer's special-token map.
#[derive(Clone, Copy, Debug)]
enum Special {
    Pad,
    Sep,
    Cls,
    Mask,
    Bos,
    Eos,
}

/// Which side of a sequence receives the padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PaddingSide {
    /// Padding after the tokens (encoders).
    #[default]
    Right,
    /// Padding before the tokens (XLNet; decoder-only generation).
    Left,
}

/// A batch of encoded inputs padded to its longest member, as the models take it.
#[derive(Debug)]
pub struct PaddedBatch {
    /// Token ids `[batch, length]` (int64), padded with the tokenizer's pad id.
    pub input_ids: Tensor,
    /// 1 for real tokens, 0 for padding, `[batch, length]` (int64).
    pub attention_mask: Tensor,
    /// Segment ids `[batch, length]` (int64), padded with the tokenizer's pad token type.
    pub token_type_ids: Tensor,
    /// The unpadded length of each member.
    pub lengths: Vec<usize>,
}

/// One side of an encoding before special tokens are added, in the tokenizer's own form.
enum Sequence {
    Rust(TokenIdsWithOffsets),
    #[cfg(feature = "hf-tokenizers")]
    Hf(tokenizers::Encoding),
}

impl Sequence {
    fn into_rust(self) -> Option<TokenIdsWithOffsets> {
        match self {
            Sequence::Rust(seq) => Some(seq),
            #[cfg(feature = "hf-tokenizers")]
            Sequence::Hf(_) => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Sequence::Rust(seq) => seq.ids.len(),
            #[cfg(feature = "hf-tokenizers")]
            Sequence::Hf(encoding) => encoding.len(),
        }
    }

    fn ids(&self, range: Range<usize>) -> Vec<i64> {
        match self {
            Sequence::Rust(seq) => seq.ids.get(range).map(<[i64]>::to_vec).unwrap_or_default(),
            #[cfg(feature = "hf-tokenizers")]
            Sequence::Hf(encoding) => encoding
                .get_ids()
                .get(range)
                .map(|ids| ids.iter().map(|&id| i64::from(id)).collect())
                .unwrap_or_default(),
        }
    }

    fn slice(&self, range: Range<usize>) -> Sequence {
        fn part<T: Clone>(values: &[T], range: &Range<usize>) -> Vec<T> {
            values
                .get(range.clone())
                .map(<[T]>::to_vec)
                .unwrap_or_default()
        }
        match self {
            Sequence::Rust(seq) => Sequence::Rust(TokenIdsWithOffsets {
                ids: part(&seq.ids, &range),
                offsets: part(&seq.offsets, &range),
                reference_offsets: part(&seq.reference_offsets, &range),
                masks: part(&seq.masks, &range),
            }),
            #[cfg(feature = "hf-tokenizers")]
            Sequence::Hf(encoding) => Sequence::Hf(hf::slice(encoding, &range)),
        }
    }
}

/// How HF places a token made only of whitespace.
#[derive(Clone, Copy)]
enum OnlySpace {
    ByteLevel,
    SentencePiece,
}

/// Ids with HF's offset convention: a token's span starts at its first non-space character
/// (rust_tokenizers' byte-level BPE and SentencePiece spans include the space before a word).
/// Tokens that are only whitespace keep their span.
fn hf_offsets(
    text: &str,
    tokens: TokensWithOffsets,
    ids: Vec<i64>,
    spaces: Option<OnlySpace>,
) -> TokenIdsWithOffsets {
    let Some(spaces) = spaces else {
        return TokenIdsWithOffsets {
            ids,
            offsets: tokens.offsets,
            reference_offsets: tokens.reference_offsets,
            masks: tokens.masks,
        };
    };
    let chars: Vec<char> = text.chars().collect();
    // HF's byte-level offsets trim only spaces (`Ġ`): a tab or newline keeps its span.
    let is_space = |position: u32| {
        chars.get(position as usize).is_some_and(|&c| match spaces {
            OnlySpace::ByteLevel => c == ' ',
            OnlySpace::SentencePiece => c.is_whitespace(),
        })
    };
    let mut offsets = tokens
        .offsets
        .into_iter()
        .map(|offset| {
            offset.map(|mut o| {
                let mut begin = o.begin;
                while begin < o.end && is_space(begin) {
                    begin += 1;
                }
                if begin < o.end {
                    o.begin = begin;
                }
                o
            })
        })
        .collect::<Vec<_>>();
    // A token that is only whitespace: HF's byte-level BPE gives it an empty span at its end;
    // SentencePiece's `▁` standing alone is mapped to the first character of the next token.
    for i in 0..offsets.len() {
        let Some(o) = offsets[i] else { continue };
        if o.begin >= o.end || !(o.begin..o.end).all(is_space) {
            continue;
        }
        let next = offsets.get(i + 1).copied().flatten();
        offsets[i] = Some(match (spaces, next) {
            (OnlySpace::SentencePiece, Some(next)) if next.begin < next.end => Offset {
                begin: next.begin,
                end: next.begin + 1,
            },
            (OnlySpace::SentencePiece, _) => o,
            (OnlySpace::ByteLevel, _) => Offset {
                begin: o.end,
                end: o.end,
            },
        });
    }
    let reference_offsets = tokens
        .reference_offsets
        .into_iter()
        .map(|positions| {
            let kept: Vec<OffsetSize> = positions
                .iter()
                .copied()
                .skip_while(|&p| is_space(p))
                .collect();
            if kept.is_empty() {
                positions
            } else {
                kept
            }
        })
        .collect();
    TokenIdsWithOffsets {
        ids,
        offsets,
        reference_offsets,
        masks: tokens.masks,
    }
}

/// Sequence lengths after truncating to `budget` tokens, by HF's rules
/// (`tokenizers::utils::truncation::truncate_encodings`). Strategies HF refuses (only the
/// second sequence of a single text, a sequence too short to absorb the cut) fall back to
/// longest-first, so the result always fits; `DoNotTruncate` keeps everything.
fn truncated_lengths(
    n1: usize,
    n2: Option<usize>,
    budget: usize,
    strategy: &TruncationStrategy,
) -> (usize, Option<usize>) {
    let total = n1 + n2.unwrap_or(0);
    if total <= budget {
        return (n1, n2);
    }
    let to_remove = total - budget;
    match (strategy, n2) {
        (TruncationStrategy::DoNotTruncate, _) => (n1, n2),
        (TruncationStrategy::OnlyFirst, _) if n1 > to_remove => (n1 - to_remove, n2),
        (TruncationStrategy::OnlySecond, Some(n2)) if n2 > to_remove => (n1, Some(n2 - to_remove)),
        (_, None) => (budget, None),
        (_, Some(n2)) => {
            // HF's closed form: the shorter sequence keeps its length when the longer one can
            // absorb the whole cut, otherwise both are cut to half the budget (the longer one
            // gets the odd token).
            let (short, long) = (n1.min(n2), n1.max(n2));
            let (mut short_len, mut long_len) = if short > budget {
                (short, short)
            } else {
                (short, long.min(budget - short).max(short))
            };
            if short_len + long_len > budget {
                short_len = budget / 2;
                long_len = short_len + budget % 2;
            }
            if n1 > n2 {
                (long_len, Some(short_len))
            } else {
                (short_len, Some(long_len))
            }
        }
    }
}

/// The token ranges of HF's overflow windows over `n` tokens: `width` tokens each, consecutive
/// windows sharing `stride` tokens, the last one ending at `n`.
fn window_ranges(n: usize, width: usize, stride: usize) -> Vec<Range<usize>> {
    if n <= width || width == 0 {
        return std::iter::once(0..n).collect();
    }
    let step = width.saturating_sub(stride).max(1);
    let mut ranges = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + width).min(n);
        ranges.push(start..end);
        if end == n {
            return ranges;
        }
        start += step;
    }
}

fn with_path<'a>(
    model_type: ModelType,
    vocab: &'a str,
    merges: Option<&'a str>,
) -> impl Fn(rust_tokenizers::error::TokenizerError) -> RustBertError + 'a {
    move |error| {
        let files = match merges {
            Some(merges) => format!("{vocab} (merges {merges})"),
            None => vocab.to_string(),
        };
        RustBertError::TokenizerError(format!(
            "cannot load the {model_type:?} tokenizer from {files}: {error}"
        ))
    }
}

fn require_merges(model_type: ModelType, merges: Option<&str>) -> Result<&str, RustBertError> {
    merges.ok_or_else(|| {
        RustBertError::InvalidConfigurationError(format!(
            "the {model_type:?} tokenizer needs a merges file, none was given"
        ))
    })
}

fn refuse_option(
    model_type: ModelType,
    name: &str,
    value: Option<bool>,
) -> Result<(), RustBertError> {
    match value {
        Some(value) => Err(RustBertError::InvalidConfigurationError(format!(
            "optional input `{name}` set to {value} but cannot be used by {model_type:?}"
        ))),
        None => Ok(()),
    }
}

impl TokenizerOption {
    /// Loads the tokenizer of `model_type` from its vocabulary (and merges) files.
    ///
    /// `strip_accents` and `add_prefix_space` are only accepted by the tokenizers that have
    /// them (an error otherwise, as in rust-bert); when `None` they take HF's defaults
    /// (accents stripped when lower-casing for BERT and ALBERT, always for XLNet whose HF
    /// default is `keep_accents=False`; no prefix space).
    ///
    /// # Errors
    /// `TokenizerError` naming the file(s) and what is wrong (a missing file, a file of another
    /// kind, a special token missing from the vocabulary, as `rust_tokenizers` reports it);
    /// `InvalidConfigurationError` for a missing merges file or an option the tokenizer does not
    /// take.
    pub fn from_file(
        model_type: ModelType,
        vocab_path: &str,
        merges_path: Option<&str>,
        lower_case: bool,
        strip_accents: impl Into<Option<bool>>,
        add_prefix_space: impl Into<Option<bool>>,
    ) -> Result<Self, RustBertError> {
        let strip_accents = strip_accents.into();
        let add_prefix_space = add_prefix_space.into();
        let err = with_path(model_type, vocab_path, merges_path);
        let tokenizer = match model_type {
            ModelType::Bert
            | ModelType::DistilBert
            | ModelType::Electra
            | ModelType::MobileBert => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::Bert(
                    BertTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(lower_case),
                    )
                    .map_err(err)?,
                )
            }
            ModelType::Deberta => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::Deberta(
                    DeBERTaTokenizer::from_file(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::DebertaV2 => TokenizerOption::DebertaV2(
                DeBERTaV2Tokenizer::from_file(
                    vocab_path,
                    lower_case,
                    strip_accents.unwrap_or(false),
                    add_prefix_space.unwrap_or(false),
                )
                .map_err(err)?,
            ),
            ModelType::Roberta | ModelType::Longformer | ModelType::Bart => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                let merges = require_merges(model_type, merges_path)?;
                let tokenizer = RobertaTokenizer::from_file(
                    vocab_path,
                    merges,
                    lower_case,
                    add_prefix_space.unwrap_or(false),
                )
                .map_err(err)?;
                if model_type == ModelType::Bart {
                    TokenizerOption::Bart(tokenizer)
                } else {
                    TokenizerOption::Roberta(tokenizer)
                }
            }
            ModelType::Marian => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::Marian(
                    MarianTokenizer::from_files(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::T5 | ModelType::LongT5 => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::T5(T5Tokenizer::from_file(vocab_path, lower_case).map_err(err)?)
            }
            ModelType::XLMRoberta => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::XLMRoberta(
                    XLMRobertaTokenizer::from_file(vocab_path, lower_case).map_err(err)?,
                )
            }
            ModelType::Albert => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::Albert(
                    AlbertTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(lower_case),
                    )
                    .map_err(err)?,
                )
            }
            ModelType::XLNet => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::XLNet(
                    XLNetTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(true),
                    )
                    .map_err(err)?,
                )
            }
            ModelType::Reformer => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::Reformer(
                    ReformerTokenizer::from_file(vocab_path, lower_case).map_err(err)?,
                )
            }
            ModelType::GPT2 | ModelType::GPTNeo | ModelType::GPTJ => {
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::GPT2(
                    Gpt2Tokenizer::from_file(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::OpenAiGpt => {
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::OpenAiGpt(
                    OpenAiGptTokenizer::from_file(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::ProphetNet => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::ProphetNet(
                    ProphetNetTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(lower_case),
                    )
                    .map_err(err)?,
                )
            }
            ModelType::Pegasus => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::Pegasus(
                    PegasusTokenizer::from_file(vocab_path, lower_case).map_err(err)?,
                )
            }
            ModelType::MBart => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::MBart50(
                    MBart50Tokenizer::from_file(vocab_path, lower_case).map_err(err)?,
                )
            }
            ModelType::M2M100 => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::M2M100(
                    M2M100Tokenizer::from_files(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::NLLB => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::NLLB(NLLBTokenizer::from_files(vocab_path, merges).map_err(err)?)
            }
            ModelType::FNet => TokenizerOption::FNet(
                FNetTokenizer::from_file(vocab_path, lower_case, strip_accents.unwrap_or(false))
                    .map_err(err)?,
            ),
        };
        Ok(tokenizer)
    }

    /// Loads an HF `tokenizer.json` with its `special_tokens_map.json` (which names the unknown,
    /// padding, separator... tokens that `tokenizer.json` does not tell apart).
    #[cfg(feature = "hf-tokenizers")]
    pub fn from_hf_tokenizer_file<P: AsRef<Path>, S: AsRef<Path>>(
        tokenizer_file: P,
        special_token_map: S,
    ) -> Result<Self, RustBertError> {
        Ok(TokenizerOption::HFTokenizer(HFTokenizer::from_file(
            tokenizer_file,
            special_token_map,
        )?))
    }

    /// The model type this tokenizer belongs to (the first of the types sharing it; the
    /// `tokenizer.json` variant reports BERT when it cannot tell).
    pub fn model_type(&self) -> ModelType {
        match self {
            Self::Bert(_) => ModelType::Bert,
            Self::Deberta(_) => ModelType::Deberta,
            Self::DebertaV2(_) => ModelType::DebertaV2,
            Self::Roberta(_) => ModelType::Roberta,
            Self::Bart(_) => ModelType::Bart,
            Self::XLMRoberta(_) => ModelType::XLMRoberta,
            Self::Marian(_) => ModelType::Marian,
            Self::T5(_) => ModelType::T5,
            Self::Albert(_) => ModelType::Albert,
            Self::XLNet(_) => ModelType::XLNet,
            Self::GPT2(_) => ModelType::GPT2,
            Self::OpenAiGpt(_) => ModelType::OpenAiGpt,
            Self::Reformer(_) => ModelType::Reformer,
            Self::ProphetNet(_) => ModelType::ProphetNet,
            Self::Pegasus(_) => ModelType::Pegasus,
            Self::MBart50(_) => ModelType::MBart,
            Self::M2M100(_) => ModelType::M2M100,
            Self::NLLB(_) => ModelType::NLLB,
            Self::FNet(_) => ModelType::FNet,
            #[cfg(feature = "hf-tokenizers")]
            Self::HFTokenizer(_) => ModelType::Bert,
        }
    }

    // -- encoding ------------------------------------------------------------------------------

    /// Tokenizes one text into ids and offsets, without special tokens.
    fn sequence(&self, text: &str) -> Sequence {
        dispatch!(self,
            t => {
                let tokens = t.tokenize_with_offsets(text);
                let ids = t.convert_tokens_to_ids(&tokens.tokens);
                Sequence::Rust(hf_offsets(text, tokens, ids, self.trims_offsets()))
            },
            h => Sequence::Hf(h.raw_encoding(text, 0))
        )
    }

    /// Adds the special tokens to one sequence or a pair.
    fn assemble(&self, first: Sequence, second: Option<Sequence>) -> TokenizedInput {
        match (self, first) {
            #[cfg(feature = "hf-tokenizers")]
            (TokenizerOption::HFTokenizer(h), Sequence::Hf(first)) => {
                let second = second.and_then(|s| match s {
                    Sequence::Hf(encoding) => Some(encoding),
                    Sequence::Rust(_) => None,
                });
                h.post_process(first, second)
            }
            (_, Sequence::Rust(first)) => {
                let second = second.and_then(Sequence::into_rust);
                self.build_input_with_special_tokens(first, second)
            }
            #[cfg(feature = "hf-tokenizers")]
            // An HF sequence only comes from the HF variant.
            (_, Sequence::Hf(_)) => TokenizedInput {
                token_ids: vec![],
                segment_ids: vec![],
                special_tokens_mask: vec![],
                overflowing_tokens: vec![],
                num_truncated_tokens: 0,
                token_offsets: vec![],
                reference_offsets: vec![],
                mask: vec![],
            },
        }
    }

    /// How HF's offsets treat spaces before a token: GPT-2's byte-level BPE keeps them (and
    /// OpenAI GPT's tokens hold none); the others start after them, and place tokens made only
    /// of spaces as [`OnlySpace`] says (WordPiece never makes such tokens).
    fn trims_offsets(&self) -> Option<OnlySpace> {
        match self {
            Self::GPT2(_) | Self::OpenAiGpt(_) => None,
            Self::Roberta(_) | Self::Bart(_) | Self::Deberta(_) => Some(OnlySpace::ByteLevel),
            _ => Some(OnlySpace::SentencePiece),
        }
    }

    /// The number of special tokens added to a single sequence (`pair = false`) or a pair.
    pub fn num_special_tokens(&self, pair: bool) -> usize {
        dispatch!(self,
            t => {
                let empty = || TokenIdsWithOffsets {
                    ids: vec![],
                    offsets: vec![],
                    reference_offsets: vec![],
                    masks: vec![],
                };
                t.build_input_with_special_tokens(empty(), pair.then(empty)).token_ids.len()
            },
            h => h.num_special_tokens(pair)
        )
    }

    fn encode_sequences(
        &self,
        first: Sequence,
        second: Option<Sequence>,
        max_len: usize,
        truncation_strategy: &TruncationStrategy,
        stride: usize,
    ) -> TokenizedInput {
        let budget = max_len.saturating_sub(self.num_special_tokens(second.is_some()));
        let (n1, n2) = (first.len(), second.as_ref().map(Sequence::len));
        let (k1, k2) = truncated_lengths(n1, n2, budget, truncation_strategy);
        // What was cut, each part preceded by `stride` tokens of context (rust_tokenizers'
        // `overflowing_tokens`).
        let mut overflowing_tokens = Vec::new();
        if k1 < n1 {
            overflowing_tokens.extend(first.ids(k1.saturating_sub(stride)..n1));
        }
        let second = match (second, k2, n2) {
            (Some(second), Some(k2), Some(n2)) if k2 < n2 => {
                overflowing_tokens.extend(second.ids(k2.saturating_sub(stride)..n2));
                Some(second.slice(0..k2))
            }
            (second, _, _) => second,
        };
        let first = if k1 < n1 { first.slice(0..k1) } else { first };
        let mut input = self.assemble(first, second);
        input.overflowing_tokens = overflowing_tokens;
        input.num_truncated_tokens = (n1 - k1) + n2.unwrap_or(0) - k2.unwrap_or(0);
        input
    }

    /// Encodes one text or a pair: tokens, ids, special tokens, truncation to `max_len` with
    /// HF's rules for `truncation_strategy` (see [`TokenizerOption`]'s module docs).
    pub fn encode_pair(
        &self,
        text_1: &str,
        text_2: Option<&str>,
        max_len: usize,
        truncation_strategy: &TruncationStrategy,
        stride: usize,
    ) -> TokenizedInput {
        let first = self.sequence(text_1);
        let second = text_2.map(|text| self.sequence_second(text));
        self.encode_sequences(first, second, max_len, truncation_strategy, stride)
    }

    fn sequence_second(&self, text: &str) -> Sequence {
        match self {
            #[cfg(feature = "hf-tokenizers")]
            TokenizerOption::HFTokenizer(h) => Sequence::Hf(h.raw_encoding(text, 1)),
            _ => self.sequence(text),
        }
    }

    /// Encodes each text (see [`TokenizerOption::encode_pair`]); tokenization runs in parallel
    /// for the `rust_tokenizers` variants.
    pub fn encode_list<S>(
        &self,
        text_list: &[S],
        max_len: usize,
        truncation_strategy: &TruncationStrategy,
        stride: usize,
    ) -> Vec<TokenizedInput>
    where
        S: AsRef<str> + Send + Sync,
    {
        let sequences: Vec<Sequence> = dispatch!(self,
            t => MultiThreadedTokenizer::tokenize_list_with_offsets(t, text_list)
                .into_iter()
                .zip(text_list)
                .map(|(tokens, text)| {
                    let ids = t.convert_tokens_to_ids(&tokens.tokens);
                    Sequence::Rust(hf_offsets(text.as_ref(), tokens, ids, self.trims_offsets()))
                })
                .collect(),
            h => text_list.iter().map(|text| Sequence::Hf(h.raw_encoding(text.as_ref(), 0))).collect()
        );
        sequences
            .into_iter()
            .map(|sequence| {
                self.encode_sequences(sequence, None, max_len, truncation_strategy, stride)
            })
            .collect()
    }

    /// Encodes each pair of texts (see [`TokenizerOption::encode_pair`]).
    pub fn encode_pair_list(
        &self,
        text_pair_list: &[(&str, &str)],
        max_len: usize,
        truncation_strategy: &TruncationStrategy,
        stride: usize,
    ) -> Vec<TokenizedInput> {
        text_pair_list
            .iter()
            .map(|(a, b)| self.encode_pair(a, Some(b), max_len, truncation_strategy, stride))
            .collect()
    }

    /// Splits a text too long for `max_len` into overlapping windows, each with its special
    /// tokens and its own offsets into `text`, as HF's `return_overflowing_tokens=True,
    /// stride=stride` does: windows of `max_len - special tokens` tokens, consecutive windows
    /// sharing `stride` tokens. A text that fits gives one window.
    ///
    /// # Errors
    /// `ValueError` when `max_len` leaves no room for text or `stride` is not smaller than the
    /// room left (HF refuses both).
    pub fn encode_windows(
        &self,
        text: &str,
        max_len: usize,
        stride: usize,
    ) -> Result<Vec<TokenizedInput>, RustBertError> {
        let sequence = self.sequence(text);
        let width = self.window_width(max_len, 0, false, stride)?;
        Ok(window_ranges(sequence.len(), width, stride)
            .into_iter()
            .map(|range| self.assemble(sequence.slice(range), None))
            .collect())
    }

    /// Windows over the second text of a pair, the first repeated in each (question answering:
    /// question + context windows, HF's `truncation="only_second"` with overflowing tokens).
    ///
    /// # Errors
    /// `ValueError` when the first text and the special tokens leave no room within `max_len`,
    /// or `stride` is not smaller than the room left.
    pub fn encode_pair_windows(
        &self,
        text_1: &str,
        text_2: &str,
        max_len: usize,
        stride: usize,
    ) -> Result<Vec<TokenizedInput>, RustBertError> {
        let first = self.sequence(text_1);
        let second = self.sequence_second(text_2);
        let width = self.window_width(max_len, first.len(), true, stride)?;
        Ok(window_ranges(second.len(), width, stride)
            .into_iter()
            .map(|range| self.assemble(first.slice(0..first.len()), Some(second.slice(range))))
            .collect())
    }

    /// As [`TokenizerOption::encode_pair_windows`], splitting the FIRST text into windows and
    /// repeating the second one whole in each: the question-answering layout of tokenizers
    /// that pad on the left (XLNet), whose models read the context before the question.
    ///
    /// # Errors
    /// As [`TokenizerOption::encode_pair_windows`], with the second text's tokens reserved.
    pub fn encode_pair_windows_first(
        &self,
        text_1: &str,
        text_2: &str,
        max_len: usize,
        stride: usize,
    ) -> Result<Vec<TokenizedInput>, RustBertError> {
        let first = self.sequence(text_1);
        let second = self.sequence_second(text_2);
        let width = self.window_width(max_len, second.len(), true, stride)?;
        Ok(window_ranges(first.len(), width, stride)
            .into_iter()
            .map(|range| self.assemble(first.slice(range), Some(second.slice(0..second.len()))))
            .collect())
    }

    fn window_width(
        &self,
        max_len: usize,
        first_len: usize,
        pair: bool,
        stride: usize,
    ) -> Result<usize, RustBertError> {
        let reserved = self.num_special_tokens(pair) + first_len;
        let width = max_len.saturating_sub(reserved);
        if width == 0 {
            return Err(RustBertError::ValueError(format!(
                "max_len {max_len} leaves no room for text after {reserved} reserved tokens \
                 (special tokens{})",
                if pair { " and the text kept whole" } else { "" }
            )));
        }
        if stride >= width {
            return Err(RustBertError::ValueError(format!(
                "stride {stride} must be smaller than the {width} tokens of text a window holds \
                 (max_len {max_len} minus {reserved} reserved tokens)"
            )));
        }
        Ok(width)
    }

    // -- tokens, ids, text ---------------------------------------------------------------------

    /// Splits a text into tokens (no special tokens).
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        dispatch!(self, t => t.tokenize(text), h => h.tokenize(text))
    }

    /// Splits a text into tokens with their character offsets (no special tokens).
    pub fn tokenize_with_offsets(&self, text: &str) -> TokensWithOffsets {
        dispatch!(self, t => t.tokenize_with_offsets(text), h => h.tokenize_with_offsets(text))
    }

    /// Splits each text into tokens (in parallel for the `rust_tokenizers` variants).
    pub fn tokenize_list<S>(&self, text: &[S]) -> Vec<Vec<String>>
    where
        S: AsRef<str> + Send + Sync,
    {
        dispatch!(self,
            t => MultiThreadedTokenizer::tokenize_list(t, text),
            h => h.tokenize_list(text)
        )
    }

    /// Turns ids back into text. Unknown ids are skipped or become the unknown token, as each
    /// tokenizer does; `clean_up_tokenization_spaces` is not used by `tokenizer.json` files
    /// (their decoder decides).
    pub fn decode(
        &self,
        token_ids: &[i64],
        skip_special_tokens: bool,
        clean_up_tokenization_spaces: bool,
    ) -> String {
        let text = dispatch!(self,
            t => t.decode(token_ids, skip_special_tokens, clean_up_tokenization_spaces),
            h => h.decode(token_ids, skip_special_tokens)
        );
        match self {
            // SentencePiece's decoder drops the space its word-start marker puts before the
            // first word; rust_tokenizers' Marian, T5 and XLNet decoders keep it (HF does not).
            Self::Marian(_) | Self::T5(_) | Self::XLNet(_) => match text.strip_prefix(' ') {
                Some(stripped) => stripped.to_string(),
                None => text,
            },
            _ => text,
        }
    }

    /// Adds the special tokens around one sequence of ids or a pair.
    pub fn build_input_with_special_tokens(
        &self,
        token_ids_with_offsets_1: TokenIdsWithOffsets,
        token_ids_with_offsets_2: Option<TokenIdsWithOffsets>,
    ) -> TokenizedInput {
        let lengths = (
            token_ids_with_offsets_1.ids.len(),
            token_ids_with_offsets_2.as_ref().map(|s| s.ids.len()),
        );
        let built = dispatch!(self,
            t => t.build_input_with_special_tokens(token_ids_with_offsets_1, token_ids_with_offsets_2),
            h => return h.build_input_with_special_tokens(token_ids_with_offsets_1, token_ids_with_offsets_2)
        );
        let mut segment_ids = built.segment_ids;
        match self {
            // HF gives these models no token types (RoBERTa-style embeddings have a single
            // one): every segment id is 0 where rust_tokenizers numbers the second sequence 1.
            Self::XLMRoberta(_)
            | Self::Roberta(_)
            | Self::Bart(_)
            | Self::T5(_)
            | Self::Marian(_)
            | Self::Pegasus(_)
            | Self::MBart50(_)
            | Self::M2M100(_)
            | Self::NLLB(_) => segment_ids = vec![0; built.token_ids.len()],
            // HF's XLNet: `A <sep>` in segment 0, `B <sep>` in 1, the final `<cls>` in 2
            // (rust_tokenizers gives one segment id fewer than tokens).
            Self::XLNet(_) => {
                let (n1, n2) = lengths;
                let mut xlnet = vec![0i8; n1 + 1];
                if let Some(n2) = n2 {
                    xlnet.extend(std::iter::repeat_n(1, n2 + 1));
                }
                xlnet.push(2);
                if xlnet.len() == built.token_ids.len() {
                    segment_ids = xlnet;
                }
            }
            _ => {}
        }
        TokenizedInput {
            token_ids: built.token_ids,
            segment_ids,
            special_tokens_mask: built.special_tokens_mask,
            overflowing_tokens: vec![],
            num_truncated_tokens: 0,
            token_offsets: built.token_offsets,
            reference_offsets: built.reference_offsets,
            mask: built.mask,
        }
    }

    /// Converts tokens to ids (the unknown token's id for tokens not in the vocabulary).
    pub fn convert_tokens_to_ids<S>(&self, tokens: &[S]) -> Vec<i64>
    where
        S: AsRef<str>,
    {
        dispatch!(self, t => t.convert_tokens_to_ids(tokens), h => h.convert_tokens_to_ids(tokens))
    }

    /// Adds `<extra_id_i>` tokens (T5's sentinels) to the vocabulary.
    pub fn add_extra_ids(&mut self, num_extra_ids: i64) {
        dispatch!(self, t => t.add_extra_ids(num_extra_ids), h => h.add_extra_ids(num_extra_ids))
    }

    /// Adds tokens to the vocabulary (matched whole, never split).
    pub fn add_tokens(&mut self, tokens: &[&str]) {
        dispatch!(self, t => t.add_tokens(tokens), h => h.add_tokens(tokens))
    }

    // -- special tokens ------------------------------------------------------------------------

    fn special_value(&self, which: Special) -> Option<&str> {
        dispatch!(self,
            t => {
                let map = &Tokenizer::vocab(t).special_token_map;
                match which {
                    Special::Pad => map.pad_token.as_deref(),
                    Special::Sep => map.sep_token.as_deref(),
                    Special::Cls => map.cls_token.as_deref(),
                    Special::Mask => map.mask_token.as_deref(),
                    Special::Bos => map.bos_token.as_deref(),
                    Special::Eos => map.eos_token.as_deref(),
                }
            },
            h => {
                let map = &h.special_token_map;
                match which {
                    Special::Pad => map.pad_token.as_deref(),
                    Special::Sep => map.sep_token.as_deref(),
                    Special::Cls => map.cls_token.as_deref(),
                    Special::Mask => map.mask_token.as_deref(),
                    Special::Bos => map.bos_token.as_deref(),
                    Special::Eos => map.eos_token.as_deref(),
                }
            }
        )
    }

    fn special_id(&self, which: Special) -> Option<i64> {
        let value = self.special_value(which)?;
        Some(
            dispatch!(self, t => Tokenizer::vocab(t).token_to_id(value), h => h.token_to_id(value)),
        )
    }

    /// The unknown token's id.
    pub fn get_unk_id(&self) -> i64 {
        dispatch!(self,
            t => {
                let vocab = Tokenizer::vocab(t);
                vocab.token_to_id(vocab.get_unknown_value())
            },
            h => h.unk_id
        )
    }

    /// The padding token's id (`None` for tokenizers without one: GPT-2, OpenAI GPT, Reformer).
    pub fn get_pad_id(&self) -> Option<i64> {
        self.special_id(Special::Pad)
    }

    /// The separator token's id.
    pub fn get_sep_id(&self) -> Option<i64> {
        self.special_id(Special::Sep)
    }

    /// The classification token's id.
    pub fn get_cls_id(&self) -> Option<i64> {
        self.special_id(Special::Cls)
    }

    /// The mask token's id.
    pub fn get_mask_id(&self) -> Option<i64> {
        self.special_id(Special::Mask)
    }

    /// The mask token itself (e.g. `[MASK]`, `<mask>`).
    pub fn get_mask_value(&self) -> Option<&str> {
        self.special_value(Special::Mask)
    }

    /// The beginning-of-sequence token's id.
    ///
    /// As in rust-bert 0.23, Marian, Pegasus and mBART-50 report 0 (the id their decoders start
    /// from), though their vocabularies declare no such token.
    pub fn get_bos_id(&self) -> Option<i64> {
        match self {
            Self::Marian(_) | Self::Pegasus(_) | Self::MBart50(_) => Some(0),
            _ => self.special_id(Special::Bos),
        }
    }

    /// The end-of-sequence token's id.
    pub fn get_eos_id(&self) -> Option<i64> {
        self.special_id(Special::Eos)
    }

    // -- batching ------------------------------------------------------------------------------

    /// The id padding positions get: the pad token, else the end-of-sequence token (HF's usual
    /// choice for GPT-2), else the unknown token. Padded positions are masked, so the value only
    /// has to be a valid id.
    pub fn pad_id_or_fallback(&self) -> i64 {
        self.get_pad_id()
            .or_else(|| self.get_eos_id())
            .unwrap_or_else(|| self.get_unk_id())
    }

    /// The segment id padding positions get (HF's `pad_token_type_id`: 3 for XLNet, else 0).
    pub fn pad_token_type_id(&self) -> i64 {
        match self {
            Self::XLNet(_) => 3,
            _ => 0,
        }
    }

    /// The side HF pads this tokenizer's inputs on (left for XLNet, right otherwise).
    pub fn default_padding_side(&self) -> PaddingSide {
        match self {
            Self::XLNet(_) => PaddingSide::Left,
            _ => PaddingSide::Right,
        }
    }

    /// Pads encoded inputs to the longest one and stacks them into tensors on `device`.
    ///
    /// An empty batch gives `[0, 0]` tensors.
    pub fn pad_batch(
        &self,
        inputs: &[TokenizedInput],
        side: PaddingSide,
        device: Device,
    ) -> PaddedBatch {
        let segments: Vec<Vec<i64>> = inputs
            .iter()
            .map(|input| input.segment_ids.iter().map(|&s| i64::from(s)).collect())
            .collect();
        pad_sequences(
            inputs
                .iter()
                .zip(&segments)
                .map(|(input, segments)| (input.token_ids.as_slice(), segments.as_slice())),
            self.pad_id_or_fallback(),
            self.pad_token_type_id(),
            side,
            device,
        )
    }

    /// Encodes texts (truncated to `max_len`, longest first) and pads them into tensors.
    pub fn encode_and_pad<S>(
        &self,
        texts: &[S],
        max_len: usize,
        side: PaddingSide,
        device: Device,
    ) -> PaddedBatch
    where
        S: AsRef<str> + Send + Sync,
    {
        let inputs = self.encode_list(texts, max_len, &TruncationStrategy::LongestFirst, 0);
        self.pad_batch(&inputs, side, device)
    }

    /// rust-bert's helper: encodes and right-pads texts, returning `(input_ids,
    /// token_type_ids)` on `device` (use [`TokenizerOption::encode_and_pad`] to get the attention
    /// mask too). Never panics: an empty input gives `[0, 0]` tensors, a tokenizer without a pad
    /// token pads with [`TokenizerOption::pad_id_or_fallback`].
    pub fn tokenize_and_pad<'a, S>(
        &self,
        input: S,
        max_length: usize,
        device: Device,
    ) -> (Tensor, Tensor)
    where
        S: AsRef<[&'a str]>,
    {
        let batch = self.encode_and_pad(input.as_ref(), max_length, PaddingSide::Right, device);
        (batch.input_ids, batch.token_type_ids)
    }
}

/// Pads sequences of `(token ids, segment ids)` into `[batch, longest]` tensors on `device`.
///
/// Segment ids shorter than their ids (or absent) are completed with `pad_type_id`.
pub fn pad_sequences<'a, I>(
    sequences: I,
    pad_id: i64,
    pad_type_id: i64,
    side: PaddingSide,
    device: Device,
) -> PaddedBatch
where
    I: IntoIterator<Item = (&'a [i64], &'a [i64])>,
{
    let sequences: Vec<(&[i64], &[i64])> = sequences.into_iter().collect();
    let lengths: Vec<usize> = sequences.iter().map(|(ids, _)| ids.len()).collect();
    let longest = lengths.iter().copied().max().unwrap_or(0);
    let rows = sequences.len();
    let mut ids = Vec::with_capacity(rows * longest);
    let mut mask = Vec::with_capacity(rows * longest);
    let mut types = Vec::with_capacity(rows * longest);
    for (row_ids, row_types) in &sequences {
        let padding = longest - row_ids.len();
        let real_types =
            (0..row_ids.len()).map(|i| row_types.get(i).copied().unwrap_or(pad_type_id));
        let pad = |ids: &mut Vec<i64>, mask: &mut Vec<i64>, types: &mut Vec<i64>| {
            ids.extend(std::iter::repeat_n(pad_id, padding));
            mask.extend(std::iter::repeat_n(0, padding));
            types.extend(std::iter::repeat_n(pad_type_id, padding));
        };
        if side == PaddingSide::Left {
            pad(&mut ids, &mut mask, &mut types);
        }
        ids.extend_from_slice(row_ids);
        mask.extend(std::iter::repeat_n(1, row_ids.len()));
        types.extend(real_types);
        if side == PaddingSide::Right {
            pad(&mut ids, &mut mask, &mut types);
        }
    }
    let shape = [rows as i64, longest as i64];
    let tensor = |values: &[i64]| Tensor::from_slice(values).view(shape).to(device);
    PaddedBatch {
        input_ids: tensor(&ids),
        attention_mask: tensor(&mask),
        token_type_ids: tensor(&types),
        lengths,
    }
}

// ---------------------------------------------------------------------------------------------
// HF tokenizer.json
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "hf-tokenizers")]
mod hf {
    //! HF `tokenizer.json` files through the `tokenizers` crate.
    use crate::RustBertError;
    use rust_tokenizers::{Mask, Offset, TokenIdsWithOffsets, TokenizedInput, TokensWithOffsets};
    use serde::Deserialize;
    use std::collections::{HashMap, HashSet};
    use std::ops::Range;
    use std::path::Path;
    use tokenizers::tokenizer::Tokenizer as HfBaseTokenizer;
    use tokenizers::{AddedToken, Encoding, PostProcessor};

    /// One special token of `special_tokens_map.json`: a string, or an object with `content`
    /// (how HF writes `AddedToken`s).
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TokenEntry {
        Plain(String),
        Added { content: String },
    }

    impl From<TokenEntry> for String {
        fn from(entry: TokenEntry) -> String {
            match entry {
                TokenEntry::Plain(content) | TokenEntry::Added { content } => content,
            }
        }
    }

    #[derive(Deserialize)]
    struct RawSpecialTokenMap {
        unk_token: Option<TokenEntry>,
        pad_token: Option<TokenEntry>,
        bos_token: Option<TokenEntry>,
        sep_token: Option<TokenEntry>,
        cls_token: Option<TokenEntry>,
        eos_token: Option<TokenEntry>,
        mask_token: Option<TokenEntry>,
        additional_special_tokens: Option<Vec<TokenEntry>>,
    }

    /// The special tokens of a `special_tokens_map.json`.
    #[derive(Debug, Default, Clone)]
    pub struct SpecialTokenMap {
        /// Unknown token (required).
        pub unk_token: String,
        /// Padding token.
        pub pad_token: Option<String>,
        /// Beginning-of-sequence token.
        pub bos_token: Option<String>,
        /// Separator token.
        pub sep_token: Option<String>,
        /// Classification token.
        pub cls_token: Option<String>,
        /// End-of-sequence token.
        pub eos_token: Option<String>,
        /// Mask token.
        pub mask_token: Option<String>,
        /// Further special tokens.
        pub additional_special_tokens: Option<HashSet<String>>,
    }

    /// A tokenizer read from an HF `tokenizer.json`, with the special tokens of its
    /// `special_tokens_map.json`.
    ///
    /// Truncation and padding settings stored in `tokenizer.json` are ignored: callers choose
    /// them per call, as with HF's Python tokenizers. Offsets are in characters (Unicode code
    /// points), as `rust_tokenizers` and HF's Python tokenizers give them.
    pub struct HFTokenizer {
        tokenizer: HfBaseTokenizer,
        /// The special tokens.
        pub special_token_map: SpecialTokenMap,
        pub(super) unk_id: i64,
    }

    fn hf_error(context: &str) -> impl Fn(tokenizers::Error) -> RustBertError + '_ {
        move |error| RustBertError::TokenizerError(format!("{context}: {error}"))
    }

    impl HFTokenizer {
        /// Loads `tokenizer.json` and its `special_tokens_map.json`.
        ///
        /// # Errors
        /// `TokenizerError` naming the file when `tokenizer.json` cannot be read or parsed,
        /// `IOError` / `InvalidConfigurationError` for the special-token map, and
        /// `TokenizerError` when a special token is not in the vocabulary.
        pub fn from_file<P: AsRef<Path>, S: AsRef<Path>>(
            tokenizer_file: P,
            special_token_map: S,
        ) -> Result<Self, RustBertError> {
            let tokenizer_file = tokenizer_file.as_ref();
            let map_file = special_token_map.as_ref();
            let mut tokenizer = HfBaseTokenizer::from_file(tokenizer_file).map_err(|error| {
                RustBertError::TokenizerError(format!(
                    "cannot load HF tokenizer file {}: {error}",
                    tokenizer_file.display()
                ))
            })?;
            // Per-call settings, as HF's Python tokenizers override them.
            tokenizer
                .with_truncation(None)
                .map_err(hf_error("cannot clear truncation"))?;
            tokenizer.with_padding(None);
            let text = std::fs::read_to_string(map_file).map_err(|error| {
                RustBertError::IOError(format!(
                    "cannot read special token map {}: {error}",
                    map_file.display()
                ))
            })?;
            let raw: RawSpecialTokenMap = serde_json::from_str(&text).map_err(|error| {
                RustBertError::InvalidConfigurationError(format!(
                    "invalid special token map {}: {error}",
                    map_file.display()
                ))
            })?;
            let unk_token: String = raw.unk_token.map(String::from).ok_or_else(|| {
                RustBertError::InvalidConfigurationError(format!(
                    "special token map {} has no `unk_token`",
                    map_file.display()
                ))
            })?;
            let special_token_map = SpecialTokenMap {
                unk_token,
                pad_token: raw.pad_token.map(String::from),
                bos_token: raw.bos_token.map(String::from),
                sep_token: raw.sep_token.map(String::from),
                cls_token: raw.cls_token.map(String::from),
                eos_token: raw.eos_token.map(String::from),
                mask_token: raw.mask_token.map(String::from),
                additional_special_tokens: raw
                    .additional_special_tokens
                    .map(|tokens| tokens.into_iter().map(String::from).collect()),
            };
            let named = [
                ("unk_token", Some(&special_token_map.unk_token)),
                ("pad_token", special_token_map.pad_token.as_ref()),
                ("bos_token", special_token_map.bos_token.as_ref()),
                ("sep_token", special_token_map.sep_token.as_ref()),
                ("cls_token", special_token_map.cls_token.as_ref()),
                ("eos_token", special_token_map.eos_token.as_ref()),
                ("mask_token", special_token_map.mask_token.as_ref()),
            ];
            for (role, token) in named {
                if let Some(token) = token {
                    if tokenizer.token_to_id(token).is_none() {
                        return Err(RustBertError::TokenizerError(format!(
                            "special token `{token}` ({role} of {}) is not in the vocabulary of {}",
                            map_file.display(),
                            tokenizer_file.display()
                        )));
                    }
                }
            }
            let unk_id = tokenizer
                .token_to_id(&special_token_map.unk_token)
                .map(i64::from)
                .unwrap_or_default();
            Ok(HFTokenizer {
                tokenizer,
                special_token_map,
                unk_id,
            })
        }

        /// The tokenizer of the `tokenizers` crate underneath.
        pub fn hf_tokenizer(&self) -> &HfBaseTokenizer {
            &self.tokenizer
        }

        /// Tokenizes without special tokens; `type_id` is the segment the text belongs to. A
        /// failure (which `tokenizer.json` files that load do not produce) gives an empty
        /// encoding and a log line, so encoding stays infallible as in rust-bert.
        pub(super) fn raw_encoding(&self, text: &str, type_id: u32) -> Encoding {
            match self.tokenizer.encode_char_offsets(text, false) {
                Ok(mut encoding) => {
                    if type_id != 0 {
                        encoding.set_type_ids(vec![type_id; encoding.len()]);
                    }
                    encoding
                }
                Err(error) => {
                    log::error!("HF tokenizer failed on {text:?}: {error}");
                    Encoding::default()
                }
            }
        }

        pub(super) fn num_special_tokens(&self, pair: bool) -> usize {
            self.tokenizer
                .get_post_processor()
                .map(|processor| processor.added_tokens(pair))
                .unwrap_or(0)
        }

        /// Adds the special tokens (the post-processor of `tokenizer.json`).
        pub(super) fn post_process(
            &self,
            first: Encoding,
            second: Option<Encoding>,
        ) -> TokenizedInput {
            let fallback = first.clone();
            match self.tokenizer.post_process(first, second, true) {
                Ok(encoding) => self.to_tokenized_input(&encoding),
                Err(error) => {
                    log::error!("HF post-processing failed: {error}");
                    self.to_tokenized_input(&fallback)
                }
            }
        }

        fn masks(&self, encoding: &Encoding) -> Vec<Mask> {
            let special = encoding.get_special_tokens_mask();
            let words = encoding.get_word_ids();
            let ids = encoding.get_ids();
            (0..ids.len())
                .map(|i| {
                    let word = words.get(i).copied().flatten();
                    let same_word =
                        |j: usize| word.is_some() && words.get(j).copied().flatten() == word;
                    if special.get(i) == Some(&1) {
                        Mask::Special
                    } else if i64::from(ids[i]) == self.unk_id {
                        Mask::Unknown
                    } else if i > 0 && same_word(i - 1) {
                        Mask::Continuation
                    } else if same_word(i + 1) {
                        Mask::Begin
                    } else {
                        Mask::None
                    }
                })
                .collect()
        }

        fn offsets(encoding: &Encoding) -> Vec<Option<Offset>> {
            let special = encoding.get_special_tokens_mask();
            encoding
                .get_offsets()
                .iter()
                .enumerate()
                .map(|(i, &(begin, end))| {
                    (special.get(i) != Some(&1)).then_some(Offset {
                        begin: begin as u32,
                        end: end as u32,
                    })
                })
                .collect()
        }

        fn reference_offsets(encoding: &Encoding) -> Vec<Vec<u32>> {
            Self::offsets(encoding)
                .into_iter()
                .map(|offset| {
                    offset
                        .map(|o| (o.begin..o.end).collect())
                        .unwrap_or_default()
                })
                .collect()
        }

        fn to_tokenized_input(&self, encoding: &Encoding) -> TokenizedInput {
            TokenizedInput {
                token_ids: encoding.get_ids().iter().map(|&id| i64::from(id)).collect(),
                segment_ids: encoding.get_type_ids().iter().map(|&t| t as i8).collect(),
                special_tokens_mask: encoding
                    .get_special_tokens_mask()
                    .iter()
                    .map(|&s| s as i8)
                    .collect(),
                overflowing_tokens: vec![],
                num_truncated_tokens: 0,
                token_offsets: Self::offsets(encoding),
                reference_offsets: Self::reference_offsets(encoding),
                mask: self.masks(encoding),
            }
        }

        /// Encodes texts with special tokens (no truncation).
        pub fn encode_list<S>(&self, text_list: &[S]) -> Result<Vec<TokenizedInput>, RustBertError>
        where
            S: AsRef<str> + Send + Sync,
        {
            text_list
                .iter()
                .map(|text| self.encode_pair(text.as_ref(), None))
                .collect()
        }

        /// Encodes text pairs with special tokens (no truncation).
        pub fn encode_pair_list(
            &self,
            text_pair_list: &[(&str, &str)],
        ) -> Result<Vec<TokenizedInput>, RustBertError> {
            text_pair_list
                .iter()
                .map(|(a, b)| self.encode_pair(a, Some(b)))
                .collect()
        }

        /// Encodes one text or a pair with special tokens (no truncation).
        pub fn encode_pair(
            &self,
            text_1: &str,
            text_2: Option<&str>,
        ) -> Result<TokenizedInput, RustBertError> {
            let encoding = match text_2 {
                Some(text_2) => self.tokenizer.encode_char_offsets((text_1, text_2), true),
                None => self.tokenizer.encode_char_offsets(text_1, true),
            }
            .map_err(hf_error("HF tokenizer failed"))?;
            Ok(self.to_tokenized_input(&encoding))
        }

        /// Splits a text into tokens (no special tokens).
        pub fn tokenize(&self, text: &str) -> Vec<String> {
            self.raw_encoding(text, 0).get_tokens().to_vec()
        }

        /// Splits each text into tokens.
        pub fn tokenize_list<S>(&self, texts: &[S]) -> Vec<Vec<String>>
        where
            S: AsRef<str> + Send + Sync,
        {
            texts
                .iter()
                .map(|text| self.tokenize(text.as_ref()))
                .collect()
        }

        /// Splits a text into tokens with character offsets (no special tokens).
        pub fn tokenize_with_offsets(&self, text: &str) -> TokensWithOffsets {
            let encoding = self.raw_encoding(text, 0);
            TokensWithOffsets {
                tokens: encoding.get_tokens().to_vec(),
                offsets: Self::offsets(&encoding),
                reference_offsets: Self::reference_offsets(&encoding),
                masks: self.masks(&encoding),
            }
        }

        /// Turns ids back into text with the decoder of `tokenizer.json` (ids out of the
        /// vocabulary are skipped).
        pub fn decode(&self, token_ids: &[i64], skip_special_tokens: bool) -> String {
            let ids: Vec<u32> = token_ids
                .iter()
                .filter_map(|&id| u32::try_from(id).ok())
                .collect();
            self.tokenizer
                .decode(&ids, skip_special_tokens)
                .unwrap_or_else(|error| {
                    log::error!("HF decoding failed: {error}");
                    String::new()
                })
        }

        fn to_encoding(&self, sequence: TokenIdsWithOffsets, type_id: u32) -> Encoding {
            let ids: Vec<u32> = sequence
                .ids
                .iter()
                .map(|&id| u32::try_from(id).unwrap_or_default())
                .collect();
            let tokens = ids
                .iter()
                .map(|&id| self.tokenizer.id_to_token(id).unwrap_or_default())
                .collect();
            let offsets = (0..ids.len())
                .map(|i| {
                    sequence
                        .offsets
                        .get(i)
                        .copied()
                        .flatten()
                        .map(|o| (o.begin as usize, o.end as usize))
                        .unwrap_or((0, 0))
                })
                .collect();
            let n = ids.len();
            Encoding::new(
                ids,
                vec![type_id; n],
                tokens,
                vec![None; n],
                offsets,
                vec![0; n],
                vec![1; n],
                vec![],
                Default::default(),
            )
        }

        /// Adds the special tokens around ids produced by this tokenizer.
        pub fn build_input_with_special_tokens(
            &self,
            token_ids_with_offsets_1: TokenIdsWithOffsets,
            token_ids_with_offsets_2: Option<TokenIdsWithOffsets>,
        ) -> TokenizedInput {
            let first = self.to_encoding(token_ids_with_offsets_1, 0);
            let second = token_ids_with_offsets_2.map(|s| self.to_encoding(s, 1));
            self.post_process(first, second)
        }

        /// The id of a token (the unknown token's for tokens out of the vocabulary).
        pub fn token_to_id(&self, token: &str) -> i64 {
            self.tokenizer
                .token_to_id(token)
                .map(i64::from)
                .unwrap_or(self.unk_id)
        }

        /// The ids of tokens.
        pub fn convert_tokens_to_ids<S>(&self, tokens: &[S]) -> Vec<i64>
        where
            S: AsRef<str>,
        {
            tokens
                .iter()
                .map(|token| self.token_to_id(token.as_ref()))
                .collect()
        }

        /// Adds tokens to the vocabulary (matched whole, never split).
        pub fn add_tokens(&mut self, tokens: &[&str]) {
            let added = tokens
                .iter()
                .map(|token| AddedToken::from(token.to_string(), false));
            if let Err(error) = self.tokenizer.add_tokens(added) {
                log::error!("cannot add tokens: {error}");
            }
        }

        /// Adds `<extra_id_i>` tokens (T5's sentinels).
        pub fn add_extra_ids(&mut self, num_extra_ids: i64) {
            let tokens: Vec<String> = (0..num_extra_ids)
                .map(|i| format!("<extra_id_{i}>"))
                .collect();
            self.add_tokens(&tokens.iter().map(String::as_str).collect::<Vec<_>>());
        }

        /// The vocabulary (with added tokens).
        pub fn get_vocab(&self) -> HashMap<String, u32> {
            self.tokenizer.get_vocab(true)
        }
    }

    /// The tokens `range` of an encoding (made without special tokens, so no overflow).
    pub(super) fn slice(encoding: &Encoding, range: &Range<usize>) -> Encoding {
        fn part<T: Clone>(values: &[T], range: &Range<usize>) -> Vec<T> {
            values
                .get(range.clone())
                .map(<[T]>::to_vec)
                .unwrap_or_default()
        }
        Encoding::new(
            part(encoding.get_ids(), range),
            part(encoding.get_type_ids(), range),
            part(encoding.get_tokens(), range),
            part(encoding.get_word_ids(), range),
            part(encoding.get_offsets(), range),
            part(encoding.get_special_tokens_mask(), range),
            part(encoding.get_attention_mask(), range),
            vec![],
            Default::default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_first_follows_hf_closed_form() {
        // HF: (10, 6) into 9 -> the longer gets the odd token.
        assert_eq!(
            truncated_lengths(10, Some(6), 9, &TruncationStrategy::LongestFirst),
            (5, Some(4))
        );
        assert_eq!(
            truncated_lengths(3, Some(20), 10, &TruncationStrategy::LongestFirst),
            (3, Some(7))
        );
        assert_eq!(
            truncated_lengths(4, None, 10, &TruncationStrategy::OnlySecond),
            (4, None)
        );
        assert_eq!(
            truncated_lengths(14, None, 10, &TruncationStrategy::OnlySecond),
            (10, None)
        );
        assert_eq!(
            truncated_lengths(14, Some(3), 10, &TruncationStrategy::DoNotTruncate),
            (14, Some(3))
        );
    }

    #[test]
    fn windows_overlap_by_stride_and_end_at_the_last_token() {
        assert_eq!(window_ranges(10, 4, 1), vec![0..4, 3..7, 6..10]);
        assert_eq!(window_ranges(3, 4, 1), vec![0..3]);
        assert_eq!(window_ranges(0, 4, 1), vec![0..0]);
    }
}

/// Splits input positions into batches of similar length: positions sorted by `lengths`
/// (longest first, ties in input order) and cut every `batch_size`, so each batch pads to
/// little more than its own longest input. Pipelines run the batches and write each result
/// back at its position, so outputs keep the input order. A `batch_size` of 0 counts as 1.
pub fn length_sorted_batches(lengths: &[usize], batch_size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]).then(a.cmp(&b)));
    order
        .chunks(batch_size.max(1))
        .map(|chunk| chunk.to_vec())
        .collect()
}

#[cfg(test)]
mod batching_tests {
    use super::length_sorted_batches;

    #[test]
    fn batches_group_similar_lengths_and_cover_every_input_once() {
        let batches = length_sorted_batches(&[3, 10, 1, 10, 5], 2);
        assert_eq!(batches, vec![vec![1, 3], vec![4, 0], vec![2]]);
        assert!(length_sorted_batches(&[], 4).is_empty());
        assert_eq!(length_sorted_batches(&[2, 2], 0), vec![vec![0], vec![1]]);
    }
}

/// A path as the `&str` rust_tokenizers takes; a path that is not UTF-8 is an error naming it.
pub(crate) fn path_str(path: &Path) -> Result<&str, RustBertError> {
    path.to_str().ok_or_else(|| {
        RustBertError::IOError(format!("path {} is not valid UTF-8", path.display()))
    })
}

impl TokenizerOption {
    /// Loads the tokenizer that a pipeline configuration's resources describe (vocabulary and,
    /// for BPE tokenizers, merges), fetching remote resources first.
    pub fn from_resources(
        model_type: ModelType,
        vocab: &dyn ResourceProvider,
        merges: Option<&(dyn ResourceProvider + Send)>,
        lower_case: bool,
        strip_accents: Option<bool>,
        add_prefix_space: Option<bool>,
    ) -> Result<TokenizerOption, RustBertError> {
        let vocab_path = vocab.get_local_path()?;
        let merges_path = merges.map(|r| r.get_local_path()).transpose()?;
        let merges = merges_path.as_deref().map(path_str).transpose()?;
        TokenizerOption::from_file(
            model_type,
            path_str(&vocab_path)?,
            merges,
            lower_case,
            strip_accents,
            add_prefix_space,
        )
    }
}
