//! `neurons profile --splits K`: the profile's headline figures over K seeded splits of the same
//! responses (only the statistics rerun), and for a seeded (untrained) model over K
//! initialisations too (each needs its own forward passes).

use super::progress::bar;
use super::read;
use crate::analysis::dataset::{Dataset, Thresholds};
use crate::analysis::pipeline::{build_profile, ProfileConfig};
use crate::analysis::profile::Profile;
use crate::analysis::responses::{compute, Responses};
use crate::analysis::robust::{figures, Spread};
use crate::engine::Engine;
use crate::model::Network;
use crate::weights::init::he_normal;
use crate::weights::manifest::Source;
use crate::ModelEntry;
use web_time::Instant;

/// What every run shares.
pub struct Runs<'a> {
    pub eng: &'a Engine,
    pub entry: &'a ModelEntry,
    pub ds: &'a Dataset,
    pub thresholds: Option<Thresholds>,
    pub cfg: &'a ProfileConfig,
    pub batch: usize,
    pub vary_init: bool,
    /// Where each run's profile is written (`splits/seed<N>.json`), for experiments per split.
    pub out: &'a std::path::Path,
}

impl Runs<'_> {
    /// The initialisation seed of run `i` of a seeded model (run 0 is the shipped one).
    fn init_seed(&self, i: usize) -> Option<String> {
        match &self.entry.source {
            Source::Seeded { seed } if self.vary_init => Some(match i {
                0 => seed.clone(),
                i => format!("{seed}/init{i}"),
            }),
            _ => None,
        }
    }

    /// Responses of the set under initialisation `seed`.
    fn responses(&self, seed: &str, quiet: bool) -> Result<Responses, String> {
        let map = he_normal(self.entry.arch, self.entry.classifier, seed);
        let net = Network::load(self.entry.arch, &map, &self.eng.device)?;
        let pb = bar(self.ds.items.len(), quiet, &format!("images ({seed})"));
        let (resp, failed) = pollster::block_on(compute(
            self.eng,
            &net,
            &self.entry.preprocessing,
            true,
            self.ds.items.len(),
            |i| read(&self.ds.items[i].path).map_err(crate::error::Failure::bad_input),
            self.batch,
            |done, _| pb.set_position(done as u64),
        ))?;
        pb.finish_and_clear();
        match failed.first() {
            // The set was already filtered to images that decode.
            Some((_, e)) => Err(format!("an image failed on the second reading: {e}")),
            None => Ok(resp),
        }
    }

    /// Run 0 is the profile `p` already made from `resp`; runs 1.. use split seed `seed + i`.
    pub fn spread(
        &self,
        p: &Profile,
        resp: &Responses,
        k: usize,
        quiet: bool,
    ) -> Result<Spread, String> {
        let t0 = Instant::now();
        let path = self.out.join(format!("splits/seed{}.json", p.seed));
        super::write(&path, p.to_json().as_bytes())?;
        let mut runs = vec![figures(p, resp, self.init_seed(0))];
        for i in 1..k {
            let init = self.init_seed(i);
            let own;
            let r = match &init {
                Some(seed) => {
                    own = self.responses(seed, quiet)?;
                    &own
                }
                None => resp,
            };
            let cfg = ProfileConfig {
                seed: self.cfg.seed + i as u64,
                ..self.cfg.clone()
            };
            let pi = build_profile(&self.entry.id, self.ds, self.thresholds, r, &cfg);
            let path = self.out.join(format!("splits/seed{}.json", cfg.seed));
            super::write(&path, pi.to_json().as_bytes())?;
            runs.push(figures(&pi, r, init));
        }
        let varied = match self.init_seed(1) {
            Some(_) => format!(
                "{k} runs, each with its own stratified split (seeds {}…{}) and its own \
                 initialisation of the untrained network",
                self.cfg.seed,
                self.cfg.seed + k as u64 - 1
            ),
            None => format!(
                "{k} stratified splits (seeds {}…{}) of the same responses",
                self.cfg.seed,
                self.cfg.seed + k as u64 - 1
            ),
        };
        if !quiet {
            eprintln!("{k} runs in {:.1} s", t0.elapsed().as_secs_f64());
        }
        Ok(Spread::of(&self.entry.id, &p.classes, &varied, runs))
    }
}
