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

use super::{Deadline, GetError, IpFamily, Observer, Target};

/// A name lookup: the system resolver, or a stand-in in the tests.
type Lookup = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;

/// Resolves `target` and connects to it, both within `connect_timeout` from now (and never past
/// `deadline`, the end of `-m`).
pub(crate) fn open(
    target: &Target,
    family: IpFamily,
    connect_timeout: Duration,
    deadline: Option<Instant>,
    observer: &mut dyn Observer,
) -> Result<TcpStream, GetError> {
    open_with(
        target,
        family,
        connect_timeout,
        deadline,
        observer,
        system_lookup,
    )
}

fn open_with(
    target: &Target,
    family: IpFamily,
    connect_timeout: Duration,
    deadline: Option<Instant>,
    observer: &mut dyn Observer,
    lookup: Lookup,
) -> Result<TcpStream, GetError> {
    let started = Instant::now();
    let mut budget_end = started + connect_timeout;
    if let Some(deadline) = deadline {
        budget_end = budget_end.min(deadline);
    }
    let addresses = resolve(target, family, budget_end, lookup)?;
    connect(target, &addresses, started, budget_end, observer)
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
    budget_end: Instant,
    lookup: Lookup,
) -> Result<Vec<SocketAddr>, GetError> {
    let addresses = match target.ip {
        Some(ip) => vec![SocketAddr::new(ip, target.port)],
        None => lookup_bounded(&target.host, target.port, budget_end, lookup)?,
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

/// Runs `lookup` for `host`, waiting for it no later than `budget_end`.
fn lookup_bounded(
    host: &str,
    port: u16,
    budget_end: Instant,
    lookup: Lookup,
) -> Result<Vec<SocketAddr>, GetError> {
    let (sender, receiver) = mpsc::channel();
    let name = host.to_string();
    // If the resolver hangs, this thread is left behind; it ends when getaddrinfo gives up.
    thread::spawn(move || {
        let _ = sender.send(lookup(&name, port));
    });
    let started = Instant::now();
    match receiver.recv_timeout(budget_end.saturating_duration_since(started)) {
        Ok(Ok(addresses)) => Ok(addresses),
        Ok(Err(error)) => Err(GetError::Resolve {
            host: host.to_string(),
            reason: resolver_reason(&error),
        }),
        Err(_) => Err(GetError::Timeout(Deadline::Resolve {
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
/// budget that began at `started` (when resolving began).
fn connect(
    target: &Target,
    addresses: &[SocketAddr],
    started: Instant,
    budget_end: Instant,
    observer: &mut dyn Observer,
) -> Result<TcpStream, GetError> {
    let mut last_error = None;
    for &address in addresses {
        let left = budget_end.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(1) {
            break;
        }
        observer.connecting(&target.host, address);
        match TcpStream::connect_timeout(&address, left) {
            Ok(stream) => {
                observer.connected(address, started.elapsed());
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

    /// A resolver that takes 700 ms to answer 127.0.0.1.
    fn slow_lookup(_host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        thread::sleep(Duration::from_millis(700));
        Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    }

    /// A listener whose accept queue is full: the kernel drops further SYNs, so a connect to
    /// it waits until its timeout.
    fn black_hole() -> (socket2::Socket, Vec<TcpStream>) {
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
        (socket, fillers)
    }

    #[test]
    fn resolving_and_connecting_share_one_budget() {
        let (listener, _fillers) = black_hole();
        let port = listener
            .local_addr()
            .expect("address")
            .as_socket()
            .expect("inet")
            .port();
        let url = parse_input(&format!("http://slow.example:{port}/")).expect("url");
        let target = Target::from_url(&url).expect("target");
        let budget = Duration::from_millis(1000);
        let started = Instant::now();
        let result = open_with(
            &target,
            IpFamily::Any,
            budget,
            None,
            &mut Silent,
            slow_lookup,
        );
        let took = started.elapsed();
        // The lookup took 0.7 s of the budget; the connect, which then timed out, the rest.
        assert!(
            matches!(&result, Err(GetError::Timeout(Deadline::Connect { host, .. })) if host == "slow.example"),
            "{result:?}"
        );
        // One budget: about 1 s in all, not 0.7 s of lookup plus a fresh 1 s of connecting.
        assert!(took < Duration::from_millis(1500), "took {took:?}");
    }
}
