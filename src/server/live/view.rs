//! The view thread: it merges what the event loops published into one table of rows, and
//! sends each viewer, as Server-Sent Events, the rows that changed since its last update.
//!
//! It serves its few viewers the way an event loop serves connections — non-blocking sockets
//! in a `Poll` of its own — but far more simply: every [`VIEW_TICK`] it writes what each
//! viewer's socket takes, and reads (and throws away) whatever a viewer sends, which is how it
//! sees a viewer leave. A viewer's buffer holds at most one update: while it is not all sent,
//! no new one is made for that viewer (see the [module docs](super)).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use mio::net::TcpStream as ClientSocket;
use mio::{Events, Interest, Poll, Token};

use super::super::response::{format_head, Persistence};
use super::super::Shared;
use super::{
    events_response, Key, Live, Phase, Row, FADE, MAX_ROWS, MAX_VIEWERS, VIEWER_STALL, VIEW_TICK,
};
use crate::date::format_http_date;
use crate::escape::escape_log_field;

/// The view thread's state: its `Poll`, its viewers, the table.
pub struct View {
    poll: Poll,
    live: Arc<Live>,
    viewers: Vec<Option<Viewer>>,
    /// Every row shown, and the update number at which it last changed.
    table: HashMap<Key, (Row, u64)>,
    /// The number of the last change to the table.
    version: u64,
    /// Open connections not shown, over all loops ([`MAX_ROWS`]).
    hidden: Vec<usize>,
    /// The boards' open rows are swapped into this, so that both keep their allocations.
    spare: Vec<Row>,
}

/// One viewer: its socket and what is still to be sent to it.
struct Viewer {
    socket: ClientSocket,
    key: Key,
    /// Bytes laid out and not sent yet (at most one update).
    out: Vec<u8>,
    written: usize,
    /// The table's version this viewer has been sent.
    seen: u64,
    /// When a byte last left (or the buffer was last empty).
    progress: Instant,
    /// Bytes sent so far, for its own row.
    sent: u64,
}

impl View {
    pub(super) fn new(poll: Poll, live: Arc<Live>) -> View {
        let hidden = vec![0; live.boards.len()];
        View {
            poll,
            live,
            viewers: (0..MAX_VIEWERS).map(|_| None).collect(),
            table: HashMap::new(),
            version: 0,
            hidden,
            spare: Vec::new(),
        }
    }

