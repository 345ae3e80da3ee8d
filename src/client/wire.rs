//! The socket as the client reads it: every `read()` bounded in time and reported.
//!
//! Two clocks guard a transfer so a lesson never hangs on a silent server: no single read waits
//! longer than the idle timeout (nothing received for that long means the server is stuck), and
//! with `-m` the whole transfer has a deadline. Before each read we set the socket's read timeout
//! to whichever comes first.
//!
//! Each read is also reported to the [`Observer`] with its size and the time since the request
//! went out: `--trace-reads` prints them, and a student sees TCP deliver one response in pieces.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{GetError, Observer};

/// A connected socket with its time limits and its observer.
pub(crate) struct Wire<'o> {
    stream: TcpStream,
    /// When the request was sent: reads are timed from here.
    sent_at: Instant,
    /// The end of `-m`/`--max-time`, if given.
    deadline: Option<Instant>,
    /// The longest wait for a single read.
    idle_timeout: Duration,
    /// The read timeout currently set on the socket, to avoid a system call per read.
    current_timeout: Option<Duration>,
    pub(crate) observer: &'o mut dyn Observer,
}

impl<'o> Wire<'o> {
    pub(crate) fn new(
        stream: TcpStream,
        deadline: Option<Instant>,
        idle_timeout: Duration,
        observer: &'o mut dyn Observer,
    ) -> Wire<'o> {
        Wire {
            stream,
            sent_at: Instant::now(),
            deadline,
            idle_timeout,
            current_timeout: None,
            observer,
        }
    }

    /// Passes a note to the observer.
    pub(crate) fn note(&mut self, text: &str) {
        self.observer.note(text);
    }

    /// One `read()` from the socket: `Ok(0)` means the server closed the connection.
    pub(crate) fn receive(&mut self, buffer: &mut [u8]) -> Result<usize, GetError> {
        let wait = match self.deadline {
            None => self.idle_timeout,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                // A zero timeout means "block forever" to the OS, so stop just before it.
                if left < Duration::from_millis(1) {
                    return Err(self.max_time_error());
                }
                left.min(self.idle_timeout)
            }
        };
        if self.current_timeout != Some(wait) {
            self.stream
                .set_read_timeout(Some(wait))
                .map_err(GetError::Receive)?;
            self.current_timeout = Some(wait);
        }
        loop {
            match self.stream.read(buffer) {
                Ok(count) => {
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
                    if wait < self.idle_timeout {
                        return Err(self.max_time_error());
                    }
                    return Err(GetError::Timeout(format!(
                        "nothing received for {} s",
                        self.idle_timeout.as_secs_f64()
                    )));
                }
                Err(error) => return Err(GetError::Receive(error)),
            }
        }
    }

    fn max_time_error(&self) -> GetError {
        GetError::Timeout(format!(
            "the transfer took longer than the --max-time allowed ({:.1} s since the request)",
            self.sent_at.elapsed().as_secs_f64()
        ))
    }
}
