use crate::common::activations::Activation;
use crate::common::config::read_config_file;
use crate::common::layers::causal_attention_bias;
use crate::common::layers::embeddings::{ids_or_embeds, lookup};
use crate::common::layers::linear::{embedding_config, project};
use crate::common::layers::{run_layer_stack, Dropout};
use crate::generation::{default_model, Cache, LMModelOutput};
use crate::gpt2::transformer::{Block, BlockConfig};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::path::Path;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// Pretrained GPT-2 weights on the hub, as `(cache subdirectory, URL)`.
pub struct Gpt2ModelResources;
/// Pretrained GPT-2 configurations on the hub, as `(cache subdirectory, URL)`.
pub struct Gpt2ConfigResources;
/// Pretrained GPT-2 vocabularies (`vocab.json`) on the hub, as `(cache subdirectory, URL)`.
pub struct Gpt2VocabResources;
/// Pretrained GPT-2 BPE merges (`merges.txt`) on the hub, as `(cache subdirectory, URL)`.
pub struct Gpt2MergesResources;

macro_rules! gpt2_resources {
    ($name:ident, $file:literal, $suffix:literal, $default:expr) => {
        impl $name {
            /// gpt2 (OpenAI, 124M parameters): the generation engine's default model.
            pub const GPT2: (&'static str, &'static str) = $default;
            /// gpt2-medium (OpenAI, 355M parameters).
            pub const GPT2_MEDIUM: (&'static str, &'static str) = (
                concat!("gpt2-medium/", $suffix),
                concat!("https://huggingface.co/gpt2-medium/resolve/main/", $file),
            );
            /// gpt2-large (OpenAI, 774M parameters).
            pub const GPT2_LARGE: (&'static str, &'static str) = (
                concat!("gpt2-large/", $suffix),
                concat!("https://huggingface.co/gpt2-large/resolve/main/", $file),
            );
            /// gpt2-xl (OpenAI, 1.5B parameters).
            pub const GPT2_XL: (&'static str, &'static str) = (
                concat!("gpt2-xl/", $suffix),
                concat!("https://huggingface.co/gpt2-xl/resolve/main/", $file),
            );
            /// distilgpt2 (HuggingFace, distilled from gpt2).
            pub const DISTIL_GPT2: (&'static str, &'static str) = (
                concat!("distilgpt2/", $suffix),
                concat!("https://huggingface.co/distilgpt2/resolve/main/", $file),
            );
            /// DialoGPT-medium (Microsoft, conversational GPT-2).
            pub const DIALOGPT_MEDIUM: (&'static str, &'static str) = (
                concat!("dialogpt-medium/", $suffix),
                concat!(
                    "https://huggingface.co/microsoft/DialoGPT-medium/resolve/main/",
                    $file
                ),
            );
        }
    };
}
gpt2_resources!(
    Gpt2ModelResources,
    "rust_model.ot",
    "model",
    default_model::MODEL
);
gpt2_resources!(
    Gpt2ConfigResources,
    "config.json",
    "config",
    default_model::CONFIG
);
gpt2_resources!(
    Gpt2VocabResources,
    "vocab.json",
    "vocab",
    default_model::VOCAB
);
gpt2_resources!(
    Gpt2MergesResources,
    "merges.txt",
    "merges",
    default_model::MERGES
);

fn default_init() -> f64 {
    0.02
}
fn default_eps() -> f64 {
    1e-5
}
fn default_embd() -> i64 {
    768
}
fn default_heads_layers() -> i64 {
    12
}
fn default_positions() -> i64 {
    1024
}
fn default_vocab() -> i64 {
    50257
}

