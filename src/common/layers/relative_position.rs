//! Bucketed relative positions (Raffel et al.'s scheme, used by T5, LongT5 and MPNet): the
//! distance from a query to a key falls in a bucket, exact for short distances and logarithmic up
//! to a maximum distance, and a learned table gives each bucket one bias per attention head.
use crate::common::layers::linear::embedding_config;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn;
use tch::{Kind, Tensor};

/// HF's `_relative_position_bucket`: relative positions (memory minus query, int64) to buckets,
/// exact for small distances, logarithmic up to `max_distance`; bidirectional attention splits
/// the buckets between both directions (keys after the query in the upper half).
pub fn relative_position_bucket(
    relative_position: &Tensor,
    bidirectional: bool,
    num_buckets: i64,
    max_distance: i64,
) -> Tensor {
    let mut buckets = relative_position.zeros_like();
    let mut num_buckets = num_buckets;
    let position = if bidirectional {
        num_buckets /= 2;
        buckets += relative_position.gt(0).to_kind(Kind::Int64) * num_buckets;
        relative_position.abs()
    } else {
        -relative_position.clamp_max(0)
    };
    let max_exact = num_buckets / 2;
    let is_small = position.lt(max_exact);
    let large = ((position.to_kind(Kind::Float) / max_exact as f64).log()
        / (max_distance as f64 / max_exact as f64).ln()
        * (num_buckets - max_exact) as f64)
        .to_kind(Kind::Int64)
        + max_exact;
    let large = large.clamp_max(num_buckets - 1);
    buckets + position.where_self(&is_small, &large)
}

/// A learned bias per attention head for each bucket of relative positions (HF variable
/// `relative_attention_bias`, a `[rows, heads]` table).
///
/// The bucketing and the table size are separate settings because MPNet keeps them apart: HF's
/// MPNet always buckets into 32 (its `compute_position_bias` default) whatever
/// `relative_attention_num_buckets` sizes the table to.
#[derive(Debug)]
pub struct RelativePositionBias {
    table: nn::Embedding,
    num_buckets: i64,
    max_distance: i64,
    bidirectional: bool,
}

impl RelativePositionBias {
    /// Builds the `[rows, heads]` table at `p` (the variable is `p`'s `weight`); positions are
    /// bucketed into `num_buckets` up to `max_distance`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        rows: i64,
        heads: i64,
        num_buckets: i64,
        max_distance: i64,
        bidirectional: bool,
    ) -> Self {
        Self {
            table: nn::embedding(p, rows, heads, embedding_config()),
            num_buckets,
            max_distance,
            bidirectional,
        }
    }

    /// The bias `[1, heads, query_len, key_len]` of queries at `offset..offset + query_len`
    /// attending keys at `0..key_len`, in `kind`.
    ///
    /// # Errors
    /// A bucket past the table's rows (a table smaller than the bucketing needs; HF fails with
    /// an index error there).
    pub fn forward(
        &self,
        query_len: i64,
        key_len: i64,
        offset: i64,
        kind: Kind,
    ) -> Result<Tensor, RustBertError> {
        let device = self.table.ws.device();
        let context = Tensor::arange(query_len, (Kind::Int64, device)).unsqueeze(1) + offset;
        let memory = Tensor::arange(key_len, (Kind::Int64, device)).unsqueeze(0);
        let buckets = relative_position_bucket(
            &(memory - context),
            self.bidirectional,
            self.num_buckets,
            self.max_distance,
        );
        let rows = self.table.ws.size()[0];
        let values = self
            .table
            .ws
            .f_index_select(0, &buckets.view([-1]))
            .map_err(|e| {
                RustBertError::ValueError(format!(
                    "relative position buckets up to {} do not fit the {rows}-row \
                     relative_attention_bias table: {e}",
                    self.num_buckets - 1
                ))
            })?;
        Ok(values
            .view([query_len, key_len, -1])
            .permute([2, 0, 1])
            .unsqueeze(0)
            .to_kind(kind))
    }
}
