use crate::common::activations::Activation;
use crate::common::layers::embeddings::{batch_and_length, lookup};
use crate::common::layers::linear::embedding_config;
use crate::common::layers::{
    flatten_choices, linear, Dropout, SequenceSummary, SummaryConfig, SummaryType,
};
use crate::common::twin::infallible_twin;
use crate::generation::{Cache, LMModelOutput};
use crate::xlnet::attention::{AttentionContext, XLNetLayer};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashMap;
use tch::nn::{self, Init};
use tch::{Device, Kind, Tensor};

/// Pretrained XLNet weights on the hub, as `(cache subdirectory, URL)`.
pub struct XLNetModelResources;
/// Pretrained XLNet configurations on the hub, as `(cache subdirectory, URL)`.
pub struct XLNetConfigResources;
/// Pretrained XLNet SentencePiece vocabularies on the hub, as `(cache subdirectory, URL)`.
pub struct XLNetVocabResources;

macro_rules! xlnet_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// xlnet-base-cased (Yang et al., CMU / Google Brain).
            pub const XLNET_BASE_CASED: (&'static str, &'static str) = (
                concat!("xlnet-base-cased/", $suffix),
                concat!(
                    "https://huggingface.co/xlnet-base-cased/resolve/main/",
                    $file
                ),
            );
        }
    };
}
xlnet_resources!(XLNetModelResources, "rust_model.ot", "model");
xlnet_resources!(XLNetConfigResources, "config.json", "config");
xlnet_resources!(XLNetVocabResources, "spiece.model", "spiece");

/// Attention pattern of the content stream.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttentionType {
    /// Bidirectional: every token sees every token (XLNet's pretrained models).
    bi,
    /// Unidirectional: a token sees the memory and the tokens up to itself.
    uni,
}

// HF 5.24 `XLNetConfig` defaults (xlnet-large sizes), for keys a config.json may omit.
fn default_vocab() -> i64 {
    32000
}
fn default_d_model() -> i64 {
    1024
}
fn default_n_layer() -> i64 {
    24
}
fn default_n_head() -> i64 {
    16
}
fn default_d_inner() -> i64 {
    4096
}
fn default_act() -> Activation {
    Activation::gelu
}
fn default_attn_type() -> AttentionType {
    AttentionType::bi
}
fn default_dropout() -> f64 {
    0.1
}
fn default_mem_len() -> Option<i64> {
    Some(512)
}
fn default_clamp_len() -> Option<i64> {
    Some(-1)
}
fn default_initializer_range() -> f32 {
    0.02
}
fn default_true() -> bool {
    true
}
fn default_pad() -> i64 {
    5
}
fn default_bos() -> i64 {
    1
}
fn default_eos() -> i64 {
    2
}

