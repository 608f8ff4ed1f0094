//! `rust-bert chat`: a conversation with a decoder LLM, interactive on a terminal, JSON lines on
//! a pipe (the format is in `rust-bert chat --help`, from [`crate::args::Task::Chat`]).
use crate::args::ChatArgs;
use crate::local::{device, gguf_file, LocalModel};
use crate::CliError;
use rust_bert::pipelines::chat::{ChatConfig, ChatMessage, ChatModel, ChatOutput, ChatToken};
use serde_json::{json, Value};
use std::io::{BufRead, IsTerminal, Write};

/// Runs `chat`.
///
/// # Errors
/// Bad options, a model that cannot be loaded, stdin or stdout failures, and (on a pipe) lines
/// that were refused, counted once all are answered.
pub fn chat(args: ChatArgs) -> Result<(), CliError> {
    let model = load(&args)?;
    if let Some(seed) = args.generation.seed {
        tch::manual_seed(seed);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        interactive(&model, &args, stdin.lock())
    } else {
        json_lines(&model, &args, stdin.lock())
    }
}

/// The chat model of `--model` (a folder or a GGUF file) with the options' settings.
fn load(args: &ChatArgs) -> Result<ChatModel, CliError> {
    let Some(path) = args.model.model.as_deref() else {
        return Err(CliError::new(
            "chat needs a model: --model DIR (config.json, weights, tokenizer.json) or --model \
             FILE.gguf",
        ));
    };
    let g = &args.generation;
    if g.max_length.is_some() || g.min_length.is_some() {
        return Err(CliError::new(
            "chat replies are limited with --max-new-tokens (--max-length and --min-length \
             count the prompt, which the conversation decides)",
        ));
    }
    let device = device(args.device)?;
    let (mut config, tokenizer) = match gguf_file(path) {
        Some(file) => {
            let m = &args.model;
            if m.config.is_some()
                || m.weights.is_some()
                || m.vocab.is_some()
                || m.merges.is_some()
                || m.model_type.is_some()
            {
                return Err(CliError(format!(
                    "{} is a GGUF file: its configuration, weights and tokenizer come from it \
                     (no --config, --weights, --vocab, --merges or --model-type)",
                    file.display()
                )));
            }
            (ChatConfig::from_gguf(file), None)
        }
        None => {
            let local = LocalModel::find(path, &args.model, None)?;
            let (vocab, _) = local.vocab_resources();
            let config = ChatConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
            );
            (config, Some(local.tokenizer()?))
        }
    };
    config.device = device;
    config.kind = crate::local::weights_kind();
    if let Some(max_new_tokens) = g.max_new_tokens {
        config.max_new_tokens = max_new_tokens;
    }
    if let Some(do_sample) = g.do_sample() {
        config.do_sample = do_sample;
    }
    if let Some(num_beams) = g.num_beams {
        config.num_beams = num_beams;
    }
    if let Some(temperature) = g.temperature {
        config.temperature = temperature;
    }
    if let Some(top_k) = g.top_k {
        config.top_k = top_k;
    }
    if let Some(top_p) = g.top_p {
        config.top_p = top_p;
    }
    if let Some(penalty) = g.repetition_penalty {
        config.repetition_penalty = penalty;
    }
    if let Some(size) = g.no_repeat_ngram_size {
        config.no_repeat_ngram_size = size;
    }
    config.context_length = args.context_length;
    if let Some(file) = &args.chat_template {
        config.chat_template = Some(std::fs::read_to_string(file).map_err(|error| {
            CliError(format!(
                "--chat-template {}: cannot read it: {error}",
                file.display()
            ))
        })?);
    }
    Ok(match tokenizer {
        Some(tokenizer) => ChatModel::new_with_tokenizer(config, tokenizer)?,
        None => ChatModel::new(config)?,
    })
}

/// The conversation's opening: the system message, when given.
fn opening(args: &ChatArgs) -> Vec<ChatMessage> {
    args.system
        .iter()
        .map(|text| ChatMessage::new("system", text.clone()))
        .collect()
}

/// One line of stdin, `\n` or `\r\n` removed; `None` at the end.
fn next_line(input: &mut impl BufRead) -> Result<Option<String>, CliError> {
    let mut buffer = Vec::new();
    let read = input
        .read_until(b'\n', &mut buffer)
        .map_err(|error| CliError(format!("cannot read stdin: {error}")))?;
    if read == 0 {
        return Ok(None);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
        if buffer.last() == Some(&b'\r') {
            buffer.pop();
        }
    }
    // A line that is not UTF-8 is answered (as an error) like any other bad line.
    Ok(Some(String::from_utf8_lossy(&buffer).into_owned()))
}

