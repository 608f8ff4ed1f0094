//! The decoder LLMs as text generators on the crate's generation engine.
use super::config::{GenerationDefaults, LlamaConfig};
use super::llama_model::LlamaForCausalLM;
use crate::common::tokenizer::TokenizerOption;
use crate::generation::private_generation_utils::GenerativeModel;
use crate::generation::{
    Cache, GenerateConfig, GeneratorSpecials, LMModelOutput, LanguageModelGenerator, StepInput,
};
use crate::{Config, RustBertError};

/// Text generator of every family of [`LlamaConfig`] (Llama, Mistral, Qwen2, Qwen3, Phi-3,
/// Gemma 2): [`crate::generation::LanguageGenerator`] over [`LlamaForCausalLM`].
pub type LlamaGenerator = LanguageModelGenerator<LlamaForCausalLM>;

/// Special tokens: `generation_config.json`'s, then `config.json`'s, then the tokenizer's;
/// padding falls back to the first end-of-sequence id (as HF generate does).
fn specials(config: &LlamaConfig, tokenizer: &TokenizerOption) -> GeneratorSpecials {
    let generation = config.generation.as_ref();
    let eos_token_ids = config
        .eos_token_ids()
        .or_else(|| tokenizer.get_eos_id().map(|id| vec![id]));
    GeneratorSpecials {
        bos_token_id: generation
            .and_then(|g| g.bos_token_id)
            .or(config.bos_token_id)
            .or_else(|| tokenizer.get_bos_id()),
        pad_token_id: generation
            .and_then(|g| g.pad_token_id)
            .or(config.pad_token_id)
            .or_else(|| tokenizer.get_pad_id())
            .or_else(|| eos_token_ids.as_ref().and_then(|ids| ids.first().copied())),
        eos_token_ids,
        decoder_start_token_id: None,
        forced_bos_token_id: None,
        forced_eos_token_id: None,
        vocab_size: config.vocab_size,
        max_positions: Some(config.max_position_embeddings),
        is_encoder_decoder: false,
        banned_token_ids: Vec::new(),
        sampling_defaults: generation
            .map(GenerationDefaults::to_sampling_defaults)
            .unwrap_or_default(),
        default_max_new_tokens: None,
    }
}

fn read_config(path: &std::path::Path) -> Result<LlamaConfig, RustBertError> {
    LlamaConfig::try_from_file(path)
}

impl LanguageModelGenerator<LlamaForCausalLM> {
    /// Loads the model and its tokenizer from the configuration's resources (the vocabulary
    /// resource is the model's `tokenizer.json`, with `special_tokens_map.json` beside it).
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer files
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            None,
            read_config,
            |p, c| LlamaForCausalLM::new(p, c),
            specials,
        )
    }

    /// Loads the model with a tokenizer of your own (the vocabulary resources are then unused).
    ///
    /// # Errors
    /// As [`LlamaGenerator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            |p, c| LlamaForCausalLM::new(p, c),
            specials,
        )
    }
}

impl LanguageModelGenerator<LlamaForCausalLM> {
    /// Loads a GGUF file (llama.cpp's format, as people download quantised models): the
    /// configuration from its metadata
    /// ([`GgufFile::hf_config`](crate::common::gguf::GgufFile::hf_config)), its weights
    /// dequantised into the generator's kind
    /// ([`GgufFile::load_into`](crate::common::gguf::GgufFile::load_into)) and the tokenizer it
    /// describes, byte-level BPE or SentencePiece ([`TokenizerOption::from_gguf`]).
    /// `generate_config`'s settings (lengths, sampling, device, kind) are kept, those left
    /// unset filled with the sampling defaults llama.cpp stores in the file
    /// ([`GenerationDefaults::from_gguf`], see [`crate::generation::ModelDefaults`]); its model
    /// type and resources become the file's.
    ///
    /// # Errors
    /// A file that is not a valid GGUF, an architecture or tokenizer this crate does not read,
    /// or a configuration the metadata does not complete, naming the file.
    #[cfg(feature = "hf-tokenizers")]
    pub fn from_gguf<P: AsRef<std::path::Path>>(
        path: P,
        mut generate_config: GenerateConfig,
    ) -> Result<Self, RustBertError> {
        use crate::common::gguf::GgufFile;
        use crate::common::model_resource::ModelResource;
        use crate::common::model_type::ModelType;
        use crate::resources::LocalResource;
        let path = path.as_ref();
        let file = GgufFile::open(path)?;
        let tokenizer = TokenizerOption::from_gguf(&file)?;
        let config: LlamaConfig = crate::common::config::parse_config(
            &file.hf_config().to_string(),
            &path.display().to_string(),
        )?;
        let mut config = crate::common::config::validated(config, path)?;
        config.generation = GenerationDefaults::from_gguf(&file);
        generate_config.model_type = file
            .architecture()
            .and_then(ModelType::from_hf_model_type)
            .unwrap_or(ModelType::Llama);
        generate_config.model_resource =
            ModelResource::Torch(Box::new(LocalResource::from(path.to_path_buf())));
        generate_config.config_resource = Box::new(LocalResource::from(path.to_path_buf()));
        drop(file);
        Self::load(
            generate_config,
            Some(tokenizer),
            move |_| Ok(config),
            |p, c| LlamaForCausalLM::new(p, c),
            specials,
        )
    }
}

impl GenerativeModel for LlamaForCausalLM {
    fn forward_step(
        &self,
        input: &StepInput<'_>,
        cache: Cache,
    ) -> Result<LMModelOutput, RustBertError> {
        self.step(
            input.input_ids,
            cache,
            input.attention_mask,
            input.position_ids,
        )
    }

    /// HF's text-generation pipeline tokenizes prompts with the tokenizer's special tokens
    /// (Llama's and Mistral's BOS; none where the tokenizer adds none, as Qwen's).
    fn prompt_special_tokens(&self) -> bool {
        true
    }
}
