//! Text generation and conversation pipelines against HF Transformers 5.24 on the tiny GPT-2 of
//! tests/fixtures/generation (text.json, written by utils/fixtures_generation.py): the texts of
//! greedy and beam generation, and DialoGPT-style turns (user ids + EOS, response + EOS) with the
//! second turn seeing the first, two conversations batched together.
use crate::generation::dir;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::conversation::{
    Conversation, ConversationConfig, ConversationManager, ConversationModel,
};
use rust_bert::pipelines::generation_utils::GenerateOptions;
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::resources::LocalResource;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Generation {
    name: String,
    options: HashMap<String, serde_json::Value>,
    texts: Vec<String>,
}

#[derive(Deserialize)]
struct Turn {
    user: String,
    input_ids: Vec<i64>,
    response_ids: Vec<i64>,
    response: String,
}

#[derive(Deserialize)]
struct TextFixture {
    prompts: Vec<String>,
    generations: Vec<Generation>,
    conversations: HashMap<String, Vec<Turn>>,
}

fn fixture() -> TextFixture {
    serde_json::from_str(&std::fs::read_to_string(dir().join("text.json")).unwrap()).unwrap()
}

pub(crate) fn text_config(num_beams: i64) -> TextGenerationConfig {
    let d = dir().join("gpt2");
    let mut config = TextGenerationConfig::new(
        ModelType::GPT2,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(d.join("vocab.json")),
        Some(LocalResource::from(d.join("merges.txt"))),
    );
    config.device = tch::Device::Cpu;
    config.do_sample = false;
    config.num_beams = num_beams;
    config.early_stopping = false;
    config
}

#[test]
fn text_generation_equals_hf() {
    let fixture = fixture();
    for generation in &fixture.generations {
        let beams = generation.options["num_beams"].as_i64().unwrap();
        let model = TextGenerationModel::new(text_config(beams)).unwrap();
        let options = GenerateOptions {
            max_new_tokens: generation.options["max_new_tokens"].as_i64(),
            ..Default::default()
        };
        let texts = model
            .generate_with_options(&fixture.prompts, None, Some(options))
            .unwrap();
        assert_eq!(texts, generation.texts, "{}", generation.name);
        // One by one gives the same texts as the padded batch.
        for (prompt, expected) in fixture.prompts.iter().zip(&generation.texts) {
            let single = model
                .generate_with_options(&[prompt], None, Some(options))
                .unwrap();
            assert_eq!(&single[0], expected, "{} alone", generation.name);
        }
    }
}

#[test]
fn text_generation_prefix_is_removed_and_bad_types_fail() {
    let model = TextGenerationModel::new(text_config(1)).unwrap();
    let options = GenerateOptions {
        max_new_tokens: Some(4),
        ..Default::default()
    };
    let out = model
        .generate_with_options(&["The river runs"], "He likes music.", Some(options))
        .unwrap();
    assert_eq!(out.len(), 1);
    assert!(!out[0].contains("He likes music"), "{:?}", out[0]);
    assert!(model.generate(&[] as &[&str], None).unwrap().is_empty());
    // Token ids with the prompt, without the prefix.
    let ids = model
        .generate_indices(&["The river runs"], None, Some(options))
        .unwrap();
    let prompt = model_prompt_ids("The river runs");
    assert_eq!(&ids[0].indices[..prompt.len()], prompt.as_slice());
    assert_eq!(ids[0].indices.len(), prompt.len() + 4);
    let mut config = text_config(1);
    config.model_type = ModelType::Bert;
    assert!(TextGenerationModel::new(config).is_err());
}

fn model_prompt_ids(text: &str) -> Vec<i64> {
    let d = dir().join("gpt2");
    let tokenizer = rust_bert::pipelines::common::TokenizerOption::from_file(
        ModelType::GPT2,
        d.join("vocab.json").to_str().unwrap(),
        Some(d.join("merges.txt").to_str().unwrap()),
        false,
        None,
        None,
    )
    .unwrap();
    tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(text))
}

