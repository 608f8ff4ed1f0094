//! The command line: one subcommand per task, with the options they share.
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use rust_bert::pipelines::common::ModelType;
use rust_bert::pipelines::translation::Language;
use std::path::PathBuf;

/// Examples shown at the end of `rust-bert --help`.
const EXAMPLES: &str = "\
Examples:
  rust-bert sentiment \"I love this movie\" \"What a waste of time\"
  cat reviews.txt | rust-bert sentiment --device auto > sentiments.jsonl
  rust-bert ner --model path/to/bert-ner \"John Smith lives in Paris\"
  rust-bert zero-shot --labels sports,politics,food \"The team won the match\"
  rust-bert qa --question \"Where does Amy live?\" \"Amy lives in Amsterdam.\"
  rust-bert translate --source en --target fr \"The sun is warm.\"
  rust-bert generate --max-new-tokens 20 --no-sample \"Once upon a time\"
  rust-bert chat --model SmolLM2-135M-Instruct.Q4_1.gguf
  echo '{\"content\": \"Hi!\"}' | rust-bert chat --model path/to/qwen2-folder

Each input (a TEXT argument, or else a line of stdin) gives one JSON object on one line of
stdout, in input order. Errors go to stderr as `error: <message>`, with exit status 1.
Without --model, the task's default model is downloaded from the Hugging Face hub on first
use into RUSTBERT_CACHE (default ~/.cache/.rustbert), with a progress bar.";

/// Runs the rust-bert pipelines on texts from the arguments or from stdin (one per line) and
/// prints one JSON object per input.
#[derive(Debug, Parser)]
#[command(
    name = "rust-bert",
    version,
    after_help = EXAMPLES,
    subcommand_value_name = "TASK",
    subcommand_help_heading = "Tasks"
)]
pub struct Cli {
    /// The task to run.
    #[command(subcommand)]
    pub task: Task,
    /// How the model's weights are stored and multiplied: f32 (as loaded), bf16 or f16, or
    /// int8 (an int8 copy of every matrix for the products, CPU only; see the README).
    #[arg(long, value_enum, global = true, default_value_t = WeightsArg::F32)]
    pub dtype: WeightsArg,
}

/// The `--dtype` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightsArg {
    /// 32-bit floats.
    F32,
    /// bfloat16.
    Bf16,
    /// float16.
    F16,
    /// Int8 copies of the matrices (f32 kept for everything else).
    Int8,
}

impl WeightsArg {
    /// The pipelines' `kind` for this choice (`None`: the pipelines' own default, f32 on CPU).
    pub fn kind(self) -> Option<tch::Kind> {
        match self {
            WeightsArg::F32 => None,
            WeightsArg::Bf16 => Some(tch::Kind::BFloat16),
            WeightsArg::F16 => Some(tch::Kind::Half),
            WeightsArg::Int8 => Some(tch::Kind::QInt8),
        }
    }
}

