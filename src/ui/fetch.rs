//! Fetching small site files (manifest, profiles, examples) and reading the visitor's files.
//! The weights are fetched by the engine worker.

use crate::error::Failure;
use crate::web::{get, read_body};

/// Fetches `url`, calling `progress(received, total)` as bytes stream in.
pub async fn fetch_bytes(url: &str, progress: impl FnMut(u64, u64)) -> Result<Vec<u8>, Failure> {
    read_body(url, get(url).await?, progress).await
}

/// Fetches a text file.
pub async fn fetch_text(url: &str) -> Result<String, Failure> {
    let bytes = fetch_bytes(url, |_, _| {}).await?;
    String::from_utf8(bytes).map_err(|_| Failure::download(format!("{url} is not UTF-8 text")))
}

pub use crate::web::read_file;

/// A URL query parameter of the page.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}
