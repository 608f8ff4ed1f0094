//! The server's parts: a dynamic batcher per pipeline and the HTTP routes over them. Shared by
//! the example (`main.rs`) and its end-to-end test (`tests/server.rs`).
//!
//! Chat replies stream as server-sent events when asked (`"stream": true`): the worker's
//! streaming callback sends each token of each conversation of the batch to its request's
//! channel, and the route turns the channel into events.
//!
//! Each pipeline runs on its own worker thread (LibTorch inference blocks). Requests go into a
//! bounded queue; the worker takes the first waiting request, then keeps collecting until it
//! has `max_batch_size` of them or `max_wait` has passed, and runs them as one batch. A full
//! queue answers 503 at once instead of letting latency grow without bound.
#![allow(dead_code)]

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_bert::pipelines::chat::{ChatConfig, ChatMessage, ChatModel, ChatOutput, ChatToken};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::GenerateOptions;
use rust_bert::pipelines::ner::{Entity, NERModel};
use rust_bert::pipelines::question_answering::{
    Answer, QaInput, QuestionAnsweringConfig, QuestionAnsweringModel,
};
use rust_bert::pipelines::sentence_embeddings::{Embedding, SentenceEmbeddingsBuilder};
use rust_bert::pipelines::sentiment::{Sentiment, SentimentConfig, SentimentModel};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How requests are grouped into batches.
#[derive(Clone, Copy, Debug)]
pub struct BatchSettings {
    /// Largest batch a worker runs.
    pub max_batch_size: usize,
    /// How long the first request of a batch waits for company.
    pub max_wait: Duration,
    /// Requests that may wait (beyond the batch running); more get 503.
    pub queue_capacity: usize,
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            max_batch_size: 16,
            max_wait: Duration::from_millis(10),
            queue_capacity: 256,
        }
    }
}

/// Why a request got no answer.
#[derive(Debug)]
pub enum ServeError {
    /// The queue is full: try again later (503).
    Busy,
    /// The worker is gone (500).
    Stopped,
    /// The pipeline refused the input (422).
    Model(String),
}

/// Counters of one batcher, for `/stats` (and for the test to see batching happen).
#[derive(Default, Debug, Serialize)]
pub struct BatchStats {
    accepted: AtomicUsize,
    requests: AtomicUsize,
    batches: AtomicUsize,
    largest_batch: AtomicUsize,
    rejected: AtomicUsize,
}

impl BatchStats {
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "accepted": self.accepted.load(Ordering::Relaxed),
            "requests": self.requests.load(Ordering::Relaxed),
            "batches": self.batches.load(Ordering::Relaxed),
            "largest_batch": self.largest_batch.load(Ordering::Relaxed),
            "rejected": self.rejected.load(Ordering::Relaxed),
        })
    }
}

struct Job<I, O> {
    input: I,
    reply: oneshot::Sender<Result<O, String>>,
}

/// A queue in front of one worker thread that runs inputs in batches.
pub struct Batcher<I, O> {
    sender: SyncSender<Job<I, O>>,
    stats: Arc<BatchStats>,
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// Starts the worker. `handler` gets a batch and returns one result per input, in order.
    pub fn spawn<F>(name: &str, settings: BatchSettings, handler: F) -> Self
    where
        F: FnMut(Vec<I>) -> Vec<Result<O, String>> + Send + 'static,
    {
        let (sender, receiver) = sync_channel(settings.queue_capacity);
        let stats = Arc::new(BatchStats::default());
        let worker_stats = Arc::clone(&stats);
        let spawned = std::thread::Builder::new()
            .name(format!("batcher-{name}"))
            .spawn(move || work(receiver, settings, handler, &worker_stats));
        if let Err(error) = spawned {
            // Without a worker every request answers 500 (the receiver is dropped).
            eprintln!("cannot start the {name} worker: {error}");
        }
        Self { sender, stats }
    }

    /// Queues `input` and waits for its answer.
    pub async fn submit(&self, input: I) -> Result<O, ServeError> {
        Self::answer(self.enqueue(input)?).await
    }

