//! `--apply command`: a credential changed through the image's own CLI,
//! run in the service's container with the value on stdin
//! ([`ComposeProject::exec`]). The set command's exit status decides:
//! non-zero is a failed step (the transaction undoes and keeps the
//! `.env`). Its login check is the `verify` command; a credential without
//! one cannot be checked, so [`Engine::check`] refuses it before anything
//! changes (fail closed: an unverified change is never committed).

use std::collections::BTreeMap;

use super::{AccountChange, Engine, StepError};
use crate::compose::{ComposeProject, ComposeTool, LiveCommand};
use crate::SecretValue;

/// The engine: each account is `SERVICE:KEY`, changed by its command.
#[derive(Debug)]
pub(crate) struct CommandEngine {
    project: ComposeProject,
    tool: Option<ComposeTool>,
    /// By account (`SERVICE:KEY`).
    commands: BTreeMap<String, LiveCommand>,
}

/// The account name the transaction and the journal record for `key`
/// changed by `command`.
pub(crate) fn account(key: &str, command: &LiveCommand) -> String {
    format!("{}:{key}", command.service)
}

impl CommandEngine {
    /// An engine for `commands` (`(key, command)`), run in `project`'s
    /// containers with `tool` (found when first needed when `None`).
    pub(crate) fn new(
        project: ComposeProject,
        tool: Option<ComposeTool>,
        commands: impl IntoIterator<Item = (String, LiveCommand)>,
    ) -> Self {
        let commands = commands
            .into_iter()
            .map(|(key, c)| (account(&key, &c), c))
            .collect();
        CommandEngine {
            project,
            tool,
            commands,
        }
    }

    fn tool(&mut self) -> Result<ComposeTool, StepError> {
        match self.tool {
            Some(t) => Ok(t),
            None => Ok(*self
                .tool
                .insert(ComposeTool::detect().map_err(|e| StepError(crate::one_line(&e)))?)),
        }
    }

    fn command(&self, account: &str) -> Result<&LiveCommand, StepError> {
        self.commands
            .get(account)
            .ok_or_else(|| StepError(format!("{account}: no live_command for it")))
    }

    /// Runs the set command of `account` with `value`.
    fn set(&mut self, account: &str, value: &SecretValue) -> Result<(), StepError> {
        let tool = self.tool()?;
        let c = self.command(account)?.clone();
        let status = (self.project)
            .exec(tool, &c.service, &c.set, value)
            .map_err(|e| StepError(format!("{account}: {}", crate::one_line(&e))))?;
        match status.success() {
            true => Ok(()),
            false => Err(StepError(format!(
                "{account}: `{}` in {} failed ({status})",
                c.set.join(" "),
                c.service
            ))),
        }
    }
}

impl Engine for CommandEngine {
    fn name(&self) -> &'static str {
        "command"
    }

    /// Every account has a verify command, and logs in with its old value
    /// (which also shows its container runs).
    fn check(&mut self, changes: &[AccountChange]) -> Result<(), StepError> {
        for change in changes {
            let c = self.command(&change.account)?;
            if c.verify.is_none() {
                return Err(StepError(format!(
                    "{}: its live_command has no `verify`, so the new value could not be checked before the .env is committed; add `verify = [...]` (a command that exits 0 when the password on stdin logs in, 1 when it is refused)",
                    change.account
                )));
            }
            match self.logs_in(&change.account, &change.old)? {
                true => {}
                false => return Err(StepError(format!(
                    "{}: the current value does not log in, so the server's copy is not the .env's",
                    change.account
                ))),
            }
        }
        Ok(())
    }

    fn set_new(&mut self, change: &AccountChange) -> Result<(), StepError> {
        self.set(&change.account, &change.new)
    }

    fn restore_old(&mut self, change: &AccountChange) -> Result<(), StepError> {
        self.set(&change.account, &change.old)
    }

    fn logs_in(&mut self, account: &str, password: &SecretValue) -> Result<bool, StepError> {
        let tool = self.tool()?;
        let c = self.command(account)?.clone();
        let Some(verify) = &c.verify else {
            return Err(StepError(format!(
                "{account}: no verify command: whether the value logs in cannot be told"
            )));
        };
        let status = (self.project)
            .exec(tool, &c.service, verify, password)
            .map_err(|e| StepError(format!("{account}: {}", crate::one_line(&e))))?;
        match status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(StepError(format!(
                "{account}: `{}` in {} could not tell ({status})",
                verify.join(" "),
                c.service
            ))),
        }
    }
}
