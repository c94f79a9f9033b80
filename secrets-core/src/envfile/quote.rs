//! Choosing how a value is written so the readers of `.env` files agree on it
//! (facts in the project's env-dialects reference).

use std::fmt;

use zeroize::Zeroizing;

use crate::secret::joined;

/// A program that reads `.env` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Reader {
    /// Docker Compose v2 (`env_file:` and variable interpolation).
    Compose,
    /// `docker-compose` 1.x (Debian's 1.29), which reads with python-dotenv.
    ComposeV1,
    /// The Rust crate dotenvy 0.15.
    Dotenvy,
    /// python-dotenv 1.x.
    PythonDotenv,
    /// The npm package `dotenv`, 16 and later.
    NpmDotenv,
    /// dotenvx (`@dotenvx/dotenvx`), which also expands `$` and runs `$(...)`.
    Dotenvx,
    /// `docker run --env-file` (and `kubectl --from-env-file`).
    DockerEnvFile,
}

impl fmt::Display for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reader::Compose => "docker compose",
            Reader::ComposeV1 => "docker-compose v1",
            Reader::Dotenvy => "dotenvy",
            Reader::PythonDotenv => "python-dotenv",
            Reader::NpmDotenv => "npm dotenv",
            Reader::Dotenvx => "dotenvx",
            Reader::DockerEnvFile => "docker run --env-file",
        })
    }
}

/// A value's text as written after `KEY=`, and the readers that will read
/// something else than the value. `Debug` shows the readers, not the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The text to write; it holds the value, so it is cleared on drop.
    pub text: Zeroizing<String>,
    /// Readers that disagree with Compose on this text; empty when all agree.
    pub disagreeing: Vec<Reader>,
}

impl fmt::Debug for Encoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoded")
            .field("disagreeing", &self.disagreeing)
            .finish_non_exhaustive()
    }
}

/// Characters that mean the same bare in every reader above and in a shell
/// word: the env-safe alphabet plus base64, URL and list punctuation
/// (`?` only globs in a shell where a file name matches).
fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.-=+/,:@%~?".contains(&b)
}

/// `value` in double quotes with Compose's escapes; a CR raw or as `\r`.
/// Sized for the worst case (every byte escaped), so it never grows.
fn double_quoted(value: &str, cr_escape: bool) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(2 * value.len() + 2));
    text.push('"');
    for c in value.chars() {
        match c {
            '"' => text.push_str("\\\""),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\r' if cr_escape => text.push_str("\\r"),
            '$' => text.push_str("\\$"),
            c => text.push(c),
        }
    }
    text.push('"');
    text
}

/// The readers that read `KEY=text` differently from `value` by the
/// dialect model of SC011, and how many would misread the lines after it
/// too; `None` when Compose itself does not read `value`.
fn disagreeing(text: &str, value: &str) -> Option<(Vec<Reader>, usize)> {
    let line = joined(&["K=", text, "\n"]);
    let doc = super::Document::parse(line.as_bytes()).ok()?;
    let mut entries = doc.entries_with_raw();
    let (_, entry, raw) = entries.next()?;
    let whole = raw.len() == line.len() && entries.next().is_none();
    (whole && entry.value().expose() == value && !entry.interpolates()).then(|| {
        (
            crate::check::disagreeing_readers(entry, raw),
            crate::check::runs_on(entry, raw).len(),
        )
    })
}

/// The representation that keeps the most readers in agreement: bare when
/// the value is in the safe alphabet; otherwise, of single quotes, double
/// quotes with escapes and the bare value, the spelling Compose reads right
/// that makes the fewest readers misread the lines after it, then the
/// fewest misread the value itself (in that order on a tie: quotes keep a
/// shell from splitting the value). When no spelling satisfies every
/// reader, the ones left are named.
pub fn encode(value: &str) -> Encoded {
    if value.bytes().all(is_bare) {
        return Encoded {
            text: Zeroizing::new(value.to_owned()),
            disagreeing: Vec::new(),
        };
    }
    let mut candidates = Vec::with_capacity(3);
    // Compose reads `\'` in single quotes as a quote, so a value with `'`
    // or ending in `\` cannot be single-quoted; a line end stays in
    // double quotes, which every multi-line reader takes.
    if !value.contains(['\'', '\n', '\r']) && !value.ends_with('\\') {
        candidates.push(joined(&["'", value, "'"]));
    }
    candidates.push(double_quoted(value, false));
    if value.contains('\r') {
        candidates.push(double_quoted(value, true));
    }
    // Bare, a trailing backslash spoils no line after it.
    candidates.push(Zeroizing::new(value.to_owned()));
    candidates
        .into_iter()
        .filter_map(|text| {
            let (disagreeing, runs_on) = disagreeing(&text, value)?;
            Some((runs_on, Encoded { text, disagreeing }))
        })
        .min_by_key(|(runs_on, e)| (*runs_on, e.disagreeing.len()))
        .map(|(_, e)| e)
        .expect("Compose reads the double-quoted spelling of any value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices() {
        use Reader::*;
        assert_eq!(encode("abc-_.9").text.as_str(), "abc-_.9");
        assert_eq!(encode("ab+/c=").text.as_str(), "ab+/c=");
        assert!(encode("abc").disagreeing.is_empty());
        assert_eq!(encode("").text.as_str(), "");
        assert_eq!(encode(r#"{"k":"v w"}"#).text.as_str(), r#"'{"k":"v w"}'"#);
        assert_eq!(encode(r#"{"k":"v w"}"#).disagreeing, [DockerEnvFile]);
        assert_eq!(encode("it's").text.as_str(), r#""it's""#);
        assert_eq!(encode("a\nb").text.as_str(), r#""a\nb""#);
        assert_eq!(encode("pa$$word").text.as_str(), "'pa$$word'");
        assert_eq!(
            encode("a${B}").disagreeing,
            [ComposeV1, PythonDotenv, DockerEnvFile]
        );
        assert_eq!(encode("it's $5").text.as_str(), r#""it's \$5""#);
        // Any quoted spelling would spoil the lines after it for the
        // regex-based readers; bare, only dotenvy refuses it.
        let e = encode("a\\");
        assert_eq!(
            (e.text.as_str(), &e.disagreeing[..]),
            ("a\\", &[Dotenvy][..])
        );
    }

    /// Node's readers keep `\"` and `\\` in double quotes: single quotes
    /// suit a backslash better, and a value needing double quotes names them.
    #[test]
    fn node_readers_choose_and_are_named() {
        use Reader::*;
        let e = encode("back\\slash\\n");
        assert_eq!(
            (e.text.as_str(), &e.disagreeing[..]),
            ("'back\\slash\\n'", &[DockerEnvFile][..])
        );
        let e = encode("it's \"x\"");
        assert_eq!(
            (e.text.as_str(), &e.disagreeing[..]),
            (r#""it's \"x\"""#, &[NpmDotenv, Dotenvx, DockerEnvFile][..])
        );
    }
}
