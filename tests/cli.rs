//! The `rust-bert` command-line tool (src/bin/rust-bert) run as a process on the offline
//! fixtures: one JSON line per input, the same outputs from arguments and from stdin, the
//! library's results for the same inputs, and errors reported as `error: ...` lines (never a
//! panic). Children run with `RUSTBERT_OFFLINE=1`: nothing may reach the network.
#![cfg(feature = "cli")]

use crate::util::minilm_dir;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::GenerateOptions;
use rust_bert::pipelines::keywords_extraction::{
    KeywordExtractionConfig, KeywordExtractionModel, KeywordScorerType,
};
use rust_bert::pipelines::masked_language::{MaskedLanguageConfig, MaskedLanguageModel};
use rust_bert::pipelines::ner::NERModel;
use rust_bert::pipelines::pos_tagging::{POSConfig, POSModel};
use rust_bert::pipelines::question_answering::{
    QaInput, QuestionAnsweringConfig, QuestionAnsweringModel,
};
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use rust_bert::pipelines::sentiment::{SentimentConfig, SentimentModel};
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig, TokenClassificationModel,
};
use rust_bert::pipelines::translation::{Language, TranslationConfig, TranslationModel};
use rust_bert::pipelines::zero_shot_classification::{
    ZeroShotClassificationConfig, ZeroShotClassificationModel,
};
use rust_bert::resources::LocalResource;
use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tch::Device;

const BIN: &str = env!("CARGO_BIN_EXE_rust-bert");

/// Fixture folders, relative to the crate root (the children's working directory).
const CLASSIFICATION: &str = "tests/fixtures/pipeline_classification";
const NER: &str = "tests/fixtures/pipeline_tokens/bert_ner";
const POS: &str = "tests/fixtures/pipeline_tokens/bert_pos";
const QA: &str = "tests/fixtures/pipeline_qa";
const FILL_MASK: &str = "tests/fixtures/pipeline_embeddings";
const GPT2: &str = "tests/fixtures/generation/gpt2";
const BART: &str = "tests/fixtures/bart";
const MARIAN: &str = "tests/fixtures/marian";

/// Numbers of the CLI's JSON and the library's values may differ by the JSON round trip.
const JSON_TOL: f64 = 1e-6;

const TEXTS: [&str; 5] = [
    "I love this movie, it was great!",
    "This film was terrible and boring.",
    "",
    "My name is Amélie and I live in Paris.",
    "John Smith works at Acme Corporation in New York City.",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn local(path: &str) -> LocalResource {
    LocalResource::from(root().join(path))
}

fn weights(path: &str) -> ModelResource {
    ModelResource::Torch(Box::new(local(path)))
}

/// A finished run of the tool.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the tool with `args` and, when given, `stdin` (otherwise stdin is empty).
fn cli(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(root())
        .env("RUSTBERT_OFFLINE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.unwrap_or_default().as_bytes().to_vec();
    // Written from a thread so that a child filling its stdout cannot block us both.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The JSON lines of a successful run (exit code 0, no panic).
#[track_caller]
fn ok(args: &[&str], stdin: Option<&str>) -> Vec<Value> {
    let run = cli(args, stdin);
    assert!(
        !run.stderr.contains("panicked"),
        "{args:?} panicked: {}",
        run.stderr
    );
    assert_eq!(run.code, Some(0), "{args:?} failed: {}", run.stderr);
    run.stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// The same run with the texts as arguments and as stdin lines: both outputs must be
/// identical, one JSON object per text.
#[track_caller]
fn ok_both_ways(args: &[&str], texts: &[&str]) -> Vec<Value> {
    let mut with_texts = args.to_vec();
    with_texts.extend_from_slice(texts);
    let from_args = ok(&with_texts, None);
    let stdin: String = texts.iter().map(|text| format!("{text}\n")).collect();
    let from_stdin = ok(args, Some(&stdin));
    assert_eq!(
        from_args, from_stdin,
        "{args:?}: arguments and stdin differ"
    );
    assert_eq!(from_args.len(), texts.len(), "{args:?}: one line per input");
    assert!(from_args.iter().all(Value::is_object), "{args:?}: objects");
    from_args
}

/// Library outputs as the JSON values the tool prints.
fn values<T: Serialize>(outputs: Vec<T>) -> Vec<Value> {
    outputs
        .into_iter()
        .map(|output| serde_json::to_value(output).unwrap())
        .collect()
}

/// Library outputs as objects with one field, `key`.
fn wrapped<T: Serialize>(key: &str, outputs: Vec<T>) -> Vec<Value> {
    outputs
        .into_iter()
        .map(|output| json!({ key: output }))
        .collect()
}

/// Equal JSON values, numbers within [`JSON_TOL`].
#[track_caller]
fn assert_same(actual: &[Value], expected: &[Value]) {
    assert_eq!(actual.len(), expected.len(), "number of outputs");
    for (index, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            close(a, e),
            "output {index} differs:\n  cli:     {a}\n  library: {e}"
        );
    }
}

fn close(a: &Value, e: &Value) -> bool {
    match (a, e) {
        (Value::Number(a), Value::Number(e)) => match (a.as_f64(), e.as_f64()) {
            (Some(a), Some(e)) => (a - e).abs() <= JSON_TOL * (1.0 + e.abs()),
            _ => a == e,
        },
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| close(a, e))
        }
        (Value::Object(a), Value::Object(e)) => {
            a.len() == e.len()
                && a.iter()
                    .all(|(key, a)| e.get(key).is_some_and(|e| close(a, e)))
        }
        _ => a == e,
    }
}

/// A failed run: status 1, nothing on stdout, no panic, stderr starting with an `error:` line
/// and naming `needle` (on that line, or on the next ones for the command-line errors that
/// list what is missing).
#[track_caller]
fn fails(args: &[&str], needle: &str) {
    let run = cli(args, None);
    assert!(
        !run.stderr.contains("panicked"),
        "{args:?} panicked: {}",
        run.stderr
    );
    assert_eq!(
        run.code,
        Some(1),
        "{args:?}: status; stderr: {}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{args:?}: stdout {:?}", run.stdout);
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains(needle),
        "{args:?}: no `error:` naming {needle:?} in: {}",
        run.stderr
    );
}

