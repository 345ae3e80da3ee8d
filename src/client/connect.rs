//! From a host name to a connected `TcpStream`: resolve, then try each address in turn.
//!
//! A name can have several addresses (IPv6 and IPv4, several servers); like curl and browsers we
//! try them in the order the resolver gives until one accepts. Both steps are bounded by the
//! connect timeout: `getaddrinfo` itself has no timeout, so it runs on a helper thread that we
//! stop waiting for.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::{GetError, IpFamily, Observer, Target};

/// The addresses to try for `target`, in the resolver's order, kept to the family asked for.
pub(crate) fn resolve(
    target: &Target,
    family: IpFamily,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, GetError> {
    let addresses = match target.ip {
        Some(ip) => vec![SocketAddr::new(ip, target.port)],
        None => lookup(&target.host, target.port, timeout)?,
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

/// Asks the system resolver (`/etc/hosts`, DNS …) for `host`, waiting at most `timeout`.
fn lookup(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, GetError> {
    let (sender, receiver) = mpsc::channel();
    let name = host.to_string();
    // If the resolver hangs, this thread is left behind; it ends when getaddrinfo gives up.
    thread::spawn(move || {
        let result = (name.as_str(), port)
            .to_socket_addrs()
            .map(|addresses| addresses.collect::<Vec<_>>());
        let _ = sender.send(result);
    });
    match receiver.recv_timeout(timeout) {
        Ok(Ok(addresses)) => Ok(addresses),
        Ok(Err(error)) => Err(GetError::Resolve {
            host: host.to_string(),
            reason: resolver_reason(&error),
        }),
        Err(_) => Err(GetError::Timeout(format!(
            "resolving {host} took longer than {} s",
            timeout.as_secs_f64()
        ))),
    }
}

/// The resolver's message, without the "failed to lookup address information:" std puts first.
fn resolver_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.split_once(": ") {
        Some((_, reason)) => reason.to_string(),
        None => text,
    }
}

/// Connects to the first address that accepts, each attempt bounded by what is left of the
/// connect timeout (and of `-m`'s deadline).
pub(crate) fn connect(
    target: &Target,
    addresses: &[SocketAddr],
    timeout: Duration,
    deadline: Option<Instant>,
    observer: &mut dyn Observer,
) -> Result<TcpStream, GetError> {
    let started = Instant::now();
    let mut connect_deadline = started + timeout;
    if let Some(deadline) = deadline {
        connect_deadline = connect_deadline.min(deadline);
    }
    let mut last_error = None;
    for &address in addresses {
        let left = connect_deadline.saturating_duration_since(Instant::now());
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
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            Err(GetError::Connect {
                host: target.host.clone(),
                port: target.port,
                source: error,
            })
        }
        _ => Err(GetError::Timeout(format!(
            "no connection to {} port {} within {:.1} s",
            target.host,
            target.port,
            started.elapsed().as_secs_f64()
        ))),
    }
}
