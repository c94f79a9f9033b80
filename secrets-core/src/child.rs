//! Running a helper program (git, docker): stdin is the only channel secret
//! bytes may take to it; stdout is collected or streamed, stderr kept in
//! part (enough for its error message).

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How much of the start of a child's stderr is kept, and of its end: a
/// child that writes gigabytes of warnings costs nothing, and its `fatal:`
/// line (usually last) is still seen.
const STDERR_HEAD: usize = 60 * 1024;
const STDERR_TAIL: usize = 4 * 1024;

/// Bounds on a child: see [`stream`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Limits {
    /// End the child (and anything it started) when it writes nothing for
    /// this long.
    pub idle: Option<Duration>,
    /// Its address space (`RLIMIT_AS`) in bytes: past it, its allocations
    /// fail and it exits with an error instead of growing.
    pub address_space: Option<u64>,
}

/// What a child reads on stdin.
enum Input<'a> {
    /// Bytes fed through a pipe (`None`: `/dev/null`).
    Bytes(Option<&'a [u8]>),
    /// An open file it reads itself, and may reopen as `/dev/stdin`.
    #[cfg_attr(not(feature = "rotate"), allow(dead_code))]
    File(std::fs::File),
}

/// Runs `command`, feeding `stdin` from another thread (so a child that
/// writes while it reads cannot deadlock on full pipes), and waits for it;
/// its whole stdout is collected.
pub(crate) fn run(command: &mut Command, stdin: Option<&[u8]>) -> io::Result<Output> {
    run_input(command, Input::Bytes(stdin))
}

/// Runs `command` as [`run`] does, with `file` as its stdin: a file it can
/// read as often as it likes through `/dev/stdin` (a memfd holding
/// exactly the bytes that were checked, say).
#[cfg_attr(not(feature = "rotate"), allow(dead_code))]
pub(crate) fn run_with_stdin_file(
    command: &mut Command,
    file: std::fs::File,
) -> io::Result<Output> {
    run_input(command, Input::File(file))
}

