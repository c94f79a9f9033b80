//! SA003: the directory of a secret file is writable by others (they could
//! replace the file) or readable by others (they can list it).

use super::walk::SecretFile;
use crate::check::{Finding, Fix, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::DirectoryPermissions,
    name: "directory-permissions",
    severity: Severity::Medium,
    summary: "The directory of a secret file is writable or readable by others",
    help: "chmod 700 DIR; --fix removes write access for others",
};

pub fn run(file: &SecretFile, out: &mut Vec<Finding>) {
    let dir = match file.path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let mode = file.dir_mode;
    let sticky = mode & 0o1000 != 0;
    if mode & 0o002 != 0 && !sticky {
        let message = format!(
            "{} is in {}, which others can write (mode {mode:04o}): they could replace it",
            file.path.display(),
            dir.display()
        );
        out.push(
            Finding::new(&RULE, &file.path, None, None, message).with_fix(Fix::Chmod {
                path: dir,
                mode: mode & !0o002,
            }),
        );
    } else if mode & 0o004 != 0 {
        let message = format!(
            "{} is in {}, which others can list (mode {mode:04o})",
            file.path.display(),
            dir.display()
        );
        let help = format!("chmod o-rwx {}", crate::check::shell_quote(&dir));
        out.push(
            Finding::new(&RULE, &file.path, None, None, message)
                .with_severity(Severity::Low)
                .with_help(help),
        );
    }
}
