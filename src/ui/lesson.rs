//! The guided lesson's page side: loading its text (built-in English, `lessons/<lang>.md`, or a
//! teacher's file), deriving each step's checks from the store, recording what the student
//! measures, and keeping answers in this browser's storage so a reload loses nothing.

use super::fetch::{fetch_text, query_param, read_file};
use super::session;
use super::store::{Mode, Store};
use crate::analysis::head::top_k;
use crate::error::Failure;
use crate::lesson::{self, Act, Facts, Labels, Lesson, Measure, Step};
use leptos::prelude::*;

/// Opens the lesson when the link asks for one (`?lesson=N[&lang=xx]`).
pub async fn start(store: Store) {
    let Some(step) = query_param("lesson") else {
        return;
    };
    let lang = query_param("lang").unwrap_or_else(|| "en".into());
    let lesson = match lesson::parse_lang(&lang) {
        Some(l) if l != "en" => match fetch_text(&format!("lessons/{l}.md"))
            .await
            .and_then(|t| lesson::parse(&t).map_err(|e| Failure::bad_input(e.to_string())))
        {
            Ok(x) => Some(x),
            Err(e) => {
                store.notice.set(format!(
                    "No lesson in `{l}` ({e}); showing the English one."
                ));
                None
            }
        },
        Some(_) => None,
        None => {
            store
                .notice
                .set(format!("Ignored the language `{lang}` in the link."));
            None
        }
    };
    let lesson = lesson.unwrap_or_else(|| lesson::parse(lesson::ENGLISH).expect("built in"));
    let n = lesson::parse_step(&step, lesson.steps.len()).unwrap_or_else(|| {
        store.notice.set(format!(
            "Ignored the lesson step `{step}`; starting at step 1."
        ));
        1
    });
    open(store, lesson, n);
}

/// Shows `lesson` at step `n`, with the answers this browser kept for it.
pub fn open(store: Store, lesson: Lesson, n: usize) {
    let l = store.lesson;
    let (answers, student) = restore(&lesson);
    l.answers.set(answers);
    l.student.set(student);
    l.done.set(vec![false; lesson.steps.len()]);
    l.step.set(n.clamp(1, lesson.steps.len()));
    l.lesson.set(Some(lesson));
}

/// A teacher's lesson file, picked in the panel: refused with its fault, the lesson in use kept.
pub async fn open_file(store: Store, file: web_sys::File) {
    let name = file.name();
    if file.size() > lesson::MAX_LESSON_BYTES as f64 {
        return store.fail(format!(
            "{name}: {}",
            lesson::LessonError::TooLarge(file.size() as usize)
        ));
    }
    match read_file(&file).await {
        Ok(bytes) => match lesson::parse_bytes(&bytes) {
            Ok(l) => {
                store.error.set(String::new());
                open(store, l, 1);
            }
            Err(e) => store.fail(format!("{name}: {e}. The lesson in use is kept.")),
        },
        Err(e) => store.fail(e),
    }
}

/// `f` of the current step, `None` without a lesson (reactive).
pub fn with_step<T>(store: Store, f: impl FnOnce(&Step) -> T) -> Option<T> {
    let step = store.lesson.step.get();
    store
        .lesson
        .lesson
        .with(|l| l.as_ref()?.steps.get(step.checked_sub(1)?).map(f))
}

/// One of the panel's words from the lesson file (reactive; empty without a lesson).
pub fn label(store: Store, f: fn(&Labels) -> String) -> String {
    store
        .lesson
        .lesson
        .with(|x| x.as_ref().map(|x| f(&x.labels)).unwrap_or_default())
}

