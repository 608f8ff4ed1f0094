//! Conversation with DialoGPT-medium, downloaded on first use.
//!
//! ```sh
//! cargo run --example conversation_remote
//! ```
use rust_bert::pipelines::conversation::{ConversationManager, ConversationModel};
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let model = ConversationModel::new(Default::default())?;
    let mut manager = ConversationManager::new();
    let id = manager.create("Going to the movies tonight - any suggestions?");
    println!("{:?}", model.generate_responses(&mut manager)?[&id]);
    manager
        .get(&id)
        .expect("conversation")
        .add_user_input("Is it an action movie?")?;
    println!("{:?}", model.generate_responses(&mut manager)?[&id]);
    Ok(())
}
