//! The keyword extraction model: candidates, their embeddings, and a ranking.
use crate::pipelines::common::TokenizerOption;
use crate::pipelines::keywords_extraction::scorer::{combinations, MAX_SUM_COMBINATIONS};
use crate::pipelines::keywords_extraction::tokenizer::StopWordsTokenizer;
#[cfg(feature = "remote")]
use crate::pipelines::sentence_embeddings::SentenceEmbeddingsModelType;
use crate::pipelines::sentence_embeddings::{SentenceEmbeddingsConfig, SentenceEmbeddingsModel};
use crate::RustBertError;
use regex::Regex;
use rust_tokenizers::Offset;
use std::collections::HashSet;

/// A keyword of a text.
#[derive(Debug, Clone)]
pub struct Keyword {
    /// The keyword (a word or n-gram; lower-cased when the model lower-cases).
    pub text: String,
    /// Cosine similarity between the keyword's embedding and the text's.
    pub score: f32,
    /// Byte offsets of each occurrence in the text (`&text[begin..end]`).
    pub offsets: Vec<Offset>,
}

/// How keywords are chosen among the candidates (KeyBERT's rankings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordScorerType {
    /// The candidates most similar to the text.
    CosineSimilarity,
    /// Maximal Marginal Relevance: the most similar candidate, then candidates both similar to
    /// the text and unlike the keywords already chosen; `diversity` (default 0.5, from 0 to 1)
    /// weighs the second criterion.
    MaximalMarginRelevance,
    /// Max Sum Distance: among the `max_sum_candidates` (default `2 * num_keywords`) candidates
    /// most similar to the text, the set of `num_keywords` least similar to each other (every
    /// subset is compared: keep the numbers small).
    MaxSum,
}

/// Configuration of a [`KeywordExtractionModel`].
pub struct KeywordExtractionConfig<'a> {
    /// The sentence-embeddings model comparing keywords and texts.
    pub sentence_embeddings_config: SentenceEmbeddingsConfig,
    /// Words that are never keywords nor part of one (default: the crate's English list).
    pub tokenizer_stopwords: Option<HashSet<&'a str>>,
    /// What a word is (default: a run of word characters, `\b\w+\b`).
    pub tokenizer_pattern: Option<Regex>,
    /// Characters an n-gram may not contain (default: `. ! ? , : ; ( ) [ ] " '`).
    pub tokenizer_forbidden_ngram_chars: Option<&'a [char]>,
    /// The ranking.
    pub scorer_type: KeywordScorerType,
    /// Smallest and largest n-gram, in words (`(1, 2)`: words and pairs of words).
    pub ngram_range: (usize, usize),
    /// Keywords per text.
    pub num_keywords: usize,
    /// MaximalMarginRelevance's diversity (default 0.5).
    pub diversity: Option<f64>,
    /// MaxSum's number of candidates (default `2 * num_keywords`).
    pub max_sum_candidates: Option<usize>,
}

#[cfg(feature = "remote")]
impl Default for KeywordExtractionConfig<'_> {
    /// all-MiniLM-L6-v2, single words, 5 keywords by cosine similarity (rust-bert's default).
    fn default() -> Self {
        Self {
            sentence_embeddings_config: SentenceEmbeddingsConfig::from(
                SentenceEmbeddingsModelType::AllMiniLmL6V2,
            ),
            tokenizer_stopwords: None,
            tokenizer_pattern: None,
            tokenizer_forbidden_ngram_chars: None,
            scorer_type: KeywordScorerType::CosineSimilarity,
            ngram_range: (1, 1),
            num_keywords: 5,
            diversity: None,
            max_sum_candidates: None,
        }
    }
}

/// Extracts keywords from texts, as KeyBERT: candidate words and n-grams are embedded with a
/// sentence-embeddings model and ranked by their similarity to the text's embedding.
pub struct KeywordExtractionModel<'a> {
    /// The sentence-embeddings model.
    pub sentence_embeddings_model: SentenceEmbeddingsModel,
    /// The candidate tokenizer (not the transformer's).
    pub tokenizer: StopWordsTokenizer<'a>,
    scorer_type: KeywordScorerType,
    ngram_range: (usize, usize),
    num_keywords: usize,
    diversity: Option<f64>,
    max_sum_candidates: Option<usize>,
}

fn invalid(message: String) -> RustBertError {
    RustBertError::InvalidConfigurationError(message)
}

