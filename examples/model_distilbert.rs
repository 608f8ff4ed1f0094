//! DistilBERT at the model level: the
//! `DistilBertModelMaskedLM` head filling a `[MASK]`. Offline, on the tiny random models of the
//! test fixtures (predictions are random but reproducible).
//!
//! ```sh
//! cargo run --example model_distilbert
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::distilbert::{DistilBertConfig, DistilBertModelMaskedLM};
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_embeddings");
    let model_dir = dir.join("fill_mask/distilbert");
    let config = DistilBertConfig::try_from_file(model_dir.join("config.json"))?;
    let tokenizer = TokenizerOption::from_file(
        ModelType::DistilBert,
        &dir.join("vocab.txt").to_string_lossy(),
        None,
        true,
        None,
        None,
    )?;
    let vs = VarStore::new(Device::cuda_if_available());
    let model = DistilBertModelMaskedLM::new(vs.root(), &config);
    load_weights_from_file(&vs, model_dir.join("model.safetensors"))?;

    let text = "The capital of France is [MASK].";
    let encoded = tokenizer.encode_list(&[text], 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), vs.device());
    let output = tch::no_grad(|| {
        model.forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            None,
            false,
        )
    })?;
    let mask_id = tokenizer.get_mask_id().unwrap_or(103);
    let position = encoded[0]
        .token_ids
        .iter()
        .position(|&id| id == mask_id)
        .unwrap_or(0) as i64;
    let scores = output
        .prediction_scores
        .get(0)
        .get(position)
        .softmax(-1, Kind::Float);
    let (top, ids) = scores.topk(5, -1, true, true);
    println!("{text}");
    for k in 0..5 {
        let id = ids.int64_value(&[k]);
        println!(
            "  {:.4} {}",
            top.double_value(&[k]),
            tokenizer.decode(&[id], true, true)
        );
    }
    Ok(())
}