/// The tasks, one per pipeline.
#[derive(Debug, Subcommand)]
pub enum Task {
    /// Positive or negative sentiment of each text: {"polarity", "score"}.
    ///
    /// Default model: DistilBERT fine-tuned on SST-2 (English).
    Sentiment(SentimentArgs),
    /// Sequence classification with the model's own labels: {"text", "score", "id", "sentence"}.
    ///
    /// Default model: DistilBERT fine-tuned on SST-2. With --multilabel: {"labels": [...]}, every
    /// label whose sigmoid score reaches --threshold.
    Classify(ClassifyArgs),
    /// Zero-shot classification against candidate labels, with an NLI model.
    ///
    /// Single label: {"text", "score", "id", "sentence"} (id: the label's index in --labels);
    /// with --multilabel: {"labels": [...]}, every candidate scored independently.
    ZeroShot(ZeroShotArgs),
    /// Named entities: {"entities": [{"word", "score", "label", "offset"}]}.
    ///
    /// Consecutive words of one entity are grouped (label without its B-/I- prefix); --words
    /// lists the labelled words instead. Offsets count characters. Default model: BERT large
    /// fine-tuned on CoNLL-03 (English).
    Ner(NerArgs),
    /// Part-of-speech tags: {"tags": [{"word", "score", "label"}]}.
    ///
    /// rust-bert's default POS model is MobileBERT, which this crate does not implement yet:
    /// give a local token-classification model with --model.
    Pos(PosArgs),
    /// Token classification: {"tokens": [...]}, one label per word (or per sub-word token with
    /// --sub-tokens).
    Tokens(TokensArgs),
    /// Extractive question answering: {"answers": [{"score", "start", "end", "answer"}]}.
    ///
    /// With --question, each input is a context; with --context, each input is a question.
    /// start/end count characters of the context (end exclusive). Default model: DistilBERT
    /// distilled on SQuAD.
    Qa(QaArgs),
    /// Fill-mask: {"masks": [[{"text", "id", "score"}]]}, the --top-k best tokens for each mask.
    ///
    /// Masks are the tokenizer's mask token ([MASK] for BERT, <mask> for RoBERTa) or the
    /// string given with --mask-token. Default model: bert-base-uncased.
    FillMask(FillMaskArgs),
    /// Sentence embeddings: {"embedding": [...]}.
    ///
    /// --model takes a sentence-transformers folder (modules.json, 1_Pooling/, ...). Default
    /// model: all-MiniLM-L6-v2.
    Embed(EmbedArgs),
    /// Keyword extraction (KeyBERT): {"keywords": [{"text", "score", "offsets"}]}.
    ///
    /// --model takes a sentence-transformers folder. Offsets are byte offsets of each
    /// occurrence. Default model: all-MiniLM-L6-v2.
    Keywords(KeywordsArgs),
    /// Abstractive summarization: {"summary_text"}.
    ///
    /// BART or T5. Default model: bart-large-cnn (3 beams, 56 to 142 tokens).
    Summarize(SummarizeArgs),
    /// Translation: {"translation_text"}.
    ///
    /// Without --model, the OPUS-MT Marian model for the pair (or T5) is chosen and
    /// downloaded; a local Marian or T5 folder translates from --source to --target.
    Translate(TranslateArgs),
    /// Text generation: {"generated_text"} (the prompt followed by its continuation).
    ///
    /// GPT-2, OpenAI GPT, XLNet, or a Llama, Mistral, Qwen2, Qwen3, Phi-3 or Gemma 2 folder
    /// (config.json, weights, tokenizer.json) or GGUF file (--model FILE.gguf). Default model:
    /// GPT-2 (124M), which samples unless --no-sample is given (--seed makes sampling
    /// reproducible).
    Generate(GenerateArgs),
    /// Chat with a Llama, Mistral, Qwen2, Qwen3, Phi-3 or Gemma 2 model (--model DIR or
    /// FILE.gguf), the prompt rendered by the model's own chat template.
    ///
    /// On a terminal: type a message, the reply streams back; `/reset` starts over, `/exit` or
    /// Ctrl-D ends. On a pipe: JSON lines. Each line in is one object, {"messages": [{"role",
    /// "content"}, ...]} (a whole conversation; it replaces the one going on) or {"content":
    /// "..."} (a user message added to the conversation going on; "role" optional); each gets
    /// one line out, {"message": {"role": "assistant", "content"}, "token_ids", "prompt_tokens",
    /// "dropped_messages", "finish_reason": "stop" | "length"}, the reply joining the
    /// conversation, or {"error": "..."} for a line that cannot be answered (the conversation is
    /// left as it was; the exit status is then 1). With --stream, {"delta": "..."} lines carry
    /// the reply's text as it is generated, before its line. The oldest turns are dropped when
    /// the conversation outgrows the context. Greedy unless --sample is given.
    Chat(ChatArgs),
    /// SQL over Parquet/CSV with the pipelines as functions (feature `datafusion`).
    ///
    /// `embed(text)`, `sentiment(text)`, `classify(text)`, `zero_shot(text, labels)`,
    /// `ner(text)`, `translate(text, source, target)`, `summarize(text)`, `generate(text)`
    /// and their `try_` twins (`struct{value, error}`), each with the model given by its
    /// `--FUNCTION-model DIR` option (or its remote default with --remote-defaults). Files are
    /// tables by their path (`FROM 'corpus/*.parquet'`) or by --table NAME=PATH. The result
    /// goes to --out as Parquet (written to a temporary file renamed when the query succeeds),
    /// else to stdout as a table.
    #[cfg(feature = "datafusion")]
    Sql(SqlArgs),
    /// A Ballista scheduler that knows the pipeline functions (feature `ballista`).
    #[cfg(feature = "ballista")]
    BallistaScheduler(SchedulerArgs),
    /// A Ballista executor running the pipeline functions (feature `ballista`).
    #[cfg(feature = "ballista")]
    BallistaExecutor(ExecutorArgs),
}

