//! Putting a network in place: the site's weights (checked against the manifest), a seed, or a
//! visitor's weights file (checked against every architecture's tensor names and shapes).

use super::{Host, Loaded, WorkerCore};
use crate::error::{ErrorKind, Failure};
use crate::model::Network;
use crate::protocol::Event;
use crate::weights::manifest::{Manifest, ModelEntry};
use crate::weights::{load_entry, TensorMap};
use std::rc::Rc;
use web_time::Instant;

impl<H: Host> WorkerCore<H> {
    fn install(&mut self, entry: ModelEntry, net: Network, file: Option<H::File>) -> Event {
        let layers = net
            .layers()
            .iter()
            .map(|(n, u)| (n.to_string(), *u))
            .collect();
        self.generation += 1;
        self.model = Some(Rc::new(Loaded {
            entry: entry.clone(),
            net,
            generation: self.generation,
        }));
        self.file = file;
        Event::ModelLoaded {
            entry: Box::new(entry),
            layers,
        }
    }

    /// Loads `entry` from `file`, the site (verified against its checksum) or its seed.
    pub(super) async fn load_model(
        &mut self,
        entry: ModelEntry,
        file: Option<H::File>,
    ) -> Result<Event, Failure> {
        let eng = self.engine()?;
        let t0 = Instant::now();
        let bytes = match (&file, &entry.file) {
            (Some(f), _) => Some(self.host.read(f).await?),
            (None, Some(f)) => {
                self.emit(Event::Status(format!("downloading {}", entry.id)));
                let (id, host) = (self.id, &self.host);
                let (bytes, _) = host
                    .fetch(f, &entry.sha256, &mut |got, total| {
                        host.emit(id, Event::Download { got, total })
                    })
                    .await?;
                Some(bytes)
            }
            (None, None) => {
                self.emit(Event::Status(format!(
                    "generating {} from its seed",
                    entry.id
                )));
                None
            }
        };
        let fetched = t0.elapsed().as_secs_f64() * 1e3;
        let map = match (&file, bytes) {
            // A visitor's file was checked when it was first loaded (its digest is the entry's).
            (Some(_), Some(b)) => TensorMap::from_safetensors(&b)?,
            // The site's weights, checked against the manifest by the host's fetch (a damaged or
            // tampered copy is never kept in the cache).
            (None, Some(b)) => {
                TensorMap::from_safetensors(&b).map_err(|e| e.with_kind(ErrorKind::Download))?
            }
            (_, b) => load_entry(&entry, b.as_deref())?,
        };
        let checked = t0.elapsed().as_secs_f64() * 1e3;
        let net = Network::load(entry.arch, &map, &eng.device)?;
        self.host.log(&format!(
            "engine: {} fetched in {fetched:.0} ms, checked and parsed by {checked:.0} ms, built by {:.0} ms",
            entry.id,
            t0.elapsed().as_secs_f64() * 1e3
        ));
        Ok(self.install(entry, net, file))
    }

    /// Checks a visitor's weights file and loads it: a file whose sha256 matches a manifest
    /// entry becomes that model; any other must fit an architecture's tensor names and shapes.
    pub(super) async fn check_weights(
        &mut self,
        name: &str,
        manifest: &Manifest,
        file: H::File,
    ) -> Result<Event, Failure> {
        self.emit(Event::Status(format!("checking {name}")));
        let bytes = self.host.read(&file).await?;
        let eng = self.engine()?;
        let sha = self.host.sha256(&bytes).await;
        let map = TensorMap::from_safetensors(&bytes).map_err(|e| {
            Failure::bad_input(format!(
                "{e} (expected a .safetensors weights file, as `neurons weights convert` writes)"
            ))
        })?;
        if let Some(known) = manifest
            .models
            .iter()
            .find(|m| m.file.is_some() && m.sha256 == sha)
        {
            let net = Network::load(known.arch, &map, &eng.device)
                .map_err(|e| e.with_kind(ErrorKind::BadInput))?;
            return Ok(self.install(known.clone(), net, Some(file)));
        }
        let mut reasons = Vec::new();
        let mut tried = Vec::new();
        for m in &manifest.models {
            if tried.contains(&m.arch) {
                continue;
            }
            tried.push(m.arch);
            match Network::load(m.arch, &map, &eng.device) {
                Ok(net) => {
                    let mut entry = m.clone();
                    entry.id = format!("local-{:?}-{}", m.arch, &sha[..8]).to_lowercase();
                    entry.label = format!("{name} (your file, {:?} layout)", m.arch);
                    entry.file = Some(name.to_string());
                    entry.sha256 = sha;
                    entry.bytes = bytes.len() as u64;
                    entry.classifier = [
                        "classifier.0.bias",
                        "classifier.1.bias",
                        "classifier.6.bias",
                    ]
                    .iter()
                    .any(|k| map.contains(k));
                    return Ok(self.install(entry, net, Some(file)));
                }
                Err(e) => reasons.push(format!("as {:?}: {e}", m.arch)),
            }
        }
        Err(Failure::bad_input(format!(
            "these weights fit no model here ({})",
            reasons.join("; ")
        )))
    }
}
