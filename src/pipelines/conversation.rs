//! # Conversation pipeline (DialoGPT)
//!
//! Multi-turn dialogue with a conversational causal model (DialoGPT over GPT-2). Each
//! [`Conversation`] keeps its past inputs, responses and their token ids; the model sees the
//! turns joined by end-of-sequence tokens, as DialoGPT was trained. When the history and the new
//! input no longer fit the context left for a response (`max_length - min_length_for_response`),
//! the oldest turns are dropped whole. A [`ConversationManager`] holds conversations by UUID and
//! [`ConversationModel::generate_responses`] answers all those waiting for a response in one
//! batch.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::conversation::{ConversationManager, ConversationModel};
//!
//! let model = ConversationModel::new(Default::default())?;
//! let mut manager = ConversationManager::new();
//! let id = manager.create("Going to the movies tonight - any suggestions?");
//! let responses = model.generate_responses(&mut manager)?;
//! println!("{:?}", responses);
//! manager.get(&id).unwrap().add_user_input("Is it an action movie?")?;
//! let responses = model.generate_responses(&mut manager)?;
//! println!("{:?}", responses);
//! # Ok(())
//! # }
//! ```
use crate::generation::{
    impl_into_generate_config, left_pad, GenerateConfig, GenerateOptions, LanguageGenerator,
    PrivateLanguageGenerator,
};
use crate::gpt2::GPT2Generator;
use crate::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use crate::resources::ResourceProvider;
use crate::RustBertError;
#[cfg(feature = "remote")]
use crate::{
    gpt2::{Gpt2ConfigResources, Gpt2MergesResources, Gpt2ModelResources, Gpt2VocabResources},
    resources::RemoteResource,
};
use std::collections::HashMap;
use tch::{Device, Kind};
use uuid::Uuid;

/// Configuration of a [`ConversationModel`]: the model files and the generation settings (see
/// [`GenerateConfig`]), with rust-bert's conversation defaults.
pub struct ConversationConfig {
    /// Model architecture (GPT-2).
    pub model_type: ModelType,
    /// Weights.
    pub model_resource: ModelResource,
    /// HF `config.json`.
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary.
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// BPE merges.
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Minimum length (default 0).
    pub min_length: i64,
    /// Maximum length of history, input and response together (default `Some(1000)`).
    pub max_length: Option<i64>,
    /// Room kept for the response: the history is cut to `max_length` minus this (default 64).
    pub min_length_for_response: i64,
    /// Sample (default true).
    pub do_sample: bool,
    /// Beam search early stopping (default false).
    pub early_stopping: bool,
    /// Beams (default 1).
    pub num_beams: i64,
    /// Temperature (default 1.0).
    pub temperature: f64,
    /// Top-k (default 50).
    pub top_k: i64,
    /// Top-p (default 0.9).
    pub top_p: f64,
    /// Repetition penalty (default 1.0).
    pub repetition_penalty: f64,
    /// Length penalty (default 1.0).
    pub length_penalty: f64,
    /// No-repeat n-gram size (default 0).
    pub no_repeat_ngram_size: i64,
    /// Responses generated per input (default 1; only the first is kept).
    pub num_return_sequences: i64,
    /// Beam groups for diverse beam search.
    pub num_beam_groups: Option<i64>,
    /// Diversity penalty for diverse beam search.
    pub diversity_penalty: Option<f64>,
    /// Device (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights.
    pub kind: Option<Kind>,
}

