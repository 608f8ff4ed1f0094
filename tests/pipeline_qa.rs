//! Question-answering pipeline against HF 4.x's QuestionAnsweringPipeline algorithm rebuilt from
//! HF 5.24 parts (tests/fixtures/pipeline_qa, written by utils/fixtures_pipeline_qa.py): tiny
//! random BERT, DistilBERT and RoBERTa models, contexts several windows long.
use crate::util::fixtures;
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::question_answering::{
    squad_processor, try_squad_processor, Answer, QaInput, QuestionAnsweringConfig,
    QuestionAnsweringModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tch::Device;

#[derive(Deserialize, Clone, Copy)]
struct Settings {
    max_seq_length: usize,
    doc_stride: usize,
    max_query_length: usize,
    max_answer_length: usize,
}

#[derive(Deserialize, Debug)]
struct ExpectedAnswer {
    score: f64,
    start: usize,
    end: usize,
    answer: String,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    question: String,
    context: String,
    top_k: i64,
    windows: Vec<Vec<i64>>,
    answers: Vec<ExpectedAnswer>,
    hf4_answers: Vec<ExpectedAnswer>,
}

#[derive(Deserialize)]
pub(crate) struct Expected {
    settings: Settings,
    cases: Vec<Case>,
}

fn dir() -> PathBuf {
    fixtures().join("pipeline_qa")
}

fn local(path: PathBuf) -> LocalResource {
    LocalResource::from(path)
}

fn expected(model: &str) -> Expected {
    let text = std::fs::read_to_string(dir().join(model).join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A configuration of the fixture model `model` with `settings`; BERT and DistilBERT share the
/// WordPiece vocabulary, RoBERTa has its own BPE files.
fn config(model: &str, settings: &Settings) -> QuestionAnsweringConfig {
    let (model_type, vocab, merges, lower_case) = match model {
        "bert" => (ModelType::Bert, dir().join("vocab.txt"), None, true),
        "distilbert" => (ModelType::DistilBert, dir().join("vocab.txt"), None, true),
        // ELECTRA's tokenizer is BERT's WordPiece.
        "electra" => (ModelType::Electra, dir().join("vocab.txt"), None, true),
        "mobilebert" => (ModelType::MobileBert, dir().join("vocab.txt"), None, true),
        // Longformer's tokenizer is RoBERTa's byte-level BPE.
        "longformer" => (
            ModelType::Longformer,
            dir().join("bpe/vocab.json"),
            Some(local(dir().join("bpe/merges.txt"))),
            false,
        ),
        "roberta" => (
            ModelType::Roberta,
            dir().join("bpe/vocab.json"),
            Some(local(dir().join("bpe/merges.txt"))),
            false,
        ),
        "fnet" => (
            ModelType::FNet,
            crate::util::fixtures().join("tokenizers/spm/fnet.model"),
            None,
            false,
        ),
        "xlnet" => (
            ModelType::XLNet,
            dir().join("xlnet/spiece.model"),
            None,
            false,
        ),
        other => panic!("no fixture model {other}"),
    };
    let mut config = QuestionAnsweringConfig::custom_new(
        model_type,
        ModelResource::Torch(Box::new(local(dir().join(model).join("model.safetensors")))),
        local(dir().join(model).join("config.json")),
        local(vocab),
        merges,
        lower_case,
        None,
        None,
        settings.max_seq_length,
        settings.doc_stride,
        settings.max_query_length,
        settings.max_answer_length,
    );
    config.device = Device::Cpu;
    config
}

pub(crate) fn load(model: &str) -> (QuestionAnsweringModel, Expected) {
    let expected = expected(model);
    let qa = QuestionAnsweringModel::new(config(model, &expected.settings)).unwrap();
    (qa, expected)
}

fn inputs(cases: &[&Case]) -> Vec<QaInput> {
    cases
        .iter()
        .map(|case| QaInput {
            question: case.question.clone(),
            context: case.context.clone(),
        })
        .collect()
}

/// Largest absolute and relative score differences seen.
#[derive(Default)]
struct Diffs {
    abs: f64,
    rel: f64,
    answers: usize,
}

/// Same spans and texts as the reference, in the same order; scores within
/// [`crate::util::PIPELINE_TOL`] (absolute) and 1e-4 relative, span scores of tiny models
/// being small.
#[track_caller]
fn check(what: &str, actual: &[Answer], expected: &[ExpectedAnswer], diffs: &mut Diffs) {
    let spans = |a: &[Answer]| {
        a.iter()
            .map(|a| (a.start, a.end, a.answer.clone()))
            .collect::<Vec<_>>()
    };
    let expected_spans: Vec<_> = expected
        .iter()
        .map(|a| (a.start, a.end, a.answer.clone()))
        .collect();
    assert_eq!(spans(actual), expected_spans, "{what}: answers differ");
    // MobileBERT runs fused attention where HF runs eager attention, and its un-normalised
    // activations carry the difference further (README: ≤ 2e-5): its own bound.
    let (tolerance, tolerance_rel) = if what.starts_with("mobilebert") {
        (1e-4, 1e-3)
    } else {
        (crate::util::PIPELINE_TOL, 1e-4)
    };
    for (a, e) in actual.iter().zip(expected) {
        let abs = (a.score - e.score).abs();
        let rel = abs / e.score.abs().max(f64::MIN_POSITIVE);
        assert!(
            abs <= tolerance && rel <= tolerance_rel,
            "{what}: score {} vs HF {} ({abs:e})",
            a.score,
            e.score
        );
        diffs.abs = diffs.abs.max(abs);
        diffs.rel = diffs.rel.max(rel);
        diffs.answers += 1;
    }
}

/// Every case, grouped by `top_k` (one `predict` call per group), with several batch sizes.
fn check_parity(model: &str, qa: &QuestionAnsweringModel, expected: &Expected) -> Diffs {
    let mut by_top_k: BTreeMap<i64, Vec<&Case>> = BTreeMap::new();
    for case in &expected.cases {
        by_top_k.entry(case.top_k).or_default().push(case);
    }
    let mut diffs = Diffs::default();
    for (top_k, cases) in by_top_k {
        for batch_size in [1, 3, 64] {
            let answers = qa.predict(&inputs(&cases), top_k, batch_size);
            assert_eq!(answers.len(), cases.len());
            for (case, answers) in cases.iter().zip(&answers) {
                let what = format!("{model} {} (top_k {top_k}, batch {batch_size})", case.name);
                check(&what, answers, &case.answers, &mut diffs);
            }
        }
    }
    diffs
}

/// The windows the tokenizer makes are HF's overflow windows (same ids); XLNet's put the
/// context first, as HF does for tokenizers that pad on the left.
fn check_windows(model: &str, qa: &QuestionAnsweringModel, expected: &Expected) {
    let tokenizer = qa.get_tokenizer();
    let settings = &expected.settings;
    for case in &expected.cases {
        let windows = if model == "xlnet" {
            tokenizer.encode_pair_windows_first(
                &case.context,
                &case.question,
                settings.max_seq_length,
                settings.doc_stride,
            )
        } else {
            tokenizer.encode_pair_windows(
                &case.question,
                &case.context,
                settings.max_seq_length,
                settings.doc_stride,
            )
        }
        .unwrap();
        let ids: Vec<Vec<i64>> = windows.into_iter().map(|w| w.token_ids).collect();
        assert_eq!(
            ids, case.windows,
            "{model} {}: windows differ from HF",
            case.name
        );
    }
}

fn parity(model: &str) {
    let (qa, expected) = load(model);
    check_windows(model, &qa, &expected);
    let diffs = check_parity(model, &qa, &expected);
    eprintln!(
        "{model}: {} answers, max |score diff| {:.1e}, max relative {:.1e}",
        diffs.answers, diffs.abs, diffs.rel
    );
}

#[test]
fn bert_matches_hf() {
    parity("bert");
}

#[test]
fn distilbert_matches_hf() {
    parity("distilbert");
}

#[test]
fn roberta_matches_hf() {
    parity("roberta");
}

#[test]
fn electra_matches_hf() {
    parity("electra");
    assert!(load("electra").0.predict(&[], 3, 4).is_empty());
}

/// Longformer: HF's head puts global attention on the question of every window; the pipeline
/// batches windows of different lengths, padded, and each is padded again to the window size.
#[test]
fn longformer_matches_hf_with_global_attention_on_the_question() {
    parity("longformer");
    assert!(load("longformer").0.predict(&[], 3, 4).is_empty());
}

#[test]
fn mobilebert_matches_hf() {
    parity("mobilebert");
    assert!(load("mobilebert").0.predict(&[], 3, 4).is_empty());
}

/// FNet: ALBERT's layout on its SentencePiece BPE model; each window runs unpadded (FNet takes
/// no mask), as the reference runs it.
#[test]
fn fnet_matches_hf() {
    parity("fnet");
    assert!(load("fnet").0.predict(&[], 3, 4).is_empty());
}

#[test]
fn xlnet_matches_hf_with_the_context_first() {
    parity("xlnet");
}

#[test]
fn tokenizer_json_gives_the_same_answers() {
    let expected = expected("bert");
    let tokenizer = TokenizerOption::from_hf_tokenizer_file(
        dir().join("tokenizer.json"),
        dir().join("special_tokens_map.json"),
    )
    .unwrap();
    let qa =
        QuestionAnsweringModel::new_with_tokenizer(config("bert", &expected.settings), tokenizer)
            .unwrap();
    check_windows("bert tokenizer.json", &qa, &expected);
    check_parity("bert tokenizer.json", &qa, &expected);
}

/// Where HF 4.x repeats a span (two windows or two token spans widening to the same words), the
/// pipeline keeps it once: the fixture has such a case, and every other case equals HF 4.x.
#[test]
fn duplicate_spans_are_merged() {
    let expected = expected("bert");
    let case = expected
        .cases
        .iter()
        .find(|c| c.name == "town_many")
        .unwrap();
    let spans: Vec<(usize, usize)> = case.hf4_answers.iter().map(|a| (a.start, a.end)).collect();
    let mut distinct = spans.clone();
    distinct.sort();
    distinct.dedup();
    assert!(
        distinct.len() < spans.len(),
        "HF 4.x list has no duplicate: {spans:?}"
    );
    for case in &expected.cases {
        let hf4_distinct = {
            let mut s: Vec<_> = case.hf4_answers.iter().map(|a| (a.start, a.end)).collect();
            s.sort();
            s.dedup();
            s.len() == case.hf4_answers.len()
        };
        if hf4_distinct {
            let a: Vec<_> = case.answers.iter().map(|a| (a.start, a.end)).collect();
            let h: Vec<_> = case.hf4_answers.iter().map(|a| (a.start, a.end)).collect();
            assert_eq!(a, h, "{}", case.name);
        }
    }
}

/// One call with every case gives each case's answers run alone.
#[test]
fn batch_equals_one_by_one() {
    let (qa, expected) = load("distilbert");
    let cases: Vec<&Case> = expected.cases.iter().collect();
    let together = qa.predict(&inputs(&cases), 3, 5);
    for (case, answers) in cases.iter().zip(&together) {
        let alone = qa.predict(&inputs(&[case]), 3, 1);
        assert_eq!(answers, &alone[0], "{}", case.name);
        for (a, b) in answers.iter().zip(&alone[0]) {
            assert!((a.score - b.score).abs() < 1e-6, "{}", case.name);
        }
    }
}

/// Valid answers: character spans of the context holding their text, scores in (0, 1], best
/// first, distinct, at most `top_k`.
#[track_caller]
fn check_valid(input: &QaInput, answers: &[Answer], top_k: usize) {
    let chars: Vec<char> = input.context.chars().collect();
    assert!(answers.len() <= top_k);
    for answer in answers {
        assert!(
            answer.start <= answer.end && answer.end <= chars.len(),
            "{answer:?}"
        );
        let text: String = chars[answer.start..answer.end].iter().collect();
        assert_eq!(text, answer.answer);
        assert!(answer.score > 0.0 && answer.score <= 1.0, "{answer:?}");
    }
    for pair in answers.windows(2) {
        assert!(pair[0].score >= pair[1].score);
        assert!(pair[0] != pair[1], "duplicate answer {:?}", pair[0]);
    }
}

#[test]
fn empty_inputs_give_empty_outputs() {
    let (qa, _) = load("bert");
    assert!(qa.predict(&[], 3, 4).is_empty());
    let input = |question: &str, context: &str| QaInput {
        question: question.to_string(),
        context: context.to_string(),
    };
    let inputs = [
        input("Who?", ""),
        input("Who?", " \t\n "),
        input("", "The bridge was built in 1820."),
        input("   ", "The bridge was built in 1820."),
        input("Who built the bridge?", "The bridge was built in 1820."),
    ];
    let answers = qa.predict(&inputs, 3, 2);
    assert_eq!(answers.len(), inputs.len());
    assert!(answers[..4].iter().all(Vec::is_empty), "{answers:?}");
    assert!(!answers[4].is_empty());
    assert!(qa.predict(&inputs, 0, 2).iter().all(Vec::is_empty));
    assert!(qa.predict(&inputs, -1, 2).iter().all(Vec::is_empty));
}

#[test]
fn bad_inputs_never_panic() {
    let long_context: String = (0..2400)
        .map(|i| {
            format!(
                "In {} the bridge was built by {} farmers. ",
                1000 + i,
                i % 97
            )
        })
        .collect();
    let chars = long_context.chars().count();
    assert!(chars > 100_000);
    let cases = [
        ("Where?", "\u{0}\u{7}\u{1b}[31mred\u{1b}[0m text\u{feff} with \u{200b}control\r\ncharacters\u{85}"),
        ("Qui a construit le pont?", "Le pont 東京 Москва القاهرة 🙂‍🙂 naïve Zürich"),
        ("Where did the old farmers carry the heavy stone blocks from?", "Quarry."),
        ("What?", "!!!???..."),
        ("What colour is the sky on Mars?", "The market sells bread, cheese, apples and honey."),
        ("[CLS] [SEP] [PAD] [MASK]", "[SEP] bridge [CLS] [UNK] farmers"),
    ];
    for model in ["bert", "distilbert", "roberta", "electra", "longformer"] {
        let (qa, _) = load(model);
        let inputs: Vec<QaInput> = cases
            .iter()
            .map(|(q, c)| QaInput {
                question: q.to_string(),
                context: c.to_string(),
            })
            .collect();
        let answers = qa.predict(&inputs, 4, 16);
        for (input, answers) in inputs.iter().zip(&answers) {
            check_valid(input, answers, 4);
        }
        assert!(
            !answers[2].is_empty(),
            "{model}: context shorter than the question"
        );
        // Every span of a context of 100k characters, from its first word to its last: the
        // windows cover it all, each with its own offsets (not restarted per batch of windows).
        let long = QaInput {
            question: "When was the bridge built?".to_string(),
            context: long_context.clone(),
        };
        let all = qa.predict(std::slice::from_ref(&long), 1_000_000, 32);
        check_valid(&long, &all[0], 1_000_000);
        assert_eq!(all[0].iter().map(|a| a.start).min(), Some(0), "{model}");
        // (RoBERTa's BPE makes the trailing space a token of its own)
        let last_word_end = long_context.trim_end().chars().count();
        let furthest = all[0].iter().map(|a| a.end).max().unwrap_or(0);
        assert!(
            furthest >= last_word_end,
            "{model}: {furthest} < {last_word_end}"
        );
        assert!(all[0].len() > 10_000, "{model}: {}", all[0].len());
    }
}

#[test]
fn long_questions_are_cut_to_max_query_length() {
    let (qa, expected) = load("bert");
    let question = "Who carried the stone blocks from the quarry by hand ".repeat(20);
    let input = QaInput {
        question: question.clone(),
        context: expected.cases[0].context.clone(),
    };
    let answers = qa.predict(std::slice::from_ref(&input), 3, 4);
    check_valid(&input, &answers[0], 3);
    assert_eq!(answers[0].len(), 3);
    // Cutting a question at max_query_length tokens gives the answers of the cut question.
    let tokens = qa.get_tokenizer().tokenize_with_offsets(&question);
    let cut_at = tokens.offsets[expected.settings.max_query_length - 1]
        .unwrap()
        .end as usize;
    let cut = QaInput {
        question: question.chars().take(cut_at).collect(),
        context: input.context.clone(),
    };
    assert_eq!(qa.predict(&[cut], 3, 4), answers);
}

#[test]
fn max_seq_length_is_lowered_to_the_model_positions() {
    let expected = expected("distilbert");
    assert_eq!(expected.settings.max_seq_length, 64);
    let settings = Settings {
        max_seq_length: 1000,
        ..expected.settings
    };
    let qa = QuestionAnsweringModel::new(config("distilbert", &settings)).unwrap();
    let expected = self::expected("distilbert");
    check_parity("distilbert (max_seq_length 1000)", &qa, &expected);
}

#[test]
fn bad_configurations_are_errors() {
    let expected = expected("bert");
    // No room for windows to move forward.
    let settings = Settings {
        max_seq_length: 40,
        doc_stride: 30,
        ..expected.settings
    };
    let error = QuestionAnsweringModel::new(config("bert", &settings))
        .err()
        .unwrap();
    assert!(
        matches!(error, RustBertError::InvalidConfigurationError(_)),
        "{error}"
    );
    assert!(error.to_string().contains("doc_stride 30"), "{error}");
    for (query, answer) in [(0, 8), (16, 0)] {
        let settings = Settings {
            max_query_length: query,
            max_answer_length: answer,
            ..expected.settings
        };
        let error = QuestionAnsweringModel::new(config("bert", &settings))
            .err()
            .unwrap();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_)),
            "{error}"
        );
    }
    // Defaults (384 / 128 / 64) on a model of 64 positions.
    let mut config_default = config("bert", &expected.settings);
    config_default.max_seq_length = 384;
    config_default.doc_stride = 128;
    assert!(QuestionAnsweringModel::new(config_default).is_err());
    // A DistilBERT config.json read as BERT lacks BERT's keys; BERT weights into DistilBERT miss
    // tensors: both are errors, never panics.
    let mut wrong = config("bert", &expected.settings);
    wrong.config_resource = Box::new(local(dir().join("distilbert/config.json")));
    assert!(QuestionAnsweringModel::new(wrong).is_err());
    let mut wrong = config("distilbert", &expected.settings);
    wrong.model_resource =
        ModelResource::Torch(Box::new(local(dir().join("bert/model.safetensors"))));
    assert!(QuestionAnsweringModel::new(wrong).is_err());
    // Architectures without question answering here.
    let mut unsupported = config("bert", &expected.settings);
    unsupported.model_type = ModelType::GPT2;
    assert!(QuestionAnsweringModel::new(unsupported).is_err());
    // A missing weight file names itself.
    let mut missing = config("bert", &expected.settings);
    missing.model_resource =
        ModelResource::Torch(Box::new(local(dir().join("bert/missing.safetensors"))));
    let error = QuestionAnsweringModel::new(missing).err().unwrap();
    assert!(error.to_string().contains("missing.safetensors"), "{error}");
}

