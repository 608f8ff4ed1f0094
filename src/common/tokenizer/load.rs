//! Building a [`TokenizerOption`] from vocabulary files, HF `tokenizer.json` files or
//! resources.
#[cfg(feature = "hf-tokenizers")]
use super::HFTokenizer;
use super::{MPNetTokenizer, TokenizerOption};
use crate::common::model_type::ModelType;
use crate::resources::ResourceProvider;
use crate::RustBertError;
use rust_tokenizers::tokenizer::{
    AlbertTokenizer, BertTokenizer, DeBERTaTokenizer, DeBERTaV2Tokenizer, FNetTokenizer,
    Gpt2Tokenizer, M2M100Tokenizer, MBart50Tokenizer, MarianTokenizer, NLLBTokenizer,
    OpenAiGptTokenizer, PegasusTokenizer, ProphetNetTokenizer, ReformerTokenizer, RobertaTokenizer,
    T5Tokenizer, XLMRobertaTokenizer, XLNetTokenizer,
};
use std::path::Path;

fn with_path<'a>(
    model_type: ModelType,
    vocab: &'a str,
    merges: Option<&'a str>,
) -> impl Fn(rust_tokenizers::error::TokenizerError) -> RustBertError + 'a {
    move |error| {
        let files = match merges {
            Some(merges) => format!("{vocab} (merges {merges})"),
            None => vocab.to_string(),
        };
        RustBertError::TokenizerError(format!(
            "cannot load the {model_type:?} tokenizer from {files}: {error}"
        ))
    }
}

fn require_merges(model_type: ModelType, merges: Option<&str>) -> Result<&str, RustBertError> {
    merges.ok_or_else(|| {
        RustBertError::InvalidConfigurationError(format!(
            "the {model_type:?} tokenizer needs a merges file, none was given"
        ))
    })
}

fn refuse_option(
    model_type: ModelType,
    name: &str,
    value: Option<bool>,
) -> Result<(), RustBertError> {
    match value {
        Some(value) => Err(RustBertError::InvalidConfigurationError(format!(
            "optional input `{name}` set to {value} but cannot be used by {model_type:?}"
        ))),
        None => Ok(()),
    }
}