// -- help ---------------------------------------------------------------------------------------

#[test]
fn cli_help_lists_every_task_and_option() {
    let run = cli(&["--help"], None);
    assert_eq!(run.code, Some(0));
    for task in [
        "sentiment",
        "classify",
        "zero-shot",
        "ner",
        "pos",
        "tokens",
        "qa",
        "fill-mask",
        "embed",
        "keywords",
        "summarize",
        "translate",
        "generate",
    ] {
        assert!(run.stdout.contains(task), "--help lacks {task}");
        let task_help = cli(&[task, "--help"], None);
        assert_eq!(task_help.code, Some(0), "{task} --help");
        for option in [
            "--model",
            "--device",
            "--quiet",
            "--batch-size",
            "[TEXT]...",
        ] {
            assert!(
                task_help.stdout.contains(option),
                "{task} --help lacks {option}"
            );
        }
    }
    let qa = cli(&["qa", "--help"], None).stdout;
    assert!(qa.contains("--question") && qa.contains("--context") && qa.contains("--vocab"));
    let translate = cli(&["translate", "--help"], None).stdout;
    assert!(translate.contains("--source") && translate.contains("--max-new-tokens"));
    assert!(cli(&["--version"], None).stdout.starts_with("rust-bert "));
}

// -- classification -----------------------------------------------------------------------------

fn classification_config(model: &str, model_type: ModelType) -> SequenceClassificationConfig {
    let dir = format!("{CLASSIFICATION}/{model}");
    let mut config = SequenceClassificationConfig::new(
        model_type,
        weights(&format!("{dir}/model.safetensors")),
        local(&format!("{dir}/config.json")),
        local(&format!("{CLASSIFICATION}/vocab.txt")),
        None,
        true,
        None,
        None,
    );
    config.device = Device::Cpu;
    config
}

#[test]
fn cli_sentiment_equals_library() {
    let vocab = format!("{CLASSIFICATION}/vocab.txt");
    let folder = format!("{CLASSIFICATION}/distilbert");
    let args = [
        "sentiment",
        "--model",
        &folder,
        "--vocab",
        &vocab,
        "--lower-case",
    ];
    let output = ok_both_ways(&args, &TEXTS);
    let config: SentimentConfig = classification_config("distilbert", ModelType::DistilBert);
    let expected = SentimentModel::new(config)
        .unwrap()
        .try_predict(TEXTS)
        .unwrap();
    assert_same(&output, &values(expected));
    // Lower-casing comes from tokenizer_config.json beside the vocabulary when not given.
    let mut args_no_case = args[..5].to_vec();
    args_no_case.extend_from_slice(&TEXTS);
    assert_eq!(ok(&args_no_case, None), output);
}

#[test]
fn cli_classify_equals_library_across_batches() {
    let vocab = format!("{CLASSIFICATION}/vocab.txt");
    let folder = format!("{CLASSIFICATION}/bert");
    // Batches of 2: the `sentence` of each label still counts from the first input.
    let args = [
        "classify",
        "--model",
        &folder,
        "--vocab",
        &vocab,
        "--batch-size",
        "2",
    ];
    let output = ok_both_ways(&args, &TEXTS);
    let model =
        SequenceClassificationModel::new(classification_config("bert", ModelType::Bert)).unwrap();
    assert_same(&output, &values(model.try_predict(TEXTS).unwrap()));
    assert_eq!(output[4]["sentence"], 4);

    let mut multilabel = args.to_vec();
    multilabel.extend_from_slice(&["--multilabel", "--threshold", "0.3"]);
    let output = ok_both_ways(&multilabel, &TEXTS);
    let expected = model.predict_multilabel(&TEXTS, 0.3).unwrap();
    assert_same(&output, &wrapped("labels", expected));
}

