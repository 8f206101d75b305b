//! Reading a lesson file: a front matter of `key: value` lines between `---` fences (`lang`,
//! `title` and the panel's words), an introduction, then one `## Title` section per step with
//! `check:` and `optional:` lines, a context paragraph, a `Do:` paragraph and an `Ask:`
//! paragraph. `<!-- … -->` comments are skipped. Every fault names its line.

use super::{Check, Labels, Lesson, Step};

/// A lesson file larger than this is refused unread (the built-in one is about 4 KB).
pub const MAX_LESSON_BYTES: usize = 256 * 1024;

/// Why a lesson file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LessonError {
    #[error("the lesson file is {0} bytes; the limit is {MAX_LESSON_BYTES}")]
    TooLarge(usize),
    #[error("the lesson file is not UTF-8 text")]
    NotText,
    #[error("a lesson file starts with a `---` line (its front matter)")]
    NoFrontMatter,
    #[error("the front matter has no closing `---` line")]
    UnclosedFrontMatter,
    #[error("line {line}: expected `key: value` in the front matter")]
    BadLine { line: usize },
    #[error("line {line}: unknown front-matter key `{key}`")]
    UnknownKey { line: usize, key: String },
    #[error("line {line}: `lang` must be a language tag such as `en` or `pt-br`")]
    BadLang { line: usize },
    #[error("the front matter needs `{0}`")]
    Missing(&'static str),
    #[error("the lesson has no steps (a step starts with a `## ` line)")]
    NoSteps,
    #[error("the lesson has {0} steps; at most 20")]
    TooManySteps(usize),
    #[error("line {line}: unknown check `{name}` (known: {known})")]
    UnknownCheck {
        line: usize,
        name: String,
        known: String,
    },
    #[error("line {line}: `optional` is `yes` or `no`")]
    BadOptional { line: usize },
    #[error("step {step} (line {line}) has no `{part}` paragraph")]
    MissingPart {
        step: usize,
        line: usize,
        part: &'static str,
    },
    #[error("line {line}: step {step} already has a `{part}` paragraph")]
    Duplicate {
        step: usize,
        line: usize,
        part: &'static str,
    },
}

/// Numbered lines of a section.
type Lines<'a> = Vec<(usize, &'a str)>;

/// Parses a lesson file's bytes (see the module's doc for the format).
pub fn parse_bytes(bytes: &[u8]) -> Result<Lesson, LessonError> {
    if bytes.len() > MAX_LESSON_BYTES {
        return Err(LessonError::TooLarge(bytes.len()));
    }
    parse(std::str::from_utf8(bytes).map_err(|_| LessonError::NotText)?)
}

/// Parses a lesson file.
pub fn parse(text: &str) -> Result<Lesson, LessonError> {
    if text.len() > MAX_LESSON_BYTES {
        return Err(LessonError::TooLarge(text.len()));
    }
    let lines: Vec<(usize, &str)> = uncommented(text);
    let mut it = lines.iter().skip_while(|(_, l)| l.trim().is_empty());
    if it.next().map(|(_, l)| l.trim()) != Some("---") {
        return Err(LessonError::NoFrontMatter);
    }
    let (mut lang, mut title, mut labels) = (None, None, Labels::default());
    let mut closed = false;
    for &(n, line) in it.by_ref() {
        let line = line.trim();
        if line == "---" {
            closed = true;
            break;
        }
        if line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or(LessonError::BadLine { line: n })?;
        let (key, value) = (key.trim(), value.trim().to_string());
        match key {
            "lang" => {
                lang = Some(super::parse_lang(&value).ok_or(LessonError::BadLang { line: n })?)
            }
            "title" => title = Some(value),
            _ => match labels.field(key) {
                Some(f) => *f = value,
                None => {
                    return Err(LessonError::UnknownKey {
                        line: n,
                        key: key.into(),
                    })
                }
            },
        }
    }
    if !closed {
        return Err(LessonError::UnclosedFrontMatter);
    }
    let body: Vec<(usize, &str)> = it.copied().collect();
    let mut intro = Vec::new();
    let mut steps: Vec<(usize, String, Lines)> = Vec::new();
    for &(n, line) in &body {
        if let Some(t) = line.strip_prefix("## ") {
            steps.push((n, t.trim().to_string(), Vec::new()));
        } else if let Some(s) = steps.last_mut() {
            s.2.push((n, line));
        } else {
            intro.push((n, line));
        }
    }
    if steps.is_empty() {
        return Err(LessonError::NoSteps);
    }
    if steps.len() > 20 {
        return Err(LessonError::TooManySteps(steps.len()));
    }
    let steps = steps
        .into_iter()
        .enumerate()
        .map(|(i, (line, title, body))| step(i + 1, line, title, &body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Lesson {
        lang: lang.ok_or(LessonError::Missing("lang"))?,
        title: title.ok_or(LessonError::Missing("title"))?,
        intro: paragraphs(&intro)
            .into_iter()
            .map(|p| p.1)
            .collect::<Vec<_>>()
            .join("\n\n"),
        steps,
        labels,
    })
}

/// Lines numbered from 1, without `<!-- … -->` comments (which may span lines).
fn uncommented(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut in_comment = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if in_comment || t.starts_with("<!--") {
            in_comment = !t.ends_with("-->");
        } else {
            out.push((i + 1, line));
        }
    }
    out
}

