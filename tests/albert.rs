//! ALBERT parity against HF Transformers 5.24 on tiny random models (tests/fixtures/albert/*,
//! written by utils/fixtures_albert.py): factorised embeddings (16 wide, hidden 32), 4 layers on
//! 2 shared groups of 2 inner layers, layer_norm_eps 0.02. Each checkpoint is loaded both from
//! HF's `model.safetensors` and from the `.ot` our converter makes of it.
use crate::util::{assert_close, fixtures, max_abs_diff, Expected, TOL};
use rust_bert::albert::{
    AlbertConfig, AlbertForMaskedLM, AlbertForMultipleChoice, AlbertForQuestionAnswering,
    AlbertForSequenceClassification, AlbertForTokenClassification, AlbertModel,
};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("albert").join(name)
}

fn config(name: &str) -> AlbertConfig {
    let mut config = AlbertConfig::try_from_file(dir(name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

/// Runs `check` from safetensors and `.ot`, with and without per-layer outputs.
fn for_each_format(name: &str, check: impl Fn(&VarStore, &Path, &Expected, &AlbertConfig)) {
    let without_layers = AlbertConfig {
        output_hidden_states: None,
        output_attentions: None,
        ..config(name)
    };
    crate::util::for_each_format(&dir(name), &[config(name), without_layers], check);
}

/// Per-layer outputs against HF's: `1 + layers * inner` hidden states (the first is the input
/// of the first layer, after `embedding_hidden_mapping_in`), attentions nested per layer and in
/// HF's flat call order once flattened.
fn check_layers(
    hidden: &Option<Vec<Tensor>>,
    attentions: &Option<Vec<Vec<Tensor>>>,
    expected: &Expected,
    config: &AlbertConfig,
    what: &str,
) {
    if config.output_attentions.is_none() {
        assert!(
            hidden.is_none() && attentions.is_none(),
            "{what}: not asked for"
        );
        return;
    }
    let calls = (config.num_hidden_layers * config.inner_group_num) as usize;
    let hidden = hidden.as_ref().expect("hidden states");
    let attentions = attentions.as_ref().expect("attentions");
    assert_eq!(hidden.len(), calls + 1, "{what}: hidden states");
    assert!(!expected.has(&format!("hidden_states.{}", calls + 1)));
    assert_eq!(
        attentions.len(),
        config.num_hidden_layers as usize,
        "{what}"
    );
    assert!(attentions
        .iter()
        .all(|a| a.len() == config.inner_group_num as usize));
    for (i, h) in hidden.iter().enumerate() {
        let name = format!("hidden_states.{i}");
        assert_close(h, expected.get(&name), TOL, &format!("{what} {name}"));
    }
    for (i, a) in attentions.iter().flatten().enumerate() {
        let name = format!("attentions.{i}");
        assert_close(a, expected.get(&name), TOL, &format!("{what} {name}"));
    }
    assert!(!expected.has(&format!("attentions.{calls}")));
}

/// Runs a model on the fixture's padded batch (ids, mask, token types; default positions).
macro_rules! on_fixture {
    ($model:expr, $e:expr) => {
        on_fixture!($model, $e, try_forward_t)
    };
    // The base model and the multiple-choice head return a Result from `forward_t` itself, as
    // in rust-bert; the other heads from `try_forward_t`.
    ($model:expr, $e:expr, $method:ident) => {
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
        let model = AlbertModel::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e, forward_t);
        assert_close(&out.hidden_state, e.get("last_hidden_state"), TOL, "base");
        assert_close(&out.pooled_output, e.get("pooler_output"), TOL, "pooler");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "base",
        );

        // Defaults: no mask, no token types, no positions.
        let single = model
            .forward_t(
                Some(e.get("single.input_ids")),
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap();
        assert_close(
            &single.hidden_state,
            e.get("single.last_hidden_state"),
            TOL,
            "single",
        );
        assert_close(
            &single.pooled_output,
            e.get("single.pooler_output"),
            TOL,
            "single pooler",
        );
        let nomask = model
            .forward_t(
                Some(e.get("input_ids")),
                None,
                Some(e.get("token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap();
        assert_close(
            &nomask.hidden_state,
            e.get("batch_nomask.last_hidden_state"),
            TOL,
            "batch without mask",
        );
        // Embeddings of width embedding_size instead of ids.
        let embeds = model
            .forward_t(
                None,
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                Some(e.get("embeds.inputs_embeds")),
                false,
            )
            .unwrap();
        assert_close(
            &embeds.hidden_state,
            e.get("embeds.last_hidden_state"),
            TOL,
            "input_embeds",
        );
        let explicit = model
            .forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                Some(e.get("explicit.position_ids")),
                None,
                false,
            )
            .unwrap();
        assert_close(
            &explicit.hidden_state,
            e.get("explicit.last_hidden_state"),
            TOL,
            "explicit positions",
        );
    });
}

#[test]
fn uneven_layer_to_group_mapping_matches_hf() {
    // 3 layers on 2 groups: HF runs groups 0, 0, 1 (int(i / 1.5)).
    let config = config("uneven_groups");
    assert_eq!(
        (
            config.num_hidden_layers,
            config.num_hidden_groups,
            config.inner_group_num
        ),
        (3, 2, 1)
    );
    for_each_format("uneven_groups", |vs, weights, e, config| {
        let model = AlbertModel::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e, forward_t);
        assert_close(&out.hidden_state, e.get("last_hidden_state"), TOL, "uneven");
        assert_close(&out.pooled_output, e.get("pooler_output"), TOL, "pooler");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "uneven",
        );
    });
}

#[test]
fn an_ignored_epsilon_would_fail_the_base_fixture() {
    // The fixture's layer_norm_eps (0.02) is large enough that HF's default (1e-12) gives
    // outputs far outside the tolerance: the parity tests above do prove the epsilon is read.
    let e = Expected::load(dir("base").join("expected.safetensors"));
    let config = AlbertConfig {
        layer_norm_eps: None,
        ..config("base")
    };
    let vs = VarStore::new(Device::Cpu);
    let model = AlbertModel::new(vs.root(), &config);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
    let out = tch::no_grad(|| on_fixture!(model, e, forward_t));
    let diff = max_abs_diff(&out.hidden_state, e.get("last_hidden_state"));
    assert!(diff > 100.0 * TOL, "{diff}");
}

#[test]
fn masked_lm_matches_hf() {
    for_each_format("masked_lm", |vs, weights, e, config| {
        let model = AlbertForMaskedLM::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        // HF saves the tied decoder only as the word embeddings + predictions.bias.
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        let out = on_fixture!(model, e);
        assert_close(&out.prediction_scores, e.get("logits"), TOL, "mlm");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "mlm",
        );
    });
}

