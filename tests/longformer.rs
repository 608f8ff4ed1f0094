//! Longformer parity against HF Transformers 5.24 on tiny random models
//! (tests/fixtures/longformer/*, written by utils/fixtures_longformer.py): hidden 16, 4 heads,
//! 3 layers with windows [4, 6, 4] (9-token inputs padded to 12), gelu_new, layer_norm_eps
//! 0.02, padded batches with global attention on 3 / 1 / 0 tokens per row. Each checkpoint is
//! loaded from HF's `model.safetensors` and from the `.ot` our converter makes of it, with and
//! without per-layer outputs. Run with `--nocapture` to see every max |diff|.
use crate::util::{fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::longformer::{
    LongformerConfig, LongformerForMaskedLM, LongformerForMultipleChoice,
    LongformerForQuestionAnswering, LongformerForSequenceClassification,
    LongformerForTokenClassification, LongformerModel,
};
use rust_bert::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("longformer").join(name)
}

fn config(name: &str) -> LongformerConfig {
    let mut config = LongformerConfig::try_from_file(dir(name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

/// Asserts `actual` is within the tolerance of HF's `expected` and prints the difference.
#[track_caller]
fn close(actual: &Tensor, expected: &Tensor, what: &str) {
    let diff = max_abs_diff(actual, expected);
    eprintln!("longformer {what}: max |diff| {diff:.2e}");
    assert!(diff <= TOL, "{what}: max |diff| = {diff:e} > {TOL:e}");
}

/// Runs `check` from safetensors and `.ot`, with and without per-layer outputs.
fn for_each_format(name: &str, check: impl Fn(&VarStore, &Path, &Expected, &LongformerConfig)) {
    let without_layers = LongformerConfig {
        output_hidden_states: None,
        output_attentions: None,
        ..config(name)
    };
    crate::util::for_each_format(&dir(name), &[config(name), without_layers], check);
}

/// Hidden states, local attentions and global attentions of every layer, when asked.
type LayerOutputs<'a> = (
    &'a Option<Vec<Tensor>>,
    &'a Option<Vec<Tensor>>,
    &'a Option<Vec<Tensor>>,
);

/// Per-layer outputs against HF's (under `prefix`): `layers + 1` hidden states, `layers` local
/// attentions and, when HF has them, `layers` global attentions.
fn check_layers(
    outputs: LayerOutputs,
    expected: &Expected,
    prefix: &str,
    config: &LongformerConfig,
    what: &str,
) {
    let (hidden, attentions, global) = outputs;
    if config.output_attentions.is_none() {
        assert!(hidden.is_none() && attentions.is_none() && global.is_none());
        return;
    }
    let layers = config.num_hidden_layers as usize;
    let hidden = hidden.as_ref().expect("hidden states");
    let attentions = attentions.as_ref().expect("attentions");
    assert_eq!(hidden.len(), layers + 1, "{what}: hidden states");
    assert_eq!(attentions.len(), layers, "{what}: attentions");
    for (i, h) in hidden.iter().enumerate() {
        let key = format!("{prefix}hidden_states.{i}");
        if expected.has(&key) {
            close(h, expected.get(&key), &format!("{what} hidden {i}"));
        }
    }
    for (i, a) in attentions.iter().enumerate() {
        let key = format!("{prefix}attentions.{i}");
        close(a, expected.get(&key), &format!("{what} attention {i}"));
    }
    let has_global = expected.has(&format!("{prefix}global_attentions.0"));
    assert_eq!(global.is_some(), has_global, "{what}: global attentions");
    if let Some(global) = global {
        assert_eq!(global.len(), layers);
        for (i, a) in global.iter().enumerate() {
            let key = format!("{prefix}global_attentions.{i}");
            close(
                a,
                expected.get(&key),
                &format!("{what} global attention {i}"),
            );
        }
    }
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
        let model = LongformerModel::new(vs.root(), config, true);
        load_every_tensor(vs, weights);
        let ids = Some(e.get("input_ids"));
        let mask = Some(e.get("attention_mask"));
        let types = Some(e.get("token_type_ids"));
        let global = Some(e.get("global_attention_mask"));
        let out = model
            .forward_t(ids, mask, global, types, None, None, false)
            .unwrap();
        assert_eq!(out.hidden_state.size(), [3, 9, 16]);
        close(&out.hidden_state, e.get("last_hidden_state"), "base");
        close(
            out.pooled_output.as_ref().unwrap(),
            e.get("pooler_output"),
            "pooler",
        );
        let layers = (
            &out.all_hidden_states,
            &out.all_attentions,
            &out.all_global_attentions,
        );
        check_layers(layers, e, "", config, "base");

        // Without global attention: the local attentions are the window only.
        let out = model
            .forward_t(ids, mask, None, types, None, None, false)
            .unwrap();
        close(&out.hidden_state, e.get("local.last_hidden_state"), "local");
        let layers = (
            &out.all_hidden_states,
            &out.all_attentions,
            &out.all_global_attentions,
        );
        check_layers(layers, e, "local.", config, "local");

        let run = |ids: Option<&Tensor>,
                   mask: Option<&Tensor>,
                   global: Option<&Tensor>,
                   embeds: Option<&Tensor>| {
            model
                .forward_t(ids, mask, global, types, None, embeds, false)
                .unwrap()
                .hidden_state
        };
        let single = model
            .forward_t(
                Some(e.get("single.input_ids")),
                None,
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap()
            .hidden_state;
        close(&single, e.get("single.last_hidden_state"), "single");
        let embeds = run(None, mask, global, Some(e.get("embeds.inputs_embeds")));
        close(&embeds, e.get("embeds.last_hidden_state"), "input_embeds");

        let all = model
            .forward_t(
                ids,
                mask,
                Some(e.get("allglobal.global_attention_mask")),
                types,
                None,
                None,
                false,
            )
            .unwrap();
        close(
            &all.hidden_state,
            e.get("allglobal.last_hidden_state"),
            "all global",
        );
        let layers = (
            &all.all_hidden_states,
            &all.all_attentions,
            &all.all_global_attentions,
        );
        check_layers(layers, e, "allglobal.", config, "all global");

        let long = model
            .forward_t(
                Some(e.get("long.input_ids")),
                Some(e.get("long.attention_mask")),
                Some(e.get("long.global_attention_mask")),
                None,
                None,
                None,
                false,
            )
            .unwrap();
        close(&long.hidden_state, e.get("long.last_hidden_state"), "long");
    });
}

#[test]
fn a_misread_window_epsilon_or_activation_would_fail_the_fixtures() {
    let e = Expected::load(dir("base").join("expected.safetensors"));
    let base = config("base");
    for config in [
        LongformerConfig {
            layer_norm_eps: None,
            ..base.clone()
        },
        LongformerConfig {
            hidden_act: rust_bert::Activation::gelu,
            ..base.clone()
        },
        LongformerConfig {
            attention_window: vec![6],
            ..base.clone()
        },
        LongformerConfig {
            attention_window: vec![4],
            ..base.clone()
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        let model = LongformerModel::new(vs.root(), &config, true);
        load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
        let out = tch::no_grad(|| {
            model.forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("global_attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                None,
                false,
            )
        })
        .unwrap();
        let diff = max_abs_diff(&out.hidden_state, e.get("last_hidden_state"));
        // gelu for gelu_new moves the outputs least (about 6e-4): still 5x the tolerance.
        assert!(diff > 5.0 * TOL, "{diff}");
    }
}

#[test]
fn masked_lm_matches_hf() {
    for_each_format("masked_lm", |vs, weights, e, config| {
        let model = LongformerForMaskedLM::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = model
            .forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("global_attention_mask")),
                None,
                None,
                None,
                false,
            )
            .unwrap();
        assert_eq!(out.prediction_scores.size(), [3, 9, 100]);
        close(&out.prediction_scores, e.get("logits"), "masked lm");
        let layers = (
            &out.all_hidden_states,
            &out.all_attentions,
            &out.all_global_attentions,
        );
        check_layers(layers, e, "", config, "mlm");
    });
}

