use crate::bart::{
    BartConfig, BartForConditionalGeneration, BartModel, BartModelOutput, DecoderCache,
    PositionEmbedding, StackOptions,
};
use crate::common::language::Language;
use crate::common::tokenizer::TokenizerOption;
use crate::common::twin::infallible_twin;
use crate::generation::{GenerateConfig, LanguageModelGenerator};
use crate::{Config, RustBertError};
use std::borrow::Borrow;
use tch::{nn, Tensor};

/// M2M100 configuration: BART's (HF `M2M100Config` has the same keys; M2M100's stack switches
/// are fixed by the model).
pub type M2M100Config = BartConfig;

/// M2M100 outputs: BART's.
pub type M2M100ModelOutput = BartModelOutput;

/// Pretrained M2M100 weights on the hub, as `(cache subdirectory, URL)`.
pub struct M2M100ModelResources;
/// Pretrained M2M100 configurations on the hub.
pub struct M2M100ConfigResources;
/// Pretrained M2M100 vocabularies (`vocab.json`) on the hub.
pub struct M2M100VocabResources;
/// Pretrained M2M100 SentencePiece models on the hub (rust-bert's "merges").
pub struct M2M100MergesResources;
/// Languages of the M2M100 presets, as rust-bert 0.23's arrays.
pub struct M2M100SourceLanguages;
/// Target languages of the M2M100 presets (the source ones: the models are many-to-many).
pub type M2M100TargetLanguages = M2M100SourceLanguages;

macro_rules! m2m100_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// M2M100 418M (Facebook).
            pub const M2M100_418M: (&'static str, &'static str) = (
                concat!("m2m100-418m/", $suffix),
                concat!(
                    "https://huggingface.co/facebook/m2m100_418M/resolve/main/",
                    $file
                ),
            );
            /// M2M100 1.2B (Facebook).
            pub const M2M100_1_2B: (&'static str, &'static str) = (
                concat!("m2m100-1_2b/", $suffix),
                concat!(
                    "https://huggingface.co/facebook/m2m100_1.2B/resolve/main/",
                    $file
                ),
            );
        }
    };
}
m2m100_resources!(M2M100ModelResources, "rust_model.ot", "model");
m2m100_resources!(M2M100ConfigResources, "config.json", "config");
m2m100_resources!(M2M100VocabResources, "vocab.json", "vocab");
m2m100_resources!(M2M100MergesResources, "sentencepiece.bpe.model", "merges");

macro_rules! m2m100_languages {
    ($($language:ident => $code:literal,)*) => {
        impl M2M100SourceLanguages {
            /// The 100 languages of M2M100 418M, in rust-bert 0.23's order.
            pub const M2M100_418M: [Language; [$($code),*].len()] = [$(Language::$language),*];
            /// The 100 languages of M2M100 1.2B (418M's).
            pub const M2M100_1_2B: [Language; [$($code),*].len()] = Self::M2M100_418M;
        }

        /// Each M2M100 language with the code of its language token (`__en__` in HF).
        const M2M100_LANGUAGES: &[(Language, &str)] = &[$((Language::$language, $code),)*];
    };
}

// The codes are M2M100's (HF's FAIRSEQ_LANGUAGE_CODES): rust-bert's ISO 639-1 table gives
// none for Chinese Mandarin and other codes for Malay and Northern Sotho.
m2m100_languages! {
    Afrikaans => "af", Danish => "da", Dutch => "nl", German => "de", English => "en",
    Icelandic => "is", Luxembourgish => "lb", Norwegian => "no", Swedish => "sv",
    WesternFrisian => "fy", Yiddish => "yi", Asturian => "ast", Catalan => "ca", French => "fr",
    Galician => "gl", Italian => "it", Occitan => "oc", Portuguese => "pt", Romanian => "ro",
    Spanish => "es", Belarusian => "be", Bosnian => "bs", Bulgarian => "bg", Croatian => "hr",
    Czech => "cs", Macedonian => "mk", Polish => "pl", Russian => "ru", Serbian => "sr",
    Slovak => "sk", Slovenian => "sl", Ukrainian => "uk", Estonian => "et", Finnish => "fi",
    Hungarian => "hu", Latvian => "lv", Lithuanian => "lt", Albanian => "sq", Armenian => "hy",
    Georgian => "ka", Greek => "el", Breton => "br", Irish => "ga", ScottishGaelic => "gd",
    Welsh => "cy", Azerbaijani => "az", Bashkir => "ba", Kazakh => "kk", Turkish => "tr",
    Uzbek => "uz", Japanese => "ja", Korean => "ko", Vietnamese => "vi", ChineseMandarin => "zh",
    Bengali => "bn", Gujarati => "gu", Hindi => "hi", Kannada => "kn", Marathi => "mr",
    Nepali => "ne", Oriya => "or", Panjabi => "pa", Sindhi => "sd", Sinhala => "si", Urdu => "ur",
    Tamil => "ta", Cebuano => "ceb", Iloko => "ilo", Indonesian => "id", Javanese => "jv",
    Malagasy => "mg", Malay => "ms", Malayalam => "ml", Sundanese => "su", Tagalog => "tl",
    Burmese => "my", CentralKhmer => "km", Lao => "lo", Thai => "th", Mongolian => "mn",
    Arabic => "ar", Hebrew => "he", Pashto => "ps", Farsi => "fa", Amharic => "am", Fulah => "ff",
    Hausa => "ha", Igbo => "ig", Lingala => "ln", Luganda => "lg", NorthernSotho => "ns",
    Somali => "so", Swahili => "sw", Swati => "ss", Tswana => "tn", Wolof => "wo", Xhosa => "xh",
    Yoruba => "yo", Zulu => "zu", HaitianCreole => "ht",
}