/// The models of the SQL functions (a function without one is not registered).
#[cfg(feature = "datafusion")]
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Models")]
pub struct SqlModelArgs {
    /// `embed`: a sentence-transformers folder.
    #[arg(long, value_name = "DIR")]
    pub embed_model: Option<PathBuf>,
    /// `sentiment`: a sequence-classification folder (labels positive/negative).
    #[arg(long, value_name = "DIR")]
    pub sentiment_model: Option<PathBuf>,
    /// `classify`: a sequence-classification folder.
    #[arg(long, value_name = "DIR")]
    pub classify_model: Option<PathBuf>,
    /// `zero_shot`: an NLI sequence-classification folder.
    #[arg(long, value_name = "DIR")]
    pub zero_shot_model: Option<PathBuf>,
    /// `ner`: a token-classification folder.
    #[arg(long, value_name = "DIR")]
    pub ner_model: Option<PathBuf>,
    /// `translate`: a Marian, T5, M2M100, NLLB or mBART folder (with --translate-languages).
    #[arg(long, value_name = "DIR", requires = "translate_languages")]
    pub translate_model: Option<PathBuf>,
    /// The languages the `translate` model reads and writes: `SOURCES:TARGETS`, each a
    /// comma-separated list of codes (`en:fr`, `en,de:fr,es`).
    #[arg(long, value_name = "SRC:TGT")]
    pub translate_languages: Option<String>,
    /// `summarize`: a BART, T5, Pegasus or ProphetNet folder.
    #[arg(long, value_name = "DIR")]
    pub summarize_model: Option<PathBuf>,
    /// `generate`: a causal language model folder (greedy decoding).
    #[arg(long, value_name = "DIR")]
    pub generate_model: Option<PathBuf>,
    /// The functions without a local model get their rust-bert default model (downloaded on
    /// first use), except `translate`.
    #[arg(long)]
    pub remote_defaults: bool,
    /// A row a pipeline refuses fails the query (default: a null).
    #[arg(long)]
    pub strict: bool,
    /// Device the models run on.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
}

/// `sql`: a query, its tables and its output.
#[cfg(feature = "datafusion")]
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The query (DataFusion SQL).
    #[arg(value_name = "QUERY")]
    pub query: String,
    /// Parquet file for the result; without it, the result is printed as a table.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// A table: NAME=PATH, a Parquet or CSV file or a folder of them (repeatable).
    #[arg(long, value_name = "NAME=PATH")]
    pub table: Vec<String>,
    /// Rows per record batch (each pipeline call runs one batch).
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = parse_positive)]
    pub batch_size: usize,
    /// Partitions run at once (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub partitions: Option<usize>,
    /// Run on the Ballista cluster of this scheduler (`df://HOST:PORT`; feature `ballista`).
    #[cfg(feature = "ballista")]
    #[arg(long, value_name = "URL")]
    pub cluster: Option<String>,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub models: SqlModelArgs,
}