/// GPT-2 configuration (also used by OpenAI GPT); deserializes an HF `config.json`, keys HF
/// may omit taking HF's defaults.
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct Gpt2Config {
    /// Dropout on attention probabilities (HF default 0.1).
    #[serde(default)]
    pub attn_pdrop: Option<f64>,
    /// Dropout on the embeddings (HF default 0.1).
    #[serde(default)]
    pub embd_pdrop: Option<f64>,
    /// Unused by GPT-2 (kept for rust-bert configurations).
    #[serde(default)]
    pub hidden_dropout_prob: Option<f64>,
    /// MLP activation under OpenAI GPT's key (`afn`, default `gelu`, which OpenAI GPT computes
    /// with the tanh approximation, as HF does).
    #[serde(default)]
    pub afn: Option<Activation>,
    /// MLP activation under GPT-2's key (`activation_function`, default `gelu_new`).
    #[serde(default)]
    pub activation_function: Option<Activation>,
    /// Standard deviation of the initializer (informational).
    #[serde(default = "default_init")]
    pub initializer_range: f64,
    /// LayerNorm epsilon (HF default 1e-5).
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f64,
    /// Context size of older configurations; HF 5.x omits it, and it then equals
    /// `n_positions` (set by [`Config::try_from_file`]; 0 when deserialized elsewhere).
    #[serde(default)]
    pub n_ctx: i64,
    /// Hidden size.
    #[serde(default = "default_embd")]
    pub n_embd: i64,
    /// Attention heads per layer.
    #[serde(default = "default_heads_layers")]
    pub n_head: i64,
    /// Number of layers.
    #[serde(default = "default_heads_layers")]
    pub n_layer: i64,
    /// Number of learned positions: the longest input, cache included.
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
    pub output_past: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Dropout on the attention and MLP outputs (HF default 0.1).
    #[serde(default)]
    pub resid_pdrop: Option<f64>,
    /// Scale attention scores by `1/sqrt(head_dim)` (HF default true).
    #[serde(default)]
    pub scale_attn_weights: Option<bool>,
    /// Further divide the scores of layer `i` by `i + 1` (HF default false).
    #[serde(default)]
    pub scale_attn_by_inverse_layer_idx: Option<bool>,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Decoder start token (generation).
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
    /// Padding token (generation; GPT-2 has none and pads with the end-of-sequence token).
    #[serde(default)]
    pub pad_token_id: Option<i64>,
}

impl Config for Gpt2Config {
    fn initializer_std(&self) -> f64 {
        self.initializer_range
    }

    /// Loads a configuration; a file without `n_ctx` (HF 5.x) gets `n_ctx = n_positions`.
    fn try_from_file<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        let mut config: Gpt2Config = read_config_file(path.as_ref())?;
        if config.n_ctx <= 0 {
            config.n_ctx = config.n_positions;
        }
        crate::common::config::validated(config, path.as_ref())
    }

    fn validate(&self) -> Result<(), RustBertError> {
        crate::common::config::ConfigChecks::new("GPT-2")
            .positive("vocab_size", self.vocab_size)
            .positive("n_embd", self.n_embd)
            .positive("n_positions", self.n_positions)
            .positive("n_head", self.n_head)
            .divides("n_head", self.n_head, "n_embd", self.n_embd)
            .non_negative("n_layer", self.n_layer)
            .require(self.n_inner.is_none_or(|inner| inner > 0), || {
                format!("n_inner = {:?}, expected at least 1", self.n_inner)
            })
            .finite("layer_norm_epsilon", self.layer_norm_epsilon)
            .finish()
    }
}

impl Default for Gpt2Config {
    fn default() -> Self {
        Self {
            attn_pdrop: Some(0.1),
            embd_pdrop: Some(0.1),
            hidden_dropout_prob: None,
            afn: None,
            activation_function: Some(Activation::gelu_new),
            initializer_range: 0.02,
            layer_norm_epsilon: 1e-5,
            n_ctx: 1024,
            n_embd: 768,
            n_head: 12,
            n_layer: 12,
            n_positions: 1024,
            n_inner: None,
            num_labels: None,
            output_past: None,
            output_attentions: None,
            output_hidden_states: None,
            resid_pdrop: Some(0.1),
            scale_attn_weights: None,
            scale_attn_by_inverse_layer_idx: None,
            vocab_size: 50257,
            decoder_start_token_id: None,
            forced_bos_token_id: None,
            forced_eos_token_id: None,
            bos_token_id: None,
            eos_token_id: None,
            pad_token_id: None,
        }
    }
}

impl Gpt2Config {
    /// Block settings of layer `layer` (GPT-2 if `pre_norm`, else OpenAI GPT, whose
    /// activation key and default differ and which always scales by `1/sqrt(head_dim)`).
    pub(crate) fn block_config(&self, layer: i64, pre_norm: bool) -> BlockConfig {
        let head_dim = (self.n_embd / self.n_head.max(1)) as f64;
        let mut scaling = 1.0;
        if !pre_norm || self.scale_attn_weights.unwrap_or(true) {
            scaling = 1.0 / head_dim.sqrt();
        }
        if pre_norm && self.scale_attn_by_inverse_layer_idx.unwrap_or(false) {
            scaling /= (layer + 1) as f64;
        }
        let activation = if pre_norm {
            self.activation_function
                .or(self.afn)
                .unwrap_or(Activation::gelu_new)
        } else {
            // OpenAI GPT's own table maps `gelu` to the tanh approximation (HF `ACT_FNS`).
            match self.afn.or(self.activation_function) {
                None | Some(Activation::gelu) => Activation::gelu_new,
                Some(other) => other,
            }
        };
        BlockConfig {
            n_embd: self.n_embd,
            n_head: self.n_head,
            n_inner: self.n_inner.unwrap_or(4 * self.n_embd),
            layer_norm_epsilon: self.layer_norm_epsilon,
            activation,
            attn_pdrop: self.attn_pdrop.unwrap_or(0.1),
            resid_pdrop: self.resid_pdrop.unwrap_or(0.1),
            scaling,
            pre_norm,
        }
    }
}

