//! ELECTRA parity against HF Transformers 5.24 on tiny random models (tests/fixtures/electra/*,
//! written by utils/fixtures_electra.py): embeddings 16 wide projected to hidden 32 by
//! `embeddings_project`, 2 layers, hidden_act silu, layer_norm_eps 0.02. Each checkpoint is
//! loaded both from HF's `model.safetensors` and from the `.ot` our converter makes of it, with
//! and without per-layer outputs. Run with `--nocapture` to see every max |diff|.
use crate::util::{fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::electra::{
    ElectraConfig, ElectraDiscriminator, ElectraForMaskedLM, ElectraForMultipleChoice,
    ElectraForQuestionAnswering, ElectraForSequenceClassification, ElectraForTokenClassification,
    ElectraModel,
};
use rust_bert::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("electra").join(name)
}

fn config(name: &str) -> ElectraConfig {
    let mut config = ElectraConfig::try_from_file(dir(name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

/// Asserts `actual` is within the tolerance of HF's `expected` and prints the difference.
#[track_caller]
fn close(actual: &Tensor, expected: &Tensor, what: &str) {
    let diff = max_abs_diff(actual, expected);
    eprintln!("electra {what}: max |diff| {diff:.2e}");
    assert!(diff <= TOL, "{what}: max |diff| = {diff:e} > {TOL:e}");
}

/// Runs `check` from safetensors and `.ot`, with and without per-layer outputs.
fn for_each_format(name: &str, check: impl Fn(&VarStore, &Path, &Expected, &ElectraConfig)) {
    let without_layers = ElectraConfig {
        output_hidden_states: None,
        output_attentions: None,
        ..config(name)
    };
    crate::util::for_each_format(&dir(name), &[config(name), without_layers], check);
}

/// Per-layer outputs against HF's: `layers + 1` hidden states (the first is the encoder input,
/// after `embeddings_project`) and `layers` attentions.
fn check_layers(
    hidden: &Option<Vec<Tensor>>,
    attentions: &Option<Vec<Tensor>>,
    expected: &Expected,
    config: &ElectraConfig,
    what: &str,
) {
    if config.output_attentions.is_none() {
        assert!(
            hidden.is_none() && attentions.is_none(),
            "{what}: not asked"
        );
        return;
    }
    let layers = config.num_hidden_layers as usize;
    let hidden = hidden.as_ref().expect("hidden states");
    let attentions = attentions.as_ref().expect("attentions");
    assert_eq!(hidden.len(), layers + 1, "{what}: hidden states");
    assert_eq!(attentions.len(), layers, "{what}: attentions");
    assert!(!expected.has(&format!("hidden_states.{}", layers + 1)));
    assert!(!expected.has(&format!("attentions.{layers}")));
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

/// Runs a model on the fixture's padded batch (ids, mask, token types; default positions).
macro_rules! on_fixture {
    ($model:expr, $method:ident, $e:expr) => {
        $model
            .$method(
                Some($e.get("input_ids")),
                Some($e.get("attention_mask")),
                Some($e.get("token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap()
    };
}

/// Loads a checkpoint that must fill every variable by its own name, with no tensor left over.
fn load_every_tensor(vs: &VarStore, weights: &Path) {
    let report = load_weights_from_file(vs, weights).unwrap();
    assert!(report.unused.is_empty(), "{:?}", report.unused);
    assert!(report.renamed.is_empty(), "{:?}", report.renamed);
}

#[test]
fn base_model_matches_hf() {
    for_each_format("base", |vs, weights, e, config| {
        let model = ElectraModel::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, forward_t, e);
        close(&out.hidden_state, e.get("last_hidden_state"), "base");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "base",
        );
        let run = |ids: Option<&Tensor>,
                   mask: Option<&Tensor>,
                   types: Option<&Tensor>,
                   positions: Option<&Tensor>,
                   embeds: Option<&Tensor>| {
            model
                .forward_t(ids, mask, types, positions, embeds, false)
                .unwrap()
                .hidden_state
        };
        // Defaults: no mask, no token types, no positions.
        let single = run(Some(e.get("single.input_ids")), None, None, None, None);
        close(&single, e.get("single.last_hidden_state"), "single");
        let ids = Some(e.get("input_ids"));
        let mask = Some(e.get("attention_mask"));
        let types = Some(e.get("token_type_ids"));
        let nomask = run(ids, None, types, None, None);
        close(&nomask, e.get("batch_nomask.last_hidden_state"), "no mask");
        // Embeddings of width embedding_size instead of ids (projected like looked-up ones).
        let embeds = run(None, mask, types, None, Some(e.get("embeds.inputs_embeds")));
        close(&embeds, e.get("embeds.last_hidden_state"), "input_embeds");
        let explicit = run(ids, mask, types, Some(e.get("explicit.position_ids")), None);
        close(&explicit, e.get("explicit.last_hidden_state"), "positions");
    });
}

#[test]
fn a_misread_epsilon_or_activation_would_fail_the_fixtures() {
    // layer_norm_eps 0.02 and hidden_act silu are far enough from HF's defaults (1e-12, gelu)
    // that reading the defaults instead gives outputs outside the tolerance.
    let e = Expected::load(dir("discriminator").join("expected.safetensors"));
    for config in [
        ElectraConfig {
            layer_norm_eps: None,
            ..config("discriminator")
        },
        ElectraConfig {
            hidden_act: rust_bert::Activation::gelu,
            ..config("discriminator")
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        let model = ElectraDiscriminator::new(vs.root(), &config);
        load_weights_from_file(&vs, dir("discriminator").join("model.safetensors")).unwrap();
        let out = tch::no_grad(|| on_fixture!(model, try_forward_t, e));
        let diff = max_abs_diff(&out.logits, e.get("logits"));
        assert!(diff > 100.0 * TOL, "{diff}");
    }
}

#[test]
fn discriminator_matches_hf() {
    for_each_format("discriminator", |vs, weights, e, config| {
        let model = ElectraDiscriminator::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, try_forward_t, e);
        assert_eq!(out.logits.size(), [3, 9]);
        close(&out.logits, e.get("logits"), "discriminator logits");
        close(
            &out.probabilities,
            e.get("probabilities"),
            "discriminator probabilities",
        );
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "disc",
        );
        // rust-bert's signature: the bare output.
        let bare = model.forward_t(Some(e.get("input_ids")), None, None, None, None, false);
        assert_eq!(bare.probabilities.size(), [3, 9]);
    });
    // A batch of one keeps its batch dimension (rust-bert squeezes it away).
    let vs = VarStore::new(Device::Cpu);
    let model = ElectraDiscriminator::new(vs.root(), &config("discriminator"));
    let one = Tensor::from_slice(&[2i64, 17, 3]).unsqueeze(0);
    let out = tch::no_grad(|| model.forward_t(Some(&one), None, None, None, None, false));
    assert_eq!(out.probabilities.size(), [1, 3]);
}

#[test]
fn generator_matches_hf() {
    for (name, unused) in [("generator", 0), ("generator_untied", 0)] {
        for_each_format(name, |vs, weights, e, config| {
            let model = ElectraForMaskedLM::new(vs.root(), config);
            let report = load_weights_from_file(vs, weights).unwrap();
            // Tied: HF saves only generator_lm_head.bias, which is all the head reads.
            assert_eq!(report.unused.len(), unused, "{:?}", report.unused);
            let out = on_fixture!(model, try_forward_t, e);
            assert_eq!(out.prediction_scores.size(), [3, 9, 100]);
            close(&out.prediction_scores, e.get("logits"), name);
            check_layers(&out.all_hidden_states, &out.all_attentions, e, config, name);
            let bare = model.forward_t(Some(e.get("input_ids")), None, None, None, None, false);
            assert_eq!(bare.prediction_scores.size(), [3, 9, 100]);
        });
    }
    // Untied, the head's weight is its own variable: a tied checkpoint lacks it.
    let config = config("generator_untied");
    let vs = VarStore::new(Device::Cpu);
    let _model = ElectraForMaskedLM::new(vs.root(), &config);
    let error = load_weights_from_file(&vs, dir("generator").join("model.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("generator_lm_head.weight"), "{error}");
}

#[test]
fn sequence_classification_matches_hf() {
    for_each_format("sequence_classification", |vs, weights, e, config| {
        let model = ElectraForSequenceClassification::new(vs.root(), config).unwrap();
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
    });
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config| {
        let model = ElectraForTokenClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, try_forward_t, e);
        assert_eq!(out.logits.size(), [3, 9, 5]);
        close(&out.logits, e.get("logits"), "token classification");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "tok",
        );
        let bare = model.forward_t(Some(e.get("input_ids")), None, None, None, None, false);
        assert_eq!(bare.logits.size(), [3, 9, 5]);
    });
}

#[test]
fn question_answering_matches_hf() {
    for_each_format("question_answering", |vs, weights, e, config| {
        let model = ElectraForQuestionAnswering::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, try_forward_t, e);
        close(&out.start_logits, e.get("start_logits"), "qa start");
        close(&out.end_logits, e.get("end_logits"), "qa end");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "qa");
    });
}

#[test]
fn multiple_choice_matches_hf() {
    for_each_format("multiple_choice", |vs, weights, e, config| {
        let model = ElectraForMultipleChoice::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, try_forward_t, e);
        assert_eq!(out.logits.size(), [2, 3]);
        close(&out.logits, e.get("logits"), "multiple choice");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "mc");
    });
}

