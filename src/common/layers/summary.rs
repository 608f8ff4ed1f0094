//! Pieces shared by classification heads: HF's sequence summary (one vector per sequence from
//! its hidden states, used by XLNet and the GPT double heads) and the reshaping of
//! multiple-choice inputs.
use crate::common::activations::Activation;
use crate::common::layers::{linear, Dropout};
use crate::RustBertError;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// How a sequence is summarised into one vector (HF's `summary_type`).
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SummaryType {
    /// The last position (XLNet, whose `<cls>` token closes the sequence).
    last,
    /// The first position (BERT-style `[CLS]`).
    first,
    /// The mean over every position (padding included, as HF).
    mean,
    /// The position given per sequence (the last one when none is given).
    cls_index,
    /// Attention pooling: not implemented by HF either; building it is an error.
    attn,
}

/// The settings of a [`SequenceSummary`], read from a model configuration's `summary_*` keys.
#[derive(Clone, Debug)]
pub struct SummaryConfig {
    /// How to pick the vector (HF default `last`).
    pub summary_type: Option<SummaryType>,
    /// Whether a linear projection follows.
    pub summary_use_proj: Option<bool>,
    /// Activation after the projection (none when absent).
    pub summary_activation: Option<Activation>,
    /// Project to `num_labels` instead of the hidden size.
    pub summary_proj_to_labels: Option<bool>,
    /// Dropout before the projection.
    pub summary_first_dropout: Option<f64>,
    /// Dropout after the activation.
    pub summary_last_dropout: Option<f64>,
    /// Width of the hidden states.
    pub hidden_size: i64,
    /// Number of labels (used with `summary_proj_to_labels`).
    pub num_labels: Option<i64>,
}

/// One vector per sequence: pick (last / first / mean / given position), then optional
/// dropout, projection (`summary` variable), activation and dropout, as HF's
/// `SequenceSummary`.
#[derive(Debug)]
pub struct SequenceSummary {
    summary_type: SummaryType,
    summary: Option<nn::Linear>,
    activation: Option<Activation>,
    first_dropout: Dropout,
    last_dropout: Dropout,
}

impl SequenceSummary {
    /// Builds the summary under `p` (the projection is `p / "summary"`).
    ///
    /// # Errors
    /// `summary_type` `attn`, which HF does not implement either.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &SummaryConfig,
    ) -> Result<Self, RustBertError> {
        let summary_type = config.summary_type.unwrap_or(SummaryType::last);
        if summary_type == SummaryType::attn {
            return Err(RustBertError::InvalidConfigurationError(
                "summary_type \"attn\" is not implemented (HF raises NotImplementedError too)"
                    .into(),
            ));
        }
        let summary = config.summary_use_proj.unwrap_or(false).then(|| {
            let out = match config.num_labels {
                Some(n) if n > 0 && config.summary_proj_to_labels.unwrap_or(false) => n,
                _ => config.hidden_size,
            };
            linear(p.borrow() / "summary", config.hidden_size, out)
        });
        Ok(Self {
            summary_type,
            summary,
            activation: config.summary_activation,
            first_dropout: Dropout::new(config.summary_first_dropout.unwrap_or(0.0)),
            last_dropout: Dropout::new(config.summary_last_dropout.unwrap_or(0.0)),
        })
    }

    /// Summarises `hidden` `[batch, seq, hidden]` into `[batch, out]`; `cls_index` `[batch]`
    /// gives the positions for `cls_index` summaries.
    ///
    /// # Errors
    /// An empty sequence, or a `cls_index` that does not fit the batch.
    pub fn forward_t(
        &self,
        hidden: &Tensor,
        cls_index: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let size = hidden.size();
        let (batch, length, width) = match size.as_slice() {
            [b, l, w] if *l > 0 => (*b, *l, *w),
            other => {
                return Err(RustBertError::ValueError(format!(
                    "sequence summary needs hidden states [batch, seq > 0, hidden], got {other:?}"
                )))
            }
        };
        let picked = match self.summary_type {
            SummaryType::last => hidden.select(1, -1),
            SummaryType::first => hidden.select(1, 0),
            SummaryType::mean => hidden.mean_dim(1, false, None::<Kind>),
            SummaryType::cls_index | SummaryType::attn => {
                let index = match cls_index {
                    Some(index) => index
                        .f_reshape([batch, 1, 1])
                        .map_err(|e| {
                            RustBertError::ValueError(format!(
                                "cls_index must hold one position per sequence: {e}"
                            ))
                        })?
                        .expand([batch, 1, width], false),
                    None => Tensor::full(
                        [batch, 1, width],
                        length - 1,
                        (Kind::Int64, hidden.device()),
                    ),
                };
                hidden
                    .f_gather(1, &index, false)
                    .map_err(|e| RustBertError::ValueError(format!("cls_index: {e}")))?
                    .squeeze_dim(1)
            }
        };
        let mut output = self.first_dropout.forward_t(&picked, train);
        if let Some(summary) = &self.summary {
            output = summary.forward(&output);
        }
        if let Some(activation) = &self.activation {
            output = activation.apply(&output);
        }
        Ok(self.last_dropout.forward_t(&output, train))
    }
}

