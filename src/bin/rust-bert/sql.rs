//! `sql`: DataFusion SQL with the pipelines as functions, in this process or on a Ballista
//! cluster; `ballista-scheduler` and `ballista-executor` host that cluster.
use crate::args::{CaseArgs, ModelArgs, SqlArgs, SqlModelArgs};
use crate::local::{device, LocalModel};
use crate::CliError;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::physical_plan::{StatisticsArgs, StatisticsContext};
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_bert::pipelines::common::ModelResource;
use rust_bert::pipelines::ner::NERModel;
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use rust_bert::pipelines::sentiment::SentimentModel;
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig,
};
use rust_bert::pipelines::translation::{Language, TranslationConfig, TranslationModel};
use rust_bert::pipelines::zero_shot_classification::{
    ZeroShotClassificationConfig, ZeroShotClassificationModel,
};
use rust_bert::sql::{parse_language, PipelineFunctions};
use rust_bert::RustBertError;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tch::Device;

impl From<datafusion::error::DataFusionError> for CliError {
    fn from(error: datafusion::error::DataFusionError) -> Self {
        CliError(error.to_string())
    }
}

/// The files of a local folder, found again by each model the factory builds.
fn local(dir: &Path, lower_case: bool) -> Result<LocalModel, RustBertError> {
    let args = ModelArgs {
        model: Some(dir.to_path_buf()),
        model_type: None,
        config: None,
        weights: None,
        vocab: None,
        merges: None,
    };
    let case = CaseArgs {
        lower_case: false,
        no_lower_case: false,
    };
    LocalModel::find(dir, &args, lower_case.then_some(&case))
        .map_err(|error| RustBertError::InvalidConfigurationError(error.0))
}

fn cli_error(error: CliError) -> RustBertError {
    RustBertError::InvalidConfigurationError(error.0)
}

/// `SOURCES:TARGETS` of `--translate-languages`.
fn languages(value: &str) -> Result<(Vec<Language>, Vec<Language>), CliError> {
    let (sources, targets) = value.split_once(':').ok_or_else(|| {
        CliError(format!(
            "--translate-languages {value:?}: expected SOURCES:TARGETS, e.g. en:fr"
        ))
    })?;
    let list = |codes: &str| -> Result<Vec<Language>, CliError> {
        codes
            .split(',')
            .map(|code| parse_language(code).map_err(CliError))
            .collect()
    };
    Ok((list(sources)?, list(targets)?))
}

/// The classification configuration of a local folder.
fn classification(local: &LocalModel, device: Device) -> SequenceClassificationConfig {
    let mut config = local.classification_config();
    config.device = device;
    config.kind = crate::local::weights_kind();
    config
}

