//! Reformer parity against HF Transformers 5.24 on tiny random models (tests/fixtures/reformer
//! and reformer_int, written by utils/fixtures_reformer.py): padded batches layer by layer (LSH
//! and local layers mixed, lengths that are and are not multiples of the chunk length, axial and
//! plain positions, factorised and single bucket counts, several hashing rounds), incremental
//! decoding with the cache, HF `generate` token for token (greedy, two beam settings, sampling
//! under a seed), the text-generation pipeline, and errors instead of panics on bad input.
//!
//! With `hash_seed` set, every LSH hashing reseeds LibTorch's global generator (as HF reseeds
//! PyTorch's), so each test here that runs a model holds the sampling lock: a sampling test of
//! another model running meanwhile would otherwise see its draws change.
use crate::generation::{
    case_bad_words, case_options, check_outputs, load_cases, sampling_lock, tensor, Case,
};
use crate::util::{fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::layers::linear::defer_init;
use rust_bert::common::weights::{load_weights_from_file, read_tensors, write_tensors};
use rust_bert::pipelines::common::{ConfigOption, ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::reformer::{
    LayerState, ReformerConfig, ReformerForQuestionAnswering, ReformerForSequenceClassification,
    ReformerGenerator, ReformerModelWithLMHead,
};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join(name)
}

fn config(name: &str, layers: bool) -> ReformerConfig {
    let mut config = ReformerConfig::try_from_file(dir(name).join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

fn lm(name: &str, config: &ReformerConfig) -> (VarStore, ReformerModelWithLMHead) {
    let vs = VarStore::new(Device::Cpu);
    // Weights load right after: no random initialisation, which would draw from
    // LibTorch's global generator.
    let deferred = defer_init();
    let model = ReformerModelWithLMHead::new(vs.root(), config).unwrap();
    drop(deferred);
    let report = load_weights_from_file(&vs, dir(name).join("model.safetensors")).unwrap();
    assert!(report.unused.is_empty(), "{:?}", report.unused);
    (vs, model)
}

#[track_caller]
fn close(actual: &Tensor, expected: &Tensor, what: &str) -> f64 {
    let diff = max_abs_diff(actual, expected);
    assert!(diff <= TOL, "{what}: max |diff| = {diff:e} > {TOL:e}");
    diff
}

/// Logits, the hidden states entering every layer and leaving the last, and every layer's
/// attention probabilities (HF's chunked layout) equal HF's within 1e-4, for right-padded rows
/// of 12 tokens (padded to 16 inside), unpadded rows of 16, and rows of 6 (padded to 8: LSH
/// layers attend fully), on both fixtures; without the per-layer flags the lists are absent.
#[test]
fn reformer_padded_batches_match_hf_layer_by_layer() {
    let _lock = sampling_lock();
    tch::no_grad(|| {
        for (name, layers) in [("reformer", 4usize), ("reformer_int", 3)] {
            let e = Expected::load(dir(name).join("expected.safetensors"));
            let (_vs, model) = lm(name, &config(name, true));
            let (_vs2, plain) = lm(name, &config(name, false));
            let mut worst = [0f64; 3];
            for case in ["pad12", "full16", "short6"] {
                let ids = e.get(&format!("{case}.input_ids"));
                let mask_name = format!("{case}.attention_mask");
                let mask = e.has(&mask_name).then(|| e.get(&mask_name));
                let out = model
                    .forward_t(Some(ids), None, None, mask, None, None, false)
                    .unwrap();
                let what = format!("{name} {case}");
                worst[0] = worst[0].max(close(
                    &out.logits,
                    e.get(&format!("{case}.logits")),
                    &format!("{what} logits"),
                ));
                let hidden = out.all_hidden_states.unwrap();
                let attentions = out.all_attentions.unwrap();
                assert_eq!((hidden.len(), attentions.len()), (layers + 1, layers));
                for (i, h) in hidden.iter().enumerate() {
                    let expected = e.get(&format!("{case}.hidden_states.{i}"));
                    worst[1] = worst[1].max(close(h, expected, &format!("{what} hidden {i}")));
                }
                for (i, a) in attentions.iter().enumerate() {
                    let expected = e.get(&format!("{case}.attentions.{i}"));
                    worst[2] = worst[2].max(close(a, expected, &format!("{what} attention {i}")));
                }
                let out = plain
                    .forward_t(Some(ids), None, None, mask, None, None, false)
                    .unwrap();
                assert!(out.all_hidden_states.is_none() && out.all_attentions.is_none());
                close(&out.logits, e.get(&format!("{case}.logits")), &what);
            }
            println!(
                "{name}: max |diff| logits {:e}, hidden {:e}, attentions {:e}",
                worst[0], worst[1], worst[2]
            );
        }
    });
}

/// One token at a time with the cache equals HF's cached steps (2 rows and 1 row, 12 steps past
/// the LSH chunk: hashing the cached states, then sorting each new token among their buckets);
/// for a sequence within one LSH chunk, where HF's steps equal its full forward, ours equal our
/// full forward too.
#[test]
fn reformer_incremental_decoding_matches_hf_and_the_full_forward() {
    let _lock = sampling_lock();
    tch::no_grad(|| {
        let e = Expected::load(dir("reformer").join("expected.safetensors"));
        let (_vs, model) = lm("reformer", &config("reformer", false));
        let mut worst = 0f64;
        for (name, steps) in [("batch2", 12), ("batch1", 12), ("short", 5)] {
            let mut cache = None;
            let mut logits = Vec::new();
            for k in 0..=steps {
                let ids = e.get(&format!("{name}.step.{k}.input_ids"));
                let out = model
                    .forward_t(Some(ids), None, None, None, None, cache, false)
                    .unwrap();
                worst = worst.max(close(
                    &out.logits,
                    e.get(&format!("{name}.step.{k}.logits")),
                    &format!("{name} step {k}"),
                ));
                cache = out.next_cache;
                logits.push(out.logits);
            }
            if name == "batch2" {
                continue;
            }
            let full = model
                .forward_t(
                    Some(e.get(&format!("{name}.full.input_ids"))),
                    None,
                    None,
                    None,
                    None,
                    None,
                    false,
                )
                .unwrap();
            close(
                &full.logits,
                e.get(&format!("{name}.full.logits")),
                &format!("{name} full"),
            );
            let equal = Vec::<i64>::try_from(e.get(&format!("{name}.step_equals_full"))).unwrap();
            let prompt = logits[0].size()[1];
            for (k, step) in logits.iter().enumerate() {
                if equal[k] == 0 {
                    continue;
                }
                let (start, n) = if k == 0 {
                    (0, prompt)
                } else {
                    (prompt - 1 + k as i64, 1)
                };
                close(
                    step,
                    &full.logits.narrow(1, start, n),
                    &format!("{name} step {k} vs full"),
                );
            }
            if name == "short" {
                assert!(equal.iter().all(|&x| x == 1));
            }
        }
        println!("incremental steps: max |diff| {worst:e}");
    });
}

fn generate_config() -> GenerateConfig {
    let dir = dir("reformer");
    GenerateConfig {
        model_type: ModelType::Reformer,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(dir.join("spiece.model"))),
        merges_resource: None,
        do_sample: false,
        num_beams: 1,
        no_repeat_ngram_size: 0,
        repetition_penalty: 1.0,
        device: Device::Cpu,
        ..Default::default()
    }
}

fn generator() -> ReformerGenerator {
    ReformerGenerator::new(generate_config()).unwrap()
}

fn run_case(generator: &ReformerGenerator, case: &Case) {
    let bad_words = case_bad_words(case);
    let eos = [case.options["eos_token_id"].as_i64().unwrap()];
    let options = case_options(case, &bad_words, &eos);
    if let Some(seed) = case.seed {
        tch::manual_seed(seed);
    }
    let outputs = generator
        .generate_from_ids_and_past(
            tensor(&case.input_ids),
            Some(tensor(&case.attention_mask)),
            Some(options),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    check_outputs(case, &outputs, false);
}

fn cases() -> Vec<Case> {
    load_cases(dir("reformer").join("cases.json"))
}

/// Every HF `generate` case (greedy, 3 beams with early stopping and two returned sequences,
/// 5 beams with length penalty 0.5 and no repeated 3-grams, sampling under seed 42 — the LSH
/// layers reseed the generator between draws, as in HF —, a single row for 20 tokens, the end
/// of a long prompt): token-identical, scores within 1e-4.
#[test]
fn reformer_generate_equals_hf() {
    let _lock = sampling_lock();
    let generator = generator();
    let cases = cases();
    assert_eq!(cases.len(), 6);
    for case in &cases {
        run_case(&generator, case);
    }
}

#[derive(Deserialize)]
struct Greedy {
    texts: Vec<String>,
}

#[derive(Deserialize)]
struct TextFixture {
    prompts: Vec<String>,
    prompt_ids: Vec<Vec<i64>>,
    greedy: Greedy,
    long_text: String,
    long_prompt_ids: Vec<i64>,
}

fn text_fixture() -> TextFixture {
    serde_json::from_str(&std::fs::read_to_string(dir("reformer").join("text.json")).unwrap())
        .unwrap()
}

fn pipeline() -> TextGenerationModel {
    let dir = dir("reformer");
    let mut config = TextGenerationConfig::new(
        ModelType::Reformer,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("spiece.model")),
        None,
    );
    config.device = Device::Cpu;
    config.do_sample = false;
    config.num_beams = 1;
    TextGenerationModel::new(config).unwrap()
}

/// The text-generation pipeline (ReformerTokenizer on the SentencePiece model) encodes the
/// prompts as SentencePiece does and its greedy texts equal HF's `generate` + decode.
#[test]
fn reformer_text_generation_pipeline_equals_hf() {
    let _lock = sampling_lock();
    let fixture = text_fixture();
    let options = || GenerateOptions {
        max_new_tokens: Some(10),
        ..Default::default()
    };
    let generator = generator();
    for (prompt, ids) in fixture.prompts.iter().zip(&fixture.prompt_ids) {
        let out = generator
            .generate_indices(Some(&[prompt.as_str()]), Some(options()))
            .unwrap();
        assert_eq!(&out[0].indices[..ids.len()], ids.as_slice(), "{prompt}");
    }
    let model = pipeline();
    for (prompt, expected) in fixture.prompts.iter().zip(&fixture.greedy.texts) {
        let texts = model
            .generate_with_options(&[prompt.as_str()], None, Some(options()))
            .unwrap();
        assert_eq!(texts[0].trim_start(), expected.as_str());
    }
}

/// A prompt longer than the model's 64 positions keeps its last 63 tokens (HF's reference is
/// `generate` on those); an empty prompt or none is an error (no beginning token), no prompts
/// give no outputs, and the pipeline answers a long and an empty prompt together.
#[test]
fn reformer_long_and_empty_prompts_give_results() {
    let _lock = sampling_lock();
    let fixture = text_fixture();
    let generator = generator();
    let out = generator
        .generate_indices(
            Some(&[fixture.long_text.as_str()]),
            Some(GenerateOptions {
                max_new_tokens: Some(1),
                ..Default::default()
            }),
        )
        .unwrap();
    assert!(fixture.long_prompt_ids.len() > 64);
    let long_case = cases()
        .into_iter()
        .find(|c| c.name == "greedy_long_prompt_end")
        .unwrap();
    assert_eq!(out[0].indices, long_case.sequences[0]);
    let kept = fixture.long_prompt_ids.len() - 63;
    assert_eq!(&out[0].indices[..63], &fixture.long_prompt_ids[kept..]);

    let options = || GenerateOptions {
        max_new_tokens: Some(4),
        ..Default::default()
    };
    // Reformer has no beginning token to start from: an empty prompt (or none) is an error.
    let error = generator
        .generate_indices(Some(&[""]), Some(options()))
        .unwrap_err();
    assert!(error.to_string().contains("token"), "{error}");
    assert!(generator
        .generate_indices::<&str>(None, Some(options()))
        .is_err());
    let none: [&str; 0] = [];
    assert!(generator.generate(Some(&none), None).unwrap().is_empty());
    let texts = pipeline()
        .generate(&[fixture.long_text.as_str(), ""], None)
        .unwrap();
    assert_eq!(texts.len(), 2);
}

#[test]
fn reformer_bad_inputs_are_errors() {
    let _lock = sampling_lock();
    tch::no_grad(|| {
        let config = config("reformer", false);
        let (_vs, model) = lm("reformer", &config);
        let run = |ids: &Tensor, states: Option<Vec<Option<LayerState>>>| {
            model.forward_t(Some(ids), None, None, None, None, states, false)
        };
        // 64 tokens fit; 65 are padded to 72 > 64 positions.
        let ids = |n: i64| Tensor::full([1, n], 5, (Kind::Int64, Device::Cpu));
        assert_eq!(run(&ids(64), None).unwrap().logits.size(), [1, 64, 320]);
        let error = run(&ids(65), None).unwrap_err();
        assert!(error.to_string().contains("64"), "{error}");
        assert!(run(&Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu)), None).is_err());
        let bad_ids = Tensor::from_slice(&[0i64, 320, 1]).unsqueeze(0);
        assert!(run(&bad_ids, None).is_err());
        let bad_mask = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
        assert!(model
            .forward_t(
                Some(&ids(3)),
                None,
                None,
                Some(&bad_mask),
                None,
                None,
                false
            )
            .is_err());
        assert!(model
            .forward_t(None, None, None, None, None, None, false)
            .is_err());
        let state = |n: i64| LayerState {
            prev_buckets: None,
            prev_states: Tensor::zeros([1, n, 32], (Kind::Float, Device::Cpu)),
        };
        // A cache of the wrong depth, of ragged lengths, or with more than one new token.
        assert!(run(&ids(1), Some(vec![Some(state(3))])).is_err());
        let ragged = vec![
            Some(state(3)),
            Some(state(2)),
            Some(state(3)),
            Some(state(3)),
        ];
        assert!(run(&ids(1), Some(ragged)).is_err());
        let four = || (0..4).map(|_| Some(state(3))).collect::<Vec<_>>();
        assert!(run(&ids(2), Some(four())).is_err());
        assert_eq!(
            run(&ids(1), Some(four())).unwrap().logits.size(),
            [1, 1, 320]
        );
        // States of the wrong width, buckets of the wrong shape, no hashing round.
        let narrow = (0..4)
            .map(|_| {
                Some(LayerState {
                    prev_buckets: None,
                    prev_states: Tensor::zeros([1, 3, 31], (Kind::Float, Device::Cpu)),
                })
            })
            .collect();
        assert!(run(&ids(1), Some(narrow)).is_err());
        let mut bad_buckets = four();
        bad_buckets[1] = Some(LayerState {
            prev_buckets: Some(Tensor::zeros([1, 2, 1, 3], (Kind::Int64, Device::Cpu))),
            prev_states: Tensor::zeros([1, 3, 32], (Kind::Float, Device::Cpu)),
        });
        assert!(run(&ids(1), Some(bad_buckets)).is_err());
        assert!(model
            .forward_t(Some(&ids(16)), None, None, None, Some(0), None, false)
            .is_err());
        // 64 cached tokens leave no position for another.
        let full = (0..4).map(|_| Some(state(64))).collect::<Vec<_>>();
        assert!(run(&ids(1), Some(full)).is_err());
    });
}