#[cfg(feature = "remote")]
impl Default for ConversationConfig {
    /// DialoGPT-medium with rust-bert's settings (sampling, top-k 50, top-p 0.9).
    fn default() -> ConversationConfig {
        ConversationConfig {
            model_type: ModelType::GPT2,
            model_resource: ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                Gpt2ModelResources::DIALOGPT_MEDIUM,
            ))),
            config_resource: Box::new(RemoteResource::from_pretrained(
                Gpt2ConfigResources::DIALOGPT_MEDIUM,
            )),
            vocab_resource: Box::new(RemoteResource::from_pretrained(
                Gpt2VocabResources::DIALOGPT_MEDIUM,
            )),
            merges_resource: Some(Box::new(RemoteResource::from_pretrained(
                Gpt2MergesResources::DIALOGPT_MEDIUM,
            ))),
            min_length: 0,
            max_length: Some(1000),
            min_length_for_response: 64,
            do_sample: true,
            early_stopping: false,
            num_beams: 1,
            temperature: 1.0,
            top_k: 50,
            top_p: 0.9,
            repetition_penalty: 1.0,
            length_penalty: 1.0,
            no_repeat_ngram_size: 0,
            num_return_sequences: 1,
            num_beam_groups: None,
            diversity_penalty: None,
            device: Device::cuda_if_available(),
            kind: None,
        }
    }
}

impl_into_generate_config!(ConversationConfig);

/// One conversation: past user inputs, generated responses, a new input waiting for its
/// response, and the token ids of every turn (what the model is shown).
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// User inputs already answered.
    pub past_user_inputs: Vec<String>,
    /// Responses, one per past input.
    pub generated_responses: Vec<String>,
    /// The input waiting for a response.
    pub new_user_input: Option<String>,
    /// Token ids of each turn so far, each ending with the end-of-sequence token.
    pub history: Vec<Vec<i64>>,
}

impl Conversation {
    /// A conversation starting with `text` from the user.
    pub fn new(text: &str) -> Conversation {
        Conversation {
            new_user_input: Some(text.to_string()),
            ..Default::default()
        }
    }

    /// A conversation with nothing said yet.
    pub fn new_empty() -> Conversation {
        Conversation::default()
    }

    /// Adds a user input.
    ///
    /// # Errors
    /// `ValueError` when an input is already waiting for its response (use
    /// [`Conversation::add_user_input_with_overwrite`] to replace it).
    pub fn add_user_input(&mut self, text: &str) -> Result<(), RustBertError> {
        if let Some(waiting) = &self.new_user_input {
            return Err(RustBertError::ValueError(format!(
                "the input {waiting:?} is still waiting for a response; \
                 add_user_input_with_overwrite replaces it"
            )));
        }
        self.new_user_input = Some(text.to_string());
        Ok(())
    }

    /// Adds a user input, replacing (and returning) one still waiting for its response.
    pub fn add_user_input_with_overwrite(&mut self, text: &str) -> Option<String> {
        self.new_user_input.replace(text.to_string())
    }

    /// Whether an input waits for a response.
    pub fn contains_new_input(&self) -> bool {
        self.new_user_input.is_some()
    }

    /// Moves the waiting input to the past inputs.
    pub fn mark_processed(&mut self) {
        if let Some(input) = self.new_user_input.take() {
            self.past_user_inputs.push(input);
        }
    }

    /// The waiting input, else the last answered one.
    pub fn get_last_input(&self) -> Option<&str> {
        self.new_user_input
            .as_deref()
            .or_else(|| self.past_user_inputs.last().map(String::as_str))
    }

    /// The last response.
    pub fn get_last_response(&self) -> Option<&str> {
        self.generated_responses.last().map(String::as_str)
    }

    /// Restores a conversation from its turns: `texts` alternate user input and response,
    /// starting with the user, and `ids` hold each turn's token ids (ending with the
    /// end-of-sequence token). A final user turn without response becomes the waiting input
    /// (its ids are then not kept: they are encoded when it is answered).
    pub fn load_from_history<S, SI>(&mut self, texts: &[S], ids: &[SI])
    where
        S: AsRef<str>,
        SI: AsRef<[i64]>,
    {
        for (turn, (text, turn_ids)) in texts.iter().zip(ids).enumerate() {
            let is_last_unanswered = turn % 2 == 0 && turn + 1 == texts.len().min(ids.len());
            if is_last_unanswered {
                self.new_user_input = Some(text.as_ref().to_string());
                continue;
            }
            if turn % 2 == 0 {
                self.past_user_inputs.push(text.as_ref().to_string());
            } else {
                self.generated_responses.push(text.as_ref().to_string());
            }
            self.history.push(turn_ids.as_ref().to_vec());
        }
    }
}

