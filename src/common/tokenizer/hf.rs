//! HF `tokenizer.json` files through the `tokenizers` crate.
use crate::RustBertError;
use rust_tokenizers::{Mask, Offset, TokenIdsWithOffsets, TokenizedInput, TokensWithOffsets};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use tokenizers::tokenizer::Tokenizer as HfBaseTokenizer;
use tokenizers::{AddedToken, Encoding, PostProcessor};

/// One special token of `special_tokens_map.json`: a string, or an object with `content`
/// (how HF writes `AddedToken`s).
#[derive(Deserialize)]
#[serde(untagged)]
enum TokenEntry {
    Plain(String),
    Added { content: String },
}

impl From<TokenEntry> for String {
    fn from(entry: TokenEntry) -> String {
        match entry {
            TokenEntry::Plain(content) | TokenEntry::Added { content } => content,
        }
    }
}

#[derive(Deserialize)]
struct RawSpecialTokenMap {
    unk_token: Option<TokenEntry>,
    pad_token: Option<TokenEntry>,
    bos_token: Option<TokenEntry>,
    sep_token: Option<TokenEntry>,
    cls_token: Option<TokenEntry>,
    eos_token: Option<TokenEntry>,
    mask_token: Option<TokenEntry>,
    additional_special_tokens: Option<Vec<TokenEntry>>,
}

/// The special tokens of a `special_tokens_map.json`.
#[derive(Debug, Default, Clone)]
pub struct SpecialTokenMap {
    /// Unknown token (required).
    pub unk_token: String,
    /// Padding token.
    pub pad_token: Option<String>,
    /// Beginning-of-sequence token.
    pub bos_token: Option<String>,
    /// Separator token.
    pub sep_token: Option<String>,
    /// Classification token.
    pub cls_token: Option<String>,
    /// End-of-sequence token.
    pub eos_token: Option<String>,
    /// Mask token.
    pub mask_token: Option<String>,
    /// Further special tokens.
    pub additional_special_tokens: Option<HashSet<String>>,
}

/// A tokenizer read from an HF `tokenizer.json`, with the special tokens of its
/// `special_tokens_map.json`.
///
/// Truncation and padding settings stored in `tokenizer.json` are ignored: callers choose
/// them per call, as with HF's Python tokenizers. Offsets are in characters (Unicode code
/// points), as `rust_tokenizers` and HF's Python tokenizers give them.
pub struct HFTokenizer {
    tokenizer: HfBaseTokenizer,
    /// The special tokens.
    pub special_token_map: SpecialTokenMap,
    pub(super) unk_id: i64,
}

fn hf_error(context: &str) -> impl Fn(tokenizers::Error) -> RustBertError + '_ {
    move |error| RustBertError::TokenizerError(format!("{context}: {error}"))
}

impl HFTokenizer {
    /// Loads `tokenizer.json` and its `special_tokens_map.json`.
    ///
    /// # Errors
    /// `TokenizerError` naming the file when `tokenizer.json` cannot be read or parsed,
    /// `IOError` / `InvalidConfigurationError` for the special-token map, and
    /// `TokenizerError` when a special token is not in the vocabulary.
    pub fn from_file<P: AsRef<Path>, S: AsRef<Path>>(
        tokenizer_file: P,
        special_token_map: S,
    ) -> Result<Self, RustBertError> {
        Self::load(tokenizer_file.as_ref(), special_token_map.as_ref(), true)
    }

    /// As [`HFTokenizer::from_file`], for the byte-level vocabularies of decoder LLMs (Qwen,
    /// Llama 3) that have no unknown token: the map may omit `unk_token` (then no id is marked
    /// unknown, and a token missing from the vocabulary converts to -1, which the models refuse
    /// as out of range), and may be a `tokenizer_config.json` (same keys) instead of a
    /// `special_tokens_map.json`.
    ///
    /// # Errors
    /// As [`HFTokenizer::from_file`], but for the missing `unk_token`.
    pub fn from_file_without_unk<P: AsRef<Path>, S: AsRef<Path>>(
        tokenizer_file: P,
        special_token_map: S,
    ) -> Result<Self, RustBertError> {
        Self::load(tokenizer_file.as_ref(), special_token_map.as_ref(), false)
    }

