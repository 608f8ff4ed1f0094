//! Rows per second of `embed` on all-MiniLM-L6-v2: the SQL function over a Parquet file in one
//! DataFusion process against a plain loop over `SentenceEmbeddingsModel::encode` with the same
//! batch size (the goal: within 10%).
//! - `encode_loop`: `encode` on the texts, `BATCH` at a time;
//! - `sql_embed`: `SELECT embed(body) FROM corpus`, record batches of `BATCH` rows (each one
//!   pipeline call), one model for the process.
//!
//! Needs the `datafusion` feature and the real model at `.venv/models/all-MiniLM-L6-v2`
//! (`./utils/setup.sh`): `cargo bench --features datafusion --bench sql_embed`.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use rust_bert::sql::PipelineFunctions;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tch::Device;

/// Rows per run.
const ROWS: usize = 2048;
/// Rows per `encode` call and per record batch.
const BATCH: usize = 256;

const WORDS: &str = "the movie was good and the actors were great but the ending was sad \
    we went to the park with our friends on a sunny day and played games until night \
    she said the food at the new place in town is very nice and not expensive";

/// `ROWS` sentences of 6 to 20 words.
fn texts() -> Vec<String> {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    (0..ROWS)
        .map(|i| {
            (0..6 + i % 15)
                .map(|j| words[(i * 7 + j * 3) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn minilm() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/models/all-MiniLM-L6-v2")
}

fn bench(c: &mut Criterion) {
    let texts = texts();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("corpus.parquet");
    let schema = Arc::new(Schema::new(vec![Field::new("body", DataType::Utf8, false)]));
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(&file).unwrap(), schema.clone(), None).unwrap();
    let batch =
        RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(texts.clone()))]).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();

    let model = SentenceEmbeddingsBuilder::local(minilm())
        .with_device(Device::Cpu)
        .create_model()
        .unwrap();
    let functions = PipelineFunctions::new().embed_local(minilm()).unwrap();
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_batch_size(BATCH));
    functions.register(&ctx);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(ctx.register_parquet(
            "corpus",
            file.to_str().unwrap(),
            ParquetReadOptions::default(),
        ))
        .unwrap();

    let mut group = c.benchmark_group("embed_minilm");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("encode_loop", |b| {
        b.iter(|| {
            for chunk in texts.chunks(BATCH) {
                std::hint::black_box(model.encode(chunk).unwrap());
            }
        })
    });
    group.bench_function("sql_embed", |b| {
        b.iter(|| {
            let batches = runtime
                .block_on(async {
                    ctx.sql("SELECT embed(body) FROM corpus")
                        .await?
                        .collect()
                        .await
                })
                .unwrap();
            assert_eq!(
                batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
                ROWS
            );
            std::hint::black_box(batches);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
