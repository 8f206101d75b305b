//! The CLI's progress bar over images, shared by `profile` and its `--splits` runs.

/// A bar over `n` items named `what` (hidden with `--quiet`).
pub(super) fn bar(n: usize, quiet: bool, what: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(n as u64);
    let t = format!("{{bar:40}} {{pos}}/{{len}} {what}  {{per_sec}}  ETA {{eta}}");
    b.set_style(indicatif::ProgressStyle::with_template(&t).expect("valid template"));
    b
}
