//! Reading weight files (`.ot`, `.safetensors`, sharded safetensors, PyTorch `.bin`/`.pt`) and
//! loading them into a `VarStore` by HF state-dict name.
//!
//! Loading follows HF `from_pretrained`: a tensor the model needs but the file lacks, or one
//! whose shape differs, is an error listing every such name; tensors of the file that the model
//! does not use (buffers like `position_ids`, a pooler a head does not need) are returned in the
//! [`LoadReport`] and logged, not an error. A checkpoint of a base model loads into a model with
//! a head (and the reverse) by adding or removing the base-model prefix (`bert.`), as HF does.
use crate::resources::{Resource, ResourceProvider};
use crate::RustBertError;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// Weight file formats this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightFormat {
    /// LibTorch C++ archive, rust-bert's `rust_model.ot`.
    Ot,
    /// `safetensors`.
    SafeTensors,
    /// A sharded checkpoint described by an index (`model.safetensors.index.json` or
    /// `pytorch_model.bin.index.json`).
    ShardedIndex,
    /// A `torch.save` zip archive of a state dict (`pytorch_model.bin`, `.pt`).
    PyTorch,
    /// llama.cpp's GGUF (read only): tensors dequantised under HF's names
    /// ([`crate::common::gguf::GgufFile`]).
    Gguf,
}

impl WeightFormat {
    /// Guesses the format from a file name.
    pub fn from_path(path: &Path) -> Result<Self, RustBertError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name.ends_with(".index.json") {
            return Ok(WeightFormat::ShardedIndex);
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("ot") => Ok(WeightFormat::Ot),
            Some("safetensors") => Ok(WeightFormat::SafeTensors),
            Some("bin") | Some("pt") | Some("pth") => Ok(WeightFormat::PyTorch),
            Some("gguf") => Ok(WeightFormat::Gguf),
            _ => Err(RustBertError::UnsupportedError(format!(
                "unknown weight file format for {} (expected .ot, .safetensors, .bin, .pt, \
                 .gguf or *.index.json)",
                path.display()
            ))),
        }
    }
}

fn read_error(path: &Path, error: impl std::fmt::Display) -> RustBertError {
    RustBertError::TchError(format!(
        "cannot read weights from {}: {error}",
        path.display()
    ))
}

fn safetensors_from_bytes(
    bytes: &[u8],
    origin: &Path,
) -> Result<Vec<(String, Tensor)>, RustBertError> {
    let file = safetensors::SafeTensors::deserialize(bytes).map_err(|e| read_error(origin, e))?;
    file.tensors()
        .into_iter()
        .map(|(name, view)| {
            let tensor = Tensor::try_from(view).map_err(|e| read_error(origin, e))?;
            Ok((name, tensor))
        })
        .collect()
}

/// Reads every named tensor of a weight file, on the CPU, in the file's own dtype.
pub fn read_tensors<P: AsRef<Path>>(path: P) -> Result<Vec<(String, Tensor)>, RustBertError> {
    let path = path.as_ref();
    if !path.is_file() {
        return Err(RustBertError::IOError(format!(
            "weight file {} does not exist",
            path.display()
        )));
    }
    match WeightFormat::from_path(path)? {
        WeightFormat::Ot => {
            Tensor::load_multi_with_device(path, Device::Cpu).map_err(|e| read_error(path, e))
        }
        WeightFormat::SafeTensors => {
            let bytes = std::fs::read(path).map_err(|e| read_error(path, e))?;
            safetensors_from_bytes(&bytes, path)
        }
        WeightFormat::PyTorch => crate::common::torch_pickle::read_state_dict(path),
        WeightFormat::Gguf => crate::common::gguf::GgufFile::open(path)?.hf_tensors(Kind::Float),
        WeightFormat::ShardedIndex => {
            let mut tensors = Vec::new();
            for shard in shard_files(path)? {
                tensors.extend(read_tensors(&shard)?);
            }
            Ok(tensors)
        }
    }
}

