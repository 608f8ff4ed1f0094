//! The configuration of the decoder stack, read from the `config.json` of any family it covers
//! (HF's field names), and the switches each family sets.
use crate::common::activations::Activation;
use crate::common::config::{read_config_file, validated, ConfigChecks};
use crate::common::layers::{RopeParameters, RotaryDims, RotaryEmbedding};
use crate::{Config, RustBertError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The model families this stack runs, from `config.json`'s `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlamaFamily {
    /// Llama 1-3 (`llama`).
    Llama,
    /// Mistral (`mistral`).
    Mistral,
    /// Qwen2 / Qwen2.5 (`qwen2`).
    Qwen2,
    /// Qwen3 (`qwen3`).
    Qwen3,
    /// Phi-3 (`phi3`).
    Phi3,
    /// Gemma 2 (`gemma2`).
    Gemma2,
}

impl LlamaFamily {
    /// The family of a `model_type` string.
    pub fn from_model_type(model_type: &str) -> Option<Self> {
        Some(match model_type {
            "llama" => Self::Llama,
            "mistral" => Self::Mistral,
            "qwen2" => Self::Qwen2,
            "qwen3" => Self::Qwen3,
            "phi3" => Self::Phi3,
            "gemma2" => Self::Gemma2,
            _ => return None,
        })
    }
}

/// One id or a list of ids (`eos_token_id` is either in HF files).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum TokenIds {
    /// A single id.
    One(i64),
    /// Several ids.
    Many(Vec<i64>),
}

impl TokenIds {
    /// The ids as a list.
    pub fn to_vec(&self) -> Vec<i64> {
        match self {
            TokenIds::One(id) => vec![*id],
            TokenIds::Many(ids) => ids.clone(),
        }
    }
}

/// What `generation_config.json` (next to `config.json`) sets: end-of-sequence ids and the
/// sampling defaults the model was published with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GenerationDefaults {
    /// Beginning-of-sequence id.
    #[serde(default)]
    pub bos_token_id: Option<i64>,
    /// End-of-sequence id(s): generation stops at any of them.
    #[serde(default)]
    pub eos_token_id: Option<TokenIds>,
    /// Padding id.
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Whether the model is meant to be sampled.
    #[serde(default)]
    pub do_sample: Option<bool>,
    /// Sampling temperature.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Top-k filtering.
    #[serde(default)]
    pub top_k: Option<i64>,
    /// Nucleus filtering.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Repetition penalty.
    #[serde(default)]
    pub repetition_penalty: Option<f64>,
    /// Maximum length, prompt included.
    #[serde(default)]
    pub max_length: Option<i64>,
    /// Maximum number of new tokens.
    #[serde(default)]
    pub max_new_tokens: Option<i64>,
}

impl GenerationDefaults {
    /// The defaults as per-call generation options (only what the file sets).
    pub fn to_generate_options(&self) -> crate::generation::GenerateOptions<'static> {
        crate::generation::GenerateOptions {
            do_sample: self.do_sample,
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            repetition_penalty: self.repetition_penalty,
            max_length: self.max_length,
            max_new_tokens: self.max_new_tokens,
            ..Default::default()
        }
    }

    /// The sampling defaults the generator fills unset settings with (see
    /// [`crate::generation::ModelDefaults`]).
    pub fn to_sampling_defaults(&self) -> crate::generation::SamplingDefaults {
        crate::generation::SamplingDefaults {
            do_sample: self.do_sample,
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            repetition_penalty: self.repetition_penalty,
            max_length: self.max_length,
            max_new_tokens: self.max_new_tokens,
        }
    }

    /// The sampling defaults llama.cpp's writer stores in a GGUF file (`general.sampling.temp`,
    /// `top_k`, `top_p`), `None` when it stores none. llama.cpp samples whenever the
    /// temperature is above 0, so a stored temperature also sets `do_sample`. Its
    /// `penalty_repeat` is left out: llama.cpp penalises the last `penalty_last_n` tokens only,
    /// not HF's whole sequence, and it would change greedy decoding, which the other keys never
    /// do. (HF 5.24's GGUF loader reads none of these keys: greedy output stays HF's.)
    pub fn from_gguf(file: &crate::common::gguf::GgufFile) -> Option<Self> {
        use crate::common::gguf::GgufValue;
        let key = |name: &str| file.metadata.get(&format!("general.sampling.{name}"));
        let float = |name: &str| key(name).and_then(GgufValue::as_f64);
        let defaults = Self {
            temperature: float("temp"),
            do_sample: float("temp").map(|t| t > 0.0),
            top_k: key("top_k").and_then(|v| match v {
                GgufValue::Int(k) => Some(*k),
                other => other.as_u64().and_then(|k| i64::try_from(k).ok()),
            }),
            top_p: float("top_p"),
            ..Default::default()
        };
        (defaults != Self::default()).then_some(defaults)
    }
}

