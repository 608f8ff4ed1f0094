//! One module per architecture (also re-exported at the crate root).
pub mod albert;
pub mod bart;
pub mod bert;
pub mod distilbert;
pub mod electra;
pub mod fnet;
pub mod gpt2;
pub mod longformer;
pub mod marian;
pub mod mobilebert;
pub mod mpnet;
pub mod openai_gpt;
pub mod roberta;
pub mod t5;
pub mod xlm_roberta;
pub mod xlnet;
