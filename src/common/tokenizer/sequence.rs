//! One side of an encoding, before special tokens, with HF's offset convention.
use rust_tokenizers::{Offset, OffsetSize, TokenIdsWithOffsets, TokensWithOffsets};
use std::ops::Range;

/// One side of an encoding before special tokens are added, in the tokenizer's own form.
pub(super) enum Sequence {
    Rust(TokenIdsWithOffsets),
    #[cfg(feature = "hf-tokenizers")]
    Hf(tokenizers::Encoding),
}

impl Sequence {
    pub(super) fn into_rust(self) -> Option<TokenIdsWithOffsets> {
        match self {
            Sequence::Rust(seq) => Some(seq),
            #[cfg(feature = "hf-tokenizers")]
            Sequence::Hf(_) => None,
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Sequence::Rust(seq) => seq.ids.len(),
            #[cfg(feature = "hf-tokenizers")]
            Sequence::Hf(encoding) => encoding.len(),
        }
    }

    pub(super) fn ids(&self, range: Range<usize>) -> Vec<i64> {
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

    pub(super) fn slice(&self, range: Range<usize>) -> Sequence {
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
            Sequence::Hf(encoding) => Sequence::Hf(super::hf::slice(encoding, &range)),
        }
    }
}

/// How HF places a token made only of whitespace.
#[derive(Clone, Copy)]
pub(super) enum OnlySpace {
    ByteLevel,
    SentencePiece,
}

/// Ids with HF's offset convention: a token's span starts at its first non-space character
/// (rust_tokenizers' byte-level BPE and SentencePiece spans include the space before a word).
/// Tokens that are only whitespace keep their span.
pub(super) fn hf_offsets(
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
