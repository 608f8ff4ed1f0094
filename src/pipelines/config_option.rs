//! [`ConfigOption`]: a model configuration, one variant per configuration type of the crate.
//! It names every model's configuration, so it sits with the pipelines, above the models.
use crate::albert::AlbertConfig;
use crate::bert::BertConfig;
use crate::common::model_type::ModelType;
use crate::deberta::DebertaConfig;
use crate::deberta_v2::DebertaV2Config;
use crate::distilbert::DistilBertConfig;
use crate::electra::ElectraConfig;
use crate::fnet::FNetConfig;
use crate::longformer::LongformerConfig;
use crate::mobilebert::MobileBertConfig;
use crate::mpnet::MPNetConfig;
use crate::roberta::RobertaConfig;
use crate::{Config, RustBertError};
use std::collections::HashMap;
use std::convert::TryFrom;
use std::path::Path;

/// A model configuration, one variant per configuration type of the crate.
///
/// Architectures whose models are not in the crate yet have no variant:
/// [`ConfigOption::from_file`] answers `UnsupportedError` for them.
#[derive(Debug, Clone)]
pub enum ConfigOption {
    /// BERT configuration.
    Bert(BertConfig),
    /// DistilBERT configuration.
    DistilBert(DistilBertConfig),
    /// RoBERTa and XLM-RoBERTa configuration (BERT's keys).
    Roberta(RobertaConfig),
    /// ALBERT configuration.
    Albert(AlbertConfig),
    /// ELECTRA configuration.
    Electra(ElectraConfig),
    /// MobileBERT configuration.
    MobileBert(MobileBertConfig),
    /// FNet configuration.
    FNet(FNetConfig),
    /// Longformer configuration.
    Longformer(LongformerConfig),
    /// DeBERTa configuration.
    Deberta(DebertaConfig),
    /// DeBERTa-v2/v3 configuration.
    DebertaV2(DebertaV2Config),
    /// BART configuration.
    Bart(crate::bart::BartConfig),
    /// Marian configuration (BART's keys).
    Marian(crate::marian::MarianConfig),
    /// mBART / mBART-50 configuration (BART's keys).
    MBart(crate::mbart::MBartConfig),
    /// M2M100 configuration (BART's keys), also NLLB's.
    M2M100(crate::m2m_100::M2M100Config),
    /// T5 configuration.
    T5(crate::t5::T5Config),
    /// Pegasus configuration (BART's keys).
    Pegasus(crate::pegasus::PegasusConfig),
    /// LongT5 configuration (T5's keys and the encoder attention's).
    LongT5(crate::longt5::LongT5Config),
    /// GPT-2 configuration.
    GPT2(crate::gpt2::Gpt2Config),
    /// OpenAI GPT configuration (GPT-2's keys).
    OpenAiGpt(crate::openai_gpt::OpenAiGptConfig),
    /// XLNet configuration.
    XLNet(crate::xlnet::XLNetConfig),
    /// MPNet configuration.
    MPNet(MPNetConfig),
    /// GPT-Neo configuration.
    GPTNeo(crate::gpt_neo::GptNeoConfig),
    /// GPT-J configuration.
    GPTJ(crate::gpt_j::GptJConfig),
    /// Reformer.
    Reformer(crate::reformer::ReformerConfig),
    /// ProphetNet configuration.
    ProphetNet(crate::prophetnet::ProphetNetConfig),
    /// Configuration of the decoder LLMs (Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma 2; its
    /// `model_type` tells them apart).
    Llama(Box<crate::llama::LlamaConfig>),
}

