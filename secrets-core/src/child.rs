//! Running a helper program (git, docker): stdin is the only channel secret
//! bytes may take to it; stdout and stderr are captured.

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Runs `command`, feeding `stdin` from another thread (so a child that
/// writes while it reads cannot deadlock on full pipes), and waits for it.
pub(crate) fn run(command: &mut Command, stdin: Option<&[u8]>) -> io::Result<Output> {
    run_until_idle(command, stdin, None)
}

/// [`run`], ending the child (and anything it started) when it writes
/// nothing for `idle`: a program blocked for good (git opening a FIFO that
/// another user planted in a repository) is an error of kind `TimedOut`,
/// never a hang. A child that streams output runs as long as it needs.
pub(crate) fn run_until_idle(
    command: &mut Command,
    stdin: Option<&[u8]>,
    idle: Option<Duration>,
) -> io::Result<Output> {
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that what it started ends with it.
        .process_group(0)
        .spawn()?;
    let start = Instant::now();
    // Milliseconds since `start` of the last output.
    let last_output = AtomicU64::new(0);
    let (pipe, out, err) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    std::thread::scope(|s| {
        let writer = s.spawn(move || match (pipe, stdin) {
            (Some(mut p), Some(bytes)) => p.write_all(bytes),
            _ => Ok(()),
        });
        let collect = |pipe: Option<Box<dyn Read + Send>>| {
            let last_output = &last_output;
            s.spawn(move || {
                let mut all = Vec::new();
                let Some(mut pipe) = pipe else {
                    return Ok(all);
                };
                let mut buf = [0u8; 8192];
                loop {
                    match pipe.read(&mut buf) {
                        Ok(0) => return Ok(all),
                        Ok(n) => {
                            all.extend_from_slice(&buf[..n]);
                            let now = start.elapsed().as_millis() as u64;
                            last_output.store(now, Ordering::Relaxed);
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            })
        };
        let stdout = collect(out.map(|p| Box::new(p) as Box<dyn Read + Send>));
        let stderr = collect(err.map(|p| Box::new(p) as Box<dyn Read + Send>));
        let status = wait(&mut child, start, &last_output, idle);
        // A child that exits without reading all of stdin breaks the pipe; its
        // exit status says more than the write error.
        let _ = writer.join();
        let stdout = stdout.join().expect("the reader does not panic")?;
        let stderr = stderr.join().expect("the reader does not panic")?;
        Ok(Output {
            status: status?,
            stdout,
            stderr,
        })
    })
}

/// Waits for `child`; past `idle` without output, kills its process group.
fn wait(
    child: &mut Child,
    start: Instant,
    last_output: &AtomicU64,
    idle: Option<Duration>,
) -> io::Result<std::process::ExitStatus> {
    let Some(idle) = idle else {
        return child.wait();
    };
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        let quiet = start
            .elapsed()
            .saturating_sub(Duration::from_millis(last_output.load(Ordering::Relaxed)));
        if quiet > idle {
            let group = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("it wrote nothing for {} s and was stopped", idle.as_secs()),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
