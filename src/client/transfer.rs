//! What one transfer left behind, for `-w` and the timing view: the addresses, the sizes, the
//! last reply's head, the times, and how it ended.
//!
//! [`Recorder`] is an [`Observer`] that passes every report on to another one (the narrator of
//! `-v`) and keeps what it hears in a [`Transfer`]. The transfer outlives the fetch, so that
//! `-w` can print it whether the fetch succeeded or failed, as curl's `-w` does.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use url::Url;

use super::timing::{Step, Timings};
use super::{GetError, Observer, ReplyHead};

/// The facts of one transfer, as `-w` names them (curl's meanings; `write_out.rs` prints them).
#[derive(Debug, Clone, Default)]
pub struct Transfer {
    /// The URL given (`%{url}`).
    pub url: Option<Url>,
    /// The URL of the last request made (`%{url_effective}`): after `-L`, where it led.
    pub url_effective: Option<Url>,
    /// The instants of each hop.
    pub timings: Timings,
    /// The server's address and port, on the last connection.
    pub remote: Option<SocketAddr>,
    /// This computer's address and port, on the last connection.
    pub local: Option<SocketAddr>,
    /// How many TCP connections were made (one per request in HTTP/1.0).
    pub connects: u64,
    /// The bytes sent, all requests together: heads and bodies (`%{size_request}`, as curl
    /// counts it).
    pub size_request: u64,
    /// The bytes of every reply head received, status line and blank line included.
    pub size_header: u64,
    /// The last reply's head (the final reply, or the last one read before a failure).
    pub head: Option<ReplyHead>,
    /// The body bytes received, after the last reply's framing is removed.
    pub size_download: u64,
    /// The exit code httpget gives this transfer: 0, or the failure's.
    pub exit_code: u8,
    /// What went wrong, as httpget prints it after `httpget: `.
    pub error: Option<String>,
}

impl Transfer {
    /// Records that the transfer ended with `error`.
    pub fn failed(&mut self, error: &GetError) {
        self.exit_code = error.exit_code();
        self.error = Some(error.to_string());
    }
}

/// An observer that keeps what it hears in a [`Transfer`] and passes it on.
pub struct Recorder<'a> {
    inner: &'a mut dyn Observer,
    /// What has been recorded so far.
    pub transfer: &'a mut Transfer,
}

impl<'a> Recorder<'a> {
    /// A recorder that passes each report on to `inner`.
    pub fn new(inner: &'a mut dyn Observer, transfer: &'a mut Transfer) -> Recorder<'a> {
        Recorder { inner, transfer }
    }
}

impl Observer for Recorder<'_> {
    fn connecting(&mut self, host: &str, address: SocketAddr) {
        self.inner.connecting(host, address);
    }

    fn connected(&mut self, remote: SocketAddr, local: Option<SocketAddr>, took: Duration) {
        self.transfer.remote = Some(remote);
        self.transfer.local = local;
        self.transfer.connects += 1;
        self.inner.connected(remote, local, took);
    }

    fn hop(&mut self, url: &Url, at: Instant) {
        self.transfer.timings.start_hop(at);
        if self.transfer.url.is_none() {
            self.transfer.url = Some(url.clone());
        }
        self.transfer.url_effective = Some(url.clone());
        self.inner.hop(url, at);
    }

    fn reached(&mut self, step: Step, at: Instant) {
        self.transfer.timings.mark(step, at);
        self.inner.reached(step, at);
    }

    fn request(&mut self, bytes: &[u8]) {
        self.inner.request(bytes);
    }

    fn sent(&mut self, bytes: usize) {
        self.transfer.size_request += bytes as u64;
        self.inner.sent(bytes);
    }

    fn received(&mut self, bytes: usize, since_request: Duration) {
        self.inner.received(bytes, since_request);
    }

    fn reply_head(&mut self, head: &ReplyHead) {
        self.transfer.size_header += head.raw.len() as u64;
        self.transfer.head = Some(head.clone());
        self.inner.reply_head(head);
    }

    fn note(&mut self, text: &str) {
        self.inner.note(text);
    }
}
