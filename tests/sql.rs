//! The pipelines as DataFusion functions (feature `datafusion`): results equal the pipelines'
//! own outputs row for row over a generated Parquet corpus, nulls and refused rows, the CLI's
//! `sql` task, and (feature `ballista`) the same query on a local Ballista cluster.
use crate::util::{fixtures, minilm_dir};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeListArray, Float32Array, Float64Array, Int64Array,
    RecordBatch, StringArray, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use rust_bert::pipelines::ner::NERModel;
use rust_bert::pipelines::sentence_embeddings::{
    SentenceEmbeddingsBuilder, SentenceEmbeddingsModel,
};
use rust_bert::pipelines::sentiment::{SentimentModel, SentimentPolarity};
use rust_bert::pipelines::sequence_classification::SequenceClassificationModel;
use rust_bert::pipelines::summarization::SummarizationModel;
use rust_bert::pipelines::text_generation::TextGenerationModel;
use rust_bert::pipelines::token_classification::LabelAggregationOption;
use rust_bert::pipelines::translation::{Language, TranslationModel};
use rust_bert::pipelines::zero_shot_classification::ZeroShotClassificationModel;
use rust_bert::sql::PipelineFunctions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tch::Device;

/// Rows of the corpus of the main test, over `FILES` Parquet files.
const ROWS: usize = 20_000;
const FILES: usize = 5;

const WORDS: &[&str] = &[
    "the",
    "a",
    "movie",
    "was",
    "great",
    "terrible",
    "John",
    "Smith",
    "lives",
    "in",
    "Paris",
    "and",
    "works",
    "for",
    "Google",
    "I",
    "love",
    "this",
    "hate",
    "that",
    "weather",
    "is",
    "sunny",
    "today",
    "Berlin",
    "Angela",
    "visited",
    "London",
    "with",
    "Mary",
    "team",
    "won",
    "match",
    "election",
    "results",
    "were",
    "announced",
    "food",
    "delicious",
    "service",
    "slow",
    "book",
    "boring",
    "amazing",
    "story",
    "of",
    "New",
    "York",
    "river",
    "city",
];

/// A deterministic pseudo-random sequence (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Row `i` of a corpus: a null every 97 rows, an empty text every 89, else 2 to 13 words.
fn text(i: usize, rng: &mut Lcg) -> Option<String> {
    if i % 97 == 5 {
        return None;
    }
    if i % 89 == 7 {
        return Some(String::new());
    }
    let words = 2 + rng.next(12);
    let mut text: Vec<&str> = (0..words).map(|_| WORDS[rng.next(WORDS.len())]).collect();
    if rng.next(3) == 0 {
        text.push(".");
    }
    Some(text.join(" "))
}

/// Writes a corpus of `rows` rows (`id`, `body`, `lang`) over `files` Parquet files of 1,000-row
/// row groups; returns the texts by id.
fn write_corpus(dir: &Path, rows: usize, files: usize) -> Vec<Option<String>> {
    let mut rng = Lcg(42);
    let texts: Vec<Option<String>> = (0..rows).map(|i| text(i, &mut rng)).collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("body", DataType::Utf8, true),
        Field::new("lang", DataType::Utf8, true),
    ]));
    std::fs::create_dir_all(dir).unwrap();
    let per_file = rows.div_ceil(files);
    for (f, start) in (0..rows).step_by(per_file).enumerate() {
        let end = (start + per_file).min(rows);
        let file = std::fs::File::create(dir.join(format!("part-{f}.parquet"))).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(1000))
            .build();
        let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
        let ids: Vec<i64> = (start as i64..end as i64).collect();
        // A target language per row: French, except an unknown code every 50 rows.
        let langs: Vec<&str> = (start..end)
            .map(|i| if i % 50 == 3 { "xx" } else { "fr" })
            .collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(ids)),
                Arc::new(StringArray::from(texts[start..end].to_vec())),
                Arc::new(StringArray::from(langs)),
            ],
        )
        .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }
    texts
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn context(functions: &PipelineFunctions) -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
    functions.register(&ctx);
    ctx
}

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

