//! What a sentence-transformers folder declares: the module list (`modules.json`), the
//! `sentence_bert_config.json` and `tokenizer_config.json` options, and the resources a
//! [`SentenceEmbeddingsModel`](super::SentenceEmbeddingsModel) is built from.
use crate::pipelines::common::ModelType;
use crate::resources::ResourceProvider;
use crate::{Config, RustBertError};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use tch::{Device, Kind};

#[cfg(feature = "remote")]
use crate::{
    albert::{AlbertConfigResources, AlbertModelResources, AlbertVocabResources},
    bert::{BertConfigResources, BertModelResources, BertVocabResources},
    distilbert::{DistilBertConfigResources, DistilBertModelResources, DistilBertVocabResources},
    pipelines::sentence_embeddings::resources::{
        SentenceEmbeddingsConfigResources, SentenceEmbeddingsDenseConfigResources,
        SentenceEmbeddingsDenseResources, SentenceEmbeddingsModelType,
        SentenceEmbeddingsModulesConfigResources, SentenceEmbeddingsPoolingConfigResources,
        SentenceEmbeddingsTokenizerConfigResources, SentenceT5Resources,
    },
    resources::RemoteResource,
    roberta::{
        RobertaConfigResources, RobertaMergesResources, RobertaModelResources,
        RobertaVocabResources,
    },
};

/// The resources and options of a [`SentenceEmbeddingsModel`](super::SentenceEmbeddingsModel):
/// the transformer, its tokenizer, and the sentence-transformers modules after it.
///
/// [`SentenceEmbeddingsBuilder`](super::SentenceEmbeddingsBuilder) fills it from a local folder
/// or a [`SentenceEmbeddingsModelType`](super::SentenceEmbeddingsModelType).
pub struct SentenceEmbeddingsConfig {
    /// `modules.json`: the module list (Transformer, Pooling, optional Dense and Normalize).
    pub modules_config_resource: Box<dyn ResourceProvider + Send>,
    /// Architecture of the transformer (BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA,
    /// MPNet, T5).
    pub transformer_type: ModelType,
    /// The transformer's HF `config.json`.
    pub transformer_config_resource: Box<dyn ResourceProvider + Send>,
    /// The transformer's weights (`.safetensors`, `.ot` or `.bin`).
    pub transformer_weights_resource: Box<dyn ResourceProvider + Send>,
    /// The Pooling module's `config.json`.
    pub pooling_config_resource: Box<dyn ResourceProvider + Send>,
    /// The Dense module's `config.json`, when `modules.json` lists one.
    pub dense_config_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// The Dense module's weights (`linear.weight`, `linear.bias`), when it has one.
    pub dense_weights_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// `sentence_bert_config.json` (maximum sequence length, lower-casing).
    pub sentence_bert_config_resource: Box<dyn ResourceProvider + Send>,
    /// The tokenizer's `tokenizer_config.json`.
    pub tokenizer_config_resource: Box<dyn ResourceProvider + Send>,
    /// The tokenizer's vocabulary (`vocab.txt`, `vocab.json`, `spiece.model`, ...).
    pub tokenizer_vocab_resource: Box<dyn ResourceProvider + Send>,
    /// The tokenizer's BPE merges (RoBERTa).
    pub tokenizer_merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Device to run on.
    pub device: Device,
    /// Precision of the weights (`None`: float32 on CPU).
    pub kind: Option<Kind>,
}

#[cfg(feature = "remote")]
fn remote(resource: (&'static str, &'static str)) -> Box<dyn ResourceProvider + Send> {
    Box::new(RemoteResource::from_pretrained(resource))
}

/// The sentence-transformers files of a checkpoint: modules, pooling, sentence-bert and
/// tokenizer configurations.
#[cfg(feature = "remote")]
macro_rules! st_files {
    ($name:ident) => {
        (
            SentenceEmbeddingsModulesConfigResources::$name,
            SentenceEmbeddingsPoolingConfigResources::$name,
            SentenceEmbeddingsConfigResources::$name,
            SentenceEmbeddingsTokenizerConfigResources::$name,
        )
    };
}

