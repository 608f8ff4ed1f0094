//! [`SentenceEmbeddingsBuilder`]: a [`SentenceEmbeddingsModel`] from a local
//! sentence-transformers folder or from a pretrained model of the hub.
use crate::pipelines::common::ModelType;
use crate::pipelines::sentence_embeddings::pipeline::check_supported;
use crate::pipelines::sentence_embeddings::{
    SentenceEmbeddingsConfig, SentenceEmbeddingsModel, SentenceEmbeddingsModulesConfig,
};
use crate::resources::{LocalResource, ResourceProvider};
use crate::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::{Device, Kind};

#[cfg(feature = "remote")]
use crate::{
    pipelines::sentence_embeddings::SentenceEmbeddingsModelType, resources::RemoteResource,
};

/// Builds a [`SentenceEmbeddingsModel`]: [`SentenceEmbeddingsBuilder::local`] for a folder
/// saved by sentence-transformers, [`SentenceEmbeddingsBuilder::remote`] for a pretrained model.
pub struct SentenceEmbeddingsBuilder<T> {
    device: Device,
    kind: Option<Kind>,
    inner: T,
}

impl<T> SentenceEmbeddingsBuilder<T> {
    /// The device to run on (default: CUDA when available).
    pub fn with_device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// The precision of the weights (default: float32 on CPU).
    pub fn with_kind(mut self, kind: Kind) -> Self {
        self.kind = Some(kind);
        self
    }
}

/// A local sentence-transformers folder.
pub struct Local {
    model_dir: PathBuf,
}

/// The first of `names` present in `dir`, else an error listing them.
fn first_existing(dir: &Path, names: &[&str], what: &str) -> Result<PathBuf, RustBertError> {
    names
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            RustBertError::IOError(format!(
                "no {what} in {} (looked for {})",
                dir.display(),
                names.join(", ")
            ))
        })
}

/// Weight files, in order of preference.
const WEIGHT_FILES: [&str; 4] = [
    "model.safetensors",
    "rust_model.ot",
    "model.safetensors.index.json",
    "pytorch_model.bin",
];

fn boxed(path: PathBuf) -> Box<dyn ResourceProvider + Send> {
    Box::new(LocalResource::from(path))
}

impl SentenceEmbeddingsBuilder<Local> {
    /// A model from a folder saved by sentence-transformers: `modules.json`, the transformer's
    /// `config.json`, weights (`model.safetensors`, `rust_model.ot` or `pytorch_model.bin`) and
    /// tokenizer files in the Transformer module's folder, `1_Pooling/config.json`, and the
    /// optional Dense module's `config.json` and weights.
    pub fn local<P: Into<PathBuf>>(model_dir: P) -> Self {
        Self {
            device: Device::cuda_if_available(),
            kind: None,
            inner: Local {
                model_dir: model_dir.into(),
            },
        }
    }

    /// Reads the folder and builds the model.
    ///
    /// # Errors
    /// A missing or invalid file (named), an unsupported transformer architecture, and the
    /// errors of [`SentenceEmbeddingsModel::new`].
    pub fn create_model(self) -> Result<SentenceEmbeddingsModel, RustBertError> {
        SentenceEmbeddingsModel::new(self.into_config()?)
    }

    /// The configuration [`SentenceEmbeddingsBuilder::create_model`] builds the model from.
    ///
    /// # Errors
    /// As [`SentenceEmbeddingsBuilder::create_model`], for the files it reads.
    pub fn into_config(self) -> Result<SentenceEmbeddingsConfig, RustBertError> {
        let model_dir = self.inner.model_dir;
        let modules_config = model_dir.join("modules.json");
        let modules =
            SentenceEmbeddingsModulesConfig::try_from_file(&modules_config)?.validate()?;
        // Current folders keep the transformer at the top (path ""), older ones in `0_BERT/`...
        let transformer_dir = model_dir.join(&modules.transformer_module()?.path);
        let transformer_config = transformer_dir.join("config.json");
        let transformer_type = ModelType::from_config_file(&transformer_config)?;
        check_supported(transformer_type)?;
        let transformer_weights =
            first_existing(&transformer_dir, &WEIGHT_FILES, "transformer weights")?;
        let pooling_config = model_dir
            .join(&modules.pooling_module()?.path)
            .join("config.json");
        let (dense_config, dense_weights) = match modules.dense_module() {
            Some(module) => {
                let dense_dir = model_dir.join(&module.path);
                (
                    Some(boxed(dense_dir.join("config.json"))),
                    Some(boxed(first_existing(
                        &dense_dir,
                        &WEIGHT_FILES,
                        "Dense module weights",
                    )?)),
                )
            }
            None => (None, None),
        };
        let (vocab, merges) = match transformer_type {
            ModelType::Roberta => (
                transformer_dir.join("vocab.json"),
                Some(transformer_dir.join("merges.txt")),
            ),
            ModelType::XLMRoberta => (transformer_dir.join("sentencepiece.bpe.model"), None),
            ModelType::Albert | ModelType::T5 => (transformer_dir.join("spiece.model"), None),
            _ => (transformer_dir.join("vocab.txt"), None),
        };
        Ok(SentenceEmbeddingsConfig {
            modules_config_resource: boxed(modules_config),
            transformer_type,
            transformer_config_resource: boxed(transformer_config),
            transformer_weights_resource: boxed(transformer_weights),
            pooling_config_resource: boxed(pooling_config),
            dense_config_resource: dense_config,
            dense_weights_resource: dense_weights,
            sentence_bert_config_resource: boxed(transformer_dir.join("sentence_bert_config.json")),
            tokenizer_config_resource: boxed(transformer_dir.join("tokenizer_config.json")),
            tokenizer_vocab_resource: boxed(vocab),
            tokenizer_merges_resource: merges.map(boxed),
            device: self.device,
            kind: self.kind,
        })
    }
}