pub(crate) fn conversation_model() -> ConversationModel {
    let d = dir().join("gpt2");
    ConversationModel::new(ConversationConfig {
        model_type: ModelType::GPT2,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            d.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(d.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(d.join("vocab.json"))),
        merges_resource: Some(Box::new(LocalResource::from(d.join("merges.txt")))),
        do_sample: false,
        max_length: Some(64),
        min_length_for_response: 16,
        device: tch::Device::Cpu,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn conversation_turns_equal_hf() {
    let fixture = fixture();
    let model = conversation_model();
    let options = Some(GenerateOptions {
        max_new_tokens: Some(10),
        ..Default::default()
    });
    let a = &fixture.conversations["A"];
    let b = &fixture.conversations["B"];
    let mut manager = ConversationManager::new();
    let id_a = manager.create(&a[0].user);
    let id_b = manager.create(&b[0].user);
    let responses = model
        .generate_responses_with_options(&mut manager, options)
        .unwrap();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[&id_a], a[0].response);
    assert_eq!(responses[&id_b], b[0].response);

    manager
        .get(&id_a)
        .unwrap()
        .add_user_input(&a[1].user)
        .unwrap();
    let responses = model
        .generate_responses_with_options(&mut manager, options)
        .unwrap();
    assert_eq!(responses.len(), 1, "only A waits for a response");
    assert_eq!(responses[&id_a], a[1].response);
    let conversation = manager.get(&id_a).unwrap();
    let context: Vec<i64> = conversation.history[..3].concat();
    assert_eq!(
        context, a[1].input_ids,
        "the second turn's input is the history"
    );
    let mut last = a[1].response_ids.clone();
    last.push(399);
    assert_eq!(conversation.history[3], last);
    assert_eq!(
        conversation.past_user_inputs,
        [a[0].user.clone(), a[1].user.clone()]
    );
    assert_eq!(
        conversation.get_last_response(),
        Some(a[1].response.as_str())
    );
}

#[test]
fn conversation_bookkeeping() {
    let mut conversation = Conversation::new("hi");
    assert!(conversation.add_user_input("again").is_err());
    assert_eq!(
        conversation.add_user_input_with_overwrite("hello"),
        Some("hi".to_string())
    );
    assert_eq!(conversation.get_last_input(), Some("hello"));
    conversation.mark_processed();
    assert!(!conversation.contains_new_input());
    let mut restored = Conversation::new_empty();
    restored.load_from_history(
        &["hi", "hello there", "how are you?"],
        &[vec![1i64, 399], vec![2, 399], vec![3, 399]],
    );
    assert_eq!(restored.past_user_inputs, ["hi"]);
    assert_eq!(restored.generated_responses, ["hello there"]);
    assert_eq!(restored.new_user_input.as_deref(), Some("how are you?"));
    assert_eq!(restored.history.len(), 2);

    let mut manager = ConversationManager::new();
    let id = manager.create_empty();
    assert!(manager.get_active_conversations().0.is_empty());
    manager.get(&id).unwrap().add_user_input("hello").unwrap();
    assert_eq!(manager.get_active_conversations().0, vec![&id]);
    assert!(manager.remove(&id).is_some());
    assert!(manager.get_all().is_empty());
    // A context longer than max_length - min_length_for_response drops the oldest turns.
    let model = conversation_model();
    let mut manager = ConversationManager::new();
    let long = "the river runs and the dog likes music ".repeat(8);
    let id = manager.create(&long);
    let options = Some(GenerateOptions {
        max_new_tokens: Some(4),
        ..Default::default()
    });
    model
        .generate_responses_with_options(&mut manager, options)
        .unwrap();
    manager
        .get(&id)
        .unwrap()
        .add_user_input("What do you like?")
        .unwrap();
    let responses = model
        .generate_responses_with_options(&mut manager, options)
        .unwrap();
    assert_eq!(responses.len(), 1);
    // No active conversation: nothing to do.
    assert!(model.generate_responses(&mut manager).unwrap().is_empty());
}
