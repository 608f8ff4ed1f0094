//! XLNet parity against HF Transformers 5.24 on tiny random models with their own SentencePiece
//! model (tests/fixtures/xlnet, written by utils/fixtures_xlnet.py): every layer of a left-padded
//! batch (hidden states, attentions, memory), segment scores, every head, the two-stream path
//! with a permutation mask and target mapping, memory across calls (with `mem_len` cuts), the
//! unidirectional variant, `generate` cases (XLNet's memory steps) and the text-generation
//! pipeline with XLNet's prefix.
use crate::generation::{case_bad_words, case_options, check_outputs, load_cases, tensor};
use crate::util::{assert_close, assert_close_masked, fixtures, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::generation::Cache;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::pipelines::text_generation::{
    TextGenerationConfig, TextGenerationModel, XLNET_PREFIX,
};
use rust_bert::resources::LocalResource;
use rust_bert::xlnet::{
    LayerState, XLNetConfig, XLNetForMultipleChoice, XLNetForQuestionAnswering,
    XLNetForSequenceClassification, XLNetForTokenClassification, XLNetGenerator, XLNetLMHeadModel,
};
use rust_bert::Config;
use serde_json::Value;
use std::path::PathBuf;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir() -> PathBuf {
    fixtures().join("xlnet")
}

fn expected() -> Expected {
    Expected::load(dir().join("expected.safetensors"))
}

fn config(name: &str, layers: bool) -> XLNetConfig {
    let mut config = XLNetConfig::try_from_file(dir().join(name).join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

/// A model made by `build` with the weights of the fixture folder `weights`.
fn load<M>(weights: &str, build: impl Fn(&VarStore) -> M) -> (VarStore, M) {
    let vs = VarStore::new(Device::Cpu);
    let model = build(&vs);
    load_weights_from_file(&vs, dir().join(weights).join("model.safetensors")).unwrap();
    (vs, model)
}

fn lm(config: &XLNetConfig) -> (VarStore, XLNetLMHeadModel) {
    load("lm", |vs| XLNetLMHeadModel::new(vs.root(), config))
}

fn states(e: &Expected, prefix: &str, layers: usize) -> Vec<Option<LayerState>> {
    (0..layers)
        .map(|i| {
            Some(LayerState {
                prev_content: e.get(&format!("{prefix}.{i}")).copy(),
            })
        })
        .collect()
}

fn memory(cache: &Cache) -> Vec<Tensor> {
    match cache {
        Cache::XLNetCache(Some(states)) => states
            .iter()
            .map(|s| s.as_ref().unwrap().prev_content.shallow_clone())
            .collect(),
        other => panic!("expected an XLNet memory, got {}", other.variant_name()),
    }
}

#[test]
fn base_model_matches_hf_at_every_layer_on_a_left_padded_batch() {
    let e = expected();
    let config = config("lm", true);
    let (_vs, model) = lm(&config);
    let mask = e.get("attention_mask");
    let output = tch::no_grad(|| {
        model.base_model().forward_t(
            Some(e.get("input_ids")),
            Some(mask),
            None,
            None,
            None,
            Some(e.get("token_type_ids")),
            None,
            false,
        )
    })
    .unwrap();
    // Pad positions included: XLNet computes them like any token (each sees itself).
    assert_close(
        &output.hidden_state,
        e.get("base.last_hidden_state"),
        TOL,
        "last hidden state",
    );
    let hidden = output.all_hidden_states.unwrap();
    assert_eq!(hidden.len(), 3);
    for (i, (h, g)) in hidden.iter().enumerate() {
        assert!(g.is_none());
        assert_close(h, e.get(&format!("base.hidden_states.{i}")), TOL, "hidden");
    }
    let attentions = output.all_attentions.unwrap();
    assert_eq!(attentions.len(), 2);
    for (i, (a, g)) in attentions.iter().enumerate() {
        assert!(g.is_none());
        assert_close(a, e.get(&format!("base.attentions.{i}")), TOL, "attention");
    }
    let mems = output.next_cache.unwrap();
    for (i, state) in mems.iter().enumerate() {
        let state = &state.as_ref().unwrap().prev_content;
        assert_close(state, e.get(&format!("base.mems.{i}")), TOL, "memory");
    }
    // Without token types the segment score is absent.
    let plain = tch::no_grad(|| {
        model.base_model().forward_t(
            Some(e.get("input_ids")),
            Some(mask),
            None,
            None,
            None,
            None,
            None,
            false,
        )
    })
    .unwrap();
    assert_close(
        &plain.hidden_state,
        e.get("base.no_token_type_ids.last_hidden_state"),
        TOL,
        "no token types",
    );
    // The segment score matters: the two differ on real tokens.
    let gap = (&plain.hidden_state - &output.hidden_state)
        .abs()
        .max()
        .double_value(&[]);
    assert!(gap > 1e-2, "token types changed nothing ({gap:e})");
}

#[test]
fn every_head_matches_hf() {
    let e = expected();
    let ids = e.get("input_ids");
    let mask = e.get("attention_mask");
    let types = e.get("token_type_ids");

    let c = config("lm", false);
    let (_vs, model) = lm(&c);
    let logits = tch::no_grad(|| {
        model.forward_t(
            Some(ids),
            Some(mask),
            None,
            None,
            None,
            Some(types),
            None,
            false,
        )
    })
    .unwrap()
    .lm_logits;
    assert_close(&logits, e.get("lm.logits"), TOL, "lm logits");

    let c = config("sequence_classification", false);
    let (_vs, model) = load("sequence_classification", |vs| {
        XLNetForSequenceClassification::new(vs.root(), &c).unwrap()
    });
    let logits = tch::no_grad(|| {
        model.try_forward_t(
            Some(ids),
            Some(mask),
            None,
            None,
            None,
            Some(types),
            None,
            false,
        )
    })
    .unwrap()
    .logits;
    assert_close(
        &logits,
        e.get("sequence_classification.logits"),
        TOL,
        "classification",
    );
    let logits = tch::no_grad(|| {
        model.try_forward_t(
            Some(e.get("pair.input_ids")),
            Some(e.get("pair.attention_mask")),
            None,
            None,
            None,
            Some(e.get("pair.token_type_ids")),
            None,
            false,
        )
    })
    .unwrap()
    .logits;
    assert_close(
        &logits,
        e.get("pair.sequence_classification.logits"),
        TOL,
        "pair classification",
    );

    let c = config("token_classification", false);
    let (_vs, model) = load("token_classification", |vs| {
        XLNetForTokenClassification::new(vs.root(), &c).unwrap()
    });
    let logits = tch::no_grad(|| {
        model.try_forward_t(
            Some(ids),
            Some(mask),
            None,
            None,
            None,
            Some(types),
            None,
            false,
        )
    })
    .unwrap()
    .logits;
    assert_close(&logits, e.get("token_classification.logits"), TOL, "tokens");

    let c = config("question_answering", false);
    let (_vs, model) = load("question_answering", |vs| {
        XLNetForQuestionAnswering::new(vs.root(), &c).unwrap()
    });
    let output = tch::no_grad(|| {
        model.try_forward_t(
            Some(ids),
            Some(mask),
            None,
            None,
            None,
            Some(types),
            None,
            false,
        )
    })
    .unwrap();
    assert_close(
        &output.start_logits,
        e.get("question_answering.start_logits"),
        TOL,
        "start",
    );
    assert_close(
        &output.end_logits,
        e.get("question_answering.end_logits"),
        TOL,
        "end",
    );

    let c = config("multiple_choice", false);
    let (_vs, model) = load("multiple_choice", |vs| {
        XLNetForMultipleChoice::new(vs.root(), &c).unwrap()
    });
    let logits = tch::no_grad(|| {
        model.try_forward_t(
            Some(e.get("multiple_choice.input_ids")),
            Some(e.get("multiple_choice.attention_mask")),
            None,
            None,
            None,
            Some(e.get("multiple_choice.token_type_ids")),
            None,
            false,
        )
    })
    .unwrap()
    .logits;
    assert_close(
        &logits,
        e.get("multiple_choice.logits"),
        TOL,
        "multiple choice",
    );
}

#[test]
fn two_streams_with_permutation_mask_and_target_mapping_match_hf() {
    let e = expected();
    let config = config("lm", true);
    let (_vs, model) = lm(&config);
    let output = tch::no_grad(|| {
        model.base_model().forward_t(
            Some(e.get("two_stream.input_ids")),
            None,
            None,
            Some(e.get("two_stream.perm_mask")),
            Some(e.get("two_stream.target_mapping")),
            Some(e.get("two_stream.token_type_ids")),
            None,
            false,
        )
    })
    .unwrap();
    let hidden = output.all_hidden_states.unwrap();
    for (layer, (h, g)) in hidden.iter().enumerate() {
        let what = format!("layer {layer}");
        assert_close(
            h,
            e.get(&format!("two_stream.hidden_states.{}", 2 * layer)),
            TOL,
            &format!("{what} h"),
        );
        assert_close(
            g.as_ref().unwrap(),
            e.get(&format!("two_stream.hidden_states.{}", 2 * layer + 1)),
            TOL,
            &format!("{what} g"),
        );
    }
    for (layer, (h, g)) in output.all_attentions.unwrap().iter().enumerate() {
        assert_close(
            h,
            e.get(&format!("two_stream.attentions.{layer}.h")),
            TOL,
            "h attention",
        );
        assert_close(
            g.as_ref().unwrap(),
            e.get(&format!("two_stream.attentions.{layer}.g")),
            TOL,
            "g attention",
        );
    }
    let logits = tch::no_grad(|| {
        model.forward_t(
            Some(e.get("two_stream.input_ids")),
            None,
            None,
            Some(e.get("two_stream.perm_mask")),
            Some(e.get("two_stream.target_mapping")),
            Some(e.get("two_stream.token_type_ids")),
            None,
            false,
        )
    })
    .unwrap()
    .lm_logits;
    assert_eq!(logits.size(), [2, 2, 1000]);
    assert_close(
        &logits,
        e.get("two_stream.logits"),
        TOL,
        "two-stream logits",
    );
}

#[test]
fn memory_across_calls_matches_hf_with_and_without_a_cut() {
    let e = expected();
    for (prefix, mem_len) in [("mems", None), ("mems3", Some(3))] {
        let mut config = config("lm", false);
        if let Some(m) = mem_len {
            config.mem_len = Some(m);
        }
        let (_vs, model) = lm(&config);
        let step0 = tch::no_grad(|| {
            model.forward_t(
                Some(e.get("mems.step0.input_ids")),
                None,
                None,
                None,
                None,
                Some(e.get("mems.step0.token_type_ids")),
                None,
                false,
            )
        })
        .unwrap();
        assert_close(&step0.lm_logits, e.get("mems.step0.logits"), TOL, prefix);
        let first = memory(&step0.cache);
        if prefix == "mems3" {
            for (i, state) in first.iter().enumerate() {
                assert_close(
                    state,
                    e.get(&format!("mems3.step0.mems.{i}")),
                    TOL,
                    "cut memory",
                );
            }
        }
        let Cache::XLNetCache(states) = step0.cache else {
            unreachable!()
        };
        let step1 = tch::no_grad(|| {
            model.forward_t(
                Some(e.get("mems.step1.input_ids")),
                None,
                states,
                None,
                None,
                Some(e.get("mems.step1.token_type_ids")),
                None,
                false,
            )
        })
        .unwrap();
        let what = format!("{prefix} step 1");
        assert_close(
            &step1.lm_logits,
            e.get(&format!("{prefix}.step1.logits")),
            TOL,
            &what,
        );
        for (i, state) in memory(&step1.cache).iter().enumerate() {
            assert_close(
                state,
                e.get(&format!("{prefix}.step1.mems.{i}")),
                TOL,
                &what,
            );
        }
    }
    // A memory of another depth or batch is an error, not a panic.
    let config = config("lm", false);
    let (_vs, model) = lm(&config);
    let ids = e.get("mems.step1.input_ids");
    let one_layer = vec![Some(LayerState {
        prev_content: Tensor::zeros([3, 2, 32], (Kind::Float, Device::Cpu)),
    })];
    assert!(model
        .forward_t(
            Some(ids),
            None,
            Some(one_layer),
            None,
            None,
            None,
            None,
            false
        )
        .is_err());
    let wrong_batch = states(&e, "mems.step0.mems", 2)
        .into_iter()
        .map(|s| {
            s.map(|s| LayerState {
                prev_content: s.prev_content.narrow(1, 0, 1),
            })
        })
        .collect();
    assert!(model
        .forward_t(
            Some(ids),
            None,
            Some(wrong_batch),
            None,
            None,
            None,
            None,
            false
        )
        .is_err());
}

#[test]
fn unidirectional_attention_with_clamped_same_length_positions_matches_hf() {
    let e = expected();
    let mask = e.get("attention_mask");
    let uni = config("uni", false);
    let (_vs, model) = lm(&uni);
    let output = tch::no_grad(|| {
        model.base_model().forward_t(
            Some(e.get("input_ids")),
            Some(mask),
            None,
            None,
            None,
            Some(e.get("token_type_ids")),
            None,
            false,
        )
    })
    .unwrap();
    assert_close_masked(
        &output.hidden_state,
        e.get("uni.last_hidden_state"),
        mask,
        TOL,
        "uni hidden",
    );
    let states = output.next_cache;
    let step1 = tch::no_grad(|| {
        model.forward_t(
            Some(e.get("uni.step1.input_ids")),
            None,
            states,
            None,
            None,
            None,
            None,
            false,
        )
    })
    .unwrap();
    assert_close(
        &step1.lm_logits,
        e.get("uni.step1.logits"),
        TOL,
        "uni step 1",
    );

    let mut causal = uni.clone();
    causal.same_length = false;
    let (_vs, model) = lm(&causal);
    let output = tch::no_grad(|| {
        model.base_model().forward_t(
            Some(e.get("input_ids")),
            Some(mask),
            None,
            None,
            None,
            Some(e.get("token_type_ids")),
            None,
            false,
        )
    })
    .unwrap();
    assert_close_masked(
        &output.hidden_state,
        e.get("uni.same_length_false.last_hidden_state"),
        mask,
        TOL,
        "uni causal",
    );
}

fn generate_config() -> GenerateConfig {
    let lm = dir().join("lm");
    GenerateConfig {
        model_type: ModelType::XLNet,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            lm.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(lm.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(dir().join("spiece.model"))),
        merges_resource: None,
        min_length: 0,
        max_length: None,
        do_sample: false,
        early_stopping: false,
        num_beams: 1,
        temperature: 1.0,
        top_k: 0,
        top_p: 1.0,
        repetition_penalty: 1.0,
        length_penalty: 1.0,
        no_repeat_ngram_size: 0,
        num_return_sequences: 1,
        num_beam_groups: None,
        diversity_penalty: None,
        device: Device::Cpu,
        kind: None,
        model_defaults: Default::default(),
    }
}

#[test]
fn greedy_and_beam_generation_equal_hf_generate() {
    let generator = XLNetGenerator::new(generate_config()).unwrap();
    let cases = load_cases(dir().join("cases.json"));
    assert!(cases.len() >= 8);
    for case in &cases {
        let bad_words = case_bad_words(case);
        let eos = [case.options["eos_token_id"].as_i64().unwrap()];
        let options = case_options(case, &bad_words, &eos);
        let outputs = generator
            .generate_from_ids_and_past(
                tensor(&case.input_ids),
                Some(tensor(&case.attention_mask)),
                Some(options),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        check_outputs(case, &outputs, false);
    }
}

fn text_json() -> Value {
    let text = std::fs::read_to_string(dir().join("text.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn text_generation_with_the_xlnet_prefix_equals_hf_pipeline() {
    let t = text_json();
    // HF's reference ran with the prefix plus the space the pipeline puts before the prompt.
    assert_eq!(t["prefix"].as_str().unwrap(), format!("{XLNET_PREFIX} "));
    let prompts: Vec<&str> = t["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for generation in t["generations"].as_array().unwrap() {
        let name = generation["name"].as_str().unwrap();
        let options = &generation["pipeline_options"];
        let lm = dir().join("lm");
        let config = TextGenerationConfig {
            // HF's call: these settings, the rest from the model's generation config.
            num_beams: options["num_beams"].as_i64().unwrap(),
            do_sample: false,
            no_repeat_ngram_size: 0,
            early_stopping: false,
            ..TextGenerationConfig::new(
                ModelType::XLNet,
                ModelResource::Torch(Box::new(LocalResource::from(lm.join("model.safetensors")))),
                LocalResource::from(lm.join("config.json")),
                LocalResource::from(dir().join("spiece.model")),
                None,
            )
        };
        let model = TextGenerationModel::new(TextGenerationConfig {
            device: Device::Cpu,
            ..config
        })
        .unwrap();
        for (prompt, result) in prompts
            .iter()
            .zip(generation["results"].as_array().unwrap())
        {
            let new_tokens = options["max_new_tokens"].as_i64().unwrap();
            let generate_options = GenerateOptions {
                max_new_tokens: Some(new_tokens),
                ..Default::default()
            };
            // Whole rows (prefix included) equal HF's generate rows.
            let hf_sequence: Vec<i64> = result["sequence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            let prefix_ids = t["prefix_ids"].as_array().unwrap().len();
            let ours = model
                .generate_indices(&[*prompt], None, Some(generate_options))
                .unwrap();
            assert_eq!(
                ours[0].indices,
                hf_sequence[prefix_ids..],
                "{name} {prompt}: ids without the prefix"
            );
            let text = model
                .generate_with_options(&[*prompt], None, Some(generate_options))
                .unwrap();
            // HF glues prompt and continuation (`prompt + decode(new)`: "theMa"); the pipeline
            // decodes the whole row as rust-bert does, keeping the word boundary.
            let hf_new = result["new_text"].as_str().unwrap();
            assert_eq!(text[0], format!("{prompt} {hf_new}"), "{name} {prompt}");
        }
    }
}

#[test]
fn bad_inputs_are_errors_and_edge_inputs_have_answers() {
    let e = expected();
    let config = config("lm", false);
    let (_vs, model) = lm(&config);
    let ids = e.get("two_stream.input_ids");
    let run = |ids: Option<&Tensor>,
               perm: Option<&Tensor>,
               target: Option<&Tensor>,
               types: Option<&Tensor>,
               embeds: Option<&Tensor>| {
        tch::no_grad(|| model.forward_t(ids, None, None, perm, target, types, embeds, false))
    };
    let wrong = Tensor::zeros([2, 5], (Kind::Float, Device::Cpu));
    let out_of_vocabulary = Tensor::from_slice(&[3i64, 5000]).view([1, 2]);
    let embeds = Tensor::zeros([2, 12, 32], (Kind::Float, Device::Cpu));
    let cases: Vec<(&str, Result<_, _>)> = vec![
        ("no input", run(None, None, None, None, None)),
        (
            "ids and embeddings",
            run(Some(ids), None, None, None, Some(&embeds)),
        ),
        (
            "id outside the vocabulary",
            run(Some(&out_of_vocabulary), None, None, None, None),
        ),
        (
            "perm_mask shape",
            run(Some(ids), Some(&wrong), None, None, None),
        ),
        (
            "target_mapping shape",
            run(Some(ids), None, Some(&wrong), None, None),
        ),
        (
            "token types shape",
            run(Some(ids), None, None, Some(&wrong), None),
        ),
        (
            "empty sequence",
            run(
                Some(&Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu))),
                None,
                None,
                None,
                None,
            ),
        ),
    ];
    for (what, result) in cases {
        assert!(result.is_err(), "{what} should be an error");
    }
    assert!(run(None, None, None, None, Some(&embeds)).is_ok());

    // Generation: an empty list gives nothing, an empty prompt starts from <s>.
    let generator = XLNetGenerator::new(generate_config()).unwrap();
    let options = GenerateOptions {
        max_new_tokens: Some(3),
        ..Default::default()
    };
    let none: Vec<&str> = Vec::new();
    assert!(generator
        .generate(Some(&none), Some(options))
        .unwrap()
        .is_empty());
    let empty = generator
        .generate_indices(Some(&[""]), Some(options))
        .unwrap();
    assert_eq!(empty[0].indices[0], 1);
    assert!(empty[0].indices.len() <= 4);
}
