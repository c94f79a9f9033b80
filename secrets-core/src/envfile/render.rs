//! The layout of the variables `secrets` writes: a header, then one group per
//! component, each variable under its description.

use std::collections::HashSet;

use super::{Document, Reader};
use crate::manifest::{catalog, Source};
use crate::stack::{Resolved, Stack};
use crate::SecretValue;

/// A variable whose written value some readers will read differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The variable.
    pub name: String,
    /// The readers that disagree with Compose.
    pub readers: Vec<Reader>,
}

/// The comment lines a new document starts with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Header {
    /// `# Secrets of stack "NAME", written by secrets VERSION.` and a line
    /// asking to keep the file private: what the `secrets` CLI writes.
    #[default]
    WrittenBy,
    /// The same without the tool's name and version, for a program that
    /// writes the file under its own name.
    Anonymous,
    /// No header: the document starts with the first group.
    None,
}

/// A new document holding every variable of the stack, under the default
/// [`Header`]. `now` stamps the variables that have a rotation period
/// (`# rotated: ...`).
pub fn new_document(
    stack: &Stack,
    resolved: &Resolved,
    now: std::time::SystemTime,
) -> (Document, Vec<Disagreement>) {
    new_document_with_header(stack, resolved, now, Header::default())
}

/// [`new_document`] with the header chosen.
pub fn new_document_with_header(
    stack: &Stack,
    resolved: &Resolved,
    now: std::time::SystemTime,
    header: Header,
) -> (Document, Vec<Disagreement>) {
    let mut doc = Document::new();
    let private = "Keep this file private (mode 0600), out of version control and out of images.";
    match header {
        Header::WrittenBy => {
            doc.push_comment(&format!(
                "Secrets of stack \"{}\", written by secrets {}.",
                stack.name,
                env!("CARGO_PKG_VERSION")
            ));
            doc.push_comment(private);
        }
        Header::Anonymous => {
            doc.push_comment(&format!("Secrets of stack \"{}\".", stack.name));
            doc.push_comment(private);
        }
        Header::None => {}
    }
    let all: Vec<&str> = stack.vars().iter().map(|v| v.name.as_str()).collect();
    let blank_first = header != Header::None;
    let disagreements = append_groups(&mut doc, stack, resolved, &all, now, blank_first);
    (doc, disagreements)
}

/// The stack's values as one JSON object in stack order (`null` for an
/// external variable not set yet), written straight into one zeroizing
/// buffer: no copy of a value is left in a JSON tree or an intermediate
/// string.
pub fn json_document(stack: &Stack, resolved: &Resolved) -> zeroize::Zeroizing<String> {
    let vars = stack.vars();
    // Sized for the worst escaping first, so that growing never leaves a
    // copy of a value behind in freed memory.
    let most = |t: &str| 2 + 6 * t.len();
    let capacity = 4
        + (vars.iter())
            .map(|v| {
                let value = resolved.values.get(&v.name).map_or(4, |x| most(x.expose()));
                most(&v.name) + value + 6
            })
            .sum::<usize>();
    let mut buf = zeroize::Zeroizing::new(String::with_capacity(capacity));
    buf.push_str("{\n");
    for (i, var) in vars.iter().enumerate() {
        buf.push_str("  ");
        push_json_string(&mut buf, &var.name);
        buf.push_str(": ");
        match resolved.values.get(&var.name) {
            Some(v) => push_json_string(&mut buf, v.expose()),
            None => buf.push_str("null"),
        }
        buf.push_str(if i + 1 < vars.len() { ",\n" } else { "\n" });
    }
    buf.push_str("}\n");
    buf
}

/// `text` as a JSON string (RFC 8259 escapes), appended in place.
fn push_json_string(buf: &mut String, text: &str) {
    use std::fmt::Write as _;
    buf.push('"');
    for c in text.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            '\u{8}' => buf.push_str("\\b"),
            '\u{c}' => buf.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(buf, "\\u{:04x}", u32::from(c));
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}

/// Appends the named variables, grouped by component in stack order. A
/// variable without a value (an external one not yet set) is written empty
/// under a comment asking for it. Values generated now with a rotation period
/// get a `# rotated: ...` stamp for `rotate --due`.
pub fn append_vars(
    doc: &mut Document,
    stack: &Stack,
    resolved: &Resolved,
    names: &[&str],
    now: std::time::SystemTime,
) -> Vec<Disagreement> {
    append_groups(doc, stack, resolved, names, now, true)
}

