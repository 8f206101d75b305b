//! The guided lesson (`?lesson=N`): its text, read from a Markdown data file
//! (`static/lessons/<lang>.md`, so a teacher can adapt it and a translation is a new file), the
//! checks that unlock each step, the measurements taken along the way and the worksheet a
//! student hands in. Plain Rust: no DOM, native-tested; the page's `LessonPanel` renders it.

mod check;
pub mod class_run;
pub mod class_set;
mod parse;
mod worksheet;

pub use check::{Act, Check, Facts, Measure, Selection};
pub use parse::{parse, parse_bytes, LessonError, MAX_LESSON_BYTES};
pub use worksheet::{Worksheet, WorksheetStep};

/// The English lesson, built in (other languages and teachers' versions are fetched or picked).
pub const ENGLISH: &str = include_str!("../../static/lessons/en.md");

/// A whole lesson: its words and its steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// `lang` from the front matter (`en`, `fr`, …): the page's `lang` for the lesson's text.
    pub lang: String,
    pub title: String,
    /// Shown above step 1.
    pub intro: String,
    pub steps: Vec<Step>,
    /// The panel's own words, from the front matter (English when a key is absent).
    pub labels: Labels,
}

/// One step: one sentence of context, one thing to do, one question.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    pub context: String,
    pub task: String,
    pub question: String,
    /// All must hold before the next step unlocks.
    pub checks: Vec<Check>,
    /// An optional step can be skipped (it needs a labelled set, for example).
    pub optional: bool,
}

/// The lesson panel's fixed words, translatable in the front matter.
#[derive(Clone, Debug, PartialEq)]
pub struct Labels {
    pub step: String,
    pub of: String,
    pub next: String,
    pub back: String,
    pub skip: String,
    pub finish: String,
    pub todo: String,
    pub done: String,
    pub answer: String,
    pub student: String,
    pub worksheet: String,
    pub worksheet_json: String,
    pub print: String,
    pub measured: String,
    pub exit: String,
    pub about: String,
}

impl Default for Labels {
    fn default() -> Self {
        let s = |x: &str| x.to_string();
        Self {
            step: s("Step"),
            of: s("of"),
            next: s("Next step"),
            back: s("Back"),
            skip: s("Skip this step"),
            finish: s("Finish"),
            todo: s("Not done yet: do the step above to unlock the next one."),
            done: s("Done. Answer the question, then go on."),
            answer: s("Your answer"),
            student: s("Your name"),
            worksheet: s("Worksheet (HTML)"),
            worksheet_json: s("Worksheet (JSON)"),
            print: s("Print or save as PDF"),
            measured: s("Measured"),
            exit: s("Leave the lesson"),
            about: s("About this lesson"),
        }
    }
}

impl Labels {
    /// The field for front-matter `key`, if it is one.
    pub(crate) fn field(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "step" => &mut self.step,
            "of" => &mut self.of,
            "next" => &mut self.next,
            "back" => &mut self.back,
            "skip" => &mut self.skip,
            "finish" => &mut self.finish,
            "todo" => &mut self.todo,
            "done" => &mut self.done,
            "answer" => &mut self.answer,
            "student" => &mut self.student,
            "worksheet" => &mut self.worksheet,
            "worksheet-json" => &mut self.worksheet_json,
            "print" => &mut self.print,
            "measured" => &mut self.measured,
            "exit" => &mut self.exit,
            "about" => &mut self.about,
            _ => return None,
        })
    }
}

/// `lang=` from a link: a language tag such as `en`, `fr` or `pt-br` (it names a file).
pub fn parse_lang(text: &str) -> Option<String> {
    let ok = (2..=12).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        && !text.starts_with('-');
    ok.then(|| text.to_string())
}

/// `lesson=` from a link: the step, 1-based, clamped to the lesson's length (`1` opens it).
pub fn parse_step(text: &str, steps: usize) -> Option<usize> {
    let n = text.trim().parse::<usize>().ok()?;
    (n >= 1).then(|| n.min(steps.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_lessons_parse() {
        let en = parse(ENGLISH).unwrap();
        assert_eq!(en.lang, "en");
        assert_eq!(en.steps.len(), 6);
        // The classroom set makes every step doable without a labelled set of one's own.
        assert!(en.steps.iter().all(|s| !s.optional));
        assert_eq!(en.steps[2].checks, vec![Check::ClassSet]);
        assert!(en.steps[1].checks.contains(&Check::EmotionMap));
        assert_eq!(en.steps[5].checks, vec![Check::Reference]);
        assert!(en
            .steps
            .iter()
            .all(|s| !s.task.is_empty() && !s.question.is_empty()));
        let fr = parse(include_str!("../../static/lessons/fr.md")).unwrap();
        assert_eq!(fr.lang, "fr");
        assert_eq!(fr.steps.len(), en.steps.len());
        let checks = |l: &Lesson| l.steps.iter().map(|s| s.checks.clone()).collect::<Vec<_>>();
        assert_eq!(checks(&fr), checks(&en), "a translation keeps the checks");
        assert_ne!(fr.labels.next, en.labels.next);
    }

    #[test]
    fn link_values() {
        assert_eq!(parse_lang("fr").as_deref(), Some("fr"));
        assert_eq!(parse_lang("pt-br").as_deref(), Some("pt-br"));
        for bad in ["", "e", "../x", "EN", "-x", "fr.md", "abcdefghijklm"] {
            assert_eq!(parse_lang(bad), None, "{bad}");
        }
        assert_eq!(parse_step("1", 6), Some(1));
        assert_eq!(parse_step("4", 6), Some(4));
        assert_eq!(parse_step("99", 6), Some(6));
        assert_eq!(parse_step("0", 6), None);
        assert_eq!(parse_step("x", 6), None);
    }
}
