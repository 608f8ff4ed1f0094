//! RoBERTa and XLM-RoBERTa parity against HF Transformers 5.24 on tiny random models
//! (tests/fixtures/{roberta,xlm_roberta}/*, written by utils/fixtures_roberta.py). Every head runs
//! on padded batches (pad id 1, so RoBERTa's padding-aware positions matter), loaded from HF's
//! `model.safetensors` and from the `.ot` converted from it, with and without per-layer outputs.
use crate::util::{assert_close, fixtures, max_abs_diff, Expected, TOL};
use rust_bert::bert::BertModelOutput;
use rust_bert::common::weights::{load_weights_from_file, read_tensors, write_tensors, LoadReport};
use rust_bert::roberta::{
    RobertaConfig, RobertaConfigResources, RobertaForMaskedLM, RobertaForMultipleChoice,
    RobertaForQuestionAnswering, RobertaForSequenceClassification, RobertaForTokenClassification,
    RobertaMergesResources, RobertaModel, RobertaModelResources, RobertaVocabResources,
};
use rust_bert::xlm_roberta::{
    XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaForSequenceClassification,
    XLMRobertaForTokenClassification, XLMRobertaModel, XLMRobertaModelResources,
    XLMRobertaVocabResources,
};
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// A fixture folder: `family` is `roberta` or `xlm_roberta`.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(family: &str, name: &str) -> Self {
        Fixture {
            dir: fixtures().join(family).join(name),
        }
    }

    fn expected(&self) -> Expected {
        Expected::load(self.dir.join("expected.safetensors"))
    }

    /// The configuration as saved by HF, with or without per-layer outputs asked for.
    fn config(&self, layers: bool) -> RobertaConfig {
        let mut config = RobertaConfig::try_from_file(self.dir.join("config.json")).unwrap();
        config.output_hidden_states = layers.then_some(true);
        config.output_attentions = layers.then_some(true);
        config
    }

    /// Runs `check` for HF's safetensors and its `.ot` conversion, each with and without
    /// per-layer outputs (which switch attention between its eager and fused paths), on a fresh
    /// VarStore every time. `check` builds the model and returns the load report.
    fn run(&self, check: impl Fn(&VarStore, &dyn Fn(&VarStore) -> LoadReport, &Expected, bool)) {
        let scratch = tempfile::tempdir().unwrap();
        let safetensors = self.dir.join("model.safetensors");
        let ot = scratch.path().join("rust_model.ot");
        write_tensors(&read_tensors(&safetensors).unwrap(), &ot).unwrap();
        let expected = self.expected();
        for weights in [&safetensors, &ot] {
            let load = |vs: &VarStore| load_weights_from_file(vs, weights).unwrap();
            for layers in [true, false] {
                let vs = VarStore::new(Device::Cpu);
                tch::no_grad(|| check(&vs, &load, &expected, layers));
            }
        }
    }
}

/// Per-layer outputs: present and equal to HF's when asked for, absent otherwise.
fn check_layers(
    hidden: &Option<Vec<Tensor>>,
    attentions: &Option<Vec<Tensor>>,
    e: &Expected,
    layers: bool,
    what: &str,
) {
    if !layers {
        assert!(hidden.is_none() && attentions.is_none(), "{what}");
        return;
    }
    let (hidden, attentions) = (hidden.as_ref().unwrap(), attentions.as_ref().unwrap());
    assert_eq!((hidden.len(), attentions.len()), (3, 2), "{what}");
    for (i, h) in hidden.iter().enumerate() {
        let label = format!("{what} hidden_states.{i}");
        assert_close(h, e.get(&format!("hidden_states.{i}")), TOL, &label);
    }
    for (i, a) in attentions.iter().enumerate() {
        let label = format!("{what} attentions.{i}");
        assert_close(a, e.get(&format!("attentions.{i}")), TOL, &label);
    }
}

fn ids_and_mask(e: &Expected) -> (Option<&Tensor>, Option<&Tensor>) {
    (Some(e.get("input_ids")), Some(e.get("attention_mask")))
}

fn run_base(
    model: &RobertaModel,
    ids: Option<&Tensor>,
    mask: Option<&Tensor>,
    types: Option<&Tensor>,
    positions: Option<&Tensor>,
    embeds: Option<&Tensor>,
) -> Result<BertModelOutput, RustBertError> {
    model.forward_t(ids, mask, types, positions, embeds, None, None, false)
}

