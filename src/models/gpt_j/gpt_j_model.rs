use crate::common::activations::Activation;
use crate::common::config::ConfigChecks;
use crate::common::layers::embeddings::{ids_or_embeds, lookup};
use crate::common::layers::linear::{embedding_config, linear, project_linear};
use crate::common::layers::{causal_attention_bias, try_run_layer_stack, Dropout, RotaryEmbedding};
use crate::common::twin::infallible_new;
use crate::generation::{cached_length, Cache, LMModelOutput, LayerState};
use crate::gpt2::check_2d;
use crate::gpt_j::transformer::{GptJBlock, LayerConfig};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// Pretrained GPT-J weights on the hub, as `(cache subdirectory, URL)` (GPT-J 6B has no
/// `rust_model.ot` there: load its `model.safetensors` or `pytorch_model.bin` through a local
/// or remote resource of your own).
pub struct GptJModelResources;
/// Pretrained GPT-J configurations on the hub, as `(cache subdirectory, URL)`.
pub struct GptJConfigResources;
/// Pretrained GPT-J vocabularies (`vocab.json`, GPT-2's) on the hub.
pub struct GptJVocabResources;
/// Pretrained GPT-J BPE merges (`merges.txt`, GPT-2's) on the hub.
pub struct GptJMergesResources;

impl GptJModelResources {
    /// anton-l/gpt-j-tiny-random (a randomly initialised tiny GPT-J, for tests).
    pub const GPT_J_TINY_RANDOM: (&'static str, &'static str) = (
        "gpt-j-tiny-random/model",
        "https://huggingface.co/anton-l/gpt-j-tiny-random/resolve/main/rust_model.ot",
    );
}

macro_rules! gpt_j_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// EleutherAI/gpt-j-6B (Apache-2.0, EleutherAI), single precision.
            pub const GPT_J_6B: (&'static str, &'static str) = (
                concat!("gpt-j-6B/", $suffix),
                concat!(
                    "https://huggingface.co/EleutherAI/gpt-j-6B/resolve/main/",
                    $file
                ),
            );
            /// EleutherAI/gpt-j-6B, the `float16` revision (half precision weights).
            pub const GPT_J_6B_FLOAT16: (&'static str, &'static str) = (
                concat!("gpt-j-6B/", $suffix),
                concat!(
                    "https://huggingface.co/EleutherAI/gpt-j-6B/resolve/float16/",
                    $file
                ),
            );
            /// anton-l/gpt-j-tiny-random (a randomly initialised tiny GPT-J, for tests).
            pub const GPT_J_TINY_RANDOM: (&'static str, &'static str) = (
                concat!("gpt-j-tiny-random/", $suffix),
                concat!(
                    "https://huggingface.co/anton-l/gpt-j-tiny-random/resolve/main/",
                    $file
                ),
            );
        }
    };
}
gpt_j_resources!(GptJConfigResources, "config.json", "config");
gpt_j_resources!(GptJVocabResources, "vocab.json", "vocab");
gpt_j_resources!(GptJMergesResources, "merges.txt", "merges");

fn default_init() -> f64 {
    0.02
}
fn default_eps() -> f64 {
    1e-5
}
fn default_embd() -> i64 {
    4096
}
fn default_head() -> i64 {
    16
}
fn default_layer() -> i64 {
    28
}
fn default_positions() -> i64 {
    2048
}
fn default_vocab() -> i64 {
    50400
}
fn default_rotary_dim() -> Option<i64> {
    Some(64)
}
fn default_preload_on_cpu() -> bool {
    true
}

