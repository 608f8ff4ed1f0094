//! Writing `torch.save`-compatible state dicts (`pytorch_model.bin`) without Python.
//!
//! LibTorch can read these archives (`Tensor::loadz_multi`) but tch offers no writer, so the
//! converter writes the format itself: a zip archive (stored, 64-byte aligned entries as
//! PyTorch writes them) holding `data.pkl`, a protocol-2 pickle of an `OrderedDict` of
//! `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`,
//! plus one raw little-endian record per tensor under `data/<key>`. Python's
//! `torch.load(weights_only=True)` accepts exactly these globals.
use crate::RustBertError;
use std::io::Write;
use std::path::Path;
use tch::{Kind, Tensor};

/// The storage class name `torch.load` expects for a kind.
fn storage_name(kind: Kind) -> Result<&'static str, RustBertError> {
    Ok(match kind {
        Kind::Float => "FloatStorage",
        Kind::Double => "DoubleStorage",
        Kind::Half => "HalfStorage",
        Kind::BFloat16 => "BFloat16Storage",
        Kind::Int64 => "LongStorage",
        Kind::Int => "IntStorage",
        Kind::Int16 => "ShortStorage",
        Kind::Int8 => "CharStorage",
        Kind::Uint8 => "ByteStorage",
        Kind::Bool => "BoolStorage",
        other => {
            return Err(RustBertError::UnsupportedError(format!(
                "cannot write tensors of kind {other:?} to a PyTorch archive"
            )))
        }
    })
}

/// A minimal protocol-2 pickle writer (only the opcodes a state dict needs).
struct Pickle(Vec<u8>);

impl Pickle {
    fn global(&mut self, module: &str, name: &str) {
        self.0.push(b'c');
        self.0.extend_from_slice(module.as_bytes());
        self.0.push(b'\n');
        self.0.extend_from_slice(name.as_bytes());
        self.0.push(b'\n');
    }

