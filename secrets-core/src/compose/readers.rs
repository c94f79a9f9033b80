//! Which services of a compose project read a `.env` variable: through
//! `env_file:` naming the file, through `${KEY}` (`$KEY`, `${KEY:-…}`)
//! interpolated from the project's `.env`, or through a file secret that
//! `secrets export compose` wrote for the key. Read line by line, as
//! [`crate::compose_text`] does; whatever this reading cannot follow
//! (anchors, merges, `extends`, `include`, flow-style blocks, an
//! interpolated `env_file` path) is an error, never "no readers".

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::ComposeTool;
use crate::compose_text::{entries_under, strip_comment, unquote};
use crate::init::interp::{pieces, Piece};
use crate::safe_fs::{self, limits, FsError};

/// A compose file that could not be read, or whose readers cannot be told.
/// Names files, lines and variables, never a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ComposeError {
    /// The file could not be read.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// The file does not exist.
    #[error("{}: no such file", .0.display())]
    NoFile(PathBuf),
    /// No compose file was given.
    #[error("no compose file given")]
    NoFiles,
    /// A construct this reading does not follow, at `file:line:col`.
    #[error("{file}:{line}:{col}: {reason}")]
    Unsupported {
        /// The compose file, as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What, and why it matters.
        reason: String,
    },
    /// Recreating the services failed.
    #[error("{0}")]
    Restart(String),
    /// The project's `.env` sets a variable compose takes its own settings
    /// from (project name, files, profiles, engine): compose run on it
    /// would act on whatever project or engine that file names.
    #[error("{file}:{line}: sets {key}, which compose reads as its own setting (project name, files, engine); refusing to run compose on this project")]
    ComposeSetting {
        /// The `.env`.
        file: String,
        /// 1-based line.
        line: usize,
        /// The variable.
        key: String,
    },
}

/// One service: what it reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Service {
    /// Its `env_file:` entries, resolved against the directory of the
    /// compose file that names them.
    pub env_files: Vec<PathBuf>,
    /// The variables its fields interpolate (defaults included).
    pub interpolated: BTreeSet<String>,
    /// The secrets it mounts, by their top-level name.
    pub secrets: BTreeSet<String>,
}

/// A top-level `secrets:` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SecretSource {
    file: Option<PathBuf>,
    environment: Option<String>,
    interpolated: BTreeSet<String>,
}

/// A compose project given by one or more files (`-f A -f B`: later files
/// override earlier ones, as compose merges them).
#[derive(Debug, Clone)]
pub struct ComposeProject {
    files: Vec<PathBuf>,
    services: BTreeMap<String, Service>,
    secrets: BTreeMap<String, SecretSource>,
    /// Variables interpolated outside services and secrets (networks,
    /// volumes, configs): which container reads them cannot be told.
    elsewhere: BTreeMap<String, (String, usize)>,
}

impl ComposeProject {
    /// Reads the files (each a regular file within the compose size limit;
    /// see [`safe_fs::read_named`]). For naming services in a hint only:
    /// a project compose will run is read with [`ComposeProject::read_to_run`].
    pub fn read(files: &[PathBuf]) -> Result<Self, ComposeError> {
        Self::read_with(files, safe_fs::read_named)
    }

    /// Reads the files of a project that compose will run as the caller
    /// (`--restart`, `--apply command`): each is read like a key file
    /// ([`safe_fs::read_trusted`]: owned by root or the caller, every
    /// directory on the way theirs and not writable by others), since
    /// compose creates what the file says (host mounts, privileges) with
    /// the caller's authority. The project's `.env` (beside the first
    /// file) must not set `COMPOSE_*` or `DOCKER_*` variables, which
    /// compose reads as its project name, files and engine.
    pub fn read_to_run(files: &[PathBuf]) -> Result<Self, ComposeError> {
        let project = Self::read_with(files, safe_fs::read_trusted)?;
        project.checked_project_env()?;
        Ok(project)
    }

    /// The compose program for this project's files, reading the project's
    /// `.env` from its stdin (`--env-file /dev/stdin`), which the returned
    /// file must become: a copy of the `.env` as it was checked just now.
    /// Its owner may rewrite the `.env` at any time, but compose never
    /// reads it by name, so a `COMPOSE_FILE` or `DOCKER_HOST` added after
    /// the check does not reach compose.
    pub(crate) fn command(
        &self,
        tool: ComposeTool,
    ) -> Result<(std::process::Command, std::fs::File), ComposeError> {
        let env = self.checked_project_env()?;
        let mut c = tool.command();
        c.args(["--env-file", "/dev/stdin"]);
        for f in self.files() {
            c.arg("-f").arg(f);
        }
        Ok((c, env))
    }