// -- models --------------------------------------------------------------------------------

fn st_dir() -> PathBuf {
    fixtures().join("pipeline_embeddings/st/bert_mean_dense_gelu")
}

fn embed_model() -> Result<SentenceEmbeddingsModel, rust_bert::RustBertError> {
    SentenceEmbeddingsBuilder::local(st_dir())
        .with_device(Device::Cpu)
        .create_model()
}

fn sentiment_model() -> Result<SentimentModel, rust_bert::RustBertError> {
    SentimentModel::new(crate::pipeline_classification::seq_config(
        "distilbert",
        "config.json",
    ))
}

fn classify_model() -> Result<SequenceClassificationModel, rust_bert::RustBertError> {
    SequenceClassificationModel::new(crate::pipeline_classification::seq_config(
        "bert",
        "config.json",
    ))
}

fn ner_model() -> Result<NERModel, rust_bert::RustBertError> {
    NERModel::new(crate::pipeline_tokens::config(
        "bert_ner",
        LabelAggregationOption::First,
    ))
}

fn zero_shot_model() -> Result<ZeroShotClassificationModel, rust_bert::RustBertError> {
    ZeroShotClassificationModel::new(crate::pipeline_classification::zs_config(
        "distilbert",
        "config_nli.json",
    ))
}

fn translate_model() -> Result<TranslationModel, rust_bert::RustBertError> {
    TranslationModel::new(crate::pipeline_seq2seq::marian_translation_config())
}

fn summarize_model() -> Result<SummarizationModel, rust_bert::RustBertError> {
    SummarizationModel::new(crate::pipeline_seq2seq::bart_summarization_config())
}

fn generate_model() -> Result<TextGenerationModel, rust_bert::RustBertError> {
    TextGenerationModel::new(crate::pipeline_generation::text_config(1))
}

// -- reading results ---------------------------------------------------------------------------

fn column<'a>(batch: &'a RecordBatch, name: &str) -> &'a ArrayRef {
    batch.column_by_name(name).unwrap()
}

fn ids(batch: &RecordBatch) -> Vec<i64> {
    column(batch, "id")
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .values()
        .to_vec()
}

fn embedding(array: &ArrayRef, row: usize) -> Option<Vec<f32>> {
    let list = array.as_any().downcast_ref::<FixedSizeListArray>().unwrap();
    if list.is_null(row) {
        return None;
    }
    let values = list.value(row);
    Some(
        values
            .as_any()
            .downcast_ref::<Float32Array>()
            .unwrap()
            .values()
            .to_vec(),
    )
}

fn field<'a>(array: &'a StructArray, name: &str) -> &'a ArrayRef {
    array.column_by_name(name).unwrap()
}

fn str_at(array: &ArrayRef, row: usize) -> Option<String> {
    let strings = array.as_string::<i32>();
    (!strings.is_null(row)).then(|| strings.value(row).to_string())
}

fn f64_at(array: &ArrayRef, row: usize) -> f64 {
    array
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap()
        .value(row)
}

fn i64_at(array: &ArrayRef, row: usize) -> i64 {
    array
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(row)
}

/// `(label, score)` of a `sentiment` value.
fn label_score(array: &ArrayRef, row: usize) -> Option<(String, f64)> {
    let s = array.as_struct();
    if s.is_null(row) {
        return None;
    }
    Some((
        str_at(field(s, "label"), row).unwrap(),
        f64_at(field(s, "score"), row),
    ))
}

/// `(label, score)` items of a `zero_shot` value, or `(word, label, score, start, end)` of `ner`
/// (start/end in the last two places, the word in the first).
fn struct_list(array: &ArrayRef, row: usize) -> Option<Vec<Vec<String>>> {
    let list = array.as_list::<i32>();
    if list.is_null(row) {
        return None;
    }
    let items = list.value(row);
    let items = items.as_struct();
    Some(
        (0..items.len())
            .map(|i| {
                items
                    .columns()
                    .iter()
                    .map(|c| match c.data_type() {
                        DataType::Utf8 => str_at(c, i).unwrap_or_default(),
                        DataType::Float64 => format!("{:.6}", f64_at(c, i)),
                        _ => i64_at(c, i).to_string(),
                    })
                    .collect()
            })
            .collect(),
    )
}

