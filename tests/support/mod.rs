//! What the integration tests share. Each test file says `mod support;` and uses what it needs.
//!
//! - [`process`]: the one way a test runs a program (piped, copied on threads, killed on drop).
//! - [`server`]: the real `httpserve` on port 0, raw sockets, [`Reply`].
//! - [`httpget`]: scripted servers playing a broken server, and `httpget` runs.
//! - [`site`]: the small site most server tests serve.
//! - [`browser`]: headless Chromium over WebDriver.
//! - [`terminal`]: `httpget` in a pseudo-terminal, keys typed, the screen read.
//! - [`probe`]: looking for curl, Chromium, IPv6, root (shared with `build.rs`).
//!
//! Every wait here is on a condition with a bound, never a bare sleep.
//!
//! ## Tests that need something from outside Rust
//!
//! curl, Chromium with chromedriver, `mkfifo`, an IPv6 loopback, a user who is not root: the
//! build script (`build.rs`) looks for each and sets a cfg (`has_curl`, `has_chromium`,
//! `has_mkfifo`, `has_ipv6`, `running_as_root`). A test that needs one carries
//! `#[cfg_attr(not(has_curl), ignore = "curl not found on PATH")]`, so `cargo test` lists it as
//! `ignored, curl not found on PATH` instead of passing it unseen. With `CI` set the build
//! script never says a tool is missing: the test runs, and [`require_program`] fails it.
//!
//! ## Tests on every OS
//!
//! The suite compiles for Linux, macOS, FreeBSD and Windows (`.ci/run` checks each with clippy,
//! and runs the Windows build under wine). A test of something only one OS has (a FIFO, Unix
//! permissions, a Unix-domain socket) is compiled for that OS only (`#[cfg(unix)]`). A test of
//! what matters everywhere but cannot run under wine or on Windows (Ctrl+C sent as SIGINT with
//! `kill`, a pseudo-terminal, creating a symlink) compiles everywhere and carries
//! `#[cfg_attr(windows, ignore = "…why…")]`, so that it shows as ignored with its reason, never
//! as passed. Built for another OS than the machine's (`other_os`, see `build.rs`), the tests
//! cannot start this machine's programs: the tests needing curl or Chromium are ignored, saying
//! so.

// Each test file uses a different part of this module, and of its re-exports.
#![allow(dead_code, unused_imports)]

pub mod browser;
pub mod httpget;
pub mod probe;
pub mod process;
pub mod server;
pub mod site;
pub mod terminal;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub use httpget::{
    httpget, httpget_in, httpget_with_input, httpget_with_star, ok_reply, send, wait_bounded, Run,
    Scripted, Step, RUN_LIMIT,
};
pub use probe::{find_chromium, find_in_path, running_as_root};
pub use process::{Exited, Process};
pub use server::{
    port_from_banner, read_one_response, read_to_close, send_and_half_close, Reply, Server,
};
pub use site::{site, Fixture, BIG_BYTES, NOTES};

/// How long a test waits for something that should happen at once (a start-up line, a reply,
/// a process's exit).
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A port with nothing listening: bound by the OS, then released. (Another process could take
/// it in between; the test using it would then fail, loudly.)
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// The path of `name` on `PATH`. The test asking for it is ignored when the build did not find
/// the program, so reaching here without it means it vanished since the build, or `CI` is set
/// (where a missing tool is a failure, not a reason to skip): either way the test fails, saying
/// so.
#[track_caller]
pub fn require_program(name: &str, package: &str) -> PathBuf {
    match find_in_path(name) {
        Some(path) => path,
        None => panic!(
            "{name} not found on PATH (apt-get install {package}); \
             tests that need it fail when CI is set, and are ignored otherwise"
        ),
    }
}

/// Runs `curl ARGS` (at most [`RUN_LIMIT`]) and returns its stdout; fails the test if curl is
/// missing or fails.
#[track_caller]
pub fn curl(args: &[&str]) -> Vec<u8> {
    let mut command = Command::new(require_program("curl", "curl"));
    command.args(args);
    let exited = Process::start(command).finish_within(RUN_LIMIT);
    assert!(
        exited.status.success(),
        "curl {args:?} failed ({}): {}",
        exited.status,
        exited.stderr
    );
    exited.stdout
}

/// An IPv6 loopback listener on `[::1]`, port 0. A test asking for it is ignored when the build
/// found no IPv6 loopback, except under CI, so here its absence fails the test.
#[track_caller]
pub fn ipv6_listener() -> TcpListener {
    match probe::ipv6_loopback() {
        Ok(listener) => listener,
        Err(error) => panic!(
            "no IPv6 loopback ([::1]: {error}); \
             tests that need it fail when CI is set, and are ignored otherwise"
        ),
    }
}

/// Fails the test if this machine has no IPv6 loopback (see [`ipv6_listener`]).
#[track_caller]
pub fn require_ipv6() {
    ipv6_listener();
}

/// Fails the test if it runs as root although the build ran as another user (so the build did
/// not mark it ignored): as root it would prove nothing.
#[track_caller]
pub fn require_not_root() {
    assert!(
        !running_as_root(),
        "running as root, but built as another user: rebuild as root to have this test ignored"
    );
}

/// Makes `link` a symbolic link to `target` (relative to the link's folder, or absolute).
/// Windows has two kinds, for a file and for a folder: the target's kind decides. Creating one
/// there needs Developer Mode or an administrator, and wine 8 only pretends to (the call succeeds
/// and nothing is made), so the tests that use links are ignored on Windows.
pub fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) -> std::io::Result<()> {
    let (target, link) = (target.as_ref(), link.as_ref());
    #[cfg(unix)]
    return std::os::unix::fs::symlink(target, link);
    #[cfg(windows)]
    {
        let seen_from = link.parent().unwrap_or(Path::new(".")).join(target);
        if seen_from.is_dir() {
            std::os::windows::fs::symlink_dir(target, link)
        } else {
            std::os::windows::fs::symlink_file(target, link)
        }
    }
}

/// A file that takes no writes, for a program's stdout or stderr, and the words its error
/// message holds: Linux's `/dev/full` (every write fails, "No space left on device"); on
/// Windows a file opened only for reading (a write is "Access denied"). Elsewhere the tests
/// using this are ignored: `/dev/full` is Linux's, and on Unix a read-only file will not do
/// (std takes a write refused with `EBADF` for a closed stdout, and goes on).
pub fn unwritable_file() -> (std::fs::File, &'static str) {
    #[cfg(target_os = "linux")]
    return (
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("open /dev/full"),
        "No space left on device",
    );
    #[cfg(windows)]
    {
        let file = tempfile::NamedTempFile::new().expect("a temporary file");
        let read_only = std::fs::File::open(file.path()).expect("open for reading");
        (read_only, "denied")
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    panic!("no file refuses every write on this OS");
}
