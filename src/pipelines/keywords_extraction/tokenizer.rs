//! Keyword candidates: the words and n-grams of a text that are not stop words.
use crate::pipelines::keywords_extraction::stopwords::ENGLISH_STOPWORDS;
use regex::Regex;
use rust_tokenizers::{Offset, OffsetSize};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Characters an n-gram may not span (an n-gram across a sentence or clause break is not a
/// phrase).
const PUNCTUATION: [char; 12] = ['.', '!', '?', ',', ':', ';', '(', ')', '[', ']', '"', '\''];

/// Splits texts into keyword candidates: words (runs of word characters, or the matches of a
/// custom pattern), and n-grams of consecutive words, without stop words.
///
/// A candidate is skipped when it contains a forbidden character, when it is a stop word, or,
/// for n-grams of two words or more, when one of its words is a stop word. Stop words are matched
/// case-insensitively; the candidate text is lower-cased when the model lower-cases.
pub struct StopWordsTokenizer<'a> {
    stopwords: HashSet<&'a str>,
    pattern: Option<Regex>,
    do_lower_case: bool,
    forbidden_ngram_chars: &'a [char],
}

/// Candidates in order of first appearance, with the byte offsets of every occurrence.
pub(crate) type Candidates<'b> = Vec<(Cow<'b, str>, Vec<Offset>)>;

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl<'a> StopWordsTokenizer<'a> {
    /// A tokenizer with the given stop words (default: the crate's English list), word pattern
    /// (default: runs of word characters, as `\b\w+\b`), lower-casing, and characters n-grams
    /// may not contain (default: sentence and clause punctuation).
    pub fn new(
        stopwords: Option<HashSet<&'a str>>,
        pattern: Option<Regex>,
        do_lower_case: bool,
        forbidden_ngram_chars: Option<&'a [char]>,
    ) -> Self {
        Self {
            stopwords: stopwords.unwrap_or_else(|| ENGLISH_STOPWORDS.iter().copied().collect()),
            pattern,
            do_lower_case,
            forbidden_ngram_chars: forbidden_ngram_chars.unwrap_or(&PUNCTUATION),
        }
    }

    /// Byte spans of the words of `text`.
    fn words(&self, text: &str) -> Vec<(usize, usize)> {
        if let Some(pattern) = &self.pattern {
            return pattern
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end()))
                .collect();
        }
        let mut words = Vec::new();
        let mut start = None;
        for (index, c) in text.char_indices() {
            match (is_word_char(c), start) {
                (true, None) => start = Some(index),
                (false, Some(begin)) => {
                    words.push((begin, index));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(begin) = start {
            words.push((begin, text.len()));
        }
        words
    }

    fn is_stopword(&self, text: &str) -> bool {
        self.stopwords.contains(text) || self.stopwords.contains(text.to_lowercase().as_str())
    }

    /// The candidates of `text` for n-grams of `ngram_range.0..=ngram_range.1` words, in order
    /// of first appearance (n-grams of one size after the other).
    pub(crate) fn candidates<'b>(
        &self,
        text: &'b str,
        ngram_range: (usize, usize),
    ) -> Candidates<'b> {
        let words = self.words(text);
        let mut found: Candidates<'b> = Vec::new();
        let mut index: HashMap<Cow<'b, str>, usize> = HashMap::new();
        for size in ngram_range.0.max(1)..=ngram_range.1 {
            'ngrams: for ngram in words.windows(size) {
                let (Some(first), Some(last)) = (ngram.first(), ngram.last()) else {
                    continue;
                };
                let Some(raw) = text.get(first.0..last.1) else {
                    continue;
                };
                if raw.contains(self.forbidden_ngram_chars) || self.is_stopword(raw) {
                    continue;
                }
                if size > 1 {
                    for &(begin, end) in ngram {
                        if text.get(begin..end).is_some_and(|w| self.is_stopword(w)) {
                            continue 'ngrams;
                        }
                    }
                }
                let candidate: Cow<'b, str> = if self.do_lower_case {
                    Cow::Owned(raw.to_lowercase())
                } else {
                    Cow::Borrowed(raw)
                };
                let offset = Offset {
                    begin: first.0 as OffsetSize,
                    end: last.1 as OffsetSize,
                };
                match index.get(&candidate) {
                    Some(&position) => found[position].1.push(offset),
                    None => {
                        index.insert(candidate.clone(), found.len());
                        found.push((candidate, vec![offset]));
                    }
                }
            }
        }
        found
    }

    /// The candidates of `text` with the byte offsets of their occurrences (rust-bert's form).
    pub fn tokenize<'b>(
        &self,
        text: &'b str,
        ngram_range: (usize, usize),
    ) -> HashMap<Cow<'b, str>, Vec<Offset>> {
        self.candidates(text, ngram_range).into_iter().collect()
    }

    /// [`StopWordsTokenizer::tokenize`] on each text.
    pub fn tokenize_list<'b, S>(
        &self,
        texts: &'b [S],
        ngram_range: (usize, usize),
    ) -> Vec<HashMap<Cow<'b, str>, Vec<Offset>>>
    where
        S: AsRef<str> + Sync,
    {
        texts
            .iter()
            .map(|text| self.tokenize(text.as_ref(), ngram_range))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_skip_stop_words_and_punctuation() {
        let tokenizer = StopWordsTokenizer::new(None, None, true, None);
        let text = "The Rust compiler, the borrow checker. Rust!";
        let found = tokenizer.candidates(text, (1, 2));
        let names: Vec<&str> = found.iter().map(|(t, _)| t.as_ref()).collect();
        assert_eq!(
            names,
            vec![
                "rust",
                "compiler",
                "borrow",
                "checker",
                "rust compiler",
                "borrow checker"
            ]
        );
        let rust = &found[0].1;
        assert_eq!(rust.len(), 2);
        assert_eq!(&text[rust[1].begin as usize..rust[1].end as usize], "Rust");
    }

    #[test]
    fn offsets_are_byte_offsets() {
        let tokenizer = StopWordsTokenizer::new(None, None, false, None);
        let text = "café naïve";
        let found = tokenizer.candidates(text, (1, 1));
        let spans: Vec<&str> = found
            .iter()
            .map(|(_, o)| &text[o[0].begin as usize..o[0].end as usize])
            .collect();
        assert_eq!(spans, vec!["café", "naïve"]);
    }

    #[test]
    fn custom_pattern_and_empty_text() {
        let pattern = Regex::new(r"[a-z]{4,}").ok();
        let tokenizer = StopWordsTokenizer::new(Some(HashSet::new()), pattern, false, None);
        let found = tokenizer.candidates("abc defg hijkl", (1, 1));
        assert_eq!(found.len(), 2);
        assert!(tokenizer.candidates("", (1, 3)).is_empty());
        assert!(tokenizer.candidates("   ", (2, 1)).is_empty());
    }
}
