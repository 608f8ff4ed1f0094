//! The chat pipeline against HF (`apply_chat_template` + `generate`): the tiny Llama of
//! utils/fixtures_llama.py with the template of utils/fixtures_chat.py (tests/fixtures/chat), and
//! the real SmolLM2-135M-Instruct GGUF with the references of utils/fixtures_gguf.py.
use crate::util::fixtures;
use rust_bert::pipelines::chat::{
    ChatConfig, ChatMessage, ChatModel, ChatOutput, ChatToken, FinishReason,
};
use rust_bert::pipelines::generation_utils::GenerateOptions;
use rust_bert::RustBertError;
use serde_json::Value;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use tch::Device;

pub(crate) fn expected() -> Value {
    let path = fixtures().join("chat/expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub(crate) fn messages(value: &Value) -> Vec<ChatMessage> {
    serde_json::from_value(value.clone()).unwrap()
}

pub(crate) fn ids(value: &Value) -> Vec<i64> {
    serde_json::from_value(value.clone()).unwrap()
}

/// The tiny Llama laid out as a hub repository: config.json, generation_config.json (EOS ids
/// [3, 0]), model.safetensors, tokenizer.json and the tokenizer_config.json holding the template
/// (`with_template: false` leaves the template out of it).
pub(crate) fn folder(with_template: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let llama = fixtures().join("llama");
    for file in ["config.json", "generation_config.json", "model.safetensors"] {
        std::fs::copy(llama.join("llama").join(file), dir.path().join(file)).unwrap();
    }
    std::fs::copy(
        llama.join("tokenizer/tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    let mut config: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("chat/tokenizer_config.json")).unwrap(),
    )
    .unwrap();
    if !with_template {
        config.as_object_mut().unwrap().remove("chat_template");
    }
    std::fs::write(dir.path().join("tokenizer_config.json"), config.to_string()).unwrap();
    dir
}

fn template() -> String {
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("chat/tokenizer_config.json")).unwrap(),
    )
    .unwrap();
    config["chat_template"].as_str().unwrap().to_string()
}

fn config(dir: &Path) -> ChatConfig {
    let mut config = ChatConfig::from_folder(dir).unwrap();
    config.device = Device::Cpu;
    config.max_new_tokens = expected()["max_new_tokens"].as_i64().unwrap();
    config
}

fn model(dir: &Path) -> ChatModel {
    ChatModel::new(config(dir)).unwrap()
}

/// HF's new tokens without the end-of-sequence token that ended them, and how they ended.
fn reply_of(generated: &[i64], eos: &[i64], max_new: usize) -> (Vec<i64>, FinishReason) {
    match generated.split_last() {
        Some((last, rest)) if eos.contains(last) => (rest.to_vec(), FinishReason::Stop),
        _ => {
            assert_eq!(generated.len(), max_new);
            (generated.to_vec(), FinishReason::Length)
        }
    }
}

#[track_caller]
fn assert_reply(out: &ChatOutput, case: &Value, eos: &[i64], max_new: usize, what: &str) {
    let (tokens, reason) = reply_of(&ids(&case["generated"]), eos, max_new);
    assert_eq!(out.token_ids, tokens, "{what}: reply tokens");
    assert_eq!(out.finish_reason, reason, "{what}: finish reason");
    assert_eq!(out.message.role, "assistant");
    assert_eq!(
        out.message.content,
        case["text"].as_str().unwrap(),
        "{what}: text"
    );
    assert_eq!(
        out.prompt_tokens,
        case["input_ids"].as_array().unwrap().len()
    );
}

/// Each conversation alone: the prompt HF's apply_chat_template renders (template read from
/// tokenizer_config.json), its tokens, and HF's greedy reply token for token, stopping at either
/// EOS id of generation_config.json (3, and 0, which config.json does not name).
#[test]
fn tiny_llama_chats_as_hf() {
    let e = expected();
    let dir = folder(true);
    let model = model(dir.path());
    let eos = ids(&e["eos_token_ids"]);
    assert_eq!(model.eos_token_ids(), eos.as_slice());
    assert_eq!(model.context_length(), e["context"].as_i64().unwrap());
    assert_eq!(model.special_tokens()["bos_token"], "<s>");
    let max_new = e["max_new_tokens"].as_u64().unwrap() as usize;
    let mut reasons = Vec::new();
    for (i, case) in e["cases"].as_array().unwrap().iter().enumerate() {
        let messages = messages(&case["messages"]);
        let prompt = model.prompt(&messages, None).unwrap();
        assert_eq!(prompt.text, case["prompt"].as_str().unwrap(), "case {i}");
        assert_eq!(prompt.token_ids, ids(&case["input_ids"]), "case {i}");
        assert_eq!(prompt.dropped_messages, 0);
        let out = model.chat(&messages).unwrap();
        assert_reply(&out, case, &eos, max_new, &format!("case {i}"));
        reasons.push((out.finish_reason, ids(&case["generated"]).last().copied()));
    }
    // Both end tokens were met, and replies that hit the limit.
    assert!(reasons.contains(&(FinishReason::Stop, Some(3))));
    assert!(reasons.contains(&(FinishReason::Stop, Some(0))));
    assert!(reasons.iter().any(|(r, _)| *r == FinishReason::Length));
}

