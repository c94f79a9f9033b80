//! Running a command inside a service's running container with a secret
//! on its standard input (`exec -T SERVICE argv…`): how `--apply command`
//! changes a credential through the image's own CLI (Grafana's
//! `reset-admin-password --password-from-stdin`, RabbitMQ's
//! `change_password USER`). The value never reaches an argv or an
//! environment: the container's CLI reads it from stdin.

use std::process::ExitStatus;

use super::{ComposeError, ComposeProject, ComposeTool};
use crate::SecretValue;

/// A credential an image changes through its own CLI: the catalog's or
/// the manifest's `live_command = { service, set, verify }`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveCommand {
    /// The compose service whose container runs the commands.
    pub service: String,
    /// Sets the password read from stdin (one line); exit 0 on success.
    pub set: Vec<String>,
    /// Exits 0 when the password on stdin logs in, 1 when it is refused
    /// (anything else: it could not tell). Without one a change cannot be
    /// checked, and `--apply command` refuses it.
    pub verify: Option<Vec<String>>,
}

impl LiveCommand {
    /// A command run in `service`.
    pub fn new(service: String, set: Vec<String>, verify: Option<Vec<String>>) -> Self {
        LiveCommand {
            service,
            set,
            verify,
        }
    }
}

impl ComposeProject {
    /// Runs `argv` in the running container of `service` (`exec -T`), with
    /// `input` and a newline on its stdin; returns its exit status.
    /// Compose's output is not kept (it may echo the input).
    pub fn exec(
        &self,
        tool: ComposeTool,
        service: &str,
        argv: &[String],
        input: &SecretValue,
    ) -> Result<ExitStatus, ComposeError> {
        if !self.services().contains_key(service) {
            return Err(ComposeError::Restart(format!(
                "{service}: no such service in {}",
                self.files()[0].display()
            )));
        }
        if argv.is_empty() {
            return Err(ComposeError::Restart(format!(
                "{service}: an empty command"
            )));
        }
        let mut c = tool.project_command(self.files());
        c.args(["exec", "-T", service]).args(argv);
        let mut line = zeroize::Zeroizing::new(Vec::with_capacity(input.expose().len() + 1));
        line.extend_from_slice(input.expose().as_bytes());
        line.push(b'\n');
        crate::child::run(&mut c, Some(&line))
            .map(|o| o.status)
            .map_err(|e| {
                ComposeError::Restart(format!("`{} exec` could not run: {e}", tool.name()))
            })
    }
}