/// `ballista-scheduler`.
#[cfg(feature = "ballista")]
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_host: String,
    /// gRPC port.
    #[arg(long, default_value_t = 50050)]
    pub port: u16,
    /// Seconds without a heartbeat before an executor is lost and its tasks run elsewhere.
    #[arg(long, default_value_t = 180)]
    pub executor_timeout_seconds: u64,
    /// How often lost executors are looked for, in seconds.
    #[arg(long, default_value_t = 15)]
    pub expire_interval_seconds: u64,
    #[command(flatten)]
    pub models: SqlModelArgs,
}

/// `ballista-executor`.
#[cfg(feature = "ballista")]
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// Address to bind and advertise.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_host: String,
    /// Arrow Flight port (results).
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// gRPC port (tasks; default: --port + 1).
    #[arg(long)]
    pub grpc_port: Option<u16>,
    /// The scheduler's host.
    #[arg(long, default_value = "127.0.0.1")]
    pub scheduler_host: String,
    /// The scheduler's port.
    #[arg(long, default_value_t = 50050)]
    pub scheduler_port: u16,
    /// Tasks run at once.
    #[arg(long, default_value_t = 1, value_parser = parse_positive)]
    pub concurrent_tasks: usize,
    /// Folder for shuffle files.
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<String>,
    /// Seconds between heartbeats.
    #[arg(long, default_value_t = 60)]
    pub heartbeat_seconds: u64,
    #[command(flatten)]
    pub models: SqlModelArgs,
}

/// Where the inputs come from and how they are run.
#[derive(Debug, Args)]
#[command(next_help_heading = "Run")]
pub struct InputArgs {
    /// Inputs, one per argument. Without any, stdin is read: one input per line (an empty line
    /// is an empty input).
    #[arg(value_name = "TEXT", help_heading = None::<&str>)]
    pub texts: Vec<String>,
    /// Inputs run together (the progress bar moves once per batch).
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = parse_positive)]
    pub batch_size: usize,
    /// Device to run on.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// No progress bar (it is only drawn when stderr is a terminal anyway).
    #[arg(short, long)]
    pub quiet: bool,
}

/// The device option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// The CPU.
    Cpu,
    /// The first CUDA GPU (an error when there is none).
    Cuda,
    /// CUDA when available, else the CPU.
    Auto,
}

/// The model of a task: its remote default, or a local folder.
#[derive(Debug, Args)]
#[command(next_help_heading = "Model")]
pub struct ModelArgs {
    /// Local model folder: config.json, weights (model.safetensors, rust_model.ot,
    /// model.safetensors.index.json or pytorch_model.bin) and tokenizer files, found by the
    /// model type; for `generate` and `chat`, a GGUF file too. Default: the task's default
    /// model from the hub.
    #[arg(short, long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Architecture of the model, instead of the `model_type` of its configuration
    /// (bert, distilbert, roberta, xlm-roberta, albert, xlnet, bart, marian, t5, gpt2,
    /// openai-gpt).
    #[arg(long, value_name = "TYPE", requires = "model", value_parser = parse_model_type)]
    pub model_type: Option<ModelType>,
    /// Model configuration to read instead of DIR/config.json (e.g. another label set).
    #[arg(long, value_name = "FILE", requires = "model")]
    pub config: Option<PathBuf>,
    /// Weights file to load instead of the one found in DIR.
    #[arg(long, value_name = "FILE", requires = "model")]
    pub weights: Option<PathBuf>,
    /// Tokenizer vocabulary instead of the one found in DIR (vocab.txt, vocab.json,
    /// spiece.model, sentencepiece.bpe.model...).
    #[arg(long, value_name = "FILE", requires = "model")]
    pub vocab: Option<PathBuf>,
    /// Second tokenizer file instead of the one found in DIR or beside --vocab (merges.txt
    /// for BPE tokenizers, source.spm for Marian).
    #[arg(long, value_name = "FILE", requires = "model")]
    pub merges: Option<PathBuf>,
}