    /// Queues `input` without waiting: a full queue is refused at once, before a streamed
    /// response starts.
    pub fn enqueue(&self, input: I) -> Result<oneshot::Receiver<Result<O, String>>, ServeError> {
        let (reply, answer) = oneshot::channel();
        match self.sender.try_send(Job { input, reply }) {
            Ok(()) => {
                self.stats.accepted.fetch_add(1, Ordering::Relaxed);
                Ok(answer)
            }
            Err(TrySendError::Full(_)) => {
                self.stats.rejected.fetch_add(1, Ordering::Relaxed);
                Err(ServeError::Busy)
            }
            Err(TrySendError::Disconnected(_)) => Err(ServeError::Stopped),
        }
    }

    /// The answer to a queued input.
    pub async fn answer(answer: oneshot::Receiver<Result<O, String>>) -> Result<O, ServeError> {
        match answer.await {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(message)) => Err(ServeError::Model(message)),
            Err(_) => Err(ServeError::Stopped),
        }
    }

    /// The batcher's counters.
    pub fn stats(&self) -> serde_json::Value {
        self.stats.snapshot()
    }
}

fn work<I, O, F>(
    receiver: Receiver<Job<I, O>>,
    settings: BatchSettings,
    mut handler: F,
    stats: &BatchStats,
) where
    F: FnMut(Vec<I>) -> Vec<Result<O, String>>,
{
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        let deadline = Instant::now() + settings.max_wait;
        while jobs.len() < settings.max_batch_size.max(1) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            match receiver.recv_timeout(left) {
                Ok(job) => jobs.push(job),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        stats.requests.fetch_add(jobs.len(), Ordering::Relaxed);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.largest_batch.fetch_max(jobs.len(), Ordering::Relaxed);
        let (inputs, replies): (Vec<I>, Vec<_>) =
            jobs.into_iter().map(|job| (job.input, job.reply)).unzip();
        let count = inputs.len();
        // A panic inside the pipeline fails this batch, not the worker.
        let outputs = std::panic::catch_unwind(AssertUnwindSafe(|| handler(inputs)))
            .unwrap_or_else(|_| failed(count, "the model failed on this batch"));
        for (reply, output) in replies.into_iter().zip(outputs) {
            let _ = reply.send(output);
        }
    }
}

/// The pipelines behind the routes, each with its batcher.
pub struct AppState {
    /// `POST /sentiment`.
    pub sentiment: Batcher<String, Sentiment>,
    /// `POST /ner`.
    pub ner: Batcher<String, Vec<Entity>>,
    /// `POST /qa`.
    pub qa: Batcher<QaInput, Vec<Answer>>,
    /// `POST /embeddings`.
    pub embeddings: Batcher<String, Embedding>,
    /// `POST /generate`.
    pub generate: Batcher<GenerateRequest, String>,
    /// `POST /chat`.
    pub chat: Batcher<ChatJob, ChatOutput>,
}

/// `{"messages": [{"role", "content"}, ...], "max_new_tokens": n, "stream": bool}`
/// (`max_new_tokens` optional: the chat model's default; `stream` default false).
#[derive(Deserialize, Clone, Debug)]
pub struct ChatRequest {
    /// The conversation, the user's last message at the end.
    pub messages: Vec<ChatMessage>,
    /// Longest reply, in tokens.
    #[serde(default)]
    pub max_new_tokens: Option<i64>,
    /// Answer with server-sent events: `token` events `{"text", "token_id"}` as the reply is
    /// generated, then one `done` event holding the whole answer (or an `error` event).
    #[serde(default)]
    pub stream: bool,
}

/// A chat request as its worker receives it: with the channel its tokens stream to.
#[derive(Debug)]
pub struct ChatJob {
    /// The request.
    pub request: ChatRequest,
    /// Where each token of the reply goes, for streamed requests.
    pub tokens: Option<mpsc::UnboundedSender<ChatToken>>,
}

/// `{"text": "..."}`.
#[derive(Deserialize)]
pub struct TextRequest {
    /// The input text.
    pub text: String,
}