/// `--dtype int8` (a global option, before or after the task) runs the pipelines with
/// `kind: Some(Kind::QInt8)`: the library's int8 outputs, which differ from its f32 ones.
#[test]
fn cli_int8_weights_equal_the_library_int8_pipelines() {
    let vocab = format!("{CLASSIFICATION}/vocab.txt");
    let folder = format!("{CLASSIFICATION}/bert");
    let args = [
        "classify", "--model", &folder, "--vocab", &vocab, "--dtype", "int8",
    ];
    let output = ok_both_ways(&args, &TEXTS);
    let mut config = classification_config("bert", ModelType::Bert);
    config.kind = Some(tch::Kind::QInt8);
    let int8 = SequenceClassificationModel::new(config).unwrap();
    assert_same(&output, &values(int8.try_predict(TEXTS).unwrap()));
    let f32_model =
        SequenceClassificationModel::new(classification_config("bert", ModelType::Bert)).unwrap();
    // One short text: few rows, the int8 kernel on any AVX2 CPU (many rows run in bf16 on
    // CPUs with native bf16 and in f32 on the others).
    let short = ["good"];
    assert_ne!(
        f32_model.predict(short)[0].score,
        int8.predict(short)[0].score,
        "int8 gave the f32 score"
    );

    let output = ok_both_ways(&["--dtype", "int8", "ner", "--model", NER], &TEXTS);
    let mut config = token_config(NER, &format!("{NER}/vocab.txt"));
    config.kind = Some(tch::Kind::QInt8);
    let model = NERModel::new(config).unwrap();
    assert_same(
        &output,
        &wrapped("entities", model.predict_full_entities(&TEXTS)),
    );
    fails(&["ner", "--model", NER, "--dtype", "int4"], "int4");
}

#[test]
fn cli_zero_shot_equals_library() {
    let vocab = format!("{CLASSIFICATION}/vocab.txt");
    let folder = format!("{CLASSIFICATION}/distilbert");
    let nli = format!("{folder}/config_nli.json");
    let labels = ["sports", "politics", "food"];
    // The texts follow --labels: they are not taken for more labels.
    let args = [
        "zero-shot",
        "--model",
        &folder,
        "--config",
        &nli,
        "--vocab",
        &vocab,
        "--labels",
        "sports,politics,food",
    ];
    let output = ok_both_ways(&args, &TEXTS);
    let mut config = ZeroShotClassificationConfig::new(
        ModelType::DistilBert,
        weights(&format!("{folder}/model.safetensors")),
        local(&nli),
        local(&vocab),
        None,
        true,
        None,
        None,
    );
    config.device = Device::Cpu;
    let model = ZeroShotClassificationModel::new(config).unwrap();
    let expected = model.predict(TEXTS, labels, None, 128).unwrap();
    assert_same(&output, &values(expected));

    let mut multilabel = args.to_vec();
    multilabel.splice(
        1..1,
        ["--multilabel", "--template", "This text is about {}."],
    );
    let output = ok_both_ways(&multilabel, &TEXTS);
    let template = Box::new(|label: &str| format!("This text is about {label}."));
    let expected = model
        .predict_multilabel(TEXTS, labels, Some(template), 128)
        .unwrap();
    assert_same(&output, &wrapped("labels", expected));
}

// -- token classification -----------------------------------------------------------------------

fn token_config(folder: &str, vocab: &str) -> TokenClassificationConfig {
    let mut config = TokenClassificationConfig::new(
        ModelType::Bert,
        ModelResource::Torch(Box::new(local(&format!("{folder}/model.safetensors")))),
        local(&format!("{folder}/config.json")),
        local(vocab),
        None,
        true,
        None,
        None,
        LabelAggregationOption::First,
    );
    config.device = Device::Cpu;
    config
}

#[test]
fn cli_ner_equals_library() {
    // Uncased: do_lower_case comes from the folder's tokenizer_config.json.
    let args = ["ner", "--model", NER];
    let output = ok_both_ways(&args, &TEXTS);
    let model = NERModel::new(token_config(NER, &format!("{NER}/vocab.txt"))).unwrap();
    assert_same(
        &output,
        &wrapped("entities", model.predict_full_entities(&TEXTS)),
    );
    let words = ok_both_ways(&["ner", "--words", "--model", NER], &TEXTS);
    assert_same(&words, &wrapped("entities", model.predict(&TEXTS)));
}