    fn load(
        tokenizer_file: &Path,
        map_file: &Path,
        require_unk: bool,
    ) -> Result<Self, RustBertError> {
        let mut tokenizer = HfBaseTokenizer::from_file(tokenizer_file).map_err(|error| {
            RustBertError::TokenizerError(format!(
                "cannot load HF tokenizer file {}: {error}",
                tokenizer_file.display()
            ))
        })?;
        // Per-call settings, as HF's Python tokenizers override them.
        tokenizer
            .with_truncation(None)
            .map_err(hf_error("cannot clear truncation"))?;
        tokenizer.with_padding(None);
        let text = std::fs::read_to_string(map_file).map_err(|error| {
            RustBertError::IOError(format!(
                "cannot read special token map {}: {error}",
                map_file.display()
            ))
        })?;
        let raw: RawSpecialTokenMap = serde_json::from_str(&text).map_err(|error| {
            RustBertError::InvalidConfigurationError(format!(
                "invalid special token map {}: {error}",
                map_file.display()
            ))
        })?;
        let unk_token: String = match raw.unk_token.map(String::from) {
            Some(token) => token,
            None if !require_unk => String::new(),
            None => {
                return Err(RustBertError::InvalidConfigurationError(format!(
                    "special token map {} has no `unk_token`",
                    map_file.display()
                )))
            }
        };
        let special_token_map = SpecialTokenMap {
            unk_token,
            pad_token: raw.pad_token.map(String::from),
            bos_token: raw.bos_token.map(String::from),
            sep_token: raw.sep_token.map(String::from),
            cls_token: raw.cls_token.map(String::from),
            eos_token: raw.eos_token.map(String::from),
            mask_token: raw.mask_token.map(String::from),
            additional_special_tokens: raw
                .additional_special_tokens
                .map(|tokens| tokens.into_iter().map(String::from).collect()),
        };
        Self::assemble(tokenizer, special_token_map, || {
            format!("{} of {}", map_file.display(), tokenizer_file.display())
        })
    }