/// XLNet configuration; deserializes an HF `config.json` (keys HF may omit take the defaults
/// of HF's `XLNetConfig`).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct XLNetConfig {
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Hidden size.
    #[serde(default = "default_d_model")]
    pub d_model: i64,
    /// Number of layers.
    #[serde(default = "default_n_layer")]
    pub n_layer: i64,
    /// Attention heads per layer.
    #[serde(default = "default_n_head")]
    pub n_head: i64,
    /// Size of the feed-forward expansion.
    #[serde(default = "default_d_inner")]
    pub d_inner: i64,
    /// Width of one head; 0 (when absent from `config.json`) means `d_model / n_head`.
    #[serde(default)]
    pub d_head: i64,
    /// Feed-forward activation (HF default exact `gelu`).
    #[serde(default = "default_act")]
    pub ff_activation: Activation,
    /// Content-stream attention pattern.
    #[serde(default = "default_attn_type")]
    pub attn_type: AttentionType,
    /// Kept for old configurations (every layer has its own biases, as in HF; default true).
    #[serde(default = "default_true")]
    pub untie_r: bool,
    /// Standard deviation of the initializer (informational; default 0.02).
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f32,
    /// HF's `use_cache` (the memory is returned whenever `mem_len` asks for it).
    #[serde(default)]
    pub use_cache: Option<bool>,
    /// HF's feed-forward chunking (an inference-memory knob; the result is the same).
    #[serde(default)]
    pub chunk_size_feed_forward: Option<i64>,
    /// LayerNorm epsilon (HF default 1e-12).
    #[serde(default)]
    pub layer_norm_eps: Option<f64>,
    /// Dropout on hidden states and attention probabilities (HF default 0.1).
    #[serde(default = "default_dropout")]
    pub dropout: f64,
    /// Number of past hidden states kept as memory (`null` or 0: all of them).
    #[serde(default = "default_mem_len")]
    pub mem_len: Option<i64>,
    /// Number of leading tokens of each input cached as memory (`null`: all).
    #[serde(default)]
    pub reuse_len: Option<i64>,
    /// Whether the memory is returned in evaluation (HF default true).
    #[serde(default = "default_true")]
    pub use_mems_eval: bool,
    /// Whether the memory is returned in training (HF default false).
    #[serde(default)]
    pub use_mems_train: bool,
    /// Bidirectional data pipeline of pretraining (half the batch reads positions backwards).
    #[serde(default)]
    pub bi_data: bool,
    /// Relative distances are clamped to this (no clamp when <= 0).
    #[serde(default = "default_clamp_len")]
    pub clamp_len: Option<i64>,
    /// Whether every token sees the same number of past tokens (`uni` attention).
    #[serde(default)]
    pub same_length: bool,
    /// How classification heads summarise a sequence (HF default `last`).
    #[serde(default)]
    pub summary_type: Option<SummaryType>,
    /// Whether the summary has a projection (HF default true).
    #[serde(default)]
    pub summary_use_proj: Option<bool>,
    /// Activation after the summary projection (HF default `tanh`).
    #[serde(default)]
    pub summary_activation: Option<Activation>,
    /// Whether the summary projects to the labels.
    #[serde(default)]
    pub summary_proj_to_labels: Option<bool>,
    /// Dropout before the summary projection.
    #[serde(default)]
    pub summary_first_dropout: Option<f64>,
    /// Dropout after the summary activation (HF default 0.1).
    #[serde(default)]
    pub summary_last_dropout: Option<f64>,
    /// Top start positions of the beam-search QA head (unused by the simple span head).
    #[serde(default)]
    pub start_n_top: Option<i64>,
    /// Top end positions of the beam-search QA head (unused by the simple span head).
    #[serde(default)]
    pub end_n_top: Option<i64>,
    /// Padding token id (`<pad>`).
    #[serde(default = "default_pad")]
    pub pad_token_id: i64,
    /// Beginning-of-sequence token id (`<s>`).
    #[serde(default = "default_bos")]
    pub bos_token_id: i64,
    /// End-of-sequence token id (`</s>`).
    #[serde(default = "default_eos")]
    pub eos_token_id: i64,
    /// Token forced first in generation.
    #[serde(default)]
    pub forced_bos_token_id: Option<i64>,
    /// Token forced last at the maximum generation length.
    #[serde(default)]
    pub forced_eos_token_id: Option<i64>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Class labels of classification heads.
    #[serde(default)]
    pub id2label: Option<HashMap<i64, String>>,
    /// Inverse of `id2label`.
    #[serde(default)]
    pub label2id: Option<HashMap<String, i64>>,
}

impl Config for XLNetConfig {
    fn initializer_std(&self) -> f64 {
        f64::from(self.initializer_range)
    }

    fn validate(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("XLNet")
            .positive("vocab_size", self.vocab_size)
            .positive("d_model", self.d_model)
            .positive("d_inner", self.d_inner)
            .positive("n_head", self.n_head)
            .divides("n_head", self.n_head, "d_model", self.d_model)
            .non_negative("n_layer", self.n_layer)
            .finite("layer_norm_eps", self.layer_norm_eps.unwrap_or(1e-12))
            .probability("dropout", self.dropout)
            .finish()?;
        self.check()
    }
}

impl Default for XLNetConfig {
    fn default() -> Self {
        Self {
            vocab_size: default_vocab(),
            d_model: default_d_model(),
            n_layer: default_n_layer(),
            n_head: default_n_head(),
            d_inner: default_d_inner(),
            d_head: 64,
            ff_activation: default_act(),
            attn_type: default_attn_type(),
            untie_r: true,
            initializer_range: 0.02,
            use_cache: None,
            chunk_size_feed_forward: None,
            layer_norm_eps: None,
            dropout: default_dropout(),
            mem_len: default_mem_len(),
            reuse_len: None,
            use_mems_eval: true,
            use_mems_train: false,
            bi_data: false,
            clamp_len: default_clamp_len(),
            same_length: false,
            summary_type: None,
            summary_use_proj: None,
            summary_activation: None,
            summary_proj_to_labels: None,
            summary_first_dropout: None,
            summary_last_dropout: None,
            start_n_top: None,
            end_n_top: None,
            pad_token_id: default_pad(),
            bos_token_id: default_bos(),
            eos_token_id: default_eos(),
            forced_bos_token_id: None,
            forced_eos_token_id: None,
            output_attentions: None,
            output_hidden_states: None,
            id2label: None,
            label2id: None,
        }
    }
}

impl XLNetConfig {
    /// The width of one head.
    pub fn d_head(&self) -> i64 {
        if self.d_head > 0 {
            self.d_head
        } else {
            self.d_model / self.n_head.max(1)
        }
    }

