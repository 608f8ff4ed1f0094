//! Longformer at the model level, then through the question-answering pipeline. Offline, on the
//! tiny random model of the QA pipeline's test fixture (RoBERTa's byte-level BPE, windows of 4
//! and 8 tokens: its answers are random but reproducible); a hub checkpoint such as
//! valhalla/longformer-base-4096-finetuned-squadv1 loads the same way (`model.safetensors`,
//! `pytorch_model.bin` or rust-bert's `rust_model.ot`).
//!
//! ```sh
//! cargo run --example model_longformer
//! ```
use rust_bert::common::weights::load_weights_from_file;
use rust_bert::longformer::{LongformerConfig, LongformerForQuestionAnswering};
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::question_answering::{
    QaInput, QuestionAnsweringConfig, QuestionAnsweringModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::path::PathBuf;
use tch::{nn::VarStore, Device, Kind, Tensor};

fn main() -> Result<(), RustBertError> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_qa");
    let (vocab, merges) = (
        fixtures.join("bpe/vocab.json"),
        fixtures.join("bpe/merges.txt"),
    );
    let model_dir = fixtures.join("longformer");
    let device = Device::cuda_if_available();

    // The model itself: `<s> question </s></s> context </s>`, padded into a batch.
    let tokenizer = TokenizerOption::from_file(
        ModelType::Longformer,
        &vocab.to_string_lossy(),
        Some(&merges.to_string_lossy()),
        false,
        None,
        None,
    )?;
    let mut config = LongformerConfig::try_from_file(model_dir.join("config.json"))?;
    config.output_attentions = Some(true);
    let vs = VarStore::new(device);
    let model = LongformerForQuestionAnswering::try_new(vs.root(), &config)?;
    load_weights_from_file(&vs, model_dir.join("model.safetensors"))?;
    let pairs = [
        ("Where does Amy live?", "Amy lives in Amsterdam."),
        (
            "Who sells bread?",
            "The market opens every Saturday. A baker sells bread and a farmer sells honey.",
        ),
    ];
    let encoded = tokenizer.encode_pair_list(&pairs, 64, &TruncationStrategy::OnlySecond, 0);
    let batch = tokenizer.pad_batch(&encoded, tokenizer.default_padding_side(), device);
    // No global_attention_mask: the head puts global attention on each question.
    let output = tch::no_grad(|| {
        model.forward_t(
            Some(&batch.input_ids),
            Some(&batch.attention_mask),
            None,
            None,
            None,
            None,
            false,
        )
    })?;
    for (row, (question, _)) in pairs.iter().enumerate() {
        // The most likely start and end, each on its own (the pipeline below searches the
        // best valid span within the context).
        let start = i64::try_from(output.start_logits.get(row as i64).argmax(0, false))?;
        let end = i64::try_from(output.end_logits.get(row as i64).argmax(0, false))?;
        let ids = &encoded[row].token_ids;
        let span = ids
            .get(start as usize..=end as usize)
            .map(|span| tokenizer.decode(span, true, true))
            .unwrap_or_default();
        println!("{question:?}: tokens {start}..={end} {span:?}");
    }
    if let (Some(local), Some(global)) = (&output.all_attentions, &output.all_global_attentions) {
        // Local: [batch, heads, seq, global slots + window + 1]; global: [batch, heads,
        // padded seq, global slots].
        println!(
            "layer 0 attentions: local {:?}, global {:?}",
            local[0].size(),
            global[0].size()
        );
    }

    // A longer input: memory grows with the length, not its square.
    let long = Tensor::full([1, 60], 40, (Kind::Int64, device));
    let global = long.zeros_like();
    let _ = global.narrow(1, 0, 2).fill_(1);
    let output = tch::no_grad(|| {
        model.forward_t(Some(&long), None, Some(&global), None, None, None, false)
    })?;
    println!("60 tokens: start logits {:?}", output.start_logits.size());

    // The pipeline: windows over long contexts (48 tokens, the tiny model has 64 positions;
    // stride 12, questions up to 16 tokens, answers up to 10), answers as text spans.
    let mut qa_config = QuestionAnsweringConfig::custom_new(
        ModelType::Longformer,
        ModelResource::Torch(Box::new(LocalResource::from(
            model_dir.join("model.safetensors"),
        ))),
        LocalResource::from(model_dir.join("config.json")),
        LocalResource::from(vocab),
        Some(LocalResource::from(merges)),
        false,
        None,
        None,
        48,
        12,
        16,
        10,
    );
    qa_config.device = device;
    let qa = QuestionAnsweringModel::new(qa_config)?;
    let inputs: Vec<QaInput> = pairs
        .iter()
        .map(|(question, context)| QaInput {
            question: question.to_string(),
            context: context.to_string(),
        })
        .collect();
    for (input, answers) in inputs.iter().zip(qa.try_predict(&inputs, 1, 8)?) {
        for answer in answers {
            println!(
                "{:?} -> {:?} (score {:.3})",
                input.question, answer.answer, answer.score
            );
        }
    }
    Ok(())
}