#[test]
fn cli_pos_and_tokens_equal_library() {
    let vocab = format!("{NER}/vocab.txt");
    let output = ok_both_ways(&["pos", "--model", POS, "--vocab", &vocab], &TEXTS);
    let model = POSModel::new(POSConfig::from(token_config(POS, &vocab))).unwrap();
    assert_same(&output, &wrapped("tags", model.predict(&TEXTS)));

    let args = [
        "tokens",
        "--model",
        NER,
        "--sub-tokens",
        "--special",
        "--batch-size",
        "1",
    ];
    let output = ok_both_ways(&args, &TEXTS);
    let model = TokenClassificationModel::new(token_config(NER, &vocab)).unwrap();
    assert_same(
        &output,
        &wrapped("tokens", model.predict(&TEXTS, false, true)),
    );
    let words = ok_both_ways(&["tokens", "--model", NER], &TEXTS);
    assert_same(
        &words,
        &wrapped("tokens", model.predict(&TEXTS, true, false)),
    );
}

// -- question answering, fill-mask ----------------------------------------------------------------

fn qa_model(windows: (usize, usize, usize)) -> QuestionAnsweringModel {
    let mut config = QuestionAnsweringConfig::custom_new(
        ModelType::Bert,
        weights(&format!("{QA}/bert/model.safetensors")),
        local(&format!("{QA}/bert/config.json")),
        local(&format!("{QA}/vocab.txt")),
        None,
        true,
        None,
        None,
        windows.0,
        windows.1,
        windows.2,
        15,
    );
    config.device = Device::Cpu;
    QuestionAnsweringModel::new(config).unwrap()
}

#[test]
fn cli_qa_equals_library() {
    let folder = format!("{QA}/bert");
    let vocab = format!("{QA}/vocab.txt");
    let question = "Where was Marie Curie born?";
    let contexts = [
        "Marie Curie was born in Warsaw in 1867. She moved to Paris, where she studied physics.",
        "",
        "The Eiffel Tower is in Paris. It was built for the 1889 World's Fair, and it was the \
         tallest structure in the world for forty years, until the Chrysler Building.",
    ];
    let args = [
        "qa",
        "--model",
        &folder,
        "--vocab",
        &vocab,
        "--question",
        question,
        "--top-k",
        "2",
        "--max-seq-length",
        "64",
        "--doc-stride",
        "16",
        "--max-query-length",
        "16",
    ];
    let output = ok_both_ways(&args, &contexts);
    let model = qa_model((64, 16, 16));
    let inputs: Vec<QaInput> = contexts
        .iter()
        .map(|context| QaInput {
            question: question.to_string(),
            context: context.to_string(),
        })
        .collect();
    assert_same(
        &output,
        &wrapped("answers", model.try_predict(&inputs, 2, 32).unwrap()),
    );

    // Inputs as questions about one context; the default windows shrink to the model's 64
    // positions (stride 32, questions of 16 tokens).
    let questions = ["Where was she born?", "When?", ""];
    let args = [
        "qa",
        "--model",
        &folder,
        "--vocab",
        &vocab,
        "--context",
        contexts[0],
    ];
    let output = ok_both_ways(&args, &questions);
    let inputs: Vec<QaInput> = questions
        .iter()
        .map(|question| QaInput {
            question: question.to_string(),
            context: contexts[0].to_string(),
        })
        .collect();
    let expected = qa_model((64, 32, 16)).try_predict(&inputs, 1, 32).unwrap();
    assert_same(&output, &wrapped("answers", expected));
}

#[test]
fn cli_fill_mask_equals_library() {
    let folder = format!("{FILL_MASK}/fill_mask/bert");
    let vocab = format!("{FILL_MASK}/vocab.txt");
    let texts = [
        "The cat sat on the <mask>.",
        "Hello <mask>, this is a <mask> test!",
        "There is no mask in this sentence.",
        "",
    ];
    let args = [
        "fill-mask",
        "--model",
        &folder,
        "--vocab",
        &vocab,
        "--mask-token",
        "<mask>",
        "--top-k",
        "3",
        // No tokenizer_config.json in this fixture: uncased by option.
        "--lower-case",
    ];
    let output = ok_both_ways(&args, &texts);
    let mut config = MaskedLanguageConfig::new(
        ModelType::Bert,
        weights(&format!("{folder}/model.safetensors")),
        local(&format!("{folder}/config.json")),
        local(&vocab),
        None,
        true,
        None,
        None,
        Some("<mask>".to_string()),
    );
    config.device = Device::Cpu;
    let masks = MaskedLanguageModel::new(config)
        .unwrap()
        .predict_top_k(texts, 3)
        .unwrap();
    let expected: Vec<Value> = masks
        .into_iter()
        .map(|masks| {
            let masks: Vec<Vec<Value>> = masks
                .into_iter()
                .map(|candidates| {
                    candidates
                        .into_iter()
                        .map(|t| json!({"text": t.text, "id": t.id, "score": t.score}))
                        .collect()
                })
                .collect();
            json!({ "masks": masks })
        })
        .collect();
    assert_same(&output, &expected);
}

