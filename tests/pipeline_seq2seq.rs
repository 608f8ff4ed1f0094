//! Summarization and translation pipelines against HF Transformers 5.24 on the tiny seq2seq
//! fixtures (text.json of tests/fixtures/{bart,marian,t5}): tokenizer, truncation, padding,
//! beam search settings and decoding together.
use crate::util::fixtures;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::resources::LocalResource;
use serde_json::Value;

fn text_fixture(name: &str) -> Value {
    let path = fixtures().join(name).join("text.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap()
}

#[test]
fn bart_summarization_equals_hf() {
    let fixture = text_fixture("bart");
    let d = fixtures().join("bart");
    let mut config = SummarizationConfig::new(
        ModelType::Bart,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(d.join("vocab.json")),
        Some(LocalResource::from(d.join("merges.txt"))),
    );
    let o = &fixture["options"];
    config.device = tch::Device::Cpu;
    config.min_length = o["min_length"].as_i64().unwrap();
    config.max_length = o["max_length"].as_i64();
    config.num_beams = o["num_beams"].as_i64().unwrap();
    config.no_repeat_ngram_size = o["no_repeat_ngram_size"].as_i64().unwrap();
    config.early_stopping = o["early_stopping"].as_bool().unwrap();
    let model = SummarizationModel::new(config).unwrap();
    let texts = strings(&fixture["texts"]);
    let summaries = model.summarize(&texts).unwrap();
    assert_eq!(summaries, strings(&fixture["summaries"]));
    // One by one equals the batch (right padding of the encoder inputs).
    for (text, expected) in texts.iter().zip(strings(&fixture["summaries"])) {
        assert_eq!(model.summarize(&[text]).unwrap(), [expected]);
    }
    assert!(model.summarize(&[] as &[&str]).unwrap().is_empty());
}
