//! Reading a template: its assignments, the `# NAME=value` lines that only
//! document a variable, and the comments that describe each.

use crate::envfile::Document;
use crate::manifest::is_env_name;

use super::InitError;

/// One comment line: its line number and text without the `#`.
#[derive(Debug, Clone)]
// What `write --template` reads of a template is a subset of what `init`
// infers from.
#[cfg_attr(not(feature = "init"), allow(dead_code))]
pub(crate) struct Comment {
    pub line: usize,
    pub text: String,
    /// No assignment between it and the variable it describes.
    pub direct: bool,
}

/// A variable of the template.
#[derive(Clone)]
#[cfg_attr(not(feature = "init"), allow(dead_code))]
pub(crate) struct TemplateVar {
    pub name: String,
    /// The value as Docker Compose reads it, before interpolation.
    pub value: String,
    /// Whether Compose interpolates `$` in it (not single-quoted).
    pub interpolates: bool,
    /// 1-based line.
    pub line: usize,
    /// Only present as `# NAME=value` in a comment.
    pub commented: bool,
    /// The comments above it, up to the blank line that ends its
    /// paragraph, top down; its own inline comment last.
    pub comments: Vec<Comment>,
    /// Its paragraph: variables with no blank line between them share one.
    pub paragraph: usize,
}

impl std::fmt::Debug for TemplateVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A template may hold a real value by mistake: never shown.
        f.debug_struct("TemplateVar")
            .field("name", &self.name)
            .field("line", &self.line)
            .field("commented", &self.commented)
            .finish_non_exhaustive()
    }
}

enum LineKind {
    Blank,
    Assignment,
    Comment(String),
    /// A bare `KEY` line.
    Other,
}

/// At most this many lines above a variable are read for its comments.
const COMMENT_REACH: usize = 60;

/// Parses the template. Refuses what Compose would not read (with line
/// and column) and a key assigned twice (which copy is meant?).
pub(crate) fn scan(file: &str, bytes: &[u8]) -> Result<(Document, Vec<TemplateVar>), InitError> {
    let doc = Document::parse(bytes).map_err(|e| InitError::Syntax {
        file: file.to_owned(),
        line: e.line,
        col: e.col,
        message: e.message,
    })?;
    if let Some(d) = doc.duplicates().into_iter().next() {
        return Err(InitError::Duplicate {
            file: file.to_owned(),
            line: d.lines[1],
            message: format!("{d}; keep one so that every reader takes the same"),
        });
    }
    let text = std::str::from_utf8(bytes).expect("the document parsed it as UTF-8");
    let raw_lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut kinds: Vec<Option<LineKind>> = (0..raw_lines.len()).map(|_| None).collect();
    let mut vars = Vec::new();
    for (line, entry, raw) in doc.entries_with_raw() {
        let spans = raw.trim_end_matches('\n').matches('\n').count() + 1;
        for k in kinds.iter_mut().skip(line - 1).take(spans) {
            *k = Some(LineKind::Assignment);
        }
        let inline = raw[entry.value_range().end..].trim();
        let comments = inline
            .strip_prefix('#')
            .map(|c| Comment {
                line,
                text: c.trim().to_owned(),
                direct: true,
            })
            .into_iter()
            .collect();
        vars.push(TemplateVar {
            name: entry.key().to_owned(),
            value: entry.value().expose().to_owned(),
            interpolates: entry.interpolates(),
            line,
            commented: false,
            comments,
            paragraph: 0,
        });
    }
    for (line, key) in doc.bare_keys() {
        vars.push(TemplateVar {
            name: key.to_owned(),
            value: String::new(),
            interpolates: false,
            line,
            commented: false,
            comments: Vec::new(),
            paragraph: 0,
        });
    }
    for (i, raw) in raw_lines.iter().enumerate() {
        if kinds[i].is_some() {
            continue;
        }
        let t = raw.trim();
        kinds[i] = Some(if t.is_empty() {
            LineKind::Blank
        } else if let Some(c) = t.strip_prefix('#') {
            match commented_assignment(c) {
                Some((name, value, interpolates)) => {
                    vars.push(TemplateVar {
                        name,
                        value,
                        interpolates,
                        line: i + 1,
                        commented: true,
                        comments: Vec::new(),
                        paragraph: 0,
                    });
                    LineKind::Assignment
                }
                None => LineKind::Comment(c.trim().to_owned()),
            }
        } else {
            LineKind::Other
        });
    }
    vars.sort_by_key(|v| v.line);
    // A commented copy of an active variable (an example of another
    // spelling) or a second commented alternative is the same variable.
    let mut seen = std::collections::HashSet::new();
    let active: std::collections::HashSet<String> = vars
        .iter()
        .filter(|v| !v.commented)
        .map(|v| v.name.clone())
        .collect();
    vars.retain(|v| (!v.commented || !active.contains(&v.name)) && seen.insert(v.name.clone()));
    // Blank lines up to each line: equal counts, one paragraph.
    let blanks: Vec<usize> = kinds
        .iter()
        .scan(0, |n, k| {
            *n += usize::from(matches!(k, Some(LineKind::Blank)));
            Some(*n)
        })
        .collect();
    for v in &mut vars {
        v.paragraph = blanks[v.line - 1];
        let mut above = Vec::new();
        let mut direct = true;
        for l in (v.line.saturating_sub(COMMENT_REACH)..v.line - 1).rev() {
            match kinds[l].as_ref().expect("every line was classified") {
                LineKind::Blank => break,
                LineKind::Comment(text) => above.push(Comment {
                    line: l + 1,
                    text: text.clone(),
                    direct,
                }),
                LineKind::Assignment | LineKind::Other => direct = false,
            }
        }
        above.reverse();
        above.append(&mut v.comments);
        v.comments = above;
    }
    Ok((doc, vars))
}

