//! The guided lesson's current step: context, the thing to do, whether it is done (derived from
//! the store), the question and the student's answer; Back and Next. The last step offers the
//! worksheet. A mode of the same page (`?lesson=N`), beside the workbench.

use super::worksheet_export::WorksheetExport;
use crate::ui::lesson::{checks_now, label, open_file, record, save, with_step};
use crate::ui::store::use_store;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn LessonPanel() -> impl IntoView {
    let s = use_store();
    let l = s.lesson;
    let checks = Memo::new(move |_| checks_now(s));
    let steps = move || l.lesson.with(|x| x.as_ref().map_or(0, |x| x.steps.len()));
    // A step whose checks all hold is done, and stays done.
    Effect::new(move |_| {
        let (c, step) = (checks.get(), l.step.get());
        if step > 0 && c.iter().all(|x| *x) {
            l.done.update(|d| {
                if let Some(x) = d.get_mut(step - 1).filter(|x| !**x) {
                    *x = true;
                }
            });
        }
    });
    // Every readout the student sees in lesson mode is measured for the worksheet.
    Effect::new(move |_| {
        s.image.readout.track();
        if l.step.get_untracked() > 0 {
            record(s);
        }
    });
    let done = move || {
        l.done.with(|d| {
            d.get(l.step.get().wrapping_sub(1))
                .copied()
                .unwrap_or(false)
        })
    };
    let text = move |f: fn(&crate::lesson::Step) -> String| with_step(s, f).unwrap_or_default();
    let label = move |f: fn(&crate::lesson::Labels) -> String| label(s, f);
    let optional = move || with_step(s, |x| x.optional).unwrap_or(false);
    let last = move || l.step.get() >= steps();
    let answer = move || {
        l.answers.with(|a| {
            a.get(l.step.get().wrapping_sub(1))
                .cloned()
                .unwrap_or_default()
        })
    };
    let on_answer = move |ev| {
        let v = event_target_value(&ev);
        let i = l.step.get_untracked().wrapping_sub(1);
        l.answers.update(|a| {
            if let Some(x) = a.get_mut(i) {
                *x = v;
            }
        });
        save(s);
    };
    let go = move |d: isize| {
        l.step
            .update(|n| *n = (*n as isize + d).clamp(1, steps() as isize) as usize);
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(f) = input.files().and_then(|f| f.get(0)) {
            spawn_local(open_file(s, f));
        }
    };
    view! {
        <section class="lesson" data-testid="lesson-step" hidden=move || l.step.get() == 0
                 data-step=move || l.step.get().to_string() data-done=move || done().to_string()
                 lang=move || l.lesson.with(|x| x.as_ref().map(|x| x.lang.clone()).unwrap_or_default())
                 aria-labelledby="lesson-title">
            <div class="lesson-head">
                <h2 id="lesson-title">{move || text(|s| s.title.clone())}</h2>
                <span title=move || l.lesson.with(|x| x.as_ref().map(|x| x.title.clone()).unwrap_or_default())>
                    {move || format!("{} {} {} {}", label(|x| x.step.clone()), l.step.get(), label(|x| x.of.clone()), steps())}</span>
            </div>
            <p class="context">{move || text(|s| s.context.clone())}</p>
            <p class="task">{move || text(|s| s.task.clone())}</p>
            <label class="question">{move || text(|s| s.question.clone())}
                <textarea data-testid="lesson-answer" rows="2" prop:value=answer on:input=on_answer
                          placeholder=move || label(|x| x.answer.clone())></textarea>
            </label>
            <div class="controls lesson-nav">
                <button data-testid="lesson-back" on:click=move |_| go(-1) disabled=move || l.step.get() <= 1>{move || label(|x| x.back.clone())}</button>
                <button data-testid="lesson-next" class="primary" hidden=last on:click=move |_| go(1)
                        disabled=move || !done() && !optional()>
                    {move || if !done() && optional() { label(|x| x.skip.clone()) } else { label(|x| x.next.clone()) }}
                </button>
                <span class="check" data-testid="lesson-check" aria-live="polite" class:ok=done>
                    {move || if done() { format!("✓ {}", label(|x| x.done.clone())) } else { format!("○ {}", label(|x| x.todo.clone())) }}
                </span>
                <details class="teacher">
                    <summary>{move || label(|x| x.about.clone())}</summary>
                    <p class="hint">{move || l.lesson.with(|x| x.as_ref().map(|x| x.intro.clone()).unwrap_or_default())}</p>
                    <p class="hint">"The address bar holds this step, the model and an example image: share it to open the lesson there. "
                        "The lesson's text is a Markdown file (lessons/en.md in the source); open your own version here."</p>
                    <label>"Lesson file " <input type="file" accept=".md,text/markdown,text/plain" data-testid="lesson-file" on:change=on_file/></label>
                    " " <a href="?">{move || label(|x| x.exit.clone())}</a>
                </details>
            </div>
            <div hidden=move || !last()>
                <label>{move || label(|x| x.student.clone())} " "
                    <input type="text" data-testid="lesson-student" prop:value=move || l.student.get()
                           on:input=move |ev| { l.student.set(event_target_value(&ev)); save(s); }/></label>
                <WorksheetExport/>
            </div>
        </section>
    }
}
