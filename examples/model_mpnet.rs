//! MPNet at the model level (no pipeline): the masked LM (`MPNetForMaskedLM`) fills `<mask>`
//! tokens, then a sequence classifier (`MPNetForSequenceClassification`) scores two texts,
//! both through MPNet's tokenizer (WordPiece with `<s>`, `</s>`, `<pad>`, `<mask>`). Offline,
//! on the tiny random models of the test fixtures (their predictions are random but
//! reproducible); a hub checkpoint such as microsoft/mpnet-base or the real all-mpnet-base-v2
//! (installed by utils/setup.sh) loads the same way.
//!
//! ```sh
//! cargo run --example model_mpnet
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::mpnet::{MPNetConfig, MPNetForMaskedLM, MPNetForSequenceClassification};
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mpnet/pipelines");
    let device = Device::cuda_if_available();
    let tokenizer = TokenizerOption::from_file(
        ModelType::MPNet,
        &dir.join("vocab.txt").to_string_lossy(),
        None,
        true,
        None,
        None,
    )?;

    // The masked LM: the most likely token behind each <mask>.
    let config = MPNetConfig::try_from_file(dir.join("mlm/config.json"))?;
    let vs = VarStore::new(device);
    let mlm = MPNetForMaskedLM::try_new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("mlm/model.safetensors"))?;
    let texts = [
        "Paris is the <mask> of France.",
        "The weather today is <mask>.",
    ];
    let encoded = tokenizer.encode_list(&texts, 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let output = tch::no_grad(|| {
        mlm.try_forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            None,
            None,
            false,
        )
    })?;
    let predicted = output.prediction_scores.argmax(-1, false);
    let mask_id = tokenizer.get_mask_id().unwrap_or_default();
    for (row, (text, input)) in texts.iter().zip(&encoded).enumerate() {
        for (position, &id) in input.token_ids.iter().enumerate() {
            if id == mask_id {
                let best = predicted.int64_value(&[row as i64, position as i64]);
                println!(
                    "{text} -> <mask> = {:?}",
                    tokenizer.decode(&[best], true, true)
                );
            }
        }
    }

    // The classifier: a probability per label for each text (labels of its config.json).
    let config = MPNetConfig::try_from_file(dir.join("classifier/config.json"))?;
    let vs = VarStore::new(device);
    let classifier = MPNetForSequenceClassification::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("classifier/model.safetensors"))?;
    let texts = [
        "The movie was wonderful and the actors were great.",
        "I did not like the food at that restaurant.",
    ];
    let encoded = tokenizer.encode_list(&texts, 64, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let logits = tch::no_grad(|| {
        classifier.try_forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            None,
            None,
            false,
        )
    })?
    .logits;
    let probabilities = logits.softmax(-1, Kind::Float);
    let labels = config.id2label.unwrap_or_default();
    for (row, text) in texts.iter().enumerate() {
        let scores: Vec<String> = (0..probabilities.size()[1])
            .map(|label| {
                let name = labels.get(&label).map_or("?", String::as_str);
                let p = probabilities.double_value(&[row as i64, label]);
                format!("{name} {p:.3}")
            })
            .collect();
        println!("{text} -> {}", scores.join(", "));
    }
    Ok(())
}