/// The shard files named by a sharded-checkpoint index, in a stable order.
pub fn shard_files(index: &Path) -> Result<Vec<PathBuf>, RustBertError> {
    let text = std::fs::read_to_string(index).map_err(|e| read_error(index, e))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        RustBertError::InvalidConfigurationError(format!("bad index {}: {e}", index.display()))
    })?;
    let map = json
        .get("weight_map")
        .and_then(|m| m.as_object())
        .ok_or_else(|| {
            RustBertError::InvalidConfigurationError(format!(
                "index {} has no `weight_map` object",
                index.display()
            ))
        })?;
    let dir = index.parent().unwrap_or_else(|| Path::new("."));
    let mut files = BTreeSet::new();
    for (name, file) in map {
        let file = file.as_str().ok_or_else(|| {
            RustBertError::InvalidConfigurationError(format!(
                "index {}: the shard of `{name}` is not a string",
                index.display()
            ))
        })?;
        files.insert(dir.join(file));
    }
    Ok(files.into_iter().collect())
}

/// Reads the tensors of a resource: a file path, or bytes in memory (safetensors or `.ot`).
pub fn read_resource_tensors(
    resource: &dyn ResourceProvider,
) -> Result<Vec<(String, Tensor)>, RustBertError> {
    match resource.get_resource()? {
        Resource::PathBuf(path) => read_tensors(path),
        Resource::Buffer(bytes) => {
            let origin = Path::new("<buffer>");
            if is_safetensors(&bytes) {
                safetensors_from_bytes(&bytes, origin)
            } else {
                Tensor::load_multi_from_stream(std::io::Cursor::new(&bytes[..]))
                    .map_err(|e| read_error(origin, e))
            }
        }
    }
}

/// Whether bytes start like a safetensors file (a little-endian header size, then JSON).
fn is_safetensors(bytes: &[u8]) -> bool {
    if bytes.len() < 9 {
        return false;
    }
    let mut size = [0u8; 8];
    size.copy_from_slice(&bytes[..8]);
    let size = u64::from_le_bytes(size);
    size > 0 && size < bytes.len() as u64 && bytes[8] == b'{'
}

/// Writes named tensors to a file whose format follows its extension (`.ot`, `.safetensors`,
/// or `.bin`/`.pt` as a `torch.save` state dict).
pub fn write_tensors<P: AsRef<Path>>(
    tensors: &[(String, Tensor)],
    path: P,
) -> Result<(), RustBertError> {
    let path = path.as_ref();
    let write_error =
        |e: tch::TchError| RustBertError::TchError(format!("cannot write {}: {e}", path.display()));
    match WeightFormat::from_path(path)? {
        WeightFormat::Ot => Tensor::save_multi(tensors, path).map_err(write_error),
        WeightFormat::SafeTensors => {
            // safetensors stores dense row-major data only.
            let dense: Vec<(String, Tensor)> = tensors
                .iter()
                .map(|(n, t)| (n.clone(), t.contiguous()))
                .collect();
            Tensor::write_safetensors(&dense, path).map_err(write_error)
        }
        WeightFormat::PyTorch => crate::common::torch_pickle::write_state_dict(tensors, path),
        WeightFormat::ShardedIndex | WeightFormat::Gguf => {
            Err(RustBertError::UnsupportedError(format!(
                "writing sharded checkpoints or GGUF files ({}) is not supported",
                path.display()
            )))
        }
    }
}

/// What a load did besides filling every variable.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    /// Tensors of the file that no variable of the model uses.
    pub unused: Vec<String>,
    /// Variables filled from a tensor of another name (base-model prefix added or removed, or a
    /// tied alias), as `(variable, tensor in file)`.
    pub renamed: Vec<(String, String)>,
}