    /// The LayerNorm epsilon of the config, or HF's default.
    pub fn layer_norm_eps(&self) -> f64 {
        self.layer_norm_eps.unwrap_or(1e-12)
    }

    pub(crate) fn num_labels(&self) -> Result<i64, RustBertError> {
        crate::common::config::num_labels(self.id2label.as_ref())
    }

    /// The summary settings with HF's XLNet defaults (`last`, projection, tanh, dropout 0.1).
    fn summary(&self, num_labels: Option<i64>) -> SummaryConfig {
        SummaryConfig {
            summary_type: Some(self.summary_type.unwrap_or(SummaryType::last)),
            summary_use_proj: Some(self.summary_use_proj.unwrap_or(true)),
            summary_activation: self.summary_activation.or(Some(Activation::tanh)),
            summary_proj_to_labels: self.summary_proj_to_labels,
            summary_first_dropout: self.summary_first_dropout,
            summary_last_dropout: Some(self.summary_last_dropout.unwrap_or(0.1)),
            hidden_size: self.d_model,
            num_labels,
        }
    }

    /// Why the model cannot be built from this configuration, if it cannot.
    fn check(&self) -> Result<(), RustBertError> {
        if self.n_head < 1 || self.d_model % self.n_head != 0 {
            return Err(RustBertError::InvalidConfigurationError(format!(
                "d_model = {} is not a multiple of n_head = {} in the XLNet configuration",
                self.d_model, self.n_head
            )));
        }
        if self.d_head() != self.d_model / self.n_head {
            return Err(RustBertError::InvalidConfigurationError(format!(
                "d_head = {} should be d_model / n_head = {} in the XLNet configuration",
                self.d_head(),
                self.d_model / self.n_head
            )));
        }
        Ok(())
    }
}

/// Per-layer memory of XLNet (rust-bert's name): the engine's cache layout.
pub use crate::generation::MemoryState as LayerState;

/// Output of [`XLNetModel`].
#[derive(Debug)]
pub struct XLNetModelOutput {
    /// Last hidden states `[batch, seq, d_model]` (the query stream `[batch, num_predict,
    /// d_model]` when a target mapping is given).
    pub hidden_state: Tensor,
    /// Memory for the next call, one state per layer (when the configuration asks for it).
    pub next_cache: Option<Vec<Option<LayerState>>>,
    /// Per layer input and the final output: the content stream and, with a target mapping,
    /// the query stream.
    pub all_hidden_states: Option<Vec<(Tensor, Option<Tensor>)>>,
    /// Per layer attention probabilities `[batch, heads, seq, memory + seq]` of the content
    /// stream and, with a target mapping, of the query stream.
    pub all_attentions: Option<Vec<(Tensor, Option<Tensor>)>>,
}

/// XLNet (variables `word_embedding`, `mask_emb`, `layer.{i}`): a stack of two-stream
/// relative-attention layers with segment encodings and a recurrence memory.
#[derive(Debug)]
pub struct XLNetModel {
    word_embedding: nn::Embedding,
    mask_emb: Tensor,
    layers: Vec<XLNetLayer>,
    dropout: Dropout,
    config: XLNetConfig,
    output_attentions: bool,
    output_hidden_states: bool,
}

/// The masks of one forward pass, `[1 | batch, 1, query, key]` floats (1 = hidden).
struct Masks {
    content: Option<Tensor>,
    query: Option<Tensor>,
}

