//! XLNet at the model level: a sequence classifier on a left-padded batch (XLNet's tokenizer
//! pads on the left and summarises the final `<cls>`), and the language-model head predicting
//! a token through the query stream (`perm_mask` + `target_mapping`). Offline, on the tiny
//! random models of the test fixtures (outputs are random but reproducible).
//!
//! ```sh
//! cargo run --example model_xlnet
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::xlnet::{XLNetConfig, XLNetForSequenceClassification, XLNetLMHeadModel};
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xlnet");
    let tokenizer = TokenizerOption::from_file(
        ModelType::XLNet,
        &dir.join("spiece.model").to_string_lossy(),
        None,
        false,
        None,
        None,
    )?;
    let device = Device::cuda_if_available();

    // Classification of a padded batch.
    let config = XLNetConfig::try_from_file(dir.join("sequence_classification/config.json"))?;
    let vs = VarStore::new(device);
    let classifier = XLNetForSequenceClassification::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("sequence_classification/model.safetensors"))?;
    let texts = ["The cat sits on the mat.", "May the Force be with you."];
    let encoded = tokenizer.encode_list(&texts, 128, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    let output = tch::no_grad(|| {
        classifier.try_forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            None,
            None,
            None,
            Some(&batch.token_type_ids),
            None,
            false,
        )
    })?;
    let probabilities = output
        .logits
        .softmax(-1, Kind::Float)
        .to_device(Device::Cpu);
    let labels = config.id2label.clone().unwrap_or_default();
    for (row, text) in texts.iter().enumerate() {
        let best = probabilities
            .get(row as i64)
            .argmax(0, false)
            .int64_value(&[]);
        let label = labels.get(&best).map_or("?", String::as_str);
        println!(
            "{label:>9} {:.4}  {text:?}",
            probabilities.double_value(&[row as i64, best])
        );
    }

    // The LM head: predict the last position without letting anything see it.
    let config = XLNetConfig::try_from_file(dir.join("lm/config.json"))?;
    let vs = VarStore::new(device);
    let lm = XLNetLMHeadModel::new(vs.root(), &config);
    load_weights_from_file(&vs, dir.join("lm/model.safetensors"))?;
    let prompt = "All that glitters is not";
    let mut ids = tokenizer.convert_tokens_to_ids(&tokenizer.tokenize(prompt));
    ids.push(0); // the position to predict (its content is hidden)
    let n = ids.len() as i64;
    let input = Tensor::from_slice(&ids).unsqueeze(0).to(device);
    let perm_mask = Tensor::zeros([1, n, n], (Kind::Float, device));
    let _ = perm_mask.narrow(2, n - 1, 1).fill_(1.0);
    let target_mapping = Tensor::zeros([1, 1, n], (Kind::Float, device));
    let _ = target_mapping.narrow(2, n - 1, 1).fill_(1.0);
    let output = tch::no_grad(|| {
        lm.forward_t(
            Some(&input),
            None,
            None,
            Some(&perm_mask),
            Some(&target_mapping),
            None,
            None,
            false,
        )
    })?;
    let next = output
        .lm_logits
        .get(0)
        .get(0)
        .argmax(0, false)
        .int64_value(&[]);
    println!(
        "{prompt:?} -> next piece {:?}",
        tokenizer.decode(&[next], false, false)
    );
    Ok(())
}
