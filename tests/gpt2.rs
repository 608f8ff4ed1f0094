//! GPT-2 and OpenAI GPT parity against HF Transformers 5.24 on tiny random models
//! (tests/fixtures/{gpt2,openai_gpt}, written by utils/fixtures_gpt2.py), from HF's
//! `model.safetensors` and from its conversion to `.ot`, with and without per-layer outputs.
use crate::util::{assert_close, assert_close_masked, fixtures, Expected, TOL};
use rust_bert::common::weights::{load_weights_from_file, read_tensors, write_tensors};
use rust_bert::generation::Cache;
use rust_bert::gpt2::{GPT2LMHeadModel, Gpt2Config, Gpt2Model};
use rust_bert::openai_gpt::{OpenAIGPTLMHeadModel, OpenAiGptModel};
use rust_bert::Config;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join(name)
}

fn config(name: &str, layers: bool) -> Gpt2Config {
    let mut config = Gpt2Config::try_from_file(dir(name).join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

/// Runs `check` from safetensors and from `.ot`, with and without per-layer outputs.
fn for_each_format(name: &str, check: impl Fn(&Path, &Expected, &Gpt2Config)) {
    let scratch = tempfile::tempdir().unwrap();
    let expected = Expected::load(dir(name).join("expected.safetensors"));
    let safetensors = dir(name).join("model.safetensors");
    let ot = scratch.path().join("rust_model.ot");
    write_tensors(&read_tensors(&safetensors).unwrap(), &ot).unwrap();
    for weights in [&safetensors, &ot] {
        for layers in [true, false] {
            tch::no_grad(|| check(weights, &expected, &config(name, layers)));
        }
    }
}

/// `[batch, heads, q, k]` -> `[batch, q, heads, k]`, so that a `[batch, q]` mask selects rows.
fn by_query(attention: &Tensor) -> Tensor {
    attention.transpose(1, 2)
}

/// Compares per-layer outputs: everywhere for right padding, on real tokens for left padding
/// (HF's values at left-padding positions come from fully masked rows and are never read).
fn check_layers(
    hidden: &Option<Vec<Tensor>>,
    attentions: &Option<Vec<Tensor>>,
    e: &Expected,
    config: &Gpt2Config,
    prefix: &str,
    mask: Option<&Tensor>,
) {
    if config.output_attentions.is_none() {
        assert!(hidden.is_none() && attentions.is_none(), "not asked for");
        return;
    }
    let hidden = hidden.as_ref().expect("hidden states");
    let attentions = attentions.as_ref().expect("attentions");
    assert_eq!((hidden.len(), attentions.len()), (3, 2));
    for (i, h) in hidden.iter().enumerate() {
        let what = format!("{prefix}hidden_states.{i}");
        let expected = e.get(&what);
        match mask {
            Some(mask) => assert_close_masked(h, expected, mask, TOL, &what),
            None => assert_close(h, expected, TOL, &what),
        }
    }
    for (i, a) in attentions.iter().enumerate() {
        let what = format!("{prefix}attentions.{i}");
        let expected = e.get(&what);
        match mask {
            Some(mask) => assert_close_masked(&by_query(a), &by_query(expected), mask, TOL, &what),
            None => assert_close(a, expected, TOL, &what),
        }
    }
}

fn load(vs: &VarStore, weights: &Path) {
    let report = load_weights_from_file(vs, weights).unwrap();
    assert!(report.unused.is_empty(), "{:?}", report.unused);
}

#[test]
fn gpt2_padded_batches_match_hf() {
    for_each_format("gpt2", |weights, e, config| {
        let vs = VarStore::new(Device::Cpu);
        let model = GPT2LMHeadModel::new(vs.root(), config);
        load(&vs, weights);
        let right = model
            .forward_t(
                Some(e.get("right.input_ids")),
                None,
                Some(e.get("right.attention_mask")),
                Some(e.get("right.token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap();
        assert_close(&right.lm_logits, e.get("right.logits"), TOL, "right logits");
        let left_mask = e.get("left.attention_mask");
        let left = model
            .forward_t(
                Some(e.get("left.input_ids")),
                None,
                Some(left_mask),
                None,
                Some(e.get("left.position_ids")),
                None,
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
        assert!(
            left.lm_logits.isfinite().all().int64_value(&[]) == 1,
            "no NaN at padding"
        );

        let vs = VarStore::new(Device::Cpu);
        let base = Gpt2Model::new(vs.root(), config);
        load(&vs, weights);
        let out = base
            .forward_t(
                Some(e.get("right.input_ids")),
                None,
                Some(e.get("right.attention_mask")),
                Some(e.get("right.token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap();
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "right.",
            None,
        );
        let out = base
            .forward_t(
                Some(e.get("left.input_ids")),
                None,
                Some(left_mask),
                None,
                Some(e.get("left.position_ids")),
                None,
                false,
            )
            .unwrap();
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "left.",
            Some(left_mask),
        );
    });
}

#[test]
fn gpt2_incremental_decoding_matches_hf() {
    for_each_format("gpt2", |weights, e, config| {
        let vs = VarStore::new(Device::Cpu);
        let model = GPT2LMHeadModel::new(vs.root(), config);
        load(&vs, weights);
        let mut cache = Cache::None;
        let mut steps = Vec::new();
        for k in 0..4 {
            let input = |name: &str| e.get(&format!("step.{k}.{name}")).shallow_clone();
            let out = model
                .forward_t(
                    Some(&input("input_ids")),
                    gpt2_layers(cache).as_ref(),
                    Some(&input("attention_mask")),
                    None,
                    Some(&input("position_ids")),
                    None,
                    false,
                )
                .unwrap();
            let expected = input("logits");
            if k == 0 {
                let mask = input("attention_mask");
                assert_close_masked(&out.lm_logits, &expected, &mask, TOL, "prompt");
            } else {
                assert_close(&out.lm_logits, &expected, TOL, &format!("step {k}"));
                steps.push(out.lm_logits.shallow_clone());
            }
            match &out.cache {
                Cache::GPT2Cache(Some(layers)) => {
                    assert_eq!(layers.len(), 2);
                    assert_eq!(layers[0].size(), [2, 3, 4, 9 + k, 8]);
                }
                other => panic!("unexpected cache {other:?}"),
            }
            cache = out.cache;
        }
        // The same tokens in one forward give the same logits as the steps.
        let full = model
            .forward_t(
                Some(e.get("full.input_ids")),
                None,
                Some(e.get("full.attention_mask")),
                None,
                Some(e.get("full.position_ids")),
                None,
                false,
            )
            .unwrap();
        assert_close_masked(
            &full.lm_logits,
            e.get("full.logits"),
            e.get("full.attention_mask"),
            TOL,
            "full",
        );
        for (k, step) in steps.iter().enumerate() {
            let row = full.lm_logits.narrow(1, 9 + k as i64, 1);
            assert_close(step, &row, TOL, &format!("step {} vs full", k + 1));
        }
    });
}

#[test]
fn gpt2_inputs_beyond_positions_are_errors() {
    tch::no_grad(|| {
        let config = config("gpt2", false);
        assert_eq!(
            config.n_ctx, config.n_positions,
            "n_ctx defaults to n_positions"
        );
        let vs = VarStore::new(Device::Cpu);
        let model = GPT2LMHeadModel::new(vs.root(), &config);
        load(&vs, &dir("gpt2").join("model.safetensors"));
        let too_long = Tensor::ones([1, config.n_positions + 1], (Kind::Int64, Device::Cpu));
        let error = model
            .forward_t(Some(&too_long), None, None, None, None, None, false)
            .unwrap_err();
        assert!(error.to_string().contains("n_positions"), "{error}");

        // The cache counts: 16 cached tokens leave no room for a 17th.
        let prompt = Tensor::ones([1, config.n_positions], (Kind::Int64, Device::Cpu));
        let out = model
            .forward_t(Some(&prompt), None, None, None, None, None, false)
            .unwrap();
        let next = Tensor::ones([1, 1], (Kind::Int64, Device::Cpu));
        assert!(model
            .forward_t(
                Some(&next),
                gpt2_layers(out.cache).as_ref(),
                None,
                None,
                None,
                None,
                false
            )
            .is_err());

        // Explicit positions out of range, ids outside the vocabulary, bad masks and a cache
        // of the wrong depth are errors too.
        let ids = Tensor::ones([1, 3], (Kind::Int64, Device::Cpu));
        let bad_positions = Tensor::from_slice(&[0i64, 1, 16]).unsqueeze(0);
        assert!(model
            .forward_t(
                Some(&ids),
                None,
                None,
                None,
                Some(&bad_positions),
                None,
                false
            )
            .is_err());
        let bad_ids = Tensor::from_slice(&[0i64, 100, 1]).unsqueeze(0);
        assert!(model
            .forward_t(Some(&bad_ids), None, None, None, None, None, false)
            .is_err());
        let bad_mask = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
        assert!(model
            .forward_t(Some(&ids), None, Some(&bad_mask), None, None, None, false)
            .is_err());
        let shallow = Some(vec![Tensor::zeros(
            [2, 1, 4, 3, 8],
            (Kind::Float, Device::Cpu),
        )]);
        assert!(model
            .forward_t(Some(&ids), shallow.as_ref(), None, None, None, None, false)
            .is_err());
        assert!(model
            .forward_t(None, None, None, None, None, None, false)
            .is_err());
    });
}

#[test]
fn gpt2_old_causal_mask_buffer_is_reported_unused() {
    let scratch = tempfile::tempdir().unwrap();
    let mut tensors = read_tensors(dir("gpt2").join("model.safetensors")).unwrap();
    let causal = Tensor::ones([16, 16], (Kind::Float, Device::Cpu))
        .tril(0)
        .view([1, 1, 16, 16]);
    tensors.push(("transformer.h.0.attn.bias".to_string(), causal));
    let ot = scratch.path().join("rust_model.ot");
    write_tensors(&tensors, &ot).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let _model = GPT2LMHeadModel::new(vs.root(), &config("gpt2", false));
    let report = load_weights_from_file(&vs, &ot).unwrap();
    assert_eq!(report.unused, vec!["transformer.h.0.attn.bias".to_string()]);
}

#[test]
fn openai_gpt_padded_batches_match_hf() {
    for_each_format("openai_gpt", |weights, e, config| {
        let vs = VarStore::new(Device::Cpu);
        let model = OpenAIGPTLMHeadModel::new(vs.root(), config);
        load(&vs, weights);
        let right = model
            .forward_t(
                Some(e.get("right.input_ids")),
                Cache::None,
                Some(e.get("right.attention_mask")),
                Some(e.get("right.token_type_ids")),
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap();
        assert_close(&right.lm_logits, e.get("right.logits"), TOL, "right logits");
        assert!(matches!(right.cache, Cache::None));
        let left_mask = e.get("left.attention_mask");
        let left = model
            .forward_t(
                Some(e.get("left.input_ids")),
                Cache::None,
                Some(left_mask),
                None,
                Some(e.get("left.position_ids")),
                None,
                None,
                None,
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

        let vs = VarStore::new(Device::Cpu);
        let base = OpenAiGptModel::new(vs.root(), config);
        load(&vs, weights);
        let out = base
            .forward_t(
                Some(e.get("right.input_ids")),
                Some(e.get("right.attention_mask")),
                Some(e.get("right.token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap();
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "right.",
            None,
        );
        let out = base
            .forward_t(
                Some(e.get("left.input_ids")),
                Some(left_mask),
                None,
                Some(e.get("left.position_ids")),
                None,
                false,
            )
            .unwrap();
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "left.",
            Some(left_mask),
        );
        let too_long = Tensor::ones([1, config.n_positions + 1], (Kind::Int64, Device::Cpu));
        assert!(model
            .forward_t(
                Some(&too_long),
                Cache::None,
                None,
                None,
                None,
                None,
                None,
                None,
                false
            )
            .is_err());
    });
}

/// The per-layer key/value tensors a GPT-2 cache holds: rust-bert's `layer_past` argument.
fn gpt2_layers(cache: Cache) -> Option<Vec<Tensor>> {
    match cache {
        Cache::GPT2Cache(layers) => layers,
        _ => None,
    }
}
