//! # NLLB (No Language Left Behind; NLLB Team, 2022)
//!
//! Translation between the 200 languages of FLORES-200 with M2M100's network (HF files NLLB
//! checkpoints as `m2m_100`): [`NLLBGenerator`] is [`M2M100Generator`] with NLLB's tokenizer
//! (`TokenizerOption::NLLB`: `tokenizer.json` as vocabulary, the SentencePiece model as
//! "merges"). Language tokens are FLORES-200 codes (`eng_Latn`,
//! [`crate::pipelines::translation::Language::get_nllb_code`]). A text that starts with its
//! language code (`fra_Latn Bonjour`) is encoded `[fra_Latn] tokens </s>`, HF's default
//! (non-legacy) layout; a text without one gets rust_tokenizers' `tokens </s> eng_Latn`, HF's
//! legacy layout for English. The translation pipeline writes the source code first and forces
//! the target code as first generated token; with HF's `legacy_behaviour` (read from
//! `tokenizer_config.json`, or
//! [`crate::pipelines::translation::TranslationModel::set_nllb_legacy_behaviour`]) it encodes
//! `tokens </s> [src_lang]` for any source language, as HF's legacy `NllbTokenizer`.
use crate::common::language::Language::{self, *};
use crate::m2m_100::M2M100Generator;

/// Pretrained NLLB weights (rust-bert's converted files), as `(cache subdirectory, URL)`.
pub struct NLLBResources;
/// Pretrained NLLB configurations.
pub struct NLLBConfigResources;
/// Pretrained NLLB vocabularies (`tokenizer.json`).
pub struct NLLBVocabResources;
/// Pretrained NLLB SentencePiece models (rust-bert's "merges").
pub struct NLLBMergeResources;
/// Languages of NLLB, as rust-bert 0.23's array.
pub struct NLLBLanguages;
/// NLLB special-token maps (`special_tokens_map.json`).
pub struct NLLBSpecialMap;

macro_rules! nllb_resources {
    ($name:ident, $kind:literal, $file:literal, $suffix:literal) => {
        impl $name {
            /// NLLB-200 distilled 600M.
            pub const NLLB_600M_DISTILLED: (&'static str, &'static str) = (
                concat!("nllb200-distilled-600m/", $suffix),
                concat!(
                    "https://huggingface.co/datasets/vpermilp/nllb-200-distilled-600M-rust/",
                    $kind,
                    "/main/",
                    $file
                ),
            );
            /// NLLB-200 1.3B.
            pub const NLLB_1_3B: (&'static str, &'static str) = (
                concat!("nllb200-1_3b/", $suffix),
                concat!(
                    "https://huggingface.co/datasets/vpermilp/nllb-200-1.3B-rust/",
                    $kind,
                    "/main/",
                    $file
                ),
            );
        }
    };
}
nllb_resources!(NLLBResources, "resolve", "rust_model.ot", "model");
nllb_resources!(NLLBConfigResources, "raw", "config.json", "config");
nllb_resources!(NLLBVocabResources, "resolve", "tokenizer.json", "vocab");
nllb_resources!(
    NLLBMergeResources,
    "resolve",
    "sentencepiece.bpe.model",
    "merge"
);
nllb_resources!(NLLBSpecialMap, "raw", "special_tokens_map.json", "special");

impl NLLBLanguages {
    /// The 201 languages rust-bert 0.23 lists for NLLB (each has a FLORES-200 code).
    #[rustfmt::skip]
    pub const NLLB: [Language; 201] = [
        Afrikaans, Danish, Dutch, German, English, Icelandic, Luxembourgish, Swedish, Asturian,
        Catalan, French, Galician, Italian, Occitan, Portuguese, Romanian, Spanish, Belarusian,
        Bosnian, Bulgarian, Croatian, Czech, Macedonian, Polish, Russian, Serbian, Slovak,
        Slovenian, Ukrainian, Estonian, Finnish, Hungarian, Latvian, Lithuanian, Albanian,
        Armenian, Georgian, Greek, Irish, ScottishGaelic, Welsh, Bashkir, Kazakh, Turkish, Uzbek,
        Japanese, Korean, Vietnamese, Bengali, Gujarati, Hindi, Kannada, Marathi, Oriya, Panjabi,
        Sindhi, Sinhala, Urdu, Tamil, Cebuano, Iloko, Indonesian, Javanese, Malay, Malayalam,
        Sundanese, Tagalog, Burmese, CentralKhmer, Lao, Thai, Hebrew, Amharic, Hausa, Igbo,
        Lingala, Luganda, NorthernSotho, Somali, Swahili, Swati, Tswana, Wolof, Xhosa, Yoruba,
        Zulu, HaitianCreole, Achinese, MesopotamianArabic, TaizziAdeniArabic, TunisianArabic,
        SouthLevantineArabic, Akan, NorthLevantineArabic, Arabic, NajdiArabic, MoroccanArabic,
        EgyptianArabic, Assamese, Awadhi, CentralAymara, SouthAzerbaijani, NorthAzerbaijani,
        Bambara, Balinese, Bemba, Bhojpuri, Banjar, Tibetan, Buginese, Chokwe, CentralKurdish,
        CrimeanTatar, SouthwesternDinka, Dyula, Dzongkha, Esperanto, Basque, Ewe, Faroese, Fijian,
        Fon, Friulian, NigerianFulfulde, WestCentralOromo, Guarani, Haitian, Chhattisgarhi, Kabyle,
        Kachin, Kamba, Kashmiri, Kabiye, Kabuverdianu, HalhMongolian, Khmer, Kikuyu, Kinyarwanda,
        Kirghiz, Kimbundu, NorthernKurdish, CentralKanuri, Kongo, Ligurian, Limburgan, Lombard,
        Latgalian, LubaLulua, Ganda, Luo, Lushai, Magahi, Maithili, Minangkabau, Maltese, Manipuri,
        Mossi, Maori, NorwegianNynorsk, NorwegianBokmal, Pedi, Nuer, Nyanja, Odia, Pangasinan,
        Papiamento, SouthernPashto, IranianPersian, PlateauMalagasy, Dari, AyacuchoQuechua, Rundi,
        Sango, Sanskrit, Santali, Sicilian, Shan, Samoan, Shona, SouthernSotho, Sardinian,
        Silesian, Tamasheq, Tatar, Telugu, Tajik, Tigrinya, TokPisin, Tsonga, Turkmen, Tumbuka,
        Twi, CentralAtlasTamazight, Uighur, Umbundu, NorthernUzbek, Venetian, Waray,
        EasternYiddish, YueChinese, Chinese,
    ];
}

/// NLLB translation generator: M2M100's, with NLLB's tokenizer.
pub type NLLBGenerator = M2M100Generator;