/// Lower-casing, for the tasks whose tokenizer takes the option.
#[derive(Debug, Args)]
#[command(next_help_heading = "Model")]
pub struct CaseArgs {
    /// Lower-case the inputs (uncased models). Default: `do_lower_case` of the model's
    /// tokenizer_config.json (in DIR or beside --vocab); for default models, theirs.
    #[arg(long)]
    pub lower_case: bool,
    /// Keep the case of the inputs, whatever tokenizer_config.json says.
    #[arg(long, conflicts_with = "lower_case")]
    pub no_lower_case: bool,
}

impl CaseArgs {
    /// The explicit choice, if any.
    pub fn explicit(&self) -> Option<bool> {
        match (self.lower_case, self.no_lower_case) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// A sentence-transformers model: the remote default or a local folder.
#[derive(Debug, Args)]
#[command(next_help_heading = "Model")]
pub struct SentenceModelArgs {
    /// Local sentence-transformers folder (modules.json, config.json, weights, tokenizer
    /// files, 1_Pooling/, optional Dense module). Default: all-MiniLM-L6-v2 from the hub.
    #[arg(short, long, value_name = "DIR")]
    pub model: Option<PathBuf>,
}

/// `sentiment` options.
#[derive(Debug, Args)]
pub struct SentimentArgs {
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Lower-casing.
    pub case: CaseArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// `classify` options.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Every label whose own (sigmoid) score reaches --threshold, instead of the best label.
    #[arg(long)]
    pub multilabel: bool,
    /// Score a label needs with --multilabel.
    #[arg(
        long,
        value_name = "SCORE",
        default_value_t = 0.5,
        requires = "multilabel"
    )]
    pub threshold: f64,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Lower-casing.
    pub case: CaseArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// `zero-shot` options.
#[derive(Debug, Args)]
pub struct ZeroShotArgs {
    /// Candidate labels, separated by commas.
    #[arg(long, value_name = "LABELS", required = true, value_delimiter = ',')]
    pub labels: Vec<String>,
    /// Hypothesis made from each label; `{}` stands for the label.
    #[arg(long, value_name = "TEMPLATE", default_value = "This example is {}.")]
    pub template: String,
    /// Score every label independently (any number may be true) instead of picking one.
    #[arg(long)]
    pub multilabel: bool,
    /// Longest text + hypothesis pair, in tokens (the text is cut first).
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = parse_positive)]
    pub max_length: usize,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Lower-casing.
    pub case: CaseArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// How the label of a word made of several sub-word tokens is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Aggregation {
    /// The first sub-token's label (HF's "first").
    First,
    /// The last sub-token's label.
    Last,
    /// The most frequent label among the sub-tokens.
    Mode,
}