/// Every conversation in one left-padded batch: HF's batched greedy replies.
#[test]
fn tiny_llama_batch_equals_hf() {
    let e = expected();
    let dir = folder(true);
    let model = model(dir.path());
    let eos = ids(&e["eos_token_ids"]);
    let max_new = e["max_new_tokens"].as_u64().unwrap() as usize;
    let cases = e["cases"].as_array().unwrap();
    let conversations: Vec<Vec<ChatMessage>> =
        cases.iter().map(|c| messages(&c["messages"])).collect();
    let outputs = model.chat_batch(&conversations).unwrap();
    assert_eq!(outputs.len(), cases.len());
    for (i, (out, batch)) in outputs
        .iter()
        .zip(e["batch"].as_array().unwrap())
        .enumerate()
    {
        let (tokens, _) = reply_of(&ids(batch), &eos, max_new);
        assert_eq!(out.token_ids, tokens, "batch row {i}");
    }
    assert!(model
        .chat_batch::<Vec<ChatMessage>>(&[])
        .unwrap()
        .is_empty());
}

/// A history longer than the context: the oldest turns go whole (the system message stays)
/// until the prompt leaves room for the reply; HF's reply to what is left. A last turn that
/// does not fit alone is an error.
#[test]
fn history_is_cut_to_the_context() {
    let e = expected();
    let dir = folder(true);
    let model = model(dir.path());
    let eos = ids(&e["eos_token_ids"]);
    let max_new = e["max_new_tokens"].as_u64().unwrap() as usize;
    let case = &e["truncated"];
    let all = messages(&case["messages"]);
    let kept = messages(&case["kept"]);
    let prompt = model.prompt(&all, None).unwrap();
    assert_eq!(
        prompt.dropped_messages,
        case["dropped"].as_u64().unwrap() as usize
    );
    assert_eq!(prompt.token_ids, ids(&case["input_ids"]));
    assert_eq!(prompt.text, case["prompt"].as_str().unwrap());
    assert_eq!(kept[0].role, "system");
    assert!(prompt.token_ids.len() + max_new <= e["context"].as_u64().unwrap() as usize);
    let out = model.chat(&all).unwrap();
    assert_eq!(out.dropped_messages, prompt.dropped_messages);
    assert_reply(&out, case, &eos, max_new, "truncated");
    // Fewer new tokens never cost more history (the fixture's drop is HF-side minimal).
    let roomier = model.prompt(&all, Some(1)).unwrap();
    assert!(roomier.dropped_messages <= prompt.dropped_messages);

    let error = model.chat(&messages(&e["too_long"])).unwrap_err();
    assert!(
        matches!(&error, RustBertError::ValueError(m) if m.contains("does not fit") && m.contains("last turn")),
        "{error}"
    );
}

/// The streaming callback receives exactly each reply's tokens (not the end token), in order,
/// for every conversation of a batch; their texts join into the reply. Returning false stops.
#[test]
fn streaming_callback_receives_the_reply_tokens() {
    let e = expected();
    let dir = folder(true);
    let model = model(dir.path());
    let cases = e["cases"].as_array().unwrap();
    let conversations: Vec<Vec<ChatMessage>> =
        cases.iter().map(|c| messages(&c["messages"])).collect();
    let seen: RefCell<Vec<ChatToken>> = RefCell::new(Vec::new());
    let on_token = |token: &ChatToken| {
        seen.borrow_mut().push(token.clone());
        true
    };
    let outputs = model
        .chat_with_options(&conversations, None, Some(&on_token))
        .unwrap();
    let seen = seen.into_inner();
    for (i, out) in outputs.iter().enumerate() {
        let mine: Vec<&ChatToken> = seen.iter().filter(|t| t.conversation == i).collect();
        let tokens: Vec<i64> = mine.iter().map(|t| t.token_id).collect();
        assert_eq!(tokens, out.token_ids, "conversation {i}: streamed tokens");
        let text: String = mine.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(text, out.message.content, "conversation {i}: streamed text");
    }
    // Stopping after the third token: three tokens, cancelled.
    let count = RefCell::new(0);
    let stop = |_: &ChatToken| {
        *count.borrow_mut() += 1;
        *count.borrow() < 3
    };
    let out = model
        .chat_with_options(&[&conversations[1]], None, Some(&stop))
        .unwrap();
    assert_eq!(out[0].token_ids.len(), 3);
    assert_eq!(out[0].finish_reason, FinishReason::Cancelled);
    assert_eq!(out[0].token_ids, outputs[1].token_ids[..3]);
}

