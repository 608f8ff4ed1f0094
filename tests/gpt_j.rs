//! GPT-J parity against HF Transformers 5.24 on a tiny random model (tests/fixtures/gpt_j,
//! written by utils/fixtures_gpt_j.py: rotary embeddings on half of each head, parallel
//! attention and MLP, an untied head with a bias): padded batches layer by layer, incremental
//! decoding, HF `generate` token for token (greedy, two beam settings, sampling under a seed),
//! the text-generation pipeline, and errors instead of panics on bad input.
use crate::gpt_neo::{
    check_generate_cases, check_long_and_empty_prompts, check_pipeline_texts,
    fixture_generate_config,
};
use crate::util::{assert_close, assert_close_masked, fixtures, Expected, TOL};
use rust_bert::common::layers::linear::defer_init;
use rust_bert::common::weights::{load_weights_from_file, read_tensors, write_tensors};
use rust_bert::gpt_j::{GptJConfig, GptJGenerator, GptJLMHeadModel, GptJModel, LayerState};
use rust_bert::pipelines::common::{ConfigOption, ModelType};
use rust_bert::pipelines::generation_utils::{
    Cache, GenerateConfig, GenerateOptions, LanguageGenerator,
};
use rust_bert::Config;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir() -> PathBuf {
    fixtures().join("gpt_j")
}

