//! DeBERTa (v1) parity against HF Transformers 5.24 on tiny random models
//! (tests/fixtures/deberta/*, written by utils/fixtures_deberta.py): c2p + p2c with a relative
//! window (5) shorter than the batch (9), p2c-only with talking heads and a p2p entry in the
//! score scale, absolute positions only; hidden_act gelu_new / relu / silu, unusual epsilons.
//! Each checkpoint is loaded from HF's `model.safetensors` and from the `.ot` our converter
//! makes of it, with and without per-layer outputs. Padded positions are compared too (DeBERTa
//! zeroes padded embeddings, and padded queries attend uniformly, as in HF).
use crate::util::{fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::deberta::{
    DebertaConfig, DebertaForMaskedLM, DebertaForQuestionAnswering,
    DebertaForSequenceClassification, DebertaForTokenClassification, DebertaModel,
    PositionAttentionType, PositionAttentionTypes,
};
use rust_bert::Config;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

pub(crate) fn dir(family: &str, name: &str) -> PathBuf {
    fixtures().join(family).join(name)
}

/// Asserts `actual` is within the tolerance of HF's `expected` and prints the difference.
#[track_caller]
pub(crate) fn close(actual: &Tensor, expected: &Tensor, what: &str) {
    let diff = max_abs_diff(actual, expected);
    eprintln!("{what}: max |diff| {diff:.2e}");
    assert!(diff <= TOL, "{what}: max |diff| = {diff:e} > {TOL:e}");
}

/// Per-layer outputs against HF's (`layers + 1` hidden states, `layers` attentions), or none
/// when not asked (`layers` is `None`).
pub(crate) fn check_layers(
    hidden: &Option<Vec<Tensor>>,
    attentions: &Option<Vec<Tensor>>,
    expected: &Expected,
    layers: Option<usize>,
    what: &str,
) {
    let Some(layers) = layers else {
        assert!(
            hidden.is_none() && attentions.is_none(),
            "{what}: not asked"
        );
        return;
    };
    let hidden = hidden.as_ref().expect("hidden states");
    let attentions = attentions.as_ref().expect("attentions");
    assert_eq!(hidden.len(), layers + 1, "{what}: hidden states");
    assert_eq!(attentions.len(), layers, "{what}: attentions");
    assert!(!expected.has(&format!("hidden_states.{}", layers + 1)));
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

/// Loads a checkpoint that must fill every variable by its own name, with no tensor left over.
pub(crate) fn load_every_tensor(vs: &VarStore, weights: &Path) {
    let report = load_weights_from_file(vs, weights).unwrap();
    assert!(report.unused.is_empty(), "{:?}", report.unused);
    assert!(report.renamed.is_empty(), "{:?}", report.renamed);
}

/// Runs a model on the fixture's padded batch (ids, mask, token types; default positions).
macro_rules! on_fixture {
    ($model:expr, $e:expr) => {
        $model
            .forward_t(
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
pub(crate) use on_fixture;

fn config(name: &str) -> DebertaConfig {
    let mut config =
        DebertaConfig::try_from_file(dir("deberta", name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

/// Runs `check` from safetensors and `.ot`, with and without per-layer outputs; the last
/// argument is the number of layers when they are asked for.
fn for_each_format(
    name: &str,
    check: impl Fn(&VarStore, &Path, &Expected, &DebertaConfig, Option<usize>),
) {
    let without_layers = DebertaConfig {
        output_hidden_states: None,
        output_attentions: None,
        ..config(name)
    };
    crate::util::for_each_format(
        &dir("deberta", name),
        &[config(name), without_layers],
        |vs, weights, e, config| {
            let layers = config
                .output_attentions
                .map(|_| config.num_hidden_layers as usize);
            check(vs, weights, e, config, layers)
        },
    );
}

#[test]
fn base_models_match_hf() {
    for name in ["base", "p2c_talking", "absolute"] {
        for_each_format(name, |vs, weights, e, config, layers| {
            let model = DebertaModel::new(vs.root(), config);
            load_every_tensor(vs, weights);
            let out = on_fixture!(model, e);
            close(&out.hidden_state, e.get("last_hidden_state"), name);
            check_layers(&out.all_hidden_states, &out.all_attentions, e, layers, name);
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
            let single = run(Some(e.get("single.input_ids")), None, None, None, None);
            close(&single, e.get("single.last_hidden_state"), "single");
            let mask = Some(e.get("attention_mask"));
            let types = Some(e.get("token_type_ids"));
            let embeds = run(None, mask, types, None, Some(e.get("embeds.inputs_embeds")));
            close(&embeds, e.get("embeds.last_hidden_state"), "input_embeds");
            if e.has("explicit.position_ids") {
                let positions = Some(e.get("explicit.position_ids"));
                let explicit = run(Some(e.get("input_ids")), mask, types, positions, None);
                close(&explicit, e.get("explicit.last_hidden_state"), "positions");
            }
        });
    }
}

#[test]
fn misread_fields_would_fail_the_fixtures() {
    // Each of these differs from what config.json says; reading it wrong moves the output far
    // beyond the tolerance.
    let e = Expected::load(dir("deberta", "base").join("expected.safetensors"));
    let base = config("base");
    let types: PositionAttentionTypes = "c2p".parse().unwrap();
    for (what, config) in [
        (
            "epsilon",
            DebertaConfig {
                layer_norm_eps: None,
                ..base.clone()
            },
        ),
        (
            "activation",
            DebertaConfig {
                hidden_act: rust_bert::Activation::relu,
                ..base.clone()
            },
        ),
        (
            "window",
            DebertaConfig {
                max_relative_positions: Some(-1),
                ..base.clone()
            },
        ),
        (
            "types",
            DebertaConfig {
                pos_att_type: Some(types),
                ..base.clone()
            },
        ),
    ] {
        let vs = VarStore::new(Device::Cpu);
        let model = DebertaModel::new(vs.root(), &config);
        let report = load_weights_from_file(&vs, dir("deberta", "base").join("model.safetensors"));
        if report.is_err() {
            // A different window is a different table shape: refused at load time.
            assert_eq!(what, "window");
            continue;
        }
        let out = tch::no_grad(|| on_fixture!(model, e));
        let diff = max_abs_diff(&out.hidden_state, e.get("last_hidden_state"));
        assert!(diff > 100.0 * TOL, "{what}: {diff}");
    }
}

#[test]
fn position_attention_types_parse_both_forms() {
    let piped: PositionAttentionTypes = "C2P|p2c".parse().unwrap();
    assert!(piped.has_type(PositionAttentionType::c2p));
    assert!(piped.has_type(PositionAttentionType::p2c));
    assert!(!piped.has_type(PositionAttentionType::p2p));
    assert_eq!(piped.len(), 2);
    let json = r#"{"pos_att_type": "p2c|c2p"}"#;
    let config: DebertaConfig = serde_json::from_str(json).unwrap();
    assert_eq!(config.pos_att_type.as_ref().map(|t| t.len()), Some(2));
    let json = r#"{"pos_att_type": ["p2c"]}"#;
    let config: DebertaConfig = serde_json::from_str(json).unwrap();
    assert_eq!(config.pos_att_type.as_ref().map(|t| t.len()), Some(1));
    let json = r#"{"pos_att_type": null}"#;
    let config: DebertaConfig = serde_json::from_str(json).unwrap();
    assert!(config.pos_att_type.is_none());
    // An unknown type is an error naming the field, not a panic.
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("config.json");
    std::fs::write(&path, r#"{"pos_att_type": "c2x"}"#).unwrap();
    let error = DebertaConfig::try_from_file(&path).unwrap_err().to_string();
    assert!(
        error.contains("pos_att_type") && error.contains("c2x"),
        "{error}"
    );
    // HF's defaults for keys a config omits.
    let config: DebertaConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(config.layer_norm_eps(), 1e-7);
    assert_eq!((config.hidden_size, config.vocab_size), (768, 50265));
}

#[test]
fn masked_lm_matches_hf() {
    for name in ["masked_lm", "masked_lm_new"] {
        for_each_format(name, |vs, weights, e, config, layers| {
            let model = DebertaForMaskedLM::new(vs.root(), config);
            load_every_tensor(vs, weights);
            let out = on_fixture!(model, e);
            assert_eq!(out.logits.size(), [3, 9, 100]);
            close(&out.logits, e.get("logits"), name);
            check_layers(&out.all_hidden_states, &out.all_attentions, e, layers, name);
        });
    }
}

#[test]
fn sequence_classification_matches_hf() {
    for_each_format(
        "sequence_classification",
        |vs, weights, e, config, layers| {
            let model = DebertaForSequenceClassification::new(vs.root(), config).unwrap();
            load_every_tensor(vs, weights);
            let out = on_fixture!(model, e);
            assert_eq!(out.logits.size(), [3, 3]);
            close(&out.logits, e.get("logits"), "sequence classification");
            check_layers(
                &out.all_hidden_states,
                &out.all_attentions,
                e,
                layers,
                "seq",
            );
        },
    );
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config, layers| {
        let model = DebertaForTokenClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [3, 9, 5]);
        close(&out.logits, e.get("logits"), "token classification");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            layers,
            "tok",
        );
    });
}

#[test]
fn question_answering_matches_hf() {
    for_each_format("question_answering", |vs, weights, e, config, layers| {
        let model = DebertaForQuestionAnswering::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        close(&out.start_logits, e.get("start_logits"), "qa start");
        close(&out.end_logits, e.get("end_logits"), "qa end");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, layers, "qa");
    });
}

#[test]
fn bad_inputs_and_configurations_are_errors() {
    let config = config("base");
    let vs = VarStore::new(Device::Cpu);
    let model = DebertaModel::new(vs.root(), &config);
    let ids = Tensor::from_slice(&[2i64, 17, 3]).unsqueeze(0);
    let run = |ids: Option<&Tensor>, mask: Option<&Tensor>| {
        tch::no_grad(|| model.forward_t(ids, mask, None, None, None, false))
    };
    // Empty sequence, no input, a mask of the wrong shape, an id past the vocabulary, a
    // sequence past the absolute positions.
    let empty = Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu));
    assert!(run(Some(&empty), None).is_err());
    assert!(run(None, None).is_err());
    let mask = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
    assert!(run(Some(&ids), Some(&mask)).is_err());
    let far = Tensor::from_slice(&[2i64, 1000, 3]).unsqueeze(0);
    assert!(run(Some(&far), None).is_err());
    let long = Tensor::ones([1, 65], (Kind::Int64, Device::Cpu));
    let error = run(Some(&long), None).unwrap_err().to_string();
    assert!(error.contains("max_position_embeddings"), "{error}");
    // Heads that do not divide the hidden size, a missing id2label.
    let bad = DebertaConfig {
        num_attention_heads: 5,
        ..config.clone()
    };
    let vs = VarStore::new(Device::Cpu);
    assert!(DebertaModel::try_new(vs.root(), &bad).is_err());
    let error = DebertaForSequenceClassification::new(vs.root(), &config)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("id2label"), "{error}");
}

#[test]
fn panicking_constructors_carry_the_error_of_their_twins() {
    use rust_bert::deberta_v2::{DebertaV2Config, DebertaV2ForMaskedLM, DebertaV2Model};
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let message = |f: &dyn Fn()| {
        let panic = catch_unwind(AssertUnwindSafe(f)).expect_err("a panic");
        panic.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    let bad = DebertaConfig {
        num_attention_heads: 5,
        ..config("base")
    };
    let vs = VarStore::new(Device::Cpu);
    let error = DebertaModel::try_new(vs.root(), &bad)
        .err()
        .unwrap()
        .to_string();
    assert!(message(&|| drop(DebertaModel::new(vs.root() / "a", &bad))).contains(&error));
    assert!(message(&|| drop(DebertaForMaskedLM::new(vs.root() / "b", &bad))).contains(&error));
    assert!(
        message(&|| drop(DebertaForQuestionAnswering::new(vs.root() / "c", &bad))).contains(&error)
    );
    let bad = DebertaV2Config {
        conv_kernel_size: Some(4),
        ..DebertaV2Config::default()
    };
    let error = DebertaV2Model::try_new(vs.root() / "d", &bad)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("conv_kernel_size"), "{error}");
    assert!(message(&|| drop(DebertaV2ForMaskedLM::new(vs.root() / "e", &bad))).contains(&error));
}
