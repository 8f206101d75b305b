//! Scheduling logic of the page, DOM-free and native-tested: how many pool workers, which images
//! each one gets, how their answers merge back in image order, and the "latest wins" slot that
//! keeps the α slider live.

use crate::analysis::experiment::FeatureRows;
use crate::analysis::responses::Responses;
use std::ops::Range;

/// Memory one CPU pool worker needs with VGG-16 loaded (weights, burn's copy, scratch), measured
/// in the lab bench; the memory cap keeps the pool inside half the device's memory.
pub const WORKER_MB: f64 = 600.0;

/// Pool size: `min(cores − 1, memory cap)`, at least 1; `forced` (`?workers=N`) wins, within 1..=16.
/// `cores` is `navigator.hardwareConcurrency`, `memory_gb` is `navigator.deviceMemory` (absent in
/// some browsers).
pub fn pool_size(cores: Option<u32>, memory_gb: Option<f64>, forced: Option<usize>) -> usize {
    if let Some(n) = forced {
        return n.clamp(1, 16);
    }
    let by_cores = cores.unwrap_or(2).saturating_sub(1).max(1) as usize;
    let by_memory = memory_gb.map_or(usize::MAX, |gb| {
        ((gb * 1024.0 * 0.5 / WORKER_MB).floor() as usize).max(1)
    });
    by_cores.min(by_memory)
}

/// Splits `n` items into at most `workers` contiguous, non-empty ranges whose sizes differ by at
/// most one, in order.
pub fn shards(n: usize, workers: usize) -> Vec<Range<usize>> {
    let w = workers.max(1).min(n.max(1));
    let (base, extra) = (n / w, n % w);
    let mut out = Vec::with_capacity(w);
    let mut start = 0;
    for i in 0..w {
        let len = base + usize::from(i < extra);
        if len > 0 {
            out.push(start..start + len);
        }
        start += len;
    }
    out
}

/// Merges per-shard responses (`(first index, responses)`, any order) into one, in image order.
pub fn merge_responses(mut parts: Vec<(usize, Responses)>) -> Responses {
    parts.sort_by_key(|p| p.0);
    let mut out = Responses::default();
    for (_, r) in parts {
        out.append(r);
    }
    out
}

/// Merges per-shard feature rows (in shard order) into one `[mask][image][feature]`.
pub fn merge_features(parts: Vec<FeatureRows>) -> FeatureRows {
    let mut it = parts.into_iter();
    let Some(mut out) = it.next() else {
        return Vec::new();
    };
    for part in it {
        for (mine, theirs) in out.iter_mut().zip(part) {
            mine.extend(theirs);
        }
    }
    out
}

/// At most one request in flight and one waiting; a newer request replaces the waiting one
/// (so a dragged α slider runs the latest α next, not every α it passed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latest {
    busy: bool,
    again: bool,
}

impl Latest {
    /// A new request: `true` means send it now; `false` means it waits (replacing any waiting).
    pub fn request(&mut self) -> bool {
        if self.busy {
            self.again = true;
            false
        } else {
            self.busy = true;
            true
        }
    }

    /// Whether a newer request is waiting (the answer in flight is already stale).
    pub fn stale(&self) -> bool {
        self.again
    }

    /// The answer came: `true` means send the waiting request now (still busy).
    pub fn finished(&mut self) -> bool {
        if self.again {
            self.again = false;
            true
        } else {
            self.busy = false;
            false
        }
    }

    pub fn busy(&self) -> bool {
        self.busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_size_by_cores_memory_and_link() {
        assert_eq!(pool_size(Some(8), None, None), 7);
        assert_eq!(pool_size(Some(2), None, None), 1);
        assert_eq!(pool_size(Some(1), None, None), 1);
        assert_eq!(pool_size(None, None, None), 1);
        // 4 GB: half is 2048 MB, 3 workers of 600 MB.
        assert_eq!(pool_size(Some(16), Some(4.0), None), 3);
        assert_eq!(pool_size(Some(16), Some(0.5), None), 1);
        assert_eq!(pool_size(Some(2), None, Some(3)), 3);
        assert_eq!(pool_size(Some(2), None, Some(0)), 1);
        assert_eq!(pool_size(Some(2), None, Some(99)), 16);
    }

    #[test]
    fn shards_cover_in_order() {
        assert_eq!(shards(10, 3), vec![0..4, 4..7, 7..10]);
        assert_eq!(shards(2, 4), vec![0..1, 1..2]);
        assert_eq!(shards(5, 1), vec![0..5]);
        assert!(shards(0, 3).is_empty());
        for n in 0..40 {
            for w in 1..9 {
                let s = shards(n, w);
                let flat: Vec<usize> = s.iter().flat_map(|r| r.clone()).collect();
                assert_eq!(flat, (0..n).collect::<Vec<_>>());
                assert!(s.iter().all(|r| !r.is_empty()));
            }
        }
    }

    fn resp(first: usize, n: usize) -> Responses {
        Responses {
            layers: vec!["a".into(), "b".into()],
            units: vec![1, 2],
            n_images: n,
            data: vec![
                (first..first + n).map(|i| i as f32).collect(),
                (first..first + n)
                    .flat_map(|i| [i as f32, -(i as f32)])
                    .collect(),
            ],
            features: (first..first + n).map(|i| i as f32 * 10.0).collect(),
            feature_dim: 1,
            feature_source: "b spatial means".into(),
        }
    }

    #[test]
    fn merges_in_image_order_whatever_the_arrival() {
        let whole = resp(0, 7);
        let merged = merge_responses(vec![(5, resp(5, 2)), (0, resp(0, 3)), (3, resp(3, 2))]);
        assert_eq!(merged, whole);
        let f = merge_features(vec![
            vec![vec![vec![0.0], vec![1.0]], vec![vec![10.0], vec![11.0]]],
            vec![vec![vec![2.0]], vec![vec![12.0]]],
        ]);
        assert_eq!(
            f,
            vec![
                vec![vec![0.0], vec![1.0], vec![2.0]],
                vec![vec![10.0], vec![11.0], vec![12.0]]
            ]
        );
        assert!(merge_features(vec![]).is_empty());
    }

    #[test]
    fn latest_wins() {
        let mut l = Latest::default();
        assert!(l.request(), "idle: send now");
        assert!(!l.request(), "busy: wait");
        assert!(!l.request(), "a third replaces the waiting one");
        assert!(l.stale());
        assert!(l.finished(), "one waiting request is sent");
        assert!(!l.stale());
        assert!(l.busy());
        assert!(!l.finished(), "nothing waiting: idle");
        assert!(!l.busy());
        assert!(l.request());
    }
}