#[test]
fn reformer_configurations_are_checked_and_wired() {
    let path = dir("reformer").join("config.json");
    let config = ReformerConfig::try_from_file(&path).unwrap();
    assert_eq!(config.num_hidden_layers, 4);
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let write = |json: &serde_json::Value| {
        let file = scratch.path().join("config.json");
        std::fs::write(&file, json.to_string()).unwrap();
        file
    };
    // Without num_hidden_layers (HF derives it), it is the number of attn_layers.
    json.as_object_mut().unwrap().remove("num_hidden_layers");
    assert_eq!(
        ReformerConfig::try_from_file(write(&json))
            .unwrap()
            .num_hidden_layers,
        4
    );
    for (key, value) in [
        ("num_buckets", serde_json::json!(3)),
        ("num_buckets", serde_json::json!([2, 3])),
        ("axial_pos_embds_dim", serde_json::json!([12, 21])),
        ("num_hashes", serde_json::json!(0)),
        ("attn_layers", serde_json::json!([])),
    ] {
        let mut bad = json.clone();
        bad[key] = value;
        let error = ReformerConfig::try_from_file(write(&bad)).unwrap_err();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_))
                && error.to_string().contains(key),
            "{key}: {error}"
        );
    }
    let vs = VarStore::new(Device::Cpu);
    let encoder_only = ReformerConfig {
        is_decoder: false,
        ..config.clone()
    };
    assert!(ReformerModelWithLMHead::new(vs.root(), &encoder_only).is_err());
    let looks_ahead = ReformerConfig {
        lsh_num_chunks_after: Some(1),
        ..config.clone()
    };
    assert!(ReformerModelWithLMHead::new(vs.root(), &looks_ahead).is_err());

    let option = ConfigOption::from_file(ModelType::Reformer, &path).unwrap();
    assert_eq!(option.get_max_len(), Some(64));
    assert_eq!(option.get_vocab_size(), 320);
    assert!(option.get_label_mapping().is_err());
    assert!(matches!(
        ConfigOption::from_config_file(&path).unwrap(),
        ConfigOption::Reformer(_)
    ));
    // rust-bert's way of editing a configuration: through serde.
    let text = serde_json::to_string(&config).unwrap();
    let back: ReformerConfig = serde_json::from_str(&text).unwrap();
    assert_eq!(back.num_buckets, config.num_buckets);
}