/// Options of the token-classification tasks.
#[derive(Debug, Args)]
pub struct TokenModelArgs {
    /// Label of a word made of several sub-word tokens.
    #[arg(long, value_enum, default_value_t = Aggregation::First)]
    pub aggregation: Aggregation,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Lower-casing.
    pub case: CaseArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// `ner` options.
#[derive(Debug, Args)]
pub struct NerArgs {
    /// List every word labelled other than `O` instead of grouping words into entities.
    #[arg(long)]
    pub words: bool,
    #[command(flatten)]
    /// Model, tokenizer and inputs.
    pub common: TokenModelArgs,
}

/// `pos` options.
#[derive(Debug, Args)]
pub struct PosArgs {
    #[command(flatten)]
    /// Model, tokenizer and inputs.
    pub common: TokenModelArgs,
}

/// `tokens` options.
#[derive(Debug, Args)]
pub struct TokensArgs {
    /// One label per sub-word token instead of one per word.
    #[arg(long)]
    pub sub_tokens: bool,
    /// Also return the special tokens ([CLS], [SEP], ...).
    #[arg(long)]
    pub special: bool,
    #[command(flatten)]
    /// Model, tokenizer and inputs.
    pub common: TokenModelArgs,
}

/// `qa` options.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("pair").required(true).args(["question", "context"])))]
pub struct QaArgs {
    /// The question asked of every input (each input is a context).
    #[arg(long, value_name = "QUESTION")]
    pub question: Option<String>,
    /// The context every input (a question) is answered from.
    #[arg(long, value_name = "CONTEXT")]
    pub context: Option<String>,
    /// Answers per input, best first.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_positive)]
    pub top_k: usize,
    /// Longest window (question, context part and special tokens), in tokens. Default: 384,
    /// or the model's positions when fewer.
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub max_seq_length: Option<usize>,
    /// Tokens shared by consecutive windows of a long context. Default: 128, or half the
    /// window when that is less.
    #[arg(long, value_name = "N")]
    pub doc_stride: Option<usize>,
    /// Longest question, in tokens. Default: 64, or a quarter of the window when that is less.
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub max_query_length: Option<usize>,
    /// Longest answer, in tokens.
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = parse_positive)]
    pub max_answer_length: usize,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Lower-casing.
    pub case: CaseArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// `fill-mask` options.
#[derive(Debug, Args)]
pub struct FillMaskArgs {
    /// Candidates per mask, most probable first.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = parse_positive)]
    pub top_k: usize,
    /// The string marking masks in the inputs, if not the tokenizer's mask token (e.g.
    /// `<mask>` for any model).
    #[arg(long, value_name = "STRING")]
    pub mask_token: Option<String>,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Lower-casing.
    pub case: CaseArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// `embed` options.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    #[command(flatten)]
    /// The model.
    pub model: SentenceModelArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// KeyBERT's rankings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scorer {
    /// The candidates most similar to the text.
    Cosine,
    /// Maximal Marginal Relevance: similar to the text, unlike each other (see --diversity).
    Mmr,
    /// Max Sum Distance among the 2 x N most similar candidates.
    MaxSum,
}