impl<'a> KeywordExtractionModel<'a> {
    /// Builds the model.
    ///
    /// # Errors
    /// `InvalidConfigurationError` for an n-gram range that is empty or starts at 0, a
    /// `diversity` outside `[0, 1]`, or MaxSum settings needing more than 5 million subset
    /// comparisons; errors of [`SentenceEmbeddingsModel::new`].
    pub fn new(
        config: KeywordExtractionConfig<'a>,
    ) -> Result<KeywordExtractionModel<'a>, RustBertError> {
        let (min_n, max_n) = config.ngram_range;
        if min_n == 0 || min_n > max_n {
            return Err(invalid(format!(
                "ngram_range ({min_n}, {max_n}) must satisfy 1 <= min <= max"
            )));
        }
        if let Some(diversity) = config.diversity {
            if !(0.0..=1.0).contains(&diversity) {
                return Err(invalid(format!("diversity {diversity} must lie in [0, 1]")));
            }
        }
        if config.scorer_type == KeywordScorerType::MaxSum {
            let candidates = config.max_sum_candidates.unwrap_or(2 * config.num_keywords);
            if candidates < config.num_keywords {
                return Err(invalid(format!(
                    "max_sum_candidates {candidates} must be at least num_keywords {}",
                    config.num_keywords
                )));
            }
            let subsets = combinations(candidates, config.num_keywords);
            if subsets > MAX_SUM_COMBINATIONS {
                return Err(invalid(format!(
                    "MaxSum would compare {subsets} subsets ({candidates} candidates choose {}); \
                     lower max_sum_candidates or num_keywords (at most {MAX_SUM_COMBINATIONS} \
                     subsets)",
                    config.num_keywords
                )));
            }
        }
        let sentence_embeddings_model =
            SentenceEmbeddingsModel::new(config.sentence_embeddings_config)?;
        let tokenizer = StopWordsTokenizer::new(
            config.tokenizer_stopwords,
            config.tokenizer_pattern,
            sentence_embeddings_model.lower_case(),
            config.tokenizer_forbidden_ngram_chars,
        );
        Ok(Self {
            sentence_embeddings_model,
            tokenizer,
            scorer_type: config.scorer_type,
            ngram_range: config.ngram_range,
            num_keywords: config.num_keywords,
            diversity: config.diversity,
            max_sum_candidates: config.max_sum_candidates,
        })
    }

    /// The transformer's tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        self.sentence_embeddings_model.get_tokenizer()
    }

    /// The transformer's tokenizer, mutable.
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        self.sentence_embeddings_model.get_tokenizer_mut()
    }

    /// Casts the model to half precision.
    ///
    /// # Errors
    /// None (rust-bert's signature).
    pub fn half(&mut self) -> Result<(), RustBertError> {
        self.sentence_embeddings_model.half()
    }

    /// Casts the model to single precision.
    ///
    /// # Errors
    /// None (rust-bert's signature).
    pub fn float(&mut self) -> Result<(), RustBertError> {
        self.sentence_embeddings_model.float()
    }

    /// The keywords of each text, best first. A text without candidates (empty, or only stop
    /// words) gets none; an empty input list gives an empty output.
    ///
    /// The text is embedded as the model truncates it (all-MiniLM-L6-v2: its first 256 tokens);
    /// candidates come from the whole text.
    ///
    /// # Errors
    /// Errors of the sentence-embeddings model.
    pub fn predict<S>(&self, inputs: &[S]) -> Result<Vec<Vec<Keyword>>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let candidates: Vec<_> = inputs
            .iter()
            .map(|text| self.tokenizer.candidates(text.as_ref(), self.ngram_range))
            .collect();
        let flat: Vec<&str> = candidates
            .iter()
            .flat_map(|doc| doc.iter().map(|(text, _)| text.as_ref()))
            .collect();
        let documents = self
            .sentence_embeddings_model
            .encode_as_tensor(inputs)?
            .embeddings;
        let words = self
            .sentence_embeddings_model
            .encode_as_tensor(&flat)?
            .embeddings;
        let mut output = Vec::with_capacity(inputs.len());
        let mut start = 0i64;
        for (index, doc) in candidates.into_iter().enumerate() {
            let count = doc.len() as i64;
            let scored = self.scorer_type.score_keywords(
                documents.get(index as i64),
                words.narrow(0, start, count),
                self.num_keywords,
                self.diversity,
                self.max_sum_candidates,
            );
            start += count;
            let mut doc: Vec<Option<_>> = doc.into_iter().map(Some).collect();
            let keywords = scored
                .into_iter()
                .filter_map(|(candidate, score)| {
                    let (text, offsets) = doc.get_mut(candidate)?.take()?;
                    Some(Keyword {
                        text: text.into_owned(),
                        score,
                        offsets,
                    })
                })
                .collect();
            output.push(keywords);
        }
        Ok(output)
    }
}
