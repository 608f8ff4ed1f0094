//! HF's truncation rules and overflow windows, as lengths and token ranges.
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::ops::Range;

/// Sequence lengths after truncating to `budget` tokens, by HF's rules
/// (`tokenizers::utils::truncation::truncate_encodings`). Strategies HF refuses (only the
/// second sequence of a single text, a sequence too short to absorb the cut) fall back to
/// longest-first, so the result always fits; `DoNotTruncate` keeps everything.
pub(super) fn truncated_lengths(
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
pub(super) fn window_ranges(n: usize, width: usize, stride: usize) -> Vec<Range<usize>> {
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
