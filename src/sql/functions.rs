//! The scalar functions: argument types, running a pipeline over the rows of a record batch, and
//! building the Arrow result.
use super::pool::ModelPool;
use crate::pipelines::ner::{Entity, NERModel};
use crate::pipelines::sentence_embeddings::SentenceEmbeddingsModel;
use crate::pipelines::sentiment::{SentimentModel, SentimentPolarity};
use crate::pipelines::sequence_classification::{Label, SequenceClassificationModel};
use crate::pipelines::summarization::SummarizationModel;
use crate::pipelines::text_generation::TextGenerationModel;
use crate::pipelines::translation::{Language, TranslationModel};
use crate::pipelines::zero_shot_classification::ZeroShotClassificationModel;
use crate::RustBertError;
use datafusion::arrow::array::{
    Array, ArrayRef, FixedSizeListArray, Float32Array, Float64Array, Int64Array, ListArray,
    StringArray, StructArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::Result as DfResult;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// What became of one row.
enum Outcome<T> {
    /// A null input (or a null argument): a null output.
    Null,
    /// The pipeline's output.
    Value(T),
    /// The pipeline refused the row (the message says why).
    Refused(String),
}

/// A function's values for a record batch, and why each refused row was refused.
pub(crate) struct Produced {
    /// The outputs; null where the input was null or the row was refused.
    values: ArrayRef,
    /// Per row: whether the input was null.
    null_input: Vec<bool>,
    /// Per row: the pipeline's error message for a refused row.
    errors: Vec<Option<String>>,
}

/// One pipeline behind a function.
pub(crate) trait Task: fmt::Debug + Send + Sync {
    /// The function's name (`embed`, `sentiment`, ...).
    fn name(&self) -> &'static str;
    /// The argument names, for the error messages (`text`, `labels`...).
    fn parameters(&self) -> &'static [&'static str];
    /// The type of the function's values.
    fn value_type(&self) -> DataType;
    /// The type each argument is cast to (`index`: its position), or why it cannot be.
    fn coerce(&self, index: usize, given: &DataType) -> Result<DataType, String> {
        let _ = index;
        text_type(given)
    }
    /// Runs the pipeline on the rows of the (already coerced) argument arrays; `strict`: stop
    /// at the first refused row with an error naming it.
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced>;
}

/// Strings of any Arrow string type (and untyped nulls) are cast to Utf8.
fn text_type(given: &DataType) -> Result<DataType, String> {
    match given {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
            Ok(DataType::Utf8)
        }
        other => Err(format!("expects a string, got {other}")),
    }
}

/// The argument as a Utf8 array.
fn strings(array: &ArrayRef) -> DfResult<StringArray> {
    let utf8 = cast(array, &DataType::Utf8)?;
    utf8.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| DataFusionError::Internal("a string argument is not Utf8".into()))
}