/// The classification and question-answering heads (rust-bert's constructors, the fixture's
/// configuration with three labels) on the language model's `reformer.*` weights and their own
/// equal HF's `ReformerForSequenceClassification` and `ReformerForQuestionAnswering` on the
/// padded batch, and report every layer as rust-bert's tests expect.
#[test]
fn reformer_classification_and_qa_heads_match_hf() {
    let _lock = sampling_lock();
    let mut config = config("reformer", true);
    let labels: HashMap<i64, String> = [(0, "Positive"), (1, "Negative"), (2, "Neutral")]
        .into_iter()
        .map(|(i, l)| (i, l.to_string()))
        .collect();
    config.id2label = Some(labels);
    let scratch = tempfile::tempdir().unwrap();
    let heads = read_tensors(dir("reformer").join("heads.safetensors")).unwrap();
    let mut tensors: Vec<(String, Tensor)> =
        read_tensors(dir("reformer").join("model.safetensors"))
            .unwrap()
            .into_iter()
            .filter(|(name, _)| name.starts_with("reformer."))
            .collect();
    let mut expected = HashMap::new();
    for (name, tensor) in heads {
        match name.strip_prefix("expected.") {
            Some(what) => {
                expected.insert(what.to_string(), tensor);
            }
            None => tensors.push((name, tensor)),
        }
    }
    let weights = scratch.path().join("heads.safetensors");
    write_tensors(&tensors, &weights).unwrap();
    let e = Expected::load(dir("reformer").join("expected.safetensors"));
    let (ids, mask) = (e.get("pad12.input_ids"), e.get("pad12.attention_mask"));
    tch::no_grad(|| {
        let vs = VarStore::new(Device::Cpu);
        let deferred = defer_init();
        let classifier = ReformerForSequenceClassification::new(vs.root(), &config).unwrap();
        drop(deferred);
        load_weights_from_file(&vs, &weights).unwrap();
        let out = classifier
            .forward_t(Some(ids), None, None, Some(mask), None, false)
            .unwrap();
        let d = close(
            &out.logits,
            &expected["classification.logits"],
            "classification",
        );
        assert_eq!(out.all_hidden_states.unwrap().len(), 5);
        assert_eq!(out.all_attentions.unwrap().len(), 4);
        let vs = VarStore::new(Device::Cpu);
        let deferred = defer_init();
        let qa = ReformerForQuestionAnswering::new(vs.root(), &config).unwrap();
        drop(deferred);
        load_weights_from_file(&vs, &weights).unwrap();
        let out = qa
            .forward_t(Some(ids), None, None, Some(mask), None, false)
            .unwrap();
        let start = close(&out.start_logits, &expected["qa.start_logits"], "start");
        let end = close(&out.end_logits, &expected["qa.end_logits"], "end");
        println!("heads: max |diff| classification {d:e}, start {start:e}, end {end:e}");
        // Without id2label the classifier is an error, not a panic.
        config.id2label = None;
        let vs = VarStore::new(Device::Cpu);
        assert!(ReformerForSequenceClassification::new(vs.root(), &config).is_err());
    });
}
