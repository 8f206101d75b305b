use super::write::{pickle, Array};
use super::*;

fn sample() -> Vec<u8> {
    pickle(&[
        (
            "Net_0/Conv_0/kernel",
            Array::f32(&[1, 1, 2, 3], &[1., 2., 3., 4., 5., 6.]),
        ),
        ("Net_0/Conv_0/bias", Array::f32(&[3], &[0.5, -0.5, 0.25])),
        ("Net_0/Head_0/kernel", Array::f32(&[], &[7.0])),
    ])
}

#[test]
fn reads_nested_dicts_of_float32_arrays() {
    let m = read(&sample()).unwrap();
    let keys: Vec<&str> = m.keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "Net_0/Conv_0/bias",
            "Net_0/Conv_0/kernel",
            "Net_0/Head_0/kernel"
        ]
    );
    assert_eq!(m["Net_0/Conv_0/kernel"].shape, [1, 1, 2, 3]);
    assert_eq!(m["Net_0/Conv_0/kernel"].data, [1., 2., 3., 4., 5., 6.]);
    assert_eq!(m["Net_0/Conv_0/bias"].data, [0.5, -0.5, 0.25]);
    assert_eq!(m["Net_0/Head_0/kernel"].shape, Vec::<usize>::new());
}

/// numpy's own form: memo puts and gets, a `t` tuple with `K` and `M` dims, SETITEM.
#[test]
fn reads_memo_references_as_numpy_writes_them() {
    let mut b = vec![0x80, 3, b'}', b'q', 0, b'X', 1, 0, 0, 0, b'a'];
    b.extend(b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02");
    b.extend(b"K\x00\x85C\x01bq\x03\x87R(K\x01(M\x01\x01K\x01tcnumpy\ndtype\nq\x04");
    b.extend(b"X\x02\x00\x00\x00f4\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xff");
    b.extend(b"J\xff\xff\xff\xffK\x00tb\x89B\x04\x04\x00\x00");
    b.extend((0..257).flat_map(|i| (i as f32).to_le_bytes()));
    b.extend(b"tbq\x05s"); // first array: a = (257, 1)
    b.extend(b"X\x01\x00\x00\x00bh\x01h\x02K\x00\x85h\x03\x87R(K\x01(K\x02th\x04");
    b.extend(b"X\x02\x00\x00\x00f4\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xff");
    b.extend(b"J\xff\xff\xff\xffK\x00tb\x89C\x08\x00\x00\x80?\x00\x00\x00@tbs.");
    let m = read(&b).unwrap();
    assert_eq!(m["a"].shape, [257, 1]);
    assert_eq!(m["a"].data[256], 256.0);
    assert_eq!(m["b"].data, [1.0, 2.0]);
}

#[test]
fn refuses_any_other_global_before_calling_it() {
    // The classic exploit: os.system("...") via GLOBAL + REDUCE.
    let evil = b"\x80\x03cos\nsystem\nX\x05\x00\x00\x00touch\x85R.";
    assert_eq!(
        read(evil).unwrap_err(),
        PickleError::Global {
            module: "os".into(),
            name: "system".into()
        }
    );
    let e = read(b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93.").unwrap_err();
    assert!(e.to_string().contains("`builtins.eval`: refused"), "{e}");
}

#[test]
fn refuses_truncated_files_at_every_length() {
    let b = sample();
    for n in 0..b.len() {
        match read(&b[..n]) {
            Err(PickleError::Truncated { .. }) => {}
            // Cutting just before STOP leaves a complete dict on the stack but no STOP.
            other => panic!("cut at {n}: {other:?}"),
        }
    }
    assert!(read(&b[..b.len() / 2])
        .unwrap_err()
        .to_string()
        .contains("truncated"));
}

#[test]
fn refuses_wrong_dtypes_and_fortran_order() {
    let wrong = |f: &dyn Fn(&mut Array)| {
        let mut a = Array::f32(&[2], &[1.0, 2.0]);
        f(&mut a);
        read(&pickle(&[("x", a)])).unwrap_err()
    };
    let e = wrong(&|a| a.dtype = ("f8", '<'));
    assert_eq!(e, PickleError::Dtype("dtype `<f8`".into()));
    assert!(e.to_string().contains("not little-endian float32"));
    assert!(matches!(
        wrong(&|a| a.dtype = ("f4", '>')),
        PickleError::Dtype(_)
    ));
    assert!(matches!(wrong(&|a| a.fortran = true), PickleError::Dtype(d) if d.contains("Fortran")));
}

#[test]
fn refuses_shapes_that_do_not_match_the_bytes() {
    let mut a = Array::f32(&[2, 3], &[0.0; 6]);
    a.shape = vec![3, 3];
    let e = read(&pickle(&[("x", a.clone())])).unwrap_err();
    assert_eq!(
        e,
        PickleError::Shape("shape [3, 3] needs 36 bytes, the array has 24".into())
    );
    a.shape = vec![1 << 31, 1 << 31, 1 << 31];
    assert!(matches!(
        read(&pickle(&[("x", a)])),
        Err(PickleError::Shape(_))
    ));
}

#[test]
fn refuses_what_is_not_a_dict_of_arrays() {
    assert!(matches!(
        read(b"\x80\x03K\x01."),
        Err(PickleError::Malformed(_))
    ));
    let e = read(b"\x80\x03}(X\x01\x00\x00\x00aK\x01u.").unwrap_err();
    assert_eq!(
        e.to_string(),
        "the pickle is not a dict of float32 arrays: `a` holds an int instead of an array"
    );
    assert_eq!(
        read(b"\x80\x03]."),
        Err(PickleError::Opcode { op: b']', at: 2 })
    );
    assert!(matches!(
        read(b"\x80\x09}."),
        Err(PickleError::Opcode { op: 0x80, .. })
    ));
    assert!(
        matches!(read(b"\x80\x03h\x07."), Err(PickleError::Malformed(m)) if m.contains("memo 7"))
    );
    assert!(matches!(
        read(b"\x80\x03u."),
        Err(PickleError::Malformed(_))
    ));
    // A dict that contains itself is refused, not followed forever.
    assert!(read(b"\x80\x03}q\x00(X\x01\x00\x00\x00ah\x00u.").is_err());
}
