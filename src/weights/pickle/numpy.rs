//! numpy's side of a pickle: the three globals an array pickle may name, and what `REDUCE` and
//! `BUILD` mean for them. Nothing is called: `_reconstruct` and `dtype` only start a
//! description, which `BUILD` fills in and checks (little-endian float32, C order, a shape that
//! matches the bytes).

use super::{kind, malformed, NdArray, PickleError, Value};
use std::rc::Rc;

/// The globals a numpy pickle may name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Global {
    Reconstruct,
    NdArray,
    Dtype,
}

impl Global {
    pub(super) fn parse(module: &str, name: &str) -> Result<Self, PickleError> {
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

/// `REDUCE`: only `_reconstruct(ndarray, (0,), b'b')` and `dtype(code, align, copy)`.
pub(super) fn reduce(f: Value, args: Value) -> Result<Value, PickleError> {
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
pub(super) fn build(obj: Value, state: Value) -> Result<Value, PickleError> {
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