/// The functions of the models given (each model loaded when its function first runs).
pub fn functions(args: &SqlModelArgs) -> Result<PipelineFunctions, CliError> {
    let device = device(args.device)?;
    let mut functions = PipelineFunctions::new().strict(args.strict);
    #[cfg(feature = "remote")]
    if args.remote_defaults {
        functions = functions.remote_defaults();
    }
    #[cfg(not(feature = "remote"))]
    if args.remote_defaults {
        return Err(CliError::new(
            "--remote-defaults: this build has no `remote` feature to download models",
        ));
    }
    if let Some(dir) = &args.embed_model {
        let dir = dir.clone();
        // The dimension is read from the folder now; the model is loaded on first use.
        let config = SentenceEmbeddingsBuilder::local(&dir).into_config()?;
        let width = rust_bert::sql::embedding_dimension(&config)?;
        let width = usize::try_from(width)
            .map_err(|_| CliError(format!("{}: embedding dimension {width}", dir.display())))?;
        functions = functions.embed(width, move || {
            crate::local::sentence_builder(&dir, device).create_model()
        });
    }
    if let Some(dir) = &args.sentiment_model {
        let dir = dir.clone();
        local(&dir, true)?;
        functions = functions.sentiment(move || {
            let local = local(&dir, true)?;
            let config = classification(&local, device);
            SentimentModel::new_with_tokenizer(config, local.tokenizer().map_err(cli_error)?)
        });
    }
    if let Some(dir) = &args.classify_model {
        let dir = dir.clone();
        local(&dir, true)?;
        functions = functions.classify(move || {
            let local = local(&dir, true)?;
            let config = classification(&local, device);
            SequenceClassificationModel::new_with_tokenizer(
                config,
                local.tokenizer().map_err(cli_error)?,
            )
        });
    }
    if let Some(dir) = &args.zero_shot_model {
        let dir = dir.clone();
        local(&dir, true)?;
        functions = functions.zero_shot(128, move || {
            let local = local(&dir, true)?;
            let (vocab, merges) = local.vocab_resources();
            let mut config = ZeroShotClassificationConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
                local.lower_case,
                None,
                None,
            );
            config.device = device;
            config.kind = crate::local::weights_kind();
            ZeroShotClassificationModel::new_with_tokenizer(
                config,
                local.tokenizer().map_err(cli_error)?,
            )
        });
    }
    if let Some(dir) = &args.ner_model {
        let dir = dir.clone();
        local(&dir, true)?;
        functions = functions.ner(move || {
            let local = local(&dir, true)?;
            let (vocab, merges) = local.vocab_resources();
            let mut config = TokenClassificationConfig::new(
                local.model_type,
                ModelResource::Torch(Box::new(local.weights_resource())),
                local.config_resource(),
                vocab,
                merges,
                local.lower_case,
                None,
                None,
                LabelAggregationOption::First,
            );
            config.device = device;
            config.kind = crate::local::weights_kind();
            NERModel::new_with_tokenizer(config, local.tokenizer().map_err(cli_error)?)
        });
    }
    if let Some(dir) = &args.translate_model {
        let dir = dir.clone();
        local(&dir, false)?;
        let (sources, targets) = languages(args.translate_languages.as_deref().unwrap_or(""))?;
        functions = functions.translate(move || {
            let local = local(&dir, false)?;
            let (vocab, merges) = local.vocab_resources();
            let config = TranslationConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
                sources.clone(),
                targets.clone(),
                device,
            );
            TranslationModel::new_with_tokenizer(config, local.tokenizer().map_err(cli_error)?)
        });
    }
    if let Some(dir) = &args.summarize_model {
        let dir = dir.clone();
        local(&dir, false)?;
        functions = functions.summarize(move || {
            let local = local(&dir, false)?;
            let (vocab, merges) = local.vocab_resources();
            let mut config = SummarizationConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
            );
            config.device = device;
            config.kind = crate::local::weights_kind();
            SummarizationModel::new_with_tokenizer(config, local.tokenizer().map_err(cli_error)?)
        });
    }
    if let Some(dir) = &args.generate_model {
        let dir = dir.clone();
        local(&dir, false)?;
        functions = functions.generate(move || {
            let local = local(&dir, false)?;
            let (vocab, merges) = local.vocab_resources();
            let mut config = TextGenerationConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
            );
            config.device = device;
            config.kind = crate::local::weights_kind();
            config.do_sample = false;
            TextGenerationModel::new_with_tokenizer(config, local.tokenizer().map_err(cli_error)?)
        });
    }
    if functions.names().is_empty() {
        return Err(CliError::new(
            "no function has a model: give --embed-model DIR, --sentiment-model DIR, ... or \
             --remote-defaults",
        ));
    }
    Ok(functions)
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError(format!("cannot start the async runtime: {error}")))
}

/// Registers `--table NAME=PATH` (CSV by its extension, else Parquet).
async fn register_tables(ctx: &SessionContext, tables: &[String]) -> Result<(), CliError> {
    for table in tables {
        let (name, path) = table
            .split_once('=')
            .ok_or_else(|| CliError(format!("--table {table:?}: expected NAME=PATH")))?;
        let is_csv = path.ends_with(".csv")
            || std::fs::read_dir(path).is_ok_and(|mut entries| {
                entries.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "csv")))
            });
        if is_csv {
            ctx.register_csv(name, path, CsvReadOptions::new()).await?;
        } else {
            ctx.register_parquet(name, path, ParquetReadOptions::default())
                .await?;
        }
    }
    Ok(())
}

/// The progress bar over the result's rows (`total` when the plan knows it).
fn progress(total: Option<usize>, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {human_pos}/{human_len} rows  {per_sec}  eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {human_pos} rows  {per_sec}")
            {
                bar.set_style(style);
            }
            bar
        }
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}