/// Runs `call` on the non-null rows of `texts`, grouped by `key` (rows sharing a key run
/// together; `key` gives `None` for a null row, `Err` for a row it refuses), `chunk` rows per
/// call. A call that fails is retried row by row, so one bad row refuses only itself.
///
/// # Errors
/// A model that cannot be loaded (not a row's fault: the query fails).
fn run_rows<M, K, T>(
    pool: &ModelPool<M>,
    texts: &StringArray,
    key: impl Fn(usize) -> Result<Option<K>, String>,
    chunk: usize,
    strict: bool,
    call: impl Fn(&M, &[&str], &K) -> Result<Vec<T>, RustBertError>,
) -> DfResult<Vec<Outcome<T>>>
where
    K: Eq + Hash + Clone,
{
    let mut outcomes: Vec<Outcome<T>> = (0..texts.len()).map(|_| Outcome::Null).collect();
    // Groups in order of first appearance (a HashMap only finds the group of a key).
    let mut groups: Vec<(K, Vec<usize>)> = Vec::new();
    let mut index: HashMap<K, usize> = HashMap::new();
    for (row, outcome) in outcomes.iter_mut().enumerate() {
        if texts.is_null(row) {
            continue;
        }
        match key(row) {
            Ok(None) => {}
            Ok(Some(k)) => match index.get(&k) {
                Some(&g) => groups[g].1.push(row),
                None => {
                    index.insert(k.clone(), groups.len());
                    groups.push((k, vec![row]));
                }
            },
            Err(message) if strict => return Err(refused(row, &message)),
            Err(message) => *outcome = Outcome::Refused(message),
        }
    }
    if groups.is_empty() {
        return Ok(outcomes);
    }
    let load_error = |error: RustBertError| DataFusionError::Execution(format!("{error}"));
    let mut first_refused: Option<(usize, String)> = None;
    pool.with(|model| {
        'groups: for (k, rows) in &groups {
            for part in rows.chunks(chunk.max(1)) {
                let batch: Vec<&str> = part.iter().map(|&row| texts.value(row)).collect();
                match checked(call(model, &batch, k), batch.len()) {
                    Ok(values) => {
                        for (&row, value) in part.iter().zip(values) {
                            outcomes[row] = Outcome::Value(value);
                        }
                    }
                    Err(error) if part.len() == 1 => {
                        if strict {
                            first_refused = Some((part[0], error.to_string()));
                            break 'groups;
                        }
                        outcomes[part[0]] = Outcome::Refused(error.to_string());
                    }
                    Err(_) => {
                        // Find the rows at fault: each alone.
                        for &row in part {
                            let one = [texts.value(row)];
                            outcomes[row] = match checked(call(model, &one, k), 1) {
                                Ok(mut values) => match values.pop() {
                                    Some(value) => Outcome::Value(value),
                                    None => Outcome::Refused("no output".into()),
                                },
                                Err(error) if strict => {
                                    first_refused = Some((row, error.to_string()));
                                    break 'groups;
                                }
                                Err(error) => Outcome::Refused(error.to_string()),
                            };
                        }
                    }
                }
            }
        }
    })
    .map_err(load_error)?;
    if let Some((row, message)) = first_refused {
        return Err(refused(row, &message));
    }
    Ok(outcomes)
}

/// The error of a strict function for a refused row (the function's name is put before it).
fn refused(row: usize, message: &str) -> DataFusionError {
    DataFusionError::Execution(format!("{REFUSED} {row} of its batch: {message}"))
}

/// How [`refused`] messages begin.
const REFUSED: &str = "refused row";

/// A pipeline's output for `expected` inputs, or an error when it gave another count.
fn checked<T>(
    result: Result<Vec<T>, RustBertError>,
    expected: usize,
) -> Result<Vec<T>, RustBertError> {
    let values = result?;
    if values.len() != expected {
        return Err(RustBertError::ValueError(format!(
            "the pipeline gave {} outputs for {expected} inputs",
            values.len()
        )));
    }
    Ok(values)
}

/// Splits outcomes into values (built into an array by `build`) and error messages.
fn produce<T>(
    outcomes: Vec<Outcome<T>>,
    build: impl FnOnce(Vec<Option<T>>) -> DfResult<ArrayRef>,
) -> DfResult<Produced> {
    let mut values = Vec::with_capacity(outcomes.len());
    let mut null_input = Vec::with_capacity(outcomes.len());
    let mut errors = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome {
            Outcome::Null => {
                values.push(None);
                null_input.push(true);
                errors.push(None);
            }
            Outcome::Value(value) => {
                values.push(Some(value));
                null_input.push(false);
                errors.push(None);
            }
            Outcome::Refused(message) => {
                values.push(None);
                null_input.push(false);
                errors.push(Some(message));
            }
        }
    }
    Ok(Produced {
        values: build(values)?,
        null_input,
        errors,
    })
}

