//! "Where is the emotion?": the readout's evidence for an emotion at each place of the picture
//! (the joint head's weights on the readout layer's channel vectors; exact: its mean plus a
//! constant is the emotion's logit), over the crop, before and with the intervention.

use crate::analysis::emotion_map::{overlay_rgba, EmotionMap};
use crate::protocol::CROP;
use crate::ui::canvas::put_rgba;
use crate::ui::emotion_maps::refresh;
use crate::ui::store::use_store;
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The emotion shown: the chosen one, else the readout's top emotion.
fn shown(chosen: Option<usize>, readout: Option<Vec<f32>>) -> usize {
    chosen.unwrap_or_else(|| {
        readout
            .map(|r| {
                crate::analysis::head::top_k(&r, 1)
                    .first()
                    .copied()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
    })
}

fn values_attr(m: &EmotionMap) -> String {
    m.values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[component]
pub fn EmotionMapView() -> impl IntoView {
    let s = use_store();
    let on = RwSignal::new(false);
    let before_c = NodeRef::<Canvas>::new();
    let after_c = NodeRef::<Canvas>::new();
    // A new readout (new image, intervention or model) asks for new maps while the view is on.
    Effect::new(move |_| {
        s.image.readout.track();
        if on.get() && !s.image.crop.with_untracked(|c| c.is_empty()) {
            spawn_local(refresh(s));
        }
    });
    let emotion = move || shown(s.image.map_emotion.get(), s.image.baseline.get());
    let maps = move || {
        let e = emotion();
        s.image.emotion_maps.get().and_then(|(b, a)| {
            let before = b.get(e)?.clone();
            Some((before, a.and_then(|a| a.get(e).cloned())))
        })
    };
    Effect::new(move |_| {
        s.image.crop.track();
        let Some((b, a)) = maps().filter(|_| on.get()) else {
            return;
        };
        // One colour scale for both, so a lesion's loss shows as fading.
        let scale = a
            .as_ref()
            .map_or(b.extent(), |a| a.extent().max(b.extent()));
        for (canvas, m) in [(before_c.get(), Some(&b)), (after_c.get(), a.as_ref())] {
            if let (Some(c), Some(m)) = (canvas, m) {
                if let Some(rgba) = s
                    .image
                    .crop
                    .with_untracked(|crop| overlay_rgba(crop, m, scale))
                {
                    put_rgba(&c, &rgba, CROP as u32, CROP as u32);
                }
            }
        }
    });
    let classes = move || s.profile.classes.get();
    view! {
        <section class="stage emotion-map-view" hidden=move || s.image.crop.with(|c| c.is_empty())>
            <h2>"Where is the emotion?"</h2>
            <label>
                <input type="checkbox" data-testid="emotion-map-toggle" prop:checked=move || on.get()
                       on:change=move |ev| on.set(event_target_checked(&ev))/>
                " show where in the picture the readout finds each emotion"
            </label>
            <div hidden=move || !on.get()>
                <div class="controls" role="group" aria-label="Emotion shown">
                    {move || classes().into_iter().enumerate().map(|(i, c)| view! {
                        <button aria-pressed=move || (emotion() == i).to_string()
                                data-testid="emotion-map-pick" data-emotion=c.clone()
                                on:click=move |_| s.image.map_emotion.set(Some(i))>{c.clone()}</button>
                    }).collect_view()}
                </div>
                <div class="maps">
                    <figure data-testid="emotion-map" data-emotion=move || classes().get(emotion()).cloned()
                            data-values=move || maps().map(|m| values_attr(&m.0))
                            data-logit=move || maps().map(|m| m.0.logit().to_string())
                            data-h=move || maps().map(|m| m.0.h.to_string())
                            hidden=move || maps().is_none()>
                        <canvas node_ref=before_c width=CROP.to_string() height=CROP.to_string()
                                aria-label=move || format!("Where the readout finds {} in the picture: orange for, blue against",
                                    classes().get(emotion()).cloned().unwrap_or_default())></canvas>
                        <figcaption>"as trained"</figcaption>
                    </figure>
                    <figure data-testid="emotion-map-after" hidden=move || maps().and_then(|m| m.1).is_none()
                            data-values=move || maps().and_then(|m| m.1).map(|m| values_attr(&m))>
                        <canvas node_ref=after_c width=CROP.to_string() height=CROP.to_string()
                                aria-label="The same map with the current lesion or boost"></canvas>
                        <figcaption>"with the lesion or boost"</figcaption>
                    </figure>
                </div>
                <p class="hint">
                    "Orange: places whose units push the readout towards "
                    {move || classes().get(emotion()).cloned().unwrap_or_default()}
                    "; blue: places that push against it. The map is exact: its average plus a constant "
                    "is the readout's score for that emotion (class activation mapping, Zhou et al. 2016)."
                </p>
            </div>
        </section>
    }
}
