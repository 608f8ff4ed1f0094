//! Logits processors: the score transformations applied before each token is chosen.
//!
//! Each function takes the scores of the next token `[rows, vocab]` (float) and the tokens so
//! far `[rows, length]` where it needs them, and returns new scores; banned tokens get `-inf`.
//! They are written to give the same numbers as HF Transformers' processors of the same name
//! (5.x), on the device, with no host synchronisation unless the caller's own function
//! (`prefix_allowed_tokens_fn`) needs the tokens on the host.
use crate::RustBertError;
use tch::{Kind, Tensor};

fn vocab_size(scores: &Tensor) -> i64 {
    scores.size().last().copied().unwrap_or(0)
}

/// Divides the scores by `temperature` (HF `TemperatureLogitsWarper`).
pub fn temperature(scores: &Tensor, temperature: f64) -> Tensor {
    scores / temperature
}

/// Keeps the `top_k` best tokens of each row (at least `min_tokens_to_keep`; ties with the
/// `k`-th score are kept), as HF `TopKLogitsWarper`.
pub fn top_k(scores: &Tensor, top_k: i64, min_tokens_to_keep: i64) -> Tensor {
    let k = top_k.max(min_tokens_to_keep).min(vocab_size(scores));
    if k <= 0 {
        return scores.shallow_clone();
    }
    let (values, _) = scores.topk(k, -1, true, true);
    let threshold = values.narrow(-1, k - 1, 1);
    scores.masked_fill(&scores.lt_tensor(&threshold), f64::NEG_INFINITY)
}

/// Nucleus filtering (HF `TopPLogitsWarper`): drops the least likely tokens whose cumulative
/// probability stays at or below `1 - top_p`, keeping at least `min_tokens_to_keep`.
pub fn top_p(scores: &Tensor, top_p: f64, min_tokens_to_keep: i64) -> Tensor {
    let vocab = vocab_size(scores);
    let (sorted, indices) = scores.sort(-1, false);
    let cumulative = sorted.softmax(-1, Kind::Float).cumsum(-1, Kind::Float);
    let remove = cumulative.le(1.0 - top_p);
    let keep = min_tokens_to_keep.clamp(0, vocab);
    let remove = if keep > 0 {
        let _ = remove.slice(-1, vocab - keep, vocab, 1).fill_(0);
        remove
    } else {
        remove
    };
    let remove = remove.scatter(-1, &indices, &remove);
    scores.masked_fill(&remove, f64::NEG_INFINITY)
}

/// Min-p filtering (HF `MinPLogitsWarper`): drops tokens less likely than `min_p` times the most
/// likely one, keeping at least `min_tokens_to_keep`.
pub fn min_p(scores: &Tensor, min_p: f64, min_tokens_to_keep: i64) -> Tensor {
    let probs = scores.softmax(-1, Kind::Float);
    let top = probs.amax([-1].as_slice(), true);
    let remove = probs.lt_tensor(&(top * min_p));
    let k = min_tokens_to_keep.min(vocab_size(scores));
    let remove = if k > 0 {
        let (_, best) = probs.topk(k, -1, true, true);
        remove.scatter_value(-1, &best, 0)
    } else {
        remove
    };
    scores.masked_fill(&remove, f64::NEG_INFINITY)
}

/// Locally typical filtering (HF `TypicalLogitsWarper`): keeps the tokens whose surprisal is
/// closest to the entropy until their probabilities add up to `mass`.
pub fn typical_p(scores: &Tensor, mass: f64, min_tokens_to_keep: i64) -> Tensor {
    let vocab = vocab_size(scores);
    let normalized = scores.log_softmax(-1, Kind::Float);
    let p = normalized.exp();
    let entropy = -(&normalized * &p).nansum([-1].as_slice(), true, Kind::Float);
    let shifted = (-&normalized - entropy).abs();
    let (sorted_scores, sorted_indices) = shifted.sort(-1, false);
    let sorted_logits = scores.gather(-1, &sorted_indices, false);
    let cumulative = sorted_logits
        .softmax(-1, Kind::Float)
        .cumsum(-1, Kind::Float);
    let last = cumulative
        .lt(mass)
        .sum_dim_intlist([1].as_slice(), false, Kind::Int64)
        .clamp_max(vocab - 1);
    let bound = sorted_scores.gather(1, &last.view([-1, 1]), false);
    let remove = sorted_scores.gt_tensor(&bound);
    let keep = min_tokens_to_keep.clamp(0, vocab);
    if keep > 0 {
        let _ = remove.slice(-1, 0, keep, 1).fill_(0);
    }
    let remove = remove.scatter(1, &sorted_indices, &remove);
    scores.masked_fill(&remove, f64::NEG_INFINITY)
}