/// A pretrained model of the hub, with each resource replaceable.
#[cfg(feature = "remote")]
pub struct Remote {
    config: SentenceEmbeddingsConfig,
}

#[cfg(feature = "remote")]
impl SentenceEmbeddingsBuilder<Remote> {
    /// A pretrained model (its files are downloaded by
    /// [`SentenceEmbeddingsBuilder::create_model`], then cached).
    pub fn remote(model_type: SentenceEmbeddingsModelType) -> Self {
        Self {
            device: Device::cuda_if_available(),
            kind: None,
            inner: Remote {
                config: SentenceEmbeddingsConfig::from(model_type),
            },
        }
    }

    /// Replaces `modules.json`.
    pub fn modules_config(mut self, resource: RemoteResource) -> Self {
        self.inner.config.modules_config_resource = Box::new(resource);
        self
    }

    /// Replaces the transformer's `config.json`.
    pub fn transformer_config(mut self, resource: RemoteResource) -> Self {
        self.inner.config.transformer_config_resource = Box::new(resource);
        self
    }

    /// Replaces the transformer's weights.
    pub fn transformer_weights(mut self, resource: RemoteResource) -> Self {
        self.inner.config.transformer_weights_resource = Box::new(resource);
        self
    }

    /// Replaces the pooling configuration.
    pub fn pooling_config(mut self, resource: RemoteResource) -> Self {
        self.inner.config.pooling_config_resource = Box::new(resource);
        self
    }

    /// Sets the Dense module's configuration.
    pub fn dense_config(mut self, resource: RemoteResource) -> Self {
        self.inner.config.dense_config_resource = Some(Box::new(resource));
        self
    }

    /// Sets the Dense module's weights.
    pub fn dense_weights(mut self, resource: RemoteResource) -> Self {
        self.inner.config.dense_weights_resource = Some(Box::new(resource));
        self
    }

    /// Replaces `sentence_bert_config.json`.
    pub fn sentence_bert_config(mut self, resource: RemoteResource) -> Self {
        self.inner.config.sentence_bert_config_resource = Box::new(resource);
        self
    }

    /// Replaces `tokenizer_config.json`.
    pub fn tokenizer_config(mut self, resource: RemoteResource) -> Self {
        self.inner.config.tokenizer_config_resource = Box::new(resource);
        self
    }

    /// Replaces the tokenizer's vocabulary.
    pub fn tokenizer_vocab(mut self, resource: RemoteResource) -> Self {
        self.inner.config.tokenizer_vocab_resource = Box::new(resource);
        self
    }

    /// Sets the tokenizer's merges.
    pub fn tokenizer_merges(mut self, resource: RemoteResource) -> Self {
        self.inner.config.tokenizer_merges_resource = Some(Box::new(resource));
        self
    }

    /// Downloads what is not cached yet and builds the model.
    ///
    /// # Errors
    /// `UnsupportedError` for a transformer not in this crate, before any
    /// download; download errors; the errors of [`SentenceEmbeddingsModel::new`].
    pub fn create_model(self) -> Result<SentenceEmbeddingsModel, RustBertError> {
        let mut config = self.inner.config;
        config.device = self.device;
        config.kind = self.kind;
        SentenceEmbeddingsModel::new(config)
    }
}