impl ConfigOption {
    /// Loads the configuration of `model_type` from an HF `config.json`.
    ///
    /// Unlike rust-bert (which panics), a bad file is an error naming the file and field, and a
    /// model type without a configuration in this crate is `UnsupportedError` naming it.
    pub fn from_file<P: AsRef<Path>>(
        model_type: ModelType,
        path: P,
    ) -> Result<Self, RustBertError> {
        let path = path.as_ref();
        Ok(match model_type {
            ModelType::Bert => ConfigOption::Bert(BertConfig::try_from_file(path)?),
            ModelType::DistilBert => {
                ConfigOption::DistilBert(DistilBertConfig::try_from_file(path)?)
            }
            ModelType::Roberta | ModelType::XLMRoberta => {
                ConfigOption::Roberta(RobertaConfig::try_from_file(path)?)
            }
            ModelType::Albert => ConfigOption::Albert(AlbertConfig::try_from_file(path)?),
            ModelType::Electra => ConfigOption::Electra(ElectraConfig::try_from_file(path)?),
            ModelType::MobileBert => {
                ConfigOption::MobileBert(MobileBertConfig::try_from_file(path)?)
            }
            ModelType::FNet => ConfigOption::FNet(FNetConfig::try_from_file(path)?),
            ModelType::Longformer => {
                ConfigOption::Longformer(LongformerConfig::try_from_file(path)?)
            }
            ModelType::Deberta => ConfigOption::Deberta(DebertaConfig::try_from_file(path)?),
            ModelType::DebertaV2 => ConfigOption::DebertaV2(DebertaV2Config::try_from_file(path)?),
            ModelType::Bart => ConfigOption::Bart(crate::bart::BartConfig::try_from_file(path)?),
            ModelType::MBart => {
                ConfigOption::MBart(crate::mbart::MBartConfig::try_from_file(path)?)
            }
            ModelType::M2M100 | ModelType::NLLB => {
                ConfigOption::M2M100(crate::m2m_100::M2M100Config::try_from_file(path)?)
            }
            ModelType::Marian => {
                ConfigOption::Marian(crate::marian::MarianConfig::try_from_file(path)?)
            }
            ModelType::T5 => ConfigOption::T5(crate::t5::T5Config::try_from_file(path)?),
            ModelType::Pegasus => {
                ConfigOption::Pegasus(crate::pegasus::PegasusConfig::try_from_file(path)?)
            }
            ModelType::LongT5 => {
                ConfigOption::LongT5(crate::longt5::LongT5Config::try_from_file(path)?)
            }
            ModelType::GPT2 => ConfigOption::GPT2(crate::gpt2::Gpt2Config::try_from_file(path)?),
            ModelType::OpenAiGpt => {
                ConfigOption::OpenAiGpt(crate::openai_gpt::OpenAiGptConfig::try_from_file(path)?)
            }
            ModelType::XLNet => {
                ConfigOption::XLNet(crate::xlnet::XLNetConfig::try_from_file(path)?)
            }
            ModelType::MPNet => ConfigOption::MPNet(MPNetConfig::try_from_file(path)?),
            ModelType::GPTNeo => {
                ConfigOption::GPTNeo(crate::gpt_neo::GptNeoConfig::try_from_file(path)?)
            }
            ModelType::GPTJ => ConfigOption::GPTJ(crate::gpt_j::GptJConfig::try_from_file(path)?),
            ModelType::ProphetNet => {
                ConfigOption::ProphetNet(crate::prophetnet::ProphetNetConfig::try_from_file(path)?)
            }
            ModelType::Llama
            | ModelType::Mistral
            | ModelType::Qwen2
            | ModelType::Qwen3
            | ModelType::Phi3
            | ModelType::Gemma2 => {
                ConfigOption::Llama(Box::new(crate::llama::LlamaConfig::try_from_file(path)?))
            }
            ModelType::Reformer => {
                ConfigOption::Reformer(crate::reformer::ReformerConfig::try_from_file(path)?)
            }
        })
    }

