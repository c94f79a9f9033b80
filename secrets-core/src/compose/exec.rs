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
        let mut c = match tool {
            ComposeTool::V1 => {
                // `docker-compose exec` (v1) runs the `docker` CLI with
                // its own environment plus every value of the project's
                // `.env`: ask it only for the container, and run
                // `docker exec` ourselves in a cleared environment.
                let mut c = ComposeTool::docker();
                c.args(["exec", "-i"]).arg(self.container(tool, service)?);
                c
            }
            _ => {
                let mut c = tool.project_command(self.files());
                c.args(["exec", "-T", service]);
                c
            }
        };
        c.args(argv);
        let mut line = zeroize::Zeroizing::new(Vec::with_capacity(input.expose().len() + 1));
        line.extend_from_slice(input.expose().as_bytes());
        line.push(b'\n');
        crate::child::run(&mut c, Some(&line))
            .map(|o| o.status)
            .map_err(|e| {
                ComposeError::Restart(format!("`{} exec` could not run: {e}", tool.name()))
            })
    }

    /// The id of `service`'s one container (`ps -q SERVICE`).
    fn container(&self, tool: ComposeTool, service: &str) -> Result<String, ComposeError> {
        let mut c = tool.project_command(self.files());
        c.args(["ps", "-q", service]);
        let o = crate::child::run(&mut c, None).map_err(|e| {
            ComposeError::Restart(format!("`{} ps` could not run: {e}", tool.name()))
        })?;
        let text = String::from_utf8_lossy(&o.stdout);
        let ids: Vec<&str> = text.split_whitespace().collect();
        match (o.status.success(), ids.as_slice()) {
            (true, [id]) if id.bytes().all(|b| b.is_ascii_hexdigit()) => Ok((*id).to_owned()),
            (true, []) => Err(ComposeError::Restart(format!(
                "{service}: no container runs it (`{} up -d {service}` first)",
                tool.name()
            ))),
            (true, _) => Err(ComposeError::Restart(format!(
                "{service}: {} containers, where one was expected: change the credential by hand",
                ids.len()
            ))),
            (false, _) => Err(ComposeError::Restart(format!(
                "{service}: `{} ps` failed ({})",
                tool.name(),
                o.status
            ))),
        }
    }
}
