//! Kubernetes `v1 Secret` manifests: `type: Opaque`, `data` in standard
//! base64, names and keys checked against the API server's rules.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::{ExportError, Exported};

/// Largest object the API server stores (1 MiB).
const MAX_OBJECT: usize = 1024 * 1024;

/// A DNS-1123 subdomain: at most 253 characters of dot-separated labels of
/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
pub fn valid_name(name: &str) -> bool {
    name.len() <= 253
        && !name.is_empty()
        && name.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// A data key: `[-._a-zA-Z0-9]+`, at most 253, not `.`/`..`, not starting `..`.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._".contains(&c))
        && key != "."
        && !key.starts_with("..")
}

/// The manifest as YAML. Its text holds the values (base64), so it is
/// returned in a zeroizing buffer.
pub fn manifest(
    exported: &[Exported],
    name: &str,
    namespace: Option<&str>,
) -> Result<Zeroizing<String>, ExportError> {
    if !valid_name(name) {
        return Err(ExportError::InvalidName(format!(
            "`{name}` is not a valid Secret name (lowercase DNS-1123 subdomain, at most 253 characters)"
        )));
    }
    if let Some(ns) = namespace {
        let label = ns.len() <= 63 && valid_name(ns) && !ns.contains('.');
        if !label {
            return Err(ExportError::InvalidName(format!(
                "`{ns}` is not a valid namespace (DNS-1123 label)"
            )));
        }
    }
    let mut out = Zeroizing::new(String::new());
    out.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n");
    out.push_str(&format!("  name: {name}\n"));
    if let Some(ns) = namespace {
        out.push_str(&format!("  namespace: {ns}\n"));
    }
    out.push_str("type: Opaque\ndata:\n");
    for e in exported {
        if !valid_key(&e.key) {
            return Err(ExportError::InvalidName(format!(
                "`{}` is not a valid Secret data key",
                e.key
            )));
        }
        let encoded = Zeroizing::new(STANDARD.encode(e.value.expose().as_bytes()));
        // Every key double-quoted: YAML 1.1 readers take a bare `ON`, `NO`
        // or `null` for a boolean or null. Valid keys need no escaping.
        out.push_str("  \"");
        out.push_str(&e.key);
        out.push_str("\": ");
        out.push_str(encoded.as_str());
        out.push('\n');
    }
    if out.len() >= MAX_OBJECT {
        return Err(ExportError::Size {
            key: name.to_owned(),
            why: format!(
                "the Secret is {} bytes; Kubernetes stores at most 1 MiB",
                out.len()
            ),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_keys() {
        assert!(valid_name("app-secrets") && valid_name("a.b-c"));
        assert!(
            !valid_name("App")
                && !valid_name("-a")
                && !valid_name("a..b")
                && !valid_name(&"a".repeat(254))
        );
        assert!(valid_key("POSTGRES_PASSWORD") && valid_key(".env") && valid_key("a-b.c"));
        assert!(!valid_key("..x") && !valid_key(".") && !valid_key("a b") && !valid_key("a/b"));
    }
}
