//! What compose files read: `${VAR}` anywhere (with its default), the
//! template's own file through `env_file:`, and `KEY: ${OTHER}` in an
//! `environment:` block, which makes KEY the same value as OTHER.

use std::collections::BTreeMap;

use super::interp::{pieces, Piece};
use crate::compose_text::{entries_under, strip_comment, unquote};

/// A compose file given with `--compose`.
#[derive(Debug, Clone, Copy)]
pub struct ComposeInput<'a> {
    /// Its name, as given, for messages.
    pub name: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// Where a compose file reads a variable.
#[derive(Debug, Clone)]
pub(crate) struct Read {
    pub file: String,
    pub line: usize,
    /// The default of `${VAR:-default}` or `${VAR-default}`.
    pub default: Option<String>,
}

/// What the compose files read.
#[derive(Debug, Default)]
pub(crate) struct ComposeReads {
    /// Each variable interpolated, at its first place.
    pub vars: BTreeMap<String, Read>,
    /// A service reads the template's `.env` whole (`env_file:`).
    pub env_file: Option<Read>,
    /// `KEY: ${OTHER}` in an `environment:` block: (KEY, OTHER, place).
    pub passes: Vec<(String, String, Read)>,
}

/// The name a template is read under once written: `.env.example` and
/// `env.sample` are `.env`, `docker-compose.env` stays itself.
fn written_name(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    for suffix in [".example", ".sample", ".template", ".dist", ".tmpl"] {
        if let Some(stem) = base.strip_suffix(suffix) {
            return if stem == "env" { ".env" } else { stem };
        }
    }
    base
}

/// Reads the compose files; `template` is the template's path as given.
pub(crate) fn read(files: &[ComposeInput<'_>], template: &str) -> ComposeReads {
    let mut out = ComposeReads::default();
    let own = written_name(template);
    for f in files {
        for (i, line) in f.text.lines().enumerate() {
            let code = strip_comment(line);
            if code.trim_start().starts_with('#') {
                continue;
            }
            for p in pieces(code) {
                if let Piece::Var { name, modifier } = p {
                    let default = modifier
                        .filter(|(op, _)| *op == ":-" || *op == "-")
                        .map(|(_, d)| d.to_owned());
                    out.vars.entry(name.to_owned()).or_insert(Read {
                        file: f.name.to_owned(),
                        line: i + 1,
                        default,
                    });
                }
            }
        }
        for item in entries_under(f.text, "env_file") {
            let path = item
                .text
                .strip_prefix("path:")
                .map_or(item.text.as_str(), unquote);
            let base = path.rsplit('/').next().unwrap_or(path);
            if base == ".env" || base == own {
                out.env_file.get_or_insert(Read {
                    file: f.name.to_owned(),
                    line: item.line,
                    default: None,
                });
            }
        }
        for item in entries_under(f.text, "environment") {
            let Some((key, value)) = item
                .text
                .split_once(": ")
                .or_else(|| item.text.split_once('='))
            else {
                continue;
            };
            let key = unquote(key).trim();
            if let [Piece::Var {
                name,
                modifier: None,
            }] = pieces(unquote(value)).as_slice()
            {
                if *name != key {
                    out.passes.push((
                        key.to_owned(),
                        (*name).to_owned(),
                        Read {
                            file: f.name.to_owned(),
                            line: item.line,
                            default: None,
                        },
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_defaults_and_passes() {
        let text = "services:\n  api:\n    image: app:${TAG:-latest}\n    env_file: .env\n    environment:\n      DATABASE_URL: ${DATABASE_URL:-postgresql://plane:plane@db/plane}\n      AUTH_SECRET: ${JWT_SECRET}\n      - OTHER=$$NOT\n  # ${COMMENTED}\n";
        let r = read(
            &[ComposeInput {
                name: "compose.yml",
                text,
            }],
            "deploy/.env.example",
        );
        let names: Vec<&str> = r.vars.keys().map(String::as_str).collect();
        assert_eq!(names, ["DATABASE_URL", "JWT_SECRET", "TAG"]);
        assert_eq!(
            r.vars["DATABASE_URL"].default.as_deref(),
            Some("postgresql://plane:plane@db/plane")
        );
        assert_eq!(r.env_file.as_ref().unwrap().line, 4);
        assert_eq!(r.passes.len(), 1);
        assert_eq!(
            (r.passes[0].0.as_str(), r.passes[0].1.as_str()),
            ("AUTH_SECRET", "JWT_SECRET")
        );
        assert_eq!(written_name("docker-compose.env"), "docker-compose.env");
        assert_eq!(written_name("env.sample"), ".env");
    }
}
