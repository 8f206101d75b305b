//! The worksheet a student hands in: each step's question, their answer and what they measured,
//! as one printable HTML page and as JSON. Images appear by name only, never their pixels.

use super::class_run::ClassSetRun;
use super::{Lesson, Measure};
use serde::{Deserialize, Serialize};

/// Everything the worksheet shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Worksheet {
    pub lesson: String,
    pub lang: String,
    pub student: String,
    /// When it was exported (the page's local date and time).
    pub date: String,
    pub steps: Vec<WorksheetStep>,
    /// The classroom experiment's runs (set-level F1), newest last.
    #[serde(default)]
    pub class_set: Vec<ClassSetRun>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorksheetStep {
    pub number: usize,
    pub title: String,
    pub question: String,
    pub answer: String,
    /// Whether the step's action was done (its checks held).
    pub done: bool,
    /// The readouts measured during this step, in the order they were made.
    pub measures: Vec<Measure>,
}

impl Worksheet {
    /// Assembles the worksheet; `answers[i]` and `done[i]` belong to step `i + 1`.
    pub fn build(
        lesson: &Lesson,
        student: &str,
        date: &str,
        answers: &[String],
        done: &[bool],
        measures: &[Measure],
        class_set: &[ClassSetRun],
    ) -> Self {
        let steps = lesson
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| WorksheetStep {
                number: i + 1,
                title: s.title.clone(),
                question: s.question.clone(),
                answer: answers.get(i).cloned().unwrap_or_default(),
                done: done.get(i).copied().unwrap_or(false),
                measures: measures
                    .iter()
                    .filter(|m| m.step == i + 1)
                    .cloned()
                    .collect(),
            })
            .collect();
        Self {
            lesson: lesson.title.clone(),
            lang: lesson.lang.clone(),
            student: student.trim().to_string(),
            date: date.to_string(),
            steps,
            class_set: class_set.to_vec(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a worksheet serialises")
    }

    /// One self-contained, printable page (no scripts, no outside resources).
    pub fn to_html(&self, measured: &str, answer: &str) -> String {
        let mut h = String::new();
        h += &format!(
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{STYLE}</style></head><body>\n",
            esc(&self.lang),
            esc(&self.lesson)
        );
        h += &format!(
            "<h1>{}</h1>\n<p class=\"who\">{} · {}</p>\n",
            esc(&self.lesson),
            esc(&self.student),
            esc(&self.date)
        );
        for s in &self.steps {
            h += &format!(
                "<section><h2>{}. {}{}</h2>\n<p class=\"q\">{}</p>\n<p class=\"a\"><b>{}:</b> {}</p>\n",
                s.number,
                esc(&s.title),
                if s.done { " ✓" } else { "" },
                esc(&s.question),
                esc(answer),
                if s.answer.trim().is_empty() { "—".to_string() } else { esc(&s.answer).replace('\n', "<br>") }
            );
            if !s.measures.is_empty() {
                h += &measures_table(&s.measures, measured);
            }
            h += "</section>\n";
        }
        if !self.class_set.is_empty() {
            h += &class_set_table(&self.class_set);
        }
        h += "<p class=\"src\">Emotion Neurons, after Liu, Bo, Ding &amp; Fang (2024), PLOS Computational Biology. Images are named, not included.</p>\n</body></html>\n";
        h
    }
}

const STYLE: &str = "body{font:11pt/1.4 system-ui,sans-serif;max-width:48rem;margin:1.5rem auto;color:#1d2330}h1{font-size:1.4em;margin:0}h2{font-size:1.05em;margin:.9em 0 .2em}.who,.src{color:#5b6475}.q{margin:.2em 0;font-style:italic}.a{margin:.2em 0}table{border-collapse:collapse;font-size:.85em;margin:.3em 0}th,td{border-bottom:1px solid #ccc;padding:.1em .5em;text-align:left;font-variant-numeric:tabular-nums}section{break-inside:avoid}@media print{body{margin:0}}";

fn measures_table(ms: &[Measure], measured: &str) -> String {
    let classes = &ms[0].classes;
    let mut t = format!("<table><caption>{}</caption><thead><tr><th>Image</th><th>Model</th><th>Layer</th><th>Intervention</th>", esc(measured));
    for c in classes {
        t += &format!("<th>{}</th>", esc(c));
    }
    t += &format!(
        "<th>Selective units ({})</th></tr></thead><tbody>\n",
        classes
            .iter()
            .map(|c| esc(c))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    for m in ms {
        t += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&m.image),
            esc(&m.model),
            esc(&m.layer),
            esc(&m.describe())
        );
        for (i, p) in m.readout.iter().enumerate() {
            let delta = m
                .baseline
                .get(i)
                .map(|b| 100.0 * (p - b))
                .filter(|d| d.abs() >= 0.05);
            t += &format!(
                "<td>{:.1}%{}</td>",
                100.0 * p,
                delta.map(|d| format!(" ({d:+.1})")).unwrap_or_default()
            );
        }
        let sel: Vec<String> = m.selective.iter().map(|n| n.to_string()).collect();
        t += &format!("<td>{}</td></tr>\n", sel.join(" / "));
    }
    t + "</tbody></table>\n"
}

