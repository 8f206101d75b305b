//! The long jobs, data-parallel over images: each pool worker computes unit responses (for
//! profiling) or the experiment's readout features for its share of a set, and the page merges
//! the shares in image order. Per-image results do not depend on which worker or batch computed
//! them, so any number of workers gives the same bytes as one, and as the CLI.

use super::fetch::read_file;
use super::state::{engine, model};
use super::transport::post;
use crate::analysis::dataset::Dataset;
use crate::analysis::experiment::{FeatureRows, Part};
use crate::analysis::features::{features_under, Progress};
use crate::analysis::pipeline::{build_profile, ProfileConfig};
use crate::analysis::responses::{compute, Responses};
use crate::model::GainMask;
use crate::preprocess::{prepare, Prepared};
use crate::protocol::{Event, Failure, FeatureBlock};
use std::cell::RefCell;
use std::rc::Rc;

/// Images per forward pass (the browser test compares against the CLI at its own batch).
const BATCH: usize = 8;

thread_local! {
    /// This worker's share of the experiment's val and test images, prepared.
    static PARTS: RefCell<[Rc<Vec<Prepared>>; 2]> = RefCell::new([Rc::default(), Rc::default()]);
}

fn slot(part: Part) -> usize {
    match part {
        Part::Val => 0,
        Part::Test => 1,
    }
}

/// Reports work to the page as it is done.
struct Report {
    id: u64,
    done: u64,
    total: u64,
}

impl Progress for Report {
    async fn tick(&mut self, work: u64) -> Result<(), Failure> {
        self.done += work;
        post(
            self.id,
            Event::Progress {
                done: self.done,
                total: self.total,
            },
        );
        Ok(())
    }
}

/// Unit responses to `files` (indices `first..` of the set); unreadable images are listed.
pub async fn responses(id: u64, first: usize, files: Vec<web_sys::File>) -> Result<Event, Failure> {
    let (eng, m) = (engine()?, model()?);
    let mut all: Option<Responses> = None;
    let mut failed = Vec::new();
    let total = files.len() as u64;
    for (c, chunk) in files.chunks(BATCH).enumerate() {
        let mut bytes = Vec::new();
        for f in chunk {
            // An unreadable file fails its decode below and is listed with the reason.
            bytes.push(read_file(f).await);
        }
        let (r, bad) = compute(
            &eng,
            &m.net,
            &m.entry.preprocessing,
            true,
            chunk.len(),
            |i| bytes[i].clone(),
            BATCH,
            |_, _| {},
        )
        .await?;
        failed.extend(bad.into_iter().map(|(i, e)| (first + c * BATCH + i, e)));
        match &mut all {
            Some(a) => a.append(r),
            None => all = Some(r),
        }
        let done = ((c + 1) * BATCH).min(files.len()) as u64;
        post(id, Event::Progress { done, total });
    }
    Ok(Event::Responses {
        first,
        responses: Box::new(all.unwrap_or_default()),
        failed,
    })
}

/// Statistics, null and readout of the merged responses (the CLI's `build_profile`).
pub fn build(id: u64, model: &str, ds: Dataset, r: Responses) -> Result<Event, Failure> {
    post(
        id,
        Event::Status("computing selectivity and training the readout".into()),
    );
    ds.check_sizes().map_err(Failure::bad_input)?;
    let p = build_profile(model, &ds, None, &r, &ProfileConfig::default());
    Ok(Event::Profiled(Box::new(p)))
}

/// Keeps `files`, prepared, as this worker's share of `part`.
pub async fn set_part(part: Part, files: Vec<web_sys::File>) -> Result<Event, Failure> {
    let m = model()?;
    let mut out = Vec::with_capacity(files.len());
    for f in &files {
        let bytes = read_file(f).await.map_err(Failure::bad_input)?;
        let mut p = prepare(&bytes, &m.entry.preprocessing, true)
            .map_err(|e| Failure::bad_input(format!("{}: {e}", f.name())))?;
        p.display = Vec::new();
        out.push(p);
    }
    PARTS.with(|p| p.borrow_mut()[slot(part)] = Rc::new(out));
    Ok(Event::Done)
}

/// Readout features of this worker's share of `part` under each mask.
pub async fn features(
    id: u64,
    part: Part,
    layer: &str,
    masks: &[GainMask],
) -> Result<Event, Failure> {
    let (eng, m) = (engine()?, model()?);
    let images = PARTS.with(|p| p.borrow()[slot(part)].clone());
    let refs: Vec<&Prepared> = images.iter().collect();
    let mut report = Report {
        id,
        done: 0,
        total: 0,
    };
    let rows: FeatureRows =
        features_under(&eng, &m.net, layer, &refs, masks, BATCH, &mut report).await?;
    Ok(Event::Features(FeatureBlock::from_rows(&rows)))
}
