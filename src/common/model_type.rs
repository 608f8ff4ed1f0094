//! [`ModelType`]: which architecture a checkpoint is, as named by HF's `config.json`.
//!
//! It lives below the models (they name it without importing from `pipelines`) and is
//! re-exported as `rust_bert::pipelines::common::ModelType`, rust-bert's path.
use crate::RustBertError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The architecture of a model, as HF's `model_type` names it.
///
/// Serialized with HF's `model_type` strings (`"bert"`, `"xlm-roberta"`, `"m2m_100"`, ...);
/// rust-bert 0.23 serialized the variant names (`"Bert"`, `"XLMRoberta"`), which are accepted
/// too, so files written by either deserialize.
///
/// Every rust-bert 0.23 variant exists, so code naming one compiles; models exist for BART,
/// BERT, DistilBERT, DeBERTa, DeBERTa-v2, RoBERTa, XLM-RoBERTa, ELECTRA, Marian, MobileBERT,
/// T5, LongT5, ALBERT, XLNet, GPT-2, OpenAI GPT, GPT-Neo, GPT-J, Reformer, Longformer, FNet,
/// MPNet, ProphetNet, Pegasus, mBART, M2M100 and NLLB (generation and translation), and Llama,
/// Mistral, Qwen2, Qwen3, Phi-3 and Gemma 2 (one decoder stack, [`crate::llama`]). Pipelines
/// refuse a model type they have no model for with `UnsupportedError` before fetching any
/// resource.
#[derive(Clone, Copy, Serialize, Deserialize, Debug, PartialEq, Eq, Hash)]
pub enum ModelType {
    /// BART (`bart`).
    #[serde(rename = "bart", alias = "Bart")]
    Bart,
    /// BERT (`bert`).
    #[serde(rename = "bert", alias = "Bert")]
    Bert,
    /// DistilBERT (`distilbert`).
    #[serde(rename = "distilbert", alias = "DistilBert")]
    DistilBert,
    /// DeBERTa (`deberta`).
    #[serde(rename = "deberta", alias = "Deberta")]
    Deberta,
    /// DeBERTa-v2 and v3 (`deberta-v2`).
    #[serde(rename = "deberta-v2", alias = "DebertaV2")]
    DebertaV2,
    /// RoBERTa (`roberta`).
    #[serde(rename = "roberta", alias = "Roberta")]
    Roberta,
    /// XLM-RoBERTa (`xlm-roberta`).
    #[serde(rename = "xlm-roberta", alias = "XLMRoberta")]
    XLMRoberta,
    /// ELECTRA (`electra`).
    #[serde(rename = "electra", alias = "Electra")]
    Electra,
    /// Marian (`marian`).
    #[serde(rename = "marian", alias = "Marian")]
    Marian,
    /// MobileBERT (`mobilebert`).
    #[serde(rename = "mobilebert", alias = "MobileBert")]
    MobileBert,
    /// T5 (`t5`; mT5's `mt5` is read as T5 by [`ModelType::from_config_file`]).
    #[serde(rename = "t5", alias = "T5")]
    T5,
    /// LongT5 (`longt5`).
    #[serde(rename = "longt5", alias = "LongT5")]
    LongT5,
    /// ALBERT (`albert`).
    #[serde(rename = "albert", alias = "Albert")]
    Albert,
    /// XLNet (`xlnet`).
    #[serde(rename = "xlnet", alias = "XLNet")]
    XLNet,
    /// GPT-2 (`gpt2`).
    #[serde(rename = "gpt2", alias = "GPT2")]
    GPT2,
    /// GPT-J (`gptj`).
    #[serde(rename = "gptj", alias = "GPTJ")]
    GPTJ,
    /// OpenAI GPT (`openai-gpt`).
    #[serde(rename = "openai-gpt", alias = "OpenAiGpt")]
    OpenAiGpt,
    /// Reformer (`reformer`).
    #[serde(rename = "reformer", alias = "Reformer")]
    Reformer,
    /// ProphetNet (`prophetnet`).
    #[serde(rename = "prophetnet", alias = "ProphetNet")]
    ProphetNet,
    /// Longformer (`longformer`).
    #[serde(rename = "longformer", alias = "Longformer")]
    Longformer,
    /// Pegasus (`pegasus`).
    #[serde(rename = "pegasus", alias = "Pegasus")]
    Pegasus,
    /// GPT-Neo (`gpt_neo`).
    #[serde(rename = "gpt_neo", alias = "GPTNeo")]
    GPTNeo,
    /// mBART (`mbart`).
    #[serde(rename = "mbart", alias = "MBart")]
    MBart,
    /// M2M100 (`m2m_100`).
    #[serde(rename = "m2m_100", alias = "M2M100")]
    M2M100,
    /// NLLB: an M2M100 network with its own tokenizer. HF has no `model_type` of its own for
    /// it (NLLB checkpoints say `m2m_100`); `"nllb"` is this crate's name.
    #[serde(rename = "nllb", alias = "NLLB")]
    NLLB,
    /// FNet (`fnet`).
    #[serde(rename = "fnet", alias = "FNet")]
    FNet,
    /// MPNet (`mpnet`).
    #[serde(rename = "mpnet", alias = "MPNet")]
    MPNet,
    /// Llama 1-3 (`llama`): the decoder stack of [`crate::llama`].
    #[serde(rename = "llama", alias = "Llama")]
    Llama,
    /// Mistral (`mistral`), on the stack of [`crate::llama`].
    #[serde(rename = "mistral", alias = "Mistral")]
    Mistral,
    /// Qwen2 / Qwen2.5 (`qwen2`), on the stack of [`crate::llama`].
    #[serde(rename = "qwen2", alias = "Qwen2")]
    Qwen2,
    /// Qwen3 (`qwen3`), on the stack of [`crate::llama`].
    #[serde(rename = "qwen3", alias = "Qwen3")]
    Qwen3,
    /// Phi-3 (`phi3`), on the stack of [`crate::llama`].
    #[serde(rename = "phi3", alias = "Phi3")]
    Phi3,
    /// Gemma 2 (`gemma2`), on the stack of [`crate::llama`].
    #[serde(rename = "gemma2", alias = "Gemma2")]
    Gemma2,
}

