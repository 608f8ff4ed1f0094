//! The three rankings of KeyBERT (Grootendorst, 2020), on cosine similarities between the
//! document's embedding and its candidates'.
use crate::pipelines::keywords_extraction::KeywordScorerType;
use tch::{Device, Kind, Tensor};

/// MaxSum compares every subset of candidates; past this many subsets it keeps the best of the
/// first ones (the pipeline refuses configurations that would get there).
pub(crate) const MAX_SUM_COMBINATIONS: u128 = 5_000_000;

/// Rows of a `[n, dim]` tensor, L2-normalized, on the CPU.
fn normalized_rows(embeddings: &Tensor) -> Vec<Vec<f32>> {
    let embeddings = embeddings.to_kind(Kind::Float).to(Device::Cpu);
    let embeddings = match embeddings.dim() {
        1 => embeddings.unsqueeze(0),
        _ => embeddings,
    };
    if embeddings.numel() == 0 {
        return Vec::new();
    }
    let norms = embeddings
        .norm_scalaropt_dim(2.0, [1].as_slice(), true)
        .clamp_min(1e-12);
    Vec::<Vec<f32>>::try_from(embeddings / norms).unwrap_or_default()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `n` choose `k`, saturating.
pub(crate) fn combinations(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut result: u128 = 1;
    for i in 0..k {
        result = result.saturating_mul((n - i) as u128) / (i as u128 + 1);
    }
    result
}

impl KeywordScorerType {
    /// Ranks the candidates: `(candidate index, cosine similarity to the document)` of the
    /// selected keywords, most similar first.
    ///
    /// * `document_embedding` - `[dim]` or `[1, dim]`
    /// * `word_embeddings` - `[candidates, dim]`
    /// * `num_keywords` - how many to select (capped by the number of candidates)
    /// * `diversity` - MaximalMarginRelevance's trade-off (default 0.5)
    /// * `max_sum_candidates` - how many of the most similar candidates MaxSum chooses from
    ///   (default `2 * num_keywords`)
    pub fn score_keywords(
        &self,
        document_embedding: Tensor,
        word_embeddings: Tensor,
        num_keywords: usize,
        diversity: Option<f64>,
        max_sum_candidates: Option<usize>,
    ) -> Vec<(usize, f32)> {
        let words = normalized_rows(&word_embeddings);
        let document = normalized_rows(&document_embedding);
        let Some(document) = document.first() else {
            return Vec::new();
        };
        let similarities: Vec<f32> = words.iter().map(|w| dot(w, document)).collect();
        let num_keywords = num_keywords.min(words.len());
        if num_keywords == 0 {
            return Vec::new();
        }
        let mut selected = match self {
            KeywordScorerType::CosineSimilarity => cosine_similarity(&similarities, num_keywords),
            KeywordScorerType::MaximalMarginRelevance => maximal_margin_relevance(
                &similarities,
                &words,
                num_keywords,
                diversity.unwrap_or(0.5) as f32,
            ),
            KeywordScorerType::MaxSum => {
                let candidates = max_sum_candidates
                    .unwrap_or(2 * num_keywords)
                    .clamp(num_keywords, words.len());
                max_sum(&similarities, &words, num_keywords, candidates)
            }
        };
        selected.sort_by(|a, b| b.1.total_cmp(&a.1));
        selected
    }
}

/// Indices sorted by decreasing similarity (ties: lower index first).
fn by_similarity(similarities: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..similarities.len()).collect();
    order.sort_by(|&a, &b| similarities[b].total_cmp(&similarities[a]).then(a.cmp(&b)));
    order
}

/// The `top_n` candidates most similar to the document.
fn cosine_similarity(similarities: &[f32], top_n: usize) -> Vec<(usize, f32)> {
    by_similarity(similarities)
        .into_iter()
        .take(top_n)
        .map(|i| (i, similarities[i]))
        .collect()
}

