//! tch's own `VarStore` calls that rust-bert users make, on every model family: after loading a
//! fixture, `vs.save` to `.ot` and to `.safetensors`, `vs.load` of each into a fresh model gives
//! every variable back bit for bit; `half` / `bfloat16` / `float` convert every variable and
//! back; `set_device` keeps the values. GPT-2's `Conv1D` weights (HF's `[in, out]`) used to be
//! kept column-major, which `.safetensors` saving refused; they also generate the same logits
//! after the round trip.
use rust_bert::albert::{AlbertConfig, AlbertModel};
use rust_bert::bart::{BartConfig, BartForConditionalGeneration};
use rust_bert::bert::{BertConfig, BertModel};
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::distilbert::{DistilBertConfig, DistilBertModel};
use rust_bert::gpt2::{GPT2LMHeadModel, Gpt2Config};
use rust_bert::marian::{MarianConfig, MarianForConditionalGeneration};
use rust_bert::openai_gpt::{OpenAIGPTLMHeadModel, OpenAiGptConfig};
use rust_bert::roberta::RobertaModel;
use rust_bert::t5::{T5Config, T5ForConditionalGeneration};
use rust_bert::xlnet::{XLNetConfig, XLNetLMHeadModel};
use rust_bert::Config;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tch::nn::{Path as VarPath, VarStore};
use tch::{Device, Kind, Tensor};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn values(vs: &VarStore) -> HashMap<String, Tensor> {
    vs.variables()
        .into_iter()
        .map(|(name, tensor)| (name, tensor.copy()))
        .collect()
}

fn assert_same(what: &str, expected: &HashMap<String, Tensor>, vs: &VarStore) {
    let got = vs.variables();
    assert_eq!(got.len(), expected.len(), "{what}: variable count");
    for (name, value) in expected {
        let other = got
            .get(name)
            .unwrap_or_else(|| panic!("{what}: {name} missing"));
        assert_eq!(other.kind(), value.kind(), "{what}: {name} kind");
        assert!(other.equal(value), "{what}: {name} differs");
    }
}

