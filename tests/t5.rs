//! T5 parity against HF Transformers 5.24 on tiny random models with their own SentencePiece
//! model (tests/fixtures/t5 and t5_v1_1, written by utils/fixtures_t5.py): relative position
//! buckets, every layer output on a padded batch, a sequence longer than the buckets' maximum
//! distance, incremental decoding, the sentence-embedding encoder, `generate` cases for T5 and
//! T5 v1.1 (gated-GELU, separate head), and the summarization and translation pipelines.
use crate::bart::{dir, generate_config, unforced_config};
use crate::generation::{case_bad_words, case_options, check_outputs, load_cases, tensor};
use crate::util::{assert_close, assert_close_masked, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateOptions, LanguageGenerator};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::pipelines::translation::{Language, TranslationConfig, TranslationModel};
use rust_bert::resources::LocalResource;
use rust_bert::t5::{
    relative_position_bucket, T5Config, T5ForConditionalGeneration, T5ForSentenceEmbeddings,
    T5Generator, T5ModelOutput,
};
use rust_bert::Config;
use serde_json::Value;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn config(name: &str, layers: bool) -> T5Config {
    let mut config = T5Config::try_from_file(dir(name).join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

fn model(name: &str, layers: bool) -> (VarStore, T5ForConditionalGeneration) {
    let vs = VarStore::new(Device::Cpu);
    let model = T5ForConditionalGeneration::new(vs.root(), &config(name, layers));
    load_weights_from_file(&vs, dir(name).join("model.safetensors")).unwrap();
    (vs, model)
}

#[test]
fn t5_relative_position_buckets_equal_hf() {
    let e = Expected::load(dir("t5").join("expected.safetensors"));
    let positions = Tensor::arange(24, (Kind::Int64, Device::Cpu));
    let relative = positions.unsqueeze(0) - positions.unsqueeze(1);
    for (name, bidirectional) in [("encoder", true), ("decoder", false)] {
        let ours = relative_position_bucket(&relative, bidirectional, 8, 20);
        let expected = e.get(&format!("buckets.{name}"));
        assert!(
            ours.eq_tensor(expected).all().int64_value(&[]) == 1,
            "{name} buckets"
        );
    }
}

#[test]
fn t5_padded_batch_matches_hf_at_every_layer() {
    for name in ["t5", "t5_v1_1"] {
        let e = Expected::load(dir(name).join("expected.safetensors"));
        let (_vs, model) = model(name, true);
        let mask = e.get("attention_mask");
        let output = tch::no_grad(|| {
            model.try_forward_t(
                Some(e.get("input_ids")),
                Some(mask),
                None,
                Some(e.get("decoder_input_ids")),
                None,
                None,
                None,
                None,
                false,
            )
        })
        .unwrap();
        check_outputs_of_every_layer(name, &output, &e, None);
        // A sequence longer than the buckets' maximum distance.
        let long = tch::no_grad(|| {
            model.try_forward_t(
                Some(e.get("long.input_ids")),
                Some(e.get("long.attention_mask")),
                None,
                Some(e.get("long.decoder_input_ids")),
                None,
                None,
                None,
                None,
                false,
            )
        })
        .unwrap();
        assert_close(
            &long.decoder_output,
            e.get("long.logits"),
            TOL,
            &format!("{name} long"),
        );
    }
}

/// Compares a model's encoder attention probabilities with HF's: `(ours, expected, what)`.
pub(crate) type CompareAttentions<'a> = &'a dyn Fn(&Tensor, &Tensor, &str);

/// A forward pass of the T5 family (T5, LongT5) on `e`'s padded batch against HF at every
/// output: logits, encoder and decoder hidden states (encoder ones where `attention_mask` is 1),
/// decoder and cross-attentions, and the encoder attentions when `encoder_attentions` compares
/// them (their layout depends on the encoder's attention).
pub(crate) fn check_outputs_of_every_layer(
    name: &str,
    output: &T5ModelOutput,
    e: &Expected,
    encoder_attentions: Option<CompareAttentions>,
) {
    let mask = e.get("attention_mask");
    assert_close(
        &output.decoder_output,
        e.get("logits"),
        TOL,
        &format!("{name} logits"),
    );
    let encoder = output.encoder_hidden_state.as_ref().unwrap();
    assert_close_masked(encoder, e.get("encoder_last_hidden_state"), mask, TOL, name);
    for (key, all) in [
        ("encoder_hidden_states", &output.all_encoder_hidden_states),
        ("decoder_hidden_states", &output.all_decoder_hidden_states),
        ("decoder_attentions", &output.all_decoder_attentions),
        ("cross_attentions", &output.all_cross_attentions),
        ("encoder_attentions", &output.all_encoder_attentions),
    ] {
        if key == "encoder_attentions" && encoder_attentions.is_none() {
            continue;
        }
        let all = all.as_ref().unwrap();
        assert_eq!(
            all.len(),
            if key.ends_with("states") { 3 } else { 2 },
            "{key}"
        );
        for (i, t) in all.iter().enumerate() {
            let key = format!("{key}.{i}");
            let what = format!("{name} {key}");
            match (key.starts_with("encoder_attentions"), encoder_attentions) {
                (true, Some(compare)) => compare(t, e.get(&key), &what),
                _ if key.starts_with("encoder_hidden") => {
                    assert_close_masked(t, e.get(&key), mask, TOL, &what)
                }
                _ => assert_close(t, e.get(&key), TOL, &what),
            }
        }
    }
}

#[test]
fn t5_incremental_decoding_matches_hf() {
    for name in ["t5", "t5_v1_1"] {
        let e = Expected::load(dir(name).join("expected.safetensors"));
        let (_vs, model) = model(name, false);
        let mask = e.get("attention_mask");
        tch::no_grad(|| {
            let encoder = model.try_encode(e.get("input_ids"), Some(mask)).unwrap();
            let mut cache = None;
            for k in 0..4 {
                let step = model
                    .try_forward_t(
                        None,
                        Some(mask),
                        Some(&encoder),
                        Some(e.get(&format!("step.{k}.decoder_input_ids"))),
                        None,
                        None,
                        None,
                        cache,
                        false,
                    )
                    .unwrap();
                assert_close(
                    &step.decoder_output,
                    e.get(&format!("step.{k}.logits")),
                    TOL,
                    &format!("{name} step {k}"),
                );
                cache = step.next_cache;
            }
        });
    }
}

#[test]
fn t5_sentence_embedding_encoder_matches_hf() {
    let e = Expected::load(dir("t5").join("expected.safetensors"));
    let vs = VarStore::new(Device::Cpu);
    let encoder = T5ForSentenceEmbeddings::new(vs.root(), &config("t5", false));
    let report = load_weights_from_file(&vs, dir("t5").join("model.safetensors")).unwrap();
    assert!(report
        .unused
        .iter()
        .all(|name| name.starts_with("decoder.")));
    let mask = e.get("attention_mask");
    let (hidden, _) = tch::no_grad(|| encoder.forward(e.get("input_ids"), mask)).unwrap();
    assert_close(&hidden, e.get("encoder.last_hidden_state"), TOL, "encoder");
    let m = mask.unsqueeze(-1).to_kind(Kind::Float);
    let pooled = (&hidden * &m).sum_dim_intlist([1].as_slice(), false, Kind::Float)
        / m.sum_dim_intlist([1].as_slice(), false, Kind::Float)
            .clamp_min(1e-9);
    assert_close(&pooled, e.get("encoder.mean_pooled"), TOL, "mean pooled");
}

#[test]
fn t5_generation_equals_hf_generate() {
    for name in ["t5", "t5_v1_1"] {
        let scratch = tempfile::tempdir().unwrap();
        let generator = T5Generator::new(generate_config_t5(name, scratch.path())).unwrap();
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
                .unwrap_or_else(|e| panic!("{name} {}: {e}", case.name));
            check_outputs(case, &outputs, true);
        }
    }
}

fn generate_config_t5(
    name: &str,
    scratch: &std::path::Path,
) -> rust_bert::pipelines::generation_utils::GenerateConfig {
    let mut config = generate_config(name, ModelType::T5, &unforced_config(name, scratch));
    // Both models share the t5 folder's SentencePiece model.
    config.vocab_resource = Box::new(LocalResource::from(dir("t5").join("spiece.model")));
    config
}

fn text_fixture() -> Value {
    let path = dir("t5").join("text.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap()
}

#[test]
fn t5_summarization_and_translation_pipelines_equal_hf() {
    let fixture = text_fixture();
    let texts = strings(&fixture["texts"]);
    let outputs = strings(&fixture["outputs"]);
    let o = &fixture["options"];
    let options = GenerateOptions {
        max_new_tokens: o["max_new_tokens"].as_i64(),
        ..Default::default()
    };
    let d = dir("t5");
    let resource = |file: &str| LocalResource::from(d.join(file));
    let mut summarization = SummarizationConfig::new(
        ModelType::T5,
        ModelResource::Torch(Box::new(resource("model.safetensors"))),
        resource("config.json"),
        resource("spiece.model"),
        None,
    );
    summarization.device = Device::Cpu;
    summarization.min_length = 0;
    summarization.num_beams = o["num_beams"].as_i64().unwrap();
    summarization.no_repeat_ngram_size = o["no_repeat_ngram_size"].as_i64().unwrap();
    summarization.early_stopping = o["early_stopping"].as_bool().unwrap();
    let summarizer = SummarizationModel::new(summarization).unwrap();
    let mut translation = TranslationConfig::new(
        ModelType::T5,
        ModelResource::Torch(Box::new(resource("model.safetensors"))),
        resource("config.json"),
        resource("spiece.model"),
        None,
        [Language::English],
        [Language::German, Language::French, Language::Romanian],
        Device::Cpu,
    );
    translation.num_beams = o["num_beams"].as_i64().unwrap();
    translation.no_repeat_ngram_size = o["no_repeat_ngram_size"].as_i64().unwrap();
    translation.early_stopping = o["early_stopping"].as_bool().unwrap();
    let translator = TranslationModel::new(translation).unwrap();
    let mut checked = 0;
    for (text, expected) in texts.iter().zip(&outputs) {
        let got = if let Some(body) = text.strip_prefix("summarize: ") {
            summarizer
                .summarize_with_options(&[body], Some(options))
                .unwrap()
        } else if let Some(body) = text.strip_prefix("translate English to German: ") {
            translator
                .translate_with_options(&[body], Language::English, Language::German, Some(options))
                .unwrap()
        } else {
            panic!("unexpected fixture text {text:?}")
        };
        assert_eq!(&got[0], expected, "{text:?}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}
