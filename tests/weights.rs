//! Weight files: every format loads to HF's numbers, half files load into fp32, conversions
//! round-trip, and bad files are errors.
use crate::util::{assert_close, encode, fixtures, Expected, TOL};
use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use rust_bert::common::weights::{
    convert_weights, load_weights_from_file, load_weights_from_resource, read_tensors,
    write_tensors, ConversionOptions,
};
use rust_bert::resources::BufferResource;
use rust_bert::Config;
use std::path::{Path, PathBuf};
use std::process::Command;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn base_config() -> BertConfig {
    BertConfig::try_from_file(fixtures().join("bert/base/config.json")).unwrap()
}

fn weights(name: &str) -> PathBuf {
    fixtures().join("weights").join(name)
}

/// Builds the tiny base model, loads `load` into it and returns its last hidden state.
fn run_base(load: impl FnOnce(&VarStore)) -> Tensor {
    let vs = VarStore::new(Device::Cpu);
    let model = BertModel::<BertEmbeddings>::new(vs.root(), &base_config());
    load(&vs);
    let e = Expected::load(fixtures().join("bert/base/expected.safetensors"));
    encode(&model, &e).hidden_state
}

fn expected_base() -> Tensor {
    Expected::load(fixtures().join("bert/base/expected.safetensors"))
        .get("last_hidden_state")
        .shallow_clone()
}

fn assert_loads_to_hf(path: &Path) {
    let out = run_base(|vs| {
        load_weights_from_file(vs, path).unwrap();
    });
    assert_close(&out, &expected_base(), TOL, &path.display().to_string());
}

#[test]
fn hf_pytorch_bin_of_an_ordered_dict_loads() {
    assert_loads_to_hf(&weights("pytorch_model.bin"));
}

#[test]
fn sharded_safetensors_load_through_the_index() {
    assert_loads_to_hf(&weights("sharded/model.safetensors.index.json"));
}

#[test]
fn half_precision_files_load_into_fp32_unless_a_kind_is_asked() {
    let e = Expected::load(weights("expected.safetensors"));
    for (file, key) in [("fp16.safetensors", "fp16"), ("bf16.bin", "bf16")] {
        let out = run_base(|vs| {
            load_weights_from_file(vs, weights(file)).unwrap();
            assert!(vs.variables().values().all(|v| v.kind() == Kind::Float));
        });
        assert_close(&out, e.get(&format!("{key}.last_hidden_state")), TOL, file);
    }
    // A half VarStore keeps half weights.
    let mut vs = VarStore::new(Device::Cpu);
    let _model = BertModel::<BertEmbeddings>::new(vs.root(), &base_config());
    vs.half();
    load_weights_from_file(&vs, weights("fp16.safetensors")).unwrap();
    assert!(vs.variables().values().all(|v| v.kind() == Kind::Half));
}

#[test]
fn conversions_round_trip_through_every_format() {
    let scratch = tempfile::tempdir().unwrap();
    let original = read_tensors(fixtures().join("bert/masked_lm/model.safetensors")).unwrap();
    let mut path = fixtures().join("bert/masked_lm/model.safetensors");
    for (i, ext) in ["bin", "ot", "pt", "safetensors"].iter().enumerate() {
        let next = scratch.path().join(format!("step{i}.{ext}"));
        convert_weights(&path, &next, &ConversionOptions::default()).unwrap();
        path = next;
    }
    let mut back = read_tensors(&path).unwrap();
    let mut original = original;
    back.sort_by(|a, b| a.0.cmp(&b.0));
    original.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(back.len(), original.len());
    for ((name_a, a), (name_b, b)) in back.iter().zip(&original) {
        assert_eq!(name_a, name_b);
        assert!(a.equal(b), "{name_a} changed");
    }
}

#[test]
fn conversion_options_rename_drop_and_cast() {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("rust_model.ot");
    let options = ConversionOptions {
        kind: Some(Kind::Half),
        prefix: Some("bert.".into()),
        skip_embeddings: false,
        skip_lm_head: false,
    };
    convert_weights(weights("pytorch_model.bin"), &out, &options).unwrap();
    let tensors = read_tensors(&out).unwrap();
    assert!(tensors.iter().all(|(n, _)| n.starts_with("bert.")));
    assert!(tensors.iter().all(|(_, t)| t.kind() == Kind::Half));

    let named = vec![
        (
            "lm_head.weight".to_string(),
            Tensor::zeros([2, 2], (Kind::Float, Device::Cpu)),
        ),
        (
            "model.encoder.embed_tokens.weight".to_string(),
            Tensor::zeros([2], (Kind::Float, Device::Cpu)),
        ),
        (
            "encoder.LayerNorm.gamma".to_string(),
            Tensor::ones([2], (Kind::Float, Device::Cpu)),
        ),
    ];
    let src = scratch.path().join("src.safetensors");
    write_tensors(&named, &src).unwrap();
    let options = ConversionOptions {
        skip_embeddings: true,
        skip_lm_head: true,
        ..Default::default()
    };
    convert_weights(&src, &out, &options).unwrap();
    let names: Vec<String> = read_tensors(&out)
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, vec!["encoder.LayerNorm.weight"]);
}

