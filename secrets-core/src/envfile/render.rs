//! The layout of the variables `secrets` writes: a header, then one group per
//! component, each variable under its description.

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

/// A new document holding every variable of the stack. `now` stamps the
/// variables that have a rotation period (`# rotated: ...`).
pub fn new_document(stack: &Stack, resolved: &Resolved, now: u64) -> (Document, Vec<Disagreement>) {
    let mut doc = Document::new();
    doc.push_comment(&format!(
        "Secrets of stack \"{}\", written by secrets {}.",
        stack.name,
        env!("CARGO_PKG_VERSION")
    ));
    doc.push_comment(
        "Keep this file private (mode 0600), out of version control and out of images.",
    );
    let all: Vec<&str> = stack.vars().iter().map(|v| v.name.as_str()).collect();
    let disagreements = append_vars(&mut doc, stack, resolved, &all, now);
    (doc, disagreements)
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
    now: u64,
) -> Vec<Disagreement> {
    let mut disagreements = Vec::new();
    let mut group: Option<&str> = None;
    let empty = SecretValue::new(String::new());
    for var in stack
        .vars()
        .iter()
        .filter(|v| names.contains(&v.name.as_str()))
    {
        if group != Some(var.component.as_str()) {
            group = Some(&var.component);
            doc.push_comment("");
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
            matches!(var.source, Source::Generate(_)) && resolved.added.contains(&var.name);
        if var.rotate_after.is_some() && generated_now {
            doc.push_comment(&crate::rotate::stamp(now));
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
    fn values_waiting_for_an_external_say_so() {
        let m = ManifestFile::parse(
            "m.toml",
            "[vars.KEY]\nexternal = true\n[vars.URL]\ntemplate = \"https://u:${KEY}@h\"\n",
        )
        .unwrap();
        let stack = Stack::from_manifest(m).unwrap();
        let resolved = stack
            .resolve(&Existing::new(), &mut crate::generate::os_rng(), 0)
            .unwrap();
        let (doc, _) = new_document(&stack, &resolved, 0);
        let text = doc.render();
        assert!(text.contains("# (set by you)\nKEY=\n"), "{}", text.as_str());
        assert!(
            text.contains("# (computed once KEY is set)\nURL=\n"),
            "{}",
            text.as_str()
        );
    }
}
