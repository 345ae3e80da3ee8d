//! Work too slow for an event loop, done on threads of its own: building a folder's listing.
//!
//! An event loop serves all its connections one after another, so a step that takes long
//! makes every other client of that loop wait. Most steps are short (a read, a write, opening
//! a file the page cache holds), but a listing reads and looks at every entry of a folder: for
//! a folder of 20,000 files that is tens of milliseconds, during which nobody else would be
//! answered (`bench/README.md` has the measurement). So a listing is handed to a small pool of
//! worker threads. The connection waits in its `Preparing` state; when the page is built, the
//! worker leaves it in the loop's [`Mailbox`] and wakes the loop, which sends it.
//!
//! ```text
//! event loop ──(slot, serial, work)──► job queue ──► worker: builds the Response
//!     ▲                                                  │
//!     └──── wake (mio Waker) ◄── mailbox: (slot, serial, Response)
//! ```

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use mio::Waker;

use super::response::{Deferred, Response};
use crate::status::Status;

/// How many worker threads build listings. Two: one slow listing never waits for another, and
/// the event loops keep the other cores.
pub const LISTING_WORKERS: usize = 2;

/// How much lower than the event loops a worker runs (a "nice" value, 0 to 19).
pub const WORKER_NICENESS: i32 = 10;

/// A finished piece of work, addressed to one connection of one loop. `serial` tells a
/// connection from a later one that reuses its slot after it closed.
pub struct Finished {
    /// The connection's slot in its loop.
    pub slot: usize,
    /// The connection's serial number in its loop.
    pub serial: u64,
    /// What the work produced.
    pub response: Response,
}

/// Where a loop's finished work waits for it, and how the loop is woken to collect it.
pub struct Mailbox {
    waker: Waker,
    finished: Mutex<Vec<Finished>>,
}

impl Mailbox {
    /// A mailbox whose deliveries wake the loop through `waker`.
    pub fn new(waker: Waker) -> Mailbox {
        Mailbox {
            waker,
            finished: Mutex::new(Vec::new()),
        }
    }

    /// Wakes the loop (from `poll`), with or without mail.
    pub fn wake(&self) {
        // A loop that cannot be woken still looks every TICK.
        let _ = self.waker.wake();
    }

    /// Takes everything delivered so far.
    pub fn collect(&self) -> Vec<Finished> {
        match self.finished.lock() {
            Ok(mut finished) => std::mem::take(&mut *finished),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    fn deliver(&self, finished: Finished) {
        match self.finished.lock() {
            Ok(mut list) => list.push(finished),
            Err(poisoned) => poisoned.into_inner().push(finished),
        }
        self.wake();
    }
}

/// One piece of work and where its result goes.
struct Job {
    work: Deferred,
    mailbox: Arc<Mailbox>,
    slot: usize,
    serial: u64,
}

/// The worker threads and the queue that feeds them.
pub struct Workers {
    queue: Mutex<Sender<Job>>,
}

impl Workers {
    /// Starts [`LISTING_WORKERS`] threads. If the system refuses threads, work is done on the
    /// calling loop instead ([`Workers::submit`] says so), slower for the others but correct.
    pub fn start() -> Workers {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..LISTING_WORKERS {
            let receiver = Arc::clone(&receiver);
            let _ = thread::Builder::new()
                .name("http10-worker".into())
                .spawn(move || work(&receiver));
        }
        Workers {
            queue: Mutex::new(sender),
        }
    }

    /// Queues `work` for the connection in `slot` (with `serial`) of the loop owning
    /// `mailbox`. Gives the work back if no worker can take it.
    pub fn submit(
        &self,
        work: Deferred,
        mailbox: &Arc<Mailbox>,
        slot: usize,
        serial: u64,
    ) -> Result<(), Deferred> {
        let job = Job {
            work,
            mailbox: Arc::clone(mailbox),
            slot,
            serial,
        };
        let Ok(queue) = self.queue.lock() else {
            return Err(job.work);
        };
        queue.send(job).map_err(|returned| returned.0.work)
    }
}

/// A worker's life: take a job, do it, deliver the result, until the queue is gone.
fn work(receiver: &Mutex<Receiver<Job>>) {
    // A worker yields the processor to the event loops: on a machine with few cores, a loop
    // woken by a client must not wait for a listing to finish its time slice. (On Linux the
    // "nice" value set this way is the calling thread's own.)
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(None, WORKER_NICENESS);
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return; // the server is gone
        };
        let Job {
            work,
            mailbox,
            slot,
            serial,
        } = job;
        // A bug in the work costs this one response, not the worker.
        let response = panic::catch_unwind(AssertUnwindSafe(|| work.run())).unwrap_or_else(|_| {
            Response::error(
                Status::InternalServerError,
                "The server failed while building this page.",
            )
        });
        mailbox.deliver(Finished {
            slot,
            serial,
            response,
        });
    }
}
