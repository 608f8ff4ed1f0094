//! Languages of the translation models, with their ISO 639 codes and NLLB's FLORES-200 codes.
//! They live below the models, which name the languages of their presets
//! (`marian::MarianSourceLanguages`, `m2m_100::M2M100SourceLanguages`); rust-bert's path
//! `pipelines::translation::Language` re-exports them. The variants, their order and their codes
//! are rust-bert 0.23's (M2M100's language tokens are built from `get_iso_639_1_code`, NLLB's
//! from `get_nllb_code`).
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! languages {
    ($($name:ident => ($display:literal, $iso1:expr, $iso3:literal, $nllb:expr),)*) => {
        /// A language a translation model can read or write.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Language {
            $(#[doc = $display] $name,)*
        }

        impl Language {
            /// Every language of the enum.
            pub const ALL: &'static [Language] = &[$(Language::$name,)*];

            /// The ISO 639-1 code (or the code M2M100 uses, for the few whose token is a
            /// three-letter code such as Asturian's `ast`), for the languages that have one.
            pub fn get_iso_639_1_code(&self) -> Option<&'static str> {
                match self {
                    $(Language::$name => $iso1,)*
                }
            }

            /// The ISO 639-3 (three-letter) code.
            pub fn get_iso_639_3_code(&self) -> &'static str {
                match self {
                    $(Language::$name => $iso3,)*
                }
            }

            /// NLLB's FLORES-200 code (`eng_Latn`), for the languages NLLB serves.
            pub fn get_nllb_code(&self) -> Option<&'static str> {
                match self {
                    $(Language::$name => $nllb,)*
                }
            }

            /// The language's English name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Language::$name => $display,)*
                }
            }

            /// The language with this ISO 639-1, ISO 639-3 or FLORES-200 code, if any (the
            /// first in the enum's order when several share a code).
            pub fn from_code(code: &str) -> Option<Language> {
                Self::ALL.iter().copied().find(|language| {
                    language.get_iso_639_3_code() == code
                        || language.get_iso_639_1_code() == Some(code)
                        || language.get_nllb_code() == Some(code)
                })
            }
        }
    };
}