// -- sentence embeddings, keywords ----------------------------------------------------------------

#[test]
fn cli_embed_and_keywords_equal_library() {
    let dir = minilm_dir();
    let dir_arg = dir.to_str().unwrap();
    let output = ok_both_ways(&["embed", "--model", dir_arg], &TEXTS);
    let model = SentenceEmbeddingsBuilder::local(&dir)
        .with_device(Device::Cpu)
        .create_model()
        .unwrap();
    assert_same(
        &output,
        &wrapped("embedding", model.encode(&TEXTS).unwrap()),
    );

    let text = "Rust is a multi-paradigm, general-purpose programming language. Rust emphasizes \
                performance, type safety, and concurrency.";
    let args = [
        "keywords",
        "--model",
        dir_arg,
        "--scorer",
        "mmr",
        "--max-ngram",
        "2",
        "--top-k",
        "3",
    ];
    let output = ok_both_ways(&args, &[text, ""]);
    let model = KeywordExtractionModel::new(KeywordExtractionConfig {
        sentence_embeddings_config: SentenceEmbeddingsBuilder::local(&dir)
            .with_device(Device::Cpu)
            .into_config()
            .unwrap(),
        tokenizer_stopwords: None,
        tokenizer_pattern: None,
        tokenizer_forbidden_ngram_chars: None,
        scorer_type: KeywordScorerType::MaximalMarginRelevance,
        ngram_range: (1, 2),
        num_keywords: 3,
        diversity: None,
        max_sum_candidates: None,
    })
    .unwrap();
    let expected: Vec<Value> = model
        .predict(&[text, ""])
        .unwrap()
        .into_iter()
        .map(|keywords| {
            let keywords: Vec<Value> = keywords
                .into_iter()
                .map(|k| json!({"text": k.text, "score": k.score, "offsets": k.offsets}))
                .collect();
            json!({ "keywords": keywords })
        })
        .collect();
    assert_same(&output, &expected);
    assert_eq!(output[0]["keywords"].as_array().unwrap().len(), 3);
}

// -- generation ---------------------------------------------------------------------------------

#[test]
fn cli_generate_equals_library() {
    let prompts = ["The dog", "The cat was sitting on", ""];
    let mut config = TextGenerationConfig::new(
        ModelType::GPT2,
        weights(&format!("{GPT2}/model.safetensors")),
        local(&format!("{GPT2}/config.json")),
        local(&format!("{GPT2}/vocab.json")),
        Some(local(&format!("{GPT2}/merges.txt"))),
    );
    config.device = Device::Cpu;
    let model = TextGenerationModel::new(config).unwrap();
    for num_beams in ["1", "3"] {
        let args = [
            "generate",
            "--model",
            GPT2,
            "--no-sample",
            "--num-beams",
            num_beams,
            "--max-new-tokens",
            "8",
        ];
        let output = ok_both_ways(&args, &prompts);
        let options = GenerateOptions {
            do_sample: Some(false),
            num_beams: Some(num_beams.parse().unwrap()),
            max_new_tokens: Some(8),
            ..Default::default()
        };
        let expected = model
            .generate_with_options(&prompts, None, Some(options))
            .unwrap();
        assert_same(&output, &wrapped("generated_text", expected));
    }
    // Sampling under a seed is reproducible.
    let sampled = ["generate", "--model", GPT2, "--sample", "--seed", "7"];
    assert_eq!(
        ok_both_ways(&sampled, &prompts),
        ok_both_ways(&sampled, &prompts)
    );
}

#[test]
fn cli_summarize_equals_library() {
    let texts = [
        "The city council voted on Monday to build a new bridge over the river. The mayor said \
         the bridge would open next year.",
        "Heavy rain caused flooding in several towns on Tuesday.",
        "",
    ];
    let args = [
        "summarize",
        "--model",
        BART,
        "--num-beams",
        "2",
        "--min-length",
        "4",
        "--max-length",
        "20",
    ];
    let output = ok_both_ways(&args, &texts);
    let mut config = SummarizationConfig::new(
        ModelType::Bart,
        weights(&format!("{BART}/model.safetensors")),
        local(&format!("{BART}/config.json")),
        local(&format!("{BART}/vocab.json")),
        Some(local(&format!("{BART}/merges.txt"))),
    );
    config.device = Device::Cpu;
    let options = GenerateOptions {
        num_beams: Some(2),
        min_length: Some(4),
        max_length: Some(20),
        ..Default::default()
    };
    let expected = SummarizationModel::new(config)
        .unwrap()
        .summarize_with_options(&texts, Some(options))
        .unwrap();
    assert_same(&output, &wrapped("summary_text", expected));
}

