//! The opcode machine: runs a pickle's opcodes on a stack and a memo, building [`Value`]s.
//! Globals are checked as they are named ([`Global::parse`]); `REDUCE` and `BUILD` go to
//! [`super::numpy`], which only describes arrays and never calls anything.

use super::numpy::{build, reduce, Global};
use super::{malformed, PickleError, Value};
use std::collections::HashMap;
use std::rc::Rc;

pub(super) struct Machine<'a> {
    b: &'a [u8],
    at: usize,
    stack: Vec<Value>,
    memo: HashMap<u32, Value>,
}

impl<'a> Machine<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
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

    pub(super) fn run(mut self) -> Result<Value, PickleError> {
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
