//! MobileBERT parity against HF Transformers 5.24 on tiny random models
//! (tests/fixtures/mobilebert/*, written by utils/fixtures_mobilebert.py): four layouts of the
//! base model (NoNorm + trigram + shared query/key bottleneck + 3 FFNs; LayerNorm + bottleneck
//! attention + 1 FFN + no pooler activation; no bottleneck; unshared bottleneck) and every head.
//! Each checkpoint is loaded from HF's `model.safetensors` and from the `.ot` our converter
//! makes of it, with and without per-layer outputs. `--nocapture` shows every max |diff|.
use crate::util::{fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::mobilebert::{
    MobileBertConfig, MobileBertForMaskedLM, MobileBertForMultipleChoice,
    MobileBertForQuestionAnswering, MobileBertForSequenceClassification,
    MobileBertForTokenClassification, MobileBertModel, NormalizationType,
};
use rust_bert::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("mobilebert").join(name)
}

fn config(name: &str) -> MobileBertConfig {
    let mut config = MobileBertConfig::try_from_file(dir(name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

#[track_caller]
fn close(actual: &Tensor, expected: &Tensor, what: &str) {
    let diff = max_abs_diff(actual, expected);
    eprintln!("mobilebert {what}: max |diff| {diff:.2e}");
    assert!(diff <= TOL, "{what}: max |diff| = {diff:e} > {TOL:e}");
}

/// Runs `check` from safetensors and `.ot`, with and without per-layer outputs.
fn for_each_format(name: &str, check: impl Fn(&VarStore, &Path, &Expected, &MobileBertConfig)) {
    let without_layers = MobileBertConfig {
        output_hidden_states: None,
        output_attentions: None,
        ..config(name)
    };
    crate::util::for_each_format(&dir(name), &[config(name), without_layers], check);
}

/// Per-layer outputs against HF's: `layers + 1` hidden states and `layers` attentions.
fn check_layers(
    hidden: &Option<Vec<Tensor>>,
    attentions: &Option<Vec<Tensor>>,
    expected: &Expected,
    config: &MobileBertConfig,
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

/// Runs a model on the fixture's padded batch (rust-bert's argument order: ids, token types,
/// positions, embeddings, mask).
macro_rules! on_fixture {
    ($model:expr, $e:expr) => {
        $model
            .forward_t(
                Some($e.get("input_ids")),
                Some($e.get("token_type_ids")),
                None,
                None,
                Some($e.get("attention_mask")),
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
fn every_base_layout_matches_hf() {
    for name in ["base", "layer_norm", "no_bottleneck", "unshared"] {
        for_each_format(name, |vs, weights, e, config| {
            let model = MobileBertModel::new(vs.root(), config, true);
            load_every_tensor(vs, weights);
            let out = on_fixture!(model, e);
            close(&out.hidden_state, e.get("last_hidden_state"), name);
            close(
                out.pooled_output.as_ref().unwrap(),
                e.get("pooler_output"),
                &format!("{name} pooled"),
            );
            check_layers(&out.all_hidden_states, &out.all_attentions, e, config, name);
        });
    }
}

#[test]
fn base_model_inputs_match_hf() {
    for_each_format("base", |vs, weights, e, config| {
        let model = MobileBertModel::new(vs.root(), config, true);
        load_every_tensor(vs, weights);
        let run = |ids: Option<&Tensor>,
                   types: Option<&Tensor>,
                   positions: Option<&Tensor>,
                   embeds: Option<&Tensor>,
                   mask: Option<&Tensor>| {
            model
                .forward_t(ids, types, positions, embeds, mask, false)
                .unwrap()
        };
        let single = run(Some(e.get("single.input_ids")), None, None, None, None);
        close(
            &single.hidden_state,
            e.get("single.last_hidden_state"),
            "single",
        );
        close(
            single.pooled_output.as_ref().unwrap(),
            e.get("single.pooler_output"),
            "single pooled",
        );
        let ids = Some(e.get("input_ids"));
        let mask = Some(e.get("attention_mask"));
        let types = Some(e.get("token_type_ids"));
        let nomask = run(ids, types, None, None, None);
        close(
            &nomask.hidden_state,
            e.get("batch_nomask.last_hidden_state"),
            "no mask",
        );
        // Word embeddings (embedding_size wide) go through the trigram input like looked-up ones.
        let embeds = run(None, types, None, Some(e.get("embeds.inputs_embeds")), mask);
        close(
            &embeds.hidden_state,
            e.get("embeds.last_hidden_state"),
            "input_embeds",
        );
        let explicit = run(ids, types, Some(e.get("explicit.position_ids")), None, mask);
        close(
            &explicit.hidden_state,
            e.get("explicit.last_hidden_state"),
            "positions",
        );
    });
}

#[test]
fn misread_fields_would_fail_the_fixtures() {
    // Each of these fields, read as its default (or as the other normalisation) instead of the
    // fixture's value, moves the output far outside the tolerance.
    let variants = [
        (
            "layer_norm",
            MobileBertConfig {
                layer_norm_eps: None,
                ..config("layer_norm")
            },
        ),
        (
            "layer_norm",
            MobileBertConfig {
                hidden_act: rust_bert::Activation::relu,
                ..config("layer_norm")
            },
        ),
        // NoNorm has LayerNorm's variables: only the numbers tell them apart.
        (
            "no_bottleneck",
            MobileBertConfig {
                normalization_type: Some(NormalizationType::no_norm),
                ..config("no_bottleneck")
            },
        ),
        (
            "layer_norm",
            MobileBertConfig {
                use_bottleneck_attention: None,
                ..config("layer_norm")
            },
        ),
    ];
    for (folder, config) in &variants {
        let e = Expected::load(dir(folder).join("expected.safetensors"));
        let vs = VarStore::new(Device::Cpu);
        let model = MobileBertModel::new(vs.root(), config, true);
        let loaded = load_weights_from_file(&vs, dir(folder).join("model.safetensors"));
        if loaded.is_err() {
            continue; // a layout that cannot even load fails too
        }
        let out = tch::no_grad(|| on_fixture!(model, e));
        let diff = max_abs_diff(&out.hidden_state, e.get("last_hidden_state"));
        assert!(diff > 100.0 * TOL, "{config:?}: {diff}");
    }
    // Layouts that change the variables cannot load the checkpoint.
    for config in [
        MobileBertConfig {
            num_feedforward_networks: None,
            ..config("base")
        },
        MobileBertConfig {
            trigram_input: Some(false),
            ..config("base")
        },
        MobileBertConfig {
            intra_bottleneck_size: None,
            ..config("base")
        },
        MobileBertConfig {
            classifier_activation: Some(false),
            ..config("base")
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        let _model = MobileBertModel::new(vs.root(), &config, true);
        let loaded = load_weights_from_file(&vs, dir("base").join("model.safetensors"));
        assert!(
            loaded.is_err() || !loaded.unwrap().unused.is_empty(),
            "{config:?}"
        );
    }
}

#[test]
fn masked_lm_matches_hf() {
    for (name, unused) in [
        ("masked_lm", Vec::<String>::new()),
        // Untied, HF adds decoder.bias; the head's own bias stays in the file, unread.
        ("masked_lm_untied", vec![]),
    ] {
        for_each_format(name, |vs, weights, e, config| {
            let model = MobileBertForMaskedLM::new(vs.root(), config);
            let report = load_weights_from_file(vs, weights).unwrap();
            assert_eq!(report.unused, unused, "{name}");
            let out = on_fixture!(model, e);
            assert_eq!(out.logits.size(), [3, 9, 100]);
            close(&out.logits, e.get("logits"), name);
            check_layers(&out.all_hidden_states, &out.all_attentions, e, config, name);
        });
    }
}

#[test]
fn sequence_classification_matches_hf() {
    for_each_format("sequence_classification", |vs, weights, e, config| {
        let model = MobileBertForSequenceClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [3, 3]);
        close(&out.logits, e.get("logits"), "sequence classification");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "seq",
        );
    });
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config| {
        let model = MobileBertForTokenClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [3, 9, 5]);
        close(&out.logits, e.get("logits"), "token classification");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "tok",
        );
    });
}

#[test]
fn question_answering_matches_hf() {
    for_each_format("question_answering", |vs, weights, e, config| {
        let model = MobileBertForQuestionAnswering::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        close(&out.start_logits, e.get("start_logits"), "qa start");
        close(&out.end_logits, e.get("end_logits"), "qa end");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "qa");
    });
}

#[test]
fn multiple_choice_matches_hf() {
    for_each_format("multiple_choice", |vs, weights, e, config| {
        let model = MobileBertForMultipleChoice::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [2, 3]);
        close(&out.logits, e.get("logits"), "multiple choice");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "mc");
    });
}

