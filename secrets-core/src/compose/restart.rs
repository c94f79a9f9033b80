//! Recreating exactly the services that read rotated values:
//! `docker compose -f FILE… up -d --no-deps --force-recreate SERVICE…`
//! (Compose v2, or `docker-compose` v1 where v2 is absent). Every other
//! container is left as it was.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{ComposeError, ComposeProject};
use crate::rotate::RestartReaders;

/// The variables a compose child keeps: where the engine is and how to
/// reach it. Not `COMPOSE_PROJECT_NAME`: the project compose acts on is the
/// one its trusted files name (top-level `name:`, else their directory's
/// name), which `read_to_run` checked; an inherited name (or one in the
/// project's `.env`, refused there) would make it recreate or exec into
/// another project's containers. No `-p` is passed: with the environment
/// cleared and the `.env` checked, compose computes the name from the
/// trusted files alone. Nothing else of ours reaches it
/// (a value exported in our environment would override the `.env`'s new
/// one in compose's interpolation, and must not leak either).
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
];

/// Clears `c`'s environment but for [`KEPT_ENV`].
fn cleared(c: &mut Command) {
    c.env_clear().env("LC_ALL", "C.UTF-8");
    for name in KEPT_ENV {
        if let Some(v) = std::env::var_os(name) {
            c.env(name, v);
        }
    }
}

/// Which compose program runs the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComposeTool {
    /// `docker compose` (the v2 plugin).
    V2,
    /// `docker-compose` (v1).
    V1,
}

impl ComposeTool {
    /// `docker compose` when `docker compose version` works, else
    /// `docker-compose` when `docker-compose version` does.
    pub fn detect() -> Result<Self, ComposeError> {
        for tool in [ComposeTool::V2, ComposeTool::V1] {
            let mut c = tool.command();
            c.arg("version");
            if crate::child::run(&mut c, None).is_ok_and(|o| o.status.success()) {
                return Ok(tool);
            }
        }
        Err(ComposeError::Restart(
            "neither `docker compose` (v2) nor `docker-compose` (v1) runs here".into(),
        ))
    }

    /// How it is written on a command line.
    pub fn name(self) -> &'static str {
        match self {
            ComposeTool::V2 => "docker compose",
            ComposeTool::V1 => "docker-compose",
        }
    }

    /// The program, in a cleared environment (see [`KEPT_ENV`]).
    pub(crate) fn command(self) -> Command {
        let mut c = match self {
            ComposeTool::V2 => {
                let mut c = Command::new("docker");
                c.arg("compose");
                c
            }
            ComposeTool::V1 => Command::new("docker-compose"),
        };
        cleared(&mut c);
        c
    }

    /// The `docker` CLI itself, in the same cleared environment.
    pub(crate) fn docker() -> Command {
        let mut c = Command::new("docker");
        cleared(&mut c);
        c
    }
}

/// `--restart --compose FILE`: recreates the services of a compose
/// project that read the rotated values ([`ComposeProject::readers`]).
#[derive(Debug)]
pub struct ComposeRestart {
    project: ComposeProject,
    env: PathBuf,
    tool: Option<ComposeTool>,
}

impl ComposeRestart {
    /// Recreates readers of the `.env` at `env` in `project`, with the
    /// compose program found when it is first needed.
    pub fn new(project: ComposeProject, env: &Path) -> Self {
        ComposeRestart {
            project,
            env: env.to_owned(),
            tool: None,
        }
    }

    /// With this compose program rather than the one found.
    pub fn with_tool(mut self, tool: ComposeTool) -> Self {
        self.tool = Some(tool);
        self
    }

    /// The services that read any of `keys`.
    pub fn readers(&self, keys: &[String]) -> Result<Vec<String>, ComposeError> {
        self.project.readers(&self.env, keys)
    }

    /// Recreates `services` (nothing when empty).
    pub fn recreate(&mut self, services: &[String]) -> Result<(), ComposeError> {
        if services.is_empty() {
            return Ok(());
        }
        let tool = match self.tool {
            Some(t) => t,
            None => *self.tool.insert(ComposeTool::detect()?),
        };
        let (mut c, env) = self.project.command(tool)?;
        c.args(["up", "-d", "--no-deps", "--force-recreate"]);
        c.args(services);
        let status = crate::child::run_with_stdin_file(&mut c, env).map(|o| o.status);
        let line = || {
            let files: Vec<OsString> = (self.project.files().iter())
                .flat_map(|f| [OsString::from("-f"), f.as_os_str().to_owned()])
                .collect();
            let files: Vec<String> = files
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect();
            format!(
                "{} {} up -d --no-deps --force-recreate {}",
                tool.name(),
                files.join(" "),
                services.join(" ")
            )
        };
        // Compose's own messages are not repeated: an error may quote an
        // interpolated value. Nor is the command offered to be run by hand:
        // there it would read the project's `.env` by name, unchecked.
        match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(ComposeError::Restart(format!(
                "`{}` failed ({s}; its output is not shown, as it may quote values)",
                line()
            ))),
            Err(e) => Err(ComposeError::Restart(format!(
                "`{}` could not run: {e}",
                line()
            ))),
        }
    }
}

impl RestartReaders for ComposeRestart {
    /// Recreates the readers; a reader through a file secret of `export
    /// compose` is not recreated (its file still holds the old value) and
    /// makes the result an error that says what to run.
    fn restart(&mut self, keys: &[String]) -> Result<Vec<String>, String> {
        let services = self.readers(keys).map_err(|e| crate::one_line(&e))?;
        let stale = self.project.file_secret_readers(keys);
        let (waiting, ready): (Vec<String>, Vec<String>) =
            (services.into_iter()).partition(|s| stale.iter().any(|(name, _)| name == s));
        if let Err(e) = self.recreate(&ready) {
            let mut old = ready;
            old.extend(waiting);
            old.sort();
            return Err(format!(
                "{}; still running with the old values: {}",
                crate::one_line(&e),
                old.join(", ")
            ));
        }
        if waiting.is_empty() {
            return Ok(ready);
        }
        let files: Vec<String> = stale.iter().map(|(_, f)| f.display().to_string()).collect();
        let done = match ready.is_empty() {
            true => String::new(),
            false => format!("recreated {}; ", ready.join(", ")),
        };
        Err(format!(
            "{done}{} read the rotated values through file secrets that `rotate` does not rewrite ({}): run `secrets export compose`, then recreate them; still running with the old values: {}",
            waiting.join(", "),
            files.join(", "),
            waiting.join(", ")
        ))
    }
}
