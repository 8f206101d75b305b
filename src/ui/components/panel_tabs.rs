//! The panels below the workbench, one open at a time: unit detail, the layer responses, the
//! profile's charts, profiling a set, the experiment and export. Arrow keys move between tabs
//! (the WAI-ARIA tabs pattern); focusing a unit on the grid opens its detail.

use super::{
    ClassroomExperiment, DatasetProfiler, ExperimentPanel, ExportPanel, LayerSummary,
    ProfileOverview, ReferenceResults, UnitDetail,
};
use crate::ui::store::{use_store, Tab};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

const TABS: [(Tab, &str, &str); 6] = [
    (Tab::Unit, "unit", "Unit detail"),
    (Tab::Responses, "responses", "Layer responses"),
    (Tab::Profile, "profile", "Profile charts"),
    (Tab::ProfileSet, "profile-set", "Profile a set"),
    (Tab::Experiment, "experiment", "Experiment"),
    (Tab::Export, "export", "Export"),
];

fn focus_tab(id: &str) {
    if let Some(e) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("tab-{id}")))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = e.focus();
    }
}

#[component]
pub fn PanelTabs() -> impl IntoView {
    let s = use_store();
    Effect::new(move |prev: Option<Option<usize>>| {
        let f = s.intervention.focus.get();
        if prev.is_some() && f.is_some() && prev != Some(f) {
            s.tab.set(Tab::Unit);
        }
        f
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let i = TABS
            .iter()
            .position(|t| t.0 == s.tab.get_untracked())
            .unwrap_or(0);
        let j = match ev.key().as_str() {
            "ArrowRight" => (i + 1) % TABS.len(),
            "ArrowLeft" => (i + TABS.len() - 1) % TABS.len(),
            "Home" => 0,
            "End" => TABS.len() - 1,
            _ => return,
        };
        ev.prevent_default();
        s.tab.set(TABS[j].0);
        focus_tab(TABS[j].1);
    };
    let panel = move |tab: Tab, id: &'static str, body: AnyView| {
        view! {
            <div role="tabpanel" id=format!("panel-{id}") aria-labelledby=format!("tab-{id}")
                 hidden=move || s.tab.get() != tab>{body}</div>
        }
    };
    view! {
        <section class="panels">
            <div role="tablist" aria-label="More about this network" class="tabs" on:keydown=on_key>
                {TABS.iter().map(|&(tab, id, label)| view! {
                    <button role="tab" id=format!("tab-{id}") data-testid=format!("tab-{id}")
                            aria-controls=format!("panel-{id}")
                            aria-selected=move || (s.tab.get() == tab).to_string()
                            tabindex=move || if s.tab.get() == tab { "0" } else { "-1" }
                            on:click=move |_| s.tab.set(tab)>{label}</button>
                }).collect_view()}
            </div>
            {panel(Tab::Unit, "unit", view! {
                <p class="hint" hidden=move || s.intervention.focus.get().is_some()>"Click a unit in the grid to see its tuning, its map and the images that drive it most."</p>
                <UnitDetail/>
            }.into_any())}
            {panel(Tab::Responses, "responses", view! { <LayerSummary/> }.into_any())}
            {panel(Tab::Profile, "profile", view! { <ProfileOverview/> }.into_any())}
            {panel(Tab::ProfileSet, "profile-set", view! { <DatasetProfiler/> }.into_any())}
            {panel(Tab::Experiment, "experiment", view! { <ClassroomExperiment/><ReferenceResults/><ExperimentPanel/> }.into_any())}
            {panel(Tab::Export, "export", view! { <ExportPanel/> }.into_any())}
        </section>
    }
}