/// Checks `[batch, seq]`-shaped integer inputs.
pub(crate) fn check_2d(
    tensor: &Tensor,
    batch: i64,
    seq: i64,
    what: &str,
) -> Result<(), RustBertError> {
    let size = tensor.size();
    match size.as_slice() {
        [b, s] if (*b == batch || *b == 1) && *s == seq => Ok(()),
        _ => Err(RustBertError::ValueError(format!(
            "{what} has shape {size:?}; expected [{batch}, {seq}]"
        ))),
    }
}

/// Position embeddings: of `position_ids` when given, else of `past..past + seq`, which must fit
/// in the `n_positions` learned positions.
pub(crate) fn position_embeddings(
    table: &Tensor,
    position_ids: Option<&Tensor>,
    batch: i64,
    seq: i64,
    past: i64,
) -> Result<Tensor, RustBertError> {
    let n_positions = table.size()[0];
    match position_ids {
        Some(ids) => {
            check_2d(ids, batch, seq, "position_ids")?;
            lookup(table, ids, "position_ids")
        }
        None if past + seq > n_positions => Err(RustBertError::ValueError(format!(
            "input of {seq} tokens after {past} cached ones exceeds the model's \
             n_positions = {n_positions}"
        ))),
        None => {
            let ids = Tensor::arange_start(past, past + seq, (Kind::Int64, table.device()));
            lookup(table, &ids.unsqueeze(0), "position ids")
        }
    }
}