impl TokenizerOption {
    /// Loads the tokenizer of `model_type` from its vocabulary (and merges) files.
    ///
    /// `strip_accents` and `add_prefix_space` are only accepted by the tokenizers that have
    /// them (an error otherwise, as in rust-bert); when `None` they take HF's defaults
    /// (accents stripped when lower-casing for BERT and ALBERT, always for XLNet whose HF
    /// default is `keep_accents=False`; no prefix space).
    ///
    /// # Errors
    /// `TokenizerError` naming the file(s) and what is wrong (a missing file, a file of another
    /// kind, a special token missing from the vocabulary, as `rust_tokenizers` reports it);
    /// `InvalidConfigurationError` for a missing merges file or an option the tokenizer does not
    /// take.
    pub fn from_file(
        model_type: ModelType,
        vocab_path: &str,
        merges_path: Option<&str>,
        lower_case: bool,
        strip_accents: impl Into<Option<bool>>,
        add_prefix_space: impl Into<Option<bool>>,
    ) -> Result<Self, RustBertError> {
        let strip_accents = strip_accents.into();
        let add_prefix_space = add_prefix_space.into();
        let err = with_path(model_type, vocab_path, merges_path);
        let tokenizer = match model_type {
            ModelType::Bert
            | ModelType::DistilBert
            | ModelType::Electra
            | ModelType::MobileBert => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::Bert(
                    BertTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(lower_case),
                    )
                    .map_err(err)?,
                )
            }
            ModelType::Deberta => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::Deberta(
                    DeBERTaTokenizer::from_file(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::DebertaV2 => TokenizerOption::DebertaV2(
                DeBERTaV2Tokenizer::from_file(
                    vocab_path,
                    lower_case,
                    strip_accents.unwrap_or(false),
                    add_prefix_space.unwrap_or(false),
                )
                .map_err(err)?,
            ),
            ModelType::Roberta | ModelType::Longformer | ModelType::Bart => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                let merges = require_merges(model_type, merges_path)?;
                let tokenizer = RobertaTokenizer::from_file(
                    vocab_path,
                    merges,
                    lower_case,
                    add_prefix_space.unwrap_or(false),
                )
                .map_err(err)?;
                if model_type == ModelType::Bart {
                    TokenizerOption::Bart(tokenizer)
                } else {
                    TokenizerOption::Roberta(tokenizer)
                }
            }
            ModelType::Marian => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::Marian(
                    MarianTokenizer::from_files(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::T5 | ModelType::LongT5 => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::T5(T5Tokenizer::from_file(vocab_path, lower_case).map_err(err)?)
            }
            ModelType::XLMRoberta => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::XLMRoberta(
                    XLMRobertaTokenizer::from_file(vocab_path, lower_case).map_err(err)?,
                )
            }
            ModelType::Albert => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::Albert(
                    AlbertTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(lower_case),
                    )
                    .map_err(err)?,
                )
            }
            ModelType::XLNet => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::XLNet(
                    XLNetTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(true),
                    )
                    .map_err(err)?,
                )
            }
            ModelType::Reformer => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::Reformer(
                    ReformerTokenizer::from_file(vocab_path, lower_case).map_err(err)?,
                )
            }
            ModelType::GPT2 | ModelType::GPTNeo | ModelType::GPTJ => {
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::GPT2(
                    Gpt2Tokenizer::from_file(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::OpenAiGpt => {
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::OpenAiGpt(
                    OpenAiGptTokenizer::from_file(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::ProphetNet => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::ProphetNet(
                    ProphetNetTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(lower_case),
                    )
                    .map_err(err)?,
                )
            }
            ModelType::Pegasus => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::Pegasus(
                    pegasus_with_hf_ids(
                        PegasusTokenizer::from_file(vocab_path, lower_case).map_err(&err)?,
                        vocab_path,
                        lower_case,
                    )
                    .map_err(err)?,
                )
            }
            ModelType::MBart => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::MBart50(
                    MBart50Tokenizer::from_file(vocab_path, lower_case).map_err(err)?,
                )
            }
            ModelType::M2M100 => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::M2M100(
                    M2M100Tokenizer::from_files(vocab_path, merges, lower_case).map_err(err)?,
                )
            }
            ModelType::NLLB => {
                refuse_option(model_type, "strip_accents", strip_accents)?;
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                let merges = require_merges(model_type, merges_path)?;
                TokenizerOption::NLLB(NLLBTokenizer::from_files(vocab_path, merges).map_err(err)?)
            }
            ModelType::MPNet => {
                refuse_option(model_type, "add_prefix_space", add_prefix_space)?;
                TokenizerOption::MPNet(
                    MPNetTokenizer::from_file(
                        vocab_path,
                        lower_case,
                        strip_accents.unwrap_or(lower_case),
                    )
                    .map_err(err)?,
                )
            }
            // The decoder LLMs ship an HF `tokenizer.json` (the vocabulary resource), with the
            // special tokens in `special_tokens_map.json` beside it.
            ModelType::Llama
            | ModelType::Mistral
            | ModelType::Qwen2
            | ModelType::Qwen3
            | ModelType::Phi3
            | ModelType::Gemma2 => tokenizer_json(model_type, vocab_path)?,
            ModelType::FNet => TokenizerOption::FNet(
                FNetTokenizer::from_file(vocab_path, lower_case, strip_accents.unwrap_or(false))
                    .map_err(err)?,
            ),
        };
        Ok(tokenizer)
    }

    /// Loads an HF `tokenizer.json` with its `special_tokens_map.json` (which names the unknown,
    /// padding, separator... tokens that `tokenizer.json` does not tell apart).
    #[cfg(feature = "hf-tokenizers")]
    pub fn from_hf_tokenizer_file<P: AsRef<Path>, S: AsRef<Path>>(
        tokenizer_file: P,
        special_token_map: S,
    ) -> Result<Self, RustBertError> {
        Ok(TokenizerOption::HFTokenizer(HFTokenizer::from_file(
            tokenizer_file,
            special_token_map,
        )?))
    }

    /// The tokenizer a GGUF file describes in its metadata (see [`HFTokenizer::from_gguf`]).
    #[cfg(feature = "hf-tokenizers")]
    pub fn from_gguf(file: &crate::common::gguf::GgufFile) -> Result<Self, RustBertError> {
        Ok(TokenizerOption::HFTokenizer(HFTokenizer::from_gguf(file)?))
    }

    /// Loads the tokenizer that a pipeline configuration's resources describe (vocabulary and,
    /// for BPE tokenizers, merges), fetching remote resources first.
    pub fn from_resources(
        model_type: ModelType,
        vocab: &dyn ResourceProvider,
        merges: Option<&(dyn ResourceProvider + Send)>,
        lower_case: bool,
        strip_accents: Option<bool>,
        add_prefix_space: Option<bool>,
    ) -> Result<TokenizerOption, RustBertError> {
        let vocab_path = vocab.get_local_path()?;
        let merges_path = merges.map(|r| r.get_local_path()).transpose()?;
        let merges = merges_path.as_deref().map(path_str).transpose()?;
        TokenizerOption::from_file(
            model_type,
            path_str(&vocab_path)?,
            merges,
            lower_case,
            strip_accents,
            add_prefix_space,
        )
    }
}

