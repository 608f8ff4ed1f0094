//! A synthetic GPT-J-shaped `.safetensors` checkpoint in bf16 (random weights, HF's names and
//! `config.json`), written tensor by tensor: shared by `benches/large_checkpoint.rs` and
//! `tests/large_checkpoint.rs`.
use std::io::Write;
use std::path::{Path, PathBuf};

/// The sizes of the checkpoint (GPT-J 6B: width 4096, 16 heads, inner 16384, vocab 50400).
#[derive(Clone, Copy)]
pub struct GptJShape {
    pub width: usize,
    pub heads: usize,
    pub inner: usize,
    pub vocab: usize,
    pub layers: usize,
}

/// The checkpoint's tensors: name and shape, in file order.
fn tensors(shape: &GptJShape) -> Vec<(String, Vec<usize>)> {
    let GptJShape {
        width,
        inner,
        vocab,
        layers,
        ..
    } = *shape;
    let mut out = vec![("transformer.wte.weight".to_string(), vec![vocab, width])];
    for i in 0..layers {
        let h = |s: &str| format!("transformer.h.{i}.{s}");
        out.push((h("ln_1.weight"), vec![width]));
        out.push((h("ln_1.bias"), vec![width]));
        for proj in ["q_proj", "k_proj", "v_proj", "out_proj"] {
            out.push((h(&format!("attn.{proj}.weight")), vec![width, width]));
        }
        out.push((h("mlp.fc_in.weight"), vec![inner, width]));
        out.push((h("mlp.fc_in.bias"), vec![inner]));
        out.push((h("mlp.fc_out.weight"), vec![width, inner]));
        out.push((h("mlp.fc_out.bias"), vec![width]));
    }
    out.push(("transformer.ln_f.weight".to_string(), vec![width]));
    out.push(("transformer.ln_f.bias".to_string(), vec![width]));
    out.push(("lm_head.weight".to_string(), vec![vocab, width]));
    out.push(("lm_head.bias".to_string(), vec![vocab]));
    out
}

/// Writes the `.safetensors` file tensor by tensor (bf16 values of a small normal-like spread;
/// norms at one), never holding more than a megabyte of it in memory.
pub fn write_checkpoint(dir: &Path, shape: &GptJShape) -> PathBuf {
    let GptJShape {
        width,
        inner,
        vocab,
        layers,
        heads,
    } = *shape;
    let path = dir.join("model.safetensors");
    let specs = tensors(shape);
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, shape) in &specs {
        let bytes = shape.iter().product::<usize>() * 2;
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + bytes]}),
        );
        offset += bytes;
    }
    if std::fs::metadata(&path).is_ok_and(|m| m.len() as usize > offset) {
        return path;
    }
    std::fs::create_dir_all(dir).unwrap();
    let mut text = serde_json::Value::Object(header).to_string();
    while !text.len().is_multiple_of(8) {
        text.push(' ');
    }
    let mut file =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    file.write_all(&(text.len() as u64).to_le_bytes()).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut chunk = Vec::with_capacity(1 << 20);
    for (name, shape) in &specs {
        let n: usize = shape.iter().product();
        let norm = name.contains("ln_") && name.ends_with("weight");
        for _ in 0..n {
            let value = if norm {
                1.0f32
            } else {
                // xorshift: a uniform value in [-0.03, 0.03)
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.06
            };
            chunk.extend_from_slice(&half::bf16::from_f32(value).to_le_bytes());
            if chunk.len() >= 1 << 20 {
                file.write_all(&chunk).unwrap();
                chunk.clear();
            }
        }
    }
    file.write_all(&chunk).unwrap();
    file.flush().unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({
            "model_type": "gptj", "n_embd": width, "n_head": heads, "n_layer": layers,
            "n_inner": inner, "n_positions": 2048, "rotary_dim": 64, "vocab_size": vocab,
            "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
            "bos_token_id": 50256, "eos_token_id": 50256, "tie_word_embeddings": false
        })
        .to_string(),
    )
    .unwrap();
    path
}
