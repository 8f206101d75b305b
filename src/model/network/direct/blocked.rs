//! The channel-blocked activation layout and the passes over it that need no kernel:
//! conversion from and to `[c, h, w]`, and max pooling. Buffers are recycled: a VGG-16 image
//! writes about 60 MB of maps, and fresh pages for each would cost thousands of page faults per
//! image.

use std::sync::Mutex;

/// Buffers of dropped [`Blocked`] maps, for the next ones. One pool for all threads: a batch's
/// maps are made on one thread and dropped on another.
static FREE: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// Buffers kept: a conv's input and output, a pool's, with room to spare; natively a whole
/// batch's (layers run a batch at a time, and the system allocator hands big buffers back to the
/// OS, so fresh ones fault in every page again).
const KEEP: usize = if cfg!(target_family = "wasm") { 6 } else { 40 };

/// At most this many floats held (512 MiB: a VGG-16 batch of 16's two largest layers).
const KEEP_FLOATS: usize = 128 << 20;

/// The pool (a poisoned lock only means a panic elsewhere mid-push: the buffers are still fine).
fn free() -> std::sync::MutexGuard<'static, Vec<Vec<f32>>> {
    FREE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A buffer of exactly `n` floats whose contents are unspecified (a recycled one when there is
/// one big enough: the smallest such).
fn take(n: usize) -> Vec<f32> {
    let mut v = {
        let mut f = free();
        let best = (0..f.len())
            .filter(|&i| f[i].capacity() >= n)
            .min_by_key(|&i| f[i].capacity());
        best.map(|i| f.swap_remove(i))
    }
    .unwrap_or_default();
    if v.len() > n {
        v.truncate(n);
    } else {
        v.resize(n, 0.0);
    }
    v
}

/// Activations `[c / cb][h + 2·pad][w + 2·pad][cb]` (channels padded with zeros to whole
/// blocks), with a zero border of `pad` around every plane.
#[derive(Clone, Debug, PartialEq)]
pub struct Blocked {
    pub c: usize,
    pub cb: usize,
    pub h: usize,
    pub w: usize,
    pub pad: usize,
    pub data: Vec<f32>,
}

impl Drop for Blocked {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.data);
        let mut f = free();
        let held: usize = f.iter().map(Vec::capacity).sum();
        if held + v.capacity() > KEEP_FLOATS {
            // Over the byte cap: let this one go.
        } else if f.len() < KEEP {
            f.push(v);
        } else if let Some(i) = (0..f.len()).min_by_key(|&i| f[i].capacity()) {
            // Full: keep the bigger buffers (the small ones are cheap to make again).
            if f[i].capacity() < v.capacity() {
                f[i] = v;
            }
        }
    }
}

impl Blocked {
    /// All zeros.
    pub fn zeros(c: usize, cb: usize, hw: (usize, usize), pad: usize) -> Self {
        let mut b = Self::with_border(c, cb, hw, pad);
        b.data.fill(0.0);
        b
    }

    /// A zero border of `pad` around planes whose inside is unspecified: for outputs that write
    /// every inside value (all `cb` lanes of every pixel).
    pub fn with_border(c: usize, cb: usize, (h, w): (usize, usize), pad: usize) -> Self {
        let (hp, wp) = (h + 2 * pad, w + 2 * pad);
        let mut data = take(c.div_ceil(cb) * hp * wp * cb);
        if pad > 0 {
            let row = wp * cb;
            for plane in data.chunks_exact_mut(hp * row) {
                plane[..pad * row].fill(0.0);
                plane[(hp - pad) * row..].fill(0.0);
                for r in plane[pad * row..(hp - pad) * row].chunks_exact_mut(row) {
                    r[..pad * cb].fill(0.0);
                    r[row - pad * cb..].fill(0.0);
                }
            }
        }
        Self {
            c,
            cb,
            h,
            w,
            pad,
            data,
        }
    }

    pub fn blocks(&self) -> usize {
        self.c.div_ceil(self.cb)
    }
    pub fn hp(&self) -> usize {
        self.h + 2 * self.pad
    }
    pub fn wp(&self) -> usize {
        self.w + 2 * self.pad
    }

