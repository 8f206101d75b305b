//! The labelled set the visitor picked in this tab: a folder with one sub-folder per class, or a
//! `path,label` CSV chosen together with its images. The files never leave the device; handles
//! to them are kept so the experiment and the "images that drive a unit most" view can read
//! them again after profiling.

use super::fetch::read_file;
use super::store::Store;
use crate::analysis::dataset::Dataset;
use crate::analysis::picked::{csv_dataset, folder_dataset};
use crate::analysis::responses::Responses;
use crate::protocol::Failure;
use leptos::prelude::*;
use std::collections::HashMap;
use std::rc::Rc;

/// A profiled set: its items, the files behind them and the unit responses to each.
pub struct LocalSet {
    pub ds: Dataset,
    pub files: HashMap<String, web_sys::File>,
    /// The model the responses are of, and one row per item of `ds`.
    pub model: String,
    pub responses: Responses,
}

/// The set profiled in this tab (kept in the store's [`super::store::ProfileState`]).
pub fn get(store: Store) -> Option<Rc<LocalSet>> {
    store.profile.picked.with_value(|s| s.clone())
}

pub fn put(store: Store, set: Option<LocalSet>) {
    store.profile.picked.set_value(set.map(Rc::new));
}

impl LocalSet {
    /// The visitor's file behind item `i`.
    pub fn file(&self, i: usize) -> Result<web_sys::File, Failure> {
        let key = self.ds.items[i].path.to_string_lossy().into_owned();
        self.files
            .get(&key)
            .cloned()
            .ok_or_else(|| Failure::bad_input(format!("{key} is gone")))
    }
}

/// The path a picked file has inside the chosen folder (its name when picked on its own).
pub fn relative_path(f: &web_sys::File) -> String {
    js_sys::Reflect::get(f, &"webkitRelativePath".into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| f.name())
}

/// The labelled set in `files`: CSV mode when exactly one `.csv` is among them, else folders.
pub async fn from_files(
    files: Vec<web_sys::File>,
) -> Result<(Dataset, HashMap<String, web_sys::File>), Failure> {
    let paths: Vec<String> = files.iter().map(relative_path).collect();
    let csvs: Vec<usize> = (0..paths.len())
        .filter(|i| paths[*i].to_lowercase().ends_with(".csv"))
        .collect();
    let ds = match csvs.as_slice() {
        [] => folder_dataset(&paths),
        [i] => {
            let text = String::from_utf8(read_file(&files[*i]).await?)
                .map_err(|_| format!("{} is not a text file", paths[*i]))?;
            csv_dataset(&text, &paths[*i], &paths)?
        }
        _ => {
            return Err(Failure::bad_input(
                "choose one CSV file (several were among the chosen files)",
            ))
        }
    };
    if ds.items.is_empty() {
        return Err(Failure::bad_input(format!(
            "no labelled images found: choose a folder with one sub-folder per emotion, or a \
             `path,label` CSV together with its images{}",
            if ds.skipped.is_empty() {
                String::new()
            } else {
                format!(" ({})", ds.skipped.join("; "))
            }
        )));
    }
    ds.check_sizes()?;
    Ok((ds, paths.into_iter().zip(files).collect()))
}