/// Runs a head on the fixture's padded batch (ids and mask, no global mask: the head's default).
macro_rules! on_fixture {
    ($model:expr, $e:expr) => {
        $model
            .forward_t(
                Some($e.get("input_ids")),
                Some($e.get("attention_mask")),
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap()
    };
}

#[test]
fn sequence_classification_matches_hf() {
    for_each_format("sequence_classification", |vs, weights, e, config| {
        let model = LongformerForSequenceClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [3, 3]);
        close(&out.logits, e.get("logits"), "sequence classification");
        let layers = (
            &out.all_hidden_states,
            &out.all_attentions,
            &out.all_global_attentions,
        );
        check_layers(layers, e, "", config, "seq");
    });
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config| {
        assert_eq!(config.attention_window, [8]);
        let model = LongformerForTokenClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [3, 9, 5]);
        close(&out.logits, e.get("logits"), "token classification");
        let layers = (
            &out.all_hidden_states,
            &out.all_attentions,
            &out.all_global_attentions,
        );
        check_layers(layers, e, "", config, "tok");
        // Three tokens, shorter than the window of 8.
        let short = model
            .forward_t(
                Some(e.get("short.input_ids")),
                None,
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap();
        close(&short.logits, e.get("short.logits"), "short input");
    });
}

