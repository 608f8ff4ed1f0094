//! Sliding-window cache trimming of the decoder stack (Mistral's sliding layers, Qwen2's
//! upper layers, Gemma 2's alternating ones): cached decoding far past the window equals the
//! full forward (itself checked against HF in tests/llama.rs) on a left-padded batch, while
//! every sliding layer's cache entry stays at `window - 1` positions; the generation engine's
//! beam search over the trimmed cache gives HF's tokens (fixtures: utils/fixtures_llama.py,
//! whose windows of 3 and 4 are shorter than the 7-token prompts plus 10 new tokens).
use crate::util::{fixtures, Expected};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::generation::Cache;
use rust_bert::llama::{LlamaConfig, LlamaForCausalLM};
use rust_bert::Config;
use std::path::PathBuf;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn dir(name: &str) -> PathBuf {
    fixtures().join("llama").join(name)
}

fn load(name: &str) -> (VarStore, LlamaForCausalLM, LlamaConfig) {
    let config = LlamaConfig::try_from_file(dir(name).join("config.json")).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let _deferred = rust_bert::common::layers::linear::defer_init();
    let model = LlamaForCausalLM::new(vs.root(), &config).unwrap();
    load_weights_from_file(&vs, dir(name).join("model.safetensors")).unwrap();
    (vs, model, config)
}

fn layers(cache: Cache) -> Vec<Tensor> {
    match cache {
        Cache::GPT2Cache(Some(layers)) => layers,
        _ => panic!("no cache"),
    }
}

/// 40 tokens decoded one at a time after the left-padded 7-token prompt (47 positions, ten
/// times the window): each step's logits equal the full forward's at that position (≤ 1e-4),
/// and the sliding layers' entries never exceed `window - 1` positions while the full layers'
/// grow with the sequence.
#[test]
fn cached_decoding_far_past_the_window_equals_the_full_forward() {
    // (family, window, which layers slide)
    for (name, window, sliding) in [
        ("mistral", 4, vec![true, true]),
        ("qwen2", 3, vec![false, true]),
        ("gemma2", 4, vec![true, false]),
    ] {
        let e = Expected::load(dir(name).join("expected.safetensors"));
        let (_vs, model, config) = load(name);
        let vocab = config.vocab_size;
        let prompt = e.get("left.input_ids");
        let prompt_mask = e.get("left.attention_mask");
        let (batch, prompt_len) = (prompt.size()[0], prompt.size()[1]);
        let steps = 40;
        tch::manual_seed(7);
        let new = Tensor::randint_low(4, vocab, [batch, steps], (Kind::Int64, Device::Cpu));
        let ids = Tensor::cat(&[prompt, &new], 1);
        let mask = Tensor::cat(
            &[
                prompt_mask,
                &Tensor::ones([batch, steps], (Kind::Int64, Device::Cpu)),
            ],
            1,
        );
        let positions = (mask.cumsum(-1, Kind::Int64) - 1).masked_fill(&mask.eq(0), 1);
        let mut worst = 0f64;
        tch::no_grad(|| {
            let full = model
                .forward_t(Some(&ids), None, Some(&mask), Some(&positions), None)
                .unwrap()
                .lm_logits;
            let first = model
                .forward_t(
                    Some(prompt),
                    None,
                    Some(prompt_mask),
                    Some(&positions.narrow(1, 0, prompt_len)),
                    None,
                )
                .unwrap();
            let mut cache = layers(first.cache);
            for k in 0..steps {
                let at = prompt_len + k;
                let step = model
                    .forward_t(
                        Some(&ids.narrow(1, at, 1)),
                        Some(&cache),
                        Some(&mask.narrow(1, 0, at + 1)),
                        Some(&positions.narrow(1, at, 1)),
                        None,
                    )
                    .unwrap();
                let diff = (&step.lm_logits - full.narrow(1, at, 1))
                    .abs()
                    .max()
                    .double_value(&[]);
                worst = worst.max(diff);
                assert!(diff <= 1e-4, "{name} step {k}: max |diff| {diff:e}");
                cache = layers(step.cache);
                for (layer, (entry, slides)) in cache.iter().zip(&sliding).enumerate() {
                    let length = entry.size()[3];
                    let expected = if *slides { window - 1 } else { at + 1 };
                    assert_eq!(length, expected, "{name} step {k} layer {layer}");
                }
            }
        });
        println!("{name}: {steps} cached steps past a window of {window}: max |diff| vs the full forward {worst:.2e}");
    }
}

/// A trimmed cache without the attention mask: the entries alone cannot tell how many tokens
/// came before once every layer has dropped some, so the mask or the positions are required
/// for the positions to continue; with the positions given, the logits equal the masked run.
/// An entry shorter than the window allows, or a full layer's entry shorter than the others,
/// is an error naming the shape.
#[test]
fn trimmed_caches_are_checked() {
    let (_vs, model, _) = load("mistral");
    let ids = Tensor::from_slice(&[5i64, 9, 17, 33, 41, 12, 8]).unsqueeze(0);
    tch::no_grad(|| {
        let first = model.forward_t(Some(&ids), None, None, None, None).unwrap();
        let cache = layers(first.cache);
        assert!(cache.iter().all(|entry| entry.size()[3] == 3));
        let next = Tensor::from_slice(&[21i64]).unsqueeze(0);
        let mask = Tensor::ones([1, 8], (Kind::Int64, Device::Cpu));
        let with_mask = model
            .forward_t(Some(&next), Some(&cache), Some(&mask), None, None)
            .unwrap()
            .lm_logits;
        let with_positions = model
            .forward_t(
                Some(&next),
                Some(&cache),
                None,
                Some(&Tensor::from_slice(&[7i64]).unsqueeze(0)),
                None,
            )
            .unwrap()
            .lm_logits;
        let full = model
            .forward_t(
                Some(&Tensor::cat(&[&ids, &next], 1)),
                None,
                None,
                None,
                None,
            )
            .unwrap()
            .lm_logits
            .narrow(1, 7, 1);
        for (what, logits) in [("mask", &with_mask), ("positions", &with_positions)] {
            let diff = (logits - &full).abs().max().double_value(&[]);
            assert!(diff <= 1e-4, "with the {what}: {diff:e}");
        }
        let short: Vec<Tensor> = cache.iter().map(|entry| entry.narrow(3, 1, 2)).collect();
        let error = model
            .forward_t(Some(&next), Some(&short), Some(&mask), None, None)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("layer_past[0]") && error.contains("down to 3"),
            "{error}"
        );
    });
    let (_vs, gemma, _) = load("gemma2");
    let ids = Tensor::from_slice(&[5i64, 9, 17, 33, 41, 12, 8]).unsqueeze(0);
    tch::no_grad(|| {
        let cache = layers(
            gemma
                .forward_t(Some(&ids), None, None, None, None)
                .unwrap()
                .cache,
        );
        assert_eq!(cache[0].size()[3], 3);
        assert_eq!(cache[1].size()[3], 7);
        let mut bad: Vec<Tensor> = cache.iter().map(|t| t.shallow_clone()).collect();
        bad[1] = cache[1].narrow(3, 2, 5);
        let next = Tensor::from_slice(&[21i64]).unsqueeze(0);
        let mask = Tensor::ones([1, 8], (Kind::Int64, Device::Cpu));
        let error = gemma
            .forward_t(Some(&next), Some(&bad), Some(&mask), None, None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("layer_past[1]"), "{error}");
    });
}
