//! Output: secret material to stdout, text, and one-line notes on stderr.

use std::io::Write;

use crate::failure::Failure;

/// Where secret output went when stdout is not a pipe or a terminal.
#[derive(Debug)]
pub enum SecretOutput {
    /// Written to stdout (a pipe, a terminal, or a file only the caller
    /// could have opened).
    Stdout,
    /// Stdout was a file the shell created with its umask (readable by
    /// others, so another user could hold it open): a new 0600 file was
    /// put in its place by the secure writer and the shell's stays empty.
    Replaced(String),
}

/// The one place secret material goes to stdout (`generate`, `export k8s`).
///
/// When stdout is a regular file (`secrets generate > .env`), the shell
/// created it before `secrets` ran, with its umask: another user may
/// already hold it open, and no later `fchmod` takes that away. So a value
/// is never put into such an inode: when it is empty, owned by the caller
/// and has one link, the secure writer replaces the name it has (checked to
/// be the same inode) with a new 0600 file; otherwise it is refused.
pub fn write_secret_stdout(text: &str) -> Result<SecretOutput, Failure> {
    write_secret_bytes_stdout(text.as_bytes())
}

/// [`write_secret_stdout`] for bytes (a decrypted file, exactly as it was).
pub fn write_secret_bytes_stdout(text: &[u8]) -> Result<SecretOutput, Failure> {
    use secrets_core::safe_fs::caller_uid;
    use secrets_core::secure_file::{SecureFile, WriteOptions};
    let stdout = std::io::stdout();
    let st = rustix::fs::fstat(&stdout)
        .map_err(|e| Failure::Error(format!("cannot inspect stdout: {e}")))?;
    let regular =
        rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile;
    let mode = st.st_mode & 0o7777;
    if !regular || (mode & 0o077 == 0 && st.st_uid == caller_uid() && st.st_nlink == 1) {
        write_stdout(text).map_err(|e| Failure::Error(format!("cannot write to stdout: {e}")))?;
        return Ok(SecretOutput::Stdout);
    }
    let refuse = |why: String| {
        Failure::Error(format!(
            "stdout is a file {why}; another user could have opened it before secrets ran, so no secret is written to it: use `secrets write --out FILE`, or `(umask 077; secrets ... > FILE)`"
        ))
    };
    if st.st_size != 0 || st.st_uid != caller_uid() || st.st_nlink != 1 {
        return Err(refuse(format!(
            "readable by others (mode {mode:04o}) that is not a new empty file of yours"
        )));
    }
    // The name the shell opened; used only to find the directory, and
    // checked under the lock to still be the very same inode.
    let link = std::fs::read_link("/proc/self/fd/1").map_err(|e| {
        refuse(format!(
            "readable by others (mode {mode:04o}) whose name cannot be read ({e})"
        ))
    })?;
    if link.to_string_lossy().ends_with(" (deleted)") {
        return Err(refuse("that was removed".into()));
    }
    let file = SecureFile::open(&link, WriteOptions::default())?;
    let locked = file.lock()?;
    if locked.identity()? != Some((st.st_dev, st.st_ino)) {
        return Err(refuse("whose name now names another file".into()));
    }
    locked.replace(text)?;
    Ok(SecretOutput::Replaced(link.display().to_string()))
}

/// Writes to stdout (secret material only through [`write_secret_stdout`]).
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

/// Control characters (a newline in a file name, a terminal escape) and
/// bidirectional overrides written visibly, so a name can never forge a
/// line of a report or repaint the terminal: `\n`, `\x1b`, `\u{202e}`.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(|c| c.is_control() || bidi(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || bidi(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Prints a line on stderr, its control characters escaped (one line,
/// whatever a path or key holds). A closed or full stderr must not turn a
/// completed operation into a crash, so errors are ignored.
pub fn note(line: std::fmt::Arguments<'_>) {
    let text = line.to_string();
    let _ = writeln!(std::io::stderr().lock(), "{}", escape_controls(&text));
}

/// `note!("...", args)`: one line on stderr, never a secret.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => { $crate::output::note(format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn control_characters_are_visible() {
        assert_eq!(escape_controls("a/.env"), "a/.env");
        assert_eq!(
            escape_controls("x\n/etc/shadow:1: high\x1b[2J\u{202e}"),
            "x\\n/etc/shadow:1: high\\x1b[2J\\u{202e}"
        );
    }
}
