//! Extractive question answering, offline, on the tiny random DistilBERT of the test fixtures
//! (tests/fixtures/pipeline_qa, HF-made): the answers are arbitrary spans, the plumbing is real
//! (windows over a long context, batching, word-aligned character spans, a SQuAD file).
//!
//! ```sh
//! cargo run --example question_answering
//! ```
//! For a trained model, see `examples/question_answering_remote.rs`.
use rust_bert::pipelines::common::{ModelResource, ModelType};
use rust_bert::pipelines::question_answering::{
    try_squad_processor, QaInput, QuestionAnsweringConfig, QuestionAnsweringModel,
};
use rust_bert::resources::LocalResource;
use rust_bert::RustBertError;
use std::path::PathBuf;

fn main() -> Result<(), RustBertError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipeline_qa");
    let config = QuestionAnsweringConfig::custom_new(
        ModelType::DistilBert,
        ModelResource::Torch(Box::new(LocalResource::from(
            dir.join("distilbert/model.safetensors"),
        ))),
        LocalResource::from(dir.join("distilbert/config.json")),
        LocalResource::from(dir.join("vocab.txt")),
        None,
        true,
        None,
        None,
        64, // max_seq_length: the tiny model has 64 positions
        16, // doc_stride
        16, // max_query_length
        15, // max_answer_length
    );
    let qa_model = QuestionAnsweringModel::new(config)?;

    let mut inputs = vec![QaInput {
        question: "Where was Marie Curie born?".to_string(),
        context: "Marie Curie was born in Warsaw in 1867. She moved to Paris, where she studied \
                  physics and mathematics."
            .to_string(),
    }];
    inputs.extend(try_squad_processor(dir.join("squad_v1.json"))?);

    let answers = qa_model.predict(&inputs, 2, 8);
    for (input, answers) in inputs.iter().zip(&answers) {
        println!("Q: {}", input.question);
        for answer in answers {
            println!(
                "   {:.4}  [{}..{}]  {:?}",
                answer.score, answer.start, answer.end, answer.answer
            );
        }
    }
    Ok(())
}