/// The Dense module's configuration and weights of a checkpoint that has one.
#[cfg(feature = "remote")]
macro_rules! dense_files {
    ($name:ident) => {
        Some((
            SentenceEmbeddingsDenseConfigResources::$name,
            SentenceEmbeddingsDenseResources::$name,
        ))
    };
}

#[cfg(feature = "remote")]
impl From<SentenceEmbeddingsModelType> for SentenceEmbeddingsConfig {
    /// The hub resources of a pretrained model (downloaded when the model is created).
    fn from(model_type: SentenceEmbeddingsModelType) -> Self {
        use SentenceEmbeddingsModelType as T;
        let (transformer_type, model, config, vocab, merges, st, dense) = match model_type {
            T::DistiluseBaseMultilingualCased => (
                ModelType::DistilBert,
                DistilBertModelResources::DISTILUSE_BASE_MULTILINGUAL_CASED,
                DistilBertConfigResources::DISTILUSE_BASE_MULTILINGUAL_CASED,
                DistilBertVocabResources::DISTILUSE_BASE_MULTILINGUAL_CASED,
                None,
                st_files!(DISTILUSE_BASE_MULTILINGUAL_CASED),
                dense_files!(DISTILUSE_BASE_MULTILINGUAL_CASED),
            ),
            T::BertBaseNliMeanTokens => (
                ModelType::Bert,
                BertModelResources::BERT_BASE_NLI_MEAN_TOKENS,
                BertConfigResources::BERT_BASE_NLI_MEAN_TOKENS,
                BertVocabResources::BERT_BASE_NLI_MEAN_TOKENS,
                None,
                st_files!(BERT_BASE_NLI_MEAN_TOKENS),
                None,
            ),
            T::AllMiniLmL12V2 => (
                ModelType::Bert,
                BertModelResources::ALL_MINI_LM_L12_V2,
                BertConfigResources::ALL_MINI_LM_L12_V2,
                BertVocabResources::ALL_MINI_LM_L12_V2,
                None,
                st_files!(ALL_MINI_LM_L12_V2),
                None,
            ),
            T::AllMiniLmL6V2 => (
                ModelType::Bert,
                BertModelResources::ALL_MINI_LM_L6_V2,
                BertConfigResources::ALL_MINI_LM_L6_V2,
                BertVocabResources::ALL_MINI_LM_L6_V2,
                None,
                st_files!(ALL_MINI_LM_L6_V2),
                None,
            ),
            T::AllDistilrobertaV1 => (
                ModelType::Roberta,
                RobertaModelResources::ALL_DISTILROBERTA_V1,
                RobertaConfigResources::ALL_DISTILROBERTA_V1,
                RobertaVocabResources::ALL_DISTILROBERTA_V1,
                Some(RobertaMergesResources::ALL_DISTILROBERTA_V1),
                st_files!(ALL_DISTILROBERTA_V1),
                None,
            ),
            T::ParaphraseAlbertSmallV2 => (
                ModelType::Albert,
                AlbertModelResources::PARAPHRASE_ALBERT_SMALL_V2,
                AlbertConfigResources::PARAPHRASE_ALBERT_SMALL_V2,
                AlbertVocabResources::PARAPHRASE_ALBERT_SMALL_V2,
                None,
                st_files!(PARAPHRASE_ALBERT_SMALL_V2),
                None,
            ),
            T::SentenceT5Base => (
                ModelType::T5,
                SentenceT5Resources::MODEL,
                SentenceT5Resources::CONFIG,
                SentenceT5Resources::VOCAB,
                None,
                st_files!(SENTENCE_T5_BASE),
                dense_files!(SENTENCE_T5_BASE),
            ),
        };
        let (modules, pooling, sentence_bert, tokenizer) = st;
        SentenceEmbeddingsConfig {
            modules_config_resource: remote(modules),
            transformer_type,
            transformer_config_resource: remote(config),
            transformer_weights_resource: remote(model),
            pooling_config_resource: remote(pooling),
            dense_config_resource: dense.map(|(config, _)| remote(config)),
            dense_weights_resource: dense.map(|(_, weights)| remote(weights)),
            sentence_bert_config_resource: remote(sentence_bert),
            tokenizer_config_resource: remote(tokenizer),
            tokenizer_vocab_resource: remote(vocab),
            tokenizer_merges_resource: merges.map(remote),
            device: Device::cuda_if_available(),
            kind: None,
        }
    }
}