/// Whether each of the current step's checks holds now (reactive: read inside a memo or effect).
pub fn checks_now(store: Store) -> Vec<bool> {
    let Some(checks) = with_step(store, |s| s.checks.clone()) else {
        return Vec::new();
    };
    let _ = store.net.model.get();
    let trained = session::model(store).is_none_or(|(e, _)| e.trained);
    let image = !store.image.name.get().is_empty() && store.image.readout.get().is_some();
    let layer = store.intervention.layer.get();
    let last_layer = store
        .net
        .layers
        .with(|ls| ls.last().is_some_and(|(l, _)| *l == layer));
    let top = store
        .image
        .baseline
        .get()
        .or(store.image.readout.get())
        .and_then(|b| top_k(&b, 1).first().copied());
    let preferred = store.intervention.focus.get().and_then(|u| {
        let li = store.layer_index()?;
        store
            .profile
            .units
            .with(|p| p.get(li)?.get(u).map(|s| s.preferred))
    });
    let focus_prefers_top = top.is_some() && preferred == top;
    let experiment_rows = store.experiment.rows.with(|r| r.len());
    let class_set = store.classroom.outcome.with(|o| o.is_some());
    let emotion_map = store.image.emotion_maps.with(|m| m.is_some());
    let reference = store.tab.get() == crate::ui::store::Tab::Experiment;
    store.lesson.measures.with(|measures| {
        let facts = Facts {
            image,
            last_layer,
            focus_prefers_top,
            trained,
            experiment_rows,
            class_set,
            emotion_map,
            reference,
            measures,
        };
        checks.iter().map(|c| c.done(&facts)).collect()
    })
}

/// Records the readout just shown (call when a new one lands, in lesson mode).
pub fn record(store: Store) {
    let step = store.lesson.step.get_untracked();
    let Some(readout) = store.image.readout.get_untracked() else {
        return;
    };
    if step == 0 {
        return;
    }
    let units = store.intervention.selected.get_untracked().len();
    let act = match (units, store.intervention.mode.get_untracked()) {
        (0, _) => Act::None,
        (_, Mode::Lesion) => Act::Lesion,
        (_, Mode::Enhance) => Act::Enhance,
    };
    let classes = store.profile.classes.get_untracked();
    let selective = store.layer_index().map_or(Vec::new(), |li| {
        store.profile.units.with_untracked(|p| {
            let layer = p.get(li).map(|v| v.as_slice()).unwrap_or(&[]);
            (0..classes.len())
                .map(|c| {
                    layer
                        .iter()
                        .filter(|u| u.selected && u.preferred == c)
                        .count()
                })
                .collect()
        })
    });
    let m = Measure {
        step,
        model: store.net.model.get_untracked(),
        trained: session::model(store).is_none_or(|(e, _)| e.trained),
        image: store.image.name.get_untracked(),
        layer: store.intervention.layer.get_untracked(),
        selection: if units == 0 {
            lesson::Selection::None
        } else {
            store.intervention.selection.get_untracked()
        },
        units,
        act,
        alpha: if act == Act::Enhance {
            store.intervention.alpha.get_untracked()
        } else {
            0.0
        },
        baseline: store
            .image
            .baseline
            .get_untracked()
            .unwrap_or(readout.clone()),
        readout,
        classes,
        selective,
    };
    store.lesson.measures.update(|l| Measure::record(l, m));
}

fn key(lesson: &Lesson) -> String {
    format!("emotion-neurons-lesson:{}:{}", lesson.lang, lesson.title)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Keeps the answers and name in this browser (never sent anywhere).
pub fn save(store: Store) {
    let Some(key) = store.lesson.lesson.with_untracked(|l| l.as_ref().map(key)) else {
        return;
    };
    let v = serde_json::json!({
        "answers": store.lesson.answers.get_untracked(),
        "student": store.lesson.student.get_untracked(),
    });
    if let Some(s) = storage() {
        let _ = s.set_item(&key, &v.to_string());
    }
}

fn restore(lesson: &Lesson) -> (Vec<String>, String) {
    let mut answers = vec![String::new(); lesson.steps.len()];
    let saved = storage()
        .and_then(|s| s.get_item(&key(lesson)).ok().flatten())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let Some(v) = saved else {
        return (answers, String::new());
    };
    if let Some(a) = v["answers"].as_array() {
        for (slot, x) in answers.iter_mut().zip(a) {
            *slot = x.as_str().unwrap_or_default().to_string();
        }
    }
    (
        answers,
        v["student"].as_str().unwrap_or_default().to_string(),
    )
}