/// Pairs of names HF saves only one of because the weights are tied.
const TIED_ALIASES: &[(&str, &str)] = &[
    ("cls.predictions.bias", "cls.predictions.decoder.bias"),
    // HF 5.x ties every T5 head to the embeddings and may save `shared.weight` alone.
    ("lm_head.weight", "shared.weight"),
    // XLNet's LM head shares the word embeddings; HF 5.x saves only the embeddings.
    ("lm_loss.weight", "transformer.word_embedding.weight"),
];

/// A tensor as stored in a weight file: already a `Tensor`, or raw bytes of a memory-mapped
/// safetensors file, copied straight into the variable (no intermediate tensor).
pub trait StoredTensor {
    /// Shape of the stored tensor.
    fn stored_size(&self) -> Vec<i64>;
    /// Element kind of the stored tensor, when known.
    fn stored_kind(&self) -> Option<Kind> {
        None
    }
    /// Copies the stored values into `variable` (converting kind and device).
    fn copy_into(&self, variable: &mut Tensor) -> Result<(), tch::TchError>;
}

impl StoredTensor for Tensor {
    fn stored_size(&self) -> Vec<i64> {
        self.size()
    }

    fn stored_kind(&self) -> Option<Kind> {
        Some(self.kind())
    }

    fn copy_into(&self, variable: &mut Tensor) -> Result<(), tch::TchError> {
        variable.f_copy_(self)
    }
}

/// A tensor inside a memory-mapped safetensors file.
pub struct SafeTensorView<'a> {
    kind: Kind,
    shape: Vec<i64>,
    data: &'a [u8],
    /// The whole file mapped by LibTorch (a `uint8` tensor) and this tensor's byte offset in
    /// it, when the variable can use the file's pages directly.
    mapped: Option<(&'a Tensor, i64)>,
}

fn safetensors_kind(dtype: safetensors::Dtype) -> Option<Kind> {
    use safetensors::Dtype;
    Some(match dtype {
        Dtype::F32 => Kind::Float,
        Dtype::F16 => Kind::Half,
        Dtype::BF16 => Kind::BFloat16,
        Dtype::F64 => Kind::Double,
        Dtype::I64 => Kind::Int64,
        Dtype::I32 => Kind::Int,
        Dtype::I16 => Kind::Int16,
        Dtype::I8 => Kind::Int8,
        Dtype::U8 => Kind::Uint8,
        Dtype::BOOL => Kind::Bool,
        _ => return None,
    })
}

impl StoredTensor for SafeTensorView<'_> {
    fn stored_size(&self) -> Vec<i64> {
        self.shape.clone()
    }

    fn stored_kind(&self) -> Option<Kind> {
        Some(self.kind)
    }

    fn copy_into(&self, variable: &mut Tensor) -> Result<(), tch::TchError> {
        let element = self.kind.elt_size_in_bytes() as i64;
        if let Some((file, offset)) = self.mapped {
            if variable.device() == Device::Cpu
                && variable.kind() == self.kind
                && offset % element == 0
                && variable.numel() as i64 * element == self.data.len() as i64
            {
                // The variable takes the file's pages (a private copy-on-write mapping owned by
                // LibTorch, unmapped with the last tensor using it): no copy, no second
                // resident copy of the weights, and pages are read on first use.
                let shared = file
                    .f_narrow(0, offset, self.data.len() as i64)?
                    .f_view_dtype(self.kind)?
                    .f_view(self.shape.as_slice())?;
                return variable.f_set_data(&shared);
            }
        }
        let direct = variable.device() == Device::Cpu
            && variable.kind() == self.kind
            && variable.is_contiguous()
            && variable.numel() * self.kind.elt_size_in_bytes() == self.data.len();
        if direct {
            // SAFETY: the variable is a contiguous CPU tensor of the same kind and exactly
            // `data.len()` bytes, so its storage is a writable buffer of that size; the bytes
            // are copied as bytes, so alignment does not matter. This saves the intermediate
            // tensor (one allocation and one copy of the whole model).
            unsafe {
                std::ptr::copy_nonoverlapping(
                    self.data.as_ptr(),
                    variable.data_ptr() as *mut u8,
                    self.data.len(),
                );
            }
            Ok(())
        } else {
            let stored = Tensor::f_from_data_size(self.data, &self.shape, self.kind)?;
            variable.f_copy_(&stored)
        }
    }
}

