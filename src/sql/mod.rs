//! The pipelines as [Apache DataFusion](https://datafusion.apache.org) scalar functions
//! (feature `datafusion`), so that SQL over Parquet, CSV or any DataFusion table runs them on a
//! whole corpus: planned, partitioned and streamed by DataFusion in one process, or by a
//! Ballista cluster (feature `ballista`, module [`ballista`]).
//!
//! ```no_run
//! # async fn run() -> datafusion::error::Result<()> {
//! use datafusion::prelude::{ParquetReadOptions, SessionContext};
//! use rust_bert::sql::PipelineFunctions;
//!
//! let ctx = SessionContext::new();
//! PipelineFunctions::new()
//!     .embed_local(".venv/models/all-MiniLM-L6-v2")?
//!     .register(&ctx);
//! ctx.register_parquet("corpus", "corpus/", ParquetReadOptions::default()).await?;
//! let batches = ctx.sql("SELECT id, embed(body) AS e FROM corpus").await?.collect().await?;
//! # Ok(()) }
//! ```
//!
//! # The functions
//! | function | returns |
//! |---|---|
//! | `embed(text)` | `FixedSizeList<Float32>` of the model's dimension |
//! | `sentiment(text)` | `struct{label: 'positive' \| 'negative', score}` |
//! | `classify(text)` | `struct{label, score, id}`: the most likely label |
//! | `zero_shot(text, labels)` | `list<struct{label, score}>`, every candidate scored, best first; `labels` a list (`['sports', 'politics']`) or a comma-separated string |
//! | `ner(text)` | `list<struct{word, label, score, start, end}>` (grouped entities; character offsets) |
//! | `translate(text, source, target)` | `Utf8`; languages by code (`en`, `fra`) or English name |
//! | `summarize(text)` | `Utf8` |
//! | `generate(text)` | `Utf8`: the prompt and its continuation |
//!
//! Only the functions given a model are registered. Each runs its pipeline once per record batch
//! on the batch's non-null rows, through the pipeline's own length-sorted batching (`translate`
//! and `summarize` [`DEFAULT_GENERATION_CHUNK`] rows per call, `generate` one: a decoder's
//! batch pads prompts to the longest and its length limits count the padding, so a row's
//! continuation would depend on its neighbours). A row's value never depends on the rows
//! sharing its batch, so one process and a cluster give the same rows. Models are loaded on first use, at most
//! [`PipelineFunctions::models_per_function`] per function and process, each lent to one thread
//! at a time and kept for the life of the registration.
//!
//! # Nulls and refused rows
//! A null input (or a null argument) gives a null. A row the pipeline refuses (an unknown
//! language, a zero-shot row without labels...) gives a null, and the query goes on; with
//! [`PipelineFunctions::strict`] the query fails instead, naming the row and the reason. Every
//! function also has a `try_` twin (`try_embed`, `try_translate`...) returning
//! `struct{value, error}`: the value and, for a refused row, the pipeline's error message — the
//! per-row error column, where one is wanted (`SELECT t['value'], t['error'] FROM (SELECT
//! try_translate(body, 'en', 'xx') AS t FROM corpus)`). A model that cannot be loaded fails the
//! query (it is no row's fault).
mod functions;
mod pool;

#[cfg(feature = "ballista")]
pub mod ballista;

pub use functions::parse_language;
pub use pool::{ModelFactory, ModelPool};

