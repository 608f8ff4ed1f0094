//! Robustness: a corpus of hostile text through every tokenizer and every pipeline (no panic,
//! outputs of the right shape with finite scores), property tests of the tokenizers and of the
//! pipelines' pre-processing on arbitrary text, and pipelines used from several threads.
use crate::pipeline_classification::{seq_config, zs_config};
use crate::pipeline_embeddings::{fill_mask_config, keyword_model, minilm};
use crate::pipeline_generation::{conversation_model, text_config};
use crate::pipeline_seq2seq::marian_translation_config;
use crate::pipeline_tokens::config as token_config;
use crate::tokenizers::{all as tokenizer_names, tokenizer};
use crate::util::fixtures;
use proptest::prelude::*;
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::conversation::ConversationManager;
use rust_bert::pipelines::keywords_extraction::KeywordScorerType;
use rust_bert::pipelines::masked_language::MaskedLanguageModel;
use rust_bert::pipelines::ner::NERModel;
use rust_bert::pipelines::pos_tagging::{POSConfig, POSModel};
use rust_bert::pipelines::question_answering::QaInput;
use rust_bert::pipelines::sentiment::SentimentModel;
use rust_bert::pipelines::sequence_classification::SequenceClassificationModel;
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::pipelines::text_generation::TextGenerationModel;
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationModel,
};
use rust_bert::pipelines::translation::TranslationModel;
use rust_bert::pipelines::zero_shot_classification::ZeroShotClassificationModel;
use rust_bert::resources::LocalResource;
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::sync::{Arc, Mutex};

/// Text that has broken tokenizers and pipelines elsewhere, one entry per kind of trouble.
pub(crate) fn hostile_corpus() -> Vec<(&'static str, String)> {
    let sentence = "The quick brown fox jumps over the lazy dog near the river bank. ";
    let long: String = sentence.repeat(100_000 / sentence.len() + 1)[..100_000].to_string();
    vec![
        ("empty", String::new()),
        ("spaces only", "     ".to_string()),
        (
            "whitespace of every kind",
            " \t\n\r\u{a0}\u{2003}\u{3000}\u{2028} ".to_string(),
        ),
        ("100k characters", long),
        ("one 10k-character word", "abcdefghij".repeat(1000)),
        (
            "control characters",
            "\u{1}\u{2}\u{7}\u{8}\u{b}\u{c}\u{1b}[0m\u{7f}\u{85}tail\u{9f}".to_string(),
        ),
        ("NUL", "before\0after\0\0".to_string()),
        (
            "lone combining marks",
            "\u{301}\u{308}\u{20dd} \u{301}a\u{301}\u{301}\u{301}".to_string(),
        ),
        (
            "right to left",
            "שלום עולם مرحبا بالعالم \u{202e}desrever\u{202c} end".to_string(),
        ),
        ("emoji with joiners", "👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🧑‍💻 ❤️‍🔥 🇫🇷".to_string()),
        (
            "mixed scripts",
            "Hello мир 世界 こんにちは 안녕 Ἀθῆναι नमस्ते ﷺ".to_string(),
        ),
        (
            "zero-width and byte-order marks",
            "\u{feff}zero\u{200b}width\u{200d}join\u{2060}\u{fffd}\u{fffe}".to_string(),
        ),
        (
            "special-token text",
            "[CLS] [SEP] [MASK] <s> </s> <pad> <mask> <unk> <|endoftext|> <cls> <sep> <eod>"
                .to_string(),
        ),
        ("punctuation run", "!?.,;:'\"()[]{}-".repeat(700)),
    ]
}

fn texts() -> Vec<String> {
    hostile_corpus().into_iter().map(|(_, t)| t).collect()
}

fn strs(texts: &[String]) -> Vec<&str> {
    texts.iter().map(String::as_str).collect()
}