    /// The project's `.env` in a memfd (empty when there is none), after
    /// refusing one that sets a compose or engine setting. Read line by
    /// line, not through the `.env` parser: a line compose reads and ours
    /// would not (`export KEY=`, odd quoting) is refused too.
    fn checked_project_env(&self) -> Result<std::fs::File, ComposeError> {
        let path = self.project_dir().join(".env");
        let bytes = safe_fs::read_named(&path, limits::ENV)?;
        let bytes = bytes.as_ref().map_or(&[][..], |b| b.as_slice());
        let text = String::from_utf8_lossy(bytes);
        if let Some((line, key)) = compose_setting(&text) {
            return Err(ComposeError::ComposeSetting {
                file: path.display().to_string(),
                line,
                key,
            });
        }
        let memfd = |e: std::io::Error| {
            ComposeError::Restart(format!("a private copy of {}: {e}", path.display()))
        };
        let fd = rustix::fs::memfd_create("secrets-compose-env", rustix::fs::MemfdFlags::CLOEXEC)
            .map_err(|e| memfd(e.into()))?;
        let mut file = std::fs::File::from(fd);
        std::io::Write::write_all(&mut file, bytes).map_err(memfd)?;
        std::io::Seek::rewind(&mut file).map_err(memfd)?;
        Ok(file)
    }

    fn read_with(
        files: &[PathBuf],
        read: fn(&Path, u64) -> Result<Option<crate::SecretBytes>, FsError>,
    ) -> Result<Self, ComposeError> {
        if files.is_empty() {
            return Err(ComposeError::NoFiles);
        }
        let mut project = ComposeProject {
            files: files.to_vec(),
            services: BTreeMap::new(),
            secrets: BTreeMap::new(),
            elsewhere: BTreeMap::new(),
        };
        let mut any_services = false;
        for path in files {
            let bytes =
                read(path, limits::COMPOSE)?.ok_or_else(|| ComposeError::NoFile(path.clone()))?;
            let name = path.display().to_string();
            let text = std::str::from_utf8(&bytes).map_err(|e| {
                let line = bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                unsupported(&name, line, 1, "not UTF-8")
            })?;
            let dir = path.parent().unwrap_or(Path::new("."));
            any_services |= project.add(&name, dir, text)?;
        }
        if !any_services {
            let first = files[0].display().to_string();
            return Err(unsupported(
                &first,
                1,
                1,
                "no `services:` block (the old format without one is not read)",
            ));
        }
        Ok(project)
    }

