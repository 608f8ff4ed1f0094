//! Every activation equals HF's `ACT2FN` on the same inputs (tests/fixtures/activations.safetensors).
use crate::util::{assert_close, fixtures, Expected};
use rust_bert::Activation;

#[test]
fn activations_match_hf() {
    let expected = Expected::load(fixtures().join("activations.safetensors"));
    let x = expected.get("x");
    let names = [
        "gelu",
        "gelu_new",
        "gelu_fast",
        "gelu_pytorch_tanh",
        "quick_gelu",
        "relu",
        "silu",
        "swish",
        "mish",
        "tanh",
        "linear",
        "gelu_accurate",
        "relu6",
        "sigmoid",
        "leaky_relu",
    ];
    for name in names {
        let activation: Activation = serde_json::from_str(&format!("\"{name}\"")).unwrap();
        let actual = activation.apply(x);
        assert_close(&actual, expected.get(&format!("act.{name}")), 1e-6, name);
        // rust-bert's accessor computes the same.
        let via_fn = (activation.get_function().get_fn())(x);
        assert_close(&via_fn, &actual, 0.0, name);
    }
}

#[test]
fn rust_bert_activation_names_still_parse() {
    for name in [
        "gelu", "relu", "swish", "mish", "gelu_new", "tanh", "identity",
    ] {
        assert!(
            serde_json::from_str::<Activation>(&format!("\"{name}\"")).is_ok(),
            "{name}"
        );
    }
    assert!(serde_json::from_str::<Activation>("\"no_such_act\"").is_err());
}
