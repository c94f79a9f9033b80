//! SA017: the plaintext of an age-encrypted file sits beside it (`.env`
//! next to `.env.age`): encrypting the file protected nothing while the
//! plaintext stays there.

use std::path::Path;

use super::walk::Tree;
use crate::check::{Finding, Rule, RuleId, Severity};

pub static RULE: Rule = Rule {
    id: RuleId::PlaintextBesideEncrypted,
    name: "plaintext-beside-encrypted",
    severity: Severity::High,
    summary: "The plaintext of an age-encrypted file sits beside it",
    help: "delete the plaintext (decrypt where it is used, with `secrets write --from FILE.age`), and rotate its secrets if it was ever committed or copied",
};

pub fn run(tree: &Tree, out: &mut Vec<Finding>) {
    for f in tree.secret_files.iter().filter(|f| f.encrypted) {
        let Some(name) = f.path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(plain_name) = name.strip_suffix(".age").filter(|n| !n.is_empty()) else {
            continue;
        };
        let plain = f.path.with_file_name(plain_name);
        // Opened beneath the root like every other file: a symlink there is
        // not followed, so it is not reported either.
        let Some(rel) = tree.relative(&plain) else {
            continue;
        };
        let Ok(Some(file)) = tree.open(rel) else {
            continue;
        };
        let plaintext = file
            .read_prefix(crate::crypt::PREFIX_LEN)
            .is_ok_and(|head| !crate::crypt::is_encrypted(&head));
        if plaintext {
            out.push(Finding::new(
                &RULE,
                &plain,
                None,
                None,
                format!(
                    "{} is the plaintext of {}, beside it",
                    plain.display(),
                    Path::new(name).display()
                ),
            ));
        }
    }
}