fn default_vocab() -> i64 {
    32000
}
fn default_hidden() -> i64 {
    4096
}
fn default_intermediate() -> i64 {
    11008
}
fn default_layers_heads() -> i64 {
    32
}
fn default_positions() -> i64 {
    2048
}
fn default_init() -> f64 {
    0.02
}
fn default_eps() -> f64 {
    1e-6
}

/// Configuration of the decoder stack shared by Llama, Mistral, Qwen2, Qwen3, Phi-3 and
/// Gemma 2: deserializes the `config.json` of each (HF field names). `model_type` selects the
/// family, whose fixed traits (Qwen2's q/k/v biases, Qwen3's q/k norms, Phi-3's fused
/// projections, Gemma 2's norms, scaling and soft-capping) follow from it; the rest are the
/// file's switches.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LlamaConfig {
    /// `llama`, `mistral`, `qwen2`, `qwen3`, `phi3` or `gemma2` (default `llama`).
    #[serde(default)]
    pub model_type: Option<String>,
    /// Vocabulary size.
    #[serde(default = "default_vocab")]
    pub vocab_size: i64,
    /// Hidden size.
    #[serde(default = "default_hidden")]
    pub hidden_size: i64,
    /// Inner size of the gated MLP.
    #[serde(default = "default_intermediate")]
    pub intermediate_size: i64,
    /// Number of decoder layers.
    #[serde(default = "default_layers_heads")]
    pub num_hidden_layers: i64,
    /// Query heads.
    #[serde(default = "default_layers_heads")]
    pub num_attention_heads: i64,
    /// Key/value heads (grouped-query attention; default: one per query head).
    #[serde(default)]
    pub num_key_value_heads: Option<i64>,
    /// Size of one head (default `hidden_size / num_attention_heads`).
    #[serde(default)]
    pub head_dim: Option<i64>,
    /// MLP activation (default SiLU).
    #[serde(default)]
    pub hidden_act: Option<Activation>,
    /// Gemma's name for the MLP activation (default GELU-tanh), preferred when present.
    #[serde(default)]
    pub hidden_activation: Option<Activation>,
    /// Longest sequence (prompt and generated tokens).
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Phi-3: the pre-training context (longrope's threshold).
    #[serde(default)]
    pub original_max_position_embeddings: Option<i64>,
    /// Standard deviation of the initializer.
    #[serde(default = "default_init")]
    pub initializer_range: f64,
    /// RMSNorm epsilon.
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    /// Whether the LM head shares the token embeddings (default: true for Gemma 2, else false).
    #[serde(default)]
    pub tie_word_embeddings: Option<bool>,
    /// RoPE base of older files (HF 5.x moves it into `rope_parameters`).
    #[serde(default)]
    pub rope_theta: Option<f64>,
    /// RoPE scaling of older files.
    #[serde(default)]
    pub rope_scaling: Option<RopeParameters>,
    /// RoPE settings of HF 5.x files (kind, base, scaling, partial factor).
    #[serde(default)]
    pub rope_parameters: Option<RopeParameters>,
    /// Fraction of each head that rotates (Phi-3 style; default 1).
    #[serde(default)]
    pub partial_rotary_factor: Option<f64>,
    /// Biases on the q/k/v/o projections (Llama, Qwen3, Gemma 2; Qwen2 always has q/k/v ones).
    #[serde(default)]
    pub attention_bias: Option<bool>,
    /// Biases on the MLP projections (Llama).
    #[serde(default)]
    pub mlp_bias: Option<bool>,
    /// Dropout on attention probabilities (unused at inference).
    #[serde(default)]
    pub attention_dropout: Option<f64>,
    /// Sliding-window length (Mistral, Phi-3: every layer; Qwen2/3, Gemma 2: the layers
    /// `layer_types` names `sliding_attention`).
    #[serde(default)]
    pub sliding_window: Option<i64>,
    /// Qwen2/3: whether `sliding_window` applies at all.
    #[serde(default)]
    pub use_sliding_window: Option<bool>,
    /// Qwen2/3: layers from this index on slide (when `layer_types` is absent).
    #[serde(default)]
    pub max_window_layers: Option<i64>,
    /// `full_attention` / `sliding_attention` per layer.
    #[serde(default)]
    pub layer_types: Option<Vec<String>>,
    /// Gemma 2: the scores are scaled by `query_pre_attn_scalar^-0.5` (default 256).
    #[serde(default)]
    pub query_pre_attn_scalar: Option<f64>,
    /// Gemma 2: `tanh(scores / cap) * cap` on attention scores.
    #[serde(default)]
    pub attn_logit_softcapping: Option<f64>,
    /// Gemma 2: `tanh(logits / cap) * cap` on the LM logits.
    #[serde(default)]
    pub final_logit_softcapping: Option<f64>,
    /// Beginning-of-sequence id.
    #[serde(default)]
    pub bos_token_id: Option<i64>,
    /// End-of-sequence id(s).
    #[serde(default)]
    pub eos_token_id: Option<TokenIds>,
    /// Padding id.
    #[serde(default)]
    pub pad_token_id: Option<i64>,
    /// Return the hidden states of every layer.
    #[serde(default)]
    pub output_hidden_states: Option<bool>,
    /// Return the attention probabilities of every layer.
    #[serde(default)]
    pub output_attentions: Option<bool>,
    /// `generation_config.json` next to the configuration file, when there is one (read by
    /// [`Config::try_from_file`]; not part of `config.json`).
    #[serde(skip)]
    pub generation: Option<GenerationDefaults>,
}

