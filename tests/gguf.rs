//! GGUF files against llama.cpp's own `gguf` package and HF's GGUF loader (fixtures:
//! utils/fixtures_gguf.py).
use crate::util::fixtures;
use rust_bert::common::gguf::{GgmlType, GgufFile, GgufValue};
use rust_bert::RustBertError;
use std::collections::HashMap;
use std::path::PathBuf;
use tch::{Kind, Tensor};

fn dir() -> PathBuf {
    fixtures().join("gguf")
}

fn load(path: PathBuf) -> HashMap<String, Tensor> {
    Tensor::read_safetensors(path)
        .unwrap()
        .into_iter()
        .collect()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.size(), b.size());
    (a - b).abs().max().double_value(&[])
}

/// Every metadata type, and every GGML type the crate reads, value for value as
/// `gguf.quants.dequantize` gives them.
#[test]
fn tiny_file_matches_the_gguf_package() {
    let file = GgufFile::open(dir().join("tiny.gguf")).unwrap();
    assert_eq!(file.version, 3);
    assert_eq!(file.architecture(), Some("tinytest"));
    let m = &file.metadata;
    assert_eq!(m["test.u8"], GgufValue::UInt(200));
    assert_eq!(m["test.i8"], GgufValue::Int(-100));
    assert_eq!(m["test.u16"], GgufValue::UInt(60000));
    assert_eq!(m["test.i16"], GgufValue::Int(-30000));
    assert_eq!(m["test.u32"], GgufValue::UInt(4_000_000_000));
    assert_eq!(m["test.i32"], GgufValue::Int(-2_000_000_000));
    assert_eq!(m["test.f32"], GgufValue::Float(0.15625));
    assert_eq!(m["test.bool"], GgufValue::Bool(true));
    assert_eq!(m["test.string"].as_str(), Some("héllo ▁wörld"));
    assert_eq!(m["test.u64"], GgufValue::UInt((1 << 63) + 5));
    assert_eq!(m["test.i64"], GgufValue::Int(-(1 << 62)));
    assert_eq!(m["test.f64"], GgufValue::Float(-1.0e-300));
    let strings: Vec<&str> = m["test.strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(strings, ["<s>", "</s>", "▁the", ""]);
    assert_eq!(
        m["test.nested"],
        GgufValue::Array(vec![
            GgufValue::Array(vec![GgufValue::Int(1), GgufValue::Int(2)]),
            GgufValue::Array(vec![GgufValue::Int(3)])
        ])
    );

    let expected = load(dir().join("tiny_expected.safetensors"));
    let kinds = [
        ("f32", GgmlType::F32),
        ("f16", GgmlType::F16),
        ("bf16", GgmlType::BF16),
        ("q8_0", GgmlType::Q8_0),
        ("q4_0", GgmlType::Q4_0),
        ("q4_1", GgmlType::Q4_1),
        ("q4_k", GgmlType::Q4_K),
        ("q5_k", GgmlType::Q5_K),
        ("q6_k", GgmlType::Q6_K),
    ];
    assert_eq!(file.tensors.len(), kinds.len());
    for (name, kind) in kinds {
        let info = file.info(name).unwrap();
        assert_eq!(info.kind, kind, "{name}");
        assert_eq!(info.shape, [4, 512], "{name}");
        let ours = file.tensor(name, Kind::Float).unwrap();
        let theirs = &expected[name];
        // Same formulas in f32: equal up to the rounding of one multiply-add.
        let scale = theirs.abs().max().double_value(&[]).max(1e-30);
        let diff = max_diff(&ours, theirs);
        assert!(
            diff <= 1e-6 * scale,
            "{name}: max |diff| {diff:e} (scale {scale})"
        );
        let half = file.tensor(name, Kind::BFloat16).unwrap();
        assert_eq!(half.kind(), Kind::BFloat16);
        assert!(max_diff(&half.to_kind(Kind::Float), theirs) <= 1e-2 * scale);
    }
    assert!(matches!(
        file.tensor("missing", Kind::Float),
        Err(RustBertError::InvalidConfigurationError(m)) if m.contains("missing") && m.contains("tiny.gguf")
    ));
    // Not a Llama-layout architecture.
    assert!(matches!(
        file.hf_tensors(Kind::Float),
        Err(RustBertError::UnsupportedError(m)) if m.contains("tinytest")
    ));
}

/// Truncated, corrupted and hostile files are errors naming the file, never panics or
/// allocations the file cannot back.
#[test]
fn damaged_files_are_errors() {
    let bytes = std::fs::read(dir().join("tiny.gguf")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("bad.gguf");
    let open = |data: &[u8]| {
        std::fs::write(&path, data).unwrap();
        GgufFile::open(&path)
    };
    // Every truncation inside the header, metadata and index, and a sample of the data.
    let header_end = 2_000.min(bytes.len());
    let mut cuts: Vec<usize> = (0..header_end).collect();
    cuts.extend((header_end..bytes.len()).step_by(997));
    for cut in cuts {
        match open(&bytes[..cut]) {
            Err(e) => assert!(e.to_string().contains("bad.gguf"), "cut {cut}: {e}"),
            Ok(file) => panic!("cut at {cut} of {} read as {file:?}", bytes.len()),
        }
    }
    let patched = |at: usize, value: &[u8]| {
        let mut b = bytes.clone();
        b[at..at + value.len()].copy_from_slice(value);
        b
    };
    let error = open(&patched(0, b"GGUX")).unwrap_err().to_string();
    assert!(error.contains("magic"), "{error}");
    let error = open(&patched(4, &1u32.to_le_bytes()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("version 1"), "{error}");
    // A tensor count no file of this size can hold.
    let error = open(&patched(8, &u64::MAX.to_le_bytes()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("exceeds the file"), "{error}");
    // The first key's value type (after count fields and the key "general.architecture").
    let key_len = u64::from_le_bytes(bytes[24..32].try_into().unwrap()) as usize;
    let type_at = 32 + key_len;
    let error = open(&patched(type_at, &77u32.to_le_bytes()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown metadata type 77"), "{error}");
    // An unknown GGML type: the index reads, the tensor is refused by name.
    let file = GgufFile::open(dir().join("tiny.gguf")).unwrap();
    assert!(file.tensors.iter().all(|t| t.kind.block().is_some()));
    let mut b = bytes.clone();
    let name = b"q6_k";
    let at = b
        .windows(name.len())
        .rposition(|w| w == name)
        .expect("q6_k in the index");
    // name, n_dims (u32), two u64 dims, then the type
    let type_at = at + name.len() + 4 + 16;
    b[type_at..type_at + 4].copy_from_slice(&99u32.to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    let file = GgufFile::open(&path).unwrap();
    assert_eq!(file.info("q6_k").unwrap().kind, GgmlType::Other(99));
    let error = file.tensor("q6_k", Kind::Float).unwrap_err();
    assert!(
        matches!(&error, RustBertError::UnsupportedError(m) if m.contains("q6_k") && m.contains("Other(99)")),
        "{error}"
    );
    assert!(GgufFile::open(scratch.path().join("absent.gguf"))
        .unwrap_err()
        .to_string()
        .contains("absent.gguf"));
}

/// The real SmolLM2-135M-Instruct Q4_1 file (installed by utils/setup.sh): tensors under HF's
/// names equal HF's GGUF loader's (dequantised, query and key rows back in HF's order), and the
/// config equals the one HF parses.
#[test]
fn smollm2_tensors_and_config_equal_hf_loader() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let file = GgufFile::open(&path).unwrap();
    assert_eq!(file.architecture(), Some("llama"));
    assert_eq!(file.tensors.len(), 272);
    assert!(file
        .chat_template()
        .is_some_and(|t| t.contains("<|im_start|>")));

    let hf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("smollm2_config.json")).unwrap())
            .unwrap();
    let ours = file.hf_config();
    for (key, value) in ours.as_object().unwrap() {
        assert_eq!(&hf[key], value, "config key {key}");
    }
    for key in [
        "num_hidden_layers",
        "hidden_size",
        "num_key_value_heads",
        "rope_theta",
        "head_dim",
        "tie_word_embeddings",
        "eos_token_id",
    ] {
        assert!(ours.get(key).is_some(), "{key} missing");
    }

    let tensors: HashMap<String, Tensor> =
        file.hf_tensors(Kind::Float).unwrap().into_iter().collect();
    assert_eq!(tensors.len(), 272);
    let expected = load(dir().join("smollm2.safetensors"));
    let mut checked = 0;
    for (key, want) in &expected {
        let (name, got) = if let Some(name) = key.strip_suffix(".rows") {
            (name, tensors[name].narrow(0, 0, 3))
        } else if let Some(name) = key.strip_suffix(".row_sums") {
            (
                name,
                tensors[name]
                    .to_kind(Kind::Double)
                    .sum_dim_intlist([1i64].as_slice(), false, Kind::Double)
                    .to_kind(Kind::Float),
            )
        } else {
            (key.as_str(), tensors[key.as_str()].shallow_clone())
        };
        let scale = want.abs().max().double_value(&[]).max(1e-6);
        let diff = max_diff(&got, want);
        assert!(diff <= 1e-5 * scale, "{key} ({name}): max |diff| {diff:e}");
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

/// `load_into` fills a VarStore by HF names in the variables' own kind (a tied model's
/// `lm_head.weight` from the embeddings) and lists what the file lacks or shapes differently.
#[test]
fn smollm2_loads_into_a_var_store_by_hf_names() {
    use tch::nn::{Init, VarStore};
    use tch::Device;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let file = GgufFile::open(&path).unwrap();
    // A variable under its dotted HF name.
    let var = |vs: &VarStore, name: &str, dims: &[i64]| {
        let (path, leaf) = name.rsplit_once('.').unwrap();
        let p = path.split('.').fold(vs.root(), |p, part| p / part);
        let _ = p.var(leaf, dims, Init::Const(0.0));
    };
    let mut vs = VarStore::new(Device::Cpu);
    var(&vs, "model.norm.weight", &[576]);
    var(&vs, "model.layers.0.self_attn.k_proj.weight", &[192, 576]);
    var(&vs, "lm_head.weight", &[49152, 576]);
    vs.bfloat16();
    file.load_into(&vs).unwrap();
    let variables = vs.variables();
    assert_eq!(variables["lm_head.weight"].kind(), Kind::BFloat16);
    let expected = load(dir().join("smollm2.safetensors"));
    let close = |got: &Tensor, want: &Tensor, what: &str| {
        let diff = max_diff(&got.to_kind(Kind::Float), want);
        let scale = want.abs().max().double_value(&[]);
        assert!(diff <= 1e-2 * scale, "{what}: {diff:e}");
    };
    close(
        &variables["model.norm.weight"],
        &expected["model.norm.weight"],
        "norm",
    );
    close(
        &variables["model.layers.0.self_attn.k_proj.weight"].narrow(0, 0, 3),
        &expected["model.layers.0.self_attn.k_proj.weight.rows"],
        "k_proj",
    );
    close(
        &variables["lm_head.weight"].narrow(0, 0, 3),
        &expected["model.embed_tokens.weight.rows"],
        "tied head",
    );

    let vs = VarStore::new(Device::Cpu);
    var(&vs, "model.norm.weight", &[575]);
    var(&vs, "model.extra.weight", &[4]);
    let error = file.load_into(&vs).unwrap_err().to_string();
    assert!(
        error.contains("model.norm.weight: shape [576] in the file, [575] in the model")
            && error.contains("model.extra.weight: not in the file")
            && error.contains("SmolLM2"),
        "{error}"
    );
}

fn smollm2_tokenizer_fixture() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("smollm2_tokenizer.json")).unwrap())
        .unwrap()
}

/// The tokenizer built from the SmolLM2 file's metadata equals HF's GGUF tokenizer on the
/// tokenizer corpus (ids and decodings) and on text holding its special tokens.
#[test]
fn smollm2_tokenizer_from_metadata_equals_hf() {
    use rust_bert::pipelines::common::TokenizerOption;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let file = GgufFile::open(&path).unwrap();
    let tokenizer = TokenizerOption::from_gguf(&file).unwrap();
    let e = smollm2_tokenizer_fixture();
    let texts = e["texts"].as_array().unwrap();
    let mut differ = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let text = text.as_str().unwrap();
        let want: Vec<i64> = serde_json::from_value(e["ids"][i].clone()).unwrap();
        let got = tokenizer.encode_list(
            &[text],
            100_000,
            &rust_tokenizers::tokenizer::TruncationStrategy::LongestFirst,
            0,
        )[0]
        .token_ids
        .clone();
        if got != want {
            differ.push(i);
            continue;
        }
        assert_eq!(
            tokenizer.decode(&got, false, false),
            e["decoded"][i].as_str().unwrap(),
            "decoding of text {i}"
        );
    }
    assert!(
        differ.is_empty(),
        "texts whose ids differ from HF: {differ:?}"
    );
    assert_eq!(tokenizer.get_bos_id(), Some(1));
    assert_eq!(tokenizer.get_eos_id(), Some(2));
}

/// Chat templates render as HF's `apply_chat_template` renders them: SmolLM2's own (from the
/// file), and two that use what HF's jinja2 set-up allows (loop controls, `trim`, namespaces,
/// Python string methods, `tojson` without HTML escaping and with an indent,
/// `raise_exception`, whose message is the error).
#[test]
fn chat_templates_render_as_hf() {
    use rust_bert::common::chat_template::{ChatMessage, ChatTemplate};
    use std::collections::BTreeMap;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let file = GgufFile::open(&path).unwrap();
    let e = smollm2_tokenizer_fixture();
    let special: BTreeMap<String, String> =
        serde_json::from_value(e["special_tokens"].clone()).unwrap();
    let templates: HashMap<String, ChatTemplate> = [
        ("smollm2", file.chat_template().unwrap()),
        (
            "llama3_like",
            e["templates"]["llama3_like"].as_str().unwrap(),
        ),
        ("pythonic", e["templates"]["pythonic"].as_str().unwrap()),
    ]
    .into_iter()
    .map(|(name, source)| (name.to_string(), ChatTemplate::new(source).unwrap()))
    .collect();
    let mut refused = 0;
    for case in e["chats"].as_array().unwrap() {
        let name = case["template"].as_str().unwrap();
        let messages: Vec<ChatMessage> = case["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| ChatMessage::new(m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
            .collect();
        let add = case["add_generation_prompt"].as_bool().unwrap();
        let rendered = templates[name].render(&messages, add, &special);
        match case.get("expected") {
            Some(want) => assert_eq!(
                rendered.unwrap(),
                want.as_str().unwrap(),
                "{name}, {} messages, add_generation_prompt {add}",
                messages.len()
            ),
            None => {
                let error = rendered.unwrap_err().to_string();
                let hf = case["error"].as_str().unwrap();
                assert!(error.contains(hf), "{name}: {error} (HF: {hf})");
                refused += 1;
            }
        }
    }
    assert!(refused >= 2);
    assert!(ChatTemplate::new("{% for %}").is_err());
}

/// The real SmolLM2-135M-Instruct Q4_1 file runs as HF runs it (`from_pretrained(...,
/// gguf_file=...)`, which dequantises the same file): the chat prompt rendered from the file's
/// own template, its tokens, the logits of its last position, and the greedy reply of up to 48
/// tokens, token for token, through `LlamaGenerator::from_gguf`.
#[test]
fn smollm2_gguf_chats_as_hf() {
    use rust_bert::common::chat_template::{ChatMessage, ChatTemplate};
    use rust_bert::llama::{LlamaConfig, LlamaForCausalLM, LlamaGenerator};
    use rust_bert::pipelines::generation_utils::{
        GenerateConfig, GenerateOptions, LanguageGenerator,
    };
    use std::collections::BTreeMap;
    use tch::nn::VarStore;
    use tch::Device;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let file = GgufFile::open(&path).unwrap();
    let template = ChatTemplate::new(file.chat_template().unwrap()).unwrap();
    let special: BTreeMap<String, String> =
        serde_json::from_value(smollm2_tokenizer_fixture()["special_tokens"].clone()).unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(dir().join("smollm2_generation.json")).unwrap(),
    )
    .unwrap();
    let logits = load(dir().join("smollm2_generation.safetensors"));

    // The model alone, loaded from the file's metadata and tensors.
    let config: LlamaConfig =
        rust_bert::common::config::parse_config(&file.hf_config().to_string(), "SmolLM2").unwrap();
    let vs = VarStore::new(Device::Cpu);
    let model = LlamaForCausalLM::new(vs.root(), &config).unwrap();
    file.load_into(&vs).unwrap();

    let generator = LlamaGenerator::from_gguf(
        &path,
        GenerateConfig {
            device: Device::Cpu,
            do_sample: false,
            num_beams: 1,
            max_length: None,
            // HF's generate defaults (rust-bert's GenerateConfig bans repeated 3-grams).
            no_repeat_ngram_size: 0,
            ..Default::default()
        },
    )
    .unwrap();
    for (i, case) in cases.iter().enumerate() {
        let messages: Vec<ChatMessage> = case["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| ChatMessage::new(m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
            .collect();
        let prompt = template.render(&messages, true, &special).unwrap();
        assert_eq!(prompt, case["prompt"].as_str().unwrap(), "chat {i}: prompt");
        let ids: Vec<i64> = serde_json::from_value(case["input_ids"].clone()).unwrap();
        let input = Tensor::from_slice(&ids).unsqueeze(0);
        let ours = tch::no_grad(|| model.forward_t(Some(&input), None, None, None, None))
            .unwrap()
            .lm_logits
            .get(0)
            .get(-1);
        let theirs = &logits[&format!("chat{i}.last_logits")];
        let diff = max_diff(&ours, theirs);
        println!("SmolLM2 chat {i}: last-position logits max |diff| {diff:.2e}");
        assert!(diff <= 1e-4, "chat {i}: logits max |diff| {diff:e}");

        let options = GenerateOptions {
            max_new_tokens: Some(48),
            ..Default::default()
        };
        let out = generator
            .generate_indices(Some(&[prompt.as_str()]), Some(options))
            .unwrap();
        let want: Vec<i64> = serde_json::from_value(case["generated"].clone()).unwrap();
        assert_eq!(
            &out[0].indices[..ids.len()],
            ids.as_slice(),
            "chat {i}: prompt ids"
        );
        assert_eq!(
            &out[0].indices[ids.len()..],
            want.as_slice(),
            "chat {i}: reply"
        );
    }
}
