//! The manifest `init` writes: one line per variable under `[vars]`, in
//! the template's order, each under a comment naming its line and why.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::{Class, Entry};
use crate::generate::{Alphabet, Derivation, JwtAlg, Kind};
use crate::manifest::template::Part;
use crate::manifest::{Escape, Source, Template};

/// A TOML string.
fn string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A duration as the manifest writes them (`10y`, `90d`, `3600s`).
pub(crate) fn duration(period: Duration) -> String {
    const DAY: u64 = 86_400;
    let secs = period.as_secs();
    if secs.is_multiple_of(365 * DAY) {
        format!("{}y", secs / (365 * DAY))
    } else if secs.is_multiple_of(DAY) {
        format!("{}d", secs / DAY)
    } else if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        format!("{secs}s")
    }
}

/// A manifest template's text: `${NAME}` references, `$$` for a `$`.
pub(crate) fn template_text(t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            Part::Text(s) => s.replace('$', "$$"),
            Part::Var(n) => format!("${{{n}}}"),
        })
        .collect()
}

fn json_to_toml(v: &Value) -> String {
    match v {
        Value::String(s) => string(s),
        Value::Object(m) => {
            let fields: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), json_to_toml(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(json_to_toml).collect::<Vec<_>>().join(", ")
        ),
        Value::Null => string(""),
        other => other.to_string(),
    }
}

/// A TOML key: bare when it can be.
fn key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_owned()
    } else {
        string(k)
    }
}

/// The fields of a kind.
fn kind_fields(kind: &Kind) -> Vec<(&'static str, String)> {
    let mut f = vec![("kind", string(kind.name()))];
    match *kind {
        Kind::Password { length, alphabet } | Kind::RawKey { length, alphabet } => {
            f.push(("length", length.to_string()));
            if alphabet != Alphabet::Alphanumeric {
                f.push(("alphabet", string(alphabet.name())));
            }
        }
        Kind::Hex { bytes } | Kind::Token { bytes } => f.push(("bytes", bytes.to_string())),
        Kind::Base64 {
            bytes,
            urlsafe,
            padded,
        } => {
            f.push(("bytes", bytes.to_string()));
            if urlsafe {
                f.push(("urlsafe", "true".into()));
            }
            if !padded {
                f.push(("padded", "false".into()));
            }
        }
        Kind::JwtSecret { alg } => match alg {
            JwtAlg::Hs256 => {}
            JwtAlg::Hs384 => f.push(("alg", string("HS384"))),
            JwtAlg::Hs512 => f.push(("alg", string("HS512"))),
        },
        Kind::Username { length } | Kind::DjangoSecretKey { length } => {
            f.push(("length", length.to_string()));
        }
        Kind::Uuid
        | Kind::Fernet
        | Kind::VapidPrivateKey
        | Kind::ImgproxyKey
        | Kind::ImgproxySalt
        | Kind::LaravelKey => {}
    }
    f
}

/// The fields of a source.
fn source_fields(source: &Source) -> Vec<(&'static str, String)> {
    match source {
        Source::Generate(kind) => kind_fields(kind),
        Source::Derive { derivation, from } => {
            let mut f = vec![("kind", string(derivation.name())), ("from", string(from))];
            if let Derivation::SignedJwt { claims, expires_in } = derivation {
                if !claims.is_empty() {
                    f.push(("claims", json_to_toml(&Value::Object(claims.clone()))));
                }
                if let Some(secs) = expires_in {
                    f.push(("expires_in", string(&duration(*secs))));
                }
            }
            f
        }
        Source::Literal(text) => vec![("value", string(text))],
        Source::SameAs(other) => vec![("same_as", string(other))],
        Source::Template(t) => {
            let text = template_text(t);
            let mut f = vec![("template", string(&text))];
            if Escape::infer(&text) != t.escape {
                let name = match t.escape {
                    Escape::Url => "url",
                    Escape::Json => "json",
                    Escape::None => "none",
                };
                f.push(("escape", string(name)));
            }
            f
        }
        Source::External => vec![("external", "true".into())],
    }
}

/// One entry's inline table.
fn inline(e: &Entry) -> String {
    let mut fields = source_fields(&e.source);
    if let Some(def) = &e.catalog {
        if let Some(d) = &def.description {
            fields.push(("description", string(d)));
        }
        if let Some(r) = def.rotate_after {
            fields.push(("rotate_after", string(&duration(r))));
        }
        if let Some(r) = &def.rollover {
            fields.push(("rollover", string(r)));
        }
        if let Some(f) = &def.file_env {
            fields.push(("file_env", string(f)));
        }
    }
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", body.join(", "))
}

/// A name TOML `[stack] name` and the swarm prefixes built on it accept.
fn clean_name(name: &str) -> Option<&str> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(name)
}

/// The manifest describing `entries`, read from the template `file`.
pub(crate) fn manifest(file: &str, stack_name: Option<&str>, entries: &[Entry]) -> String {
    let mut out = String::new();
    let count = |class: Class| {
        entries
            .iter()
            .filter(|e| !e.commented && e.class == class)
            .count()
    };
    let uncertain = entries.iter().filter(|e| e.uncertain.is_some()).count();
    let _ = writeln!(
        out,
        "# Written by `secrets init` from {file}: each entry names its line there\n\
         # and why it is what it is; review the \"uncertain\" ones. Variables the\n\
         # template only shows in comments are described as comments here.\n\
         # {}, {} derived, {} external, {}; {uncertain} uncertain.\n",
        plural(count(Class::Secret), "secret"),
        count(Class::Derived),
        count(Class::External),
        plural(count(Class::Setting), "setting"),
    );
    out.push_str("[stack]\n");
    if let Some(name) = stack_name.and_then(clean_name) {
        let _ = writeln!(out, "name = {}", string(name));
    }
    out.push_str("\n[vars]\n");
    for e in entries {
        let place = match (e.line, e.commented) {
            (Some(l), false) => format!("line {l}"),
            (Some(l), true) => format!("line {l}, commented out"),
            (None, _) => "not in the template".to_owned(),
        };
        let how = if e.catalog.is_some() {
            "catalog"
        } else {
            "inferred"
        };
        let _ = writeln!(out, "# {place}: {how} {}: {}", e.class.name(), e.why);
        if let Some(u) = &e.uncertain {
            let _ = writeln!(out, "# uncertain: {u}");
        }
        let prefix = if e.commented { "# " } else { "" };
        let _ = writeln!(out, "{prefix}{} = {}", e.name, inline(e));
    }
    out
}

/// `1 secret`, `2 secrets`.
fn plural(n: usize, word: &str) -> String {
    match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let secs = Duration::from_secs;
        assert_eq!(duration(secs(10 * 365 * 86_400)), "10y");
        assert_eq!(duration(secs(90 * 86_400)), "90d");
        assert_eq!(duration(secs(7200)), "2h");
        assert_eq!(duration(secs(61)), "61s");
    }

    #[test]
    fn claims_are_inline_tables() {
        let v: Value = serde_json::json!({"role": "anon", "n": 5, "x-y": [true]});
        assert_eq!(
            json_to_toml(&v),
            r#"{ n = 5, role = "anon", x-y = [true] }"#
        );
    }
}