#[test]
fn question_answering_matches_hf() {
    for_each_format("question_answering", |vs, weights, e, config| {
        let model = LongformerForQuestionAnswering::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        close(&out.start_logits, e.get("start_logits"), "qa start");
        close(&out.end_logits, e.get("end_logits"), "qa end");
        let layers = (
            &out.all_hidden_states,
            &out.all_attentions,
            &out.all_global_attentions,
        );
        check_layers(layers, e, "", config, "qa");
    });
}

#[test]
fn multiple_choice_matches_hf() {
    for_each_format("multiple_choice", |vs, weights, e, config| {
        let model = LongformerForMultipleChoice::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [2, 3]);
        close(&out.logits, e.get("logits"), "multiple choice");
        let layers = (
            &out.all_hidden_states,
            &out.all_attentions,
            &out.all_global_attentions,
        );
        check_layers(layers, e, "", config, "mc");
    });
}

#[test]
fn bad_configs_and_inputs_are_errors() {
    let base = config("base");
    for bad in [
        LongformerConfig {
            attention_window: vec![4, 6],
            ..base.clone()
        },
        LongformerConfig {
            attention_window: vec![5],
            ..base.clone()
        },
        LongformerConfig {
            attention_window: vec![0, 4, 4],
            ..base.clone()
        },
        LongformerConfig {
            num_attention_heads: 5,
            ..base.clone()
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        let error = LongformerModel::try_new(vs.root(), &bad, false).unwrap_err();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_)),
            "{error}"
        );
        assert!(LongformerForQuestionAnswering::try_new(vs.root(), &bad).is_err());
        assert!(LongformerForSequenceClassification::new(vs.root(), &bad).is_err());
    }
    // A config file with a bad window is an error naming the field.
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("config.json");
    std::fs::write(&path, r#"{"attention_window": "wide"}"#).unwrap();
    let error = LongformerConfig::try_from_file(&path)
        .unwrap_err()
        .to_string();
    assert!(error.contains("attention_window"), "{error}");

    let vs = VarStore::new(Device::Cpu);
    let model = LongformerForQuestionAnswering::new(vs.root(), &base);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).ok();
    let run = |ids: &Tensor, global: Option<&Tensor>| {
        tch::no_grad(|| model.forward_t(Some(ids), None, global, None, None, None, false))
    };
    // No question/context structure: no automatic global attention, an error.
    let plain = Tensor::from_slice(&[0i64, 5, 6, 2]).unsqueeze(0);
    assert!(matches!(
        run(&plain, None).unwrap_err(),
        RustBertError::ValueError(_)
    ));
    // With an explicit mask it runs: none global, all global.
    let none = plain.zeros_like();
    assert_eq!(
        run(&plain, Some(&none)).unwrap().start_logits.size(),
        [1, 4]
    );
    let all = plain.ones_like();
    assert_eq!(run(&plain, Some(&all)).unwrap().start_logits.size(), [1, 4]);
    // Empty inputs, mis-shaped masks, ids past the vocabulary, positions past the table.
    let empty = Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu));
    assert!(run(&empty, Some(&empty)).is_err());
    let no_rows = Tensor::zeros([0, 4], (Kind::Int64, Device::Cpu));
    assert!(run(&no_rows, Some(&no_rows)).is_err());
    let short_mask = Tensor::from_slice(&[1i64, 1]).unsqueeze(0);
    assert!(run(&plain, Some(&short_mask)).is_err());
    let bad_id = Tensor::from_slice(&[0i64, 500, 2]).unsqueeze(0);
    assert!(run(&bad_id, Some(&bad_id.zeros_like())).is_err());
    let too_long = Tensor::full([1, 60], 5, (Kind::Int64, Device::Cpu));
    assert!(run(&too_long, Some(&too_long.zeros_like())).is_err());
}