/// Repetition penalty (HF `RepetitionPenaltyLogitsProcessor`): the score of every token already
/// in the row is divided by `penalty` when positive and multiplied by it when negative. Tokens
/// before `prompt_ignore_length[row]` (left padding) are not counted.
pub fn repetition_penalty(
    scores: &Tensor,
    input_ids: &Tensor,
    penalty: f64,
    prompt_ignore_length: Option<&Tensor>,
) -> Tensor {
    let vocab = vocab_size(scores);
    let mut ids = input_ids.shallow_clone();
    if let Some(ignore) = prompt_ignore_length {
        let positions = Tensor::arange(ids.size()[1], (Kind::Int64, ids.device()));
        let ignored = positions.unsqueeze(0).lt_tensor(&ignore.unsqueeze(1));
        ids = ids.masked_fill(&ignored, vocab);
    }
    // Ids outside the vocabulary go to an extra column that is dropped at the end.
    let ids = ids.clamp_max(vocab);
    let padded = scores.constant_pad_nd([0, 1]);
    let score = padded.gather(1, &ids, false);
    let penalised = (&score * penalty).where_self(&score.lt(0.0), &(&score / penalty));
    padded.scatter(1, &ids, &penalised).narrow(1, 0, vocab)
}

/// Bans the tokens that would repeat an n-gram of size `ngram_size` already in the row (HF
/// `NoRepeatNGramLogitsProcessor`, which counts every token of the row, prompt and padding
/// included).
pub fn no_repeat_ngram(scores: &Tensor, input_ids: &Tensor, ngram_size: i64) -> Tensor {
    let length = input_ids.size()[1];
    if ngram_size <= 0 || length < ngram_size {
        return scores.shallow_clone();
    }
    let vocab = vocab_size(scores);
    let windows = input_ids.unfold(1, ngram_size, 1);
    let prefixes = windows.narrow(2, 0, ngram_size - 1);
    let next = windows.select(2, ngram_size - 1);
    let current = input_ids
        .narrow(1, length - (ngram_size - 1), ngram_size - 1)
        .unsqueeze(1);
    let matches = prefixes.eq_tensor(&current).all_dim(2, false);
    let banned = next.masked_fill(&matches.logical_not(), vocab);
    let ban = Tensor::zeros([scores.size()[0], vocab + 1], (Kind::Bool, scores.device()))
        .scatter_value(1, &banned, 1)
        .narrow(1, 0, vocab);
    scores.masked_fill(&ban, f64::NEG_INFINITY)
}

/// Bans words given as token sequences (HF `NoBadWordsLogitsProcessor`): a single token always,
/// the last token of a longer sequence when the row ends with the rest of it. A sequence equal
/// to an end-of-sequence token alone is ignored, as in HF.
pub fn bad_words(
    scores: &Tensor,
    input_ids: &Tensor,
    bad_word_ids: &[Vec<i64>],
    eos_token_ids: &[i64],
) -> Result<Tensor, RustBertError> {
    let mut out = scores.copy();
    bad_words_in_place(&mut out, input_ids, bad_word_ids, eos_token_ids)?;
    Ok(out)
}

/// [`bad_words`] on `scores` itself: single tokens are banned column by column, longer words
/// through one mask, so the common case (a few single tokens) costs no pass over the scores.
pub(crate) fn bad_words_in_place(
    scores: &mut Tensor,
    input_ids: &Tensor,
    bad_word_ids: &[Vec<i64>],
    eos_token_ids: &[i64],
) -> Result<(), RustBertError> {
    let vocab = vocab_size(scores);
    let (rows, length) = (input_ids.size()[0], input_ids.size()[1]);
    let device = scores.device();
    let mut single_tokens = Vec::new();
    let mut ban: Option<Tensor> = None;
    for sequence in bad_word_ids {
        let Some((&last, prefix)) = sequence.split_last() else {
            return Err(RustBertError::ValueError(
                "bad_word_ids contains an empty sequence".into(),
            ));
        };
        if let Some(bad) = sequence.iter().find(|&&id| id < 0 || id >= vocab) {
            return Err(RustBertError::ValueError(format!(
                "bad_word_ids contains {bad}, outside the vocabulary (size {vocab})"
            )));
        }
        if prefix.is_empty() {
            if !eos_token_ids.contains(&last) {
                single_tokens.push(last);
            }
        } else if sequence.len() as i64 <= length {
            let tail = input_ids.narrow(1, length - prefix.len() as i64, prefix.len() as i64);
            let prefix = Tensor::from_slice(prefix).to(device).unsqueeze(0);
            let matching = tail.eq_tensor(&prefix).all_dim(1, false);
            let ban =
                ban.get_or_insert_with(|| Tensor::zeros([rows, vocab], (tch::Kind::Bool, device)));
            let column = ban.select(1, last).logical_or(&matching);
            ban.select(1, last).copy_(&column);
        }
    }
    fill_columns(scores, &single_tokens, f64::NEG_INFINITY);
    if let Some(ban) = ban {
        let _ = scores.masked_fill_(&ban, f64::NEG_INFINITY);
    }
    Ok(())
}

