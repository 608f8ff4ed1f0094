//! # Chat pipeline
//!
//! Messages in, the assistant's message out, with the decoder LLMs of [`crate::llama`] (Llama,
//! Mistral, Qwen2, Qwen3, Phi-3, Gemma 2) from an HF folder or a GGUF file.
//!
//! - **Prompt**: the model's own chat template renders the conversation with the assistant's
//!   opening (`add_generation_prompt`), as HF's `apply_chat_template` does: the template of
//!   `chat_template.jinja` or `tokenizer_config.json`'s `chat_template` beside the tokenizer
//!   (or the configuration) of an HF folder, `tokenizer.chat_template` in a GGUF file's
//!   metadata, or one given in [`ChatConfig::chat_template`]. The rendered text is tokenized
//!   without adding special tokens (the template writes its own).
//! - **Context**: a conversation must leave room for the reply: prompt tokens plus
//!   `max_new_tokens` within the context length (the model's `max_position_embeddings` unless
//!   [`ChatConfig::context_length`] says otherwise). When it does not, the oldest turns (a user
//!   message and the messages after it up to the next user message) are dropped whole; leading
//!   system messages are always kept. If even the last turn does not fit, the call is an error.
//! - **Stopping**: at any of the model's end-of-sequence ids (`generation_config.json`'s list,
//!   else `config.json`'s, or the GGUF file's); the end token is not part of the reply.
//! - **Streaming**: a callback receives each token of each reply as it is chosen, with the text
//!   it adds ([`ChatToken`]); returning `false` stops the generation.
//! - **Batches**: several conversations run together, left-padded (greedy decoding gives each
//!   one the reply it gets alone).
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::chat::{ChatConfig, ChatMessage, ChatModel, ChatToken};
//!
//! let model = ChatModel::new(ChatConfig::from_gguf("SmolLM2-135M-Instruct.Q4_1.gguf"))?;
//! let mut messages = vec![
//!     ChatMessage::new("system", "You answer in one sentence."),
//!     ChatMessage::new("user", "What is the capital of France?"),
//! ];
//! let reply = model.chat(&messages)?;
//! println!("{}", reply.message.content);
//! messages.push(reply.message);
//! messages.push(ChatMessage::new("user", "And of Italy?"));
//! // Streamed: each token's text as soon as it is chosen.
//! model.chat_with_options(&[&messages], None, Some(&|token: &ChatToken| {
//!     print!("{}", token.text);
//!     true
//! }))?;
//! # Ok(())
//! # }
//! ```
pub use crate::common::chat_template::ChatMessage;
use crate::common::chat_template::ChatTemplate;
use crate::generation::{
    left_pad, GenerateConfig, GenerateOptions, GeneratedToken, LanguageGenerator, ModelDefaults,
    PrivateLanguageGenerator,
};
use crate::llama::LlamaGenerator;
use crate::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use crate::pipelines::text_generation::{gguf_weights, is_decoder_llm, llama_from_gguf};
use crate::resources::{LocalResource, ResourceProvider};
use crate::RustBertError;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tch::{Device, Kind};

/// Configuration of a [`ChatModel`]: the model's files and the generation settings. The
/// defaults are HF `generate`'s: greedy decoding, no repetition constraints. These settings
/// are used as given: the sampling defaults of the model's `generation_config.json` (which
/// [`crate::generation::ModelDefaults`] applies to text generation) are not read here; set
/// them on the configuration to sample as the model's authors suggest.
pub struct ChatConfig {
    /// Model architecture (Llama, Mistral, Qwen2, Qwen3, Phi3 or Gemma2; for a GGUF file, the
    /// file's own architecture is used).
    pub model_type: ModelType,
    /// Weights: `model.safetensors`, the index of sharded ones, or a GGUF file (recognised by
    /// its contents; its configuration, tokenizer and template then come from the file).
    pub model_resource: ModelResource,
    /// HF `config.json` (`generation_config.json` beside it is read too).
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// The tokenizer's `tokenizer.json` (`special_tokens_map.json` or `tokenizer_config.json`
    /// beside it name the special tokens).
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// A Jinja chat template to use instead of the model's own.
    pub chat_template: Option<String>,
    /// Longest reply, in tokens (default 256). The history is cut to leave this much room.
    pub max_new_tokens: i64,
    /// Positions a prompt and its reply may take together (default: the model's
    /// `max_position_embeddings`).
    pub context_length: Option<i64>,
    /// Sample the next token (default false: greedy).
    pub do_sample: bool,
    /// Beams (default 1; beam search cannot stream).
    pub num_beams: i64,
    /// Sampling temperature, above 0 (default 1.0).
    pub temperature: f64,
    /// Sample among the `top_k` most likely tokens; 0 turns it off (default 0).
    pub top_k: i64,
    /// Nucleus sampling mass in (0, 1] (default 1.0: off).
    pub top_p: f64,
    /// Repetition penalty, above 0 (default 1.0: none).
    pub repetition_penalty: f64,
    /// Ban repeated n-grams of this size; 0 turns it off (default 0).
    pub no_repeat_ngram_size: i64,
    /// Device (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights (`None`: float32 on CPU, as stored elsewhere).
    pub kind: Option<Kind>,
}

