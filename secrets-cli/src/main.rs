//! `secrets`: generate, write, rotate, check, audit and export the secrets of
//! self-hosted Docker stacks. A thin layer over `secrets-core`: parse the
//! arguments, call the library, render, choose the exit code.

#![forbid(unsafe_code)]

mod args;
mod commands;
mod failure;
mod findings;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::failure::Failure;

fn main() -> ExitCode {
    let args = args::Cli::parse();
    let result = match args.command {
        args::Command::Generate(a) => commands::generate::run(a),
        args::Command::Catalog(a) => commands::catalog::run(a),
        args::Command::Write(a) => commands::write::run(a),
        args::Command::Rotate(a) => commands::rotate::run(a),
        args::Command::Check(a) => commands::check::run(a),
        args::Command::Audit(a) => commands::audit::run(a),
        args::Command::Export(a) => commands::export::run(a),
        args::Command::Hash(a) => commands::hash::run(a),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Error(message)) => {
            crate::note!("secrets: error: {message}");
            ExitCode::from(2)
        }
    }
}