    /// The files, in the order given.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The directory compose takes the project's `.env` from: the first
    /// file's.
    pub fn project_dir(&self) -> &Path {
        match self.files[0].parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// The services, by name.
    pub fn services(&self) -> &BTreeMap<String, Service> {
        &self.services
    }

    /// The services that read any of `keys` from the `.env` at `env`, by
    /// name. An error when one of the keys is interpolated where no
    /// service can be told to read it (a volume's or network's options).
    pub fn readers(&self, env: &Path, keys: &[String]) -> Result<Vec<String>, ComposeError> {
        let keys: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
        let is_project_env = same_file(env, &self.project_dir().join(".env"));
        if is_project_env {
            if let Some((key, (file, line))) = self
                .elsewhere
                .iter()
                .find(|(k, _)| keys.contains(k.as_str()))
            {
                return Err(unsupported(file, *line, 1, &format!("{key} is interpolated outside services and secrets; which containers read it cannot be told")));
            }
        }
        let reads = |name: &str| keys.contains(name);
        let target_names: BTreeSet<String> = keys.iter().map(|k| k.to_ascii_lowercase()).collect();
        let mut out = Vec::new();
        for (name, service) in &self.services {
            let by_env_file = service.env_files.iter().any(|f| same_file(env, f));
            let by_interpolation = is_project_env && service.interpolated.iter().any(|v| reads(v));
            let by_secret = service.secrets.iter().any(|s| {
                self.secrets.get(s).is_some_and(|src| {
                    // `export compose` writes KEY to a file named key.
                    let exported = src.file.as_ref().is_some_and(|f| {
                        f.file_name()
                            .is_some_and(|n| target_names.contains(&*n.to_string_lossy()))
                    });
                    exported
                        || src.environment.as_deref().is_some_and(reads)
                        || (is_project_env && src.interpolated.iter().any(|v| reads(v)))
                })
            });
            if by_env_file || by_interpolation || by_secret {
                out.push(name.clone());
            }
        }
        Ok(out)
    }

    /// The services that read one of `keys` through a file secret that
    /// `secrets export compose` wrote for it (a file named as the key in
    /// lower case), with the file: a rotation does not rewrite those
    /// files, so recreating the service alone gives it the old value.
    pub fn file_secret_readers(&self, keys: &[String]) -> Vec<(String, PathBuf)> {
        let names: BTreeSet<String> = keys.iter().map(|k| k.to_ascii_lowercase()).collect();
        let mut out = Vec::new();
        for (name, service) in &self.services {
            for s in &service.secrets {
                let file = self.secrets.get(s).and_then(|src| src.file.as_ref());
                if let Some(f) = file.filter(|f| {
                    f.file_name()
                        .is_some_and(|n| names.contains(&*n.to_string_lossy()))
                }) {
                    out.push((name.clone(), f.clone()));
                }
            }
        }
        out
    }

    /// Adds one file's services and secrets; whether it has a `services:`
    /// block.
    fn add(&mut self, file: &str, dir: &Path, text: &str) -> Result<bool, ComposeError> {
        let lines: Vec<&str> = text.lines().collect();
        check_supported(file, &lines)?;
        let mut has_services = false;
        for top in children(file, &lines, 0, lines.len(), None)? {
            let body = (top.line, top.end);
            match top.name.as_str() {
                "services" => {
                    has_services = true;
                    self.add_services(file, dir, &lines, top)?
                }
                "secrets" => self.add_secrets(file, dir, &lines, top)?,
                "include" => {
                    return Err(unsupported(
                        file,
                        top.line,
                        1,
                        "`include:` is not followed: give each file with its own --compose",
                    ))
                }
                "version" | "name" => {}
                n if n.starts_with("x-") => {}
                _ => {
                    for (i, line) in lines.iter().enumerate().take(body.1).skip(body.0 - 1) {
                        for var in interpolated(line) {
                            self.elsewhere
                                .entry(var)
                                .or_insert((file.to_owned(), i + 1));
                        }
                    }
                }
            }
        }
        Ok(has_services)
    }

    fn add_services(
        &mut self,
        file: &str,
        dir: &Path,
        lines: &[&str],
        block: Node,
    ) -> Result<(), ComposeError> {
        for node in children(file, lines, block.line, block.end, Some(block.indent))? {
            check_service_name(file, &node)?;
            let body = &lines[node.line..node.end];
            let text = body.join("\n");
            let service = self.services.entry(node.name.clone()).or_default();
            for (i, line) in body.iter().enumerate() {
                let line_no = node.line + i + 1;
                let code = strip_comment(line);
                let key = code.trim_start().trim_start_matches("- ");
                if key.starts_with("extends:") {
                    return Err(unsupported(file, line_no, indent(line) + 1, "`extends:` is not followed: which variables the service reads then depends on another service"));
                }
                service.interpolated.extend(interpolated(line));
            }
            for item in entries_under(&text, "env_file") {
                let line_no = node.line + item.line;
                let path = match item.text.strip_prefix("path:") {
                    Some(p) => unquote(p),
                    // Long syntax's other fields (`required: false`).
                    None if item.text.contains(": ") || item.text.ends_with(':') => continue,
                    None => item.text.as_str(),
                };
                if path.contains('$') {
                    return Err(unsupported(
                        file,
                        line_no,
                        1,
                        "an interpolated env_file path is not followed",
                    ));
                }
                service.env_files.push(dir.join(path));
            }
            for item in entries_under(&text, "secrets") {
                let name = match item.text.strip_prefix("source:") {
                    Some(s) => unquote(s),
                    None if item.text.contains(": ") || item.text.ends_with(':') => continue,
                    None => item.text.as_str(),
                };
                service.secrets.insert(name.to_owned());
            }
        }
        Ok(())
    }

    fn add_secrets(
        &mut self,
        file: &str,
        dir: &Path,
        lines: &[&str],
        block: Node,
    ) -> Result<(), ComposeError> {
        for node in children(file, lines, block.line, block.end, Some(block.indent))? {
            let source = self.secrets.entry(node.name.clone()).or_default();
            for line in &lines[node.line..node.end] {
                source.interpolated.extend(interpolated(line));
                let field = strip_comment(line).trim();
                if let Some(f) = field.strip_prefix("file:") {
                    source.file = Some(dir.join(unquote(f)));
                } else if let Some(v) = field.strip_prefix("environment:") {
                    source.environment = Some(unquote(v).to_owned());
                }
            }
        }
        Ok(())
    }
}

/// A mapping entry: `name:` at `indent`, on 1-based `line`, its body the
/// lines after it up to `end` (exclusive, 0-based).
#[derive(Debug, Clone)]
struct Node {
    name: String,
    line: usize,
    indent: usize,
    end: usize,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The first line of a `.env` that any reader could take as setting a
/// `COMPOSE_*` or `DOCKER_*` variable: its number (counting `\n`, as an
/// editor does) and the key. Read more loosely than any reader: compose
/// v1's python-dotenv ends a line at a lone `\r` too, skips a BOM and
/// Python's wider whitespace (`\x1c`–`\x1f`), and takes quoted keys
/// (`'DOCKER_HOST'=`); so every break of any kind starts a line, anything
/// before the first letter, digit, `_` or `#` is skipped, a quote included,
/// and a line is a comment only when `#` comes first after that.
fn compose_setting(text: &str) -> Option<(usize, String)> {
    let breaks = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let junk = |c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '#');
    let mut line_no = 1;
    let mut start = 0;
    for (i, c) in text.char_indices().chain([(text.len(), '\n')]) {
        if !breaks(c) {
            continue;
        }
        let line = &text[start..i];
        start = i + c.len_utf8();
        let number = line_no;
        if c == '\n' {
            line_no += 1;
        }
        let t = line.trim_start_matches(junk);
        if t.starts_with('#') {
            continue;
        }
        let t = match t.strip_prefix("export") {
            Some(after) if after.starts_with(|c: char| !c.is_ascii_alphanumeric() && c != '_') => {
                after.trim_start_matches(junk)
            }
            _ => t,
        };
        let key: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let upper = key.to_ascii_uppercase();
        if upper.starts_with("COMPOSE_") || upper.starts_with("DOCKER_") {
            return Some((number, key));
        }
    }
    None
}

fn unsupported(file: &str, line: usize, col: usize, reason: &str) -> ComposeError {
    ComposeError::Unsupported {
        file: file.to_owned(),
        line,
        col,
        reason: reason.to_owned(),
    }
}

/// Whether a line holds nothing (blank, or a comment).
fn is_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// The block-mapping entries of lines `from..to` (0-based) nested deeper
/// than `parent` (`None`: the top level, column 1). Every entry must sit
/// at the same indentation and be a block (`name:` alone on its line).
fn children(
    file: &str,
    lines: &[&str],
    from: usize,
    to: usize,
    parent: Option<usize>,
) -> Result<Vec<Node>, ComposeError> {
    let mut out: Vec<Node> = Vec::new();
    let mut level = None;
    for (i, raw) in lines.iter().enumerate().take(to).skip(from) {
        if is_blank(raw) || (parent.is_none() && (raw.starts_with("---") || *raw == "...")) {
            continue;
        }
        let ind = indent(raw);
        let level = *level.get_or_insert(if parent.is_none() { 0 } else { ind });
        if ind > level {
            continue;
        }
        if ind < level || parent.is_some_and(|p| ind <= p) {
            return Err(unsupported(
                file,
                i + 1,
                ind + 1,
                "indentation this reading cannot follow",
            ));
        }
        let code = strip_comment(raw).trim();
        let Some((name, rest)) = code.split_once(':').filter(|(n, r)| {
            !n.is_empty() && !n.starts_with("- ") && (r.is_empty() || r.starts_with(' '))
        }) else {
            return Err(unsupported(
                file,
                i + 1,
                ind + 1,
                "expected `name:` (a block mapping)",
            ));
        };
        let rest = rest.trim();
        if !rest.is_empty() && parent.is_some() {
            return Err(unsupported(
                file,
                i + 1,
                ind + 1,
                "a flow-style or inline entry here is not read; write it as a block",
            ));
        }
        if let Some(last) = out.last_mut() {
            last.end = i;
        }
        out.push(Node {
            name: unquote(name).to_owned(),
            line: i + 1,
            indent: ind,
            end: to,
        });
        let flow = parent.is_none() && !rest.is_empty() && !matches!(rest, "{}" | "[]");
        if flow && matches!(unquote(name), "services" | "secrets") {
            return Err(unsupported(
                file,
                i + 1,
                ind + 1,
                "a flow-style block is not read; write it as a block",
            ));
        }
    }
    Ok(out)
}

/// Refuses what pulls text into a service from elsewhere in the file:
/// aliases (`*name`), merges (`<<:`), several documents, tabs.
fn check_supported(file: &str, lines: &[&str]) -> Result<(), ComposeError> {
    let mut documents = 0;
    for (i, raw) in lines.iter().enumerate() {
        if raw.starts_with("---") {
            documents += 1;
            if documents > 1 {
                return Err(unsupported(
                    file,
                    i + 1,
                    1,
                    "several YAML documents in one file",
                ));
            }
            continue;
        }
        if is_blank(raw) {
            continue;
        }
        if raw[indent(raw)..].starts_with('\t') {
            return Err(unsupported(
                file,
                i + 1,
                indent(raw) + 1,
                "a tab in the indentation",
            ));
        }
        let code = strip_comment(raw);
        let t = code.trim_start();
        let value = t
            .strip_prefix("- ")
            .or_else(|| t.split_once(": ").map(|(_, v)| v))
            .unwrap_or("")
            .trim_start();
        if t.starts_with("<<:") || t.starts_with("- <<:") {
            return Err(unsupported(
                file,
                i + 1,
                indent(raw) + 1,
                "a merge key (`<<:`) is not followed",
            ));
        }
        if value
            .strip_prefix('*')
            .and_then(|v| v.chars().next())
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(unsupported(
                file,
                i + 1,
                indent(raw) + 1,
                "an alias (`*name`) is not followed",
            ));
        }
    }
    Ok(())
}

