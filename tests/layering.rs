//! The layering keeps rust-bert 0.23's paths: every item its users import from
//! `pipelines::generation_utils` and `pipelines::common` (and the model modules at the crate
//! root) still resolves, and is the very item of the layer that now holds it (a function taking
//! one path's type and handing it on as the other's compiles only if they are the same type).
use rust_bert::pipelines::common::{
    cast_var_store, ConfigOption, ModelResource, ModelType, PaddingSide, TokenizerOption,
    TruncationStrategy,
};
use rust_bert::pipelines::generation_utils::{
    Cache, GenerateConfig, GenerateOptions, GeneratedIndicesOutput, GeneratedTextOutput,
    LMModelOutput, LanguageGenerator, PrefixAllowedFunction,
};
use rust_bert::{
    albert, bart, bert, distilbert, electra, gpt2, marian, openai_gpt, roberta, t5, xlm_roberta,
    xlnet,
};
use std::path::Path;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn same_cache(cache: Cache) -> rust_bert::generation::Cache {
    cache
}
fn same_output(output: LMModelOutput) -> rust_bert::generation::LMModelOutput {
    output
}
fn same_config(config: GenerateConfig) -> rust_bert::generation::GenerateConfig {
    config
}
fn same_options(options: GenerateOptions<'_>) -> rust_bert::generation::GenerateOptions<'_> {
    options
}
fn same_outputs(
    text: GeneratedTextOutput,
    indices: GeneratedIndicesOutput,
) -> (
    rust_bert::generation::GeneratedTextOutput,
    rust_bert::generation::GeneratedIndicesOutput,
) {
    (text, indices)
}
fn same_tokenizer(tokenizer: TokenizerOption) -> rust_bert::common::tokenizer::TokenizerOption {
    tokenizer
}
fn same_model_type(model_type: ModelType) -> rust_bert::common::model_type::ModelType {
    model_type
}
fn same_resource(resource: ModelResource) -> rust_bert::common::model_resource::ModelResource {
    resource
}
fn same_memory(state: xlnet::LayerState) -> rust_bert::generation::MemoryState {
    state
}
fn same_layer_state(state: bart::LayerState) -> rust_bert::generation::LayerState {
    state
}
/// Any generator of the crate is a `LanguageGenerator` under rust-bert's path.
fn generates<G: LanguageGenerator>(_: &G) {}

#[test]
fn rust_bert_paths_name_the_items_of_the_layers() {
    let cache = same_cache(Cache::None);
    assert!(cache.is_empty());
    let memory = same_memory(xlnet::LayerState {
        prev_content: Tensor::zeros([2, 3, 4], (Kind::Float, Device::Cpu)),
    });
    assert_eq!(memory.prev_content.size(), [2, 3, 4]);
    let state = same_layer_state(bart::LayerState {
        prev_key: Tensor::zeros([1, 2, 3, 4], (Kind::Float, Device::Cpu)),
        prev_value: Tensor::zeros([1, 2, 3, 4], (Kind::Float, Device::Cpu)),
    });
    assert_eq!(state.prev_key.size(), [1, 2, 3, 4]);
    let output = same_output(LMModelOutput {
        lm_logits: Tensor::zeros([1, 1, 5], (Kind::Float, Device::Cpu)),
        cache: Cache::GPT2Cache(None),
    });
    assert_eq!(output.cache.variant_name(), "Cache::GPT2Cache");
    let options = same_options(GenerateOptions {
        max_new_tokens: Some(3),
        ..Default::default()
    });
    assert_eq!(options.max_new_tokens, Some(3));
    let allowed = |_: i64, _: &Tensor| vec![1i64];
    let prefix: PrefixAllowedFunction = &allowed;
    assert_eq!(
        prefix(0, &Tensor::zeros([1], (Kind::Int64, Device::Cpu))),
        [1]
    );
    let (text, indices) = same_outputs(
        GeneratedTextOutput {
            text: "a".into(),
            score: None,
        },
        GeneratedIndicesOutput {
            indices: vec![1],
            score: None,
            token_scores: None,
        },
    );
    assert_eq!(
        (text.text.as_str(), indices.indices.as_slice()),
        ("a", &[1i64][..])
    );
    assert_eq!(same_model_type(ModelType::Bert), ModelType::Bert);
    assert_eq!(PaddingSide::default(), PaddingSide::Right);
    let _ = TruncationStrategy::LongestFirst;
    let mut vs = VarStore::new(Device::Cpu);
    cast_var_store(&mut vs, Some(Kind::Float), Device::Cpu);
}

#[test]
fn rust_bert_paths_load_through_the_moved_layers() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let gpt2_dir = fixtures.join("generation/gpt2");
    let tokenizer = same_tokenizer(
        TokenizerOption::from_file(
            ModelType::GPT2,
            gpt2_dir.join("vocab.json").to_str().unwrap(),
            Some(gpt2_dir.join("merges.txt").to_str().unwrap()),
            false,
            None,
            None,
        )
        .unwrap(),
    );
    assert!(!tokenizer.tokenize("hello world").is_empty());
    let config =
        ConfigOption::from_file(ModelType::Bert, fixtures.join("bert/base/config.json")).unwrap();
    assert!(config.get_vocab_size() > 0);
    let resource = same_resource(ModelResource::Torch(Box::new(
        rust_bert::resources::LocalResource::from(gpt2_dir.join("model.safetensors")),
    )));
    let generator = gpt2::GPT2Generator::new(same_config(GenerateConfig {
        model_type: ModelType::GPT2,
        model_resource: resource,
        config_resource: Box::new(rust_bert::resources::LocalResource::from(
            gpt2_dir.join("config.json"),
        )),
        vocab_resource: Box::new(rust_bert::resources::LocalResource::from(
            gpt2_dir.join("vocab.json"),
        )),
        merges_resource: Some(Box::new(rust_bert::resources::LocalResource::from(
            gpt2_dir.join("merges.txt"),
        ))),
        do_sample: false,
        num_beams: 1,
        device: Device::Cpu,
        ..GenerateConfig::default()
    }))
    .unwrap();
    generates(&generator);
    let out = generator
        .generate(
            Some(&["hello"]),
            Some(GenerateOptions {
                max_new_tokens: Some(2),
                ..Default::default()
            }),
        )
        .unwrap();
    assert_eq!(out.len(), 1);
}