fn config(layers: bool) -> GptJConfig {
    let mut config = GptJConfig::try_from_file(dir().join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

/// Runs `check` from safetensors and from `.ot`, with and without per-layer outputs (which
/// switch attention between the explicit path and LibTorch's fused kernel).
fn for_each_format(check: impl Fn(&Path, &Expected, &GptJConfig)) {
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

fn lm_head_model(weights: &Path, config: &GptJConfig) -> (VarStore, GptJLMHeadModel) {
    let vs = VarStore::new(Device::Cpu);
    // Weights load right after: no random initialisation, which would draw from
    // LibTorch's global generator while a sampling test runs.
    let deferred = defer_init();
    let model = GptJLMHeadModel::new(vs.root(), config);
    drop(deferred);
    let report = load_weights_from_file(&vs, weights).unwrap();
    assert!(report.unused.is_empty(), "{:?}", report.unused);
    (vs, model)
}

/// rust-bert's head signature: input ids, cache, mask, token types, positions, embeddings,
/// two encoder arguments, train.
fn run(
    model: &GptJLMHeadModel,
    ids: &Tensor,
    cache: Cache,
    mask: Option<&Tensor>,
    positions: Option<&Tensor>,
) -> rust_bert::pipelines::generation_utils::LMModelOutput {
    model
        .forward_t(
            Some(ids),
            cache,
            mask,
            None,
            positions,
            None,
            None,
            None,
            false,
        )
        .unwrap()
}

#[test]
fn gpt_j_padded_batches_match_hf_layer_by_layer() {
    for_each_format(|weights, e, config| {
        let (_vs, model) = lm_head_model(weights, config);
        let right_mask = e.get("right.attention_mask");
        let right = run(
            &model,
            e.get("right.input_ids"),
            Cache::None,
            Some(right_mask),
            None,
        );
        assert_close_masked(
            &right.lm_logits,
            e.get("right.logits"),
            right_mask,
            TOL,
            "right logits",
        );
        let left_mask = e.get("left.attention_mask");
        let left = run(
            &model,
            e.get("left.input_ids"),
            Cache::None,
            Some(left_mask),
            Some(e.get("left.position_ids")),
        );
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
        let base = GptJModel::new(vs.root(), config);
        drop(deferred);
        load_weights_from_file(&vs, weights).unwrap();
        for (prefix, positions) in [("right.", None), ("left.", Some("left.position_ids"))] {
            let mask = e.get(&format!("{prefix}attention_mask"));
            let out = base
                .forward_t(
                    Some(e.get(&format!("{prefix}input_ids"))),
                    None,
                    Some(mask),
                    None,
                    positions.map(|p| e.get(p)),
                    None,
                    false,
                )
                .unwrap();
            if config.output_attentions.is_none() {
                assert!(out.all_hidden_states.is_none() && out.all_attentions.is_none());
                continue;
            }
            let hidden = out.all_hidden_states.unwrap();
            let attentions = out.all_attentions.unwrap();
            assert_eq!((hidden.len(), attentions.len()), (4, 3));
            for (i, h) in hidden.iter().enumerate() {
                let what = format!("{prefix}hidden_states.{i}");
                assert_close_masked(h, e.get(&what), mask, TOL, &what);
            }
            for (i, a) in attentions.iter().enumerate() {
                let what = format!("{prefix}attentions.{i}");
                let expected = e.get(&what).transpose(1, 2);
                assert_close_masked(&a.transpose(1, 2), &expected, mask, TOL, &what);
            }
        }
    });
}

#[test]
fn gpt_j_incremental_decoding_matches_hf() {
    for_each_format(|weights, e, config| {
        let (_vs, model) = lm_head_model(weights, config);
        let mut cache = Cache::None;
        let mut steps = Vec::new();
        let mut seen = 12;
        for k in 0..6 {
            let input = |name: &str| e.get(&format!("step.{k}.{name}")).shallow_clone();
            let ids = input("input_ids");
            let out = run(
                &model,
                &ids,
                cache,
                Some(&input("attention_mask")),
                Some(&input("position_ids")),
            );
            let expected = input("logits");
            if k == 0 {
                let mask = input("attention_mask");
                assert_close_masked(&out.lm_logits, &expected, &mask, TOL, "prompt");
            } else {
                assert_close(&out.lm_logits, &expected, TOL, &format!("step {k}"));
                seen += ids.size()[1];
                steps.push(out.lm_logits.shallow_clone());
            }
            match &out.cache {
                Cache::GPTJCache(Some(states)) => {
                    assert_eq!(states.len(), 3);
                    let first = states[0].as_ref().unwrap();
                    assert_eq!(first.prev_key.size(), [3, 4, seen, 8]);
                }
                other => panic!("unexpected cache {other:?}"),
            }
            cache = out.cache;
        }
        let mask = e.get("full.attention_mask");
        let full = run(
            &model,
            e.get("full.input_ids"),
            Cache::None,
            Some(mask),
            Some(e.get("full.position_ids")),
        );
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

fn generate_config() -> GenerateConfig {
    fixture_generate_config(ModelType::GPTJ, &dir())
}

fn generator() -> GptJGenerator {
    GptJGenerator::new(generate_config()).unwrap()
}

#[test]
fn gpt_j_generate_equals_hf() {
    check_generate_cases(&generator(), &dir());
}

#[test]
fn gpt_j_text_generation_pipeline_equals_hf() {
    check_pipeline_texts(ModelType::GPTJ, &dir());
}

#[test]
fn gpt_j_long_and_empty_prompts_give_results() {
    check_long_and_empty_prompts(&generator(), ModelType::GPTJ, &dir());
}

#[test]
fn gpt_j_bad_inputs_are_errors() {
    tch::no_grad(|| {
        let config = config(false);
        let (_vs, model) = lm_head_model(&dir().join("model.safetensors"), &config);
        let forward = |ids: &Tensor, cache: Cache| {
            model.forward_t(Some(ids), cache, None, None, None, None, None, None, false)
        };
        let too_long = Tensor::ones([1, 65], (Kind::Int64, Device::Cpu));
        let error = forward(&too_long, Cache::None).unwrap_err();
        assert!(error.to_string().contains("n_positions"), "{error}");
        let bad_ids = Tensor::from_slice(&[0i64, 400, 1]).unsqueeze(0);
        assert!(forward(&bad_ids, Cache::None).is_err());
        let ids = Tensor::ones([1, 3], (Kind::Int64, Device::Cpu));
        assert!(forward(&ids, Cache::GPT2Cache(None)).is_err());
        let state = |length: i64, width: i64| LayerState {
            prev_key: Tensor::zeros([1, 4, length, width], (Kind::Float, Device::Cpu)),
            prev_value: Tensor::zeros([1, 4, length, 8], (Kind::Float, Device::Cpu)),
        };
        let cache = |states: Vec<LayerState>| {
            Cache::GPTJCache(Some(states.into_iter().map(Some).collect()))
        };
        assert!(forward(&ids, cache(vec![state(2, 8)])).is_err());
        assert!(forward(&ids, cache(vec![state(2, 7), state(2, 8), state(2, 8)])).is_err());
        // 62 cached tokens leave room for 2 more, not 3.
        assert!(forward(&ids, cache((0..3).map(|_| state(62, 8)).collect())).is_err());
        let bad_positions = Tensor::from_slice(&[0i64, 1, 64]).unsqueeze(0);
        assert!(model
            .forward_t(
                Some(&ids),
                Cache::None,
                None,
                None,
                Some(&bad_positions),
                None,
                None,
                None,
                false
            )
            .is_err());
        assert!(model
            .forward_t(None, Cache::None, None, None, None, None, None, None, false)
            .is_err());
    });
}

#[test]
fn gpt_j_configurations_are_checked_and_wired() {
    let bad = GptJConfig {
        rotary_dim: Some(5),
        ..Default::default()
    };
    let vs = VarStore::new(Device::Cpu);
    let error = GptJLMHeadModel::try_new(vs.root(), &bad).unwrap_err();
    assert!(error.to_string().contains("rotary_dim"), "{error}");
    let option = ConfigOption::from_file(ModelType::GPTJ, dir().join("config.json")).unwrap();
    assert_eq!(option.get_max_len(), Some(64));
    assert_eq!(option.get_vocab_size(), 400);
    assert!(matches!(
        ConfigOption::from_config_file(dir().join("config.json")).unwrap(),
        ConfigOption::GPTJ(_)
    ));
}

/// In bfloat16 (what GPT-J 6B needs on a 24 GB machine), loaded through the generator's
/// `kind`: the logits stay near HF's single-precision ones (measured 0.07 on logits up to 9.5)
/// and generation runs.
#[test]
fn gpt_j_runs_in_bfloat16() {
    let e = Expected::load(dir().join("expected.safetensors"));
    tch::no_grad(|| {
        let mut vs = VarStore::new(Device::Cpu);
        // Weights load right after: no random initialisation, which would draw from
        // LibTorch's global generator while a sampling test runs.
        let deferred = defer_init();
        let model = GptJLMHeadModel::new(vs.root(), &config(false));
        drop(deferred);
        load_weights_from_file(&vs, dir().join("model.safetensors")).unwrap();
        vs.bfloat16();
        let mask = e.get("right.attention_mask");
        let out = run(
            &model,
            e.get("right.input_ids"),
            Cache::None,
            Some(mask),
            None,
        );
        assert_eq!(out.lm_logits.kind(), Kind::BFloat16);
        let logits = out.lm_logits.to_kind(Kind::Float);
        assert_close_masked(&logits, e.get("right.logits"), mask, 0.3, "bf16 logits");
    });
    let generator = GptJGenerator::new(GenerateConfig {
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
