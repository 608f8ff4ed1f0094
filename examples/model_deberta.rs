//! DeBERTa at the model level (no pipeline): a DeBERTa-v3-style NLI classifier
//! (`DebertaV2ForSequenceClassification`) scores premise / hypothesis pairs, a DeBERTa-v3
//! masked LM (`DebertaV2ForMaskedLM`) fills a mask, and a DeBERTa (v1) NLI classifier
//! (`DebertaForSequenceClassification`) scores the same pairs with its byte-level BPE. Offline,
//! on the tiny random models of the test fixtures (their predictions are random but
//! reproducible); hub checkpoints such as microsoft/deberta-v3-base or
//! microsoft/deberta-base-mnli load the same way (`model.safetensors`, `pytorch_model.bin` or
//! rust-bert's `rust_model.ot`).
//!
//! ```sh
//! cargo run --example model_deberta
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::deberta::{DebertaConfig, DebertaForSequenceClassification};
use rust_bert::deberta_v2::{
    DebertaV2Config, DebertaV2ForMaskedLM, DebertaV2ForSequenceClassification,
};
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind};

const PAIRS: [(&str, &str); 2] = [
    ("A man is eating food.", "Someone is having a meal."),
    (
        "The quick brown fox jumps over the lazy dog.",
        "The dog is asleep.",
    ),
];

/// Prints each pair's label distribution from `[pairs, labels]` logits.
fn print_labels(logits: &tch::Tensor, labels: &[String]) -> Result<(), RustBertError> {
    let probabilities = Vec::<Vec<f32>>::try_from(logits.softmax(-1, Kind::Float))?;
    for ((premise, hypothesis), row) in PAIRS.iter().zip(probabilities) {
        let scores: Vec<String> = labels
            .iter()
            .zip(row)
            .map(|(label, p)| format!("{label} {p:.3}"))
            .collect();
        println!("  {premise:?} / {hypothesis:?}: {}", scores.join(", "));
    }
    Ok(())
}

/// The labels of a configuration's `id2label`, in id order.
fn labels(id2label: &Option<std::collections::HashMap<i64, String>>) -> Vec<String> {
    let mut labels: Vec<(i64, String)> = id2label.clone().unwrap_or_default().into_iter().collect();
    labels.sort();
    labels.into_iter().map(|(_, l)| l).collect()
}

fn main() -> Result<(), RustBertError> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = fixtures.join("pipeline_deberta");
    let device = Device::cuda_if_available();

    // DeBERTa-v3: SentencePiece tokenizer, pairs as [CLS] premise [SEP] hypothesis [SEP].
    let spm = fixtures.join("tokenizers/spm/deberta_v2.model");
    let tokenizer = TokenizerOption::from_file(
        ModelType::DebertaV2,
        &spm.to_string_lossy(),
        None,
        false,
        None,
        None,
    )?;
    let config = DebertaV2Config::try_from_file(dir.join("v3/nli/config.json"))?;
    let vs = VarStore::new(device);
    let nli = DebertaV2ForSequenceClassification::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("v3/nli/model.safetensors"))?;
    let encoded = tokenizer.encode_pair_list(&PAIRS, 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let output = tch::no_grad(|| {
        nli.forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            Some(&batch.token_type_ids),
            None,
            None,
            false,
        )
    })?;
    println!("DeBERTa-v3 NLI:");
    print_labels(&output.logits, &labels(&config.id2label))?;

    // DeBERTa-v3 masked LM: the most likely pieces behind [MASK].
    let config = DebertaV2Config::try_from_file(dir.join("v3/mlm/config.json"))?;
    let vs = VarStore::new(device);
    let mlm = DebertaV2ForMaskedLM::try_new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("v3/mlm/model.safetensors"))?;
    let text = "The quick brown [MASK] jumps.";
    let encoded = tokenizer.encode_list(&[text], 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let mask_id = tokenizer.get_mask_id().unwrap_or(4);
    let position = encoded[0]
        .token_ids
        .iter()
        .position(|&id| id == mask_id)
        .unwrap_or(0) as i64;
    let output = tch::no_grad(|| {
        mlm.forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            None,
            None,
            None,
            false,
        )
    })?;
    let (_, top) = output.logits.get(0).get(position).topk(3, -1, true, true);
    let top = Vec::<i64>::try_from(top.to_device(Device::Cpu))?;
    let pieces: Vec<String> = top
        .iter()
        .map(|&id| tokenizer.decode(&[id], false, false))
        .collect();
    println!("DeBERTa-v3 fill-mask {text:?}: {pieces:?}");

    // DeBERTa (v1): byte-level BPE, deberta-base-mnli's labels.
    let tokenizer = TokenizerOption::from_file(
        ModelType::Deberta,
        &dir.join("bpe_vocab.json").to_string_lossy(),
        Some(
            &fixtures
                .join("pipeline_classification/bpe/merges.txt")
                .to_string_lossy(),
        ),
        false,
        None,
        None,
    )?;
    let config = DebertaConfig::try_from_file(dir.join("v1/nli/config.json"))?;
    let vs = VarStore::new(device);
    let nli = DebertaForSequenceClassification::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("v1/nli/model.safetensors"))?;
    let encoded = tokenizer.encode_pair_list(&PAIRS, 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let output = tch::no_grad(|| {
        nli.forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            None,
            None,
            None,
            false,
        )
    })?;
    println!("DeBERTa NLI:");
    print_labels(&output.logits, &labels(&config.id2label))
}
