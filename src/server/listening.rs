//! The listening socket: opening it (`socket`, `bind`, `listen`), how each event loop watches
//! it, and the short answer a client gets when the server is full. (Accepting itself is the
//! loop's: [`event_loop`](super::event_loop).)

use std::io::{self, Read};
use std::net::{IpAddr, Ipv6Addr, Shutdown, SocketAddr, TcpListener};
use std::time::SystemTime;

use mio::net::{TcpListener as ListeningSocket, TcpStream as ClientSocket};
#[cfg(not(target_os = "linux"))]
use mio::Interest;
use mio::{Poll, Token};

use super::response::{Framing, Response};
use super::send::Outgoing;
use super::{addresses, Shared, StartError, LISTEN_BACKLOG};
use crate::status::Status;

/// The token of the listening socket in every loop's `Poll`.
pub(super) const LISTENER: Token = Token(0);

/// Adds the listening socket to a loop's `Poll`. On Linux it is added "exclusive"
/// (`EPOLLEXCLUSIVE`): when a client arrives, the kernel wakes one sleeping loop, not all of
/// them only for all but one to find the queue empty (the "thundering herd"). And it is
/// level-triggered: while clients wait in the queue, every `poll` says so, so a loop can
/// accept one per event and never spend an `accept` on an empty queue.
///
/// `mio` offers neither, so this one registration is made with `epoll_ctl` itself on `mio`'s
/// epoll descriptor. That leans on one fact about `mio` that its API does not promise: on
/// Linux an event's `Token` is the number stored with the registration. The test
/// `a_listener_added_by_hand_is_reported_under_its_token` checks that fact against the `mio`
/// in `Cargo.lock`, so an upgrade that changes it fails the tests instead of the server.
#[cfg(target_os = "linux")]
pub(super) fn watch_listener(poll: &Poll, listener: &mut ListeningSocket) -> io::Result<()> {
    use rustix::event::epoll::{self, EventData, EventFlags};
    let flags = EventFlags::IN | EventFlags::EXCLUSIVE;
    let token = EventData::new_u64(LISTENER.0 as u64);
    epoll::add(poll.registry(), &*listener, token, flags)?;
    Ok(())
}

/// Adds the listening socket to a loop's `Poll` (edge-triggered, as all of `mio`'s).
#[cfg(not(target_os = "linux"))]
pub(super) fn watch_listener(poll: &Poll, listener: &mut ListeningSocket) -> io::Result<()> {
    poll.registry()
        .register(listener, LISTENER, Interest::READABLE)
}

/// Answers 503 to a connection over the limit, without taking it on.
pub(super) fn refuse_busy(shared: &Shared, mut socket: ClientSocket, peer: SocketAddr) {
    // Take whatever request already arrived (without waiting: the socket is non-blocking), so
    // closing does not reset the connection before the client reads the 503.
    let mut discard = [0u8; 4096];
    let _ = socket.read(&mut discard);
    let response = Response::error(
        Status::ServiceUnavailable,
        "The server is serving as many connections as it allows; try again in a moment.",
    )
    .with_header("Retry-After", "1");
    let framing = Framing::full_then_close();
    let mut sent = 0;
    if let Ok(mut outgoing) = Outgoing::new(response, framing, SystemTime::now()) {
        // A fresh socket's buffer takes this short page whole.
        let _ = outgoing.write_to(&mut socket);
        sent = outgoing.body_bytes_sent();
    }
    let _ = socket.shutdown(Shutdown::Write);
    shared
        .log
        .access(peer, b"-", Status::ServiceUnavailable, sent);
}

/// Opens the listening socket on the first of [`addresses::listen_candidates`] that works.
pub(super) fn listen(bind: Option<&str>, port: u16) -> Result<TcpListener, StartError> {
    let candidates = addresses::listen_candidates(bind, port)?;
    let mut last_error = None;
    for addr in &candidates {
        match listen_on(*addr) {
            Ok(listener) => return Ok(listener),
            Err(error) => {
                let start_error = match error.kind() {
                    io::ErrorKind::AddrInUse => StartError::AddressInUse(*addr),
                    io::ErrorKind::PermissionDenied => StartError::PortNeedsPrivilege(*addr),
                    _ => StartError::Listen(*addr, error),
                };
                // "In use" and "not allowed" are true whatever the address family.
                if !matches!(start_error, StartError::Listen(..)) {
                    return Err(start_error);
                }
                last_error = Some(start_error);
            }
        }
    }
    Err(last_error.expect("there is always at least one candidate address"))
}

/// `socket`, `bind`, `listen` — the three calls `TcpListener::bind` makes, spelled out so that
/// the backlog can be [`LISTEN_BACKLOG`] instead of std's 128.
fn listen_on(addr: SocketAddr) -> io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // A restarted server may bind the port while the last run's connections linger in
    // TIME_WAIT (std sets this too).
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    if addr.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) {
        // `::` takes IPv4 clients too, as README promises, whatever the system's default.
        let _ = socket.set_only_v6(false);
    }
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use mio::Events;
    use std::time::Duration;

    /// The listener is registered outside `mio`'s API (see [`watch_listener`]); this pins the
    /// two things that registration relies on: the event comes back under [`LISTENER`], and it
    /// keeps coming while a client waits (level-triggered), so one accept per event loses none.
    #[test]
    fn a_listener_added_by_hand_is_reported_under_its_token() {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        std_listener.set_nonblocking(true).expect("non-blocking");
        let address = std_listener.local_addr().expect("address");
        let mut listener = ListeningSocket::from_std(std_listener);
        let mut poll = Poll::new().expect("a poll");
        watch_listener(&poll, &mut listener).expect("watch the listener");
        let _client = std::net::TcpStream::connect(address).expect("connect");

        let mut events = Events::with_capacity(8);
        for round in 0..2 {
            // Level-triggered: the same waiting client is reported again in round 1.
            poll.poll(&mut events, Some(Duration::from_secs(10)))
                .expect("poll");
            let tokens: Vec<Token> = events.iter().map(|event| event.token()).collect();
            assert_eq!(tokens, [LISTENER], "round {round}");
            assert!(events.iter().all(|event| event.is_readable()));
        }
        let (_socket, _) = listener.accept().expect("the client is there");
    }
}