impl XLNetModel {
    /// Builds the model under `p` (a configuration whose sizes do not fit together is
    /// reported by `forward_t`; this constructor keeps rust-bert's signature).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &XLNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let word_embedding = nn::embedding(
            p / "word_embedding",
            config.vocab_size,
            config.d_model,
            embedding_config(),
        );
        let mask_emb = p.var("mask_emb", &[1, 1, config.d_model], Init::Const(0.0));
        let layers = (0..config.n_layer.max(0))
            .map(|i| XLNetLayer::new(p / "layer" / i, config))
            .collect();
        Self {
            word_embedding,
            mask_emb,
            layers,
            dropout: Dropout::new(config.dropout),
            config: config.clone(),
            output_attentions: config.output_attentions.unwrap_or(false),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
        }
    }

    /// The word embedding table `[vocab, d_model]`.
    pub fn word_embeddings(&self) -> &Tensor {
        &self.word_embedding.ws
    }

    /// Runs XLNet.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, d_model]` (one of them).
    /// * `attention_mask` `[batch, seq]`, 1 on tokens and 0 on padding.
    /// * `old_layer_states`: the memory returned by an earlier call (one state per layer);
    ///   the tokens it holds are seen by every new token.
    /// * `perm_mask` `[batch, seq, seq]`: 1 where token `i` must not see token `j`.
    /// * `target_mapping` `[batch, num_predict, seq]`: one-hot rows of the positions to
    ///   predict; the output is then the query stream, one vector per prediction.
    /// * `token_type_ids` `[batch, seq]`: segments (only same / different matters).
    ///
    /// # Errors
    /// Inputs of the wrong shape, ids outside the vocabulary, a memory of another depth or
    /// batch.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        perm_mask: Option<&Tensor>,
        target_mapping: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<XLNetModelOutput, RustBertError> {
        self.config.check()?;
        let word = match (input_ids, input_embeds) {
            (Some(ids), None) => {
                batch_and_length(ids, "XLNet input_ids")?;
                lookup(&self.word_embedding.ws, ids, "XLNet input_ids")?
            }
            (None, Some(embeds)) => match embeds.size().as_slice() {
                [_, l, d] if *l > 0 && *d == self.config.d_model => embeds.shallow_clone(),
                other => {
                    return Err(RustBertError::ValueError(format!(
                        "input_embeds must be [batch, seq > 0, {}], got {other:?}",
                        self.config.d_model
                    )))
                }
            },
            (Some(_), Some(_)) => {
                return Err(RustBertError::ValueError(
                    "give input_ids or input_embeds, not both".into(),
                ))
            }
            (None, None) => {
                return Err(RustBertError::ValueError(
                    "give input_ids or input_embeds".into(),
                ))
            }
        };
        let (batch, qlen) = (word.size()[0], word.size()[1]);
        let kind = word.kind();
        let device = word.device();
        let memory = self.memory(old_layer_states, batch)?;
        let mlen = memory
            .first()
            .and_then(|m| m.as_ref())
            .map_or(0, |m| m.size()[1]);
        let klen = mlen + qlen;
        for (mask, what) in [
            (attention_mask, "attention_mask"),
            (token_type_ids, "token_type_ids"),
        ] {
            if let Some(mask) = mask {
                expect_size(mask, &[batch, qlen], what)?;
            }
        }
        let masks = self.masks(attention_mask, perm_mask, batch, qlen, mlen, kind, device)?;
        let other_segment = token_type_ids.map(|types| {
            let keys = if mlen > 0 {
                Tensor::cat(
                    &[
                        Tensor::zeros([batch, mlen], (types.kind(), device)),
                        types.shallow_clone(),
                    ],
                    1,
                )
            } else {
                types.shallow_clone()
            };
            types
                .unsqueeze(2)
                .ne_tensor(&keys.unsqueeze(1))
                .unsqueeze(1)
        });
        let target_mapping = match target_mapping {
            Some(mapping) => match mapping.size().as_slice() {
                [b, _, l] if *b == batch && *l == qlen => Some(mapping.to_kind(kind)),
                other => {
                    return Err(RustBertError::ValueError(format!(
                        "target_mapping must be [batch = {batch}, num_predict, seq = {qlen}], \
                         got {other:?}"
                    )))
                }
            },
            None => None,
        };
        let positions = self
            .dropout
            .forward_t(&self.positional_encoding(qlen, klen, batch, device), train)
            .to_kind(kind);

        let mut h = self.dropout.forward_t(&word, train);
        let mut g = target_mapping.as_ref().map(|mapping| {
            let predictions = mapping.size()[1];
            self.dropout.forward_t(
                &self
                    .mask_emb
                    .expand([batch, predictions, self.config.d_model], false),
                train,
            )
        });
        let context = AttentionContext {
            positions: &positions,
            other_segment: other_segment.as_ref(),
            mask_h: masks.content.as_ref(),
            mask_g: masks.query.as_ref(),
            target_mapping: target_mapping.as_ref(),
        };
        let use_mems = if train {
            self.config.use_mems_train
        } else {
            self.config.use_mems_eval
        };
        let mut next_cache = use_mems.then(Vec::new);
        let mut all_hidden_states = self.output_hidden_states.then(Vec::new);
        let mut all_attentions = self.output_attentions.then(Vec::new);
        for (layer, memory) in self.layers.iter().zip(&memory) {
            if let Some(cache) = next_cache.as_mut() {
                cache.push(Some(self.cache_memory(&h, memory.as_ref())));
            }
            if let Some(states) = all_hidden_states.as_mut() {
                states.push((h.shallow_clone(), g.as_ref().map(Tensor::shallow_clone)));
            }
            let (new_h, new_g, attention_h, attention_g) =
                layer.forward_t(&h, g.as_ref(), memory.as_ref(), &context, train);
            if let Some(attentions) = all_attentions.as_mut() {
                attentions.push((attention_h, attention_g));
            }
            h = new_h;
            g = new_g;
        }
        if let Some(states) = all_hidden_states.as_mut() {
            states.push((h.shallow_clone(), g.as_ref().map(Tensor::shallow_clone)));
        }
        let output = self.dropout.forward_t(g.as_ref().unwrap_or(&h), train);
        Ok(XLNetModelOutput {
            hidden_state: output,
            next_cache,
            all_hidden_states,
            all_attentions,
        })
    }

    /// The memory of each layer, batch-first `[batch, mlen, d_model]` (none without a cache).
    fn memory(
        &self,
        states: Option<Vec<Option<LayerState>>>,
        batch: i64,
    ) -> Result<Vec<Option<Tensor>>, RustBertError> {
        let layers = self.layers.len();
        let Some(states) = states else {
            return Ok((0..layers).map(|_| None).collect());
        };
        if states.len() != layers {
            return Err(RustBertError::ValueError(format!(
                "the XLNet memory has {} layers; the model has {layers}",
                states.len()
            )));
        }
        let mut length = None;
        states
            .into_iter()
            .map(|state| {
                let Some(state) = state else {
                    return Ok(None);
                };
                match state.prev_content.size().as_slice() {
                    [m, b, d]
                        if *b == batch
                            && *d == self.config.d_model
                            && *length.get_or_insert(*m) == *m =>
                    {
                        Ok(Some(state.prev_content.transpose(0, 1)))
                    }
                    other => Err(RustBertError::ValueError(format!(
                        "an XLNet memory state has shape {other:?}; expected [length, batch = \
                         {batch}, {}] with the same length in every layer",
                        self.config.d_model
                    ))),
                }
            })
            .collect()
    }

    /// The memory a layer passes on: its input appended to its memory, cut to the last
    /// `mem_len` states (HF's `cache_mem`), in HF's `[length, batch, d_model]` layout.
    fn cache_memory(&self, h: &Tensor, memory: Option<&Tensor>) -> LayerState {
        let current = match self.config.reuse_len.filter(|&r| r > 0) {
            Some(reuse) => h.narrow(1, 0, reuse.min(h.size()[1])),
            None => h.shallow_clone(),
        };
        let all = match memory {
            Some(memory) => Tensor::cat(&[memory, &current], 1),
            None => current,
        };
        let length = all.size()[1];
        let kept = match self.config.mem_len.filter(|&m| m > 0) {
            Some(mem_len) if mem_len < length => all.narrow(1, length - mem_len, mem_len),
            _ => all,
        };
        LayerState {
            prev_content: kept.detach().transpose(0, 1),
        }
    }

    /// Content- and query-stream masks from the causal pattern (`uni`), the padding and the
    /// permutation mask, as HF combines them.
    #[allow(clippy::too_many_arguments)]
    fn masks(
        &self,
        attention_mask: Option<&Tensor>,
        perm_mask: Option<&Tensor>,
        batch: i64,
        qlen: i64,
        mlen: i64,
        kind: Kind,
        device: Device,
    ) -> Result<Masks, RustBertError> {
        let klen = qlen + mlen;
        let mut mask: Option<Tensor> = None;
        if self.config.attn_type == AttentionType::uni {
            mask = Some(
                self.causal_mask(qlen, mlen, device)
                    .view([1, 1, qlen, klen]),
            );
        }
        let with_memory = |m: Tensor| -> Tensor {
            if mlen > 0 {
                let size = m.size();
                let zeros = Tensor::zeros([size[0], size[1], size[2], mlen], (Kind::Float, device));
                Tensor::cat(&[zeros, m], 3)
            } else {
                m
            }
        };
        let padding =
            attention_mask.map(|m| (m.to_kind(Kind::Float).neg() + 1.0).view([batch, 1, 1, qlen]));
        let permutation = match perm_mask {
            Some(p) => {
                expect_size(p, &[batch, qlen, qlen], "perm_mask")?;
                Some(p.to_kind(Kind::Float).view([batch, 1, qlen, qlen]))
            }
            None => None,
        };
        let data = match (padding, permutation) {
            (Some(a), Some(b)) => Some(a + b),
            (Some(a), None) => Some(a),
            (None, Some(b)) => Some(b),
            (None, None) => None,
        };
        if let Some(data) = data {
            let data = with_memory(data);
            mask = Some(match mask {
                Some(causal) => causal + data,
                None => data,
            });
        }
        let Some(mask) = mask else {
            return Ok(Masks {
                content: None,
                query: None,
            });
        };
        let query = mask.gt(0.0).to_kind(Kind::Float);
        // The content stream sees its own token even where the data mask hides it.
        let mut own = -Tensor::eye(qlen, (Kind::Float, device));
        if mlen > 0 {
            own = Tensor::cat(
                &[Tensor::zeros([qlen, mlen], (Kind::Float, device)), own],
                1,
            );
        }
        let content = (&query + own.view([1, 1, qlen, klen]))
            .gt(0.0)
            .to_kind(kind);
        Ok(Masks {
            content: Some(content),
            query: Some(query.to_kind(kind)),
        })
    }

    /// HF's `create_mask`: 1 where query `i` may not see key `j` (`[qlen, mlen + qlen]`).
    fn causal_mask(&self, qlen: i64, mlen: i64, device: Device) -> Tensor {
        let ones = Tensor::ones([qlen, qlen + mlen], (Kind::Float, device));
        let upper = ones.triu(mlen + 1);
        if self.config.same_length {
            let lower = ones.narrow(1, 0, qlen).tril(-1);
            let left = upper.narrow(1, 0, qlen) + lower;
            Tensor::cat(&[left, upper.narrow(1, qlen, mlen)], 1)
        } else {
            upper
        }
    }

    /// Sinusoidal encodings of the relative distances from `klen` down to `-qlen` (`bi`) or
    /// 0 (`uni`), `[1, positions, d_model]` (`[batch, ...]` with `bi_data`).
    fn positional_encoding(&self, qlen: i64, klen: i64, batch: i64, device: Device) -> Tensor {
        let d_model = self.config.d_model;
        let freq =
            Tensor::arange_start_step(0, d_model, 2, (Kind::Int64, device)).to_kind(Kind::Float);
        let inv_freq = Tensor::from(10000.0f32)
            .to_device(device)
            .pow(&(freq / d_model as f64))
            .reciprocal();
        let end = match self.config.attn_type {
            AttentionType::bi => -qlen,
            AttentionType::uni => -1,
        };
        let clamp = |seq: Tensor| -> Tensor {
            match self.config.clamp_len.filter(|&c| c > 0) {
                Some(c) => seq.clamp(-(c as f64), c as f64),
                None => seq,
            }
        };
        let encode = |seq: &Tensor| -> Tensor {
            let sinusoid = seq.unsqueeze(1) * inv_freq.unsqueeze(0);
            Tensor::cat(&[sinusoid.sin(), sinusoid.cos()], -1).unsqueeze(0)
        };
        let forward = clamp(
            Tensor::arange_start_step(klen, end, -1, (Kind::Int64, device)).to_kind(Kind::Float),
        );
        if self.config.bi_data {
            let backward = clamp(
                Tensor::arange_start_step(-klen, -end, 1, (Kind::Int64, device))
                    .to_kind(Kind::Float),
            );
            let half = batch / 2;
            let f = encode(&forward);
            let b = encode(&backward);
            let positions = f.size()[1];
            Tensor::cat(
                &[
                    f.expand([half, positions, d_model], false),
                    b.expand([batch - half, positions, d_model], false),
                ],
                0,
            )
        } else {
            encode(&forward)
        }
    }
}