/// `{"text": "...", "max_new_tokens": n}` (`max_new_tokens` optional: the server's default).
#[derive(Deserialize, Clone, Debug)]
pub struct GenerateRequest {
    /// The prompt.
    pub text: String,
    /// New tokens to generate; a value the generator refuses (negative) is answered 422.
    #[serde(default)]
    pub max_new_tokens: Option<i64>,
}

/// `{"question": "...", "context": "..."}`.
#[derive(Deserialize)]
pub struct QaRequest {
    /// The question.
    pub question: String,
    /// Where to find the answer.
    pub context: String,
}

/// The answer of `/generate`.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Generated {
    /// Prompt and continuation.
    pub text: String,
}

/// The answer of `/embeddings`.
#[derive(Serialize, Deserialize, Debug)]
pub struct EmbeddingResponse {
    /// The sentence embedding.
    pub embedding: Embedding,
}

fn respond<T: Serialize>(result: Result<T, ServeError>) -> Response {
    let error = |status: StatusCode, message: String| {
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    };
    match result {
        Ok(value) => Json(value).into_response(),
        Err(ServeError::Busy) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the queue is full, retry later".to_string(),
        ),
        Err(ServeError::Stopped) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the model worker stopped".to_string(),
        ),
        Err(ServeError::Model(message)) => error(StatusCode::UNPROCESSABLE_ENTITY, message),
    }
}

async fn sentiment(
    State(state): State<Arc<AppState>>,
    Json(request): Json<TextRequest>,
) -> Response {
    respond(state.sentiment.submit(request.text).await)
}

async fn ner(State(state): State<Arc<AppState>>, Json(request): Json<TextRequest>) -> Response {
    respond(state.ner.submit(request.text).await)
}

async fn qa(State(state): State<Arc<AppState>>, Json(request): Json<QaRequest>) -> Response {
    let input = QaInput {
        question: request.question,
        context: request.context,
    };
    respond(state.qa.submit(input).await)
}

async fn embeddings(
    State(state): State<Arc<AppState>>,
    Json(request): Json<TextRequest>,
) -> Response {
    let result = state.embeddings.submit(request.text).await;
    respond(result.map(|embedding| EmbeddingResponse { embedding }))
}

async fn generate(
    State(state): State<Arc<AppState>>,
    Json(request): Json<GenerateRequest>,
) -> Response {
    let result = state.generate.submit(request).await;
    respond(result.map(|text| Generated { text }))
}

/// An event of a streamed chat.
fn event(name: &str, data: &serde_json::Value) -> Result<Event, std::convert::Infallible> {
    Ok(Event::default().event(name).data(data.to_string()))
}

async fn chat(State(state): State<Arc<AppState>>, Json(request): Json<ChatRequest>) -> Response {
    if !request.stream {
        let job = ChatJob {
            request,
            tokens: None,
        };
        return respond(state.chat.submit(job).await);
    }
    // What can be refused without the model is refused before the stream starts.
    if request.messages.is_empty() {
        return respond::<ChatOutput>(Err(ServeError::Model(
            "a chat needs at least one message; the message list is empty".to_string(),
        )));
    }
    let (sender, receiver) = mpsc::unbounded_channel();
    let answer = match state.chat.enqueue(ChatJob {
        request,
        tokens: Some(sender),
    }) {
        Ok(answer) => answer,
        Err(error) => return respond::<ChatOutput>(Err(error)),
    };
    // Tokens while the worker generates (it drops its sender when done), then the answer.
    let tokens = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let token = receiver.recv().await?;
        let data = serde_json::json!({ "text": token.text, "token_id": token.token_id });
        Some((event("token", &data), receiver))
    });
    let last = futures_util::stream::once(async move {
        match Batcher::<ChatJob, ChatOutput>::answer(answer).await {
            Ok(output) => event("done", &serde_json::to_value(&output).unwrap_or_default()),
            Err(ServeError::Model(message)) => {
                event("error", &serde_json::json!({ "error": message }))
            }
            Err(_) => event(
                "error",
                &serde_json::json!({ "error": "the model worker stopped" }),
            ),
        }
    });
    Sse::new(futures_util::StreamExt::chain(tokens, last)).into_response()
}

