//! MPNet parity against HF Transformers 5.24 on tiny random models (tests/fixtures/mpnet/*,
//! written by utils/fixtures_mpnet.py): hidden 32, 2 layers, hidden_act silu,
//! layer_norm_eps 0.02, a 40-row relative position table (HF buckets into 32 whatever the
//! table's size), a batch padded with id 1 of lengths 14 / 9 / 5 (distances past the exact
//! buckets). Each checkpoint is loaded from HF's `model.safetensors` and from the `.ot` our
//! converter makes of it, with and without per-layer outputs. `--nocapture` prints every max
//! |diff|.
use crate::util::{fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::mpnet::{
    MPNetConfig, MPNetForMaskedLM, MPNetForMultipleChoice, MPNetForQuestionAnswering,
    MPNetForSequenceClassification, MPNetForTokenClassification, MPNetModel,
};
use rust_bert::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("mpnet").join(name)
}

fn config(name: &str) -> MPNetConfig {
    let mut config = MPNetConfig::try_from_file(dir(name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

#[track_caller]
fn close(actual: &Tensor, expected: &Tensor, what: &str) {
    let diff = max_abs_diff(actual, expected);
    eprintln!("mpnet {what}: max |diff| {diff:.2e}");
    assert!(diff <= TOL, "{what}: max |diff| = {diff:e} > {TOL:e}");
}

/// Runs `check` from safetensors and `.ot`, with and without per-layer outputs.
fn for_each_format(name: &str, check: impl Fn(&VarStore, &Path, &Expected, &MPNetConfig)) {
    let without_layers = MPNetConfig {
        output_hidden_states: None,
        output_attentions: None,
        ..config(name)
    };
    crate::util::for_each_format(&dir(name), &[config(name), without_layers], check);
}

fn check_layers(
    hidden: &Option<Vec<Tensor>>,
    attentions: &Option<Vec<Tensor>>,
    expected: &Expected,
    config: &MPNetConfig,
    what: &str,
) {
    if config.output_attentions.is_none() {
        assert!(hidden.is_none() && attentions.is_none(), "{what}");
        return;
    }
    let layers = config.num_hidden_layers as usize;
    let hidden = hidden.as_ref().expect("hidden states");
    let attentions = attentions.as_ref().expect("attentions");
    assert_eq!(hidden.len(), layers + 1, "{what}: hidden states");
    assert_eq!(attentions.len(), layers, "{what}: attentions");
    for (i, h) in hidden.iter().enumerate() {
        close(
            h,
            expected.get(&format!("hidden_states.{i}")),
            &format!("{what} hidden {i}"),
        );
    }
    for (i, a) in attentions.iter().enumerate() {
        close(
            a,
            expected.get(&format!("attentions.{i}")),
            &format!("{what} attention {i}"),
        );
    }
}

/// Runs a model on the fixture's padded batch (ids and mask; default positions).
macro_rules! on_fixture {
    ($model:expr, $method:ident, $e:expr) => {
        $model
            .$method(
                Some($e.get("input_ids")),
                Some($e.get("attention_mask")),
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
        let model = MPNetModel::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, forward_t, e);
        close(&out.hidden_state, e.get("last_hidden_state"), "base");
        close(
            out.pooled_output.as_ref().unwrap(),
            e.get("pooler_output"),
            "pooler",
        );
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "base",
        );
        let run = |ids: Option<&Tensor>,
                   mask: Option<&Tensor>,
                   positions: Option<&Tensor>,
                   embeds: Option<&Tensor>| {
            model
                .forward_t(ids, mask, positions, embeds, false)
                .unwrap()
        };
        let single = run(Some(e.get("single.input_ids")), None, None, None);
        close(
            &single.hidden_state,
            e.get("single.last_hidden_state"),
            "single",
        );
        close(
            single.pooled_output.as_ref().unwrap(),
            e.get("single.pooler_output"),
            "single pooler",
        );
        let mask = Some(e.get("attention_mask"));
        let embeds = run(None, mask, None, Some(e.get("embeds.inputs_embeds")));
        close(
            &embeds.hidden_state,
            e.get("embeds.last_hidden_state"),
            "input_embeds",
        );
        let explicit = run(
            Some(e.get("input_ids")),
            mask,
            Some(e.get("explicit.position_ids")),
            None,
        );
        close(
            &explicit.hidden_state,
            e.get("explicit.last_hidden_state"),
            "positions",
        );
    });
}

#[test]
fn a_misread_epsilon_or_activation_would_fail_the_fixtures() {
    let e = Expected::load(dir("base").join("expected.safetensors"));
    for config in [
        MPNetConfig {
            layer_norm_eps: None,
            ..config("base")
        },
        MPNetConfig {
            hidden_act: rust_bert::Activation::gelu,
            ..config("base")
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        let model = MPNetModel::new(vs.root(), &config);
        load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
        let out = tch::no_grad(|| on_fixture!(model, forward_t, e));
        let diff = max_abs_diff(&out.hidden_state, e.get("last_hidden_state"));
        assert!(diff > 100.0 * TOL, "{diff}");
    }
}

#[test]
fn relative_positions_bucket_into_32_whatever_the_table_size() {
    use rust_bert::common::layers::relative_position_bucket;
    // Distances 0..=13 either way, as in the fixture: with 32 buckets (HF's MPNet) and with the
    // 40 of the fixture's relative_attention_num_buckets the buckets differ, so bucketing with
    // the configuration's value would not reproduce HF.
    let positions = Tensor::arange_start(-13, 14, (Kind::Int64, Device::Cpu));
    let with_32 = relative_position_bucket(&positions, true, 32, 128);
    let with_40 = relative_position_bucket(&positions, true, 40, 128);
    assert!(with_32.ne_tensor(&with_40).any().int64_value(&[]) == 1);
    assert_eq!(config("base").relative_attention_num_buckets, 40);
    // A table smaller than the 32 buckets is an error on input, not a crash.
    let small = MPNetConfig {
        relative_attention_num_buckets: 8,
        ..config("base")
    };
    let vs = VarStore::new(Device::Cpu);
    let model = MPNetModel::new(vs.root(), &small);
    let ids = Tensor::from_slice(&[0i64, 5, 6, 2]).unsqueeze(0);
    let error = tch::no_grad(|| model.forward_t(Some(&ids), None, None, None, false)).unwrap_err();
    assert!(
        error.to_string().contains("relative_attention_bias"),
        "{error}"
    );
}

#[test]
fn masked_lm_matches_hf() {
    for name in ["masked_lm", "masked_lm_untied"] {
        for_each_format(name, |vs, weights, e, config| {
            let model = MPNetForMaskedLM::new(vs.root(), config);
            let report = load_weights_from_file(vs, weights).unwrap();
            // Untied, HF saves `lm_head.bias` beside the decoder's own bias, which is the one
            // applied: the former is reported unused.
            let unused: Vec<&str> = if name == "masked_lm" {
                vec![]
            } else {
                vec!["lm_head.bias"]
            };
            assert_eq!(report.unused, unused);
            let out = on_fixture!(model, try_forward_t, e);
            assert_eq!(out.prediction_scores.size(), [3, 14, 100]);
            close(&out.prediction_scores, e.get("logits"), name);
            check_layers(&out.all_hidden_states, &out.all_attentions, e, config, name);
            let bare = model.forward_t(Some(e.get("input_ids")), None, None, None, false);
            assert_eq!(bare.prediction_scores.size(), [3, 14, 100]);
        });
    }
}

#[test]
fn sequence_classification_matches_hf() {
    for_each_format("sequence_classification", |vs, weights, e, config| {
        let model = MPNetForSequenceClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, try_forward_t, e);
        assert_eq!(out.logits.size(), [3, 3]);
        close(&out.logits, e.get("logits"), "sequence classification");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "seq",
        );
        let bare = model.forward_t(Some(e.get("input_ids")), None, None, None, false);
        assert_eq!(bare.logits.size(), [3, 3]);
    });
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config| {
        let model = MPNetForTokenClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, try_forward_t, e);
        assert_eq!(out.logits.size(), [3, 14, 5]);
        close(&out.logits, e.get("logits"), "token classification");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "tok",
        );
        let bare = model.forward_t(Some(e.get("input_ids")), None, None, None, false);
        assert_eq!(bare.logits.size(), [3, 14, 5]);
    });
}

