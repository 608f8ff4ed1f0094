//! GGUF files (llama.cpp's format): metadata, tensor index and tensors, read from a memory map.
//!
//! A GGUF file is a little-endian header (`GGUF`, version 2 or 3, tensor and key counts), typed
//! key/value metadata (the architecture's sizes, the tokenizer's vocabulary, the chat template),
//! a tensor index (name, dimensions innermost first, GGML type, offset) and the aligned tensor
//! data. [`GgufFile::open`] maps the file and parses the header, metadata and index; tensors stay
//! in the map until [`GgufFile::tensor`] dequantises one into a LibTorch tensor (f32, or the kind
//! asked for). Every length read from the file is checked against the file's size before it is
//! used, so a truncated or hostile file is a [`RustBertError`] naming the file, never an
//! allocation the file's size does not justify.
//!
//! [`GgufFile::hf_tensors`] renames llama.cpp's tensors (`blk.0.attn_q.weight`) to HF's
//! (`model.layers.0.self_attn.q_proj.weight`) and undoes llama.cpp's reordering of the query and
//! key rows of Llama-architecture files, as HF's GGUF loader does; [`GgufFile::hf_config`]
//! writes the metadata as an HF `config.json` object.
mod quants;

pub use quants::GgmlType;

use crate::RustBertError;
use memmap2::Mmap;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum GgufValue {
    /// Unsigned integer (u8, u16, u32 or u64 in the file).
    UInt(u64),
    /// Signed integer (i8, i16, i32 or i64 in the file).
    Int(i64),
    /// Float (f32 or f64 in the file).
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// UTF-8 string (invalid sequences replaced).
    String(String),
    /// Array of values of one type.
    Array(Vec<GgufValue>),
}

impl GgufValue {
    /// The value as an unsigned integer, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::UInt(v) => Some(v),
            Self::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::Float(v) => Some(v),
            Self::UInt(v) => Some(v as f64),
            Self::Int(v) => Some(v as f64),
            _ => None,
        }
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an array, if it is one.
    pub fn as_array(&self) -> Option<&[GgufValue]> {
        match self {
            Self::Array(values) => Some(values),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Self::UInt(v) => json!(v),
            Self::Int(v) => json!(v),
            Self::Float(v) => json!(v),
            Self::Bool(v) => json!(v),
            Self::String(v) => json!(v),
            Self::Array(values) => Value::Array(values.iter().map(Self::to_json).collect()),
        }
    }
}

/// One entry of the tensor index.
#[derive(Debug, Clone)]
pub struct GgufTensorInfo {
    /// llama.cpp's name (`blk.0.attn_q.weight`).
    pub name: String,
    /// Dimensions in LibTorch's order (outermost first; the file lists them innermost first).
    pub shape: Vec<i64>,
    /// Storage type.
    pub kind: GgmlType,
    /// Byte offset of the data in the file.
    offset: usize,
    /// Byte length of the data.
    length: usize,
}

/// A GGUF file, memory-mapped, with its metadata and tensor index parsed.
pub struct GgufFile {
    path: PathBuf,
    map: Mmap,
    /// Format version (2 or 3).
    pub version: u32,
    /// The metadata, by key.
    pub metadata: BTreeMap<String, GgufValue>,
    /// The tensor index, in file order.
    pub tensors: Vec<GgufTensorInfo>,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("tensors", &self.tensors.len())
            .finish()
    }
}

/// A cursor over the mapped bytes whose every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    path: &'a Path,
}

/// Deepest nesting of metadata arrays accepted (GGUF writers nest one level at most).
const MAX_ARRAY_DEPTH: usize = 4;

