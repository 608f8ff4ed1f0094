//! Chat templates: the Jinja templates models ship (`chat_template` in `tokenizer_config.json`,
//! `tokenizer.chat_template` in GGUF metadata) rendered as HF's `apply_chat_template` renders
//! them, with [minijinja](https://docs.rs/minijinja).
//!
//! HF renders with Python's jinja2 set up in a particular way, reproduced here: blocks trimmed
//! (`trim_blocks`, `lstrip_blocks`), `break` / `continue`, a `raise_exception(message)` function
//! (its message becomes the error), a `tojson` filter that does not escape HTML and formats as
//! Python's `json.dumps`, Python's string and dict methods (`.strip()`, `.startswith()`,
//! `.items()`, ..., through minijinja-contrib), and the tokenizer's special tokens
//! (`bos_token`, `eos_token`, ...) as variables beside `messages` and `add_generation_prompt`.
use crate::RustBertError;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, ErrorKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant`, or another role the template knows.
    pub role: String,
    /// The text of the message.
    pub content: String,
}

impl ChatMessage {
    /// A message of `role` saying `content`.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate").finish_non_exhaustive()
    }
}

/// `json.dumps(value, ensure_ascii=False, indent=indent)` as Python writes it: `", "` and
/// `": "` between items when compact, one item per line with `indent` spaces otherwise; maps
/// keep their order (Python's dicts do).
fn python_json(
    value: &Value,
    indent: Option<usize>,
    depth: usize,
    out: &mut String,
) -> Result<(), minijinja::Error> {
    let newline = |out: &mut String, depth: usize| {
        if let Some(width) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
    };
    let separator = if indent.is_some() { "," } else { ", " };
    let items: Vec<Value> = match value.kind() {
        ValueKind::Seq | ValueKind::Map => value.try_iter()?.collect(),
        _ => Vec::new(),
    };
    match value.kind() {
        ValueKind::Seq | ValueKind::Map if !items.is_empty() => {
            let map = value.kind() == ValueKind::Map;
            out.push(if map { '{' } else { '[' });
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                newline(out, depth + 1);
                if map {
                    let key = item
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or(item.to_string());
                    out.push_str(&serde_json::Value::String(key).to_string());
                    out.push_str(": ");
                    python_json(&value.get_item(item)?, indent, depth + 1, out)?;
                } else {
                    python_json(item, indent, depth + 1, out)?;
                }
            }
            newline(out, depth);
            out.push(if map { '}' } else { ']' });
        }
        ValueKind::Seq => out.push_str("[]"),
        ValueKind::Map => out.push_str("{}"),
        _ => {
            let json = serde_json::to_value(value)
                .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
            out.push_str(&json.to_string());
        }
    }
    Ok(())
}

impl ChatTemplate {
    /// Compiles `source`.
    ///
    /// # Errors
    /// `InvalidConfigurationError` with minijinja's description of the syntax error.
    pub fn new(source: &str) -> Result<Self, RustBertError> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |message: String| -> Result<Value, minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_filter(
            "tojson",
            |value: Value,
             indent: Option<usize>,
             kwargs: Kwargs|
             -> Result<String, minijinja::Error> {
                // HF's filter takes json.dumps' keywords; `indent` shapes the text, the others
                // (`ensure_ascii`, `separators`, `sort_keys`) are read and left at HF's defaults.
                let indent = match kwargs.get::<Option<usize>>("indent")? {
                    Some(width) => Some(width),
                    None => indent,
                };
                for other in ["ensure_ascii", "separators", "sort_keys"] {
                    let _: Option<Value> = kwargs.get(other)?;
                }
                kwargs.assert_all_used()?;
                let mut out = String::new();
                python_json(&value, indent, 0, &mut out)?;
                Ok(out)
            },
        );
        env.add_template_owned("chat", source.to_string())
            .map_err(|e| {
                RustBertError::InvalidConfigurationError(format!(
                    "the chat template does not compile: {e}"
                ))
            })?;
        Ok(Self { env })
    }

    /// Renders `messages`, with the assistant's opening when `add_generation_prompt`, and the
    /// tokenizer's `special_tokens` (`bos_token` -> `<s>`, ...) as variables.
    ///
    /// # Errors
    /// `ValueError` with the template's own message when it calls `raise_exception` (a role it
    /// does not accept, turns out of order, ...), or minijinja's when rendering fails.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
        special_tokens: &BTreeMap<String, String>,
    ) -> Result<String, RustBertError> {
        let mut context: BTreeMap<String, Value> = special_tokens
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        context.insert("messages".into(), Value::from_serialize(messages));
        context.insert(
            "add_generation_prompt".into(),
            Value::from(add_generation_prompt),
        );
        context.insert("tools".into(), Value::from(()));
        context.insert("documents".into(), Value::from(()));
        let template = self
            .env
            .get_template("chat")
            .map_err(|e| RustBertError::ValueError(format!("chat template: {e}")))?;
        template.render(context).map_err(|e| {
            let message = match e.kind() {
                ErrorKind::InvalidOperation => e.detail().unwrap_or_default().to_string(),
                _ => e.to_string(),
            };
            RustBertError::ValueError(format!("the chat template refused the messages: {message}"))
        })
    }
}