/// Maximal Marginal Relevance: the most similar candidate first, then repeatedly the candidate
/// maximising `(1 - diversity) * similarity to the document - diversity * (largest similarity
/// to a selected keyword)` (KeyBERT's `mmr`).
fn maximal_margin_relevance(
    similarities: &[f32],
    words: &[Vec<f32>],
    top_n: usize,
    diversity: f32,
) -> Vec<(usize, f32)> {
    let Some(&first) = by_similarity(similarities).first() else {
        return Vec::new();
    };
    let mut selected = vec![first];
    let mut remaining: Vec<usize> = (0..words.len()).filter(|&i| i != first).collect();
    for _ in 1..top_n.min(words.len()) {
        let mut best: Option<(usize, f32)> = None;
        for (position, &candidate) in remaining.iter().enumerate() {
            let redundancy = selected
                .iter()
                .map(|&s| dot(&words[candidate], &words[s]))
                .fold(f32::NEG_INFINITY, f32::max);
            let score = (1.0 - diversity) * similarities[candidate] - diversity * redundancy;
            // First maximum wins, as numpy's argmax.
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((position, score));
            }
        }
        let Some((position, _)) = best else { break };
        selected.push(remaining.remove(position));
    }
    selected.into_iter().map(|i| (i, similarities[i])).collect()
}

/// Max Sum Distance: among the `candidates` most similar to the document, the `top_n` whose
/// pairwise similarities sum lowest (KeyBERT's `max_sum_distance`).
fn max_sum(
    similarities: &[f32],
    words: &[Vec<f32>],
    top_n: usize,
    candidates: usize,
) -> Vec<(usize, f32)> {
    // KeyBERT's order: the `candidates` most similar, least similar first.
    let mut pool: Vec<usize> = by_similarity(similarities)
        .into_iter()
        .take(candidates)
        .collect();
    pool.reverse();
    let n = pool.len();
    let pair: Vec<Vec<f32>> = pool
        .iter()
        .map(|&a| pool.iter().map(|&b| dot(&words[a], &words[b])).collect())
        .collect();
    // Subsets in lexicographic order (itertools.combinations), strictly lower sum wins.
    let mut combination: Vec<usize> = (0..top_n).collect();
    let mut best: Option<(Vec<usize>, f32)> = None;
    let mut visited: u128 = 0;
    loop {
        let mut sum = 0.0f32;
        for &i in &combination {
            for &j in &combination {
                if i != j {
                    sum += pair[i][j];
                }
            }
        }
        if best.as_ref().is_none_or(|(_, b)| sum < *b) {
            best = Some((combination.clone(), sum));
        }
        visited += 1;
        if visited >= MAX_SUM_COMBINATIONS {
            break;
        }
        // Next combination: the rightmost index that can still move, then its followers.
        let Some(position) = (0..top_n).rev().find(|&p| combination[p] < n - top_n + p) else {
            break;
        };
        combination[position] += 1;
        for next in position + 1..top_n {
            combination[next] = combination[next - 1] + 1;
        }
    }
    best.map(|(subset, _)| {
        subset
            .into_iter()
            .map(|i| (pool[i], similarities[pool[i]]))
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_combinations() {
        assert_eq!(combinations(10, 5), 252);
        assert_eq!(combinations(3, 5), 0);
        assert_eq!(combinations(40, 20), 137_846_528_820);
    }

    #[test]
    fn scorers_on_orthogonal_candidates() {
        // Candidates 0 and 1 are the same direction; 2 is orthogonal; the document leans on 0/1.
        let words = Tensor::from_slice(&[1.0f32, 0.0, 1.0, 0.0, 0.0, 1.0]).view([3, 2]);
        let document = Tensor::from_slice(&[0.9f32, 0.1]);
        let cosine = KeywordScorerType::CosineSimilarity.score_keywords(
            document.shallow_clone(),
            words.shallow_clone(),
            2,
            None,
            None,
        );
        assert_eq!(cosine.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 1]);
        let mmr = KeywordScorerType::MaximalMarginRelevance.score_keywords(
            document.shallow_clone(),
            words.shallow_clone(),
            2,
            Some(0.9),
            None,
        );
        assert_eq!(mmr.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 2]);
        let max_sum = KeywordScorerType::MaxSum.score_keywords(
            document,
            words.shallow_clone(),
            2,
            None,
            None,
        );
        assert_eq!(max_sum.len(), 2);
        assert!(max_sum.iter().any(|s| s.0 == 2));
        let none = KeywordScorerType::MaxSum.score_keywords(
            Tensor::zeros([2], (Kind::Float, Device::Cpu)),
            words.narrow(0, 0, 0),
            3,
            None,
            None,
        );
        assert!(none.is_empty());
    }
}
