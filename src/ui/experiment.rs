//! "Run experiment" in the browser: the paper's lesion/enhance sweep against the random-unit
//! control, on the set profiled in this tab, with the very code `neurons experiment` runs
//! (`analysis::experiment::run_profile`). Its forward passes run on the pool, data-parallel over
//! the held-out images; α choice and F1 are computed here. Nothing leaves the device.

use super::local_set;
use super::pool::{self, Tally};
use super::profiler::{report_failure, ticker, Progress};
use super::session;
use super::store::Store;
use crate::analysis::experiment::{
    estimates, run_profile, ExperimentConfig, FeatureRows, Features, Part,
};
use crate::analysis::sweep::AlphaSearch;
use crate::model::GainMask;
use crate::protocol::{ErrorKind, Failure};
use leptos::prelude::*;
use web_time::Instant;

/// Enhancement gains tried on val: α = 0, 1, …, 5 (the CLI's default search refines to 0.1
/// around the best; the coarse grid keeps a classroom run to minutes).
/// `neurons experiment --alpha-step 1` matches.
pub const ALPHA_STEP: f32 = 1.0;
pub const ALPHA_MAX: f32 = 5.0;
/// Random-unit control draws per condition (the CLI's default).
pub const CONTROL_DRAWS: usize = 5;

/// The pool as the experiment's [`Features`] source, reporting progress as it goes.
struct OnPool {
    store: Store,
    tally: Tally,
}

impl Features for OnPool {
    async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure> {
        let rows = pool::features(self.store, part, layer, masks).await;
        self.tally.next_request();
        rows
    }
}

/// Runs the experiment on `layers`, showing rows as each layer finishes.
pub async fn run(store: Store, layers: Vec<String>, progress: Progress) {
    let _t = store.task("running the experiment");
    store.error.set(String::new());
    store.experiment.rows.set(Vec::new());
    let t0 = Instant::now();
    let result = async {
        let (entry, weights) = session::model(store)
            .ok_or_else(|| Failure::new(ErrorKind::NotReady, "load a model first"))?;
        let set = local_set::get(store).ok_or_else(|| {
            Failure::new(
                ErrorKind::NotReady,
                "profile a labelled set in this tab first: the experiment re-runs its images",
            )
        })?;
        let p = session::profile(store)
            .ok_or_else(|| Failure::new(ErrorKind::NotReady, "this model has no profile"))?;
        if set.model != entry.id {
            return Err(Failure::bad_input(format!(
                "the set was profiled on {}; profile it again on {}",
                set.model, entry.id
            )));
        }
        // The profile in use must be the one computed from this set (a loaded profile file
        // names its images but cannot point at the visitor's files).
        if p.model != entry.id || p.images != set.ds.names() || p.labels != set.ds.labels() {
            return Err(Failure::bad_input(
                "the profile in use is not the one made from the set profiled in this tab: \
                 profile the set again",
            ));
        }
        let files = |idx: &[usize]| -> Result<Vec<web_sys::File>, Failure> {
            idx.iter().map(|&i| set.file(i)).collect()
        };
        let cfg = ExperimentConfig {
            search: AlphaSearch::grid(ALPHA_MAX, ALPHA_STEP),
            control_draws: CONTROL_DRAWS,
            seed: p.seed,
            batch: 8,
        };
        let (nv, nt) = (p.split.val.len(), p.split.test.len());
        let total: u64 = estimates(&p, &layers, &cfg).iter().sum();
        let tally = Tally::new();
        let workers = pool::set_parts(
            store,
            &entry,
            weights,
            files(&p.split.val)?,
            files(&p.split.test)?,
            &tally,
        )
        .await?;
        progress.set(Some((0, total, f64::NAN, workers)));
        // Repaint the progress line as the workers report.
        let ticker = ticker(progress, &tally, total, t0, move || workers);
        let mut source = OnPool { store, tally };
        let r = run_profile(&mut source, &p, &layers, &cfg, |rows| {
            store.experiment.rows.update(|r| r.extend(rows.rows));
            Ok(())
        })
        .await;
        if let Some(t) = ticker {
            t.clear();
        }
        r.map(|_| (nv, nt))
    }
    .await;
    progress.set(None);
    match result {
        Ok((nv, nt)) => store.notice.set(format!(
            "Experiment done in {:.0} s: α chosen on {nv} validation images, F1 on {nt} test images.",
            t0.elapsed().as_secs_f64()
        )),
        Err(f) => report_failure(
            store,
            f,
            "Experiment cancelled; the layers finished so far are shown.",
            "An experiment worker",
        ),
    }
}
