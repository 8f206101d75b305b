//! The images of the set profiled in this tab that drive the focused unit most (its "preferred
//! stimuli"), read again from the visitor's files and shown as the crops the network saw.

use crate::analysis::head::top_k;
use crate::protocol::{Event, Request, CROP};
use crate::ui::client::Attach;
use crate::ui::local_set;
use crate::ui::session::{self, model};
use crate::ui::store::use_store;
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How many images to show.
const TOP: usize = 6;

/// `(name, class, response, crop RGB)` of one shown image.
type Shown = (String, String, f32, Vec<u8>);

#[component]
fn Thumb(rgb: Vec<u8>, label: String) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            if rgb.len() == CROP * CROP * 3 {
                let rgba: Vec<u8> = rgb
                    .chunks(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect();
                crate::ui::canvas::put_rgba(&c, &rgba, CROP as u32, CROP as u32);
            }
        }
    });
    view! { <canvas node_ref=canvas width=CROP.to_string() height=CROP.to_string() aria-label=label></canvas> }
}

#[component]
pub fn TopImages() -> impl IntoView {
    let s = use_store();
    let shown = RwSignal::new(Vec::<Shown>::new());
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let (focus, layer, _) = (
            s.intervention.focus.get(),
            s.intervention.layer.get(),
            s.profile.local_set.get(),
        );
        generation.update_value(|g| *g += 1);
        let gen = generation.get_value();
        let (Some(u), Some(set), Some(m)) = (focus, local_set::get(s), model(s)) else {
            return shown.set(Vec::new());
        };
        let r = &set.responses;
        let Some(li) = r.layer_index(&layer).filter(|_| set.model == m.0.id) else {
            return shown.set(Vec::new());
        };
        let n = r.units[li];
        if u >= n {
            return shown.set(Vec::new());
        }
        let column: Vec<f32> = (0..r.n_images).map(|i| r.data[li][i * n + u]).collect();
        let best = top_k(&column, TOP);
        spawn_local(async move {
            let files: Vec<web_sys::File> = best.iter().filter_map(|&i| set.file(i).ok()).collect();
            let attach = Attach { files, bytes: None };
            let Ok(Event::Crops(crops)) = session::call(s, Request::Crops, attach).await else {
                return;
            };
            let names = set.ds.names();
            let mut out = Vec::new();
            for (i, crop) in best.into_iter().zip(crops) {
                if let Some(rgb) = crop {
                    let item = &set.ds.items[i];
                    out.push((
                        names[i].clone(),
                        set.ds.classes[item.label].clone(),
                        column[i],
                        rgb,
                    ));
                }
            }
            if generation.get_value() == gen {
                shown.set(out);
            }
        });
    });
    view! {
        <div hidden=move || shown.get().is_empty()>
            <h3>"Images of your set that drive this unit most"</h3>
            <div class="top-images">
                {move || shown.get().into_iter().map(|(name, class, v, rgb)| view! {
                    <figure data-testid="top-image" data-name=name.clone() data-value=v.to_string()>
                        <Thumb rgb=rgb label=format!("{name} ({class}), response {v:.3}")/>
                        <figcaption>{format!("{name} · {class} · {v:.3}")}</figcaption>
                    </figure>
                }).collect_view()}
            </div>
        </div>
    }
}
