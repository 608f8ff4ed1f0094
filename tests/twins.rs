//! rust-bert 0.23's infallible signatures and their `try_` twins: the input a plain method
//! panics on (here: no ids and no embeddings, or ids of the wrong rank) is a `RustBertError`
//! through the twin, and the plain method's panic carries that error's message.
use rust_bert::albert::{
    AlbertConfig, AlbertForMaskedLM, AlbertForQuestionAnswering, AlbertForSequenceClassification,
    AlbertForTokenClassification,
};
use rust_bert::bart::{
    BartConfig, BartForConditionalGeneration, BartForSequenceClassification, BartModel,
};
use rust_bert::bert::{
    BertConfig, BertForMaskedLM, BertForMultipleChoice, BertForQuestionAnswering,
    BertForSequenceClassification, BertForTokenClassification,
};
use rust_bert::electra::{
    ElectraConfig, ElectraDiscriminator, ElectraForMaskedLM, ElectraForMultipleChoice,
    ElectraForQuestionAnswering, ElectraForSequenceClassification, ElectraForTokenClassification,
    ElectraModel,
};
use rust_bert::marian::{MarianConfig, MarianForConditionalGeneration};
use rust_bert::roberta::{RobertaForMaskedLM, RobertaForSequenceClassification};
use rust_bert::t5::{T5Config, T5ForConditionalGeneration, T5Model};
use rust_bert::xlnet::{
    XLNetConfig, XLNetForMultipleChoice, XLNetForQuestionAnswering, XLNetForSequenceClassification,
    XLNetForTokenClassification,
};
use rust_bert::{Config, RustBertError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// The twin returns an error; the plain method panics with that error in its message.
fn same_failure<T, U>(
    what: &str,
    twin: impl FnOnce() -> Result<T, RustBertError>,
    plain: impl FnOnce() -> U,
) {
    let error = match twin() {
        Ok(_) => panic!("{what}: the try_ twin accepted the bad input"),
        Err(error) => error.to_string(),
    };
    let panic = catch_unwind(AssertUnwindSafe(plain))
        .err()
        .unwrap_or_else(|| panic!("{what}: the plain method did not panic"));
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        message.contains(&error),
        "{what}: panic {message:?} does not carry the error {error:?}"
    );
}

/// A 1-D tensor: the wrong rank for every model's ids.
fn flat_ids() -> Tensor {
    Tensor::ones([4], (Kind::Int64, Device::Cpu))
}

#[test]
fn bert_family_heads() {
    let config =
        BertConfig::try_from_file(fixture("bert/sequence_classification/config.json")).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let p = vs.root();
    let mlm = BertForMaskedLM::new(&p / "mlm", &config);
    same_failure(
        "BertForMaskedLM",
        || mlm.try_forward_t(None, None, None, None, None, None, None, false),
        || mlm.forward_t(None, None, None, None, None, None, None, false),
    );
    let classifier = BertForSequenceClassification::new(&p / "cls", &config).unwrap();
    same_failure(
        "BertForSequenceClassification",
        || classifier.try_forward_t(None, None, None, None, None, false),
        || classifier.forward_t(None, None, None, None, None, false),
    );
    let choices = BertForMultipleChoice::new(&p / "mc", &config);
    let ids = flat_ids();
    same_failure(
        "BertForMultipleChoice",
        || choices.try_forward_t(&ids, None, None, None, false),
        || choices.forward_t(&ids, None, None, None, false),
    );
    let tokens = BertForTokenClassification::new(&p / "tok", &config).unwrap();
    same_failure(
        "BertForTokenClassification",
        || tokens.try_forward_t(None, None, None, None, None, false),
        || tokens.forward_t(None, None, None, None, None, false),
    );
    let qa = BertForQuestionAnswering::new(&p / "qa", &config);
    same_failure(
        "BertForQuestionAnswering",
        || qa.try_forward_t(None, None, None, None, None, false),
        || qa.forward_t(None, None, None, None, None, false),
    );
    let roberta_config =
        BertConfig::try_from_file(fixture("roberta/sequence_classification/config.json")).unwrap();
    let roberta_mlm = RobertaForMaskedLM::new(&p / "rmlm", &roberta_config);
    same_failure(
        "RobertaForMaskedLM",
        || roberta_mlm.try_forward_t(None, None, None, None, None, None, None, false),
        || roberta_mlm.forward_t(None, None, None, None, None, None, None, false),
    );
    let roberta_cls = RobertaForSequenceClassification::new(&p / "rcls", &roberta_config).unwrap();
    same_failure(
        "RobertaForSequenceClassification",
        || roberta_cls.try_forward_t(None, None, None, None, None, false),
        || roberta_cls.forward_t(None, None, None, None, None, false),
    );
}