/// `keywords` options.
#[derive(Debug, Args)]
pub struct KeywordsArgs {
    /// Keywords per text.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = parse_positive)]
    pub top_k: usize,
    /// How keywords are ranked.
    #[arg(long, value_enum, default_value_t = Scorer::Cosine)]
    pub scorer: Scorer,
    /// Shortest keyword, in words.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_positive)]
    pub min_ngram: usize,
    /// Longest keyword, in words.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_positive)]
    pub max_ngram: usize,
    /// Diversity of the `mmr` ranking, from 0 to 1 (default 0.5).
    #[arg(long, value_name = "D")]
    pub diversity: Option<f64>,
    #[command(flatten)]
    /// The model.
    pub model: SentenceModelArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// Generation settings; each one left out keeps the pipeline's default.
#[derive(Debug, Args)]
#[command(next_help_heading = "Generation")]
pub struct GenerationArgs {
    /// New tokens to generate at most.
    #[arg(long, value_name = "N", conflicts_with = "max_length")]
    pub max_new_tokens: Option<i64>,
    /// Longest output in tokens (for GPT-2 and the like, prompt included).
    #[arg(long, value_name = "N")]
    pub max_length: Option<i64>,
    /// Shortest output in tokens.
    #[arg(long, value_name = "N")]
    pub min_length: Option<i64>,
    /// Beams of the beam search (1: no beam search).
    #[arg(long, value_name = "N")]
    pub num_beams: Option<i64>,
    /// Sample the next token (see --temperature, --top-k, --top-p, --seed).
    #[arg(long, conflicts_with = "no_sample")]
    pub sample: bool,
    /// Pick the most likely tokens (greedy or beam search): the same input, the same output.
    #[arg(long)]
    pub no_sample: bool,
    /// Sampling temperature.
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// Sample among the K most likely tokens only (0: all).
    #[arg(long, value_name = "K")]
    pub top_k: Option<i64>,
    /// Sample among the most likely tokens holding this probability mass.
    #[arg(long, value_name = "P")]
    pub top_p: Option<f64>,
    /// Repetition penalty (1: none).
    #[arg(long, value_name = "R")]
    pub repetition_penalty: Option<f64>,
    /// Never repeat an n-gram of this size (0: allowed).
    #[arg(long, value_name = "N")]
    pub no_repeat_ngram_size: Option<i64>,
    /// Seed of the random generator (reproducible sampling).
    #[arg(long, value_name = "SEED")]
    pub seed: Option<i64>,
}

impl GenerationArgs {
    /// The explicit sampling choice, if any.
    pub fn do_sample(&self) -> Option<bool> {
        match (self.sample, self.no_sample) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// `summarize` options.
#[derive(Debug, Args)]
pub struct SummarizeArgs {
    #[command(flatten)]
    /// Generation settings.
    pub generation: GenerationArgs,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// `translate` options.
#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// Language of the inputs: ISO 639-1 or 639-3 code (en, fr, deu...) or English name.
    #[arg(long, value_name = "LANG", value_parser = parse_language)]
    pub source: Language,
    /// Language to translate into (same forms as --source).
    #[arg(long, value_name = "LANG", value_parser = parse_language)]
    pub target: Language,
    #[command(flatten)]
    /// Generation settings.
    pub generation: GenerationArgs,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// `generate` options.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Text put before every prompt to condition the model, removed from the outputs
    /// (default: none; XLNet's own prefix for XLNet).
    #[arg(long, value_name = "TEXT")]
    pub prefix: Option<String>,
    #[command(flatten)]
    /// Generation settings.
    pub generation: GenerationArgs,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    #[command(flatten)]
    /// Inputs and how they run.
    pub input: InputArgs,
}

/// `chat` options.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// System message opening the conversation (a {"messages": ...} line brings its own).
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// Jinja chat template file to use instead of the model's own.
    #[arg(long, value_name = "FILE")]
    pub chat_template: Option<PathBuf>,
    /// Positions a prompt and its reply may take together (default: the model's context).
    #[arg(long, value_name = "N")]
    pub context_length: Option<i64>,
    /// On a pipe, {"delta": "..."} lines with the reply's text as it is generated.
    #[arg(long)]
    pub stream: bool,
    #[command(flatten)]
    /// Generation settings (--max-new-tokens: longest reply, default 256).
    pub generation: GenerationArgs,
    #[command(flatten)]
    /// The model.
    pub model: ModelArgs,
    /// Device to run on.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu, help_heading = "Run")]
    pub device: DeviceArg,
}

/// A number of at least 1.
fn parse_positive(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(error) => Err(error.to_string()),
    }
}

/// A model type, by its HF name (`bert`, `xlm-roberta`...) or its Rust name (`XLMRoberta`).
fn parse_model_type(value: &str) -> Result<ModelType, String> {
    ModelType::from_hf_model_type(value)
        .or_else(|| ModelType::from_hf_model_type(&value.to_lowercase()))
        .ok_or_else(|| {
            let names: Vec<&str> = ModelType::ALL.iter().map(|t| t.hf_model_type()).collect();
            format!("unknown model type (one of: {})", names.join(", "))
        })
}

/// A language, by its ISO 639-1 or 639-3 code or its English name (case-insensitive).
pub fn parse_language(value: &str) -> Result<Language, String> {
    let lower = value.trim().to_lowercase();
    Language::from_code(&lower)
        .or_else(|| {
            Language::ALL.iter().copied().find(|language| {
                language.name().to_lowercase() == lower
                    || format!("{language:?}").to_lowercase() == lower
            })
        })
        .ok_or_else(|| {
            format!(
                "unknown language code `{value}` (an ISO 639-1 or 639-3 code such as en, fr, \
                 deu, or an English name such as French)"
            )
        })
}
