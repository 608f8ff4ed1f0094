//! BERT parity against HF Transformers 5.24 on tiny random models (tests/fixtures/bert/*,
//! written by utils/generate_fixtures.py), loading each checkpoint both from HF's
//! `model.safetensors` and from the `.ot` our converter makes of it.
use crate::util::{assert_close, encode, fixtures, Expected, TOL};
use rust_bert::bert::{
    BertConfig, BertEmbeddings, BertForMaskedLM, BertForMultipleChoice, BertForQuestionAnswering,
    BertForSequenceClassification, BertForTokenClassification, BertModel,
};
use rust_bert::common::weights::{load_weights_from_file, read_tensors};
use rust_bert::{Config, RustBertError};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("bert").join(name)
}

fn config(name: &str) -> BertConfig {
    let mut config = BertConfig::try_from_file(dir(name).join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

/// Runs `check` from safetensors and `.ot`, with and without per-layer outputs.
fn for_each_format(name: &str, check: impl Fn(&VarStore, &Path, &Expected, &BertConfig)) {
    let without_layers = BertConfig {
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
    config: &BertConfig,
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
    assert_eq!(hidden.len(), 3, "{what}: embeddings + 2 layers");
    assert_eq!(attentions.len(), 2);
    for (i, h) in hidden.iter().enumerate() {
        assert_close(h, expected.get(&format!("hidden_states.{i}")), TOL, what);
    }
    for (i, a) in attentions.iter().enumerate() {
        assert_close(a, expected.get(&format!("attentions.{i}")), TOL, what);
    }
}

#[test]
fn base_model_matches_hf() {
    for_each_format("base", |vs, weights, e, config| {
        let model = BertModel::<BertEmbeddings>::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        assert!(report.unused.is_empty(), "{:?}", report.unused);
        let out = encode(&model, e);
        assert_close(&out.hidden_state, e.get("last_hidden_state"), TOL, "base");
        assert_close(
            out.pooled_output.as_ref().unwrap(),
            e.get("pooler_output"),
            TOL,
            "pool",
        );
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
        let nomask = model
            .forward_t(
                Some(e.get("nomask.input_ids")),
                None,
                Some(e.get("nomask.token_type_ids")),
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap();
        assert_close(
            &nomask.hidden_state,
            e.get("nomask.last_hidden_state"),
            TOL,
            "nomask",
        );
        let batch_nomask = model
            .forward_t(
                Some(e.get("input_ids")),
                None,
                Some(e.get("token_type_ids")),
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap();
        assert_close(
            &batch_nomask.hidden_state,
            e.get("batch_nomask.last_hidden_state"),
            TOL,
            "batch without mask",
        );
    });
}

#[test]
fn input_embeds_give_the_same_output_as_ids() {
    let config = config("base");
    let vs = VarStore::new(Device::Cpu);
    let model = BertModel::<BertEmbeddings>::new(vs.root(), &config);
    load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap();
    let e = Expected::load(dir("base").join("expected.safetensors"));
    let weights = read_tensors(dir("base").join("model.safetensors")).unwrap();
    let table = &weights
        .iter()
        .find(|(n, _)| n == "embeddings.word_embeddings.weight")
        .unwrap()
        .1;
    let embeds = table
        .index_select(0, &e.get("input_ids").flatten(0, -1))
        .view([3, 9, 32]);
    let out = tch::no_grad(|| {
        model.forward_t(
            None,
            Some(e.get("attention_mask")),
            Some(e.get("token_type_ids")),
            None,
            Some(&embeds),
            None,
            None,
            false,
        )
    })
    .unwrap();
    assert_close(&out.hidden_state, e.get("last_hidden_state"), TOL, "embeds");
}

#[test]
fn decoder_with_cross_attention_matches_hf() {
    assert_eq!(config("decoder").is_decoder, Some(true));
    for_each_format("decoder", |vs, weights, e, config| {
        let model = BertModel::<BertEmbeddings>::new(vs.root(), config);
        load_weights_from_file(vs, weights).unwrap();
        let out = model
            .forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                None,
                Some(e.get("encoder_hidden_states")),
                Some(e.get("encoder_attention_mask")),
                false,
            )
            .unwrap();
        assert_close(
            &out.hidden_state,
            e.get("last_hidden_state"),
            TOL,
            "decoder",
        );
        assert_close(
            out.pooled_output.as_ref().unwrap(),
            e.get("pooler_output"),
            TOL,
            "pool",
        );
        check_layers(
            &out.all_hidden_states,
            &out.all_attentions,
            e,
            config,
            "decoder",
        );
    });
}

#[test]
fn masked_lm_matches_hf() {
    for_each_format("masked_lm", |vs, weights, e, config| {
        let model = BertForMaskedLM::new(vs.root(), config);
        load_weights_from_file(vs, weights).unwrap();
        let out = model
            .try_forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap();
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
fn untied_masked_lm_reads_the_decoder_weight_and_bias() {
    for_each_format("masked_lm_untied", |vs, weights, e, config| {
        assert_eq!(config.tie_word_embeddings, Some(false));
        let model = BertForMaskedLM::new(vs.root(), config);
        let report = load_weights_from_file(vs, weights).unwrap();
        assert_eq!(report.unused, vec!["cls.predictions.bias"]);
        let out = model
            .try_forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap();
        assert_close(&out.prediction_scores, e.get("logits"), TOL, "untied mlm");
    });
}

#[test]
fn sequence_classification_matches_hf() {
    for_each_format("sequence_classification", |vs, weights, e, config| {
        let model = BertForSequenceClassification::new(vs.root(), config).unwrap();
        load_weights_from_file(vs, weights).unwrap();
        let out = model
            .try_forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap();
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
        let model = BertForMultipleChoice::new(vs.root(), config);
        load_weights_from_file(vs, weights).unwrap();
        let out = model
            .try_forward_t(
                e.get("input_ids"),
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                false,
            )
            .unwrap();
        assert_close(&out.logits, e.get("logits"), TOL, "multiple choice");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "mc");
    });
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config| {
        let model = BertForTokenClassification::new(vs.root(), config).unwrap();
        load_weights_from_file(vs, weights).unwrap();
        let out = model
            .try_forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap();
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
        let model = BertForQuestionAnswering::new(vs.root(), config);
        load_weights_from_file(vs, weights).unwrap();
        let out = model
            .try_forward_t(
                Some(e.get("input_ids")),
                Some(e.get("attention_mask")),
                Some(e.get("token_type_ids")),
                None,
                None,
                false,
            )
            .unwrap();
        assert_close(&out.start_logits, e.get("start_logits"), TOL, "start");
        assert_close(&out.end_logits, e.get("end_logits"), TOL, "end");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, config, "qa");
    });
}

#[test]
fn a_base_checkpoint_loads_into_a_head_and_a_head_checkpoint_into_a_base() {
    // base checkpoint (no `bert.` prefix) -> model with a head: the encoder weights match.
    let config = config("sequence_classification");
    let vs = VarStore::new(Device::Cpu);
    let _head = BertForTokenClassification::new(vs.root(), &config).unwrap();
    let error = load_weights_from_file(&vs, dir("base").join("model.safetensors")).unwrap_err();
    // The head's classifier is not in a base checkpoint: an error naming it.
    assert!(error.to_string().contains("classifier.weight"), "{error}");

    // head checkpoint -> base model: prefix removed, head tensors reported as unused.
    let vs = VarStore::new(Device::Cpu);
    let _base = BertModel::<BertEmbeddings>::new_with_optional_pooler(vs.root(), &config, false);
    let report =
        load_weights_from_file(&vs, dir("token_classification").join("model.safetensors")).unwrap();
    assert_eq!(report.unused, vec!["classifier.bias", "classifier.weight"]);
    assert!(report
        .renamed
        .iter()
        .all(|(var, file)| file == &format!("bert.{var}")));
}

#[test]
fn heads_without_labels_are_an_error() {
    let mut config = config("base");
    config.id2label = None;
    let vs = VarStore::new(Device::Cpu);
    let error = BertForSequenceClassification::new(vs.root(), &config).unwrap_err();
    assert!(matches!(error, RustBertError::InvalidConfigurationError(_)));
    assert!(BertForTokenClassification::new(vs.root(), &config).is_err());
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let config = config("base");
    let vs = VarStore::new(Device::Cpu);
    let model = BertModel::<BertEmbeddings>::new(vs.root(), &config);
    let run = |ids: Option<&Tensor>, mask: Option<&Tensor>| {
        model.forward_t(ids, mask, None, None, None, None, None, false)
    };
    // Longer than max_position_embeddings (64).
    let long = Tensor::ones([1, 65], (tch::Kind::Int64, Device::Cpu));
    assert!(run(Some(&long), None)
        .unwrap_err()
        .to_string()
        .contains("max_position_embeddings"));
    // An id outside the vocabulary.
    let bad = Tensor::from_slice(&[2i64, 10_000, 3]).unsqueeze(0);
    assert!(matches!(
        run(Some(&bad), None),
        Err(RustBertError::ValueError(_))
    ));
    // Neither ids nor embeddings.
    assert!(run(None, None).is_err());
    // Masks and ids that do not line up with the input.
    let ids = Tensor::from_slice(&[2i64, 5, 3]).unsqueeze(0);
    for shape in [vec![1, 1, 1, 3], vec![1, 4], vec![2, 3], vec![1, 3, 2]] {
        let mask = Tensor::ones(shape.as_slice(), (tch::Kind::Int64, Device::Cpu));
        let error = run(Some(&ids), Some(&mask)).unwrap_err().to_string();
        assert!(error.contains("attention mask"), "{error}");
    }
    let types = Tensor::zeros([1, 4], (tch::Kind::Int64, Device::Cpu));
    let error = model
        .forward_t(
            Some(&ids),
            None,
            Some(&types),
            None,
            None,
            None,
            None,
            false,
        )
        .unwrap_err();
    assert!(error.to_string().contains("token_type_ids"));
    let embeds = Tensor::zeros([1, 3, 7], (tch::Kind::Float, Device::Cpu));
    let error = model
        .forward_t(None, None, None, None, Some(&embeds), None, None, false)
        .unwrap_err();
    assert!(error.to_string().contains("input_embeds"));
    // One-dimensional ids.
    assert!(run(Some(&Tensor::from_slice(&[2i64, 3])), None).is_err());
    // An empty sequence is an error, not a panic in the pooler.
    let empty = Tensor::zeros([1, 0], (tch::Kind::Int64, Device::Cpu));
    assert!(run(Some(&empty), None)
        .unwrap_err()
        .to_string()
        .contains("empty"));
}

#[test]
fn shape_mismatch_and_missing_tensors_name_every_tensor() {
    let mut config = config("base");
    config.hidden_size = 16;
    config.num_attention_heads = 2;
    let vs = VarStore::new(Device::Cpu);
    let _model = BertModel::<BertEmbeddings>::new(vs.root(), &config);
    let error = load_weights_from_file(&vs, dir("base").join("model.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("wrong shape"), "{error}");
    assert!(error.contains("embeddings.word_embeddings.weight: model [180, 16], file [180, 32]"));
    assert!(error.contains("model.safetensors"), "{error}");

    let config = BertConfig {
        num_hidden_layers: 3,
        ..self::config("base")
    };
    let vs = VarStore::new(Device::Cpu);
    let _model = BertModel::<BertEmbeddings>::new(vs.root(), &config);
    let error = load_weights_from_file(&vs, dir("base").join("model.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("encoder.layer.2.attention.self.query.weight"),
        "{error}"
    );
}