fn find_source<'a, T>(
    name: &str,
    file: &'a HashMap<String, T>,
    prefixes: &[String],
) -> Option<(&'a String, &'a T)> {
    if let Some(entry) = file.get_key_value(name) {
        return Some(entry);
    }
    // Model with a head, checkpoint of the bare base model: drop the model's first segment.
    if let Some((_, rest)) = name.split_once('.') {
        if let Some(entry) = file.get_key_value(rest) {
            return Some(entry);
        }
    }
    // Bare base model, checkpoint of a model with a head: add the checkpoint's prefix.
    for prefix in prefixes {
        if let Some(entry) = file.get_key_value(&format!("{prefix}.{name}")) {
            return Some(entry);
        }
    }
    for (a, b) in TIED_ALIASES {
        for (wanted, alias) in [(a, b), (b, a)] {
            if let Some(head) = name.strip_suffix(wanted) {
                if let Some(entry) = file.get_key_value(&format!("{head}{alias}")) {
                    return Some(entry);
                }
            }
        }
    }
    None
}

fn is_floating(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Half | Kind::Float | Kind::Double | Kind::BFloat16 | Kind::ComplexFloat
    )
}

/// Copies named tensors into the variables of a `VarStore` (converting dtype and device to
/// those of each variable), failing with the list of missing or mis-shaped names.
pub fn load_tensors_into<T: StoredTensor>(
    vs: &VarStore,
    tensors: Vec<(String, T)>,
    origin: &str,
) -> Result<LoadReport, RustBertError> {
    let file: HashMap<String, T> = tensors.into_iter().collect();
    let prefixes: Vec<String> = file
        .keys()
        .filter_map(|k| k.split_once('.').map(|(p, _)| p.to_string()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut variables: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    let mut missing = Vec::new();
    let mut mismatched = Vec::new();
    let mut used = BTreeSet::new();
    let mut report = LoadReport::default();
    tch::no_grad(|| -> Result<(), RustBertError> {
        for (name, mut variable) in variables {
            match find_source(&name, &file, &prefixes) {
                None => missing.push(name),
                Some((source_name, source)) => {
                    if source.stored_size() != variable.size() {
                        mismatched.push(format!(
                            "{name}: model {:?}, file {:?}",
                            variable.size(),
                            source.stored_size()
                        ));
                        continue;
                    }
                    // Integers or booleans where the model has floats: a corrupt or foreign
                    // file, not a precision to convert.
                    if let Some(kind) = source.stored_kind() {
                        if variable.is_floating_point() && !is_floating(kind) {
                            mismatched.push(format!(
                                "{name}: model {:?}, file {kind:?} (not a floating-point tensor)",
                                variable.kind()
                            ));
                            continue;
                        }
                    }
                    source.copy_into(&mut variable)?;
                    used.insert(source_name.clone());
                    if source_name != &name {
                        report.renamed.push((name, source_name.clone()));
                    }
                }
            }
        }
        Ok(())
    })?;
    if !missing.is_empty() || !mismatched.is_empty() {
        let mut message = format!("cannot load {origin}:");
        if !missing.is_empty() {
            message.push_str(&format!(
                " {} tensor(s) missing from the file: {}.",
                missing.len(),
                missing.join(", ")
            ));
        }
        if !mismatched.is_empty() {
            message.push_str(&format!(
                " {} tensor(s) of the wrong shape or kind: {}.",
                mismatched.len(),
                mismatched.join("; ")
            ));
        }
        return Err(RustBertError::TchError(message));
    }
    report.unused = file.into_keys().filter(|k| !used.contains(k)).collect();
    report.unused.sort();
    if !report.unused.is_empty() {
        log::info!(
            "{origin}: {} tensor(s) not used by the model: {}",
            report.unused.len(),
            report.unused.join(", ")
        );
    }
    Ok(report)
}

/// Loads a weight file (any format of [`WeightFormat`]) into a `VarStore`.
///
/// Half-precision files load into the variables' own kind (fp32 for a fresh `VarStore`); call
/// `vs.half()` / `vs.bfloat16()` before loading to keep a smaller kind.
pub fn load_weights_from_file<P: AsRef<Path>>(
    vs: &VarStore,
    path: P,
) -> Result<LoadReport, RustBertError> {
    let path = path.as_ref();
    let origin = path.display().to_string();
    let safetensors_files = match WeightFormat::from_path(path)? {
        // Dequantised one tensor at a time straight into the variables.
        WeightFormat::Gguf => {
            crate::common::gguf::GgufFile::open(path)?.load_into(vs)?;
            return Ok(LoadReport::default());
        }
        WeightFormat::SafeTensors => vec![path.to_path_buf()],
        WeightFormat::ShardedIndex => shard_files(path)?,
        _ => Vec::new(),
    };
    if safetensors_files.is_empty()
        || safetensors_files
            .iter()
            .any(|f| f.extension().and_then(|e| e.to_str()) != Some("safetensors"))
    {
        let tensors = read_tensors(path)?;
        return load_tensors_into(vs, tensors, &origin);
    }
    // Safetensors are memory-mapped and copied once, straight into the variables.
    let maps = safetensors_files
        .iter()
        .map(|file| map_file(file))
        .collect::<Result<Vec<_>, _>>()?;
    let parsed = maps
        .iter()
        .zip(&safetensors_files)
        .map(|(map, file)| {
            safetensors::SafeTensors::deserialize(map).map_err(|e| read_error(file, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // LibTorch's own mapping of each file, for variables that can use its pages directly.
    let mapped: Vec<Option<Tensor>> = safetensors_files
        .iter()
        .zip(&maps)
        .map(|(file, map)| {
            file.to_str().and_then(|name| {
                Tensor::f_from_file(
                    name,
                    false,
                    Some(map.len() as i64),
                    (Kind::Uint8, Device::Cpu),
                )
                .ok()
            })
        })
        .collect();
    let mut views = Vec::new();
    for ((parsed, file), (map, whole)) in parsed
        .iter()
        .zip(&safetensors_files)
        .zip(maps.iter().zip(&mapped))
    {
        for (name, view) in parsed.tensors() {
            let kind = safetensors_kind(view.dtype()).ok_or_else(|| {
                read_error(
                    file,
                    format!("tensor {name} has unsupported dtype {:?}", view.dtype()),
                )
            })?;
            views.push((
                name,
                SafeTensorView {
                    kind,
                    shape: view.shape().iter().map(|&d| d as i64).collect(),
                    data: view.data(),
                    mapped: whole
                        .as_ref()
                        .map(|w| (w, view.data().as_ptr() as i64 - map.as_ptr() as i64)),
                },
            ));
        }
    }
    load_tensors_into(vs, views, &origin)
}

fn map_file(path: &Path) -> Result<memmap2::Mmap, RustBertError> {
    let file = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
    // SAFETY: the map is read-only and dropped before this function's caller returns; a file
    // truncated by another process meanwhile would fault, as with any mmap-based loader
    // (HF's included).
    unsafe { memmap2::Mmap::map(&file) }.map_err(|e| read_error(path, e))
}

/// Loads the weights of a resource (file or in-memory buffer) into a `VarStore`.
///
/// A file (local, or downloaded into the cache) takes [`load_weights_from_file`]'s path:
/// `.safetensors` (single or sharded) are memory-mapped and copied once into the variables,
/// never read whole into memory first. Only in-memory buffers are parsed from their bytes.
pub fn load_weights_from_resource(
    vs: &VarStore,
    resource: &dyn ResourceProvider,
) -> Result<LoadReport, RustBertError> {
    // The buffer's lock guard is dropped at the end of this statement, before the buffer is
    // read again below (holding it would deadlock).
    let path = match resource.get_resource()? {
        Resource::PathBuf(path) => Some(path),
        Resource::Buffer(_) => None,
    };
    match path {
        Some(path) => load_weights_from_file(vs, path),
        None => {
            let tensors = read_resource_tensors(resource)?;
            load_tensors_into(vs, tensors, &format!("{resource:?}"))
        }
    }
}

/// Converts every floating tensor to `kind`, leaving integer tensors (e.g. buffers of ids)
/// as they are.
pub fn convert_float_kind(tensors: Vec<(String, Tensor)>, kind: Kind) -> Vec<(String, Tensor)> {
    tensors
        .into_iter()
        .map(|(name, tensor)| {
            let tensor = if tensor.is_floating_point() {
                tensor.to_kind(kind)
            } else {
                tensor
            };
            (name, tensor)
        })
        .collect()
}

/// What [`convert_weights`] changes on the way (the options of rust-bert's `convert_model.py`).
#[derive(Debug, Clone, Default)]
pub struct ConversionOptions {
    /// Convert floating tensors to this kind (integer buffers are kept).
    pub kind: Option<Kind>,
    /// Prepend this to every tensor name (e.g. `"bert."`).
    pub prefix: Option<String>,
    /// Drop the shared token embeddings of encoder-decoder checkpoints (rebuilt from `shared`).
    pub skip_embeddings: bool,
    /// Drop `lm_head.weight` (tied to the embeddings).
    pub skip_lm_head: bool,
}

const SHARED_EMBEDDING_NAMES: &[&str] = &[
    "model.encoder.embed_tokens.weight",
    "encoder.embed_tokens.weight",
    "model.decoder.embed_tokens.weight",
    "decoder.embed_tokens.weight",
];

/// Applies [`ConversionOptions`] to named tensors. Also renames the `gamma`/`beta` of old
/// TensorFlow-converted LayerNorms to `weight`/`bias`, as `from_pretrained` does.
pub fn apply_conversion(
    tensors: Vec<(String, Tensor)>,
    options: &ConversionOptions,
) -> Vec<(String, Tensor)> {
    let tensors = tensors
        .into_iter()
        .filter(|(name, _)| {
            let shared_embedding = SHARED_EMBEDDING_NAMES.contains(&name.as_str());
            let lm_head = name == "lm_head.weight";
            !(options.skip_embeddings && shared_embedding || options.skip_lm_head && lm_head)
        })
        .map(|(name, tensor)| {
            let name = match name.rsplit_once('.') {
                Some((head, "gamma")) => format!("{head}.weight"),
                Some((head, "beta")) => format!("{head}.bias"),
                _ => name,
            };
            let name = match &options.prefix {
                Some(prefix) => format!("{prefix}{name}"),
                None => name,
            };
            (name, tensor)
        })
        .collect();
    match options.kind {
        Some(kind) => convert_float_kind(tensors, kind),
        None => tensors,
    }
}

/// Converts a weight file between formats (`.safetensors`, sharded index, `.bin`/`.pt`, `.ot`
/// in; `.ot`, `.safetensors`, `.bin`/`.pt` out). Returns the number of tensors written.
pub fn convert_weights<P: AsRef<Path>, Q: AsRef<Path>>(
    input: P,
    output: Q,
    options: &ConversionOptions,
) -> Result<usize, RustBertError> {
    let tensors = apply_conversion(read_tensors(input)?, options);
    write_tensors(&tensors, output)?;
    Ok(tensors.len())
}