async fn stats(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "sentiment": state.sentiment.stats(),
        "ner": state.ner.stats(),
        "qa": state.qa.stats(),
        "embeddings": state.embeddings.stats(),
        "generate": state.generate.stats(),
        "chat": state.chat.stats(),
    }))
}

/// The routes: `POST /sentiment | /ner | /embeddings | /generate` with `{"text"}`,
/// `POST /qa` with `{"question", "context"}`, `POST /chat` with `{"messages"}`, `GET /health`,
/// `GET /stats`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/sentiment", post(sentiment))
        .route("/ner", post(ner))
        .route("/qa", post(qa))
        .route("/embeddings", post(embeddings))
        .route("/generate", post(generate))
        .route("/chat", post(chat))
        .route("/health", get(|| async { "ok" }))
        .route("/stats", get(stats))
        .with_state(state)
}

/// `count` copies of an error.
fn failed<O>(count: usize, message: &str) -> Vec<Result<O, String>> {
    (0..count).map(|_| Err(message.to_string())).collect()
}

/// One answer per input: `run` on the whole batch first (the fast path); when the batch fails,
/// each input runs alone, so only the inputs the pipeline refuses get its error (their 422) and
/// the others their answers, exactly what they would get alone. A panic counts as a refusal
/// of the input (or batch) that caused it.
fn each<I, O>(
    inputs: &[I],
    run: impl Fn(&[I]) -> Result<Vec<O>, RustBertError>,
) -> Vec<Result<O, String>> {
    let once = |batch: &[I]| -> Result<Vec<O>, String> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| run(batch))) {
            Ok(Ok(outputs)) if outputs.len() == batch.len() => Ok(outputs),
            Ok(Ok(outputs)) => Err(format!(
                "the pipeline returned {} answers for {} inputs",
                outputs.len(),
                batch.len()
            )),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err("the model failed on this input".to_string()),
        }
    };
    match once(inputs) {
        Ok(outputs) => outputs.into_iter().map(Ok).collect(),
        Err(error) if inputs.len() <= 1 => failed(inputs.len(), &error),
        Err(_) => inputs
            .iter()
            .map(|input| {
                once(std::slice::from_ref(input))?
                    .into_iter()
                    .next()
                    .ok_or_else(|| "the pipeline gave no answer".to_string())
            })
            .collect(),
    }
}

/// The models the server runs, built where the worker threads can take them.
pub struct Models {
    /// Sentiment classifier.
    pub sentiment: SentimentModel,
    /// Named-entity recogniser.
    pub ner: NERModel,
    /// Question answering.
    pub qa: QuestionAnsweringModel,
    /// Sentence embeddings.
    pub embeddings: rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsModel,
    /// Text generation.
    pub generate: TextGenerationModel,
    /// New tokens per generated answer.
    pub max_new_tokens: i64,
    /// Chat.
    pub chat: ChatModel,
}

impl Models {
    /// The repository's offline models: the tiny random fixtures (their answers are
    /// reproducible nonsense) and the real all-MiniLM-L6-v2 that `utils/setup.sh` installs.
    pub fn offline(root: &Path) -> Result<Self, RustBertError> {
        Self::offline_with_kind(root, None)
    }