#[test]
fn memory_is_linear_in_the_length() {
    // One layer with a window of 8 over 4096 tokens and a few global ones: a seq × seq score
    // matrix (4 heads x 4096² floats = 268 MB) would dominate; the banded computation needs
    // about 4096 x 3·4 x 4 heads floats per tensor. Checked through the output shapes and a
    // run time small enough that no quadratic work happens.
    let config = LongformerConfig {
        hidden_size: 16,
        num_attention_heads: 4,
        num_hidden_layers: 1,
        intermediate_size: 8,
        attention_window: vec![8],
        max_position_embeddings: 4200,
        vocab_size: 10,
        output_attentions: Some(true),
        ..Default::default()
    };
    let vs = VarStore::new(Device::Cpu);
    let model = LongformerModel::new(vs.root(), &config, false);
    tch::no_grad(|| {
        for mut var in vs.trainable_variables() {
            var.copy_(&(Tensor::randn(var.size(), (Kind::Float, Device::Cpu)) * 0.1));
        }
    });
    let ids = Tensor::full([1, 4096], 5, (Kind::Int64, Device::Cpu));
    let global = ids.zeros_like();
    let _ = global.narrow(1, 0, 3).fill_(1);
    let out =
        tch::no_grad(|| model.forward_t(Some(&ids), None, Some(&global), None, None, None, false))
            .unwrap();
    assert_eq!(out.hidden_state.size(), [1, 4096, 16]);
    let attentions = out.all_attentions.unwrap();
    assert_eq!(attentions[0].size(), [1, 4, 4096, 3 + 9]);
    let global = out.all_global_attentions.unwrap();
    assert_eq!(global[0].size(), [1, 4, 4096, 3]);
    assert!(bool::try_from(out.hidden_state.isfinite().all()).unwrap());
}

#[test]
fn config_files_name_the_architecture() {
    use rust_bert::pipelines::common::{ConfigOption, ModelType};
    let path = dir("token_classification").join("config.json");
    assert_eq!(
        ModelType::from_config_file(&path).unwrap(),
        ModelType::Longformer
    );
    let config = ConfigOption::from_config_file(&path).unwrap();
    assert!(matches!(config, ConfigOption::Longformer(_)));
    // RoBERTa's positions: 40 minus the padding index 1 minus 1.
    assert_eq!(config.get_max_len(), Some(38));
    assert_eq!(config.get_label_mapping().unwrap().len(), 5);
    let typed = LongformerConfig::try_from(&config).unwrap();
    assert_eq!(typed.attention_window, [8]);
}
