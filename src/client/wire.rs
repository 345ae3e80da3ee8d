//! The socket as the client reads it: every `read()` bounded in time and reported.
//!
//! Three clocks guard a transfer so a lesson never hangs on a silent server: no single read waits
//! longer than the idle timeout (nothing received for that long means the server is stuck); the
//! reply's head (status line and headers) must be complete by the head deadline, so a server
//! dribbling one byte at a time cannot hold the client for ever; and with `-m` the whole
//! transfer has a deadline. Before each read we set the socket's read timeout to whichever
//! comes first, and a timeout says which clock ran out.
//!
//! When the fetch can be cancelled (Ctrl+C at the prompt, [`Cancel`]), no read waits longer than
//! [`CANCEL_CHECK`](super::cancel::CANCEL_CHECK): a read that times out early looks at the flag
//! and, if it is down, waits again for what is left of the clock that set its limit.
//!
//! Each read is also reported to the [`Observer`] with its size and the time since the request
//! went out: `--trace-reads` prints them, and a student sees TCP deliver one response in pieces.
//!
//! The bytes usually come from the socket; tests and the fuzz targets (`fuzz/`) give a body
//! any reader instead ([`ReplyBody::from_reader`](super::ReplyBody::from_reader)), which
//! hands the decoders bytes in the pieces they choose.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::cancel::Cancel;
use super::{Deadline, GetError, Observer, Step};

/// Where a reply's bytes come from.
enum Source<'o> {
    /// The connected socket: each read is bounded by the clocks below.
    Socket(TcpStream),
    /// Any reader (tests, fuzzing): it cannot be given a timeout, so the clocks are not set.
    Reader(Box<dyn Read + 'o>),
}

/// A connected socket with its time limits and its observer.
pub(crate) struct Wire<'o> {
    source: Source<'o>,
    /// When the request was sent: reads are timed from here.
    sent_at: Instant,
    /// The end of `-m`/`--max-time`, if given.
    deadline: Option<Instant>,
    /// While the head is being read: when it must be complete, and the limit that gave it.
    head_deadline: Option<(Instant, Duration)>,
    /// The longest wait for a single read.
    idle_timeout: Duration,
    /// The read timeout currently set on the socket, to avoid a system call per read.
    current_timeout: Option<Duration>,
    /// Raised to stop the fetch (Ctrl+C at the prompt).
    cancel: Cancel,
    /// Whether the reply's first byte has come (and been reported as [`Step::FirstByte`]).
    first_byte: bool,
    pub(crate) observer: &'o mut dyn Observer,
}

impl<'o> Wire<'o> {
    pub(crate) fn new(
        stream: TcpStream,
        deadline: Option<Instant>,
        idle_timeout: Duration,
        cancel: Cancel,
        observer: &'o mut dyn Observer,
    ) -> Wire<'o> {
        let mut wire = Wire::from_source(Source::Socket(stream), deadline, idle_timeout, observer);
        wire.cancel = cancel;
        wire
    }

    /// A wire that reads from `reader` instead of a socket.
    pub(crate) fn from_reader(reader: impl Read + 'o, observer: &'o mut dyn Observer) -> Wire<'o> {
        let source = Source::Reader(Box::new(reader));
        Wire::from_source(source, None, super::IDLE_TIMEOUT, observer)
    }

    fn from_source(
        source: Source<'o>,
        deadline: Option<Instant>,
        idle_timeout: Duration,
        observer: &'o mut dyn Observer,
    ) -> Wire<'o> {
        Wire {
            source,
            sent_at: Instant::now(),
            deadline,
            head_deadline: None,
            idle_timeout,
            current_timeout: None,
            cancel: Cancel::never(),
            first_byte: false,
            observer,
        }
    }

    /// Passes a note to the observer.
    pub(crate) fn note(&mut self, text: &str) {
        self.observer.note(text);
    }

    /// From now on, the reply's head must be complete within `limit` (`None`: the head is in,
    /// only the idle timeout and `-m` apply to the body).
    pub(crate) fn set_head_limit(&mut self, limit: Option<Duration>) {
        self.head_deadline = limit.map(|limit| (Instant::now() + limit, limit));
    }

    /// One `read()` from the socket: `Ok(0)` means the server closed the connection.
    pub(crate) fn receive(&mut self, buffer: &mut [u8]) -> Result<usize, GetError> {
        // The idle clock starts now: no byte for `idle_timeout` from here is a timeout, however
        // many slices the wait is cut into.
        let idle_deadline = Instant::now() + self.idle_timeout;
        loop {
            if self.cancel.is_raised() {
                return Err(GetError::Cancelled);
            }
            let (wait, clock) = self.next_wait(idle_deadline);
            // A zero timeout means "block forever" to the OS, so stop just before it.
            if wait < Duration::from_millis(1) {
                return Err(self.timeout(clock));
            }
            let slice = self.cancel.slice(wait);
            if let Source::Socket(stream) = &self.source {
                if self.current_timeout != Some(slice) {
                    stream
                        .set_read_timeout(Some(slice))
                        .map_err(GetError::Receive)?;
                    self.current_timeout = Some(slice);
                }
            }
            let read = match &mut self.source {
                Source::Socket(stream) => stream.read(buffer),
                Source::Reader(reader) => reader.read(buffer),
            };
            match read {
                Ok(count) => {
                    if count > 0 && !self.first_byte {
                        self.first_byte = true;
                        self.observer.reached(Step::FirstByte, Instant::now());
                    }
                    self.observer.received(count, self.sent_at.elapsed());
                    return Ok(count);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                // A read timeout shows as WouldBlock on Unix and TimedOut on Windows.
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if slice == wait {
                        return Err(self.timeout(clock));
                    }
                    // Only a slice of the wait ran out: look at the flag, and wait on.
                }
                Err(error) => return Err(GetError::Receive(error)),
            }
        }
    }

    /// How long the next read may wait, and which clock sets that.
    fn next_wait(&self, idle_deadline: Instant) -> (Duration, Clock) {
        let now = Instant::now();
        let mut wait = (idle_deadline.saturating_duration_since(now), Clock::Idle);
        if let Some((head_deadline, _)) = self.head_deadline {
            let left = head_deadline.saturating_duration_since(now);
            if left <= wait.0 {
                wait = (left, Clock::Head);
            }
        }
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(now);
            if left <= wait.0 {
                wait = (left, Clock::MaxTime);
            }
        }
        wait
    }

    fn timeout(&self, clock: Clock) -> GetError {
        GetError::Timeout(match clock {
            Clock::Idle => Deadline::Idle {
                limit: self.idle_timeout,
            },
            Clock::Head => Deadline::Head {
                limit: self
                    .head_deadline
                    .map_or(Duration::ZERO, |(_, limit)| limit),
            },
            Clock::MaxTime => Deadline::MaxTime {
                elapsed: self.sent_at.elapsed(),
            },
        })
    }
}

/// The three limits on a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// No byte for the idle timeout.
    Idle,
    /// The head deadline.
    Head,
    /// `-m`.
    MaxTime,
}
