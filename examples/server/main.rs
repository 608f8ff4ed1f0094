//! An HTTP/JSON server with dynamic batching: sentiment, NER, question answering, sentence
//! embeddings, text generation and chat (streamed as server-sent events on request). Requests that arrive together are queued and run as one
//! batch per pipeline (up to `max_batch_size`, waiting at most `max_wait` for company); a full
//! queue answers 503. Offline, on the repository's tiny fixture models and the real
//! all-MiniLM-L6-v2 installed by `utils/setup.sh`.
//!
//! ```sh
//! cargo run --release --example server -- 127.0.0.1:8000   # [--dtype int8|bf16|f16|f32]
//! curl -s localhost:8000/sentiment -H 'content-type: application/json' -d '{"text": "Great film!"}'
//! curl -s localhost:8000/qa -H 'content-type: application/json' \
//!      -d '{"question": "Who built it?", "context": "The bridge was built by farmers."}'
//! curl -s localhost:8000/chat -H 'content-type: application/json' \
//!      -d '{"messages": [{"role": "user", "content": "Hello there"}]}'
//! curl -sN localhost:8000/chat -H 'content-type: application/json' \
//!      -d '{"messages": [{"role": "user", "content": "Hello there"}], "stream": true}'
//! curl -s localhost:8000/stats
//! ```
//! Routes: `POST /sentiment`, `/ner`, `/embeddings`, `/generate` with `{"text": ...}`,
//! `POST /qa` with `{"question": ..., "context": ...}`, `POST /chat` with `{"messages": [{"role",
//! "content"}, ...], "max_new_tokens"?, "stream"?}` (the answer `{"message", "token_ids",
//! "prompt_tokens", "dropped_messages", "finish_reason"}`; streamed: `token` events `{"text",
//! "token_id"}`, then a `done` event with the answer or an `error` event), `GET /health`,
//! `GET /stats` (requests, batches, largest batch and 503s per pipeline).
mod app;

use std::path::Path;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8000".to_string());
    // `--dtype int8|bf16|f16|f32` (default f32), as the CLI's option.
    let kind = match (args.next().as_deref(), args.next().as_deref()) {
        (None, _) | (Some("--dtype"), Some("f32")) => None,
        (Some("--dtype"), Some("int8")) => Some(tch::Kind::QInt8),
        (Some("--dtype"), Some("bf16")) => Some(tch::Kind::BFloat16),
        (Some("--dtype"), Some("f16")) => Some(tch::Kind::Half),
        _ => return Err("usage: server [ADDRESS] [--dtype f32|bf16|f16|int8]".into()),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Loading reads files and copies weights: keep it off the async threads.
    let models =
        tokio::task::spawn_blocking(move || app::Models::offline_with_kind(root, kind)).await??;
    let state = Arc::new(models.serve(app::BatchSettings::default()));
    let listener = tokio::net::TcpListener::bind(&address).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app::router(state)).await?;
    Ok(())
}