/// The template of a folder saved by HF 5 (chat_template.jinja), or given in the
/// configuration, renders as the tokenizer_config.json one.
#[test]
fn templates_from_jinja_files_and_the_configuration() {
    let e = expected();
    let case = &e["cases"][2];
    let dir = folder(false);
    std::fs::write(dir.path().join("chat_template.jinja"), template()).unwrap();
    let prompt = model(dir.path())
        .prompt(&messages(&case["messages"]), None)
        .unwrap();
    assert_eq!(prompt.text, case["prompt"].as_str().unwrap());

    let dir = folder(false);
    let mut config = config(dir.path());
    config.chat_template = Some(template());
    let prompt = ChatModel::new(config)
        .unwrap()
        .prompt(&messages(&case["messages"]), None)
        .unwrap();
    assert_eq!(prompt.token_ids, ids(&case["input_ids"]));
}

/// Bad input is a `RustBertError`, never a panic: an empty message list, a template that
/// refuses the messages or does not compile, a model without a template, sampling settings out
/// of range (in the configuration or per call), lengths the chat does not take.
#[test]
fn bad_input_is_an_error() {
    let dir = folder(true);
    let model = model(dir.path());
    let hello = vec![ChatMessage::new("user", "Hello")];

    let error = model.chat(&[]).unwrap_err();
    assert!(
        matches!(&error, RustBertError::ValueError(m) if m.contains("empty")),
        "{error}"
    );
    let error = model.chat_batch(&[hello.clone(), Vec::new()]).unwrap_err();
    assert!(error.to_string().contains("empty"), "{error}");

    let error = model
        .chat(&[ChatMessage::new("robot", "beep")])
        .unwrap_err();
    assert!(
        matches!(&error, RustBertError::ValueError(m) if m.contains("Unknown role: robot")),
        "{error}"
    );

    let per_call = |options: GenerateOptions| {
        model
            .chat_with_options(&[&hello], Some(options), None)
            .unwrap_err()
            .to_string()
    };
    let error = per_call(GenerateOptions {
        do_sample: Some(true),
        temperature: Some(0.0),
        ..Default::default()
    });
    assert!(error.contains("temperature"), "{error}");
    for top_p in [0.0, 1.5, f64::NAN] {
        let error = per_call(GenerateOptions {
            do_sample: Some(true),
            top_p: Some(top_p),
            ..Default::default()
        });
        assert!(error.contains("top_p"), "{error}");
    }
    let error = per_call(GenerateOptions {
        do_sample: Some(true),
        top_k: Some(-1),
        ..Default::default()
    });
    assert!(error.contains("top_k"), "{error}");
    let error = per_call(GenerateOptions {
        max_new_tokens: Some(0),
        ..Default::default()
    });
    assert!(error.contains("max_new_tokens"), "{error}");
    let error = per_call(GenerateOptions {
        max_length: Some(20),
        ..Default::default()
    });
    assert!(error.contains("max_new_tokens"), "{error}");
    let error = per_call(GenerateOptions {
        max_new_tokens: Some(64),
        ..Default::default()
    });
    assert!(error.contains("no room"), "{error}");
    let callback = |_: &rust_bert::pipelines::generation_utils::GeneratedToken| true;
    let error = per_call(GenerateOptions {
        token_callback: Some(&callback),
        ..Default::default()
    });
    assert!(error.contains("on_token"), "{error}");
    let streamed = |_: &ChatToken| true;
    let error = model
        .chat_with_options(
            &[&hello],
            Some(GenerateOptions {
                num_beams: Some(2),
                ..Default::default()
            }),
            Some(&streamed),
        )
        .unwrap_err();
    assert!(error.to_string().contains("beam"), "{error}");

    let load = |change: &dyn Fn(&mut ChatConfig)| {
        let mut config = config(dir.path());
        change(&mut config);
        ChatModel::new(config).err().map(|e| e.to_string())
    };
    let error = load(&|c| {
        c.do_sample = true;
        c.temperature = -1.0;
    });
    assert!(error.is_some_and(|e| e.contains("temperature")));
    let error = load(&|c| c.top_p = 2.0);
    assert!(error.is_some_and(|e| e.contains("top_p")));
    let error = load(&|c| c.max_new_tokens = 0);
    assert!(error.is_some_and(|e| e.contains("max_new_tokens")));
    let error = load(&|c| c.context_length = Some(5));
    assert!(error.is_some_and(|e| e.contains("context_length")));
    let error = load(&|c| c.chat_template = Some("{% for %}".to_string()));
    assert!(error.is_some_and(|e| e.contains("does not compile")));

    let bare = folder(false);
    let error = ChatModel::new(config(bare.path())).err().unwrap();
    assert!(
        matches!(&error, RustBertError::InvalidConfigurationError(m) if m.contains("no chat template")),
        "{error}"
    );
    let error = ChatConfig::from_folder(bare.path().join("absent"))
        .err()
        .unwrap();
    assert!(error.to_string().contains("absent"), "{error}");
}

