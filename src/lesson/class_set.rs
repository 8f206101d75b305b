//! The teacher's view (`?class=1`) of the classroom experiment's numbers: several students'
//! worksheet JSON files read side by side, each file accepted or refused with its own reason,
//! and the class's table as CSV. Plain Rust, native-tested.

pub use super::class_run::{ClassSetRow, ClassSetRun};
use super::worksheet::Worksheet;
use crate::error::Failure;

/// Largest worksheet file the teacher's view reads.
pub const MAX_WORKSHEET_BYTES: usize = 2 * 1024 * 1024;

/// A student's worksheet, read from a dropped file, or why it was refused.
pub fn read_worksheet(name: &str, bytes: &[u8]) -> Result<Worksheet, Failure> {
    if bytes.len() > MAX_WORKSHEET_BYTES {
        return Err(Failure::bad_input(format!(
            "{name}: {} KB is too large for a worksheet (at most {} KB)",
            bytes.len() / 1024,
            MAX_WORKSHEET_BYTES / 1024
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Failure::bad_input(format!(
            "{name}: not a text file (export the worksheet as JSON)"
        ))
    })?;
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Failure::bad_input(format!(
            "{name}: not JSON ({e}); export the worksheet as JSON"
        ))
    })?;
    if v.get("lesson").is_none() || v.get("steps").is_none() {
        return Err(Failure::bad_input(format!(
            "{name}: JSON, but not an Emotion Neurons worksheet (no lesson and steps)"
        )));
    }
    serde_json::from_value(v)
        .map_err(|e| Failure::bad_input(format!("{name}: a damaged worksheet ({e})")))
}

/// The class's table: one row per student, the answers by step, and the classroom runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassTable {
    pub lesson: String,
    /// Step titles, in order (from the first worksheet).
    pub steps: Vec<String>,
    pub students: Vec<Worksheet>,
}

impl ClassTable {
    /// Merges worksheets; one of another lesson than the first is refused by name.
    pub fn merge(sheets: Vec<(String, Worksheet)>) -> (Self, Vec<String>) {
        let mut t = ClassTable::default();
        let mut refused = Vec::new();
        for (name, w) in sheets {
            if t.students.is_empty() {
                t.lesson = w.lesson.clone();
                t.steps = w.steps.iter().map(|s| s.title.clone()).collect();
            } else if w.steps.len() != t.steps.len() {
                refused.push(format!(
                    "{name}: a worksheet of another lesson ({} steps, not {})",
                    w.steps.len(),
                    t.steps.len()
                ));
                continue;
            }
            t.students.push(w);
        }
        (t, refused)
    }

    /// CSV: student, date, step answers, then per classroom run and emotion the F1 numbers.
    pub fn to_csv(&self) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut out = vec!["student".to_string(), "date".into()];
        out.extend(
            self.steps
                .iter()
                .enumerate()
                .map(|(i, s)| q(&format!("{}. {s}", i + 1))),
        );
        out.extend(
            [
                "model",
                "layer",
                "emotion",
                "units",
                "f1",
                "f1_lesion",
                "f1_random",
                "f1_enhance",
                "alpha",
            ]
            .map(String::from),
        );
        let mut csv = out.join(",") + "\n";
        for w in &self.students {
            let mut head = vec![q(&w.student), q(&w.date)];
            head.extend(w.steps.iter().map(|s| q(&s.answer)));
            let runs: Vec<String> = w
                .class_set
                .iter()
                .flat_map(|r| {
                    r.rows.iter().map(move |x| {
                        format!(
                            "{},{},{},{},{:.4},{:.4},{:.4},{:.4},{}",
                            q(&r.model),
                            q(&r.layer),
                            q(&x.emotion),
                            x.units,
                            x.f1,
                            x.f1_lesion,
                            x.f1_random,
                            x.f1_enhance,
                            x.alpha
                        )
                    })
                })
                .collect();
            if runs.is_empty() {
                csv += &(head.join(",") + &",".repeat(9) + "\n");
            }
            for r in runs {
                csv += &format!("{},{r}\n", head.join(","));
            }
        }
        csv
    }
}

#[cfg(test)]
mod tests;