impl ChatConfig {
    /// A configuration from the model's files, with the default settings.
    pub fn new<RC, RV>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
    ) -> Self
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        ChatConfig {
            model_type,
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            chat_template: None,
            max_new_tokens: 256,
            context_length: None,
            do_sample: false,
            num_beams: 1,
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            repetition_penalty: 1.0,
            no_repeat_ngram_size: 0,
            device: Device::cuda_if_available(),
            kind: None,
        }
    }

    /// A GGUF file (llama.cpp's format): weights, configuration, tokenizer and chat template
    /// all come from it.
    pub fn from_gguf<P: AsRef<Path>>(path: P) -> Self {
        let path = path.as_ref().to_path_buf();
        Self::new(
            ModelType::Llama,
            ModelResource::Torch(Box::new(LocalResource::from(path.clone()))),
            LocalResource::from(path.clone()),
            LocalResource::from(path),
        )
    }

    /// An HF model folder as downloaded: `config.json` (its `model_type` picks the family),
    /// `model.safetensors` or `model.safetensors.index.json`, `tokenizer.json`.
    ///
    /// # Errors
    /// A folder without `config.json` or weights, or a configuration without a known
    /// `model_type`, naming the file.
    pub fn from_folder<P: AsRef<Path>>(dir: P) -> Result<Self, RustBertError> {
        let dir = dir.as_ref();
        let config = dir.join("config.json");
        let model_type = ModelType::from_config_file(&config)?;
        let weights = ["model.safetensors", "model.safetensors.index.json"]
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| {
                RustBertError::IOError(format!(
                    "no model.safetensors or model.safetensors.index.json in {}",
                    dir.display()
                ))
            })?;
        Ok(Self::new(
            model_type,
            ModelResource::Torch(Box::new(LocalResource::from(weights))),
            LocalResource::from(config),
            LocalResource::from(dir.join("tokenizer.json")),
        ))
    }
}

/// What a [`ChatModel`] keeps of its configuration beside the generator.
struct ChatSettings {
    chat_template: Option<String>,
    max_new_tokens: i64,
    context_length: Option<i64>,
}

impl ChatConfig {
    fn split(self) -> (GenerateConfig, ChatSettings) {
        let settings = ChatSettings {
            chat_template: self.chat_template,
            max_new_tokens: self.max_new_tokens,
            context_length: self.context_length,
        };
        let generate = GenerateConfig {
            model_type: self.model_type,
            model_resource: self.model_resource,
            config_resource: self.config_resource,
            vocab_resource: self.vocab_resource,
            merges_resource: None,
            min_length: 0,
            max_length: None,
            do_sample: self.do_sample,
            early_stopping: false,
            num_beams: self.num_beams,
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            repetition_penalty: self.repetition_penalty,
            length_penalty: 1.0,
            no_repeat_ngram_size: self.no_repeat_ngram_size,
            num_return_sequences: 1,
            num_beam_groups: None,
            diversity_penalty: None,
            device: self.device,
            kind: self.kind,
            // The chat settings above are all explicit (greedy unless asked): a model's
            // generation_config.json sampling defaults do not override them.
            model_defaults: ModelDefaults::Ignore,
        };
        (generate, settings)
    }
}

