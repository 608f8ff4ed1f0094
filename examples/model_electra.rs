//! ELECTRA at the model level (no pipeline): the generator (`ElectraForMaskedLM`) fills masked
//! tokens, then a sequence classifier (`ElectraForSequenceClassification`) scores two texts.
//! Both read BERT's WordPiece vocabulary. Offline, on the tiny random models of the test
//! fixtures (their predictions are random but reproducible); a hub checkpoint such as
//! google/electra-base-generator loads the same way (`model.safetensors`, `pytorch_model.bin`
//! or rust-bert's `rust_model.ot`).
//!
//! ```sh
//! cargo run --example model_electra
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::electra::{ElectraConfig, ElectraForMaskedLM, ElectraForSequenceClassification};
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::{Path, PathBuf};
use tch::{nn::VarStore, Device, Kind, Tensor};

fn tokenizer(vocab: &Path) -> Result<TokenizerOption, RustBertError> {
    TokenizerOption::from_file(
        ModelType::Electra,
        &vocab.to_string_lossy(),
        None,
        true,
        None,
        None,
    )
}

fn main() -> Result<(), RustBertError> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let device = Device::cuda_if_available();

    // The generator: the most likely token behind each [MASK].
    let dir = fixtures.join("pipeline_embeddings");
    let tokenizer = tokenizer(&dir.join("vocab.txt"))?;
    let config = ElectraConfig::try_from_file(dir.join("fill_mask/electra/config.json"))?;
    let vs = VarStore::new(device);
    let generator = ElectraForMaskedLM::try_new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("fill_mask/electra/model.safetensors"))?;

    let texts = [
        "the cat sat on the [MASK] .",
        "paris is the [MASK] of france .",
    ];
    let encoded = tokenizer.encode_list(&texts, 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let output = tch::no_grad(|| {
        generator.try_forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            Some(&batch.token_type_ids),
            None,
            None,
            false,
        )
    })?;
    let predicted = output
        .prediction_scores
        .argmax(-1, false)
        .to_device(Device::Cpu);
    let mask_id = tokenizer.get_mask_id().unwrap_or(4);
    for (row, input) in encoded.iter().enumerate() {
        let filled: Vec<i64> = input
            .token_ids
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                if id == mask_id {
                    predicted.int64_value(&[row as i64, i as i64])
                } else {
                    id
                }
            })
            .collect();
        println!(
            "{:?} -> {:?}",
            texts[row],
            tokenizer.decode(&filled, true, true)
        );
    }

    // A sequence classifier: class probabilities of each text.
    let dir = fixtures.join("pipeline_classification");
    let tokenizer = self::tokenizer(&dir.join("vocab.txt"))?;
    let config = ElectraConfig::try_from_file(dir.join("electra/config.json"))?;
    let vs = VarStore::new(device);
    let classifier = ElectraForSequenceClassification::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("electra/model.safetensors"))?;
    let texts = [
        "I love this movie!",
        "The service was slow and the food was cold.",
    ];
    let encoded = tokenizer.encode_list(&texts, 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let logits: Tensor = tch::no_grad(|| {
        classifier.try_forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            Some(&batch.token_type_ids),
            None,
            None,
            false,
        )
    })?
    .logits;
    let probabilities = logits.softmax(-1, Kind::Float).to_device(Device::Cpu);
    let labels = config.id2label.unwrap_or_default();
    for (row, text) in texts.iter().enumerate() {
        let best = probabilities
            .get(row as i64)
            .argmax(0, false)
            .int64_value(&[]);
        let p = probabilities.double_value(&[row as i64, best]);
        let label = labels.get(&best).map_or("?", String::as_str);
        println!("{label:>10} {p:.4}  {text:?}");
    }
    Ok(())
}