/// The module list of a sentence-transformers model (`modules.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentenceEmbeddingsModulesConfig(pub Vec<SentenceEmbeddingsModuleConfig>);

impl std::ops::Deref for SentenceEmbeddingsModulesConfig {
    type Target = Vec<SentenceEmbeddingsModuleConfig>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for SentenceEmbeddingsModulesConfig {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl From<Vec<SentenceEmbeddingsModuleConfig>> for SentenceEmbeddingsModulesConfig {
    fn from(source: Vec<SentenceEmbeddingsModuleConfig>) -> Self {
        Self(source)
    }
}

impl Config for SentenceEmbeddingsModulesConfig {}

fn invalid(message: String) -> RustBertError {
    RustBertError::InvalidConfigurationError(format!("modules.json: {message}"))
}

impl SentenceEmbeddingsModulesConfig {
    /// Checks the layout this pipeline runs: a Transformer first, a Pooling second, then at most
    /// one Dense and at most one Normalize (in either order).
    ///
    /// # Errors
    /// `InvalidConfigurationError` describing the first module out of place.
    pub fn validate(self) -> Result<Self, RustBertError> {
        use SentenceEmbeddingsModuleType as M;
        match self.first().map(|m| &m.module_type) {
            Some(M::Transformer) => {}
            Some(other) => {
                return Err(invalid(format!(
                    "the first module must be a Transformer, found {other:?}"
                )))
            }
            None => return Err(invalid("no modules listed".into())),
        }
        match self.get(1).map(|m| &m.module_type) {
            Some(M::Pooling) => {}
            Some(other) => {
                return Err(invalid(format!(
                    "the second module must be a Pooling, found {other:?}"
                )))
            }
            None => return Err(invalid("no Pooling module after the Transformer".into())),
        }
        let rest = &self[2..];
        for (kind, name) in [(M::Dense, "Dense"), (M::Normalize, "Normalize")] {
            if rest.iter().filter(|m| m.module_type == kind).count() > 1 {
                return Err(invalid(format!(
                    "more than one {name} module (this pipeline runs at most one)"
                )));
            }
        }
        if let Some(m) = rest
            .iter()
            .find(|m| matches!(m.module_type, M::Transformer | M::Pooling))
        {
            return Err(invalid(format!(
                "a second {:?} module (`{}`) after the Pooling",
                m.module_type, m.name
            )));
        }
        Ok(self)
    }

    /// The Transformer module (the first).
    ///
    /// # Errors
    /// `InvalidConfigurationError` when the list does not start with one (see
    /// [`SentenceEmbeddingsModulesConfig::validate`]).
    pub fn transformer_module(&self) -> Result<&SentenceEmbeddingsModuleConfig, RustBertError> {
        self.first()
            .filter(|m| m.module_type == SentenceEmbeddingsModuleType::Transformer)
            .ok_or_else(|| invalid("the first module is not a Transformer".into()))
    }

    /// The Pooling module (the second).
    ///
    /// # Errors
    /// `InvalidConfigurationError` when the second module is not a Pooling.
    pub fn pooling_module(&self) -> Result<&SentenceEmbeddingsModuleConfig, RustBertError> {
        self.get(1)
            .filter(|m| m.module_type == SentenceEmbeddingsModuleType::Pooling)
            .ok_or_else(|| invalid("the second module is not a Pooling".into()))
    }

    /// The Dense module after the pooling, if any.
    pub fn dense_module(&self) -> Option<&SentenceEmbeddingsModuleConfig> {
        self.iter()
            .skip(2)
            .find(|m| m.module_type == SentenceEmbeddingsModuleType::Dense)
    }

    /// Whether the embeddings are L2-normalized (a Normalize module after the pooling).
    pub fn has_normalization(&self) -> bool {
        self.iter()
            .skip(2)
            .any(|m| m.module_type == SentenceEmbeddingsModuleType::Normalize)
    }
}

/// One entry of `modules.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentenceEmbeddingsModuleConfig {
    /// Position in the list.
    pub idx: usize,
    /// Name (usually the position as a string).
    pub name: String,
    /// Folder of the module's files, relative to the model folder (`""` for the transformer
    /// of current sentence-transformers folders).
    pub path: String,
    /// The module's class.
    #[serde(rename = "type", with = "module_type_names")]
    pub module_type: SentenceEmbeddingsModuleType,
}

/// The sentence-transformers module classes this pipeline runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SentenceEmbeddingsModuleType {
    /// `sentence_transformers.models.Transformer`: the token embeddings.
    Transformer,
    /// `sentence_transformers.models.Pooling`: token embeddings to one vector.
    Pooling,
    /// `sentence_transformers.models.Dense`: a linear layer and an activation.
    Dense,
    /// `sentence_transformers.models.Normalize`: L2 normalisation.
    Normalize,
}

