//! SC011: a value that the `.env` readers read differently: Docker Compose
//! (the reference here), dotenvy, python-dotenv and `docker run --env-file`.
//! dotenvy is asked directly; python-dotenv and the docker CLI are modelled on
//! their parsers (see the env-dialects reference), and the tests compare the
//! model with the real python-dotenv.

use super::{EnvCheck, EnvContext, Finding, Rule, Severity};
use crate::envfile::{Entry, Quote, Reader};

pub struct Dialect;

static RULE: Rule = Rule {
    id: "SC011",
    name: "reader-disagreement",
    severity: Severity::Medium,
    summary: "A value is read differently by docker compose, dotenvy, python-dotenv or docker run --env-file (low when only the docker CLI differs)",
    help: "keep secrets in the alphabet A-Za-z0-9_.- (generated values are), or quote as `secrets` writes",
};

/// The readers that read this assignment differently from Docker Compose.
pub fn disagreeing_readers(entry: &Entry, raw: &str) -> Vec<Reader> {
    let compose = entry.value().expose();
    let token = &raw[entry.value_range()];
    let mut readers = Vec::new();

    // dotenvy, for real. Values Compose interpolates are left to the `$` rule
    // below: dotenvy would substitute from this process's environment.
    if !entry.interpolates() && !token.contains('$') {
        match dotenvy::from_read_iter(raw.as_bytes()).next() {
            Some(Ok((_, v))) if v == compose => {}
            _ => readers.push(Reader::Dotenvy),
        }
    }

    // python-dotenv: `${` expands everywhere, even in single quotes; escapes
    // differ in quotes; a backslash before the closing quote derails it.
    // It reads files with universal newlines: a raw CR in a quoted value is lost.
    let python_differs = token.contains("${")
        || token.contains('\r')
        || match entry.quote() {
            Quote::None => false,
            Quote::Single => token.contains("\\\\"),
            Quote::Double => {
                ["\\'", "\\a", "\\b", "\\f", "\\v", "\\$"]
                    .iter()
                    .any(|e| token.contains(e))
                    || token.ends_with("\\\\\"")
            }
        }
        || (entry.interpolates() && !token.contains("${"));
    if python_differs {
        readers.push(Reader::PythonDotenv);
    }

    // `docker run --env-file`: everything after the first `=`, verbatim, one
    // line only; no `export`.
    let line = raw.trim_end_matches(['\n', '\r']).trim_start();
    let docker_value = line.split_once('=').map(|(_, v)| v);
    if line.starts_with("export")
        || raw.trim_end_matches(['\n', '\r']).contains('\n')
        || docker_value != Some(compose)
    {
        readers.push(Reader::DockerEnvFile);
    }

    if entry.interpolates() {
        // Compose and dotenvy substitute; the docker CLI keeps the text.
        readers.extend([Reader::Compose, Reader::Dotenvy, Reader::DockerEnvFile]);
    }
    readers.sort();
    readers.dedup();
    readers
}

impl EnvCheck for Dialect {
    fn rule(&self) -> &'static Rule {
        &RULE
    }

    fn run(&self, cx: &EnvContext<'_>, out: &mut Vec<Finding>) {
        for (line, entry, raw) in cx.doc.entries_with_raw() {
            let readers = disagreeing_readers(entry, raw);
            if readers.is_empty() {
                continue;
            }
            let names: Vec<String> = readers.iter().map(ToString::to_string).collect();
            let message = if readers.contains(&Reader::Compose) {
                format!(
                    "{} contains `$`, which {} expand or keep differently",
                    entry.key(),
                    names.join(", ")
                )
            } else {
                format!(
                    "{} is read differently by {}",
                    entry.key(),
                    names.join(", ")
                )
            };
            let finding = Finding::new(&RULE, cx.path, Some(line), Some(entry.key()), message);
            // Quotes that only `docker run --env-file` keeps (a JSON value
            // needs them) matter less than a value Compose itself misreads.
            out.push(if readers == [Reader::DockerEnvFile] {
                finding.with_severity(Severity::Low)
            } else {
                finding
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envfile::Document;

    fn readers(line: &str) -> Vec<Reader> {
        let d = Document::parse(line.as_bytes()).unwrap();
        let (_, e, raw) = d.entries_with_raw().next().unwrap();
        disagreeing_readers(e, raw)
    }

    #[test]
    fn quotes_only_the_docker_cli_keeps_are_low() {
        let d = Document::parse(b"J='{\"k\":\"v\"}'\nP=pa$$word\n").unwrap();
        let cx = EnvContext {
            path: std::path::Path::new(".env"),
            doc: &d,
            stack: None,
            example: None,
            example_path: None,
            now: 0,
        };
        let mut out = Vec::new();
        Dialect.run(&cx, &mut out);
        let sev: Vec<(Option<&str>, Severity)> =
            out.iter().map(|f| (f.key.as_deref(), f.severity)).collect();
        assert_eq!(
            sev,
            [(Some("J"), Severity::Low), (Some("P"), Severity::Medium)]
        );
    }

    #[test]
    fn reference_cases() {
        assert_eq!(readers("K=plain\n"), []);
        assert_eq!(readers("K=\"value\"\n"), [Reader::DockerEnvFile]);
        assert_eq!(
            readers("K=pa$$word\n"),
            [
                Reader::Compose,
                Reader::Dotenvy,
                Reader::PythonDotenv,
                Reader::DockerEnvFile
            ]
        );
        assert_eq!(
            readers("K='ab${X}cd'\n"),
            [Reader::PythonDotenv, Reader::DockerEnvFile]
        );
        assert_eq!(readers("I=#abc\n"), [Reader::Dotenvy]);
        assert_eq!(readers("K=a #b\n"), [Reader::DockerEnvFile]);
        assert_eq!(readers("K=a b\n"), [Reader::Dotenvy]);
        assert_eq!(readers("export K=v\n"), [Reader::DockerEnvFile]);
    }
}
