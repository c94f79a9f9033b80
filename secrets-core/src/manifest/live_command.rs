//! `live_command = { service = "grafana", set = [...], verify = [...] }`:
//! how an image changes a credential through its own CLI (`rotate --apply
//! command`). The commands run in the service's container with the value
//! on stdin; an argument may name a non-secret variable (`${NAME}`, such
//! as the user whose password changes), never hold a value.

use serde::Deserialize;

use super::{Locator, ManifestError};

/// A variable's `live_command`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveCommand {
    /// The compose service whose container runs the commands.
    pub service: String,
    /// Sets the password it reads from stdin (one line); exit 0 on success.
    pub set: Vec<String>,
    /// Exits 0 when the password on stdin logs in, 1 when it is refused.
    /// Without one, `--apply command` refuses the change (it could not be
    /// checked before the `.env` is committed).
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLiveCommand {
    service: String,
    set: Vec<String>,
    verify: Option<Vec<String>>,
}

/// Checks a `live_command` written at `at`.
pub(super) fn convert(
    loc: &Locator<'_>,
    at: usize,
    raw: RawLiveCommand,
) -> Result<LiveCommand, ManifestError> {
    let bad =
        |message: String| loc.invalid(at, "live_command", format!("`live_command`: {message}"));
    let s = &raw.service;
    let service_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !service_ok {
        return bad(format!(
            "`{}` is not a compose service name",
            s.escape_debug()
        ));
    }
    for (field, argv) in [("set", Some(&raw.set)), ("verify", raw.verify.as_ref())] {
        let Some(argv) = argv else { continue };
        if argv.is_empty() {
            return bad(format!("`{field}` is an empty command"));
        }
        if let Some(arg) = argv.iter().find(|a| a.chars().any(char::is_control)) {
            return bad(format!(
                "`{field}` argument `{}` holds a control character",
                arg.escape_debug()
            ));
        }
    }
    Ok(LiveCommand::new(raw.service, raw.set, raw.verify))
}

#[cfg(test)]
mod tests {
    use crate::manifest::ManifestFile;

    fn parse(live: &str) -> Result<ManifestFile, String> {
        let text = format!(
            "[stack]\nname = \"t\"\n[vars.PW]\nkind = \"password\"\nlive_command = {live}\n"
        );
        ManifestFile::parse("secrets.toml", &text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_live_command_is_checked_where_it_is_written() {
        let ok =
            parse(r#"{ service = "grafana", set = ["grafana", "cli"], verify = ["v"] }"#).unwrap();
        let c = ok.vars[0].live_command.clone().unwrap();
        assert_eq!(
            (c.service.as_str(), c.set.len(), c.verify.map(|v| v.len())),
            ("grafana", 2, Some(1))
        );
        for (live, what) in [
            (
                r#"{ service = "--build", set = ["x"] }"#,
                "not a compose service name",
            ),
            (
                r#"{ service = "a", set = [] }"#,
                "`set` is an empty command",
            ),
            (
                r#"{ service = "a", set = ["x"], verify = ["a\nb"] }"#,
                "control character",
            ),
            (
                r#"{ service = "a", set = ["x"], run = ["y"] }"#,
                "unknown field",
            ),
        ] {
            let e = parse(live).unwrap_err();
            assert!(e.starts_with("secrets.toml:5:"), "{live}: {e}");
            assert!(e.contains(what), "{live}: {e}");
        }
    }
}