fn class_set_table(runs: &[ClassSetRun]) -> String {
    let mut t = String::from(
        "<section><h2>Classroom set: F1 before and after lesions</h2>\n<table><thead><tr><th>Model</th><th>Layer</th><th>Emotion</th><th>Units</th><th>F1 before</th><th>Selective lesioned</th><th>Random lesioned</th><th>Selective enhanced (α)</th></tr></thead><tbody>\n",
    );
    for r in runs {
        for x in &r.rows {
            t += &format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2} (α = {})</td></tr>\n",
                esc(&r.model), esc(&r.layer), esc(&x.emotion), x.units, x.f1, x.f1_lesion, x.f1_random,
                x.f1_enhance, x.alpha
            );
        }
    }
    t + "</tbody></table></section>\n"
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::super::check::tests::m;
    use super::super::{parse, Act, Selection, ENGLISH};
    use super::*;

    #[test]
    fn steps_get_their_answers_and_measures() {
        let lesson = parse(ENGLISH).unwrap();
        let mut lesion = m(Selection::Selective, Act::Lesion, 20, 0.0);
        lesion.image = "<script>.png".into();
        let answers = vec![
            "pleasant".to_string(),
            String::new(),
            "it <fell> & rose".into(),
        ];
        let w = Worksheet::build(
            &lesson,
            " Ada ",
            "2026-12-01 10:00",
            &answers,
            &[true, true, true],
            &[lesion],
            &[],
        );
        assert_eq!(w.student, "Ada");
        assert_eq!(w.steps.len(), 6);
        assert_eq!(w.steps[2].measures.len(), 1, "measured in step 3");
        assert!(w.steps[0].measures.is_empty() && w.steps[0].done && !w.steps[3].done);
        assert_eq!(w.steps[2].answer, "it <fell> & rose");
        let back: Worksheet = serde_json::from_str(&w.to_json()).unwrap();
        assert_eq!(back, w);
        let html = w.to_html("Measured", "Answer");
        assert!(html.contains("it &lt;fell&gt; &amp; rose"));
        assert!(html.contains("&lt;script&gt;.png") && !html.contains("<script"));
        // 50.0 % with a change of −10.0 points from 60 %; 20.0 % up 10.0 from 10 %.
        assert!(
            html.contains("<td>50.0% (-10.0)</td><td>30.0%</td><td>20.0% (+10.0)</td>"),
            "{html}"
        );
        assert!(html.contains("<td>lesion 20 selective units</td>"));
        assert!(html.contains("<th>Selective units (pleasant / neutral / unpleasant)</th>"));
        assert!(html.contains("<td>100 / 120 / 90</td></tr>"), "{html}");
    }
}