#[rustfmt::skip]
languages! {
    Latvian => ("Latvian", Some("lv"), "lav", Some("lvs_Latn")),
    Achinese => ("Achinese", None, "ace", Some("ace_Arab")),
    MesopotamianArabic => ("Mesopotamian Arabic", None, "acm", Some("acm_Arab")),
    TaizziAdeniArabic => ("Taizzi Adeni Arabic", None, "acq", Some("acq_Arab")),
    TunisianArabic => ("Tunisian Arabic", None, "aeb", Some("aeb_Arab")),
    Afrikaans => ("Afrikaans", Some("af"), "afr", Some("afr_Latn")),
    SouthLevantineArabic => ("South Levantine Arabic", None, "ajp", Some("ajp_Arab")),
    Akan => ("Akan", Some("ak"), "aka", Some("aka_Latn")),
    Amharic => ("Amharic", Some("am"), "amh", Some("amh_Ethi")),
    NorthLevantineArabic => ("North Levantine Arabic", None, "apc", Some("apc_Arab")),
    NajdiArabic => ("Najdi Arabic", Some("ar"), "ars", Some("ars_Arab")),
    MoroccanArabic => ("Moroccan Arabic", None, "ary", Some("ary_Arab")),
    EgyptianArabic => ("Egyptian Arabic", None, "arz", Some("arz_Arab")),
    Assamese => ("Assamese", Some("as"), "asm", Some("asm_Beng")),
    Asturian => ("Asturian", Some("ast"), "ast", Some("ast_Latn")),
    Awadhi => ("Awadhi", None, "awa", Some("awa_Deva")),
    CentralAymara => ("Central Aymara", None, "ayr", Some("ayr_Latn")),
    SouthAzerbaijani => ("South Azerbaijani", None, "azb", Some("azb_Arab")),
    NorthAzerbaijani => ("North Azerbaijani", Some("az"), "azj", Some("azj_Latn")),
    Bashkir => ("Bashkir", Some("ba"), "bak", Some("bak_Cyrl")),
    Bambara => ("Bambara", Some("bm"), "bam", Some("bam_Latn")),
    Balinese => ("Balinese", None, "ban", Some("ban_Latn")),
    Belarusian => ("Belarusian", Some("be"), "bel", Some("bel_Cyrl")),
    Bemba => ("Bemba", None, "bem", Some("bem_Latn")),
    Bengali => ("Bengali", Some("bn"), "ben", Some("ben_Beng")),
    Bhojpuri => ("Bhojpuri", None, "bho", Some("bho_Deva")),
    Banjar => ("Banjar", None, "bjn", Some("bjn_Arab")),
    Tibetan => ("Tibetan", Some("bo"), "bod", Some("bod_Tibt")),
    Bosnian => ("Bosnian", Some("bs"), "bos", Some("bos_Latn")),
    Buginese => ("Buginese", None, "bug", Some("bug_Latn")),
    Bulgarian => ("Bulgarian", Some("bg"), "bul", Some("bul_Cyrl")),
    Catalan => ("Catalan", Some("ca"), "cat", Some("cat_Latn")),
    Cebuano => ("Cebuano", Some("ceb"), "ceb", Some("ceb_Latn")),
    Czech => ("Czech", Some("cs"), "ces", Some("ces_Latn")),
    Chokwe => ("Chokwe", None, "cjk", Some("cjk_Latn")),
    CentralKurdish => ("Central Kurdish", None, "ckb", Some("ckb_Arab")),
    CrimeanTatar => ("Crimean Tatar", None, "crh", Some("crh_Latn")),
    Welsh => ("Welsh", Some("cy"), "cym", Some("cym_Latn")),
    Danish => ("Danish", Some("da"), "dan", Some("dan_Latn")),
    German => ("German", Some("de"), "deu", Some("deu_Latn")),
    SouthwesternDinka => ("Southwestern Dinka", None, "dik", Some("dik_Latn")),
    Dyula => ("Dyula", None, "dyu", Some("dyu_Latn")),
    Dzongkha => ("Dzongkha", Some("dz"), "dzo", Some("dzo_Tibt")),
    Greek => ("Greek", Some("el"), "ell", Some("ell_Grek")),
    English => ("English", Some("en"), "eng", Some("eng_Latn")),
    Esperanto => ("Esperanto", Some("eo"), "epo", Some("epo_Latn")),
    Estonian => ("Estonian", Some("et"), "est", Some("est_Latn")),
    Basque => ("Basque", Some("eu"), "eus", Some("eus_Latn")),
    Ewe => ("Ewe", Some("ee"), "ewe", Some("ewe_Latn")),
    Faroese => ("Faroese", Some("fo"), "fao", Some("fao_Latn")),
    Fijian => ("Fijian", Some("fi"), "fij", Some("fij_Latn")),
    Finnish => ("Finnish", Some("fi"), "fin", Some("fin_Latn")),
    Fon => ("Fon", None, "fon", Some("fon_Latn")),
    French => ("French", Some("fr"), "fra", Some("fra_Latn")),
    Friulian => ("Friulian", None, "fur", Some("fur_Latn")),
    NigerianFulfulde => ("Nigerian Fulfulde", None, "fuv", Some("fuv_Latn")),
    WestCentralOromo => ("West Central Oromo", None, "gaz", Some("gaz_Latn")),
    ScottishGaelic => ("Scottish Gaelic", Some("gd"), "gla", Some("gla_Latn")),
    Irish => ("Irish", Some("ga"), "gle", Some("gle_Latn")),
    Galician => ("Galician", Some("gl"), "glg", Some("glg_Latn")),
    Guarani => ("Guarani", Some("gn"), "grn", Some("grn_Latn")),
    Gujarati => ("Gujarati", Some("gu"), "guj", Some("guj_Gujr")),
    Haitian => ("Haitian", Some("ht"), "hat", Some("hat_Latn")),
    Hausa => ("Hausa", Some("ha"), "hau", Some("hau_Latn")),
    Hebrew => ("Hebrew", Some("he"), "heb", Some("heb_Hebr")),
    Hindi => ("Hindi", Some("hi"), "hin", Some("hin_Deva")),
    Chhattisgarhi => ("Chhattisgarhi", None, "hne", Some("hne_Deva")),
    Croatian => ("Croatian", Some("hr"), "hrv", Some("hrv_Latn")),
    Hungarian => ("Hungarian", Some("hu"), "hun", Some("hun_Latn")),
    Armenian => ("Armenian", Some("hy"), "hye", Some("hye_Armn")),
    Igbo => ("Igbo", Some("ig"), "ibo", Some("ibo_Latn")),
    Iloko => ("Iloko", Some("ilo"), "ilo", Some("ilo_Latn")),
    Indonesian => ("Indonesian", Some("id"), "ind", Some("ind_Latn")),
    Icelandic => ("Icelandic", Some("is"), "isl", Some("isl_Latn")),
    Italian => ("Italian", Some("it"), "ita", Some("ita_Latn")),
    Javanese => ("Javanese", Some("jv"), "jav", Some("jav_Latn")),
    Japanese => ("Japanese", Some("ja"), "jpn", Some("jpn_Jpan")),
    Kabyle => ("Kabyle", None, "kab", Some("kab_Latn")),
    Kachin => ("Kachin", None, "kac", Some("kac_Latn")),
    Kamba => ("Kamba", None, "kam", Some("kam_Latn")),
    Kannada => ("Kannada", Some("kn"), "kan", Some("kan_Knda")),
    Kashmiri => ("Kashmiri", Some("ks"), "kas", Some("kas_Arab")),
    Georgian => ("Georgian", Some("ka"), "kat", Some("kat_Geor")),
    Kazakh => ("Kazakh", Some("kk"), "kaz", Some("kaz_Cyrl")),
    Kabiye => ("Kabiye", None, "kbp", Some("kbp_Latn")),
    Kabuverdianu => ("Kabuverdianu", None, "kea", Some("kea_Latn")),
    HalhMongolian => ("Halh Mongolian", None, "khk", Some("khk_Cyrl")),
    Khmer => ("Khmer", Some("km"), "khm", Some("khm_Khmr")),
    Kikuyu => ("Kikuyu", Some("ki"), "kik", Some("kik_Latn")),
    Kinyarwanda => ("Kinyarwanda", Some("rw"), "kin", Some("kin_Latn")),
    Kirghiz => ("Kirghiz", Some("ky"), "kir", Some("kir_Cyrl")),
    Kimbundu => ("Kimbundu", None, "kmb", Some("kmb_Latn")),
    NorthernKurdish => ("Northern Kurdish", None, "kmr", Some("kmr_Latn")),
    CentralKanuri => ("Central Kanuri", None, "knc", Some("knc_Latn")),
    Kongo => ("Kongo", Some("kg"), "kon", Some("kon_Latn")),
    Korean => ("Korean", Some("ko"), "kor", Some("kor_Hang")),
    Lao => ("Lao", Some("lo"), "lao", Some("lao_Laoo")),
    Ligurian => ("Ligurian", None, "lij", Some("lij_Latn")),
    Limburgan => ("Limburgan", Some("li"), "lim", Some("lim_Latn")),
    Lingala => ("Lingala", Some("ln"), "lin", Some("lin_Latn")),
    Lithuanian => ("Lithuanian", Some("lt"), "lit", Some("lit_Latn")),
    Lombard => ("Lombard", None, "lmo", Some("lmo_Latn")),
    Latgalian => ("Latgalian", None, "ltg", Some("ltg_Latn")),
    Luxembourgish => ("Luxembourgish", Some("lb"), "ltz", Some("ltz_Latn")),
    LubaLulua => ("Luba Lulua", None, "lua", Some("lua_Latn")),
    Ganda => ("Ganda", Some("lg"), "lug", Some("lug_Latn")),
    Luo => ("Luo", None, "luo", Some("luo_Latn")),
    Lushai => ("Lushai", None, "lus", Some("lus_Latn")),
    Magahi => ("Magahi", None, "mag", Some("mag_Deva")),
    Maithili => ("Maithili", None, "mai", Some("mai_Deva")),
    Malayalam => ("Malayalam", Some("ml"), "mal", Some("mal_Mlym")),
    Marathi => ("Marathi", Some("mr"), "mar", Some("mar_Deva")),
    Minangkabau => ("Minangkabau", None, "min", Some("min_Latn")),
    Macedonian => ("Macedonian", Some("mk"), "mkd", Some("mkd_Cyrl")),
    Maltese => ("Maltese", Some("mt"), "mlt", Some("mlt_Latn")),
    Manipuri => ("Manipuri", None, "mni", Some("mni_Beng")),
    Mossi => ("Mossi", None, "mos", Some("mos_Latn")),
    Maori => ("Maori", Some("mi"), "mri", Some("mri_Latn")),
    Burmese => ("Burmese", Some("my"), "mya", Some("mya_Mymr")),
    Dutch => ("Dutch", Some("nl"), "nld", Some("nld_Latn")),
    Norwegian => ("Norwegian", Some("no"), "nor", None),
    NorwegianNynorsk => ("Norwegian Nynorsk", Some("nn"), "nno", Some("nno_Latn")),
    NorwegianBokmal => ("Norwegian Bokmal", Some("nb"), "nob", Some("nob_Latn")),
    Nepali => ("Nepali", Some("ne"), "nep", None),
    Pedi => ("Pedi", None, "nso", Some("nso_Latn")),
    Nuer => ("Nuer", None, "nus", Some("nus_Latn")),
    Nyanja => ("Nyanja", Some("ny"), "nya", Some("nya_Latn")),
    Occitan => ("Occitan", Some("oc"), "oci", Some("oci_Latn")),
    Odia => ("Odia", None, "ory", Some("ory_Orya")),
    Pangasinan => ("Pangasinan", None, "pag", Some("pag_Latn")),
    Panjabi => ("Panjabi", Some("pa"), "pan", Some("pan_Guru")),
    Papiamento => ("Papiamento", None, "pap", Some("pap_Latn")),
    SouthernPashto => ("Southern Pashto", Some("ps"), "pbt", Some("pbt_Arab")),
    IranianPersian => ("Iranian Persian", None, "pes", Some("pes_Arab")),
    PlateauMalagasy => ("Plateau Malagasy", None, "plt", Some("plt_Latn")),
    Polish => ("Polish", Some("pl"), "pol", Some("pol_Latn")),
    Portuguese => ("Portuguese", Some("pt"), "por", Some("por_Latn")),
    Dari => ("Dari", None, "prs", Some("prs_Arab")),
    AyacuchoQuechua => ("Ayacucho Quechua", None, "quy", Some("quy_Latn")),
    Romanian => ("Romanian", Some("ro"), "ron", Some("ron_Latn")),
    Rundi => ("Rundi", Some("rn"), "run", Some("run_Latn")),
    Russian => ("Russian", Some("ru"), "rus", Some("rus_Cyrl")),
    Sango => ("Sango", Some("sg"), "sag", Some("sag_Latn")),
    Sanskrit => ("Sanskrit", None, "san", Some("san_Deva")),
    Santali => ("Santali", None, "sat", Some("sat_Beng")),
    Sicilian => ("Sicilian", None, "scn", Some("scn_Latn")),
    Shan => ("Shan", None, "shn", Some("shn_Mymr")),
    Sinhala => ("Sinhala", Some("si"), "sin", Some("sin_Sinh")),
    Slovak => ("Slovak", Some("sk"), "slk", Some("slk_Latn")),
    Slovenian => ("Slovenian", Some("sl"), "slv", Some("slv_Latn")),
    Samoan => ("Samoan", Some("sm"), "smo", Some("smo_Latn")),
    Shona => ("Shona", Some("sn"), "sna", Some("sna_Latn")),
    Sindhi => ("Sindhi", Some("sd"), "snd", Some("snd_Arab")),
    Somali => ("Somali", Some("so"), "som", Some("som_Latn")),
    SouthernSotho => ("Southern Sotho", Some("st"), "sot", Some("sot_Latn")),
    Spanish => ("Spanish", Some("es"), "spa", Some("spa_Latn")),
    Sardinian => ("Sardinian", Some("sc"), "srd", Some("srd_Latn")),
    Serbian => ("Serbian", Some("sr"), "srp", Some("srp_Cyrl")),
    Swati => ("Swati", Some("ss"), "ssw", Some("ssw_Latn")),
    Sundanese => ("Sundanese", Some("su"), "sun", Some("sun_Latn")),
    Swedish => ("Swedish", Some("sv"), "swe", Some("swe_Latn")),
    Swahili => ("Swahili", Some("sw"), "swa", Some("swh_Latn")),
    Silesian => ("Silesian", None, "szl", Some("szl_Latn")),
    Tamil => ("Tamil", Some("ta"), "tam", Some("tam_Taml")),
    Tamasheq => ("Tamasheq", None, "taq", Some("taq_Latn")),
    Tatar => ("Tatar", Some("tt"), "tat", Some("tat_Cyrl")),
    Telugu => ("Telugu", Some("te"), "tel", Some("tel_Telu")),
    Tajik => ("Tajik", Some("tg"), "tgk", Some("tgk_Cyrl")),
    Tagalog => ("Tagalog", Some("tl"), "tgl", Some("tgl_Latn")),
    Thai => ("Thai", Some("th"), "tha", Some("tha_Thai")),
    Tigrinya => ("Tigrinya", Some("ti"), "tir", Some("tir_Ethi")),
    TokPisin => ("Tok Pisin", None, "tpi", Some("tpi_Latn")),
    Tswana => ("Tswana", Some("tn"), "tsn", Some("tsn_Latn")),
    Tsonga => ("Tsonga", Some("ts"), "tso", Some("tso_Latn")),
    Turkmen => ("Turkmen", Some("tk"), "tuk", Some("tuk_Latn")),
    Tumbuka => ("Tumbuka", None, "tum", Some("tum_Latn")),
    Turkish => ("Turkish", Some("tr"), "tur", Some("tur_Latn")),
    Twi => ("Twi", Some("tw"), "twi", Some("twi_Latn")),
    CentralAtlasTamazight => ("Central Atlas Tamazight", None, "tzm", Some("tzm_Tfng")),
    Uighur => ("Uighur", Some("ug"), "uig", Some("uig_Arab")),
    Ukrainian => ("Ukrainian", Some("uk"), "ukr", Some("ukr_Cyrl")),
    Umbundu => ("Umbundu", None, "umb", Some("umb_Latn")),
    Urdu => ("Urdu", Some("ur"), "urd", Some("urd_Arab")),
    NorthernUzbek => ("Northern Uzbek", Some("uzn"), "uzn", Some("uzn_Latn")),
    Venetian => ("Venetian", None, "vec", Some("vec_Latn")),
    Vietnamese => ("Vietnamese", Some("vi"), "vie", Some("vie_Latn")),
    Waray => ("Waray", None, "war", Some("war_Latn")),
    Wolof => ("Wolof", Some("wo"), "wol", Some("wol_Latn")),
    Xhosa => ("Xhosa", Some("xh"), "xho", Some("xho_Latn")),
    EasternYiddish => ("Eastern Yiddish", None, "ydd", Some("ydd_Hebr")),
    Yoruba => ("Yoruba", Some("yo"), "yor", Some("yor_Latn")),
    YueChinese => ("Yue Chinese", None, "yue", Some("yue_Hant")),
    Chinese => ("Chinese", Some("zh"), "zho", Some("zho_Hans")),
    Zulu => ("Zulu", Some("zu"), "zul", Some("zul_Latn")),
    WesternFrisian => ("Western Frisian", Some("fy"), "fry", None),
    Arabic => ("Arabic", Some("ar"), "ara", Some("arb_Arab")),
    Mongolian => ("Mongolian", Some("mn"), "mon", None),
    Yiddish => ("Yiddish", Some("yi"), "yid", None),
    Pashto => ("Pashto", Some("ps"), "pus", None),
    Farsi => ("Farsi", Some("fa"), "fas", None),
    Fulah => ("Fulah", Some("ff"), "ful", None),
    Uzbek => ("Uzbek", Some("uz"), "uzb", Some("uzn_Latn")),
    Malagasy => ("Malagasy", Some("mg"), "mlg", None),
    Albanian => ("Albanian", Some("sq"), "sqi", Some("als_Latn")),
    Breton => ("Breton", Some("br"), "bre", None),
    Malay => ("Malay", Some("zsm_Latn"), "msa", Some("zsm_Latn")),
    Oriya => ("Oriya", Some("or"), "ori", Some("ory_Orya")),
    NorthernSotho => ("Northern Sotho", Some("nso"), "nso", Some("nso_Latn")),
    Luganda => ("Luganda", Some("lg"), "lug", Some("lug_Latn")),
    Azerbaijani => ("Azerbaijani", Some("az"), "aze", None),
    ChineseMandarin => ("Chinese Mandarin", None, "cmn", None),
    HaitianCreole => ("Haitian Creole", Some("ht"), "hat", Some("hat_Latn")),
    CentralKhmer => ("Central Khmer", Some("km"), "khm", Some("khm_Khmr")),
}

/// The English name (rust-bert's: the variant's words, `Chinese Mandarin`).
impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