/// `NAME=value` inside a comment (after the `#`): the name, the value as
/// Compose would read the line, and whether it interpolates.
fn commented_assignment(comment: &str) -> Option<(String, String, bool)> {
    let t = comment.trim_start();
    let t = t.strip_prefix("export ").unwrap_or(t);
    let eq = t.find('=')?;
    let name = &t[..eq];
    if !is_env_name(name) {
        return None;
    }
    let line = format!("{t}\n");
    match Document::parse(line.as_bytes()) {
        Ok(d) => d.entries().next().map(|e| {
            (
                name.to_owned(),
                e.value().expose().to_owned(),
                e.interpolates(),
            )
        }),
        Err(_) => Some((name.to_owned(), t[eq + 1..].trim().to_owned(), false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_belong_to_their_paragraph() {
        let text = "# head\n\n# Generate each with rake secret\nA_SECRET=\nB_SECRET=x # inline\n# C_TOKEN=<t>\n#   A_SECRET=old\n# prose: D=1\nexport E=\"q\"\n";
        let (_, vars) = scan("t", text.as_bytes()).unwrap();
        let names: Vec<(&str, bool)> = vars
            .iter()
            .map(|v| (v.name.as_str(), v.commented))
            .collect();
        assert_eq!(
            names,
            [
                ("A_SECRET", false),
                ("B_SECRET", false),
                ("C_TOKEN", true),
                ("E", false)
            ]
        );
        let b = &vars[1];
        assert_eq!(b.value, "x");
        let texts: Vec<(&str, bool)> = b
            .comments
            .iter()
            .map(|c| (c.text.as_str(), c.direct))
            .collect();
        assert_eq!(
            texts,
            [("Generate each with rake secret", false), ("inline", true)]
        );
        assert_eq!(vars[2].value, "<t>");
        assert_eq!(vars[3].comments.len(), 2, "{:?}", vars[3].comments);
    }

    #[test]
    fn refusals_name_the_place() {
        let e = scan("t.env", b"A=1\nB=\"open\nC=2\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.env:2:"), "{e}");
        let e = scan("t.env", b"A=1\nB=2\nA=3\n").unwrap_err().to_string();
        assert!(e.starts_with("t.env:3: A is assigned 2 times"), "{e}");
        let e = scan("t.env", b"A=1\nB=\xff\n").unwrap_err().to_string();
        assert!(e.starts_with("t.env:2:3: not valid UTF-8"), "{e}");
    }
}
