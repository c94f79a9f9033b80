//! SC013: a key assigned more than once. Compose and most readers keep the
//! last copy, dotenvy's `dotenv()` the first; an edit of one copy leaves the
//! other stale.

use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};

pub struct DuplicateKey;

static RULE: Rule = Rule {
    id: RuleId::DuplicateKey,
    name: "duplicate-key",
    severity: Severity::Medium,
    summary: "A key is assigned more than once: Compose reads the last copy, dotenvy's dotenv() the first",
    help: "delete the stale copies; `rotate` and `write` refuse to edit a duplicated key",
};

impl EnvCheck for DuplicateKey {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        for d in cx.doc.duplicates() {
            // At the first copy: the one Compose does not read.
            out.push(Finding::new(
                &RULE,
                cx.path,
                Some(d.lines[0]),
                Some(&d.key),
                format!("{d}; Compose reads the last, dotenvy's dotenv() the first"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envfile::Document;

    #[test]
    fn names_every_line_at_the_first() {
        let d = Document::parse(b"A=1\nB=2\nA=3\nA=4\nC=5\n").unwrap();
        let cx = EnvContext {
            path: std::path::Path::new(".env"),
            doc: &d,
            stack: None,
            example: None,
            example_path: None,
            now: std::time::UNIX_EPOCH,
        };
        let mut out = Vec::new();
        DuplicateKey.run(&cx, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].line, out[0].key.as_deref()), (Some(1), Some("A")));
        assert!(
            out[0]
                .message
                .starts_with("A is assigned 3 times (lines 1, 3 and 4)"),
            "{}",
            out[0].message
        );
    }
}