#[test]
fn question_answering_matches_hf() {
    for_each_format("question_answering", |vs, weights, e, config| {
        let model = MPNetForQuestionAnswering::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, try_forward_t, e);
        close(&out.start_logits, e.get("start_logits"), "qa start");
        close(&out.end_logits, e.get("end_logits"), "qa end");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "qa");
        let bare = model.forward_t(Some(e.get("input_ids")), None, None, None, false);
        assert_eq!(bare.start_logits.size(), [3, 14]);
    });
}

#[test]
fn multiple_choice_matches_hf() {
    for_each_format("multiple_choice", |vs, weights, e, config| {
        let model = MPNetForMultipleChoice::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, try_forward_t, e);
        assert_eq!(out.logits.size(), [2, 3]);
        close(&out.logits, e.get("logits"), "multiple choice");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "mc");
        let bare = model.forward_t(Some(e.get("input_ids")), None, None, None, false);
        assert_eq!(bare.logits.size(), [2, 3]);
    });
}

#[test]
fn a_head_checkpoint_loads_into_the_base_model() {
    let config = config("sequence_classification");
    let vs = VarStore::new(Device::Cpu);
    let _model = MPNetModel::new_with_optional_pooler(vs.root(), &config, false).unwrap();
    let report = load_weights_from_file(
        &vs,
        dir("sequence_classification").join("model.safetensors"),
    )
    .unwrap();
    let mut unused = report.unused.clone();
    unused.sort();
    assert_eq!(
        unused,
        [
            "classifier.dense.bias",
            "classifier.dense.weight",
            "classifier.out_proj.bias",
            "classifier.out_proj.weight"
        ]
    );
}