/// Service names compose accepts; anything else (`--build`) is refused
/// before it could reach a command line.
fn check_service_name(file: &str, node: &Node) -> Result<(), ComposeError> {
    let ok = node
        .name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && node
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    match ok {
        true => Ok(()),
        false => Err(unsupported(
            file,
            node.line,
            node.indent + 1,
            "not a compose service name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
        )),
    }
}

/// The variables a line interpolates, those in defaults included.
fn interpolated(line: &str) -> Vec<String> {
    let code = strip_comment(line);
    if code.trim_start().starts_with('#') {
        return Vec::new();
    }
    let mut out = Vec::new();
    collect(code, &mut out);
    out
}

fn collect(text: &str, out: &mut Vec<String>) {
    for p in pieces(text) {
        if let Piece::Var { name, modifier } = p {
            out.push(name.to_owned());
            if let Some((_, inner)) = modifier {
                collect(inner, out);
            }
        }
    }
}

/// Whether two paths name one file (the same inode); two paths that do
/// not both exist are compared as written, made absolute.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => matches!((std::path::absolute(a), std::path::absolute(b)), (Ok(x), Ok(y)) if x == y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compose_setting_is_found_however_a_reader_would_read_it() {
        let set = |text: &str| compose_setting(text);
        let docker = |line| Some((line, "DOCKER_HOST".to_owned()));
        assert_eq!(set("A=1\nDOCKER_HOST=unix:///x\n"), docker(2));
        assert_eq!(set("export DOCKER_HOST=x"), docker(1));
        assert_eq!(set("  export\tDOCKER_HOST = x"), docker(1));
        // The attacker review's forms, which python-dotenv reads as
        // DOCKER_HOST and the first check did not.
        assert_eq!(set("A=1\n'DOCKER_HOST'=unix:///x\n"), docker(2));
        assert_eq!(set("A=old\rDOCKER_HOST=unix:///x\n"), docker(1));
        assert_eq!(set("\u{feff}DOCKER_HOST=unix:///x\nA=1\n"), docker(1));
        assert_eq!(set("A=1\n\u{1c}DOCKER_HOST=unix:///x\n"), docker(2));
        assert_eq!(set("A=1\n\"DOCKER_HOST\"=x\n"), docker(2));
        assert_eq!(
            set("A=1\r\n\r\ncompose_project_name=victim"),
            Some((3, "compose_project_name".to_owned()))
        );
        // Not settings: comments, values, longer keys.
        for text in [
            "# DOCKER_HOST=unix:///x\n",
            "  #DOCKER_HOST=x\n",
            "A=DOCKER_HOST=x\n",
            "XDOCKER_HOST=1\n",
            "exportDOCKER_HOST=1\n",
            "MY_COMPOSE_FILE=x\n",
            "",
        ] {
            assert_eq!(set(text), None, "{text:?}");
        }
    }

    fn project(text: &str) -> Result<ComposeProject, ComposeError> {
        let mut p = ComposeProject {
            files: vec![PathBuf::from("/p/compose.yml")],
            services: BTreeMap::new(),
            secrets: BTreeMap::new(),
            elsewhere: BTreeMap::new(),
        };
        p.add("compose.yml", Path::new("/p"), text)?;
        Ok(p)
    }

    fn readers(text: &str, env: &str, key: &str) -> Vec<String> {
        project(text)
            .unwrap()
            .readers(Path::new(env), &[key.to_owned()])
            .unwrap()
    }

    const STACK: &str = "\
services:
  web:
    image: x
    env_file: .env
  api:
    image: x
    environment:
      DB: \"postgres://u:${PW}@db/x\"
      OTHER: ${NOPE:-${TOKEN}}
  worker:
    image: x
    env_file:
      - path: ./other.env
        required: false
  cache:
    image: x
    command: echo $$PW $PLAIN
    secrets:
      - source: api_token
        target: token
      - plain