    /// The tokenizer a GGUF file describes in its metadata (`tokenizer.ggml.*`), built as HF's
    /// GGUF loader builds it (`convert_gguf_tokenizer`, HF 5.24), so that ids equal
    /// `AutoTokenizer.from_pretrained(dir, gguf_file=...)`'s:
    ///
    /// - byte-level BPE vocabularies (`tokenizer.ggml.model = gpt2`: GPT-2, Llama 3, Qwen,
    ///   SmolLM files): the tokens (respelled in the byte alphabet where the file writes them as
    ///   text), the file's merges, GPT-2's byte-level pre-tokenizer or the split of the file's
    ///   `tokenizer.ggml.pre` family (Llama 3, Qwen 2);
    /// - SentencePiece vocabularies (`tokenizer.ggml.model = llama`: Llama 1/2, Mistral,
    ///   TinyLlama, Phi-3 files): a byte-fallback BPE over the tokens as written, its merges the
    ///   file's or (llama.cpp writes none) recovered from the tokens and their scores
    ///   (`tokenizer.ggml.scores`) as HF recovers them, `▁` for spaces with one added before
    ///   the text, BOS added unless `tokenizer.ggml.add_bos_token` is false (llama.cpp's
    ///   default). `tokenizer.ggml.add_space_prefix` is read by llama.cpp but not by HF 5.24,
    ///   which always adds the leading `▁`; this follows HF. Gemma files (the same model key
    ///   under a `gemma*` architecture) are refused: HF rebuilds them differently.
    ///
    /// In both, control tokens (`token_type` 3) become special tokens, user-defined ones (4)
    /// added tokens, and the BOS / EOS tokens are added as the file asks
    /// (`tokenizer.ggml.add_bos_token`, `add_eos_token`).
    ///
    /// # Errors
    /// A tokenizer model other than `gpt2` and `llama` (`UnsupportedError`), missing or
    /// malformed vocabulary, merges or scores, or special-token ids outside the vocabulary,
    /// naming the file.
    pub fn from_gguf(file: &crate::common::gguf::GgufFile) -> Result<Self, RustBertError> {
        use crate::common::gguf::GgufValue;
        use serde_json::json;
        let path = file.path().display().to_string();
        let bad = |what: &str| {
            RustBertError::TokenizerError(format!("{path}: GGUF tokenizer metadata: {what}"))
        };
        let meta = |key: &str| file.metadata.get(&format!("tokenizer.ggml.{key}"));
        let model = meta("model").and_then(GgufValue::as_str).unwrap_or("");
        let architecture = file.architecture().unwrap_or_default();
        let sentencepiece = model == "llama";
        if model != "gpt2" && !sentencepiece {
            return Err(RustBertError::UnsupportedError(format!(
                "{path}: GGUF tokenizer model {model:?} is not supported (gpt2, the byte-level BPE \
                 of GPT-2, Llama 3, Qwen and SmolLM files, and llama, the SentencePiece \
                 vocabulary of Llama 2, Mistral and Phi-3 files, are)"
            )));
        }
        if sentencepiece && architecture.starts_with("gemma") {
            return Err(RustBertError::UnsupportedError(format!(
                "{path}: the SentencePiece vocabulary of a {architecture} GGUF file is not \
                 supported (HF rebuilds Gemma's with its own respelling and merge order)"
            )));
        }
        let strings = |key: &str| -> Result<Vec<String>, RustBertError> {
            meta(key)
                .and_then(GgufValue::as_array)
                .ok_or_else(|| bad(&format!("no tokenizer.ggml.{key} array")))?
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| bad(&format!("tokenizer.ggml.{key} holds a non-string")))
                })
                .collect()
        };
        let tokens = strings("tokens")?;
        let pair = |merge: &String| {
            merge
                .split_once(' ')
                .map(|(a, b)| json!([a, b]))
                .ok_or_else(|| bad(&format!("merge {merge:?} is not two tokens")))
        };
        let merges: Vec<serde_json::Value> = match meta("merges") {
            None if sentencepiece => {
                let scores: Vec<f64> = meta("scores")
                    .and_then(GgufValue::as_array)
                    .ok_or_else(|| bad("no tokenizer.ggml.merges or tokenizer.ggml.scores array"))?
                    .iter()
                    .map(|v| {
                        v.as_f64()
                            .ok_or_else(|| bad("tokenizer.ggml.scores holds a non-number"))
                    })
                    .collect::<Result<_, _>>()?;
                super::gguf_spm::merges_from_scores(&tokens, &scores)
                    .into_iter()
                    .map(|(l, r)| json!([l, r]))
                    .collect()
            }
            _ => strings("merges")?
                .iter()
                .map(pair)
                .collect::<Result<_, _>>()?,
        };
        let types: Vec<u64> = meta("token_type")
            .and_then(GgufValue::as_array)
            .map(|values| values.iter().map(|v| v.as_u64().unwrap_or(1)).collect())
            .unwrap_or_default();
        // GPT-2's byte alphabet: each byte as a printable character.
        let mut shifted = 0u32;
        let spelling: Vec<char> = (0u32..256)
            .map(|byte| {
                let printable = (33..=126).contains(&byte)
                    || (161..=172).contains(&byte)
                    || (174..=255).contains(&byte);
                let code = if printable {
                    byte
                } else {
                    shifted += 1;
                    255 + shifted
                };
                char::from_u32(code).unwrap_or('?')
            })
            .collect();
        let alphabet: HashSet<char> = spelling.iter().copied().collect();
        let in_alphabet = |token: &str| token.chars().all(|c| alphabet.contains(&c));
        let mut vocab = serde_json::Map::new();
        for (id, token) in tokens.iter().enumerate() {
            let spelled = if sentencepiece || in_alphabet(token) {
                token.clone()
            } else {
                token.bytes().map(|b| spelling[b as usize]).collect()
            };
            vocab.insert(spelled, json!(id));
        }
        let mut added = Vec::new();
        for (id, token) in tokens.iter().enumerate() {
            match types.get(id) {
                // CONTROL: special, unless a byte-level vocabulary does not write it in the
                // byte alphabet (a mislabel, as HF skips it).
                Some(3) if sentencepiece || in_alphabet(token) => added.push(json!({
                    "id": id, "content": token, "single_word": false, "lstrip": false,
                    "rstrip": false, "normalized": false, "special": true
                })),
                // USER_DEFINED: an added token that is not special.
                Some(4) => added.push(json!({
                    "id": id, "content": token, "single_word": false, "lstrip": false,
                    "rstrip": false, "normalized": false, "special": false
                })),
                _ => {}
            }
        }
        let token_of = |key: &str| -> Result<Option<String>, RustBertError> {
            match meta(key).and_then(GgufValue::as_u64) {
                None => Ok(None),
                Some(id) => tokens.get(id as usize).cloned().map(Some).ok_or_else(|| {
                    bad(&format!(
                        "tokenizer.ggml.{key} = {id} is past the vocabulary"
                    ))
                }),
            }
        };
        // A SentencePiece file that does not say gets BOS, as llama.cpp (and HF) add it.
        let flag = |key: &str, default: bool| match meta(key) {
            Some(GgufValue::Bool(value)) => *value,
            _ => default,
        };
        let (bos, eos) = (token_of("bos_token_id")?, token_of("eos_token_id")?);
        let (unk, pad) = (token_of("unknown_token_id")?, token_of("padding_token_id")?);
        if sentencepiece {
            // HF's tokenizer adds its named special tokens (unknown, BOS, EOS, padding) as
            // special added tokens when the file's types have not made them so already.
            for token in [&unk, &bos, &eos, &pad].into_iter().flatten() {
                if !added.iter().any(|a| a["content"] == json!(token)) {
                    let id = tokens.iter().position(|t| t == token).unwrap_or_default();
                    added.push(json!({
                        "id": id, "content": token, "single_word": false, "lstrip": false,
                        "rstrip": false, "normalized": false, "special": true
                    }));
                }
            }
            added.sort_by_key(|a| a["id"].as_u64());
        }
        let mut single = Vec::new();
        let mut special_tokens = serde_json::Map::new();
        let mut piece = |token: &Option<String>, single: &mut Vec<serde_json::Value>| {
            if let Some(token) = token {
                single.push(json!({"SpecialToken": {"id": token, "type_id": 0}}));
                let id = tokens.iter().position(|t| t == token).unwrap_or_default();
                special_tokens.insert(
                    token.clone(),
                    json!({"id": token, "ids": [id], "tokens": [token]}),
                );
            }
        };
        if flag("add_bos_token", sentencepiece) {
            piece(&bos, &mut single);
        }
        single.push(json!({"Sequence": {"id": "A", "type_id": 0}}));
        if flag("add_eos_token", false) {
            piece(&eos, &mut single);
        }
        let mut pair = single.clone();
        pair.extend(
            single
                .iter()
                .map(|p| match (p.get("Sequence"), p.get("SpecialToken")) {
                    (Some(_), _) => json!({"Sequence": {"id": "B", "type_id": 1}}),
                    // HF's Llama template marks the second text's special tokens as segment 1 too.
                    (None, Some(special)) if sentencepiece => {
                        json!({"SpecialToken": {"id": special["id"], "type_id": 1}})
                    }
                    _ => p.clone(),
                }),
        );
        let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
        let split = match meta("pre").and_then(GgufValue::as_str) {
            Some("llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "smaug-bpe" | "dbrx") => Some(
                r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
            ),
            Some("qwen2" | "deepseek-r1-qwen") => Some(
                r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
            ),
            _ => None,
        };
        let (normalizer, pre_tokenizer, decoder, model) = if sentencepiece {
            super::gguf_spm::sentencepiece_parts(architecture, vocab, merges)
        } else {
            (
                serde_json::Value::Null,
                byte_level(true),
                json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}),
                json!({"type": "BPE", "dropout": null, "unk_token": null,
                      "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": false,
                      "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": merges}),
            )
        };
        // The file's pre-tokenizer family replaces the split, whatever the vocabulary (HF's
        // `set_split_regex`).
        let pre_tokenizer = match split {
            Some(regex) => json!({"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": false},
                byte_level(false)
            ]}),
            None => pre_tokenizer,
        };
        let spec = json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": added,
            "normalizer": normalizer,
            "pre_tokenizer": pre_tokenizer,
            "post_processor": {"type": "TemplateProcessing", "single": single, "pair": pair,
                               "special_tokens": special_tokens},
            "decoder": decoder,
            "model": model
        });
        let tokenizer: HfBaseTokenizer = spec
            .to_string()
            .parse()
            .map_err(|e| bad(&format!("the tokenizer it describes does not build: {e}")))?;
        let unk = if sentencepiece {
            unk
        } else {
            unk.or_else(|| eos.clone())
        };
        let special_token_map = SpecialTokenMap {
            unk_token: unk.unwrap_or_default(),
            pad_token: pad,
            bos_token: bos,
            sep_token: None,
            cls_token: None,
            eos_token: eos,
            mask_token: None,
            additional_special_tokens: None,
        };
        Self::assemble(tokenizer, special_token_map, || path.clone())
    }

    /// The tokenizer with its special tokens, each checked to be in the vocabulary
    /// (`source` names where they come from, for the error).
    fn assemble(
        tokenizer: HfBaseTokenizer,
        special_token_map: SpecialTokenMap,
        source: impl Fn() -> String,
    ) -> Result<Self, RustBertError> {
        let named = [
            (
                "unk_token",
                Some(&special_token_map.unk_token).filter(|token| !token.is_empty()),
            ),
            ("pad_token", special_token_map.pad_token.as_ref()),
            ("bos_token", special_token_map.bos_token.as_ref()),
            ("sep_token", special_token_map.sep_token.as_ref()),
            ("cls_token", special_token_map.cls_token.as_ref()),
            ("eos_token", special_token_map.eos_token.as_ref()),
            ("mask_token", special_token_map.mask_token.as_ref()),
        ];
        for (role, token) in named {
            if let Some(token) = token {
                if tokenizer.token_to_id(token).is_none() {
                    return Err(RustBertError::TokenizerError(format!(
                        "special token `{token}` ({role} of {}) is not in the vocabulary",
                        source()
                    )));
                }
            }
        }
        let unk_id = match tokenizer.token_to_id(&special_token_map.unk_token) {
            Some(id) => i64::from(id),
            None if special_token_map.unk_token.is_empty() => -1,
            None => 0,
        };
        Ok(HFTokenizer {
            tokenizer,
            special_token_map,
            unk_id,
        })
    }

    /// The tokenizer of the `tokenizers` crate underneath.
    pub fn hf_tokenizer(&self) -> &HfBaseTokenizer {
        &self.tokenizer
    }

    /// Tokenizes without special tokens; `type_id` is the segment the text belongs to. A
    /// failure (which `tokenizer.json` files that load do not produce) gives an empty
    /// encoding and a log line, so encoding stays infallible as in rust-bert.
    pub(super) fn raw_encoding(&self, text: &str, type_id: u32) -> Encoding {
        match self.tokenizer.encode_char_offsets(text, false) {
            Ok(mut encoding) => {
                if type_id != 0 {
                    encoding.set_type_ids(vec![type_id; encoding.len()]);
                }
                encoding
            }
            Err(error) => {
                log::error!("HF tokenizer failed on {text:?}: {error}");
                Encoding::default()
            }
        }
    }

    pub(super) fn num_special_tokens(&self, pair: bool) -> usize {
        self.tokenizer
            .get_post_processor()
            .map(|processor| processor.added_tokens(pair))
            .unwrap_or(0)
    }

    /// Adds the special tokens (the post-processor of `tokenizer.json`).
    pub(super) fn post_process(&self, first: Encoding, second: Option<Encoding>) -> TokenizedInput {
        let fallback = first.clone();
        match self.tokenizer.post_process(first, second, true) {
            Ok(encoding) => self.to_tokenized_input(&encoding),
            Err(error) => {
                log::error!("HF post-processing failed: {error}");
                self.to_tokenized_input(&fallback)
            }
        }
    }

    fn masks(&self, encoding: &Encoding) -> Vec<Mask> {
        let special = encoding.get_special_tokens_mask();
        let words = encoding.get_word_ids();
        let ids = encoding.get_ids();
        (0..ids.len())
            .map(|i| {
                let word = words.get(i).copied().flatten();
                let same_word =
                    |j: usize| word.is_some() && words.get(j).copied().flatten() == word;
                if special.get(i) == Some(&1) {
                    Mask::Special
                } else if i64::from(ids[i]) == self.unk_id {
                    Mask::Unknown
                } else if i > 0 && same_word(i - 1) {
                    Mask::Continuation
                } else if same_word(i + 1) {
                    Mask::Begin
                } else {
                    Mask::None
                }
            })
            .collect()
    }

    fn offsets(encoding: &Encoding) -> Vec<Option<Offset>> {
        let special = encoding.get_special_tokens_mask();
        encoding
            .get_offsets()
            .iter()
            .enumerate()
            .map(|(i, &(begin, end))| {
                (special.get(i) != Some(&1)).then_some(Offset {
                    begin: begin as u32,
                    end: end as u32,
                })
            })
            .collect()
    }

    fn reference_offsets(encoding: &Encoding) -> Vec<Vec<u32>> {
        Self::offsets(encoding)
            .into_iter()
            .map(|offset| {
                offset
                    .map(|o| (o.begin..o.end).collect())
                    .unwrap_or_default()
            })
            .collect()
    }

    fn to_tokenized_input(&self, encoding: &Encoding) -> TokenizedInput {
        TokenizedInput {
            token_ids: encoding.get_ids().iter().map(|&id| i64::from(id)).collect(),
            segment_ids: encoding.get_type_ids().iter().map(|&t| t as i8).collect(),
            special_tokens_mask: encoding
                .get_special_tokens_mask()
                .iter()
                .map(|&s| s as i8)
                .collect(),
            overflowing_tokens: vec![],
            num_truncated_tokens: 0,
            token_offsets: Self::offsets(encoding),
            reference_offsets: Self::reference_offsets(encoding),
            mask: self.masks(encoding),
        }
    }

    /// Encodes texts with special tokens (no truncation).
    pub fn encode_list<S>(&self, text_list: &[S]) -> Result<Vec<TokenizedInput>, RustBertError>
    where
        S: AsRef<str> + Send + Sync,
    {
        text_list
            .iter()
            .map(|text| self.encode_pair(text.as_ref(), None))
            .collect()
    }

    /// Encodes text pairs with special tokens (no truncation).
    pub fn encode_pair_list(
        &self,
        text_pair_list: &[(&str, &str)],
    ) -> Result<Vec<TokenizedInput>, RustBertError> {
        text_pair_list
            .iter()
            .map(|(a, b)| self.encode_pair(a, Some(b)))
            .collect()
    }

    /// Encodes one text or a pair with special tokens (no truncation).
    pub fn encode_pair(
        &self,
        text_1: &str,
        text_2: Option<&str>,
    ) -> Result<TokenizedInput, RustBertError> {
        let encoding = match text_2 {
            Some(text_2) => self.tokenizer.encode_char_offsets((text_1, text_2), true),
            None => self.tokenizer.encode_char_offsets(text_1, true),
        }
        .map_err(hf_error("HF tokenizer failed"))?;
        Ok(self.to_tokenized_input(&encoding))
    }

    /// Splits a text into tokens (no special tokens).
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        self.raw_encoding(text, 0).get_tokens().to_vec()
    }

    /// Splits each text into tokens.
    pub fn tokenize_list<S>(&self, texts: &[S]) -> Vec<Vec<String>>
    where
        S: AsRef<str> + Send + Sync,
    {
        texts
            .iter()
            .map(|text| self.tokenize(text.as_ref()))
            .collect()
    }

    /// Splits a text into tokens with character offsets (no special tokens).
    pub fn tokenize_with_offsets(&self, text: &str) -> TokensWithOffsets {
        let encoding = self.raw_encoding(text, 0);
        TokensWithOffsets {
            tokens: encoding.get_tokens().to_vec(),
            offsets: Self::offsets(&encoding),
            reference_offsets: Self::reference_offsets(&encoding),
            masks: self.masks(&encoding),
        }
    }

    /// Turns ids back into text with the decoder of `tokenizer.json` (ids out of the
    /// vocabulary are skipped).
    pub fn decode(&self, token_ids: &[i64], skip_special_tokens: bool) -> String {
        let ids: Vec<u32> = token_ids
            .iter()
            .filter_map(|&id| u32::try_from(id).ok())
            .collect();
        self.tokenizer
            .decode(&ids, skip_special_tokens)
            .unwrap_or_else(|error| {
                log::error!("HF decoding failed: {error}");
                String::new()
            })
    }

    fn to_encoding(&self, sequence: TokenIdsWithOffsets, type_id: u32) -> Encoding {
        let ids: Vec<u32> = sequence
            .ids
            .iter()
            .map(|&id| u32::try_from(id).unwrap_or_default())
            .collect();
        let tokens = ids
            .iter()
            .map(|&id| self.tokenizer.id_to_token(id).unwrap_or_default())
            .collect();
        let offsets = (0..ids.len())
            .map(|i| {
                sequence
                    .offsets
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|o| (o.begin as usize, o.end as usize))
                    .unwrap_or((0, 0))
            })
            .collect();
        let n = ids.len();
        Encoding::new(
            ids,
            vec![type_id; n],
            tokens,
            vec![None; n],
            offsets,
            vec![0; n],
            vec![1; n],
            vec![],
            Default::default(),
        )
    }

    /// Adds the special tokens around ids produced by this tokenizer.
    pub fn build_input_with_special_tokens(
        &self,
        token_ids_with_offsets_1: TokenIdsWithOffsets,
        token_ids_with_offsets_2: Option<TokenIdsWithOffsets>,
    ) -> TokenizedInput {
        let first = self.to_encoding(token_ids_with_offsets_1, 0);
        let second = token_ids_with_offsets_2.map(|s| self.to_encoding(s, 1));
        self.post_process(first, second)
    }

    /// The id of a token (the unknown token's for tokens out of the vocabulary).
    pub fn token_to_id(&self, token: &str) -> i64 {
        self.tokenizer
            .token_to_id(token)
            .map(i64::from)
            .unwrap_or(self.unk_id)
    }

    /// The ids of tokens.
    pub fn convert_tokens_to_ids<S>(&self, tokens: &[S]) -> Vec<i64>
    where
        S: AsRef<str>,
    {
        tokens
            .iter()
            .map(|token| self.token_to_id(token.as_ref()))
            .collect()
    }

    /// Adds tokens to the vocabulary (matched whole, never split).
    pub fn add_tokens(&mut self, tokens: &[&str]) {
        let added = tokens
            .iter()
            .map(|token| AddedToken::from(token.to_string(), false));
        if let Err(error) = self.tokenizer.add_tokens(added) {
            log::error!("cannot add tokens: {error}");
        }
    }

    /// Adds `<extra_id_i>` tokens (T5's sentinels).
    pub fn add_extra_ids(&mut self, num_extra_ids: i64) {
        let tokens: Vec<String> = (0..num_extra_ids)
            .map(|i| format!("<extra_id_{i}>"))
            .collect();
        self.add_tokens(&tokens.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// The vocabulary (with added tokens).
    pub fn get_vocab(&self) -> HashMap<String, u32> {
        self.tokenizer.get_vocab(true)
    }
}

/// The tokens `range` of an encoding (made without special tokens, so no overflow).
pub(super) fn slice(encoding: &Encoding, range: &Range<usize>) -> Encoding {
    fn part<T: Clone>(values: &[T], range: &Range<usize>) -> Vec<T> {
        values
            .get(range.clone())
            .map(<[T]>::to_vec)
            .unwrap_or_default()
    }
    Encoding::new(
        part(encoding.get_ids(), range),
        part(encoding.get_type_ids(), range),
        part(encoding.get_tokens(), range),
        part(encoding.get_word_ids(), range),
        part(encoding.get_offsets(), range),
        part(encoding.get_special_tokens_mask(), range),
        part(encoding.get_attention_mask(), range),
        vec![],
        Default::default(),
    )
}