/// Checks that an input has exactly the shape `expected`.
fn expect_size(tensor: &Tensor, expected: &[i64], what: &str) -> Result<(), RustBertError> {
    let size = tensor.size();
    if size == expected {
        Ok(())
    } else {
        Err(RustBertError::ValueError(format!(
            "XLNet {what} has shape {size:?}; expected {expected:?}"
        )))
    }
}

/// XLNet with its language-model head (`transformer`, `lm_loss`; the head's weight is tied
/// to the word embeddings in HF checkpoints).
#[derive(Debug)]
pub struct XLNetLMHeadModel {
    transformer: XLNetModel,
    lm_loss: nn::Linear,
}

impl XLNetLMHeadModel {
    /// Builds the model under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &XLNetConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            transformer: XLNetModel::new(p / "transformer", config),
            lm_loss: linear(p / "lm_loss", config.d_model, config.vocab_size),
        }
    }

    /// The underlying XLNet.
    pub fn base_model(&self) -> &XLNetModel {
        &self.transformer
    }

    /// Vocabulary logits `[batch, seq | num_predict, vocab]` and the memory (as
    /// `Cache::XLNetCache`); arguments as [`XLNetModel::forward_t`].
    ///
    /// # Errors
    /// As [`XLNetModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        perm_mask: Option<&Tensor>,
        target_mapping: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<LMModelOutput, RustBertError> {
        let output = self.transformer.forward_t(
            input_ids,
            attention_mask,
            old_layer_states,
            perm_mask,
            target_mapping,
            token_type_ids,
            input_embeds,
            train,
        )?;
        Ok(LMModelOutput {
            lm_logits: output.hidden_state.apply(&self.lm_loss),
            cache: Cache::XLNetCache(output.next_cache),
        })
    }
}