impl<'a> Reader<'a> {
    fn error(&self, what: &str) -> RustBertError {
        RustBertError::InvalidConfigurationError(format!(
            "{}: not a valid GGUF file: {what} (at byte {})",
            self.path.display(),
            self.at
        ))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], RustBertError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| self.error(&format!("truncated ({n} more bytes expected)")))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RustBertError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, RustBertError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, RustBertError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A count of items of at least `min_size` bytes each, refused when the rest of the file
    /// cannot hold that many.
    fn count(&mut self, min_size: usize, what: &str) -> Result<usize, RustBertError> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(min_size.max(1) as u64) > left {
            return Err(self.error(&format!("{what} count {n} exceeds the file")));
        }
        Ok(n as usize)
    }

    fn string(&mut self) -> Result<String, RustBertError> {
        let n = self.count(1, "string length")?;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn value(&mut self, kind: u32, depth: usize) -> Result<GgufValue, RustBertError> {
        Ok(match kind {
            0 => GgufValue::UInt(self.array::<1>()?[0] as u64),
            1 => GgufValue::Int(self.array::<1>()?[0] as i8 as i64),
            2 => GgufValue::UInt(u16::from_le_bytes(self.array()?) as u64),
            3 => GgufValue::Int(i16::from_le_bytes(self.array()?) as i64),
            4 => GgufValue::UInt(self.u32()? as u64),
            5 => GgufValue::Int(i32::from_le_bytes(self.array()?) as i64),
            6 => GgufValue::Float(f32::from_le_bytes(self.array()?) as f64),
            7 => GgufValue::Bool(self.array::<1>()?[0] != 0),
            8 => GgufValue::String(self.string()?),
            9 => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(self.error("metadata arrays nested too deep"));
                }
                let item = self.u32()?;
                let size = match item {
                    0 | 1 | 7 => 1,
                    2 | 3 => 2,
                    4..=6 => 4,
                    8 | 10..=12 => 8,
                    9 => 12,
                    other => return Err(self.error(&format!("unknown metadata type {other}"))),
                };
                let n = self.count(size, "array")?;
                let mut values = Vec::with_capacity(n);
                for _ in 0..n {
                    values.push(self.value(item, depth + 1)?);
                }
                GgufValue::Array(values)
            }
            10 => GgufValue::UInt(self.u64()?),
            11 => GgufValue::Int(i64::from_le_bytes(self.array()?)),
            12 => GgufValue::Float(f64::from_le_bytes(self.array()?)),
            other => return Err(self.error(&format!("unknown metadata type {other}"))),
        })
    }
}