fn nullable(name: &str, data_type: DataType) -> Field {
    Field::new(name, data_type, true)
}

/// Validity of each row (`None` when every row is valid).
fn validity<T>(values: &[Option<T>]) -> Option<NullBuffer> {
    if values.iter().all(Option::is_some) {
        None
    } else {
        Some(NullBuffer::from(
            values.iter().map(Option::is_some).collect::<Vec<bool>>(),
        ))
    }
}

fn utf8_array(values: Vec<Option<String>>) -> DfResult<ArrayRef> {
    Ok(Arc::new(StringArray::from(values)))
}

/// A list of structs per row, each list built from its items by `columns`.
fn list_of_structs<T>(
    fields: Fields,
    values: Vec<Option<Vec<T>>>,
    columns: impl Fn(&[&T]) -> Vec<ArrayRef>,
) -> DfResult<ArrayRef> {
    let nulls = validity(&values);
    let lengths: Vec<usize> = values
        .iter()
        .map(|v| v.as_ref().map_or(0, Vec::len))
        .collect();
    let items: Vec<&T> = values.iter().flatten().flatten().collect();
    let children = StructArray::try_new(fields.clone(), columns(&items), None)?;
    let item = Arc::new(nullable("item", DataType::Struct(fields)));
    Ok(Arc::new(ListArray::try_new(
        item,
        OffsetBuffer::from_lengths(lengths),
        Arc::new(children),
        nulls,
    )?))
}

// -- the functions --------------------------------------------------------------------------

/// `embed(text) -> FixedSizeList<Float32>`.
#[derive(Debug)]
pub(crate) struct Embed {
    pub pool: Arc<ModelPool<SentenceEmbeddingsModel>>,
    pub dimension: i32,
    pub chunk: usize,
}

impl Embed {
    fn item() -> FieldRef {
        Arc::new(nullable("item", DataType::Float32))
    }
}

impl Task for Embed {
    fn name(&self) -> &'static str {
        "embed"
    }
    fn parameters(&self) -> &'static [&'static str] {
        &["text"]
    }
    fn value_type(&self) -> DataType {
        DataType::FixedSizeList(Self::item(), self.dimension)
    }
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced> {
        let texts = strings(&args[0])?;
        let outcomes = run_rows(
            &self.pool,
            &texts,
            |_| Ok(Some(())),
            self.chunk,
            strict,
            |m, b, _| m.encode(b),
        )?;
        let dimension = self.dimension;
        produce(outcomes, |values| {
            let width = dimension as usize;
            let mut flat = Vec::with_capacity(values.len() * width);
            for value in &values {
                match value {
                    Some(embedding) if embedding.len() == width => {
                        flat.extend_from_slice(embedding)
                    }
                    Some(embedding) => {
                        return Err(DataFusionError::Execution(format!(
                            "embed: the model gave {} values, the function was registered with \
                             dimension {width}",
                            embedding.len()
                        )))
                    }
                    None => flat.extend(std::iter::repeat_n(0f32, width)),
                }
            }
            Ok(Arc::new(FixedSizeListArray::try_new(
                Self::item(),
                dimension,
                Arc::new(Float32Array::from(flat)),
                validity(&values),
            )?))
        })
    }
}

/// `sentiment(text) -> struct{label, score}` (label `positive` or `negative`).
#[derive(Debug)]
pub(crate) struct Sentiment {
    pub pool: Arc<ModelPool<SentimentModel>>,
    pub chunk: usize,
}

fn label_score_fields() -> Fields {
    Fields::from(vec![
        nullable("label", DataType::Utf8),
        nullable("score", DataType::Float64),
    ])
}