/// GPT-J configuration; deserializes an HF `config.json` (keys HF may omit take the defaults
/// of HF's `GPTJConfig`, i.e. GPT-J 6B's sizes).
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct GptJConfig {
    /// Dropout on attention probabilities.
    #[serde(default)]
    pub attn_pdrop: Option<f64>,
    /// Dropout on the embeddings.
    #[serde(default)]
    pub embd_pdrop: Option<f64>,
    /// Unused by GPT-J (kept for rust-bert configurations).
    #[serde(default)]
    pub hidden_dropout_prob: Option<f64>,
    /// MLP activation under rust-bert's key (HF's is `activation_function`).
    #[serde(default)]
    pub afn: Option<Activation>,
    /// MLP activation under HF's key (default `gelu_new`).
    #[serde(default)]
    pub activation_function: Option<Activation>,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_init")]
    pub initializer_range: f64,
    /// LayerNorm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f64,
    /// Hidden size.
    #[serde(default = "default_embd")]
    pub n_embd: i64,
    /// Attention heads per layer.
    #[serde(default = "default_head")]
    pub n_head: i64,
    /// Number of layers.
    #[serde(default = "default_layer")]
    pub n_layer: i64,
    /// Number of positions of the rotary table: the longest input, cache included.
    #[serde(default = "default_positions")]
    pub n_positions: i64,
    /// Inner size of the MLP (HF: `null` means `4 * n_embd`).
    #[serde(default)]
    pub n_inner: Option<i64>,
    /// Number of labels of classification heads.
    #[serde(default)]
    pub num_labels: Option<i64>,
    /// Return the key/value cache (default true).
    #[serde(default)]
    pub use_cache: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Dropout on the attention and MLP outputs.
    #[serde(default)]
    pub resid_pdrop: Option<f64>,
    /// Dimensions of each head that rotary embeddings rotate (default 64; `None`: the whole
    /// head).
    #[serde(default = "default_rotary_dim")]
    pub rotary_dim: Option<i64>,
    /// Vocabulary size (of the output head; GPT-J 6B pads GPT-2's 50257 tokens to 50400).
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Kept from rust-bert's configuration; HF (and this crate) always scale the scores by
    /// `1/sqrt(head_dim)`.
    #[serde(default)]
    pub scale_attn_weights: Option<bool>,
    /// Kept from rust-bert's configuration (weights are loaded where the variables live).
    #[serde(default = "default_preload_on_cpu")]
    pub preload_on_cpu: bool,
    /// Unused by this decoder-only model (kept from rust-bert's configuration).
    #[serde(default)]
    pub decoder_start_token_id: Option<i64>,
    /// Token forced first (generation).
    #[serde(default)]
    pub forced_bos_token_id: Option<i64>,
    /// Token forced last (generation).
    #[serde(default)]
    pub forced_eos_token_id: Option<i64>,
    /// Beginning-of-sequence token (generation; default: the tokenizer's).
    #[serde(default)]
    pub bos_token_id: Option<i64>,
    /// End-of-sequence token (generation; default: the tokenizer's).
    #[serde(default)]
    pub eos_token_id: Option<i64>,
    /// Padding token (generation; GPT-J has none and pads with the end-of-sequence token).
    #[serde(default)]
    pub pad_token_id: Option<i64>,
}

impl Default for GptJConfig {
    /// GPT-J 6B's sizes, with rust-bert's defaults for the optional settings.
    fn default() -> Self {
        Self {
            attn_pdrop: Some(0.1),
            embd_pdrop: Some(0.1),
            hidden_dropout_prob: None,
            afn: Some(Activation::gelu_new),
            activation_function: None,
            initializer_range: 0.02,
            layer_norm_epsilon: 1e-5,
            n_embd: 4096,
            n_head: 16,
            n_layer: 28,
            n_positions: 2048,
            n_inner: None,
            num_labels: None,
            use_cache: None,
            output_attentions: None,
            output_hidden_states: None,
            resid_pdrop: Some(0.1),
            rotary_dim: Some(64),
            vocab_size: 50400,
            scale_attn_weights: Some(true),
            preload_on_cpu: true,
            decoder_start_token_id: None,
            forced_bos_token_id: None,
            forced_eos_token_id: None,
            bos_token_id: None,
            eos_token_id: None,
            pad_token_id: None,
        }
    }
}

impl GptJConfig {
    fn head_dim(&self) -> i64 {
        self.n_embd / self.n_head.max(1)
    }

    /// Rotated dimensions per head.
    fn rotated(&self) -> i64 {
        self.rotary_dim.unwrap_or_else(|| self.head_dim())
    }
}

impl Config for GptJConfig {
    fn initializer_std(&self) -> f64 {
        self.initializer_range
    }