/// Blank-line-separated paragraphs, joined into one line each, with their first line number.
fn paragraphs(lines: &[(usize, &str)]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for &(n, line) in lines {
        let t = line.trim();
        if t.is_empty() {
            open = false;
        } else if open {
            let p = out.last_mut().expect("an open paragraph");
            p.1.push(' ');
            p.1.push_str(t);
        } else {
            out.push((n, t.to_string()));
            open = true;
        }
    }
    out
}

fn step(
    number: usize,
    line: usize,
    title: String,
    body: &[(usize, &str)],
) -> Result<Step, LessonError> {
    let (mut checks, mut optional) = (Vec::new(), false);
    let (mut context, mut task, mut question) = (None, None, None);
    // `check:` and `optional:` are lines of their own; the rest forms paragraphs.
    let mut text = Vec::new();
    for &(n, line) in body {
        let t = line.trim();
        if let Some(list) = t.strip_prefix("check:") {
            for name in list.split(',').map(str::trim).filter(|x| !x.is_empty()) {
                checks.push(Check::parse(name).ok_or_else(|| LessonError::UnknownCheck {
                    line: n,
                    name: name.into(),
                    known: Check::NAMES.join(", "),
                })?);
            }
            text.push((n, ""));
        } else if let Some(v) = t.strip_prefix("optional:") {
            optional = match v.trim() {
                "yes" => true,
                "no" => false,
                _ => return Err(LessonError::BadOptional { line: n }),
            };
            text.push((n, ""));
        } else {
            text.push((n, line));
        }
    }
    for (n, p) in paragraphs(&text) {
        let set = |slot: &mut Option<String>, part: &'static str, text: &str| {
            if slot.is_some() {
                return Err(LessonError::Duplicate {
                    step: number,
                    line: n,
                    part,
                });
            }
            *slot = Some(text.trim().to_string());
            Ok(())
        };
        if let Some(t) = p.strip_prefix("Do:") {
            set(&mut task, "Do:", t)?;
        } else if let Some(t) = p.strip_prefix("Ask:") {
            set(&mut question, "Ask:", t)?;
        } else {
            set(&mut context, "context", &p)?;
        }
    }
    let missing = |part| LessonError::MissingPart {
        step: number,
        line,
        part,
    };
    Ok(Step {
        title,
        context: context.unwrap_or_default(),
        task: task.ok_or_else(|| missing("Do:"))?,
        question: question.ok_or_else(|| missing("Ask:"))?,
        checks,
        optional,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "<!-- for teachers:\n  the format -->\n---\nlang: en\ntitle: T\nnext: Onward\n---\nHello\nthere.\n\n## One\ncheck: image, last-layer\n\nWhy.\n\nDo: this\nnow.\n\nAsk: what?\n\n## Two\noptional: yes\n\nDo: x\n\nAsk: y\n";

    #[test]
    fn reads_front_matter_intro_and_steps() {
        let l = parse(GOOD).unwrap();
        assert_eq!((l.lang.as_str(), l.title.as_str()), ("en", "T"));
        assert_eq!(l.labels.next, "Onward");
        assert_eq!(l.labels.back, Labels::default().back);
        assert_eq!(l.intro, "Hello there.");
        assert_eq!(l.steps.len(), 2);
        let s = &l.steps[0];
        assert_eq!((s.title.as_str(), s.context.as_str()), ("One", "Why."));
        assert_eq!(
            (s.task.as_str(), s.question.as_str()),
            ("this now.", "what?")
        );
        assert_eq!(s.checks, vec![Check::Image, Check::LastLayer]);
        assert!(!s.optional && l.steps[1].optional);
        assert!(l.steps[1].checks.is_empty() && l.steps[1].context.is_empty());
    }

    #[test]
    fn every_fault_is_named_with_its_line() {
        let e = |t: &str| parse(t).unwrap_err();
        assert_eq!(e("# no front matter"), LessonError::NoFrontMatter);
        assert_eq!(e("---\nlang: en\n"), LessonError::UnclosedFrontMatter);
        assert_eq!(e("---\nlang en\n---"), LessonError::BadLine { line: 2 });
        assert_eq!(
            e("---\ncolour: red\n---"),
            LessonError::UnknownKey {
                line: 2,
                key: "colour".into()
            }
        );
        assert_eq!(e("---\nlang: ../x\n---"), LessonError::BadLang { line: 2 });
        assert_eq!(
            e("---\nlang: en\n---\n## A\nDo: a\n\nAsk: b"),
            LessonError::Missing("title")
        );
        assert_eq!(
            e("---\nlang: en\ntitle: t\n---\nintro only"),
            LessonError::NoSteps
        );
        assert!(matches!(
            e("---\nlang: en\ntitle: t\n---\n## A\ncheck: fly\n\nDo: a\n\nAsk: b"),
            LessonError::UnknownCheck { line: 6, .. }
        ));
        assert_eq!(
            e("---\nlang: en\ntitle: t\n---\n## A\nDo: a"),
            LessonError::MissingPart {
                step: 1,
                line: 5,
                part: "Ask:"
            }
        );
        assert_eq!(
            e("---\nlang: en\ntitle: t\n---\n## A\nDo: a\n\nDo: b\n\nAsk: c"),
            LessonError::Duplicate {
                step: 1,
                line: 8,
                part: "Do:"
            }
        );
        assert_eq!(
            e("---\nlang: en\ntitle: t\n---\n## A\noptional: maybe\n\nDo: a\n\nAsk: b"),
            LessonError::BadOptional { line: 6 }
        );
        assert_eq!(
            parse_bytes(&[0xff, 0xfe]).unwrap_err(),
            LessonError::NotText
        );
        let big = vec![b'a'; MAX_LESSON_BYTES + 1];
        assert_eq!(
            parse_bytes(&big).unwrap_err(),
            LessonError::TooLarge(big.len())
        );
        let msg =
            e("---\nlang: en\ntitle: t\n---\n## A\ncheck: fly\n\nDo: a\n\nAsk: b").to_string();
        assert!(
            msg.starts_with("line 6: unknown check `fly` (known: image,"),
            "{msg}"
        );
    }

    #[test]
    fn mutated_lessons_never_panic() {
        // Seeded mutations of the built-in lesson: truncations, byte flips and splices.
        let base = super::super::ENGLISH.as_bytes();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut refused = 0;
        for i in 0..3000 {
            let mut b = base.to_vec();
            match i % 3 {
                0 => b.truncate(next() as usize % base.len()),
                1 => {
                    for _ in 0..1 + next() % 8 {
                        let at = next() as usize % b.len();
                        b[at] ^= 1 << (next() % 8);
                    }
                }
                _ => {
                    let (a, c) = (next() as usize % base.len(), next() as usize % base.len());
                    b = [
                        &base[..a.min(c)],
                        &base[a.max(c)..],
                        &base[a.min(c)..a.max(c)],
                    ]
                    .concat();
                }
            }
            if parse_bytes(&b).is_err() {
                refused += 1;
            }
        }
        assert!(
            refused > 100,
            "the mutations must reach the error paths ({refused})"
        );
    }
}