    fn string(&mut self, s: &str) {
        self.0.push(b'X'); // BINUNICODE
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn int(&mut self, value: i64) {
        if let Ok(small) = i32::try_from(value) {
            self.0.push(b'J'); // BININT
            self.0.extend_from_slice(&small.to_le_bytes());
        } else {
            self.0.extend_from_slice(&[0x8a, 8]); // LONG1, 8 bytes
            self.0.extend_from_slice(&value.to_le_bytes());
        }
    }

    fn int_tuple(&mut self, values: &[i64]) {
        self.0.push(b'(');
        for &v in values {
            self.int(v);
        }
        self.0.push(b't');
    }

    fn op(&mut self, op: u8) {
        self.0.push(op);
    }

    fn empty_ordered_dict(&mut self) {
        self.global("collections", "OrderedDict");
        self.op(b')'); // EMPTY_TUPLE
        self.op(b'R'); // REDUCE
    }
}

/// Row-major strides of a shape.
fn contiguous_strides(size: &[i64]) -> Vec<i64> {
    let mut strides = vec![1; size.len()];
    for i in (0..size.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * size[i + 1].max(1);
    }
    strides
}

/// Writes named tensors as a `torch.save` state dict.
pub fn write_state_dict<P: AsRef<Path>>(
    tensors: &[(String, Tensor)],
    path: P,
) -> Result<(), RustBertError> {
    let path = path.as_ref();
    let io_error =
        |e: &dyn std::fmt::Display| RustBertError::IOError(format!("{}: {e}", path.display()));
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .unwrap_or("archive")
        .to_string();

    let mut pickle = Pickle(vec![0x80, 2]); // PROTO 2
    pickle.empty_ordered_dict();
    pickle.op(b'('); // MARK for SETITEMS
    let mut records = Vec::with_capacity(tensors.len());
    for (key, (name, tensor)) in tensors.iter().enumerate() {
        let tensor = tensor.to_device(tch::Device::Cpu).contiguous();
        let kind = tensor.kind();
        let size = tensor.size();
        let numel = tensor.numel();
        pickle.string(name);
        pickle.global("torch._utils", "_rebuild_tensor_v2");
        pickle.op(b'(');
        // Persistent id: ('storage', storage type, key, location, numel).
        pickle.op(b'(');
        pickle.string("storage");
        pickle.global("torch", storage_name(kind)?);
        pickle.string(&key.to_string());
        pickle.string("cpu");
        pickle.int(numel as i64);
        pickle.op(b't');
        pickle.op(b'Q'); // BINPERSID
        pickle.int(0); // storage offset
        pickle.int_tuple(&size);
        pickle.int_tuple(&contiguous_strides(&size));
        pickle.op(0x89); // NEWFALSE: requires_grad
        pickle.empty_ordered_dict(); // backward hooks
        pickle.op(b't');
        pickle.op(b'R');
        let mut bytes = vec![0u8; numel * kind.elt_size_in_bytes()];
        tensor.f_copy_data_u8(&mut bytes, numel)?;
        records.push(bytes);
    }
    pickle.op(b'u'); // SETITEMS
    pickle.op(b'.'); // STOP

    let file = std::fs::File::create(path).map_err(|e| io_error(&e))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .with_alignment(64)
        .large_file(records.iter().map(Vec::len).sum::<usize>() > u32::MAX as usize / 2);
    let mut add = |name: String, data: &[u8]| -> Result<(), RustBertError> {
        zip.start_file(name, options).map_err(|e| io_error(&e))?;
        zip.write_all(data).map_err(|e| io_error(&e))
    };
    add(format!("{stem}/data.pkl"), &pickle.0)?;
    add(format!("{stem}/byteorder"), b"little")?;
    for (key, bytes) in records.iter().enumerate() {
        add(format!("{stem}/data/{key}"), bytes)?;
    }
    add(format!("{stem}/version"), b"3\n")?;
    zip.finish().map_err(|e| io_error(&e))?;
    Ok(())
}

/// A value of the pickle machine (only what state dicts contain).
#[derive(Debug)]
enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Global(String, String),
    Storage(Tensor),
    Tensor(Tensor),
    Mark,
}

impl Value {
    fn copy(&self) -> Value {
        match self {
            Value::None => Value::None,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Str(s) => Value::Str(s.clone()),
            Value::Tuple(v) => Value::Tuple(v.iter().map(Value::copy).collect()),
            Value::List(v) => Value::List(v.iter().map(Value::copy).collect()),
            Value::Dict(v) => Value::Dict(v.iter().map(|(k, v)| (k.copy(), v.copy())).collect()),
            Value::Global(m, n) => Value::Global(m.clone(), n.clone()),
            Value::Storage(t) => Value::Storage(t.shallow_clone()),
            Value::Tensor(t) => Value::Tensor(t.shallow_clone()),
            Value::Mark => Value::Mark,
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    fn ints(&self) -> Option<Vec<i64>> {
        match self {
            Value::Tuple(v) | Value::List(v) => v.iter().map(Value::int).collect(),
            _ => None,
        }
    }
}

fn kind_of_storage(name: &str) -> Option<Kind> {
    Some(match name {
        "FloatStorage" => Kind::Float,
        "DoubleStorage" => Kind::Double,
        "HalfStorage" => Kind::Half,
        "BFloat16Storage" => Kind::BFloat16,
        "LongStorage" => Kind::Int64,
        "IntStorage" => Kind::Int,
        "ShortStorage" => Kind::Int16,
        "CharStorage" => Kind::Int8,
        "ByteStorage" => Kind::Uint8,
        "BoolStorage" => Kind::Bool,
        _ => return None,
    })
}

/// Unpickles a `torch.save` state dict, loading storages from the archive's records.
struct Unpickler<'a, R: std::io::Read + std::io::Seek> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    memo: std::collections::HashMap<u32, Value>,
    archive: &'a mut zip::ZipArchive<R>,
    prefix: String,
    storages: std::collections::HashMap<String, Tensor>,
    origin: String,
}

impl<R: std::io::Read + std::io::Seek> Unpickler<'_, R> {
    fn error(&self, message: impl std::fmt::Display) -> RustBertError {
        RustBertError::TchError(format!(
            "cannot read PyTorch archive {} (pickle offset {}): {message}",
            self.origin, self.pos
        ))
    }

