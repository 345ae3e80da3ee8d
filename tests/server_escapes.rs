//! Requests that try to reach outside the served folder, on every OS: Windows' own ways to name
//! another drive, a share, a pipe or a device, and symlinks swapped in mid-request.
//!
//! Every attack gets 400, 403 or 404 with one access-log line, and no answer depends on what
//! exists outside the folder. The races count leaks over a bounded time and print the counts
//! (`cargo test --test server_escapes -- --nocapture` shows them).

mod support;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use support::{Fixture, Server};

/// How long each race runs: long enough for thousands of requests, short enough for CI.
const RACE_TIME: Duration = Duration::from_millis(300);

/// The served folder, with one file and a folder, and beside it `outside/`: a secret file and
/// one whose name only the outside folder has.
fn site() -> Fixture {
    let site = Fixture::new();
    site.write("notes.txt", "notes\n")
        .mkdir("sub")
        .write_outside("outside/secret.txt", "OUTSIDE SECRET\n")
        .write_outside("outside/outside-only.txt", "OUTSIDE\n");
    site
}

/// The number of access-log lines (they hold the request line in quotes).
fn access_log_lines(server: &Server) -> usize {
    server
        .stderr()
        .iter()
        .filter(|line| line.contains("\" 200 ") || line.contains("\" 4"))
        .count()
}

