//! One layer's units as a grid on a canvas: colour = preferred emotion (colour-blind-safe),
//! brightness = this image's response z-scored against the profile. Click selects, shift-click
//! adds. A keyboard-reachable list gives the same information as text.

use crate::analysis::charts::PALETTE;
use crate::grid_pixels::{grid_rgba, Cell};
use crate::labview::{grid_step, order_units, unit_style, valence_color, zscore, Colour, Sort};
use crate::ui::canvas::put_rgba;
use crate::ui::session::rerun;
use crate::ui::store::{use_store, Store};
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

const CELL: f64 = 16.0;

use crate::labview::grid_cols as cols;

/// z-score of this image's response for unit `u`, when there is a profile and an image.
/// Reads the signals in place (no clone of the layer's 4,224 summaries per call).
fn z(s: &Store, li: usize, u: usize) -> Option<f32> {
    let v = s.image.layer_means.with(|m| m.get(li)?.get(u).copied())?;
    let (mean, sd) = s.profile.units.with(|units| {
        let st = units.get(li)?.get(u)?;
        Some((st.mean, st.sd))
    })?;
    Some(zscore(v, mean, sd))
}

/// What the profile says of unit `u` (not the image: a new analysis leaves it unchanged, so
/// the 512 buttons' labels are not rebuilt on every pass).
fn profile_label(s: &Store, li: usize, u: usize) -> String {
    let mut t = format!("unit {u}");
    let stats = s.profile.units.with(|units| {
        units
            .get(li)
            .and_then(|l| l.get(u))
            .map(|st| (st.preferred, st.si, st.p_null, st.affect_r, st.genuine))
    });
    if let Some((preferred, si, p, affect_r, genuine)) = stats {
        let class = s
            .profile
            .classes
            .with(|c| c.get(preferred).cloned().unwrap_or_default());
        t += &format!(", prefers {class}, SI {si:.2}, p {p:.3}");
        if let Some([v, a]) = affect_r {
            t += &format!(", r with valence {v:+.2}, with arousal {a:+.2}");
        }
        if genuine.is_some() {
            t += ", selective on both halves of the set (genuine)";
        }
    }
    t
}

/// The unit's profile and this image's response to it.
pub fn describe(s: &Store, li: usize, u: usize) -> String {
    let mut t = profile_label(s, li, u);
    if let Some(r) = s
        .image
        .layer_means
        .with(|m| m.get(li).and_then(|m| m.get(u).copied()))
    {
        t += &format!(", response {r:.3}");
    }
    if let Some(z) = z(s, li, u) {
        t += &format!(" (z {z:+.2})");
    }
    t
}

/// Units in display order: sorted by SI or by this image's response, filtered by preference.
fn ordering(s: &Store, sort: &str, filter: Option<usize>) -> Vec<usize> {
    let Some(li) = s.layer_index() else {
        return Vec::new();
    };
    let n = s.net.layers.with(|l| l.get(li).map_or(0, |l| l.1));
    s.profile.units.with(|units| {
        s.image.layer_means.with(|means| {
            order_units(
                n,
                units.get(li).map(|v| v.as_slice()),
                means.get(li).map(|v| v.as_slice()),
                Sort::parse(sort),
                filter,
            )
        })
    })
}

fn draw(s: &Store, canvas: &web_sys::HtmlCanvasElement, order: &[usize], colour: Colour) {
    let Some(li) = s.layer_index() else { return };
    let c = cols(s.net.layers.with(|l| l.get(li).map_or(0, |l| l.1)));
    let focus = s.intervention.focus.get();
    let cells: Vec<Cell> = s.intervention.selected.with(|selected| {
        s.image.layer_means.with(|means| {
            let means = means.get(li).map(|v| v.as_slice()).unwrap_or_default();
            let max = means.iter().cloned().fold(0.0, f32::max);
            s.profile.units.with(|units| {
                let stats = units.get(li);
                order
                    .iter()
                    .map(|&u| {
                        let st = stats.and_then(|l| l.get(u));
                        let (color, strength) = unit_style(st, means.get(u).copied(), max, colour);
                        Cell {
                            color,
                            strength,
                            selected: selected.contains(&u),
                            focused: focus == Some(u),
                        }
                    })
                    .collect()
            })
        })
    });
    // One buffer, one call into the browser.
    let (rgba, w, h) = grid_rgba(&cells, c, CELL as usize);
    if canvas.width() != w as u32 || canvas.height() != h as u32 {
        canvas.set_width(w as u32);
        canvas.set_height(h as u32);
    }
    put_rgba(canvas, &rgba, w as u32, h as u32);
}