impl ModelType {
    /// Every model type, in declaration order.
    pub const ALL: [ModelType; 33] = [
        ModelType::Bart,
        ModelType::Bert,
        ModelType::DistilBert,
        ModelType::Deberta,
        ModelType::DebertaV2,
        ModelType::Roberta,
        ModelType::XLMRoberta,
        ModelType::Electra,
        ModelType::Marian,
        ModelType::MobileBert,
        ModelType::T5,
        ModelType::LongT5,
        ModelType::Albert,
        ModelType::XLNet,
        ModelType::GPT2,
        ModelType::GPTJ,
        ModelType::OpenAiGpt,
        ModelType::Reformer,
        ModelType::ProphetNet,
        ModelType::Longformer,
        ModelType::Pegasus,
        ModelType::GPTNeo,
        ModelType::MBart,
        ModelType::M2M100,
        ModelType::NLLB,
        ModelType::FNet,
        ModelType::MPNet,
        ModelType::Llama,
        ModelType::Mistral,
        ModelType::Qwen2,
        ModelType::Qwen3,
        ModelType::Phi3,
        ModelType::Gemma2,
    ];

    /// The `model_type` string HF writes in `config.json` for this architecture (`"nllb"` for
    /// [`ModelType::NLLB`], which HF files under `"m2m_100"`).
    pub fn hf_model_type(&self) -> &'static str {
        match self {
            ModelType::Bart => "bart",
            ModelType::Bert => "bert",
            ModelType::DistilBert => "distilbert",
            ModelType::Deberta => "deberta",
            ModelType::DebertaV2 => "deberta-v2",
            ModelType::Roberta => "roberta",
            ModelType::XLMRoberta => "xlm-roberta",
            ModelType::Electra => "electra",
            ModelType::Marian => "marian",
            ModelType::MobileBert => "mobilebert",
            ModelType::T5 => "t5",
            ModelType::LongT5 => "longt5",
            ModelType::Albert => "albert",
            ModelType::XLNet => "xlnet",
            ModelType::GPT2 => "gpt2",
            ModelType::GPTJ => "gptj",
            ModelType::OpenAiGpt => "openai-gpt",
            ModelType::Reformer => "reformer",
            ModelType::ProphetNet => "prophetnet",
            ModelType::Longformer => "longformer",
            ModelType::Pegasus => "pegasus",
            ModelType::GPTNeo => "gpt_neo",
            ModelType::MBart => "mbart",
            ModelType::M2M100 => "m2m_100",
            ModelType::NLLB => "nllb",
            ModelType::FNet => "fnet",
            ModelType::MPNet => "mpnet",
            ModelType::Llama => "llama",
            ModelType::Mistral => "mistral",
            ModelType::Qwen2 => "qwen2",
            ModelType::Qwen3 => "qwen3",
            ModelType::Phi3 => "phi3",
            ModelType::Gemma2 => "gemma2",
        }
    }

    /// The model type of an HF `model_type` string: HF's names, plus `"mt5"` (a T5 network)
    /// and `"nllb"`. Variant names as rust-bert serialized them are accepted too.
    pub fn from_hf_model_type(model_type: &str) -> Option<ModelType> {
        if model_type == "mt5" {
            return Some(ModelType::T5);
        }
        ModelType::ALL
            .iter()
            .copied()
            .find(|m| m.hf_model_type() == model_type || format!("{m:?}") == model_type)
    }

    /// Reads the architecture from a `config.json`'s `model_type` (what HF's `AutoModel`
    /// dispatches on).
    ///
    /// An M2M100 configuration whose `tokenizer_class` is NLLB's is [`ModelType::NLLB`].
    ///
    /// # Errors
    /// [`RustBertError::IOError`] when the file cannot be read,
    /// [`RustBertError::InvalidConfigurationError`] when it is not JSON or has no string
    /// `model_type`, and [`RustBertError::UnsupportedError`] naming the file and the value when
    /// the architecture is not one of [`ModelType`]'s.
    pub fn from_config_file<P: AsRef<Path>>(path: P) -> Result<ModelType, RustBertError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| {
            RustBertError::IOError(format!(
                "cannot read configuration file {}: {error}",
                path.display()
            ))
        })?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
            RustBertError::InvalidConfigurationError(format!(
                "invalid configuration in {}: {error}",
                path.display()
            ))
        })?;
        let value = json.get("model_type").ok_or_else(|| {
            RustBertError::InvalidConfigurationError(format!(
                "configuration file {} has no `model_type` field",
                path.display()
            ))
        })?;
        let name = value.as_str().ok_or_else(|| {
            RustBertError::InvalidConfigurationError(format!(
                "invalid configuration in {}, field `model_type`: expected a string, found {value}",
                path.display()
            ))
        })?;
        let model_type = ModelType::from_hf_model_type(name).ok_or_else(|| {
            RustBertError::UnsupportedError(format!(
                "configuration file {}: model_type `{name}` is not supported (supported: {})",
                path.display(),
                ModelType::ALL
                    .iter()
                    .map(ModelType::hf_model_type)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        // NLLB checkpoints are M2M100 networks; only their tokenizer tells them apart.
        let nllb_tokenizer = json
            .get("tokenizer_class")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|class| class.starts_with("Nllb"));
        Ok(match model_type {
            ModelType::M2M100 if nllb_tokenizer => ModelType::NLLB,
            other => other,
        })
    }
}

impl fmt::Display for ModelType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hf_model_type())
    }
}

impl FromStr for ModelType {
    type Err = RustBertError;

    /// Parses an HF `model_type` string (see [`ModelType::from_hf_model_type`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ModelType::from_hf_model_type(s).ok_or_else(|| {
            RustBertError::UnsupportedError(format!("model_type `{s}` is not supported"))
        })
    }
}
