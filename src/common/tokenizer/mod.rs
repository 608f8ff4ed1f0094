//! Tokenizers for every model: [`TokenizerOption`] (one variant per tokenizer of
//! `rust_tokenizers`, plus HF `tokenizer.json` files) and the steps every pipeline and the
//! generation engine run with it: encode with truncation, split long texts into overlapping
//! windows that keep their own offsets, pad a batch into `input_ids` / `attention_mask` /
//! `token_type_ids` tensors.
//!
//! Truncation and windows follow HF's fast tokenizers (`truncation=...`, `stride=...`,
//! `return_overflowing_tokens=True`), whatever the tokenizer behind the option, so a pipeline
//! sees the same inputs as HF's. The tokenizer lives below the models and the engine (which
//! tokenize prompts); rust-bert's path `rust_bert::pipelines::common::TokenizerOption`
//! re-exports it.
//!
//! - `load`: building a tokenizer from files or resources;
//! - `sequence`: one text's ids with HF's offsets;
//! - `truncation`: HF's truncation lengths and overflow windows;
//! - `batch`: padding and length-sorted batching;
//! - `hf`: HF `tokenizer.json` files (feature `hf-tokenizers`).
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
use crate::common::model_type::ModelType;
use crate::RustBertError;
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
use tch::{Device, Tensor};

mod batch;
#[cfg(feature = "hf-tokenizers")]
mod gguf_spm;
#[cfg(feature = "hf-tokenizers")]
mod hf;
mod load;
mod mpnet;
mod sequence;
mod truncation;

pub use batch::{length_sorted_batches, pad_sequences, PaddedBatch, PaddingSide};
#[cfg(feature = "hf-tokenizers")]
pub use hf::{HFTokenizer, SpecialTokenMap};
pub use mpnet::MPNetTokenizer;
use sequence::{hf_offsets, OnlySpace, Sequence};
use truncation::{truncated_lengths, window_ranges};

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
    /// MPNet (BERT's WordPiece with MPNet's special tokens, see [`MPNetTokenizer`]).
    MPNet(MPNetTokenizer),
    /// Any HF `tokenizer.json` (with its `special_tokens_map.json`).
    #[cfg(feature = "hf-tokenizers")]
    HFTokenizer(HFTokenizer),
}

/// Whether `token` is a FLORES-200 language code of NLLB (`eng_Latn`: three lowercase letters,
/// `_`, a capitalised four-letter script).
fn is_nllb_language_code(token: &str) -> bool {
    let bytes = token.as_bytes();
    bytes.len() == 8
        && bytes[..3].iter().all(u8::is_ascii_lowercase)
        && bytes[3] == b'_'
        && bytes[4].is_ascii_uppercase()
        && bytes[5..].iter().all(u8::is_ascii_lowercase)
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
            TokenizerOption::MPNet($t) => $rt,
            #[cfg(feature = "hf-tokenizers")]
            TokenizerOption::HFTokenizer($h) => $hf,
        }
    };
}

/// A special token role, read from the tokenizer's special-token map.
#[derive(Clone, Copy, Debug)]
pub(super) enum Special {
    Pad,
    Sep,
    Cls,
    Mask,
    Bos,
    Eos,
}

