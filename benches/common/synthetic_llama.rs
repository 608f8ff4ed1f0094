//! A synthetic Llama-architecture HF folder in bf16 (`config.json` + `model.safetensors`, HF's
//! tensor names, random weights), written tensor by tensor so that checkpoints of gigabytes
//! never sit in memory: the Llama benches' models (benches/llama_1b.rs), read by the Rust
//! bench and by its HF twin alike.
use std::io::Write;
use std::path::{Path, PathBuf};

/// The sizes of the model (Llama-3.2-1B: hidden 2048, intermediate 8192, 32 heads, 8 key/value
/// heads, head 64, vocab 128256, tied embeddings, llama3 rope scaling).
#[derive(Clone, Copy)]
pub struct LlamaShape {
    pub hidden: usize,
    pub intermediate: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub vocab: usize,
    pub layers: usize,
}

impl LlamaShape {
    /// Llama-3.2-1B's width at `layers` layers.
    pub fn llama_3_2_1b(layers: usize) -> Self {
        Self {
            hidden: 2048,
            intermediate: 8192,
            heads: 32,
            kv_heads: 8,
            head_dim: 64,
            vocab: 128256,
            layers,
        }
    }
}

/// The checkpoint's tensors: name and shape, in file order (no `lm_head.weight`: tied).
fn tensors(s: &LlamaShape) -> Vec<(String, Vec<usize>)> {
    let (q, kv) = (s.heads * s.head_dim, s.kv_heads * s.head_dim);
    let mut out = vec![(
        "model.embed_tokens.weight".to_string(),
        vec![s.vocab, s.hidden],
    )];
    for i in 0..s.layers {
        let l = |name: &str| format!("model.layers.{i}.{name}");
        out.push((l("input_layernorm.weight"), vec![s.hidden]));
        out.push((l("self_attn.q_proj.weight"), vec![q, s.hidden]));
        out.push((l("self_attn.k_proj.weight"), vec![kv, s.hidden]));
        out.push((l("self_attn.v_proj.weight"), vec![kv, s.hidden]));
        out.push((l("self_attn.o_proj.weight"), vec![s.hidden, q]));
        out.push((l("post_attention_layernorm.weight"), vec![s.hidden]));
        out.push((l("mlp.gate_proj.weight"), vec![s.intermediate, s.hidden]));
        out.push((l("mlp.up_proj.weight"), vec![s.intermediate, s.hidden]));
        out.push((l("mlp.down_proj.weight"), vec![s.hidden, s.intermediate]));
    }
    out.push(("model.norm.weight".to_string(), vec![s.hidden]));
    out
}

/// HF's `config.json` of the shape (Llama-3.2-1B's other settings).
fn config(s: &LlamaShape) -> serde_json::Value {
    serde_json::json!({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": s.hidden, "intermediate_size": s.intermediate,
        "num_attention_heads": s.heads, "num_key_value_heads": s.kv_heads, "head_dim": s.head_dim,
        "num_hidden_layers": s.layers, "vocab_size": s.vocab,
        "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "hidden_act": "silu",
        "rope_theta": 500000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
        "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true,
        "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16"
    })
}

/// Writes `config.json` and `model.safetensors` into `dir` (norms at one, the rest uniform in
/// ±0.03) unless a complete file is already there; returns the weights' path.
pub fn write_llama(dir: &Path, shape: &LlamaShape) -> PathBuf {
    let path = dir.join("model.safetensors");
    let specs = tensors(shape);
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, dims) in &specs {
        let bytes = dims.iter().product::<usize>() * 2;
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "BF16", "shape": dims, "data_offsets": [offset, offset + bytes]}),
        );
        offset += bytes;
    }
    std::fs::create_dir_all(dir).expect("model folder");
    std::fs::write(dir.join("config.json"), config(shape).to_string()).expect("config.json");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() as usize > offset) {
        return path;
    }
    let mut text = serde_json::Value::Object(header).to_string();
    while !text.len().is_multiple_of(8) {
        text.push(' ');
    }
    let mut file = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&path).expect("model.safetensors"),
    );
    file.write_all(&(text.len() as u64).to_le_bytes()).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut chunk = Vec::with_capacity(1 << 20);
    for (name, dims) in &specs {
        let n: usize = dims.iter().product();
        let norm = name.ends_with("norm.weight");
        for _ in 0..n {
            let value = if norm {
                1.0f32
            } else {
                // xorshift64: a uniform value in [-0.03, 0.03)
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
    path
}