/// Output of [`Gpt2Model`].
#[derive(Debug)]
pub struct Gpt2ModelOutput {
    /// Last hidden state after the final layer norm `[batch, seq, n_embd]`.
    pub output: Tensor,
    /// Key/value cache, one `[2, batch, heads, past + seq, head_dim]` tensor per layer (when
    /// `output_past`, the default).
    pub cache: Option<Vec<Tensor>>,
    /// Embeddings then every layer's output, the last after the final layer norm (HF's
    /// convention), when asked for.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked for.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// GPT-2 base model: token (`wte`) and position (`wpe`) embeddings, pre-norm layers `h.{i}` and
/// a final layer norm `ln_f`, under `transformer`.
#[derive(Debug)]
pub struct Gpt2Model {
    pub(crate) wte: nn::Embedding,
    wpe: nn::Embedding,
    drop: Dropout,
    ln_f: nn::LayerNorm,
    h: Vec<Block>,
    n_head: i64,
    n_embd: i64,
    output_past: bool,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl Gpt2Model {
    /// Builds the model under `p / "transformer"` (HF's names).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &Gpt2Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow() / "transformer";
        let norm = nn::LayerNormConfig {
            eps: config.layer_norm_epsilon,
            ..Default::default()
        };
        let h_path = &p / "h";
        Self {
            wte: nn::embedding(
                &p / "wte",
                config.vocab_size,
                config.n_embd,
                embedding_config(),
            ),
            wpe: nn::embedding(
                &p / "wpe",
                config.n_positions,
                config.n_embd,
                embedding_config(),
            ),
            drop: Dropout::new(config.embd_pdrop.unwrap_or(0.1)),
            ln_f: nn::layer_norm(&p / "ln_f", vec![config.n_embd], norm),
            h: (0..config.n_layer)
                .map(|i| Block::new(&h_path / i, &config.block_config(i, true)))
                .collect(),
            n_head: config.n_head,
            n_embd: config.n_embd,
            output_past: config.output_past.unwrap_or(true),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Checks a cache against the model and the batch; returns its length.
    fn past_length(&self, layer_past: &[Tensor], batch: i64) -> Result<i64, RustBertError> {
        if layer_past.len() != self.h.len() {
            return Err(RustBertError::ValueError(format!(
                "layer_past has {} entries; the model has {} layers",
                layer_past.len(),
                self.h.len()
            )));
        }
        let past = layer_past
            .first()
            .map_or(0, |t| t.size().get(3).copied().unwrap_or(-1));
        let expected = [2, batch, self.n_head, past, self.n_embd / self.n_head];
        for (i, layer) in layer_past.iter().enumerate() {
            if layer.size() != expected {
                return Err(RustBertError::ValueError(format!(
                    "layer_past[{i}] has shape {:?}; expected {expected:?}",
                    layer.size()
                )));
            }
        }
        Ok(past)
    }

    /// Runs the model.
    ///
    /// * `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, n_embd]` (exactly one);
    /// * `layer_past`: the cache returned by the previous step (one tensor per layer);
    /// * `attention_mask` `[batch, past + seq]`: 1 for tokens to attend, 0 for padding;
    /// * `token_type_ids` `[batch, seq]`: embedded with the token embeddings, as in HF;
    /// * `position_ids` `[batch, seq]`: default `past..past + seq` (give them with left
    ///   padding: `cumsum(mask) - 1`).
    ///
    /// Positions beyond `n_positions`, ids outside the vocabulary and mis-shaped inputs are
    /// errors.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Option<&Vec<Tensor>>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Gpt2ModelOutput, RustBertError> {
        let (embeds, batch, seq) = ids_or_embeds(
            &self.wte.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        let past = match layer_past {
            Some(layers) => self.past_length(layers, batch)?,
            None => 0,
        };
        let mut hidden =
            embeds + position_embeddings(&self.wpe.ws, position_ids, batch, seq, past)?;
        if let Some(types) = token_type_ids {
            check_2d(types, batch, seq, "token_type_ids")?;
            hidden += lookup(&self.wte.ws, types, "token_type_ids")?;
        }
        let hidden = self.drop.forward_t(&hidden, train);
        let bias = causal_attention_bias(
            attention_mask,
            batch,
            seq,
            past,
            hidden.kind(),
            hidden.device(),
        )?;
        let pasts: Vec<Option<&Tensor>> = match layer_past {
            Some(layers) => layers.iter().map(Some).collect(),
            None => vec![None; self.h.len()],
        };
        let mut presents = Vec::with_capacity(self.h.len());
        let stack = run_layer_stack(
            &hidden,
            self.h.iter().zip(pasts),
            self.output_hidden_states,
            self.output_attentions,
            |(layer, layer_past), x| {
                let (output, present, probs) =
                    layer.forward_t(x, layer_past, &bias, train, self.output_attentions);
                presents.push(present);
                (output, probs)
            },
        );
        let output = self.ln_f.forward(&stack.hidden_state);
        let mut all_hidden_states = stack.all_hidden_states;
        if let Some(last) = all_hidden_states.as_mut().and_then(|h| h.last_mut()) {
            *last = output.shallow_clone();
        }
        Ok(Gpt2ModelOutput {
            output,
            cache: self.output_past.then_some(presents),
            all_hidden_states,
            all_attentions: stack.all_attentions,
        })
    }
}

/// GPT-2 with a language-model head whose weights are the token embeddings (`wte`), as in every
/// GPT-2 checkpoint (HF stores no separate `lm_head.weight`).
#[derive(Debug)]
pub struct GPT2LMHeadModel {
    transformer: Gpt2Model,
}

impl GPT2LMHeadModel {
    /// Builds the model under `p` (variables `transformer.*`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &Gpt2Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        Self {
            transformer: Gpt2Model::new(p, config),
        }
    }

    /// Runs the model (inputs as in [`Gpt2Model::forward_t`], rust-bert 0.23's signature):
    /// `layer_past` is the per-layer key/value tensors of the earlier tokens (what the returned
    /// [`Cache::GPT2Cache`] holds), `None` on the first step.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Option<&Vec<Tensor>>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<LMModelOutput, RustBertError> {
        self.run(
            input_ids,
            layer_past,
            attention_mask,
            position_ids,
            (token_type_ids, input_embeds),
            train,
            false,
        )
    }

    /// The forward pass; with `last_only`, logits of the last position only (`[batch, 1,
    /// vocab]`: what a generation step needs, sparing the head's largest product).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Option<&Vec<Tensor>>,
        attention_mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        (token_type_ids, input_embeds): (Option<&Tensor>, Option<&Tensor>),
        train: bool,
        last_only: bool,
    ) -> Result<LMModelOutput, RustBertError> {
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
            lm_logits: project(&hidden, &self.transformer.wte.ws, None),
            cache: Cache::GPT2Cache(output.cache),
        })
    }
}