/// The terminal: a prompt on stderr, the reply streamed to stdout.
fn interactive(
    model: &ChatModel,
    args: &ChatArgs,
    mut input: impl BufRead,
) -> Result<(), CliError> {
    eprintln!(
        "Type a message and press Enter; /reset starts over, /exit or Ctrl-D ends. (context: {} \
         tokens, replies up to {})",
        model.context_length(),
        model.max_new_tokens()
    );
    let mut messages = opening(args);
    loop {
        eprint!("> ");
        let _ = std::io::stderr().flush();
        let Some(line) = next_line(&mut input)? else {
            eprintln!();
            return Ok(());
        };
        let text = line.trim();
        match text {
            "" => continue,
            "/exit" | "/quit" => return Ok(()),
            "/reset" => {
                messages = opening(args);
                eprintln!("(new conversation)");
                continue;
            }
            _ => {}
        }
        messages.push(ChatMessage::new("user", text));
        let print = |token: &ChatToken| {
            let mut out = std::io::stdout();
            out.write_all(token.text.as_bytes()).is_ok() && out.flush().is_ok()
        };
        // Beam search cannot stream: its reply is printed whole.
        let streaming = args.generation.num_beams.unwrap_or(1) <= 1;
        let callback: Option<&dyn Fn(&ChatToken) -> bool> = streaming.then_some(&print);
        match model.chat_with_options(&[&messages], None, callback) {
            Ok(mut replies) => {
                let reply = replies.remove(0);
                if !streaming {
                    print!("{}", reply.message.content);
                }
                println!();
                if reply.dropped_messages > 0 {
                    eprintln!(
                        "(the {} oldest messages no longer fit the context: the model did not \
                         see them)",
                        reply.dropped_messages
                    );
                }
                messages.push(reply.message);
            }
            Err(error) => {
                messages.pop();
                eprintln!("error: {error}");
            }
        }
    }
}

/// A line of the pipe protocol read as the conversation to answer: `{"messages": [...]}` (a
/// whole conversation) or `{"content": "...", "role": "user"}` (a message added to `session`).
fn conversation(line: &str, session: &[ChatMessage]) -> Result<Vec<ChatMessage>, String> {
    let value: Value =
        serde_json::from_str(line).map_err(|error| format!("not a JSON object: {error}"))?;
    let Value::Object(object) = value else {
        return Err("not a JSON object".to_string());
    };
    match (object.get("messages"), object.get("content")) {
        (Some(messages), None) => serde_json::from_value(messages.clone()).map_err(|error| {
            format!("\"messages\" must be a list of {{\"role\", \"content\"}} objects: {error}")
        }),
        (None, Some(Value::String(content))) => {
            let role = match object.get("role") {
                None => "user",
                Some(Value::String(role)) => role.as_str(),
                Some(_) => return Err("\"role\" must be a string".to_string()),
            };
            let mut messages = session.to_vec();
            messages.push(ChatMessage::new(role, content.clone()));
            Ok(messages)
        }
        (None, Some(_)) => Err("\"content\" must be a string".to_string()),
        (Some(_), Some(_)) => Err("give either \"messages\" or \"content\", not both".to_string()),
        (None, None) => Err(
            "expected {\"messages\": [{\"role\", \"content\"}, ...]} or {\"content\": \"...\"}"
                .to_string(),
        ),
    }
}

/// Writes one line of JSON and flushes it (a program on the other end waits for it); false
/// when stdout is closed.
fn emit(value: &Value) -> Result<bool, CliError> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{value}").and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(error) => Err(CliError(format!("cannot write to stdout: {error}"))),
    }
}

/// The pipe: one JSON object per line in, one per line out, answered as each line arrives.
fn json_lines(model: &ChatModel, args: &ChatArgs, mut input: impl BufRead) -> Result<(), CliError> {
    let mut session = opening(args);
    let (mut answered, mut refused) = (0usize, 0usize);
    while let Some(line) = next_line(&mut input)? {
        if line.trim().is_empty() {
            continue;
        }
        answered += 1;
        let delta = |token: &ChatToken| {
            token.text.is_empty() || emit(&json!({ "delta": token.text })).unwrap_or(false)
        };
        let callback: Option<&dyn Fn(&ChatToken) -> bool> = args.stream.then_some(&delta);
        let result = conversation(&line, &session).and_then(|messages| {
            let replies = model
                .chat_with_options(&[&messages], None, callback)
                .map_err(|error| error.to_string())?;
            Ok((messages, replies))
        });
        let value = match result {
            Ok((messages, mut replies)) => {
                let reply: ChatOutput = replies.remove(0);
                let value = serde_json::to_value(&reply)?;
                session = messages;
                session.push(reply.message);
                value
            }
            Err(error) => {
                refused += 1;
                json!({ "error": error })
            }
        };
        if !emit(&value)? {
            return Ok(());
        }
    }
    if refused > 0 {
        return Err(CliError(format!(
            "{refused} of {answered} lines could not be answered (see their \"error\" lines)"
        )));
    }
    Ok(())
}