#[test]
fn convert_tensor_binary_converts_and_reports_errors() {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("rust_model.ot");
    let status = Command::new(env!("CARGO_BIN_EXE_convert-tensor"))
        .arg(weights("sharded/model.safetensors.index.json"))
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_loads_to_hf(&out);
    let failed = Command::new(env!("CARGO_BIN_EXE_convert-tensor"))
        .arg(scratch.path().join("missing.bin"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("missing.bin"));
}

/// utils/convert_model.py (Python, run by the set-up's interpreter) makes an `.ot` that loads to
/// HF's numbers, and Python's torch.load reads the `.bin` our writer makes.
#[test]
fn python_converter_and_python_reader_agree_with_rust() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(python.is_file(), "run ./utils/setup.sh first");
    let scratch = tempfile::tempdir().unwrap();
    let ot = scratch.path().join("rust_model.ot");
    let status = Command::new(&python)
        .env("CONVERT_TENSOR", env!("CARGO_BIN_EXE_convert-tensor"))
        .arg(root.join("utils/convert_model.py"))
        .arg(weights("pytorch_model.bin"))
        .arg("--output")
        .arg(&ot)
        .status()
        .unwrap();
    assert!(status.success());
    assert_loads_to_hf(&ot);

    let bin = scratch.path().join("pytorch_model.bin");
    convert_weights(
        weights("fp16.safetensors"),
        &bin,
        &ConversionOptions::default(),
    )
    .unwrap();
    let check = "import sys, torch\nfrom safetensors.torch import load_file\n\
                 a = torch.load(sys.argv[1], weights_only=True)\nb = load_file(sys.argv[2])\n\
                 assert set(a) == set(b), (set(a) ^ set(b))\n\
                 assert all(torch.equal(a[k], b[k]) for k in b)\nprint('ok')";
    let output = Command::new(&python)
        .args(["-c", check])
        .arg(&bin)
        .arg(weights("fp16.safetensors"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn weights_load_from_memory_buffers() {
    for file in [fixtures().join("bert/base/model.safetensors"), {
        let scratch = std::env::temp_dir().join(format!("rb-buffer-{}.ot", std::process::id()));
        write_tensors(
            &read_tensors(fixtures().join("bert/base/model.safetensors")).unwrap(),
            &scratch,
        )
        .unwrap();
        scratch
    }] {
        let bytes = std::fs::read(&file).unwrap();
        let buffer = BufferResource::from(bytes);
        let out = run_base(|vs| {
            load_weights_from_resource(vs, &buffer).unwrap();
        });
        assert_close(&out, &expected_base(), TOL, &file.display().to_string());
    }
}

#[test]
fn bad_weight_files_are_errors() {
    let scratch = tempfile::tempdir().unwrap();
    let vs = VarStore::new(Device::Cpu);
    let _model = BertModel::<BertEmbeddings>::new(vs.root(), &base_config());
    // Unknown extension, missing file, garbage in each format, truncated archive.
    let unknown = scratch.path().join("weights.h5");
    std::fs::write(&unknown, b"x").unwrap();
    assert!(load_weights_from_file(&vs, &unknown)
        .unwrap_err()
        .to_string()
        .contains("weights.h5"));
    assert!(load_weights_from_file(&vs, scratch.path().join("none.safetensors")).is_err());
    for ext in ["safetensors", "bin", "ot"] {
        let garbage = scratch.path().join(format!("garbage.{ext}"));
        std::fs::write(&garbage, b"this is not a weight file at all").unwrap();
        let error = load_weights_from_file(&vs, &garbage)
            .unwrap_err()
            .to_string();
        assert!(error.contains("garbage"), "{error}");
    }
    let bin = std::fs::read(weights("pytorch_model.bin")).unwrap();
    let truncated = scratch.path().join("truncated.bin");
    std::fs::write(&truncated, &bin[..bin.len() / 2]).unwrap();
    assert!(load_weights_from_file(&vs, &truncated).is_err());
    let index = scratch.path().join("model.safetensors.index.json");
    std::fs::write(&index, r#"{"metadata": {}}"#).unwrap();
    assert!(load_weights_from_file(&vs, &index)
        .unwrap_err()
        .to_string()
        .contains("weight_map"));
}

#[test]
fn safetensors_weights_use_the_file_pages_copy_on_write() {
    // Loaded from a copy that is then deleted: the model keeps working (the mapping outlives
    // the file name) and gives HF's numbers.
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("model.safetensors");
    std::fs::copy(fixtures().join("bert/base/model.safetensors"), &file).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let model = BertModel::<BertEmbeddings>::new(vs.root(), &base_config());
    load_weights_from_file(&vs, &file).unwrap();
    let before = std::fs::read(&file).unwrap();
    // Writing to a loaded weight changes the model, never the file.
    let mut word_embeddings = vs.variables()["embeddings.word_embeddings.weight"].shallow_clone();
    let original = word_embeddings.copy();
    tch::no_grad(|| {
        let _ = word_embeddings.fill_(0.5);
    });
    assert_eq!(std::fs::read(&file).unwrap(), before, "the file changed");
    tch::no_grad(|| word_embeddings.copy_(&original));
    drop(scratch);
    let e = Expected::load(fixtures().join("bert/base/expected.safetensors"));
    let out = encode(&model, &e).hidden_state;
    assert_close(&out, &expected_base(), TOL, "after the file was deleted");
    // A second model from the same file is independent of the first's writes.
    let vs2 = VarStore::new(Device::Cpu);
    let _model2 = BertModel::<BertEmbeddings>::new(vs2.root(), &base_config());
    load_weights_from_file(&vs2, fixtures().join("bert/base/model.safetensors")).unwrap();
    assert_close(
        &vs2.variables()["embeddings.word_embeddings.weight"],
        &original,
        0.0,
        "second load",
    );
}
