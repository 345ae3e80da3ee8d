//! httpserve on a real network: the teacher's laptop and a student's, each in a network
//! namespace of its own, joined by a virtual Ethernet cable (a veth pair), with `netem` adding
//! the delay and loss of a busy classroom Wi-Fi where the kernel has it.
//!
//! ```text
//!   namespace "teacher"                            namespace "student"
//!   httpserve 0 (all interfaces)                   httpget, curl, raw sockets
//!   192.0.2.1/24, fd00:23::1/64  ── veth pair ──   192.0.2.101/24, fd00:23::101/64
//!                    netem: delay 20ms loss 1% on what the teacher sends
//! ```
//!
//! The addresses come from the documentation ranges (192.0.2.0/24, RFC 5737) and a unique local
//! IPv6 prefix (fd00::/8, RFC 4193), and exist only inside the namespaces each test makes
//! (named with this process's id) and deletes when it ends, even when it fails. Programs run
//! inside with `ip netns exec`; raw sockets from a thread moved into the student's namespace
//! (`setns(2)`). Each test prints its figures on stderr (`cargo test --test classroom_network
//! -- --nocapture` shows them).
//!
//! Making namespaces needs root and iproute2 (`ip`, `tc`): without them `build.rs` leaves
//! `can_make_netns` unset and these tests are listed as ignored; under CI they run, and fail
//! naming what is missing.
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use support::{read_one_response, read_to_close, require_program, Process, Reply, PATIENCE};

/// The teacher's addresses on the link.
const TEACHER_V4: &str = "192.0.2.1";
const TEACHER_V6: &str = "fd00:23::1";
/// The student's addresses on the link.
const STUDENT_V4: &str = "192.0.2.101";
const STUDENT_V6: &str = "fd00:23::101";
/// What `netem` adds to everything the teacher's end sends (`tc qdisc … netem …`).
const NETEM: [&str; 4] = ["delay", "20ms", "loss", "1%"];
/// The size of the big download.
const BIG_BYTES: usize = 20 * 1024 * 1024;
/// How long the big download may take: with 20 ms and 1 % loss, TCP manages a few MiB/s.
const DOWNLOAD_LIMIT: Duration = Duration::from_secs(120);
/// A person's pause between keys, give or take.
const TYPING_PAUSE: Duration = Duration::from_millis(80);

/// Namespaces are made one at a time: `ip netns add`, run in parallel for the first time on a
/// machine, can race setting up `/run/netns`.
static SETTING_UP: Mutex<()> = Mutex::new(());
/// Tells this process's links apart (one per test).
static LINKS: AtomicUsize = AtomicUsize::new(0);

/// Two namespaces joined by a veth pair; deleted when dropped, which deletes the pair too.
struct Link {
    teacher: String,
    student: String,
    /// The teacher's end of the pair (the student's end is in the student's namespace).
    teacher_end: String,
    /// Whether `netem` could be added (the kernel may lack `sch_netem`).
    netem: bool,
}

