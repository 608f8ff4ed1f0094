//! `rust-bert`: runs the crate's pipelines from the command line.
//!
//! ```text
//! rust-bert <TASK> [OPTIONS] [TEXT...]
//! ```
//!
//! Tasks: `sentiment`, `classify`, `zero-shot`, `ner`, `pos`, `tokens`, `qa`, `fill-mask`,
//! `embed`, `keywords`, `summarize`, `translate`, `generate`, `chat` (`rust-bert <TASK> --help`
//! lists each one's options).
//!
//! * **Inputs**: each `TEXT` argument is one input; without any, stdin is read, one input per
//!   line (an empty line is an empty input).
//! * **Outputs**: one JSON object per input, on its own line of stdout, in input order
//!   (`{"polarity":"Positive","score":0.99}`, `{"entities":[...]}`, `{"summary_text":"..."}`...).
//!   Inputs run `--batch-size` (32) at a time under a progress bar on stderr (drawn when stderr
//!   is a terminal and there are more than a few inputs; `--quiet` hides it).
//! * **Models**: without `--model`, the task's default model (the pipeline's `Default`
//!   configuration, as in rust-bert) is downloaded from the Hugging Face hub on first use into
//!   `RUSTBERT_CACHE`, with a progress bar. `--model DIR` loads a local folder: the model type
//!   from `config.json` (or `--model-type`), the weights (`model.safetensors`, `rust_model.ot`,
//!   `model.safetensors.index.json`, `pytorch_model.bin`) and the tokenizer files of that
//!   model type (`vocab.txt`, `vocab.json` + `merges.txt`, `spiece.model`,
//!   `sentencepiece.bpe.model`, Marian's `vocab.json` + `source.spm`, or else `tokenizer.json`
//!   with `special_tokens_map.json`). `--config`, `--weights`, `--vocab` and `--merges` replace
//!   any of those files; lower-casing follows `tokenizer_config.json` unless `--lower-case` or
//!   `--no-lower-case` is given. `embed` and `keywords` take a sentence-transformers folder.
//! * **Chat**: `rust-bert chat --model DIR|FILE.gguf` talks with a decoder LLM: interactively
//!   on a terminal (the reply streams back), in JSON lines on a pipe (one object per line in,
//!   `{"messages": [...]}` or `{"content": "..."}`; one per line out, `{"message": {...},
//!   "finish_reason", ...}` or `{"error"}`; see `rust-bert chat --help`).
//! * **Errors**: `error: <message>` on stderr and exit status 1 (bad options included).
//!
//! ```sh
//! rust-bert sentiment "I love this movie" "What a waste of time"
//! cat reviews.txt | rust-bert sentiment --device auto > sentiments.jsonl
//! rust-bert zero-shot --labels sports,politics "The team won the match"
//! rust-bert qa --question "Where does Amy live?" "Amy lives in Amsterdam."
//! rust-bert translate --source en --target fr "The sun is warm."
//! rust-bert embed --model .venv/models/all-MiniLM-L6-v2 "A sentence to embed"
//! rust-bert generate --model SmolLM2-135M-Instruct.Q4_1.gguf --no-sample "The sea is"
//! echo '{"content": "What is the capital of France?"}' | rust-bert chat --model model.gguf
//! rust-bert classify --model tests/fixtures/pipeline_classification/distilbert \
//!     --vocab tests/fixtures/pipeline_classification/vocab.txt "An offline test"
//! ```
//!
//! Built with the `cli` feature (on by default): `cargo run --bin rust-bert -- <TASK> ...`.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable
    )
)]

/// The command line (clap).
mod args;
/// Reading the inputs, running them in batches, writing JSON lines.
mod batch;
/// The `chat` task.
mod chat;
/// Local model folders.
mod local;
/// The `sql` task and the Ballista processes (feature `datafusion`).
#[cfg(feature = "datafusion")]
mod sql;
/// The tasks.
mod tasks;

use clap::Parser;
use rust_bert::RustBertError;
use std::fmt;
use std::process::ExitCode;

/// An error for the user: printed as `error: <message>`, exit status 1.
#[derive(Debug)]
pub struct CliError(pub String);

impl CliError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        CliError(message.into())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<RustBertError> for CliError {
    fn from(error: RustBertError) -> Self {
        CliError(error.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(error: serde_json::Error) -> Self {
        CliError(format!("cannot write the output as JSON: {error}"))
    }
}

/// Parses the command line, runs the task, reports an error as `error: <message>`.
fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with status 0; usage errors (clap prints them as
            // `error: ...` with the usage) get status 1 like every other error.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    local::set_weights(cli.dtype);
    match tasks::run(cli.task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