#[test]
fn electra_heads() {
    let config =
        ElectraConfig::try_from_file(fixture("electra/sequence_classification/config.json"))
            .unwrap();
    let vs = VarStore::new(Device::Cpu);
    let p = vs.root();
    let bad = ElectraConfig {
        num_attention_heads: 5,
        ..config.clone()
    };
    same_failure(
        "ElectraModel::new",
        || ElectraModel::try_new(&p / "bad", &bad),
        || ElectraModel::new(&p / "bad", &bad),
    );
    same_failure(
        "ElectraDiscriminator::new",
        || ElectraDiscriminator::try_new(&p / "bad", &bad),
        || ElectraDiscriminator::new(&p / "bad", &bad),
    );
    let generator = ElectraForMaskedLM::new(&p / "mlm", &config);
    same_failure(
        "ElectraForMaskedLM",
        || generator.try_forward_t(None, None, None, None, None, false),
        || generator.forward_t(None, None, None, None, None, false),
    );
    let discriminator = ElectraDiscriminator::new(&p / "disc", &config);
    same_failure(
        "ElectraDiscriminator",
        || discriminator.try_forward_t(None, None, None, None, None, false),
        || discriminator.forward_t(None, None, None, None, None, false),
    );
    let tokens = ElectraForTokenClassification::new(&p / "tok", &config).unwrap();
    same_failure(
        "ElectraForTokenClassification",
        || tokens.try_forward_t(None, None, None, None, None, false),
        || tokens.forward_t(None, None, None, None, None, false),
    );
    let classifier = ElectraForSequenceClassification::new(&p / "cls", &config).unwrap();
    same_failure(
        "ElectraForSequenceClassification",
        || classifier.try_forward_t(None, None, None, None, None, false),
        || classifier.forward_t(None, None, None, None, None, false),
    );
    let qa = ElectraForQuestionAnswering::new(&p / "qa", &config).unwrap();
    same_failure(
        "ElectraForQuestionAnswering",
        || qa.try_forward_t(None, None, None, None, None, false),
        || qa.forward_t(None, None, None, None, None, false),
    );
    let choices = ElectraForMultipleChoice::new(&p / "mc", &config).unwrap();
    let ids = flat_ids();
    same_failure(
        "ElectraForMultipleChoice",
        || choices.try_forward_t(Some(&ids), None, None, None, None, false),
        || choices.forward_t(Some(&ids), None, None, None, None, false),
    );
}

#[test]
fn albert_heads() {
    let config =
        AlbertConfig::try_from_file(fixture("albert/sequence_classification/config.json")).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let p = vs.root();
    let mlm = AlbertForMaskedLM::new(&p / "mlm", &config);
    same_failure(
        "AlbertForMaskedLM",
        || mlm.try_forward_t(None, None, None, None, None, false),
        || mlm.forward_t(None, None, None, None, None, false),
    );
    let classifier = AlbertForSequenceClassification::new(&p / "cls", &config).unwrap();
    same_failure(
        "AlbertForSequenceClassification",
        || classifier.try_forward_t(None, None, None, None, None, false),
        || classifier.forward_t(None, None, None, None, None, false),
    );
    let tokens = AlbertForTokenClassification::new(&p / "tok", &config).unwrap();
    same_failure(
        "AlbertForTokenClassification",
        || tokens.try_forward_t(None, None, None, None, None, false),
        || tokens.forward_t(None, None, None, None, None, false),
    );
    let qa = AlbertForQuestionAnswering::new(&p / "qa", &config);
    same_failure(
        "AlbertForQuestionAnswering",
        || qa.try_forward_t(None, None, None, None, None, false),
        || qa.forward_t(None, None, None, None, None, false),
    );
}

#[test]
fn xlnet_heads() {
    let config =
        XLNetConfig::try_from_file(fixture("xlnet/sequence_classification/config.json")).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let p = vs.root();
    let classifier = XLNetForSequenceClassification::new(&p / "cls", &config).unwrap();
    same_failure(
        "XLNetForSequenceClassification",
        || classifier.try_forward_t(None, None, None, None, None, None, None, false),
        || classifier.forward_t(None, None, None, None, None, None, None, false),
    );
    let tokens = XLNetForTokenClassification::new(&p / "tok", &config).unwrap();
    same_failure(
        "XLNetForTokenClassification",
        || tokens.try_forward_t(None, None, None, None, None, None, None, false),
        || tokens.forward_t(None, None, None, None, None, None, None, false),
    );
    let choices = XLNetForMultipleChoice::new(&p / "mc", &config).unwrap();
    let ids = flat_ids();
    same_failure(
        "XLNetForMultipleChoice",
        || choices.try_forward_t(Some(&ids), None, None, None, None, None, None, false),
        || choices.forward_t(Some(&ids), None, None, None, None, None, None, false),
    );
    let qa = XLNetForQuestionAnswering::new(&p / "qa", &config).unwrap();
    same_failure(
        "XLNetForQuestionAnswering",
        || qa.try_forward_t(None, None, None, None, None, None, None, false),
        || qa.forward_t(None, None, None, None, None, None, None, false),
    );
}

