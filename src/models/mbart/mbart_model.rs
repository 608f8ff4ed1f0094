use crate::bart::{
    seq2seq_specials, BartClassificationHead, BartConfig, BartForConditionalGeneration,
    BartForSequenceClassification, BartModel, BartModelOutput, DecoderCache, PositionEmbedding,
    StackOptions,
};
use crate::common::language::Language;
use crate::common::tokenizer::TokenizerOption;
use crate::common::twin::infallible_twin;
use crate::generation::{GenerateConfig, LanguageModelGenerator};
use crate::{Config, RustBertError};
use std::borrow::Borrow;
use tch::{nn, Kind, Tensor};

/// mBART configuration: BART's (HF `MBartConfig` has the same keys; mBART's stack switches are
/// fixed by the model, not read from the file).
pub type MBartConfig = BartConfig;

/// mBART outputs: BART's.
pub type MBartModelOutput = BartModelOutput;

/// mBART's classification head: BART's (dense, tanh, out_proj).
pub type MBartClassificationHead = BartClassificationHead;

/// Pretrained mBART weights on the hub, as `(cache subdirectory, URL)`.
pub struct MBartModelResources;
/// Pretrained mBART configurations on the hub.
pub struct MBartConfigResources;
/// Pretrained mBART SentencePiece models on the hub.
pub struct MBartVocabResources;
/// Languages of the mBART presets, as rust-bert 0.23's arrays.
pub struct MBartSourceLanguages;
/// Target languages of the mBART presets (the source ones: the model is many-to-many).
pub type MBartTargetLanguages = MBartSourceLanguages;

impl MBartModelResources {
    /// mBART-50 many-to-many translation (Facebook), rust-bert's converted weights.
    pub const MBART50_MANY_TO_MANY: (&'static str, &'static str) = (
        "mbart-50-many-to-many-mmt/model",
        "https://huggingface.co/facebook/mbart-large-50-many-to-many-mmt/resolve/main/rust_model.ot",
    );
}

impl MBartConfigResources {
    /// mBART-50 many-to-many translation (Facebook).
    pub const MBART50_MANY_TO_MANY: (&'static str, &'static str) = (
        "mbart-50-many-to-many-mmt/config",
        "https://huggingface.co/facebook/mbart-large-50-many-to-many-mmt/resolve/main/config.json",
    );
}

impl MBartVocabResources {
    /// mBART-50 many-to-many translation (Facebook): its SentencePiece model.
    pub const MBART50_MANY_TO_MANY: (&'static str, &'static str) = (
        "mbart-50-many-to-many-mmt/vocab",
        "https://huggingface.co/facebook/mbart-large-50-many-to-many-mmt/resolve/main/sentencepiece.bpe.model",
    );
}

macro_rules! mbart50_languages {
    ($($language:ident => $code:literal,)*) => {
        impl MBartSourceLanguages {
            /// The 51 languages rust-bert 0.23 lists for mBART-50 many-to-many.
            pub const MBART50_MANY_TO_MANY: [Language; [$($code),*].len()] =
                [$(Language::$language),*];
        }

        /// Each mBART-50 language with the two-letter code of its language token
        /// (`>>en<<` in rust_tokenizers, `en_XX` in HF).
        pub(crate) const MBART50_LANGUAGES: &[(Language, &str)] = &[$((Language::$language, $code),)*];
    };
}

mbart50_languages! {
    Arabic => "ar", Czech => "cs", German => "de", English => "en", Spanish => "es",
    Estonian => "et", Finnish => "fi", French => "fr", Gujarati => "gu", Hindi => "hi",
    Italian => "it", Japanese => "ja", Kazakh => "kk", Korean => "ko", Lithuanian => "lt",
    Latvian => "lv", Burmese => "my", Nepali => "ne", Dutch => "nl", Romanian => "ro",
    Russian => "ru", Sinhala => "si", Turkish => "tr", Vietnamese => "vi",
    // rust-bert's Language has no ISO 639-1 code for Chinese Mandarin; mBART-50's token is zh_CN.
    ChineseMandarin => "zh",
    Afrikaans => "af", Azerbaijani => "az", Bengali => "bn", Farsi => "fa", Hebrew => "he",
    Croatian => "hr", Indonesian => "id", Georgian => "ka", CentralKhmer => "km",
    Macedonian => "mk", Malayalam => "ml", Mongolian => "mn", Marathi => "mr", Polish => "pl",
    Pashto => "ps", Portuguese => "pt", Swedish => "sv", Swahili => "sw", Tamil => "ta",
    Thai => "th", Tagalog => "tl", Ukrainian => "uk", Urdu => "ur", Xhosa => "xh",
    Galician => "gl", Slovenian => "sl",
}

