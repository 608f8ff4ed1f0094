//! MobileBERT at the model level (no pipeline): a masked language model (`MobileBertForMaskedLM`)
//! fills masked tokens, then a sequence classifier (`MobileBertForSequenceClassification`)
//! scores two texts. Both read BERT's WordPiece vocabulary. Offline, on the tiny random models of
//! the test fixtures (NoNorm, trigram input, bottlenecks, 3 feed-forward networks per layer;
//! their predictions are random but reproducible); a hub checkpoint such as
//! google/mobilebert-uncased loads the same way (`model.safetensors`, `pytorch_model.bin` or
//! rust-bert's `rust_model.ot`).
//!
//! Texts run one at a time: MobileBERT's trigram input shows each token its neighbours, so in a
//! padded batch the last token of a short text would see padding (HF's pipelines run texts one
//! by one too; this crate's pipelines cut each batch's padding off instead).
//!
//! ```sh
//! cargo run --example model_mobilebert
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::mobilebert::{
    MobileBertConfig, MobileBertForMaskedLM, MobileBertForSequenceClassification,
};
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mobilebert/pipelines");
    let vocab = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pipeline_classification/vocab.txt");
    let device = Device::cuda_if_available();
    let tokenizer = TokenizerOption::from_file(
        ModelType::MobileBert,
        &vocab.to_string_lossy(),
        None,
        true,
        None,
        None,
    )?;
    let encode = |text: &str| {
        let input = tokenizer.encode_list(
            &[text],
            64,
            &rust_tokenizers::tokenizer::TruncationStrategy::LongestFirst,
            0,
        );
        let ids = input[0].token_ids.clone();
        let tensor = Tensor::from_slice(&ids).unsqueeze(0).to_device(device);
        (ids, tensor)
    };

    // The masked language model: the most likely token behind each [MASK].
    let config = MobileBertConfig::try_from_file(dir.join("fill_mask/config.json"))?;
    let vs = VarStore::new(device);
    let masked_lm = MobileBertForMaskedLM::try_new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("fill_mask/model.safetensors"))?;
    let mask_id = tokenizer.get_mask_id().unwrap_or(4);
    for text in [
        "the movie was [MASK] .",
        "the food was cold and the [MASK] was slow .",
    ] {
        let (mut ids, input) = encode(text);
        let logits =
            tch::no_grad(|| masked_lm.forward_t(Some(&input), None, None, None, None, false))?
                .logits
                .to_device(Device::Cpu);
        for (i, id) in ids.iter_mut().enumerate() {
            if *id == mask_id {
                *id = logits
                    .get(0)
                    .get(i as i64)
                    .argmax(0, false)
                    .int64_value(&[]);
            }
        }
        println!("{text:?} -> {:?}", tokenizer.decode(&ids, true, true));
    }

    // The sequence classifier: the class probabilities of each text.
    let config = MobileBertConfig::try_from_file(dir.join("classifier/config.json"))?;
    let vs = VarStore::new(device);
    let classifier = MobileBertForSequenceClassification::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("classifier/model.safetensors"))?;
    let labels = config.id2label.clone().unwrap_or_default();
    for text in [
        "I love this movie!",
        "The service was slow and the food was cold.",
    ] {
        let (_, input) = encode(text);
        let probabilities =
            tch::no_grad(|| classifier.forward_t(Some(&input), None, None, None, None, false))?
                .logits
                .softmax(-1, Kind::Float)
                .to_device(Device::Cpu);
        let best = probabilities.get(0).argmax(0, false).int64_value(&[]);
        let p = probabilities.double_value(&[0, best]);
        let label = labels.get(&best).map_or("?", String::as_str);
        println!("{label:>10} {p:.4}  {text:?}");
    }
    Ok(())
}