/// Writes the stream to `out` through a temporary file beside it, renamed once the last batch
/// is written: a failed query leaves no file.
async fn write_parquet(
    mut stream: SendableRecordBatchStream,
    out: &Path,
    bar: &ProgressBar,
) -> Result<usize, CliError> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| CliError(format!("--out {}: not a file name", out.display())))?;
    let partial: PathBuf = out.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let result = async {
        let file = std::fs::File::create(&partial)
            .map_err(|e| CliError(format!("cannot create {}: {e}", partial.display())))?;
        let mut writer = ArrowWriter::try_new(file, stream.schema(), None)
            .map_err(|e| CliError(format!("{}: {e}", out.display())))?;
        let mut rows = 0;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows();
            writer
                .write(&batch)
                .map_err(|e| CliError(format!("{}: {e}", out.display())))?;
            bar.inc(batch.num_rows() as u64);
        }
        writer
            .close()
            .map_err(|e| CliError(format!("{}: {e}", out.display())))?;
        Ok::<usize, CliError>(rows)
    }
    .await;
    match result {
        Ok(rows) => {
            std::fs::rename(&partial, out).map_err(|e| {
                CliError(format!("cannot move the result to {}: {e}", out.display()))
            })?;
            Ok(rows)
        }
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            Err(error)
        }
    }
}

/// `sql`: runs the query; the result goes to `--out` or stdout.
pub fn sql(args: SqlArgs) -> Result<(), CliError> {
    let functions = functions(&args.models)?;
    runtime()?.block_on(async move {
        #[cfg(feature = "ballista")]
        let ctx = match &args.cluster {
            Some(url) => {
                rust_bert::sql::ballista::remote_context(url, &functions, session_config(&args))
                    .await?
            }
            None => local_context(&args, &functions),
        };
        #[cfg(not(feature = "ballista"))]
        let ctx = local_context(&args, &functions);
        let ctx = ctx.enable_url_table();
        register_tables(&ctx, &args.table).await?;
        let frame = ctx.sql(&args.query).await?;
        let plan = frame.create_physical_plan().await?;
        // Parquet footers give the row count before any row is read (a filter makes it an
        // estimate, and the bar then ends where the rows do).
        let total = StatisticsContext::new()
            .compute(plan.as_ref(), &StatisticsArgs::new())
            .ok()
            .and_then(|statistics| statistics.num_rows.get_value().copied());
        let bar = progress(total, args.quiet);
        let stream = datafusion::physical_plan::execute_stream(plan, ctx.task_ctx())?;
        match &args.out {
            Some(out) => {
                let rows = write_parquet(stream, out, &bar).await?;
                bar.finish_and_clear();
                if !args.quiet {
                    eprintln!("{rows} rows written to {}", out.display());
                }
            }
            None => {
                let batches: Vec<RecordBatch> =
                    datafusion::physical_plan::common::collect(stream).await?;
                bar.finish_and_clear();
                let table = pretty_format_batches(&batches)
                    .map_err(|e| CliError(format!("cannot print the result: {e}")))?;
                println!("{table}");
            }
        }
        Ok::<(), CliError>(())
    })
}

/// The options of `--batch-size` and `--partitions`.
fn session_config(args: &SqlArgs) -> SessionConfig {
    let config = SessionConfig::new().with_batch_size(args.batch_size);
    match args.partitions {
        Some(partitions) => config.with_target_partitions(partitions),
        None => config,
    }
}

/// A context of this process with the functions registered.
fn local_context(args: &SqlArgs, functions: &PipelineFunctions) -> SessionContext {
    let ctx = SessionContext::new_with_config(session_config(args));
    functions.register(&ctx);
    ctx
}

/// `ballista-scheduler`.
#[cfg(feature = "ballista")]
pub fn scheduler(args: crate::args::SchedulerArgs) -> Result<(), CliError> {
    use rust_bert::sql::ballista::{run_scheduler, SchedulerOptions};
    let functions = functions(&args.models)?;
    let options = SchedulerOptions {
        bind_host: args.bind_host,
        port: args.port,
        executor_timeout_seconds: args.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: args.expire_interval_seconds,
    };
    Ok(runtime()?.block_on(run_scheduler(&functions, &options))?)
}

/// `ballista-executor`.
#[cfg(feature = "ballista")]
pub fn executor(args: crate::args::ExecutorArgs) -> Result<(), CliError> {
    use rust_bert::sql::ballista::{run_executor, ExecutorOptions};
    let functions = functions(&args.models)?;
    let options = ExecutorOptions {
        bind_host: args.bind_host,
        port: args.port,
        grpc_port: args.grpc_port.unwrap_or(args.port.saturating_add(1)),
        scheduler_host: args.scheduler_host,
        scheduler_port: args.scheduler_port,
        concurrent_tasks: args.concurrent_tasks,
        work_dir: args.work_dir,
        heartbeat_interval_seconds: args.heartbeat_seconds,
    };
    Ok(runtime()?.block_on(run_executor(&functions, &options))?)
}
