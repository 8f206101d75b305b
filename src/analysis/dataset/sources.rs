//! Reading labelled sets from disk: OASIS (`OASIS.csv` with valence thresholds), a folder with
//! one sub-folder per class, or a `path,label` CSV; and how a set is named in a profile (by name
//! and checksum, never by a path on this machine).

use super::{order_classes, Dataset, Item, Thresholds, EMOTIONS};
use crate::error::Failure;
use std::path::{Path, PathBuf};
/// OASIS: `OASIS.csv` plus `images/<Theme>.jpg` (themes are trimmed: `War 2 ` → `War 2.jpg`).
/// `categories`, when given, keeps only images of those `Category` values (`Person`, `Animal`,
/// `Object`, `Scenery`): the paper's "second set" is made of two such halves.
pub fn oasis(dir: &Path, t: Thresholds, categories: Option<&[String]>) -> Result<Dataset, Failure> {
    let csv_path = dir.join("OASIS.csv");
    let text = std::fs::read_to_string(&csv_path)
        .map_err(|e| Failure::bad_input(format!("cannot read {}: {e}", csv_path.display())))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |name: &str| {
        header.iter().position(|h| h.trim() == name).ok_or_else(|| {
            Failure::bad_input(format!("{}: no `{name}` column", csv_path.display()))
        })
    };
    let (theme, valence) = (col("Theme")?, col("Valence_mean")?);
    // Arousal is optional: without it the items carry no ratings.
    let arousal = col("Arousal_mean").ok();
    let mut spec = format!("OASIS (OASIS.csv sha256 {})", sha16(text.as_bytes()));
    let category = match categories {
        Some(c) => {
            spec += &format!(", categories {}", c.join("+"));
            Some((col("Category")?, c))
        }
        None => None,
    };
    let mut seen: Vec<String> = Vec::new();
    let classes: Vec<String> = EMOTIONS.iter().map(|s| s.to_string()).collect();
    let (mut items, mut skipped) = (Vec::new(), Vec::new());
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(name), Some(v)) = (f.get(theme), f.get(valence)) else {
            skipped.push(format!("OASIS.csv line {}: too few columns", n + 2));
            continue;
        };
        let name = name.trim();
        if let Some((c, keep)) = category {
            let cat = f.get(c).map_or("", |s| s.trim());
            if !seen.iter().any(|s| s == cat) {
                seen.push(cat.to_string());
            }
            if !keep.iter().any(|k| k == cat) {
                continue;
            }
        }
        let Ok(v) = v.trim().parse::<f64>() else {
            skipped.push(format!("{name}: valence `{v}` is not a number"));
            continue;
        };
        let label = if v < t.low {
            2
        } else if v <= t.high {
            1
        } else {
            0
        };
        let path = dir.join("images").join(format!("{name}.jpg"));
        let rating = arousal
            .and_then(|a| f.get(a)?.trim().parse::<f32>().ok())
            .map(|a| [v as f32, a]);
        if path.exists() {
            items.push(Item {
                path,
                label,
                rating,
            });
        } else {
            skipped.push(format!("{name}: {} not found", path.display()));
        }
    }
    if let Some((_, keep)) = category {
        if let Some(k) = keep.iter().find(|k| !seen.contains(k)) {
            seen.sort();
            return Err(Failure::bad_input(format!(
                "OASIS has no category `{k}` (it has {})",
                seen.join(", ")
            )));
        }
    }
    Ok(Dataset {
        spec,
        classes,
        items,
        skipped,
    })
}

pub fn is_image(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["jpg", "jpeg", "png", "webp", "gif", "bmp"].contains(&e.to_lowercase().as_str())
    })
}

