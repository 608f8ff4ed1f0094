//! ProphetNet against HF Transformers 5.24 on the tiny fixtures of
//! utils/fixtures_prophetnet.py: every layer of a padded batch (main and predict streams),
//! incremental decoding with the cache, the causal head, `generate` cases, the summarization
//! pipeline, the tokenizer on the shared corpus, and bad inputs.
use crate::bart::check_generation_cases;
use crate::util::{assert_close, assert_close_masked, fixtures, max_abs_diff, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ConfigOption, ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::prophetnet::{
    ProphetNetConditionalGenerator, ProphetNetConfig, ProphetNetForCausalGeneration,
    ProphetNetForConditionalGeneration, ProphetNetGenerationOutput,
};
use rust_bert::resources::LocalResource;
use rust_bert::Config;
use serde_json::Value;
use std::path::PathBuf;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir() -> PathBuf {
    fixtures().join("prophetnet")
}

fn config(layers: bool) -> ProphetNetConfig {
    let mut config = ProphetNetConfig::try_from_file(dir().join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

fn model(layers: bool) -> (VarStore, ProphetNetForConditionalGeneration) {
    let vs = VarStore::new(Device::Cpu);
    let model = ProphetNetForConditionalGeneration::new(vs.root(), &config(layers)).unwrap();
    load_weights_from_file(&vs, dir().join("model.safetensors")).unwrap();
    (vs, model)
}

/// Checks both streams' logits; returns the larger measured difference (printed by the tests
/// with `--nocapture`, the figures the README quotes).
fn check_streams(output: &ProphetNetGenerationOutput, e: &Expected, prefix: &str) -> f64 {
    assert_close(
        &output.logits,
        e.get(&format!("{prefix}logits")),
        TOL,
        &format!("{prefix}logits"),
    );
    assert_close(
        output.ngram_logits.as_ref().unwrap(),
        e.get(&format!("{prefix}logits_ngram")),
        TOL,
        &format!("{prefix}logits_ngram"),
    );
    max_abs_diff(&output.logits, e.get(&format!("{prefix}logits"))).max(max_abs_diff(
        output.ngram_logits.as_ref().unwrap(),
        e.get(&format!("{prefix}logits_ngram")),
    ))
}

fn padded_batch(vs: &VarStore, weights: &std::path::Path, e: &Expected, layers: bool) -> f64 {
    let model = ProphetNetForConditionalGeneration::new(vs.root(), &config(layers)).unwrap();
    load_weights_from_file(vs, weights).unwrap();
    let output = model
        .forward_t(
            Some(e.get("input_ids")),
            Some(e.get("attention_mask")),
            None,
            Some(e.get("decoder_input_ids")),
            Some(e.get("decoder_attention_mask")),
            None,
            None,
            None,
            false,
        )
        .unwrap();
    let logits = check_streams(&output, e, "");
    if layers {
        check_layers(&output, e);
    }
    logits
}

#[test]
fn prophetnet_padded_batch_matches_hf_at_every_layer() {
    // From model.safetensors and from the .ot converted from it; with per-layer outputs (the
    // explicit softmax path) and without (LibTorch's fused attention).
    crate::util::for_each_format(&dir(), &[true, false], |vs, weights, e, layers| {
        let logits = padded_batch(vs, weights, e, *layers);
        eprintln!(
            "ProphetNet vs HF ({}): logits (both streams) {logits:.2e}",
            weights.display()
        );
    });
}

fn check_layers(output: &ProphetNetGenerationOutput, e: &Expected) {
    let mask = e.get("attention_mask");
    let mut layers = 0f64;
    assert_close_masked(
        output.encoder_hidden_state.as_ref().unwrap(),
        e.get("encoder_last_hidden_state"),
        mask,
        TOL,
        "encoder",
    );
    let encoder_states = output.all_encoder_hidden_states.as_ref().unwrap();
    assert_eq!(encoder_states.len(), 3);
    for (i, t) in encoder_states.iter().enumerate() {
        let key = format!("encoder_hidden_states.{i}");
        assert_close_masked(t, e.get(&key), mask, TOL, &key);
    }
    // Encoder probabilities: the rows of real queries (padded queries are HF's garbage).
    let keep = |t: &Tensor| {
        mask.unsqueeze(1)
            .unsqueeze(-1)
            .expand_as(t)
            .to_kind(Kind::Bool)
    };
    // HF's ProphetNetAttention returns its scores before the softmax (mask added) as
    // `encoder_attentions` / `cross_attentions`; the crate returns probabilities, as for every
    // other model: compared with the softmax of HF's scores.
    let probabilities = |t: &Tensor| t.softmax(-1, Kind::Float);
    for (i, t) in output
        .all_encoder_attentions
        .as_ref()
        .unwrap()
        .iter()
        .enumerate()
    {
        let key = format!("encoder_attentions.{i}");
        let k = keep(t);
        let expected = probabilities(e.get(&key));
        assert_close(&t.masked_select(&k), &expected.masked_select(&k), TOL, &key);
    }
    for (name, all) in [
        ("decoder_hidden_states", &output.all_decoder_hidden_states),
        (
            "decoder_ngram_hidden_states",
            &output.all_ngram_hidden_states,
        ),
        ("decoder_attentions", &output.all_attentions),
        ("decoder_ngram_attentions", &output.all_ngram_attentions),
        ("cross_attentions", &output.all_cross_attentions),
    ] {
        let all = all.as_ref().unwrap();
        let expected = if name.ends_with("hidden_states") {
            3
        } else {
            2
        };
        assert_eq!(all.len(), expected, "{name}");
        for (i, t) in all.iter().enumerate() {
            let key = format!("{name}.{i}");
            let expected = if name == "cross_attentions" {
                probabilities(e.get(&key))
            } else {
                e.get(&key).shallow_clone()
            };
            assert_close(t, &expected, TOL, &key);
            layers = layers.max(max_abs_diff(t, &expected));
        }
    }
    eprintln!("ProphetNet vs HF: every layer {layers:.2e}");
}

#[test]
fn prophetnet_incremental_decoding_matches_hf() {
    let (_vs, model) = model(false);
    let e = Expected::load(dir().join("expected.safetensors"));
    let mask = e.get("attention_mask");
    tch::no_grad(|| {
        // The whole decoder row without a mask, as generate sees it.
        let full = model
            .forward_t(
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
            .unwrap();
        let mut worst = check_streams(&full, &e, "nomask.");
        let first = model
            .forward_t(
                Some(e.get("input_ids")),
                Some(mask),
                None,
                Some(e.get("step.0.decoder_input_ids")),
                None,
                None,
                None,
                None,
                false,
            )
            .unwrap();
        worst = worst.max(check_streams(&first, &e, "step.0."));
        let encoder = first.encoder_hidden_state.unwrap();
        let mut cache = first.next_decoder_cache;
        for k in 1..4 {
            let step = model
                .forward_t(
                    None,
                    Some(mask),
                    None,
                    Some(e.get(&format!("step.{k}.decoder_input_ids"))),
                    None,
                    Some(&encoder),
                    cache,
                    None,
                    false,
                )
                .unwrap();
            worst = worst.max(check_streams(&step, &e, &format!("step.{k}.")));
            cache = step.next_decoder_cache;
        }
        eprintln!("ProphetNet vs HF, cached steps: {worst:.2e}");
        // A cached step takes one token (as HF).
        let two = Tensor::from_slice(&[5i64, 6, 5, 6, 5, 6]).view([3, 2]);
        let err = model
            .forward_t(
                None,
                Some(mask),
                None,
                Some(&two),
                None,
                Some(&encoder),
                cache,
                None,
                false,
            )
            .unwrap_err();
        assert!(err.to_string().contains("one token"), "{err}");
    });
}

#[test]
fn prophetnet_causal_head_matches_hf() {
    let d = dir().join("causal");
    let mut config = ProphetNetConfig::try_from_file(d.join("config.json")).unwrap();
    config.output_hidden_states = Some(true);
    let vs = VarStore::new(Device::Cpu);
    let model = ProphetNetForCausalGeneration::new(vs.root(), &config).unwrap();
    load_weights_from_file(&vs, d.join("model.safetensors")).unwrap();
    let e = Expected::load(d.join("expected.safetensors"));
    let output = tch::no_grad(|| {
        model.forward_t(
            Some(e.get("input_ids")),
            Some(e.get("attention_mask")),
            None,
            None,
            None,
            None,
            false,
        )
    })
    .unwrap();
    let _ = check_streams(&output, &e, "");
    for (name, all) in [
        ("hidden_states", &output.all_decoder_hidden_states),
        ("hidden_states_ngram", &output.all_ngram_hidden_states),
    ] {
        for (i, t) in all.as_ref().unwrap().iter().enumerate() {
            let key = format!("{name}.{i}");
            assert_close(t, e.get(&key), TOL, &key);
        }
    }
}

fn generate_config() -> GenerateConfig {
    let d = dir();
    GenerateConfig {
        model_type: ModelType::ProphetNet,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            d.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(d.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(d.join("prophetnet.tokenizer"))),
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
fn prophetnet_generation_equals_hf_generate() {
    let generator = ProphetNetConditionalGenerator::new(generate_config()).unwrap();
    check_generation_cases("prophetnet", &generator);
}

fn text_fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("text.json")).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap()
}

fn summarization_config() -> SummarizationConfig {
    let d = dir();
    let mut config = SummarizationConfig::new(
        ModelType::ProphetNet,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(d.join("prophetnet.tokenizer")),
        None,
    );
    config.device = Device::Cpu;
    config
}

#[test]
fn prophetnet_summarization_equals_hf() {
    let fixture = text_fixture();
    let o = &fixture["options"];
    let mut config = summarization_config();
    config.min_length = o["min_length"].as_i64().unwrap();
    config.max_length = o["max_length"].as_i64();
    config.num_beams = o["num_beams"].as_i64().unwrap();
    config.no_repeat_ngram_size = o["no_repeat_ngram_size"].as_i64().unwrap();
    config.length_penalty = o["length_penalty"].as_f64().unwrap();
    config.early_stopping = o["early_stopping"].as_bool().unwrap();
    let model = SummarizationModel::new(config).unwrap();
    let texts = strings(&fixture["texts"]);
    let expected = strings(&fixture["summaries"]);
    assert_eq!(model.summarize(&texts).unwrap(), expected);
    for (text, expected) in texts.iter().zip(&expected) {
        assert_eq!(
            model.summarize(&[text]).unwrap(),
            std::slice::from_ref(expected)
        );
    }
    assert!(model.summarize(&[] as &[&str]).unwrap().is_empty());
    // The configuration dispatches through ConfigOption too.
    let option = ConfigOption::from_file(ModelType::ProphetNet, dir().join("config.json")).unwrap();
    assert_eq!(option.get_max_len(), Some(64));
    assert_eq!(option.get_decoder_start_token_id(), Some(0));
}

#[test]
fn prophetnet_bad_inputs_give_results_or_errors() {
    let mut config = summarization_config();
    config.min_length = 0;
    config.max_length = Some(6);
    let model = SummarizationModel::new(config).unwrap();
    // Past the 64 positions: truncated as HF's tokenizer does; empty: [SEP] alone.
    let long = "The city council voted on Monday to build a new bridge. ".repeat(60);
    let out = model.summarize(&[long.as_str(), "", "   "]).unwrap();
    assert_eq!(out.len(), 3);
    // A decoder asked for more tokens than the position table holds: an error, not a panic.
    let options = GenerateOptions {
        max_length: Some(200),
        min_length: Some(190),
        ..Default::default()
    };
    let err = model
        .summarize_with_options(&["The team won."], Some(options))
        .unwrap_err();
    assert!(err.to_string().contains("position"), "{err}");
    // Direct model calls: empty and out-of-vocabulary inputs are errors.
    let (_vs, model) = model_without_layers();
    let empty = Tensor::zeros([1, 0], (Kind::Int64, Device::Cpu));
    let ids = Tensor::from_slice(&[5i64, 6, 2]).view([1, 3]);
    let start = Tensor::from_slice(&[0i64]).view([1, 1]);
    let call = |input: &Tensor, decoder: &Tensor| {
        tch::no_grad(|| {
            model.forward_t(
                Some(input),
                None,
                None,
                Some(decoder),
                None,
                None,
                None,
                None,
                false,
            )
        })
    };
    assert!(call(&empty, &start).is_err());
    assert!(call(&ids, &empty).is_err());
    let huge = Tensor::from_slice(&[5i64, 100_000, 2]).view([1, 3]);
    assert!(call(&huge, &start).is_err());
    // A source past the 64 positions runs on the last position, as HF clamps it; a decoder
    // row past them is an error (HF fails with an index error there).
    let long = Tensor::ones([1, 80], (Kind::Int64, Device::Cpu));
    assert!(call(&long, &start).is_ok());
    assert!(call(&ids, &long).is_err());
}

fn model_without_layers() -> (VarStore, ProphetNetForConditionalGeneration) {
    model(false)
}

fn big_vocab(folder: &std::path::Path) -> PathBuf {
    let minilm = crate::util::minilm_dir().join("vocab.txt");
    let text = std::fs::read_to_string(minilm).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "[unused0]");
    lines[1] = "[X_SEP]";
    let path = folder.join("prophetnet.tokenizer");
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

fn check_corpus(tokenizer: &TokenizerOption, cases: &[Value]) -> Vec<String> {
    let mut differences = Vec::new();
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let ids: Vec<i64> = serde_json::from_value(case["ids"].clone()).unwrap();
        let encoded = tokenizer.encode_list(
            &[text],
            100_000,
            &rust_tokenizers::tokenizer::TruncationStrategy::LongestFirst,
            0,
        );
        let got = &encoded[0].token_ids;
        if got != &ids {
            differences.push(format!("ids of {text:?}: {got:?} vs HF {ids:?}"));
            continue;
        }
        for (skip_special_tokens, key) in [(true, "decoded"), (false, "decoded_with_specials")] {
            let decoded = tokenizer.decode(&ids, skip_special_tokens, true);
            if decoded != case[key].as_str().unwrap() {
                differences.push(format!(
                    "{key} of {text:?}: {decoded:?} vs HF {:?}",
                    case[key]
                ));
            }
        }
    }
    differences
}

#[test]
fn prophetnet_tokenizer_matches_hf_on_the_corpus() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("tokenizer_corpus.json")).unwrap(),
    )
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let big = TokenizerOption::from_file(
        ModelType::ProphetNet,
        big_vocab(scratch.path()).to_str().unwrap(),
        None,
        true,
        None,
        None,
    )
    .unwrap();
    let tiny = TokenizerOption::from_file(
        ModelType::ProphetNet,
        dir().join("prophetnet.tokenizer").to_str().unwrap(),
        None,
        true,
        None,
        None,
    )
    .unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() > 200);
    // The one pinned difference: HF's ProphetNetTokenizer declares no `[CLS]` special token,
    // so a literal "[CLS]" in a text is split as punctuation and word pieces; rust_tokenizers'
    // ProphetNet vocabulary declares it and keeps it whole. Every other line is identical.
    let pinned = "[CLS] [SEP] [MASK] [PAD] [UNK] written in text";
    for (which, case_list, tokenizer) in [
        ("bert-base-uncased vocabulary", cases, &big),
        (
            "tiny vocabulary",
            fixture["tiny_cases"].as_array().unwrap(),
            &tiny,
        ),
    ] {
        let differences = check_corpus(tokenizer, case_list);
        assert_eq!(
            differences.len(),
            1,
            "{which}: {} differences:\n{}",
            differences.len(),
            differences.join("\n")
        );
        assert!(
            differences[0].starts_with(&format!("ids of {pinned:?}")),
            "{which}: {}",
            differences[0]
        );
    }
}

#[test]
fn prophetnet_generator_and_pipeline_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<ProphetNetConditionalGenerator>();
    assert_send::<SummarizationModel>();
    assert_send::<ProphetNetForConditionalGeneration>();
    // generate_from_ids_and_past without an attention mask: every source token attended.
    let generator = ProphetNetConditionalGenerator::new(generate_config()).unwrap();
    let ids = Tensor::from_slice(&[9i64, 53, 2]).view([1, 3]);
    let options = GenerateOptions {
        max_new_tokens: Some(3),
        ..Default::default()
    };
    let out = generator
        .generate_from_ids_and_past(ids, None, Some(options))
        .unwrap();
    assert_eq!(out.len(), 1);
}