/// Output of [`XLNetForSequenceClassification`] and [`XLNetForMultipleChoice`].
#[derive(Debug)]
pub struct XLNetSequenceClassificationOutput {
    /// Class logits `[batch, num_labels]` (`[batch, num_choices]` for multiple choice).
    pub logits: Tensor,
    /// Memory for the next call.
    pub next_cache: Option<Vec<Option<LayerState>>>,
    /// As [`XLNetModelOutput::all_hidden_states`].
    pub all_hidden_states: Option<Vec<(Tensor, Option<Tensor>)>>,
    /// As [`XLNetModelOutput::all_attentions`].
    pub all_attentions: Option<Vec<(Tensor, Option<Tensor>)>>,
}

/// Output of [`XLNetForTokenClassification`].
#[derive(Debug)]
pub struct XLNetTokenClassificationOutput {
    /// Label logits per token `[batch, seq, num_labels]`.
    pub logits: Tensor,
    /// Memory for the next call.
    pub next_cache: Option<Vec<Option<LayerState>>>,
    /// As [`XLNetModelOutput::all_hidden_states`].
    pub all_hidden_states: Option<Vec<(Tensor, Option<Tensor>)>>,
    /// As [`XLNetModelOutput::all_attentions`].
    pub all_attentions: Option<Vec<(Tensor, Option<Tensor>)>>,
}