#[test]
fn base_model_matches_hf() {
    let fixture = Fixture::new("roberta", "base");
    fixture.run(|vs, load, e, layers| {
        let model = RobertaModel::new(vs.root(), &fixture.config(layers));
        assert!(load(vs).unused.is_empty());
        let (ids, mask) = ids_and_mask(e);
        let types = Some(e.get("token_type_ids"));

        let out = run_base(&model, ids, mask, types, None, None).unwrap();
        assert_close(&out.hidden_state, e.get("last_hidden_state"), TOL, "base");
        let pooled = out.pooled_output.as_ref().unwrap();
        assert_close(pooled, e.get("pooler_output"), TOL, "pooler");
        let (hidden, attentions) = (&out.all_hidden_states, &out.all_attentions);
        check_layers(hidden, attentions, e, layers, "base");

        // The positions RoBERTa derives from the padded ids are HF's, to the unit.
        let positions = model
            .embeddings()
            .create_position_ids_from_input_ids(e.get("input_ids"));
        assert_eq!(&positions, e.get("position_ids"));

        let single = run_base(
            &model,
            Some(e.get("single.input_ids")),
            None,
            None,
            None,
            None,
        );
        let expected = e.get("single.last_hidden_state");
        assert_close(&single.unwrap().hidden_state, expected, TOL, "single");

        let nomask = run_base(&model, ids, None, types, None, None).unwrap();
        let expected = e.get("batch_nomask.last_hidden_state");
        assert_close(&nomask.hidden_state, expected, TOL, "batch without mask");

        // Left padding: real tokens are numbered after the pads are skipped.
        let (left, left_mask) = (e.get("leftpad.input_ids"), e.get("leftpad.attention_mask"));
        let out = run_base(&model, Some(left), Some(left_mask), None, None, None).unwrap();
        let expected = e.get("leftpad.last_hidden_state");
        assert_close(&out.hidden_state, expected, TOL, "left padding");

        let explicit = Some(e.get("explicit.position_ids"));
        let out = run_base(&model, ids, mask, types, explicit, None).unwrap();
        let expected = e.get("explicit.last_hidden_state");
        assert_close(&out.hidden_state, expected, TOL, "explicit positions");
    });
}

#[test]
fn input_embeds_take_positions_from_the_embeddings() {
    let fixture = Fixture::new("roberta", "base");
    fixture.run(|vs, load, e, layers| {
        let model = RobertaModel::new(vs.root(), &fixture.config(layers));
        load(vs);
        let embeds = Some(e.get("embeds.inputs_embeds"));
        let (mask, types) = (Some(e.get("attention_mask")), Some(e.get("token_type_ids")));
        let out = run_base(&model, None, mask, types, None, embeds).unwrap();
        let expected = e.get("embeds.last_hidden_state");
        assert_close(&out.hidden_state, expected, TOL, "embeds");
        let pooled = out.pooled_output.as_ref().unwrap();
        assert_close(pooled, e.get("embeds.pooler_output"), TOL, "embeds pooler");
        // Padded rows differ from the ids run at real tokens: the positions did change.
        let from_ids = e.get("last_hidden_state");
        let row = |t: &Tensor| t.get(2).narrow(0, 1, 3);
        assert!(max_abs_diff(&row(&out.hidden_state), &row(from_ids)) < TOL);
        assert!(max_abs_diff(&out.hidden_state.get(2), &from_ids.get(2)) > 1e-2);
    });
}

#[test]
fn an_ignored_layer_norm_epsilon_would_fail() {
    // base and masked_lm use layer_norm_eps = 0.02: the tolerance catches an assumed 1e-12.
    let fixture = Fixture::new("roberta", "masked_lm");
    let e = fixture.expected();
    let mut config = fixture.config(false);
    assert_eq!(config.layer_norm_eps, Some(0.02));
    config.layer_norm_eps = Some(1e-12);
    let vs = VarStore::new(Device::Cpu);
    let model = RobertaForMaskedLM::new(vs.root(), &config);
    load_weights_from_file(&vs, fixture.dir.join("model.safetensors")).unwrap();
    let (ids, mask) = ids_and_mask(&e);
    let out = tch::no_grad(|| model.try_forward_t(ids, mask, None, None, None, None, None, false));
    let diff = max_abs_diff(&out.unwrap().prediction_scores, e.get("logits"));
    assert!(diff > 10.0 * TOL, "{diff}");
}

