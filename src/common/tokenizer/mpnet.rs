//! MPNet's tokenizer: BERT's WordPiece (basic tokenization, lower-casing, `##` pieces) over an
//! MPNet vocabulary, with MPNet's special tokens and RoBERTa's layout of pairs. `rust_tokenizers`
//! 8.1 has no MPNet tokenizer; this one follows HF's `MPNetTokenizer`:
//! `<s> A </s>` and `<s> A </s></s> B </s>`, every segment id 0.
use rust_tokenizers::error::TokenizerError;
use rust_tokenizers::tokenizer::{BertTokenizer, MultiThreadedTokenizer, Tokenizer};
use rust_tokenizers::vocab::{BertVocab, Vocab};
use rust_tokenizers::{
    Mask, Offset, OffsetSize, Token, TokenIdsWithOffsets, TokenIdsWithSpecialTokens, TokenRef,
};
use std::collections::HashMap;
use std::path::Path;

/// HF's `MPNetTokenizer` defaults. The unknown token is `[UNK]` (MPNet vocabularies hold both
/// `[UNK]` and `<unk>`; HF and sentence-transformers' checkpoints use the former).
const CLS: &str = "<s>";
const SEP: &str = "</s>";
const PAD: &str = "<pad>";
const MASK: &str = "<mask>";
const UNK: &str = "[UNK]";
/// The unknown token of vocabularies without `[UNK]`.
const UNK_FALLBACK: &str = "<unk>";

/// MPNet's WordPiece tokenizer (see the module docs).
pub struct MPNetTokenizer {
    inner: BertTokenizer,
}

impl MPNetTokenizer {
    /// Loads the vocabulary (`vocab.txt`, one token per line, ids in line order) with MPNet's
    /// special tokens; `strip_accents` follows `lower_case` in HF when not set.
    ///
    /// # Errors
    /// A missing or unreadable file, or a vocabulary without one of `<s>`, `</s>`, `<pad>`,
    /// `<mask>` and `[UNK]` (or `<unk>`).
    pub fn from_file<P: AsRef<Path>>(
        path: P,
        lower_case: bool,
        strip_accents: bool,
    ) -> Result<MPNetTokenizer, TokenizerError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            TokenizerError::FileNotFound(format!(
                "{} vocabulary file not found: {e}",
                path.display()
            ))
        })?;
        let values: HashMap<String, i64> = text
            .lines()
            .enumerate()
            .map(|(index, line)| (line.trim().to_owned(), index as i64))
            .collect();
        let unk = if values.contains_key(UNK) {
            UNK
        } else {
            UNK_FALLBACK
        };
        // MPNet vocabularies also hold fairseq's `<unk>` (id 3), which HF's tokenizer.json
        // lists among its special tokens: written in a text, it stays whole.
        let additional: Vec<&str> = if unk != UNK_FALLBACK && values.contains_key(UNK_FALLBACK) {
            vec![UNK_FALLBACK]
        } else {
            vec![]
        };
        // rust_tokenizers does not export its special-token map type; it deserializes.
        let special_token_map = serde_json::from_value(serde_json::json!({
            "additional_special_tokens": additional,
            "unk_token": unk,
            "pad_token": PAD,
            "bos_token": CLS,
            "sep_token": SEP,
            "cls_token": CLS,
            "eos_token": SEP,
            "mask_token": MASK,
        }))
        .map_err(|e| TokenizerError::VocabularyParsingError(e.to_string()))?;
        let vocab = BertVocab::from_values_and_special_token_map(values, special_token_map)?;
        Ok(Self::from_existing_vocab(vocab, lower_case, strip_accents))
    }

    /// Wraps an existing vocabulary (its special-token map should name MPNet's tokens).
    pub fn from_existing_vocab(
        vocab: BertVocab,
        lower_case: bool,
        strip_accents: bool,
    ) -> MPNetTokenizer {
        Self {
            inner: BertTokenizer::from_existing_vocab(vocab, lower_case, strip_accents),
        }
    }

    fn special_id(&self, token: Option<&String>) -> i64 {
        let vocab = Tokenizer::vocab(&self.inner);
        vocab.token_to_id(token.map_or(vocab.get_unknown_value(), String::as_str))
    }
}

/// Appends one sequence (its tokens, then `closing` special tokens) to the special-token
/// output being built.
fn push_sequence(out: &mut TokenIdsWithSpecialTokens, sequence: TokenIdsWithOffsets) {
    let n = sequence.ids.len();
    out.token_ids.extend(sequence.ids);
    out.segment_ids.extend(std::iter::repeat_n(0, n));
    out.special_tokens_mask.extend(std::iter::repeat_n(0, n));
    out.token_offsets.extend(sequence.offsets);
    out.reference_offsets.extend(sequence.reference_offsets);
    out.mask.extend(sequence.masks);
}

fn push_special(out: &mut TokenIdsWithSpecialTokens, id: i64) {
    out.token_ids.push(id);
    out.segment_ids.push(0);
    out.special_tokens_mask.push(1);
    out.token_offsets.push(None::<Offset>);
    out.reference_offsets.push(Vec::<OffsetSize>::new());
    out.mask.push(Mask::Special);
}

impl Tokenizer<BertVocab> for MPNetTokenizer {
    fn vocab(&self) -> &BertVocab {
        Tokenizer::vocab(&self.inner)
    }

    fn vocab_mut(&mut self) -> &mut BertVocab {
        Tokenizer::vocab_mut(&mut self.inner)
    }

    fn tokenize_to_tokens(&self, text: TokenRef) -> Vec<Token> {
        self.inner.tokenize_to_tokens(text)
    }

    fn convert_tokens_to_string(&self, tokens: Vec<String>) -> String {
        self.inner.convert_tokens_to_string(tokens)
    }

    fn build_input_with_special_tokens(
        &self,
        first: TokenIdsWithOffsets,
        second: Option<TokenIdsWithOffsets>,
    ) -> TokenIdsWithSpecialTokens {
        let map = &Tokenizer::vocab(&self.inner).special_token_map;
        let cls = self.special_id(map.cls_token.as_ref());
        let sep = self.special_id(map.sep_token.as_ref());
        let mut out = TokenIdsWithSpecialTokens {
            token_ids: vec![],
            segment_ids: vec![],
            special_tokens_mask: vec![],
            token_offsets: vec![],
            reference_offsets: vec![],
            mask: vec![],
        };
        push_special(&mut out, cls);
        push_sequence(&mut out, first);
        push_special(&mut out, sep);
        if let Some(second) = second {
            // RoBERTa's pair layout: two separators between the sequences.
            push_special(&mut out, sep);
            push_sequence(&mut out, second);
            push_special(&mut out, sep);
        }
        out
    }
}

impl MultiThreadedTokenizer<BertVocab> for MPNetTokenizer {}
