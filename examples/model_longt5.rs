//! LongT5 offline, on the tiny random models of the test fixtures (outputs are random but
//! reproducible): an input of several hundred tokens through the local-attention and the
//! transient-global encoders, then the summarization pipeline.
//!
//! ```sh
//! cargo run --example model_longt5
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::longt5::{LongT5Config, LongT5ForConditionalGeneration};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn main() -> Result<(), RustBertError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // 600 source tokens: local attention reads them block by block.
    let source = (Tensor::arange(600, (Kind::Int64, Device::Cpu)).remainder(240) + 5).unsqueeze(0);
    let start = Tensor::zeros([1, 1], (Kind::Int64, Device::Cpu));
    for name in ["longt5_local", "longt5_tglobal"] {
        let dir = root.join(name);
        let config = LongT5Config::try_from_file(dir.join("config.json"))?;
        let vs = VarStore::new(Device::Cpu);
        let model = LongT5ForConditionalGeneration::new(vs.root(), &config);
        load_weights_from_file(&vs, dir.join("model.safetensors"))?;
        let output = tch::no_grad(|| {
            model.forward_t(
                Some(&source),
                None,
                None,
                Some(&start),
                None,
                None,
                None,
                None,
                false,
            )
        })?;
        println!(
            "{name} ({:?} attention): logits {:?}",
            config.encoder_attention_type,
            output.decoder_output.size()
        );
    }

    let dir = root.join("longt5_tglobal");
    let mut config = SummarizationConfig::new(
        ModelType::LongT5,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(root.join("t5/spiece.model")),
        None,
    );
    config.device = Device::Cpu;
    config.min_length = 4;
    config.max_length = Some(24);
    let summarizer = SummarizationModel::new(config)?;
    let text = "The dog ran to the park and played with a ball. ".repeat(20);
    for summary in summarizer.summarize(&[text.as_str()])? {
        println!("summary {summary:?}");
    }
    Ok(())
}
