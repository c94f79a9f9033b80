//! `--apply command`: a credential changed through the image's own CLI,
//! run in the service's container with the value on stdin
//! ([`ComposeProject::exec`]). The set command's exit status decides:
//! non-zero is a failed step (the transaction undoes and keeps the
//! `.env`). Its login check is the `verify` command; a credential without
//! one cannot be checked, so [`Engine::check`] refuses it before anything
//! changes (fail closed: an unverified change is never committed). The
//! verify command's exit 0 is a login; any other exit a refusal; killed
//! by a signal, no answer.

use std::collections::BTreeMap;

use super::{AccountChange, Engine, StepError};
use crate::compose::{ComposeProject, ComposeTool};
use crate::envfile::Document;
use crate::generate::Kind;
use crate::manifest::LiveCommand;
use crate::manifest::Source;
use crate::stack::Stack;
use crate::SecretValue;

/// `command` with each `${NAME}` in its arguments replaced by NAME's value
/// in `doc`: only a username or a literal of the manifest may go into an
/// argv (every local user reads argvs); anything else is refused.
///
/// A literal comes from the manifest itself. A generated username comes
/// from the `.env`, so it names the account whose password changes: it
/// must look like a user name (never an option, a space or a shell word),
/// and is taken only from a `.env` root or the caller owns (`env_trusted`);
/// otherwise its owner could point the command at another account.
pub(crate) fn resolve(
    key: &str,
    command: &LiveCommand,
    doc: &Document,
    stack: &Stack,
    env_trusted: bool,
) -> Result<LiveCommand, StepError> {
    let arg = |a: &String| -> Result<String, StepError> {
        let mut out = String::new();
        let mut rest = a.as_str();
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let name = &rest[start + 2..start + len];
            let value = match stack.var(name).map(|v| &v.source) {
                Some(Source::Literal(text)) => text.clone(),
                Some(Source::Generate(Kind::Username { .. })) => {
                    if !env_trusted {
                        return Err(StepError(format!("{key}: its live_command names the account through {name}, read from a .env another user owns; give {name} its value in the manifest (`value = \"…\"`)")));
                    }
                    let value = doc.get(name).ok_or_else(|| {
                        StepError(format!(
                            "{key}: its live_command reads {name}, which the .env lacks"
                        ))
                    })?;
                    let v = value.expose();
                    let shaped = !v.is_empty()
                        && v.len() <= 64
                        && !v.starts_with(['-', '.'])
                        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.@-".contains(&b));
                    if !shaped {
                        return Err(StepError(format!("{key}: {name} in the .env is not a user name (letters, digits, `_.@-`, not starting with `-`)")));
                    }
                    v.to_owned()
                }
                _ => return Err(StepError(format!("{key}: its live_command passes ${{{name}}} on a command line, which only a username or a literal may be (every local user reads command lines)"))),
            };
            out.push_str(&rest[..start]);
            out.push_str(&value);
            rest = &rest[start + len + 1..];
        }
        out.push_str(rest);
        Ok(out)
    };
    let set = command.set.iter().map(arg).collect::<Result<_, _>>()?;
    let verify = match &command.verify {
        Some(v) => Some(v.iter().map(arg).collect::<Result<_, _>>()?),
        None => None,
    };
    Ok(LiveCommand::new(command.service.clone(), set, verify))
}

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
    /// (which also shows its container runs), or, resumed after its set
    /// command ran, with its new one.
    fn check(&mut self, changes: &[AccountChange]) -> Result<(), StepError> {
        for change in changes {
            let c = self.command(&change.account)?;
            if c.verify.is_none() {
                return Err(StepError(format!(
                    "{}: its live_command has no `verify`, so the new value could not be checked before the .env is committed; add `verify = [...]` (a command that exits 0 when the password on stdin logs in, 1 when it is refused)",
                    change.account
                )));
            }
            // On `--resume` the server may hold the new value already.
            if !self.logs_in(&change.account, &change.old)?
                && !self.logs_in(&change.account, &change.new)?
            {
                return Err(StepError(format!(
                    "{}: the current value does not log in, so the server's copy is not the .env's",
                    change.account
                )));
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
            // RabbitMQ's `authenticate_user` refuses with 65 (EX_DATAERR).
            Some(_) => Ok(false),
            None => Err(StepError(format!(
                "{account}: `{}` in {} could not tell ({status})",
                verify.join(" "),
                c.service
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestFile;

    #[test]
    fn only_usernames_and_literals_go_into_a_command_line() {
        let text = r#"
[stack]
name = "t"
[vars.MQ_USER]
kind = "username"
[vars.MQ_VHOST]
value = "main"
[vars.MQ_PASS]
kind = "password"
live_command = { service = "mq", set = ["ctl", "change_password", "${MQ_USER}"], verify = ["ctl", "-p", "/${MQ_VHOST}", "auth", "${MQ_USER}"] }
[vars.LEAKY]
kind = "password"
live_command = { service = "mq", set = ["ctl", "--password=${MQ_PASS}"] }
"#;
        let file = ManifestFile::parse("secrets.toml", text).unwrap();
        let stack = Stack::from_manifest(file).unwrap();
        let doc = Document::parse(b"MQ_USER=app\nMQ_VHOST=main\nMQ_PASS=s3cr3t-MARKER\n").unwrap();
        let cmd = stack.var("MQ_PASS").unwrap().live_command.clone().unwrap();
        let r = resolve("MQ_PASS", &cmd, &doc, &stack, true).unwrap();
        assert_eq!(r.set, ["ctl", "change_password", "app"]);
        assert_eq!(r.verify.unwrap(), ["ctl", "-p", "/main", "auth", "app"]);
        let leaky = stack.var("LEAKY").unwrap().live_command.clone().unwrap();
        let e = resolve("LEAKY", &leaky, &doc, &stack, true).unwrap_err();
        assert!(e.0.contains("${MQ_PASS} on a command line"), "{e}");
        assert!(!e.0.contains("MARKER"));
        // The vhost is the manifest's literal, whatever the .env says.
        let forged = Document::parse(b"MQ_USER=app\nMQ_VHOST=other\nMQ_PASS=x\n").unwrap();
        let r = resolve("MQ_PASS", &cmd, &forged, &stack, true).unwrap();
        assert_eq!(r.verify.unwrap(), ["ctl", "-p", "/main", "auth", "app"]);
        // A user name from a .env another user owns names no account.
        let e = resolve("MQ_PASS", &cmd, &doc, &stack, false).unwrap_err();
        assert!(e.0.contains("another user owns"), "{e}");
        // An option or a shell word is no user name.
        for bad in ["--erase", "a b", "x;id", ""] {
            let text = format!("MQ_USER={bad}\nMQ_VHOST=main\nMQ_PASS=x\n");
            let doc = Document::parse(text.as_bytes()).unwrap();
            let e = resolve("MQ_PASS", &cmd, &doc, &stack, true).unwrap_err();
            assert!(e.0.contains("not a user name"), "{bad}: {e}");
        }
    }
}