impl Link {
    fn make() -> Link {
        let _one_at_a_time = SETTING_UP
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = std::process::id();
        let n = LINKS.fetch_add(1, Ordering::SeqCst);
        // The guard exists before the first namespace does: a failure half-way still cleans up.
        let mut link = Link {
            teacher: format!("http10-teacher-{id}-{n}"),
            student: format!("http10-student-{id}-{n}"),
            // Interface names have at most 15 bytes.
            teacher_end: format!("h10t{n}x{id}"),
            netem: false,
        };
        let student_end = format!("h10s{n}x{id}");
        ip(&["netns", "add", &link.teacher]);
        ip(&["netns", "add", &link.student]);
        ip(&[
            "link",
            "add",
            &link.teacher_end,
            "netns",
            &link.teacher,
            "type",
            "veth",
            "peer",
            "name",
            &student_end,
            "netns",
            &link.student,
        ]);
        for (namespace, end, v4, v6) in [
            (&link.teacher, &link.teacher_end, TEACHER_V4, TEACHER_V6),
            (&link.student, &student_end, STUDENT_V4, STUDENT_V6),
        ] {
            ip(&[
                "-n",
                namespace,
                "addr",
                "add",
                &format!("{v4}/24"),
                "dev",
                end,
            ]);
            // nodad: usable at once, without the second of duplicate address detection.
            let v6 = format!("{v6}/64");
            ip(&["-n", namespace, "addr", "add", &v6, "dev", end, "nodad"]);
            ip(&["-n", namespace, "link", "set", end, "up"]);
            ip(&["-n", namespace, "link", "set", "lo", "up"]);
        }
        link.netem = add_netem(&link.teacher, &link.teacher_end);
        link
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for namespace in [&self.teacher, &self.student] {
            let _ = Command::new("ip")
                .args(["netns", "delete", namespace])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// Runs `ip ARGS`; fails the test, with ip's words, if it fails.
#[track_caller]
fn ip(args: &[&str]) {
    let mut command = Command::new(require_program("ip", "iproute2"));
    command.args(args);
    let exited = Process::start(command).finish_within(PATIENCE);
    assert!(
        exited.status.success(),
        "ip {} failed (making network namespaces needs root): {}",
        args.join(" "),
        exited.stderr.trim()
    );
}

/// `tc qdisc add dev END root netem delay 20ms loss 1%` in the teacher's namespace. A kernel
/// built without `sch_netem` refuses it ("Specified qdisc kind is unknown"): the tests then run
/// on a link without delay or loss, and say so, rather than pretend.
fn add_netem(namespace: &str, end: &str) -> bool {
    let mut command = Command::new(require_program("tc", "iproute2"));
    command.args(["-n", namespace, "qdisc", "add", "dev", end, "root", "netem"]);
    command.args(NETEM);
    let exited = Process::start(command).finish_within(PATIENCE);
    if !exited.status.success() {
        eprintln!(
            "classroom: NO NETEM — the kernel refused it ({}); this link has no added delay \
             or loss",
            exited.stderr.trim()
        );
    }
    exited.status.success()
}

/// Runs `work` on a thread moved into `namespace` (`setns(2)`): the sockets it makes belong to
/// that namespace's network, as if made on that laptop.
fn in_namespace<T: Send>(namespace: &str, work: impl FnOnce() -> T + Send) -> T {
    let handle = fs::File::open(Path::new("/run/netns").join(namespace))
        .unwrap_or_else(|error| panic!("open namespace {namespace}: {error}"));
    thread::scope(|scope| {
        scope
            .spawn(|| {
                rustix::thread::move_into_link_name_space(
                    handle.as_fd(),
                    Some(rustix::thread::LinkNameSpaceType::Network),
                )
                .expect("setns into the student's network namespace");
                work()
            })
            .join()
            .expect("the student's thread finished")
    })
}

/// A classroom: the link, and httpserve on the teacher's end serving a copy of the demo site
/// (`www/`) with a 20 MiB file beside it.
struct Classroom {
    /// Declared before `link`: the server is killed before its namespace is deleted.
    server: Process,
    port: u16,
    /// The lines after the first, one per address (read by [`Classroom::open`]).
    address_lines: Vec<String>,
    site: tempfile::TempDir,
    link: Link,
}

impl Classroom {
    fn open() -> Classroom {
        let link = Link::make();
        let site = tempfile::tempdir().expect("temp dir");
        copy_folder(&repository().join("www"), site.path());
        let big = site.path().join("big");
        fs::create_dir_all(&big).expect("mkdir big");
        fs::write(big.join("20MiB.bin"), big_contents()).expect("write the big file");

        // As the teacher types it, with port 0 instead of 8080: no --bind, all interfaces.
        let mut command = Command::new(require_program("ip", "iproute2"));
        command.args([
            "netns",
            "exec",
            &link.teacher,
            env!("CARGO_BIN_EXE_httpserve"),
        ]);
        command.args(["0", "--dir"]).arg(site.path());
        let server = Process::start(command);
        let banner = server.line();
        let port = support::port_from_banner(&banner)
            .unwrap_or_else(|| panic!("no port in the start-up line {banner:?}"));
        // The teacher's namespace has exactly two interfaces: the link and loopback.
        let address_lines = (0..4).map(|_| server.line()).collect();
        Classroom {
            server,
            port,
            address_lines,
            site,
            link,
        }
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    /// The teacher's LAN address and the port, for a student's socket.
    fn addr(&self) -> SocketAddr {
        SocketAddr::new(TEACHER_V4.parse().expect("address"), self.port)
    }

    /// Runs `program ARGS` on the student's laptop, at most `limit`; returns what it wrote.
    fn student_runs(&self, program: &Path, args: &[&str], limit: Duration) -> support::Exited {
        let mut command = Command::new(require_program("ip", "iproute2"));
        command
            .args(["netns", "exec", &self.link.student])
            .arg(program);
        command.args(args);
        Process::start(command).finish_within(limit)
    }

    /// A student's TCP connection to the teacher's LAN address, with timeouts.
    fn student_connects(&self) -> TcpStream {
        let addr = self.addr();
        in_namespace(&self.link.student, || {
            let stream = TcpStream::connect_timeout(&addr, PATIENCE).expect("connect");
            stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
            stream.set_write_timeout(Some(PATIENCE)).expect("timeout");
            stream
        })
    }

    /// The round-trip time a student sees: the median time of five TCP connects (a SYN out, a
    /// SYN-ACK back).
    fn round_trip(&self) -> Duration {
        let addr = self.addr();
        let mut times: Vec<Duration> = in_namespace(&self.link.student, || {
            (0..5)
                .map(|_| {
                    let started = Instant::now();
                    let stream = TcpStream::connect_timeout(&addr, PATIENCE).expect("connect");
                    let took = started.elapsed();
                    drop(stream);
                    took
                })
                .collect()
        });
        times.sort();
        times[2]
    }

    fn link_note(&self) -> &'static str {
        if self.link.netem {
            "netem delay 20ms loss 1%"
        } else {
            "NO netem (kernel lacks sch_netem): a bare veth link"
        }
    }
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the demo site, without `big/` (git-ignored; a teacher's may hold 100 MiB).
fn copy_folder(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("read the demo site") {
        let entry = entry.expect("a folder entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            if entry.file_name() == "big" {
                continue;
            }
            fs::create_dir(&target).expect("mkdir");
            copy_folder(&entry.path(), &target);
        } else if kind.is_file() {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// 20 MiB that no shifted, repeated or dropped stretch can pass for: a xorshift sequence.
fn big_contents() -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut bytes = Vec::with_capacity(BIG_BYTES);
    while bytes.len() < BIG_BYTES {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(BIG_BYTES);
    bytes
}

/// What a browser loads with a page: each `src="/…"`, and the `href="/…"` of each `<link>`
/// (stylesheet, icon). Links to other pages are not loaded with it.
fn assets_of(page: &str) -> Vec<String> {
    let mut assets = Vec::new();
    for tag in page.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let is_link = tag.starts_with("link ");
        for attribute in ["src=\"", "href=\""] {
            if attribute == "href=\"" && !is_link {
                continue;
            }
            if let Some((_, rest)) = tag.split_once(attribute) {
                let value = rest.split('"').next().unwrap_or_default();
                if value.starts_with('/') && !assets.iter().any(|seen| seen == value) {
                    assets.push(value.to_string());
                }
            }
        }
    }
    assets
}

fn httpget() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_httpget"))
}

// ---- the tests ----------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(can_make_netns),
    ignore = "needs root and iproute2 (ip, tc) to make network namespaces"
)]
fn the_start_up_lines_name_the_address_the_class_uses() {
    let class = Classroom::open();
    let port = class.port;
    let urls: Vec<&str> = class
        .address_lines
        .iter()
        .map(|line| line.rsplit(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        urls,
        [
            format!("http://{TEACHER_V4}:{port}/"),
            format!("http://[{TEACHER_V6}]:{port}/"),
            format!("http://127.0.0.1:{port}/"),
            format!("http://[::1]:{port}/"),
        ],
        "{:?}",
        class.address_lines
    );
    // The LAN ones work from the student's laptop, over IPv4 and IPv6 …
    for url in &urls[..2] {
        let run = class.student_runs(&httpget(), &["-s", &format!("{url}notes.txt")], PATIENCE);
        assert!(run.status.success(), "{url}: {}", run.stderr);
        let notes = fs::read(class.site.path().join("notes.txt")).expect("notes");
        assert_eq!(run.stdout, notes, "{url}");
    }
    // … and "from this computer only" is true: the student's 127.0.0.1 is the student's own.
    let run = class.student_runs(&httpget(), &["-s", "-S", urls[2]], PATIENCE);
    assert_eq!(run.status.code(), Some(7), "{}", run.stderr);
    // The access log names the student's laptop, as the teacher sees it on the projector.
    let deadline = Instant::now() + PATIENCE;
    while !class
        .server
        .stderr()
        .contains(&format!("{STUDENT_V4} - - ["))
    {
        assert!(
            Instant::now() < deadline,
            "no access-log line from {STUDENT_V4}: {}",
            class.server.stderr()
        );
        thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "classroom: start-up lines {:?} ({}); round trip {:.3} ms",
        class.address_lines,
        class.link_note(),
        class.round_trip().as_secs_f64() * 1e3
    );
}

#[test]
#[cfg_attr(
    not(all(can_make_netns, has_curl)),
    ignore = "needs root, iproute2 (ip, tc) and curl"
)]
fn a_page_and_its_assets_arrive_whole_over_the_link() {
    let class = Classroom::open();
    let round_trip = class.round_trip();
    let page = fs::read_to_string(class.site.path().join("index.html")).expect("index.html");
    let assets = assets_of(&page);
    for wanted in ["/style.css", "/app.js", "/images/logo.svg", "/favicon.ico"] {
        assert!(assets.iter().any(|asset| asset == wanted), "{assets:?}");
    }

    // One httpget run fetches the page and then each asset, as a browser without parallel
    // connections would: its stdout is the files, one after another.
    let mut paths = vec!["/".to_string()];
    paths.extend(assets.iter().cloned());
    let urls: Vec<String> = paths
        .iter()
        .map(|path| class.url(TEACHER_V4, path))
        .collect();
    let mut args = vec!["-s", "-S", "-f"];
    args.extend(urls.iter().map(String::as_str));
    let started = Instant::now();
    let run = class.student_runs(&httpget(), &args, PATIENCE * 3);
    let took = started.elapsed();
    assert!(run.status.success(), "{}", run.stderr);
    let mut expected = page.as_bytes().to_vec();
    for asset in &assets {
        let file = class.site.path().join(asset.trim_start_matches('/'));
        expected.extend(fs::read(&file).expect("an asset file"));
    }
    assert!(
        run.stdout == expected,
        "the page and its {} assets differ from the files ({} bytes, wanted {})",
        assets.len(),
        run.stdout.len(),
        expected.len()
    );

    // curl, over IPv6, gets the same page.
    let curl = require_program("curl", "curl");
    let url = class.url(&format!("[{TEACHER_V6}]"), "/");
    let run = class.student_runs(
        &curl,
        &["-g", "-s", "-S", "-f", "--http1.0", &url],
        PATIENCE,
    );
    assert!(run.status.success(), "curl {url}: {}", run.stderr);
    assert_eq!(run.stdout, page.as_bytes());

    eprintln!(
        "classroom: the page and its {} assets ({} bytes, one connection each) in {:.0} ms; \
         round trip {:.3} ms ({})",
        assets.len(),
        expected.len(),
        took.as_secs_f64() * 1e3,
        round_trip.as_secs_f64() * 1e3,
        class.link_note()
    );
}

#[test]
#[cfg_attr(
    not(can_make_netns),
    ignore = "needs root and iproute2 (ip, tc) to make network namespaces"
)]
fn a_20_mib_download_arrives_byte_exact_over_the_link() {
    let class = Classroom::open();
    let saved = class.site.path().join("saved.bin");
    let saved_text = saved.to_str().expect("UTF-8 temp path");
    let url = class.url(TEACHER_V4, "/big/20MiB.bin");
    let started = Instant::now();
    let run = class.student_runs(
        &httpget(),
        &["-s", "-S", "-o", saved_text, &url],
        DOWNLOAD_LIMIT,
    );
    let took = started.elapsed();
    assert!(run.status.success(), "{}", run.stderr);
    let got = fs::read(&saved).expect("the download was saved");
    assert_eq!(got.len(), BIG_BYTES, "length");
    assert!(
        got == big_contents(),
        "20 MiB arrived, but not byte for byte"
    );
    eprintln!(
        "classroom: 20 MiB in {:.2} s, {:.1} MiB/s ({})",
        took.as_secs_f64(),
        20.0 / took.as_secs_f64(),
        class.link_note()
    );
}