/// Output of [`XLNetForQuestionAnswering`].
#[derive(Debug)]
pub struct XLNetQuestionAnsweringOutput {
    /// Span start logits `[batch, seq]`.
    pub start_logits: Tensor,
    /// Span end logits `[batch, seq]`.
    pub end_logits: Tensor,
    /// Memory for the next call.
    pub next_cache: Option<Vec<Option<LayerState>>>,
    /// As [`XLNetModelOutput::all_hidden_states`].
    pub all_hidden_states: Option<Vec<(Tensor, Option<Tensor>)>>,
    /// As [`XLNetModelOutput::all_attentions`].
    pub all_attentions: Option<Vec<(Tensor, Option<Tensor>)>>,
}

/// XLNet classifying sequences from the summary of their last token (`transformer`,
/// `sequence_summary`, `logits_proj`).
#[derive(Debug)]
pub struct XLNetForSequenceClassification {
    transformer: XLNetModel,
    sequence_summary: SequenceSummary,
    logits_proj: nn::Linear,
}

impl XLNetForSequenceClassification {
    /// Builds the model; errors when the configuration has no `id2label` or an unusable
    /// summary type.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &XLNetConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            transformer: XLNetModel::new(p / "transformer", config),
            sequence_summary: SequenceSummary::new(
                p / "sequence_summary",
                &config.summary(Some(num_labels)),
            )?,
            logits_proj: linear(p / "logits_proj", config.d_model, num_labels),
        })
    }

    /// Class logits per sequence (arguments as [`XLNetModel::forward_t`]).
    ///
    /// # Errors
    /// As [`XLNetModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        perm_mask: Option<&Tensor>,
        target_mapping: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<XLNetSequenceClassificationOutput, RustBertError> {
        let output = self.transformer.forward_t(
            input_ids,
            attention_mask,
            old_layer_states,
            perm_mask,
            target_mapping,
            token_type_ids,
            input_embeds,
            train,
        )?;
        let summary = self
            .sequence_summary
            .forward_t(&output.hidden_state, None, train)?;
        Ok(XLNetSequenceClassificationOutput {
            logits: summary.apply(&self.logits_proj),
            next_cache: output.next_cache,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            old_layer_states: Option<Vec<Option<LayerState>>>,
            perm_mask: Option<&Tensor>,
            target_mapping: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> XLNetSequenceClassificationOutput = try_forward_t
    }
}

/// XLNet labelling each token (`transformer`, `classifier`).
#[derive(Debug)]
pub struct XLNetForTokenClassification {
    transformer: XLNetModel,
    classifier: nn::Linear,
}

impl XLNetForTokenClassification {
    /// Builds the model; errors when the configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &XLNetConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            transformer: XLNetModel::new(p / "transformer", config),
            classifier: linear(p / "classifier", config.d_model, num_labels),
        })
    }

    /// Label logits per token (arguments as [`XLNetModel::forward_t`]).
    ///
    /// # Errors
    /// As [`XLNetModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        perm_mask: Option<&Tensor>,
        target_mapping: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<XLNetTokenClassificationOutput, RustBertError> {
        let output = self.transformer.forward_t(
            input_ids,
            attention_mask,
            old_layer_states,
            perm_mask,
            target_mapping,
            token_type_ids,
            input_embeds,
            train,
        )?;
        Ok(XLNetTokenClassificationOutput {
            logits: output.hidden_state.apply(&self.classifier),
            next_cache: output.next_cache,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            old_layer_states: Option<Vec<Option<LayerState>>>,
            perm_mask: Option<&Tensor>,
            target_mapping: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> XLNetTokenClassificationOutput = try_forward_t
    }
}

/// XLNet scoring each choice of a multiple-choice question (`transformer`,
/// `sequence_summary`, `logits_proj`).
#[derive(Debug)]
pub struct XLNetForMultipleChoice {
    transformer: XLNetModel,
    sequence_summary: SequenceSummary,
    logits_proj: nn::Linear,
}

impl XLNetForMultipleChoice {
    /// Builds the model; errors for an unusable summary type.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &XLNetConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            transformer: XLNetModel::new(p / "transformer", config),
            sequence_summary: SequenceSummary::new(p / "sequence_summary", &config.summary(None))?,
            logits_proj: linear(p / "logits_proj", config.d_model, 1),
        })
    }

    /// Choice logits `[batch, num_choices]` for inputs `[batch, num_choices, seq]` (masks and
    /// token types of the same shape, embeddings `[batch, num_choices, seq, d_model]`).
    ///
    /// # Errors
    /// Inputs of the wrong rank, and as [`XLNetModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        perm_mask: Option<&Tensor>,
        target_mapping: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<XLNetSequenceClassificationOutput, RustBertError> {
        let choices = match (input_ids, input_embeds) {
            (Some(ids), _) => ids.size().get(1).copied(),
            (None, Some(embeds)) => embeds.size().get(1).copied(),
            (None, None) => None,
        }
        .ok_or_else(|| {
            RustBertError::ValueError(
                "multiple choice needs input_ids or input_embeds [batch, num_choices, ...]".into(),
            )
        })?;
        let flat = |t: Option<&Tensor>, dims: usize, what: &str| {
            t.map(|t| flatten_choices(t, dims, what)).transpose()
        };
        let ids = flat(input_ids, 3, "input_ids")?;
        let mask = flat(attention_mask, 3, "attention_mask")?;
        let types = flat(token_type_ids, 3, "token_type_ids")?;
        let embeds = flat(input_embeds, 4, "input_embeds")?;
        let output = self.transformer.forward_t(
            ids.as_ref(),
            mask.as_ref(),
            old_layer_states,
            perm_mask,
            target_mapping,
            types.as_ref(),
            embeds.as_ref(),
            train,
        )?;
        let summary = self
            .sequence_summary
            .forward_t(&output.hidden_state, None, train)?;
        Ok(XLNetSequenceClassificationOutput {
            logits: summary.apply(&self.logits_proj).view([-1, choices]),
            next_cache: output.next_cache,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            old_layer_states: Option<Vec<Option<LayerState>>>,
            perm_mask: Option<&Tensor>,
            target_mapping: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> XLNetSequenceClassificationOutput = try_forward_t
    }
}

/// XLNet extracting answer spans (`transformer`, `qa_outputs`): the simple span head of HF's
/// `XLNetForQuestionAnsweringSimple`, as rust-bert's `XLNetForQuestionAnswering`.
#[derive(Debug)]
pub struct XLNetForQuestionAnswering {
    transformer: XLNetModel,
    qa_outputs: nn::Linear,
}

impl XLNetForQuestionAnswering {
    /// Builds the model under `p`. Fallible only to keep rust-bert 0.23's signature (its QA head
    /// read the configuration's labels); it never fails.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &XLNetConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            transformer: XLNetModel::new(p / "transformer", config),
            qa_outputs: linear(p / "qa_outputs", config.d_model, 2),
        })
    }

    /// Start and end logits per token (arguments as [`XLNetModel::forward_t`]).
    ///
    /// # Errors
    /// As [`XLNetModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        old_layer_states: Option<Vec<Option<LayerState>>>,
        perm_mask: Option<&Tensor>,
        target_mapping: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<XLNetQuestionAnsweringOutput, RustBertError> {
        let output = self.transformer.forward_t(
            input_ids,
            attention_mask,
            old_layer_states,
            perm_mask,
            target_mapping,
            token_type_ids,
            input_embeds,
            train,
        )?;
        let logits = output.hidden_state.apply(&self.qa_outputs);
        let (start, end) = (logits.select(-1, 0), logits.select(-1, 1));
        Ok(XLNetQuestionAnsweringOutput {
            start_logits: start.contiguous(),
            end_logits: end.contiguous(),
            next_cache: output.next_cache,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            old_layer_states: Option<Vec<Option<LayerState>>>,
            perm_mask: Option<&Tensor>,
            target_mapping: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> XLNetQuestionAnsweringOutput = try_forward_t
    }
}