#[test]
fn untied_masked_lm_matches_hf() {
    assert_eq!(config("masked_lm_untied").tie_word_embeddings, Some(false));
    for_each_format("masked_lm_untied", |vs, weights, e, config| {
        let model = AlbertForMaskedLM::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        // Untied, HF's decoder uses its own bias; predictions.bias is never read.
        assert_eq!(report.unused, vec!["predictions.bias"]);
        let out = on_fixture!(model, e);
        assert_close(&out.prediction_scores, e.get("logits"), TOL, "untied mlm");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "untied",
        );
    });
}

#[test]
fn sequence_classification_matches_hf() {
    for_each_format("sequence_classification", |vs, weights, e, config| {
        let model = AlbertForSequenceClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [3, 3]);
        assert_close(&out.logits, e.get("logits"), TOL, "sequence classification");
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
fn multiple_choice_matches_hf() {
    for_each_format("multiple_choice", |vs, weights, e, config| {
        let model = AlbertForMultipleChoice::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e, forward_t);
        assert_eq!(out.logits.size(), [2, 3]);
        assert_close(&out.logits, e.get("logits"), TOL, "multiple choice");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "mc");
    });
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config| {
        let model = AlbertForTokenClassification::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_close(&out.logits, e.get("logits"), TOL, "token classification");
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
        let model = AlbertForQuestionAnswering::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_close(&out.start_logits, e.get("start_logits"), TOL, "start");
        assert_close(&out.end_logits, e.get("end_logits"), TOL, "end");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "qa");
    });
}

