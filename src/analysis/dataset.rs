//! Labelled image sets: OASIS (valence thresholds), a folder with one sub-folder per class, or a
//! `path,label` CSV. Problems with single items are reported by name and skipped; a set left
//! with fewer than 2 images in some class is an error.

mod sources;

use crate::error::Failure;
use serde::{Deserialize, Serialize};
pub use sources::{csv, folder, is_image, oasis, parse_csv, sha16};
use std::path::{Path, PathBuf};

/// The paper's three classes, in this order wherever they appear.
pub const EMOTIONS: [&str; 3] = ["pleasant", "neutral", "unpleasant"];

/// OASIS valence thresholds: unpleasant < `low`, neutral `low`..=`high`, pleasant > `high`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub low: f64,
    pub high: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            low: 3.5,
            high: 5.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub path: PathBuf,
    pub label: usize,
    /// Mean human ratings `[valence, arousal]` (1–7) where the set has them (OASIS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<[f32; 2]>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// The set by name and checksum, never by a path on this machine (profiles record it):
    /// `OASIS (OASIS.csv sha256 …)`, `labels.csv (sha256 …)`, `folder `set` (12 images, …)`.
    pub spec: String,
    pub classes: Vec<String>,
    pub items: Vec<Item>,
    /// Items skipped while loading, `name: reason`.
    pub skipped: Vec<String>,
}

impl Dataset {
    /// Parses `oasis:PATH`, `folder:PATH` or `csv:FILE` and loads it. `oasis:PATH#A+B` keeps
    /// OASIS's categories `A` and `B` only.
    pub fn load(spec: &str, thresholds: Thresholds) -> Result<Self, Failure> {
        let (kind, path) = spec.split_once(':').ok_or_else(|| {
            Failure::bad_input(format!(
                "data set `{spec}`: use oasis:PATH, folder:PATH or csv:FILE"
            ))
        })?;
        let path = Path::new(path);
        let ds = match kind {
            "oasis" => match path.to_str().and_then(|p| p.rsplit_once('#')) {
                Some((dir, cats)) => {
                    let cats: Vec<String> = cats.split('+').map(|c| c.trim().to_string()).collect();
                    oasis(Path::new(dir), thresholds, Some(&cats))?
                }
                None => oasis(path, thresholds, None)?,
            },
            "folder" => folder(path)?,
            "csv" => csv(path)?,
            other => {
                return Err(Failure::bad_input(format!(
                    "unknown data set kind `{other}` (oasis, folder or csv)"
                )))
            }
        };
        ds.check_sizes()?;
        Ok(ds)
    }

    /// File names of the items, in order (how profiles refer to images).
    pub fn names(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|i| {
                i.path
                    .file_name()
                    .map_or(String::new(), |f| f.to_string_lossy().into_owned())
            })
            .collect()
    }

    pub fn labels(&self) -> Vec<usize> {
        self.items.iter().map(|i| i.label).collect()
    }

    pub fn counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.classes.len()];
        for i in &self.items {
            c[i.label] += 1;
        }
        c
    }

    /// Every class needs at least 2 images (a variance needs two).
    pub fn check_sizes(&self) -> Result<(), Failure> {
        if self.classes.len() < 2 {
            return Err(Failure::bad_input(format!(
                "data set has {} class(es); at least 2 are needed",
                self.classes.len()
            )));
        }
        for (c, n) in self.classes.iter().zip(self.counts()) {
            if n < 2 {
                return Err(Failure::bad_input(format!(
                    "class `{c}` has {n} usable image(s); at least 2 are needed"
                )));
            }
        }
        Ok(())
    }

    /// Drops items by index (e.g. images that failed to decode), keeping the rest in order.
    pub fn without(&self, bad: &[usize], reasons: Vec<String>) -> Self {
        let mut out = self.clone();
        out.items = self
            .items
            .iter()
            .enumerate()
            .filter(|(i, _)| !bad.contains(i))
            .map(|(_, it)| it.clone())
            .collect();
        out.skipped.extend(reasons);
        out
    }
}

/// Canonical order for the paper's classes; other names sorted.
pub fn order_classes(mut names: Vec<String>) -> Vec<String> {
    names.sort_by_key(|n| {
        (
            EMOTIONS.iter().position(|e| e == n).unwrap_or(usize::MAX),
            n.clone(),
        )
    });
    names.dedup();
    names
}