/// The number of choices of a multiple-choice input: `input_ids` `[batch, num_choices, seq]`
/// or `input_embeds` `[batch, num_choices, seq, width]`, exactly one of them; an error naming
/// what is wrong otherwise.
pub fn num_choices(
    input_ids: Option<&Tensor>,
    input_embeds: Option<&Tensor>,
) -> Result<i64, RustBertError> {
    match (input_ids, input_embeds) {
        (Some(ids), None) if ids.dim() == 3 => Ok(ids.size()[1]),
        (None, Some(embeds)) if embeds.dim() == 4 => Ok(embeds.size()[1]),
        (Some(_), Some(_)) => Err(RustBertError::ValueError(
            "give either input_ids or input_embeds, not both".into(),
        )),
        (None, None) => Err(RustBertError::ValueError(
            "give one of input_ids or input_embeds".into(),
        )),
        (Some(ids), None) => Err(RustBertError::ValueError(format!(
            "multiple choice input_ids must be [batch, num_choices, seq], got {:?}",
            ids.size()
        ))),
        (None, Some(embeds)) => Err(RustBertError::ValueError(format!(
            "multiple choice input_embeds must be [batch, num_choices, seq, width], got {:?}",
            embeds.size()
        ))),
    }
}

/// The inputs of a multiple-choice head, one row per choice: `[batch, num_choices, seq]` inputs
/// (`[batch, num_choices, seq, width]` embeddings) become `[batch * num_choices, seq]`, what an
/// encoder takes.
#[derive(Debug)]
pub struct ChoiceInputs {
    /// Choices per question.
    pub num_choices: i64,
    /// Token ids `[batch * num_choices, seq]`.
    pub input_ids: Option<Tensor>,
    /// Attention mask `[batch * num_choices, seq]`.
    pub mask: Option<Tensor>,
    /// Token types `[batch * num_choices, seq]`.
    pub token_type_ids: Option<Tensor>,
    /// Positions `[batch * num_choices, seq]`.
    pub position_ids: Option<Tensor>,
    /// Embeddings `[batch * num_choices, seq, width]`.
    pub input_embeds: Option<Tensor>,
}

impl ChoiceInputs {
    /// Flattens the inputs; exactly one of `input_ids` and `input_embeds` must be given, and
    /// every input must have the dimensions of a multiple-choice batch.
    pub fn flatten(
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
    ) -> Result<Self, RustBertError> {
        let flat = |t: Option<&Tensor>, dims: usize, what: &str| {
            t.map(|t| flatten_choices(t, dims, what)).transpose()
        };
        Ok(Self {
            num_choices: num_choices(input_ids, input_embeds)?,
            input_ids: flat(input_ids, 3, "input_ids")?,
            mask: flat(mask, 3, "attention mask")?,
            token_type_ids: flat(token_type_ids, 3, "token_type_ids")?,
            position_ids: flat(position_ids, 3, "position_ids")?,
            input_embeds: flat(input_embeds, 4, "input_embeds")?,
        })
    }

    /// One score per choice `[batch * num_choices, 1]` back to `[batch, num_choices]`.
    pub fn logits(&self, scores: &Tensor) -> Result<Tensor, RustBertError> {
        scores
            .f_view([-1, self.num_choices])
            .map_err(|e| RustBertError::ValueError(format!("multiple choice logits: {e}")))
    }
}

/// `[batch, num_choices, ...rest]` -> `[batch * num_choices, ...rest]`, an error (not a panic)
/// when the tensor does not have `dims` dimensions.
pub fn flatten_choices(tensor: &Tensor, dims: usize, what: &str) -> Result<Tensor, RustBertError> {
    let size = tensor.size();
    if size.len() != dims {
        return Err(RustBertError::ValueError(format!(
            "multiple choice {what} has shape {size:?}; expected {dims} dimensions \
             [batch, num_choices, ...]"
        )));
    }
    tensor
        .f_flatten(0, 1)
        .map_err(|e| RustBertError::ValueError(format!("multiple choice {what}: {e}")))
}
