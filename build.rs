//! Looks, once per build, for what some integration tests need from outside Rust, and tells the
//! tests through cfgs, so that `cargo test` itself shows a test it cannot run as
//! `ignored, curl not found on PATH` — never as a pass, and never hidden in captured output.
//!
//! | cfg               | set when                                   | tests it gates          |
//! |-------------------|--------------------------------------------|-------------------------|
//! | `has_curl`        | `curl` is on PATH                          | comparisons with curl   |
//! | `has_chromium`    | `chromium` (or `chromium-browser`) and `chromedriver` are on PATH | the real-browser test |
//! | `has_mkfifo`      | `mkfifo` is on PATH                        | the FIFO in the served folder |
//! | `has_ipv6`        | a socket can bind `[::1]:0`                | IPv6 addresses          |
//! | `running_as_root` | the build runs as user id 0                | what root cannot check (unreadable files, privileged ports) |
//! | `has_netem`       | the kernel has netem (`sch_netem`): tried in a namespace made for it | the test of a link with delay and loss |
//! | `can_make_netns`  | Linux, as root, with `ip` and `tc` (iproute2) on PATH | the classroom-network test (`tests/classroom_network.rs`) |
//! | `other_os`        | the tests are built for another OS than this machine's (the Windows build, run under wine) | every test that needs a program of this machine |
//!
//! Built for another OS (`cargo test --target x86_64-pc-windows-gnu` on Linux, run under wine),
//! a test cannot start this machine's curl or Chromium, even though the probe finds them: so
//! `other_os` is set instead of `has_curl`, `has_chromium` and `has_mkfifo`, under CI too, and
//! those tests are listed as ignored, with that reason (`#[cfg_attr(other_os, ignore = …)]`
//! beside `#[cfg_attr(all(not(has_curl), not(other_os)), ignore = …)]`). Whether this machine's
//! user is root says nothing about the Windows program either. The IPv6 loopback is the same
//! one: wine's sockets are this machine's.
//!
//! Under CI (the `CI` variable set, not empty and not `false`/`0`), a missing tool is a failure:
//! the `has_*` cfgs are all set, so those tests run and fail, each naming what is missing. This
//! script itself never fails the build: a missing test tool must not stop `cargo build`, nor hide
//! the results of all the other tests. Running as root is a circumstance, not a missing tool,
//! and stays an `ignored` test under CI too.
//!
//! The library and binaries ignore these cfgs. The probe runs again when `PATH` or `CI`
//! changes, or when a folder on `PATH` does (a tool installed after the first build is seen).

use std::env;

#[path = "tests/support/probe.rs"]
mod probe;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=tests/support/probe.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CI");
    // This script runs on the machine doing the build; the tests run on the target's OS.
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let other_os = target_os != env::consts::OS;
    println!("cargo::rustc-check-cfg=cfg(other_os)");
    if other_os {
        println!("cargo::rustc-cfg=other_os");
    }
    let path = env::var_os("PATH").unwrap_or_default();
    for dir in env::split_paths(&path) {
        if dir.is_dir() {
            println!("cargo::rerun-if-changed={}", dir.display());
        }
    }

    let ci = env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"));
    let on_path = |name: &str| probe::find_in_path(name).is_some();
    // (cfg, what it is, found, whether a test built for another OS could use it)
    let tools = [
        ("has_curl", "curl", on_path("curl"), false),
        (
            "has_chromium",
            "Chromium or chromedriver",
            probe::find_chromium().is_ok(),
            false,
        ),
        ("has_mkfifo", "mkfifo", on_path("mkfifo"), false),
        (
            "has_ipv6",
            "an IPv6 loopback ([::1])",
            probe::ipv6_loopback().is_ok(),
            true,
        ),
        (
            "can_make_netns",
            "root with iproute2 (ip, tc)",
            probe::can_make_netns(),
            false,
        ),
    ];
    for (cfg, what, found, usable_from_other_os) in tools {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if other_os && !usable_from_other_os {
            continue;
        }
        if found || ci {
            println!("cargo::rustc-cfg={cfg}");
        }
        if !found && ci {
            println!(
                "cargo::warning=CI is set and {what} is missing: the tests that need it will fail"
            );
        }
    }

    // A kernel without netem is a circumstance, like running as root: an ignored test, under
    // CI too (no package can add it).
    println!("cargo::rustc-check-cfg=cfg(has_netem)");
    if !other_os && probe::has_netem() {
        println!("cargo::rustc-cfg=has_netem");
    }

    println!("cargo::rustc-check-cfg=cfg(running_as_root)");
    if !other_os && probe::running_as_root() {
        println!("cargo::rustc-cfg=running_as_root");
    }
}