/// A conversation rendered for the model, cut to fit its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPrompt {
    /// The text the template rendered (from the messages kept).
    pub text: String,
    /// Its tokens.
    pub token_ids: Vec<i64>,
    /// Messages of the conversation left out (the oldest turns) to fit the context.
    pub dropped_messages: usize,
    /// New tokens the reply may take.
    pub max_new_tokens: i64,
}

/// Why a reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended it (an end-of-sequence token, or a stop string of the options).
    Stop,
    /// It reached `max_new_tokens`.
    Length,
    /// The streaming callback stopped the generation.
    Cancelled,
}

/// The assistant's reply to one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatOutput {
    /// The reply, role `assistant`.
    pub message: ChatMessage,
    /// Its tokens (without the end-of-sequence token).
    pub token_ids: Vec<i64>,
    /// Tokens of the prompt the model read.
    pub prompt_tokens: usize,
    /// Messages of the conversation left out (the oldest turns) to fit the context.
    pub dropped_messages: usize,
    /// Why the reply ended.
    pub finish_reason: FinishReason,
}

/// A token of a reply, as the streaming callback receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatToken {
    /// Index of the conversation in the call.
    pub conversation: usize,
    /// The token's id.
    pub token_id: i64,
    /// The text it adds to the reply (empty while it holds part of a character that the next
    /// tokens complete). The pieces of a reply join into its text.
    pub text: String,
}

/// Streaming callback of [`ChatModel::chat_with_options`]: called with each token of each
/// reply; returning `false` stops the generation (the replies so far are returned).
pub type ChatCallback<'a> = &'a dyn Fn(&ChatToken) -> bool;

/// Chat pipeline: see the module documentation.
pub struct ChatModel {
    generator: LlamaGenerator,
    template: ChatTemplate,
    special_tokens: BTreeMap<String, String>,
    eos_token_ids: Vec<i64>,
    max_new_tokens: i64,
    context_length: i64,
}

/// `tokenizer.chat_template` of a GGUF file.
fn chat_template_of_gguf(path: &Path) -> Result<String, RustBertError> {
    let file = crate::common::gguf::GgufFile::open(path)?;
    file.chat_template().map(str::to_string).ok_or_else(|| {
        RustBertError::InvalidConfigurationError(format!(
            "{}: the GGUF file has no tokenizer.chat_template; give one in ChatConfig::chat_template",
            path.display()
        ))
    })
}

/// `tokenizer_config.json`'s `chat_template`: a string, or HF's list of named templates (the
/// one named `default`).
fn template_in_tokenizer_config(path: &Path) -> Result<Option<String>, RustBertError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| RustBertError::IOError(format!("cannot read {}: {e}", path.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        RustBertError::InvalidConfigurationError(format!("invalid JSON in {}: {e}", path.display()))
    })?;
    Ok(match json.get("chat_template") {
        Some(serde_json::Value::String(template)) => Some(template.clone()),
        Some(serde_json::Value::Array(named)) => named
            .iter()
            .find(|entry| entry.get("name").and_then(|n| n.as_str()) == Some("default"))
            .and_then(|entry| entry.get("template"))
            .and_then(|t| t.as_str())
            .map(str::to_string),
        _ => None,
    })
}

/// The chat template of an HF folder: `chat_template.jinja` (how HF 5 saves it), else
/// `tokenizer_config.json`'s `chat_template`, in the first of `dirs` that has one.
fn chat_template_of_folder(dirs: &[PathBuf]) -> Result<String, RustBertError> {
    for dir in dirs {
        let jinja = dir.join("chat_template.jinja");
        if jinja.is_file() {
            return std::fs::read_to_string(&jinja).map_err(|e| {
                RustBertError::IOError(format!("cannot read {}: {e}", jinja.display()))
            });
        }
        let config = dir.join("tokenizer_config.json");
        if config.is_file() {
            if let Some(template) = template_in_tokenizer_config(&config)? {
                return Ok(template);
            }
        }
    }
    let places: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(RustBertError::InvalidConfigurationError(format!(
        "no chat template: neither chat_template.jinja nor a chat_template in \
         tokenizer_config.json in {}; give one in ChatConfig::chat_template",
        places.join(" or ")
    )))
}