#[test]
fn bad_configs_and_inputs_are_errors() {
    let base = config("base");
    let bad = [
        MobileBertConfig {
            num_attention_heads: 5,
            ..base.clone()
        },
        MobileBertConfig {
            intra_bottleneck_size: Some(0),
            ..base.clone()
        },
        // Queries from the 32-wide layer input into a 24-wide bottleneck: HF fails in a matmul.
        MobileBertConfig {
            key_query_shared_bottleneck: Some(false),
            ..base.clone()
        },
        MobileBertConfig {
            num_feedforward_networks: Some(0),
            ..base.clone()
        },
        MobileBertConfig {
            layer_norm_eps: Some(f64::NAN),
            ..base.clone()
        },
    ];
    for config in &bad {
        let vs = VarStore::new(Device::Cpu);
        let error = MobileBertModel::try_new(vs.root(), config, true).unwrap_err();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_)),
            "{error}"
        );
        assert!(MobileBertForMaskedLM::try_new(vs.root(), config).is_err());
        assert!(MobileBertForQuestionAnswering::try_new(vs.root(), config).is_err());
        assert!(MobileBertForMultipleChoice::try_new(vs.root(), config).is_err());
    }
    let caught = std::panic::catch_unwind(|| {
        let vs = VarStore::new(Device::Cpu);
        MobileBertModel::new(vs.root(), &bad[0], true);
    });
    assert!(caught.is_err());
    let vs = VarStore::new(Device::Cpu);
    let error = MobileBertForSequenceClassification::new(vs.root(), &base).unwrap_err();
    assert!(error.to_string().contains("id2label"), "{error}");
    assert!(MobileBertForTokenClassification::new(vs.root(), &base).is_err());
    let error = rust_bert::common::config::parse_config::<MobileBertConfig>(
        r#"{"normalization_type": "batch_norm"}"#,
        "mobilebert.json",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("normalization_type"), "{error}");

    let vs = VarStore::new(Device::Cpu);
    let model = MobileBertModel::new(vs.root(), &base, true);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
    let run = |ids: &Tensor| model.forward_t(Some(ids), None, None, None, None, false);
    let long = Tensor::ones([1, 65], (Kind::Int64, Device::Cpu));
    assert!(run(&long)
        .unwrap_err()
        .to_string()
        .contains("max_position_embeddings"));
    assert!(run(&Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu))).is_err());
    assert!(run(&Tensor::from_slice(&[2i64, 100, 3]).unsqueeze(0)).is_err());
    assert!(run(&Tensor::from_slice(&[2i64, 3])).is_err());
    let ids = Tensor::from_slice(&[2i64, 5, 3]).unsqueeze(0);
    let mask = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
    assert!(model
        .forward_t(Some(&ids), None, None, None, Some(&mask), false)
        .is_err());
    let types = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
    assert!(model
        .forward_t(Some(&ids), Some(&types), None, None, None, false)
        .is_err());
    // A one-token sequence (the trigram input has no neighbours) and an empty batch.
    let one = tch::no_grad(|| run(&Tensor::from_slice(&[2i64]).unsqueeze(0))).unwrap();
    assert_eq!(one.hidden_state.size(), [1, 1, 32]);
    let none = tch::no_grad(|| run(&Tensor::zeros([0, 3], (Kind::Int64, Device::Cpu)))).unwrap();
    assert_eq!(none.hidden_state.size(), [0, 3, 32]);
    let mc = MobileBertForMultipleChoice::new(vs.root(), &base);
    assert!(mc
        .forward_t(Some(&ids), None, None, None, None, false)
        .is_err());
}