fn every_tokenizer() -> Vec<(String, TokenizerOption)> {
    let mut all: Vec<(String, TokenizerOption)> = tokenizer_names()
        .map(|name| (name.to_string(), tokenizer(name)))
        .collect();
    let marian = fixtures().join("marian");
    all.push((
        "marian".to_string(),
        TokenizerOption::from_file(
            ModelType::Marian,
            marian.join("vocab.json").to_str().unwrap(),
            Some(marian.join("source.spm").to_str().unwrap()),
            false,
            None,
            None,
        )
        .unwrap(),
    ));
    all
}

/// What every tokenizer must give on any text: offsets inside the text, truncation kept,
/// windows within their budget, a decode that returns.
fn check_tokenizer(name: &str, t: &TokenizerOption, text: &str) {
    let chars = text.chars().count() as u32;
    let what = format!("{name} on {:?}", text.chars().take(40).collect::<String>());
    let tokens = t.tokenize_with_offsets(text);
    assert_eq!(tokens.tokens.len(), tokens.offsets.len(), "{what}");
    for offset in tokens.offsets.iter().flatten() {
        assert!(
            offset.begin <= offset.end && offset.end <= chars,
            "{what}: offset {offset:?} outside {chars} characters"
        );
    }
    let single = t.encode_list(&[text], 64, &TruncationStrategy::LongestFirst, 0);
    assert!(single[0].token_ids.len() <= 64, "{what}: truncation");
    let pair = t.encode_pair_list(&[(text, text)], 64, &TruncationStrategy::LongestFirst, 0);
    assert!(pair[0].token_ids.len() <= 64, "{what}: pair truncation");
    let _ = t.decode(&single[0].token_ids, true, true);
    let _ = t.decode(&single[0].token_ids, false, false);
    if let Ok(windows) = t.encode_pair_windows("question?", text, 48, 8) {
        assert!(windows.iter().all(|w| w.token_ids.len() <= 48), "{what}");
    }
}

#[test]
fn hostile_text_through_every_tokenizer() {
    let corpus = hostile_corpus();
    let tokenizers = every_tokenizer();
    assert!(tokenizers.len() >= 10);
    for (name, t) in &tokenizers {
        for (_, text) in &corpus {
            check_tokenizer(name, t, text);
        }
    }
}

#[test]
fn hostile_text_through_the_classification_pipelines() {
    let texts = texts();
    let input = strs(&texts);
    for model in ["bert", "xlnet", "bart"] {
        let classifier =
            SequenceClassificationModel::new(seq_config(model, "config.json")).unwrap();
        let labels = classifier.try_predict(&input).unwrap();
        assert_eq!(labels.len(), input.len(), "{model}");
        assert!(labels.iter().all(|l| l.score.is_finite()), "{model}");
        let every = classifier.predict_multilabel(&input, 0.0).unwrap();
        assert!(every.iter().all(|l| l.len() == 3), "{model}");
        if model == "bert" {
            let sentiment = SentimentModel::new(seq_config("distilbert", "config.json")).unwrap();
            let polarities = sentiment.try_predict(&input).unwrap();
            assert_eq!(polarities.len(), input.len());
            assert!(polarities.iter().all(|s| s.score.is_finite()));
        }

        let zero_shot =
            ZeroShotClassificationModel::new(zs_config(model, "config_nli.json")).unwrap();
        let labels = ["sport", "", "🙂 東京", "\0"];
        let best = zero_shot.predict(&input, labels, None, 128).unwrap();
        assert_eq!(best.len(), input.len(), "{model}");
        let all = zero_shot
            .predict_multilabel(&input, labels, None, 128)
            .unwrap();
        assert!(all
            .iter()
            .all(|l| l.len() == labels.len() && l.iter().all(|l| l.score.is_finite())));
    }
}