#[test]
fn cli_summarize_prophetnet_equals_library() {
    // The folder's vocabulary is `prophetnet.tokenizer` (the hub's name); uncased, as the
    // library's ProphetNet generator reads it.
    let dir = "tests/fixtures/prophetnet";
    let texts = [
        "The City Council voted on Monday to build a new bridge.",
        "",
    ];
    let args = ["summarize", "--model", dir, "--max-length", "8"];
    let output = ok_both_ways(&args, &texts);
    let mut config = SummarizationConfig::new(
        ModelType::ProphetNet,
        weights(&format!("{dir}/model.safetensors")),
        local(&format!("{dir}/config.json")),
        local(&format!("{dir}/prophetnet.tokenizer")),
        None,
    );
    config.device = Device::Cpu;
    let options = GenerateOptions {
        max_length: Some(8),
        ..Default::default()
    };
    let expected = SummarizationModel::new(config)
        .unwrap()
        .summarize_with_options(&texts, Some(options))
        .unwrap();
    assert_same(&output, &wrapped("summary_text", expected));
}

#[test]
fn cli_translate_equals_library() {
    let texts = ["The sun is warm.", "The house is very big.", ""];
    // Codes and names are both accepted.
    let args = [
        "translate",
        "--source",
        "en",
        "--target",
        "French",
        "--model",
        MARIAN,
    ];
    let output = ok_both_ways(&args, &texts);
    let config = TranslationConfig::new(
        ModelType::Marian,
        weights(&format!("{MARIAN}/model.safetensors")),
        local(&format!("{MARIAN}/config.json")),
        local(&format!("{MARIAN}/vocab.json")),
        Some(local(&format!("{MARIAN}/source.spm"))),
        [Language::English],
        [Language::French],
        Device::Cpu,
    );
    let expected = TranslationModel::new(config)
        .unwrap()
        .translate(&texts, Language::English, Language::French)
        .unwrap();
    assert_same(&output, &wrapped("translation_text", expected));
}

// -- inputs and errors ----------------------------------------------------------------------------

#[test]
fn cli_stdin_lines_are_the_inputs() {
    let folder = format!("{CLASSIFICATION}/distilbert");
    let vocab = format!("{CLASSIFICATION}/vocab.txt");
    let args = ["sentiment", "--model", &folder, "--vocab", &vocab];
    // Empty lines are inputs; `\r\n` ends a line like `\n`; a last line needs no line end.
    let from_stdin = ok(&args, Some("good\n\r\n\nbad"));
    let mut with_texts = args.to_vec();
    with_texts.extend_from_slice(&["good", "", "", "bad"]);
    assert_eq!(from_stdin, ok(&with_texts, None));
    // No input, no output.
    assert!(ok(&args, Some("")).is_empty());
    // Bytes that are not UTF-8 are an error naming the line.
    let run = Command::new(BIN)
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(b"fine\n\xff\xfe\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr.contains("error: line 2 of stdin is not valid UTF-8"),
        "{stderr}"
    );
}

#[test]
fn cli_errors_are_error_lines_not_panics() {
    let distilbert = format!("{CLASSIFICATION}/distilbert");
    let bert = format!("{CLASSIFICATION}/bert");
    let vocab = format!("{CLASSIFICATION}/vocab.txt");
    let missing: PathBuf = root().join("tests/fixtures/no_such_model");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        // Missing model folder.
        (
            vec!["sentiment", "--model", missing.to_str().unwrap(), "x"],
            "no_such_model does not exist",
        ),
        // Unknown option of a task, unknown task.
        (
            vec!["sentiment", "--model", &distilbert, "--bogus", "x"],
            "--bogus",
        ),
        (vec!["frobnicate", "x"], "frobnicate"),
        // Bad language code.
        (
            vec![
                "translate",
                "--source",
                "xx",
                "--target",
                "fr",
                "--model",
                MARIAN,
                "x",
            ],
            "unknown language code `xx`",
        ),
        // A folder without its vocabulary names the option that supplies it.
        (vec!["sentiment", "--model", &distilbert, "x"], "--vocab"),
        // A file option without --model.
        (vec!["sentiment", "--vocab", &vocab, "x"], "--model"),
        (
            vec![
                "sentiment",
                "--model",
                &distilbert,
                "--vocab",
                "nope.txt",
                "x",
            ],
            "--vocab nope.txt: no such file",
        ),
        // Options a task requires, bad values.
        (
            vec!["qa", "--model", &distilbert, "--vocab", &vocab, "x"],
            "--question",
        ),
        (
            vec!["zero-shot", "--labels", "a,b", "--template", "no slot", "x"],
            "--template",
        ),
        (vec!["fill-mask", "--top-k", "0", "x"], "--top-k"),
        (
            vec!["generate", "--model", GPT2, "--num-beams", "0", "x"],
            "num_beams",
        ),
        // Errors of the pipeline: wrong architecture, wrong weights, not a
        // sentence-transformers folder.
        (
            vec!["summarize", "--model", &bert, "--vocab", &vocab, "x"],
            "summarization is not available for Bert",
        ),
        (
            vec![
                "sentiment",
                "--model",
                &distilbert,
                "--vocab",
                &vocab,
                "--weights",
                "tests/fixtures/bart/model.safetensors",
                "x",
            ],
            "missing from the file",
        ),
        (vec!["embed", "--model", BART, "x"], "modules.json"),
    ];
    for (args, needle) in cases {
        fails(&args, needle);
    }
}