/// Saves and reloads `vs` (built by `build`) in both formats, then converts its precision back
/// and forth; returns the directory the files went to.
fn round_trip(name: &str, weights: &Path, build: impl Fn(VarPath)) -> PathBuf {
    let vs = VarStore::new(Device::Cpu);
    build(vs.root());
    load_weights_from_file(&vs, weights).unwrap();
    let original = values(&vs);
    let dir =
        std::env::temp_dir().join(format!("rust-bert-varstore-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["weights.ot", "weights.safetensors"] {
        let path = dir.join(file);
        vs.save(&path)
            .unwrap_or_else(|e| panic!("{name}: saving {file}: {e}"));
        let mut fresh = VarStore::new(Device::Cpu);
        build(fresh.root());
        fresh
            .load(&path)
            .unwrap_or_else(|e| panic!("{name}: loading {file}: {e}"));
        assert_same(&format!("{name} {file}"), &original, &fresh);
    }
    let mut vs = vs;
    vs.half();
    assert!(
        vs.variables().values().all(|t| t.kind() == Kind::Half),
        "{name} half"
    );
    vs.float();
    vs.bfloat16();
    assert!(
        vs.variables().values().all(|t| t.kind() == Kind::BFloat16),
        "{name} bf16"
    );
    vs.float();
    for (var, value) in vs.variables() {
        let diff = (&value - &original[&var]).abs().max().double_value(&[]);
        let scale = original[&var].abs().max().double_value(&[]).max(1e-6);
        assert!(
            diff <= scale / 64.0,
            "{name}: {var} after bf16 and back: {diff}"
        );
    }
    vs.set_device(Device::Cpu);
    assert_eq!(vs.device(), Device::Cpu);
    dir
}

#[test]
fn every_family_saves_loads_and_converts() {
    let bert = BertConfig::try_from_file(fixture("bert/base/config.json")).unwrap();
    round_trip("bert", &fixture("bert/base/model.safetensors"), |p| {
        let _ = BertModel::<rust_bert::bert::BertEmbeddings>::new(p, &bert);
    });
    let roberta = BertConfig::try_from_file(fixture("roberta/base/config.json")).unwrap();
    round_trip("roberta", &fixture("roberta/base/model.safetensors"), |p| {
        let _ = RobertaModel::new(p, &roberta);
    });
    let distilbert =
        DistilBertConfig::try_from_file(fixture("distilbert/base/config.json")).unwrap();
    round_trip(
        "distilbert",
        &fixture("distilbert/base/model.safetensors"),
        |p| {
            let _ = DistilBertModel::new(p, &distilbert);
        },
    );
    let albert = AlbertConfig::try_from_file(fixture("albert/base/config.json")).unwrap();
    round_trip("albert", &fixture("albert/base/model.safetensors"), |p| {
        let _ = AlbertModel::new(p, &albert);
    });
    // The generator: its LM head shares the word embeddings (no variable of its own).
    let electra =
        rust_bert::electra::ElectraConfig::try_from_file(fixture("electra/generator/config.json"))
            .unwrap();
    round_trip(
        "electra",
        &fixture("electra/generator/model.safetensors"),
        |p| {
            let _ = rust_bert::electra::ElectraForMaskedLM::new(p, &electra);
        },
    );
    let xlnet = XLNetConfig::try_from_file(fixture("xlnet/lm/config.json")).unwrap();
    round_trip("xlnet", &fixture("xlnet/lm/model.safetensors"), |p| {
        let _ = XLNetLMHeadModel::new(p, &xlnet);
    });
    let openai =
        OpenAiGptConfig::try_from_file(fixture("generation/openai_gpt/config.json")).unwrap();
    round_trip(
        "openai_gpt",
        &fixture("generation/openai_gpt/model.safetensors"),
        |p| {
            let _ = OpenAIGPTLMHeadModel::new(p, &openai);
        },
    );
    let bart = BartConfig::try_from_file(fixture("bart/config.json")).unwrap();
    round_trip("bart", &fixture("bart/model.safetensors"), |p| {
        let _ = BartForConditionalGeneration::new(p, &bart);
    });
    let marian = MarianConfig::try_from_file(fixture("marian/config.json")).unwrap();
    round_trip("marian", &fixture("marian/model.safetensors"), |p| {
        let _ = MarianForConditionalGeneration::new(p, &marian);
    });
    let t5 = T5Config::try_from_file(fixture("t5/config.json")).unwrap();
    round_trip("t5", &fixture("t5/model.safetensors"), |p| {
        let _ = T5ForConditionalGeneration::new(p, &t5);
    });
}

#[test]
fn gpt2_round_trip_keeps_its_logits() {
    let config = Gpt2Config::try_from_file(fixture("generation/gpt2/config.json")).unwrap();
    let weights = fixture("generation/gpt2/model.safetensors");
    let dir = round_trip("gpt2", &weights, |p| {
        let _ = GPT2LMHeadModel::new(p, &config);
    });
    let ids = Tensor::from_slice(&[5i64, 9, 3, 7]).unsqueeze(0);
    let logits = |model: &GPT2LMHeadModel| {
        tch::no_grad(|| model.forward_t(Some(&ids), None, None, None, None, None, false))
            .unwrap()
            .lm_logits
    };
    let vs = VarStore::new(Device::Cpu);
    let model = GPT2LMHeadModel::new(vs.root(), &config);
    load_weights_from_file(&vs, &weights).unwrap();
    let expected = logits(&model);
    for file in ["weights.ot", "weights.safetensors"] {
        let mut fresh = VarStore::new(Device::Cpu);
        let reloaded = GPT2LMHeadModel::new(fresh.root(), &config);
        fresh.load(dir.join(file)).unwrap();
        let diff = (logits(&reloaded) - &expected)
            .abs()
            .max()
            .double_value(&[]);
        assert!(diff < 1e-6, "gpt2 {file}: {diff}");
    }
}

/// A model built directly (rust-bert's `X::new(vs.root(), &config)`) and used without loading
/// holds HF's initial distribution, never uninitialised memory: linear weights from
/// `normal(0, 0.02)`, biases zero, so its outputs are finite and reproducible under a seed.
#[test]
fn models_built_without_loading_hold_hf_initial_values() {
    // Seeded draws: no other test may draw from or reseed LibTorch's generator meanwhile.
    let _lock = crate::generation::sampling_lock();
    let config = BertConfig::from_file(fixture("bert/base/config.json"));
    let outputs: Vec<Tensor> = (0..2)
        .map(|_| {
            tch::manual_seed(7);
            let vs = VarStore::new(Device::Cpu);
            let model = BertModel::<rust_bert::bert::BertEmbeddings>::new(vs.root(), &config);
            let mut weights = 0;
            for (name, variable) in vs.variables() {
                assert!(
                    bool::try_from(variable.isfinite().all()).unwrap(),
                    "{name} holds non-finite values"
                );
                if name.ends_with(".weight") && variable.dim() == 2 && !name.contains("embeddings")
                {
                    let std = f64::try_from(variable.std(true)).unwrap();
                    assert!((0.014..0.026).contains(&std), "{name}: std {std}");
                    weights += 1;
                }
                if name.ends_with("dense.bias") || name.ends_with("query.bias") {
                    assert_eq!(f64::try_from(variable.abs().max()).unwrap(), 0.0, "{name}");
                }
            }
            assert!(weights >= 6 * config.num_hidden_layers as usize);
            let ids = Tensor::from_slice(&[2i64, 5, 7, 9]).view([1, 4]);
            tch::no_grad(|| {
                model
                    .forward_t(Some(&ids), None, None, None, None, None, None, false)
                    .unwrap()
                    .hidden_state
            })
        })
        .collect();
    assert!(bool::try_from(outputs[0].isfinite().all()).unwrap());
    assert_eq!(
        f64::try_from((&outputs[0] - &outputs[1]).abs().max()).unwrap(),
        0.0
    );
}

/// The standard deviation of a model built directly is its configuration's, as HF's: BERT's
/// `initializer_range`, BART's `init_std`, GPT-2's `initializer_range`; T5 scales each
/// projection by `initializer_factor` over the square root of its fan-in (queries also by
/// `d_kv`), its embeddings by `initializer_factor` alone.
#[test]
fn initial_weights_follow_the_configuration() {
    let std_of = |vs: &VarStore, suffix: &str| -> f64 {
        let variables = vs.variables();
        let (_, variable) = variables
            .iter()
            .find(|(name, _)| name.ends_with(suffix))
            .unwrap_or_else(|| panic!("no variable ending in {suffix}"));
        f64::try_from(variable.std(true)).unwrap()
    };
    let close = |what: &str, got: f64, want: f64| {
        assert!(
            (got / want - 1.0).abs() < 0.15,
            "{what}: std {got}, want {want}"
        );
    };
    let _lock = crate::generation::sampling_lock();
    tch::manual_seed(11);
    let mut config = BertConfig::from_file(fixture("bert/base/config.json"));
    config.initializer_range = 0.1;
    let vs = VarStore::new(Device::Cpu);
    let _ = BertModel::<rust_bert::bert::BertEmbeddings>::new(vs.root(), &config);
    close(
        "bert query",
        std_of(&vs, "layer.0.attention.self.query.weight"),
        0.1,
    );
    close(
        "bert word embeddings",
        std_of(&vs, "word_embeddings.weight"),
        0.1,
    );
    // Outside a model constructor the default is HF's 0.02 again.
    let vs = VarStore::new(Device::Cpu);
    let plain = rust_bert::common::layers::linear::linear(vs.root() / "x", 64, 64);
    close(
        "a bare linear layer",
        f64::try_from(plain.ws.std(true)).unwrap(),
        0.02,
    );

    let mut config = Gpt2Config::from_file(fixture("gpt2/config.json"));
    config.initializer_range = 0.05;
    let vs = VarStore::new(Device::Cpu);
    let _ = GPT2LMHeadModel::new(vs.root(), &config);
    close("gpt2 c_attn", std_of(&vs, "h.0.attn.c_attn.weight"), 0.05);

    let mut config = BartConfig::from_file(fixture("bart/config.json"));
    config.init_std = 0.08;
    let vs = VarStore::new(Device::Cpu);
    let _ = BartForConditionalGeneration::new(vs.root(), &config);
    close("bart fc1", std_of(&vs, "encoder.layers.0.fc1.weight"), 0.08);

    let mut config = T5Config::from_file(fixture("t5/config.json"));
    config.initializer_factor = 2.0;
    let vs = VarStore::new(Device::Cpu);
    let _ = T5ForConditionalGeneration::new(vs.root(), &config);
    let (d_model, d_kv, heads, d_ff) = (
        config.d_model as f64,
        config.d_kv as f64,
        config.num_heads as f64,
        config.d_ff as f64,
    );
    close("t5 shared", std_of(&vs, "shared.weight"), 2.0);
    close(
        "t5 q",
        std_of(&vs, "block.0.layer.0.SelfAttention.q.weight"),
        2.0 / (d_model * d_kv).sqrt(),
    );
    close(
        "t5 k",
        std_of(&vs, "block.0.layer.0.SelfAttention.k.weight"),
        2.0 / d_model.sqrt(),
    );
    close(
        "t5 o",
        std_of(&vs, "block.0.layer.0.SelfAttention.o.weight"),
        2.0 / (heads * d_kv).sqrt(),
    );
    close(
        "t5 wo",
        std_of(&vs, "block.0.layer.1.DenseReluDense.wo.weight"),
        2.0 / d_ff.sqrt(),
    );
}

/// A configuration built in code that no model can be built from is refused by the
/// constructor with the field's name (rust-bert's `new` returns the model, so it panics with
/// `Config::validate`'s message), not by a division by zero further in.
#[test]
fn constructors_refuse_configurations_validate_refuses() {
    let mut config = BertConfig::from_file(fixture("bert/base/config.json"));
    config.num_attention_heads = 0;
    assert!(config.validate().is_err());
    let panic = std::panic::catch_unwind(|| {
        let vs = VarStore::new(Device::Cpu);
        let _ = BertModel::<rust_bert::bert::BertEmbeddings>::new(vs.root(), &config);
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("num_attention_heads"), "{message}");

    let mut config = Gpt2Config::from_file(fixture("gpt2/config.json"));
    config.n_embd = 30; // not a multiple of the 4 heads
    let panic = std::panic::catch_unwind(|| {
        let vs = VarStore::new(Device::Cpu);
        let _ = GPT2LMHeadModel::new(vs.root(), &config);
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("n_embd"), "{message}");
}
