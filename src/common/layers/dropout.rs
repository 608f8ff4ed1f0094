//! Dropout that is a no-op at inference.
use tch::Tensor;

/// Dropout with a fixed probability, active only when `train` is true.
#[derive(Debug, Clone, Copy)]
pub struct Dropout {
    dropout_prob: f64,
}

impl Dropout {
    /// A dropout layer zeroing activations with probability `p` during training.
    pub fn new(p: f64) -> Self {
        Self { dropout_prob: p }
    }

    /// The dropout probability.
    pub fn probability(&self) -> f64 {
        self.dropout_prob
    }

    /// Applies dropout when training; returns the input unchanged (no copy) otherwise.
    pub fn forward_t(&self, input: &Tensor, train: bool) -> Tensor {
        if train && self.dropout_prob > 0.0 {
            input.dropout(self.dropout_prob, true)
        } else {
            input.shallow_clone()
        }
    }
}