/// rust_tokenizers' mBART-50 language token of `language` (`>>fr<<`), when mBART-50 has one.
pub(crate) fn mbart50_language_code(language: Language) -> Option<String> {
    MBART50_LANGUAGES
        .iter()
        .find(|(l, _)| *l == language)
        .map(|(_, code)| format!(">>{code}<<"))
}

/// mBART's stack switches: pre-norm, embedding and final layer norms (HF's mBART has them
/// whatever the configuration says); embeddings scaled only when `scale_embedding`.
fn stack_options(config: &MBartConfig) -> StackOptions {
    let mut options = config.stack_options();
    options.normalize_before = true;
    options.layernorm_embedding = true;
    options.final_layer_norm = true;
    options
}

fn base_model(p: &nn::Path, config: &MBartConfig) -> BartModel {
    let positions = |side: &str| {
        PositionEmbedding::learned(
            p / side / "embed_positions",
            config.max_position_embeddings,
            config.d_model,
            2,
        )
    };
    BartModel::with_stack(
        p,
        config,
        &stack_options(config),
        positions("encoder"),
        positions("decoder"),
    )
}

/// HF's mBART `shift_tokens_right`: the decoder input made from `input_ids`, each row's last
/// non-pad token (its `</s>` or language code) first, then the row without its last token.
/// `-100` labels count as padding. A row of padding only starts with its first token.
fn shift_tokens_right(input_ids: &Tensor, pad_token_id: i64) -> Tensor {
    let ids = input_ids.masked_fill(&input_ids.eq(-100), pad_token_id);
    let length = ids.size().last().copied().unwrap_or(0);
    if length == 0 {
        return ids;
    }
    let last = (ids
        .ne(pad_token_id)
        .sum_dim_intlist([1].as_slice(), true, Kind::Int64)
        - 1)
    .clamp_min(0);
    let start = ids.gather(1, &last, false);
    Tensor::cat(&[&start, &ids.narrow(1, 0, length - 1)], 1)
}

/// The decoder input: the given one, else `input_ids` shifted as mBART does.
fn decoder_input(
    input_ids: Option<&Tensor>,
    decoder_input_ids: Option<&Tensor>,
    pad_token_id: i64,
) -> Option<Tensor> {
    match (decoder_input_ids, input_ids) {
        (Some(ids), _) => Some(ids.shallow_clone()),
        (None, Some(ids)) => Some(shift_tokens_right(ids, pad_token_id)),
        (None, None) => None,
    }
}

/// mBART: shared token embeddings (`shared`), an encoder and a decoder.
#[derive(Debug)]
pub struct MBartModel {
    base: BartModel,
    pad_token_id: i64,
}

impl MBartModel {
    /// Builds the model under `p` (variables `shared`, `encoder.*`, `decoder.*`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &MBartConfig) -> MBartModel {
        let _init = crate::common::config::building_or_panic(config);
        MBartModel {
            base: base_model(p.borrow(), config),
            pad_token_id: config.pad_token_id.unwrap_or(1),
        }
    }

    /// Runs the encoder (unless `encoder_output` is given) and the decoder (arguments as
    /// [`BartModel::forward_t`]; without `decoder_input_ids`, mBART's shifted input).
    ///
    /// # Errors
    /// As [`BartModel::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        encoder_output: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        layer_states: Option<DecoderCache>,
        train: bool,
    ) -> Result<MBartModelOutput, RustBertError> {
        let decoder = decoder_input(input_ids, decoder_input_ids, self.pad_token_id);
        self.base.try_forward_t(
            input_ids,
            attention_mask,
            decoder.as_ref(),
            encoder_output,
            decoder_attention_mask,
            layer_states,
            train,
        )
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            decoder_input_ids: Option<&Tensor>,
            encoder_output: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            layer_states: Option<DecoderCache>,
            train: bool
        ) -> MBartModelOutput = try_forward_t
    }
}

/// mBART with its language-model head (tied to the shared embeddings, plus
/// `final_logits_bias`): translation and generation.
#[derive(Debug)]
pub struct MBartForConditionalGeneration {
    base: BartForConditionalGeneration,
    pad_token_id: i64,
}

