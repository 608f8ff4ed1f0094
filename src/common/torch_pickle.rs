//! PyTorch's `torch.save` state dicts (`pytorch_model.bin`), written and read without Python.
//!
//! The format: a zip archive (stored, 64-byte aligned entries as PyTorch writes them) holding
//! `data.pkl`, a protocol-2 pickle of an `OrderedDict` of
//! `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`,
//! plus one raw little-endian record per storage under `data/<key>`.
//!
//! - Writing ([`write_state_dict`]): tch offers no writer, so the converter writes exactly the
//!   globals Python's `torch.load(weights_only=True)` accepts.
//! - Reading ([`read_state_dict`]): LibTorch's own reader cannot be used, because its unpickler
//!   turns `collections.OrderedDict` (what HF saves) into `None`; so a small unpickler here runs
//!   the opcodes a state dict needs and refuses every other global. Files are untrusted: the work
//!   a pickle may cause is bounded by its size (values created or copied, bytes unpacked from
//!   records), containers nest at most 64 levels, and a tensor may not view more
//!   elements than its storage, so a crafted file gives an error rather than exhausting memory
//!   or the stack.
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
    /// A deep copy (what a memo get makes), charged to `budget`: one unit per value and per
    /// byte of string. `None` when the budget runs out, so that a short pickle re-reading a
    /// memoised value into itself (doubling it at each step) stops instead of exhausting memory.
    fn copy(&self, budget: &mut usize) -> Option<Value> {
        let cost = 1 + match self {
            Value::Str(s) => s.len(),
            Value::Global(m, n) => m.len() + n.len(),
            _ => 0,
        };
        *budget = budget.checked_sub(cost)?;
        let all = |values: &[Value], budget: &mut usize| -> Option<Vec<Value>> {
            values.iter().map(|v| v.copy(budget)).collect()
        };
        Some(match self {
            Value::None => Value::None,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Str(s) => Value::Str(s.clone()),
            Value::Tuple(v) => Value::Tuple(all(v, budget)?),
            Value::List(v) => Value::List(all(v, budget)?),
            Value::Dict(v) => Value::Dict(
                v.iter()
                    .map(|(k, v)| Some((k.copy(budget)?, v.copy(budget)?)))
                    .collect::<Option<_>>()?,
            ),
            Value::Global(m, n) => Value::Global(m.clone(), n.clone()),
            Value::Storage(t) => Value::Storage(t.shallow_clone()),
            Value::Tensor(t) => Value::Tensor(t.shallow_clone()),
            Value::Mark => Value::Mark,
        })
    }

    /// How deeply containers nest in this value (0 for a scalar). Recursion is safe: no value
    /// deeper than [`MAX_DEPTH`] is ever built.
    fn depth(&self) -> usize {
        match self {
            Value::Tuple(v) | Value::List(v) => 1 + v.iter().map(Value::depth).max().unwrap_or(0),
            Value::Dict(v) => {
                1 + v
                    .iter()
                    .map(|(k, v)| k.depth().max(v.depth()))
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
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

/// Containers nest at most this deep (a state dict needs 3 or 4 levels). Deeper values would
/// make dropping or walking them recurse without bound on a crafted file.
const MAX_DEPTH: usize = 64;

/// The values a pickle of `pickle_len` bytes may create or copy: a state dict makes a few per
/// byte of pickle, so 16 per byte plus a fixed allowance fits any real checkpoint, while a
/// crafted one (a memoised value re-read into itself) fails fast instead of exhausting memory.
fn value_budget(pickle_len: usize) -> usize {
    pickle_len.saturating_mul(16).saturating_add(1 << 20)
}

/// The bytes the archive's records (pickle and storages) may unpack to: stored records cannot
/// exceed the file, so twice its size (plus 1 MiB) allows for compression without letting a
/// small compressed record inflate into gigabytes.
fn byte_budget(file_size: u64) -> u64 {
    file_size.saturating_mul(2).saturating_add(1 << 20)
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
    /// What is left of [`value_budget`].
    budget: usize,
    /// What is left of [`byte_budget`].
    bytes_left: u64,
}

impl<R: std::io::Read + std::io::Seek> Unpickler<'_, R> {
    fn error(&self, message: impl std::fmt::Display) -> RustBertError {
        RustBertError::TchError(format!(
            "cannot read PyTorch archive {} (pickle offset {}): {message}",
            self.origin, self.pos
        ))
    }

    /// Charges `units` of work, failing once the file's budget is spent.
    fn charge(&mut self, units: usize) -> Result<(), RustBertError> {
        match self.budget.checked_sub(units) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(self.over_budget()),
        }
    }

    fn over_budget(&self) -> RustBertError {
        self.error(
            "the pickle asks for more work or memory than a file of its size can hold \
             (values copied in a loop?)",
        )
    }

    /// A copy of the value on top of the stack, charged to the budget.
    fn copy_top(&mut self) -> Result<Value, RustBertError> {
        let copied = match self.stack.last() {
            Some(top) => top.copy(&mut self.budget),
            None => return Err(self.error("stack underflow")),
        };
        copied.ok_or_else(|| self.over_budget())
    }

    /// A container of `items`, refused past [`MAX_DEPTH`].
    fn container(
        &mut self,
        items: Vec<Value>,
        make: fn(Vec<Value>) -> Value,
    ) -> Result<Value, RustBertError> {
        self.charge(1 + items.len())?;
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(self.error(format!("containers nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(make(items))
    }

    /// Refuses `item` as an element of the container on top of the stack when that would nest
    /// deeper than [`MAX_DEPTH`] (the container's own depth cannot be more than the stack allows).
    fn check_element(&mut self, item: &Value) -> Result<(), RustBertError> {
        self.charge(1)?;
        if 1 + item.depth() > MAX_DEPTH {
            return Err(self.error(format!("containers nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
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
            // A record's declared size is not trusted: read at most what is left of the budget,
            // plus one byte to see whether there was more.
            let record = self
                .archive
                .by_name(&name)
                .map_err(|e| RustBertError::TchError(format!("{}: {name}: {e}", self.origin)))?;
            record
                .take(self.bytes_left.saturating_add(1))
                .read_to_end(&mut bytes)?;
        }
        self.bytes_left = match self.bytes_left.checked_sub(bytes.len() as u64) {
            Some(left) => left,
            None => {
                return Err(self.error(format!("record {name} unpacks to more than the file holds")))
            }
        };
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
                // A view may not hold more elements than its storage: a zero stride with a huge
                // size would pass LibTorch's bounds check and then allocate that size.
                let numel = size
                    .iter()
                    .try_fold(1i64, |n, &d| if d < 0 { None } else { n.checked_mul(d) });
                if numel.is_none_or(|n| n > storage.numel() as i64) {
                    return Err(self.error(format!(
                        "tensor of size {size:?} is larger than its storage ({} elements)",
                        storage.numel()
                    )));
                }
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
                    let value = self.copy_top()?;
                    self.memo.insert(key, value);
                }
                b'r' => {
                    let key = u32::from_le_bytes(self.le()?);
                    let value = self.copy_top()?;
                    self.memo.insert(key, value);
                }
                0x94 => {
                    let key = self.memo.len() as u32;
                    let value = self.copy_top()?;
                    self.memo.insert(key, value);
                }
                b'h' | b'j' => {
                    let key = if op == b'h' {
                        self.byte()? as u32
                    } else {
                        u32::from_le_bytes(self.le()?)
                    };
                    let copied = match self.memo.get(&key) {
                        None => return Err(self.error(format!("memo key {key} missing"))),
                        Some(value) => value.copy(&mut self.budget),
                    };
                    let value = copied.ok_or_else(|| self.over_budget())?;
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
                    let tuple = self.container(items, Value::Tuple)?;
                    self.stack.push(tuple);
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    if self.stack.len() < n {
                        return Err(self.error("stack underflow"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    let tuple = self.container(items, Value::Tuple)?;
                    self.stack.push(tuple);
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
                    self.check_element(&key)?;
                    self.check_element(&value)?;
                    match self.top()? {
                        Value::Dict(entries) => entries.push((key, value)),
                        _ => return Err(self.error("SETITEM on a non-dict")),
                    }
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    for item in &items {
                        self.check_element(item)?;
                    }
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
                    self.check_element(&value)?;
                    match self.top()? {
                        Value::List(items) => items.push(value),
                        _ => return Err(self.error("APPEND on a non-list")),
                    }
                }
                b'e' => {
                    let values = self.pop_mark()?;
                    for value in &values {
                        self.check_element(value)?;
                    }
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
    let path = path.as_ref();
    let origin = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|e| RustBertError::IOError(format!("{origin}: {e}")))?;
    let file_size = file
        .metadata()
        .map_err(|e| RustBertError::IOError(format!("{origin}: {e}")))?
        .len();
    read_archive(std::io::BufReader::new(file), file_size, &origin)
}

/// [`read_state_dict`] on an open archive of `file_size` bytes (`origin` names it in errors).
fn read_archive<R: std::io::Read + std::io::Seek>(
    reader: R,
    file_size: u64,
    origin: &str,
) -> Result<Vec<(String, Tensor)>, RustBertError> {
    use std::io::Read;
    let zip_error = |e: zip::result::ZipError| {
        RustBertError::TchError(format!(
            "cannot read PyTorch archive {origin}: {e} (only the zip format of torch >= 1.6 is \
             supported)"
        ))
    };
    let mut bytes_left = byte_budget(file_size);
    let mut archive = zip::ZipArchive::new(reader).map_err(zip_error)?;
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
    let record = archive.by_name(&pickle_name).map_err(zip_error)?;
    // A record's declared size is not trusted: read at most the budget, plus one byte to see
    // whether there was more.
    record
        .take(bytes_left.saturating_add(1))
        .read_to_end(&mut pickle)?;
    bytes_left = bytes_left.checked_sub(pickle.len() as u64).ok_or_else(|| {
        RustBertError::TchError(format!(
            "{origin}: data.pkl unpacks to more than a file of {file_size} bytes can hold"
        ))
    })?;
    let mut unpickler = Unpickler {
        data: &pickle,
        pos: 0,
        stack: Vec::new(),
        memo: Default::default(),
        archive: &mut archive,
        prefix,
        storages: Default::default(),
        origin: origin.to_string(),
        budget: value_budget(pickle.len()),
        bytes_left,
    };
    let root = unpickler.run()?;
    let mut tensors = Vec::new();
    flatten(root, "", &mut tensors);
    Ok(tensors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    /// A `torch.save`-shaped archive holding `pickle` as `archive/data.pkl` and one 64-byte
    /// storage record `archive/data/0`.
    fn archive(pickle: &[u8]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in [
            ("archive/data.pkl", pickle),
            ("archive/byteorder", b"little".as_slice()),
            ("archive/data/0", [7u8; 64].as_slice()),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn read(bytes: &[u8]) -> Result<Vec<(String, Tensor)>, RustBertError> {
        read_archive(Cursor::new(bytes), bytes.len() as u64, "test archive")
    }

    /// Protocol 2 header, an empty list memoised as 0, then `steps` times: get 0 twice, make a
    /// pair, memoise it as 0 again. Each step doubles the value: 2^60 values from ~600 bytes.
    pub(super) fn doubling(steps: usize) -> Vec<u8> {
        let mut p = vec![0x80, 2, b']', b'q', 0];
        for _ in 0..steps {
            p.extend_from_slice(&[b'h', 0, b'h', 0, 0x86, b'q', 0]);
        }
        p.push(b'.');
        p
    }

    /// `depth` nested one-element tuples around `None`.
    pub(super) fn nested(depth: usize) -> Vec<u8> {
        let mut p = vec![0x80, 2, b'N'];
        p.extend(std::iter::repeat_n(0x85, depth));
        p.push(b'.');
        p
    }

    /// A tensor of 2^40 elements viewing the 16-float storage with stride 0.
    pub(super) fn broadcast() -> Vec<u8> {
        let mut p = vec![0x80, 2];
        let global = |p: &mut Vec<u8>, module: &str, name: &str| {
            p.push(b'c');
            p.extend_from_slice(module.as_bytes());
            p.push(b'\n');
            p.extend_from_slice(name.as_bytes());
            p.push(b'\n');
        };
        let string = |p: &mut Vec<u8>, s: &str| {
            p.push(0x8c);
            p.push(s.len() as u8);
            p.extend_from_slice(s.as_bytes());
        };
        p.push(b'}');
        string(&mut p, "w");
        global(&mut p, "torch._utils", "_rebuild_tensor_v2");
        p.push(b'(');
        p.push(b'(');
        string(&mut p, "storage");
        global(&mut p, "torch", "FloatStorage");
        string(&mut p, "0");
        string(&mut p, "cpu");
        p.extend_from_slice(&[b'K', 16, b't', b'Q']);
        p.extend_from_slice(&[b'K', 0]); // offset
        p.extend_from_slice(&[0x8a, 8]);
        p.extend_from_slice(&(1i64 << 40).to_le_bytes());
        p.push(0x85); // size (2^40,)
        p.extend_from_slice(&[b'K', 0, 0x85]); // stride (0,)
        p.extend_from_slice(&[0x89, b')', b't', b'R', b's', b'.']);
        p
    }

    #[test]
    fn a_value_doubled_sixty_times_is_an_error_not_an_exhausted_memory() {
        let started = std::time::Instant::now();
        let error = read(&archive(&doubling(60))).unwrap_err().to_string();
        assert!(error.contains("more work or memory"), "{error}");
        assert!(started.elapsed().as_secs() < 10);
        // A few doublings are fine: the budget is a multiple of the pickle, not a small count.
        assert!(read(&archive(&doubling(8))).is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let error = read(&archive(&nested(1_000_000))).unwrap_err().to_string();
        assert!(error.contains("nested deeper"), "{error}");
        assert!(read(&archive(&nested(MAX_DEPTH))).is_ok());
    }

    #[test]
    fn a_view_larger_than_its_storage_is_refused() {
        let error = read(&archive(&broadcast())).unwrap_err().to_string();
        assert!(error.contains("larger than its storage"), "{error}");
    }

    /// Every archive of the regression corpus (crafted attacks and what fuzzing found) is read
    /// without a panic, in bounded time, to an error.
    #[test]
    fn the_regression_corpus_gives_errors() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pickle_corpus");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let started = std::time::Instant::now();
            let result = read_state_dict(&path);
            assert!(result.is_err(), "{}", path.display());
            assert!(started.elapsed().as_secs() < 10, "{}", path.display());
            count += 1;
        }
        assert!(count >= 3);
    }

    /// Writes the crafted attacks into the regression corpus (run by hand:
    /// `cargo test --lib write_pickle_corpus -- --ignored`).
    #[test]
    #[ignore]
    fn write_pickle_corpus() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pickle_corpus");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, pickle) in [
            ("doubling_60.bin", doubling(60)),
            ("nested_20k.bin", nested(20_000)),
            ("broadcast_2e40.bin", broadcast()),
        ] {
            std::fs::write(dir.join(name), archive(&pickle)).unwrap();
        }
    }

    /// One pickle instruction (with its argument), or a raw byte.
    fn op() -> impl Strategy<Value = Vec<u8>> {
        let simple = prop::sample::select(vec![
            b'}', b']', b')', b'N', 0x88, 0x89, b'(', 0x94, b't', 0x85, 0x86, 0x87, b'Q', b'R',
            b'b', b's', b'u', b'a', b'e', b'.', 0x93,
        ])
        .prop_map(|b| vec![b]);
        let memo = (prop::sample::select(vec![b'q', b'h']), 0u8..4).prop_map(|(o, k)| vec![o, k]);
        let long_memo =
            (prop::sample::select(vec![b'r', b'j']), any::<u32>()).prop_map(|(o, k)| {
                let mut v = vec![o];
                v.extend_from_slice(&(k % 8).to_le_bytes());
                v
            });
        let ints = prop_oneof![
            any::<u8>().prop_map(|k| vec![b'K', k]),
            any::<u16>().prop_map(|k| {
                let mut v = vec![b'M'];
                v.extend_from_slice(&k.to_le_bytes());
                v
            }),
            any::<i32>().prop_map(|k| {
                let mut v = vec![b'J'];
                v.extend_from_slice(&k.to_le_bytes());
                v
            }),
            (0u8..12, any::<u64>()).prop_map(|(n, k)| {
                let mut v = vec![0x8a, n];
                v.extend_from_slice(&k.to_le_bytes()[..usize::from(n.min(8))]);
                v
            }),
            any::<u64>().prop_map(|k| {
                let mut v = vec![b'G'];
                v.extend_from_slice(&k.to_be_bytes());
                v
            }),
        ];
        let strings = prop::sample::select(vec![
            "storage",
            "0",
            "cpu",
            "w",
            "torch",
            "FloatStorage",
            "collections",
            "OrderedDict",
            "torch._utils",
            "_rebuild_tensor_v2",
            "",
        ])
        .prop_flat_map(|s| {
            prop_oneof![
                Just({
                    let mut v = vec![0x8c, s.len() as u8];
                    v.extend_from_slice(s.as_bytes());
                    v
                }),
                Just({
                    let mut v = vec![b'X'];
                    v.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    v.extend_from_slice(s.as_bytes());
                    v
                }),
                // A declared length past the end of the pickle.
                Just(vec![b'X', 0xff, 0xff, 0xff, 0x7f]),
            ]
        });
        let globals = prop::sample::select(vec![
            "torch._utils\n_rebuild_tensor_v2\n",
            "collections\nOrderedDict\n",
            "torch\nFloatStorage\n",
            "torch\nHalfStorage\n",
            "torch._utils\n_rebuild_parameter\n",
            "os\nsystem\n",
            "torch\n",
        ])
        .prop_map(|g| {
            let mut v = vec![b'c'];
            v.extend_from_slice(g.as_bytes());
            v
        });
        prop_oneof![
            4 => simple,
            2 => memo,
            1 => long_memo,
            2 => ints,
            2 => strings,
            2 => globals,
            1 => any::<u8>().prop_map(|b| vec![b]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PICKLE_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Arbitrary instruction sequences (after the tensor-archive prologue, or a valid
        /// state dict's first bytes) never panic and never run away: the reader answers each
        /// with tensors or an error.
        #[test]
        fn arbitrary_pickles_give_tensors_or_errors(ops in prop::collection::vec(op(), 0..48), prefix in 0usize..3) {
            let mut pickle = vec![0x80, 2];
            if prefix == 1 {
                pickle.extend_from_slice(b"ccollections\nOrderedDict\n)R");
            } else if prefix == 2 {
                pickle.extend_from_slice(&broadcast()[2..40]);
            }
            for op in ops {
                pickle.extend(op);
            }
            let _ = read(&archive(&pickle));
        }
    }
}
