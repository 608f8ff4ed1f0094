//! Padding a batch of encodings into tensors, and grouping inputs of similar length into
//! batches.
use tch::{Device, Tensor};

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