    fn validate(&self) -> Result<(), RustBertError> {
        let rotated = self.rotated();
        ConfigChecks::new("GPT-J")
            .positive("vocab_size", self.vocab_size)
            .positive("n_embd", self.n_embd)
            .positive("n_head", self.n_head)
            .divides("n_head", self.n_head, "n_embd", self.n_embd)
            .positive("n_positions", self.n_positions)
            .non_negative("n_layer", self.n_layer)
            .require(
                rotated > 0 && rotated % 2 == 0 && rotated <= self.head_dim(),
                || {
                    format!(
                        "rotary_dim = {rotated}, expected an even number from 2 to the head size {}",
                        self.head_dim()
                    )
                },
            )
            .require(self.n_inner.is_none_or(|inner| inner > 0), || {
                format!("n_inner = {:?}, expected at least 1", self.n_inner)
            })
            .finite("layer_norm_epsilon", self.layer_norm_epsilon)
            .finish()
    }
}

/// Output of [`GptJModel`].
#[derive(Debug)]
pub struct GptJModelOutput {
    /// Last hidden state after the final layer norm `[batch, seq, n_embd]`.
    pub output: Tensor,
    /// Per-layer keys (rotated) and values of every token so far (when `use_cache`, the
    /// default).
    pub cache: Option<Vec<Option<LayerState>>>,
    /// Embeddings then every layer's output, the last after the final layer norm (HF's
    /// convention), when asked for.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked for.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// GPT-J base model (HF `GPTJModel`, under `transformer`): token embeddings `wte` (no learned
/// positions: rotary embeddings carry them), parallel layers `h.{i}` and a final `ln_f`.
#[derive(Debug)]
pub struct GptJModel {
    wte: nn::Embedding,
    drop: Dropout,
    h: Vec<GptJBlock>,
    ln_f: nn::LayerNorm,
    rotary: RotaryEmbedding,
    n_head: i64,
    head_dim: i64,
    use_cache: bool,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl GptJModel {
    infallible_new!(GptJConfig);

    /// Builds the model under `p / "transformer"` (HF's names).
    ///
    /// # Errors
    /// A configuration [`Config::validate`] refuses.
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &GptJConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        config.validate()?;
        let p = p.borrow() / "transformer";
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_epsilon,
            ..Default::default()
        };
        let layer = LayerConfig {
            n_embd: config.n_embd,
            n_head: config.n_head,
            n_inner: config.n_inner.unwrap_or(4 * config.n_embd),
            layer_norm_epsilon: config.layer_norm_epsilon,
            activation: config
                .activation_function
                .or(config.afn)
                .unwrap_or(Activation::gelu_new),
            attn_pdrop: config.attn_pdrop.unwrap_or(0.0),
            resid_pdrop: config.resid_pdrop.unwrap_or(0.0),
        };
        let h_path = &p / "h";
        Ok(Self {
            wte: nn::embedding(
                &p / "wte",
                config.vocab_size,
                config.n_embd,
                embedding_config(),
            ),
            drop: Dropout::new(config.embd_pdrop.unwrap_or(0.0)),
            h: (0..config.n_layer)
                .map(|i| GptJBlock::new(&h_path / i, &layer))
                .collect(),
            ln_f: nn::layer_norm(&p / "ln_f", vec![config.n_embd], norm),
            rotary: RotaryEmbedding::new(config.rotated(), config.n_positions, 10000.0, p.device()),
            n_head: config.n_head,
            head_dim: config.head_dim(),
            use_cache: config.use_cache.unwrap_or(true),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        })
    }

