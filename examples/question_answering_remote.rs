//! Extractive question answering with the default model, DistilBERT distilled on SQuAD
//! (`distilbert-base-cased-distilled-squad`, downloaded once into `RUSTBERT_CACHE`).
//!
//! ```sh
//! cargo run --release --example question_answering_remote
//! ```
//! Needs the network (or a filled cache); the offline example is `question_answering`.
use rust_bert::pipelines::question_answering::{
    QaInput, QuestionAnsweringConfig, QuestionAnsweringModel,
};
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let qa_model = QuestionAnsweringModel::new(QuestionAnsweringConfig::default())?;
    let inputs = [
        QaInput {
            question: "Where does Amy live ?".to_string(),
            context: "Amy lives in Amsterdam".to_string(),
        },
        QaInput {
            question: "Where does Eric live".to_string(),
            context: "While Amy lives in Amsterdam, Eric is in The Hague.".to_string(),
        },
    ];
    for (input, answers) in inputs.iter().zip(qa_model.predict(&inputs, 1, 32)) {
        println!("{} -> {:?}", input.question, answers);
    }
    Ok(())
}
