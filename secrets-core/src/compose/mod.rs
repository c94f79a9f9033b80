//! Compose projects around a `.env`: which services read each variable
//! ([`ComposeProject::readers`]), and recreating exactly those once a
//! rotation is committed ([`ComposeRestart`], the CLI's `--restart
//! --compose FILE`).

mod exec;
mod readers;
mod restart;

pub use readers::{ComposeError, ComposeProject, Service};
pub use restart::{ComposeRestart, ComposeTool};
