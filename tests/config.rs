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

/// Every architecture's configuration is judged in one place (`Config::validate` with
/// `ConfigChecks`): a `config.json` with no heads, heads that do not divide the hidden size or
/// a negative size is an error naming the file and the field, through the models' own
/// `try_from_file` and through the pipelines' `ConfigOption::from_file`, never a panic.
#[test]
fn bad_sizes_in_every_architecture_are_errors_naming_file_and_field() {
    use rust_bert::pipelines::common::{ConfigOption, ModelType};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // (model type, fixture config, heads field, hidden-size field, another size field)
    let cases = [
        (
            ModelType::Bert,
            "bert/base",
            "num_attention_heads",
            "hidden_size",
            "intermediate_size",
        ),
        (
            ModelType::Roberta,
            "roberta/base",
            "num_attention_heads",
            "hidden_size",
            "vocab_size",
        ),
        (
            ModelType::DistilBert,
            "distilbert/base",
            "n_heads",
            "dim",
            "hidden_dim",
        ),
        (
            ModelType::Albert,
            "albert/base",
            "num_attention_heads",
            "hidden_size",
            "embedding_size",
        ),
        (
            ModelType::Electra,
            "electra/base",
            "num_attention_heads",
            "hidden_size",
            "embedding_size",
        ),
        (
            ModelType::MobileBert,
            "mobilebert/base",
            "num_attention_heads",
            "",
            "vocab_size",
        ),
        (
            ModelType::MPNet,
            "mpnet/base",
            "num_attention_heads",
            "hidden_size",
            "intermediate_size",
        ),
        (ModelType::GPT2, "gpt2", "n_head", "n_embd", "n_positions"),
        (ModelType::XLNet, "xlnet/lm", "n_head", "d_model", "d_inner"),
        (
            ModelType::Bart,
            "bart",
            "encoder_attention_heads",
            "d_model",
            "encoder_ffn_dim",
        ),
        (ModelType::T5, "t5", "num_heads", "", "d_ff"),
        (
            ModelType::Longformer,
            "longformer/base",
            "num_attention_heads",
            "hidden_size",
            "intermediate_size",
        ),
    ];
    for (model_type, dir, heads, hidden, size) in cases {
        let path = fixtures.join(dir).join("config.json");
        let original: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            ConfigOption::from_file(model_type, &path).is_ok(),
            "{dir}: the fixture itself is refused"
        );
        let mut broken = vec![(heads, serde_json::json!(0), format!("{heads} = 0"))];
        if !hidden.is_empty() {
            let value = original[hidden].as_i64().unwrap();
            broken.push((
                hidden,
                serde_json::json!(value + 1),
                format!("is not a multiple of {heads}"),
            ));
        }
        broken.push((size, serde_json::json!(-4), format!("{size} = -4")));
        for (field, value, expected) in broken {
            let mut config = original.clone();
            config[field] = value;
            let (_dir, file) = write(&config.to_string());
            let error = ConfigOption::from_file(model_type, &file)
                .err()
                .unwrap_or_else(|| panic!("{dir}: {field} accepted"))
                .to_string();
            assert!(
                error.contains(&file.display().to_string()) && error.contains(&expected),
                "{dir}, {field}: {error}"
            );
        }
    }
    // The same check through a model's own loader (rust-bert's `try_from_file` path).
    let (_dir, file) = write(
        r#"{"vocab_size": 10, "hidden_size": 30, "num_hidden_layers": 1,
        "num_attention_heads": 4, "intermediate_size": 8, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 16, "type_vocab_size": 2, "initializer_range": 0.02}"#,
    );
    match BertConfig::try_from_file(&file) {
        Err(RustBertError::InvalidConfigurationError(message)) => assert!(
            message.contains("hidden_size = 30 is not a multiple of num_attention_heads = 4"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
}
