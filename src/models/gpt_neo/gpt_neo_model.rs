use crate::common::activations::Activation;
use crate::common::config::{read_config_file, validated, ConfigChecks};
use crate::common::layers::embeddings::{ids_or_embeds, lookup};
use crate::common::layers::linear::{embedding_config, project};
use crate::common::layers::{
    causal_attention_bias, sliding_window_bias, try_run_layer_stack, Dropout,
};
use crate::generation::{cached_length, Cache, KeyValueState, LMModelOutput};
use crate::gpt2::{check_2d, position_embeddings};
use crate::gpt_neo::attention::{GptNeoBlock, LayerConfig};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::path::Path;
use tch::nn::{self, Module};
use tch::Tensor;

/// Pretrained GPT-Neo weights on the hub, as `(cache subdirectory, URL)`.
pub struct GptNeoModelResources;
/// Pretrained GPT-Neo configurations on the hub, as `(cache subdirectory, URL)`.
pub struct GptNeoConfigResources;
/// Pretrained GPT-Neo vocabularies (`vocab.json`, GPT-2's) on the hub.
pub struct GptNeoVocabResources;
/// Pretrained GPT-Neo BPE merges (`merges.txt`, GPT-2's) on the hub.
pub struct GptNeoMergesResources;

macro_rules! gpt_neo_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// EleutherAI/gpt-neo-125M (Apache-2.0, EleutherAI).
            pub const GPT_NEO_125M: (&'static str, &'static str) = (
                concat!("gpt-neo-125M/", $suffix),
                concat!(
                    "https://huggingface.co/EleutherAI/gpt-neo-125M/resolve/main/",
                    $file
                ),
            );
            /// EleutherAI/gpt-neo-1.3B (Apache-2.0, EleutherAI).
            pub const GPT_NEO_1_3B: (&'static str, &'static str) = (
                concat!("gpt-neo-1_3B/", $suffix),
                concat!(
                    "https://huggingface.co/EleutherAI/gpt-neo-1.3B/resolve/main/",
                    $file
                ),
            );
            /// EleutherAI/gpt-neo-2.7B (Apache-2.0, EleutherAI).
            pub const GPT_NEO_2_7B: (&'static str, &'static str) = (
                concat!("gpt-neo-2_7B/", $suffix),
                concat!(
                    "https://huggingface.co/EleutherAI/gpt-neo-2.7B/resolve/main/",
                    $file
                ),
            );
        }
    };
}
gpt_neo_resources!(GptNeoModelResources, "rust_model.ot", "model");
gpt_neo_resources!(GptNeoConfigResources, "config.json", "config");
gpt_neo_resources!(GptNeoVocabResources, "vocab.json", "vocab");
gpt_neo_resources!(GptNeoMergesResources, "merges.txt", "merges");

/// The attention of a GPT-Neo layer (`"global"` or `"local"` in `config.json`).
#[derive(Debug, Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum AttentionLayerType {
    /// Causal attention over every earlier token.
    Global,
    /// Causal attention over the last `window_size` tokens.
    Local,
}

fn default_activation() -> Activation {
    Activation::gelu_new
}
fn default_attention_types() -> Vec<(Vec<AttentionLayerType>, i64)> {
    vec![(
        vec![AttentionLayerType::Global, AttentionLayerType::Local],
        12,
    )]
}
fn default_special_token() -> i64 {
    50256
}
fn default_vocab() -> i64 {
    50257
}
fn default_layers() -> i64 {
    24
}
fn default_heads() -> i64 {
    16
}
fn default_width() -> i64 {
    2048
}
fn default_window() -> i64 {
    256
}
fn default_init() -> f64 {
    0.02
}
fn default_eps() -> f64 {
    1e-5
}

