//! Running a command inside a service's running container with a secret
//! on its standard input (`exec -T SERVICE argv…`): how `--apply command`
//! changes a credential through the image's own CLI (Grafana's
//! `reset-admin-password --password-from-stdin`, RabbitMQ's
//! `change_password USER`). The value never reaches an argv or an
//! environment: the container's CLI reads it from stdin.

use std::process::ExitStatus;

use super::{ComposeError, ComposeProject, ComposeTool};
use crate::SecretValue;

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