/// Conversations by id.
#[derive(Debug, Default)]
pub struct ConversationManager {
    conversations: HashMap<Uuid, Conversation>,
}

impl ConversationManager {
    /// An empty manager.
    pub fn new() -> ConversationManager {
        ConversationManager::default()
    }

    /// The conversations waiting for a response, with their ids (in matching order).
    pub fn get_active_conversations(&mut self) -> (Vec<&Uuid>, Vec<&mut Conversation>) {
        self.conversations
            .iter_mut()
            .filter(|(_, conversation)| conversation.contains_new_input())
            .unzip()
    }

    /// A conversation by id.
    pub fn get(&mut self, uuid: &Uuid) -> Option<&mut Conversation> {
        self.conversations.get_mut(uuid)
    }

    /// All conversations.
    pub fn get_all(&mut self) -> HashMap<&Uuid, &Conversation> {
        self.conversations.iter().collect()
    }

    /// Starts a conversation with `text` from the user; returns its id.
    pub fn create(&mut self, text: &str) -> Uuid {
        self.add(Conversation::new(text))
    }

    /// Starts an empty conversation; returns its id.
    pub fn create_empty(&mut self) -> Uuid {
        self.add(Conversation::new_empty())
    }

    /// Adds a conversation; returns its new id.
    pub fn add(&mut self, conversation: Conversation) -> Uuid {
        let mut uuid = Uuid::new_v4();
        while self.conversations.contains_key(&uuid) {
            uuid = Uuid::new_v4();
        }
        self.conversations.insert(uuid, conversation);
        uuid
    }

    /// Removes a conversation.
    pub fn remove(&mut self, uuid: &Uuid) -> Option<Conversation> {
        self.conversations.remove(uuid)
    }

    /// Removes every conversation, returning them.
    pub fn clear(&mut self) -> HashMap<Uuid, Conversation> {
        std::mem::take(&mut self.conversations)
    }
}

/// The generators the conversation pipeline runs.
pub enum ConversationOption {
    /// GPT-2 (DialoGPT).
    GPT2(GPT2Generator),
}

/// Conversation pipeline.
pub struct ConversationModel {
    model: ConversationOption,
    eos_token_id: i64,
    max_allowed_context_length: Option<i64>,
}

impl ConversationModel {
    /// Loads the pipeline.
    ///
    /// # Errors
    /// `UnsupportedError` for a model other than GPT-2 or one without an end-of-sequence
    /// token; loading errors.
    pub fn new(config: ConversationConfig) -> Result<Self, RustBertError> {
        Self::build(config, None)
    }

    /// Loads the pipeline with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`ConversationModel::new`].
    pub fn new_with_tokenizer(
        config: ConversationConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::build(config, Some(tokenizer))
    }

    fn build(
        config: ConversationConfig,
        tokenizer: Option<TokenizerOption>,
    ) -> Result<Self, RustBertError> {
        if config.model_type != ModelType::GPT2 {
            return Err(RustBertError::UnsupportedError(format!(
                "conversation is available for GPT2 (DialoGPT), not {:?}",
                config.model_type
            )));
        }
        let max_allowed_context_length = config
            .max_length
            .map(|max| (max - config.min_length_for_response).max(1));
        let config: GenerateConfig = config.into();
        let generator = match tokenizer {
            Some(tokenizer) => GPT2Generator::new_with_tokenizer(config, tokenizer)?,
            None => GPT2Generator::new(config)?,
        };
        let eos_token_id = generator
            .get_eos_ids()
            .and_then(|ids| ids.first().copied())
            .ok_or_else(|| {
                RustBertError::UnsupportedError(
                    "conversation needs an end-of-sequence token to separate turns".into(),
                )
            })?;
        Ok(Self {
            model: ConversationOption::GPT2(generator),
            eos_token_id,
            max_allowed_context_length,
        })
    }