impl Task for Sentiment {
    fn name(&self) -> &'static str {
        "sentiment"
    }
    fn parameters(&self) -> &'static [&'static str] {
        &["text"]
    }
    fn value_type(&self) -> DataType {
        DataType::Struct(label_score_fields())
    }
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced> {
        let texts = strings(&args[0])?;
        let outcomes = run_rows(
            &self.pool,
            &texts,
            |_| Ok(Some(())),
            self.chunk,
            strict,
            |m, b, _| m.try_predict(b),
        )?;
        produce(outcomes, |values| {
            let labels: Vec<Option<&str>> = values
                .iter()
                .map(|v| {
                    v.as_ref().map(|s| match s.polarity {
                        SentimentPolarity::Positive => "positive",
                        SentimentPolarity::Negative => "negative",
                    })
                })
                .collect();
            let scores: Vec<Option<f64>> =
                values.iter().map(|v| v.as_ref().map(|s| s.score)).collect();
            Ok(Arc::new(StructArray::try_new(
                label_score_fields(),
                vec![
                    Arc::new(StringArray::from(labels)) as ArrayRef,
                    Arc::new(Float64Array::from(scores)) as ArrayRef,
                ],
                validity(&values),
            )?))
        })
    }
}

/// `classify(text) -> struct{label, score, id}`: the model's most likely label.
#[derive(Debug)]
pub(crate) struct Classify {
    pub pool: Arc<ModelPool<SequenceClassificationModel>>,
    pub chunk: usize,
}

fn classify_fields() -> Fields {
    Fields::from(vec![
        nullable("label", DataType::Utf8),
        nullable("score", DataType::Float64),
        nullable("id", DataType::Int64),
    ])
}

impl Task for Classify {
    fn name(&self) -> &'static str {
        "classify"
    }
    fn parameters(&self) -> &'static [&'static str] {
        &["text"]
    }
    fn value_type(&self) -> DataType {
        DataType::Struct(classify_fields())
    }
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced> {
        let texts = strings(&args[0])?;
        let outcomes = run_rows(
            &self.pool,
            &texts,
            |_| Ok(Some(())),
            self.chunk,
            strict,
            |m, b, _| m.try_predict(b),
        )?;
        produce(outcomes, |values: Vec<Option<Label>>| {
            let labels: Vec<Option<&str>> = values
                .iter()
                .map(|v| v.as_ref().map(|l| l.text.as_str()))
                .collect();
            let scores: Vec<Option<f64>> =
                values.iter().map(|v| v.as_ref().map(|l| l.score)).collect();
            let ids: Vec<Option<i64>> = values.iter().map(|v| v.as_ref().map(|l| l.id)).collect();
            Ok(Arc::new(StructArray::try_new(
                classify_fields(),
                vec![
                    Arc::new(StringArray::from(labels)) as ArrayRef,
                    Arc::new(Float64Array::from(scores)) as ArrayRef,
                    Arc::new(Int64Array::from(ids)) as ArrayRef,
                ],
                validity(&values),
            )?))
        })
    }
}

/// `zero_shot(text, labels) -> list<struct{label, score}>`: every candidate label with its own
/// probability (the pipeline's multi-label scores), best first. `labels` is a list of strings
/// (`['sports', 'politics']`) or one comma-separated string.
#[derive(Debug)]
pub(crate) struct ZeroShot {
    pub pool: Arc<ModelPool<ZeroShotClassificationModel>>,
    pub chunk: usize,
    /// The pair's maximum length in tokens.
    pub max_length: usize,
}

