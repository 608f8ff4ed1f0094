//! DistilBERT parity against HF Transformers 5.24 on tiny random models
//! (tests/fixtures/distilbert/*, written by utils/fixtures_distilbert.py), loading each
//! checkpoint both from HF's `model.safetensors` and from the `.ot` our converter makes of it.
use crate::util::{assert_close, fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::weights::{load_weights_from_file, read_tensors, write_tensors};
use rust_bert::distilbert::{
    DistilBertConfig, DistilBertForMultipleChoice, DistilBertForQuestionAnswering,
    DistilBertForTokenClassification, DistilBertModel, DistilBertModelClassifier,
    DistilBertModelMaskedLM, DistilBertTransformerOutput,
};
use rust_bert::{Activation, Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("distilbert").join(name)
}

fn config(name: &str) -> DistilBertConfig {
    let mut config = DistilBertConfig::try_from_file(dir(name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

/// Runs `check` from safetensors and `.ot`, with and without per-layer outputs.
fn for_each_format(name: &str, check: impl Fn(&VarStore, &Path, &Expected, &DistilBertConfig)) {
    let without_layers = DistilBertConfig {
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
    config: &DistilBertConfig,
    what: &str,
) {
    if config.output_attentions.is_none() {
        assert!(
            hidden.is_none() && attentions.is_none(),
            "{what}: not asked for"
        );
        return;
    }
    let hidden = hidden.as_ref().expect("hidden states");
    let attentions = attentions.as_ref().expect("attentions");
    assert_eq!(hidden.len(), 3, "{what}: embeddings + 2 layers, as HF");
    assert_eq!(attentions.len(), 2, "{what}");
    for (i, h) in hidden.iter().enumerate() {
        let name = format!("hidden_states.{i}");
        assert_close(h, expected.get(&name), TOL, &format!("{what} {name}"));
    }
    for (i, a) in attentions.iter().enumerate() {
        let name = format!("attentions.{i}");
        assert_close(a, expected.get(&name), TOL, &format!("{what} {name}"));
    }
}

fn inputs(e: &Expected) -> (&Tensor, &Tensor) {
    (e.get("input_ids"), e.get("attention_mask"))
}

#[test]
fn base_model_matches_hf() {
    for_each_format("base", |vs, weights, e, config| {
        assert_eq!(config.activation, Activation::gelu_new);
        let model = DistilBertModel::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        // HF's bare DistilBertModel saves names without `distilbert.`: the loader adds it.
        assert!(report
            .renamed
            .iter()
            .all(|(to, from)| to == &format!("distilbert.{from}")));
        let (ids, mask) = inputs(e);
        let out: DistilBertTransformerOutput =
            model.forward_t(Some(ids), Some(mask), None, false).unwrap();
        assert_close(&out.hidden_state, e.get("last_hidden_state"), TOL, "base");
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "base",
        );

        // Defaults: no mask; no mask on a padded batch (pads attended to, as in HF).
        let single = model
            .forward_t(Some(e.get("single.input_ids")), None, None, false)
            .unwrap();
        let expected = e.get("single.last_hidden_state");
        assert_close(&single.hidden_state, expected, TOL, "single");
        let nomask = model.forward_t(Some(ids), None, None, false).unwrap();
        let expected = e.get("batch_nomask.last_hidden_state");
        assert_close(&nomask.hidden_state, expected, TOL, "batch without mask");
        // Explicit position ids, one row per sequence.
        let positions = model
            .forward_t_with_position_ids(
                Some(ids),
                Some(mask),
                Some(e.get("positions.position_ids")),
                None,
                false,
            )
            .unwrap();
        let expected = e.get("positions.last_hidden_state");
        assert_close(&positions.hidden_state, expected, TOL, "position ids");
    });
}

#[test]
fn input_embeds_give_the_same_output_as_ids() {
    let config = config("base");
    let vs = VarStore::new(Device::Cpu);
    let model = DistilBertModel::new(vs.root(), &config);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
    let e = Expected::load(dir("base").join("expected.safetensors"));
    let table = vs
        .variables()
        .remove("distilbert.embeddings.word_embeddings.weight")
        .unwrap();
    let (ids, mask) = inputs(&e);
    let embeds = table.index_select(0, &ids.flatten(0, -1)).view([3, 9, 32]);
    let out = tch::no_grad(|| model.forward_t(None, Some(mask), Some(&embeds), false)).unwrap();
    assert_close(&out.hidden_state, e.get("last_hidden_state"), TOL, "embeds");
}

#[test]
fn masked_lm_matches_hf() {
    for_each_format("masked_lm", |vs, weights, e, config| {
        assert_eq!(config.activation, Activation::relu);
        let model = DistilBertModelMaskedLM::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        // Tied: HF 5.24 saves no `vocab_projector.weight`, and the model has no such variable.
        assert!(!vs.variables().contains_key("vocab_projector.weight"));
        let (ids, mask) = inputs(e);
        let out = model.forward_t(Some(ids), Some(mask), None, false).unwrap();
        assert_close(&out.prediction_scores, e.get("logits"), TOL, "masked lm");
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
fn masked_lm_loads_old_files_that_store_the_tied_projector() {
    // rust-bert's .ot files (converted from HF 2.x-4.x checkpoints) store the tied
    // `vocab_projector.weight` beside the word embeddings: unused, not an error.
    let scratch = tempfile::tempdir().unwrap();
    let mut tensors = read_tensors(dir("masked_lm").join("model.safetensors")).unwrap();
    let words = tensors
        .iter()
        .find(|(n, _)| n == "distilbert.embeddings.word_embeddings.weight")
        .map(|(_, t)| t.copy())
        .unwrap();
    tensors.push(("vocab_projector.weight".to_string(), words));
    let ot = scratch.path().join("rust_model.ot");
    write_tensors(&tensors, &ot).unwrap();
    let config = config("masked_lm");
    let vs = VarStore::new(Device::Cpu);
    let model = DistilBertModelMaskedLM::new(vs.root(), &config);
    let report = load_weights_from_file(&vs, &ot).unwrap();
    assert_eq!(report.unused, vec!["vocab_projector.weight".to_string()]);
    let e = Expected::load(dir("masked_lm").join("expected.safetensors"));
    let (ids, mask) = inputs(&e);
    let out = tch::no_grad(|| model.forward_t(Some(ids), Some(mask), None, false)).unwrap();
    assert_close(&out.prediction_scores, e.get("logits"), TOL, "old .ot");
}

#[test]
fn untied_masked_lm_matches_hf() {
    for_each_format("masked_lm_untied", |vs, weights, e, config| {
        assert_eq!(config.tie_word_embeddings, Some(false));
        let model = DistilBertModelMaskedLM::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        assert!(vs.variables().contains_key("vocab_projector.weight"));
        let (ids, mask) = inputs(e);
        let out = model.forward_t(Some(ids), Some(mask), None, false).unwrap();
        assert_close(&out.prediction_scores, e.get("logits"), TOL, "untied lm");
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
        let model = DistilBertModelClassifier::new(vs.root(), config).unwrap();
        let report = load_weights_from_file(vs, weights).unwrap();
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        let (ids, mask) = inputs(e);
        let out = model.forward_t(Some(ids), Some(mask), None, false).unwrap();
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
        let model = DistilBertForMultipleChoice::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        let (ids, mask) = inputs(e);
        assert_eq!(ids.size(), [2, 3, 7]);
        let out = model.forward_t(Some(ids), Some(mask), None, false).unwrap();
        assert_close(&out.logits, e.get("logits"), TOL, "multiple choice");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "mc");
    });
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config| {
        let model = DistilBertForTokenClassification::new(vs.root(), config).unwrap();
        let report = load_weights_from_file(vs, weights).unwrap();
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        let (ids, mask) = inputs(e);
        let out = model.forward_t(Some(ids), Some(mask), None, false).unwrap();
        assert_eq!(out.logits.size(), [3, 9, 5]);
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
        let model = DistilBertForQuestionAnswering::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        let (ids, mask) = inputs(e);
        let out = model.forward_t(Some(ids), Some(mask), None, false).unwrap();
        assert_close(&out.start_logits, e.get("start_logits"), TOL, "start");
        assert_close(&out.end_logits, e.get("end_logits"), TOL, "end");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "qa");
    });
}

#[test]
fn sinusoidal_positions_start_as_hf_inits_them_and_load_from_the_checkpoint() {
    let e = Expected::load(dir("sinusoidal").join("expected.safetensors"));
    let config = config("sinusoidal");
    assert!(config.sinusoidal_pos_embds);
    let vs = VarStore::new(Device::Cpu);
    let _model = DistilBertModel::new(vs.root(), &config);
    let table = vs
        .variables()
        .remove("distilbert.embeddings.position_embeddings.weight")
        .unwrap();
    assert_close(&table, e.get("init.position_embeddings"), 1e-6, "sinusoids");
    // HF's from_pretrained keeps the saved table (random here), and so does loading.
    for_each_format("sinusoidal", |vs, weights, e, config| {
        let model = DistilBertModel::new(vs.root(), config);
        load_weights_from_file(vs, weights).unwrap();
        let (ids, mask) = inputs(e);
        let out = model.forward_t(Some(ids), Some(mask), None, false).unwrap();
        assert_close(
            &out.hidden_state,
            e.get("last_hidden_state"),
            TOL,
            "sinusoidal",
        );
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "sin",
        );
    });
}

#[test]
fn classification_heads_need_id2label() {
    let config = config("base");
    assert!(config.id2label.is_none());
    let vs = VarStore::new(Device::Cpu);
    let is_label_error = |r: Result<(), RustBertError>| match r {
        Err(RustBertError::InvalidConfigurationError(message)) => message.contains("id2label"),
        _ => false,
    };
    assert!(is_label_error(
        DistilBertModelClassifier::new(vs.root() / "a", &config).map(|_| ())
    ));
    assert!(is_label_error(
        DistilBertForTokenClassification::new(vs.root() / "b", &config).map(|_| ())
    ));
    // Heads without labels build from the same configuration.
    DistilBertForQuestionAnswering::new(vs.root() / "c", &config);
    DistilBertForMultipleChoice::new(vs.root() / "d", &config);
}

#[test]
fn hf5_and_old_rust_bert_configs_both_load() {
    // HF 5.24 writes neither `tie_weights_` nor `output_past`.
    let text = std::fs::read_to_string(dir("sequence_classification").join("config.json")).unwrap();
    assert!(!text.contains("tie_weights_"));
    let new = DistilBertConfig::from_file(dir("sequence_classification").join("config.json"));
    assert!(new.tie_weights_, "HF's default");
    assert_eq!(new.tie_word_embeddings, Some(true));
    assert_eq!(new.output_past, None);

    let old_path = dir("old_config.json");
    let old = DistilBertConfig::try_from_file(&old_path).unwrap();
    assert!(old.tie_weights_);
    assert_eq!(old.output_past, Some(true));
    assert_eq!(old.tie_word_embeddings, None);
    assert_eq!(old.id2label.as_ref().map(|l| l.len()), Some(3));
    assert_eq!(
        (old.dim, old.n_layers, old.n_heads),
        (new.dim, new.n_layers, new.n_heads)
    );

    // Both give HF's logits with the same weights.
    let e = Expected::load(dir("sequence_classification").join("expected.safetensors"));
    let (ids, mask) = inputs(&e);
    for config in [&new, &old] {
        let vs = VarStore::new(Device::Cpu);
        let model = DistilBertModelClassifier::new(vs.root(), config).unwrap();
        load_weights_from_file(
            &vs,
            dir("sequence_classification").join("model.safetensors"),
        )
        .unwrap();
        let out = tch::no_grad(|| model.forward_t(Some(ids), Some(mask), None, false)).unwrap();
        assert!(out.all_hidden_states.is_none() && out.all_attentions.is_none());
        assert_close(&out.logits, e.get("logits"), TOL, "config");
    }

    // Defaults of keys a minimal file omits are HF's.
    let minimal: DistilBertConfig =
        serde_json::from_str(r#"{"model_type": "distilbert"}"#).unwrap();
    assert_eq!(
        (minimal.dim, minimal.hidden_dim, minimal.n_layers),
        (768, 3072, 6)
    );
    assert_eq!((minimal.n_heads, minimal.vocab_size), (12, 30522));
    assert_eq!(minimal.activation, Activation::gelu);
    assert_eq!(minimal.seq_classif_dropout, 0.2);
    assert!(minimal.tie_weights_ && !minimal.sinusoidal_pos_embds);
}

#[test]
fn bad_configs_and_inputs_are_errors() {
    let e = Expected::load(dir("base").join("expected.safetensors"));
    let (ids, mask) = inputs(&e);

    // n_heads must divide dim: construction does not panic, the forward pass says why.
    for n_heads in [5, 0] {
        let config = DistilBertConfig {
            n_heads,
            ..config("base")
        };
        let vs = VarStore::new(Device::Cpu);
        let model = DistilBertModel::new(vs.root(), &config);
        match tch::no_grad(|| model.forward_t(Some(ids), Some(mask), None, false)) {
            Err(RustBertError::InvalidConfigurationError(m)) => {
                assert!(m.contains("n_heads"), "{m}")
            }
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    let config = config("base");
    let vs = VarStore::new(Device::Cpu);
    let model = DistilBertModel::new(vs.root(), &config);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
    let run = |ids: Option<&Tensor>, mask: Option<&Tensor>, embeds: Option<&Tensor>| {
        tch::no_grad(|| model.forward_t(ids, mask, embeds, false)).map(|_| ())
    };
    let value_error = |r: Result<(), RustBertError>| matches!(r, Err(RustBertError::ValueError(_)));
    assert!(
        value_error(run(Some(ids), Some(&mask.narrow(1, 0, 5)), None)),
        "mask shape"
    );
    assert!(
        value_error(run(Some(&(ids + 1000)), Some(mask), None)),
        "id out of vocabulary"
    );
    assert!(value_error(run(None, None, None)), "no input");
    let long = Tensor::ones([1, 65], (Kind::Int64, Device::Cpu));
    assert!(
        value_error(run(Some(&long), None, None)),
        "longer than the positions"
    );
    let empty = Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu));
    assert!(value_error(run(Some(&empty), None, None)), "empty input");

    let mc = DistilBertForMultipleChoice::new(vs.root() / "mc", &config);
    let flat = tch::no_grad(|| mc.forward_t(Some(ids), Some(mask), None, false));
    assert!(
        matches!(flat, Err(RustBertError::ValueError(_))),
        "mc needs [B, C, L]"
    );
}

#[test]
fn a_batch_gives_the_rows_one_by_one() {
    // Padding must not leak: each row alone (unpadded) equals its row in the padded batch.
    let config = DistilBertConfig {
        output_hidden_states: None,
        output_attentions: None,
        ..config("sequence_classification")
    };
    let vs = VarStore::new(Device::Cpu);
    let model = DistilBertModelClassifier::new(vs.root(), &config).unwrap();
    load_weights_from_file(
        &vs,
        dir("sequence_classification").join("model.safetensors"),
    )
    .unwrap();
    let e = Expected::load(dir("sequence_classification").join("expected.safetensors"));
    let (ids, mask) = inputs(&e);
    let lengths: Vec<i64> =
        Vec::<i64>::try_from(mask.sum_dim_intlist(1, false, Kind::Int64)).unwrap();
    for (row, length) in lengths.into_iter().enumerate() {
        let alone = ids.get(row as i64).narrow(0, 0, length).unsqueeze(0);
        let out = tch::no_grad(|| model.forward_t(Some(&alone), None, None, false)).unwrap();
        let expected = e.get("logits").get(row as i64).unsqueeze(0);
        let diff = max_abs_diff(&out.logits, &expected);
        assert!(diff <= TOL, "row {row}: max |diff| = {diff:e}");
    }
}

#[test]
fn resource_constants_name_rust_bert_hub_files() {
    use rust_bert::distilbert::{
        DistilBertConfigResources, DistilBertModelResources, DistilBertVocabResources,
    };
    assert_eq!(
        DistilBertModelResources::DISTIL_BERT_SST2,
        (
            "distilbert-sst2/model",
            "https://huggingface.co/distilbert-base-uncased-finetuned-sst-2-english/resolve/main/rust_model.ot"
        )
    );
    assert_eq!(
        DistilBertConfigResources::DISTIL_BERT_SQUAD,
        (
            "distilbert-qa/config",
            "https://huggingface.co/distilbert-base-cased-distilled-squad/resolve/main/config.json"
        )
    );
    assert_eq!(
        DistilBertVocabResources::DISTIL_BERT,
        (
            "distilbert/vocab",
            "https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt"
        )
    );
    assert_eq!(
        DistilBertModelResources::DISTILUSE_BASE_MULTILINGUAL_CASED.0,
        "distiluse-base-multilingual-cased/model"
    );
}
