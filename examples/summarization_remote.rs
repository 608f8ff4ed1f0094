//! Summarization with bart-large-cnn (downloaded on first use), rust-bert's default settings.
//!
//! ```sh
//! cargo run --release --example summarization_remote
//! ```
use rust_bert::pipelines::summarization::SummarizationModel;
use rust_bert::RustBertError;

fn main() -> Result<(), RustBertError> {
    let model = SummarizationModel::new(Default::default())?;
    let input = [
        "In findings published Tuesday in Cornell University's arXiv by a team of \
        scientists from the University of Montreal and a separate report published Wednesday in \
        Nature Astronomy by a team from University College London (UCL), the presence of water \
        vapour was confirmed in the atmosphere of K2-18b, a planet circling a star in the \
        constellation Leo. This is the first such discovery in a planet in its star's habitable \
        zone - not too hot and not too cold for liquid water to exist.",
    ];
    for summary in model.summarize(&input)? {
        println!("{summary}");
    }
    Ok(())
}
