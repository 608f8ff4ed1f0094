//! BART parity against HF Transformers 5.24 on tiny random models (tests/fixtures/bart and
//! bart_classification, written by utils/fixtures_bart.py): a padded batch through every output
//! (encoder and decoder hidden states, self- and cross-attentions, logits), incremental decoding
//! with the cache, the classification head, and HF `generate` cases through `BartGenerator`.
use crate::generation::{case_bad_words, case_options, check_outputs, load_cases, tensor};
use crate::util::{assert_close, assert_close_masked, fixtures, Expected, TOL};
use rust_bert::bart::{
    BartConfig, BartForConditionalGeneration, BartForSequenceClassification, BartGenerator,
    BartModelOutput, DecoderCache,
};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateConfig, LanguageGenerator};
use rust_bert::resources::LocalResource;
use rust_bert::Config;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Tensor};

pub fn dir(name: &str) -> PathBuf {
    fixtures().join(name)
}

fn config(name: &str, layers: bool) -> BartConfig {
    let mut config = BartConfig::try_from_file(dir(name).join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

/// A forward pass of a model of the BART family: `(input_ids, attention_mask, encoder_output,
/// decoder_input_ids, cache)`.
pub type Forward<'a> = dyn Fn(
        Option<&Tensor>,
        Option<&Tensor>,
        Option<&Tensor>,
        Option<&Tensor>,
        Option<DecoderCache>,
    ) -> BartModelOutput
    + 'a;

/// The padded batch of `name`'s expected.safetensors through every output.
pub fn check_every_layer(name: &str, forward: &Forward) {
    let e = Expected::load(dir(name).join("expected.safetensors"));
    let mask = e.get("attention_mask");
    let output = tch::no_grad(|| {
        forward(
            Some(e.get("input_ids")),
            Some(mask),
            None,
            Some(e.get("decoder_input_ids")),
            None,
        )
    });
    assert_close(&output.decoder_output, e.get("logits"), TOL, "logits");
    let encoder = output.encoder_hidden_state.as_ref().unwrap();
    assert_close_masked(
        encoder,
        e.get("encoder_last_hidden_state"),
        mask,
        TOL,
        "encoder",
    );
    for (key_name, all) in [
        ("encoder_hidden_states", &output.all_encoder_hidden_states),
        ("decoder_hidden_states", &output.all_decoder_hidden_states),
        ("encoder_attentions", &output.all_encoder_attentions),
        ("decoder_attentions", &output.all_decoder_attentions),
        ("cross_attentions", &output.all_cross_attentions),
    ] {
        let all = all.as_ref().unwrap();
        assert!(!all.is_empty());
        for (i, t) in all.iter().enumerate() {
            let key = format!("{key_name}.{i}");
            if key_name == "encoder_hidden_states" {
                assert_close_masked(t, e.get(&key), mask, TOL, &key);
            } else if key_name == "encoder_attentions" {
                // Padded query rows are never read; compare the real ones.
                let keep = mask
                    .unsqueeze(1)
                    .unsqueeze(-1)
                    .expand_as(t)
                    .to_kind(tch::Kind::Bool);
                let diff = (t.masked_select(&keep) - e.get(&key).masked_select(&keep))
                    .abs()
                    .max()
                    .double_value(&[]);
                assert!(diff <= TOL, "{name} {key}: {diff:e}");
            } else {
                assert_close(t, e.get(&key), TOL, &key);
            }
        }
    }
}

/// Incremental decoding with the cache equals HF's step logits.
pub fn check_incremental(name: &str, forward: &Forward) {
    let e = Expected::load(dir(name).join("expected.safetensors"));
    let mask = e.get("attention_mask");
    tch::no_grad(|| {
        let first = forward(
            Some(e.get("input_ids")),
            Some(mask),
            None,
            Some(e.get("step.0.decoder_input_ids")),
            None,
        );
        assert_close(&first.decoder_output, e.get("step.0.logits"), TOL, "step 0");
        let encoder = first.encoder_hidden_state.unwrap();
        let mut cache = first.cache;
        for k in 1..4 {
            let step = forward(
                None,
                Some(mask),
                Some(&encoder),
                Some(e.get(&format!("step.{k}.decoder_input_ids"))),
                cache,
            );
            assert_close(
                &step.decoder_output,
                e.get(&format!("step.{k}.logits")),
                TOL,
                &format!("{name} step {k}"),
            );
            cache = step.cache;
        }
    });
}

fn bart(layers: bool) -> (VarStore, BartForConditionalGeneration) {
    let vs = VarStore::new(Device::Cpu);
    let model = BartForConditionalGeneration::new(vs.root(), &config("bart", layers));
    load_weights_from_file(&vs, dir("bart").join("model.safetensors")).unwrap();
    (vs, model)
}

#[test]
fn bart_padded_batch_matches_hf_at_every_layer() {
    let (_vs, model) = bart(true);
    check_every_layer("bart", &|ids, mask, encoder, decoder, cache| {
        model
            .try_forward_t(ids, mask, encoder, decoder, None, cache, false)
            .unwrap()
    });
}

#[test]
fn bart_incremental_decoding_matches_hf() {
    let (_vs, model) = bart(false);
    check_incremental("bart", &|ids, mask, encoder, decoder, cache| {
        model
            .try_forward_t(ids, mask, encoder, decoder, None, cache, false)
            .unwrap()
    });
}

#[test]
fn bart_classification_matches_hf_and_checks_eos() {
    let e = Expected::load(dir("bart_classification").join("expected.safetensors"));
    let vs = VarStore::new(Device::Cpu);
    let model =
        BartForSequenceClassification::new(vs.root(), &config("bart_classification", false))
            .unwrap();
    load_weights_from_file(&vs, dir("bart_classification").join("model.safetensors")).unwrap();
    for prefix in ["", "pair."] {
        let output = tch::no_grad(|| {
            model.try_forward_t(
                e.get(&format!("{prefix}input_ids")),
                Some(e.get(&format!("{prefix}attention_mask"))),
                None,
                None,
                None,
                false,
            )
        })
        .unwrap();
        assert_close(
            &output.decoder_output,
            e.get(&format!("{prefix}logits")),
            TOL,
            &format!("{prefix}logits"),
        );
    }
    // A row without an end token is an error.
    let ids = Tensor::from_slice(&[0i64, 5, 2, 0, 5, 6]).view([2, 3]);
    assert!(model
        .try_forward_t(&ids, None, None, None, None, false)
        .is_err());
    // Rows with different numbers of end tokens (HF refuses the batch) each use their last
    // one: the batch equals the rows run alone (where HF agrees: one row, its last end token).
    let run = |ids: &[i64], mask: &[i64], rows: i64| {
        let ids = Tensor::from_slice(ids).view([rows, -1]);
        let mask = Tensor::from_slice(mask).view([rows, -1]);
        tch::no_grad(|| model.try_forward_t(&ids, Some(&mask), None, None, None, false))
            .unwrap()
            .decoder_output
    };
    let batch = run(
        &[0, 9, 10, 2, 1, 0, 9, 2, 11, 2],
        &[1, 1, 1, 1, 0, 1, 1, 1, 1, 1],
        2,
    );
    let first = run(&[0, 9, 10, 2], &[1, 1, 1, 1], 1);
    let second = run(&[0, 9, 2, 11, 2], &[1, 1, 1, 1, 1], 1);
    assert_close(&batch.get(0), &first.get(0), 1e-5, "one end token");
    assert_close(&batch.get(1), &second.get(0), 1e-5, "two end tokens");
}

/// A generator configuration for the fixture `name` with the configuration file `config_path`.
pub fn generate_config(name: &str, model_type: ModelType, config_path: &Path) -> GenerateConfig {
    let d = dir(name);
    GenerateConfig {
        model_type,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            d.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(config_path.to_path_buf())),
        vocab_resource: Box::new(LocalResource::from(d.join(match model_type {
            ModelType::T5 => "spiece.model",
            _ => "vocab.json",
        }))),
        merges_resource: match model_type {
            ModelType::Marian => Some(Box::new(LocalResource::from(d.join("source.spm")))),
            ModelType::Bart => Some(Box::new(LocalResource::from(d.join("merges.txt")))),
            _ => None,
        },
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

/// A copy of the fixture's configuration without the forced first/last tokens: HF's calls pass
/// `forced_bos_token_id=None` explicitly, which per-call options cannot (`None` keeps the
/// model's).
pub fn unforced_config(name: &str, scratch: &Path) -> PathBuf {
    let text = std::fs::read_to_string(dir(name).join("config.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let object = json.as_object_mut().unwrap();
    object.remove("forced_bos_token_id");
    object.remove("forced_eos_token_id");
    let path = scratch.join("config.json");
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    path
}

#[test]
fn bart_generation_equals_hf_generate() {
    let scratch = tempfile::tempdir().unwrap();
    let unforced = BartGenerator::new(generate_config(
        "bart",
        ModelType::Bart,
        &unforced_config("bart", scratch.path()),
    ))
    .unwrap();
    check_generation_cases("bart", &unforced);
}

/// Every case of `name`'s cases.json through `generator` (built without forced tokens; the
/// cases pass them explicitly).
pub fn check_generation_cases(name: &str, generator: &impl LanguageGenerator) {
    let cases = load_cases(dir(name).join("cases.json"));
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
        check_outputs(case, &outputs, true);
    }
}