#[test]
fn configs_take_hf_defaults_for_omitted_keys() {
    let config: MobileBertConfig =
        rust_bert::common::config::parse_config(r#"{"model_type": "mobilebert"}"#, "test").unwrap();
    assert_eq!(
        (
            config.vocab_size,
            config.hidden_size,
            config.embedding_size,
            config.num_hidden_layers,
            config.intermediate_size,
            config.true_hidden_size(),
            config.num_feedforward_networks()
        ),
        (30522, 512, 128, 24, 512, 128, 4)
    );
    assert_eq!(config.hidden_act, rust_bert::Activation::relu);
    assert_eq!(config.normalization_type(), NormalizationType::no_norm);
    assert_eq!(config.hidden_dropout_prob, 0.0);
    let config: MobileBertConfig =
        rust_bert::common::config::parse_config(r#"{"pad_token_id": 7}"#, "test").unwrap();
    assert_eq!(config.pad_token_idx, Some(7));
    // rust-bert's Default is HF's configuration too.
    let default = MobileBertConfig::default();
    assert_eq!(default.true_hidden_size(), 128);
    assert!(default.check().is_ok());
}

#[test]
fn pipelines_match_hf() {
    let worst = crate::pipeline_refs::check(&crate::pipeline_refs::Family {
        model_type: rust_bert::pipelines::common::ModelType::MobileBert,
        dir: dir("pipelines"),
        vocab: fixtures().join("pipeline_classification/vocab.txt"),
        lower_case: true,
        strip_accents: None,
    });
    eprintln!("mobilebert pipelines: max |score diff| {worst:.2e}");
}

#[test]
fn config_option_and_model_type_come_from_config_json() {
    use rust_bert::pipelines::common::{ConfigOption, ModelType};
    let path = dir("sequence_classification").join("config.json");
    assert_eq!(
        ModelType::from_config_file(&path).unwrap(),
        ModelType::MobileBert
    );
    let config = ConfigOption::from_config_file(&path).unwrap();
    assert!(matches!(config, ConfigOption::MobileBert(_)));
    assert_eq!(config.get_max_len(), Some(64));
    assert_eq!(config.get_vocab_size(), 100);
    assert_eq!(config.get_label_mapping().unwrap().len(), 3);
    assert!(MobileBertConfig::try_from(&config).is_ok());
    assert!(rust_bert::bert::BertConfig::try_from(&config).is_err());
    assert!(rust_bert::fnet::FNetConfig::try_from(&config).is_err());
}
