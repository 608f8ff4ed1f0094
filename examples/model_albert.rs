//! ALBERT (and RoBERTa) at the model level: masked-language heads filling a mask token, the
//! mask found through the tokenizer. Offline, on the tiny random models of the test fixtures
//! (predictions are random but reproducible).
//!
//! ```sh
//! cargo run --example model_albert
//! ```
use rust_bert::albert::{AlbertConfig, AlbertForMaskedLM};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::roberta::{RobertaConfig, RobertaForMaskedLM};
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind, Tensor};

/// The five likeliest tokens at the mask of `text`.
fn print_top(tokenizer: &TokenizerOption, text: &str, ids: &[i64], scores: &Tensor) {
    let mask = tokenizer.get_mask_id().unwrap_or(-1);
    let position = ids.iter().position(|&id| id == mask).unwrap_or(0) as i64;
    let probabilities = scores.get(0).get(position).softmax(-1, Kind::Float);
    let (top, top_ids) = probabilities.topk(5, -1, true, true);
    println!("{text}");
    for k in 0..5 {
        let id = top_ids.int64_value(&[k]);
        let token = tokenizer.decode(&[id], true, true);
        println!("  {:.4} {token:?}", top.double_value(&[k]));
    }
}

fn main() -> Result<(), RustBertError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let fill_mask = root.join("pipeline_embeddings/fill_mask");
    let device = Device::cuda_if_available();

    // ALBERT with its SentencePiece vocabulary.
    let tokenizer = TokenizerOption::from_file(
        ModelType::Albert,
        &root.join("tokenizers/spm/albert.model").to_string_lossy(),
        None,
        true,
        None,
        None,
    )?;
    let config = AlbertConfig::try_from_file(fill_mask.join("albert/config.json"))?;
    let vs = VarStore::new(device);
    let model = AlbertForMaskedLM::new(vs.root(), &config);
    load_weights_from_file(&vs, fill_mask.join("albert/model.safetensors"))?;
    let text = "The capital of France is [MASK].";
    let encoded = tokenizer.encode_list(&[text], 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let output = tch::no_grad(|| {
        model.try_forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            Some(&batch.token_type_ids),
            None,
            None,
            false,
        )
    })?;
    print_top(
        &tokenizer,
        text,
        &encoded[0].token_ids,
        &output.prediction_scores,
    );

    // RoBERTa with its byte-level BPE.
    let bpe = root.join("pipeline_embeddings/bpe");
    let tokenizer = TokenizerOption::from_file(
        ModelType::Roberta,
        &bpe.join("vocab.json").to_string_lossy(),
        Some(&bpe.join("merges.txt").to_string_lossy()),
        false,
        None,
        None,
    )?;
    let config = RobertaConfig::try_from_file(fill_mask.join("roberta/config.json"))?;
    let vs = VarStore::new(device);
    let model = RobertaForMaskedLM::new(vs.root(), &config);
    load_weights_from_file(&vs, fill_mask.join("roberta/model.safetensors"))?;
    let text = "The capital of France is <mask>.";
    let encoded = tokenizer.encode_list(&[text], 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let output = tch::no_grad(|| {
        model.try_forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            None,
            None,
            None,
            None,
            None,
            false,
        )
    })?;
    print_top(
        &tokenizer,
        text,
        &encoded[0].token_ids,
        &output.prediction_scores,
    );
    Ok(())
}