fn run_input(command: &mut Command, input: Input<'_>) -> io::Result<Output> {
    let mut stdout = Vec::new();
    let (status, stderr) = stream_input(command, input, Limits::default(), |chunk| {
        stdout.extend_from_slice(chunk);
        Ok(())
    })?;
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Runs `command` as [`run`] does, handing its stdout to `on_stdout` chunk
/// by chunk as it arrives (so what is kept of it is the caller's choice,
/// never the child's), and returns its exit status and stderr (its first
/// and last few KiB). The child runs in its own process group, and the
/// group is killed when the child writes nothing for `limits.idle` (a
/// program blocked for good, such as git opening a FIFO that another user
/// planted in a repository, is an error of kind `TimedOut`, never a hang;
/// one that streams output runs as long as it needs), or when `on_stdout`
/// returns an error, which is then the result.
#[cfg_attr(not(feature = "audit"), allow(dead_code))]
pub(crate) fn stream(
    command: &mut Command,
    stdin: Option<&[u8]>,
    limits: Limits,
    on_stdout: impl FnMut(&[u8]) -> io::Result<()> + Send,
) -> io::Result<(ExitStatus, Vec<u8>)> {
    stream_input(command, Input::Bytes(stdin), limits, on_stdout)
}

fn stream_input(
    command: &mut Command,
    input: Input<'_>,
    limits: Limits,
    mut on_stdout: impl FnMut(&[u8]) -> io::Result<()> + Send,
) -> io::Result<(ExitStatus, Vec<u8>)> {
    let (stdin, source) = match input {
        Input::Bytes(Some(bytes)) => (Some(bytes), Stdio::piped()),
        Input::Bytes(None) => (None, Stdio::null()),
        Input::File(file) => (None, Stdio::from(file)),
    };
    let mut child = command
        .stdin(source)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that what it started ends with it.
        .process_group(0)
        .spawn()?;
    if let Some(bytes) = limits.address_space {
        // Set from outside right after spawn (no `pre_exec` without unsafe
        // code): the child has barely started, and a limit below what it
        // already uses only makes its next allocations fail.
        let limit = rustix::process::Rlimit {
            current: Some(bytes),
            maximum: Some(bytes),
        };
        let pid = rustix::process::Pid::from_child(&child);
        match rustix::process::prlimit(Some(pid), rustix::process::Resource::As, limit) {
            Ok(_) | Err(rustix::io::Errno::SRCH) => {}
            Err(e) => {
                kill_group(&child);
                let _ = child.wait();
                return Err(io::Error::other(format!(
                    "its memory could not be limited: {e}"
                )));
            }
        }
    }
    let start = Instant::now();
    // Milliseconds since `start` of the last output.
    let last_output = AtomicU64::new(0);
    let touch = || {
        let now = start.elapsed().as_millis() as u64;
        last_output.store(now, Ordering::Relaxed);
    };
    // Set when the stdout reader gives up: the child is then ended.
    let stop = AtomicBool::new(false);
    let (pipe, out, err) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    std::thread::scope(|s| {
        let writer = s.spawn(move || match (pipe, stdin) {
            (Some(mut p), Some(bytes)) => p.write_all(bytes),
            _ => Ok(()),
        });
        let (touch, stop) = (&touch, &stop);
        let on_stdout = &mut on_stdout;
        let stdout = s.spawn(move || {
            let result = read_chunks(out, |chunk| {
                touch();
                on_stdout(chunk)
            });
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            result
        });
        let stderr = s.spawn(move || {
            let (mut head, mut tail) = (Vec::new(), Vec::new());
            read_chunks(err, |mut chunk| {
                touch();
                let room = STDERR_HEAD - head.len();
                head.extend_from_slice(&chunk[..room.min(chunk.len())]);
                chunk = &chunk[room.min(chunk.len())..];
                tail.extend_from_slice(chunk);
                if tail.len() > 2 * STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
                Ok(())
            })?;
            if tail.len() > STDERR_TAIL {
                tail.drain(..tail.len() - STDERR_TAIL);
                head.extend_from_slice(b"\n...\n");
            }
            head.extend_from_slice(&tail);
            Ok::<_, io::Error>(head)
        });
        let status = wait(&mut child, start, &last_output, stop, limits.idle);
        // A child that exits without reading all of stdin breaks the pipe; its
        // exit status says more than the write error.
        let _ = writer.join();
        stdout.join().expect("the reader does not panic")?;
        let stderr = stderr.join().expect("the reader does not panic")?;
        Ok((status?, stderr))
    })
}

/// Reads `pipe` to its end, handing each chunk to `each`.
fn read_chunks(
    pipe: Option<impl Read>,
    mut each: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let Some(mut pipe) = pipe else {
        return Ok(());
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => each(&buf[..n])?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Kills the process group of `child`, which must not have been reaped yet
/// (its id, the group's, is then still its own).
fn kill_group(child: &Child) {
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
}

/// Waits for `child`; past `idle` without output, or once `stop` is set,
/// kills its process group.
fn wait(
    child: &mut Child,
    start: Instant,
    last_output: &AtomicU64,
    stop: &AtomicBool,
    idle: Option<Duration>,
) -> io::Result<ExitStatus> {
    // Short naps first: most children end within milliseconds.
    let mut nap = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if stop.load(Ordering::Relaxed) {
            kill_group(child);
            return child.wait();
        }
        let quiet = start
            .elapsed()
            .saturating_sub(Duration::from_millis(last_output.load(Ordering::Relaxed)));
        if idle.is_some_and(|idle| quiet > idle) {
            kill_group(child);
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "it wrote nothing for {} s and was stopped",
                    idle.unwrap_or_default().as_secs()
                ),
            ));
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_space_limit_is_the_childs() {
        // The child reads its limit only after stdin arrives, which is fed
        // after the limit is set: no race with the spawn.
        let mut command = Command::new("sh");
        command.args(["-c", "read x; ulimit -v"]);
        let limits = Limits {
            idle: None,
            address_space: Some(256 << 20),
        };
        let mut out = Vec::new();
        let (status, _) = stream(&mut command, Some(b"go\n"), limits, |c| {
            out.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert!(status.success());
        assert_eq!(String::from_utf8_lossy(&out).trim(), "262144");
    }

    #[test]
    fn stderr_keeps_its_start_and_its_last_line_only() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "head -c 1000000 /dev/zero | tr '\\0' w >&2; echo 'fatal: the reason' >&2",
        ]);
        let out = run(&mut command, None).unwrap();
        assert!(out.stderr.len() <= STDERR_HEAD + STDERR_TAIL + 5);
        assert!(out.stderr.starts_with(b"www"));
        assert!(out.stderr.ends_with(b"fatal: the reason\n"));
    }

    #[test]
    fn an_error_of_the_reader_ends_the_child_and_is_the_result() {
        // `yes` writes forever: only the reader's refusal can end it.
        let mut command = Command::new("yes");
        let mut seen = 0;
        let e = stream(&mut command, None, Limits::default(), |c| {
            seen += c.len();
            if seen > 1 << 20 {
                return Err(io::Error::other("enough"));
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "enough");
    }

    #[test]
    fn a_silent_child_is_stopped_after_the_idle_time() {
        let mut command = Command::new("sleep");
        command.arg("30");
        let limits = Limits {
            idle: Some(Duration::from_millis(200)),
            address_space: None,
        };
        let start = Instant::now();
        let e = stream(&mut command, None, limits, |_| Ok(())).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
