//! Encoder-decoder generation at fixed lengths (random weights of real sizes, end token banned
//! until the last step through min length = max length, 40 new tokens):
//! Marian (opus-mt-en-fr sizes) beam 6 on 4 x 32 source tokens, BART-base beam 3 on 2 x 256,
//! T5-small beam 4 on 2 x 128, M2M100-418M beam 4 on 4 x 32. Python twins:
//! utils/bench_{marian,bart,t5,m2m100}.py; all together: utils/bench_seq2seq.sh.
//! `BENCH_QUICK=1` takes ten single runs after a one-second warm-up (utils/bench_contention.sh);
//! a name filter (`-- marian_beam6_40`) also skips writing and loading the other models.
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use rust_bert::bart::{BartConfig, BartForConditionalGeneration, BartGenerator};
use rust_bert::common::weights::write_tensors;
use rust_bert::m2m_100::{M2M100ForConditionalGeneration, M2M100Generator};
use rust_bert::marian::{MarianForConditionalGeneration, MarianGenerator};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::resources::LocalResource;
use rust_bert::t5::{T5Config, T5ForConditionalGeneration, T5Generator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tch::{nn::VarStore, Device, Kind, Tensor};

const NEW_TOKENS: i64 = 40;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Random normal(0, 0.02) weights of the variables of `vs` written to `dir/model.safetensors`
/// with `config` as `dir/config.json`.
fn write_model(vs: &VarStore, config: &serde_json::Value, dir: &Path) {
    tch::manual_seed(0);
    tch::no_grad(|| {
        for (name, mut variable) in vs.variables() {
            if name.ends_with("layer_norm.weight") || name.ends_with("layernorm_embedding.weight") {
                let _ = variable.fill_(1.0);
            } else {
                let _ = variable.normal_(0.0, 0.02);
            }
        }
    });
    let mut tensors: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    write_tensors(&tensors, dir.join("model.safetensors")).expect("weights");
    std::fs::write(dir.join("config.json"), config.to_string()).expect("config");
}

fn generate_config(model_type: ModelType, dir: &Path) -> GenerateConfig {
    GenerateConfig {
        model_type,
        model_resource: ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("model.safetensors"),
        ))),
        config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        vocab_resource: Box::new(LocalResource::from(dir.join("config.json"))),
        merges_resource: None,
        min_length: 0,
        max_length: None,
        do_sample: false,
        early_stopping: false,
        num_beams: 1,
        temperature: 1.0,
        top_k: 0,
        top_p: 1.0,
        repetition_penalty: 1.0,
        length_penalty: 1.0,
        no_repeat_ngram_size: 0,
        num_return_sequences: 1,
        num_beam_groups: None,
        diversity_penalty: None,
        device: Device::Cpu,
        kind: None,
        model_defaults: Default::default(),
    }
}

/// Generation works on ids: any tokenizer completes the generator.
fn tokenizer() -> TokenizerOption {
    let d = fixture("bart");
    TokenizerOption::from_file(
        ModelType::Bart,
        d.join("vocab.json").to_str().expect("path"),
        Some(d.join("merges.txt").to_str().expect("path")),
        false,
        None,
        None,
    )
    .expect("tokenizer")
}

fn source(batch: i64, length: i64, low: i64, high: i64, eos: i64) -> Tensor {
    tch::manual_seed(1);
    let body = Tensor::randint_low(low, high, [batch, length - 1], (Kind::Int64, Device::Cpu));
    Tensor::cat(
        &[
            body,
            Tensor::full([batch, 1], eos, (Kind::Int64, Device::Cpu)),
        ],
        1,
    )
}

fn options(beams: i64) -> GenerateOptions<'static> {
    GenerateOptions {
        num_beams: Some(beams),
        min_length: Some(NEW_TOKENS + 1),
        max_length: Some(NEW_TOKENS + 1),
        early_stopping: Some(false),
        ..Default::default()
    }
}

fn run(generator: &impl LanguageGenerator, input: &Tensor, beams: i64) -> usize {
    let output = generator
        .generate_from_ids_and_past(input.shallow_clone(), None, Some(options(beams)))
        .expect("generate");
    assert_eq!(output[0].indices.len() as i64, NEW_TOKENS + 1);
    output.len()
}