/// GPT-Neo configuration; deserializes an HF `config.json` (keys HF may omit take the defaults
/// of HF's `GPTNeoConfig`, i.e. GPT-Neo 1.3B's sizes).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct GptNeoConfig {
    /// MLP activation (default `gelu_new`).
    #[serde(default = "default_activation")]
    pub activation_function: Activation,
    /// Dropout on attention probabilities.
    #[serde(default)]
    pub attention_dropout: f64,
    /// The attention type of every layer; HF writes it, and when absent (or empty) it is
    /// expanded from `attention_types` by [`Config::try_from_file`].
    #[serde(default)]
    pub attention_layers: Vec<AttentionLayerType>,
    /// Attention pattern as `[[types, repeats], ...]`: `[[["global", "local"], 12]]` is 24 layers
    /// alternating global and local attention.
    #[serde(default = "default_attention_types")]
    pub attention_types: Vec<(Vec<AttentionLayerType>, i64)>,
    /// Inner size of the MLP (HF: `null` means `4 * hidden_size`).
    #[serde(default)]
    pub intermediate_size: Option<i64>,
    /// Beginning-of-sequence token (`<|endoftext|>`).
    #[serde(default = "default_special_token")]
    pub bos_token_id: i64,
    /// End-of-sequence token (`<|endoftext|>`).
    #[serde(default = "default_special_token")]
    pub eos_token_id: i64,
    /// Token forced first (generation).
    #[serde(default)]
    pub forced_bos_token_id: Option<i64>,
    /// Token forced last (generation).
    #[serde(default)]
    pub forced_eos_token_id: Option<i64>,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Number of layers.
    #[serde(default = "default_layers")]
    pub num_layers: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads")]
    pub num_heads: i64,
    /// Hidden size.
    #[serde(default = "default_width")]
    pub hidden_size: i64,
    /// Tokens a local layer attends to (the query's own included).
    #[serde(default = "default_window")]
    pub window_size: i64,
    /// Dropout on the embeddings.
    #[serde(default)]
    pub embed_dropout: f64,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_init")]
    pub initializer_range: f64,
    /// LayerNorm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f64,
    /// Number of learned positions: the longest input, cache included.
    #[serde(default = "default_width")]
    pub max_position_embeddings: i64,
    /// Return the key/value cache (default true).
    #[serde(default)]
    pub output_past: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Dropout on the attention and MLP outputs.
    #[serde(default)]
    pub resid_dropout: f64,
    /// Unused by this decoder-only model (kept from rust-bert's configuration).
    #[serde(default)]
    pub decoder_start_token_id: Option<i64>,
}

impl Default for GptNeoConfig {
    /// HF's `GPTNeoConfig()` (GPT-Neo 1.3B's sizes).
    fn default() -> Self {
        let types = default_attention_types();
        Self {
            activation_function: default_activation(),
            attention_dropout: 0.0,
            attention_layers: expand_attention_types(&types),
            attention_types: types,
            intermediate_size: None,
            bos_token_id: 50256,
            eos_token_id: 50256,
            forced_bos_token_id: None,
            forced_eos_token_id: None,
            vocab_size: 50257,
            num_layers: 24,
            num_heads: 16,
            hidden_size: 2048,
            window_size: 256,
            embed_dropout: 0.0,
            initializer_range: 0.02,
            layer_norm_epsilon: 1e-5,
            max_position_embeddings: 2048,
            output_past: None,
            output_attentions: None,
            output_hidden_states: None,
            resid_dropout: 0.0,
            decoder_start_token_id: None,
        }
    }
}

/// `[[types, repeats], ...]` -> one type per layer (HF's `expand_attention_types_params`).
fn expand_attention_types(types: &[(Vec<AttentionLayerType>, i64)]) -> Vec<AttentionLayerType> {
    types
        .iter()
        .flat_map(|(pattern, repeats)| {
            std::iter::repeat_n(pattern.as_slice(), (*repeats).max(0) as usize).flatten()
        })
        .copied()
        .collect()
}

impl GptNeoConfig {
    /// The attention type of every layer: `attention_layers`, or when empty its expansion
    /// from `attention_types`.
    fn layer_types(&self) -> Vec<AttentionLayerType> {
        if self.attention_layers.is_empty() {
            expand_attention_types(&self.attention_types)
        } else {
            self.attention_layers.clone()
        }
    }
}

impl Config for GptNeoConfig {
    fn initializer_std(&self) -> f64 {
        self.initializer_range
    }

    /// Loads a configuration; without `attention_layers`, they are expanded from
    /// `attention_types`.
    fn try_from_file<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        let mut config: GptNeoConfig = read_config_file(path.as_ref())?;
        config.attention_layers = config.layer_types();
        validated(config, path.as_ref())
    }

    fn validate(&self) -> Result<(), RustBertError> {
        let layers = self.layer_types().len();
        ConfigChecks::new("GPT-Neo")
            .positive("vocab_size", self.vocab_size)
            .positive("hidden_size", self.hidden_size)
            .positive("num_heads", self.num_heads)
            .divides("num_heads", self.num_heads, "hidden_size", self.hidden_size)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .positive("window_size", self.window_size)
            .non_negative("num_layers", self.num_layers)
            .require(layers as i64 == self.num_layers, || {
                format!(
                    "attention_layers (from attention_types) name {layers} layers; num_layers = {}",
                    self.num_layers
                )
            })
            .require(self.intermediate_size.is_none_or(|size| size > 0), || {
                format!(
                    "intermediate_size = {:?}, expected at least 1",
                    self.intermediate_size
                )
            })
            .finite("layer_norm_epsilon", self.layer_norm_epsilon)
            .probability("attention_dropout", self.attention_dropout)
            .probability("embed_dropout", self.embed_dropout)
            .probability("resid_dropout", self.resid_dropout)
            .finish()
    }
}