/// [`append_vars`]; `blank_first` separates the first group from what is
/// above it (nothing is above in a document without a header).
fn append_groups(
    doc: &mut Document,
    stack: &Stack,
    resolved: &Resolved,
    names: &[&str],
    now: std::time::SystemTime,
    blank_first: bool,
) -> Vec<Disagreement> {
    let mut disagreements = Vec::new();
    let mut group: Option<&str> = None;
    let empty = SecretValue::new(String::new());
    // Sets: asked once per variable of the stack.
    let names: HashSet<&str> = names.iter().copied().collect();
    let added: HashSet<&str> = resolved.added.iter().map(String::as_str).collect();
    for var in stack
        .vars()
        .iter()
        .filter(|v| names.contains(v.name.as_str()))
    {
        if group != Some(var.component.as_str()) {
            if group.is_some() || blank_first {
                doc.push_comment("");
            }
            group = Some(&var.component);
            let about = catalog::component(&var.component)
                .and_then(Result::ok)
                .and_then(|c| c.description)
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            doc.push_comment(&format!("--- {}{about} ---", var.component));
        }
        let value = resolved.values.get(&var.name);
        let mut comment = var.description.clone().unwrap_or_default();
        if value.is_none() {
            let missing: Vec<&str> = var
                .source
                .inputs()
                .into_iter()
                .filter(|i| !resolved.values.contains_key(*i))
                .collect();
            let note = if matches!(var.source, Source::External) {
                "(set by you)".to_owned()
            } else {
                format!("(computed once {} is set)", missing.join(", "))
            };
            comment = format!("{note} {comment}").trim_end().to_owned();
        }
        if !comment.is_empty() {
            doc.push_comment(&comment);
        }
        let generated_now =
            matches!(var.source, Source::Generate(_)) && added.contains(var.name.as_str());
        if var.rotate_after.is_some() && generated_now {
            doc.push_comment(&crate::rotate::generated_stamp(now));
        }
        let readers = doc.push_var(&var.name, value.unwrap_or(&empty));
        if !readers.is_empty() {
            disagreements.push(Disagreement {
                name: var.name.clone(),
                readers,
            });
        }
    }
    disagreements
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestFile;
    use crate::stack::Existing;

    #[test]
    fn json_document_escapes_as_serde_json_does() {
        let text = "[stack]\ninclude = [\"postgres\"]\n\
                    [vars.ODD]\nvalue = \"q\\\"b\\\\s\\n\\t\\r\\b\\f\\u0001\\u001fé\\u007f\"\n\
                    [vars.SMTP_PASSWORD]\nexternal = true\n";
        let stack = Stack::from_manifest(ManifestFile::parse("m.toml", text).unwrap()).unwrap();
        let resolved = stack
            .resolve(
                &Existing::new(),
                &mut crate::generate::os_rng(),
                std::time::UNIX_EPOCH,
            )
            .unwrap();
        let json = json_document(&stack, &resolved);
        let parsed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&json).unwrap();
        let names: Vec<&str> = parsed.keys().map(String::as_str).collect();
        let mut in_order: Vec<&str> = stack.vars().iter().map(|v| v.name.as_str()).collect();
        in_order.sort_unstable();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, in_order);
        assert_eq!(parsed["SMTP_PASSWORD"], serde_json::Value::Null);
        let odd = resolved.values["ODD"].expose();
        assert_eq!(parsed["ODD"], odd);
        let line = format!("  \"ODD\": {},\n", serde_json::to_string(odd).unwrap());
        assert!(json.contains(&line), "{}", json.as_str());
        assert!(json.starts_with("{\n") && json.ends_with("\n}\n"));
    }

    #[test]
    fn values_waiting_for_an_external_say_so() {
        let m = ManifestFile::parse(
            "m.toml",
            "[vars.KEY]\nexternal = true\n[vars.URL]\ntemplate = \"https://u:${KEY}@h\"\n",
        )
        .unwrap();
        let stack = Stack::from_manifest(m).unwrap();
        let resolved = stack
            .resolve(
                &Existing::new(),
                &mut crate::generate::os_rng(),
                std::time::UNIX_EPOCH,
            )
            .unwrap();
        let (doc, _) = new_document(&stack, &resolved, std::time::UNIX_EPOCH);
        let text = doc.render();
        assert!(text.starts_with("# Secrets of stack \"m\", written by secrets "));
        assert!(text.contains("# (set by you)\nKEY=\n"), "{}", text.as_str());
        assert!(
            text.contains("# (computed once KEY is set)\nURL=\n"),
            "{}",
            text.as_str()
        );
    }

    #[test]
    fn the_header_is_the_caller_s_choice() {
        let m = ManifestFile::parse("m.toml", "[vars.KEY]\nvalue = \"v\"\n").unwrap();
        let stack = Stack::from_manifest(m).unwrap();
        let resolved = stack
            .resolve(
                &Existing::new(),
                &mut crate::generate::os_rng(),
                std::time::UNIX_EPOCH,
            )
            .unwrap();
        let render = |h| {
            new_document_with_header(&stack, &resolved, std::time::UNIX_EPOCH, h)
                .0
                .render()
        };
        let written_by = render(Header::WrittenBy);
        assert_eq!(
            written_by.as_str(),
            new_document(&stack, &resolved, std::time::UNIX_EPOCH)
                .0
                .render()
                .as_str()
        );
        let anonymous = render(Header::Anonymous);
        assert!(anonymous.starts_with("# Secrets of stack \"m\".\n# Keep this file private"));
        assert!(!anonymous.contains("written by"));
        let none = render(Header::None);
        assert!(!none.contains("Secrets of stack") && !none.contains("Keep this file"));
        for text in [&written_by, &anonymous, &none] {
            assert!(text.ends_with("KEY=v\n"), "{}", text.as_str());
        }
    }
}