impl TokenizerOption {
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
            Self::MPNet(_) => ModelType::MPNet,
            #[cfg(feature = "hf-tokenizers")]
            Self::HFTokenizer(_) => ModelType::Bert,
        }
    }

    // -- encoding ------------------------------------------------------------------------------

    /// Tokenizes one text into ids and offsets, without special tokens.
    fn sequence(&self, text: &str) -> Sequence {
        dispatch!(self,
            t => {
                let mut tokens = t.tokenize_with_offsets(text);
                self.drop_blank_after_language_code(text.as_ref(), &mut tokens);
                let ids = t.convert_tokens_to_ids(&tokens.tokens);
                Sequence::Rust(hf_offsets(text, tokens, ids, self.trims_offsets()))
            },
            h => Sequence::Hf(h.raw_encoding(text, 0))
        )
    }

    /// The multilingual SentencePiece tokenizers of rust_tokenizers (mBART-50, M2M100, NLLB)
    /// read a language code at the start of the text (`>>en<< `) and emit a `▁` when nothing
    /// follows it; HF encodes an empty text as no token at all.
    fn drop_blank_after_language_code(&self, text: &str, tokens: &mut TokensWithOffsets) {
        if self.blank_after_language_code(text, &tokens.tokens) {
            tokens.tokens.truncate(1);
            tokens.offsets.truncate(1);
            tokens.reference_offsets.truncate(1);
            tokens.masks.truncate(1);
        }
    }

    /// Whether `tokens` of `text` are a language code and the `▁` rust_tokenizers emits for an
    /// empty text after it (only the separator space follows the code; a text of whitespace
    /// is one `▁` in HF as here).
    fn blank_after_language_code(&self, text: &str, tokens: &[String]) -> bool {
        let multilingual = matches!(self, Self::MBart50(_) | Self::M2M100(_) | Self::NLLB(_));
        multilingual
            && tokens.len() == 2
            && tokens[1] == "\u{2581}"
            && text
                .trim_start()
                .strip_prefix(tokens[0].as_str())
                .is_some_and(|rest| rest.chars().count() <= 1)
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
    /// OpenAI GPT's tokens hold none), and so do HF 5.24's DeBERTa tokenizers (v1 and v2: their
    /// template post-processors do not trim offsets) and its Pegasus tokenizer (a word's span
    /// starts at the space its `▁` stands for); the others start after them, and place
    /// tokens made only of spaces as [`OnlySpace`] says (WordPiece never makes such tokens).
    fn trims_offsets(&self) -> Option<OnlySpace> {
        match self {
            Self::GPT2(_)
            | Self::OpenAiGpt(_)
            | Self::Deberta(_)
            | Self::DebertaV2(_)
            | Self::Pegasus(_) => None,
            Self::Roberta(_) | Self::Bart(_) => Some(OnlySpace::ByteLevel),
            _ => Some(OnlySpace::SentencePiece),
        }
    }

    /// How many token ids the tokenizer can produce: its largest id plus one (vocabularies may
    /// have gaps), added tokens included.
    pub fn vocab_size(&self) -> i64 {
        dispatch!(self,
            t => {
                let vocab = Tokenizer::vocab(t);
                vocab
                    .values()
                    .values()
                    .chain(vocab.special_values().values())
                    .copied()
                    .max()
                    .map_or(0, |id| id + 1)
            },
            h => h.get_vocab().values().copied().max().map_or(0, |id| i64::from(id) + 1)
        )
    }

    /// Refuses a tokenizer that can produce ids the model has no embedding for (a vocabulary
    /// larger than the model's `vocab_size`), naming both sizes: otherwise the first text that
    /// reaches such an id fails deep inside an embedding lookup.
    ///
    /// # Errors
    /// `RustBertError::InvalidConfigurationError` when `self.vocab_size() > model_vocab_size`.
    pub fn check_model_vocab(&self, model_vocab_size: i64) -> Result<(), RustBertError> {
        let size = self.vocab_size();
        if size > model_vocab_size {
            return Err(RustBertError::InvalidConfigurationError(format!(
                "the tokenizer's vocabulary ({size} ids) is larger than the model's vocab_size \
                 ({model_vocab_size}): ids past {} have no embedding; use the tokenizer the \
                 model was trained with",
                model_vocab_size - 1
            )));
        }
        Ok(())
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
                .map(|(mut tokens, text)| {
                    self.drop_blank_after_language_code(text.as_ref(), &mut tokens);
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
        let mut tokens = dispatch!(self, t => t.tokenize(text), h => h.tokenize(text));
        if self.blank_after_language_code(text, &tokens) {
            tokens.truncate(1);
        }
        tokens
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
            // first word; rust_tokenizers' Marian, T5, XLNet, Pegasus, mBART-50, M2M100 and NLLB
            // decoders keep it (HF does not). HF's M2M100Tokenizer strips both ends.
            Self::M2M100(_) => text.trim().to_string(),
            Self::Marian(_)
            | Self::T5(_)
            | Self::XLNet(_)
            | Self::Pegasus(_)
            | Self::MBart50(_)
            | Self::NLLB(_) => match text.strip_prefix(' ') {
                Some(stripped) => stripped.to_string(),
                None => text,
            },
            _ => text,
        }
    }

    /// Whether HF 5.24's tokenizer of this kind cleans up tokenization spaces when decoding by
    /// default (`clean_up_tokenization_spaces`: only ProphetNet's does; rust-bert always
    /// did), so that generated texts decode as HF's do (`"a ." stays "a ."`).
    pub fn hf_clean_up_tokenization_spaces(&self) -> bool {
        matches!(self, Self::ProphetNet(_))
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
        let leading_language_code = match self {
            Self::NLLB(t) => token_ids_with_offsets_1
                .ids
                .first()
                .is_some_and(|id| is_nllb_language_code(&Tokenizer::vocab(t).id_to_token(id))),
            _ => false,
        };
        let mut built = dispatch!(self,
            t => t.build_input_with_special_tokens(token_ids_with_offsets_1, token_ids_with_offsets_2),
            h => return h.build_input_with_special_tokens(token_ids_with_offsets_1, token_ids_with_offsets_2)
        );
        if leading_language_code && built.token_ids.len() >= 2 {
            // rust_tokenizers' NLLB appends `</s> eng_Latn` (HF's legacy layout) even after a
            // text that starts with its language code; HF's default (non-legacy) layout is
            // `[src_lang] tokens </s>`: the appended code goes.
            built.token_ids.pop();
            built.segment_ids.pop();
            built.special_tokens_mask.pop();
            built.token_offsets.pop();
            built.reference_offsets.pop();
            built.mask.pop();
        }
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
