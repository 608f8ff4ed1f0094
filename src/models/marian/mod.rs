//! # Marian (Junczys-Dowmunt et al., 2018)
//!
//! The translation models of the Helsinki-NLP OPUS-MT project, on BART's encoder-decoder
//! stack with Marian's switches: fixed sinusoidal positions, token embeddings scaled by
//! `sqrt(d_model)`, no layer norm after the embeddings, swish activations. The pad token is
//! never generated (HF's `bad_words_ids = [[pad]]` in every OPUS-MT generation config).
//! Tokenization uses the source SentencePiece model and the joint `vocab.json`.
mod marian_model;

pub(crate) use marian_model::MARIAN_PRESETS;
pub use marian_model::{
    MarianConfig, MarianConfigResources, MarianForConditionalGeneration, MarianGenerator,
    MarianModelResources, MarianSourceLanguages, MarianSpmResources, MarianTargetLanguages,
    MarianVocabResources,
};
