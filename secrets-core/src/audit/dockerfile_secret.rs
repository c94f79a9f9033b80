//! SA009: a Dockerfile `ENV` or `ARG` with a secret-looking name and a
//! literal value: it is baked into the image's layers and history.

use std::path::Path;

use super::dockerfile::instructions;
use crate::check::{is_secret_name, Finding, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::DockerfileSecretValue,
    name: "dockerfile-secret-value",
    severity: Severity::High,
    summary: "A Dockerfile ENV or ARG gives a secret-looking variable a literal value",
    help:
        "remove it; pass the value at run time (env_file, secrets) or with a BuildKit secret mount",
};

/// `NAME=value` pairs of an ENV or ARG instruction (also `ENV NAME value`).
fn assignments(keyword: &str, args: &str) -> Vec<(String, Option<String>)> {
    if keyword == "ENV" && !args.split_whitespace().next().unwrap_or("").contains('=') {
        let (name, value) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        return vec![(name.to_owned(), Some(value.trim().to_owned()))];
    }
    args.split_whitespace()
        .map(|w| match w.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.trim_matches(['"', '\'']).to_owned())),
            None => (w.to_owned(), None),
        })
        .collect()
}

pub fn run(dockerfile: &Path, text: &[u8], out: &mut Vec<Finding>) {
    for ins in instructions(text)
        .into_iter()
        .filter(|i| i.keyword == "ENV" || i.keyword == "ARG")
    {
        for (name, value) in assignments(&ins.keyword, &ins.args) {
            let literal = value
                .as_deref()
                .is_some_and(|v| !v.is_empty() && !v.starts_with('$'));
            if literal && is_secret_name(&name) {
                let message = format!(
                    "{} line {}: {} {name} has a literal value baked into the image",
                    dockerfile.display(),
                    ins.line,
                    ins.keyword
                );
                out.push(Finding::new(
                    &RULE,
                    dockerfile,
                    Some(ins.line),
                    Some(&name),
                    message,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::assignments;

    #[test]
    fn forms() {
        assert_eq!(
            assignments("ENV", "OPENAI_API_KEY=${OPENAI_API_KEY}")[0]
                .1
                .as_deref(),
            Some("${OPENAI_API_KEY}")
        );
        assert_eq!(
            assignments("ENV", "TOKEN abc def")[0],
            ("TOKEN".into(), Some("abc def".into()))
        );
        assert_eq!(assignments("ARG", "SECRET")[0].1, None);
    }
}
