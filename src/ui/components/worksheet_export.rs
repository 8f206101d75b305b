//! The lesson's worksheet: answers, image names (never the images) and the measured readouts,
//! as printable HTML, as JSON, or straight to the browser's print dialog (save as PDF there).

use crate::lesson::Worksheet;
use crate::ui::download::download;
use crate::ui::lesson::label;
use crate::ui::store::{use_store, Store};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

fn now() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The worksheet as the store has it now.
pub fn worksheet(s: Store) -> Option<Worksheet> {
    let l = s.lesson;
    l.lesson.with_untracked(|x| {
        x.as_ref().map(|lesson| {
            Worksheet::build(
                lesson,
                &l.student.get_untracked(),
                &now(),
                &l.answers.get_untracked(),
                &l.done.get_untracked(),
                &l.measures.get_untracked(),
                &s.classroom.runs.get_untracked(),
            )
        })
    })
}

fn labels(s: Store) -> (String, String) {
    s.lesson.lesson.with_untracked(|x| {
        x.as_ref().map_or_else(Default::default, |x| {
            (x.labels.measured.clone(), x.labels.answer.clone())
        })
    })
}

/// Prints `html` from a hidden frame (the visitor's print dialog can save a PDF).
fn print(html: &str) -> Result<(), crate::error::Failure> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let frame: web_sys::HtmlIFrameElement = doc
        .create_element("iframe")
        .map_err(|_| "cannot print")?
        .unchecked_into();
    frame.set_srcdoc(html);
    let _ = frame.set_attribute("style", "position:fixed;width:0;height:0;border:0");
    let _ = frame.set_attribute("title", "worksheet");
    let on_load = wasm_bindgen::closure::Closure::once_into_js(move |ev: web_sys::Event| {
        if let Some(w) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlIFrameElement>().ok())
            .and_then(|f| f.content_window())
        {
            let _ = w.print();
        }
    });
    frame.set_onload(Some(on_load.unchecked_ref()));
    doc.body()
        .ok_or("no page body")?
        .append_child(&frame)
        .map_err(|_| "cannot print")?;
    Ok(())
}

#[component]
pub fn WorksheetExport() -> impl IntoView {
    let s = use_store();
    let run = move |what: u8| {
        let Some(w) = worksheet(s) else { return };
        let (measured, answer) = labels(s);
        let r = match what {
            0 => download(
                "emotion-neurons-worksheet.html",
                "text/html",
                &w.to_html(&measured, &answer),
            ),
            1 => download(
                "emotion-neurons-worksheet.json",
                "application/json",
                &w.to_json(),
            ),
            _ => print(&w.to_html(&measured, &answer)),
        };
        if let Err(e) = r {
            s.fail(e);
        }
    };
    let label = move |f: fn(&crate::lesson::Labels) -> String| label(s, f);
    view! {
        <div class="controls worksheet">
            <button data-testid="worksheet" class="primary" on:click=move |_| run(0)>{move || label(|x| x.worksheet.clone())}</button>
            <button data-testid="worksheet-json" on:click=move |_| run(1)>{move || label(|x| x.worksheet_json.clone())}</button>
            <button data-testid="worksheet-print" on:click=move |_| run(2)>{move || label(|x| x.print.clone())}</button>
        </div>
    }
}