#[test]
fn a_head_checkpoint_loads_into_the_base_model() {
    // The electra. prefix is removed; the head's tensors are reported unused.
    let config = config("sequence_classification");
    let vs = VarStore::new(Device::Cpu);
    let _model = ElectraModel::new(vs.root(), &config);
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
        ElectraConfig {
            num_attention_heads: 5,
            ..base.clone()
        },
        ElectraConfig {
            embedding_size: 0,
            ..base.clone()
        },
        ElectraConfig {
            vocab_size: -3,
            ..base.clone()
        },
        ElectraConfig {
            layer_norm_eps: Some(f64::NAN),
            ..base.clone()
        },
    ];
    for config in &bad {
        let vs = VarStore::new(Device::Cpu);
        let error = ElectraModel::try_new(vs.root(), config).unwrap_err();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_)),
            "{error}"
        );
        assert!(ElectraDiscriminator::try_new(vs.root(), config).is_err());
        assert!(ElectraForMaskedLM::try_new(vs.root(), config).is_err());
        assert!(ElectraForQuestionAnswering::new(vs.root(), config).is_err());
    }
    // The rust-bert-signature constructor panics with the error, no LibTorch crash.
    let caught = std::panic::catch_unwind(|| {
        let vs = VarStore::new(Device::Cpu);
        ElectraModel::new(vs.root(), &bad[0]);
    });
    assert!(caught.is_err());
    // Heads need labels.
    let vs = VarStore::new(Device::Cpu);
    let error = ElectraForSequenceClassification::new(vs.root(), &base).unwrap_err();
    assert!(error.to_string().contains("id2label"), "{error}");
    assert!(ElectraForTokenClassification::new(vs.root(), &base).is_err());
    // A bad field in config.json names the field.
    let error = rust_bert::common::config::parse_config::<ElectraConfig>(
        r#"{"embedding_size": "wide"}"#,
        "electra.json",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("embedding_size"), "{error}");

    let vs = VarStore::new(Device::Cpu);
    let model = ElectraDiscriminator::new(vs.root(), &base);
    load_weights_from_file(&vs, dir("discriminator").join("model.safetensors")).unwrap();
    let run = |ids: &Tensor| model.try_forward_t(Some(ids), None, None, None, None, false);
    // Too long, empty, out of the vocabulary, wrong rank: errors.
    let long = Tensor::ones([1, 65], (Kind::Int64, Device::Cpu));
    assert!(run(&long)
        .unwrap_err()
        .to_string()
        .contains("max_position_embeddings"));
    let empty = Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu));
    assert!(run(&empty).is_err());
    assert!(run(&Tensor::from_slice(&[2i64, 100, 3]).unsqueeze(0)).is_err());
    assert!(run(&Tensor::from_slice(&[2i64, 3])).is_err());
    let mask = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
    let ids = Tensor::from_slice(&[2i64, 5, 3]).unsqueeze(0);
    assert!(model
        .try_forward_t(Some(&ids), Some(&mask), None, None, None, false)
        .is_err());
    // An empty batch gives empty outputs.
    let none = Tensor::zeros([0, 3], (Kind::Int64, Device::Cpu));
    let out = tch::no_grad(|| run(&none)).unwrap();
    assert_eq!(out.probabilities.size(), [0, 3]);
    // Multiple choice wants [batch, choices, seq].
    let vs = VarStore::new(Device::Cpu);
    let mc = ElectraForMultipleChoice::new(vs.root(), &base).unwrap();
    assert!(mc
        .try_forward_t(Some(&ids), None, None, None, None, false)
        .is_err());
}

