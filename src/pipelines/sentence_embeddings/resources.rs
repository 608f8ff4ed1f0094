//! Hub files of the sentence-transformers checkpoints rust-bert lists, as `(cache subdirectory,
//! URL)` pairs. The transformer weights, configurations and vocabularies are the model modules'
//! constants (`BertModelResources::ALL_MINI_LM_L6_V2`, ...); these are the sentence-transformers
//! files around them.

/// The pretrained sentence-embeddings models of [`SentenceEmbeddingsBuilder::remote`](
/// super::SentenceEmbeddingsBuilder::remote).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SentenceEmbeddingsModelType {
    /// sentence-transformers/distiluse-base-multilingual-cased (DistilBERT, mean pooling, Dense
    /// 768 -> 512 with tanh).
    DistiluseBaseMultilingualCased,
    /// sentence-transformers/bert-base-nli-mean-tokens (BERT base, mean pooling).
    BertBaseNliMeanTokens,
    /// sentence-transformers/all-MiniLM-L12-v2 (MiniLM 12 layers, mean pooling, normalized).
    AllMiniLmL12V2,
    /// sentence-transformers/all-MiniLM-L6-v2 (MiniLM 6 layers, mean pooling, normalized).
    AllMiniLmL6V2,
    /// sentence-transformers/all-distilroberta-v1 (DistilRoBERTa, mean pooling, normalized).
    AllDistilrobertaV1,
    /// sentence-transformers/paraphrase-albert-small-v2 (ALBERT, mean pooling).
    ParaphraseAlbertSmallV2,
    /// sentence-transformers/sentence-t5-base (T5 encoder, mean pooling, Dense, Normalize).
    SentenceT5Base,
}

/// `modules.json` files (the module list).
pub struct SentenceEmbeddingsModulesConfigResources;
/// `2_Dense/rust_model.ot` weight files of the models with a Dense module.
pub struct SentenceEmbeddingsDenseResources;
/// `2_Dense/config.json` files of the models with a Dense module.
pub struct SentenceEmbeddingsDenseConfigResources;
/// `1_Pooling/config.json` files.
pub struct SentenceEmbeddingsPoolingConfigResources;
/// `sentence_bert_config.json` files (maximum sequence length, lower-casing).
pub struct SentenceEmbeddingsConfigResources;
/// `tokenizer_config.json` files.
pub struct SentenceEmbeddingsTokenizerConfigResources;

/// Declares one constant per model for a file of the sentence-transformers repositories.
macro_rules! hub_files {
    (
        $target:ident, $suffix:literal, $file:literal,
        [$($(#[$doc:meta])* $name:ident = $dir:literal, $repo:literal;)*]
    ) => {
        impl $target {
            $(
                $(#[$doc])*
                pub const $name: (&'static str, &'static str) = (
                    concat!($dir, "/", $suffix),
                    concat!("https://huggingface.co/sentence-transformers/", $repo, "/resolve/main/", $file),
                );
            )*
        }
    };
}

/// The same list of models for every file that each of them has.
macro_rules! every_model {
    ($target:ident, $suffix:literal, $file:literal) => {
        hub_files!($target, $suffix, $file, [
            /// distiluse-base-multilingual-cased.
            DISTILUSE_BASE_MULTILINGUAL_CASED = "distiluse-base-multilingual-cased", "distiluse-base-multilingual-cased";
            /// bert-base-nli-mean-tokens.
            BERT_BASE_NLI_MEAN_TOKENS = "bert-base-nli-mean-tokens", "bert-base-nli-mean-tokens";
            /// all-MiniLM-L12-v2.
            ALL_MINI_LM_L12_V2 = "all-mini-lm-l12-v2", "all-MiniLM-L12-v2";
            /// all-MiniLM-L6-v2.
            ALL_MINI_LM_L6_V2 = "all-mini-lm-l6-v2", "all-MiniLM-L6-v2";
            /// all-distilroberta-v1.
            ALL_DISTILROBERTA_V1 = "all-distilroberta-v1", "all-distilroberta-v1";
            /// paraphrase-albert-small-v2.
            PARAPHRASE_ALBERT_SMALL_V2 = "paraphrase-albert-small-v2", "paraphrase-albert-small-v2";
            /// sentence-t5-base.
            SENTENCE_T5_BASE = "sentence-t5-base", "sentence-t5-base";
        ]);
    };
}

every_model!(
    SentenceEmbeddingsModulesConfigResources,
    "sbert-config",
    "modules.json"
);
every_model!(
    SentenceEmbeddingsPoolingConfigResources,
    "sbert-pooling-config",
    "1_Pooling/config.json"
);
every_model!(
    SentenceEmbeddingsConfigResources,
    "sbert-config",
    "sentence_bert_config.json"
);
every_model!(
    SentenceEmbeddingsTokenizerConfigResources,
    "tokenizer-config",
    "tokenizer_config.json"
);

hub_files!(SentenceEmbeddingsDenseResources, "sbert-dense", "2_Dense/rust_model.ot", [
    /// distiluse-base-multilingual-cased.
    DISTILUSE_BASE_MULTILINGUAL_CASED = "distiluse-base-multilingual-cased", "distiluse-base-multilingual-cased";
    /// sentence-t5-base.
    SENTENCE_T5_BASE = "sentence-t5-base", "sentence-t5-base";
]);
hub_files!(SentenceEmbeddingsDenseConfigResources, "sbert-dense-config", "2_Dense/config.json", [
    /// distiluse-base-multilingual-cased.
    DISTILUSE_BASE_MULTILINGUAL_CASED = "distiluse-base-multilingual-cased", "distiluse-base-multilingual-cased";
    /// sentence-t5-base.
    SENTENCE_T5_BASE = "sentence-t5-base", "sentence-t5-base";
]);

/// sentence-t5-base's transformer files (rust-bert keeps them with its T5 model).
#[cfg(feature = "remote")]
pub(crate) struct SentenceT5Resources;

#[cfg(feature = "remote")]
hub_files!(SentenceT5Resources, "model", "rust_model.ot", [
    /// Weights.
    MODEL = "sentence-t5-base", "sentence-t5-base";
]);
#[cfg(feature = "remote")]
hub_files!(SentenceT5Resources, "config", "config.json", [
    /// Configuration.
    CONFIG = "sentence-t5-base", "sentence-t5-base";
]);
#[cfg(feature = "remote")]
hub_files!(SentenceT5Resources, "spiece", "spiece.model", [
    /// SentencePiece model.
    VOCAB = "sentence-t5-base", "sentence-t5-base";
]);
