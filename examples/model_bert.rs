//! The BERT family at the model level (no pipeline): tokenize, pad a batch, run
//! `BertForSequenceClassification` and read class probabilities. RoBERTa and XLM-R are the
//! same code with `RobertaForSequenceClassification` (`BertModel<RobertaEmbeddings>`).
//! Offline, on the tiny random classifier of the test fixtures (its labels are random but
//! reproducible); a hub checkpoint loads the same way (`model.safetensors`,
//! `pytorch_model.bin` or rust-bert's `rust_model.ot`).
//!
//! ```sh
//! cargo run --example model_bert
//! ```
use rust_bert::bert::{BertConfig, BertForSequenceClassification};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind};

fn main() -> Result<(), RustBertError> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_classification");
    let config = BertConfig::try_from_file(dir.join("bert/config.json"))?;
    let vocab = dir.join("vocab.txt");
    let tokenizer = TokenizerOption::from_file(
        ModelType::Bert,
        &vocab.to_string_lossy(),
        None,
        true,
        None,
        None,
    )?;

    let vs = VarStore::new(Device::cuda_if_available());
    let model = BertForSequenceClassification::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("bert/model.safetensors"))?;

    let texts = [
        "I love this movie!",
        "The service was slow and the food was cold.",
    ];
    let encoded = tokenizer.encode_list(&texts, 128, &TruncationStrategy::LongestFirst, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), vs.device());
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
    let probabilities = output
        .logits
        .softmax(-1, Kind::Float)
        .to_device(Device::Cpu);
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
