//! SA002: a secret file not owned by the service user (`--owner`).

use super::walk::SecretFile;
use crate::check::{group_name, user_name, Finding, Fix, Rule, RuleId, Severity};
use crate::secure_file::Owner;

pub static RULE: Rule = Rule {
    id: RuleId::FileOwner,
    name: "file-owner",
    severity: Severity::Medium,
    summary: "A secret file is not owned by the expected user or group (--owner)",
    help: "chown USER:GROUP FILE (--fix does it, as root)",
};

pub fn run(file: &SecretFile, owner: Option<Owner>, out: &mut Vec<Finding>) {
    let Some(owner) = owner else { return };
    let wrong_user = owner.uid.is_some_and(|u| u != file.uid);
    let wrong_group = owner.gid.is_some_and(|g| g != file.gid);
    if !(wrong_user || wrong_group) {
        return;
    }
    // Owners by name (their number when they have none).
    let expected = format!(
        "{}:{}",
        owner.uid.map_or("-".into(), user_name),
        owner.gid.map_or("-".into(), group_name)
    );
    let message = format!(
        "{} is owned by {}:{}, not {expected}",
        file.path.display(),
        user_name(file.uid),
        group_name(file.gid)
    );
    out.push(
        Finding::new(&RULE, &file.path, None, None, message).with_fix(Fix::Chown {
            path: file.path.clone(),
            uid: owner.uid,
            gid: owner.gid,
        }),
    );
}
