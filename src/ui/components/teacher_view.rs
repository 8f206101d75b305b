//! The teacher's view (`?class=1`): drop the students' worksheet JSON files (several at once;
//! they are read in this tab and never uploaded) and see the class's answers and classroom-set
//! numbers side by side, with a CSV export. Each bad or foreign file gets its own message.

use crate::lesson::class_set::{read_worksheet, ClassTable};
use crate::ui::download::download;
use crate::ui::fetch::read_file;
use leptos::prelude::*;
use leptos::task::spawn_local;

fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

#[component]
pub fn TeacherView() -> impl IntoView {
    let sheets = RwSignal::new(Vec::new());
    let refused: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let table = Memo::new(move |_| ClassTable::merge(sheets.get()));
    let take = move |files: Vec<web_sys::File>| {
        spawn_local(async move {
            let mut bad = Vec::new();
            let mut got = sheets.get_untracked();
            for f in files {
                let name = f.name();
                match read_file(&f)
                    .await
                    .map_err(|e| e.context(&name))
                    .and_then(|b| read_worksheet(&name, &b))
                {
                    Ok(w) => got.push((name, w)),
                    Err(e) => bad.push(e.message),
                }
            }
            sheets.set(got);
            refused.set(bad);
        })
    };
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        take(files_of(input.files()));
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        take(files_of(ev.data_transfer().and_then(|d| d.files())));
    };
    let save = move |_| {
        let (t, _) = table.get_untracked();
        let _ = download("class-worksheets.csv", "text/csv", &t.to_csv());
    };
    let all_refused = move || {
        let mut r = refused.get();
        r.extend(table.get().1);
        r
    };
    view! {
        <main class="teacher">
            <h1>"Emotion Neurons: the class's worksheets"</h1>
            <section class="card drop" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
                <label class="file-button">"Choose worksheet files…"
                    <input type="file" multiple accept=".json,application/json" data-testid="class-files" on:change=on_change/></label>
                <p class="hint">"or drop them here: the JSON worksheets the students saved at the end of the lesson. They are read in this tab; nothing is uploaded."</p>
                <button on:click=move |_| { sheets.set(Vec::new()); refused.set(Vec::new()); }>"Start again"</button>
                <button data-testid="class-csv" on:click=save disabled=move || table.get().0.students.is_empty()>"Class table (CSV)"</button>
            </section>
            <ul class="error" data-testid="class-refused" hidden=move || all_refused().is_empty()>
                {move || all_refused().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
            </ul>
            {move || {
                let (t, _) = table.get();
                (!t.students.is_empty()).then(|| view! {
                    <p>{format!("{} worksheets of “{}”.", t.students.len(), t.lesson)}</p>
                    <div class="scroll">
                    <table data-testid="class-table">
                        <thead><tr><th>"Student"</th>
                            {t.steps.iter().enumerate().map(|(i, s)| view! { <th>{format!("{}. {s}", i + 1)}</th> }).collect_view()}
                            <th>"Classroom set: F1 before → selective lesion / random lesion"</th></tr></thead>
                        <tbody>{t.students.iter().map(|w| view! {
                            <tr data-testid="class-student" data-student=w.student.clone()>
                                <td>{w.student.clone()}<br/><small>{w.date.clone()}</small></td>
                                {w.steps.iter().map(|s| view! { <td class:done=s.done>{s.answer.clone()}</td> }).collect_view()}
                                <td>{w.class_set.iter().flat_map(|r| r.rows.iter().map(move |x| format!(
                                    "{} {} {}: {:.2} → {:.2} / {:.2}", r.model, r.layer, x.emotion, x.f1, x.f1_lesion, x.f1_random)))
                                    .map(|l| view! { <div>{l}</div> }).collect_view()}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                    </div>
                })
            }}
        </main>
    }
}
