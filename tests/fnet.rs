//! FNet parity against HF Transformers 5.24 on tiny random models (tests/fixtures/fnet/*,
//! written by utils/fixtures_fnet.py): hidden 32, 2 layers, hidden_act silu, layer_norm_eps
//! 0.02, Fourier mixing by FFT. FNet takes no attention mask: the padded batch runs as is (as in
//! HF) and there are no attention probabilities. Each checkpoint is loaded from HF's
//! `model.safetensors` and from the `.ot` our converter makes of it, with and without hidden
//! states. `--nocapture` shows every max |diff|.
use crate::util::{fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::fnet::{
    FNetConfig, FNetForMaskedLM, FNetForMultipleChoice, FNetForQuestionAnswering,
    FNetForSequenceClassification, FNetForTokenClassification, FNetModel,
};
use rust_bert::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("fnet").join(name)
}

fn config(name: &str) -> FNetConfig {
    let mut config = FNetConfig::try_from_file(dir(name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config
}

#[track_caller]
fn close(actual: &Tensor, expected: &Tensor, what: &str) {
    let diff = max_abs_diff(actual, expected);
    eprintln!("fnet {what}: max |diff| {diff:.2e}");
    assert!(diff <= TOL, "{what}: max |diff| = {diff:e} > {TOL:e}");
}

fn for_each_format(name: &str, check: impl Fn(&VarStore, &Path, &Expected, &FNetConfig)) {
    let without_layers = FNetConfig {
        output_hidden_states: None,
        ..config(name)
    };
    crate::util::for_each_format(&dir(name), &[config(name), without_layers], check);
}

fn check_hidden(hidden: &Option<Vec<Tensor>>, e: &Expected, config: &FNetConfig, what: &str) {
    if config.output_hidden_states.is_none() {
        assert!(hidden.is_none(), "{what}");
        return;
    }
    let hidden = hidden.as_ref().expect("hidden states");
    assert_eq!(
        hidden.len(),
        config.num_hidden_layers as usize + 1,
        "{what}"
    );
    for (i, h) in hidden.iter().enumerate() {
        close(
            h,
            e.get(&format!("hidden_states.{i}")),
            &format!("{what} hidden {i}"),
        );
    }
}

/// Runs a model on the fixture's padded batch (ids and token types; no mask in FNet).
macro_rules! on_fixture {
    ($model:expr, $e:expr) => {
        $model
            .forward_t(
                Some($e.get("input_ids")),
                Some($e.get("token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap()
    };
}

fn load_every_tensor(vs: &VarStore, weights: &Path) {
    let report = load_weights_from_file(vs, weights).unwrap();
    assert!(report.unused.is_empty(), "{:?}", report.unused);
    assert!(report.renamed.is_empty(), "{:?}", report.renamed);
}

#[test]
fn base_model_matches_hf() {
    for_each_format("base", |vs, weights, e, config| {
        let model = FNetModel::new(vs.root(), config, true);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        close(&out.hidden_states, e.get("last_hidden_state"), "base");
        close(
            out.pooled_output.as_ref().unwrap(),
            e.get("pooler_output"),
            "pooled",
        );
        check_hidden(&out.all_hidden_states, e, config, "base");
        let run = |ids: Option<&Tensor>,
                   types: Option<&Tensor>,
                   positions: Option<&Tensor>,
                   embeds: Option<&Tensor>| {
            model
                .forward_t(ids, types, positions, embeds, false)
                .unwrap()
        };
        let single = run(Some(e.get("single.input_ids")), None, None, None);
        close(
            &single.hidden_states,
            e.get("single.last_hidden_state"),
            "single",
        );
        close(
            single.pooled_output.as_ref().unwrap(),
            e.get("single.pooler_output"),
            "single pooled",
        );
        let types = Some(e.get("token_type_ids"));
        let embeds = run(None, types, None, Some(e.get("embeds.inputs_embeds")));
        close(
            &embeds.hidden_states,
            e.get("embeds.last_hidden_state"),
            "input_embeddings",
        );
        let explicit = run(
            Some(e.get("input_ids")),
            types,
            Some(e.get("explicit.position_ids")),
            None,
        );
        close(
            &explicit.hidden_states,
            e.get("explicit.last_hidden_state"),
            "positions",
        );
    });
}

#[test]
fn a_misread_epsilon_or_activation_would_fail_the_fixtures() {
    let e = Expected::load(dir("base").join("expected.safetensors"));
    for config in [
        FNetConfig {
            layer_norm_eps: None,
            ..config("base")
        },
        FNetConfig {
            hidden_act: rust_bert::Activation::gelu_new,
            ..config("base")
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        let model = FNetModel::new(vs.root(), &config, true);
        load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
        let out = tch::no_grad(|| on_fixture!(model, e));
        let diff = max_abs_diff(&out.hidden_states, e.get("last_hidden_state"));
        assert!(diff > 100.0 * TOL, "{diff}");
    }
}

#[test]
fn masked_lm_matches_hf() {
    for (name, unused) in [
        ("masked_lm", Vec::<String>::new()),
        // Untied, HF reads decoder.weight and decoder.bias; the head's own bias is unread.
        ("masked_lm_untied", vec!["cls.predictions.bias".to_string()]),
    ] {
        for_each_format(name, |vs, weights, e, config| {
            let model = FNetForMaskedLM::new(vs.root(), config);
            let report = load_weights_from_file(vs, weights).unwrap();
            assert_eq!(report.unused, unused, "{name}");
            let out = on_fixture!(model, e);
            assert_eq!(out.prediction_scores.size(), [3, 9, 100]);
            close(&out.prediction_scores, e.get("logits"), name);
            check_hidden(&out.all_hidden_states, e, config, name);
        });
    }
}

#[test]
fn sequence_classification_matches_hf() {
    for_each_format("sequence_classification", |vs, weights, e, config| {
        let model = FNetForSequenceClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [3, 3]);
        close(&out.logits, e.get("logits"), "sequence classification");
        check_hidden(&out.all_hidden_states, e, config, "seq");
    });
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config| {
        let model = FNetForTokenClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [3, 9, 5]);
        close(&out.logits, e.get("logits"), "token classification");
        check_hidden(&out.all_hidden_states, e, config, "tok");
    });
}

#[test]
fn question_answering_matches_hf() {
    for_each_format("question_answering", |vs, weights, e, config| {
        let model = FNetForQuestionAnswering::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        close(&out.start_logits, e.get("start_logits"), "qa start");
        close(&out.end_logits, e.get("end_logits"), "qa end");
        check_hidden(&out.all_hidden_states, e, config, "qa");
    });
}

#[test]
fn multiple_choice_matches_hf() {
    for_each_format("multiple_choice", |vs, weights, e, config| {
        let model = FNetForMultipleChoice::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [2, 3]);
        close(&out.logits, e.get("logits"), "multiple choice");
        check_hidden(&out.all_hidden_states, e, config, "mc");
    });
}

#[test]
fn bad_configs_and_inputs_are_errors() {
    let base = config("base");
    for config in [
        FNetConfig {
            hidden_size: 0,
            ..base.clone()
        },
        FNetConfig {
            vocab_size: -1,
            ..base.clone()
        },
        FNetConfig {
            layer_norm_eps: Some(f64::INFINITY),
            ..base.clone()
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        let error = FNetModel::try_new(vs.root(), &config, true).unwrap_err();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_)),
            "{error}"
        );
        assert!(FNetForMaskedLM::try_new(vs.root(), &config).is_err());
        assert!(FNetForQuestionAnswering::try_new(vs.root(), &config).is_err());
    }
    let vs = VarStore::new(Device::Cpu);
    let error = FNetForSequenceClassification::new(vs.root(), &base).unwrap_err();
    assert!(error.to_string().contains("id2label"), "{error}");
    assert!(FNetForTokenClassification::new(vs.root(), &base).is_err());

    let vs = VarStore::new(Device::Cpu);
    let model = FNetModel::new(vs.root(), &base, true);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
    let run = |ids: &Tensor| model.forward_t(Some(ids), None, None, None, false);
    let long = Tensor::ones([1, 65], (Kind::Int64, Device::Cpu));
    assert!(run(&long)
        .unwrap_err()
        .to_string()
        .contains("max_position_embeddings"));
    assert!(run(&Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu))).is_err());
    assert!(run(&Tensor::from_slice(&[2i64, 100, 3]).unsqueeze(0)).is_err());
    assert!(run(&Tensor::from_slice(&[2i64, 3])).is_err());
    let none = tch::no_grad(|| run(&Tensor::zeros([0, 3], (Kind::Int64, Device::Cpu)))).unwrap();
    assert_eq!(none.hidden_states.size(), [0, 3, 32]);
    let ids = Tensor::from_slice(&[2i64, 5, 3]).unsqueeze(0);
    let mc = FNetForMultipleChoice::new(vs.root(), &base);
    assert!(mc.forward_t(Some(&ids), None, None, None, false).is_err());

    // HF's TPU variant only takes sequences of tpu_short_seq_length tokens; the transform is
    // the same DFT (computed by FFT here).
    let tpu = FNetConfig {
        use_tpu_fourier_optimizations: Some(true),
        tpu_short_seq_length: Some(9),
        ..base.clone()
    };
    let e = Expected::load(dir("base").join("expected.safetensors"));
    let vs = VarStore::new(Device::Cpu);
    let model = FNetModel::new(vs.root(), &tpu, true);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
    let out = tch::no_grad(|| on_fixture!(model, e));
    close(&out.hidden_states, e.get("last_hidden_state"), "tpu layout");
    let error = model
        .forward_t(Some(&ids), None, None, None, false)
        .unwrap_err();
    assert!(
        error.to_string().contains("tpu_short_seq_length"),
        "{error}"
    );
}

#[test]
fn configs_take_hf_defaults_for_omitted_keys() {
    let config: FNetConfig =
        rust_bert::common::config::parse_config(r#"{"model_type": "fnet"}"#, "test").unwrap();
    assert_eq!(
        (
            config.vocab_size,
            config.hidden_size,
            config.num_hidden_layers,
            config.intermediate_size,
            config.type_vocab_size
        ),
        (32000, 768, 12, 3072, 4)
    );
    assert_eq!(config.hidden_act, rust_bert::Activation::gelu_new);
    assert_eq!(config.layer_norm_eps(), 1e-12);
    assert!(FNetConfig::default().check().is_ok());
}
