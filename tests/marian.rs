//! Marian parity against HF Transformers 5.24 on a tiny random MarianMTModel with its own
//! SentencePiece models (tests/fixtures/marian, written by utils/fixtures_marian.py): the
//! sinusoidal positions, every layer output, incremental decoding, and HF `generate` cases (with
//! the pad token banned, as OPUS-MT generation configs do).
use crate::bart::{
    check_every_layer, check_generation_cases, check_incremental, dir, generate_config,
    unforced_config, Forward,
};
use crate::util::{assert_close, Expected, TOL};
use rust_bert::bart::PositionEmbedding;
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::marian::{MarianConfig, MarianForConditionalGeneration, MarianGenerator};
use rust_bert::pipelines::common::ModelType;
use rust_bert::Config;
use tch::nn::VarStore;
use tch::Device;

fn marian(layers: bool) -> (VarStore, MarianForConditionalGeneration) {
    let mut config = MarianConfig::try_from_file(dir("marian").join("config.json")).unwrap();
    if layers {
        config.output_hidden_states = Some(true);
        config.output_attentions = Some(true);
    }
    let vs = VarStore::new(Device::Cpu);
    let model = MarianForConditionalGeneration::new(vs.root(), &config);
    load_weights_from_file(&vs, dir("marian").join("model.safetensors")).unwrap();
    (vs, model)
}

fn run(model: &MarianForConditionalGeneration) -> Box<Forward<'_>> {
    Box::new(move |ids, mask, encoder, decoder, cache| {
        model
            .try_forward_t(ids, mask, encoder, decoder, None, cache, false)
            .unwrap()
    })
}

#[test]
fn marian_sinusoidal_positions_equal_hf() {
    let e = Expected::load(dir("marian").join("expected.safetensors"));
    let positions = e.get("positions");
    let (rows, dim) = (positions.size()[0], positions.size()[1]);
    let ours = PositionEmbedding::sinusoidal(rows, dim, Device::Cpu).forward(0, rows);
    assert_close(&ours, positions, 1e-6, "sinusoidal table");
}

#[test]
fn marian_padded_batch_matches_hf_at_every_layer() {
    let (_vs, model) = marian(true);
    check_every_layer("marian", &run(&model));
}

#[test]
fn marian_incremental_decoding_matches_hf() {
    let (_vs, model) = marian(false);
    check_incremental("marian", &run(&model));
}

#[test]
fn marian_generation_equals_hf_generate() {
    let scratch = tempfile::tempdir().unwrap();
    let config = unforced_config("marian", scratch.path());
    let generator =
        MarianGenerator::new(generate_config("marian", ModelType::Marian, &config)).unwrap();
    check_generation_cases("marian", &generator);
    let _ = TOL;
}