/// The special tokens a template reads (`bos_token`, `eos_token`, `unk_token`, `pad_token`,
/// ...), as HF passes its tokenizer's special-token map.
fn template_special_tokens(tokenizer: &TokenizerOption) -> BTreeMap<String, String> {
    let mut tokens = BTreeMap::new();
    #[cfg(feature = "hf-tokenizers")]
    if let TokenizerOption::HFTokenizer(hf) = tokenizer {
        let map = &hf.special_token_map;
        let named = [
            ("bos_token", map.bos_token.as_ref()),
            ("eos_token", map.eos_token.as_ref()),
            ("unk_token", Some(&map.unk_token).filter(|t| !t.is_empty())),
            ("pad_token", map.pad_token.as_ref()),
            ("sep_token", map.sep_token.as_ref()),
            ("cls_token", map.cls_token.as_ref()),
            ("mask_token", map.mask_token.as_ref()),
        ];
        for (name, token) in named {
            if let Some(token) = token {
                tokens.insert(name.to_string(), token.clone());
            }
        }
        return tokens;
    }
    // Other tokenizers: the special tokens spelled from their ids.
    let unk = Some(tokenizer.get_unk_id()).filter(|&id| id >= 0);
    let ids = [
        ("bos_token", tokenizer.get_bos_id()),
        ("eos_token", tokenizer.get_eos_id()),
        ("unk_token", unk),
        ("pad_token", tokenizer.get_pad_id()),
    ];
    for (name, id) in ids {
        if let Some(id) = id {
            let token = tokenizer.decode(&[id], false, false);
            if !token.is_empty() {
                tokens.insert(name.to_string(), token);
            }
        }
    }
    tokens
}

fn invalid(message: String) -> RustBertError {
    RustBertError::ValueError(message)
}

impl ChatModel {
    /// Loads the model, its tokenizer and its chat template.
    ///
    /// # Errors
    /// Settings out of range (sampling values, `max_new_tokens` below 1, a context that
    /// leaves no room), a model type other than the decoder LLMs, a model without a chat
    /// template (or one that does not compile), and the loading errors of the files.
    pub fn new(config: ChatConfig) -> Result<Self, RustBertError> {
        Self::build(config, None)
    }

    /// As [`ChatModel::new`] with a tokenizer of your own (not for GGUF files, which carry
    /// theirs).
    ///
    /// # Errors
    /// As [`ChatModel::new`].
    pub fn new_with_tokenizer(
        config: ChatConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::build(config, Some(tokenizer))
    }

    fn build(
        config: ChatConfig,
        tokenizer: Option<TokenizerOption>,
    ) -> Result<Self, RustBertError> {
        let gguf = gguf_weights(&config.model_resource)?;
        let (generate, settings) = config.split();
        if settings.max_new_tokens < 1 {
            return Err(invalid(format!(
                "max_new_tokens must be at least 1, got {}",
                settings.max_new_tokens
            )));
        }
        if let Some(context) = settings.context_length {
            if context <= settings.max_new_tokens {
                return Err(invalid(format!(
                    "context_length ({context}) leaves no room for a prompt beside \
                     max_new_tokens ({})",
                    settings.max_new_tokens
                )));
            }
        }
        // Where an HF folder keeps its template: beside the tokenizer, else beside the
        // configuration (resolved before the generator takes the resources).
        let folders: Vec<PathBuf> = [&generate.vocab_resource, &generate.config_resource]
            .iter()
            .filter_map(|resource| resource.get_local_path().ok())
            .filter_map(|path| path.parent().map(Path::to_path_buf))
            .collect();
        let (generator, template_source) = match gguf {
            Some(path) => {
                if tokenizer.is_some() {
                    return Err(RustBertError::UnsupportedError(format!(
                        "{}: a GGUF file brings its own tokenizer; use ChatModel::new",
                        path.display()
                    )));
                }
                let template = match &settings.chat_template {
                    Some(template) => template.clone(),
                    None => chat_template_of_gguf(&path)?,
                };
                (llama_from_gguf(&path, generate)?, template)
            }
            None => {
                if !is_decoder_llm(generate.model_type) {
                    return Err(RustBertError::UnsupportedError(format!(
                        "the chat pipeline runs Llama, Mistral, Qwen2, Qwen3, Phi3 and Gemma2 \
                         models, not {:?}",
                        generate.model_type
                    )));
                }
                let template = match &settings.chat_template {
                    Some(template) => template.clone(),
                    None => chat_template_of_folder(&folders)?,
                };
                let generator = match tokenizer {
                    Some(tokenizer) => LlamaGenerator::new_with_tokenizer(generate, tokenizer)?,
                    None => LlamaGenerator::new(generate)?,
                };
                (generator, template)
            }
        };
        let template = ChatTemplate::new(&template_source)?;
        let context_length = settings
            .context_length
            .or_else(|| generator.get_max_positions_embeddings())
            .unwrap_or(i64::MAX);
        if context_length <= settings.max_new_tokens {
            return Err(invalid(format!(
                "the context of {context_length} positions leaves no room for a prompt beside \
                 max_new_tokens ({})",
                settings.max_new_tokens
            )));
        }
        let special_tokens = template_special_tokens(generator.get_tokenizer());
        let eos_token_ids = generator.get_eos_ids().cloned().unwrap_or_default();
        Ok(Self {
            generator,
            template,
            special_tokens,
            eos_token_ids,
            max_new_tokens: settings.max_new_tokens,
            context_length,
        })
    }