/// The tokenizer of a decoder LLM's folder: `tokenizer.json`, with the special tokens of
/// `special_tokens_map.json` beside it, or of `tokenizer_config.json` where HF 5.x wrote only
/// that; byte-level vocabularies without an unknown token are accepted.
#[cfg(feature = "hf-tokenizers")]
fn tokenizer_json(_model_type: ModelType, path: &str) -> Result<TokenizerOption, RustBertError> {
    let path = Path::new(path);
    let map = path.with_file_name("special_tokens_map.json");
    let map = if map.is_file() {
        map
    } else {
        path.with_file_name("tokenizer_config.json")
    };
    Ok(TokenizerOption::HFTokenizer(
        HFTokenizer::from_file_without_unk(path, map)?,
    ))
}

#[cfg(not(feature = "hf-tokenizers"))]
fn tokenizer_json(model_type: ModelType, path: &str) -> Result<TokenizerOption, RustBertError> {
    Err(RustBertError::UnsupportedError(format!(
        "{model_type:?} reads its tokenizer from {path} (tokenizer.json): enable the \
         `hf-tokenizers` feature"
    )))
}

/// A path as the `&str` rust_tokenizers takes; a path that is not UTF-8 is an error naming it.
pub(crate) fn path_str(path: &Path) -> Result<&str, RustBertError> {
    path.to_str().ok_or_else(|| {
        RustBertError::IOError(format!("path {} is not valid UTF-8", path.display()))
    })
}

/// Gives Pegasus' offset specials HF's ids: `<mask_1>` 2, `<mask_2>` 3, `<unk_i>` `i + 2`
/// (`i` = 2 .. 102). rust_tokenizers 8.1 numbers `<mask_2>` 2 and the others in the order of a
/// hash set, so their ids change from run to run; every other id (`<pad>` 0, `</s>` 1, the
/// pieces from 105 on) already matches HF's `PegasusConverter`.
fn pegasus_with_hf_ids(
    tokenizer: PegasusTokenizer,
    path: &str,
    lower_case: bool,
) -> Result<PegasusTokenizer, rust_tokenizers::error::TokenizerError> {
    use rust_tokenizers::tokenizer::Tokenizer;
    use rust_tokenizers::vocab::SentencePieceModel;
    let mut vocab = Tokenizer::vocab(&tokenizer).clone();
    let specials = ["<mask_1>".to_string(), "<mask_2>".to_string()]
        .into_iter()
        .chain((2..103).map(|i| format!("<unk_{i}>")));
    for (id, token) in (2i64..).zip(specials) {
        if vocab.values.contains_key(&token) {
            vocab.values.insert(token.clone(), id);
        }
        if vocab.special_values.contains_key(&token) {
            vocab.special_values.insert(token, id);
        }
    }
    vocab.indices = vocab.values.iter().map(|(t, &i)| (i, t.clone())).collect();
    vocab.special_indices = vocab
        .special_values
        .iter()
        .map(|(t, &i)| (i, t.clone()))
        .collect();
    let model = SentencePieceModel::from_file(path)?;
    Ok(PegasusTokenizer::from_existing_vocab_and_model(
        vocab, model, lower_case,
    ))
}
