//! Block-local attention (LongT5's local and transient-global encoder attention, ETC-style):
//! the sequence is cut into blocks of `block_len` tokens and each block attends to itself and
//! its two neighbours; transient-global attention adds one summary token per block of
//! `global_block_size` tokens that every token also attends to. The tensor bookkeeping lives
//! here, the projections with the model. Shapes and masking follow HF's LongT5 (masked scores
//! get `-1e10`, as the original implementation), so results match it bit for bit where the
//! arithmetic is the same.
use tch::{Kind, Tensor};

/// Score given to masked positions (HF's LongT5 value, not the kind's minimum).
pub const MASKED_SCORE: f64 = -1e10;

/// Pads `x` along `dim` with zeros to a multiple of `block_len`, then splits that dimension
/// into `[blocks, block_len]`.
pub fn split_into_blocks(x: &Tensor, block_len: i64, dim: i64) -> Tensor {
    let mut size = x.size();
    let dim = if dim < 0 {
        dim + size.len() as i64
    } else {
        dim
    } as usize;
    let pad = (block_len - size[dim] % block_len) % block_len;
    let x = if pad > 0 {
        let mut pad_size = size.clone();
        pad_size[dim] = pad;
        let zeros = Tensor::zeros(pad_size.as_slice(), (x.kind(), x.device()));
        Tensor::cat(&[x, &zeros], dim as i64)
    } else {
        x.shallow_clone()
    };
    let blocks = (size[dim] + pad) / block_len;
    size.splice(dim..=dim, [blocks, block_len]);
    x.reshape(size.as_slice())
}

/// For each block along `block_dim`, the block before it, itself and the block after it
/// (zeros past either end), concatenated along `sequence_dim`: keys and values of local
/// attention, `[.., blocks, 3 * block_len, ..]`.
pub fn concatenate_3_blocks(x: &Tensor, block_dim: i64, sequence_dim: i64) -> Tensor {
    let blocks = x.size()[block_dim as usize];
    let mut edge = x.size();
    edge[block_dim as usize] = 1;
    let zeros = Tensor::zeros(edge.as_slice(), (x.kind(), x.device()));
    let padded = Tensor::cat(&[&zeros, x, &zeros], block_dim);
    let parts: Vec<Tensor> = (0..3)
        .map(|i| padded.narrow(block_dim, i, blocks))
        .collect();
    Tensor::cat(&parts, sequence_dim)
}

/// Relative positions of the keys of three blocks to the queries of the middle one,
/// `[block_len, 3 * block_len]` (key position minus query position).
pub fn three_block_relative_positions(block_len: i64, device: tch::Device) -> Tensor {
    let positions = Tensor::arange(3 * block_len, (Kind::Int64, device));
    let centre = positions.narrow(0, block_len, block_len);
    positions.unsqueeze(0) - centre.unsqueeze(1)
}

/// Which keys each query of local attention may see, `[batch, blocks, block_len, 3 *
/// block_len]` (bool): both tokens real and closer than `block_len` (the local radius plus
/// one). `mask` `[batch, seq]` marks real tokens with nonzero values.
pub fn local_attention_mask(mask: &Tensor, block_len: i64) -> Tensor {
    let real = mask.ne(0);
    let blocked = split_into_blocks(&real, block_len, 1);
    let three = concatenate_3_blocks(&blocked, 1, 2);
    let pairs = blocked.unsqueeze(-1).logical_and(&three.unsqueeze(-2));
    let near = three_block_relative_positions(block_len, mask.device())
        .abs()
        .lt(block_len);
    pairs.logical_and(&near.unsqueeze(0).unsqueeze(0))
}

/// The additive form of a boolean mask: 0 where allowed, [`MASKED_SCORE`] elsewhere.
pub fn additive(allowed: &Tensor, kind: Kind) -> Tensor {
    Tensor::zeros_like(allowed)
        .to_kind(kind)
        .masked_fill(&allowed.logical_not(), MASKED_SCORE)
}

/// HF's fixed global blocks (`_make_global_fixed_block_ids`): each real token's global block
/// (`position / global_block_size`, tokens after the last full block joining it, -1 for
/// padding and for rows without a full block) `[batch, seq]`, and which global tokens exist
/// in each row `[batch, seq / global_block_size]` (1 or 0), both int64. The block ids go
/// through HF's float32 cumulative sum so that they equal HF's for any block size.
pub fn global_block_ids(mask: &Tensor, global_block_size: i64) -> (Tensor, Tensor) {
    let (batch, seq) = (mask.size()[0], mask.size()[1]);
    let device = mask.device();
    let real = mask.ne(0);
    let step = Tensor::ones([batch, seq], (Kind::Float, device)) / global_block_size as f64;
    let fixed = step.cumsum(1, Kind::Float) - &step;
    let offset = Tensor::full([batch, seq], -1000.0, (Kind::Float, device)).masked_fill(&real, 1.0);
    let ids = (offset + fixed - 1.0).floor().clamp_min(-1.0);
    let real_f = real.to_kind(Kind::Float);
    let ids = &ids * &real_f + (&real_f - 1.0);
    // Orphans: tokens after the last full block belong to it.
    let ends = (Tensor::arange(seq, (Kind::Int64, device)).remainder(global_block_size))
        .eq(global_block_size - 1);
    let full_blocks = ends.unsqueeze(0).logical_and(&ids.ge(0.0)).sum_dim_intlist(
        [-1].as_slice(),
        true,
        Kind::Float,
    ) - 1.0;
    let ids = ids.where_self(&ids.lt_tensor(&full_blocks), &full_blocks);
    let globals = seq / global_block_size;
    let max_id = ids.amax([-1].as_slice(), true);
    let segments = Tensor::arange(globals, (Kind::Float, device)).unsqueeze(0);
    let segment_ids = segments.le_tensor(&max_id).to_kind(Kind::Int64);
    (ids.to_kind(Kind::Int64), segment_ids)
}

/// Sums of the token states of each global block, `[batch, globals, d_model]` (tokens with
/// block id -1 count nowhere).
pub fn global_aggregates(hidden: &Tensor, block_ids: &Tensor, globals: i64) -> Tensor {
    let ids = block_ids.where_scalarother(&block_ids.ge(0), globals);
    let one_hot = ids
        .one_hot(globals + 1)
        .narrow(-1, 0, globals)
        .to_kind(hidden.kind());
    one_hot.transpose(1, 2).matmul(hidden)
}

/// Relative positions of the global tokens to each token's own block, `[batch, seq,
/// globals]`.
pub fn side_relative_positions(block_ids: &Tensor, globals: i64) -> Tensor {
    Tensor::arange(globals, (Kind::Int64, block_ids.device())) - block_ids.unsqueeze(-1)
}
