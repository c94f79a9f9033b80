//! What compose files read: `${VAR}` anywhere (with its default), the
//! template's own file through `env_file:`, and `KEY: ${OTHER}` in an
//! `environment:` block, which makes KEY the same value as OTHER; and, per
//! service, which image runs it and what it receives through which
//! variable (the strongest evidence `init` has: what the stack itself
//! does with a value).

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
    /// The services, in file order.
    pub services: Vec<Service>,
    /// The project's name (top-level `name:`), with its place.
    pub project_name: Option<(String, Read)>,
    /// Some merged anchors were not read (the merge budget ran out).
    pub truncated: bool,
}

/// One compose service: what runs it and what it receives.
#[derive(Debug, Clone, Default)]
pub(crate) struct Service {
    /// Its key under `services:`.
    pub name: String,
    /// `image:`, as written (`postgres:16-alpine`).
    pub image: Option<String>,
    /// `build:` (the stack's own code) rather than a published image.
    pub build: bool,
    /// The compose file.
    pub file: String,
    /// Its line.
    pub line: usize,
    /// Every `${VAR}` its definition holds (merged anchors included): the
    /// variable, the container variable it becomes when the whole value
    /// is that reference (`KEY: ${VAR}`), and the line.
    pub reads: Vec<(String, Option<String>, usize)>,
    /// It reads the template's `.env` whole (`env_file:`).
    pub env_file: bool,
    /// Its definition says `requirepass` (or `--requirepass`) anywhere.
    pub requirepass: bool,
}

impl Service {
    /// The image's name without registry, owner and tag
    /// (`docker.io/bitnami/redis:7` is `redis`).
    pub fn image_base(&self) -> Option<String> {
        let image = self.image.as_deref()?;
        let no_digest = image.split('@').next().unwrap_or(image);
        let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
        let base = last.split(':').next().unwrap_or(last);
        Some(base.to_ascii_lowercase())
    }

    /// What runs it, for messages and for telling two programs apart: its
    /// image without the tag, or `build` of this service.
    pub fn runs(&self) -> String {
        match &self.image {
            Some(i) => {
                let no_digest = i.split('@').next().unwrap_or(i);
                // The tag is after the last `:` that follows the last `/`.
                let slash = no_digest.rfind('/').map_or(0, |s| s + 1);
                match no_digest[slash..].find(':') {
                    Some(c) => no_digest[..slash + c].to_owned(),
                    None => no_digest.to_owned(),
                }
            }
            None if self.build => format!("the build of {}", self.name),
            None => format!("service {}", self.name),
        }
    }
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
    let own_base = template.rsplit('/').next().unwrap_or(template);
    for f in files {
        out.services
            .extend(services(f, &[".env", own, own_base], &mut out.truncated));
        if out.project_name.is_none() {
            out.project_name = project_name(f);
        }
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
            if base == ".env" || base == own || base == own_base {
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

/// The catalog component describing what a published image reads, by
/// the image's base name (`postgres` of `postgres:16`). The servers whose
/// variables a compose file hands a value to.
pub(crate) fn component_of(image_base: &str) -> Option<&'static str> {
    Some(match image_base {
        "postgres" | "postgis" | "postgresql" | "pgvector" => "postgres",
        "mysql" | "percona-server" => "mysql",
        "mariadb" => "mariadb",
        "mongo" | "mongodb" => "mongodb",
        "rabbitmq" => "rabbitmq",
        "grafana" | "grafana-oss" => "grafana",
        "pgadmin4" => "pgadmin",
        "redis" | "valkey" | "keydb" | "redis-stack-server" => "redis",
        "minio" => "minio",
        "meilisearch" => "meilisearch",
        _ => return None,
    })
}

/// Who publishes what a service runs: the image's registry and owner
/// (`quay.io/soketi` of `quay.io/soketi/soketi:1`), an official image's
/// own name, or the stack's own code for a `build:`. Two services of one
/// origin (a web and a worker image of one project) are one program's.
pub(crate) fn origin(s: &Service) -> String {
    let runs = s.runs();
    let runs = ["docker.io/library/", "library/"]
        .iter()
        .find_map(|p| runs.strip_prefix(p))
        .map_or(runs.clone(), str::to_owned);
    match (&s.image, runs.rfind('/')) {
        (Some(_), Some(at)) => runs[..at].to_owned(),
        (Some(_), None) => runs,
        (None, _) => "the stack's own build".to_owned(),
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The value of a `key: value` line (comment stripped, unquoted), if the
/// line is that key's.
fn scalar<'t>(line: &'t str, key: &str) -> Option<&'t str> {
    let t = strip_comment(line).trim_start();
    let rest = t.strip_prefix(key)?.strip_prefix(':')?;
    Some(unquote(rest))
}

/// The top-level `name:` of a compose file.
fn project_name(f: &ComposeInput<'_>) -> Option<(String, Read)> {
    f.text.lines().enumerate().find_map(|(i, line)| {
        if indent(line) != 0 {
            return None;
        }
        let name = scalar(line, "name")?;
        (!name.is_empty() && !name.contains('$')).then(|| {
            (
                name.to_owned(),
                Read {
                    file: f.name.to_owned(),
                    line: i + 1,
                    default: None,
                },
            )
        })
    })
}

/// For each line, the index just past the block it opens (the next
/// non-blank line indented no deeper), in one pass: nested blocks cost no
/// more than flat ones.
fn block_ends(lines: &[&str]) -> Vec<usize> {
    let mut ends = vec![lines.len(); lines.len()];
    let mut open: Vec<(usize, usize)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if strip_comment(l).trim().is_empty() {
            continue;
        }
        let depth = indent(l);
        while open.last().is_some_and(|&(_, d)| d >= depth) {
            let (at, _) = open.pop().expect("just seen");
            ends[at] = i;
        }
        open.push((i, depth));
    }
    ends
}

/// The non-blank lines (index, text) of the block that line `at` opens.
fn block<'t>(lines: &[&'t str], ends: &[usize], at: usize) -> Vec<(usize, &'t str)> {
    (at + 1..ends[at])
        .map(|i| (i, lines[i]))
        .filter(|(_, l)| !strip_comment(l).trim().is_empty())
        .collect()
}

