//! Languages of the translation models, with their ISO 639 codes. They live below the models,
//! which name the languages of their presets (`marian::MarianSourceLanguages`); rust-bert's path
//! `pipelines::translation::Language` re-exports them.
use std::fmt;

macro_rules! languages {
    ($($(#[$doc:meta])* $name:ident => ($display:literal, $iso1:expr, $iso3:literal),)*) => {
        /// A language a translation model can read or write.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Language {
            $($(#[$doc])* #[doc = $display] $name,)*
        }

        impl Language {
            /// Every language of the enum.
            pub const ALL: &'static [Language] = &[$(Language::$name,)*];

            /// The ISO 639-1 (two-letter) code, for the languages that have one.
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

            /// The language's English name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Language::$name => $display,)*
                }
            }

            /// The language with this ISO 639-1 or 639-3 code, if any.
            pub fn from_code(code: &str) -> Option<Language> {
                Self::ALL.iter().copied().find(|language| {
                    language.get_iso_639_3_code() == code
                        || language.get_iso_639_1_code() == Some(code)
                })
            }
        }
    };
}

languages! {
    Afrikaans => ("Afrikaans", Some("af"), "afr"),
    Albanian => ("Albanian", Some("sq"), "sqi"),
    Arabic => ("Arabic", Some("ar"), "ara"),
    Armenian => ("Armenian", Some("hy"), "hye"),
    Basque => ("Basque", Some("eu"), "eus"),
    Belarusian => ("Belarusian", Some("be"), "bel"),
    Bengali => ("Bengali", Some("bn"), "ben"),
    Bulgarian => ("Bulgarian", Some("bg"), "bul"),
    Catalan => ("Catalan", Some("ca"), "cat"),
    ChineseMandarin => ("Chinese (Mandarin)", Some("zh"), "cmn"),
    Croatian => ("Croatian", Some("hr"), "hrv"),
    Czech => ("Czech", Some("cs"), "ces"),
    Danish => ("Danish", Some("da"), "dan"),
    Dutch => ("Dutch", Some("nl"), "nld"),
    English => ("English", Some("en"), "eng"),
    Estonian => ("Estonian", Some("et"), "est"),
    Finnish => ("Finnish", Some("fi"), "fin"),
    French => ("French", Some("fr"), "fra"),
    Galician => ("Galician", Some("gl"), "glg"),
    Georgian => ("Georgian", Some("ka"), "kat"),
    German => ("German", Some("de"), "deu"),
    Greek => ("Greek", Some("el"), "ell"),
    Hebrew => ("Hebrew", Some("he"), "heb"),
    Hindi => ("Hindi", Some("hi"), "hin"),
    Hungarian => ("Hungarian", Some("hu"), "hun"),
    Icelandic => ("Icelandic", Some("is"), "isl"),
    Indonesian => ("Indonesian", Some("id"), "ind"),
    Irish => ("Irish", Some("ga"), "gle"),
    Italian => ("Italian", Some("it"), "ita"),
    Japanese => ("Japanese", Some("ja"), "jpn"),
    Korean => ("Korean", Some("ko"), "kor"),
    Latvian => ("Latvian", Some("lv"), "lav"),
    Lithuanian => ("Lithuanian", Some("lt"), "lit"),
    Macedonian => ("Macedonian", Some("mk"), "mkd"),
    Malay => ("Malay", Some("ms"), "msa"),
    Norwegian => ("Norwegian", Some("no"), "nor"),
    Persian => ("Persian", Some("fa"), "fas"),
    Polish => ("Polish", Some("pl"), "pol"),
    Portuguese => ("Portuguese", Some("pt"), "por"),
    Romanian => ("Romanian", Some("ro"), "ron"),
    Russian => ("Russian", Some("ru"), "rus"),
    Serbian => ("Serbian", Some("sr"), "srp"),
    Slovak => ("Slovak", Some("sk"), "slk"),
    Slovenian => ("Slovenian", Some("sl"), "slv"),
    Spanish => ("Spanish", Some("es"), "spa"),
    Swahili => ("Swahili", Some("sw"), "swa"),
    Swedish => ("Swedish", Some("sv"), "swe"),
    Tagalog => ("Tagalog", Some("tl"), "tgl"),
    Tamil => ("Tamil", Some("ta"), "tam"),
    Thai => ("Thai", Some("th"), "tha"),
    Turkish => ("Turkish", Some("tr"), "tur"),
    Ukrainian => ("Ukrainian", Some("uk"), "ukr"),
    Urdu => ("Urdu", Some("ur"), "urd"),
    Vietnamese => ("Vietnamese", Some("vi"), "vie"),
    Welsh => ("Welsh", Some("cy"), "cym"),
    Yiddish => ("Yiddish", Some("yi"), "yid"),
    Zulu => ("Zulu", Some("zu"), "zul"),
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