#[test]
fn bad_configs_and_inputs_are_errors() {
    let base = config("base");
    let bad = [
        MPNetConfig {
            num_attention_heads: 5,
            ..base.clone()
        },
        MPNetConfig {
            relative_attention_num_buckets: 0,
            ..base.clone()
        },
        MPNetConfig {
            vocab_size: -3,
            ..base.clone()
        },
        MPNetConfig {
            layer_norm_eps: Some(f64::NAN),
            ..base.clone()
        },
    ];
    for config in &bad {
        let vs = VarStore::new(Device::Cpu);
        let error = MPNetModel::try_new(vs.root(), config).unwrap_err();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_)),
            "{error}"
        );
        assert!(MPNetForMaskedLM::try_new(vs.root(), config).is_err());
        assert!(MPNetForQuestionAnswering::try_new(vs.root(), config).is_err());
        assert!(MPNetForMultipleChoice::try_new(vs.root(), config).is_err());
    }
    let caught = std::panic::catch_unwind(|| {
        let vs = VarStore::new(Device::Cpu);
        MPNetModel::new(vs.root(), &bad[0]);
    });
    assert!(caught.is_err());
    let vs = VarStore::new(Device::Cpu);
    let error = MPNetForSequenceClassification::new(vs.root(), &base).unwrap_err();
    assert!(error.to_string().contains("id2label"), "{error}");
    assert!(MPNetForTokenClassification::new(vs.root(), &base).is_err());
    let error = rust_bert::common::config::parse_config::<MPNetConfig>(
        r#"{"relative_attention_num_buckets": "many"}"#,
        "mpnet.json",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("relative_attention_num_buckets"), "{error}");

    let vs = VarStore::new(Device::Cpu);
    let model = MPNetModel::new(vs.root(), &base);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
    let run = |ids: &Tensor| model.forward_t(Some(ids), None, None, None, false);
    // 38 tokens fit the 40 positions (counted from 2); 39 do not.
    let fits = Tensor::full([1, 38], 5, (Kind::Int64, Device::Cpu));
    assert!(tch::no_grad(|| run(&fits)).is_ok());
    let long = Tensor::full([1, 39], 5, (Kind::Int64, Device::Cpu));
    assert!(run(&long)
        .unwrap_err()
        .to_string()
        .contains("max_position_embeddings"));
    let empty = Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu));
    assert!(run(&empty).is_err());
    assert!(run(&Tensor::from_slice(&[0i64, 100, 2]).unsqueeze(0)).is_err());
    assert!(run(&Tensor::from_slice(&[0i64, 2])).is_err());
    let mask = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
    let ids = Tensor::from_slice(&[0i64, 5, 2]).unsqueeze(0);
    assert!(model
        .forward_t(Some(&ids), Some(&mask), None, None, false)
        .is_err());
    let none = Tensor::zeros([0, 3], (Kind::Int64, Device::Cpu));
    let out = tch::no_grad(|| run(&none)).unwrap();
    assert_eq!(out.hidden_state.size(), [0, 3, 32]);
    let vs = VarStore::new(Device::Cpu);
    let mc = MPNetForMultipleChoice::new(vs.root(), &base);
    assert!(mc
        .try_forward_t(Some(&ids), None, None, None, false)
        .is_err());
}

#[test]
fn configs_take_hf_defaults_for_omitted_keys() {
    let config: MPNetConfig =
        rust_bert::common::config::parse_config(r#"{"model_type": "mpnet"}"#, "test").unwrap();
    assert_eq!(
        (
            config.vocab_size,
            config.hidden_size,
            config.num_hidden_layers,
            config.num_attention_heads,
            config.intermediate_size,
            config.max_position_embeddings,
            config.relative_attention_num_buckets
        ),
        (30527, 768, 12, 12, 3072, 512, 32)
    );
    assert_eq!(config.hidden_act, rust_bert::Activation::gelu);
    assert_eq!(config.layer_norm_eps(), 1e-12);
}

#[test]
fn model_type_and_config_option_read_mpnet() {
    use rust_bert::pipelines::common::{ConfigOption, ModelType};
    let path = dir("sequence_classification").join("config.json");
    assert_eq!(
        ModelType::from_config_file(&path).unwrap(),
        ModelType::MPNet
    );
    assert_eq!("mpnet".parse::<ModelType>().unwrap(), ModelType::MPNet);
    let config = ConfigOption::from_config_file(&path).unwrap();
    assert!(matches!(config, ConfigOption::MPNet(_)));
    assert_eq!(config.get_max_len(), Some(38));
    assert_eq!(config.get_vocab_size(), 100);
    assert_eq!(config.get_label_mapping().unwrap().len(), 3);
    assert!(MPNetConfig::try_from(&config).is_ok());
    assert!(rust_bert::bert::BertConfig::try_from(&config).is_err());
}