/// The per-layer attention switches derived from a configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttentionSettings {
    pub hidden: i64,
    pub heads: i64,
    pub kv_heads: i64,
    pub head_dim: i64,
    pub scaling: f64,
    pub qkv_bias: bool,
    pub o_bias: bool,
    pub qk_norm: bool,
    pub fused_qkv: bool,
    pub softcap: Option<f64>,
    pub window: Option<i64>,
    pub eps: f64,
}

impl LlamaConfig {
    /// The family `model_type` names.
    ///
    /// # Errors
    /// `UnsupportedError` for a model type this stack does not run.
    pub fn family(&self) -> Result<LlamaFamily, RustBertError> {
        let name = self.model_type.as_deref().unwrap_or("llama");
        LlamaFamily::from_model_type(name).ok_or_else(|| {
            RustBertError::UnsupportedError(format!(
                "model_type `{name}` is not one of llama, mistral, qwen2, qwen3, phi3, gemma2"
            ))
        })
    }

    fn family_or_llama(&self) -> LlamaFamily {
        self.family().unwrap_or(LlamaFamily::Llama)
    }

    /// Whether the family is Gemma 2 (its norms, scaling and layer layout).
    pub(crate) fn is_gemma(&self) -> bool {
        self.family_or_llama() == LlamaFamily::Gemma2
    }