/// What a head returned: named tensors to compare with the fixture's tensors of the same name,
/// and the per-layer outputs.
struct Outputs {
    values: Vec<(&'static str, Tensor)>,
    hidden: Option<Vec<Tensor>>,
    attentions: Option<Vec<Tensor>>,
}

/// A head under test: how to build it and run it on a fixture's inputs.
trait Head: Sized {
    fn build(vs: &VarStore, config: &RobertaConfig) -> Self;
    fn run(&self, e: &Expected) -> Outputs;
}

/// Builds a head, loads the fixture's weights (expecting exactly `unused` to be left over),
/// runs it and compares every output with HF's.
fn check_head<H: Head>(family: &str, name: &str, unused: &[&str]) {
    let fixture = Fixture::new(family, name);
    let what = format!("{family}/{name}");
    fixture.run(|vs, load, e, layers| {
        let model = H::build(vs, &fixture.config(layers));
        assert_eq!(load(vs).unused, unused, "{what}");
        let out = model.run(e);
        for (key, value) in &out.values {
            assert_close(value, e.get(key), TOL, &format!("{what} {key}"));
        }
        check_layers(&out.hidden, &out.attentions, e, layers, &what);
    });
}

impl Head for RobertaForMaskedLM {
    fn build(vs: &VarStore, config: &RobertaConfig) -> Self {
        Self::new(vs.root(), config)
    }

    fn run(&self, e: &Expected) -> Outputs {
        let (ids, mask) = ids_and_mask(e);
        let out = self
            .try_forward_t(ids, mask, None, None, None, None, None, false)
            .unwrap();
        let values = vec![("logits", out.prediction_scores)];
        let (hidden, attentions) = (out.all_hidden_states, out.all_attentions);
        Outputs {
            values,
            hidden,
            attentions,
        }
    }
}

/// Sequence and token classification: built from a labelled config, compared on `logits`.
macro_rules! classification_head {
    ($($head:ty),*) => {$(
        impl Head for $head {
            fn build(vs: &VarStore, config: &RobertaConfig) -> Self {
                Self::new(vs.root(), config).unwrap()
            }

            fn run(&self, e: &Expected) -> Outputs {
                let (ids, mask) = ids_and_mask(e);
                let out = self.try_forward_t(ids, mask, None, None, None, false).unwrap();
                let values = vec![("logits", out.logits)];
                let (hidden, attentions) = (out.all_hidden_states, out.all_attentions);
                Outputs { values, hidden, attentions }
            }
        }
    )*};
}

classification_head!(
    RobertaForSequenceClassification,
    RobertaForTokenClassification
);

impl Head for RobertaForQuestionAnswering {
    fn build(vs: &VarStore, config: &RobertaConfig) -> Self {
        Self::new(vs.root(), config)
    }

    fn run(&self, e: &Expected) -> Outputs {
        let (ids, mask) = ids_and_mask(e);
        let out = self
            .try_forward_t(ids, mask, None, None, None, false)
            .unwrap();
        let values = vec![
            ("start_logits", out.start_logits),
            ("end_logits", out.end_logits),
        ];
        let (hidden, attentions) = (out.all_hidden_states, out.all_attentions);
        Outputs {
            values,
            hidden,
            attentions,
        }
    }
}

impl Head for RobertaForMultipleChoice {
    fn build(vs: &VarStore, config: &RobertaConfig) -> Self {
        Self::new(vs.root(), config)
    }

    fn run(&self, e: &Expected) -> Outputs {
        let (ids, mask) = (e.get("input_ids"), Some(e.get("attention_mask")));
        let out = self.try_forward_t(ids, mask, None, None, false).unwrap();
        let values = vec![("logits", out.logits)];
        let (hidden, attentions) = (out.all_hidden_states, out.all_attentions);
        Outputs {
            values,
            hidden,
            attentions,
        }
    }
}

/// The bare encoder, compared on the last hidden state (of a head checkpoint's fixture).
impl Head for RobertaModel {
    fn build(vs: &VarStore, config: &RobertaConfig) -> Self {
        Self::new_with_optional_pooler(vs.root(), config, false)
    }