#[test]
fn squad_files_are_read() {
    #[derive(Deserialize)]
    struct Pair {
        question: String,
        context: String,
    }
    let text = std::fs::read_to_string(dir().join("squad_expected.json")).unwrap();
    let expected: BTreeMap<String, Vec<Pair>> = serde_json::from_str(&text).unwrap();
    for (file, pairs) in &expected {
        let inputs = squad_processor(dir().join(file));
        assert_eq!(inputs.len(), pairs.len(), "{file}");
        for (input, pair) in inputs.iter().zip(pairs) {
            assert_eq!(input.question, pair.question);
            assert_eq!(input.context, pair.context);
        }
        assert_eq!(try_squad_processor(dir().join(file)).unwrap(), inputs);
    }
}

#[test]
fn bad_squad_files_give_errors_not_panics() {
    let scratch = tempfile::tempdir().unwrap();
    let missing = scratch.path().join("missing.json");
    assert!(squad_processor(missing.clone()).is_empty());
    let error = try_squad_processor(&missing).unwrap_err();
    assert!(error.to_string().contains("missing.json"), "{error}");
    for (name, content, needle) in [
        ("not_json.json", "this is not json", "not_json.json"),
        ("no_data.json", r#"{"version": "1.1"}"#, "data"),
        (
            "bad_question.json",
            r#"{"data": [{"paragraphs": [{"context": "c", "qas": [{"question": 3}]}]}]}"#,
            "data[0].paragraphs[0].qas[0].question",
        ),
    ] {
        let path = scratch.path().join(name);
        std::fs::write(&path, content).unwrap();
        assert!(squad_processor(path.clone()).is_empty(), "{name}");
        let error = try_squad_processor(&path).unwrap_err();
        assert!(error.to_string().contains(needle), "{name}: {error}");
    }
}

#[test]
fn default_config_is_distilbert_squad() {
    let config = QuestionAnsweringConfig::default();
    assert_eq!(config.model_type, ModelType::DistilBert);
    assert!(!config.lower_case);
    let described = format!("{:?} {:?}", config.model_resource, config.vocab_resource);
    assert!(
        described.contains("distilbert-base-cased-distilled-squad"),
        "{described}"
    );
    assert!(described.contains("bert-large-cased"), "{described}");
    assert_eq!(
        (
            config.max_seq_length,
            config.doc_stride,
            config.max_query_length,
            config.max_answer_length
        ),
        (384, 128, 64, 15)
    );
}

#[test]
fn the_pipeline_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<QuestionAnsweringModel>();
    assert_send::<QuestionAnsweringConfig>();
}