impl Task for ZeroShot {
    fn name(&self) -> &'static str {
        "zero_shot"
    }
    fn parameters(&self) -> &'static [&'static str] {
        &["text", "labels"]
    }
    fn value_type(&self) -> DataType {
        DataType::List(Arc::new(nullable(
            "item",
            DataType::Struct(label_score_fields()),
        )))
    }
    fn coerce(&self, index: usize, given: &DataType) -> Result<DataType, String> {
        if index == 0 {
            return text_type(given);
        }
        match given {
            DataType::List(field)
            | DataType::LargeList(field)
            | DataType::FixedSizeList(field, _)
            | DataType::ListView(field)
            | DataType::LargeListView(field) => {
                text_type(field.data_type()).map_err(|_| {
                    format!(
                        "expects a list of strings, got a list of {}",
                        field.data_type()
                    )
                })?;
                Ok(DataType::List(Arc::new(nullable("item", DataType::Utf8))))
            }
            other => text_type(other)
                .map_err(|_| format!("expects a list of strings or a string, got {other}")),
        }
    }
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced> {
        let texts = strings(&args[0])?;
        let labels = &args[1];
        let lists = labels.as_any().downcast_ref::<ListArray>();
        // Comma-separated labels, cast once for the whole batch.
        let joined = match lists {
            Some(_) => None,
            None => Some(strings(labels)?),
        };
        // The candidate labels of each row, from a list or a comma-separated string.
        let row_labels = |row: usize| -> Result<Option<Vec<String>>, String> {
            if labels.is_null(row) {
                return Ok(None);
            }
            let list: Vec<String> = match (lists, &joined) {
                (Some(lists), _) => {
                    let items = strings(&lists.value(row)).map_err(|e| e.to_string())?;
                    items.iter().flatten().map(str::to_string).collect()
                }
                (None, Some(joined)) => joined
                    .value(row)
                    .split(',')
                    .map(|label| label.trim().to_string())
                    .filter(|label| !label.is_empty())
                    .collect(),
                (None, None) => Vec::new(),
            };
            Ok(Some(list))
        };
        let max_length = self.max_length;
        let outcomes = run_rows(
            &self.pool,
            &texts,
            row_labels,
            self.chunk,
            strict,
            |m, b, labels| {
                let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
                m.predict_multilabel(b, &labels, None, max_length)
            },
        )?;
        produce(outcomes, |values: Vec<Option<Vec<Label>>>| {
            list_of_structs(label_score_fields(), values, |items| {
                vec![
                    Arc::new(StringArray::from(
                        items
                            .iter()
                            .map(|l| Some(l.text.as_str()))
                            .collect::<Vec<_>>(),
                    )) as ArrayRef,
                    Arc::new(Float64Array::from(
                        items.iter().map(|l| Some(l.score)).collect::<Vec<_>>(),
                    )) as ArrayRef,
                ]
            })
        })
    }
}

/// `ner(text) -> list<struct{word, label, score, start, end}>` (entities grouped; offsets in
/// characters, end exclusive).
#[derive(Debug)]
pub(crate) struct Ner {
    pub pool: Arc<ModelPool<NERModel>>,
    pub chunk: usize,
}

fn entity_fields() -> Fields {
    Fields::from(vec![
        nullable("word", DataType::Utf8),
        nullable("label", DataType::Utf8),
        nullable("score", DataType::Float64),
        nullable("start", DataType::Int64),
        nullable("end", DataType::Int64),
    ])
}

impl Task for Ner {
    fn name(&self) -> &'static str {
        "ner"
    }
    fn parameters(&self) -> &'static [&'static str] {
        &["text"]
    }
    fn value_type(&self) -> DataType {
        DataType::List(Arc::new(nullable(
            "item",
            DataType::Struct(entity_fields()),
        )))
    }
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced> {
        let texts = strings(&args[0])?;
        let outcomes = run_rows(
            &self.pool,
            &texts,
            |_| Ok(Some(())),
            self.chunk,
            strict,
            |m, b, _| m.try_predict_full_entities(b),
        )?;
        produce(outcomes, |values: Vec<Option<Vec<Entity>>>| {
            list_of_structs(entity_fields(), values, |items| {
                vec![
                    Arc::new(StringArray::from(
                        items
                            .iter()
                            .map(|e| Some(e.word.as_str()))
                            .collect::<Vec<_>>(),
                    )) as ArrayRef,
                    Arc::new(StringArray::from(
                        items
                            .iter()
                            .map(|e| Some(e.label.as_str()))
                            .collect::<Vec<_>>(),
                    )) as ArrayRef,
                    Arc::new(Float64Array::from(
                        items.iter().map(|e| Some(e.score)).collect::<Vec<_>>(),
                    )) as ArrayRef,
                    Arc::new(Int64Array::from(
                        items
                            .iter()
                            .map(|e| Some(e.offset.begin as i64))
                            .collect::<Vec<_>>(),
                    )) as ArrayRef,
                    Arc::new(Int64Array::from(
                        items
                            .iter()
                            .map(|e| Some(e.offset.end as i64))
                            .collect::<Vec<_>>(),
                    )) as ArrayRef,
                ]
            })
        })
    }
}