use crate::common::config::Config;
use crate::pipelines::ner::NERModel;
use crate::pipelines::sentence_embeddings::layers::{DenseConfig, PoolingConfig};
use crate::pipelines::sentence_embeddings::{
    SentenceEmbeddingsBuilder, SentenceEmbeddingsConfig, SentenceEmbeddingsModel,
};
use crate::pipelines::sentiment::SentimentModel;
use crate::pipelines::sequence_classification::SequenceClassificationModel;
use crate::pipelines::summarization::SummarizationModel;
use crate::pipelines::text_generation::TextGenerationModel;
use crate::pipelines::translation::TranslationModel;
use crate::pipelines::zero_shot_classification::ZeroShotClassificationModel;
use crate::resources::ResourceProvider;
use crate::RustBertError;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;
use functions::{
    Classify, Embed, Generate, Ner, PipelineUdf, Refusal, Sentiment, Summarize, Task, Translate,
    ZeroShot,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Rows per pipeline call for `translate` and `summarize`: their pipelines pad a call's inputs
/// into one batch (right-padded encoder inputs: a batch gives each row's output alone).
pub const DEFAULT_GENERATION_CHUNK: usize = 16;

/// Rows per pipeline call for the others, whose pipelines cut length-sorted batches themselves.
pub const DEFAULT_CHUNK: usize = 8192;

/// The pipeline functions to register: a model (a factory) per function, and their options.
///
/// Cloning shares the loaded models (clones register the same pools).
#[derive(Clone, Debug)]
pub struct PipelineFunctions {
    tasks: Vec<Arc<dyn Task>>,
    models_per_function: usize,
    strict: bool,
    chunk: usize,
    generation_chunk: usize,
}

impl Default for PipelineFunctions {
    fn default() -> Self {
        PipelineFunctions {
            tasks: Vec::new(),
            models_per_function: 1,
            strict: false,
            chunk: DEFAULT_CHUNK,
            generation_chunk: DEFAULT_GENERATION_CHUNK,
        }
    }
}

/// The width of the embeddings a sentence-transformers configuration produces, read from its
/// Dense (else Pooling) configuration, without loading the model.
///
/// # Errors
/// A configuration file that cannot be fetched or read.
pub fn embedding_dimension(config: &SentenceEmbeddingsConfig) -> Result<i64, RustBertError> {
    match &config.dense_config_resource {
        Some(dense) => Ok(DenseConfig::try_from_file(dense.get_local_path()?)?.out_features),
        None => Ok(
            PoolingConfig::try_from_file(config.pooling_config_resource.get_local_path()?)?
                .output_dimension(),
        ),
    }
}

impl PipelineFunctions {
    /// No function yet: add them with [`PipelineFunctions::embed`], [`PipelineFunctions::sentiment`]...
    pub fn new() -> Self {
        Self::default()
    }

    /// Models each function may load per process (default 1: one model, lent to one thread at a
    /// time, LibTorch using every core for it). More let several partitions run the same
    /// function at once, each with its own model (memory grows with it).
    ///
    /// Applies to the functions added after this call.
    pub fn models_per_function(mut self, models: usize) -> Self {
        self.models_per_function = models.max(1);
        self
    }

    /// Whether a refused row fails the query (default: it gives a null).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Rows per pipeline call for the non-generating functions (default [`DEFAULT_CHUNK`]: the
    /// whole record batch). Applies to the functions added after this call.
    pub fn chunk(mut self, rows: usize) -> Self {
        self.chunk = rows.max(1);
        self
    }

    /// Rows per pipeline call for `translate` and `summarize` (default
    /// [`DEFAULT_GENERATION_CHUNK`]; `generate` runs one prompt per call). Applies to the
    /// functions added after this call.
    pub fn generation_chunk(mut self, rows: usize) -> Self {
        self.generation_chunk = rows.max(1);
        self
    }

    fn pool<M>(
        &self,
        factory: impl Fn() -> Result<M, RustBertError> + Send + Sync + 'static,
    ) -> Arc<ModelPool<M>> {
        Arc::new(ModelPool::new(Box::new(factory), self.models_per_function))
    }

    fn with(mut self, task: Arc<dyn Task>) -> Self {
        // A later model for the same function replaces the earlier one.
        self.tasks.retain(|t| t.name() != task.name());
        self.tasks.push(task);
        self
    }

    /// `embed(text)`, embeddings of `dimension` values from the models `factory` builds.
    pub fn embed(
        self,
        dimension: usize,
        factory: impl Fn() -> Result<SentenceEmbeddingsModel, RustBertError> + Send + Sync + 'static,
    ) -> Self {
        let task = Embed {
            pool: self.pool(factory),
            dimension: i32::try_from(dimension).unwrap_or(i32::MAX),
            chunk: self.chunk,
        };
        self.with(Arc::new(task))
    }

    /// `embed(text)` with a sentence-transformers folder (its dimension read from its
    /// configuration files now, the model loaded on first use, on the default device).
    ///
    /// # Errors
    /// A missing or invalid file of the folder.
    pub fn embed_local(self, dir: impl Into<PathBuf>) -> Result<Self, RustBertError> {
        let dir = dir.into();
        let config = SentenceEmbeddingsBuilder::local(&dir).into_config()?;
        let dimension = embedding_dimension(&config)?;
        let dimension = usize::try_from(dimension).map_err(|_| {
            RustBertError::InvalidConfigurationError(format!(
                "{}: embedding dimension {dimension}",
                dir.display()
            ))
        })?;
        Ok(self.embed(dimension, move || {
            SentenceEmbeddingsBuilder::local(&dir).create_model()
        }))
    }

    /// `sentiment(text)`.
    pub fn sentiment(
        self,
        factory: impl Fn() -> Result<SentimentModel, RustBertError> + Send + Sync + 'static,
    ) -> Self {
        let task = Sentiment {
            pool: self.pool(factory),
            chunk: self.chunk,
        };
        self.with(Arc::new(task))
    }

    /// `classify(text)`.
    pub fn classify(
        self,
        factory: impl Fn() -> Result<SequenceClassificationModel, RustBertError> + Send + Sync + 'static,
    ) -> Self {
        let task = Classify {
            pool: self.pool(factory),
            chunk: self.chunk,
        };
        self.with(Arc::new(task))
    }

    /// `zero_shot(text, labels)`; each premise/hypothesis pair is cut to `max_length` tokens.
    pub fn zero_shot(
        self,
        max_length: usize,
        factory: impl Fn() -> Result<ZeroShotClassificationModel, RustBertError> + Send + Sync + 'static,
    ) -> Self {
        let task = ZeroShot {
            pool: self.pool(factory),
            chunk: self.chunk,
            max_length,
        };
        self.with(Arc::new(task))
    }

    /// `ner(text)`.
    pub fn ner(
        self,
        factory: impl Fn() -> Result<NERModel, RustBertError> + Send + Sync + 'static,
    ) -> Self {
        let task = Ner {
            pool: self.pool(factory),
            chunk: self.chunk,
        };
        self.with(Arc::new(task))
    }

    /// `translate(text, source, target)`.
    pub fn translate(
        self,
        factory: impl Fn() -> Result<TranslationModel, RustBertError> + Send + Sync + 'static,
    ) -> Self {
        let task = Translate {
            pool: self.pool(factory),
            chunk: self.generation_chunk,
        };
        self.with(Arc::new(task))
    }

    /// `summarize(text)`.
    pub fn summarize(
        self,
        factory: impl Fn() -> Result<SummarizationModel, RustBertError> + Send + Sync + 'static,
    ) -> Self {
        let task = Summarize {
            pool: self.pool(factory),
            chunk: self.generation_chunk,
        };
        self.with(Arc::new(task))
    }

    /// `generate(text)`.
    pub fn generate(
        self,
        factory: impl Fn() -> Result<TextGenerationModel, RustBertError> + Send + Sync + 'static,
    ) -> Self {
        // One prompt per call: a batch pads its prompts to the longest, and the length limits
        // count that padding, so a row's continuation would depend on the rows batched with it
        // (its partition, its record batch) instead of on the row alone.
        let task = Generate {
            pool: self.pool(factory),
            chunk: 1,
        };
        self.with(Arc::new(task))
    }

    /// Every function with its rust-bert default model (downloaded on first use): all but
    /// `translate`, which needs a language pair (add it with [`PipelineFunctions::translate`]).
    #[cfg(feature = "remote")]
    pub fn remote_defaults(self) -> Self {
        use crate::pipelines::sentence_embeddings::SentenceEmbeddingsModelType;
        self.embed(384, || {
            SentenceEmbeddingsBuilder::remote(SentenceEmbeddingsModelType::AllMiniLmL6V2)
                .create_model()
        })
        .sentiment(|| SentimentModel::new(Default::default()))
        .classify(|| SequenceClassificationModel::new(Default::default()))
        .zero_shot(128, || ZeroShotClassificationModel::new(Default::default()))
        .ner(|| NERModel::new(Default::default()))
        .summarize(|| SummarizationModel::new(Default::default()))
        .generate(|| TextGenerationModel::new(Default::default()))
    }

    /// The names of the functions with a model (their `try_` twins not listed).
    pub fn names(&self) -> Vec<&'static str> {
        self.tasks.iter().map(|task| task.name()).collect()
    }

    /// The scalar functions: each function and its `try_` twin.
    pub fn udfs(&self) -> Vec<Arc<ScalarUDF>> {
        let plain = if self.strict {
            Refusal::Strict
        } else {
            Refusal::Null
        };
        self.tasks
            .iter()
            .flat_map(|task| {
                [
                    PipelineUdf::new(task.name().to_string(), task.clone(), plain),
                    PipelineUdf::new(
                        format!("try_{}", task.name()),
                        task.clone(),
                        Refusal::ErrorColumn,
                    ),
                ]
            })
            .map(|udf| Arc::new(ScalarUDF::new_from_impl(udf)))
            .collect()
    }

    /// Registers the functions on `ctx` (replacing functions of the same names).
    pub fn register(&self, ctx: &SessionContext) {
        for udf in self.udfs() {
            ctx.register_udf(udf.as_ref().clone());
        }
    }

    /// Registers the functions on any function registry (a `SessionState`...).
    ///
    /// # Errors
    /// The registry's.
    pub fn register_on(
        &self,
        registry: &mut dyn FunctionRegistry,
    ) -> datafusion::error::Result<()> {
        for udf in self.udfs() {
            registry.register_udf(udf)?;
        }
        Ok(())
    }
}
