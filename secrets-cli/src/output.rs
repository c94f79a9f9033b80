//! Writing secret material to stdout.

use std::io::Write;
use std::os::fd::AsRawFd;

use nix::sys::stat::{fchmod, fstat, Mode, SFlag};

/// When stdout is a regular file (`secrets generate > .env`), the shell
/// created it with its umask, usually 0644: make it 0600 before the first
/// byte. Returns a warning when that was needed but impossible.
pub fn make_stdout_private() -> Option<String> {
    let fd = std::io::stdout().as_raw_fd();
    let st = fstat(fd).ok()?;
    let is_file = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFREG;
    if !is_file || st.st_mode & 0o077 == 0 {
        return None;
    }
    match fchmod(fd, Mode::from_bits_truncate(0o600)) {
        Ok(()) => None,
        Err(e) => Some(format!(
            "stdout is a file readable by others (mode {:o}) and could not be made 0600: {e}",
            st.st_mode & 0o777
        )),
    }
}

/// The one place secret material goes to stdout (`generate`, `export k8s`).
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Prints non-secret text; a closed pipe (`secrets catalog | head`) is not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints a line on stderr. A closed or full stderr must not turn a
/// completed operation into a crash, so errors are ignored.
pub fn note(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `note!("...", args)`: one line on stderr, never a secret.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => { $crate::output::note(format_args!($($arg)*)) };
}
