//! GPT-Neo parity against HF Transformers 5.24 on a tiny random model (tests/fixtures/gpt_neo,
//! written by utils/fixtures_gpt_neo.py): padded batches layer by layer, incremental decoding
//! past the local window, HF `generate` token for token (greedy, two beam settings, sampling
//! under a seed), the text-generation pipeline, and errors instead of panics on bad input.
use crate::generation::{
    case_bad_words, case_options, check_outputs, load_cases, sampling_lock, tensor, Case,
};
use crate::util::{assert_close, assert_close_masked, fixtures, Expected, TOL};
use rust_bert::common::layers::linear::defer_init;
use rust_bert::common::weights::{load_weights_from_file, read_tensors, write_tensors};
use rust_bert::gpt_neo::{
    GptNeoConfig, GptNeoForCausalLM, GptNeoGenerator, GptNeoModel, LayerState,
};
use rust_bert::pipelines::common::{ConfigOption, ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir() -> PathBuf {
    fixtures().join("gpt_neo")
}

fn config(layers: bool) -> GptNeoConfig {
    let mut config = GptNeoConfig::try_from_file(dir().join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

/// Runs `check` from safetensors and from `.ot`, with and without per-layer outputs (which
/// switch attention between the explicit path and LibTorch's fused kernel).
fn for_each_format(check: impl Fn(&Path, &Expected, &GptNeoConfig)) {
    let scratch = tempfile::tempdir().unwrap();
    let expected = Expected::load(dir().join("expected.safetensors"));
    let safetensors = dir().join("model.safetensors");
    let ot = scratch.path().join("rust_model.ot");
    write_tensors(&read_tensors(&safetensors).unwrap(), &ot).unwrap();
    for weights in [&safetensors, &ot] {
        for layers in [true, false] {
            tch::no_grad(|| check(weights, &expected, &config(layers)));
        }
    }
}

fn load(vs: &VarStore, weights: &Path) {
    let report = load_weights_from_file(vs, weights).unwrap();
    assert!(report.unused.is_empty(), "{:?}", report.unused);
}

fn causal_lm(weights: &Path, config: &GptNeoConfig) -> (VarStore, GptNeoForCausalLM) {
    let vs = VarStore::new(Device::Cpu);
    // Weights load right after: no random initialisation, which would draw from
    // LibTorch's global generator while a sampling test runs.
    let deferred = defer_init();
    let model = GptNeoForCausalLM::new(vs.root(), config).unwrap();
    drop(deferred);
    load(&vs, weights);
    (vs, model)
}

#[test]
fn gpt_neo_padded_batches_match_hf_layer_by_layer() {
    for_each_format(|weights, e, config| {
        let (_vs, model) = causal_lm(weights, config);
        let right = model
            .forward_t(
                Some(e.get("right.input_ids")),
                None,
                None,
                None,
                None,
                Some(e.get("right.attention_mask")),
                false,
            )
            .unwrap();
        let right_mask = e.get("right.attention_mask");
        assert_close_masked(
            &right.lm_logits,
            e.get("right.logits"),
            right_mask,
            TOL,
            "right logits",
        );
        let left_mask = e.get("left.attention_mask");
        let left = model
            .forward_t(
                Some(e.get("left.input_ids")),
                None,
                None,
                Some(e.get("left.position_ids")),
                None,
                Some(left_mask),
                false,
            )
            .unwrap();
        assert_close_masked(
            &left.lm_logits,
            e.get("left.logits"),
            left_mask,
            TOL,
            "left logits",
        );
        assert_eq!(left.lm_logits.isfinite().all().int64_value(&[]), 1);

        let vs = VarStore::new(Device::Cpu);
        // Weights load right after: no random initialisation, which would draw from
        // LibTorch's global generator while a sampling test runs.
        let deferred = defer_init();
        let base = GptNeoModel::new(vs.root() / "transformer", config).unwrap();
        drop(deferred);
        load_weights_from_file(&vs, weights).unwrap();
        for (prefix, positions) in [("right.", None), ("left.", Some("left.position_ids"))] {
            let mask = e.get(&format!("{prefix}attention_mask"));
            let out = base
                .forward_t(
                    Some(e.get(&format!("{prefix}input_ids"))),
                    None,
                    None,
                    positions.map(|p| e.get(p)),
                    None,
                    Some(mask),
                    false,
                )
                .unwrap();
            if config.output_attentions.is_none() {
                assert!(out.all_hidden_states.is_none() && out.all_attentions.is_none());
                continue;
            }
            let hidden = out.all_hidden_states.unwrap();
            let attentions = out.all_attentions.unwrap();
            assert_eq!((hidden.len(), attentions.len()), (5, 4));
            for (i, h) in hidden.iter().enumerate() {
                let what = format!("{prefix}hidden_states.{i}");
                assert_close_masked(h, e.get(&what), mask, TOL, &what);
            }
            // [batch, heads, q, k] -> [batch, q, heads, k]: the mask selects query rows.
            for (i, a) in attentions.iter().enumerate() {
                let what = format!("{prefix}attentions.{i}");
                let expected = e.get(&what).transpose(1, 2);
                assert_close_masked(&a.transpose(1, 2), &expected, mask, TOL, &what);
            }
        }
    });
}

#[test]
fn gpt_neo_incremental_decoding_past_the_window_matches_hf() {
    for_each_format(|weights, e, config| {
        let (_vs, model) = causal_lm(weights, config);
        let mut cache: Option<Vec<Option<LayerState>>> = None;
        let mut steps = Vec::new();
        let mut seen = 12;
        for k in 0..6 {
            let input = |name: &str| e.get(&format!("step.{k}.{name}")).shallow_clone();
            let ids = input("input_ids");
            let out = model
                .forward_t(
                    Some(&ids),
                    None,
                    None,
                    Some(&input("position_ids")),
                    cache,
                    Some(&input("attention_mask")),
                    false,
                )
                .unwrap();
            let expected = input("logits");
            if k == 0 {
                let mask = input("attention_mask");
                assert_close_masked(&out.lm_logits, &expected, &mask, TOL, "prompt");
            } else {
                assert_close(&out.lm_logits, &expected, TOL, &format!("step {k}"));
                seen += ids.size()[1];
                steps.push(out.lm_logits.shallow_clone());
            }
            let states = out.next_cache.unwrap();
            assert_eq!(states.len(), 4);
            let first = states[0].as_ref().unwrap();
            assert_eq!(first.prev_key.size(), [3, 4, seen, 8]);
            cache = Some(states);
        }
        // The same tokens in one forward give the same logits as the steps.
        let full = model
            .forward_t(
                Some(e.get("full.input_ids")),
                None,
                None,
                Some(e.get("full.position_ids")),
                None,
                Some(e.get("full.attention_mask")),
                false,
            )
            .unwrap();
        let mask = e.get("full.attention_mask");
        assert_close_masked(&full.lm_logits, e.get("full.logits"), mask, TOL, "full");
        let mut column = 12;
        for (k, step) in steps.iter().enumerate() {
            let n = step.size()[1];
            let slice = full.lm_logits.narrow(1, column, n);
            assert_close(step, &slice, TOL, &format!("step {} vs full", k + 1));
            column += n;
        }
    });
}

/// A greedy generator configuration (no n-gram ban, unlike rust-bert's default) for a
/// decoder-only fixture folder (shared with GPT-J's tests).
pub(crate) fn fixture_generate_config(model_type: ModelType, dir: &Path) -> GenerateConfig {
    GenerateConfig {
        model_type,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(dir.join("vocab.json"))),
        merges_resource: Some(Box::new(LocalResource::from(dir.join("merges.txt")))),
        do_sample: false,
        num_beams: 1,
        no_repeat_ngram_size: 0,
        repetition_penalty: 1.0,
        device: Device::Cpu,
        ..Default::default()
    }
}

fn generate_config() -> GenerateConfig {
    fixture_generate_config(ModelType::GPTNeo, &dir())
}

fn generator() -> GptNeoGenerator {
    GptNeoGenerator::new(generate_config()).unwrap()
}

fn case(dir: &Path, name: &str) -> Case {
    let cases = load_cases(dir.join("cases.json"));
    cases.into_iter().find(|c| c.name == name).unwrap()
}

/// Runs an HF `generate` case of a decoder-only fixture and compares the outputs.
fn run_case(generator: &impl LanguageGenerator, case: &Case) {
    let bad_words = case_bad_words(case);
    let eos = [case.options["eos_token_id"].as_i64().unwrap()];
    let options = case_options(case, &bad_words, &eos);
    let _guard = case.seed.map(|_| sampling_lock());
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

/// Every case of a decoder-only fixture's `cases.json` (utils/fixtures_gpt_neo.py's six: greedy,
/// 3 beams with early stopping and two returned sequences, 5 beams with length penalty 0.5 and
/// no repeated 3-grams, sampling under a seed, the beginning token alone, the end of a long
/// prompt): token-identical with HF, scores within 1e-4. Shared with GPT-J's tests.
pub(crate) fn check_generate_cases(generator: &impl LanguageGenerator, dir: &Path) {
    let cases = load_cases(dir.join("cases.json"));
    assert_eq!(cases.len(), 6);
    for case in &cases {
        run_case(generator, case);
    }
}

/// Every case generates past GPT-Neo's local window (4 tokens).
#[test]
fn gpt_neo_generate_equals_hf() {
    check_generate_cases(&generator(), &dir());
}

#[derive(Deserialize)]
struct Greedy {
    texts: Vec<String>,
}

/// A fixture's `text.json` (utils/fixtures_gpt_neo.py; GPT-J's has the same layout).
#[derive(Deserialize)]
struct TextFixture {
    prompts: Vec<String>,
    greedy: Greedy,
    long_text: String,
    long_prompt_ids: Vec<i64>,
}

fn text_fixture(dir: &Path) -> TextFixture {
    serde_json::from_str(&std::fs::read_to_string(dir.join("text.json")).unwrap()).unwrap()
}

fn fixture_pipeline(model_type: ModelType, dir: &Path) -> TextGenerationModel {
    let mut config = TextGenerationConfig::new(
        model_type,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("vocab.json")),
        Some(LocalResource::from(dir.join("merges.txt"))),
    );
    config.device = Device::Cpu;
    config.do_sample = false;
    config.num_beams = 1;
    TextGenerationModel::new(config).unwrap()
}

/// The text-generation pipeline's greedy texts equal HF's `generate` + `decode` (shared with
/// GPT-J's tests).
pub(crate) fn check_pipeline_texts(model_type: ModelType, dir: &Path) {
    let fixture = text_fixture(dir);
    let options = GenerateOptions {
        max_new_tokens: Some(10),
        ..Default::default()
    };
    let texts = fixture_pipeline(model_type, dir)
        .generate_with_options(&fixture.prompts, None, Some(options))
        .unwrap();
    assert_eq!(texts, fixture.greedy.texts);
}

#[test]
fn gpt_neo_text_generation_pipeline_equals_hf() {
    check_pipeline_texts(ModelType::GPTNeo, &dir());
}

/// A prompt longer than the model's 64 positions keeps its last 63 tokens (HF's reference is
/// `generate` on those); an empty prompt or none starts from `<|endoftext|>`; no prompts give
/// no outputs; the pipeline answers both (shared with GPT-J's tests).
pub(crate) fn check_long_and_empty_prompts(
    generator: &impl LanguageGenerator,
    model_type: ModelType,
    dir: &Path,
) {
    let fixture = text_fixture(dir);
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
    assert_eq!(
        out[0].indices,
        case(dir, "greedy_long_prompt_end").sequences[0]
    );
    let kept = fixture.long_prompt_ids.len() - 63;
    assert_eq!(&out[0].indices[..63], &fixture.long_prompt_ids[kept..]);

    let bos = case(dir, "greedy_bos_only");
    let options = || GenerateOptions {
        min_length: Some(6),
        max_new_tokens: Some(8),
        ..Default::default()
    };
    let out = generator
        .generate_indices(Some(&[""]), Some(options()))
        .unwrap();
    assert_eq!(out[0].indices, bos.sequences[0]);
    let out = generator
        .generate_indices::<&str>(None, Some(options()))
        .unwrap();
    assert_eq!(out[0].indices, bos.sequences[0]);
    let none: [&str; 0] = [];
    assert!(generator.generate(Some(&none), None).unwrap().is_empty());

    let texts = fixture_pipeline(model_type, dir)
        .generate(&[fixture.long_text.as_str(), ""], None)
        .unwrap();
    assert_eq!(texts.len(), 2);
}

#[test]
fn gpt_neo_long_and_empty_prompts_give_results() {
    check_long_and_empty_prompts(&generator(), ModelType::GPTNeo, &dir());
}

#[test]
fn gpt_neo_bad_inputs_are_errors() {
    tch::no_grad(|| {
        let config = config(false);
        let (_vs, model) = causal_lm(&dir().join("model.safetensors"), &config);
        let run = |ids: &Tensor, states: Option<Vec<Option<LayerState>>>| {
            model.forward_t(Some(ids), None, None, None, states, None, false)
        };
        let too_long = Tensor::ones([1, 65], (Kind::Int64, Device::Cpu));
        let error = run(&too_long, None).unwrap_err();
        assert!(error.to_string().contains("64"), "{error}");
        let bad_ids = Tensor::from_slice(&[0i64, 400, 1]).unsqueeze(0);
        assert!(run(&bad_ids, None).is_err());
        let ids = Tensor::ones([1, 3], (Kind::Int64, Device::Cpu));
        let bad_mask = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
        assert!(model
            .forward_t(Some(&ids), None, None, None, None, Some(&bad_mask), false)
            .is_err());
        let state = || LayerState {
            prev_key: Tensor::zeros([1, 4, 2, 8], (Kind::Float, Device::Cpu)),
            prev_value: Some(Tensor::zeros([1, 4, 2, 8], (Kind::Float, Device::Cpu))),
        };
        // A cache of the wrong depth, of the wrong shape, or without values.
        assert!(run(&ids, Some(vec![Some(state())])).is_err());
        let mut wrong = state();
        wrong.prev_key = Tensor::zeros([1, 4, 2, 7], (Kind::Float, Device::Cpu));
        assert!(run(
            &ids,
            Some(vec![
                Some(wrong),
                Some(state()),
                Some(state()),
                Some(state())
            ])
        )
        .is_err());
        let mut keys_only = state();
        keys_only.prev_value = None;
        assert!(run(
            &ids,
            Some(vec![
                Some(keys_only),
                Some(state()),
                Some(state()),
                Some(state())
            ])
        )
        .is_err());
        // 62 cached tokens leave room for 2 more, not 3.
        let full = || LayerState {
            prev_key: Tensor::zeros([1, 4, 62, 8], (Kind::Float, Device::Cpu)),
            prev_value: Some(Tensor::zeros([1, 4, 62, 8], (Kind::Float, Device::Cpu))),
        };
        assert!(run(&ids, Some((0..4).map(|_| Some(full())).collect())).is_err());
        assert!(model
            .forward_t(None, None, None, None, None, None, false)
            .is_err());
    });
}

#[test]
fn gpt_neo_configurations_are_checked_and_wired() {
    let scratch = tempfile::tempdir().unwrap();
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("config.json")).unwrap()).unwrap();
    // Without `attention_layers`, they come from `attention_types`.
    json.as_object_mut().unwrap().remove("attention_layers");
    let path = scratch.path().join("config.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let config = GptNeoConfig::try_from_file(&path).unwrap();
    assert_eq!(
        config.attention_layers,
        self::config(false).attention_layers
    );
    assert_eq!(config.attention_layers.len(), 4);
    // Layer types that do not add up to num_layers are an error naming both.
    json["num_layers"] = 5.into();
    std::fs::write(&path, json.to_string()).unwrap();
    let error = GptNeoConfig::try_from_file(&path).unwrap_err();
    assert!(
        matches!(error, RustBertError::InvalidConfigurationError(_))
            && error.to_string().contains("num_layers"),
        "{error}"
    );
    let vs = VarStore::new(Device::Cpu);
    let bad = GptNeoConfig {
        num_heads: 3,
        ..Default::default()
    };
    assert!(GptNeoForCausalLM::new(vs.root(), &bad).is_err());

    let option = ConfigOption::from_file(ModelType::GPTNeo, dir().join("config.json")).unwrap();
    assert_eq!(option.get_max_len(), Some(64));
    assert_eq!(option.get_vocab_size(), 400);
    assert!(option.get_label_mapping().is_err());
    assert!(matches!(
        ConfigOption::from_config_file(dir().join("config.json")).unwrap(),
        ConfigOption::GPTNeo(_)
    ));
}

/// In bfloat16 the scores are computed in single precision (as HF does): the logits stay near
/// HF's single-precision ones (measured 0.15 on logits up to 9.2) and generation runs.
#[test]
fn gpt_neo_runs_in_bfloat16() {
    let e = Expected::load(dir().join("expected.safetensors"));
    tch::no_grad(|| {
        let mut vs = VarStore::new(Device::Cpu);
        // Weights load right after: no random initialisation, which would draw from
        // LibTorch's global generator while a sampling test runs.
        let deferred = defer_init();
        let model = GptNeoForCausalLM::new(vs.root(), &config(false)).unwrap();
        drop(deferred);
        load_weights_from_file(&vs, dir().join("model.safetensors")).unwrap();
        vs.bfloat16();
        let mask = e.get("right.attention_mask");
        let out = model
            .forward_t(
                Some(e.get("right.input_ids")),
                None,
                None,
                None,
                None,
                Some(mask),
                false,
            )
            .unwrap();
        assert_eq!(out.lm_logits.kind(), Kind::BFloat16);
        let logits = out.lm_logits.to_kind(Kind::Float);
        assert_close_masked(&logits, e.get("right.logits"), mask, 0.5, "bf16 logits");
    });
    let generator = GptNeoGenerator::new(GenerateConfig {
        kind: Some(Kind::BFloat16),
        ..generate_config()
    })
    .unwrap();
    let out = generator
        .generate_indices(
            Some(&["The children played in the"]),
            Some(GenerateOptions {
                max_new_tokens: Some(6),
                ..Default::default()
            }),
        )
        .unwrap();
    assert!(out[0].indices.len() > 5);
}