    /// Serves the viewers until the server stops.
    pub(in crate::server) fn run(mut self, shared: &Shared) {
        let mut events = Events::with_capacity(16);
        let mut next_tick = Instant::now();
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            if let Err(error) = self.poll.poll(&mut events, Some(wait)) {
                if error.kind() != io::ErrorKind::Interrupted {
                    return;
                }
            }
            if shared.stopping.load(Ordering::SeqCst) {
                for slot in 0..self.viewers.len() {
                    self.drop_viewer(slot);
                }
                return;
            }
            let now = Instant::now();
            self.adopt_arrivals(now);
            if now >= next_tick {
                self.collect(now);
                self.lay_out_updates(now);
                next_tick = now + VIEW_TICK;
            }
            self.serve_viewers(now);
        }
    }

    /// Takes in the viewers the event loops handed over: each gets the response head, then
    /// a first event naming its own connection.
    fn adopt_arrivals(&mut self, now: Instant) {
        let arrivals = match self.live.arrivals.lock() {
            Ok(mut arrivals) => std::mem::take(&mut *arrivals),
            Err(_) => return,
        };
        for arrival in arrivals {
            let Some(slot) = self.viewers.iter().position(Option::is_none) else {
                // Cannot happen (places are reserved first); closing it gives the place back.
                self.live.give_back_place();
                continue;
            };
            let mut socket = arrival.socket;
            let interest = Interest::READABLE | Interest::WRITABLE;
            if self
                .poll
                .registry()
                .register(&mut socket, Token(1 + slot), interest)
                .is_err()
            {
                self.live.give_back_place();
                continue;
            }
            let key = arrival.row.key;
            let mut out = Vec::new();
            let date = format_http_date(SystemTime::now());
            format_head(&events_response(), Persistence::Close, &date, &mut out);
            // `retry`: how long the browser waits before it connects again, if it loses us.
            let hello = format!(
                "retry: 2000\n\nevent: hello\ndata: {{\"you\":\"{key}\",\"now\":{},\"fade\":{}}}\n\n",
                self.live.millis(now),
                FADE.as_millis()
            );
            out.extend_from_slice(hello.as_bytes());
            self.version += 1;
            self.table.insert(key, (arrival.row, self.version));
            // The whole table at once, so that a new page is full from its first frame.
            out.extend_from_slice(self.rows_event(0, now).as_bytes());
            self.viewers[slot] = Some(Viewer {
                socket,
                key,
                out,
                written: 0,
                seen: self.version,
                progress: now,
                sent: 0,
            });
        }
    }

    /// Merges what each loop published into the table: new and changed rows, closed rows,
    /// and rows of connections that are gone without a word (their closing row did not fit).
    fn collect(&mut self, now: Instant) {
        let live = Arc::clone(&self.live);
        for (event_loop, board) in live.boards.iter().enumerate() {
            let Ok(mut board) = board.lock() else {
                continue;
            };
            if !board.fresh {
                continue;
            }
            board.fresh = false;
            self.hidden[event_loop] = board.hidden;
            std::mem::swap(&mut board.open, &mut self.spare);
            let closed = std::mem::take(&mut board.closed);
            drop(board);

            let mut open = std::mem::take(&mut self.spare);
            let mut seen_open = std::collections::HashSet::with_capacity(open.len());
            for row in open.drain(..) {
                seen_open.insert(row.key);
                self.put(row);
            }
            self.spare = open;
            for mut row in closed {
                row.phase = Phase::Closed;
                row.closed.get_or_insert(now);
                seen_open.remove(&row.key);
                self.put(row);
            }
            for (key, (row, changed)) in self.table.iter_mut() {
                let gone = key.event_loop == event_loop
                    && !matches!(row.phase, Phase::Closed | Phase::Watching)
                    && !seen_open.contains(key);
                if gone {
                    self.version += 1;
                    row.phase = Phase::Closed;
                    row.closed = Some(now);
                    *changed = self.version;
                }
            }
        }
        // Closed rows fade out; beyond MAX_ROWS, the oldest closed go first.
        self.table
            .retain(|_, (row, _)| row.closed.is_none_or(|closed| now - closed < FADE));
        while self.table.len() > MAX_ROWS {
            let oldest = self
                .table
                .values()
                .filter_map(|(row, _)| row.closed.map(|closed| (closed, row.key)))
                .min();
            match oldest {
                Some((_, key)) => self.table.remove(&key),
                None => break,
            };
        }
    }

    /// Puts a row in the table, as a change if it differs from what was there.
    fn put(&mut self, row: Row) {
        if let Some((old, changed)) = self.table.get_mut(&row.key) {
            if *old != row {
                self.version += 1;
                *old = row;
                *changed = self.version;
            }
        } else if self.table.len() < MAX_ROWS {
            self.version += 1;
            self.table.insert(row.key, (row, self.version));
        }
    }

    /// For each viewer whose last update has gone out: an update with every row that changed
    /// since (nothing if none did).
    fn lay_out_updates(&mut self, now: Instant) {
        let Some(oldest_seen) = self.viewers.iter().flatten().map(|v| v.seen).min() else {
            return;
        };
        if oldest_seen < self.version {
            // Something changed: the viewers' own rows get their bytes too.
            for viewer in self.viewers.iter().flatten() {
                if let Some((row, changed)) = self.table.get_mut(&viewer.key) {
                    if row.bytes_out != viewer.sent {
                        row.bytes_out = viewer.sent;
                        self.version += 1;
                        *changed = self.version;
                    }
                }
            }
        }
        for slot in 0..self.viewers.len() {
            let Some(viewer) = &self.viewers[slot] else {
                continue;
            };
            if viewer.written < viewer.out.len() || viewer.seen == self.version {
                continue;
            }
            let event = self.rows_event(viewer.seen, now);
            if let Some(viewer) = &mut self.viewers[slot] {
                viewer.out.clear();
                viewer.written = 0;
                viewer.progress = now;
                viewer.out.extend_from_slice(event.as_bytes());
                viewer.seen = self.version;
            }
        }
    }

    /// A `rows` event: every row changed after update number `seen` (all of them for 0).
    fn rows_event(&self, seen: u64, now: Instant) -> String {
        let open = self
            .table
            .values()
            .filter(|(row, _)| row.phase != Phase::Closed)
            .count();
        let hidden: usize = self.hidden.iter().sum();
        let mut data = format!(
            "event: rows\ndata: {{\"now\":{},\"open\":{open},\"hidden\":{hidden},\"rows\":[",
            self.live.millis(now)
        );
        let mut first = true;
        for (row, changed) in self.table.values() {
            if *changed > seen {
                if !first {
                    data.push(',');
                }
                first = false;
                row_json(&self.live, row, &mut data);
            }
        }
        data.push_str("]}\n\n");
        data
    }

    /// Writes what each viewer's socket takes, reads what it sent, and drops a viewer that
    /// left, failed, or has taken nothing for [`VIEWER_STALL`].
    fn serve_viewers(&mut self, now: Instant) {
        let mut discard = [0u8; 1024];
        for slot in 0..self.viewers.len() {
            let Some(viewer) = &mut self.viewers[slot] else {
                continue;
            };
            let mut over = false;
            while viewer.written < viewer.out.len() {
                match viewer.socket.write(&viewer.out[viewer.written..]) {
                    Ok(0) => {
                        over = true;
                        break;
                    }
                    Ok(count) => {
                        viewer.written += count;
                        viewer.sent += count as u64;
                        viewer.progress = now;
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        over = true;
                        break;
                    }
                }
            }
            if viewer.written == viewer.out.len() {
                viewer.progress = now;
            }
            loop {
                match viewer.socket.read(&mut discard) {
                    Ok(0) => {
                        over = true;
                        break;
                    }
                    Ok(_) => {}
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        over = true;
                        break;
                    }
                }
            }
            if over || now - viewer.progress >= VIEWER_STALL {
                self.drop_viewer(slot);
            }
        }
    }

    /// Ends a viewer's stream (the end of its body: RFC 1945 §7.2.2) and frees its place.
    fn drop_viewer(&mut self, slot: usize) {
        let Some(mut viewer) = self.viewers[slot].take() else {
            return;
        };
        let _ = viewer.socket.shutdown(Shutdown::Write);
        let _ = self.poll.registry().deregister(&mut viewer.socket);
        self.live.give_back_place();
        if let Some((row, changed)) = self.table.get_mut(&viewer.key) {
            self.version += 1;
            row.phase = Phase::Closed;
            row.closed = Some(Instant::now());
            row.bytes_out = viewer.sent;
            *changed = self.version;
        }
    }
}

