//! What `write`, `set`, `rotate`, `init` and `export` did, as JSON for deploy
//! scripts: each report type implements [`serde::Serialize`], and
//! [`to_json`] wraps one in the envelope every report shares. Names, never
//! values: no field holds a secret (a Kubernetes manifest, which holds
//! values, is never part of a report).
//!
//! The envelope (version 1) and the report's own fields, in one object:
//!
//! ```text
//! { "version": 1, "tool": "secrets", "tool_version": "0.1.0",
//!   "command": "write" | "set" | "rotate" | "init" | "export",
//!   "path": "the file the command worked on" | null, ... }
//! ```
//!
//! The JSON Schema of each command's report is committed beside the CLI
//! (`secrets-cli/schemas/NAME.schema.json`), and the end-to-end tests check
//! the binary's output against it.

use std::path::Path;

use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::envfile::render::Disagreement;
use crate::secure_file::Change;
use crate::write_env::{SetReport, WriteReport};

/// The version of every report's layout; raised when a field changes
/// meaning or goes away (new fields keep it).
pub const VERSION: u32 = 1;

/// `report`'s fields after the shared envelope: `command` names the report,
/// `path` the file it concerns.
pub fn to_json(command: &str, path: Option<&Path>, report: &impl Serialize) -> Value {
    let mut out = Map::new();
    out.insert("version".into(), json!(VERSION));
    out.insert("tool".into(), json!("secrets"));
    out.insert("tool_version".into(), json!(env!("CARGO_PKG_VERSION")));
    out.insert("command".into(), json!(command));
    out.insert(
        "path".into(),
        json!(path.map(|p| p.to_string_lossy().into_owned())),
    );
    // A report that cannot be turned into a map is a bug of this module,
    // caught by the tests: its fields are left out rather than a panic.
    if let Ok(Value::Object(fields)) = serde_json::to_value(report) {
        out.extend(fields);
    }
    Value::Object(out)
}

/// A mode as four octal digits, as `chmod` takes it.
fn mode(bits: u32) -> String {
    format!("{bits:04o}")
}

/// One change to a file or its directory.
pub fn change_json(change: &Change) -> Value {
    match change {
        Change::Created => json!({ "change": "created" }),
        Change::Replaced => json!({ "change": "replaced" }),
        Change::Mode { from, to } => {
            json!({ "change": "mode", "from": mode(*from), "to": mode(*to) })
        }
        Change::Owner { from, to } => json!({
            "change": "owner",
            "from": { "uid": from.0, "gid": from.1 },
            "to": { "uid": to.0, "gid": to.1 },
        }),
        Change::CreatedDirectory(dir) => json!({
            "change": "created-directory",
            "path": dir.to_string_lossy(),
        }),
    }
}

fn changes_json(changes: &[Change]) -> Vec<Value> {
    changes.iter().map(change_json).collect()
}

fn disagreements_json(list: &[Disagreement]) -> Vec<Value> {
    list.iter()
        .map(|d| {
            let readers: Vec<String> = d.readers.iter().map(ToString::to_string).collect();
            json!({ "name": d.name, "readers": readers })
        })
        .collect()
}

/// Serializes through a JSON value (the reports are small).
fn via_value<S: Serializer>(value: Value, s: S) -> Result<S::Ok, S::Error> {
    value.serialize(s)
}

impl Serialize for WriteReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        via_value(
            json!({
                "dry_run": self.dry_run,
                "wrote": self.wrote,
                "changes": changes_json(&self.changes),
                "added": self.added,
                "unset": self.unset,
                "cleared": self.cleared,
                "not_in_document": self.not_in_document,
                "template_unused": self.template_unused,
                "disagreements": disagreements_json(&self.disagreements),
                "kept_disagreeing": disagreements_json(&self.kept_disagreeing),
            }),
            s,
        )
    }
}

impl Serialize for SetReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        via_value(
            json!({
                "dry_run": self.dry_run,
                "wrote": self.wrote,
                "appended": self.appended,
                "recomputed": self.recomputed,
                "changes": changes_json(&self.changes),
                "disagreements": disagreements_json(&self.disagreements),
                "warnings": self.warnings,
                "breaks": self.breaks,
            }),
            s,
        )
    }
}

#[cfg(feature = "rotate")]
mod rotate {
    use super::*;
    use crate::rotate::{Classified, Consequence, Resumed, RotateReport, Skipped};

    fn class_json(c: &Classified) -> Value {
        json!({ "class": c.class.name(), "source": c.source.to_string() })
    }

    fn skipped_json(s: &Skipped) -> Value {
        json!({
            "name": s.name,
            "class": class_json(&s.class),
            "follower": s.follower.as_ref().map(|(n, c)| json!({ "name": n, "class": class_json(c) })),
            "due": s.due,
            "previous_keys": s.previous_keys,
            "live": s.live,
        })
    }

    fn consequence_json(c: &Consequence) -> Value {
        json!({ "name": c.name, "class": class_json(&c.class), "what": c.what })
    }