/// rust_tokenizers' M2M100 language token of `language` (`>>fr.<<`, `>>ast<<`), when M2M100
/// has one.
pub(crate) fn m2m100_language_code(language: Language) -> Option<String> {
    M2M100_LANGUAGES
        .iter()
        .find(|(l, _)| *l == language)
        .map(|(_, code)| match code.len() {
            2 => format!(">>{code}.<<"),
            _ => format!(">>{code}<<"),
        })
}

/// M2M100's stack switches: pre-norm, final layer norms, no embedding layer norm; embeddings
/// scaled when `scale_embedding` (HF's default: true).
fn stack_options(config: &M2M100Config) -> StackOptions {
    let mut options = config.stack_options();
    options.normalize_before = true;
    options.layernorm_embedding = false;
    options.final_layer_norm = true;
    if config.scale_embedding.unwrap_or(true) {
        options.embed_scale = (config.d_model as f64).sqrt();
    }
    options.activation = config
        .activation_function
        .unwrap_or(crate::Activation::relu);
    options
}

fn base_model(p: &nn::Path, config: &M2M100Config) -> BartModel {
    let positions = || PositionEmbedding::SinusoidalFromIds {
        padding_idx: config.pad_token_id.unwrap_or(1),
        embed_dim: config.d_model,
    };
    BartModel::with_stack(p, config, &stack_options(config), positions(), positions())
}

/// M2M100: shared token embeddings (`shared`), an encoder and a decoder.
#[derive(Debug)]
pub struct M2M100Model {
    base: BartModel,
}

impl M2M100Model {
    /// Builds the model under `p` (variables `shared`, `encoder.*`, `decoder.*`; the
    /// positions are computed, not loaded).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &M2M100Config) -> M2M100Model {
        let _init = crate::common::config::building_or_panic(config);
        M2M100Model {
            base: base_model(p.borrow(), config),
        }
    }

    /// Runs the encoder (unless `encoder_output` is given) and the decoder (arguments as
    /// [`BartModel::forward_t`]).
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
    ) -> Result<M2M100ModelOutput, RustBertError> {
        self.base.try_forward_t(
            input_ids,
            attention_mask,
            decoder_input_ids,
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
        ) -> M2M100ModelOutput = try_forward_t
    }
}

/// M2M100 with its language-model head (tied to the shared embeddings, no bias): translation.
#[derive(Debug)]
pub struct M2M100ForConditionalGeneration {
    base: BartForConditionalGeneration,
}

impl M2M100ForConditionalGeneration {
    /// Builds the model under `p` (variables `model.*`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &M2M100Config) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        Self {
            base: BartForConditionalGeneration::from_base_with_bias(
                p,
                base_model(&(p / "model"), config),
                config,
                false,
            ),
        }
    }
}

// rust-bert's forward_t / encode (with try_ twins) and the generation step, as Marian's.
crate::bart::bart_family_head!(M2M100ForConditionalGeneration);

/// M2M100 translation generator: [`crate::generation::LanguageGenerator`] over
/// [`M2M100ForConditionalGeneration`] (the translation pipeline forces the target language
/// token with `GenerateOptions::forced_bos_token_id`).
pub type M2M100Generator = LanguageModelGenerator<M2M100ForConditionalGeneration>;

fn read_config(path: &std::path::Path) -> Result<M2M100Config, RustBertError> {
    M2M100Config::try_from_file(path)
}

impl LanguageModelGenerator<M2M100ForConditionalGeneration> {
    /// Loads M2M100 and its tokenizer (`vocab_resource`: `vocab.json`, `merges_resource`: the
    /// SentencePiece model, as rust-bert) from the configuration's resources.
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer files
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            None,
            read_config,
            |p, c| Ok(M2M100ForConditionalGeneration::new(p, c)),
            crate::bart::seq2seq_specials,
        )
    }

    /// Loads M2M100 with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`M2M100Generator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            |p, c| Ok(M2M100ForConditionalGeneration::new(p, c)),
            crate::bart::seq2seq_specials,
        )
    }
}