/// One row as a JSON object, appended to `json`.
fn row_json(live: &Live, row: &Row, json: &mut String) {
    let line = escape_log_field(&row.last_request);
    let status = row
        .last_status
        .map_or_else(|| "null".to_string(), |code| code.to_string());
    let end = row.closed.map_or_else(
        || "null".to_string(),
        |closed| live.millis(closed).to_string(),
    );
    json.push_str(&format!(
        "{{\"id\":\"{}\",\"peer\":\"{}\",\"state\":\"{}\",\"served\":{},\"in\":{},\"out\":{},\
         \"line\":\"{}\",\"status\":{status},\"start\":{},\"end\":{end}}}",
        row.key,
        row.peer,
        row.phase.name(),
        row.served,
        row.bytes_in,
        row.bytes_out,
        json_escape(&line),
        live.millis(row.opened),
    ));
}

/// Text made safe inside a JSON string: `escape_log_field` has already turned `"`, control
/// characters and bytes beyond ASCII into `\xNN`, so only its backslashes need doubling.
fn json_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            c if c.is_control() => escaped.push_str(&format!("\\u{:04x}", c as u32)),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::json_escape;
    use crate::escape::escape_log_field;

    #[test]
    fn a_request_line_cannot_break_out_of_its_json_string() {
        for (line, want) in [
            (&b"GET / HTTP/1.0"[..], "GET / HTTP/1.0"),
            (b"GET /\"a\" HTTP/1.0", "GET /\\\\x22a\\\\x22 HTTP/1.0"),
            (b"GET /\\ HTTP/1.0", "GET /\\\\x5C HTTP/1.0"),
            (b"GET /\n\x00 HTTP/1.0", "GET /\\\\x0A\\\\x00 HTTP/1.0"),
        ] {
            assert_eq!(json_escape(&escape_log_field(line)), want, "{line:?}");
        }
    }
}