/// Sets the columns `ids` of `scores` `[rows, vocab]` to `value`, in place.
fn fill_columns(scores: &mut Tensor, ids: &[i64], value: f64) {
    if !ids.is_empty() {
        let index = Tensor::from_slice(ids).to(scores.device());
        let _ = scores.index_fill_(1, &index, value);
    }
}

/// Sets the end-of-sequence scores to `-inf` while the rows are shorter than `min_length`
/// (HF `MinLengthLogitsProcessor`; `current_length` counts the prompt of decoder-only models).
pub fn min_length(
    scores: &Tensor,
    current_length: i64,
    min_length: i64,
    eos_token_ids: &[i64],
) -> Tensor {
    if current_length >= min_length || eos_token_ids.is_empty() {
        return scores.shallow_clone();
    }
    let mut out = scores.copy();
    min_length_in_place(&mut out, current_length, min_length, eos_token_ids);
    out
}

/// [`min_length`] on `scores` itself.
pub(crate) fn min_length_in_place(
    scores: &mut Tensor,
    current_length: i64,
    min_length: i64,
    eos_token_ids: &[i64],
) {
    if current_length < min_length {
        fill_columns(scores, eos_token_ids, f64::NEG_INFINITY);
    }
}

/// Leaves only `token_ids` possible (score 0, the others `-inf`) when `condition` holds: HF's
/// `ForcedBOSTokenLogitsProcessor` (at length 1) and `ForcedEOSTokenLogitsProcessor` (at
/// `max_length - 1`).
pub fn force_tokens(scores: &Tensor, token_ids: &[i64], condition: bool) -> Tensor {
    if !condition || token_ids.is_empty() {
        return scores.shallow_clone();
    }
    let out = scores.full_like(f64::NEG_INFINITY);
    for &id in token_ids {
        let _ = out.select(1, id).fill_(0.0);
    }
    out
}

/// Restricts each row to the tokens `allowed(batch_id, row_tokens)` returns (HF
/// `PrefixConstrainedLogitsProcessor`); rows are grouped by `num_beams` per batch item. When
/// every allowed token of all of an item's rows already scores `-inf`, the allowed tokens are
/// forced with score 0, as HF does. An empty list is an error.
pub fn prefix_allowed_tokens(
    scores: &Tensor,
    input_ids: &Tensor,
    allowed: &dyn Fn(i64, &Tensor) -> Vec<i64>,
    num_beams: i64,
) -> Result<Tensor, RustBertError> {
    let vocab = vocab_size(scores);
    let rows = scores.size()[0];
    let batch = rows / num_beams.max(1);
    let mask = scores.full_like(f64::NEG_INFINITY);
    for row in 0..rows {
        let batch_id = row / num_beams.max(1);
        let tokens = allowed(batch_id, &input_ids.get(row));
        if tokens.is_empty() {
            return Err(RustBertError::ValueError(format!(
                "prefix_allowed_tokens_fn returned no token for batch item {batch_id}: the \
                 constraint cannot be satisfied"
            )));
        }
        if let Some(bad) = tokens.iter().find(|&&id| id < 0 || id >= vocab) {
            return Err(RustBertError::ValueError(format!(
                "prefix_allowed_tokens_fn returned {bad}, outside the vocabulary (size {vocab})"
            )));
        }
        let index = Tensor::from_slice(&tokens).to(scores.device());
        let _ = mask.get(row).index_fill_(0, &index, 0.0);
    }
    let processed = scores + &mask;
    let unsatisfiable = processed
        .amax([-1].as_slice(), false)
        .isneginf()
        .view([batch, -1])
        .all_dim(1, true)
        .repeat_interleave_self_int(num_beams.max(1), 0, None);
    Ok(mask.where_self(&unsatisfiable, &processed))
}