/// Largest difference between two float lists (infinite when their lengths differ).
fn max_diff(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).abs())
        .fold(0.0, f64::max)
}

/// The pipeline outputs of the main test's functions for every row, computed by the library
/// alone (1,000 rows per call, in corpus order).
struct Reference {
    embed: Vec<Option<Vec<f32>>>,
    sentiment: Vec<Option<(String, f64)>>,
    classify: Vec<Option<(String, f64, i64)>>,
    ner: Vec<Option<Vec<Vec<String>>>>,
}

fn reference(texts: &[Option<String>]) -> Reference {
    let embed = embed_model().unwrap();
    let sentiment = sentiment_model().unwrap();
    let classify = classify_model().unwrap();
    let ner = ner_model().unwrap();
    let mut out = Reference {
        embed: vec![None; texts.len()],
        sentiment: vec![None; texts.len()],
        classify: vec![None; texts.len()],
        ner: vec![None; texts.len()],
    };
    let rows: Vec<usize> = (0..texts.len()).filter(|&i| texts[i].is_some()).collect();
    for part in rows.chunks(1000) {
        let batch: Vec<&str> = part.iter().map(|&i| texts[i].as_deref().unwrap()).collect();
        let e = embed.encode(&batch).unwrap();
        let s = sentiment.try_predict(&batch).unwrap();
        let c = classify.try_predict(&batch).unwrap();
        let n = ner.try_predict_full_entities(&batch).unwrap();
        for (k, &i) in part.iter().enumerate() {
            out.embed[i] = Some(e[k].clone());
            let polarity = match s[k].polarity {
                SentimentPolarity::Positive => "positive",
                SentimentPolarity::Negative => "negative",
            };
            out.sentiment[i] = Some((polarity.to_string(), s[k].score));
            out.classify[i] = Some((c[k].text.clone(), c[k].score, c[k].id));
            out.ner[i] = Some(
                n[k].iter()
                    .map(|e| {
                        vec![
                            e.word.clone(),
                            e.label.clone(),
                            format!("{:.6}", e.score),
                            e.offset.begin.to_string(),
                            e.offset.end.to_string(),
                        ]
                    })
                    .collect(),
            );
        }
    }
    out
}

/// Entities equal up to float formatting noise in the score's sixth decimal.
fn same_entities(a: &[Vec<String>], b: &[Vec<String>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x[0] == y[0]
                && x[1] == y[1]
                && x[3] == y[3]
                && x[4] == y[4]
                && (x[2].parse::<f64>().unwrap() - y[2].parse::<f64>().unwrap()).abs() <= 2e-6
        })
}

/// `(label, score)` lists equal up to 1e-6 on the scores.
fn same_labels(a: &[Vec<String>], b: &[Vec<String>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x[0] == y[0]
                && (x[1].parse::<f64>().unwrap() - y[1].parse::<f64>().unwrap()).abs() <= 2e-6
        })
}

