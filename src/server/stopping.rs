//! Stopping: what Ctrl+C does, and what the teacher is told.
//!
//! The first Ctrl+C ([`ShutdownHandle::stop`]) wakes every event loop. Each closes its
//! listening socket and its idle connections, then counts the connections still busy — a
//! response going out, or a request coming in — and reports the count here, so that
//! `httpserve` can say at once, in one line, what it is waiting for and for how long
//! ([`Stopping`]). The loops then let those finish, for at most `--shutdown-grace`.
//!
//! A second Ctrl+C ([`ShutdownHandle::stop_now`]) does not wait: each loop cuts its
//! connections off at once — and a response cut off still gets its access-log line with the
//! bytes that went, as one cut off by the end of the grace time does. Nothing vanishes from
//! the log because the teacher was in a hurry.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Shared;

/// How long [`ShutdownHandle::stop`] waits for the loops to count what is still going. A loop
/// notices the stop within one pass of its poll: milliseconds, unless the machine is very busy.
const COUNT_WAIT: Duration = Duration::from_secs(1);

/// Stops a running server from another thread (a Ctrl+C handler).
#[derive(Clone)]
pub struct ShutdownHandle {
    pub(super) shared: Arc<Shared>,
}

/// What the first Ctrl+C found: the line `httpserve` prints at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopping {
    /// Connections still busy (a response going out, a request coming in), over all loops.
    pub in_flight: usize,
    /// How long the server waits for them (`--shutdown-grace`).
    pub grace: Duration,
    /// Whether every loop counted in time; if not, `in_flight` is at least this many.
    pub counted_all: bool,
}

impl fmt::Display for Stopping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at_least = if self.counted_all { "" } else { "at least " };
        match self.in_flight {
            0 if self.counted_all => write!(f, "stopping: no response in flight"),
            count => write!(
                f,
                "stopping: {at_least}{count} response{} still going; waiting up to {} s for {} \
                 (--shutdown-grace) — press Ctrl+C again to stop now",
                if count == 1 { "" } else { "s" },
                self.grace.as_secs_f64(),
                if count == 1 { "it" } else { "them" },
            ),
        }
    }
}

impl ShutdownHandle {
    /// Asks the server to stop: no new connections; [`Server::run`](super::Server::run)
    /// returns once the connections in flight finish or the grace time
    /// ([`SHUTDOWN_GRACE`](super::SHUTDOWN_GRACE) by default) passes. Returns what is still
    /// going, as the loops counted it (waiting at most a second for their count).
    pub fn stop(&self) -> Stopping {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.wake_loops();
        let loops = self.shared.mailboxes.len();
        let (in_flight, counted_all) = self.shared.stop_count.wait_for(loops, COUNT_WAIT);
        Stopping {
            in_flight,
            grace: self.shared.timeouts.shutdown_grace,
            counted_all,
        }
    }

    /// Stops without waiting for the responses in flight: each is cut off, and logged with the
    /// bytes that went.
    pub fn stop_now(&self) {
        self.shared.stop_count.now.store(true, Ordering::SeqCst);
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.wake_loops();
    }

    /// Whether [`ShutdownHandle::stop_now`] was asked.
    pub fn stopped_now(&self) -> bool {
        self.shared.stop_count.is_now()
    }

    fn wake_loops(&self) {
        for mailbox in &self.shared.mailboxes {
            mailbox.wake();
        }
    }
}

/// Where the loops report, once stopping, how many connections each still has.
#[derive(Debug, Default)]
pub(super) struct StopCount {
    /// A second Ctrl+C: stop now.
    now: std::sync::atomic::AtomicBool,
    /// (loops that counted, connections still busy in them)
    tally: Mutex<(usize, usize)>,
    counted: Condvar,
}

impl StopCount {
    /// One loop's count, once it has closed its idle connections.
    pub(super) fn loop_counted(&self, in_flight: usize) {
        let mut tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        tally.0 += 1;
        tally.1 += in_flight;
        self.counted.notify_all();
    }

    /// Whether the loops are to cut their connections off now, without waiting.
    pub(super) fn is_now(&self) -> bool {
        self.now.load(Ordering::SeqCst)
    }

    /// Waits until `loops` loops have counted, at most `limit`: (the count, whether all did).
    fn wait_for(&self, loops: usize, limit: Duration) -> (usize, bool) {
        let deadline = Instant::now() + limit;
        let mut tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        while tally.0 < loops {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            tally = match self.counted.wait_timeout(tally, left) {
                Ok((tally, _)) => tally,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        (tally.1, tally.0 >= loops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_ctrl_c_line_says_what_it_waits_for() {
        let grace = Duration::from_secs(5);
        let line = |in_flight, counted_all| {
            Stopping {
                in_flight,
                grace,
                counted_all,
            }
            .to_string()
        };
        assert_eq!(line(0, true), "stopping: no response in flight");
        assert_eq!(
            line(1, true),
            "stopping: 1 response still going; waiting up to 5 s for it (--shutdown-grace) \
             — press Ctrl+C again to stop now"
        );
        assert!(line(3, true).starts_with("stopping: 3 responses still going; "));
        assert!(line(0, false).starts_with("stopping: at least 0 responses still going; "));
    }

    #[test]
    fn the_count_waits_for_every_loop_but_not_forever() {
        let count = Arc::new(StopCount::default());
        let reporter = Arc::clone(&count);
        let loop_thread = std::thread::spawn(move || {
            reporter.loop_counted(2);
            reporter.loop_counted(1);
        });
        assert_eq!(count.wait_for(2, Duration::from_secs(10)), (3, true));
        loop_thread.join().expect("the loop thread");
        // A loop that never counts (its thread could not start) costs the wait, no more.
        assert_eq!(count.wait_for(3, Duration::from_millis(10)), (3, false));
    }
}
