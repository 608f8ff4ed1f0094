//! Pegasus offline, on the tiny random model of the test fixtures with its own SentencePiece
//! tokenizer (outputs are random but reproducible): the conditional-generation head at the
//! model level, its generator, and the summarization pipeline with rust-bert's default
//! summarization settings.
//!
//! ```sh
//! cargo run --example model_pegasus
//! ```
//! rust-bert's `summarization_pegasus` example runs pegasus-cnn_dailymail from the hub.
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pegasus::{
    PegasusConditionalGenerator, PegasusConfig, PegasusForConditionalGeneration,
};
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Tensor};

fn main() -> Result<(), RustBertError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = root.join("pegasus");
    // The fixture's tokenizer: a SentencePiece model laid out as Pegasus' spiece.model.
    let spiece = root.join("tokenizers/spm/t5.model");

    // Model level: logits of a source and the decoder start token.
    let config = PegasusConfig::try_from_file(dir.join("config.json"))?;
    let vs = VarStore::new(Device::Cpu);
    let model = PegasusForConditionalGeneration::new(vs.root(), &config);
    load_weights_from_file(&vs, dir.join("model.safetensors"))?;
    let input = Tensor::from_slice(&[182i64, 1010, 107, 1]).unsqueeze(0);
    let start = Tensor::from_slice(&[0i64]).unsqueeze(0);
    let output = tch::no_grad(|| {
        model.try_forward_t(Some(&input), None, None, Some(&start), None, None, false)
    })?;
    println!("logits {:?}", output.decoder_output.size());

    // The generator.
    let generator = PegasusConditionalGenerator::new(GenerateConfig {
        model_type: ModelType::Pegasus,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(spiece.clone())),
        merges_resource: None,
        num_beams: 3,
        device: Device::Cpu,
        ..Default::default()
    })?;
    let options = GenerateOptions {
        max_new_tokens: Some(12),
        ..Default::default()
    };
    for output in generator.generate(Some(&["The dog runs in the park."]), Some(options))? {
        println!("generated {:?}", output.text);
    }

    // The summarization pipeline.
    let mut config = SummarizationConfig::new(
        ModelType::Pegasus,
        ModelResource::Torch(Box::new(LocalResource::from(dir.join("model.safetensors")))),
        LocalResource::from(dir.join("config.json")),
        LocalResource::from(spiece),
        None,
    );
    config.device = Device::Cpu;
    let summarizer = SummarizationModel::new(config)?;
    let texts = ["The train was late because of snow. Children planted trees in the park."];
    for summary in summarizer.summarize(&texts)? {
        println!("summary {summary:?}");
    }
    Ok(())
}