/// Checks one result batch of the main query against the reference; returns the largest float
/// difference seen.
fn check_batch(batch: &RecordBatch, expected: &Reference, seen: &mut [u8]) -> f64 {
    let mut worst: f64 = 0.0;
    let (e, s, c, n) = (
        column(batch, "e"),
        column(batch, "s"),
        column(batch, "c"),
        column(batch, "n"),
    );
    for (row, id) in ids(batch).into_iter().enumerate() {
        let i = id as usize;
        seen[i] += 1;
        match (embedding(e, row), &expected.embed[i]) {
            (Some(got), Some(want)) => worst = worst.max(max_diff(&got, want)),
            (None, None) => {}
            (got, want) => panic!("row {id}: embed {got:?} != {want:?}"),
        }
        match (label_score(s, row), &expected.sentiment[i]) {
            (Some(got), Some(want)) => {
                assert_eq!(got.0, want.0, "row {id}: sentiment label");
                worst = worst.max((got.1 - want.1).abs());
            }
            (None, None) => {}
            (got, want) => panic!("row {id}: sentiment {got:?} != {want:?}"),
        }
        let cs = c.as_struct();
        match (cs.is_null(row), &expected.classify[i]) {
            (false, Some(want)) => {
                assert_eq!(str_at(field(cs, "label"), row).unwrap(), want.0, "row {id}");
                assert_eq!(i64_at(field(cs, "id"), row), want.2, "row {id}");
                worst = worst.max((f64_at(field(cs, "score"), row) - want.1).abs());
            }
            (true, None) => {}
            (null, want) => panic!("row {id}: classify null={null} != {want:?}"),
        }
        match (struct_list(n, row), &expected.ner[i]) {
            (Some(got), Some(want)) => {
                assert!(
                    same_entities(&got, want),
                    "row {id}: ner {got:?} != {want:?}"
                )
            }
            (None, None) => {}
            (got, want) => panic!("row {id}: ner {got:?} != {want:?}"),
        }
    }
    worst
}

#[test]
fn sql_functions_equal_the_pipelines_row_for_row_on_a_20k_row_parquet_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let texts = write_corpus(&corpus, ROWS, FILES);
    let start = Instant::now();
    let expected = reference(&texts);
    let reference_time = start.elapsed();

    let functions = PipelineFunctions::new()
        .embed_local(st_dir())
        .unwrap()
        .sentiment(sentiment_model)
        .classify(classify_model)
        .ner(ner_model);
    let ctx = context(&functions);
    let start = Instant::now();
    let (worst, rows, rss_after_first, rss_max) = runtime().block_on(async {
        ctx.register_parquet("corpus", corpus.to_str().unwrap(), ParquetReadOptions::default())
            .await
            .unwrap();
        let frame = ctx
            .sql("SELECT id, embed(body) AS e, sentiment(body) AS s, classify(body) AS c, ner(body) AS n FROM corpus")
            .await
            .unwrap();
        // Streamed: each batch is checked and dropped.
        let mut stream = frame.execute_stream().await.unwrap();
        let mut seen = vec![0u8; ROWS];
        let (mut worst, mut rows, mut batches) = (0f64, 0usize, 0usize);
        let (mut rss_after_first, mut rss_max) = (0u64, 0u64);
        while let Some(batch) = stream.next().await {
            let batch = batch.unwrap();
            worst = worst.max(check_batch(&batch, &expected, &mut seen));
            rows += batch.num_rows();
            batches += 1;
            // Memory once every model is loaded and a batch of each partition has run.
            if batches == 2 {
                rss_after_first = rss();
            }
            rss_max = rss_max.max(rss());
        }
        assert!(seen.iter().all(|&n| n == 1), "every row exactly once");
        (worst, rows, rss_after_first, rss_max)
    });
    let sql_time = start.elapsed();
    assert_eq!(rows, ROWS);
    let growth = rss_max.saturating_sub(rss_after_first) as f64 / 1e6;
    eprintln!(
        "sql corpus: {ROWS} rows in {FILES} files; max |sql - pipeline| {worst:.2e}; sql {:.1}s, \
         reference {:.1}s; rss after 2 batches {:.0} MB, max {:.0} MB (+{growth:.1} MB)",
        sql_time.as_secs_f64(),
        reference_time.as_secs_f64(),
        rss_after_first as f64 / 1e6,
        rss_max as f64 / 1e6,
    );
    assert!(worst <= 1e-6, "max difference {worst:e}");
    // Streamed, not collected: memory does not grow with the rows read (the whole result
    // would be ~20,000 rows of embeddings, entities and structs).
    assert!(growth < 64.0, "resident memory grew by {growth:.1} MB");
}