#[test]
fn cli_runs_mobilebert_and_fnet_model_folders() {
    // MobileBERT POS: the model type comes from the folder's config.json.
    let vocab = format!("{NER}/vocab.txt");
    let folder = "tests/fixtures/pipeline_tokens/mobilebert_pos";
    let output = ok_both_ways(
        &["pos", "--model", folder, "--vocab", &vocab, "--lower-case"],
        &TEXTS,
    );
    let mut config = token_config(folder, &vocab);
    config.model_type = ModelType::MobileBert;
    let model = POSModel::new(POSConfig::from(config)).unwrap();
    assert_same(&output, &wrapped("tags", model.predict(&TEXTS)));

    // FNet sentiment with its SentencePiece model (case kept).
    let folder = "tests/fixtures/fnet/pipelines/classifier";
    let spm = "tests/fixtures/tokenizers/spm/fnet.model";
    let output = ok_both_ways(&["sentiment", "--model", folder, "--vocab", spm], &TEXTS);
    let mut config = SequenceClassificationConfig::new(
        ModelType::FNet,
        weights(&format!("{folder}/model.safetensors")),
        local(&format!("{folder}/config.json")),
        local(spm),
        None,
        false,
        None,
        None,
    );
    config.device = Device::Cpu;
    let expected = SentimentModel::new(config)
        .unwrap()
        .try_predict(TEXTS)
        .unwrap();
    assert_same(&output, &values(expected));
}

/// Longformer from its folder: the model type read from config.json, RoBERTa's BPE files
/// beside `--vocab`, global attention on the question as in the library.
#[test]
fn cli_longformer_qa_equals_library() {
    let folder = format!("{QA}/longformer");
    let vocab = format!("{QA}/bpe/vocab.json");
    let question = "Where was Marie Curie born?";
    let contexts = [
        "Marie Curie was born in Warsaw in 1867. She moved to Paris, where she studied physics.",
        "",
    ];
    let args = [
        "qa",
        "--model",
        &folder,
        "--vocab",
        &vocab,
        "--question",
        question,
        "--top-k",
        "2",
        "--max-seq-length",
        "64",
        "--doc-stride",
        "16",
        "--max-query-length",
        "16",
    ];
    let output = ok_both_ways(&args, &contexts);
    let mut config = QuestionAnsweringConfig::custom_new(
        ModelType::Longformer,
        weights(&format!("{folder}/model.safetensors")),
        local(&format!("{folder}/config.json")),
        local(&vocab),
        Some(local(&format!("{QA}/bpe/merges.txt"))),
        false,
        None,
        None,
        64,
        16,
        16,
        15,
    );
    config.device = Device::Cpu;
    let model = QuestionAnsweringModel::new(config).unwrap();
    let inputs: Vec<QaInput> = contexts
        .iter()
        .map(|context| QaInput {
            question: question.to_string(),
            context: context.to_string(),
        })
        .collect();
    assert_same(
        &output,
        &wrapped("answers", model.try_predict(&inputs, 2, 32).unwrap()),
    );
}

// -- chat ---------------------------------------------------------------------------------------

