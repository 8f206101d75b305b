//! Profiling a labelled set in the browser (a folder with one sub-folder per class, or a
//! `path,label` CSV with its images): the pool computes the unit responses, data-parallel over
//! images, and the interactive worker turns them into a profile (statistics, null, readout).
//! Images are read in this tab only. The set stays available to the experiment.

use super::client::Attach;
use super::local_set::{self, LocalSet};
use super::session;
use super::store::Store;
use crate::protocol::{ErrorKind, Event, Failure, Request};
use leptos::prelude::*;
use std::rc::Rc;
use web_time::Instant;

/// `(done, total, seconds left, workers)` of a running job, for its progress line.
pub type Progress = RwSignal<Option<(u64, u64, f64, usize)>>;

/// Seconds left at `done` of `total` after `secs`.
pub fn eta(secs: f64, done: u64, total: u64) -> f64 {
    if done == 0 {
        f64::NAN
    } else {
        secs / done as f64 * total.saturating_sub(done) as f64
    }
}

/// Repaints `progress` from the pool's `tally` every 200 ms (`workers()`: how many run) until
/// the returned handle is cleared.
pub fn ticker(
    progress: Progress,
    tally: &super::pool::Tally,
    total: u64,
    t0: Instant,
    workers: impl Fn() -> usize + 'static,
) -> Option<leptos::prelude::IntervalHandle> {
    let tally = tally.clone();
    set_interval_with_handle(
        move || {
            let done = tally.total().min(total);
            let secs = t0.elapsed().as_secs_f64();
            progress.set(Some((done, total, eta(secs, done, total), workers())));
        },
        std::time::Duration::from_millis(200),
    )
    .ok()
}

/// Reports a pool job's failure: a cancel as a notice (`cancelled`), a crashed worker (`who`:
/// "A profiling worker") with what to try, anything else as the error.
pub fn report_failure(store: Store, f: Failure, cancelled: &str, who: &str) {
    match f.kind {
        ErrorKind::Cancelled => store.notice.set(cancelled.into()),
        ErrorKind::WorkerCrashed => store.fail(format!(
            "{who} stopped ({f}), perhaps out of memory. Try again, or with fewer workers (add \
             ?workers=1 to the link)."
        )),
        _ => store.fail(f.message),
    }
}

/// Stops a running profile or experiment now (the pool's workers are terminated).
pub fn cancel(store: Store) {
    super::pool::cancel(store);
}

/// Profiles `files` on the loaded model.
pub async fn profile_folder(store: Store, files: Vec<web_sys::File>, progress: Progress) {
    let task = store.task("profiling");
    store.error.set(String::new());
    let t0 = Instant::now();
    let result = async {
        let (ds, by_path) = local_set::from_files(files).await?;
        let (entry, weights) = session::model(store)
            .ok_or_else(|| Failure::new(ErrorKind::NotReady, "load a model first"))?;
        let ordered: Vec<web_sys::File> = ds
            .items
            .iter()
            .map(|it| by_path[it.path.to_string_lossy().as_ref()].clone())
            .collect();
        let n = ordered.len() as u64;
        let workers = super::pool::size();
        progress.set(Some((0, n, f64::NAN, workers)));
        let tick = Rc::new(move |done: u64| {
            let secs = t0.elapsed().as_secs_f64();
            progress.set(Some((done, n, eta(secs, done, n), workers)));
        });
        let (resp, failed, _) =
            super::pool::responses(store, &entry, weights, ordered, tick).await?;
        let reasons: Vec<String> = failed
            .iter()
            .map(|(i, e)| format!("{}: {e}", ds.items[*i].path.display()))
            .collect();
        let ds = ds.without(&failed.iter().map(|f| f.0).collect::<Vec<_>>(), reasons);
        ds.check_sizes()?;
        task.say("computing selectivity and training the readout");
        let req = Request::BuildProfile {
            model: entry.id.clone(),
            dataset: Box::new(ds.clone()),
            responses: Box::new(resp.clone()),
        };
        let Event::Profiled(p) = session::call(store, req, Attach::default()).await? else {
            return Err(Failure::from("the engine answered with something else"));
        };
        let skipped = ds.skipped.clone();
        let set = LocalSet {
            ds,
            files: by_path,
            model: entry.id.clone(),
            responses: resp,
        };
        Ok::<_, Failure>((*p, set, skipped, workers))
    }
    .await;
    progress.set(None);
    match result {
        Ok((p, set, skipped, workers)) => {
            let f1 = p.readout.f1_joint_macro;
            let n = p.images.len();
            store.profile.local_set.set(Some(format!(
                "{n} images of {} ({})",
                set.ds.classes.join(", "),
                set.ds.spec
            )));
            local_set::put(store, Some(set));
            // A profile of the visitor's own set belongs to this model: no switch behind it.
            store.net.quick_start.set(false);
            super::models::set_profile(store, Some(p)).await;
            let skipped = if skipped.is_empty() {
                String::new()
            } else {
                format!(" Skipped: {}.", skipped.join("; "))
            };
            let secs = t0.elapsed().as_secs_f64();
            let who = if workers == 1 {
                "1 worker".to_string()
            } else {
                format!("{workers} workers")
            };
            store.notice.set(format!("Profiled {n} images in {secs:.0} s on {who} (statistics from the training half; readout macro F1 on the test quarter {f1:.2}).{skipped}"));
            session::rerun(store);
        }
        Err(f) => report_failure(store, f, "Profiling cancelled.", "A profiling worker"),
    }
}
