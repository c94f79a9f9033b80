//! `secrets set KEY`: one value chosen by the operator, read from stdin or
//! a prompt that does not echo (never argv, which other users can read in
//! /proc), written through the secure writer under its lock, with what the
//! manifest derives from it recomputed.

use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::Duration;

use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions, Termios};
use secrets_core::generate::os_rng;
use secrets_core::operation_report::to_json;
use secrets_core::secure_file::{Change, Owner, SecureFile, WriteOptions};
use secrets_core::write_env::{set_value, SetRequest, WriteEnvError};
use secrets_core::SecretValue;

use crate::args::{SetArgs, TextFormat};
use crate::failure::Failure;

pub fn run(args: SetArgs) -> Result<ExitCode, Failure> {
    let stack = super::load_optional_stack(&args.stack)?;
    let value = read_value(&args.key)?;
    // An existing file keeps its owner and mode, as with `rotate`.
    let exists = secrets_core::safe_fs::read_meta_nofollow(&args.env)
        .map_err(|e| super::write_error(e.into()))?
        .is_some();
    let options = if exists && args.owner.is_none() {
        WriteOptions::preserving(&args.env).map_err(super::write_error)?
    } else {
        let owner = args.owner.as_deref().map(Owner::parse).transpose()?;
        args.mode.options().with_owner(owner)
    };
    let options = options.with_lock_wait(Duration::from_secs(args.wait));
    let file = SecureFile::open(&args.env, options).map_err(super::write_error)?;
    let path = file.path().to_owned();
    let display = path.display().to_string();
    let request = SetRequest::new(stack.as_ref(), args.key.clone(), value)
        .server_changed(args.server_changed)
        .accepting_data_loss(args.accept_data_loss)
        .dry_run(args.dry_run);
    let report = match set_value(file, request, &mut os_rng()) {
        Ok(report) => report,
        Err(WriteEnvError::File(e)) => return Err(super::write_error(e)),
        Err(WriteEnvError::Stored { path, name, class_source }) => {
            return Err(Failure::Error(format!(
                "{path}: {name} is stored by its server ({class_source}): setting it in the file alone locks its clients out; change it in the server first (`secrets rotate {name} --apply ...` does both where a live step exists), then pass --server-changed"
            )))
        }
        Err(WriteEnvError::DataKey { path, name, class_source }) => {
            return Err(Failure::Error(format!(
                "{path}: {name} encrypts data at rest ({class_source}): a new value makes that data unreadable; re-encrypt or export it first, then pass --accept-data-loss"
            )))
        }
        Err(e) => return Err(Failure::from(e)),
    };
    if args.format == TextFormat::Json {
        crate::output::print_json(&to_json("set", Some(&path), &report))?;
    }
    if args.dry_run {
        if args.format == TextFormat::Text {
            crate::output::print(&dry_run_text(&report, &args.key, &display))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(breaks) = report.breaks {
        crate::note!(
            "secrets: warning: {} is issued to others: {breaks}",
            args.key
        );
    }
    super::warn_disagreements(&report.disagreements);
    for w in &report.warnings {
        crate::note!("secrets: warning: {w}");
    }
    match (report.wrote, report.appended) {
        (false, _) => crate::note!(
            "secrets: {display} already holds this value for {}",
            args.key
        ),
        (true, true) => crate::note!("secrets: added {} to {display}", args.key),
        (true, false) => crate::note!("secrets: set {} in {display}", args.key),
    }
    if !report.recomputed.is_empty() {
        crate::note!("secrets: recomputed {}", report.recomputed.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// What a dry run found, one line per change (names, never values).
fn dry_run_text(report: &secrets_core::write_env::SetReport, key: &str, display: &str) -> String {
    let mut lines = Vec::new();
    match (report.wrote, report.appended) {
        (false, _) => lines.push(format!("{display} already holds this value for {key}")),
        (true, true) => lines.push(format!("would add {key} to {display}")),
        (true, false) => lines.push(format!("would set {key} in {display}")),
    }
    if !report.recomputed.is_empty() {
        lines.push(format!("would recompute {}", report.recomputed.join(", ")));
    }
    for change in &report.changes {
        match change {
            Change::Created => lines.push(format!("would create {display}")),
            Change::Mode { from, to } => lines.push(format!(
                "would change the mode of {display} from {from:04o} to {to:04o}"
            )),
            Change::Owner { from, to } => lines.push(format!(
                "would change the owner of {display} from {} to {}",
                crate::output::owner_names(*from),
                crate::output::owner_names(*to)
            )),
            _ => {}
        }
    }
    if report.changes.is_empty() {
        lines.push("nothing would change".into());
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The value: one line from stdin, or typed at a prompt without echo.
fn read_value(key: &str) -> Result<SecretValue, Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return SecretValue::read_line(stdin.lock())
            .map_err(|e| Failure::Error(format!("<stdin>: {e}")));
    }
    let mut prompt = std::io::stderr();
    let _ = write!(prompt, "{key}: ");
    let _ = prompt.flush();
    let echo = EchoOff::new(&stdin)?;
    let value = SecretValue::read_line(FirstLine {
        inner: stdin.lock(),
        done: false,
    });
    drop(echo);
    let _ = writeln!(prompt);
    value.map_err(|e| Failure::Error(format!("<terminal>: {e}")))
}

/// The terminal's echo, off while the value is typed; restored on drop.
struct EchoOff<'a> {
    fd: std::os::fd::BorrowedFd<'a>,
    saved: Termios,
}

impl<'a> EchoOff<'a> {
    fn new(stdin: &'a std::io::Stdin) -> Result<Self, Failure> {
        let fd = stdin.as_fd();
        let failed = |e: rustix::io::Errno| {
            Failure::Error(format!("cannot turn the terminal's echo off: {e}"))
        };
        let saved = tcgetattr(fd).map_err(failed)?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        // ICANON stays: the line is sent at Enter, and editing keys work.
        tcsetattr(fd, OptionalActions::Flush, &quiet).map_err(failed)?;
        Ok(EchoOff { fd, saved })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        let _ = tcsetattr(self.fd, OptionalActions::Now, &self.saved);
    }
}

/// A terminal's input up to the end of its first line (a terminal gives
/// no end of file).
struct FirstLine<R> {
    inner: R,
    done: bool,
}

impl<R: std::io::BufRead> std::io::Read for FirstLine<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let available = self.inner.fill_buf()?;
        let newline = available.iter().position(|&b| b == b'\n');
        let n = newline.map_or(available.len(), |i| i + 1).min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.done = newline.is_some_and(|i| i < n) || n == 0;
        self.inner.consume(n);
        Ok(n)
    }
}