#[test]
fn hostile_text_through_the_token_pipelines() {
    let texts = texts();
    let input = strs(&texts);
    for name in ["bert_ner", "roberta_ner", "xlnet_ner"] {
        let model =
            TokenClassificationModel::new(token_config(name, LabelAggregationOption::First))
                .unwrap();
        let tokens = model.predict(&input, true, false);
        assert_eq!(tokens.len(), input.len(), "{name}");
        for (tokens, text) in tokens.iter().zip(&input) {
            let chars = text.chars().count() as u32;
            assert!(tokens
                .iter()
                .all(|t| t.score.is_finite() && t.offset.is_none_or(|o| o.end <= chars)));
        }
        let ner = NERModel::new(token_config(name, LabelAggregationOption::First)).unwrap();
        assert_eq!(ner.predict(&input).len(), input.len());
        assert_eq!(ner.predict_full_entities(&input).len(), input.len());
    }
    let pos = POSModel::new(POSConfig::from(token_config(
        "bert_pos",
        LabelAggregationOption::First,
    )))
    .unwrap();
    let tags = pos.predict(&input);
    assert_eq!(tags.len(), input.len());
    assert!(tags.iter().flatten().all(|t| t.score.is_finite()));
}

#[test]
fn hostile_text_through_question_answering() {
    let texts = texts();
    for model in ["bert", "roberta", "xlnet"] {
        let (qa, _) = crate::pipeline_qa::load(model);
        let mut inputs: Vec<QaInput> = texts
            .iter()
            .map(|t| QaInput {
                question: "Where is it?".to_string(),
                context: t.clone(),
            })
            .collect();
        inputs.extend(texts.iter().map(|t| QaInput {
            question: t.clone(),
            context: "The bridge was built in 1820 by local farmers.".to_string(),
        }));
        let answers = qa.try_predict(&inputs, 3, 8).unwrap();
        assert_eq!(answers.len(), inputs.len(), "{model}");
        for (answers, input) in answers.iter().zip(&inputs) {
            for answer in answers {
                assert!(answer.score.is_finite() && answer.start <= answer.end);
                let span: String = input
                    .context
                    .chars()
                    .skip(answer.start)
                    .take(answer.end - answer.start)
                    .collect();
                assert_eq!(span, answer.answer, "{model}");
            }
        }
    }
}

#[test]
fn hostile_text_through_fill_mask_embeddings_and_keywords() {
    let texts = texts();
    let with_mask: Vec<String> = texts.iter().map(|t| format!("{t} [MASK] .")).collect();
    let fill = MaskedLanguageModel::new(fill_mask_config("bert", None)).unwrap();
    assert_eq!(fill.predict(strs(&texts)).unwrap().len(), texts.len());
    let filled = fill.predict(strs(&with_mask)).unwrap();
    assert_eq!(filled.len(), texts.len());

    let embedder = minilm();
    let embeddings = embedder.encode(&texts).unwrap();
    assert_eq!(embeddings.len(), texts.len());
    assert!(embeddings
        .iter()
        .all(|e| e.len() == 384 && e.iter().all(|x| x.is_finite())));

    let keywords = keyword_model(KeywordScorerType::CosineSimilarity, (1, 2), 5, None)
        .unwrap()
        .predict(&texts)
        .unwrap();
    assert_eq!(keywords.len(), texts.len());
    assert!(keywords
        .iter()
        .all(|k| k.len() <= 5 && k.iter().all(|k| k.score.is_finite())));
}

#[test]
fn hostile_text_through_the_generation_pipelines() {
    let texts = texts();
    let options = rust_bert::pipelines::generation_utils::GenerateOptions {
        max_new_tokens: Some(4),
        ..Default::default()
    };
    let bart = fixtures().join("bart");
    let mut summarization = SummarizationConfig::new(
        ModelType::Bart,
        ModelResource::Torch(Box::new(LocalResource::from(
            bart.join("model.safetensors"),
        ))),
        LocalResource::from(bart.join("config.json")),
        LocalResource::from(bart.join("vocab.json")),
        Some(LocalResource::from(bart.join("merges.txt"))),
    );
    summarization.device = tch::Device::Cpu;
    summarization.num_beams = 2;
    let summarizer = SummarizationModel::new(summarization).unwrap();
    let summaries = summarizer
        .summarize_with_options(&texts, Some(options))
        .unwrap();
    assert_eq!(summaries.len(), texts.len());

    let translator = TranslationModel::new(marian_translation_config()).unwrap();
    let translations = translator
        .translate_with_options(&texts, None, None, Some(options))
        .unwrap();
    assert_eq!(translations.len(), texts.len());

    let generator = TextGenerationModel::new(text_config(2)).unwrap();
    let generated = generator
        .generate_with_options(&texts, None, Some(options))
        .unwrap();
    assert_eq!(generated.len(), texts.len());

    let chat = conversation_model();
    let mut manager = ConversationManager::new();
    for text in &texts {
        manager.create(text);
    }
    let responses = chat.generate_responses(&mut manager).unwrap();
    assert_eq!(responses.len(), texts.len());
}