/// One sub-folder per class; files that are not images are reported and skipped.
pub fn folder(dir: &Path) -> Result<Dataset, Failure> {
    let read = |d: &Path| -> Result<Vec<PathBuf>, Failure> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| Failure::bad_input(format!("cannot read folder {}: {e}", d.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        v.sort();
        Ok(v)
    };
    let subdirs: Vec<PathBuf> = read(dir)?.into_iter().filter(|p| p.is_dir()).collect();
    let names = order_classes(
        subdirs
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(String::from))
            .collect(),
    );
    let (mut items, mut skipped) = (Vec::new(), Vec::new());
    for (label, class) in names.iter().enumerate() {
        for p in read(&dir.join(class))? {
            if p.is_file() && is_image(&p) {
                items.push(Item {
                    path: p,
                    label,
                    rating: None,
                });
            } else if p.is_file() {
                skipped.push(format!("{}: not an image file", p.display()));
            }
        }
    }
    let listing: String = items
        .iter()
        .map(|it| format!("{}\n", relative(&it.path, dir)))
        .collect();
    let name = dir
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let spec = format!(
        "folder `{name}` ({} images, listing sha256 {})",
        items.len(),
        sha16(listing.as_bytes())
    );
    Ok(Dataset {
        spec,
        classes: names,
        items,
        skipped,
    })
}

/// `path,label` rows (an optional header `path,label`); paths relative to the CSV's folder.
/// Labels must be pleasant, neutral or unpleasant.
pub fn csv(file: &Path) -> Result<Dataset, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::bad_input(format!("cannot read {}: {e}", file.display())))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let mut ds = parse_csv(&text, &file.display().to_string(), |p| {
        let path = base.join(p);
        if path.is_file() {
            Ok(path)
        } else {
            Err(Failure::bad_input(format!("{} not found", path.display())))
        }
    })?;
    let name = file
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    ds.spec = format!("{name} (sha256 {})", sha16(text.as_bytes()));
    Ok(ds)
}

/// The first 16 hex digits of a SHA-256: enough to tell data sets apart in a profile.
pub fn sha16(bytes: &[u8]) -> String {
    crate::weights::sha256_hex(bytes)[..16].to_string()
}