impl GgufFile {
    /// Maps `path` and parses its header, metadata and tensor index.
    ///
    /// # Errors
    /// A file that cannot be opened, is not GGUF (version 2 or 3), is truncated, declares
    /// counts or tensors past its end, or uses an unknown metadata type: an error naming the
    /// file and the fault.
    pub fn open<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|e| {
            RustBertError::IOError(format!("cannot open GGUF file {}: {e}", path.display()))
        })?;
        // Safety: the map is read-only and private to this value; a file changed on disk while
        // mapped is outside what any reader of mapped files can guard against.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| {
            RustBertError::IOError(format!("cannot map GGUF file {}: {e}", path.display()))
        })?;
        let (version, metadata, tensors) = Self::parse(&map, &path)?;
        Ok(Self {
            path,
            map,
            version,
            metadata,
            tensors,
        })
    }

    #[allow(clippy::type_complexity)]
    fn parse(
        bytes: &[u8],
        path: &Path,
    ) -> Result<(u32, BTreeMap<String, GgufValue>, Vec<GgufTensorInfo>), RustBertError> {
        let mut r = Reader { bytes, at: 0, path };
        if r.take(4).ok() != Some(b"GGUF".as_slice()) {
            return Err(r.error("no GGUF magic"));
        }
        let version = r.u32()?;
        if !(2..=3).contains(&version) {
            return Err(r.error(&format!("version {version} (2 and 3 are read)")));
        }
        // Each tensor entry takes at least 28 bytes, each key/value at least 13.
        let n_tensors = r.count(28, "tensor")?;
        let n_values = r.count(13, "metadata")?;
        let mut metadata = BTreeMap::new();
        for _ in 0..n_values {
            let key = r.string()?;
            let kind = r.u32()?;
            let value = r.value(kind, 0)?;
            metadata.insert(key, value);
        }
        let mut infos = Vec::with_capacity(n_tensors);
        for _ in 0..n_tensors {
            let name = r.string()?;
            let n_dims = r.u32()? as usize;
            if n_dims > 8 {
                return Err(r.error(&format!("tensor {name} has {n_dims} dimensions")));
            }
            let mut dims = Vec::with_capacity(n_dims);
            for _ in 0..n_dims {
                dims.push(r.u64()?);
            }
            let kind = GgmlType::from_code(r.u32()?);
            let offset = r.u64()?;
            infos.push((name, dims, kind, offset));
        }
        let alignment = match metadata.get("general.alignment") {
            None => 32,
            Some(value) => match value.as_u64() {
                Some(a) if a > 0 && a.is_power_of_two() && a <= 1 << 20 => a as usize,
                _ => return Err(r.error(&format!("general.alignment = {value:?}"))),
            },
        };
        let data_start = r.at.div_ceil(alignment) * alignment;
        let mut tensors = Vec::with_capacity(infos.len());
        for (name, dims, kind, offset) in infos {
            let values = dims
                .iter()
                .try_fold(1u64, |n, &d| n.checked_mul(d))
                .filter(|&n| n <= bytes.len() as u64 * 8)
                .ok_or_else(|| r.error(&format!("tensor {name}: dimensions {dims:?}")))?;
            let length = match kind.block() {
                Some((per_block, block_bytes)) => {
                    if values % per_block as u64 != 0 {
                        return Err(r.error(&format!(
                            "tensor {name}: {values} values are not whole {kind:?} blocks"
                        )));
                    }
                    values / per_block as u64 * block_bytes as u64
                }
                None => 0,
            };
            let start = (data_start as u64).checked_add(offset);
            let fits = start
                .and_then(|s| s.checked_add(length))
                .is_some_and(|end| end <= bytes.len() as u64);
            if !fits {
                return Err(r.error(&format!(
                    "tensor {name} ({length} bytes at offset {offset}) lies past the end of the file"
                )));
            }
            tensors.push(GgufTensorInfo {
                name,
                shape: dims.iter().rev().map(|&d| d as i64).collect(),
                kind,
                offset: start.unwrap_or_default() as usize,
                length: length as usize,
            });
        }
        Ok((version, metadata, tensors))
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `general.architecture` (`llama`, `qwen2`, ...).
    pub fn architecture(&self) -> Option<&str> {
        self.metadata
            .get("general.architecture")
            .and_then(GgufValue::as_str)
    }

    /// The index entry of tensor `name`.
    pub fn info(&self, name: &str) -> Option<&GgufTensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Tensor `name` dequantised into a LibTorch tensor of `kind` (on the CPU).
    ///
    /// # Errors
    /// An unknown tensor name or a GGML type this crate does not read, naming the file.
    pub fn tensor(&self, name: &str, kind: Kind) -> Result<Tensor, RustBertError> {
        let info = self.info(name).ok_or_else(|| {
            RustBertError::InvalidConfigurationError(format!(
                "{}: no tensor {name} in the GGUF file",
                self.path.display()
            ))
        })?;
        self.dequantize(info, kind)
    }

    fn dequantize(&self, info: &GgufTensorInfo, kind: Kind) -> Result<Tensor, RustBertError> {
        if info.kind.block().is_none() {
            return Err(RustBertError::UnsupportedError(format!(
                "{}: tensor {} is stored as {:?}, a GGML type this crate does not read \
                 (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K are)",
                self.path.display(),
                info.name,
                info.kind
            )));
        }
        let data = &self.map[info.offset..info.offset + info.length];
        let count: i64 = info.shape.iter().product();
        let mut values = vec![0f32; count as usize];
        quants::dequantize(info.kind, data, &mut values);
        let tensor = Tensor::from_slice(&values).view(info.shape.as_slice());
        Ok(if kind == Kind::Float {
            tensor
        } else {
            tensor.to_kind(kind)
        })
    }

    /// Every tensor under HF's name, in `kind`, for the architectures whose layout is Llama's
    /// (`llama`, `mistral`, `qwen2`, `qwen3`, `gemma2`): llama.cpp's names mapped to HF's, the
    /// query and key rows of `llama` files put back in HF's order (llama.cpp interleaves the
    /// two halves of each head's rotary dimensions), Gemma 2's norm weights stored as `1 + w`
    /// given back as `w`. Tensors without an HF counterpart (`rope_freqs`) are left out.
    ///
    /// # Errors
    /// An architecture outside that list, missing head counts, or a tensor that cannot be read.
    pub fn hf_tensors(&self, kind: Kind) -> Result<Vec<(String, Tensor)>, RustBertError> {
        let mut out = Vec::with_capacity(self.tensors.len());
        self.for_each_hf_tensor(kind, |name, tensor| {
            out.push((name, tensor));
            Ok(())
        })?;
        Ok(out)
    }

    /// Loads the file into `vs`: every variable of the store from the tensor of the same HF
    /// name ([`GgufFile::hf_tensors`]'s), dequantised one tensor at a time straight into the
    /// variable's kind (so the f32 copy of the whole model never exists). A tied model's
    /// `lm_head.weight`, absent from the file, is the word embeddings.
    ///
    /// # Errors
    /// Those of [`GgufFile::hf_tensors`], a variable the file lacks or a shape that differs
    /// (each named with the file), listed together.
    pub fn load_into(&self, vs: &tch::nn::VarStore) -> Result<(), RustBertError> {
        let mut variables = vs.variables();
        let mut problems = Vec::new();
        tch::no_grad(|| {
            self.for_each_hf_tensor(Kind::Float, |name, tensor| {
                let copy = |name: &str, variable: &mut Tensor, problems: &mut Vec<String>| {
                    if variable.size() != tensor.size() {
                        problems.push(format!(
                            "{name}: shape {:?} in the file, {:?} in the model",
                            tensor.size(),
                            variable.size()
                        ));
                    } else {
                        variable.copy_(&tensor);
                    }
                };
                if name == "model.embed_tokens.weight" && self.info("output.weight").is_none() {
                    if let Some(mut head) = variables.remove("lm_head.weight") {
                        copy("lm_head.weight", &mut head, &mut problems);
                    }
                }
                if let Some(mut variable) = variables.remove(&name) {
                    copy(&name, &mut variable, &mut problems);
                }
                Ok(())
            })
        })?;
        problems.extend(
            variables
                .keys()
                .map(|name| format!("{name}: not in the file")),
        );
        if problems.is_empty() {
            Ok(())
        } else {
            problems.sort();
            Err(RustBertError::InvalidConfigurationError(format!(
                "{}: cannot load the GGUF file into the model: {}",
                self.path.display(),
                problems.join("; ")
            )))
        }
    }

    /// Calls `f` with each tensor under HF's name, dequantised into `kind` (see
    /// [`GgufFile::hf_tensors`]), one at a time.
    fn for_each_hf_tensor(
        &self,
        kind: Kind,
        mut f: impl FnMut(String, Tensor) -> Result<(), RustBertError>,
    ) -> Result<(), RustBertError> {
        let arch = self.architecture().unwrap_or_default().to_string();
        if !["llama", "mistral", "qwen2", "qwen3", "gemma2"].contains(&arch.as_str()) {
            return Err(RustBertError::UnsupportedError(format!(
                "{}: GGUF architecture {arch:?} is not supported (llama, mistral, qwen2, qwen3, \
                 gemma2 are)",
                self.path.display()
            )));
        }
        let heads = self.arch_value(&arch, "attention.head_count");
        let kv_heads = self.arch_value(&arch, "attention.head_count_kv").or(heads);
        for info in &self.tensors {
            let Some(name) = hf_name(&arch, &info.name) else {
                continue;
            };
            let mut tensor = self.dequantize(info, Kind::Float)?;
            if arch == "llama" {
                let rows = if info.name.contains(".attn_q.") {
                    heads
                } else if info.name.contains(".attn_k.") {
                    kv_heads
                } else {
                    None
                };
                if let Some(n_head) = rows {
                    tensor = unpermute_rows(&tensor, n_head as i64).map_err(|e| {
                        RustBertError::InvalidConfigurationError(format!(
                            "{}: tensor {}: {e}",
                            self.path.display(),
                            info.name
                        ))
                    })?;
                }
            }
            if arch == "gemma2" && info.name.ends_with("norm.weight") {
                tensor -= 1.0;
            }
            f(name, tensor.to_kind(kind))?;
        }
        Ok(())
    }

    fn arch_value(&self, arch: &str, key: &str) -> Option<u64> {
        self.metadata
            .get(&format!("{arch}.{key}"))
            .and_then(GgufValue::as_u64)
    }

    /// The model's HF `config.json` from the metadata (HF's own mapping: `block_count` ->
    /// `num_hidden_layers`, `embedding_length` -> `hidden_size`, ...), `model_type` the
    /// architecture, `tie_word_embeddings` true when the file has no `output.weight`, and the
    /// special token ids of the tokenizer.
    pub fn hf_config(&self) -> Value {
        let arch = self.architecture().unwrap_or_default().to_string();
        let mut config = Map::new();
        config.insert("model_type".into(), json!(arch));
        let keys = [
            ("context_length", "max_position_embeddings"),
            ("block_count", "num_hidden_layers"),
            ("feed_forward_length", "intermediate_size"),
            ("embedding_length", "hidden_size"),
            ("rope.freq_base", "rope_theta"),
            ("attention.head_count", "num_attention_heads"),
            ("attention.head_count_kv", "num_key_value_heads"),
            ("attention.layer_norm_rms_epsilon", "rms_norm_eps"),
            ("attention.key_length", "head_dim"),
            ("attention.sliding_window", "sliding_window"),
            ("vocab_size", "vocab_size"),
        ];
        for (gguf, hf) in keys {
            if let Some(value) = self.metadata.get(&format!("{arch}.{gguf}")) {
                config.insert(hf.into(), value.to_json());
            }
        }
        // As HF: the rotary dimension count is the head size for llama and mistral.
        if matches!(arch.as_str(), "llama" | "mistral") {
            if let Some(value) = self.metadata.get(&format!("{arch}.rope.dimension_count")) {
                config.insert("head_dim".into(), value.to_json());
            }
        }
        if !config.contains_key("vocab_size") {
            if let Some(tokens) = self
                .metadata
                .get("tokenizer.ggml.tokens")
                .and_then(GgufValue::as_array)
            {
                config.insert("vocab_size".into(), json!(tokens.len()));
            }
        }
        for (gguf, hf) in [
            ("bos_token_id", "bos_token_id"),
            ("eos_token_id", "eos_token_id"),
            ("unknown_token_id", "unk_token_id"),
            ("padding_token_id", "pad_token_id"),
        ] {
            if let Some(value) = self.metadata.get(&format!("tokenizer.ggml.{gguf}")) {
                config.insert(hf.into(), value.to_json());
            }
        }
        config.insert(
            "tie_word_embeddings".into(),
            json!(self.info("output.weight").is_none()),
        );
        Value::Object(config)
    }

    /// `tokenizer.chat_template`, if the file has one.
    pub fn chat_template(&self) -> Option<&str> {
        self.metadata
            .get("tokenizer.chat_template")
            .and_then(GgufValue::as_str)
    }
}

