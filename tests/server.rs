//! End-to-end test of the batching server example (examples/server): the real routes on
//! 127.0.0.1, concurrent requests answered as the library answers them, batches formed, and a
//! full queue answering 503.
#[path = "../examples/server/app.rs"]
mod app;

use app::{
    AppState, BatchSettings, Batcher, ChatJob, EmbeddingResponse, GenerateRequest, Generated,
    Models,
};
use rust_bert::pipelines::chat::ChatOutput;
use rust_bert::pipelines::ner::Entity;
use rust_bert::pipelines::question_answering::{Answer, QaInput};
use rust_bert::pipelines::sentiment::{Sentiment, SentimentPolarity};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// Serves `state` on an ephemeral port of 127.0.0.1; returns the base URL.
async fn serve(state: Arc<AppState>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app::router(state)).await });
    format!("http://{address}")
}

/// Posts every body to `path` at once; returns the responses in order.
async fn post_all(base: &str, path: &str, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    let client = reqwest::Client::new();
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let request = client.post(format!("{base}{path}")).json(&body);
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

fn texts() -> Vec<String> {
    let words = [
        "The bridge in Ashford was built by John Smith in 1820.",
        "A terrible, boring film.",
        "Marie Curie moved to Paris to study physics.",
        "What a wonderful day!",
        "",
        "Berlin and Tokyo are large cities.",
    ];
    (0..24)
        .map(|i| format!("{} {}", words[i % words.len()], i))
        .collect()
}

#[test]
fn concurrent_requests_are_batched_and_answered_as_the_library_answers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let texts = texts();
    let contexts: Vec<QaInput> = texts
        .iter()
        .map(|t| QaInput {
            question: "Who built the bridge?".to_string(),
            context: format!("The bridge was built by local farmers. {t}"),
        })
        .collect();
    // The library's answers, one input at a time (the server batches them differently).
    let reference = Models::offline(root).unwrap();
    let sentiments: Vec<Sentiment> = texts
        .iter()
        .map(|t| reference.sentiment.predict([t.as_str()]).remove(0))
        .collect();
    let entities: Vec<Vec<Entity>> = texts
        .iter()
        .map(|t| reference.ner.predict(&[t.as_str()]).remove(0))
        .collect();
    let answers: Vec<Vec<Answer>> = contexts
        .iter()
        .map(|c| {
            reference
                .qa
                .predict(std::slice::from_ref(c), 1, 1)
                .remove(0)
        })
        .collect();
    let embeddings: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| {
            reference
                .embeddings
                .encode(&[t.as_str()])
                .unwrap()
                .remove(0)
        })
        .collect();
    let options = rust_bert::pipelines::generation_utils::GenerateOptions {
        max_new_tokens: Some(reference.max_new_tokens),
        ..Default::default()
    };
    let generated: Vec<String> = texts
        .iter()
        .take(8)
        .map(|t| {
            reference
                .generate
                .generate_with_options(&[t.as_str()], None, Some(options))
                .unwrap()
                .remove(0)
        })
        .collect();
    drop(reference);

    let settings = BatchSettings {
        max_batch_size: 8,
        max_wait: Duration::from_millis(50),
        queue_capacity: 64,
    };
    let state = Arc::new(Models::offline(root).unwrap().serve(settings));
    runtime().block_on(async {
        let base = serve(Arc::clone(&state)).await;
        let text_bodies = |n: usize| -> Vec<Value> {
            texts.iter().take(n).map(|t| json!({ "text": t })).collect()
        };

        let responses = post_all(&base, "/sentiment", text_bodies(texts.len())).await;
        for (i, (status, body)) in responses.into_iter().enumerate() {
            assert_eq!(status, 200, "sentiment {i}: {body}");
            let ours: Sentiment = serde_json::from_value(body).unwrap();
            assert_eq!(ours.polarity, sentiments[i].polarity, "sentiment {i}");
            assert!(
                (ours.score - sentiments[i].score).abs() < 1e-5,
                "sentiment {i}"
            );
        }

        let responses = post_all(&base, "/ner", text_bodies(texts.len())).await;
        for (i, (status, body)) in responses.into_iter().enumerate() {
            assert_eq!(status, 200, "ner {i}: {body}");
            let ours: Vec<Entity> = serde_json::from_value(body).unwrap();
            let spans = |e: &[Entity]| -> Vec<(String, String, u32, u32)> {
                e.iter()
                    .map(|e| {
                        (
                            e.word.clone(),
                            e.label.clone(),
                            e.offset.begin,
                            e.offset.end,
                        )
                    })
                    .collect()
            };
            assert_eq!(spans(&ours), spans(&entities[i]), "ner {i}");
        }

        let bodies = contexts
            .iter()
            .map(|c| json!({ "question": c.question, "context": c.context }))
            .collect();
        let responses = post_all(&base, "/qa", bodies).await;
        for (i, (status, body)) in responses.into_iter().enumerate() {
            assert_eq!(status, 200, "qa {i}: {body}");
            let ours: Vec<Answer> = serde_json::from_value(body).unwrap();
            assert_eq!(ours, answers[i], "qa {i}");
            for (a, b) in ours.iter().zip(&answers[i]) {
                assert!((a.score - b.score).abs() < 1e-5, "qa {i}");
            }
        }

        let responses = post_all(&base, "/embeddings", text_bodies(texts.len())).await;
        for (i, (status, body)) in responses.into_iter().enumerate() {
            assert_eq!(status, 200, "embeddings {i}: {body}");
            let ours: EmbeddingResponse = serde_json::from_value(body).unwrap();
            let diff = ours
                .embedding
                .iter()
                .zip(&embeddings[i])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert_eq!(ours.embedding.len(), 384);
            assert!(diff < 1e-5, "embeddings {i}: {diff}");
        }

        let responses = post_all(&base, "/generate", text_bodies(8)).await;
        for (i, (status, body)) in responses.into_iter().enumerate() {
            assert_eq!(status, 200, "generate {i}: {body}");
            let ours: Generated = serde_json::from_value(body).unwrap();
            assert_eq!(ours.text, generated[i], "generate {i}");
        }

        // One request the generator refuses (a negative length), sent together with good ones:
        // it alone gets the 422 with the library's message; the others, batched with it, get
        // 200 and the library's answers.
        let mut bodies = text_bodies(8);
        bodies[3] = json!({ "text": texts[3], "max_new_tokens": -1 });
        let responses = post_all(&base, "/generate", bodies).await;
        for (i, (status, body)) in responses.into_iter().enumerate() {
            if i == 3 {
                assert_eq!(status, 422, "refused generate: {body}");
                let message = body["error"].as_str().unwrap();
                assert!(message.contains("max_new_tokens"), "{message}");
            } else {
                assert_eq!(status, 200, "generate {i} beside a refused one: {body}");
                let ours: Generated = serde_json::from_value(body).unwrap();
                assert_eq!(ours.text, generated[i], "generate {i} beside a refused one");
            }
        }

        let stats: Value = reqwest::get(format!("{base}/stats"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (route, requests) in [
            ("sentiment", 24),
            ("ner", 24),
            ("qa", 24),
            ("embeddings", 24),
            ("generate", 16),
        ] {
            let s = &stats[route];
            assert_eq!(s["requests"], requests, "{route}: {s}");
            // Requests sent together were run together.
            assert!(s["largest_batch"].as_u64().unwrap() > 1, "{route}: {s}");
            assert!(s["batches"].as_u64().unwrap() < requests, "{route}: {s}");
            assert!(s["largest_batch"].as_u64().unwrap() <= 8, "{route}: {s}");
        }

        // A request the pipeline cannot take is a client error, not a crash.
        let client = reqwest::Client::new();
        let bad = client
            .post(format!("{base}/sentiment"))
            .header("content-type", "application/json")
            .body("{\"txt\": 3}")
            .send()
            .await
            .unwrap();
        assert!(bad.status().is_client_error(), "{}", bad.status());
        let health = reqwest::get(format!("{base}/health")).await.unwrap();
        assert_eq!(health.text().await.unwrap(), "ok");
    });
}

/// Batchers whose answers are fixed; the sentiment one holds each batch until released.
fn blocked_state(release: std::sync::mpsc::Receiver<()>) -> AppState {
    let settings = BatchSettings {
        max_batch_size: 1,
        max_wait: Duration::ZERO,
        queue_capacity: 2,
    };
    let release = Mutex::new(release);
    let refuse = |_: &str| "not served in this test".to_string();
    AppState {
        sentiment: Batcher::spawn("sentiment", settings, move |texts: Vec<String>| {
            let _ = release.lock().unwrap().recv();
            texts
                .iter()
                .map(|_| {
                    Ok(Sentiment {
                        polarity: SentimentPolarity::Positive,
                        score: 1.0,
                    })
                })
                .collect()
        }),
        ner: Batcher::spawn("ner", settings, move |t: Vec<String>| {
            t.iter().map(|t| Err(refuse(t))).collect()
        }),
        qa: Batcher::spawn("qa", settings, move |t: Vec<QaInput>| {
            t.iter().map(|t| Err(refuse(&t.question))).collect()
        }),
        embeddings: Batcher::spawn("embeddings", settings, move |t: Vec<String>| {
            t.iter().map(|t| Err(refuse(t))).collect()
        }),
        generate: Batcher::spawn("generate", settings, move |t: Vec<GenerateRequest>| {
            t.iter().map(|t| Err(refuse(&t.text))).collect()
        }),
        chat: Batcher::spawn("chat", settings, move |t: Vec<ChatJob>| {
            t.iter().map(|_| Err(refuse("chat"))).collect()
        }),
    }
}

#[test]
fn a_full_queue_answers_503_and_the_rest_are_served() {
    let (release, released) = std::sync::mpsc::channel();
    let state = Arc::new(blocked_state(released));
    runtime().block_on(async {
        let base = serve(Arc::clone(&state)).await;
        let client = reqwest::Client::new();
        let send = |text: &str| {
            let request = client
                .post(format!("{base}/sentiment"))
                .json(&json!({ "text": text }));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (
                    response.status().as_u16(),
                    response.json::<Value>().await.unwrap(),
                )
            })
        };
        // The first request reaches the worker, which holds it.
        let first = send("first");
        while state.sentiment.stats()["batches"] != 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Two more fill the queue (capacity 2); the next one is refused at once.
        let queued = [send("second"), send("third")];
        while state.sentiment.stats()["accepted"] != 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (status, body) = send("fourth").await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert!(body["error"].as_str().unwrap().contains("queue is full"));
        for _ in 0..8 {
            let _ = release.send(());
        }
        let (status, body) = first.await.unwrap();
        assert_eq!((status, body["polarity"].as_str()), (200, Some("Positive")));
        for handle in queued {
            assert_eq!(handle.await.unwrap().0, 200);
        }
        // The model's refusal is a 422 with its message.
        let response = client
            .post(format!("{base}/ner"))
            .json(&json!({ "text": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422);
        let stats = state.sentiment.stats();
        assert_eq!(stats["rejected"], 1, "{stats}");
        assert_eq!(stats["requests"], 3, "{stats}");
    });
}

/// The events of a server-sent-events body: `(event, data)`.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_string();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.strip_prefix(' ').unwrap_or(value));
                }
            }
            (name, serde_json::from_str(&data).unwrap())
        })
        .collect()
}