#[test]
fn encoder_decoder_models() {
    let bart_config = BartConfig::try_from_file(fixture("bart/config.json")).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let p = vs.root();
    let ids = flat_ids();
    let bart = BartModel::new(&p / "bart", &bart_config);
    same_failure(
        "BartModel",
        || bart.try_forward_t(None, None, None, None, None, None, false),
        || bart.forward_t(None, None, None, None, None, None, false),
    );
    let generation = BartForConditionalGeneration::new(&p / "cg", &bart_config);
    same_failure(
        "BartForConditionalGeneration",
        || generation.try_forward_t(None, None, None, None, None, None, false),
        || generation.forward_t(None, None, None, None, None, None, false),
    );
    same_failure(
        "BartForConditionalGeneration::encode",
        || generation.try_encode(&ids, None),
        || generation.encode(&ids, None),
    );
    let mut labelled = bart_config.clone();
    labelled.id2label = Some([(0, "a".to_string()), (1, "b".to_string())].into());
    let classifier = BartForSequenceClassification::new(&p / "cls", &labelled).unwrap();
    same_failure(
        "BartForSequenceClassification",
        || classifier.try_forward_t(&ids, None, None, None, None, false),
        || classifier.forward_t(&ids, None, None, None, None, false),
    );
    let marian_config = MarianConfig::try_from_file(fixture("marian/config.json")).unwrap();
    let marian = MarianForConditionalGeneration::new(&p / "marian", &marian_config);
    same_failure(
        "MarianForConditionalGeneration",
        || marian.try_forward_t(None, None, None, None, None, None, false),
        || marian.forward_t(None, None, None, None, None, None, false),
    );
    same_failure(
        "MarianForConditionalGeneration::encode",
        || marian.try_encode(&ids, None),
        || marian.encode(&ids, None),
    );
    let t5_config = T5Config::try_from_file(fixture("t5/config.json")).unwrap();
    let t5 = T5Model::new(&p / "t5", &t5_config);
    same_failure(
        "T5Model",
        || t5.try_forward_t(None, None, None, None, None, None, None, None, false),
        || t5.forward_t(None, None, None, None, None, None, None, None, false),
    );
    let t5_generation = T5ForConditionalGeneration::new(&p / "t5cg", &t5_config);
    same_failure(
        "T5ForConditionalGeneration",
        || t5_generation.try_forward_t(None, None, None, None, None, None, None, None, false),
        || t5_generation.forward_t(None, None, None, None, None, None, None, None, false),
    );
    same_failure(
        "T5ForConditionalGeneration::encode",
        || t5_generation.try_encode(&ids, None),
        || t5_generation.encode(&ids, None),
    );
}

/// rust-bert 0.23's T5 arguments: embeddings in place of ids give the same output.
#[test]
fn t5_takes_input_embeddings() {
    let config = T5Config::try_from_file(fixture("t5/config.json")).unwrap();
    let vs = VarStore::new(Device::Cpu);
    let model = T5Model::new(vs.root(), &config);
    rust_bert::common::weights::load_weights_from_file(&vs, fixture("t5/model.safetensors"))
        .unwrap();
    let ids = Tensor::from_slice(&[5i64, 6, 7, 1]).unsqueeze(0);
    let decoder_ids = Tensor::from_slice(&[0i64, 9]).unsqueeze(0);
    let table = vs.variables()["shared.weight"].shallow_clone();
    let embeds = table.index_select(0, &ids.view([-1])).unsqueeze(0);
    let decoder_embeds = table.index_select(0, &decoder_ids.view([-1])).unsqueeze(0);
    let by_ids = tch::no_grad(|| {
        model.forward_t(
            Some(&ids),
            None,
            None,
            Some(&decoder_ids),
            None,
            None,
            None,
            None,
            false,
        )
    });
    let by_embeds = tch::no_grad(|| {
        model.forward_t(
            None,
            None,
            None,
            None,
            None,
            Some(&embeds),
            Some(&decoder_embeds),
            None,
            false,
        )
    });
    let diff = (&by_ids.decoder_output - &by_embeds.decoder_output)
        .abs()
        .max()
        .double_value(&[]);
    assert!(diff < 1e-6, "{diff}");
    assert!(model
        .try_forward_t(
            Some(&ids),
            None,
            None,
            None,
            None,
            Some(&embeds),
            None,
            None,
            false
        )
        .is_err());
}
