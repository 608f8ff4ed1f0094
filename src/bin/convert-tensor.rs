//! Converts weight files between `.safetensors` (single or sharded index), PyTorch `.bin`/`.pt`
//! and rust-bert's `.ot`, with no Python.
//!
//! ```text
//! convert-tensor <input> <output> [--dtype float32|float16|bfloat16] [--prefix P]
//!                [--skip_embeddings] [--skip_lm_head]
//! ```
use rust_bert::common::weights::{convert_weights, ConversionOptions};
use std::process::ExitCode;
use tch::Kind;

const USAGE: &str = "usage: convert-tensor <input> <output> [--dtype float32|float16|bfloat16] \
                     [--prefix PREFIX] [--skip_embeddings] [--skip_lm_head]\n\
                     formats by extension: .safetensors, *.index.json (input), .bin, .pt, .ot";

fn parse_kind(name: &str) -> Result<Kind, String> {
    match name {
        "float32" | "fp32" | "float" => Ok(Kind::Float),
        "float16" | "fp16" | "half" => Ok(Kind::Half),
        "bfloat16" | "bf16" => Ok(Kind::BFloat16),
        "float64" | "double" => Ok(Kind::Double),
        other => Err(format!("unknown --dtype {other}")),
    }
}

fn run(args: Vec<String>) -> Result<String, String> {
    let mut positional = Vec::new();
    let mut options = ConversionOptions::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both rust-bert's underscores and the usual dashes.
        match arg.replace('-', "_").as_str() {
            "__dtype" => {
                let value = args.next().ok_or("--dtype needs a value")?;
                options.kind = Some(parse_kind(&value)?);
            }
            "__prefix" => options.prefix = Some(args.next().ok_or("--prefix needs a value")?),
            "__skip_embeddings" => options.skip_embeddings = true,
            "__skip_lm_head" => options.skip_lm_head = true,
            "__help" | "_h" => return Err(USAGE.to_string()),
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}\n{USAGE}")),
            _ => positional.push(arg),
        }
    }
    let [input, output] = positional.as_slice() else {
        return Err(USAGE.to_string());
    };
    let count = convert_weights(input, output, &options).map_err(|e| e.to_string())?;
    Ok(format!("wrote {count} tensors to {output}"))
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
