//! SC011: a value that the `.env` readers read differently: Docker Compose
//! (the reference here), docker-compose v1, dotenvy, python-dotenv, npm
//! `dotenv`, dotenvx and `docker run --env-file`. dotenvy is asked directly;
//! the others are modelled on their parsers (see the env-dialects
//! reference), and the tests compare the model with each real reader. The
//! encoder chooses its quoting with this same model.

#[cfg(feature = "check")]
use super::{EnvCheck, EnvContext, Finding, Rule, RuleId, Severity};
use crate::envfile::{Entry, Quote, Reader};
#[cfg(feature = "check")]
use crate::manifest::Source;

#[cfg(feature = "check")]
pub struct Dialect;

#[cfg(feature = "check")]
static RULE: Rule = Rule {
    id: RuleId::ReaderDisagreement,
    name: "reader-disagreement",
    severity: Severity::Medium,
    summary: "A value is read differently by docker compose, docker-compose v1, dotenvy, python-dotenv, npm dotenv, dotenvx or docker run --env-file (low when only the docker CLI differs)",
    help: "keep secrets in the alphabet A-Za-z0-9_.- (generated values are), or quote as `secrets` writes",
};

/// White space as JavaScript's `\s` and `trim()` see it (no NEL, but the
/// byte order mark).
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// The token npm `dotenv` and dotenvx take for one assignment (their shared
/// `LINE` regex, emulated on the item's text with line ends made `\n` as
/// they do), trimmed, with the quote it opens with; `None` when they skip
/// the line. `Err(())` when the token may run on into later lines (a
/// quote closed after a backslash, an open backtick), which the emulation
/// of one item cannot follow.
fn npm_token(entry: &Entry, raw: &str) -> Result<Option<(String, Option<char>)>, ()> {
    // Keys are ASCII word characters, `.` and `-`: another line is skipped.
    if !entry
        .key()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Ok(None);
    }
    let token = &raw[entry.value_range()];
    let before = &raw[..entry.value_range().start];
    let after_eq = &before[before.find('=').map_or(0, |i| i + 1)..];
    let quote = match entry.quote() {
        Quote::Single => Some('\''),
        Quote::Double => Some('"'),
        Quote::None => token.starts_with('`').then_some('`'),
    };
    let text = |s: &str| s.replace("\r\n", "\n").replace('\r', "\n");
    match quote {
        // Only JavaScript white space may stand before the opening quote;
        // the closing one is the same as Compose's unless a backslash
        // precedes it (the regex then takes the pair for an escape).
        Some(q @ ('\'' | '"')) if after_eq.chars().all(is_js_space) => {
            if token[..token.len() - 1].ends_with('\\') {
                return Err(());
            }
            Ok(Some((text(token), Some(q))))
        }
        Some('`') => Err(()),
        // Anything else is taken to the first `#` or line end, trimmed.
        _ => {
            let line = raw[entry.value_range().start - after_eq.len()..]
                .split(['\n', '\r'])
                .next()
                .unwrap_or("");
            let cut = line.split('#').next().unwrap_or("");
            let t = cut.trim_matches(is_js_space).to_owned();
            let quote = t.chars().next().filter(|c| "'\"`".contains(*c));
            Ok(Some((t, quote)))
        }
    }
}

/// `token` without its surrounding quotes (JavaScript's
/// `/^(['"`])([\s\S]*)\1$/` replacement).
fn unquote(token: &str, quote: Option<char>) -> &str {
    match quote {
        Some(q) if token.len() >= 2 && token.ends_with(q) => &token[1..token.len() - 1],
        _ => token,
    }
}

/// What npm `dotenv` 16+ reads: quotes removed, `\n` and `\r` turned into
/// line ends inside double quotes, nothing else.
fn npm_dotenv(token: &str, quote: Option<char>) -> String {
    let inner = unquote(token, quote);
    if quote == Some('"') {
        inner.replace("\\n", "\n").replace("\\r", "\r")
    } else {
        inner.to_owned()
    }
}