fn smollm2() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf")
}

fn smollm2_cases() -> Vec<Value> {
    serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("gguf/smollm2_generation.json")).unwrap(),
    )
    .unwrap()
}

/// The real SmolLM2-135M-Instruct Q4_1 GGUF through the chat pipeline: the template, tokenizer
/// and EOS from the file, HF's greedy replies (48 tokens, and one ending at its EOS) token for
/// token.
#[test]
fn smollm2_gguf_chat_equals_hf() {
    let mut config = ChatConfig::from_gguf(smollm2());
    config.device = Device::Cpu;
    config.max_new_tokens = 48;
    let model = ChatModel::new(config).unwrap();
    assert_eq!(model.eos_token_ids(), [2]);
    assert_eq!(model.context_length(), 8192);
    let cases = smollm2_cases();
    for (i, case) in cases.iter().enumerate() {
        let messages = messages(&case["messages"]);
        let prompt = model.prompt(&messages, None).unwrap();
        assert_eq!(prompt.text, case["prompt"].as_str().unwrap(), "chat {i}");
        assert_eq!(prompt.token_ids, ids(&case["input_ids"]), "chat {i}");
        let out = model.chat(&messages).unwrap();
        assert_reply(&out, case, &[2], 48, &format!("SmolLM2 chat {i}"));
    }
    assert_eq!(cases[0]["generated"].as_array().unwrap().len(), 48);
}

/// `TextGenerationModel` on GGUF weights (what `rust-bert generate --model FILE.gguf` runs):
/// HF's greedy continuation of the rendered chat prompt.
#[test]
fn text_generation_runs_a_gguf_file() {
    use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
    let mut config = TextGenerationConfig::from_gguf(smollm2());
    config.device = Device::Cpu;
    config.do_sample = false;
    config.num_beams = 1;
    let model = TextGenerationModel::new(config).unwrap();
    let case = &smollm2_cases()[1];
    let options = GenerateOptions {
        max_new_tokens: Some(16),
        ..Default::default()
    };
    let out = model
        .generate_indices(&[case["prompt"].as_str().unwrap()], None, Some(options))
        .unwrap();
    let mut expected = ids(&case["input_ids"]);
    expected.extend(ids(&case["generated"]));
    assert_eq!(out[0].indices, expected);
}

/// Every family of the decoder stack chats through the same pipeline (its folder's
/// config.json picks the family; the tiny fixtures share the tokenizer and take the chat
/// fixture's template): a greedy reply equal to the family's own generator on the rendered
/// prompt.
#[test]
fn every_family_chats() {
    use rust_bert::pipelines::common::{ModelResource, ModelType};
    use rust_bert::pipelines::generation_utils::LanguageGenerator;
    use rust_bert::resources::LocalResource;
    let llama = fixtures().join("llama");
    let hello = [ChatMessage::new("user", "Hello there")];
    for family in [
        "llama",
        "llama_yarn",
        "mistral",
        "qwen2",
        "qwen3",
        "phi3",
        "gemma2",
    ] {
        let dir = llama.join(family);
        let weights = ["model.safetensors", "model.safetensors.index.json"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file())
            .unwrap();
        let model_type = ModelType::from_config_file(dir.join("config.json")).unwrap();
        let mut config = ChatConfig::new(
            model_type,
            ModelResource::Torch(Box::new(LocalResource::from(weights))),
            LocalResource::from(dir.join("config.json")),
            LocalResource::from(llama.join("tokenizer/tokenizer.json")),
        );
        config.device = Device::Cpu;
        config.max_new_tokens = 6;
        config.chat_template = Some(template());
        let model = ChatModel::new(config).unwrap();
        let out = model.chat(&hello).unwrap();
        let prompt = model.prompt(&hello, None).unwrap();
        let options = GenerateOptions {
            max_new_tokens: Some(6),
            ..Default::default()
        };
        let direct = model
            .get_generator()
            .generate_indices(Some(&[prompt.text.as_str()]), Some(options))
            .unwrap();
        let mut reply = direct[0].indices[prompt.token_ids.len()..].to_vec();
        if reply
            .last()
            .is_some_and(|t| model.eos_token_ids().contains(t))
        {
            reply.pop();
        }
        assert_eq!(out.token_ids, reply, "{family}");
    }
}