/// A language by its ISO 639-1 or 639-3 code or its English name (case-insensitive).
pub fn parse_language(value: &str) -> Result<Language, String> {
    let lower = value.trim().to_lowercase();
    Language::from_code(&lower)
        .or_else(|| {
            Language::ALL.iter().copied().find(|language| {
                language.name().to_lowercase() == lower
                    || format!("{language:?}").to_lowercase() == lower
            })
        })
        .ok_or_else(|| format!("unknown language `{value}`"))
}

/// `translate(text, source, target) -> Utf8`; languages by code (`en`, `fra`) or name.
#[derive(Debug)]
pub(crate) struct Translate {
    pub pool: Arc<ModelPool<TranslationModel>>,
    pub chunk: usize,
}

impl Task for Translate {
    fn name(&self) -> &'static str {
        "translate"
    }
    fn parameters(&self) -> &'static [&'static str] {
        &["text", "source", "target"]
    }
    fn value_type(&self) -> DataType {
        DataType::Utf8
    }
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced> {
        let texts = strings(&args[0])?;
        let sources = strings(&args[1])?;
        let targets = strings(&args[2])?;
        let pair = |row: usize| -> Result<Option<(Language, Language)>, String> {
            if sources.is_null(row) || targets.is_null(row) {
                return Ok(None);
            }
            Ok(Some((
                parse_language(sources.value(row))?,
                parse_language(targets.value(row))?,
            )))
        };
        let outcomes = run_rows(
            &self.pool,
            &texts,
            pair,
            self.chunk,
            strict,
            |m, b, (s, t)| m.translate(b, *s, *t),
        )?;
        produce(outcomes, utf8_array)
    }
}

/// `summarize(text) -> Utf8`.
#[derive(Debug)]
pub(crate) struct Summarize {
    pub pool: Arc<ModelPool<SummarizationModel>>,
    pub chunk: usize,
}

impl Task for Summarize {
    fn name(&self) -> &'static str {
        "summarize"
    }
    fn parameters(&self) -> &'static [&'static str] {
        &["text"]
    }
    fn value_type(&self) -> DataType {
        DataType::Utf8
    }
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced> {
        let texts = strings(&args[0])?;
        let outcomes = run_rows(
            &self.pool,
            &texts,
            |_| Ok(Some(())),
            self.chunk,
            strict,
            |m, b, _| m.summarize(b),
        )?;
        produce(outcomes, utf8_array)
    }
}

/// `generate(text) -> Utf8`: the prompt followed by its continuation.
#[derive(Debug)]
pub(crate) struct Generate {
    pub pool: Arc<ModelPool<TextGenerationModel>>,
    pub chunk: usize,
}

impl Task for Generate {
    fn name(&self) -> &'static str {
        "generate"
    }
    fn parameters(&self) -> &'static [&'static str] {
        &["text"]
    }
    fn value_type(&self) -> DataType {
        DataType::Utf8
    }
    fn run(&self, args: &[ArrayRef], strict: bool) -> DfResult<Produced> {
        let texts = strings(&args[0])?;
        let outcomes = run_rows(
            &self.pool,
            &texts,
            |_| Ok(Some(())),
            self.chunk,
            strict,
            |m, b, _| m.generate(b, None::<&str>),
        )?;
        produce(outcomes, utf8_array)
    }
}