/// `chat` on a pipe, on the tiny Llama folder with a chat template (tests/chat.rs): one JSON
/// line out per line in, the library's replies (HF's, for the fixture's conversations), a
/// `{"content"}` line continuing the conversation with the reply before it, `{"error"}` lines
/// for lines that cannot be answered (status 1 at the end, no panic), `--stream` deltas joining
/// into each reply.
#[test]
fn cli_chat_over_a_pipe_answers_as_the_library() {
    use crate::chat::{expected, folder, ids, messages};
    use rust_bert::pipelines::chat::{ChatConfig, ChatMessage, ChatModel, ChatOutput};
    let e = expected();
    let dir = folder(true);
    let max_new = e["max_new_tokens"].to_string();
    let mut config = ChatConfig::from_folder(dir.path()).unwrap();
    config.device = Device::Cpu;
    config.max_new_tokens = e["max_new_tokens"].as_i64().unwrap();
    let library = ChatModel::new(config).unwrap();

    let first = messages(&e["cases"][0]["messages"]);
    let reply = library.chat(&first).unwrap();
    let mut continued = first.clone();
    continued.push(reply.message.clone());
    continued.push(ChatMessage::new("user", "She reads a good book."));
    let third = messages(&e["cases"][2]["messages"]);
    let lines = [
        json!({ "messages": first }).to_string(),
        json!({ "content": "She reads a good book." }).to_string(),
        "not json".to_string(),
        String::new(),
        json!({ "messages": [] }).to_string(),
        json!({ "messages": third }).to_string(),
    ];
    let stdin: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let dir_arg = dir.path().to_str().unwrap();
    let run = cli(
        &["chat", "--model", dir_arg, "--max-new-tokens", &max_new],
        Some(&stdin),
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("2 of 5 lines"), "{}", run.stderr);
    let out: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 5, "{}", run.stdout);
    let parsed = |value: &Value| -> ChatOutput { serde_json::from_value(value.clone()).unwrap() };
    assert_eq!(parsed(&out[0]), reply);
    let generated = ids(&e["cases"][0]["generated"]);
    assert_eq!(parsed(&out[0]).token_ids, generated[..generated.len() - 1]);
    assert_eq!(out[0]["finish_reason"], "stop");
    assert_eq!(parsed(&out[1]), library.chat(&continued).unwrap());
    assert!(
        out[2]["error"].as_str().unwrap().contains("JSON"),
        "{}",
        out[2]
    );
    assert!(
        out[3]["error"].as_str().unwrap().contains("empty"),
        "{}",
        out[3]
    );
    assert_eq!(
        parsed(&out[4]).token_ids,
        ids(&e["cases"][2]["generated"]),
        "HF's reply"
    );

    // Streamed: delta lines, then the reply they spell.
    let stdin = format!("{}\n{}\n", lines[0], lines[5]);
    let run = cli(
        &[
            "chat",
            "--model",
            dir_arg,
            "--max-new-tokens",
            &max_new,
            "--stream",
        ],
        Some(&stdin),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut text = String::new();
    let mut replies = Vec::new();
    for line in run.stdout.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        match value.get("delta") {
            Some(delta) => text.push_str(delta.as_str().unwrap()),
            None => {
                let reply = parsed(&value);
                assert_eq!(text, reply.message.content);
                text.clear();
                replies.push(reply);
            }
        }
    }
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0], reply);

    let help = cli(&["chat", "--help"], None);
    for word in [
        "\"messages\"",
        "\"content\"",
        "finish_reason",
        "--stream",
        "--system",
    ] {
        assert!(help.stdout.contains(word), "chat --help lacks {word}");
    }
    fails(&["chat"], "--model");
    fails(
        &["chat", "--model", dir_arg, "--max-length", "20"],
        "--max-new-tokens",
    );
    fails(
        &["chat", "--model", dir_arg, "--sample", "--temperature", "0"],
        "temperature",
    );
    fails(&["chat", "--model", dir_arg, "--top-p", "1.5"], "top_p");
}

/// `generate --model FILE.gguf` and `chat --model FILE.gguf` on the real SmolLM2 file: HF's
/// greedy reply (the prompt rendered by the file's template; one that ends at EOS).
#[test]
fn cli_generate_and_chat_run_a_gguf_file() {
    let gguf = ".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf";
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/gguf/smollm2_generation.json"))
            .unwrap(),
    )
    .unwrap();
    let case = &cases[1];
    let answer = case["text"].as_str().unwrap();
    let prompt = case["prompt"].as_str().unwrap();
    let out = ok(
        &[
            "generate",
            "--model",
            gguf,
            "--no-sample",
            "--num-beams",
            "1",
            "--max-new-tokens",
            "8",
            prompt,
        ],
        None,
    );
    let text = out[0]["generated_text"].as_str().unwrap();
    assert!(text.ends_with(answer), "{text}");

    let line = json!({ "messages": case["messages"] }).to_string();
    let run = cli(
        &["chat", "--model", gguf, "--max-new-tokens", "16"],
        Some(&format!("{line}\n")),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let reply: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(reply["message"]["content"], answer);
    assert_eq!(reply["finish_reason"], "stop");
    fails(&["chat", "--model", gguf, "--vocab", gguf], "GGUF file");
}
