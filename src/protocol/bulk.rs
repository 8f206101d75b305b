//! The big float arrays a message carries (responses to a whole set, the experiment's features),
//! moved out of the JSON into one transferred `Float32Array` and put back on the other side.

use super::{Event, Failure, Request};
use crate::analysis::experiment::FeatureRows;
use crate::analysis::responses::Responses;
use serde::{Deserialize, Serialize};

/// The experiment's readout features of one share of a part: `[mask][image][feature]`, flat.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureBlock {
    pub masks: usize,
    pub images: usize,
    pub dim: usize,
    pub data: Vec<f32>,
}

impl FeatureBlock {
    pub fn from_rows(rows: &FeatureRows) -> Self {
        let masks = rows.len();
        let images = rows.first().map_or(0, |m| m.len());
        let dim = rows.first().and_then(|m| m.first()).map_or(0, |r| r.len());
        let data = rows.iter().flatten().flatten().copied().collect();
        Self {
            masks,
            images,
            dim,
            data,
        }
    }

    pub fn into_rows(self) -> Result<FeatureRows, Failure> {
        if self.data.len() != self.masks * self.images * self.dim {
            return Err(Failure::from("feature block does not match its shape"));
        }
        let mut it = self.data.into_iter();
        Ok((0..self.masks)
            .map(|_| {
                (0..self.images)
                    .map(|_| it.by_ref().take(self.dim).collect())
                    .collect()
            })
            .collect())
    }
}

/// The big float arrays a message carries, moved out (they travel as one transferred buffer).
pub trait Bulk {
    fn take_bulk(&mut self) -> Vec<f32>;
    /// Puts back what [`Bulk::take_bulk`] took; a buffer of the wrong length is an error.
    fn put_bulk(&mut self, bulk: Vec<f32>) -> Result<(), Failure>;
}

fn take_responses(r: &mut Responses) -> Vec<f32> {
    let mut out = Vec::with_capacity(r.data.iter().map(Vec::len).sum::<usize>() + r.features.len());
    for l in &mut r.data {
        out.append(l);
    }
    out.append(&mut r.features);
    out
}

fn put_responses(r: &mut Responses, bulk: Vec<f32>) -> Result<(), Failure> {
    let sizes: Vec<usize> = r.units.iter().map(|u| u * r.n_images).collect();
    let want = sizes.iter().sum::<usize>() + r.n_images * r.feature_dim;
    if bulk.len() != want || r.data.len() != sizes.len() {
        return Err(Failure::from(format!(
            "responses buffer holds {} values, not {want}",
            bulk.len()
        )));
    }
    let mut it = bulk.into_iter();
    for (l, n) in r.data.iter_mut().zip(sizes) {
        *l = it.by_ref().take(n).collect();
    }
    r.features = it.collect();
    Ok(())
}

impl Bulk for Event {
    fn take_bulk(&mut self) -> Vec<f32> {
        match self {
            Event::Responses { responses, .. } => take_responses(responses),
            Event::Features(b) => std::mem::take(&mut b.data),
            // The crop's 150,528 bytes as JSON numbers cost a slow device's page a long task to
            // parse; they travel beside it (the JSON keeps an empty crop as the marker).
            Event::Analysis(a) => a
                .crop
                .as_mut()
                .map(|c| std::mem::take(c).into_iter().map(f32::from).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
    fn put_bulk(&mut self, bulk: Vec<f32>) -> Result<(), Failure> {
        match self {
            Event::Responses { responses, .. } => put_responses(responses, bulk),
            Event::Features(b) => {
                b.data = bulk;
                Ok(())
            }
            Event::Analysis(a) => match &mut a.crop {
                Some(c) if c.is_empty() && bulk.len() == crate::limits::CROP.pow(2) * 3 => {
                    *c = bulk.into_iter().map(|v| v as u8).collect();
                    Ok(())
                }
                None if bulk.is_empty() => Ok(()),
                _ => Err(Failure::from(format!(
                    "an analysis came with {} crop values, not {}",
                    bulk.len(),
                    crate::limits::CROP.pow(2) * 3
                ))),
            },
            _ => Ok(()),
        }
    }
}

impl Bulk for Request {
    fn take_bulk(&mut self) -> Vec<f32> {
        match self {
            Request::BuildProfile { responses, .. } => take_responses(responses),
            _ => Vec::new(),
        }
    }
    fn put_bulk(&mut self, bulk: Vec<f32>) -> Result<(), Failure> {
        match self {
            Request::BuildProfile { responses, .. } => put_responses(responses, bulk),
            _ => Ok(()),
        }
    }
}
