//! ProphetNet at the model level and as a summarizer, offline on the tiny random model of the
//! test fixtures with its own WordPiece vocabulary (its outputs are random but reproducible):
//! one forward pass showing the next-token logits and the further predict streams' logits, then
//! `SummarizationModel` with `ModelType::ProphetNet`.
//!
//! ```sh
//! cargo run --example model_prophetnet
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::prophetnet::{ProphetNetConfig, ProphetNetForConditionalGeneration};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Tensor};

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prophetnet");

    let config = ProphetNetConfig::try_from_file(dir.join("config.json"))?;
    let vs = VarStore::new(Device::Cpu);
    let model = ProphetNetForConditionalGeneration::new(vs.root(), &config)?;
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;
    let source = Tensor::from_slice(&[10i64, 20, 30, 40, 2]).unsqueeze(0);
    let target = Tensor::from_slice(&[0i64, 10, 20]).unsqueeze(0);
    let output = tch::no_grad(|| {
        model.forward_t(
            Some(&source),
            None,
            None,
            Some(&target),
            None,
            None,
            None,
            None,
            false,
        )
    })?;
    println!("next-token logits {:?}", output.logits.size());
    if let Some(further) = &output.ngram_logits {
        println!(
            "tokens 2..{} ahead: logits {:?}",
            config.ngram,
            further.size()
        );
    }

    let mut summarization = SummarizationConfig::new(
        ModelType::ProphetNet,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(dir.join("prophetnet.tokenizer")),
        None,
    );
    summarization.device = Device::cuda_if_available();
    summarization.min_length = 4;
    summarization.max_length = Some(16);
    let summarizer = SummarizationModel::new(summarization)?;
    let texts = [
        "The city council voted on Monday to build a new bridge over the river. \
                  The mayor said the bridge would open next year.",
    ];
    for summary in summarizer.summarize(&texts)? {
        println!("summary: {summary:?}");
    }
    Ok(())
}