/// What dotenvx reads, when it can be known without an environment: its
/// parser is npm's with `\'` in single quotes and `\t` in double quotes,
/// then outside single quotes it runs `$(...)`, expands `$NAME` and
/// `${...}`, and reads `\$` as `$`. `None` when it runs or expands something.
fn dotenvx(token: &str, quote: Option<char>) -> Option<String> {
    let inner = unquote(token, quote);
    let mut value = match quote {
        Some('\'') => return Some(inner.replace("\\'", "'")),
        Some('"') => inner
            .replace("\\n", "\n")
            .replace("\\r", "\r")
            .replace("\\t", "\t"),
        _ => inner.to_owned(),
    };
    if value.contains('$') {
        if value.contains("$(") {
            return None;
        }
        let bytes = value.as_bytes();
        let expands = bytes.iter().enumerate().any(|(i, &b)| {
            let escaped = i > 0 && bytes[i - 1] == b'\\';
            let next = bytes.get(i + 1).copied().unwrap_or(0);
            b == b'$' && !escaped && (next == b'{' || next == b'_' || next.is_ascii_alphabetic())
        });
        if expands {
            return None;
        }
        value = value.replace("\\$", "$");
    }
    Some(value)
}

/// The readers that may also misread (or drop) the lines after this
/// assignment: the regex-based ones take a quote after a backslash for an
/// escaped quote, and npm's parsers a backtick for an opening quote, and
/// read on into the next lines; dotenvy does the same for a quote it sees
/// open, and its `dotenv()` stops at a line it refuses.
pub fn runs_on(entry: &Entry, raw: &str) -> Vec<Reader> {
    let token = &raw[entry.value_range()];
    let mut readers = match entry.quote() {
        Quote::Single | Quote::Double if token[..token.len() - 1].ends_with('\\') => vec![
            Reader::ComposeV1,
            Reader::PythonDotenv,
            Reader::NpmDotenv,
            Reader::Dotenvx,
        ],
        Quote::None if token.starts_with('`') => vec![Reader::NpmDotenv, Reader::Dotenvx],
        _ => Vec::new(),
    };
    // dotenvy joins lines while a quote it saw is open, and its dotenv()
    // stops loading at a line it refuses: asked for real, with a line after
    // this one.
    let probe = format!("{}\n{PROBE}=1\n", raw.trim_end_matches(['\n', '\r']));
    let probe_read = dotenvy::from_read_iter(probe.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .is_ok_and(|all| all.iter().any(|(k, v)| k == PROBE && v == "1"));
    if !probe_read {
        readers.push(Reader::Dotenvy);
    }
    readers.sort();
    readers
}

/// The key of the line [`runs_on`] puts after an assignment.
const PROBE: &str = "SECRETS_NEXT_LINE_PROBE";

/// Whether `docker run --env-file` refuses the whole file for this line:
/// white space in the name (`export K=v`, `K =v`).
fn docker_refuses(raw: &str) -> bool {
    let line = raw.trim_start();
    let name = line.split_once('=').map_or(line, |(k, _)| k);
    name.contains([' ', '\t'])
}

/// Characters every reader keeps as they are in an unquoted value.
fn is_plain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_./+=:@,%~".contains(&b)
}

/// `KEY=value` alone on its line, the key an identifier and the value plain
/// characters: what generated secrets look like, and what every reader
/// reads alike (the property test below holds the full comparison to it).
fn is_plain_assignment(entry: &Entry, raw: &str) -> bool {
    let line = raw.strip_suffix('\n').unwrap_or(raw);
    let Some(token) = line
        .strip_prefix(entry.key())
        .and_then(|rest| rest.strip_prefix('='))
    else {
        return false;
    };
    let key = entry.key().as_bytes();
    entry.quote() == Quote::None
        && !entry.interpolates()
        && key
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && key.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && !token.is_empty()
        && token.bytes().all(is_plain_byte)
        && token == entry.value().expose()
}