    /// "a BERT configuration", ...: for errors about a configuration of the wrong architecture.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Bert(_) => "a BERT configuration",
            Self::DistilBert(_) => "a DistilBERT configuration",
            Self::Roberta(_) => "a RoBERTa configuration",
            Self::Albert(_) => "an ALBERT configuration",
            Self::Electra(_) => "an ELECTRA configuration",
            Self::MobileBert(_) => "a MobileBERT configuration",
            Self::FNet(_) => "an FNet configuration",
            Self::Longformer(_) => "a Longformer configuration",
            Self::Deberta(_) => "a DeBERTa configuration",
            Self::DebertaV2(_) => "a DeBERTa-v2 configuration",
            Self::Bart(_) => "a BART configuration",
            Self::Marian(_) => "a Marian configuration",
            Self::MBart(_) => "an mBART configuration",
            Self::M2M100(_) => "an M2M100 configuration",
            Self::T5(_) => "a T5 configuration",
            Self::Pegasus(_) => "a Pegasus configuration",
            Self::LongT5(_) => "a LongT5 configuration",
            Self::GPT2(_) => "a GPT-2 configuration",
            Self::OpenAiGpt(_) => "an OpenAI GPT configuration",
            Self::XLNet(_) => "an XLNet configuration",
            Self::MPNet(_) => "an MPNet configuration",
            Self::GPTNeo(_) => "a GPT-Neo configuration",
            Self::GPTJ(_) => "a GPT-J configuration",
            Self::Reformer(_) => "a Reformer configuration",
            Self::ProphetNet(_) => "a ProphetNet configuration",
            Self::Llama(_) => "a Llama-family configuration",
        }
    }

    /// Reads the model type from the file's `model_type` ([`ModelType::from_config_file`]) and
    /// loads the matching configuration, as HF's `AutoConfig` does.
    pub fn from_config_file<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        let model_type = ModelType::from_config_file(path.as_ref())?;
        Self::from_file(model_type, path)
    }

    /// The class labels (`id2label`) of a classification checkpoint.
    ///
    /// Returns an error (rust-bert panics) when the configuration has no `id2label`.
    pub fn get_label_mapping(&self) -> Result<&HashMap<i64, String>, RustBertError> {
        let labels = match self {
            Self::Bert(config) | Self::Roberta(config) => config.id2label.as_ref(),
            Self::DistilBert(config) => config.id2label.as_ref(),
            Self::Albert(config) => config.id2label.as_ref(),
            Self::Electra(config) => config.id2label.as_ref(),
            Self::MobileBert(config) => config.id2label.as_ref(),
            Self::FNet(config) => config.id2label.as_ref(),
            Self::Longformer(config) => config.id2label.as_ref(),
            Self::Deberta(config) => config.id2label.as_ref(),
            Self::DebertaV2(config) => config.id2label.as_ref(),
            Self::Bart(config)
            | Self::Marian(config)
            | Self::Pegasus(config)
            | Self::MBart(config)
            | Self::M2M100(config) => config.id2label.as_ref(),
            Self::XLNet(config) => config.id2label.as_ref(),
            Self::MPNet(config) => config.id2label.as_ref(),
            Self::ProphetNet(config) => config.id2label.as_ref(),
            Self::Reformer(config) => config.id2label.as_ref(),
            Self::T5(_)
            | Self::LongT5(_)
            | Self::GPT2(_)
            | Self::OpenAiGpt(_)
            | Self::GPTNeo(_)
            | Self::GPTJ(_)
            | Self::Llama(_) => None,
        };
        labels.ok_or_else(|| {
            RustBertError::InvalidConfigurationError(
                "no label dictionary (id2label) in the model configuration".to_string(),
            )
        })
    }

    /// The longest input the model accepts, in tokens.
    ///
    /// RoBERTa's positions start after its padding index, so its usable length is
    /// `max_position_embeddings - pad_token_id - 1` (512 for the 514 positions of roberta-base),
    /// HF's `model_max_length`; rust-bert returns 514.
    pub fn get_max_len(&self) -> Option<i64> {
        match self {
            Self::Bert(config) => Some(config.max_position_embeddings),
            Self::DistilBert(config) => Some(config.max_position_embeddings),
            Self::Albert(config) => Some(config.max_position_embeddings),
            Self::Electra(config) => Some(config.max_position_embeddings),
            Self::MobileBert(config) => Some(config.max_position_embeddings),
            Self::FNet(config) => Some(config.max_position_embeddings),
            // RoBERTa's positions: 4096 tokens for the 4098 of longformer-base-4096.
            Self::Longformer(config) => {
                Some(config.max_position_embeddings - config.padding_id() - 1)
            }
            // HF's DeBERTa tokenizers stop at 512 tokens, the configs' max_position_embeddings
            // (v3 has no absolute positions, but was trained at that length).
            Self::Deberta(config) => Some(config.max_position_embeddings),
            Self::DebertaV2(config) => Some(config.max_position_embeddings),
            Self::Roberta(config) => {
                let offset = config.pad_token_id.unwrap_or(1) + 1;
                Some(config.max_position_embeddings - offset)
            }
            Self::Bart(config)
            | Self::Marian(config)
            | Self::Pegasus(config)
            | Self::MBart(config)
            | Self::M2M100(config) => Some(config.max_position_embeddings),
            Self::T5(config) => config.n_positions.or(Some(512)),
            // Local attention: no limit but the file's.
            Self::LongT5(config) => config.n_positions,
            Self::GPT2(config) | Self::OpenAiGpt(config) => Some(config.n_positions),
            // Relative positions: no limit (HF's XLNet tokenizer has none either).
            Self::XLNet(_) => None,
            // RoBERTa's positions: they start after the padding index 1.
            Self::MPNet(config) => Some(config.max_position_embeddings - 2),
            Self::GPTNeo(config) => Some(config.max_position_embeddings),
            Self::GPTJ(config) => Some(config.n_positions),
            Self::Reformer(config) => Some(config.max_position_embeddings),
            Self::ProphetNet(config) => Some(config.max_position_embeddings),
            Self::Llama(config) => Some(config.max_position_embeddings),
        }
    }

    /// The vocabulary size.
    pub fn get_vocab_size(&self) -> i64 {
        match self {
            Self::Bert(config) | Self::Roberta(config) => config.vocab_size,
            Self::DistilBert(config) => config.vocab_size,
            Self::Albert(config) => config.vocab_size,
            Self::Electra(config) => config.vocab_size,
            Self::MobileBert(config) => config.vocab_size,
            Self::FNet(config) => config.vocab_size,
            Self::Longformer(config) => config.vocab_size,
            Self::Deberta(config) => config.vocab_size,
            Self::DebertaV2(config) => config.vocab_size,
            Self::Bart(config)
            | Self::Marian(config)
            | Self::Pegasus(config)
            | Self::MBart(config)
            | Self::M2M100(config) => config.vocab_size,
            Self::T5(config) => config.vocab_size,
            Self::LongT5(config) => config.vocab_size,
            Self::GPT2(config) | Self::OpenAiGpt(config) => config.vocab_size,
            Self::XLNet(config) => config.vocab_size,
            Self::MPNet(config) => config.vocab_size,
            Self::GPTNeo(config) => config.vocab_size,
            Self::GPTJ(config) => config.vocab_size,
            Self::Reformer(config) => config.vocab_size,
            Self::ProphetNet(config) => config.vocab_size,
            Self::Llama(config) => config.vocab_size,
        }
    }

    /// The decoder start token id (`None` for encoder-only models).
    pub fn get_decoder_start_token_id(&self) -> Option<i64> {
        match self {
            Self::Bart(config)
            | Self::Marian(config)
            | Self::Pegasus(config)
            | Self::MBart(config)
            | Self::M2M100(config) => config.decoder_start_token_id,
            Self::T5(config) => config.decoder_start_token_id.or(config.pad_token_id),
            Self::ProphetNet(config) => config.decoder_start_token_id,
            Self::LongT5(config) => config.decoder_start_token_id.or(config.pad_token_id),
            _ => None,
        }
    }

    /// The token generation is forced to start with (`None` for encoder-only models).
    pub fn get_forced_bos_token_id(&self) -> Option<i64> {
        match self {
            Self::Bart(config)
            | Self::Marian(config)
            | Self::Pegasus(config)
            | Self::MBart(config)
            | Self::M2M100(config) => config.forced_bos_token_id,
            Self::T5(config) => config.forced_bos_token_id,
            Self::LongT5(config) => config.forced_bos_token_id,
            Self::GPT2(config) | Self::OpenAiGpt(config) => config.forced_bos_token_id,
            Self::XLNet(config) => config.forced_bos_token_id,
            Self::GPTNeo(config) => config.forced_bos_token_id,
            Self::GPTJ(config) => config.forced_bos_token_id,
            Self::Reformer(config) => config.forced_bos_token_id,
            Self::ProphetNet(config) => config.forced_bos_token_id,
            _ => None,
        }
    }

    /// The token generation is forced to end with (`None` for encoder-only models).
    pub fn get_forced_eos_token_id(&self) -> Option<i64> {
        match self {
            Self::Bart(config)
            | Self::Marian(config)
            | Self::Pegasus(config)
            | Self::MBart(config)
            | Self::M2M100(config) => config.forced_eos_token_id,
            Self::T5(config) => config.forced_eos_token_id,
            Self::LongT5(config) => config.forced_eos_token_id,
            Self::GPT2(config) | Self::OpenAiGpt(config) => config.forced_eos_token_id,
            Self::XLNet(config) => config.forced_eos_token_id,
            Self::GPTNeo(config) => config.forced_eos_token_id,
            Self::GPTJ(config) => config.forced_eos_token_id,
            Self::Reformer(config) => config.forced_eos_token_id,
            Self::ProphetNet(config) => config.forced_eos_token_id,
            _ => None,
        }
    }
}

impl TryFrom<&ConfigOption> for BertConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::Bert(config) | ConfigOption::Roberta(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "a BertConfig (BERT, RoBERTa) was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for DistilBertConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::DistilBert(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "a DistilBertConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for AlbertConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::Albert(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "an AlbertConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for ElectraConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::Electra(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "an ElectraConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for MPNetConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::MPNet(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "an MPNetConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for MobileBertConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::MobileBert(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "a MobileBertConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for FNetConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::FNet(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "an FNetConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for LongformerConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::Longformer(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "a LongformerConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for DebertaConfig {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::Deberta(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "a DebertaConfig was expected, found {other:?}"
            ))),
        }
    }
}

impl TryFrom<&ConfigOption> for DebertaV2Config {
    type Error = RustBertError;

    fn try_from(config: &ConfigOption) -> Result<Self, Self::Error> {
        match config {
            ConfigOption::DebertaV2(config) => Ok(config.clone()),
            other => Err(RustBertError::InvalidConfigurationError(format!(
                "a DebertaV2Config was expected, found {other:?}"
            ))),
        }
    }
}
