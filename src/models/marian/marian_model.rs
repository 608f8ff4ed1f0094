use crate::bart::{
    bart_family_head, seq2seq_specials, BartConfig, BartForConditionalGeneration, BartModel,
    PositionEmbedding, StackOptions,
};
use crate::common::activations::Activation;
use crate::common::language::Language;
use crate::common::tokenizer::TokenizerOption;
use crate::generation::{GenerateConfig, GeneratorSpecials, LanguageModelGenerator};
use crate::{Config, RustBertError};
use std::borrow::Borrow;
use tch::nn;

/// Marian configuration: BART's (HF `MarianConfig` has the same keys).
pub type MarianConfig = BartConfig;

/// Pretrained OPUS-MT weights on the hub, as `(cache subdirectory, URL)`.
pub struct MarianModelResources;
/// Pretrained OPUS-MT configurations on the hub.
pub struct MarianConfigResources;
/// Pretrained OPUS-MT joint vocabularies (`vocab.json`) on the hub.
pub struct MarianVocabResources;
/// Pretrained OPUS-MT source SentencePiece models (`source.spm`) on the hub.
pub struct MarianSpmResources;

macro_rules! marian_resources {
    ($name:ident, $file:literal, $suffix:literal; $($(#[$doc:meta])* $constant:ident => $repo:literal,)*) => {
        impl $name {
            $(
                $(#[$doc])*
                pub const $constant: (&'static str, &'static str) = (
                    concat!($repo, "/", $suffix),
                    concat!("https://huggingface.co/Helsinki-NLP/", $repo, "/resolve/main/", $file),
                );
            )*
        }
    };
}

macro_rules! marian_pairs {
    ($name:ident, $file:literal, $suffix:literal) => {
        marian_resources!($name, $file, $suffix;
            /// English to French.
            ENGLISH2FRENCH => "opus-mt-en-fr",
            /// French to English.
            FRENCH2ENGLISH => "opus-mt-fr-en",
            /// English to German.
            ENGLISH2GERMAN => "opus-mt-en-de",
            /// German to English.
            GERMAN2ENGLISH => "opus-mt-de-en",
            /// English to Russian.
            ENGLISH2RUSSIAN => "opus-mt-en-ru",
            /// Russian to English.
            RUSSIAN2ENGLISH => "opus-mt-ru-en",
            /// English to Chinese.
            ENGLISH2CHINESE => "opus-mt-en-zh",
            /// Chinese to English.
            CHINESE2ENGLISH => "opus-mt-zh-en",
            /// English to Hindi.
            ENGLISH2HINDI => "opus-mt-en-hi",
            /// Hindi to English.
            HINDI2ENGLISH => "opus-mt-hi-en",
            /// English to Spanish.
            ENGLISH2SPANISH => "opus-mt-en-es",
            /// Spanish to English.
            SPANISH2ENGLISH => "opus-mt-es-en",
            /// English to Dutch.
            ENGLISH2DUTCH => "opus-mt-en-nl",
            /// Dutch to English.
            DUTCH2ENGLISH => "opus-mt-nl-en",
            /// English to Swedish.
            ENGLISH2SWEDISH => "opus-mt-en-sv",
            /// Swedish to English.
            SWEDISH2ENGLISH => "opus-mt-sv-en",
            /// English to Romance languages (French, Spanish, Italian, Portuguese, Romanian,
            /// ...; the target language is a `>>xx<<` prefix).
            ENGLISH2ROMANCE => "opus-mt-en-ROMANCE",
            /// Romance languages to English.
            ROMANCE2ENGLISH => "opus-mt-ROMANCE-en",
            /// German to French.
            GERMAN2FRENCH => "opus-mt-de-fr",
            /// French to German.
            FRENCH2GERMAN => "opus-mt-fr-de",
            /// English to Arabic.
            ENGLISH2ARABIC => "opus-mt-en-ar",
            /// Arabic to English.
            ARABIC2ENGLISH => "opus-mt-ar-en",
        );
    };
}
marian_pairs!(MarianModelResources, "rust_model.ot", "model");
marian_pairs!(MarianConfigResources, "config.json", "config");
marian_pairs!(MarianVocabResources, "vocab.json", "vocab");
marian_pairs!(MarianSpmResources, "source.spm", "spiece");

/// Source languages of the Marian presets (same constant names as [`MarianTargetLanguages`]
/// and [`MarianModelResources`]), as rust-bert 0.23's arrays.
pub struct MarianSourceLanguages;
/// Target languages of the Marian presets.
pub struct MarianTargetLanguages;

macro_rules! marian_languages {
    ($($name:ident: [$($source:ident),*] => [$($target:ident),*],)*) => {
        impl MarianSourceLanguages {
            $(
                #[doc = concat!("Source languages of `", stringify!($name), "`.")]
                pub const $name: [Language; [$(Language::$source),*].len()] = [$(Language::$source),*];
            )*
        }
        impl MarianTargetLanguages {
            $(
                #[doc = concat!("Target languages of `", stringify!($name), "`.")]
                pub const $name: [Language; [$(Language::$target),*].len()] = [$(Language::$target),*];
            )*
        }
        /// Every Marian preset: (name, sources, targets).
        #[cfg_attr(not(feature = "remote"), allow(dead_code))]
        pub(crate) const MARIAN_PRESETS: &[(&str, &[Language], &[Language])] = &[
            $((stringify!($name), &MarianSourceLanguages::$name, &MarianTargetLanguages::$name),)*
        ];
    };
}

marian_languages! {
    ENGLISH2FRENCH: [English] => [French],
    FRENCH2ENGLISH: [French] => [English],
    ENGLISH2GERMAN: [English] => [German],
    GERMAN2ENGLISH: [German] => [English],
    ENGLISH2RUSSIAN: [English] => [Russian],
    RUSSIAN2ENGLISH: [Russian] => [English],
    ENGLISH2CHINESE: [English] => [ChineseMandarin],
    CHINESE2ENGLISH: [ChineseMandarin] => [English],
    ENGLISH2HINDI: [English] => [Hindi],
    HINDI2ENGLISH: [Hindi] => [English],
    ENGLISH2SPANISH: [English] => [Spanish],
    SPANISH2ENGLISH: [Spanish] => [English],
    ENGLISH2DUTCH: [English] => [Dutch],
    DUTCH2ENGLISH: [Dutch] => [English],
    ENGLISH2SWEDISH: [English] => [Swedish],
    SWEDISH2ENGLISH: [Swedish] => [English],
    ENGLISH2ROMANCE: [English] => [French, Spanish, Italian, Catalan, Romanian, Portuguese, Galician],
    ROMANCE2ENGLISH: [French, Spanish, Italian, Catalan, Romanian, Portuguese, Galician] => [English],
    GERMAN2FRENCH: [German] => [French],
    FRENCH2GERMAN: [French] => [German],
    ENGLISH2ARABIC: [English] => [Arabic],
    ARABIC2ENGLISH: [Arabic] => [English],
}

/// Marian's stack switches: post-norm, no embedding layer norm, scaled embeddings (HF default
/// `scale_embedding = true`), swish.
fn stack_options(config: &MarianConfig) -> StackOptions {
    let mut options = config.stack_options();
    options.layernorm_embedding = false;
    options.final_layer_norm = config.add_final_layer_norm.unwrap_or(false);
    if config.scale_embedding.unwrap_or(true) {
        options.embed_scale = (config.d_model as f64).sqrt();
    }
    options.activation = config.activation_function.unwrap_or(Activation::swish);
    options
}

/// Marian with its language-model head (tied to the shared embeddings, plus
/// `final_logits_bias`): translation.
#[derive(Debug)]
pub struct MarianForConditionalGeneration {
    base: BartForConditionalGeneration,
    pad_token_id: i64,
}

impl MarianForConditionalGeneration {
    /// Builds the model under `p` (variables `model.*` and `final_logits_bias`; the sinusoidal
    /// positions are computed, not loaded).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &MarianConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let options = stack_options(config);
        let positions = || {
            PositionEmbedding::sinusoidal(
                config.max_position_embeddings,
                config.d_model,
                p.device(),
            )
        };
        let base_model =
            BartModel::with_stack(&(p / "model"), config, &options, positions(), positions());
        Self {
            base: BartForConditionalGeneration::from_base(p, base_model, config),
            pad_token_id: config.pad_token_id.unwrap_or(config.vocab_size - 1),
        }
    }
}

bart_family_head!(MarianForConditionalGeneration);

/// Marian translation generator: [`crate::generation::LanguageGenerator`]
/// over [`MarianForConditionalGeneration`].
pub type MarianGenerator = LanguageModelGenerator<MarianForConditionalGeneration>;

fn read_config(path: &std::path::Path) -> Result<MarianConfig, RustBertError> {
    MarianConfig::try_from_file(path)
}

/// Marian's decoder starts from the pad token, and the pad token is never generated.
fn specials(config: &MarianConfig, tokenizer: &TokenizerOption) -> GeneratorSpecials {
    let mut specials = seq2seq_specials(config, tokenizer);
    let pad = config.pad_token_id.unwrap_or(config.vocab_size - 1);
    specials.pad_token_id = Some(pad);
    specials.decoder_start_token_id = config.decoder_start_token_id.or(Some(pad));
    specials.banned_token_ids = vec![pad];
    specials.bos_token_id = None;
    specials
}

impl LanguageModelGenerator<MarianForConditionalGeneration> {
    /// Loads Marian and its tokenizer from the configuration's resources (`vocab_resource`:
    /// `vocab.json`, `merges_resource`: the source SentencePiece model, as rust-bert).
    ///
    /// # Errors
    /// Invalid settings, and errors of the resources, the configuration, the tokenizer files
    /// and the weights.
    pub fn new(generate_config: GenerateConfig) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            None,
            read_config,
            |p, c| Ok(MarianForConditionalGeneration::new(p, c)),
            specials,
        )
    }

    /// Loads Marian with a tokenizer of your own.
    ///
    /// # Errors
    /// As [`MarianGenerator::new`].
    pub fn new_with_tokenizer(
        generate_config: GenerateConfig,
        tokenizer: TokenizerOption,
    ) -> Result<Self, RustBertError> {
        Self::load(
            generate_config,
            Some(tokenizer),
            read_config,
            |p, c| Ok(MarianForConditionalGeneration::new(p, c)),
            specials,
        )
    }
}

impl MarianForConditionalGeneration {
    /// The pad token id (never generated).
    pub fn pad_token_id(&self) -> i64 {
        self.pad_token_id
    }
}