secrets:
  api_token:
    file: ./secrets/api_token
  plain:
    environment: PLAIN_SECRET
";

    #[test]
    fn each_way_of_reading_a_key_is_found() {
        assert_eq!(readers(STACK, "/p/.env", "PW"), ["api", "web"]);
        // A default's variable is read too.
        assert_eq!(readers(STACK, "/p/.env", "TOKEN"), ["api", "web"]);
        // `$$PW` is a literal; `$PLAIN` is read.
        assert_eq!(readers(STACK, "/p/.env", "PLAIN"), ["cache", "web"]);
        // The file `export compose` writes for API_TOKEN.
        assert_eq!(readers(STACK, "/p/.env", "API_TOKEN"), ["cache", "web"]);
        let p = project(STACK).unwrap();
        assert_eq!(
            p.file_secret_readers(&["API_TOKEN".into(), "PW".into()]),
            [("cache".to_owned(), PathBuf::from("/p/./secrets/api_token"))]
        );
        assert_eq!(readers(STACK, "/p/.env", "PLAIN_SECRET"), ["cache", "web"]);
        // Another env file: only what names it reads it, and nothing is
        // interpolated from it.
        assert_eq!(readers(STACK, "/p/other.env", "PW"), ["worker"]);
        assert_eq!(readers(STACK, "/p/none.env", "PW"), Vec::<String>::new());
    }

    #[test]
    fn what_cannot_be_followed_is_an_error() {
        let cases = [
            (
                "x-c: &c\n  env_file: .env\nservices:\n  a:\n    <<: *c\n",
                5,
                "merge key",
            ),
            ("services:\n  a:\n    environment: *env\n", 3, "alias"),
            (
                "services:\n  a:\n    extends:\n      service: b\n",
                3,
                "extends",
            ),
            ("include:\n  - other.yml\nservices: {}\n", 1, "include"),
            ("services: {a: {image: x}}\n", 1, "flow-style"),
            ("services:\n  a: {image: x}\n", 2, "flow-style"),
            ("services:\n  --build:\n    image: x\n", 2, "service name"),
            (
                "services:\n  a:\n    env_file: ${DIR}/.env\n",
                3,
                "interpolated env_file",
            ),
            (
                "services:\n    a:\n      image: x\n  b:\n    image: y\n",
                4,
                "indentation",
            ),
            ("services:\n  a:\n\timage: x\n", 3, "tab"),
            ("a\n", 1, "block mapping"),
        ];
        for (text, line, what) in cases {
            let e = project(text).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("compose.yml:{line}:")),
                "{text:?}: {e}"
            );
            assert!(e.contains(what), "{text:?}: {e}");
        }
        let p = project("services:\n  a:\n    volumes: [data:/d]\nvolumes:\n  data:\n    driver_opts:\n      o: \"password=${CIFS}\"\n").unwrap();
        let e = p
            .readers(Path::new("/p/.env"), &["CIFS".into()])
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("compose.yml:7:1: CIFS is interpolated outside"),
            "{e}"
        );
    }

    #[test]
    fn later_files_add_to_earlier_ones() {
        let mut p = project("services:\n  a:\n    image: x\n  b:\n    image: x\n").unwrap();
        p.add(
            "override.yml",
            Path::new("/p"),
            "services:\n  b:\n    environment:\n      - K=${KEY}\n",
        )
        .unwrap();
        assert_eq!(
            p.readers(Path::new("/p/.env"), &["KEY".into()]).unwrap(),
            ["b"]
        );
    }
}