/// The line opening each block anchored with `&name` (`x-env: &env`),
/// by name (the first, as YAML reads an alias before a redefinition).
fn anchors(lines: &[&str]) -> std::collections::HashMap<String, usize> {
    let mut out = std::collections::HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let code = strip_comment(l);
        if let Some(at) = code.find(": &").or_else(|| code.find("- &")) {
            let name: String = code[at + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "_-.".contains(*c))
                .collect();
            if !name.is_empty() {
                out.entry(name).or_insert(i);
            }
        }
    }
    out
}

/// The services of one compose file; `own` are the names the template is
/// read under once written. Merged anchors are read into each service
/// that names them, up to a budget of a few times the file's own lines (a
/// file of many services each merging one large anchor would otherwise
/// take memory quadratic in its size); `truncated` is set when the budget
/// ran out and some merges were not read.
fn services(f: &ComposeInput<'_>, own: &[&str], truncated: &mut bool) -> Vec<Service> {
    let lines: Vec<&str> = f.text.lines().collect();
    let Some(top) = lines
        .iter()
        .position(|l| indent(l) == 0 && strip_comment(l).trim_end() == "services:")
    else {
        return Vec::new();
    };
    let ends = block_ends(&lines);
    let anchored = anchors(&lines);
    let body = block(&lines, &ends, top);
    let Some(depth) = body.first().map(|(_, l)| indent(l)) else {
        return Vec::new();
    };
    let mut budget = 4 * lines.len() + 1024;
    let mut out = Vec::new();
    for &(at, l) in body.iter().filter(|(_, l)| indent(l) == depth) {
        let code = strip_comment(l).trim();
        let Some(name) = code.strip_suffix(':') else {
            continue;
        };
        let mut def = block(&lines, &ends, at);
        // Merged anchors (`<<: *env`, `environment: *env`) are part of it,
        // each once.
        let mut merged: Vec<usize> = def
            .iter()
            .filter_map(|(_, l)| strip_comment(l).split_once('*').map(|(_, n)| n))
            .map(|n| {
                n.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
            })
            .filter_map(|n| anchored.get(n).copied())
            .collect();
        merged.sort_unstable();
        merged.dedup();
        for anchor in merged {
            // Counted before it is read: its span bounds its lines.
            let span = ends[anchor] - anchor - 1;
            if span > budget {
                *truncated = true;
                continue;
            }
            budget -= span;
            def.extend(block(&lines, &ends, anchor));
        }
        let mut s = Service {
            name: unquote(name).to_owned(),
            file: f.name.to_owned(),
            line: at + 1,
            ..Service::default()
        };
        let inner = def.first().map_or(0, |(_, l)| indent(l));
        let text: String = def.iter().map(|(_, l)| format!("{l}\n")).collect();
        for &(i, l) in &def {
            let code = strip_comment(l);
            if indent(l) == inner {
                if let Some(image) = scalar(l, "image") {
                    s.image.get_or_insert_with(|| image.to_owned());
                }
                if scalar(l, "build").is_some() {
                    s.build = true;
                }
            }
            if code.contains("requirepass") {
                s.requirepass = true;
            }
            let t = code.trim_start().trim_start_matches("- ");
            let (key, value) = match t.split_once(": ").or_else(|| t.split_once('=')) {
                Some((k, v)) => (Some(unquote(k).trim()), unquote(v)),
                None => (None, t),
            };
            let whole = match pieces(value).as_slice() {
                [Piece::Var { name, .. }] => Some(*name),
                _ => None,
            };
            for p in pieces(code) {
                if let Piece::Var { name, .. } = p {
                    let as_key = key
                        .filter(|k| whole == Some(name) && crate::manifest::is_env_name(k))
                        .map(str::to_owned);
                    s.reads.push((name.to_owned(), as_key, i + 1));
                }
            }
        }
        s.env_file = entries_under(&text, "env_file").iter().any(|item| {
            let path = item
                .text
                .strip_prefix("path:")
                .map_or(item.text.as_str(), unquote);
            let base = path.rsplit('/').next().unwrap_or(path);
            own.contains(&base)
        });
        out.push(s);
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

    #[test]
    fn services_their_images_and_what_each_receives() {
        let text = "name: shop\nx-env: &env\n  SHARED_KEY: ${SHARED}\nservices:\n  app:\n    build: .\n    env_file:\n      - path: ./.env\n    environment:\n      <<: *env\n      DB_PASS: ${DB_PASSWORD}\n  db:\n    image: docker.io/library/mysql:8.4 # pinned\n    environment:\n      - MYSQL_PASSWORD=${DB_PASSWORD}\n  cache:\n    image: redis:7\n    command: redis-server --save 60 1\n  broker:\n    image: ghcr.io/acme/relay@sha256:abc\n    command: [\"--requirepass\", \"${RELAY_KEY}\"]\n";
        let r = read(
            &[ComposeInput {
                name: "c.yml",
                text,
            }],
            ".env.example",
        );
        assert_eq!(r.project_name.as_ref().unwrap().0, "shop");
        let names: Vec<&str> = r.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["app", "db", "cache", "broker"]);
        let app = &r.services[0];
        assert!(app.build && app.env_file && app.image.is_none());
        assert!(app
            .reads
            .iter()
            .any(|(v, k, _)| v == "SHARED" && k.as_deref() == Some("SHARED_KEY")));
        let db = &r.services[1];
        assert_eq!(db.image_base().as_deref(), Some("mysql"));
        assert_eq!(db.runs(), "docker.io/library/mysql");
        assert_eq!(
            db.reads,
            [(
                "DB_PASSWORD".to_owned(),
                Some("MYSQL_PASSWORD".to_owned()),
                15
            )]
        );
        assert!(!db.env_file);
        assert!(!r.services[2].requirepass);
        assert!(r.services[3].requirepass);
        assert_eq!(r.services[3].image_base().as_deref(), Some("relay"));
    }

    #[test]
    fn merging_one_anchor_into_many_services_stays_bounded() {
        // 2000 services each merging a 2000-line anchor: read whole, that
        // is four million lines; the budget reads a few times the file.
        let mut text = String::from("x-env: &env\n");
        for i in 0..2000 {
            text.push_str(&format!("  V{i}: ${{V{i}}}\n"));
        }
        text.push_str("services:\n");
        for i in 0..2000 {
            text.push_str(&format!("  s{i}:\n    <<: *env\n"));
        }
        let r = read(
            &[ComposeInput {
                name: "c.yml",
                text: &text,
            }],
            ".env.example",
        );
        assert_eq!(r.services.len(), 2000);
        assert!(r.truncated);
        let merged: usize = r.services.iter().map(|s| s.reads.len()).sum();
        assert!(merged <= 4 * 6001 + 1024, "{merged}");
        assert_eq!(r.services[0].reads.len(), 2000, "the first ones are read");
    }

    #[test]
    fn block_ends_nest() {
        let lines = ["a:", "  b:", "    c: 1", "", "  d: 2", "e: 3"];
        assert_eq!(block_ends(&lines), [5, 4, 4, 6, 5, 6]);
    }
}
