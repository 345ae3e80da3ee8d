//! The time, read once for each batch of events: a speed trick, explained here once.
//!
//! A kept-alive request for a cached file read the clock six times: when its head began (the
//! head's deadline), when it was whole (for the file cache), when its response was planned
//! (the write deadline), for the `If-Modified-Since` rule, for the response's `Date`, and when
//! the response was out (the idle deadline). A clock read is cheap but not free, and less so
//! in a virtual machine: under `wrk` they were 2 % of the server's processor time (`perf record
//! -e cpu-clock`, `bench/README.md`, 2026-12-07). So the event loop reads the clock once each
//! time `poll` returns ([`refresh`]), and the deadlines and the `Date` of that batch of events
//! use that reading. nginx keeps its time the same way (`ngx_time_update`, once per turn of
//! its loop).
//!
//! A reading is never older than the batch being served, a few milliseconds at most: a
//! deadline started from it runs out that much early, and a `Date` has whole seconds anyway.
//! One time is not taken from here: the moment a request was whole, which the file cache
//! compares with the start of its last look at the file. That one must not be earlier than
//! the truth, so it reads the clock itself ([`Instant::now`]), and so does the
//! `If-Modified-Since` rule, only for a request that has the header.
//!
//! A thread that never called [`refresh`] (a test, a worker) reads the clock at every call.

use std::cell::Cell;
use std::time::{Instant, SystemTime};

thread_local! {
    /// This thread's last reading: the monotonic clock for deadlines, the wall clock for dates.
    static READING: Cell<Option<(Instant, SystemTime)>> = const { Cell::new(None) };
}

/// Reads the clock for the batch of events that starts now, and returns the monotonic time.
pub fn refresh() -> Instant {
    let reading = (Instant::now(), SystemTime::now());
    READING.with(|last| last.set(Some(reading)));
    reading.0
}

/// The monotonic time of this batch (for deadlines).
pub fn now() -> Instant {
    match READING.with(Cell::get) {
        Some((monotonic, _)) => monotonic,
        None => Instant::now(),
    }
}

/// The wall-clock time of this batch (for the `Date` header).
pub fn wall_now() -> SystemTime {
    match READING.with(Cell::get) {
        Some((_, wall)) => wall,
        None => SystemTime::now(),
    }
}

#[cfg(test)]
mod tests {
    use std::thread;
    use std::time::{Duration, Instant, SystemTime};

    #[test]
    fn a_batch_keeps_one_reading_until_the_next_refresh() {
        // A thread of its own: the reading is per thread, and other tests share this one.
        thread::spawn(|| {
            let before = Instant::now();
            let wall_before = SystemTime::now();
            assert!(super::now() >= before, "no refresh yet: the clock itself");
            let batch = super::refresh();
            let wall = super::wall_now();
            assert!(batch >= before && wall >= wall_before);
            thread::sleep(Duration::from_millis(2));
            assert_eq!(super::now(), batch);
            assert_eq!(super::wall_now(), wall);
            let next = super::refresh();
            assert!(next >= batch + Duration::from_millis(2));
            assert_eq!(super::now(), next);
        })
        .join()
        .expect("the test thread");
    }
}