    /// The tokens of `text`, without added special tokens (the template writes them).
    fn encode(&self, text: &str) -> Vec<i64> {
        let tokenizer = self.generator.get_tokenizer();
        tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(text))
    }

    /// Renders `messages` (with the assistant's opening) and tokenizes the text.
    fn render(&self, messages: &[ChatMessage]) -> Result<(String, Vec<i64>), RustBertError> {
        let text = self.template.render(messages, true, &self.special_tokens)?;
        let ids = self.encode(&text);
        Ok((text, ids))
    }

    /// The prompt of one conversation: rendered by the template, the oldest turns dropped
    /// until it leaves `max_new_tokens` (default: the configuration's) within the context.
    ///
    /// # Errors
    /// `ValueError` for an empty message list, a `max_new_tokens` below 1, a template that
    /// refuses the messages (its own message), a prompt that renders to nothing, and a last
    /// turn that does not fit alone.
    pub fn prompt(
        &self,
        messages: &[ChatMessage],
        max_new_tokens: Option<i64>,
    ) -> Result<ChatPrompt, RustBertError> {
        if messages.is_empty() {
            return Err(invalid(
                "a chat needs at least one message; the message list is empty".to_string(),
            ));
        }
        let max_new_tokens = max_new_tokens.unwrap_or(self.max_new_tokens);
        if max_new_tokens < 1 {
            return Err(invalid(format!(
                "max_new_tokens must be at least 1, got {max_new_tokens}"
            )));
        }
        let budget = self.context_length.saturating_sub(max_new_tokens);
        if budget < 1 {
            return Err(invalid(format!(
                "max_new_tokens ({max_new_tokens}) leaves no room for a prompt in the context \
                 of {} positions",
                self.context_length
            )));
        }
        let budget = usize::try_from(budget).unwrap_or(usize::MAX);
        // Leading system messages stay; the rest is cut into turns, each starting at a user
        // message (anything before the first one is a turn of its own).
        let system = messages.iter().take_while(|m| m.role == "system").count();
        let mut starts: Vec<usize> = (system..messages.len())
            .filter(|&i| i == system || messages[i].role == "user")
            .collect();
        if starts.is_empty() {
            starts.push(messages.len());
        }
        let keep = |dropped_turns: usize| -> Result<(String, Vec<i64>, usize), RustBertError> {
            let from = starts[dropped_turns];
            let kept: Vec<ChatMessage> = messages[..system]
                .iter()
                .chain(&messages[from..])
                .cloned()
                .collect();
            let (text, ids) = self.render(&kept)?;
            Ok((text, ids, from - system))
        };
        let finish = |(text, token_ids, dropped_messages): (String, Vec<i64>, usize)| {
            if token_ids.is_empty() {
                return Err(invalid(
                    "the chat template rendered an empty prompt".to_string(),
                ));
            }
            Ok(ChatPrompt {
                text,
                token_ids,
                dropped_messages,
                max_new_tokens,
            })
        };
        let whole = keep(0)?;
        if whole.1.len() <= budget {
            return finish(whole);
        }
        let last = starts.len() - 1;
        let alone = keep(last)?;
        if alone.1.len() > budget {
            return Err(invalid(format!(
                "the conversation does not fit the context: its last turn alone takes {} \
                 tokens, and {} positions minus max_new_tokens ({max_new_tokens}) leave {budget}",
                alone.1.len(),
                self.context_length
            )));
        }
        // The fewest turns to drop: a prompt shrinks as turns go, so search between "all
        // kept" (too long) and "only the last" (fits).
        let (mut too_long, mut fits, mut best) = (0, last, alone);
        while fits - too_long > 1 {
            let middle = (too_long + fits) / 2;
            let candidate = keep(middle)?;
            if candidate.1.len() <= budget {
                fits = middle;
                best = candidate;
            } else {
                too_long = middle;
            }
        }
        finish(best)
    }

    /// The assistant's reply to `messages`.
    ///
    /// # Errors
    /// As [`ChatModel::chat_with_options`].
    pub fn chat(&self, messages: &[ChatMessage]) -> Result<ChatOutput, RustBertError> {
        let mut outputs = self.chat_with_options(&[messages], None, None)?;
        outputs
            .pop()
            .ok_or_else(|| invalid("the generator returned no reply".to_string()))
    }

    /// The replies to several conversations, generated together.
    ///
    /// # Errors
    /// As [`ChatModel::chat_with_options`].
    pub fn chat_batch<M: AsRef<[ChatMessage]>>(
        &self,
        conversations: &[M],
    ) -> Result<Vec<ChatOutput>, RustBertError> {
        self.chat_with_options(conversations, None, None)
    }

    /// The replies to several conversations, with per-call generation `options` (sampling
    /// settings, `max_new_tokens`, stop strings, ...) and an optional streaming callback. An
    /// empty list of conversations gives no replies.
    ///
    /// # Errors
    /// Any conversation's prompt error ([`ChatModel::prompt`]), options the chat does not take
    /// (`max_length`: use `max_new_tokens`; several return sequences; a `token_callback`: use
    /// `on_token`), settings out of range, and the model's errors.
    pub fn chat_with_options<M: AsRef<[ChatMessage]>>(
        &self,
        conversations: &[M],
        options: Option<GenerateOptions>,
        on_token: Option<ChatCallback>,
    ) -> Result<Vec<ChatOutput>, RustBertError> {
        let max_new_tokens = options.as_ref().and_then(|o| o.max_new_tokens);
        let prompts = conversations
            .iter()
            .map(|messages| self.prompt(messages.as_ref(), max_new_tokens))
            .collect::<Result<Vec<_>, _>>()?;
        self.reply_to_prompts(&prompts, options, on_token)
    }

    /// The replies to prompts made by [`ChatModel::prompt`] (all with the same
    /// `max_new_tokens`), generated together: for callers that check each conversation first
    /// (a server answering the bad ones alone).
    ///
    /// # Errors
    /// As [`ChatModel::chat_with_options`], and prompts asking for different lengths.
    pub fn reply_to_prompts(
        &self,
        prompts: &[ChatPrompt],
        options: Option<GenerateOptions>,
        on_token: Option<ChatCallback>,
    ) -> Result<Vec<ChatOutput>, RustBertError> {
        let Some(first) = prompts.first() else {
            return Ok(Vec::new());
        };
        let max_new_tokens = first.max_new_tokens;
        if prompts.iter().any(|p| p.max_new_tokens != max_new_tokens) {
            return Err(invalid(
                "prompts generated together must ask for the same max_new_tokens".to_string(),
            ));
        }
        let mut options = options.unwrap_or_default();
        if let Some(max_length) = options.max_length {
            return Err(invalid(format!(
                "the chat takes max_new_tokens, not max_length ({max_length})"
            )));
        }
        if let Some(n) = options.num_return_sequences.filter(|&n| n != 1) {
            return Err(invalid(format!(
                "the chat returns one reply per conversation; num_return_sequences is {n}"
            )));
        }
        if options.token_callback.is_some() {
            return Err(invalid(
                "stream a chat through its on_token callback, not the options' token_callback"
                    .to_string(),
            ));
        }
        options.max_new_tokens = Some(max_new_tokens);
        options.num_return_sequences = Some(1);
        let eos = self.eos_token_ids.as_slice();
        if options.eos_token_ids.is_none() && !eos.is_empty() {
            options.eos_token_ids = Some(eos);
        }
        let stop_ids: Vec<i64> = options.eos_token_ids.unwrap_or_default().to_vec();

        let tokenizer = self.generator.get_tokenizer();
        let streamed: RefCell<Vec<(Vec<i64>, String)>> =
            RefCell::new(vec![(Vec::new(), String::new()); prompts.len()]);
        let cancelled = Cell::new(false);
        let forward = |token: &GeneratedToken| -> bool {
            let Some(on_token) = on_token else {
                return true;
            };
            if stop_ids.contains(&token.token_id) {
                return true;
            }
            let text = {
                let mut streamed = streamed.borrow_mut();
                let Some((ids, shown)) = streamed.get_mut(token.sequence) else {
                    return true;
                };
                ids.push(token.token_id);
                // The reply decoded so far; its new end is this token's text. A trailing
                // replacement character is a byte sequence the next tokens complete: wait.
                let decoded = tokenizer.decode(ids, true, false);
                match decoded.strip_prefix(shown.as_str()) {
                    Some(added) if !decoded.ends_with('\u{FFFD}') => {
                        let added = added.to_string();
                        *shown = decoded;
                        added
                    }
                    _ => String::new(),
                }
            };
            let go_on = on_token(&ChatToken {
                conversation: token.sequence,
                token_id: token.token_id,
                text,
            });
            if !go_on {
                cancelled.set(true);
            }
            go_on
        };
        if on_token.is_some() {
            options.token_callback = Some(&forward);
        }

        let rows: Vec<Vec<i64>> = prompts.iter().map(|p| p.token_ids.clone()).collect();
        let pad = self
            .generator
            .get_pad_id()
            .or_else(|| self.eos_token_ids.first().copied())
            .unwrap_or(0);
        let device = self.generator.get_var_store().device();
        let (input_ids, attention_mask) = left_pad(&rows, pad, device);
        let outputs = self.generator.generate_from_ids_and_past(
            input_ids,
            Some(attention_mask),
            Some(options),
        )?;
        if outputs.len() != prompts.len() {
            return Err(invalid(format!(
                "the generator returned {} sequences for {} conversations",
                outputs.len(),
                prompts.len()
            )));
        }
        let clean_up = tokenizer.hf_clean_up_tokenization_spaces();
        Ok(outputs
            .into_iter()
            .zip(prompts)
            .map(|(output, prompt)| {
                let start = prompt.token_ids.len().min(output.indices.len());
                let mut reply = output.indices[start..].to_vec();
                let finish_reason = if reply.last().is_some_and(|id| stop_ids.contains(id)) {
                    reply.pop();
                    FinishReason::Stop
                } else if reply.len() as i64 >= max_new_tokens {
                    FinishReason::Length
                } else if cancelled.get() {
                    FinishReason::Cancelled
                } else {
                    FinishReason::Stop
                };
                ChatOutput {
                    message: ChatMessage::new(
                        "assistant",
                        tokenizer.decode(&reply, true, clean_up),
                    ),
                    token_ids: reply,
                    prompt_tokens: prompt.token_ids.len(),
                    dropped_messages: prompt.dropped_messages,
                    finish_reason,
                }
            })
            .collect())
    }

    /// Positions a prompt and its reply may take together.
    pub fn context_length(&self) -> i64 {
        self.context_length
    }

    /// The default longest reply, in tokens.
    pub fn max_new_tokens(&self) -> i64 {
        self.max_new_tokens
    }

    /// The ids that end a reply.
    pub fn eos_token_ids(&self) -> &[i64] {
        &self.eos_token_ids
    }

    /// The special tokens the template receives (`bos_token`, `eos_token`, ...).
    pub fn special_tokens(&self) -> &BTreeMap<String, String> {
        &self.special_tokens
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        self.generator.get_tokenizer()
    }

    /// The generator underneath.
    pub fn get_generator(&self) -> &LlamaGenerator {
        &self.generator
    }
}