/// Module types as sentence-transformers writes them (`sentence_transformers.models.Pooling`).
mod module_type_names {
    use super::*;

    pub fn serialize<S: Serializer>(
        module_type: &SentenceEmbeddingsModuleType,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("sentence_transformers.models.{module_type:?}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SentenceEmbeddingsModuleType, D::Error> {
        let name = String::deserialize(deserializer)?;
        // The class name is the last dotted segment; older folders name the transformer after
        // its architecture (`sentence_transformers.models.BERT`).
        let class = name.rsplit('.').next().unwrap_or_default();
        Ok(match class {
            "Transformer" | "BERT" | "DistilBERT" | "RoBERTa" | "XLMRoBERTa" | "ALBERT" => {
                SentenceEmbeddingsModuleType::Transformer
            }
            "Pooling" => SentenceEmbeddingsModuleType::Pooling,
            "Dense" => SentenceEmbeddingsModuleType::Dense,
            "Normalize" => SentenceEmbeddingsModuleType::Normalize,
            _ => {
                return Err(de::Error::custom(format!(
                    "unsupported sentence-transformers module `{name}` (supported: Transformer, \
                     Pooling, Dense, Normalize)"
                )))
            }
        })
    }
}

fn default_max_seq_length() -> usize {
    usize::MAX
}

/// `null` (sentence-transformers' "no limit of our own") reads as the default.
fn max_seq_length_or_default<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<usize, D::Error> {
    Ok(Option::<usize>::deserialize(deserializer)?.unwrap_or_else(default_max_seq_length))
}

/// `sentence_bert_config.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentenceEmbeddingsSentenceBertConfig {
    /// Inputs are truncated to this many tokens (and never beyond the model's maximum); absent
    /// or `null`: the model's maximum.
    #[serde(
        default = "default_max_seq_length",
        deserialize_with = "max_seq_length_or_default"
    )]
    pub max_seq_length: usize,
    /// Lower-case the texts before tokenization.
    #[serde(default)]
    pub do_lower_case: bool,
}

impl Default for SentenceEmbeddingsSentenceBertConfig {
    fn default() -> Self {
        Self {
            max_seq_length: default_max_seq_length(),
            do_lower_case: false,
        }
    }
}

impl Config for SentenceEmbeddingsSentenceBertConfig {}

/// The options of the tokenizer's `tokenizer_config.json` the pipeline reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SentenceEmbeddingsTokenizerConfig {
    /// Add a space before the text (RoBERTa).
    #[serde(default)]
    pub add_prefix_space: Option<bool>,
    /// Strip accents (BERT, ALBERT); `None`: as lower-casing.
    #[serde(default)]
    pub strip_accents: Option<bool>,
    /// Lower-case (when absent, `do_lower_case` of `sentence_bert_config.json`).
    #[serde(default)]
    pub do_lower_case: Option<bool>,
}

impl Config for SentenceEmbeddingsTokenizerConfig {}
