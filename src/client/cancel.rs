//! Stopping a fetch from outside: Ctrl+C at the prompt raises a [`Cancel`] flag, and the
//! fetch, wherever it waits, sees it within [`CANCEL_CHECK`] and ends with
//! [`GetError::Cancelled`](super::GetError::Cancelled).
//!
//! A blocked `read()` cannot be woken by a flag. So when a fetch can be cancelled, each wait on
//! the socket (connecting, reading) is cut into slices of at most [`CANCEL_CHECK`], and the flag
//! is looked at between two slices; the time limits are kept as deadlines, so slicing changes
//! none of them. A fetch that cannot be cancelled (one-shot mode, where Ctrl+C ends the program
//! as it ends curl) waits in one piece, as before.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest a cancellable fetch waits before looking at its flag: short enough that Ctrl+C
/// feels immediate, long enough to cost nothing (ten system calls a second on a silent server).
pub const CANCEL_CHECK: Duration = Duration::from_millis(100);

/// A flag a fetch looks at while it waits; [`Cancel::never`] (the default) is never raised.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Option<Arc<AtomicBool>>);

impl Cancel {
    /// A flag that can be raised, from another thread or a signal handler's thread.
    pub fn new() -> Cancel {
        Cancel(Some(Arc::new(AtomicBool::new(false))))
    }

    /// A flag nobody can raise: the fetch waits in one piece.
    pub fn never() -> Cancel {
        Cancel(None)
    }

    /// Whether this flag can be raised at all (then waits are sliced).
    pub fn can_be_raised(&self) -> bool {
        self.0.is_some()
    }

    /// Asks the fetch to stop.
    pub fn raise(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::SeqCst);
        }
    }

    /// Whether the fetch was asked to stop.
    pub fn is_raised(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::SeqCst))
    }

    /// Lowers the flag, before the next fetch.
    pub fn lower(&self) {
        if let Some(flag) = &self.0 {
            flag.store(false, Ordering::SeqCst);
        }
    }

    /// How long to wait before looking again, when `left` is what the time limit allows.
    pub fn slice(&self, left: Duration) -> Duration {
        if self.can_be_raised() {
            left.min(CANCEL_CHECK)
        } else {
            left
        }
    }
}

/// How a wait for a helper thread's answer ended ([`wait_for`]).
#[derive(Debug)]
pub(crate) enum Waited<T> {
    /// The answer.
    Got(T),
    /// `until` came first (or the helper thread died without answering).
    TimedOut,
    /// The flag was raised first.
    Cancelled,
}

/// Waits for `receiver`'s answer until `until`, looking at `cancel` between slices of at most
/// [`CANCEL_CHECK`]. The helper thread is left to finish on its own if we stop waiting.
pub(crate) fn wait_for<T>(receiver: &Receiver<T>, until: Instant, cancel: &Cancel) -> Waited<T> {
    loop {
        if cancel.is_raised() {
            return Waited::Cancelled;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Waited::TimedOut;
        }
        match receiver.recv_timeout(cancel.slice(left)) {
            Ok(answer) => return Waited::Got(answer),
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Waited::TimedOut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_is_raised_seen_and_lowered_and_never_is_never_raised() {
        let flag = Cancel::new();
        let seen_elsewhere = flag.clone();
        assert!(!seen_elsewhere.is_raised());
        flag.raise();
        assert!(seen_elsewhere.is_raised());
        flag.lower();
        assert!(!seen_elsewhere.is_raised());

        let never = Cancel::never();
        never.raise();
        assert!(!never.is_raised());
    }

    #[test]
    fn only_a_cancellable_wait_is_sliced() {
        let long = Duration::from_secs(20);
        assert_eq!(Cancel::new().slice(long), CANCEL_CHECK);
        assert_eq!(
            Cancel::new().slice(Duration::from_millis(5)),
            Duration::from_millis(5)
        );
        assert_eq!(Cancel::never().slice(long), long);
    }

    #[test]
    fn a_wait_ends_with_the_answer_the_deadline_or_the_flag_whichever_comes_first() {
        let (sender, receiver) = std::sync::mpsc::channel::<u8>();
        let cancel = Cancel::new();
        let soon = Instant::now() + Duration::from_millis(250);
        assert!(matches!(
            wait_for(&receiver, soon, &cancel),
            Waited::TimedOut
        ));
        sender.send(7).expect("send");
        let later = Instant::now() + Duration::from_secs(5);
        assert!(matches!(
            wait_for(&receiver, later, &cancel),
            Waited::Got(7)
        ));
        cancel.raise();
        let started = Instant::now();
        assert!(matches!(
            wait_for(&receiver, later, &cancel),
            Waited::Cancelled
        ));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    /// A listener that accepts and never answers, and the URL of it.
    fn silent_server() -> (std::net::TcpListener, url::Url) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let url = crate::client::parse_input(&format!("127.0.0.1:{port}/")).expect("url");
        (listener, url)
    }

    #[test]
    fn a_fetch_blocked_in_a_read_stops_soon_after_the_flag_is_raised() {
        let (_listener, url) = silent_server();
        let options = crate::client::Options {
            cancel: Cancel::new(),
            ..Default::default()
        };
        let raiser = options.cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            raiser.raise();
        });
        let started = Instant::now();
        let mut silent = crate::client::Silent;
        let result = crate::client::get(&url, &options, &mut silent);
        assert!(matches!(result, Err(crate::client::GetError::Cancelled)));
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(300) + 4 * CANCEL_CHECK,
            "{took:?}"
        );
    }

    #[test]
    fn a_sliced_read_still_times_out_by_its_own_clock() {
        let (_listener, url) = silent_server();
        let limit = Duration::from_millis(450);
        let options = crate::client::Options {
            cancel: Cancel::new(),
            idle_timeout: limit,
            ..Default::default()
        };
        let started = Instant::now();
        let mut silent = crate::client::Silent;
        let result = crate::client::get(&url, &options, &mut silent);
        assert!(
            matches!(
                result,
                Err(crate::client::GetError::Timeout(
                    crate::client::Deadline::Idle { .. }
                ))
            ),
            "{:?}",
            result.err()
        );
        assert!(started.elapsed() >= limit);
    }
}