/// The tokenizers of the pipelines, one per family: WordPiece, byte-level BPE, SentencePiece
/// (unigram: ALBERT, XLNet, T5, XLM-R), HF `tokenizer.json`.
fn property_tokenizers() -> &'static Vec<(String, TokenizerOption)> {
    static TOKENIZERS: std::sync::OnceLock<Vec<(String, TokenizerOption)>> =
        std::sync::OnceLock::new();
    TOKENIZERS.get_or_init(every_tokenizer)
}

/// Arbitrary text weighted towards what breaks tokenizers: any scalar value, or runs drawn
/// from whitespace, controls, combining marks, joiners and multi-script letters.
fn nasty_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        " ",
        "  ",
        "\t",
        "\n",
        "\u{0}",
        "\u{1b}",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "\u{200b}",
        "\u{200d}",
        "\u{202e}",
        "\u{feff}",
        "\u{301}",
        "\u{308}",
        "\u{fe0f}",
        "a",
        "Z",
        "é",
        "ß",
        "ﬁ",
        "İ",
        "ς",
        "ж",
        "東",
        "京",
        "한",
        "ا",
        "ש",
        "🙂",
        "👍🏽",
        "🏳️‍🌈",
        "[CLS]",
        "<s>",
        "</s>",
        "<mask>",
        "##",
        "▁",
        "Ġ",
        "'",
        "-",
        ".",
        "...",
        "0",
        "12345",
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat()),
    ]
}

/// Property-test runs per property: 200 in CI (bounded time), more with
/// `ROBUSTNESS_CASES=5000 cargo test --release --test integration robustness`.
fn cases() -> u32 {
    std::env::var("ROBUSTNESS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn tokenizers_never_panic_and_keep_offsets_in_the_text(text in nasty_text()) {
        for (name, t) in property_tokenizers() {
            check_tokenizer(name, t, &text);
        }
    }

    #[test]
    fn question_answering_windows_hold_their_budget(
        question in nasty_text(),
        context in nasty_text(),
        max_len in 0usize..80,
        stride in 0usize..40,
    ) {
        for (name, t) in property_tokenizers() {
            // Either windows within the budget, or an error naming the impossible lengths.
            match t.encode_pair_windows(&question, &context, max_len, stride) {
                Ok(windows) => {
                    prop_assert!(!windows.is_empty(), "{}", name);
                    for w in &windows {
                        prop_assert!(w.token_ids.len() <= max_len, "{} window of {}", name, w.token_ids.len());
                        prop_assert_eq!(w.token_ids.len(), w.segment_ids.len());
                        prop_assert_eq!(w.token_ids.len(), w.special_tokens_mask.len());
                    }
                }
                Err(error) => prop_assert!(error.to_string().contains("max_len") || error.to_string().contains("stride")),
            }
            if let Ok(windows) = t.encode_pair_windows_first(&context, &question, max_len, stride) {
                prop_assert!(windows.iter().all(|w| w.token_ids.len() <= max_len), "{}", name);
            }
        }
    }

    #[test]
    fn padding_a_batch_keeps_every_row(texts in prop::collection::vec(nasty_text(), 0..6)) {
        for (name, t) in property_tokenizers() {
            let inputs = t.encode_list(&texts, 32, &TruncationStrategy::LongestFirst, 0);
            let batch = t.pad_batch(&inputs, t.default_padding_side(), tch::Device::Cpu);
            let longest = inputs.iter().map(|i| i.token_ids.len()).max().unwrap_or(0) as i64;
            if !inputs.is_empty() {
                prop_assert_eq!(batch.input_ids.size(), vec![inputs.len() as i64, longest], "{}", name);
                let kept = batch.attention_mask.sum(tch::Kind::Int64).int64_value(&[]);
                let total: usize = inputs.iter().map(|i| i.token_ids.len()).sum();
                prop_assert_eq!(kept, total as i64, "{}", name);
            }
        }
    }
}

