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

/// Classification and zero-shot pipelines against HF's post-processing of the HF model's logits
/// on sentencepiece's ids (utils/fixtures_fnet.py says why not through HF's tokenizer); our
/// tokenizer must give those ids first.
#[test]
fn pipelines_match_hf() {
    use rust_bert::pipelines::common::{ModelType, TokenizerOption};
    use rust_tokenizers::tokenizer::TruncationStrategy;
    let spm = fixtures().join("tokenizers/spm/fnet.model");
    let e: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir("pipelines").join("expected.json")).unwrap(),
    )
    .unwrap();
    let tokenizer = TokenizerOption::from_file(
        ModelType::FNet,
        spm.to_str().unwrap(),
        None,
        false,
        Some(false),
        None,
    )
    .unwrap();
    let long = e["long"].as_str().unwrap();
    let texts: Vec<&str> = e["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| match t.as_str().unwrap() {
            "<LONG>" => long,
            text => text,
        })
        .collect();
    let ids =
        |value: &serde_json::Value| -> Vec<i64> { serde_json::from_value(value.clone()).unwrap() };
    let encoded = tokenizer.encode_list(&texts, 64, &TruncationStrategy::LongestFirst, 0);
    for (i, (ours, theirs)) in encoded
        .iter()
        .zip(e["input_ids"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(ours.token_ids, ids(theirs), "text {i}");
    }
    let hypothesis = format!(
        "This example is {}.",
        e["zero_shot_labels"][0].as_str().unwrap()
    );
    let pairs: Vec<(&str, &str)> = e["zero_shot_texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t.as_str().unwrap(), hypothesis.as_str()))
        .collect();
    let encoded = tokenizer.encode_pair_list(&pairs, 64, &TruncationStrategy::OnlyFirst, 0);
    for (ours, theirs) in encoded
        .iter()
        .zip(e["zero_shot_input_ids"].as_array().unwrap())
    {
        assert_eq!(ours.token_ids, ids(theirs));
    }
    let worst = crate::pipeline_refs::check(&crate::pipeline_refs::Family {
        model_type: ModelType::FNet,
        dir: dir("pipelines"),
        vocab: spm,
        lower_case: false,
        strip_accents: Some(false),
    });
    eprintln!("fnet pipelines: max |score diff| {worst:.2e}");
}

/// The token-level pipelines give a text the same outputs alone as in a padded batch (they run
/// each text unpadded); their HF references are in tests/pipeline_tokens.rs (`fnet_ner`),
/// tests/pipeline_qa.rs (`fnet`) and `pipelines_match_hf` above (fill-mask).
#[test]
fn token_level_pipelines_run_and_ignore_batch_padding() {
    use rust_bert::pipelines::common::{ModelResource, ModelType};
    use rust_bert::pipelines::masked_language::{MaskedLanguageConfig, MaskedLanguageModel};
    use rust_bert::pipelines::question_answering::{
        QaInput, QuestionAnsweringConfig, QuestionAnsweringModel,
    };
    use rust_bert::pipelines::token_classification::{
        LabelAggregationOption, TokenClassificationConfig, TokenClassificationModel,
    };
    use rust_bert::resources::LocalResource;
    let spm = fixtures().join("tokenizers/spm/fnet.model");
    let local = |p: PathBuf| LocalResource::from(p);
    // Random checkpoints of the heads with the SentencePiece model's 1000 pieces.
    let scratch = tempfile::tempdir().unwrap();
    let folder = |name: &str| scratch.path().join(name);
    for name in ["token_classification", "masked_lm", "question_answering"] {
        let mut config = config(name);
        config.vocab_size = 1000;
        config.output_hidden_states = None;
        std::fs::create_dir_all(folder(name)).unwrap();
        std::fs::write(
            folder(name).join("config.json"),
            serde_json::to_string(&config).unwrap(),
        )
        .unwrap();
        let vs = VarStore::new(Device::Cpu);
        match name {
            "token_classification" => {
                FNetForTokenClassification::new(vs.root(), &config).unwrap();
            }
            "masked_lm" => {
                FNetForMaskedLM::new(vs.root(), &config);
            }
            _ => {
                FNetForQuestionAnswering::new(vs.root(), &config);
            }
        }
        tch::no_grad(|| {
            for (_, mut variable) in vs.variables() {
                variable.copy_(&(variable.randn_like() * 0.5));
            }
        });
        vs.save(folder(name).join("rust_model.ot")).unwrap();
    }
    let weights =
        |name: &str| ModelResource::Torch(Box::new(local(folder(name).join("rust_model.ot"))));
    let dir = folder;
    let texts = [
        "The movie was great.",
        "I cooked pasta with tomato sauce for dinner last night.",
        "",
    ];

    let mut config = TokenClassificationConfig::new(
        ModelType::FNet,
        weights("token_classification"),
        local(dir("token_classification").join("config.json")),
        local(spm.clone()),
        None,
        false,
        Some(false),
        None,
        LabelAggregationOption::First,
    );
    config.device = Device::Cpu;
    let tokens = TokenClassificationModel::new(config).unwrap();
    let batch = tokens.predict(&texts, true, false);
    for (i, text) in texts.iter().enumerate() {
        let alone = tokens.predict(&[*text], true, false);
        assert_eq!(alone[0].len(), batch[i].len());
        for (a, b) in alone[0].iter().zip(&batch[i]) {
            assert_eq!(a.label, b.label);
            assert!((a.score - b.score).abs() < 1e-6);
        }
    }
    assert!(!batch[1].is_empty());

    let mut config = MaskedLanguageConfig::new(
        ModelType::FNet,
        weights("masked_lm"),
        local(dir("masked_lm").join("config.json")),
        local(spm.clone()),
        None,
        false,
        Some(false),
        None,
        None,
    );
    config.device = Device::Cpu;
    let fill = MaskedLanguageModel::new(config).unwrap();
    let masked = [
        "The movie was [MASK].",
        "I cooked [MASK] with tomato sauce.",
    ];
    let batch = fill.predict(masked).unwrap();
    for (i, text) in masked.iter().enumerate() {
        let alone = fill.predict([*text]).unwrap();
        assert_eq!(alone[0][0].id, batch[i][0].id);
        assert!((alone[0][0].score - batch[i][0].score).abs() < 1e-6);
    }

    let mut config = QuestionAnsweringConfig::custom_new(
        ModelType::FNet,
        weights("question_answering"),
        local(dir("question_answering").join("config.json")),
        local(spm),
        None::<LocalResource>,
        false,
        Some(false),
        None,
        48,
        12,
        16,
        8,
    );
    config.device = Device::Cpu;
    let qa = QuestionAnsweringModel::new(config).unwrap();
    let input = QaInput {
        question: "What did I cook?".into(),
        context: "I cooked pasta with tomato sauce for dinner last night. ".repeat(6),
    };
    let answers = qa.predict(&[input], 2, 4);
    assert_eq!(answers.len(), 1);
    assert!(!answers[0].is_empty());
    assert!(qa.predict(&[], 2, 4).is_empty());
}

#[test]
fn config_option_and_model_type_come_from_config_json() {
    use rust_bert::pipelines::common::{ConfigOption, ModelType};
    let path = dir("sequence_classification").join("config.json");
    assert_eq!(ModelType::from_config_file(&path).unwrap(), ModelType::FNet);
    let config = ConfigOption::from_config_file(&path).unwrap();
    assert!(matches!(config, ConfigOption::FNet(_)));
    assert_eq!(config.get_max_len(), Some(64));
    assert_eq!(config.get_vocab_size(), 100);
    assert_eq!(config.get_label_mapping().unwrap().len(), 3);
    assert!(FNetConfig::try_from(&config).is_ok());
    assert!(rust_bert::mobilebert::MobileBertConfig::try_from(&config).is_err());
}