/// `GenerateConfig::default()` keeps rust-bert's GPT-2 files, now named by the engine: the GPT-2
/// module's constants are the engine's.
#[test]
fn default_generator_files_are_gpt2s() {
    use rust_bert::generation::default_model;
    assert_eq!(gpt2::Gpt2ModelResources::GPT2, default_model::MODEL);
    assert_eq!(gpt2::Gpt2ConfigResources::GPT2, default_model::CONFIG);
    assert_eq!(gpt2::Gpt2VocabResources::GPT2, default_model::VOCAB);
    assert_eq!(gpt2::Gpt2MergesResources::GPT2, default_model::MERGES);
    assert_eq!(
        default_model::MODEL.1,
        "https://huggingface.co/gpt2/resolve/main/rust_model.ot"
    );
    let config = GenerateConfig::default();
    assert_eq!(config.model_type, ModelType::GPT2);
    assert_eq!((config.max_length, config.num_beams), (Some(56), 5));
}

/// The model modules stay at the crate root, as in rust-bert.
#[test]
fn model_modules_at_the_crate_root() {
    let _ = (
        albert::AlbertConfig::default as fn() -> _,
        bert::BertConfig::default as fn() -> _,
        distilbert::DistilBertConfig::default as fn() -> _,
        electra::ElectraConfig::default as fn() -> _,
        electra::ElectraModelResources::BASE_DISCRIMINATOR,
        rust_bert::longformer::LongformerConfig::default as fn() -> _,
        rust_bert::longformer::LongformerModelResources::LONGFORMER_BASE_SQUAD1,
        roberta::RobertaConfig::default as fn() -> _,
        xlm_roberta::XLMRobertaConfigResources::XLM_ROBERTA_NER_EN,
        marian::MarianModelResources::ENGLISH2FRENCH,
        t5::T5ModelResources::T5_SMALL,
        openai_gpt::OpenAiGptConfig::default as fn() -> _,
    );
}
