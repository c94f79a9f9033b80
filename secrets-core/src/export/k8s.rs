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
    for e in exported {
        if !valid_key(&e.key) {
            return Err(ExportError::InvalidName(format!(
                "`{}` is not a valid Secret data key",
                e.key
            )));
        }
    }
    let mut head = format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n");
    if let Some(ns) = namespace {
        head.push_str(&format!("  namespace: {ns}\n"));
    }
    head.push_str("type: Opaque\ndata:\n");
    // Every key double-quoted: YAML 1.1 readers take a bare `ON`, `NO` or
    // `null` for a boolean or null. Valid keys need no escaping.
    let line = |key: &str, value_len: usize| {
        "  \"".len() + key.len() + "\": ".len() + encoded_len(value_len) + 1
    };
    let size = head.len()
        + exported
            .iter()
            .map(|e| line(&e.key, e.value.len()))
            .sum::<usize>();
    if size >= MAX_OBJECT {
        return Err(ExportError::Size {
            key: name.to_owned(),
            why: format!("the Secret is {size} bytes; Kubernetes stores at most 1 MiB"),
        });
    }
    // Allocated once at its final size and the base64 written straight
    // into it: no growth, no temporary leaves a copy of a value behind.
    let mut out = Zeroizing::new(Vec::with_capacity(size));
    out.extend_from_slice(head.as_bytes());
    for e in exported {
        out.extend_from_slice(b"  \"");
        out.extend_from_slice(e.key.as_bytes());
        out.extend_from_slice(b"\": ");
        let start = out.len();
        out.resize(start + encoded_len(e.value.len()), 0);
        STANDARD
            .encode_slice(e.value.expose().as_bytes(), &mut out[start..])
            .expect("sized by encoded_len");
        out.push(b'\n');
    }
    debug_assert_eq!(out.len(), size);
    let text = String::from_utf8(std::mem::take(&mut *out)).expect("ASCII");
    Ok(Zeroizing::new(text))
}

/// The length of padded base64 of `n` bytes.
fn encoded_len(n: usize) -> usize {
    base64::encoded_len(n, true).expect("a value's base64 fits in memory")
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
