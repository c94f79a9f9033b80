//! Output: secret material to stdout, text, and one-line notes on stderr.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use secrets_core::secret_stdout::{SecretStdout, StdoutError, Written};

use crate::args::ColorWhen;
use crate::failure::{one_line, Failure};

/// `-q`: notes are not printed.
static QUIET: AtomicBool = AtomicBool::new(false);
/// `--color`: 0 auto, 1 always, 2 never.
static COLOR: AtomicU8 = AtomicU8::new(0);

/// Sets the global options once, before a command runs.
pub fn configure(quiet: bool, color: ColorWhen) {
    QUIET.store(quiet, Ordering::Relaxed);
    let c = match color {
        ColorWhen::Auto => 0,
        ColorWhen::Always => 1,
        ColorWhen::Never => 2,
    };
    COLOR.store(c, Ordering::Relaxed);
}

/// Whether `-q` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether to colour stdout: `--color always` even to a pipe, never with
/// `--color never`; otherwise on a terminal, unless NO_COLOR is set
/// (an explicit option outranks the environment, as no-color.org asks).
pub fn colour_stdout() -> bool {
    match COLOR.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => no_color_unset() && std::io::stdout().is_terminal(),
    }
}

/// NO_COLOR is absent or empty.
pub fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Stdout, judged before any secret is produced (see
/// [`secrets_core::secret_stdout`]). A refusal ends with `instead`: how
/// this command writes a file instead.
pub fn secret_stdout(instead: &str) -> Result<SecretStdout, Failure> {
    SecretStdout::check().map_err(|e| match e {
        e @ StdoutError::Refused { .. } => Failure::Error(format!("{}; {instead}", one_line(&e))),
        e => Failure::from(e),
    })
}

/// The one place secret material goes to stdout (`generate`, `decrypt`,
/// `export k8s`), with a note when a file replaced the shell's.
pub fn write_secret(stdout: &SecretStdout, text: &[u8]) -> Result<(), Failure> {
    if let Written::Replaced(path) = stdout.write(text)? {
        crate::note!(
            "secrets: stdout was {}, a file the shell created: wrote a new file there at mode 0600 instead (the shell's stays empty)",
            path.display()
        );
    }
    Ok(())
}

/// Writes to stdout (secret material only through [`write_secret`]).
fn write_stdout(text: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text)?;
    out.flush()
}

/// Prints age ciphertext (nothing secret) to stdout. Binary ciphertext is
/// refused on a terminal, where it would be garbage; a closed pipe is an
/// error, since the reader did not get the whole file.
pub fn write_ciphertext_stdout(bytes: &[u8], armored: bool) -> Result<(), Failure> {
    use std::io::IsTerminal;
    if !armored && std::io::stdout().is_terminal() {
        return Err(Failure::Error(
            "refusing to print binary ciphertext to a terminal: redirect stdout, or use --armor"
                .into(),
        ));
    }
    write_stdout(bytes).map_err(|e| Failure::Error(format!("cannot write to stdout: {e}")))
}

/// Prints non-secret text; a closed pipe (`secrets catalog | head`) is not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A report as pretty JSON on stdout (see `secrets_core::operation_report`).
pub fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    print(&format!("{value:#}\n"))
        .map_err(|e| Failure::Error(format!("cannot write to stdout: {e}")))
}

/// `1 key`, `2 keys`: the count and the word, singular or plural.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    match n {
        1 => format!("1 {singular}"),
        n => format!("{n} {plural}"),
    }
}

pub use secrets_core::display::{escape_controls, owner_names};

/// Prints a line on stderr unless `-q`, its control characters escaped (one
/// line, whatever a path or key holds).
pub fn note(line: std::fmt::Arguments<'_>) {
    if !QUIET.load(Ordering::Relaxed) {
        warn(line);
    }
}

/// Prints a line on stderr even with `-q` (an error or a warning), its
/// control characters escaped. A closed or full stderr must not turn a
/// completed operation into a crash, so errors are ignored.
pub fn warn(line: std::fmt::Arguments<'_>) {
    let text = line.to_string();
    let _ = writeln!(std::io::stderr().lock(), "{}", escape_controls(&text));
}

/// `note!("...", args)`: one line on stderr, never a secret; `-q` drops it.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => { $crate::output::note(format_args!($($arg)*)) };
}

/// `warn!("...", args)`: an error or warning line on stderr, kept by `-q`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::output::warn(format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::{count, escape_controls, owner_names};

    #[test]
    fn owners_are_named_where_they_have_names() {
        assert_eq!(owner_names((0, 0)), "root:root");
        assert_eq!(owner_names((0, 4_242_421)), "root:4242421");
    }

    #[test]
    fn counts_take_the_singular_for_one_only() {
        assert_eq!(count(0, "key", "keys"), "0 keys");
        assert_eq!(count(1, "key", "keys"), "1 key");
        assert_eq!(count(2, "secret", "secrets"), "2 secrets");
    }

    #[test]
    fn control_characters_are_visible() {
        assert_eq!(escape_controls("a/.env"), "a/.env");
        assert_eq!(
            escape_controls("x\n/etc/shadow:1: high\x1b[2J\u{202e}"),
            "x\\n/etc/shadow:1: high\\x1b[2J\\u{202e}"
        );
    }
}
