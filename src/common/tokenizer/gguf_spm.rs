//! SentencePiece vocabularies of GGUF files (`tokenizer.ggml.model = llama`: Llama 1/2, Mistral,
//! Phi-3, TinyLlama files), rebuilt as HF 5.24's GGUF loader rebuilds them: a byte-fallback BPE
//! whose merges are the file's or, as llama.cpp's converter writes none, recovered from the
//! vocabulary and its scores the way HF's `generate_merges` recovers them.
use serde_json::{json, Value};
use std::collections::HashMap;

/// The merges a SentencePiece vocabulary implies: every token that two vocabulary tokens
/// concatenate to gives the pair (each split point of the token, in the order of the two
/// halves' ids), ranked by the token's score, best first, then by the lengths of the halves
/// (longer first); ties keep the vocabulary's order. This is the order SentencePiece's BPE
/// applies merges in (a higher score merges earlier), and the rank `tokenizers`' BPE needs.
///
/// `tokens` and `scores` are the file's arrays (a score missing past the end counts 0).
pub(super) fn merges_from_scores(tokens: &[String], scores: &[f64]) -> Vec<(String, String)> {
    // The id of each token: its last occurrence, as a Python dict built from the list keeps it.
    let ids: HashMap<&str, usize> = tokens
        .iter()
        .enumerate()
        .map(|(id, token)| (token.as_str(), id))
        .collect();
    // The scores by token in order of first occurrence, each token's last score (Python's
    // `dict(zip(tokens, scores))`).
    let mut order: Vec<&str> = Vec::with_capacity(tokens.len());
    let mut score_of: HashMap<&str, f64> = HashMap::with_capacity(tokens.len());
    for (id, token) in tokens.iter().enumerate() {
        let score = scores.get(id).copied().unwrap_or(0.0);
        if score_of.insert(token.as_str(), score).is_none() {
            order.push(token.as_str());
        }
    }
    let mut merges: Vec<(&str, &str, f64)> = Vec::new();
    for token in order {
        let score = score_of[token];
        let mut local: Vec<(&str, &str)> = token
            .char_indices()
            .skip(1)
            .map(|(at, _)| token.split_at(at))
            .filter(|(left, right)| ids.contains_key(left) && ids.contains_key(right))
            .collect();
        local.sort_by_key(|(left, right)| (ids[left], ids[right]));
        merges.extend(local.into_iter().map(|(l, r)| (l, r, score)));
    }
    let chars = |s: &str| s.chars().count();
    // Descending on (score, left length, right length); `sort_by` is stable, so equal keys
    // keep their order, as Python's `sorted(..., reverse=True)` keeps it.
    merges.sort_by(|a, b| {
        b.2.total_cmp(&a.2)
            .then_with(|| chars(b.0).cmp(&chars(a.0)))
            .then_with(|| chars(b.1).cmp(&chars(a.1)))
    });
    merges
        .into_iter()
        .map(|(l, r, _)| (l.to_string(), r.to_string()))
        .collect()
}

/// The parts of an HF `tokenizer.json` that make a SentencePiece vocabulary for `architecture`:
/// `(normalizer, pre_tokenizer, decoder, model)`. `vocab` maps tokens to ids; `merges` are
/// pairs. HF's Llama tokenizer: no normalizer, Metaspace marking spaces with `▁` and adding one
/// before the first word only (HF's `legacy=False`, prepend scheme `first`), a byte-fallback
/// BPE, and a decoder that maps `▁` back to spaces, joins byte tokens and strips the one
/// leading space. Phi-3 (by architecture, as in HF: nothing in the file says it) adds the
/// leading `▁` and the `▁`-for-space replacement in a normalizer instead, so text starting with
/// spaces keeps one more.
pub(super) fn sentencepiece_parts(
    architecture: &str,
    vocab: serde_json::Map<String, Value>,
    merges: Vec<Value>,
) -> (Value, Value, Value, Value) {
    let (normalizer, pre_tokenizer) = if architecture == "phi3" {
        (
            json!({"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "\u{2581}"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "\u{2581}"}
            ]}),
            Value::Null,
        )
    } else {
        (
            Value::Null,
            json!({"type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first",
                   "split": false}),
        )
    };
    let decoder = json!({"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u{2581}"}, "content": " "},
        {"type": "ByteFallback"},
        {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}
    ]});
    let model = json!({"type": "BPE", "dropout": null, "unk_token": null,
                       "continuing_subword_prefix": null, "end_of_word_suffix": null,
                       "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
                       "vocab": vocab, "merges": merges});
    (normalizer, pre_tokenizer, decoder, model)
}

#[cfg(test)]
mod tests {
    use super::merges_from_scores;

    #[test]
    fn merges_rank_by_score_then_lengths() {
        let tokens: Vec<String> = ["a", "b", "c", "ab", "bc", "abc", "▁a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let scores = [0.0, 0.0, 0.0, -1.0, -2.0, -3.0, -1.0];
        let merges = merges_from_scores(&tokens, &scores);
        let pairs: Vec<(&str, &str)> = merges
            .iter()
            .map(|(l, r)| (l.as_str(), r.as_str()))
            .collect();
        // ab (-1) before ▁a (-1, no halves in the vocabulary: absent), then bc, then abc's two
        // splits, the longer left half first.
        assert_eq!(
            pairs,
            vec![("a", "b"), ("b", "c"), ("ab", "c"), ("a", "bc")]
        );
    }
}