/// Waits (bounded) until the server has logged `count` requests.
fn wait_for_log_lines(server: &Server, count: usize) {
    let deadline = Instant::now() + support::PATIENCE;
    while access_log_lines(server) < count {
        assert!(
            Instant::now() < deadline,
            "{} access-log lines, wanted {count}:\n{}",
            access_log_lines(server),
            server.stderr().join("\n")
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Windows reads `\` and `:` in a name as a path of its own: another drive (`C:\…`), a share
/// (`\\host\share`, which would send the user's credentials to that host), a pipe
/// (`\\.\pipe\…`), a file's stream (`::$DATA`). There they are refused with 400 before anything
/// is opened, so a file that exists outside and one that does not get the same answer. On
/// other systems `\` and `:` are ordinary characters: no such file, 404.
#[test]
fn drive_letters_shares_pipes_and_streams_never_reach_the_file_system() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    let want = if cfg!(windows) { 400 } else { 404 };
    let targets = [
        "/C:%5cwindows%5cwin.ini",
        "/C:%5cwindows%5cnope.ini",
        "/C:/windows/win.ini",
        "/c:",
        "/%5c%5chost%5cshare%5cx",
        "/%5c%5c.%5cpipe%5cname",
        "/%5c%5c.%5cNUL",
        "/notes.txt::$DATA",
        "/sub%5c..%5c..%5coutside%5csecret.txt",
        "/..%5coutside%5csecret.txt",
    ];
    for target in targets {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), want, "{target}");
        assert!(!reply.text().contains("OUTSIDE"), "{target}");
    }
    wait_for_log_lines(&server, targets.len());
}

/// Device names are devices in every folder on Windows, whatever their extension, and a name
/// ending in a dot or a space is trimmed there to another name (`notes.txt.` would open
/// `notes.txt`). None of them is opened: 404, as on any system where no such file exists.
#[test]
fn device_names_and_trailing_dots_or_spaces_are_not_found() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    let targets = [
        "/CON",
        "/con.txt",
        "/NUL",
        "/sub/nul.tar.gz",
        "/AUX",
        "/PRN",
        "/COM1",
        "/lpt9.log",
        "/CONOUT$",
        "/notes.txt.",
        "/notes.txt%20",
        "/sub./",
    ];
    for target in targets {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 404, "{target}");
    }
    wait_for_log_lines(&server, targets.len());
    // The honest names still work.
    assert_eq!(server.get("GET /notes.txt HTTP/1.0\r\n\r\n").status(), 200);
}

/// Folders work on every OS: the root's listing, a folder's 301 to its slashed URL, a
/// folder's `index.html`. (Windows' `File::open` cannot open a folder: they all answered 403.)
#[test]
fn folders_list_redirect_and_serve_their_index_on_every_os() {
    let site = site();
    fs::create_dir(site.path().join("withindex")).expect("mkdir");
    fs::write(site.path().join("withindex/index.html"), "inner index\n").expect("write");
    let server = Server::start(site.path(), &[]);

    let listing = server.get("GET / HTTP/1.0\r\n\r\n");
    assert_eq!(listing.status(), 200);
    assert!(
        listing.text().contains("href=\"notes.txt\""),
        "{}",
        listing.text()
    );
    assert!(
        listing.text().contains("href=\"sub/\""),
        "{}",
        listing.text()
    );

    let moved = server.get("GET /sub HTTP/1.0\r\nHost: example\r\n\r\n");
    assert_eq!(moved.status(), 301);
    assert_eq!(
        moved.header("Location").as_deref(),
        Some("http://example/sub/")
    );

    let index = server.get("GET /withindex/ HTTP/1.0\r\n\r\n");
    assert_eq!(index.status(), 200);
    assert_eq!(index.text(), "inner index\n");
}

/// The start-up line names the folder as a person writes it: no `\\?\` on Windows.
#[test]
fn the_start_up_line_names_the_folder_as_a_person_writes_it() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    assert!(!server.banner.contains(r"\\?\"), "{}", server.banner);
    let name = site.path().file_name().and_then(|name| name.to_str());
    assert!(
        server.banner.contains(name.expect("a name")),
        "{}",
        server.banner
    );
}

/// Makes `link` a symlink to the folder `target`.
#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// Makes `link` a symlink to the file `target`.
#[cfg(unix)]
fn symlink_file(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_file(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

/// The least a race must have run for its verdict to mean something.
const ENOUGH: u64 = 100;

/// Runs `swap` on a thread while `request` is sent over and over, for [`RACE_TIME`] and until
/// both have run [`ENOUGH`] times (bounded by `PATIENCE`: a machine too slow for that fails the
/// test, it never hangs it). Returns (swaps, answers with status 200, answers that showed the
/// outside).
fn race(
    server: &Server,
    request: &str,
    leaked: impl Fn(&str) -> bool,
    mut swap: impl FnMut() + Send + 'static,
) -> (u64, u64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let swapper = {
        let (stop, swaps) = (Arc::clone(&stop), Arc::clone(&swaps));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                swap();
                swaps.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let started = Instant::now();
    let (mut answers, mut served, mut leaks) = (0, 0, 0);
    let enough = |answers: u64| answers >= ENOUGH && swaps.load(Ordering::Relaxed) >= ENOUGH;
    while (started.elapsed() < RACE_TIME || !enough(answers))
        && started.elapsed() < support::PATIENCE
    {
        let reply = server.get(request);
        answers += 1;
        if reply.status() == 200 {
            served += 1;
            if leaked(&reply.text()) {
                leaks += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().expect("the swapper ends");
    let swaps = swaps.load(Ordering::Relaxed);
    assert!(swaps >= ENOUGH, "only {swaps} swaps: the race was not run");
    assert!(
        answers >= ENOUGH,
        "only {answers} answers: the race was not run"
    );
    (swaps, served, leaks)
}

/// A file replaced, over and over, by a symlink to a file outside, and back (each `rename` is
/// atomic, on every OS): no answer may ever carry the outside file. The check is made on what
/// was opened, never by looking the path up again, so no moment of the swap can slip through.
#[test]
#[cfg_attr(windows, ignore = "wine cannot make symlinks (CreateSymbolicLinkW)")]
fn a_file_swapped_for_a_symlink_mid_request_never_serves_the_outside() {
    let site = site();
    let (file, link, target) = (
        site.path().join("swap.tmp-file"),
        site.path().join("swap.tmp-link"),
        site.path().join("swap.txt"),
    );
    fs::write(&target, "inside\n").expect("write");
    let secret = site.parent().join("outside/secret.txt");
    let server = Server::start(site.path(), &["--quiet", "--no-cache"]);
    let mut outward = true;
    let swap = move || {
        if outward {
            let _ = symlink_file(&secret, &link);
            let _ = fs::rename(&link, &target);
        } else {
            let _ = fs::write(&file, "inside\n");
            let _ = fs::rename(&file, &target);
        }
        outward = !outward;
    };
    let request = "GET /swap.txt HTTP/1.0\r\n\r\n";
    let (swaps, served, leaks) = race(&server, request, |body| body.contains("OUTSIDE"), swap);
    eprintln!("file swap race: {swaps} swaps, {served} files served, {leaks} leaked");
    assert_eq!(
        leaks, 0,
        "{leaks} of {served} answers carried the outside file"
    );
}

/// A folder on the path replaced by a symlink to a folder outside, and back: no file may be
/// served from it, and no listing may show its names. (Renaming a folder over a symlink is not
/// atomic anywhere but Linux, so each swap is two renames: the server meets gaps, 404, as well.)
#[test]
#[cfg_attr(windows, ignore = "wine cannot make symlinks (CreateSymbolicLinkW)")]
fn a_folder_swapped_for_a_symlink_mid_request_never_serves_or_lists_the_outside() {
    for (request, what) in [
        ("GET /d/secret.txt HTTP/1.0\r\n\r\n", "files"),
        ("GET /d/ HTTP/1.0\r\n\r\n", "listings"),
    ] {
        let site = site();
        let (folder, parked, link) = (
            site.path().join("d"),
            site.path().join("d.parked"),
            site.path().join("d.link"),
        );
        fs::create_dir(&folder).expect("mkdir");
        fs::write(folder.join("secret.txt"), "inside\n").expect("write");
        // A relative link, the kind cap-std follows while it stays inside: this one leaves.
        symlink_dir(Path::new("../outside"), &link).expect("symlink");
        let server = Server::start(site.path(), &["--quiet", "--no-cache"]);
        let mut outward = true;
        let swap = move || {
            if outward {
                let _ = fs::rename(&folder, &parked);
                let _ = fs::rename(&link, &folder);
            } else {
                let _ = fs::rename(&folder, &link);
                let _ = fs::rename(&parked, &folder);
            }
            outward = !outward;
        };
        let leaked = |body: &str| body.contains("OUTSIDE") || body.contains("outside-only");
        let (swaps, served, leaks) = match what {
            "files" => race(&server, request, |body| body.contains("OUTSIDE"), swap),
            _ => race(&server, request, leaked, swap),
        };
        eprintln!("folder swap race: {swaps} swaps, {served} {what} served, {leaks} leaked");
        assert!(served > 0, "no answer was a 200: nothing to judge");
        assert_eq!(leaks, 0, "{leaks} of {served} {what} showed the outside");
    }
}
