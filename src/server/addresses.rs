//! Where the class can reach the server: the address `--bind` names, and the URLs the start-up
//! lines print, one per address a client can use.
//!
//! A teacher runs `httpserve 8080` and a room of laptops connects over the LAN. Listening on all
//! interfaces (`::`) takes connections on every address this computer has, but `127.0.0.1` works
//! only from this computer: the students need the LAN addresses (`192.0.2.2`, `fd00::2`), which
//! [`urls_for`] picks from the list of interface addresses, as miniserve prints them.
//!
//! Try: `httpserve 0` and compare its lines with `ip addr` (Linux), `ifconfig` (macOS, FreeBSD)
//! or `ipconfig` (Windows).

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use super::StartError;

/// Who can open a URL the server prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A LAN address: other computers (and this one) can use it.
    OtherComputers,
    /// A loopback address (`127.0.0.1`, `::1`): never leaves this computer.
    ThisComputerOnly,
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reach::OtherComputers => "from other computers",
            Reach::ThisComputerOnly => "from this computer only",
        })
    }
}

/// One URL the start-up lines name, and who can use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    /// Who can open it.
    pub reach: Reach,
    /// `http://192.0.2.2:8080/`, `http://[fd00::2]:8080/`.
    pub url: String,
}

/// The URLs a client can use for a server listening on `bound`, given this computer's
/// interface addresses: LAN addresses first (IPv4, then IPv6), then loopback, each once.
///
/// - Bound to all interfaces: `::` (which also takes IPv4, see `listen_on` in `mod.rs`) gives
///   every interface address; `0.0.0.0` gives the IPv4 ones.
/// - Bound to one address: that address alone, whatever the interfaces.
///
/// A link-local IPv6 address (`fe80::…`) is left out: it means something only together with a
/// zone (`fe80::1%eth0`), and browsers refuse a zone in a URL.
pub fn urls_for(bound: SocketAddr, interfaces: &[IpAddr]) -> Vec<Reachable> {
    let usable: Vec<IpAddr> = match bound.ip() {
        IpAddr::V6(ip) if ip.is_unspecified() => interfaces.to_vec(),
        IpAddr::V4(ip) if ip.is_unspecified() => {
            interfaces.iter().copied().filter(IpAddr::is_ipv4).collect()
        }
        specific => vec![specific],
    };
    let mut ordered: Vec<IpAddr> = Vec::new();
    // Four passes keep the OS's order inside each group (eth0 before wlan0).
    let groups: [fn(&IpAddr) -> bool; 4] = [
        |ip| ip.is_ipv4() && !ip.is_loopback(),
        |ip| ip.is_ipv6() && !ip.is_loopback(),
        |ip| ip.is_ipv4() && ip.is_loopback(),
        |ip| ip.is_ipv6() && ip.is_loopback(),
    ];
    for in_group in groups {
        for ip in &usable {
            if in_group(ip) && can_be_named(*ip) && !ordered.contains(ip) {
                ordered.push(*ip);
            }
        }
    }
    ordered
        .into_iter()
        .map(|ip| Reachable {
            reach: if ip.is_loopback() {
                Reach::ThisComputerOnly
            } else {
                Reach::OtherComputers
            },
            url: format!("http://{}/", SocketAddr::new(ip, bound.port())),
        })
        .collect()
}

/// Whether a client can name `ip` in a URL and reach this computer by it.
fn can_be_named(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => !ip.is_unspecified() && !ip.is_multicast() && !ip.is_broadcast(),
        IpAddr::V6(ip) => {
            // fe80::/10: link-local, needs a zone (see urls_for).
            let link_local = ip.segments()[0] & 0xffc0 == 0xfe80;
            !ip.is_unspecified() && !ip.is_multicast() && !link_local
        }
    }
}

/// The addresses of this computer's network interfaces (std has no such list; the `if-addrs`
/// crate asks `getifaddrs(3)` on Unix and `GetAdaptersAddresses` on Windows).
pub fn interface_addresses() -> io::Result<Vec<IpAddr>> {
    let interfaces = if_addrs::get_if_addrs()?;
    Ok(interfaces.iter().map(|interface| interface.ip()).collect())
}

