//! Pegasus parity against HF Transformers 5.24 on a tiny random PegasusForConditionalGeneration
//! with its own SentencePiece tokenizer (tests/fixtures/pegasus, written by
//! utils/fixtures_pegasus.py; the tokenizer is tests/fixtures/tokenizers/spm/t5.model, laid out as
//! Pegasus' spiece.model): the sinusoidal positions, every layer output of a padded batch,
//! incremental decoding, HF `generate` cases, the summarization pipeline, the tokenizer's corpus.
use crate::bart::{
    check_every_layer, check_generation_cases, check_incremental, dir, generate_config,
    unforced_config, Forward,
};
use crate::util::{assert_close, fixtures, Expected, TOL};
use rust_bert::bart::PositionEmbedding;
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::pegasus::{
    PegasusConditionalGenerator, PegasusConfig, PegasusForConditionalGeneration, PegasusModel,
};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::GenerateConfig;
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::resources::LocalResource;
use rust_bert::Config;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::Device;

fn spiece() -> PathBuf {
    fixtures().join("tokenizers/spm/t5.model")
}

fn config(layers: bool) -> PegasusConfig {
    let mut config = PegasusConfig::try_from_file(dir("pegasus").join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    config
}

fn pegasus(layers: bool) -> (VarStore, PegasusForConditionalGeneration) {
    let vs = VarStore::new(Device::Cpu);
    let model = PegasusForConditionalGeneration::new(vs.root(), &config(layers));
    load_weights_from_file(&vs, dir("pegasus").join("model.safetensors")).unwrap();
    (vs, model)
}

fn run(model: &PegasusForConditionalGeneration) -> Box<Forward<'_>> {
    Box::new(move |ids, mask, encoder, decoder, cache| {
        model
            .try_forward_t(ids, mask, encoder, decoder, None, cache, false)
            .unwrap()
    })
}

#[test]
fn pegasus_sinusoidal_positions_equal_hf() {
    let e = Expected::load(dir("pegasus").join("expected.safetensors"));
    let positions = e.get("positions");
    let (rows, dim) = (positions.size()[0], positions.size()[1]);
    let ours = PositionEmbedding::sinusoidal(rows, dim, Device::Cpu).forward(0, rows);
    assert_close(&ours, positions, 1e-6, "sinusoidal table");
}

#[test]
fn pegasus_padded_batch_matches_hf_at_every_layer() {
    let (_vs, model) = pegasus(true);
    check_every_layer("pegasus", &run(&model));
}

#[test]
fn pegasus_incremental_decoding_matches_hf() {
    let (_vs, model) = pegasus(false);
    check_incremental("pegasus", &run(&model));
}

#[test]
fn pegasus_base_model_gives_the_decoder_states() {
    // PegasusModel under `model.`: its output is HF's last decoder hidden state (after the
    // final layer norm).
    let e = Expected::load(dir("pegasus").join("expected.safetensors"));
    let vs = VarStore::new(Device::Cpu);
    let model = PegasusModel::new(vs.root() / "model", &config(false));
    let err = load_weights_from_file(&vs, dir("pegasus").join("model.safetensors"));
    assert!(err.is_ok(), "{err:?}");
    let output = tch::no_grad(|| {
        model.forward_t(
            Some(e.get("input_ids")),
            Some(e.get("attention_mask")),
            e.get("decoder_input_ids"),
            None,
            None,
            None,
            false,
        )
    });
    assert_close(
        &output.decoder_output,
        e.get("decoder_hidden_states.2"),
        TOL,
        "decoder last hidden state",
    );
}

fn pegasus_generate_config(config_path: &Path) -> GenerateConfig {
    let mut config = generate_config("pegasus", ModelType::Pegasus, config_path);
    config.vocab_resource = Box::new(LocalResource::from(spiece()));
    config
}

#[test]
fn pegasus_generation_equals_hf_generate() {
    let scratch = tempfile::tempdir().unwrap();
    let config = unforced_config("pegasus", scratch.path());
    let generator = PegasusConditionalGenerator::new(pegasus_generate_config(&config)).unwrap();
    check_generation_cases("pegasus", &generator);
}