    fn take(&mut self, n: usize) -> Result<&[u8], RustBertError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            return Err(self.error("truncated pickle"));
        };
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, RustBertError> {
        Ok(self.take(1)?[0])
    }

    fn le<const N: usize>(&mut self) -> Result<[u8; N], RustBertError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn line(&mut self) -> Result<String, RustBertError> {
        let rest = &self.data[self.pos.min(self.data.len())..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            return Err(self.error("unterminated line"));
        };
        let line = String::from_utf8_lossy(&rest[..end]).to_string();
        self.pos += end + 1;
        Ok(line)
    }

    fn string(&mut self, n: usize) -> Result<Value, RustBertError> {
        let bytes = self.take(n)?;
        Ok(Value::Str(String::from_utf8_lossy(bytes).to_string()))
    }

    fn pop(&mut self) -> Result<Value, RustBertError> {
        self.stack
            .pop()
            .ok_or_else(|| self.error("stack underflow"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, RustBertError> {
        let Some(mark) = self.stack.iter().rposition(|v| matches!(v, Value::Mark)) else {
            return Err(self.error("no MARK on the stack"));
        };
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items)
    }

    fn top(&mut self) -> Result<&mut Value, RustBertError> {
        let pos = self.pos;
        self.stack
            .last_mut()
            .ok_or_else(|| RustBertError::TchError(format!("empty pickle stack at offset {pos}")))
    }

    fn storage(&mut self, pid: Value) -> Result<Value, RustBertError> {
        let Value::Tuple(parts) = pid else {
            return Err(self.error("persistent id is not a tuple"));
        };
        let (kind_name, key) = match parts.as_slice() {
            [Value::Str(tag), Value::Global(_, kind), Value::Str(key), _, ..]
                if tag == "storage" =>
            {
                (kind.clone(), key.clone())
            }
            _ => return Err(self.error(format!("unsupported persistent id {parts:?}"))),
        };
        if let Some(storage) = self.storages.get(&key) {
            return Ok(Value::Storage(storage.shallow_clone()));
        }
        let kind = kind_of_storage(&kind_name)
            .ok_or_else(|| self.error(format!("unsupported storage type {kind_name}")))?;
        let name = format!("{}data/{key}", self.prefix);
        let mut bytes = Vec::new();
        {
            use std::io::Read;
            let mut record = self
                .archive
                .by_name(&name)
                .map_err(|e| RustBertError::TchError(format!("{}: {name}: {e}", self.origin)))?;
            record.read_to_end(&mut bytes)?;
        }
        let numel = bytes.len() / kind.elt_size_in_bytes();
        let storage = Tensor::f_from_data_size(
            &bytes[..numel * kind.elt_size_in_bytes()],
            &[numel as i64],
            kind,
        )?;
        self.storages.insert(key, storage.shallow_clone());
        Ok(Value::Storage(storage))
    }

    fn reduce(&mut self, callable: Value, args: Value) -> Result<Value, RustBertError> {
        let Value::Global(module, name) = &callable else {
            return Err(self.error("REDUCE on a non-global"));
        };
        let Value::Tuple(mut args) = args else {
            return Err(self.error("REDUCE arguments are not a tuple"));
        };
        match (module.as_str(), name.as_str()) {
            ("collections", "OrderedDict") => Ok(Value::Dict(Vec::new())),
            ("torch._utils", "_rebuild_tensor_v2") | ("torch._utils", "_rebuild_tensor") => {
                if args.len() < 4 {
                    return Err(self.error("_rebuild_tensor with too few arguments"));
                }
                let (Value::Storage(storage), Some(offset), Some(size), Some(stride)) =
                    (&args[0], args[1].int(), args[2].ints(), args[3].ints())
                else {
                    return Err(self.error("malformed _rebuild_tensor arguments"));
                };
                let tensor = storage
                    .f_as_strided(size.as_slice(), stride.as_slice(), Some(offset))
                    .and_then(|t| t.f_contiguous())
                    .map_err(|e| self.error(e))?;
                Ok(Value::Tensor(tensor))
            }
            ("torch._utils", "_rebuild_parameter") => match args.drain(..).next() {
                Some(tensor @ Value::Tensor(_)) => Ok(tensor),
                _ => Err(self.error("malformed _rebuild_parameter arguments")),
            },
            _ => Err(self.error(format!(
                "unsupported global {module}.{name} (only tensors and dicts are read)"
            ))),
        }
    }

    fn run(&mut self) -> Result<Value, RustBertError> {
        loop {
            let op = self.byte()?;
            match op {
                0x80 => {
                    self.byte()?;
                }
                0x95 => {
                    self.take(8)?;
                }
                b'}' => self.stack.push(Value::Dict(Vec::new())),
                b']' => self.stack.push(Value::List(Vec::new())),
                b')' => self.stack.push(Value::Tuple(Vec::new())),
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'(' => self.stack.push(Value::Mark),
                b'q' => {
                    let key = self.byte()? as u32;
                    let value = self.top()?.copy();
                    self.memo.insert(key, value);
                }
                b'r' => {
                    let key = u32::from_le_bytes(self.le()?);
                    let value = self.top()?.copy();
                    self.memo.insert(key, value);
                }
                0x94 => {
                    let key = self.memo.len() as u32;
                    let value = self.top()?.copy();
                    self.memo.insert(key, value);
                }
                b'h' | b'j' => {
                    let key = if op == b'h' {
                        self.byte()? as u32
                    } else {
                        u32::from_le_bytes(self.le()?)
                    };
                    let value = self
                        .memo
                        .get(&key)
                        .map(Value::copy)
                        .ok_or_else(|| self.error(format!("memo key {key} missing")))?;
                    self.stack.push(value);
                }
                b'X' => {
                    let n = u32::from_le_bytes(self.le()?) as usize;
                    let s = self.string(n)?;
                    self.stack.push(s);
                }
                0x8c | b'U' => {
                    let n = self.byte()? as usize;
                    let s = self.string(n)?;
                    self.stack.push(s);
                }
                b'T' => {
                    let n = u32::from_le_bytes(self.le()?) as usize;
                    let s = self.string(n)?;
                    self.stack.push(s);
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.stack.push(Value::Global(module, name));
                }
                0x93 => {
                    let (Value::Str(name), Value::Str(module)) = (self.pop()?, self.pop()?) else {
                        return Err(self.error("STACK_GLOBAL needs two strings"));
                    };
                    self.stack.push(Value::Global(module, name));
                }
                b'J' => {
                    let v = i32::from_le_bytes(self.le()?) as i64;
                    self.stack.push(Value::Int(v));
                }
                b'K' => {
                    let v = self.byte()? as i64;
                    self.stack.push(Value::Int(v));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.le()?) as i64;
                    self.stack.push(Value::Int(v));
                }
                0x8a => {
                    let n = self.byte()? as usize;
                    if n > 8 {
                        return Err(self.error("integer wider than 64 bits"));
                    }
                    let bytes = self.take(n)?;
                    let mut buf = if bytes.last().is_some_and(|b| b & 0x80 != 0) {
                        [0xffu8; 8]
                    } else {
                        [0u8; 8]
                    };
                    buf[..n].copy_from_slice(bytes);
                    self.stack.push(Value::Int(i64::from_le_bytes(buf)));
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.le()?);
                    self.stack.push(Value::Float(v));
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::Tuple(items));
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    if self.stack.len() < n {
                        return Err(self.error("stack underflow"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.stack.push(Value::Tuple(items));
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let storage = self.storage(pid)?;
                    self.stack.push(storage);
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let value = self.reduce(callable, args)?;
                    self.stack.push(value);
                }
                b'b' => {
                    // BUILD: state of an object; dicts and tensors need none.
                    self.pop()?;
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    match self.top()? {
                        Value::Dict(entries) => entries.push((key, value)),
                        _ => return Err(self.error("SETITEM on a non-dict")),
                    }
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let mut pairs = Vec::with_capacity(items.len() / 2);
                    let mut items = items.into_iter();
                    while let (Some(k), Some(v)) = (items.next(), items.next()) {
                        pairs.push((k, v));
                    }
                    match self.top()? {
                        Value::Dict(entries) => entries.extend(pairs),
                        _ => return Err(self.error("SETITEMS on a non-dict")),
                    }
                }
                b'a' => {
                    let value = self.pop()?;
                    match self.top()? {
                        Value::List(items) => items.push(value),
                        _ => return Err(self.error("APPEND on a non-list")),
                    }
                }
                b'e' => {
                    let values = self.pop_mark()?;
                    match self.top()? {
                        Value::List(items) => items.extend(values),
                        _ => return Err(self.error("APPENDS on a non-list")),
                    }
                }
                b'.' => return self.pop(),
                other => return Err(self.error(format!("unsupported pickle opcode 0x{other:02x}"))),
            }
        }
    }
}

/// Collects the tensors of a (possibly nested) dict, nested keys joined with `.`.
fn flatten(value: Value, prefix: &str, out: &mut Vec<(String, Tensor)>) {
    if let Value::Dict(entries) = value {
        for (key, value) in entries {
            let key = match key {
                Value::Str(s) => s,
                Value::Int(i) => i.to_string(),
                _ => continue,
            };
            let name = if prefix.is_empty() {
                key
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                Value::Tensor(t) => out.push((name, t)),
                dict @ Value::Dict(_) => flatten(dict, &name, out),
                _ => {}
            }
        }
    }
}

/// Reads the tensors of a `torch.save` zip archive (`pytorch_model.bin`).
///
/// LibTorch's own reader cannot be used: its unpickler turns `collections.OrderedDict` into
/// `None`, and `model.state_dict()` (what HF saves) is an `OrderedDict`.
pub fn read_state_dict<P: AsRef<Path>>(path: P) -> Result<Vec<(String, Tensor)>, RustBertError> {
    use std::io::Read;
    let path = path.as_ref();
    let origin = path.display().to_string();
    let zip_error = |e: zip::result::ZipError| {
        RustBertError::TchError(format!(
            "cannot read PyTorch archive {origin}: {e} (only the zip format of torch >= 1.6 is \
             supported)"
        ))
    };
    let file =
        std::fs::File::open(path).map_err(|e| RustBertError::IOError(format!("{origin}: {e}")))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(zip_error)?;
    let pickle_name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.ends_with("data.pkl"))
        .map(|n| n.to_string())
        .ok_or_else(|| RustBertError::TchError(format!("{origin}: no data.pkl in the archive")))?;
    let prefix = pickle_name.trim_end_matches("data.pkl").to_string();
    if let Ok(mut record) = archive.by_name(&format!("{prefix}byteorder")) {
        let mut order = String::new();
        record.read_to_string(&mut order)?;
        if order.trim() != "little" {
            return Err(RustBertError::UnsupportedError(format!(
                "{origin}: byte order {order} is not supported"
            )));
        }
    }
    let mut pickle = Vec::new();
    archive
        .by_name(&pickle_name)
        .map_err(zip_error)?
        .read_to_end(&mut pickle)?;
    let mut unpickler = Unpickler {
        data: &pickle,
        pos: 0,
        stack: Vec::new(),
        memo: Default::default(),
        archive: &mut archive,
        prefix,
        storages: Default::default(),
        origin: origin.clone(),
    };
    let root = unpickler.run()?;
    let mut tensors = Vec::new();
    flatten(root, "", &mut tensors);
    Ok(tensors)
}
