//! Where the emotion lies in the current image ([`crate::analysis::emotion_map`]): asked of the
//! interactive worker after each readout while the map is on, unmasked and under the current
//! intervention, so a student sees what a lesion takes away.

use super::client::Attach;
use super::session::{call, current_mask};
use super::store::Store;
use crate::protocol::{ErrorKind, Event, Request};
use leptos::prelude::*;

/// Counts requests, so only the newest answer is shown.
static ASKED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Fetches every emotion's map of the current image into the store.
pub async fn refresh(store: Store) {
    use std::sync::atomic::Ordering::SeqCst;
    let n = ASKED.fetch_add(1, SeqCst) + 1;
    let req = Request::EmotionMaps {
        mask: current_mask(store),
    };
    match call(store, req, Attach::default()).await {
        Ok(Event::EmotionMaps { before, after }) if ASKED.load(SeqCst) == n => {
            store.image.emotion_maps.set(Some((before, after)))
        }
        // A newer request's answer is on its way.
        Ok(Event::EmotionMaps { .. }) => {}
        Ok(_) => store.fail("the engine gave an unexpected reply to the emotion map request"),
        Err(f) if matches!(f.kind, ErrorKind::WorkerCrashed | ErrorKind::Cancelled) => {}
        Err(f) if f.kind == ErrorKind::NotReady => {
            store.image.emotion_maps.set(None);
            store.notice.set(f.message)
        }
        Err(f) => store.fail(format!("the emotion map failed: {f}")),
    }
}