#[test]
fn sql_embed_on_minilm_equals_encode() {
    // all-MiniLM-L6-v2 on 1,000 short rows (the 20,000-row test uses a tiny sentence-embeddings
    // fixture: MiniLM over 20,000 rows twice would take minutes on CI's two cores).
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let texts = write_corpus(&corpus, 1000, 2);
    let model = SentenceEmbeddingsBuilder::local(minilm_dir())
        .with_device(Device::Cpu)
        .create_model()
        .unwrap();
    let rows: Vec<usize> = (0..texts.len()).filter(|&i| texts[i].is_some()).collect();
    let inputs: Vec<&str> = rows.iter().map(|&i| texts[i].as_deref().unwrap()).collect();
    let expected: HashMap<i64, Vec<f32>> = rows
        .iter()
        .zip(model.encode(&inputs).unwrap())
        .map(|(&i, e)| (i as i64, e))
        .collect();
    let functions = PipelineFunctions::new().embed_local(minilm_dir()).unwrap();
    let ctx = context(&functions);
    let batches = runtime().block_on(async {
        ctx.register_parquet(
            "corpus",
            corpus.to_str().unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
        ctx.sql("SELECT id, embed(body) AS e FROM corpus")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap()
    });
    let mut worst: f64 = 0.0;
    let mut count = 0;
    for batch in &batches {
        let e = column(batch, "e");
        assert_eq!(
            e.data_type(),
            &DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), 384)
        );
        for (row, id) in ids(batch).into_iter().enumerate() {
            count += 1;
            match (embedding(e, row), expected.get(&id)) {
                (Some(got), Some(want)) => worst = worst.max(max_diff(&got, want)),
                (None, None) => {}
                (got, want) => panic!("row {id}: {:?} != {:?}", got.is_some(), want.is_some()),
            }
        }
    }
    assert_eq!(count, 1000);
    eprintln!("minilm embed via sql: max |sql - encode| {worst:.2e}");
    assert!(worst <= 1e-6, "max difference {worst:e}");
}

