//! Labelled sets from files a visitor picked in the browser (paths as the browser reports them,
//! `root/sub/file.jpg`): folder mode (class = the file's folder) or a `path,label` CSV among
//! them. Plain functions over path lists, so they are tested natively.

use super::dataset::{is_image, order_classes, parse_csv, Dataset, Item};
use crate::error::Failure;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// `root/class/file.jpg` paths → a labelled set (class = the file's folder).
pub fn folder_dataset(paths: &[String]) -> Dataset {
    let mut skipped = Vec::new();
    let mut pairs = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let parts: Vec<&str> = p.split('/').collect();
        if parts.len() < 2 || !is_image(Path::new(p)) {
            skipped.push(format!("{p}: not an image in a class folder"));
            continue;
        }
        pairs.push((i, parts[parts.len() - 2].to_string()));
    }
    let classes = order_classes(pairs.iter().map(|(_, c)| c.clone()).collect());
    let items: Vec<Item> = pairs
        .iter()
        .map(|(i, c)| Item {
            path: PathBuf::from(&paths[*i]),
            label: classes.iter().position(|k| k == c).unwrap_or(0),
            rating: None,
        })
        .collect();
    let listing: String = items
        .iter()
        .map(|it: &Item| format!("{}\n", it.path.display()))
        .collect();
    Dataset {
        spec: format!(
            "folder ({} images, listing sha256 {}, in this browser)",
            items.len(),
            super::dataset::sha16(listing.as_bytes())
        ),
        classes,
        items,
        skipped,
    }
}

/// Rows of a CSV at `csv_path` among `paths`: a row's path is looked up relative to the CSV's
/// folder, then by file name when exactly one chosen file has it.
pub fn csv_dataset(text: &str, csv_path: &str, paths: &[String]) -> Result<Dataset, Failure> {
    let dir = csv_path.rsplit_once('/').map_or("", |(d, _)| d);
    let chosen: HashSet<&str> = paths.iter().map(|p| p.as_str()).collect();
    let mut by_name: HashMap<&str, Vec<&str>> = HashMap::new();
    for q in paths {
        by_name
            .entry(q.rsplit('/').next().unwrap_or(q))
            .or_default()
            .push(q);
    }
    let resolve = |p: &str| {
        let p = p.trim_start_matches("./");
        let joined = if dir.is_empty() {
            p.to_string()
        } else {
            format!("{dir}/{p}")
        };
        if chosen.contains(joined.as_str()) {
            return Ok(PathBuf::from(joined));
        }
        let base = p.rsplit('/').next().unwrap_or(p);
        match by_name.get(base).map_or(&[][..], |v| v.as_slice()) {
            [one] => Ok(PathBuf::from(one)),
            [] => Err(Failure::bad_input(format!(
                "`{p}` is not among the chosen files"
            ))),
            _ => Err(Failure::bad_input(format!(
                "`{p}` matches several chosen files"
            ))),
        }
    };
    let mut ds = parse_csv(text, csv_path, resolve)?;
    let name = csv_path.rsplit('/').next().unwrap_or(csv_path);
    ds.spec = format!(
        "{name} (sha256 {}, in this browser)",
        super::dataset::sha16(text.as_bytes())
    );
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn folders_become_classes_and_stray_files_are_listed() {
        let ds = folder_dataset(&paths(&[
            "set/unpleasant/x.jpg",
            "set/pleasant/a.png",
            "set/notes.txt",
            "loose.jpg",
        ]));
        assert_eq!(ds.classes, ["pleasant", "unpleasant"]);
        assert_eq!(ds.labels(), [1, 0]);
        assert_eq!(ds.skipped.len(), 2);
        assert!(ds.skipped[1].starts_with("loose.jpg"));
    }

    #[test]
    fn csv_rows_match_relative_paths_then_unique_names() {
        let picked = paths(&[
            "set/labels.csv",
            "set/img/a.jpg",
            "set/b.jpg",
            "set/x/d.jpg",
            "set/y/d.jpg",
        ]);
        let text = "path,label\nimg/a.jpg,pleasant\nother/b.jpg,neutral\nc.jpg,neutral\nd.jpg,unpleasant\n";
        let ds = csv_dataset(text, "set/labels.csv", &picked).unwrap();
        assert_eq!(ds.labels(), [0, 1]);
        assert_eq!(ds.items[0].path, PathBuf::from("set/img/a.jpg"));
        assert_eq!(ds.items[1].path, PathBuf::from("set/b.jpg"));
        assert_eq!(
            ds.skipped,
            [
                "set/labels.csv line 4: `c.jpg` is not among the chosen files",
                "set/labels.csv line 5: `d.jpg` matches several chosen files"
            ]
        );
        assert!(csv_dataset("nonsense\n", "s.csv", &picked).is_err());
    }
}
