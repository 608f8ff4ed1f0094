//! DeBERTa-v2/v3 parity against HF Transformers 5.24 on tiny random models
//! (tests/fixtures/deberta_v2/*, written by utils/fixtures_deberta.py): a v3-style model (6
//! log buckets over 20 relative positions, shared attention keys, LayerNorm'd relative
//! embeddings, no absolute positions) and one with the convolution (kernel 3, 2 groups, gelu),
//! c2p only, separate position projections, absolute positions and token types. Loaded from
//! `.safetensors` and the converted `.ot`, with and without per-layer outputs.
use crate::deberta::{check_layers, close, dir, load_every_tensor, on_fixture};
use crate::util::{max_abs_diff, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::deberta_v2::{
    DebertaV2Config, DebertaV2ForMaskedLM, DebertaV2ForMultipleChoice,
    DebertaV2ForQuestionAnswering, DebertaV2ForSequenceClassification,
    DebertaV2ForTokenClassification, DebertaV2Model, NormRelEmbedType,
};
use rust_bert::Config;
use std::path::Path;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn config(name: &str) -> DebertaV2Config {
    let path = dir("deberta_v2", name).join("config.json");
    let mut config = DebertaV2Config::try_from_file(path).unwrap();
    config.output_hidden_states = Some(true);
    config.output_attentions = Some(true);
    config
}

fn for_each_format(
    name: &str,
    check: impl Fn(&VarStore, &Path, &Expected, &DebertaV2Config, Option<usize>),
) {
    let without_layers = DebertaV2Config {
        output_hidden_states: None,
        output_attentions: None,
        ..config(name)
    };
    crate::util::for_each_format(
        &dir("deberta_v2", name),
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
    for name in ["base", "conv"] {
        for_each_format(name, |vs, weights, e, config, layers| {
            let model = DebertaV2Model::new(vs.root(), config);
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
    for (name, what, config) in [
        (
            "base",
            "buckets",
            DebertaV2Config {
                position_buckets: Some(8),
                max_relative_positions: Some(3),
                ..config("base")
            },
        ),
        (
            "base",
            "bucket range",
            DebertaV2Config {
                max_relative_positions: Some(40),
                ..config("base")
            },
        ),
        (
            "base",
            "epsilon",
            DebertaV2Config {
                layer_norm_eps: None,
                ..config("base")
            },
        ),
        (
            "base",
            "norm",
            DebertaV2Config {
                norm_rel_ebd: None,
                ..config("base")
            },
        ),
        (
            "conv",
            "conv act",
            DebertaV2Config {
                conv_act: None,
                ..config("conv")
            },
        ),
        (
            "conv",
            "activation",
            DebertaV2Config {
                hidden_act: rust_bert::Activation::relu,
                ..config("conv")
            },
        ),
    ] {
        let e = Expected::load(dir("deberta_v2", name).join("expected.safetensors"));
        let vs = VarStore::new(Device::Cpu);
        let Ok(model) = DebertaV2Model::try_new(vs.root(), &config) else {
            assert_eq!(what, "buckets");
            continue;
        };
        if load_weights_from_file(&vs, dir("deberta_v2", name).join("model.safetensors")).is_err() {
            continue;
        }
        let out = tch::no_grad(|| on_fixture!(model, e));
        let diff = max_abs_diff(&out.hidden_state, e.get("last_hidden_state"));
        assert!(diff > 100.0 * TOL, "{what}: {diff}");
    }
    // Sharing the attention keys or not changes which variables exist.
    let shared = DebertaV2Config {
        share_att_key: Some(false),
        ..config("base")
    };
    let vs = VarStore::new(Device::Cpu);
    let _model = DebertaV2Model::new(vs.root(), &shared);
    let path = dir("deberta_v2", "base").join("model.safetensors");
    assert!(load_weights_from_file(&vs, path).is_err());
}

#[test]
fn norm_rel_ebd_reads_layer_norm_and_none() {
    let parsed: DebertaV2Config =
        serde_json::from_str(r#"{"norm_rel_ebd": "layer_norm"}"#).unwrap();
    assert!(parsed
        .norm_rel_ebd
        .unwrap()
        .has_type(NormRelEmbedType::layer_norm));
    let parsed: DebertaV2Config = serde_json::from_str(r#"{"norm_rel_ebd": "none"}"#).unwrap();
    assert!(parsed.norm_rel_ebd.unwrap().is_empty());
    let parsed: DebertaV2Config = serde_json::from_str("{}").unwrap();
    assert_eq!((parsed.hidden_size, parsed.vocab_size), (1536, 128100));
    // Even kernels and groups that do not divide the hidden size are refused.
    for bad in [
        DebertaV2Config {
            conv_kernel_size: Some(2),
            ..config("conv")
        },
        DebertaV2Config {
            conv_groups: Some(5),
            ..config("conv")
        },
    ] {
        let vs = VarStore::new(Device::Cpu);
        assert!(DebertaV2Model::try_new(vs.root(), &bad).is_err());
    }
}

#[test]
fn masked_lm_matches_hf() {
    for name in ["masked_lm", "masked_lm_new"] {
        for_each_format(name, |vs, weights, e, config, layers| {
            let model = DebertaV2ForMaskedLM::new(vs.root(), config);
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
    for name in ["sequence_classification", "conv_sequence_classification"] {
        for_each_format(name, |vs, weights, e, config, layers| {
            let model = DebertaV2ForSequenceClassification::new(vs.root(), config).unwrap();
            load_every_tensor(vs, weights);
            let out = on_fixture!(model, e);
            assert_eq!(out.logits.size(), [3, 3]);
            close(&out.logits, e.get("logits"), name);
            check_layers(&out.all_hidden_states, &out.all_attentions, e, layers, name);
        });
    }
}

#[test]
fn token_classification_matches_hf() {
    for_each_format("token_classification", |vs, weights, e, config, layers| {
        let model = DebertaV2ForTokenClassification::new(vs.root(), config).unwrap();
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
        let model = DebertaV2ForQuestionAnswering::new(vs.root(), config);
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        close(&out.start_logits, e.get("start_logits"), "qa start");
        close(&out.end_logits, e.get("end_logits"), "qa end");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, layers, "qa");
    });
}

#[test]
fn multiple_choice_matches_hf() {
    for_each_format("multiple_choice", |vs, weights, e, config, layers| {
        let model = DebertaV2ForMultipleChoice::new(vs.root(), config).unwrap();
        load_every_tensor(vs, weights);
        let out = on_fixture!(model, e);
        assert_eq!(out.logits.size(), [2, 3]);
        close(&out.logits, e.get("logits"), "multiple choice");
        check_layers(&out.all_hidden_states, &out.all_attentions, e, layers, "mc");
    });
}

#[test]
fn long_inputs_without_absolute_positions_run() {
    // DeBERTa-v3 has no absolute positions: as in HF, inputs past max_position_embeddings run
    // (relative distances are bucketed); pipelines truncate to the tokenizer's limit anyway.
    let config = config("base");
    let vs = VarStore::new(Device::Cpu);
    let model = DebertaV2Model::new(vs.root(), &config);
    let long = Tensor::ones([2, 80], (Kind::Int64, Device::Cpu));
    let out = tch::no_grad(|| model.forward_t(Some(&long), None, None, None, None, false));
    assert_eq!(out.unwrap().hidden_state.size(), [2, 80, 32]);
    let empty = Tensor::zeros([2, 0], (Kind::Int64, Device::Cpu));
    let out = tch::no_grad(|| model.forward_t(Some(&empty), None, None, None, None, false));
    assert!(out.is_err());
}
