//! SA019: a secret-named path (`.env`, `.env.production`, a file in
//! `secrets/`, a rotation journal) is a symbolic link. Compose reads
//! through the link, so what it points to is the secret file; the audit
//! never reads or fixes through a link, so the link itself is the finding
//! and its target is judged by its metadata alone (`stat` through the
//! link: nothing is opened, so a FIFO or device there cannot block or be
//! triggered). A target that cannot be judged is high: the gate fails
//! closed.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{AtFlags, FileType};

use crate::check::{Finding, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::SecretSymlink,
    name: "secret-symlink",
    severity: Severity::High,
    summary: "A secret-named path is a symbolic link: what it points to is neither audited nor fixed",
    help: "replace the link by the file itself (cp --remove-destination TARGET LINK; chmod 600 LINK), or keep the file where it is and audit that directory; --fix never acts through a link",
};

/// The finding for the symlink `name` in the directory `dir` (shown as
/// `shown`): high when its target is a regular file others can read or
/// cannot be judged, medium when it is a private regular file.
pub fn finding(dir: impl AsFd, name: &OsStr, shown: &Path) -> Finding {
    let target = rustix::fs::readlinkat(dir.as_fd(), name, Vec::new())
        .map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned())
        .unwrap_or_else(|_| "?".to_owned());
    let link = format!("{} is a symbolic link to {target}", shown.display());
    let (severity, verdict) = match rustix::fs::statat(dir.as_fd(), name, AtFlags::empty()) {
        Ok(st) => {
            let mode = st.st_mode & 0o7777;
            match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile if mode & 0o004 != 0 => (
                    Severity::High,
                    format!("others can read its target (mode {mode:04o}, owner uid {})", st.st_uid),
                ),
                FileType::RegularFile => (
                    Severity::Medium,
                    format!(
                        "its target is not readable by others (mode {mode:04o}, owner uid {}), but it is not audited",
                        st.st_uid
                    ),
                ),
                kind => (
                    Severity::High,
                    format!("its target is not a regular file ({kind:?}): it cannot be judged"),
                ),
            }
        }
        Err(e) => (
            Severity::High,
            format!(
                "its target cannot be judged ({}): fails closed",
                std::io::Error::from(e)
            ),
        ),
    };
    Finding::new(
        &RULE,
        shown,
        None,
        None,
        format!("{link}: {verdict}; not read and never fixed through the link"),
    )
    .with_severity(severity)
}