/// Whether the command line's name filters (its arguments that are not options or numbers)
/// leave `name` to run: a filtered run should not spend a minute writing M2M100's weights.
fn selected(name: &str) -> bool {
    let full = format!("seq2seq/{name}");
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
        .collect();
    filters.is_empty() || filters.iter().any(|f| full.contains(f.as_str()))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("seq2seq");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    if std::env::var_os("BENCH_QUICK").is_some() {
        group
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(1));
    }

    if selected("marian_beam6_40") {
        let marian_dir = tempfile::tempdir().expect("tempdir");
        let marian_config = json!({
            "vocab_size": 59514, "d_model": 512, "encoder_layers": 6, "decoder_layers": 6,
            "encoder_attention_heads": 8, "decoder_attention_heads": 8, "encoder_ffn_dim": 2048,
            "decoder_ffn_dim": 2048, "max_position_embeddings": 512, "pad_token_id": 59513,
            "decoder_start_token_id": 59513, "eos_token_id": 0, "forced_eos_token_id": 0,
            "scale_embedding": true, "activation_function": "swish", "dropout": 0.0
        });
        {
            let vs = VarStore::new(Device::Cpu);
            let config: BartConfig = serde_json::from_value(marian_config.clone()).expect("config");
            let _model = MarianForConditionalGeneration::new(vs.root(), &config);
            write_model(&vs, &marian_config, marian_dir.path());
        }
        let marian = MarianGenerator::new_with_tokenizer(
            generate_config(ModelType::Marian, marian_dir.path()),
            tokenizer(),
        )
        .expect("marian");
        let marian_input = source(4, 32, 1, 59513, 0);
        group.bench_function("marian_beam6_40", |b| {
            b.iter(|| run(&marian, &marian_input, 6))
        });
        drop(marian);
        // Int8 weights (`kind: Some(Kind::QInt8)`), the same checkpoint quantised at load.
        let marian_int8 = MarianGenerator::new_with_tokenizer(
            GenerateConfig {
                kind: Some(Kind::QInt8),
                ..generate_config(ModelType::Marian, marian_dir.path())
            },
            tokenizer(),
        )
        .expect("marian int8");
        group.bench_function("marian_beam6_40_int8", |b| {
            b.iter(|| run(&marian_int8, &marian_input, 6))
        });
        drop(marian_int8);
    }

    if selected("bart_beam3_40") {
        let bart_dir = tempfile::tempdir().expect("tempdir");
        let bart_config = json!({
            "vocab_size": 50265, "d_model": 768, "encoder_layers": 6, "decoder_layers": 6,
            "encoder_attention_heads": 12, "decoder_attention_heads": 12, "encoder_ffn_dim": 3072,
            "decoder_ffn_dim": 3072, "max_position_embeddings": 1024, "pad_token_id": 1,
            "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2,
            "scale_embedding": false, "activation_function": "gelu", "dropout": 0.0
        });
        {
            let vs = VarStore::new(Device::Cpu);
            let config: BartConfig = serde_json::from_value(bart_config.clone()).expect("config");
            let _model = BartForConditionalGeneration::new(vs.root(), &config);
            write_model(&vs, &bart_config, bart_dir.path());
        }
        let bart = BartGenerator::new_with_tokenizer(
            generate_config(ModelType::Bart, bart_dir.path()),
            tokenizer(),
        )
        .expect("bart");
        let bart_input = source(2, 256, 4, 50263, 2);
        group.bench_function("bart_beam3_40", |b| b.iter(|| run(&bart, &bart_input, 3)));
        drop(bart);
    }

    if selected("t5_beam4_40") {
        let t5_dir = tempfile::tempdir().expect("tempdir");
        let t5_config = json!({
            "vocab_size": 32128, "d_model": 512, "d_kv": 64, "d_ff": 2048, "num_layers": 6,
            "num_heads": 8, "relative_attention_num_buckets": 32, "dropout_rate": 0.0,
            "feed_forward_proj": "relu", "pad_token_id": 0, "eos_token_id": 1,
            "decoder_start_token_id": 0
        });
        {
            let vs = VarStore::new(Device::Cpu);
            let config: T5Config = serde_json::from_value(t5_config.clone()).expect("config");
            let _model = T5ForConditionalGeneration::new(vs.root(), &config);
            write_model(&vs, &t5_config, t5_dir.path());
        }
        let t5 = T5Generator::new_with_tokenizer(
            generate_config(ModelType::T5, t5_dir.path()),
            tokenizer(),
        )
        .expect("t5");
        let t5_input = source(2, 128, 3, 32000, 1);
        group.bench_function("t5_beam4_40", |b| b.iter(|| run(&t5, &t5_input, 4)));
        drop(t5);
    }

    if selected("m2m100_beam4_40") {
        let m2m100_dir = tempfile::tempdir().expect("tempdir");
        let m2m100_config = json!({
            "vocab_size": 128112, "d_model": 1024, "encoder_layers": 12, "decoder_layers": 12,
            "encoder_attention_heads": 16, "decoder_attention_heads": 16, "encoder_ffn_dim": 4096,
            "decoder_ffn_dim": 4096, "max_position_embeddings": 1024, "pad_token_id": 1,
            "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2,
            "scale_embedding": true, "activation_function": "relu", "dropout": 0.0
        });
        {
            let vs = VarStore::new(Device::Cpu);
            let config: BartConfig = serde_json::from_value(m2m100_config.clone()).expect("config");
            let _model = M2M100ForConditionalGeneration::new(vs.root(), &config);
            write_model(&vs, &m2m100_config, m2m100_dir.path());
        }
        let m2m100 = M2M100Generator::new_with_tokenizer(
            generate_config(ModelType::M2M100, m2m100_dir.path()),
            tokenizer(),
        )
        .expect("m2m100");
        let m2m100_input = source(4, 32, 4, 128000, 2);
        group.bench_function("m2m100_beam4_40", |b| {
            b.iter(|| run(&m2m100, &m2m100_input, 4))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