/// The readers that read this assignment differently from Docker Compose.
pub fn disagreeing_readers(entry: &Entry, raw: &str) -> Vec<Reader> {
    if is_plain_assignment(entry, raw) {
        return Vec::new();
    }
    compared_readers(entry, raw)
}

/// Every reader compared, one by one.
fn compared_readers(entry: &Entry, raw: &str) -> Vec<Reader> {
    let compose = entry.value().expose();
    let token = &raw[entry.value_range()];
    let mut readers = Vec::new();

    // dotenvy, for real. Values Compose interpolates are left to the `$` rule
    // below: dotenvy would substitute from this process's environment.
    if !entry.interpolates() {
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
        // docker-compose 1.x reads env files with python-dotenv (0.21 in
        // Debian 12), and so reads them as it does.
        readers.extend([Reader::PythonDotenv, Reader::ComposeV1]);
    }

    // npm dotenv and dotenvx: one regex, then each its own unescaping.
    match npm_token(entry, raw) {
        Ok(Some((token, quote))) => {
            if npm_dotenv(&token, quote) != compose {
                readers.push(Reader::NpmDotenv);
            }
            if dotenvx(&token, quote).as_deref() != Some(compose) {
                readers.push(Reader::Dotenvx);
            }
        }
        Ok(None) | Err(()) => readers.extend([Reader::NpmDotenv, Reader::Dotenvx]),
    }

    // `docker run --env-file`: everything after the first `=`, verbatim, one
    // line only; no `export`.
    let line = raw.trim_end_matches(['\n', '\r']).trim_start();
    let docker_value = line.split_once('=').map(|(_, v)| v);
    if docker_refuses(raw)
        || raw.trim_end_matches(['\n', '\r']).contains('\n')
        || docker_value != Some(compose)
    {
        readers.push(Reader::DockerEnvFile);
    }

    if entry.interpolates() {
        // Compose, dotenvy and dotenvx substitute (each its own way); the
        // others keep the text.
        readers.extend([
            Reader::Compose,
            Reader::Dotenvy,
            Reader::NpmDotenv,
            Reader::Dotenvx,
            Reader::DockerEnvFile,
        ]);
    }
    readers.sort();
    readers.dedup();
    readers
}