/// `POST /chat` on the tiny Llama with the chat fixture's template: concurrent conversations
/// batched and answered with HF's replies; streamed ones as `token` events spelling the reply,
/// then `done`; a conversation the model refuses gets its 422 (or, streamed, an `error` event)
/// while those batched with it are answered.
#[test]
fn chat_is_batched_and_streamed() {
    use crate::chat::{expected, ids};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e = expected();
    let eos = ids(&e["eos_token_ids"]);
    let cases: Vec<Value> = e["cases"].as_array().unwrap().clone();
    // HF's reply tokens, without the end token.
    let replies: Vec<Vec<i64>> = cases
        .iter()
        .map(|c| {
            let mut tokens = ids(&c["generated"]);
            if tokens.last().is_some_and(|t| eos.contains(t)) {
                tokens.pop();
            }
            tokens
        })
        .collect();
    let settings = BatchSettings {
        max_batch_size: 8,
        max_wait: Duration::from_millis(100),
        queue_capacity: 64,
    };
    let state = Arc::new(Models::offline(root).unwrap().serve(settings));
    runtime().block_on(async {
        let base = serve(Arc::clone(&state)).await;
        let mut bodies: Vec<Value> = cases
            .iter()
            .map(|c| json!({ "messages": c["messages"] }))
            .collect();
        bodies.push(json!({ "messages": [{"role": "robot", "content": "beep"}] }));
        bodies.push(json!({ "messages": [] }));
        let responses = post_all(&base, "/chat", bodies).await;
        for (i, (status, body)) in responses.iter().enumerate() {
            if i < cases.len() {
                assert_eq!(*status, 200, "chat {i}: {body}");
                let out: ChatOutput = serde_json::from_value(body.clone()).unwrap();
                assert_eq!(out.token_ids, replies[i], "chat {i}");
                assert_eq!(out.message.content, cases[i]["text"].as_str().unwrap());
            } else {
                assert_eq!(*status, 422, "refused chat {i}: {body}");
            }
        }
        let refused = responses[cases.len()].1["error"].as_str().unwrap();
        assert!(refused.contains("Unknown role: robot"), "{refused}");

        // Streamed, several at once (batched), one refused by the template.
        let client = reqwest::Client::new();
        let mut handles = Vec::new();
        for messages in cases
            .iter()
            .map(|c| c["messages"].clone())
            .chain([json!([{"role": "robot", "content": "beep"}])])
        {
            let request = client
                .post(format!("{base}/chat"))
                .json(&json!({ "messages": messages, "stream": true }));
            handles.push(tokio::spawn(async move {
                let mut response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let kind = response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let mut body = String::new();
                let mut chunks = 0;
                while let Some(chunk) = response.chunk().await.unwrap() {
                    body.push_str(std::str::from_utf8(&chunk).unwrap());
                    chunks += 1;
                }
                (status, kind, body, chunks)
            }));
        }
        for (i, handle) in handles.into_iter().enumerate() {
            let (status, kind, body, chunks) = handle.await.unwrap();
            assert_eq!(status, 200, "{body}");
            assert!(kind.starts_with("text/event-stream"), "{kind}");
            let events = events(&body);
            let (last, tokens) = events.split_last().unwrap();
            if i == cases.len() {
                assert_eq!(last.0, "error", "{body}");
                assert!(tokens.is_empty());
                continue;
            }
            assert_eq!(last.0, "done", "{body}");
            let out: ChatOutput = serde_json::from_value(last.1.clone()).unwrap();
            assert_eq!(out.token_ids, replies[i], "streamed chat {i}");
            assert!(tokens.iter().all(|(name, _)| name == "token"));
            let streamed: Vec<i64> = tokens
                .iter()
                .map(|(_, d)| d["token_id"].as_i64().unwrap())
                .collect();
            assert_eq!(streamed, replies[i], "streamed chat {i}: token events");
            let text: String = tokens
                .iter()
                .map(|(_, d)| d["text"].as_str().unwrap())
                .collect();
            assert_eq!(text, out.message.content, "streamed chat {i}: text");
            // The events came as they were generated, not in one piece.
            assert!(chunks > 1, "streamed chat {i}: {chunks} chunk(s)");
        }
        // An empty conversation is refused before any stream starts.
        let response = client
            .post(format!("{base}/chat"))
            .json(&json!({ "messages": [], "stream": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422);

        let stats: Value = reqwest::get(format!("{base}/stats"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let chat = &stats["chat"];
        assert_eq!(chat["requests"], 2 * cases.len() as u64 + 3, "{chat}");
        assert!(chat["largest_batch"].as_u64().unwrap() > 1, "{chat}");
    });
}

/// `--dtype int8` builds every pipeline with `kind: Some(Kind::QInt8)`: the server's models then
/// answer as the library's int8 pipelines (a few-row input, so the int8 kernel runs on any AVX2
/// CPU), which differ from f32.
#[test]
fn int8_models_answer_as_the_library_int8_pipelines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let int8 = Models::offline_with_kind(root, Some(tch::Kind::QInt8)).unwrap();
    let f32_models = Models::offline(root).unwrap();
    let text = ["good"];
    let (a, b) = (
        int8.sentiment.predict(text),
        f32_models.sentiment.predict(text),
    );
    assert_ne!(a[0].score, b[0].score, "int8 gave the f32 score");
    let fixtures = root.join("tests/fixtures/pipeline_classification");
    let mut config = rust_bert::pipelines::sentiment::SentimentConfig::new(
        rust_bert::pipelines::common::ModelType::DistilBert,
        rust_bert::pipelines::common::ModelResource::Torch(Box::new(
            rust_bert::resources::LocalResource::from(
                fixtures.join("distilbert/model.safetensors"),
            ),
        )),
        rust_bert::resources::LocalResource::from(fixtures.join("distilbert/config.json")),
        rust_bert::resources::LocalResource::from(fixtures.join("vocab.txt")),
        None,
        true,
        None,
        None,
    );
    config.device = tch::Device::Cpu;
    config.kind = Some(tch::Kind::QInt8);
    let library = rust_bert::pipelines::sentiment::SentimentModel::new(config).unwrap();
    assert_eq!(library.predict(text)[0].score, a[0].score);
}