impl MBartForConditionalGeneration {
    /// Builds the model under `p` (variables `model.*` and `final_logits_bias`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &MBartConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            base: BartForConditionalGeneration::from_base(
                p,
                base_model(&(p / "model"), config),
                config,
            ),
            pad_token_id: config.pad_token_id.unwrap_or(1),
        }
    }

    /// Runs the model (arguments in rust-bert's order; without `decoder_input_ids`, mBART's
    /// shifted input): logits `[batch, target, vocab]` in `decoder_output`.
    ///
    /// # Errors
    /// As [`BartForConditionalGeneration::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        encoder_output: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        old_layer_states: Option<DecoderCache>,
        train: bool,
    ) -> Result<MBartModelOutput, RustBertError> {
        let decoder = decoder_input(input_ids, decoder_input_ids, self.pad_token_id);
        self.base.try_forward_t(
            input_ids,
            attention_mask,
            encoder_output,
            decoder.as_ref(),
            decoder_attention_mask,
            old_layer_states,
            train,
        )
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            attention_mask: Option<&Tensor>,
            encoder_output: Option<&Tensor>,
            decoder_input_ids: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            old_layer_states: Option<DecoderCache>,
            train: bool
        ) -> MBartModelOutput = try_forward_t
    }

    /// Runs the encoder alone: `[batch, source, d_model]`.
    ///
    /// # Errors
    /// As [`BartForConditionalGeneration::encode`].
    pub fn try_encode(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
    ) -> Result<Tensor, RustBertError> {
        self.base.try_encode(input_ids, attention_mask)
    }

    infallible_twin! {
        /// As [`Self::try_encode`], with rust-bert 0.23's signature: the output itself.
        pub fn encode(
            &self,
            input_ids: &Tensor,
            attention_mask: Option<&Tensor>
        ) -> Tensor = try_encode
    }
}

/// mBART for sequence classification: the decoder state at each row's last end-of-sequence
/// token through the classification head.
#[derive(Debug)]
pub struct MBartForSequenceClassification {
    base: BartForSequenceClassification,
    pad_token_id: i64,
}

impl MBartForSequenceClassification {
    /// Builds the model under `p` (variables `model.*`, `classification_head.*`).
    ///
    /// # Errors
    /// A configuration without `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &MBartConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            base: BartForSequenceClassification::from_base(
                p,
                base_model(&(p / "model"), config),
                config,
            )?,
            pad_token_id: config.pad_token_id.unwrap_or(1),
        })
    }

    /// Class logits `[batch, num_labels]` in `decoder_output` (without `decoder_input_ids`,
    /// mBART's shifted input).
    ///
    /// # Errors
    /// As [`BartForSequenceClassification::forward_t`].
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
        encoder_output: Option<&Tensor>,
        decoder_input_ids: Option<&Tensor>,
        decoder_attention_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<MBartModelOutput, RustBertError> {
        let decoder = decoder_input(Some(input_ids), decoder_input_ids, self.pad_token_id);
        self.base.try_forward_t(
            input_ids,
            attention_mask,
            encoder_output,
            decoder.as_ref(),
            decoder_attention_mask,
            train,
        )
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: &Tensor,
            attention_mask: Option<&Tensor>,
            encoder_output: Option<&Tensor>,
            decoder_input_ids: Option<&Tensor>,
            decoder_attention_mask: Option<&Tensor>,
            train: bool
        ) -> MBartModelOutput = try_forward_t
    }
}

/// mBART text generator: [`crate::generation::LanguageGenerator`] over
/// [`MBartForConditionalGeneration`]. Translation forces the target language code first
/// (`GenerateOptions::forced_bos_token_id`; the translation pipeline sets it).
pub type MBartGenerator = LanguageModelGenerator<MBartForConditionalGeneration>;

fn read_config(path: &std::path::Path) -> Result<MBartConfig, RustBertError> {
    MBartConfig::try_from_file(path)
}

impl LanguageModelGenerator<MBartForConditionalGeneration> {
    /// Loads mBART and its tokenizer (`vocab_resource`: the SentencePiece model, read by
    /// rust_tokenizers' mBART-50 tokenizer) from the configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer files
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            None,
            read_config,
            |p, c| Ok(MBartForConditionalGeneration::new(p, c)),
            seq2seq_specials,
        )
    }

    /// Loads mBART with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`MBartGenerator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            |p, c| Ok(MBartForConditionalGeneration::new(p, c)),
            seq2seq_specials,
        )
    }
}

// The generation step as every head on BART's stack takes it.
crate::bart::bart_family_head!(step MBartForConditionalGeneration);
