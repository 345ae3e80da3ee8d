//! Looking for what some tests need from outside Rust. `build.rs` includes this file too
//! (`#[path]`), so the build and the tests look the same way.

use std::net::TcpListener;
use std::path::PathBuf;

/// The first program called `name` in a folder of `PATH` (`name.exe` on Windows, where
/// Windows 10 and later ship `curl.exe`).
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let file_name = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(&path)
        .map(|dir| dir.join(&file_name))
        .find(|candidate| candidate.is_file())
}

/// Chromium (Debian's `chromium`, Ubuntu's `chromium-browser`) and its `chromedriver`, or which
/// one is missing.
pub fn find_chromium() -> Result<(PathBuf, PathBuf), String> {
    let chromium = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|name| find_in_path(name))
        .ok_or("no Chromium found (apt-get install chromium)")?;
    let chromedriver = find_in_path("chromedriver")
        .ok_or("no chromedriver found (apt-get install chromium-driver)")?;
    Ok((chromium, chromedriver))
}

/// An IPv6 loopback listener on `[::1]`, port 0, if this machine has IPv6.
pub fn ipv6_loopback() -> std::io::Result<TcpListener> {
    TcpListener::bind("[::1]:0")
}

/// Whether this process can make network namespaces and a link between them: Linux, root, and
/// iproute2's `ip` and `tc` on PATH.
pub fn can_make_netns() -> bool {
    cfg!(target_os = "linux")
        && running_as_root()
        && find_in_path("ip").is_some()
        && find_in_path("tc").is_some()
}

/// Whether this kernel has `netem` (`sch_netem`), which gives a link delay and loss: tried for
/// real, on the loopback of a namespace made for the purpose and deleted at once. Some kernels
/// are built without it (`tc` says "Specified qdisc kind is unknown"); no package brings it.
pub fn has_netem() -> bool {
    use std::process::{Command, Stdio};
    if !can_make_netns() {
        return false;
    }
    let name = format!("http10-netem-probe-{}", std::process::id());
    let quiet = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !quiet("ip", &["netns", "add", &name]) {
        return false;
    }
    let netem = [
        "-n", &name, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
    ];
    let found = quiet("tc", &netem);
    quiet("ip", &["netns", "delete", &name]);
    found
}

/// Whether this process runs as root (user id 0), who may read any file and listen on any port.
/// Windows has no root: its tests that need one are Unix-only.
pub fn running_as_root() -> bool {
    if cfg!(windows) {
        return false;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    match status.lines().find_map(|line| line.strip_prefix("Uid:")) {
        Some(ids) => ids.split_whitespace().next() == Some("0"),
        // No /proc (macOS): ask `id`.
        None => std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|output| output.stdout.trim_ascii() == b"0"),
    }
}