#[test]
fn configs_take_hf_defaults_for_omitted_keys() {
    let config: ElectraConfig =
        rust_bert::common::config::parse_config(r#"{"model_type": "electra"}"#, "test").unwrap();
    assert_eq!(
        (
            config.vocab_size,
            config.embedding_size,
            config.hidden_size,
            config.num_hidden_layers,
            config.num_attention_heads,
            config.intermediate_size
        ),
        (30522, 128, 256, 12, 4, 1024)
    );
    assert_eq!(config.hidden_act, rust_bert::Activation::gelu);
    assert_eq!(config.layer_norm_eps(), 1e-12);
    assert_eq!(config.pad_token_id, 0);
    let config: ElectraConfig =
        rust_bert::common::config::parse_config(r#"{"pad_token_id": null}"#, "test").unwrap();
    assert_eq!(config.pad_token_id, 0);
}

#[test]
fn pipelines_refuse_a_bad_configuration_without_panicking() {
    use rust_bert::pipelines::common::{ModelResource, ModelType};
    use rust_bert::pipelines::sequence_classification::{
        SequenceClassificationConfig, SequenceClassificationModel,
    };
    use rust_bert::resources::LocalResource;
    let folder = fixtures().join("pipeline_classification");
    let scratch = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(folder.join("electra/config.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (field, value) in [
        ("num_attention_heads", serde_json::json!(5)),
        ("embedding_size", serde_json::json!(-16)),
        ("hidden_act", serde_json::json!("no_such_activation")),
    ] {
        let original = json[field].clone();
        json[field] = value;
        let path = scratch.path().join("config.json");
        std::fs::write(&path, json.to_string()).unwrap();
        json[field] = original;
        let mut config = SequenceClassificationConfig::new(
            ModelType::Electra,
            ModelResource::Torch(Box::new(LocalResource::from(
                folder.join("electra/model.safetensors"),
            ))),
            LocalResource::from(path),
            LocalResource::from(folder.join("vocab.txt")),
            None,
            true,
            None,
            None,
        );
        config.device = Device::Cpu;
        let error = SequenceClassificationModel::new(config).err().unwrap();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_)),
            "{field}: {error}"
        );
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    // HF does not implement the `attn` summary either.
    let config = ElectraConfig {
        summary_type: Some(rust_bert::common::layers::SummaryType::attn),
        ..config("multiple_choice")
    };
    let vs = VarStore::new(Device::Cpu);
    assert!(ElectraForMultipleChoice::new(vs.root(), &config).is_err());
}
