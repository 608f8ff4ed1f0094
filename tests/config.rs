//! Configuration loading: errors name the file and the field, never panic.
use rust_bert::bert::BertConfig;
use rust_bert::{Config, RustBertError};

fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn missing_file_names_the_file() {
    let error = BertConfig::try_from_file("/nonexistent/config.json").unwrap_err();
    assert!(matches!(error, RustBertError::IOError(_)));
    assert!(error.to_string().contains("/nonexistent/config.json"));
}

#[test]
fn bad_json_names_the_file() {
    let (_dir, path) = write("{ not json");
    let error = BertConfig::try_from_file(&path).unwrap_err();
    assert!(matches!(error, RustBertError::InvalidConfigurationError(_)));
    assert!(error.to_string().contains(&path.display().to_string()));
}

#[test]
fn wrong_field_type_names_the_field() {
    let (_dir, path) = write(r#"{"hidden_size": "large", "vocab_size": 10}"#);
    let error = BertConfig::try_from_file(&path).unwrap_err().to_string();
    assert!(error.contains("hidden_size"), "{error}");
    let (_dir, path) = write(r#"{"id2label": {"zero": "a"}}"#);
    let error = BertConfig::try_from_file(&path).unwrap_err().to_string();
    assert!(error.contains("id2label"), "{error}");
    let (_dir, path) = write(r#"{"hidden_act": "gelu_unknown"}"#);
    let error = BertConfig::try_from_file(&path).unwrap_err().to_string();
    assert!(error.contains("hidden_act"), "{error}");
}

#[test]
fn hf_5_configs_and_minimal_configs_load_with_hf_defaults() {
    let (_dir, path) = write(r#"{"model_type": "bert", "dtype": "float32", "bos_token_id": null}"#);
    let config = BertConfig::try_from_file(&path).unwrap();
    assert_eq!(config.hidden_size, 768);
    assert_eq!(config.layer_norm_eps(), 1e-12);
    let (_dir, path) = write(r#"{"layer_norm_eps": 1e-5, "id2label": {"0": "NEG", "1": "POS"}}"#);
    let config = BertConfig::try_from_file(&path).unwrap();
    assert_eq!(config.layer_norm_eps(), 1e-5);
    assert_eq!(config.id2label.unwrap()[&1], "POS");
}

#[test]
#[should_panic(expected = "cannot read configuration file")]
fn rust_bert_style_from_file_panics_with_the_message() {
    let _ = BertConfig::from_file("/nonexistent/config.json");
}
