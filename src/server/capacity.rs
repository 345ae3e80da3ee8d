//! How much one server takes on: how many event loops for this machine's cores, and how many
//! connections for the open files this process may hold (raised first, as nginx raises it).

use super::DEFAULT_MAX_CONNECTIONS;

/// How many event loops serve on a machine with this many cores when `--threads` is not
/// given: one per core, less one core left for the clients — and always at least one.
///
/// In the lab the clients run on the same machine as the server: the browser, `curl`, `ab`,
/// `wrk`. A loop on every core makes them fight for the cores, and the kernel then switches
/// between them far more often: on two cores, one loop was preempted far less and served more
/// requests a second than two (`bench/README.md`, "How the server got there"). With the
/// clients on other machines the spare core costs one loop in many.
pub fn default_event_loops(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

/// How many connections the server holds by default, given how many files this process may
/// have open: [`DEFAULT_MAX_CONNECTIONS`], or fewer when the limit is low. Each connection is
/// one descriptor, and one more while a file is being sent; 32 are kept for the rest.
pub fn default_max_connections(open_file_limit: u64) -> usize {
    let room = open_file_limit.saturating_sub(32) / 2;
    usize::try_from(room)
        .unwrap_or(usize::MAX)
        .clamp(1, DEFAULT_MAX_CONNECTIONS)
}

/// Raises this process's soft limit on open files to the hard limit, as nginx does
/// (`worker_rlimit_nofile`), and returns the limit now in force. Many systems start programs
/// with a soft limit of 1024, far below what the hard limit allows; an event loop holding
/// thousands of sockets needs more.
#[cfg(unix)]
pub(super) fn raise_open_file_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(current) = limit.current else {
        return u64::MAX; // unlimited
    };
    let wanted = highest_open_file_limit(limit.maximum);
    if wanted <= current {
        return current;
    }
    let raised = Rlimit {
        current: Some(wanted),
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => wanted,
        Err(_) => current,
    }
}

/// The highest soft limit this OS accepts under the hard limit `maximum` (`None`: unlimited).
/// macOS reports an "unlimited" hard limit but refuses a soft limit above `OPEN_MAX` (10,240,
/// its `<sys/syslimits.h>`; `setrlimit(2)` says `EINVAL`), so asking for the hard limit there
/// failed and left the default of 256, and about 112 connections.
#[cfg(unix)]
fn highest_open_file_limit(maximum: Option<u64>) -> u64 {
    const MACOS_OPEN_MAX: u64 = 10_240;
    let maximum = maximum.unwrap_or(u64::MAX);
    if cfg!(target_vendor = "apple") {
        maximum.min(MACOS_OPEN_MAX)
    } else {
        maximum
    }
}

#[cfg(not(unix))]
pub(super) fn raise_open_file_limit() -> u64 {
    u64::MAX
}

#[cfg(test)]
mod tests {
    use super::default_event_loops;

    #[test]
    fn the_connection_bound_follows_the_open_file_limit() {
        use super::{default_max_connections, DEFAULT_MAX_CONNECTIONS};
        for (limit, want) in [
            (0, 1),
            (64, 16),
            (1024, 496),
            (20_000, DEFAULT_MAX_CONNECTIONS),
            (u64::MAX, DEFAULT_MAX_CONNECTIONS),
        ] {
            assert_eq!(default_max_connections(limit), want, "limit {limit}");
        }
    }

    #[test]
    fn one_core_is_left_for_the_clients_but_one_loop_always_runs() {
        let cases = [(0, 1), (1, 1), (2, 1), (3, 2), (4, 3), (16, 15)];
        for (cores, loops) in cases {
            assert_eq!(default_event_loops(cores), loops, "{cores} cores");
        }
    }
}
