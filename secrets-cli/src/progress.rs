//! A progress line on stderr for long audits: shown only once one has
//! taken a second, only on a terminal, never with `-q`; cleared when done.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long an operation runs before its progress line appears.
const AFTER: Duration = Duration::from_secs(1);

/// A running progress line (or none).
pub struct Progress {
    counter: Arc<AtomicU64>,
    running: Option<(Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// Starts counting; `what` names the operation (`auditing`).
    pub fn start(what: &'static str) -> Self {
        let counter = Arc::new(AtomicU64::new(0));
        if crate::output::quiet() || !std::io::stderr().is_terminal() {
            return Progress {
                counter,
                running: None,
            };
        }
        let (stop, stopped) = channel::<()>();
        let seen = Arc::clone(&counter);
        let thread = std::thread::spawn(move || {
            if !matches!(stopped.recv_timeout(AFTER), Err(RecvTimeoutError::Timeout)) {
                return;
            }
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            loop {
                let n = seen.load(Ordering::Relaxed);
                bar.set_message(format!("secrets: {what}: {n} files looked at"));
                bar.tick();
                match stopped.recv_timeout(Duration::from_millis(120)) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            bar.finish_and_clear();
        });
        Progress {
            counter,
            running: Some((stop, thread)),
        }
    }

    /// The counter the library adds to.
    pub fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.counter)
    }

    /// Clears the line (before the report is printed).
    pub fn finish(self) {
        if let Some((stop, thread)) = self.running {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}