#[test]
#[cfg_attr(
    not(can_make_netns),
    ignore = "needs root and iproute2 (ip, tc) to make network namespaces"
)]
fn a_request_typed_at_a_persons_pace_is_answered_over_the_link() {
    let class = Classroom::open();
    let mut stream = class.student_connects();
    let keys = [
        "GE",
        "T /no",
        "tes.txt HT",
        "TP/1.0\r\n",
        "Host: 192.0.2.1\r\n",
        "User-Agent: a person\r\n",
        "\r\n",
    ];
    let started = Instant::now();
    for piece in keys {
        stream.write_all(piece.as_bytes()).expect("type");
        // The scenario itself: a person between keys, not a wait for something to happen.
        thread::sleep(TYPING_PAUSE);
    }
    let reply = Reply::parse(&read_to_close(&mut stream));
    assert_eq!(reply.status(), 200, "{}", reply.head);
    let notes = fs::read(class.site.path().join("notes.txt")).expect("notes");
    assert_eq!(reply.body, notes);
    eprintln!(
        "classroom: a request typed in {} pieces over {:.0} ms answered 200 ({})",
        keys.len(),
        started.elapsed().as_secs_f64() * 1e3,
        class.link_note()
    );
}

#[test]
#[cfg_attr(
    not(can_make_netns),
    ignore = "needs root and iproute2 (ip, tc) to make network namespaces"
)]
fn a_kept_alive_connection_serves_a_second_request_over_the_link() {
    let class = Classroom::open();
    let mut stream = class.student_connects();
    let mut replies = Vec::new();
    let started = Instant::now();
    for path in ["/notes.txt", "/style.css"] {
        let request = format!("GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        replies.push(read_one_response(&mut stream));
    }
    let took = started.elapsed();
    for (reply, file) in replies.iter().zip(["notes.txt", "style.css"]) {
        assert_eq!(reply.status(), 200, "{}", reply.head);
        assert_eq!(
            reply.header("Connection").as_deref(),
            Some("keep-alive"),
            "{}",
            reply.head
        );
        let contents = fs::read(class.site.path().join(file)).expect("file");
        assert_eq!(reply.body, contents, "{file}");
    }
    // Still open: the server waits for a third request (until --keep-alive-timeout).
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Err(error) => assert!(
            matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{error}"
        ),
        Ok(count) => panic!("the kept-alive connection gave {count} bytes or closed"),
    }
    eprintln!(
        "classroom: two requests on one kept-alive connection in {:.0} ms ({})",
        took.as_secs_f64() * 1e3,
        class.link_note()
    );
}

/// netem really gives the link its delay: a student's connect takes at least the 20 ms the
/// teacher's end holds each packet back (a lower bound netem guarantees, however fast the
/// machine). The other tests run over the same link, with its delay and loss when the kernel
/// has netem, on the bare link when it has not; this one says which.
#[test]
#[cfg_attr(
    not(can_make_netns),
    ignore = "needs root and iproute2 (ip, tc) to make network namespaces"
)]
#[cfg_attr(
    all(can_make_netns, not(has_netem)),
    ignore = "this kernel has no netem (sch_netem): the link cannot be given delay or loss"
)]
fn netem_gives_the_link_its_round_trip_time() {
    let class = Classroom::open();
    assert!(class.link.netem, "tc refused netem");
    let round_trip = class.round_trip();
    assert!(
        round_trip >= Duration::from_millis(20),
        "a connect took {round_trip:?} over a link that delays 20 ms"
    );
}