    fn run(&self, e: &Expected) -> Outputs {
        let (ids, mask) = ids_and_mask(e);
        let out = run_base(self, ids, mask, None, None, None).unwrap();
        let values = vec![("hidden_states.2", out.hidden_state)];
        let (hidden, attentions) = (out.all_hidden_states, out.all_attentions);
        Outputs {
            values,
            hidden,
            attentions,
        }
    }
}

#[test]
fn masked_lm_matches_hf() {
    check_head::<RobertaForMaskedLM>("roberta", "masked_lm", &[]);
}

#[test]
fn untied_masked_lm_matches_hf() {
    // Untied, HF's forward never reads lm_head.bias (the decoder has its own bias); nor do we.
    check_head::<RobertaForMaskedLM>("roberta", "masked_lm_untied", &["lm_head.bias"]);
}

#[test]
fn sequence_classification_matches_hf() {
    check_head::<RobertaForSequenceClassification>("roberta", "sequence_classification", &[]);
}

#[test]
fn token_classification_matches_hf() {
    check_head::<RobertaForTokenClassification>("roberta", "token_classification", &[]);
}

#[test]
fn question_answering_matches_hf() {
    check_head::<RobertaForQuestionAnswering>("roberta", "question_answering", &[]);
}

#[test]
fn multiple_choice_matches_hf() {
    check_head::<RobertaForMultipleChoice>("roberta", "multiple_choice", &[]);
}

#[test]
fn multiple_choice_inputs_that_do_not_line_up_are_errors() {
    let fixture = Fixture::new("roberta", "multiple_choice");
    let vs = VarStore::new(Device::Cpu);
    let model = RobertaForMultipleChoice::new(vs.root(), &fixture.config(false));
    let e = fixture.expected();
    let ids = e.get("input_ids");
    let flat = ids.view([-1, 7]);
    let error = model
        .try_forward_t(&flat, None, None, None, false)
        .unwrap_err();
    assert!(error.to_string().contains("num_choices"), "{error}");
    let bad_mask = Tensor::ones([2, 3, 6], (Kind::Int64, Device::Cpu));
    let error = tch::no_grad(|| model.try_forward_t(ids, Some(&bad_mask), None, None, false));
    assert!(error.unwrap_err().to_string().contains("mask"));
}

#[test]
fn xlm_roberta_heads_match_hf_through_the_aliases() {
    let config: XLMRobertaConfig = Fixture::new("xlm_roberta", "masked_lm").config(false);
    assert_eq!(config.layer_norm_eps, Some(1e-5));
    check_head::<XLMRobertaForMaskedLM>("xlm_roberta", "masked_lm", &[]);
    check_head::<XLMRobertaForSequenceClassification>(
        "xlm_roberta",
        "sequence_classification",
        &[],
    );
    check_head::<XLMRobertaForTokenClassification>("xlm_roberta", "token_classification", &[]);
    // The bare encoder loads the masked-LM checkpoint (`roberta.` prefix dropped, head unused).
    let unused = [
        "lm_head.bias",
        "lm_head.dense.bias",
        "lm_head.dense.weight",
        "lm_head.layer_norm.bias",
        "lm_head.layer_norm.weight",
    ];
    check_head::<XLMRobertaModel>("xlm_roberta", "masked_lm", &unused);
}

#[test]
fn classification_heads_without_labels_are_an_error() {
    let mut config = Fixture::new("roberta", "sequence_classification").config(false);
    config.id2label = None;
    let vs = VarStore::new(Device::Cpu);
    let error = RobertaForSequenceClassification::new(vs.root(), &config).unwrap_err();
    assert!(matches!(error, RustBertError::InvalidConfigurationError(_)));
    assert!(error.to_string().contains("id2label"), "{error}");
    let error = RobertaForTokenClassification::new(vs.root(), &config).unwrap_err();
    assert!(matches!(error, RustBertError::InvalidConfigurationError(_)));
    assert!(XLMRobertaForSequenceClassification::new(vs.root(), &config).is_err());
    assert!(XLMRobertaForTokenClassification::new(vs.root(), &config).is_err());
}

#[test]
fn pad_token_id_defaults_to_one() {
    let mut config = Fixture::new("roberta", "base").config(false);
    let vs = VarStore::new(Device::Cpu);
    assert_eq!(
        RobertaModel::new(vs.root(), &config)
            .embeddings()
            .padding_index(),
        1
    );
    config.pad_token_id = None;
    let model = RobertaModel::new(vs.root() / "default", &config);
    assert_eq!(model.embeddings().padding_index(), 1);
    config.pad_token_id = Some(0);
    let model = RobertaModel::new(vs.root() / "zero", &config);
    assert_eq!(model.embeddings().padding_index(), 0);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let config = Fixture::new("roberta", "base").config(false);
    assert_eq!(config.max_position_embeddings, 24);
    let vs = VarStore::new(Device::Cpu);
    let model = RobertaModel::new(vs.root(), &config);
    let run = |ids: Option<&Tensor>, embeds: Option<&Tensor>| {
        tch::no_grad(|| run_base(&model, ids, None, None, None, embeds))
    };
    let ids = |n: i64| Tensor::full([1, n], 5, (Kind::Int64, Device::Cpu));
    // Positions start after padding index 1: 22 tokens fit in 24 positions, 23 do not ...
    assert!(run(Some(&ids(22)), None).is_ok());
    let error = run(Some(&ids(23)), None).unwrap_err().to_string();
    assert!(error.contains("max_position_embeddings"), "{error}");
    assert!(error.contains("22 tokens fit"), "{error}");
    // ... unless some of them are padding, which stays at the padding position (as in HF).
    let padded = Tensor::cat(
        &[ids(22), Tensor::ones([1, 1], (Kind::Int64, Device::Cpu))],
        1,
    );
    assert!(run(Some(&padded), None).is_ok());
    let embeds = |n: i64| Tensor::zeros([1, n, 32], (Kind::Float, Device::Cpu));
    assert!(run(None, Some(&embeds(22))).is_ok());
    let error = run(None, Some(&embeds(23))).unwrap_err().to_string();
    assert!(error.contains("max_position_embeddings"), "{error}");

    // Out-of-vocabulary ids, 1-D ids, both or neither of ids and embeddings, empty input.
    let bad = Tensor::from_slice(&[0i64, 1000, 2]).unsqueeze(0);
    assert!(matches!(
        run(Some(&bad), None),
        Err(RustBertError::ValueError(_))
    ));
    assert!(run(Some(&Tensor::from_slice(&[0i64, 5, 2])), None).is_err());
    assert!(run(Some(&ids(3)), Some(&embeds(3))).is_err());
    assert!(run(None, None).is_err());
    let empty = Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu));
    assert!(run(Some(&empty), None)
        .unwrap_err()
        .to_string()
        .contains("empty"));
    // Explicit positions and token types that do not line up with the input.
    let positions = Tensor::zeros([1, 4], (Kind::Int64, Device::Cpu));
    let error =
        tch::no_grad(|| run_base(&model, Some(&ids(3)), None, None, Some(&positions), None));
    assert!(error.unwrap_err().to_string().contains("position_ids"));
    let types = Tensor::full([1, 3], 7, (Kind::Int64, Device::Cpu));
    let error = tch::no_grad(|| run_base(&model, Some(&ids(3)), None, Some(&types), None, None));
    assert!(error.unwrap_err().to_string().contains("token_type_ids"));
}

