//! The same functions on a [Ballista](https://datafusion.apache.org/ballista/) cluster (feature
//! `ballista`): a scheduler, executors, and a client context, each knowing the functions.
//!
//! The scheduler plans a query with the functions' signatures (it never loads a model: the
//! functions are volatile, so no call is folded at planning time); each executor loads its
//! models on first use and keeps them for its life. The query text is the one run in one
//! process. The `rust-bert` command line hosts them:
//!
//! ```text
//! rust-bert ballista-scheduler --port 50050
//! rust-bert ballista-executor --scheduler-port 50050 --port 50051 --embed-model DIR
//! rust-bert ballista-executor --scheduler-port 50050 --port 50053 --embed-model DIR
//! rust-bert sql --cluster df://127.0.0.1:50050 --embed-model DIR \
//!     "SELECT id, embed(body) FROM 'corpus/'" --out embeddings.parquet
//! ```
//!
//! # Lost executors
//! An executor that stops answering is declared lost after
//! [`SchedulerOptions::executor_timeout_seconds`] without a heartbeat; Ballista then runs its
//! unfinished tasks again on the others (up to 4 failures per task, its `task_max_failures`),
//! and the stages whose finished output lived on it. A query with one executor killed midway
//! thus completes with every row once; `sql --out` writes to a temporary file renamed on
//! success, so a query that fails anyway leaves no partial output.
use super::PipelineFunctions;
use ballista::prelude::SessionContextExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use std::net::SocketAddr;
use std::sync::Arc;

/// Where a scheduler listens, and how fast it gives up on a silent executor.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Address to bind (default 127.0.0.1).
    pub bind_host: String,
    /// gRPC port (default 50050).
    pub port: u16,
    /// Seconds without a heartbeat before an executor is declared lost and its tasks run
    /// elsewhere (Ballista's default: 180).
    pub executor_timeout_seconds: u64,
    /// How often lost executors are looked for, in seconds (Ballista's default: 15).
    pub expire_dead_executor_interval_seconds: u64,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            bind_host: "127.0.0.1".into(),
            port: 50050,
            executor_timeout_seconds: 180,
            expire_dead_executor_interval_seconds: 15,
        }
    }
}

/// Where an executor listens, which scheduler it serves, and how many tasks it runs at once.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// Address to bind and advertise (default 127.0.0.1).
    pub bind_host: String,
    /// Arrow Flight port, serving results (default 50051).
    pub port: u16,
    /// gRPC port, receiving tasks (default 50052).
    pub grpc_port: u16,
    /// The scheduler's host (default 127.0.0.1).
    pub scheduler_host: String,
    /// The scheduler's port (default 50050).
    pub scheduler_port: u16,
    /// Tasks run at once (default 1: one model per function, LibTorch using every core).
    pub concurrent_tasks: usize,
    /// Folder for shuffle files (default: a temporary folder).
    pub work_dir: Option<String>,
    /// Seconds between heartbeats (Ballista's default: 60; keep it below the scheduler's
    /// executor timeout).
    pub heartbeat_interval_seconds: u64,
}

impl Default for ExecutorOptions {
    fn default() -> Self {
        ExecutorOptions {
            bind_host: "127.0.0.1".into(),
            port: 50051,
            grpc_port: 50052,
            scheduler_host: "127.0.0.1".into(),
            scheduler_port: 50050,
            concurrent_tasks: 1,
            work_dir: None,
            heartbeat_interval_seconds: 60,
        }
    }
}

fn ballista_error(error: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::External(error.to_string().into())
}

/// The scheduler's configuration: Ballista's defaults, `options`, and sessions that know the
/// functions.
pub fn scheduler_config(
    functions: &PipelineFunctions,
    options: &SchedulerOptions,
) -> SchedulerConfig {
    let functions = functions.clone();
    let mut config = SchedulerConfig::default()
        .with_hostname(options.bind_host.clone())
        .with_port(options.port);
    config.bind_host = options.bind_host.clone();
    config.executor_timeout_seconds = options.executor_timeout_seconds;
    config.expire_dead_executor_interval_seconds = options.expire_dead_executor_interval_seconds;
    config.no_executors_grace_period_seconds = options.executor_timeout_seconds;
    config.override_session_builder = Some(Arc::new(move |session_config: SessionConfig| {
        let mut state: SessionState = default_session_builder(session_config)?;
        functions.register_on(&mut state)?;
        Ok(state)
    }));
    config
}

/// Runs a scheduler until the process ends.
///
/// # Errors
/// A bad address, a port in use, Ballista's errors.
pub async fn run_scheduler(
    functions: &PipelineFunctions,
    options: &SchedulerOptions,
) -> Result<()> {
    let config = scheduler_config(functions, options);
    let address: SocketAddr = format!("{}:{}", options.bind_host, options.port)
        .parse()
        .map_err(|e| ballista_error(format!("scheduler address: {e}")))?;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(ballista_error)?;
    start_server(cluster, address, Arc::new(config))
        .await
        .map_err(ballista_error)
}

/// Ballista's built-in functions and the pipeline functions.
pub fn function_registry(functions: &PipelineFunctions) -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    for udf in functions.udfs() {
        registry
            .scalar_functions
            .insert(udf.name().to_string(), udf);
    }
    registry
}

/// The executor's configuration: Ballista's defaults, `options`, and the functions.
pub fn executor_config(
    functions: &PipelineFunctions,
    options: &ExecutorOptions,
) -> ExecutorProcessConfig {
    ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: Some(options.bind_host.clone()),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host.clone(),
        scheduler_port: options.scheduler_port,
        // Wait for a scheduler started at the same moment.
        scheduler_connect_timeout_seconds: 30,
        vcores: options.concurrent_tasks.max(1),
        work_dir: options.work_dir.clone(),
        executor_heartbeat_interval_seconds: options.heartbeat_interval_seconds.max(1),
        override_function_registry: Some(Arc::new(function_registry(functions))),
        ..ExecutorProcessConfig::default()
    }
}

/// Runs an executor until the process ends (or its scheduler goes away).
///
/// # Errors
/// A port in use, an unreachable scheduler, Ballista's errors.
pub async fn run_executor(functions: &PipelineFunctions, options: &ExecutorOptions) -> Result<()> {
    start_executor_process(Arc::new(executor_config(functions, options)))
        .await
        .map_err(ballista_error)
}

/// A client context whose queries run on the cluster of the scheduler at `url`
/// (`df://host:port`), with the functions known to its planner and `config`'s options (its
/// target partitions: the tasks a scan is cut into).
///
/// # Errors
/// A bad URL.
pub async fn remote_context(
    url: &str,
    functions: &PipelineFunctions,
    config: SessionConfig,
) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .build();
    // Registered after Ballista's upgrade of the state, which sets its own list of scalar
    // functions.
    let ctx = SessionContext::remote_with_state(url, state).await?;
    functions.register(&ctx);
    Ok(ctx)
}