fn toggle(s: Store, u: usize, add: bool) {
    s.intervention.focus.set(Some(u));
    s.intervention
        .selection
        .set(crate::lesson::Selection::Manual);
    s.intervention.selected.update(|sel| {
        if !add {
            *sel = vec![u];
        } else if let Some(i) = sel.iter().position(|x| *x == u) {
            sel.remove(i);
        } else {
            sel.push(u);
            sel.sort();
        }
    });
    rerun(s);
}

#[component]
pub fn LayerGrid() -> impl IntoView {
    let s = use_store();
    let canvas = NodeRef::<Canvas>::new();
    let sort = RwSignal::new("unit".to_string());
    let filter = RwSignal::new(None::<usize>);
    let colour = RwSignal::new(Colour::Emotion);
    let order = Memo::new(move |_| ordering(&s, &sort.get(), filter.get()));
    Effect::new(move |_| {
        let order = order.get();
        if let Some(c) = canvas.get() {
            draw(&s, &c, &order, colour.get());
        }
    });
    let rated = move || {
        s.profile
            .units
            .with(|u| u.iter().flatten().any(|u| u.affect_r.is_some()))
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let li = s.layer_index().unwrap_or(0);
        let c = cols(s.net.layers.get_untracked().get(li).map_or(0, |l| l.1));
        // The canvas may be drawn smaller than its pixels (a phone's column).
        let scale = canvas
            .get_untracked()
            .map_or(1.0, |c| c.width() as f64 / (c.client_width().max(1) as f64));
        let (x, y) = (
            (ev.offset_x() as f64 * scale / CELL) as usize,
            (ev.offset_y() as f64 * scale / CELL) as usize,
        );
        if let Some(&u) = order.get_untracked().get(y * c + x).filter(|_| x < c) {
            toggle(s, u, ev.shift_key());
        }
    };
    // The grid's one tab stop: the focused unit, else the first in the order.
    let tab_stop = Memo::new(move |_| {
        let f = s.intervention.focus.get();
        order.with(|o| f.filter(|f| o.contains(f)).or(o.first().copied()))
    });
    // The buttons' tab stop and pressed state follow the focus and the selection: only the
    // buttons whose state changed are written.
    let button = move |u: usize| {
        document()
            .query_selector(&format!("[data-testid=unit][data-unit=\"{u}\"]"))
            .ok()
            .flatten()
    };
    Effect::new(move |before: Option<Option<usize>>| {
        order.track();
        let now = tab_stop.get();
        for (u, v) in [(before.flatten(), "-1"), (now, "0")] {
            if let Some(b) = u.and_then(button) {
                let _ = b.set_attribute("tabindex", v);
            }
        }
        now
    });
    Effect::new(move |before: Option<Vec<usize>>| {
        order.track();
        let now = s.intervention.selected.get();
        let old = before.unwrap_or_default();
        for u in old.iter().filter(|u| !now.contains(u)) {
            if let Some(b) = button(*u) {
                let _ = b.set_attribute("aria-pressed", "false");
            }
        }
        for u in now.iter().filter(|u| !old.contains(u)) {
            if let Some(b) = button(*u) {
                let _ = b.set_attribute("aria-pressed", "true");
            }
        }
        now
    });
    // The keyboard path is as calm as the mouse's: one tab stop, the arrows move the focus
    // ring on the canvas and the line under it says which unit it is; nothing opens or moves.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let li = s.layer_index().unwrap_or(0);
        let c = cols(s.net.layers.get_untracked().get(li).map_or(0, |l| l.1));
        let now = s.intervention.focus.get_untracked();
        // Shift+Enter adds the focused unit, as shift-click does (Enter alone selects it).
        if let (Some(u), "Enter", true) = (now, ev.key().as_str(), ev.shift_key()) {
            ev.prevent_default();
            return toggle(s, u, true);
        }
        let Some(next) = order.with_untracked(|o| grid_step(o, c, now, &ev.key())) else {
            return;
        };
        ev.prevent_default();
        let button = document()
            .query_selector(&format!("[data-testid=unit][data-unit=\"{next}\"]"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(b) = button {
            let _ = b.focus();
        }
    };
    let on_layer = move |ev| {
        s.intervention.layer.set(event_target_value(&ev));
        s.intervention.selected.set(Vec::new());
        s.intervention.selection.set(crate::lesson::Selection::None);
        s.intervention.focus.set(None);
        rerun(s);
    };
    view! {
        <section class="card">
            <div class="controls grid-head">
                <h2>"Units of a layer"</h2>
                <label for="layer-select">"Layer "</label>
                <select id="layer-select" data-testid="layer-select" on:change=on_layer prop:value=move || s.intervention.layer.get()>
                    {move || s.net.layers.get().into_iter().map(|(l, n)| {
                        let label = format!("{l} ({n} units)");
                        view! { <option value=l.clone() selected=s.intervention.layer.get_untracked() == l>{label}</option> }
                    }).collect_view()}
                </select>
                <label>"Sort "
                    <select on:change=move |ev| sort.set(event_target_value(&ev))>
                        <option value="unit">"unit number"</option>
                        <option value="si">"selectivity (SI)"</option>
                        <option value="response">"response"</option>
                    </select>
                </label>
                <label>"Show "
                    <select on:change=move |ev| filter.set(event_target_value(&ev).parse().ok())>
                        <option value="all">"all"</option>
                        {move || s.profile.classes.get().into_iter().enumerate().map(|(i, c)| view! { <option value=i.to_string()>{format!("prefers {c}")}</option> }).collect_view()}
                    </select>
                </label>
                <label hidden=move || !rated()>"Colour "
                    <select data-testid="colour-by" on:change=move |ev| colour.set(Colour::parse(&event_target_value(&ev)))>
                        <option value="emotion">"preferred emotion"</option>
                        <option value="valence">"correlation with valence"</option>
                    </select>
                </label>
            </div>
            <p class="legend">
                {move || match colour.get() {
                    Colour::Emotion => s.profile.classes.get().into_iter().enumerate().map(|(i, c)| view! {
                        <span><span class="swatch" style=format!("background:{}", PALETTE[i % PALETTE.len()])></span>{c}</span>
                    }).collect_view().into_any(),
                    Colour::Valence => [(-0.4, "responds to unpleasant (r ≤ −0.4)"), (0.0, "no relation"), (0.4, "responds to pleasant (r ≥ 0.4)")].into_iter().map(|(r, t)| view! {
                        <span><span class="swatch" style=format!("background:{}", valence_color(r))></span>{t}</span>
                    }).collect_view().into_any(),
                }}
                " · brighter = stronger than usual"
            </p>
            <ul class="sr-list" aria-label="Units of this layer (arrow keys move, Enter selects, Shift+Enter adds)" on:keydown=on_key>
                {move || {
                    let li = s.layer_index().unwrap_or(0);
                    let layer = s.net.layers.get().get(li).cloned().unwrap_or_default().0;
                    order.get().into_iter().map(|u| {
                        let layer = layer.clone();
                        // Each button reads only what changes it: a new analysis redraws the
                        // canvas, not 512 labels (the line below describes the focused unit).
                        view! {
                            <li><button data-testid="unit" data-layer=layer data-unit=u.to_string()
                                // Written as drawn; the effects below change only the buttons
                                // that change (not 512 bindings per click or focus).
                                tabindex=if tab_stop.get_untracked() == Some(u) { "0" } else { "-1" }
                                aria-pressed=s.intervention.selected.with_untracked(|v| v.contains(&u)).to_string()
                                aria-label=move || profile_label(&s, li, u) aria-describedby="unit-focus-text"
                                on:focus=move |_| s.intervention.focus.set(Some(u))
                                on:click=move |ev: leptos::ev::MouseEvent| toggle(s, u, ev.shift_key() || ev.ctrl_key())>
                                {u}
                            </button></li>
                        }
                    }).collect_view()
                }}
            </ul>
            <canvas node_ref=canvas id="unit-grid" class="grid" on:click=on_click aria-hidden="true"></canvas>
            <p class="focus-text" id="unit-focus-text" aria-live="polite">{move || match s.intervention.focus.get() {
                Some(u) => describe(&s, s.layer_index().unwrap_or(0), u),
                None => "Colour = the emotion a unit prefers. Click a unit to select it; shift-click adds.".into(),
            }}</p>
        </section>
    }
}