    fn generator(&self) -> &GPT2Generator {
        match &self.model {
            ConversationOption::GPT2(generator) => generator,
        }
    }

    /// Token ids of user inputs, each followed by the end-of-sequence token.
    pub fn encode_prompts(&self, texts: &[&str]) -> Vec<Vec<i64>> {
        let tokenizer = self.generator().get_tokenizer();
        texts
            .iter()
            .map(|text| {
                let mut ids = tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(text));
                ids.push(self.eos_token_id);
                ids
            })
            .collect()
    }

    /// The model's input for one conversation: the history then the new input, the oldest
    /// turns dropped whole while it is too long (and the input's end kept if it alone is).
    fn context(&self, history: &[Vec<i64>], input: &[i64]) -> Vec<i64> {
        let mut first = 0;
        if let Some(max) = self.max_allowed_context_length {
            let max = max as usize;
            let mut length: usize = history.iter().map(Vec::len).sum::<usize>() + input.len();
            while length > max && first < history.len() {
                length -= history[first].len();
                first += 1;
            }
            if input.len() > max {
                return input[input.len() - max..].to_vec();
            }
        }
        history[first..]
            .iter()
            .flatten()
            .chain(input)
            .copied()
            .collect()
    }

    /// Answers every conversation of `conversation_manager` waiting for a response, in one
    /// batch; returns the responses by conversation id.
    ///
    /// # Errors
    /// Generation errors.
    pub fn generate_responses<'a>(
        &self,
        conversation_manager: &'a mut ConversationManager,
    ) -> Result<HashMap<&'a Uuid, &'a str>, RustBertError> {
        self.generate_responses_with_options(conversation_manager, None)
    }

    /// As [`ConversationModel::generate_responses`] with per-call [`GenerateOptions`]
    /// (`max_new_tokens`, a streaming callback, ...).
    ///
    /// # Errors
    /// As [`ConversationModel::generate_responses`].
    pub fn generate_responses_with_options<'a>(
        &self,
        conversation_manager: &'a mut ConversationManager,
        options: Option<GenerateOptions>,
    ) -> Result<HashMap<&'a Uuid, &'a str>, RustBertError> {
        let (ids, conversations) = conversation_manager.get_active_conversations();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let texts: Vec<&str> = conversations
            .iter()
            .map(|c| c.new_user_input.as_deref().unwrap_or_default())
            .collect();
        let prompts = self.encode_prompts(&texts);
        let contexts: Vec<Vec<i64>> = conversations
            .iter()
            .zip(&prompts)
            .map(|(c, prompt)| self.context(&c.history, prompt))
            .collect();
        let generator = self.generator();
        let (input_ids, attention_mask) = left_pad(
            &contexts,
            self.eos_token_id,
            generator.get_var_store().device(),
        );
        let outputs =
            generator.generate_from_ids_and_past(input_ids, Some(attention_mask), options)?;
        let per_input = outputs.len() / contexts.len().max(1);
        let tokenizer = generator.get_tokenizer();
        let mut responses = HashMap::with_capacity(ids.len());
        for (((uuid, conversation), (context, prompt)), output) in ids
            .into_iter()
            .zip(conversations)
            .zip(contexts.iter().zip(prompts))
            .zip(outputs.into_iter().step_by(per_input.max(1)))
        {
            let mut response: Vec<i64> =
                output.indices[context.len().min(output.indices.len())..].to_vec();
            let text = tokenizer.decode(&response, true, true);
            // Turns are separated by the end token, whether or not the model produced it.
            if response.last() != Some(&self.eos_token_id) {
                response.push(self.eos_token_id);
            }
            conversation.mark_processed();
            conversation.history.push(prompt);
            conversation.history.push(response);
            conversation.generated_responses.push(text);
            responses.insert(uuid, conversation.get_last_response().unwrap_or_default());
        }
        Ok(responses)
    }
}