fn text_fixture() -> Value {
    let path = dir("pegasus").join("text.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap()
}

fn summarizer() -> SummarizationModel {
    let d = dir("pegasus");
    // rust-bert's default summarization settings (beam 3, 56 to 142 tokens, no repeated
    // trigram, early stopping), as the fixture's HF call.
    let mut config = SummarizationConfig::new(
        ModelType::Pegasus,
        ModelResource::Torch(Box::new(LocalResource::from(d.join("model.safetensors")))),
        LocalResource::from(d.join("config.json")),
        LocalResource::from(spiece()),
        None,
    );
    config.device = Device::Cpu;
    SummarizationModel::new(config).unwrap()
}

#[test]
fn pegasus_summarization_equals_hf_tokenize_generate_decode() {
    let fixture = text_fixture();
    let o = &fixture["options"];
    let defaults = SummarizationConfig::new(
        ModelType::Pegasus,
        ModelResource::Torch(Box::new(LocalResource::from(PathBuf::from("unused")))),
        LocalResource::from(PathBuf::from("unused")),
        LocalResource::from(PathBuf::from("unused")),
        None,
    );
    assert_eq!(o["num_beams"].as_i64(), Some(defaults.num_beams));
    assert_eq!(o["min_length"].as_i64(), Some(defaults.min_length));
    assert_eq!(o["max_length"].as_i64(), defaults.max_length);
    assert_eq!(
        o["no_repeat_ngram_size"].as_i64(),
        Some(defaults.no_repeat_ngram_size)
    );
    assert_eq!(o["early_stopping"].as_bool(), Some(defaults.early_stopping));
    let model = summarizer();
    let texts = strings(&fixture["texts"]);
    let expected = strings(&fixture["summaries"]);
    assert_eq!(model.summarize(&texts).unwrap(), expected);
    // One by one equals the batch; the first text is longer than the 160 positions and is
    // truncated (its end token kept) as HF's tokenizer does.
    for (text, expected) in texts.iter().zip(&expected) {
        assert_eq!(&model.summarize(&[text]).unwrap()[0], expected);
    }
}

#[test]
fn pegasus_summarization_takes_empty_and_long_texts() {
    use rust_bert::pipelines::generation_utils::GenerateOptions;
    let model = summarizer();
    assert!(model.summarize(&[] as &[&str]).unwrap().is_empty());
    let options = Some(GenerateOptions {
        max_new_tokens: Some(4),
        min_length: Some(0),
        ..Default::default()
    });
    let long = "The river runs to the sea. ".repeat(400);
    let out = model
        .summarize_with_options(&[long.as_str(), "", " "], options)
        .unwrap();
    assert_eq!(out.len(), 3);
    // Mis-sized inputs to the model are errors, not panics.
    let (_vs, pegasus) = pegasus(false);
    let too_long = tch::Tensor::ones([1, 200], (tch::Kind::Int64, Device::Cpu));
    assert!(pegasus
        .try_forward_t(Some(&too_long), None, None, None, None, None, false)
        .is_err());
    let out_of_vocab = tch::Tensor::from_slice(&[5000i64, 1]).unsqueeze(0);
    assert!(pegasus.try_encode(&out_of_vocab, None).is_err());
}

#[test]
fn pegasus_tokenizer_has_hf_ids_for_offset_specials() {
    let tokenizer = TokenizerOption::from_file(
        ModelType::Pegasus,
        spiece().to_str().unwrap(),
        None,
        false,
        None,
        None,
    )
    .unwrap();
    let ids = tokenizer.convert_tokens_to_ids(&[
        "<pad>",
        "</s>",
        "<mask_1>",
        "<mask_2>",
        "<unk_2>",
        "<unk_102>",
        "<unk>",
        "▁the",
    ]);
    // HF 5.24's PegasusTokenizer on the same spiece.model.
    assert_eq!(ids, [0, 1, 2, 3, 4, 104, 105, 124]);
    assert_eq!(tokenizer.get_pad_id(), Some(0));
    assert_eq!(tokenizer.get_eos_id(), Some(1));
    assert_eq!(tokenizer.get_mask_id(), Some(3));
    assert_eq!(tokenizer.vocab_size(), 1103);
    let hello = tokenizer.encode_list(
        &["Hello world, the cat."],
        128,
        &rust_tokenizers::tokenizer::TruncationStrategy::LongestFirst,
        0,
    );
    assert_eq!(
        hello[0].token_ids,
        [106, 590, 183, 696, 112, 124, 421, 114, 107, 1]
    );
    assert_eq!(
        tokenizer.decode(&hello[0].token_ids, true, false),
        "Hello world, the cat."
    );
    assert_eq!(
        tokenizer.decode(&hello[0].token_ids, false, false),
        "Hello world, the cat.</s>"
    );
}

/// Corpus lines (tests/fixtures/tokenizers/corpus.txt) whose ids differ from HF's
/// PegasusTokenizer, by class (see tests/tokenizers.rs): T5's differences on the same
/// spiece.model, plus whitespace-only texts, which HF encodes as a lone `▁` and rust_tokenizers
/// as nothing.
const PEGASUS_IDS: &[(&str, &[usize])] = &[
    (
        "WHITESPACE",
        &[
            112, 113, 114, 115, 116, 117, 119, 125, 126, 127, 128, 129, 188,
        ],
    ),
    (
        "FORMAT_CHARS",
        &[103, 104, 106, 111, 122, 123, 177, 180, 181],
    ),
    ("COMBINING_MARKS", &[65, 67]),
    ("UNIGRAM_SEGMENTATION", &[57]),
];

#[test]
fn pegasus_tokenizer_known_differences() {
    crate::tokenizers::check("pegasus", PEGASUS_IDS, 0, 0);
}