// -- the UDF --------------------------------------------------------------------------------

/// What a function returns for a row the pipeline refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Refusal {
    /// A null value.
    Null,
    /// The query fails.
    Strict,
    /// `struct{value, error}`: the value (null when refused) and the error message.
    ErrorColumn,
}

/// A scalar UDF running one pipeline.
#[derive(Debug)]
pub(crate) struct PipelineUdf {
    name: String,
    signature: Signature,
    task: Arc<dyn Task>,
    refusal: Refusal,
}

impl PipelineUdf {
    /// The function `name` running `task`, answering refused rows as `refusal` says.
    pub fn new(name: String, task: Arc<dyn Task>, refusal: Refusal) -> Self {
        PipelineUdf {
            name,
            // Volatile: a call on literals is run by the query, never folded at planning time
            // (which would load the model on the planner, e.g. a Ballista scheduler).
            signature: Signature::user_defined(Volatility::Volatile),
            task,
            refusal,
        }
    }

    fn error_fields(&self) -> Fields {
        Fields::from(vec![
            nullable("value", self.task.value_type()),
            nullable("error", DataType::Utf8),
        ])
    }
}

impl PartialEq for PipelineUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.refusal == other.refusal
            && std::ptr::addr_eq(Arc::as_ptr(&self.task), Arc::as_ptr(&other.task))
    }
}

impl Eq for PipelineUdf {}

impl Hash for PipelineUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.refusal.hash(state);
    }
}

impl ScalarUDFImpl for PipelineUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        let parameters = self.task.parameters();
        if arg_types.len() != parameters.len() {
            return Err(DataFusionError::Plan(format!(
                "{}({}) takes {} argument(s), got {}",
                self.name,
                parameters.join(", "),
                parameters.len(),
                arg_types.len()
            )));
        }
        arg_types
            .iter()
            .enumerate()
            .map(|(index, given)| {
                self.task.coerce(index, given).map_err(|message| {
                    DataFusionError::Plan(format!(
                        "{}: argument `{}` {message}",
                        self.name, parameters[index]
                    ))
                })
            })
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(match self.refusal {
            Refusal::ErrorColumn => DataType::Struct(self.error_fields()),
            Refusal::Null | Refusal::Strict => self.task.value_type(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|arg| arg.to_array(rows))
            .collect::<DfResult<Vec<ArrayRef>>>()?;
        // The planner checked the arity (coerce_types); a plan built by hand may not have.
        if arrays.len() != self.task.parameters().len() {
            return Err(DataFusionError::Execution(format!(
                "{} takes {} argument(s), got {}",
                self.name,
                self.task.parameters().len(),
                arrays.len()
            )));
        }
        let strict = self.refusal == Refusal::Strict;
        let produced = self
            .task
            .run(&arrays, strict)
            .map_err(|error| match error {
                DataFusionError::Execution(message) if message.starts_with(REFUSED) => {
                    DataFusionError::Execution(format!("{} {message}", self.name))
                }
                other => other,
            })?;
        let array: ArrayRef = match self.refusal {
            // A strict run stops at its first refused row, so none is left here.
            Refusal::Null | Refusal::Strict => produced.values,
            Refusal::ErrorColumn => {
                let nulls = if produced.null_input.iter().any(|&null| null) {
                    Some(NullBuffer::from(
                        produced
                            .null_input
                            .iter()
                            .map(|&null| !null)
                            .collect::<Vec<bool>>(),
                    ))
                } else {
                    None
                };
                Arc::new(StructArray::try_new(
                    self.error_fields(),
                    vec![produced.values, utf8_array(produced.errors)?],
                    nulls,
                )?)
            }
        };
        Ok(ColumnarValue::Array(array))
    }
}
