//! From a host name to a connected `TcpStream`: resolve, then try each address in turn.
//!
//! A name can have several addresses (IPv6 and IPv4, several servers); like curl and browsers we
//! try them in the order the resolver gives until one accepts. Both steps share one budget, the
//! connect timeout, counted from the start of the lookup ([`open`]): a slow resolver leaves less
//! time for connecting, so `--connect-timeout 10` never means 20 s. `getaddrinfo` itself has no
//! timeout, so it runs on a helper thread that we stop waiting for.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::cancel::{wait_for, Cancel, Waited};
use super::{Deadline, GetError, IpFamily, Observer, Step, Target};

/// A name lookup: the system resolver, or a stand-in in the tests.
type Lookup = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;

/// Resolves `target` and connects to it, both within `connect_timeout` from now (and never past
/// `deadline`, the end of `-m`).
/// Raising `cancel` stops either step within [`CANCEL_CHECK`](super::cancel::CANCEL_CHECK).
pub(crate) fn open(
    target: &Target,
    family: IpFamily,
    connect_timeout: Duration,
    deadline: Option<Instant>,
    cancel: &Cancel,
    observer: &mut dyn Observer,
) -> Result<TcpStream, GetError> {
    let budget = Budget::new(connect_timeout, deadline, cancel);
    open_with(target, family, &budget, observer, system_lookup)
}

/// The time the two steps share, and the flag that may stop them.
struct Budget<'c> {
    /// When resolving began.
    started: Instant,
    /// The end of the connect timeout, or of `-m` if that comes first.
    end: Instant,
    cancel: &'c Cancel,
}

impl<'c> Budget<'c> {
    fn new(connect_timeout: Duration, deadline: Option<Instant>, cancel: &'c Cancel) -> Budget<'c> {
        let started = Instant::now();
        let mut end = started + connect_timeout;
        if let Some(deadline) = deadline {
            end = end.min(deadline);
        }
        Budget {
            started,
            end,
            cancel,
        }
    }
}

fn open_with(
    target: &Target,
    family: IpFamily,
    budget: &Budget<'_>,
    observer: &mut dyn Observer,
    lookup: Lookup,
) -> Result<TcpStream, GetError> {
    let addresses = resolve(target, family, budget, lookup)?;
    observer.reached(Step::Resolved, Instant::now());
    connect(target, &addresses, budget, observer)
}

/// One connection attempt, for at most `left`. std's `connect_timeout` cannot be interrupted,
/// so a fetch that may be cancelled makes it on a helper thread and waits for that in slices;
/// once cancelled, the thread's socket is closed when its attempt ends.
fn connect_one(
    address: SocketAddr,
    left: Duration,
    cancel: &Cancel,
) -> Result<io::Result<TcpStream>, GetError> {
    if !cancel.can_be_raised() {
        return Ok(TcpStream::connect_timeout(&address, left));
    }
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let _ = sender.send(TcpStream::connect_timeout(&address, left));
    });
    match wait_for(&receiver, Instant::now() + left, cancel) {
        Waited::Got(attempt) => Ok(attempt),
        Waited::Cancelled => Err(GetError::Cancelled),
        Waited::TimedOut => Ok(Err(io::ErrorKind::TimedOut.into())),
    }
}

/// The system resolver (`/etc/hosts`, DNS …).
fn system_lookup(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    (host, port)
        .to_socket_addrs()
        .map(|addresses| addresses.collect())
}

/// The addresses to try for `target`, in the resolver's order, kept to the family asked for.
fn resolve(
    target: &Target,
    family: IpFamily,
    budget: &Budget<'_>,
    lookup: Lookup,
) -> Result<Vec<SocketAddr>, GetError> {
    let addresses = match target.ip {
        Some(ip) => vec![SocketAddr::new(ip, target.port)],
        None => lookup_bounded(&target.host, target.port, budget, lookup)?,
    };
    let kept: Vec<SocketAddr> = addresses
        .into_iter()
        .filter(|address| match family {
            IpFamily::Any => true,
            IpFamily::V4 => address.is_ipv4(),
            IpFamily::V6 => address.is_ipv6(),
        })
        .collect();
    if kept.is_empty() {
        let wanted = match family {
            IpFamily::V4 => "IPv4 address (-4)",
            IpFamily::V6 => "IPv6 address (-6)",
            IpFamily::Any => "address",
        };
        return Err(GetError::Resolve {
            host: target.host.clone(),
            reason: format!("it has no {wanted}"),
        });
    }
    Ok(kept)
}

