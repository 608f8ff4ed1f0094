//! LongT5 parity against HF Transformers 5.24 on tiny random models with local and with
//! transient-global encoder attention (tests/fixtures/longt5_local and longt5_tglobal, written by
//! utils/fixtures_longt5.py; the tokenizer is tests/fixtures/t5/spiece.model): a padded batch
//! longer than several local blocks (blocks of 4 tokens, global blocks of 3) whose padding
//! starts inside a block, through every layer output (the encoder's per-block attention
//! probabilities included); incremental decoding; HF `generate` cases; the summarization
//! pipeline.
use crate::bart::{check_generation_cases, dir, generate_config, unforced_config};
use crate::t5::check_outputs_of_every_layer;
use crate::util::{assert_close, Expected, TOL};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::longt5::{
    EncoderAttentionType, LongT5Config, LongT5ForConditionalGeneration, LongT5Generator,
    LongT5Model,
};
use rust_bert::pipelines::common::{ConfigOption, ModelResource, ModelType};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::resources::LocalResource;
use rust_bert::Config;
use serde_json::Value;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

const MODELS: [&str; 2] = ["longt5_local", "longt5_tglobal"];

fn config(name: &str, layers: bool) -> LongT5Config {
    let mut config = LongT5Config::try_from_file(dir(name).join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

fn model(name: &str, layers: bool) -> (VarStore, LongT5ForConditionalGeneration) {
    let vs = VarStore::new(Device::Cpu);
    let model = LongT5ForConditionalGeneration::new(vs.root(), &config(name, layers));
    let report = load_weights_from_file(&vs, dir(name).join("model.safetensors")).unwrap();
    assert!(report.unused.is_empty(), "{:?}", report.unused);
    (vs, model)
}

#[test]
fn longt5_configs_read_the_attention_type() {
    let local = config("longt5_local", false);
    assert_eq!(
        local.encoder_attention_type,
        Some(EncoderAttentionType::Local)
    );
    let tglobal = config("longt5_tglobal", false);
    assert_eq!(
        tglobal.encoder_attention_type,
        Some(EncoderAttentionType::TransientGlobal)
    );
    assert_eq!((tglobal.local_radius, tglobal.global_block_size), (3, 3));
    assert_eq!(tglobal.d_model, 32);
    let option =
        ConfigOption::from_file(ModelType::LongT5, dir("longt5_tglobal").join("config.json"))
            .unwrap();
    assert_eq!(option.get_vocab_size(), 350);
    assert_eq!(option.get_max_len(), None);
    // A block size of 0 is refused, naming the field.
    let scratch = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir("longt5_tglobal").join("config.json")).unwrap();
    let bad = scratch.path().join("config.json");
    std::fs::write(
        &bad,
        text.replace("\"global_block_size\": 3", "\"global_block_size\": 0"),
    )
    .unwrap();
    let err = LongT5Config::try_from_file(&bad).unwrap_err().to_string();
    assert!(err.contains("global_block_size"), "{err}");
}

/// Compares per-block encoder attention probabilities `[batch, blocks, heads, block_len, keys]`
/// on the real query tokens (padded queries are never read).
fn assert_block_probs_close(ours: &Tensor, expected: &Tensor, mask: &Tensor, what: &str) {
    assert_eq!(ours.size(), expected.size(), "{what}");
    let size = ours.size();
    let (blocks, block_len) = (size[1], size[3]);
    let padded = Tensor::zeros([size[0], blocks * block_len], (Kind::Int64, Device::Cpu));
    let seq = mask.size()[1];
    let padded = padded.slice_scatter(mask, 1, 0, seq, 1);
    let keep = padded
        .view([size[0], blocks, 1, block_len, 1])
        .expand_as(ours)
        .to_kind(Kind::Bool);
    let diff = (ours.masked_select(&keep) - expected.masked_select(&keep))
        .abs()
        .max()
        .double_value(&[]);
    assert!(diff <= TOL, "{what}: {diff:e}");
}

#[test]
fn longt5_padded_batch_matches_hf_at_every_layer() {
    for name in MODELS {
        let e = Expected::load(dir(name).join("expected.safetensors"));
        let (_vs, model) = model(name, true);
        let mask = e.get("attention_mask");
        let output = tch::no_grad(|| {
            model.forward_t(
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
        check_outputs_of_every_layer(
            name,
            &output,
            &e,
            Some(&|ours, expected, what| assert_block_probs_close(ours, expected, mask, what)),
        );
        // One row without a mask: HF attends everywhere.
        let nomask = tch::no_grad(|| {
            model.forward_t(
                Some(e.get("nomask.input_ids")),
                None,
                None,
                Some(e.get("nomask.decoder_input_ids")),
                None,
                None,
                None,
                None,
                false,
            )
        })
        .unwrap();
        assert_close(
            &nomask.decoder_output,
            e.get("nomask.logits"),
            TOL,
            &format!("{name} without mask"),
        );
    }
}

#[test]
fn longt5_incremental_decoding_matches_hf() {
    for name in MODELS {
        let e = Expected::load(dir(name).join("expected.safetensors"));
        let (_vs, model) = model(name, false);
        let mask = e.get("attention_mask");
        tch::no_grad(|| {
            let encoder = model.try_encode(e.get("input_ids"), Some(mask)).unwrap();
            let mut cache = None;
            for k in 0..4 {
                let step = model
                    .forward_t(
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
fn longt5_base_model_gives_the_decoder_states() {
    let name = "longt5_tglobal";
    let e = Expected::load(dir(name).join("expected.safetensors"));
    let vs = VarStore::new(Device::Cpu);
    let model = LongT5Model::new(vs.root(), &config(name, false));
    load_weights_from_file(&vs, dir(name).join("model.safetensors")).unwrap();
    let output = tch::no_grad(|| {
        model.forward_t(
            Some(e.get("input_ids")),
            Some(e.get("attention_mask")),
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
    assert_close(
        &output.decoder_output,
        e.get("decoder_hidden_states.2"),
        TOL,
        "decoder last hidden state",
    );
}

fn longt5_generate_config(
    name: &str,
    config_path: &std::path::Path,
) -> rust_bert::pipelines::generation_utils::GenerateConfig {
    let mut config = generate_config(name, ModelType::LongT5, config_path);
    config.vocab_resource = Box::new(LocalResource::from(dir("t5").join("spiece.model")));
    config
}

#[test]
fn longt5_generation_equals_hf_generate() {
    for name in MODELS {
        let scratch = tempfile::tempdir().unwrap();
        let config = unforced_config(name, scratch.path());
        let generator = LongT5Generator::new(longt5_generate_config(name, &config)).unwrap();
        check_generation_cases(name, &generator);
    }
}

fn summarizer() -> SummarizationModel {
    let d = dir("longt5_tglobal");
    // rust-bert's default summarization settings, as the fixture's HF call.
    let mut config = SummarizationConfig::new(
        ModelType::LongT5,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(dir("t5").join("spiece.model")),
        None,
    );
    config.device = Device::Cpu;
    SummarizationModel::new(config).unwrap()
}

#[test]
fn longt5_summarization_equals_hf_tokenize_generate_decode() {
    let path = dir("longt5_tglobal").join("text.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let strings = |v: &Value| -> Vec<String> { serde_json::from_value(v.clone()).unwrap() };
    let o = &fixture["options"];
    assert_eq!(o["num_beams"].as_i64(), Some(3));
    assert_eq!(o["min_length"].as_i64(), Some(56));
    assert_eq!(o["max_length"].as_i64(), Some(142));
    assert_eq!(o["no_repeat_ngram_size"].as_i64(), Some(3));
    let model = summarizer();
    let texts = strings(&fixture["texts"]);
    let expected = strings(&fixture["summaries"]);
    assert_eq!(model.summarize(&texts).unwrap(), expected);
    for (text, expected) in texts.iter().zip(&expected) {
        assert_eq!(&model.summarize(&[text]).unwrap()[0], expected);
    }
}

#[test]
fn longt5_summarization_takes_empty_and_long_texts() {
    use rust_bert::pipelines::generation_utils::GenerateOptions;
    let model = summarizer();
    assert!(model.summarize(&[] as &[&str]).unwrap().is_empty());
    let options = Some(GenerateOptions {
        max_new_tokens: Some(3),
        min_length: Some(0),
        ..Default::default()
    });
    // 2000 tokens: local attention has no position limit.
    let long = "The dog ran to the park. ".repeat(250);
    let out = model
        .summarize_with_options(&[long.as_str(), "", " "], options)
        .unwrap();
    assert_eq!(out.len(), 3);
    let (_vs, longt5) = model_for_errors();
    let bad_mask = Tensor::ones([1, 3], (Kind::Int64, Device::Cpu));
    let ids = Tensor::from_slice(&[5i64, 6, 7, 8, 1]).unsqueeze(0);
    assert!(longt5.try_encode(&ids, Some(&bad_mask)).is_err());
    let out_of_vocab = Tensor::from_slice(&[5000i64, 1]).unsqueeze(0);
    assert!(longt5.try_encode(&out_of_vocab, None).is_err());
}

fn model_for_errors() -> (VarStore, LongT5ForConditionalGeneration) {
    model("longt5_tglobal", false)
}
