//! `secrets`: generate, write, rotate, check, audit and export the secrets of
//! self-hosted Docker stacks. A thin layer over `secrets-core`: parse the
//! arguments, call the library, render, choose the exit code.

#![forbid(unsafe_code)]

mod args;
mod commands;
mod failure;
mod findings;
mod manual;
mod output;
mod progress;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{ColorChoice, FromArgMatches};

use crate::failure::Failure;

/// The core limit the process started with, for `secrets run` to hand on.
static CORE_LIMIT: std::sync::OnceLock<rustix::process::Rlimit> = std::sync::OnceLock::new();

/// No core dump and no ptrace attach for a process that holds secrets: a
/// `kill -ABRT` with `ulimit -c unlimited` would otherwise write them to
/// disk. Both, since a piped `core_pattern` ignores RLIMIT_CORE. The hard
/// limit is kept so that a command `secrets run` executes gets the
/// caller's limit back.
fn harden_process() {
    use rustix::process::{
        getrlimit, set_dumpable_behavior, setrlimit, DumpableBehavior, Resource, Rlimit,
    };
    let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    let original = getrlimit(Resource::Core);
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: original.maximum,
        },
    );
    let _ = CORE_LIMIT.set(original);
}

/// Gives the core limit back right before `exec` (dumpability is reset by
/// the kernel on exec of a normal binary).
pub(crate) fn restore_core_limit() {
    if let Some(original) = CORE_LIMIT.get() {
        let _ = rustix::process::setrlimit(rustix::process::Resource::Core, *original);
    }
}

/// `--color` as given before clap parses, so that clap's own help and
/// errors follow it too (the last one wins, none after `--`).
fn color_choice(argv: &[OsString]) -> ColorChoice {
    let mut choice = ColorChoice::Auto;
    let mut words = argv.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
    while let Some(word) = words.next() {
        let value = match word {
            "--" => break,
            "--color" => words.next().unwrap_or(""),
            w => match w.strip_prefix("--color=") {
                Some(v) => v,
                None => continue,
            },
        };
        choice = match value {
            "always" => ColorChoice::Always,
            "never" => ColorChoice::Never,
            _ => ColorChoice::Auto,
        };
    }
    choice
}

fn main() -> ExitCode {
    harden_process();
    let argv: Vec<OsString> = std::env::args_os().collect();
    let matches = manual::command()
        .color(color_choice(&argv))
        .get_matches_from(&argv);
    let args = args::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    output::configure(args.global.quiet, args.global.color);
    let result = match args.command {
        args::Command::Generate(a) => commands::generate::run(a),
        args::Command::Catalog(a) => commands::catalog::run(a),
        args::Command::Init(a) => commands::init::run(a),
        args::Command::Write(a) => commands::write::run(a),
        args::Command::Rotate(a) => commands::rotate::run(a),
        args::Command::Check(a) => commands::check::run(a),
        args::Command::Audit(a) => commands::audit::run(a),
        args::Command::Export(a) => commands::export::run(a),
        args::Command::Hash(a) => commands::hash::run(a),
        args::Command::Completions(a) => commands::completions::run(a),
        args::Command::Man(a) => commands::man::run(a),
        args::Command::Encrypt(a) => commands::encrypt::run(a),
        args::Command::Decrypt(a) => commands::decrypt::run(a),
        args::Command::Edit(a) => commands::edit::run(a),
        args::Command::Run(a) => commands::run::run(a),
        args::Command::Set(a) => commands::set::run(a),
        args::Command::Get(a) => commands::get::run(a),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Error(message)) => {
            crate::warn!("secrets: error: {message}");
            ExitCode::from(2)
        }
    }
}