/// The generating and zero-shot functions on 100 rows (each `generate` row runs alone, and the
/// reference runs every row alone: kept short for CI), with refused rows: an unknown target
/// language every 50 rows gives a null (`try_translate`: the error), and fails a strict query.
#[test]
fn sql_generating_functions_nulls_and_refused_rows() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let texts = write_corpus(&corpus, 100, 2);
    let functions = PipelineFunctions::new()
        .zero_shot(128, zero_shot_model)
        .translate(translate_model)
        .summarize(summarize_model)
        .generate(generate_model);
    let ctx = context(&functions);
    let query = "SELECT id, zero_shot(body, ['sports', 'politics', 'food']) AS z, \
                 zero_shot(body, 'sports, politics, food') AS z2, \
                 translate(body, 'en', lang) AS t, try_translate(body, 'en', lang) AS tt, \
                 summarize(body) AS s, generate(body) AS g FROM corpus";
    let batches = runtime().block_on(async {
        ctx.register_parquet(
            "corpus",
            corpus.to_str().unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
        ctx.sql(query).await.unwrap().collect().await.unwrap()
    });
    let zero_shot = zero_shot_model().unwrap();
    let translate = translate_model().unwrap();
    let summarize = summarize_model().unwrap();
    let generate = generate_model().unwrap();
    let labels = ["sports", "politics", "food"];
    let mut refused = 0;
    let mut rows = 0;
    for batch in &batches {
        let (z, z2, t, tt, s, g) = (
            column(batch, "z"),
            column(batch, "z2"),
            column(batch, "t"),
            column(batch, "tt"),
            column(batch, "s"),
            column(batch, "g"),
        );
        for (row, id) in ids(batch).into_iter().enumerate() {
            rows += 1;
            let i = id as usize;
            let Some(text) = texts[i].as_deref() else {
                for array in [z, z2, t, tt, s, g] {
                    assert!(array.is_null(row), "row {id}: a null input gives a null");
                }
                continue;
            };
            let want: Vec<Vec<String>> = zero_shot
                .predict_multilabel([text], labels, None, 128)
                .unwrap()
                .remove(0)
                .into_iter()
                .map(|l| vec![l.text, format!("{:.6}", l.score)])
                .collect();
            let got = struct_list(z, row).unwrap();
            assert!(
                same_labels(&got, &want),
                "row {id}: zero_shot {got:?} != {want:?}"
            );
            let got = struct_list(z2, row).unwrap();
            assert!(
                same_labels(&got, &want),
                "row {id}: string labels {got:?} != {want:?}"
            );
            let error = tt.as_struct();
            if i % 50 == 3 {
                refused += 1;
                assert!(t.is_null(row), "row {id}: unknown language gives null");
                assert!(!error.is_null(row));
                assert!(field(error, "value").is_null(row));
                let message = str_at(field(error, "error"), row).unwrap();
                assert!(message.contains("xx"), "row {id}: {message}");
            } else {
                let want = translate
                    .translate(&[text], Language::English, Language::French)
                    .unwrap()
                    .remove(0);
                assert_eq!(str_at(t, row).unwrap(), want, "row {id}: translate");
                assert_eq!(str_at(field(error, "value"), row).unwrap(), want);
                assert!(field(error, "error").is_null(row));
            }
            assert_eq!(
                str_at(s, row).unwrap(),
                summarize.summarize(&[text]).unwrap().remove(0),
                "row {id}: summarize"
            );
            assert_eq!(
                str_at(g, row).unwrap(),
                generate.generate(&[text], None::<&str>).unwrap().remove(0),
                "row {id}: generate"
            );
        }
    }
    assert_eq!(rows, 100);
    assert_eq!(refused, 2);

    // Strict: the first refused row fails the query, naming the reason.
    let strict = PipelineFunctions::new()
        .strict(true)
        .translate(translate_model);
    let ctx = context(&strict);
    let error = runtime().block_on(async {
        ctx.register_parquet(
            "corpus",
            corpus.to_str().unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
        ctx.sql("SELECT translate(body, 'en', lang) FROM corpus")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap_err()
    });
    let message = error.to_string();
    assert!(
        message.contains("translate refused row") && message.contains("xx"),
        "{message}"
    );
}

#[test]
fn sql_functions_check_their_arguments() {
    let functions = PipelineFunctions::new()
        .embed_local(st_dir())
        .unwrap()
        .zero_shot(128, zero_shot_model);
    let ctx = context(&functions);
    runtime().block_on(async {
        let error = ctx.sql("SELECT embed(1)").await.unwrap_err().to_string();
        assert!(
            error.contains("embed: argument `text` expects a string"),
            "{error}"
        );
        let error = ctx
            .sql("SELECT embed('a', 'b')")
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("takes 1 argument"), "{error}");
        let error = ctx
            .sql("SELECT zero_shot('a', 3)")
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("labels"), "{error}");
        // Literals run at execution (no model is loaded at planning time).
        let batches = ctx
            .sql("SELECT embed('hello world') AS e, embed(NULL) AS n")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert!(!column(&batches[0], "e").is_null(0));
        assert!(column(&batches[0], "n").is_null(0));
        // No labels: refused, a null.
        let batches = ctx
            .sql("SELECT try_zero_shot('hello', '') AS z")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let z = column(&batches[0], "z").as_struct();
        assert!(field(z, "value").is_null(0));
        assert!(str_at(field(z, "error"), 0).is_some());
    });
}

// -- the command line --------------------------------------------------------------------------

const BIN: &str = env!("CARGO_BIN_EXE_rust-bert");

/// Reads every batch of a Parquet file.
fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `(id, embedding, entities)` of one result row.
type EmbedNerRow = (i64, Option<Vec<f32>>, Option<Vec<Vec<String>>>);

/// `(id, embedding, entities)` of every row of query results, sorted by id.
fn embed_ner_rows(batches: &[RecordBatch]) -> Vec<EmbedNerRow> {
    let mut rows = Vec::new();
    for batch in batches {
        for (row, id) in ids(batch).into_iter().enumerate() {
            rows.push((
                id,
                embedding(column(batch, "e"), row),
                struct_list(column(batch, "n"), row),
            ));
        }
    }
    rows.sort_by_key(|r| r.0);
    rows
}