    impl Serialize for RotateReport {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let keys: Vec<Value> = (self.keys.iter())
                .map(|k| {
                    json!({
                        "name": k.name,
                        "kind": k.kind.name(),
                        "inferred": k.inferred,
                        "reason": k.reason,
                        "rollover": k.rollover,
                        "class": class_json(&k.class),
                        "previous_keys": k.previous_keys,
                    })
                })
                .collect();
            let resumed = self.resumed.as_ref().map(|r| match r {
                Resumed::Completed(roles) => json!({ "outcome": "completed", "roles": roles }),
                Resumed::Undone(roles) => json!({ "outcome": "undone", "roles": roles }),
            });
            let rollovers: Vec<Value> = (self.rollovers.iter())
                .map(|(name, how)| json!({ "name": name, "how": how }))
                .collect();
            via_value(
                json!({
                    "dry_run": self.dry_run,
                    "keys": keys,
                    "dependents": self.dependents,
                    "previous": self.previous,
                    "rollovers": rollovers,
                    "services": self.services,
                    "restarted": self.restarted,
                    "restart_failed": self.restart_failed,
                    "skipped": self.skipped.iter().map(skipped_json).collect::<Vec<_>>(),
                    "consequences": self.consequences.iter().map(consequence_json).collect::<Vec<_>>(),
                    "roles": self.roles,
                    "resumed": resumed,
                    "disagreements": disagreements_json(&self.disagreements),
                    "mode_change": self.mode_change.map(|(from, to)| json!({ "from": mode(from), "to": mode(to) })),
                    "undecryptable": self.undecryptable,
                }),
                s,
            )
        }
    }
}

#[cfg(feature = "init")]
mod init {
    use super::*;
    use crate::init::Inferred;

    impl Serialize for Inferred {
        /// The variables and counts; the manifest's text only where the
        /// caller adds it (it is the command's output, not its report).
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let entries: Vec<Value> = (self.entries.iter())
                .map(|e| {
                    json!({
                        "name": e.name,
                        "line": e.line,
                        "commented": e.commented,
                        "class": e.class.name(),
                        "why": e.why,
                        "uncertain": e.uncertain,
                    })
                })
                .collect();
            let added: Vec<Value> = (self.added.iter())
                .map(|a| json!({ "name": a.name, "file": a.file, "line": a.line }))
                .collect();
            let sum = self.summary();
            via_value(
                json!({
                    "entries": entries,
                    "added": added,
                    "unread": self.unread,
                    "summary": {
                        "secrets": sum.secrets,
                        "derived": sum.derived,
                        "external": sum.external,
                        "settings": sum.settings,
                        "commented": sum.commented,
                        "uncertain": sum.uncertain,
                    },
                }),
                s,
            )
        }
    }
}

#[cfg(feature = "export")]
mod export {
    use super::*;
    use crate::export::{ExportReport, Outcome};

    impl Serialize for ExportReport {
        /// A Kubernetes manifest bound for stdout holds values: only that
        /// there is one is reported, never its text.
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let (to, fields) = match &self.outcome {
                Outcome::Swarm(r) => (
                    "swarm",
                    json!({
                        "created": r.created,
                        "unchanged": r.unchanged,
                        "rewired": r.rewired,
                        "pruned": r.pruned,
                        "stanza": r.stanza,
                        "file_env": r.file_env,
                    }),
                ),
                Outcome::Compose(r) => {
                    let files: Vec<Value> = (r.files.iter().zip(&r.changes))
                        .map(|((key, path), changes)| {
                            let changes = changes_json(changes);
                            json!({ "key": key, "path": path.to_string_lossy(), "changes": changes })
                        })
                        .collect();
                    let fields = json!({ "files": files, "yaml": r.yaml, "file_env": r.file_env });
                    ("compose", fields)
                }
                Outcome::K8sFile(path, changes) => (
                    "k8s",
                    json!({ "out": path.to_string_lossy(), "changes": changes_json(changes) }),
                ),
                Outcome::K8sManifest(_) => ("k8s", json!({ "out": null })),
            };
            let mut out = Map::new();
            out.insert("dry_run".into(), json!(self.dry_run));
            out.insert("destination".into(), json!(to));
            out.insert("left_empty".into(), json!(self.left_empty));
            if let Value::Object(f) = fields {
                out.extend(f);
            }
            via_value(Value::Object(out), s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_comes_first_and_the_report_follows() {
        let report = SetReport {
            wrote: true,
            recomputed: vec!["DATABASE_URL".into()],
            changes: vec![Change::Mode {
                from: 0o644,
                to: 0o600,
            }],
            ..SetReport::default()
        };
        let v = to_json("set", Some(Path::new("a/.env")), &report);
        assert_eq!(v["version"], 1);
        assert_eq!(v["command"], "set");
        assert_eq!(v["path"], "a/.env");
        assert_eq!(v["recomputed"][0], "DATABASE_URL");
        assert_eq!(
            v["changes"][0],
            json!({ "change": "mode", "from": "0644", "to": "0600" })
        );
    }
}