    /// Size of one head.
    pub fn head_dim(&self) -> i64 {
        self.head_dim
            .unwrap_or(self.hidden_size / self.num_attention_heads.max(1))
    }

    /// Number of key/value heads.
    pub fn kv_heads(&self) -> i64 {
        self.num_key_value_heads.unwrap_or(self.num_attention_heads)
    }

    /// The MLP activation.
    pub fn activation(&self) -> Activation {
        if self.is_gemma() {
            self.hidden_activation
                .or(self.hidden_act)
                .unwrap_or(Activation::gelu_pytorch_tanh)
        } else {
            self.hidden_act.unwrap_or(Activation::swish)
        }
    }

    /// Whether the LM head is the token embedding matrix.
    pub fn tied(&self) -> bool {
        self.tie_word_embeddings.unwrap_or(self.is_gemma())
    }

    /// Whether the MLP has biases.
    pub(crate) fn mlp_bias(&self) -> bool {
        self.family_or_llama() == LlamaFamily::Llama && self.mlp_bias.unwrap_or(false)
    }

    /// Whether Phi-3's fused projections are used.
    pub(crate) fn fused(&self) -> bool {
        self.family_or_llama() == LlamaFamily::Phi3
    }

    /// The sliding window of layer `layer`, if it slides.
    pub fn layer_window(&self, layer: i64) -> Option<i64> {
        let window = self.sliding_window?;
        let family = self.family_or_llama();
        // HF's Qwen configurations drop the window unless `use_sliding_window` (older files keep
        // a `sliding_window` value that is not in force).
        if matches!(family, LlamaFamily::Qwen2 | LlamaFamily::Qwen3)
            && self.use_sliding_window != Some(true)
        {
            return None;
        }
        if let Some(types) = &self.layer_types {
            return (types.get(layer as usize).map(String::as_str) == Some("sliding_attention"))
                .then_some(window);
        }
        match family {
            LlamaFamily::Mistral | LlamaFamily::Phi3 => Some(window),
            LlamaFamily::Qwen2 | LlamaFamily::Qwen3 => {
                (layer >= self.max_window_layers.unwrap_or(28)).then_some(window)
            }
            LlamaFamily::Gemma2 => (layer % 2 == 0).then_some(window),
            LlamaFamily::Llama => None,
        }
    }

    pub(crate) fn attention(&self, layer: i64) -> AttentionSettings {
        let family = self.family_or_llama();
        let head_dim = self.head_dim();
        let bias = self.attention_bias.unwrap_or(false);
        // Gemma 2 scales by `query_pre_attn_scalar` (HF's default 256), the others by the head
        // size.
        let scaling = match family {
            LlamaFamily::Gemma2 => self.query_pre_attn_scalar.unwrap_or(256.0).powf(-0.5),
            _ => (head_dim as f64).powf(-0.5),
        };
        AttentionSettings {
            hidden: self.hidden_size,
            heads: self.num_attention_heads,
            kv_heads: self.kv_heads(),
            head_dim,
            scaling,
            qkv_bias: match family {
                LlamaFamily::Qwen2 => true,
                LlamaFamily::Mistral | LlamaFamily::Phi3 => false,
                _ => bias,
            },
            o_bias: match family {
                LlamaFamily::Llama | LlamaFamily::Qwen3 | LlamaFamily::Gemma2 => bias,
                _ => false,
            },
            qk_norm: family == LlamaFamily::Qwen3,
            fused_qkv: family == LlamaFamily::Phi3,
            softcap: if family == LlamaFamily::Gemma2 {
                self.attn_logit_softcapping
            } else {
                None
            },
            window: self.layer_window(layer),
            eps: self.rms_norm_eps,
        }
    }

