//! Running a padded batch as if each text were alone (see [`forward_unpadded`]).
use crate::RustBertError;
use tch::Tensor;

/// Runs `forward` on a right-padded batch as if each text were alone, which is what HF's
/// pipelines do (one text per forward pass). Models whose padding reaches the real tokens need
/// it to give a text the same outputs whatever it is batched with: FNet has no attention mask
/// (padding takes part in the Fourier mixing of every token), and MobileBERT's trigram input
/// shows the last real token its padded neighbour.
///
/// Consecutive rows of equal unpadded length (from `mask`, `[batch, seq]` of 1 / 0; pipelines
/// sort texts by length, so these are most rows) run together, cut to that length. `forward`
/// receives the ids and token types of such a group and returns its outputs; outputs with a
/// sequence dimension (`per_token`: dimension 1) are padded back to `seq` with zeros, then
/// every output is concatenated over the groups. Without a mask, `forward` runs on the batch
/// as is.
pub fn forward_unpadded(
    input_ids: &Tensor,
    token_type_ids: Option<&Tensor>,
    mask: Option<&Tensor>,
    per_token: bool,
    mut forward: impl FnMut(&Tensor, Option<&Tensor>) -> Result<Vec<Tensor>, RustBertError>,
) -> Result<Vec<Tensor>, RustBertError> {
    let (mask, seq) = match (mask, input_ids.size().as_slice()) {
        (Some(mask), &[batch, seq]) if batch > 0 && mask.size() == [batch, seq] => (mask, seq),
        _ => return forward(input_ids, token_type_ids),
    };
    // One host read of the lengths per batch (not per token or layer).
    let lengths = Vec::<i64>::try_from(mask.ne(0).sum_dim_intlist(1, false, tch::Kind::Int64))
        .map_err(|e| RustBertError::ValueError(format!("attention mask: {e}")))?;
    let mut groups: Vec<Vec<Tensor>> = Vec::new();
    let mut start = 0usize;
    while start < lengths.len() {
        let length = lengths[start];
        let end = (start..lengths.len())
            .find(|&row| lengths[row] != length)
            .unwrap_or(lengths.len());
        // A fully masked row keeps one token, so that the model has something to run on.
        let kept = length.max(1);
        let rows = |t: &Tensor| {
            t.narrow(0, start as i64, (end - start) as i64)
                .narrow(1, 0, kept)
        };
        let types = token_type_ids.map(rows);
        let outputs = forward(&rows(input_ids), types.as_ref())?;
        let outputs = outputs
            .into_iter()
            .map(|output| {
                if per_token && kept < seq {
                    let mut padding = output.size();
                    padding[1] = seq - kept;
                    let zeros = Tensor::zeros(padding.as_slice(), (output.kind(), output.device()));
                    Tensor::cat(&[output, zeros], 1)
                } else {
                    output
                }
            })
            .collect();
        groups.push(outputs);
        start = end;
    }
    let count = groups.first().map_or(0, Vec::len);
    let outputs = (0..count)
        .map(|i| Tensor::cat(&groups.iter().map(|g| &g[i]).collect::<Vec<_>>(), 0))
        .collect();
    Ok(outputs)
}
