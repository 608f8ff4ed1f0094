//! Chat, offline: the real SmolLM2-135M-Instruct GGUF that `utils/setup.sh` installs when it is
//! there (its own template, tokenizer and end token), else the tiny random Llama of the test
//! fixtures with the chat fixture's template (gibberish, but reproducible). Two turns, the
//! second streamed token by token, then two conversations answered in one batch.
//!
//! ```sh
//! cargo run --release --example chat
//! ```
use rust_bert::pipelines::chat::{ChatConfig, ChatMessage, ChatModel, ChatToken};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::io::Write;
use std::path::Path;

fn config(root: &Path) -> Result<ChatConfig, RustBertError> {
    let gguf = root.join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    if gguf.is_file() {
        let mut config = ChatConfig::from_gguf(gguf);
        config.max_new_tokens = 48;
        return Ok(config);
    }
    let llama = root.join("tests/fixtures/llama");
    let mut config = ChatConfig::new(
        ModelType::Llama,
        ModelResource::Torch(Box::new(LocalResource::from(
            llama.join("llama/model.safetensors"),
        ))),
        LocalResource::from(llama.join("llama/config.json")),
        LocalResource::from(llama.join("tokenizer/tokenizer.json")),
    );
    // The fixture keeps its template in a tokenizer_config.json of its own folder.
    let path = root.join("tests/fixtures/chat/tokenizer_config.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| RustBertError::IOError(format!("{}: {e}", path.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| RustBertError::InvalidConfigurationError(e.to_string()))?;
    config.chat_template = json["chat_template"].as_str().map(str::to_string);
    config.max_new_tokens = 10;
    Ok(config)
}

fn main() -> Result<(), RustBertError> {
    let mut config = config(Path::new(env!("CARGO_MANIFEST_DIR")))?;
    config.device = tch::Device::Cpu;
    let model = ChatModel::new(config)?;

    let mut messages = vec![
        ChatMessage::new("system", "You answer in one sentence."),
        ChatMessage::new("user", "What is the capital of France?"),
    ];
    let reply = model.chat(&messages)?;
    println!(
        "assistant: {} ({:?}, {} prompt tokens)",
        reply.message.content, reply.finish_reason, reply.prompt_tokens
    );
    messages.push(reply.message);
    messages.push(ChatMessage::new("user", "And what is it famous for?"));

    print!("assistant (streamed): ");
    let print = |token: &ChatToken| {
        print!("{}", token.text);
        std::io::stdout().flush().is_ok()
    };
    model.chat_with_options(&[&messages], None, Some(&print))?;
    println!();

    let conversations = [
        vec![ChatMessage::new("user", "Write a haiku about rain.")],
        vec![ChatMessage::new("user", "Name three colours.")],
    ];
    for (i, reply) in model.chat_batch(&conversations)?.iter().enumerate() {
        println!("batch {i}: {}", reply.message.content);
    }
    Ok(())
}