#[test]
fn a_head_checkpoint_loads_into_the_base_model() {
    // albert. prefix removed; the classifier is reported unused.
    let config = config("sequence_classification");
    let vs = VarStore::new(Device::Cpu);
    let _model = AlbertModel::new(vs.root(), &config);
    let report = load_weights_from_file(
        &vs,
        dir("sequence_classification").join("model.safetensors"),
    )
    .unwrap();
    assert_eq!(report.unused, vec!["classifier.bias", "classifier.weight"]);
    // A token-level head checkpoint has no pooler (HF builds those heads without one).
    let vs = VarStore::new(Device::Cpu);
    let _model = AlbertModel::new(vs.root(), &config);
    let error = load_weights_from_file(&vs, dir("token_classification").join("model.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("pooler.weight"), "{error}");
}

#[test]
fn heads_without_labels_are_an_error() {
    let mut config = config("base");
    config.id2label = None;
    let vs = VarStore::new(Device::Cpu);
    let error = AlbertForSequenceClassification::new(vs.root(), &config).unwrap_err();
    assert!(matches!(error, RustBertError::InvalidConfigurationError(_)));
    let error = AlbertForTokenClassification::new(vs.root(), &config).unwrap_err();
    assert!(error.to_string().contains("id2label"), "{error}");
}

#[test]
fn configs_take_hf_defaults_for_omitted_keys() {
    let config: AlbertConfig =
        rust_bert::common::config::parse_config(r#"{"model_type": "albert"}"#, "test").unwrap();
    assert_eq!(config.embedding_size, 128);
    assert_eq!(config.hidden_size, 4096);
    assert_eq!(config.num_hidden_groups, 1);
    assert_eq!(config.inner_group_num, 1);
    assert_eq!(config.hidden_act, rust_bert::Activation::gelu_new);
    assert_eq!(config.layer_norm_eps(), 1e-12);
    assert_eq!(config.classifier_dropout_prob, Some(0.1));
    assert_eq!(
        (
            config.pad_token_id,
            config.bos_token_id,
            config.eos_token_id
        ),
        (0, 2, 3)
    );
    // Forms HF 5.x writes for special tokens: null, or a list of eos ids.
    let config: AlbertConfig = rust_bert::common::config::parse_config(
        r#"{"pad_token_id": null, "eos_token_id": [7, 8], "layer_norm_eps": 1e-5}"#,
        "test",
    )
    .unwrap();
    assert_eq!((config.pad_token_id, config.eos_token_id), (0, 7));
    assert_eq!(config.layer_norm_eps(), 1e-5);
    let error = rust_bert::common::config::parse_config::<AlbertConfig>(
        r#"{"num_hidden_groups": "two"}"#,
        "cfg.json",
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("num_hidden_groups") && error.contains("cfg.json"),
        "{error}"
    );
}

#[test]
fn bad_inputs_and_configs_are_errors_not_panics() {
    let config = config("base");
    let vs = VarStore::new(Device::Cpu);
    let model = AlbertModel::new(vs.root(), &config);
    let run = |ids: Option<&Tensor>, mask: Option<&Tensor>, embeds: Option<&Tensor>| {
        model.forward_t(ids, mask, None, None, embeds, false)
    };
    let long = Tensor::ones([1, 65], (Kind::Int64, Device::Cpu));
    assert!(run(Some(&long), None, None)
        .unwrap_err()
        .to_string()
        .contains("max_position_embeddings"));
    let bad = Tensor::from_slice(&[2i64, 100, 3]).unsqueeze(0);
    assert!(matches!(
        run(Some(&bad), None, None),
        Err(RustBertError::ValueError(_))
    ));
    assert!(run(None, None, None).is_err());
    let ids = Tensor::from_slice(&[2i64, 5, 3]).unsqueeze(0);
    let mask = Tensor::ones([1, 4], (Kind::Int64, Device::Cpu));
    assert!(run(Some(&ids), Some(&mask), None)
        .unwrap_err()
        .to_string()
        .contains("attention mask"));
    // Embeddings must have the factorised width (16), not the hidden size (32).
    let embeds = Tensor::zeros([1, 3, 32], (Kind::Float, Device::Cpu));
    assert!(run(None, None, Some(&embeds))
        .unwrap_err()
        .to_string()
        .contains("input_embeds"));
    let empty = Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu));
    assert!(run(Some(&empty), None, None)
        .unwrap_err()
        .to_string()
        .contains("empty"));

    let choice = AlbertForMultipleChoice::new(vs.root() / "mc", &config);
    let error = choice
        .forward_t(Some(&ids), None, None, None, None, false)
        .unwrap_err();
    assert!(error.to_string().contains("num_choices"), "{error}");
    let ids3 = ids.unsqueeze(0);
    let error = choice
        .forward_t(Some(&ids3), Some(&mask), None, None, None, false)
        .unwrap_err();
    assert!(error.to_string().contains("attention mask"), "{error}");

    // Configurations HF cannot run either: errors at the first forward pass.
    for broken in [
        AlbertConfig {
            num_hidden_groups: 0,
            ..config.clone()
        },
        AlbertConfig {
            num_attention_heads: 5,
            ..config.clone()
        },
        AlbertConfig {
            num_attention_heads: 0,
            ..config.clone()
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        let model = AlbertModel::new(vs.root(), &broken);
        let error = model
            .forward_t(Some(&ids), None, None, None, None, false)
            .unwrap_err();
        assert!(
            matches!(error, RustBertError::InvalidConfigurationError(_)),
            "{error}"
        );
    }
}
