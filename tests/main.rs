//! Integration tests, in one binary because each test binary links LibTorch (slow to link).
mod activations;
mod albert;
mod bert;
mod config;
mod distilbert;
mod gpt2;
mod minilm;
mod pipeline_classification;
mod pipeline_embeddings;
mod pipeline_qa;
mod pipeline_tokens;
mod pipelines_common;
mod resources;
mod roberta;
mod tokenizers;
mod util;
mod weights;