/// The socket addresses to listen on, to try in order until one works: those `--bind TEXT`
/// names, or, without `--bind`, all interfaces — IPv6 `::` first, which on Linux also takes IPv4
/// connections, then IPv4 `0.0.0.0` for systems without IPv6.
pub fn listen_candidates(bind: Option<&str>, port: u16) -> Result<Vec<SocketAddr>, StartError> {
    let ips = match bind {
        None => vec![
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ],
        Some(text) => addresses_named(text, port)
            .map_err(|error| StartError::UnknownHost(text.to_string(), error))?,
    };
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

/// The addresses `text` names: an address as written (`127.0.0.1`, `::1`, also `[::1]` as URLs
/// write it), or a host name (`localhost`) as the system's resolver answers it, as python's
/// `http.server --bind` does.
fn addresses_named(text: &str, port: u16) -> io::Result<Vec<IpAddr>> {
    let unbracketed = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let mut addresses: Vec<IpAddr> = Vec::new();
    for addr in (text, port).to_socket_addrs()? {
        if !addresses.contains(&addr.ip()) {
            addresses.push(addr.ip());
        }
    }
    if addresses.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no address",
        ));
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("a test address")
    }

    /// What a teacher's laptop might have: loopback, a LAN address of each family, a second
    /// interface, a link-local IPv6 address, and a duplicate.
    fn laptop() -> Vec<IpAddr> {
        [
            "127.0.0.1",
            "::1",
            "192.0.2.2",
            "fd00::2",
            "fe80::1c2b:3cff:fe4d:5e6f",
            "10.1.2.3",
            "2001:db8::2",
            "192.0.2.2",
        ]
        .into_iter()
        .map(ip)
        .collect()
    }

    fn urls(bound: &str) -> Vec<(Reach, String)> {
        let bound: SocketAddr = bound.parse().expect("a test socket address");
        urls_for(bound, &laptop())
            .into_iter()
            .map(|reachable| (reachable.reach, reachable.url))
            .collect()
    }

    #[test]
    fn every_address_a_client_can_use_is_named_lan_first() {
        use Reach::{OtherComputers as Lan, ThisComputerOnly as Here};
        let cases: [(&str, &[(Reach, &str)]); 6] = [
            (
                "[::]:8080",
                &[
                    (Lan, "http://192.0.2.2:8080/"),
                    (Lan, "http://10.1.2.3:8080/"),
                    (Lan, "http://[fd00::2]:8080/"),
                    (Lan, "http://[2001:db8::2]:8080/"),
                    (Here, "http://127.0.0.1:8080/"),
                    (Here, "http://[::1]:8080/"),
                ],
            ),
            (
                "0.0.0.0:80",
                &[
                    (Lan, "http://192.0.2.2:80/"),
                    (Lan, "http://10.1.2.3:80/"),
                    (Here, "http://127.0.0.1:80/"),
                ],
            ),
            ("127.0.0.1:8080", &[(Here, "http://127.0.0.1:8080/")]),
            ("[::1]:8080", &[(Here, "http://[::1]:8080/")]),
            ("192.0.2.2:8085", &[(Lan, "http://192.0.2.2:8085/")]),
            ("[fd00::2]:8080", &[(Lan, "http://[fd00::2]:8080/")]),
        ];
        for (bound, want) in cases {
            let want: Vec<(Reach, String)> = want
                .iter()
                .map(|(reach, url)| (*reach, url.to_string()))
                .collect();
            assert_eq!(urls(bound), want, "bound to {bound}");
        }
    }

    #[test]
    fn link_local_ipv6_is_never_named_for_it_needs_a_zone() {
        for bound in ["[::]:8080", "[fe80::1]:8080"] {
            let named = urls(bound);
            assert!(
                named.iter().all(|(_, url)| !url.contains("fe80")),
                "{bound}: {named:?}"
            );
        }
    }

    #[test]
    fn no_interfaces_listed_names_nothing_for_all_interfaces() {
        let bound: SocketAddr = "[::]:8080".parse().expect("address");
        assert_eq!(urls_for(bound, &[]), Vec::new());
    }

    #[test]
    fn bind_takes_addresses_as_written_without_asking_a_resolver() {
        for (bind, want) in [
            (Some("127.0.0.1"), &["127.0.0.1:8080"][..]),
            (Some("::1"), &["[::1]:8080"]),
            (Some("[::1]"), &["[::1]:8080"]),
            (Some("::"), &["[::]:8080"]),
            (Some("192.0.2.2"), &["192.0.2.2:8080"]),
            (None, &["[::]:8080", "0.0.0.0:8080"]),
        ] {
            let want: Vec<SocketAddr> = want
                .iter()
                .map(|addr| addr.parse().expect("address"))
                .collect();
            let got = listen_candidates(bind, 8080).expect("an address");
            assert_eq!(got, want, "{bind:?}");
        }
    }
}