fn ner_model() -> &'static Mutex<TokenClassificationModel> {
    static MODEL: std::sync::OnceLock<Mutex<TokenClassificationModel>> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        Mutex::new(
            TokenClassificationModel::new(token_config("bert_ner", LabelAggregationOption::First))
                .unwrap(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, failure_persistence: None, ..ProptestConfig::default() })]

    /// The token-classification pre-processing (windows over long texts, word grouping,
    /// offsets back into the text) on arbitrary texts, through the tiny NER model.
    #[test]
    fn token_classification_keeps_offsets_in_the_text(texts in prop::collection::vec(nasty_text(), 1..4)) {
        let model = ner_model().lock().unwrap();
        let input: Vec<&str> = texts.iter().map(String::as_str).collect();
        let output = model.predict(&input, true, true);
        prop_assert_eq!(output.len(), input.len());
        for (tokens, text) in output.iter().zip(&input) {
            let chars = text.chars().count() as u32;
            prop_assert!(tokens.iter().all(|t| t.score.is_finite() && t.offset.is_none_or(|o| o.begin <= o.end && o.end <= chars)));
        }
    }

    /// Pair truncation (zero-shot's premise / hypothesis) with any budget, even zero.
    #[test]
    fn pair_truncation_holds_any_budget(a in nasty_text(), b in nasty_text(), max_len in 0usize..40) {
        for (name, t) in property_tokenizers() {
            for strategy in [TruncationStrategy::OnlyFirst, TruncationStrategy::LongestFirst, TruncationStrategy::OnlySecond] {
                let out = t.encode_pair_list(&[(a.as_str(), b.as_str())], max_len, &strategy, 0);
                prop_assert_eq!(out.len(), 1, "{}", name);
                prop_assert_eq!(out[0].token_ids.len(), out[0].segment_ids.len(), "{}", name);
            }
        }
    }
}

#[test]
fn a_pipeline_moves_to_another_thread() {
    let texts = texts();
    let classifier = SequenceClassificationModel::new(seq_config("bert", "config.json")).unwrap();
    let here = classifier.predict(strs(&texts));
    let there = std::thread::spawn(move || classifier.predict(strs(&texts)))
        .join()
        .unwrap();
    assert_eq!(here, there);
}