#[test]
fn resources_name_rust_bert_cache_folders_and_hub_files() {
    assert_eq!(
        RobertaModelResources::ROBERTA,
        (
            "roberta/model",
            "https://huggingface.co/roberta-base/resolve/main/rust_model.ot"
        )
    );
    assert_eq!(
        RobertaMergesResources::DISTILROBERTA_BASE,
        (
            "distilroberta-base/merges",
            "https://huggingface.co/distilroberta-base/resolve/main/merges.txt"
        )
    );
    assert_eq!(
        RobertaConfigResources::ROBERTA_QA.1,
        "https://huggingface.co/deepset/roberta-base-squad2/resolve/main/config.json"
    );
    assert_eq!(
        RobertaVocabResources::XLM_ROBERTA_NER_DE,
        (
            "xlm-roberta-ner-de/spiece",
            "https://huggingface.co/xlm-roberta-large-finetuned-conll03-german/resolve/main/sentencepiece.bpe.model"
        )
    );
    assert_eq!(
        XLMRobertaModelResources::XLM_ROBERTA_NER_EN,
        RobertaModelResources::XLM_ROBERTA_NER_EN
    );
    assert_eq!(
        XLMRobertaVocabResources::XLM_ROBERTA_NER_ES,
        RobertaVocabResources::XLM_ROBERTA_NER_ES
    );
}
