//! The long jobs, data-parallel over images: each pool worker computes unit responses (for
//! profiling) or the experiment's readout features for its share of a set, and the page merges
//! the shares in image order. Per-image results do not depend on which worker or batch computed
//! them, so any number of workers gives the same bytes as one, and as the CLI.

use super::{Host, WorkerCore};
use crate::analysis::dataset::Dataset;
use crate::analysis::experiment::{FeatureRows, Part};
use crate::analysis::features::{features_under, LowerCache, Progress};
use crate::analysis::pipeline::{build_profile, ProfileConfig};
use crate::analysis::responses::{compute, Responses};
use crate::error::Failure;
use crate::model::GainMask;
use crate::preprocess::{prepare, Prepared};
use crate::protocol::{Event, FeatureBlock};
use std::rc::Rc;

/// Images per forward pass (the browser test compares against the CLI at its own batch).
const BATCH: usize = 8;

fn slot(part: Part) -> usize {
    match part {
        Part::Val => 0,
        Part::Test => 1,
    }
}

/// Reports work to the page as it is done, and stops when the page cancels.
struct Report<'a, H: Host> {
    host: &'a H,
    id: u64,
    done: u64,
    total: u64,
}

impl<H: Host> Progress for Report<'_, H> {
    async fn tick(&mut self, work: u64) -> Result<(), Failure> {
        self.done += work;
        self.host.emit(
            self.id,
            Event::Progress {
                done: self.done,
                total: self.total,
            },
        );
        if self.host.cancelled() {
            return Err(Failure::cancelled());
        }
        Ok(())
    }
}

impl<H: Host> WorkerCore<H> {
    /// Unit responses to `files` (indices `first..` of the set); unreadable images are listed.
    pub(super) async fn responses(
        &mut self,
        first: usize,
        files: &[H::File],
    ) -> Result<Event, Failure> {
        let (eng, m) = (self.engine()?, self.model()?);
        let mut all: Option<Responses> = None;
        let mut failed = Vec::new();
        let total = files.len() as u64;
        for (c, chunk) in files.chunks(BATCH).enumerate() {
            let mut bytes = Vec::new();
            for f in chunk {
                // An unreadable file fails its decode below and is listed with the reason.
                bytes.push(self.host.read(f).await);
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
            self.emit(Event::Progress { done, total });
            if self.host.cancelled() {
                return Err(Failure::cancelled());
            }
        }
        Ok(Event::Responses {
            first,
            responses: Box::new(all.unwrap_or_default()),
            failed,
        })
    }

    /// Statistics, null and readout of the merged responses (the CLI's `build_profile`).
    pub(super) fn build_profile(
        &mut self,
        model: &str,
        ds: Dataset,
        r: Responses,
    ) -> Result<Event, Failure> {
        self.emit(Event::Status(
            "computing selectivity and training the readout".into(),
        ));
        ds.check_sizes()?;
        let p = build_profile(model, &ds, None, &r, &ProfileConfig::default());
        Ok(Event::Profiled(Box::new(p)))
    }

    /// Keeps `files`, prepared, as this worker's share of `part`.
    pub(super) async fn set_part(
        &mut self,
        part: Part,
        files: &[H::File],
    ) -> Result<Event, Failure> {
        let m = self.model()?;
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let bytes = self.host.read(f).await?;
            let mut p = prepare(&bytes, &m.entry.preprocessing, true)
                .map_err(|e| Failure::bad_input(format!("{}: {e}", self.host.name(f))))?;
            p.display = Vec::new();
            out.push(p);
        }
        self.parts[slot(part)] = Rc::new(out);
        Ok(Event::Done)
    }

    /// Readout features of this worker's share of `part` under each mask.
    pub(super) async fn features(
        &mut self,
        part: Part,
        layer: &str,
        masks: &[GainMask],
    ) -> Result<Event, Failure> {
        let (eng, m) = (self.engine()?, self.model()?);
        let images = self.parts[slot(part)].clone();
        let refs: Vec<&Prepared> = images.iter().collect();
        let mut report = Report {
            host: &self.host,
            id: self.id,
            done: 0,
            total: 0,
        };
        let rows: FeatureRows = features_under(
            &eng,
            &m.net,
            layer,
            &refs,
            masks,
            BATCH,
            &mut report,
            &mut LowerCache::off(),
        )
        .await?;
        Ok(Event::Features(FeatureBlock::from_rows(&rows)))
    }
}
