//! "Run experiment" in the browser: the paper's lesion/enhance sweep against the random-unit
//! control, on the set profiled in this tab, with the very code `neurons experiment` runs. The
//! held-out images are read again from the visitor's files; nothing leaves the device.

use super::local_set::{self, LocalSet};
use super::profiler::{cancelled, reset_cancel, yield_now};
use super::runtime::{engine, model, profile};
use super::store::Store;
use crate::analysis::experiment::{alpha_grid, run_profile, work_of, ExperimentConfig, Progress};
use crate::analysis::profile::Profile;
use crate::preprocess::Prepared;
use crate::weights::manifest::Preprocessing;
use leptos::prelude::*;
use web_time::Instant;

/// Enhancement gains tried on val: α = 0, 1, …, 5 (the CLI's default grid steps by 0.1; the
/// coarser one keeps a classroom run to minutes). `neurons experiment --alpha-step 1` matches.
pub const ALPHA_STEP: f32 = 1.0;
pub const ALPHA_MAX: f32 = 5.0;
/// Random-unit control draws per condition (the CLI's default).
pub const CONTROL_DRAWS: usize = 5;

/// Progress for the page: fraction done and seconds left, repainting at most every 100 ms.
struct Live {
    done: u64,
    total: u64,
    t0: Instant,
    last: Instant,
    progress: RwSignal<Option<(f64, f64)>>,
}

impl Progress for Live {
    async fn tick(&mut self, work: u64) -> Result<(), String> {
        self.done += work;
        if self.last.elapsed().as_millis() >= 100 {
            let frac = (self.done as f64 / self.total.max(1) as f64).min(1.0);
            let secs = self.t0.elapsed().as_secs_f64();
            self.progress
                .set(Some((frac, secs / frac.max(1e-9) * (1.0 - frac))));
            yield_now().await;
            self.last = Instant::now();
        }
        if cancelled() {
            return Err("experiment cancelled".into());
        }
        Ok(())
    }
}

/// The profile's images in `split` (indices into the set, which the profile was built from),
/// read again from the visitor's files, with their labels.
async fn held_out(
    set: &LocalSet,
    p: &Profile,
    split: &[usize],
    pre: &Preprocessing,
) -> Result<(Vec<Prepared>, Vec<usize>), String> {
    let (mut imgs, mut labels) = (Vec::new(), Vec::new());
    for &i in split {
        let mut img = set.prepared(i, pre).await?;
        img.display = Vec::new();
        imgs.push(img);
        labels.push(p.labels[i]);
    }
    Ok((imgs, labels))
}

/// Runs the experiment on `layers`, showing rows as each layer finishes.
pub async fn run(store: Store, layers: Vec<String>, progress: RwSignal<Option<(f64, f64)>>) {
    reset_cancel();
    let again = layers.clone();
    store.status.set("running the experiment".into());
    store.error.set(String::new());
    store.experiment.set(Vec::new());
    let t0 = Instant::now();
    let result = async {
        let (eng, m) = (
            engine().ok_or("no backend")?,
            model().ok_or("load a model first")?,
        );
        let set = local_set::get()
            .ok_or("profile a labelled set in this tab first: the experiment re-runs its images")?;
        let p = profile().ok_or("this model has no profile")?;
        if set.model != m.entry.id {
            return Err(format!(
                "the set was profiled on {}; profile it again on {}",
                set.model, m.entry.id
            ));
        }
        // The profile in use must be the one computed from this set (a loaded profile file
        // names its images but cannot point at the visitor's files).
        if p.model != m.entry.id || p.images != set.ds.names() || p.labels != set.ds.labels() {
            return Err(
                "the profile in use is not the one made from the set profiled in this \
                        tab: profile the set again"
                    .into(),
            );
        }
        let pre = &m.entry.preprocessing;
        let (val, val_y) = held_out(&set, &p, &p.split.val, pre).await?;
        let (test, test_y) = held_out(&set, &p, &p.split.test, pre).await?;
        let (val_r, test_r): (Vec<&Prepared>, Vec<&Prepared>) =
            (val.iter().collect(), test.iter().collect());
        let cfg = ExperimentConfig {
            alphas: alpha_grid(ALPHA_MAX, ALPHA_STEP),
            control_draws: CONTROL_DRAWS,
            seed: p.seed,
            batch: 8,
        };
        let k = p.classes.len();
        let total = layers
            .iter()
            .map(|l| work_of(&m.net, l, k, &cfg, val.len(), test.len()))
            .sum();
        let mut live = Live {
            done: 0,
            total,
            t0,
            last: Instant::now(),
            progress,
        };
        progress.set(Some((0.0, f64::NAN)));
        run_profile(
            &eng,
            &m.net,
            &p,
            &layers,
            (&val_r, &val_y),
            (&test_r, &test_y),
            &cfg,
            &mut live,
            |rows| store.experiment.update(|r| r.extend(rows)),
        )
        .await?;
        Ok::<_, String>((val.len(), test.len()))
    }
    .await;
    progress.set(None);
    match result {
        Ok((nv, nt)) => {
            store.notice.set(format!(
                "Experiment done in {:.0} s: α chosen on {nv} validation images, F1 on {nt} test images.",
                t0.elapsed().as_secs_f64()
            ));
            store.status.set("ready".into());
        }
        Err(e) if e == "experiment cancelled" => {
            store
                .notice
                .set("Experiment cancelled; the layers finished so far are shown.".into());
            store.status.set("ready".into());
        }
        Err(e) => super::recovery::recover_and_retry(store, e, move || {
            Box::pin(run(store, again, progress))
        }),
    }
}
