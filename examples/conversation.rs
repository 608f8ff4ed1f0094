//! Conversation (DialoGPT-style), offline, on the tiny random GPT-2 of the test fixtures: two
//! conversations answered in one batch, then a second turn that sees the first.
//!
//! ```sh
//! cargo run --example conversation
//! ```
//! `conversation_remote` runs DialoGPT-medium.
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::conversation::{
    ConversationConfig, ConversationManager, ConversationModel,
};
use rust_bert::pipelines::generation_utils::GenerateOptions;
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generation/gpt2");
    let config = ConversationConfig {
        model_type: ModelType::GPT2,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(dir.join("vocab.json"))),
        merges_resource: Some(Box::new(LocalResource::from(dir.join("merges.txt")))),
        do_sample: false,
        max_length: Some(64),
        min_length_for_response: 16,
        device: tch::Device::Cpu,
        ..Default::default()
    };
    let model = ConversationModel::new(config)?;
    let mut manager = ConversationManager::new();
    let first = manager.create("Hello, how are you?");
    let second = manager.create("What is your favourite film?");
    let options = Some(GenerateOptions {
        max_new_tokens: Some(10),
        ..Default::default()
    });
    for (id, response) in model.generate_responses_with_options(&mut manager, options)? {
        println!("{id}: {response:?}");
    }
    manager
        .get(&first)
        .expect("conversation")
        .add_user_input("What do you like?")?;
    let responses = model.generate_responses_with_options(&mut manager, options)?;
    println!("second turn of {first}: {:?}", responses[&first]);
    let conversation = manager.get(&first).expect("conversation");
    println!(
        "history of {first}: {} turns, inputs {:?}, responses {:?}",
        conversation.history.len(),
        conversation.past_user_inputs,
        conversation.generated_responses
    );
    println!(
        "{second} waits: {}",
        manager
            .get(&second)
            .expect("conversation")
            .contains_new_input()
    );
    Ok(())
}