/// The in-process result of `EMBED_NER` on `corpus`.
fn in_process_embed_ner(corpus: &Path) -> Vec<RecordBatch> {
    let functions = PipelineFunctions::new()
        .embed_local(st_dir())
        .unwrap()
        .ner(ner_model);
    let ctx = context(&functions);
    runtime().block_on(async {
        ctx.register_parquet(
            "corpus",
            corpus.to_str().unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
        ctx.sql(EMBED_NER).await.unwrap().collect().await.unwrap()
    })
}

const EMBED_NER: &str = "SELECT id, embed(body) AS e, ner(body) AS n FROM corpus";

fn model_args() -> Vec<String> {
    vec![
        "--embed-model".into(),
        st_dir().display().to_string(),
        "--ner-model".into(),
        fixtures()
            .join("pipeline_tokens/bert_ner")
            .display()
            .to_string(),
    ]
}

/// Asserts that two results hold the same rows (embeddings within 1e-6).
fn assert_same_rows(got: &[RecordBatch], want: &[RecordBatch], rows: usize) {
    let got = embed_ner_rows(got);
    let want = embed_ner_rows(want);
    assert_eq!(got.len(), rows);
    assert_eq!(want.len(), rows);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.0, w.0, "each id once");
        match (&g.1, &w.1) {
            (Some(a), Some(b)) => assert!(max_diff(a, b) <= 1e-6, "row {}", g.0),
            (None, None) => {}
            _ => panic!("row {}: embed nullness differs", g.0),
        }
        match (&g.2, &w.2) {
            (Some(a), Some(b)) => assert!(same_entities(a, b), "row {}", g.0),
            (None, None) => {}
            _ => panic!("row {}: ner nullness differs", g.0),
        }
    }
}