    /// Runs the model (rust-bert 0.23's argument order).
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, n_embd]` (exactly one);
    /// * `layer_past`: the cache returned by the previous call;
    /// * `attention_mask` `[batch, past + seq]`: 1 for tokens to attend, 0 for padding;
    /// * `token_type_ids` `[batch, seq]`: embedded with the token embeddings, as in HF;
    /// * `position_ids` `[batch, seq]`: the rotary positions, default `past..past + seq` (with
    ///   left padding give `cumsum(mask) - 1`; rust-bert ignored them, HF reads them).
    ///
    /// # Errors
    /// Positions beyond `n_positions`, ids outside the vocabulary, mis-shaped inputs or cache.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Option<Vec<Option<LayerState>>>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<GptJModelOutput, RustBertError> {
        let (embeds, batch, seq) = ids_or_embeds(
            &self.wte.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        let past = match &layer_past {
            Some(states) => cached_length(
                states,
                self.h.len(),
                [batch, self.n_head, self.head_dim],
                "layer_past",
            )?,
            None => 0,
        };
        let device = embeds.device();
        let positions = match position_ids {
            Some(ids) => {
                check_2d(ids, batch, seq, "position_ids")?;
                ids.shallow_clone()
            }
            None => Tensor::arange_start(past, past + seq, (Kind::Int64, device)).unsqueeze(0),
        };
        // Not in place: `embeds` may be the caller's `input_embeds`.
        let hidden = match token_type_ids {
            Some(types) => {
                check_2d(types, batch, seq, "token_type_ids")?;
                embeds + lookup(&self.wte.ws, types, "token_type_ids")?
            }
            None => embeds,
        };
        let hidden = self.drop.forward_t(&hidden, train);
        let angles = self
            .rotary
            .sin_cos(&positions, hidden.kind(), device)
            .map_err(|error| {
                RustBertError::ValueError(format!(
                    "positions up to {} (after {past} cached tokens) exceed the model's \
                     n_positions: {error}",
                    past + seq
                ))
            })?;
        let bias = causal_attention_bias(attention_mask, batch, seq, past, hidden.kind(), device)?;
        let states: Vec<Option<LayerState>> = match layer_past {
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
                let (output, state, probs) = layer.forward_t(
                    x,
                    state.as_ref(),
                    &bias,
                    &self.rotary,
                    &angles,
                    train,
                    self.output_attentions,
                )?;
                next_cache.push(Some(state));
                Ok::<_, RustBertError>((output, probs))
            },
        )?
        .with_final_norm(|x| self.ln_f.forward(x));
        Ok(GptJModelOutput {
            output: stack.hidden_state,
            cache: self.use_cache.then_some(next_cache),
            all_hidden_states: stack.all_hidden_states,
            all_attentions: stack.all_attentions,
        })
    }
}

/// GPT-J with its language-model head `lm_head` (a separate linear layer with a bias, not tied
/// to the embeddings).
#[derive(Debug)]
pub struct GptJLMHeadModel {
    transformer: GptJModel,
    lm_head: nn::Linear,
}

impl GptJLMHeadModel {
    infallible_new!(GptJConfig);

    /// Builds the model under `p` (variables `transformer.*` and `lm_head`).
    ///
    /// # Errors
    /// As [`GptJModel::try_new`].
    pub fn try_new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &GptJConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            transformer: GptJModel::try_new(p, config)?,
            lm_head: linear(p / "lm_head", config.n_embd, config.vocab_size),
        })
    }

    /// Runs the model (rust-bert 0.23's signature): `layer_past` is the cache returned by the
    /// previous call ([`Cache::GPTJCache`], or [`Cache::None`] on the first); the encoder
    /// arguments exist for rust-bert's signature and are ignored. Other inputs as in
    /// [`GptJModel::forward_t`].
    ///
    /// # Errors
    /// Another kind of cache, and the errors of [`GptJModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Cache,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        _encoder_outputs: Option<&Tensor>,
        _decoder_input_ids: Option<&Tensor>,
        train: bool,
    ) -> Result<LMModelOutput, RustBertError> {
        self.run(
            (input_ids, input_embeds, token_type_ids),
            layer_past,
            attention_mask,
            position_ids,
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
        layer_past: Cache,
        attention_mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        train: bool,
        last_only: bool,
    ) -> Result<LMModelOutput, RustBertError> {
        let layer_past = match layer_past {
            Cache::GPTJCache(states) => states,
            Cache::None => None,
            other => {
                return Err(RustBertError::ValueError(format!(
                    "GPT-J takes a Cache::GPTJCache, not {}",
                    other.variant_name()
                )))
            }
        };
        let output = self.transformer.forward_t(
            input_ids,
            layer_past,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let hidden = if last_only {
            let seq = output.output.size()[1];
            output.output.narrow(1, seq - 1, 1)
        } else {
            output.output
        };
        Ok(LMModelOutput {
            lm_logits: project_linear(&self.lm_head, &hidden),
            cache: Cache::GPTJCache(output.cache),
        })
    }
}
