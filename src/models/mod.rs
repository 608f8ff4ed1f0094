//! One module per architecture (also re-exported at the crate root).
pub mod albert;
pub mod bart;
pub mod bert;
pub mod deberta;
pub mod deberta_v2;
pub mod distilbert;
pub mod electra;
pub mod gpt2;
pub mod marian;
pub mod openai_gpt;
pub mod roberta;
pub mod t5;
pub mod xlm_roberta;
pub mod xlnet;