/// HF's name of llama.cpp tensor `name` in a Llama-layout model of architecture `arch`.
fn hf_name(arch: &str, name: &str) -> Option<String> {
    let (stem, suffix) = name.rsplit_once('.')?;
    let mapped = match stem {
        "token_embd" => "model.embed_tokens".to_string(),
        "output_norm" => "model.norm".to_string(),
        "output" => "lm_head".to_string(),
        _ => {
            let rest = stem.strip_prefix("blk.")?;
            let (layer, part) = rest.split_once('.')?;
            layer.parse::<u32>().ok()?;
            let module = match (part, arch) {
                ("attn_norm", _) => "input_layernorm",
                ("attn_q", _) => "self_attn.q_proj",
                ("attn_k", _) => "self_attn.k_proj",
                ("attn_v", _) => "self_attn.v_proj",
                ("attn_output", _) => "self_attn.o_proj",
                ("attn_q_norm", _) => "self_attn.q_norm",
                ("attn_k_norm", _) => "self_attn.k_norm",
                ("ffn_gate", _) => "mlp.gate_proj",
                ("ffn_up", _) => "mlp.up_proj",
                ("ffn_down", _) => "mlp.down_proj",
                // Gemma 2 normalises around both blocks: llama.cpp's `ffn_norm` is HF's
                // pre-feed-forward norm there, and its `post_attention_norm` HF's
                // post-attention norm.
                ("post_attention_norm", "gemma2") => "post_attention_layernorm",
                ("ffn_norm", "gemma2") => "pre_feedforward_layernorm",
                ("post_ffw_norm", "gemma2") => "post_feedforward_layernorm",
                ("ffn_norm", _) => "post_attention_layernorm",
                _ => return None,
            };
            format!("model.layers.{layer}.{module}")
        }
    };
    Some(format!("{mapped}.{suffix}"))
}

/// Undoes llama.cpp's reordering of a query or key projection: within each of `n_head` heads,
/// llama.cpp interleaves the rows of the two rotary halves (`[a0, b0, a1, b1, ...]`); HF keeps
/// the halves apart (`[a0, a1, ..., b0, b1, ...]`).
fn unpermute_rows(weights: &Tensor, n_head: i64) -> Result<Tensor, String> {
    let shape = weights.size();
    let rows = shape[0];
    if n_head <= 0 || rows % (2 * n_head) != 0 {
        return Err(format!(
            "{rows} rows are not {n_head} heads of two rotary halves"
        ));
    }
    let mut view = vec![n_head, rows / n_head / 2, 2];
    view.extend_from_slice(&shape[1..]);
    Ok(weights
        .reshape(view.as_slice())
        .transpose(1, 2)
        .reshape(shape.as_slice()))
}
