//! Choosing how a value is written so the readers of `.env` files agree on it
//! (facts in the project's env-dialects reference).

use std::fmt;

/// A program that reads `.env` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Reader {
    /// Docker Compose v2 (`env_file:` and variable interpolation).
    Compose,
    /// The Rust crate dotenvy 0.15.
    Dotenvy,
    /// python-dotenv 1.x.
    PythonDotenv,
    /// `docker run --env-file` (and `kubectl --from-env-file`).
    DockerEnvFile,
}

impl fmt::Display for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reader::Compose => "docker compose",
            Reader::Dotenvy => "dotenvy",
            Reader::PythonDotenv => "python-dotenv",
            Reader::DockerEnvFile => "docker run --env-file",
        })
    }
}

/// A value's text as written after `KEY=`, and the readers that will read
/// something else than the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The text to write.
    pub text: String,
    /// Readers that disagree with Compose on this text; empty when all agree.
    pub disagreeing: Vec<Reader>,
}

/// Characters that mean the same bare in every reader above and in a shell
/// word: the env-safe alphabet plus base64, URL and list punctuation
/// (`?` only globs in a shell where a file name matches).
fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.-=+/,:@%~?".contains(&b)
}

/// The representation that keeps the most readers in agreement: bare when
/// the value is in the safe alphabet, single quotes when those suffice,
/// otherwise double quotes with escapes.
pub fn encode(value: &str) -> Encoded {
    if value.bytes().all(is_bare) {
        return Encoded {
            text: value.to_owned(),
            disagreeing: Vec::new(),
        };
    }
    let mut disagreeing = vec![Reader::DockerEnvFile]; // it keeps quotes
    if value.contains("${") {
        // python-dotenv expands `${` inside both kinds of quotes.
        disagreeing.push(Reader::PythonDotenv);
    }
    let single_ok = !value.contains(['\'', '\\', '\n', '\r']);
    if single_ok {
        disagreeing.sort();
        return Encoded {
            text: format!("'{value}'"),
            disagreeing,
        };
    }
    let mut text = String::with_capacity(value.len() + 2);
    text.push('"');
    for c in value.chars() {
        match c {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '$' => text.push_str("\\$"),
            c => text.push(c),
        }
    }
    text.push('"');
    // python-dotenv's pattern takes the `\"` that ends `"...\\"` for an
    // escaped quote and runs on into the next lines.
    let python_misreads = value.contains('$') || value.ends_with('\\');
    if python_misreads && !disagreeing.contains(&Reader::PythonDotenv) {
        // `\$` is no escape to python-dotenv: it keeps the backslash.
        disagreeing.push(Reader::PythonDotenv);
    }
    if value.contains('\r') {
        // dotenvy reads a raw CR inside quotes, compose may strip it.
        disagreeing.push(Reader::Dotenvy);
    }
    disagreeing.sort();
    Encoded { text, disagreeing }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices() {
        assert_eq!(encode("abc-_.9").text, "abc-_.9");
        assert_eq!(encode("ab+/c=").text, "ab+/c=");
        assert!(encode("abc").disagreeing.is_empty());
        assert_eq!(encode("").text, "");
        assert_eq!(encode(r#"{"k":"v w"}"#).text, r#"'{"k":"v w"}'"#);
        assert_eq!(
            encode(r#"{"k":"v w"}"#).disagreeing,
            [Reader::DockerEnvFile]
        );
        assert_eq!(encode("it's").text, r#""it's""#);
        assert_eq!(encode("a\nb").text, r#""a\nb""#);
        assert_eq!(encode("pa$$word").text, "'pa$$word'");
        assert_eq!(
            encode("a${B}").disagreeing,
            [Reader::PythonDotenv, Reader::DockerEnvFile]
        );
        assert_eq!(encode("it's $5").text, r#""it's \$5""#);
        assert_eq!(
            encode("a\\").disagreeing,
            [Reader::PythonDotenv, Reader::DockerEnvFile]
        );
    }
}
