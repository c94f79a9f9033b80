//! Running a helper program (git, docker): stdin is the only channel secret
//! bytes may take to it; stdout and stderr are captured.

use std::io::{self, Write};
use std::process::{Command, Output, Stdio};

/// Runs `command`, feeding `stdin` from another thread (so a child that
/// writes while it reads cannot deadlock on full pipes), and waits for it.
pub(crate) fn run(command: &mut Command, stdin: Option<&[u8]>) -> io::Result<Output> {
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pipe = child.stdin.take();
    std::thread::scope(|s| {
        let writer = s.spawn(move || match (pipe, stdin) {
            (Some(mut p), Some(bytes)) => p.write_all(bytes),
            _ => Ok(()),
        });
        let out = child.wait_with_output();
        // A child that exits without reading all of stdin breaks the pipe; its
        // exit status says more than the write error.
        let _ = writer.join();
        out
    })
}