#[test]
fn cli_sql_writes_the_query_result_to_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    write_corpus(&corpus, 2000, 3);
    let out = dir.path().join("out.parquet");
    let query = format!(
        "SELECT id, embed(body) AS e, ner(body) AS n FROM '{}/'",
        corpus.display()
    );
    let output = std::process::Command::new(BIN)
        .args(["sql", &query, "--out", out.to_str().unwrap()])
        .args(model_args())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("2000 rows written"), "{stderr}");
    assert_same_rows(&read_parquet(&out), &in_process_embed_ner(&corpus), 2000);

    // A failing query (strict, an unknown language) leaves no file, partial or final.
    let failed = dir.path().join("failed.parquet");
    let query = format!(
        "SELECT translate(body, 'en', lang) FROM '{}/'",
        corpus.display()
    );
    let marian = fixtures().join("marian");
    let output = std::process::Command::new(BIN)
        .args(["sql", &query, "--strict", "--out", failed.to_str().unwrap()])
        .args([
            "--translate-model",
            marian.to_str().unwrap(),
            "--translate-languages",
            "en:fr",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("translate refused row"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("failed"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

// -- Ballista -----------------------------------------------------------------------------------

#[cfg(feature = "ballista")]
mod cluster {
    use super::*;
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    /// A child process killed when dropped (the test's processes never outlive it).
    struct Process(Child);

    impl Drop for Process {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// A free TCP port on 127.0.0.1.
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn wait_for_port(port: u16, timeout: Duration) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < timeout, "nothing listens on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn spawn(args: &[String], log: &Path) -> Process {
        let log = std::fs::File::create(log).unwrap();
        Process(
            Command::new(BIN)
                .args(args)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        )
    }

    /// A scheduler and two executors on 127.0.0.1, each its own process.
    struct Cluster {
        scheduler_port: u16,
        executors: Vec<Process>,
        _scheduler: Process,
    }

    fn start(dir: &Path) -> Cluster {
        let scheduler_port = free_port();
        let mut args: Vec<String> = vec![
            "ballista-scheduler".into(),
            "--port".into(),
            scheduler_port.to_string(),
            // A killed executor is declared lost after 6 s without heartbeats.
            "--executor-timeout-seconds".into(),
            "6".into(),
            "--expire-interval-seconds".into(),
            "1".into(),
        ];
        args.extend(model_args());
        let scheduler = spawn(&args, &dir.join("scheduler.log"));
        wait_for_port(scheduler_port, Duration::from_secs(60));
        let executors = (0..2)
            .map(|n| {
                let port = free_port();
                let grpc = free_port();
                let mut args: Vec<String> = vec![
                    "ballista-executor".into(),
                    "--scheduler-port".into(),
                    scheduler_port.to_string(),
                    "--port".into(),
                    port.to_string(),
                    "--grpc-port".into(),
                    grpc.to_string(),
                    "--heartbeat-seconds".into(),
                    "1".into(),
                    "--work-dir".into(),
                    dir.join(format!("executor-{n}")).display().to_string(),
                ];
                std::fs::create_dir_all(dir.join(format!("executor-{n}"))).unwrap();
                args.extend(model_args());
                let process = spawn(&args, &dir.join(format!("executor-{n}.log")));
                wait_for_port(port, Duration::from_secs(60));
                process
            })
            .collect();
        // Registration with the scheduler follows the listening port closely.
        std::thread::sleep(Duration::from_secs(2));
        Cluster {
            scheduler_port,
            executors,
            _scheduler: scheduler,
        }
    }

    /// `rust-bert sql --cluster` on the corpus, as a child process.
    fn client(cluster: &Cluster, corpus: &Path, out: &Path, log: &Path) -> Process {
        let query = format!(
            "SELECT id, embed(body) AS e, ner(body) AS n FROM '{}/'",
            corpus.display()
        );
        let mut args: Vec<String> = vec![
            "sql".into(),
            query,
            "--cluster".into(),
            format!("df://127.0.0.1:{}", cluster.scheduler_port),
            "--out".into(),
            out.display().to_string(),
            // A scan task per file: work for both executors.
            "--partitions".into(),
            "8".into(),
        ];
        args.extend(model_args());
        spawn(&args, log)
    }

    /// Waits for the client, at most `timeout`; its exit status and log.
    fn finish(mut client: Process, timeout: Duration, log: &Path) -> (bool, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = client.0.try_wait().unwrap() {
                return (
                    status.success(),
                    std::fs::read_to_string(log).unwrap_or_default(),
                );
            }
            assert!(
                start.elapsed() < timeout,
                "the query did not finish in {timeout:?}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    #[test]
    fn ballista_cluster_gives_the_in_process_rows_and_survives_a_lost_executor() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        // 8 files: 8 scan tasks shared by the two executors.
        write_corpus(&corpus, 20_000, 8);
        let want = in_process_embed_ner(&corpus);
        let mut cluster = start(dir.path());

        let out = dir.path().join("cluster.parquet");
        let log = dir.path().join("client.log");
        let start = Instant::now();
        let (ok, stderr) = finish(
            client(&cluster, &corpus, &out, &log),
            Duration::from_secs(300),
            &log,
        );
        assert!(ok, "{stderr}");
        let healthy = start.elapsed();
        assert_same_rows(&read_parquet(&out), &want, 20_000);

        // One executor killed while the query runs: Ballista declares it lost after the
        // scheduler's executor timeout and runs its tasks again on the other.
        let out = dir.path().join("fault.parquet");
        let log = dir.path().join("fault-client.log");
        let start = Instant::now();
        let mut running = client(&cluster, &corpus, &out, &log);
        std::thread::sleep(Duration::from_secs(3));
        assert!(
            running.0.try_wait().unwrap().is_none(),
            "the query ended before the executor was killed"
        );
        let mut victim = cluster.executors.remove(1);
        victim.0.kill().unwrap();
        victim.0.wait().unwrap();
        let (ok, stderr) = finish(running, Duration::from_secs(300), &log);
        if ok {
            assert_same_rows(&read_parquet(&out), &want, 20_000);
            eprintln!(
                "ballista: 20,000 rows on 2 executors in {:.1}s; with one executor killed after \
                 3s, {:.1}s, every row once",
                healthy.as_secs_f64(),
                start.elapsed().as_secs_f64()
            );
        } else {
            assert!(!out.exists(), "a failed query leaves no output: {stderr}");
            panic!("the query failed after losing an executor: {stderr}");
        }
    }
}