/// rust-bert's name for a GPT-Neo layer's cache entry: its keys and values.
pub type LayerState = KeyValueState;

/// Output of [`GptNeoModel`].
#[derive(Debug)]
pub struct GptNeoModelOutput {
    /// Last hidden state after the final layer norm `[batch, seq, hidden]`.
    pub hidden_states: Tensor,
    /// Per-layer keys and values of every token so far (when `output_past`, the default).
    pub next_cache: Option<Vec<Option<LayerState>>>,
    /// Embeddings then every layer's output, the last after the final layer norm (HF's
    /// convention), when asked for.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked for.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// Output of [`GptNeoForCausalLM`].
#[derive(Debug)]
pub struct GptNeoModelLMOutput {
    /// Vocabulary logits `[batch, seq, vocab]`.
    pub lm_logits: Tensor,
    /// As [`GptNeoModelOutput::next_cache`].
    pub next_cache: Option<Vec<Option<LayerState>>>,
    /// As [`GptNeoModelOutput::all_hidden_states`].
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// As [`GptNeoModelOutput::all_attentions`].
    pub all_attentions: Option<Vec<Tensor>>,
}

/// GPT-Neo base model (HF `GPTNeoModel`): token (`wte`) and position (`wpe`) embeddings,
/// pre-norm layers `h.{i}` with global or local attention, and a final layer norm `ln_f`.
#[derive(Debug)]
pub struct GptNeoModel {
    pub(crate) wte: nn::Embedding,
    wpe: nn::Embedding,
    drop: Dropout,
    h: Vec<GptNeoBlock>,
    ln_f: nn::LayerNorm,
    window_size: i64,
    num_heads: i64,
    head_dim: i64,
    output_past: bool,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl GptNeoModel {
    /// Builds the model with its variables directly under `p` (HF names: `p` is usually
    /// `transformer`).
    ///
    /// # Errors
    /// A configuration [`Config::validate`] refuses.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &GptNeoConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.validate()?;
        let p = p.borrow();
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_epsilon,
            ..Default::default()
        };
        let h_path = p / "h";
        let h = config
            .layer_types()
            .into_iter()
            .enumerate()
            .map(|(i, attention_type)| {
                let layer = LayerConfig {
                    hidden_size: config.hidden_size,
                    num_heads: config.num_heads,
                    intermediate_size: config.intermediate_size.unwrap_or(4 * config.hidden_size),
                    layer_norm_epsilon: config.layer_norm_epsilon,
                    activation: config.activation_function,
                    attention_dropout: config.attention_dropout,
                    resid_dropout: config.resid_dropout,
                    attention_type,
                };
                GptNeoBlock::new(&h_path / i, &layer)
            })
            .collect();
        Ok(Self {
            wte: nn::embedding(
                p / "wte",
                config.vocab_size,
                config.hidden_size,
                embedding_config(),
            ),
            wpe: nn::embedding(
                p / "wpe",
                config.max_position_embeddings,
                config.hidden_size,
                embedding_config(),
            ),
            drop: Dropout::new(config.embed_dropout),
            h,
            ln_f: nn::layer_norm(p / "ln_f", vec![config.hidden_size], norm),
            window_size: config.window_size,
            num_heads: config.num_heads,
            head_dim: config.hidden_size / config.num_heads,
            output_past: config.output_past.unwrap_or(true),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        })
    }