/// Runs `lookup` for `host`, waiting for it no later than the budget's end.
fn lookup_bounded(
    host: &str,
    port: u16,
    budget: &Budget<'_>,
    lookup: Lookup,
) -> Result<Vec<SocketAddr>, GetError> {
    let (sender, receiver) = mpsc::channel();
    let name = host.to_string();
    // If the resolver hangs, this thread is left behind; it ends when getaddrinfo gives up.
    thread::spawn(move || {
        let _ = sender.send(lookup(&name, port));
    });
    let started = Instant::now();
    match wait_for(&receiver, budget.end, budget.cancel) {
        Waited::Got(Ok(addresses)) => Ok(addresses),
        Waited::Got(Err(error)) => Err(GetError::Resolve {
            host: host.to_string(),
            reason: resolver_reason(&error),
        }),
        Waited::Cancelled => Err(GetError::Cancelled),
        Waited::TimedOut => Err(GetError::Timeout(Deadline::Resolve {
            host: host.to_string(),
            waited: started.elapsed(),
        })),
    }
}

/// The resolver's message, without the "failed to lookup address information:" std puts first.
fn resolver_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.split_once(": ") {
        Some((_, reason)) => reason.to_string(),
        None => text,
    }
}

/// Connects to the first address that accepts, each attempt bounded by what is left of the
/// budget that began when resolving began.
fn connect(
    target: &Target,
    addresses: &[SocketAddr],
    budget: &Budget<'_>,
    observer: &mut dyn Observer,
) -> Result<TcpStream, GetError> {
    let started = budget.started;
    let mut last_error = None;
    for &address in addresses {
        let left = budget.end.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(1) {
            break;
        }
        observer.connecting(&target.host, address);
        match connect_one(address, left, budget.cancel)? {
            Ok(stream) => {
                observer.reached(Step::Connected, Instant::now());
                observer.connected(address, stream.local_addr().ok(), started.elapsed());
                return Ok(stream);
            }
            Err(error) => {
                observer.note(&format!("connecting to {address} failed: {error}"));
                last_error = Some(error);
            }
        }
    }
    match last_error {
        Some(error)
            if !matches!(
                error.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            Err(GetError::Connect {
                host: target.host.clone(),
                port: target.port,
                source: error,
            })
        }
        _ => Err(GetError::Timeout(Deadline::Connect {
            host: target.host.clone(),
            port: target.port,
            waited: started.elapsed(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{parse_input, Silent};

    /// A resolver that takes 350 ms to answer 127.0.0.1.
    fn slow_lookup(_host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        thread::sleep(Duration::from_millis(350));
        Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    }

    /// A listener whose accept queue is full: the kernel drops further SYNs, so a connect to
    /// it waits until its timeout. Kept alive by the returned sockets; the port to connect to.
    fn black_hole() -> (socket2::Socket, Vec<TcpStream>, u16) {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        let address: SocketAddr = "127.0.0.1:0".parse().expect("address");
        socket.bind(&address.into()).expect("bind");
        socket.listen(0).expect("listen");
        let local = socket
            .local_addr()
            .expect("address")
            .as_socket()
            .expect("inet");
        let mut fillers = Vec::new();
        for _ in 0..4 {
            if let Ok(stream) = TcpStream::connect_timeout(&local, Duration::from_millis(100)) {
                fillers.push(stream);
            }
        }
        (socket, fillers, local.port())
    }

    #[test]
    fn resolving_and_connecting_share_one_budget() {
        let (_listener, _fillers, port) = black_hole();
        let url = parse_input(&format!("http://slow.example:{port}/")).expect("url");
        let target = Target::from_url(&url).expect("target");
        // The same with a flag nobody raises: slicing the waits changes no limit. Both at once,
        // each on its own thread: the test waits out one budget, not two.
        thread::scope(|scope| {
            for cancel in [Cancel::never(), Cancel::new()] {
                let target = &target;
                scope.spawn(move || {
                    let budget = Budget::new(Duration::from_millis(500), None, &cancel);
                    let started = Instant::now();
                    let result =
                        open_with(target, IpFamily::Any, &budget, &mut Silent, slow_lookup);
                    let took = started.elapsed();
                    // The lookup took 0.35 s of the budget; the connect, which then timed out,
                    // the rest.
                    assert!(
                        matches!(&result, Err(GetError::Timeout(Deadline::Connect { host, .. })) if host == "slow.example"),
                        "{result:?}"
                    );
                    // One budget: about 0.5 s in all, not 0.35 s of lookup plus a fresh 0.5 s of
                    // connecting.
                    assert!(took < Duration::from_millis(750), "took {took:?}");
                });
            }
        });
    }

    #[test]
    fn a_raised_flag_stops_a_lookup_and_a_connect_that_hang() {
        let (_listener, _fillers, port) = black_hole();
        for input in [
            format!("http://slow.example:{port}/"),
            format!("http://127.0.0.1:{port}/"),
        ] {
            let target = Target::from_url(&parse_input(&input).expect("url")).expect("target");
            let cancel = Cancel::new();
            let raiser = cancel.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(150));
                raiser.raise();
            });
            let budget = Budget::new(Duration::from_secs(10), None, &cancel);
            let started = Instant::now();
            let result = open_with(&target, IpFamily::Any, &budget, &mut Silent, slow_lookup);
            assert!(
                matches!(result, Err(GetError::Cancelled)),
                "{input}: {result:?}"
            );
            assert!(started.elapsed() < Duration::from_secs(2), "{input}");
        }
    }
}