    /// [`Models::offline`] with the weights of every pipeline in `kind` (`Some(Kind::QInt8)`:
    /// int8 copies of the matrices; `None`: f32).
    pub fn offline_with_kind(root: &Path, kind: Option<tch::Kind>) -> Result<Self, RustBertError> {
        let fixtures = root.join("tests/fixtures");
        let classification = fixtures.join("pipeline_classification");
        let mut sentiment = SentimentConfig::new(
            ModelType::DistilBert,
            ModelResource::Torch(Box::new(LocalResource::from(
                classification.join("distilbert/model.safetensors"),
            ))),
            LocalResource::from(classification.join("distilbert/config.json")),
            LocalResource::from(classification.join("vocab.txt")),
            None,
            true,
            None,
            None,
        );
        sentiment.device = tch::Device::Cpu;
        sentiment.kind = kind;
        let ner_dir = fixtures.join("pipeline_tokens/bert_ner");
        let mut ner = TokenClassificationConfig::new(
            ModelType::Bert,
            ModelResource::Torch(Box::new(LocalResource::from(
                ner_dir.join("model.safetensors"),
            ))),
            LocalResource::from(ner_dir.join("config.json")),
            LocalResource::from(ner_dir.join("vocab.txt")),
            None,
            true,
            None,
            None,
            LabelAggregationOption::First,
        );
        ner.device = tch::Device::Cpu;
        ner.kind = kind;
        let qa_dir = fixtures.join("pipeline_qa");
        // The tiny model has 64 positions: windows of 40 tokens moving by 10.
        let mut qa = QuestionAnsweringConfig::custom_new(
            ModelType::Bert,
            ModelResource::Torch(Box::new(LocalResource::from(
                qa_dir.join("bert/model.safetensors"),
            ))),
            LocalResource::from(qa_dir.join("bert/config.json")),
            LocalResource::from(qa_dir.join("vocab.txt")),
            None,
            true,
            None,
            None,
            40,
            10,
            16,
            8,
        );
        qa.device = tch::Device::Cpu;
        qa.kind = kind;
        let gpt2 = fixtures.join("generation/gpt2");
        let mut generate = TextGenerationConfig::new(
            ModelType::GPT2,
            ModelResource::Torch(Box::new(LocalResource::from(
                gpt2.join("model.safetensors"),
            ))),
            LocalResource::from(gpt2.join("config.json")),
            LocalResource::from(gpt2.join("vocab.json")),
            Some(LocalResource::from(gpt2.join("merges.txt"))),
        );
        generate.device = tch::Device::Cpu;
        generate.kind = kind;
        generate.do_sample = false;
        generate.num_beams = 1;
        // The tiny Llama with the chat template of tests/fixtures/chat (HF's references there).
        let llama = fixtures.join("llama");
        let mut chat = ChatConfig::new(
            ModelType::Llama,
            ModelResource::Torch(Box::new(LocalResource::from(
                llama.join("llama/model.safetensors"),
            ))),
            LocalResource::from(llama.join("llama/config.json")),
            LocalResource::from(llama.join("tokenizer/tokenizer.json")),
        );
        chat.device = tch::Device::Cpu;
        chat.kind = kind;
        chat.max_new_tokens = 10;
        chat.chat_template = Some(fixture_template(
            &fixtures.join("chat/tokenizer_config.json"),
        )?);
        Ok(Self {
            sentiment: SentimentModel::new(sentiment)?,
            ner: NERModel::new(ner)?,
            qa: QuestionAnsweringModel::new(qa)?,
            embeddings: {
                let builder =
                    SentenceEmbeddingsBuilder::local(root.join(".venv/models/all-MiniLM-L6-v2"))
                        .with_device(tch::Device::Cpu);
                match kind {
                    Some(kind) => builder.with_kind(kind),
                    None => builder,
                }
                .create_model()?
            },
            generate: TextGenerationModel::new(generate)?,
            max_new_tokens: 8,
            chat: ChatModel::new(chat)?,
        })
    }

