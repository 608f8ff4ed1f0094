//! FNet at the model level (no pipeline): a sequence classifier (`FNetForSequenceClassification`)
//! scores texts, then the base model (`FNetModel`) gives hidden states and the pooled vector. FNet
//! mixes tokens with a Fourier transform instead of attention: it takes no attention mask, so
//! texts run one at a time (padding would change the result). The tokenizer is SentencePiece
//! (`spiece.model`, a BPE model as google/fnet-base's). Offline, on the tiny random models of the
//! test fixtures (their outputs are random but reproducible); a hub checkpoint such as
//! gchhablani/fnet-base-finetuned-sst2 loads the same way.
//!
//! ```sh
//! cargo run --example model_fnet
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::fnet::{FNetConfig, FNetForSequenceClassification, FNetModel};
use rust_bert::pipelines::common::{ModelType, TokenizerOption};
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn main() -> Result<(), RustBertError> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let device = Device::cuda_if_available();
    let spm = fixtures.join("tokenizers/spm/fnet.model");
    // google/fnet-base keeps case and accents.
    let tokenizer = TokenizerOption::from_file(
        ModelType::FNet,
        &spm.to_string_lossy(),
        None,
        false,
        Some(false),
        None,
    )?;
    let texts = [
        "I love this movie, it was great!",
        "The food was cold and the service was slow.",
    ];

    let dir = fixtures.join("fnet/pipelines/classifier");
    let config = FNetConfig::try_from_file(dir.join("config.json"))?;
    let vs = VarStore::new(device);
    let classifier = FNetForSequenceClassification::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;
    let labels = config.id2label.clone().unwrap_or_default();
    for text in texts {
        let encoded = tokenizer.encode_list(&[text], 64, &TruncationStrategy::LongestFirst, 0);
        let input = Tensor::from_slice(&encoded[0].token_ids)
            .unsqueeze(0)
            .to_device(device);
        let probabilities =
            tch::no_grad(|| classifier.forward_t(Some(&input), None, None, None, false))?
                .logits
                .softmax(-1, Kind::Float)
                .to_device(Device::Cpu);
        let best = probabilities.get(0).argmax(0, false).int64_value(&[]);
        let p = probabilities.double_value(&[0, best]);
        let label = labels.get(&best).map_or("?", String::as_str);
        println!("{label:>10} {p:.4}  {text:?}");
    }

    // The base model (its fixture has a 100-token vocabulary: made-up ids).
    let dir = fixtures.join("fnet/base");
    let mut config = FNetConfig::try_from_file(dir.join("config.json"))?;
    config.output_hidden_states = Some(true);
    let vs = VarStore::new(device);
    let model = FNetModel::try_new(vs.root(), &config, true)?;
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;
    let input = Tensor::from_slice(&[2i64, 17, 42, 5, 3])
        .unsqueeze(0)
        .to_device(device);
    let output = tch::no_grad(|| model.forward_t(Some(&input), None, None, None, false))?;
    println!(
        "hidden states {:?}, {} layers' outputs, pooled {:?}",
        output.hidden_states.size(),
        output.all_hidden_states.map_or(0, |all| all.len()),
        output.pooled_output.map(|p| p.size())
    );
    Ok(())
}