    /// Index of channel `ch` at padded position `(y, x)`.
    fn at(&self, ch: usize, y: usize, x: usize) -> usize {
        ((ch / self.cb * self.hp() + y) * self.wp() + x) * self.cb + ch % self.cb
    }

    /// From `[c, h, w]`.
    pub fn from_nchw(x: &[f32], (c, h, w): (usize, usize, usize), cb: usize, pad: usize) -> Self {
        assert_eq!(x.len(), c * h * w, "maps are [c, h, w]");
        let mut out = Self::zeros(c, cb, (h, w), pad);
        for ch in 0..c {
            for y in 0..h {
                let row = &x[(ch * h + y) * w..][..w];
                let at = out.at(ch, y + pad, pad);
                for (i, v) in row.iter().enumerate() {
                    out.data[at + i * cb] = *v;
                }
            }
        }
        out
    }

    /// To `[c, h, w]` (border and padding channels dropped).
    pub fn to_nchw(&self) -> Vec<f32> {
        let (h, w, p, cb) = (self.h, self.w, self.pad, self.cb);
        let mut out = Vec::with_capacity(self.c * h * w);
        for ch in 0..self.c {
            for y in 0..h {
                let at = self.at(ch, y + p, p);
                out.extend((0..w).map(|i| self.data[at + i * cb]));
            }
        }
        out
    }

    /// Zeroes every channel `ch` with `!on[ch]`.
    pub fn zero_channels(&mut self, on: &[bool]) {
        let (cb, plane) = (self.cb, self.hp() * self.wp() * self.cb);
        for (b, block) in self.data.chunks_exact_mut(plane).enumerate() {
            for px in block.chunks_exact_mut(cb) {
                for (l, v) in px.iter_mut().enumerate() {
                    if !on.get(b * cb + l).copied().unwrap_or(false) {
                        *v = 0.0;
                    }
                }
            }
        }
    }

    /// Each channel's spatial mean (over the inside; the border is zero), summed in f64.
    pub fn channel_means(&self) -> Vec<f32> {
        let (cb, plane) = (self.cb, self.hp() * self.wp() * self.cb);
        let mut sums = vec![0f64; self.blocks() * cb];
        for (b, block) in self.data.chunks_exact(plane).enumerate() {
            for px in block.chunks_exact(cb) {
                for (l, v) in px.iter().enumerate() {
                    sums[b * cb + l] += *v as f64;
                }
            }
        }
        let n = (self.h * self.w) as f64;
        sums[..self.c].iter().map(|s| (s / n) as f32).collect()
    }

    /// The same maps with block `cb` and border `pad` (itself when they already are).
    pub fn reblock(self, cb: usize, pad: usize) -> Self {
        if self.cb == cb && self.pad == pad {
            return self;
        }
        Self::from_nchw(&self.to_nchw(), (self.c, self.h, self.w), cb, pad)
    }
}

/// Max pooling without padding (`k × k` windows, stride `s`, floor mode), written with a zero
/// border of `out_pad` (the next conv's padding). Reads `x` without its border.
pub fn max_pool(x: &Blocked, k: usize, s: usize, out_pad: usize) -> Blocked {
    let (ho, wo) = ((x.h - k) / s + 1, (x.w - k) / s + 1);
    let cb = x.cb;
    let mut out = Blocked::with_border(x.c, cb, (ho, wo), out_pad);
    let (owp, iwp, ihp) = (out.wp(), x.wp(), x.hp());
    let ohp = out.hp();
    for b in 0..x.blocks() {
        for y in 0..ho {
            let orow = ((b * ohp + y + out_pad) * owp + out_pad) * cb;
            let dst = &mut out.data[orow..orow + wo * cb];
            dst.fill(f32::NEG_INFINITY);
            for dy in 0..k {
                let irow = ((b * ihp + y * s + dy + x.pad) * iwp + x.pad) * cb;
                let src = &x.data[irow..irow + x.w * cb];
                for (xo, d) in dst.chunks_exact_mut(cb).enumerate() {
                    for dx in 0..k {
                        let v = &src[(xo * s + dx) * cb..][..cb];
                        for (a, b) in d.iter_mut().zip(v) {
                            *a = a.max(*b);
                        }
                    }
                }
            }
        }
    }
    out
}