    /// Starts one batcher per model (each model moves to its worker thread).
    pub fn serve(self, settings: BatchSettings) -> AppState {
        let Models {
            sentiment,
            ner,
            qa,
            embeddings,
            generate,
            max_new_tokens,
            chat,
        } = self;
        AppState {
            sentiment: Batcher::spawn("sentiment", settings, move |texts: Vec<String>| {
                each(&texts, |batch| {
                    let batch: Vec<&str> = batch.iter().map(String::as_str).collect();
                    sentiment.try_predict(&batch)
                })
            }),
            ner: Batcher::spawn("ner", settings, move |texts: Vec<String>| {
                each(&texts, |batch| ner.try_predict(batch))
            }),
            qa: Batcher::spawn("qa", settings, move |inputs: Vec<QaInput>| {
                each(&inputs, |batch| {
                    qa.try_predict(batch, 1, batch.len().max(1))
                })
            }),
            embeddings: Batcher::spawn("embeddings", settings, move |texts: Vec<String>| {
                each(&texts, |batch| embeddings.encode(batch))
            }),
            generate: Batcher::spawn(
                "generate",
                settings,
                move |requests: Vec<GenerateRequest>| {
                    // Requests asking for the same length run as one batch.
                    let mut groups: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
                    for (index, request) in requests.iter().enumerate() {
                        let length = request.max_new_tokens.unwrap_or(max_new_tokens);
                        groups.entry(length).or_default().push(index);
                    }
                    let mut answers: Vec<Result<String, String>> =
                        failed(requests.len(), "not run");
                    for (length, members) in groups {
                        let prompts: Vec<&str> =
                            members.iter().map(|&i| requests[i].text.as_str()).collect();
                        let options = GenerateOptions {
                            max_new_tokens: Some(length),
                            ..Default::default()
                        };
                        let results = each(&prompts, |batch| {
                            generate.generate_with_options(batch, None, Some(options))
                        });
                        for (index, result) in members.into_iter().zip(results) {
                            answers[index] = result;
                        }
                    }
                    answers
                },
            ),
            chat: Batcher::spawn("chat", settings, move |jobs: Vec<ChatJob>| {
                answer_chats(&chat, jobs)
            }),
        }
    }
}

/// `chat_template` of a `tokenizer_config.json`.
fn fixture_template(path: &Path) -> Result<String, RustBertError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| RustBertError::IOError(format!("{}: {e}", path.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        RustBertError::InvalidConfigurationError(format!("{}: {e}", path.display()))
    })?;
    json["chat_template"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| {
            RustBertError::InvalidConfigurationError(format!(
                "{}: no chat_template",
                path.display()
            ))
        })
}

/// One batch of chat requests: each conversation's prompt is checked alone (a bad one gets its
/// own 422), the others asking for the same length are generated together, streaming each
/// token to its request's channel.
fn answer_chats(chat: &ChatModel, jobs: Vec<ChatJob>) -> Vec<Result<ChatOutput, String>> {
    let mut answers: Vec<Result<ChatOutput, String>> = failed(jobs.len(), "not run");
    let mut groups: BTreeMap<i64, Vec<(usize, rust_bert::pipelines::chat::ChatPrompt)>> =
        BTreeMap::new();
    for (index, job) in jobs.iter().enumerate() {
        let length = job.request.max_new_tokens.unwrap_or(chat.max_new_tokens());
        match chat.prompt(&job.request.messages, Some(length)) {
            Ok(prompt) => groups.entry(length).or_default().push((index, prompt)),
            Err(error) => answers[index] = Err(error.to_string()),
        }
    }
    for members in groups.into_values() {
        let (indices, prompts): (Vec<usize>, Vec<_>) = members.into_iter().unzip();
        let senders: Vec<Option<&mpsc::UnboundedSender<ChatToken>>> =
            indices.iter().map(|&i| jobs[i].tokens.as_ref()).collect();
        // A client gone away is not a reason to stop the others' replies.
        let send = |token: &ChatToken| {
            if let Some(Some(sender)) = senders.get(token.conversation) {
                let _ = sender.send(token.clone());
            }
            true
        };
        let streaming = senders.iter().any(Option::is_some);
        let callback: Option<&dyn Fn(&ChatToken) -> bool> = streaming.then_some(&send);
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
            chat.reply_to_prompts(&prompts, None, callback)
        }));
        let results: Vec<Result<ChatOutput, String>> = match run {
            Ok(Ok(outputs)) => outputs.into_iter().map(Ok).collect(),
            Ok(Err(error)) => failed(prompts.len(), &error.to_string()),
            Err(_) => failed(prompts.len(), "the model failed on this batch"),
        };
        for (index, result) in indices.into_iter().zip(results) {
            answers[index] = result;
        }
    }
    answers
}
