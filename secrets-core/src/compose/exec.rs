//! Running a command inside a service's running container with a secret
//! on its standard input (`docker exec -i CONTAINER argv…`, the container
//! compose names for the service): how `--apply command`
//! changes a credential through the image's own CLI (Grafana's
//! `reset-admin-password --password-from-stdin`, RabbitMQ's
//! `change_password USER`). The value never reaches an argv or an
//! environment: the container's CLI reads it from stdin.

use std::process::ExitStatus;

use super::{ComposeError, ComposeProject, ComposeTool};
use crate::SecretValue;

impl ComposeProject {
    /// Runs `argv` in the running container of `service` (`docker exec -i`
    /// on the container compose names), with
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
        // Compose is asked only for the container (its stdin carries the
        // checked `.env`, see `ComposeProject::command`), and `docker exec`
        // runs in a cleared environment with the value on its stdin:
        // `docker-compose exec` (v1) would also hand the `docker` CLI every
        // value of the project's `.env` in its environment.
        let mut c = ComposeTool::docker();
        c.args(["exec", "-i"]).arg(self.container(tool, service)?);
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
        let (mut c, env) = self.command(tool)?;
        c.args(["ps", "-q", service]);
        let o = crate::child::run_with_stdin_file(&mut c, env).map_err(|e| {
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