#[test]
fn eight_threads_share_one_model_behind_a_mutex() {
    const THREADS: usize = 8;
    const PREDICTIONS: usize = 200;
    let texts: Vec<String> = (0..PREDICTIONS)
        .map(|i| match i % 4 {
            0 => format!("The film number {i} was wonderful."),
            1 => format!("Item {i}: a terrible, boring story."),
            2 => "an average day".to_string(),
            _ => {
                let corpus = hostile_corpus();
                corpus[i % corpus.len()].1.chars().take(300).collect()
            }
        })
        .collect();
    let classifier = SequenceClassificationModel::new(seq_config("bert", "config.json")).unwrap();
    let alone: Vec<_> = texts
        .iter()
        .map(|t| classifier.predict([t.as_str()]).remove(0))
        .collect();
    let shared = Arc::new(Mutex::new(classifier));
    let texts = Arc::new(texts);
    let handles: Vec<_> = (0..THREADS)
        .map(|thread| {
            let shared = Arc::clone(&shared);
            let texts = Arc::clone(&texts);
            std::thread::spawn(move || {
                // Each thread walks the texts from its own start.
                (0..PREDICTIONS)
                    .map(|k| {
                        let i = (k + thread * 25) % PREDICTIONS;
                        let model = shared.lock().unwrap();
                        (i, model.predict([texts[i].as_str()]).remove(0))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut count = 0;
    for handle in handles {
        for (i, label) in handle.join().unwrap() {
            assert_eq!(label, alone[i], "text {i}");
            count += 1;
        }
    }
    assert_eq!(count, THREADS * PREDICTIONS);
}

/// Resident set size of this process in kB (Linux).
fn resident_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// 10k predictions keep the resident set flat. Long (about a minute): run with
/// `cargo test --release --test integration -- --ignored resident_set`.
#[test]
#[ignore]
fn resident_set_stays_flat_over_10k_predictions() {
    let classifier = SequenceClassificationModel::new(seq_config("bert", "config.json")).unwrap();
    let texts = [
        "A wonderful film.",
        "A terrible, boring story about nothing at all.",
    ];
    for _ in 0..500 {
        classifier.predict(texts);
    }
    let start = resident_kb().unwrap();
    let mut peak = start;
    for i in 0..10_000 {
        classifier.predict([texts[i % 2]]);
        if i % 1000 == 999 {
            peak = peak.max(resident_kb().unwrap());
        }
    }
    let end = resident_kb().unwrap();
    eprintln!(
        "resident set: {start} kB after warm-up, {end} kB after 10k predictions, peak {peak} kB"
    );
    assert!(
        end <= start + 16 * 1024,
        "resident set grew from {start} kB to {end} kB"
    );
}

/// A tokenizer that can produce ids the model has no embedding for (tokens added without
/// resizing the model) is refused when the pipeline is built, with both sizes in the message,
/// instead of failing inside an embedding lookup on the first text that uses them.
#[test]
fn a_tokenizer_larger_than_the_model_vocabulary_is_refused_at_build() {
    use rust_bert::Config;
    let added: Vec<String> = (0..2000).map(|i| format!("addedtoken{i}")).collect();
    let added: Vec<&str> = added.iter().map(String::as_str).collect();
    let load = |model_type, vocab: &str, merges: Option<&str>, lower| {
        let dir = fixtures();
        let merges = merges.map(|m| dir.join(m).to_str().unwrap().to_string());
        TokenizerOption::from_file(
            model_type,
            dir.join(vocab).to_str().unwrap(),
            merges.as_deref(),
            lower,
            None,
            None,
        )
        .unwrap()
    };
    let refused = |error: rust_bert::RustBertError, model_vocab: i64, tokenizer_vocab: i64| {
        let message = error.to_string();
        assert!(
            message.contains(&format!("({tokenizer_vocab} ids)"))
                && message.contains(&format!("vocab_size ({model_vocab})")),
            "{message}"
        );
    };

    // An encoder pipeline (token classification): its own tokenizer is accepted, the same one
    // with tokens added is refused.
    let vocab = "pipeline_tokens/bert_ner/vocab.txt";
    let model_vocab = rust_bert::bert::BertConfig::from_file(
        fixtures().join("pipeline_tokens/bert_ner/config.json"),
    )
    .vocab_size;
    let tokenizer = load(ModelType::Bert, vocab, None, true);
    assert!(tokenizer.vocab_size() <= model_vocab);
    let config = || token_config("bert_ner", LabelAggregationOption::First);
    assert!(TokenClassificationModel::new_with_tokenizer(config(), tokenizer).is_ok());
    let mut tokenizer = load(ModelType::Bert, vocab, None, true);
    tokenizer.add_tokens(&added);
    let size = tokenizer.vocab_size();
    assert!(size > model_vocab);
    let error = TokenClassificationModel::new_with_tokenizer(config(), tokenizer)
        .err()
        .unwrap();
    refused(error, model_vocab, size);

    // A generator.
    let mut tokenizer = load(
        ModelType::GPT2,
        "generation/gpt2/vocab.json",
        Some("generation/gpt2/merges.txt"),
        false,
    );
    tokenizer.add_tokens(&added);
    let size = tokenizer.vocab_size();
    let error = TextGenerationModel::new_with_tokenizer(text_config(1), tokenizer)
        .err()
        .unwrap();
    let model_vocab =
        rust_bert::gpt2::Gpt2Config::from_file(fixtures().join("generation/gpt2/config.json"))
            .vocab_size;
    refused(error, model_vocab, size);
}
