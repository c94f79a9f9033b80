//! Findings as JSON (a stable, documented schema) and as SARIF 2.1.0 for
//! code scanning. Neither holds a secret value: findings never do.
//!
//! JSON schema (version 1):
//!
//! ```text
//! { "version": 1, "tool": "secrets", "tool_version": "0.1.0",
//!   "findings": [ { "rule": "SA001", "name": "file-permissions",
//!                   "severity": "low"|"medium"|"high", "path": "...",
//!                   "line": 3 | null, "key": "NAME" | null,
//!                   "message": "...", "help": "...",
//!                   "fix": { "action": "chmod"|"chown"|"ignore", ... } (fixable only),
//!                   "fingerprint": "commit <sha>" (history findings only) } ],
//!   "summary": { "high": 0, "medium": 0, "low": 0 },
//!   "baseline": { "file": "...", "accepted": [ finding + "reason" ],
//!                 "stale": [ { "rule", "path", "fingerprint", "reason" } ] }
//!                 (`secrets audit` with a baseline only) }
//! ```
//!
//! `help` is the command that repairs the finding, runnable as printed
//! (real path, shell-quoted) where there is one, else the rule's advice.
//! `findings` and `summary` hold what the baseline does not accept.

use std::path::Path;

use serde_json::{json, Value};

use crate::check::{Finding, Rule, RuleId, Severity};

/// The JSON report.
pub fn to_json(findings: &[Finding]) -> Value {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    json!({
        "version": 1,
        "tool": "secrets",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "findings": findings,
        "summary": { "high": count(Severity::High), "medium": count(Severity::Medium), "low": count(Severity::Low) },
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// A path as a SARIF artifact URI: relative to `base` when under it,
/// percent-encoded where a URI needs it.
fn uri(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let text = rel.to_string_lossy().trim_start_matches("./").to_owned();
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'.')
        .remove(b'-')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(&text, SET).to_string()
}

/// The SARIF 2.1.0 log: every rule's metadata, one result per finding.
/// Paths are made relative to `base` (the scanned root, `%SRCROOT%`).
pub fn to_sarif(findings: &[Finding], rules: &[&Rule], base: &Path) -> Value {
    let rule_index = |id: RuleId| rules.iter().position(|r| r.id == id);
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut location = json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(&f.path, base), "uriBaseId": "%SRCROOT%" },
                }
            });
            if let Some(line) = f.line {
                location["physicalLocation"]["region"] = json!({ "startLine": line });
            }
            let mut r = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "properties": { "severity": f.severity.name() },
            });
            if let Some(i) = rule_index(f.rule) {
                r["ruleIndex"] = json!(i);
            }
            if let Some(key) = &f.key {
                r["properties"]["key"] = json!(key);
            }
            r
        })
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": r.help },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "tags": ["security", "secrets"], "severity": r.severity.name() },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "secrets",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/secrets",
                "rules": rules,
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": format!("file://{}/", base.display()) } },
            "results": results,
        }],
    })
}

/// Every rule, check and audit (with the `audit` feature), in id order.
pub fn all_rules() -> Vec<&'static Rule> {
    let rules = crate::check::env_checks().iter().map(|c| c.rule());
    #[cfg(feature = "audit")]
    let rules = rules.chain(crate::audit::rules());
    rules.collect()
}