#[cfg(feature = "check")]
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
            let after = runs_on(entry, raw);
            let message = if after.is_empty() {
                message
            } else {
                let after: Vec<String> = after.iter().map(ToString::to_string).collect();
                format!(
                    "{message}; {} may misread or drop the lines after it too",
                    after.join(", ")
                )
            };
            let finding = Finding::new(&RULE, cx.path, Some(line), Some(entry.key()), message);
            // Quotes that only `docker run --env-file` keeps (a JSON value
            // needs them) matter less than a value Compose itself misreads;
            // a line that makes it refuse the whole file does not. Nor does
            // a setting the manifest keeps as its template writes it (a
            // display name with spaces): no secret is misread.
            let setting = cx
                .stack
                .and_then(|s| s.var(entry.key()))
                .is_some_and(|v| matches!(v.source, Source::Literal(_)));
            out.push(
                if setting || (readers == [Reader::DockerEnvFile] && !docker_refuses(raw)) {
                    finding.with_severity(Severity::Low)
                } else {
                    finding
                },
            );
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

    #[cfg(feature = "check")]
    #[test]
    fn quotes_only_the_docker_cli_keeps_are_low() {
        // `export` makes the docker CLI refuse the whole file: not low.
        let d = Document::parse(b"J='{\"k\":\"v\"}'\nP=pa$$word\nexport E=v\n").unwrap();
        let cx = EnvContext {
            path: std::path::Path::new(".env"),
            doc: &d,
            stack: None,
            example: None,
            example_path: None,
            now: std::time::UNIX_EPOCH,
        };
        let mut out = Vec::new();
        Dialect.run(&cx, &mut out);
        let sev: Vec<(Option<&str>, Severity)> =
            out.iter().map(|f| (f.key.as_deref(), f.severity)).collect();
        assert_eq!(
            sev,
            [
                (Some("J"), Severity::Low),
                (Some("P"), Severity::Medium),
                (Some("E"), Severity::Medium)
            ]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The shortcut only skips lines the full comparison passes.
        #[test]
        fn plain_lines_are_read_alike(
            line in "[A-Za-z_][A-Za-z0-9_]{0,8}=[A-Za-z0-9._/+=:@,%~-]{1,40}\n?"
        ) {
            let d = Document::parse(line.as_bytes()).unwrap();
            let (_, e, raw) = d.entries_with_raw().next().unwrap();
            proptest::prop_assert!(is_plain_assignment(e, raw));
            proptest::prop_assert_eq!(compared_readers(e, raw), []);
        }
    }

    #[cfg(feature = "check")]
    #[test]
    fn a_manifest_setting_read_differently_is_low_a_secret_medium() {
        let manifest = crate::manifest::ManifestFile::parse(
            "secrets.toml",
            "[vars.ORG]\nvalue = \"Default Organization\"\n[vars.PW]\nkind = \"hex\"\nbytes = 16\n",
        )
        .unwrap();
        let stack = crate::stack::Stack::from_manifest(manifest).unwrap();
        let d = Document::parse(b"ORG=Default Organization\nPW=pa$$ word\n").unwrap();
        let cx = EnvContext {
            path: std::path::Path::new(".env"),
            doc: &d,
            stack: Some(&stack),
            example: None,
            example_path: None,
            now: std::time::UNIX_EPOCH,
        };
        let mut out = Vec::new();
        Dialect.run(&cx, &mut out);
        let sev: Vec<(Option<&str>, Severity)> =
            out.iter().map(|f| (f.key.as_deref(), f.severity)).collect();
        assert_eq!(
            sev,
            [(Some("ORG"), Severity::Low), (Some("PW"), Severity::Medium)]
        );
    }

    #[test]
    fn reference_cases() {
        use Reader::*;
        assert_eq!(readers("K=plain\n"), []);
        assert_eq!(readers("K=\"value\"\n"), [DockerEnvFile]);
        assert_eq!(
            readers("K=pa$$word\n"),
            [
                Compose,
                ComposeV1,
                Dotenvy,
                PythonDotenv,
                NpmDotenv,
                Dotenvx,
                DockerEnvFile
            ]
        );
        assert_eq!(
            readers("K='ab${X}cd'\n"),
            [ComposeV1, PythonDotenv, DockerEnvFile]
        );
        assert_eq!(readers("I=#abc\n"), [Dotenvy, NpmDotenv, Dotenvx]);
        assert_eq!(readers("K=a #b\n"), [DockerEnvFile]);
        assert_eq!(readers("K=a#b\n"), [NpmDotenv, Dotenvx]);
        assert_eq!(readers("K=a b\n"), [Dotenvy]);
        assert_eq!(readers("export K=v\n"), [DockerEnvFile]);
        // Node's readers keep `\"` and `\\`, and read `\n` after a `\`.
        assert_eq!(
            readers("K=\"it's \\\"x\\\"\"\n"),
            [NpmDotenv, Dotenvx, DockerEnvFile]
        );
        assert_eq!(
            readers("K=\"back\\\\slash\\\\n\"\n"),
            [NpmDotenv, Dotenvx, DockerEnvFile]
        );
        assert_eq!(
            readers("K=\"a\\tb\"\n"),
            [Dotenvy, NpmDotenv, DockerEnvFile]
        );
        assert_eq!(readers("K='it\\'s'\n"), [Dotenvy, NpmDotenv, DockerEnvFile]);
        assert_eq!(readers("K=`x y`\n"), [Dotenvy, NpmDotenv, Dotenvx]);
        // dotenvx runs `$(...)` even after a backslash.
        assert_eq!(
            readers("K=\"a\\$(id)\"\n"),
            [ComposeV1, PythonDotenv, NpmDotenv, Dotenvx, DockerEnvFile]
        );
        assert_eq!(
            readers("K=\"a\\$b\"\n"),
            [ComposeV1, PythonDotenv, NpmDotenv, DockerEnvFile]
        );
    }
}