    /// The RoPE settings with `rope_theta` and `partial_rotary_factor` merged in, as HF's
    /// `standardize_rope_params` does.
    pub fn rope(&self) -> RopeParameters {
        let mut params = self
            .rope_parameters
            .clone()
            .or_else(|| self.rope_scaling.clone())
            .unwrap_or_default();
        if params.rope_theta.is_none() {
            params.rope_theta = self.rope_theta.or(Some(10000.0));
        }
        if params.partial_rotary_factor.is_none() {
            params.partial_rotary_factor = self.partial_rotary_factor;
        }
        params
    }

    /// The rotary embedding of the model.
    ///
    /// # Errors
    /// As [`RotaryEmbedding::from_parameters`].
    pub fn rotary(&self) -> Result<RotaryEmbedding, RustBertError> {
        RotaryEmbedding::from_parameters(
            &self.rope(),
            RotaryDims {
                head_dim: self.head_dim(),
                max_positions: self.max_position_embeddings,
                original_max_positions: self.original_max_position_embeddings,
            },
        )
    }

    /// The end-of-sequence ids: `generation_config.json`'s when it names them, else the
    /// configuration's.
    pub fn eos_token_ids(&self) -> Option<Vec<i64>> {
        self.generation
            .as_ref()
            .and_then(|g| g.eos_token_id.as_ref())
            .or(self.eos_token_id.as_ref())
            .map(TokenIds::to_vec)
    }
}

impl Config for LlamaConfig {
    fn initializer_std(&self) -> f64 {
        self.initializer_range
    }

    /// Reads `config.json` and, when present beside it, `generation_config.json`.
    fn try_from_file<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        let path = path.as_ref();
        let mut config: LlamaConfig = read_config_file(path)?;
        let generation = path
            .parent()
            .map(|dir| dir.join("generation_config.json"))
            .filter(|file| file.is_file());
        if let Some(file) = generation {
            config.generation = Some(read_config_file(&file)?);
        }
        validated(config, path)
    }

    fn validate(&self) -> Result<(), RustBertError> {
        let family = self.family();
        let heads = self.num_attention_heads;
        let kv = self.kv_heads();
        let rope = self.rotary().err();
        let mut checks = ConfigChecks::new("Llama")
            .require(family.is_ok(), || {
                family.err().map(|e| e.to_string()).unwrap_or_default()
            })
            .positive("vocab_size", self.vocab_size)
            .positive("hidden_size", self.hidden_size)
            .positive("intermediate_size", self.intermediate_size)
            .non_negative("num_hidden_layers", self.num_hidden_layers)
            .positive("num_attention_heads", heads)
            .positive("num_key_value_heads", kv)
            .positive("max_position_embeddings", self.max_position_embeddings)
            .finite("rms_norm_eps", self.rms_norm_eps);
        if kv > 0 && heads > 0 {
            checks = checks.divides("num_key_value_heads", kv, "num_attention_heads", heads);
        }
        if self.head_dim.is_none() && heads > 0 {
            checks = checks.divides(
                "num_attention_heads",
                heads,
                "hidden_size",
                self.hidden_size,
            );
        } else if let Some(dim) = self.head_dim {
            checks = checks.positive("head_dim", dim);
        }
        if let Some(window) = self.sliding_window {
            checks = checks.positive("sliding_window", window);
        }
        for (name, cap) in [
            ("attn_logit_softcapping", self.attn_logit_softcapping),
            ("final_logit_softcapping", self.final_logit_softcapping),
        ] {
            if let Some(cap) = cap {
                checks = checks.require(cap.is_finite() && cap > 0.0, || {
                    format!("{name} = {cap}, expected a positive number")
                });
            }
        }
        if self.head_dim() > 0 && self.head_dim() % 2 == 0 {
            checks = checks.require(rope.is_none(), || {
                rope.map(|e| e.to_string()).unwrap_or_default()
            });
        }
        checks.finish()
    }
}