    /// Runs the model (rust-bert 0.23's argument order).
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, hidden]` (exactly one);
    /// * `token_type_ids` `[batch, seq]`: embedded with the token embeddings, as in HF;
    /// * `position_ids` `[batch, seq]`: default `past..past + seq` (with left padding give
    ///   `cumsum(mask) - 1`);
    /// * `layer_states`: the cache returned by the previous call (`next_cache`);
    /// * `attention_mask` `[batch, past + seq]`: 1 for tokens to attend, 0 for padding.
    ///
    /// Local layers attend to the last `window_size` positions of the sequence (cache
    /// included, padding counted), as HF's do.
    ///
    /// # Errors
    /// Positions beyond `max_position_embeddings`, ids outside the vocabulary, mis-shaped
    /// inputs or cache.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        layer_states: Option<Vec<Option<LayerState>>>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<GptNeoModelOutput, RustBertError> {
        let (embeds, batch, seq) = ids_or_embeds(
            &self.wte.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        let past = match &layer_states {
            Some(states) => cached_length(
                states,
                self.h.len(),
                [batch, self.num_heads, self.head_dim],
                "layer_states",
            )?,
            None => 0,
        };
        let mut hidden =
            embeds + position_embeddings(&self.wpe.ws, position_ids, batch, seq, past)?;
        if let Some(types) = token_type_ids {
            check_2d(types, batch, seq, "token_type_ids")?;
            hidden += lookup(&self.wte.ws, types, "token_type_ids")?;
        }
        let hidden = self.drop.forward_t(&hidden, train);
        let global_bias = causal_attention_bias(
            attention_mask,
            batch,
            seq,
            past,
            hidden.kind(),
            hidden.device(),
        )?;
        let local_bias = self
            .h
            .iter()
            .any(GptNeoBlock::is_local)
            .then(|| sliding_window_bias(&global_bias, self.window_size));
        let states: Vec<Option<LayerState>> = match layer_states {
            Some(states) => states,
            None => (0..self.h.len()).map(|_| None).collect(),
        };
        let mut next_cache = Vec::with_capacity(self.h.len());
        let stack = try_run_layer_stack(
            &hidden,
            self.h.iter().zip(states.iter()),
            self.output_hidden_states,
            self.output_attentions,
            |(layer, state), x| {
                let bias = match &local_bias {
                    Some(local) if layer.is_local() => local,
                    _ => &global_bias,
                };
                let (output, state, probs) =
                    layer.forward_t(x, state.as_ref(), bias, train, self.output_attentions)?;
                next_cache.push(Some(state));
                Ok::<_, RustBertError>((output, probs))
            },
        )?
        .with_final_norm(|x| self.ln_f.forward(x));
        Ok(GptNeoModelOutput {
            hidden_states: stack.hidden_state,
            next_cache: self.output_past.then_some(next_cache),
            all_hidden_states: stack.all_hidden_states,
            all_attentions: stack.all_attentions,
        })
    }
}

/// GPT-Neo with a language-model head whose weights are the token embeddings (`wte`), as in
/// every GPT-Neo checkpoint (HF stores no separate `lm_head.weight`).
#[derive(Debug)]
pub struct GptNeoForCausalLM {
    transformer: GptNeoModel,
}

impl GptNeoForCausalLM {
    /// Builds the model under `p` (variables `transformer.*`).
    ///
    /// # Errors
    /// As [`GptNeoModel::new`].
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &GptNeoConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        Ok(Self {
            transformer: GptNeoModel::new(p.borrow() / "transformer", config)?,
        })
    }

    /// Runs the model (inputs as in [`GptNeoModel::forward_t`]).
    ///
    /// # Errors
    /// As [`GptNeoModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        layer_states: Option<Vec<Option<LayerState>>>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<GptNeoModelLMOutput, RustBertError> {
        self.run(
            (input_ids, input_embeds, token_type_ids),
            position_ids,
            layer_states,
            attention_mask,
            train,
            false,
        )
    }

    /// The forward pass; with `last_only`, logits of the last position only (`[batch, 1,
    /// vocab]`: what a generation step needs, sparing the head's largest product).
    pub(crate) fn run(
        &self,
        (input_ids, input_embeds, token_type_ids): (
            Option<&Tensor>,
            Option<&Tensor>,
            Option<&Tensor>,
        ),
        position_ids: Option<&Tensor>,
        layer_states: Option<Vec<Option<LayerState>>>,
        attention_mask: Option<&Tensor>,
        train: bool,
        last_only: bool,
    ) -> Result<GptNeoModelLMOutput, RustBertError> {
        let output = self.transformer.forward_t(
            input_ids,
            input_embeds,
            token_type_ids,
            position_ids,
            layer_states,
            attention_mask,
            train,
        )?;
        let hidden = if last_only {
            let seq = output.hidden_states.size()[1];
            output.hidden_states.narrow(1, seq - 1, 1)
        } else {
            output.hidden_states
        };
        Ok(GptNeoModelLMOutput {
            lm_logits: project(&hidden, &self.transformer.wte.ws, None),
            next_cache: output.next_cache,
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    /// One generation step as the engine wants it.
    pub(crate) fn step(
        &self,
        input_ids: &Tensor,
        cache: Cache,
        attention_mask: &Tensor,
        position_ids: Option<&Tensor>,
    ) -> Result<LMModelOutput, RustBertError> {
        let layer_states = match cache {
            Cache::GPTNeoCache(states) => states,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "GPT-Neo takes a Cache::GPTNeoCache, not {}",
                    other.variant_name()
                )))
            }
        };
        let output = self.run(
            (Some(input_ids), None, None),
            position_ids,
            layer_states,
            Some(attention_mask),
            false,
            true,
        )?;
        Ok(LMModelOutput {
            lm_logits: output.lm_logits,
            cache: Cache::GPTNeoCache(output.next_cache),
        })
    }
}