/// `path` relative to `dir`, with `/` separators (a listing that does not name this machine).
fn relative(path: &Path, dir: &Path) -> String {
    let p = path.strip_prefix(dir).unwrap_or(path);
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The rows of a `path,label` CSV named `source`; `resolve` turns a row's path into an item
/// path, or says why it cannot (the browser matches rows against the files the visitor chose).
pub fn parse_csv(
    text: &str,
    source: &str,
    resolve: impl Fn(&str) -> Result<PathBuf, Failure>,
) -> Result<Dataset, Failure> {
    let classes: Vec<String> = EMOTIONS.iter().map(|s| s.to_string()).collect();
    let (mut items, mut skipped) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (n == 0 && line.eq_ignore_ascii_case("path,label")) {
            continue;
        }
        let Some((p, label)) = line.rsplit_once(',') else {
            skipped.push(format!("{source} line {}: expected `path,label`", n + 1));
            continue;
        };
        let label = label.trim().to_lowercase();
        let Some(l) = classes.iter().position(|c| *c == label) else {
            skipped.push(format!("{source} line {}: unknown label `{label}`", n + 1));
            continue;
        };
        match resolve(p.trim()) {
            Ok(path) => items.push(Item {
                path,
                label: l,
                rating: None,
            }),
            Err(e) => skipped.push(format!("{source} line {}: {e}", n + 1)),
        }
    }
    if items.is_empty() && skipped.len() == text.lines().filter(|l| !l.trim().is_empty()).count() {
        return Err(Failure::bad_input(format!(
            "{source}: no usable `path,label` rows"
        )));
    }
    Ok(Dataset {
        spec: String::new(),
        classes,
        items,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }

    #[test]
    fn oasis_labels_follow_thresholds_and_trim_themes() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("OASIS.csv"),
            ",Theme,Category,Source,Valence_mean\nI1,A 1,Person,y,3.49\nI2,War 2 ,Object,y,3.5\nI3,C 1,Animal,y,5.0\nI4,D 1,Person,y,5.01\nI5,Gone 1,x,y,6\n",
        )
        .unwrap();
        for n in ["A 1", "War 2", "C 1", "D 1"] {
            touch(&d.path().join(format!("images/{n}.jpg")));
        }
        let ds = oasis(d.path(), Thresholds::default(), None).unwrap();
        assert!(
            ds.spec.starts_with("OASIS (OASIS.csv sha256 "),
            "{}",
            ds.spec
        );
        assert_eq!(ds.spec.len(), "OASIS (OASIS.csv sha256 )".len() + 16);
        assert_eq!(ds.labels(), [2, 1, 1, 0]);
        assert!(ds.items[1].path.ends_with("War 2.jpg"));
        assert_eq!(ds.skipped.len(), 1);
        assert!(ds.skipped[0].contains("Gone 1"));
        let strict = oasis(
            d.path(),
            Thresholds {
                low: 4.0,
                high: 4.5,
            },
            None,
        )
        .unwrap();
        assert_eq!(strict.labels(), [2, 2, 0, 0]);
        // One half by category; the spec says which, and an unknown category is refused.
        let cats = ["Person".to_string(), "Animal".to_string()];
        let half = oasis(d.path(), Thresholds::default(), Some(&cats)).unwrap();
        assert_eq!(half.labels(), [2, 1, 0]);
        assert!(
            half.spec.ends_with(", categories Person+Animal"),
            "{}",
            half.spec
        );
        let bad = oasis(
            d.path(),
            Thresholds::default(),
            Some(&["People".to_string()]),
        );
        assert_eq!(
            bad.unwrap_err().message,
            "OASIS has no category `People` (it has Animal, Object, Person, x)"
        );
    }

    #[test]
    fn folder_and_csv_report_bad_items_and_small_classes() {
        let d = tempfile::tempdir().unwrap();
        for f in [
            "neutral/a.png",
            "neutral/b.jpg",
            "pleasant/c.png",
            "pleasant/d.png",
            "pleasant/notes.txt",
        ] {
            touch(&d.path().join(f));
        }
        let ds = folder(d.path()).unwrap();
        let dir = d.path().display().to_string();
        assert!(
            ds.spec.starts_with("folder `") && !ds.spec.contains(&dir),
            "{}",
            ds.spec
        );
        assert_eq!(ds.classes, ["pleasant", "neutral"]);
        assert_eq!(ds.counts(), [2, 2]);
        assert_eq!(ds.skipped.len(), 1);
        assert!(ds.check_sizes().is_ok());
        std::fs::write(
            d.path().join("set.csv"),
            "path,label\nneutral/a.png,neutral\npleasant/c.png,Pleasant\nmissing.png,neutral\nneutral/b.jpg,happy\n",
        )
        .unwrap();
        let c = csv(&d.path().join("set.csv")).unwrap();
        assert_eq!(c.labels(), [1, 0]);
        assert_eq!(c.skipped.len(), 2);
        assert!(c
            .skipped
            .iter()
            .any(|s| s.contains("unknown label `happy`")));
        assert!(c.skipped.iter().any(|s| s.contains("missing.png")));
        let e = c.check_sizes().unwrap_err();
        assert!(e.message.contains("at least 2"), "{e}");
        std::fs::write(d.path().join("bad.csv"), "garbage\n").unwrap();
        assert!(csv(&d.path().join("bad.csv")).is_err());
        assert!(Dataset::load("zip:foo", Thresholds::default())
            .unwrap_err()
            .message
            .contains("unknown data set kind"));
    }

    #[test]
    fn csv_rows_resolve_through_the_callers_lookup() {
        let text = "a.jpg,pleasant\nsub/b.jpg , unpleasant\nc.jpg,neutral\nno comma\n";
        let ds = parse_csv(text, "set.csv", |p| {
            if p == "c.jpg" {
                Err(Failure::bad_input(format!(
                    "`{p}` was not among the chosen files"
                )))
            } else {
                Ok(PathBuf::from(format!("picked/{p}")))
            }
        })
        .unwrap();
        assert_eq!(ds.labels(), [0, 2]);
        assert_eq!(ds.items[1].path, PathBuf::from("picked/sub/b.jpg"));
        assert_eq!(
            ds.skipped,
            [
                "set.csv line 3: `c.jpg` was not among the chosen files",
                "set.csv line 4: expected `path,label`"
            ]
        );
    }
}
