//! httpserve's path rules: decoding, traversal attempts, symlinks, redirects, listings,
//! hostile file names — over real sockets.

mod support;

use std::fs;

use support::{curl, symlink, Fixture, Server, PATIENCE};

/// File names that break careless servers (after miniserve's fixtures), with their contents.
/// Windows forbids `<`, `>`, `"` and `?` in a name: there the names with them are left out.
const HOSTILE_NAMES: &[&str] = &[
    "with space.txt",
    "😀.data",
    "#[]{}()@!$&'+,;= %20.test",
    #[cfg(not(windows))]
    "<script>alert(1)<b>.txt",
    #[cfg(not(windows))]
    "quote\"double.txt",
    "quote'single.txt",
    "straße.txt",
    "ciao è.txt",
    #[cfg(not(windows))]
    "a?b.txt",
    "50%.txt",
    "hash#tag.txt",
    "semi;colon.txt",
];

/// The served folder, with a secret beside it (`secret.txt`, outside the served folder).
fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture
        .write_outside("secret.txt", "TOP SECRET\n")
        .write("index.html", "<h1>home</h1>\n")
        .write("notes.txt", "notes\n")
        .write("logo.png", b"\x89PNG\r\n\x1a\n")
        .write("data.json", "{}\n")
        .write("blob.unknownext", [0u8, 1, 2])
        .write("sub/b.txt", "b\n")
        .mkdir("sub/Inner")
        .write("sub/A.txt", "A\n")
        .write("withindex/index.html", "inner index\n")
        .mkdir("evil.com")
        .mkdir("hostile");
    for name in HOSTILE_NAMES {
        fixture.write(&format!("hostile/{name}"), format!("content of {name}"));
    }
    fixture
}

/// The fixture with symlinks leading out of the root and within it.
fn fixture_with_links() -> Fixture {
    let fixture = fixture();
    let (parent, root) = (fixture.parent(), fixture.root());
    symlink(parent.join("secret.txt"), root.join("link-out.txt")).expect("symlink");
    symlink(parent, root.join("dir-link-out")).expect("symlink");
    symlink(root.join("notes.txt"), root.join("link-in.txt")).expect("symlink");
    // Relative links: inside, a folder inside, and one climbing out.
    symlink("notes.txt", root.join("relative-in.txt")).expect("symlink");
    symlink("sub", root.join("sub-link")).expect("symlink");
    symlink(
        "../../secret.txt",
        root.join("withindex").join("climbs-out.txt"),
    )
    .expect("symlink");
    fixture
}

/// The answer to a path segment holding `\`: on Windows a separator, which could climb out of
/// the root or name a drive, so the request is refused (400); elsewhere just a character of a
/// name that no file here has (404).
const BACKSLASH: u16 = if cfg!(windows) { 400 } else { 404 };

fn start(fixture: &Fixture) -> Server {
    Server::start(&fixture.root(), &["--quiet"])
}

fn encode(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[test]
fn traversal_attempts_never_leave_the_served_folder() {
    let fixture = fixture();
    let server = start(&fixture);
    for (target, status) in [
        ("/../secret.txt", 400),
        ("/..", 400),
        ("/../", 400),
        ("/..%2fsecret.txt", 400),
        ("/..%2Fsecret.txt", 400),
        ("/%2e%2e/secret.txt", 400),
        ("/%2E%2E%2Fsecret.txt", 400),
        ("/sub/../../secret.txt", 400),
        ("/sub/%2e%2e/%2e%2e/secret.txt", 400),
        ("/%252e%252e/secret.txt", 404),
        ("//secret.txt", 404),
        ("//etc/passwd", 404),
        ("/..\\secret.txt", BACKSLASH),
        ("/..%5csecret.txt", BACKSLASH),
        ("/sub/..\\..\\secret.txt", BACKSLASH),
        ("http://localhost/../secret.txt", 400),
        ("http://localhost/%2e%2e/secret.txt", 400),
    ] {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), status, "{target}");
        assert!(
            !reply.text().contains("TOP SECRET"),
            "{target} leaked the secret"
        );
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "makes symlinks: Windows needs Developer Mode for that, and wine 8 makes none"
)]
fn symlinks_leading_out_of_the_served_folder_are_forbidden() {
    let fixture = fixture_with_links();
    let server = start(&fixture);
    for target in [
        "/link-out.txt",
        "/dir-link-out/secret.txt",
        "/dir-link-out/",
        "/withindex/climbs-out.txt",
    ] {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 403, "{target}");
        assert!(
            !reply.text().contains("TOP SECRET"),
            "{target} leaked the secret"
        );
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "makes symlinks: Windows needs Developer Mode for that, and wine 8 makes none"
)]
fn symlinks_within_the_served_folder_are_followed() {
    let fixture = fixture_with_links();
    let server = start(&fixture);
    for (target, body) in [
        ("/link-in.txt", "notes\n"),
        ("/relative-in.txt", "notes\n"),
        ("/sub-link/b.txt", "b\n"),
    ] {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 200, "{target}");
        assert_eq!(reply.text(), body, "{target}");
    }
}

#[test]
fn sub_paths_and_absolute_form_targets_resolve_inside_the_root() {
    let fixture = fixture();
    let server = start(&fixture);
    for (target, status, body) in [
        ("/sub/../notes.txt", 200, "notes\n"),
        ("/./notes.txt", 200, "notes\n"),
        ("//notes.txt", 200, "notes\n"),
        ("http://localhost/notes.txt", 200, "notes\n"),
        ("http://localhost:8080/notes.txt?x=1", 200, "notes\n"),
        ("/notes.txt?query=ignored#fragment", 200, "notes\n"),
        ("/withindex/", 200, "inner index\n"),
    ] {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), status, "{target}");
        assert_eq!(reply.text(), body, "{target}");
    }
}

#[test]
fn bad_percent_encoding_gets_400() {
    let fixture = fixture();
    let server = start(&fixture);
    for target in [
        "/notes%00.txt",
        "/%zz",
        "/notes%2",
        "/%",
        "/%ff%fe",
        "/%C3%28",
    ] {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 400, "{target}");
    }
}

#[test]
fn a_file_asked_for_as_a_folder_is_404() {
    let fixture = fixture();
    let server = start(&fixture);
    for target in [
        "/notes.txt/",
        "/notes.txt/extra",
        "/notes.txt/../notes.txt/x",
        "/missing",
        "/sub/missing.txt",
    ] {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 404, "{target}");
    }
}

#[test]
fn a_folder_without_its_slash_redirects_keeping_the_query() {
    let fixture = fixture();
    let server = start(&fixture);
    // No Host header: the Location names the address the connection arrived on.
    let here = format!("http://{}", server.addr());
    for (target, path) in [
        ("/sub", "/sub/"),
        ("/sub?a=1&b=%20", "/sub/?a=1&b=%20"),
        ("/sub/Inner", "/sub/Inner/"),
        ("//evil.com", "/evil.com/"),
        ("/%2Fevil.com", "/evil.com/"),
        ("/.//evil.com", "/evil.com/"),
        ("http://other-host//evil.com", "/evil.com/"),
    ] {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 301, "{target}");
        assert_eq!(
            reply.header("Location"),
            Some(format!("{here}{path}")),
            "{target}"
        );
        assert_eq!(
            reply.header("Content-Length"),
            Some(reply.body.len().to_string())
        );
    }
}

/// RFC 1945 §10.11: `Location` is an absolute URI. It names the host the client asked for,
/// unless that `Host` could lead anywhere else.
#[test]
fn a_redirect_is_absolute_and_never_open() {
    let fixture = fixture();
    let server = start(&fixture);
    let here = format!("http://{}", server.addr());
    for (host, want) in [
        ("lab-pc:8080", "http://lab-pc:8080".to_string()),
        ("[::1]:8080", "http://[::1]:8080".to_string()),
        ("evil.example/", here.clone()),
        ("a@evil.example", here.clone()),
        ("evil.example\\x", here.clone()),
        ("evil example", here.clone()),
        ("evil.example:80:80", here.clone()),
        ("", here.clone()),
    ] {
        let reply = server.get(&format!("GET /sub?x=1 HTTP/1.0\r\nHost: {host}\r\n\r\n"));
        assert_eq!(reply.status(), 301, "{host:?}");
        assert_eq!(
            reply.header("Location"),
            Some(format!("{want}/sub/?x=1")),
            "Host: {host:?}"
        );
    }
}

#[test]
fn content_types_come_from_the_extension() {
    let fixture = fixture();
    let server = start(&fixture);
    for (path, content_type) in [
        ("/index.html", "text/html; charset=utf-8"),
        ("/notes.txt", "text/plain; charset=utf-8"),
        ("/data.json", "application/json; charset=utf-8"),
        ("/logo.png", "image/png"),
        ("/blob.unknownext", "application/octet-stream"),
        ("/sub/", "text/html; charset=utf-8"),
    ] {
        let reply = server.get(&format!("GET {path} HTTP/1.0\r\n\r\n"));
        // An error page is HTML too: the type is only the file's (or listing's) on a 200.
        assert_eq!(reply.status(), 200, "{path}");
        assert_eq!(
            reply.header("Content-Type").as_deref(),
            Some(content_type),
            "{path}"
        );
    }
}

#[test]
fn hostile_file_names_open_by_their_encoded_urls() {
    let fixture = fixture();
    let server = start(&fixture);
    for name in HOSTILE_NAMES {
        let reply = server.get(&format!("GET /hostile/{} HTTP/1.0\r\n\r\n", encode(name)));
        assert_eq!(reply.status(), 200, "{name}");
        assert_eq!(reply.text(), format!("content of {name}"), "{name}");
    }
}

#[test]
fn listings_escape_names_and_their_links_open() {
    let fixture = fixture();
    let server = start(&fixture);
    let page = server.get("GET /hostile/ HTTP/1.0\r\n\r\n").text();
    // Windows allows no `<` or `>` in a name, but `&` and `'`.
    #[cfg(not(windows))]
    {
        assert!(
            !page.contains("<script>alert"),
            "a file name became markup:\n{page}"
        );
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;b&gt;.txt"),
            "{page}"
        );
    }
    assert!(page.contains(">quote&#39;single.txt<"), "{page}");
    let hrefs = hrefs(&page);
    assert_eq!(hrefs[0], "../", "'..' comes first");
    assert_eq!(hrefs.len(), HOSTILE_NAMES.len() + 1, "{hrefs:?}");
    for href in &hrefs[1..] {
        let reply = server.get(&format!("GET /hostile/{href} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 200, "link {href}");
        assert!(reply.text().starts_with("content of "), "link {href}");
    }
}

/// A file name that is not UTF-8 cannot be asked for (the path guard answers 400), so the
/// listing shows it without a link rather than with one that leads to a 404.
#[test]
#[cfg_attr(
    target_vendor = "apple",
    ignore = "APFS refuses a file name that is not UTF-8"
)]
#[cfg_attr(
    windows,
    ignore = "wine 8 cannot make a file whose name is not UTF-16 (an unpaired surrogate)"
)]
fn a_name_that_is_not_utf_8_is_listed_without_a_dead_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join(name_not_unicode()), "odd").expect("a file with a non-UTF-8 name");
    fs::write(dir.path().join("good.txt"), "good").expect("a file");
    let server = Server::start(dir.path(), &["--quiet"]);
    let page = server.get("GET / HTTP/1.0\r\n\r\n").text();
    assert_eq!(hrefs(&page), ["good.txt"], "{page}");
    assert!(
        page.contains("bad\u{fffd}.txt"),
        "the name is still shown:\n{page}"
    );
    assert!(page.contains("not UTF-8"), "{page}");
}

/// `bad\xff.txt`: a byte that is not UTF-8 (Unix), or an unpaired surrogate (Windows, whose
/// names are UTF-16): either way a name that is not Unicode text.
fn name_not_unicode() -> std::ffi::OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(b"bad\xff.txt").to_owned()
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStringExt;
        let mut name: Vec<u16> = "bad_.txt".encode_utf16().collect();
        name[3] = 0xD800;
        std::ffi::OsString::from_wide(&name)
    }
}

/// `rm -rf www; mkdir www; …`: the server goes on with the new folder at the same path, as
/// python's and nginx's do (it kept serving the removed one: empty listing, 404s).
#[test]
fn a_served_folder_removed_and_made_again_is_served_as_it_is_now() {
    let parent = tempfile::tempdir().expect("temp dir");
    let site = parent.path().join("www");
    fs::create_dir(&site).expect("www");
    fs::write(site.join("old.txt"), "old").expect("old.txt");
    let server = Server::start(&site, &["--quiet"]);
    assert_eq!(server.get("GET /old.txt HTTP/1.0\r\n\r\n").status(), 200);

    if cfg!(windows) {
        // Windows cannot remove a folder a program holds open (cap-std opens it without
        // FILE_SHARE_DELETE): `rmdir /s www` removes what is inside, then fails on the folder
        // itself, and what is put in it next is served.
        assert!(
            fs::remove_dir_all(&site).is_err(),
            "a served folder was removed"
        );
        assert!(site.is_dir());
        fs::write(site.join("new.txt"), "new").expect("new.txt");
        let reply = server.get("GET /new.txt HTTP/1.0\r\n\r\n");
        assert_eq!((reply.status(), reply.text().as_str()), (200, "new"));
        return;
    }
    fs::remove_dir_all(&site).expect("remove www");
    fs::create_dir(&site).expect("www again");
    fs::write(site.join("new.txt"), "new").expect("new.txt");
    let reply = server.get("GET /new.txt HTTP/1.0\r\n\r\n");
    assert_eq!((reply.status(), reply.text().as_str()), (200, "new"));
    assert_eq!(server.get("GET /old.txt HTTP/1.0\r\n\r\n").status(), 404);
    assert_eq!(
        hrefs(&server.get("GET / HTTP/1.0\r\n\r\n").text()),
        ["new.txt"]
    );
}

/// A symlink put in the served folder's place is not followed: the path must lead there as it
/// did at start.
#[test]
#[cfg_attr(
    windows,
    ignore = "makes symlinks: Windows needs Developer Mode for that, and wine 8 makes none"
)]
fn a_symlink_put_in_the_served_folders_place_is_not_followed() {
    let parent = tempfile::tempdir().expect("temp dir");
    let site = parent.path().join("www");
    fs::create_dir(&site).expect("www");
    fs::write(site.join("old.txt"), "old").expect("old.txt");
    let server = Server::start(&site, &["--quiet"]);
    assert_eq!(server.get("GET /old.txt HTTP/1.0\r\n\r\n").status(), 200);
    // Removed and made again first: the server has opened the root again by its path.
    fs::remove_dir_all(&site).expect("remove www");
    fs::create_dir(&site).expect("www again");
    fs::write(site.join("new.txt"), "new").expect("new.txt");
    assert_eq!(server.get("GET /new.txt HTTP/1.0\r\n\r\n").status(), 200);

    // Removed again, and a symlink to another folder put in its place.
    let elsewhere = parent.path().join("elsewhere");
    fs::create_dir(&elsewhere).expect("elsewhere");
    fs::write(elsewhere.join("secret.txt"), "secret").expect("secret.txt");
    fs::remove_dir_all(&site).expect("remove www");
    symlink(&elsewhere, &site).expect("www → elsewhere");
    let reply = server.get("GET /secret.txt HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 404, "{}", reply.text());
    assert!(!server
        .get("GET / HTTP/1.0\r\n\r\n")
        .text()
        .contains("secret"));
}

#[test]
fn listings_sort_by_name_mark_folders_and_show_size_and_time() {
    let fixture = fixture();
    let server = start(&fixture);
    let page = server.get("GET /sub/ HTTP/1.0\r\n\r\n").text();
    assert_eq!(hrefs(&page), ["../", "A.txt", "b.txt", "Inner/"]);
    assert!(
        page.contains(">Inner/</a>"),
        "folders end with '/':\n{page}"
    );
    assert!(page.contains("2 B"), "sizes are shown:\n{page}");
    assert!(
        page.contains(" GMT"),
        "modification times are shown:\n{page}"
    );

    let root_page = server.get("GET / HTTP/1.0\r\n\r\n");
    assert_eq!(
        root_page.text(),
        "<h1>home</h1>\n",
        "a folder with index.html serves it"
    );
    fs::remove_file(fixture.root().join("index.html")).expect("rm");
    let root_listing = server.get("GET / HTTP/1.0\r\n\r\n").text();
    assert!(
        !hrefs(&root_listing).contains(&"../".to_string()),
        "no '..' at the root"
    );
}

#[test]
fn files_dated_before_1970_are_listed_and_served() {
    // A file's time can be set before 1970 (`touch -d 1960-01-01`); an HTTP date cannot show
    // it, and formatting one used to panic, which dropped the connection.
    let fixture = fixture();
    let old = fixture.root().join("old.txt");
    fs::write(&old, "old").expect("write");
    let before_1970 = std::time::UNIX_EPOCH - std::time::Duration::from_secs(10 * 365 * 86_400);
    fs::File::options()
        .write(true)
        .open(&old)
        .and_then(|file| file.set_modified(before_1970))
        .expect("set the file's time");
    let server = start(&fixture);
    fs::remove_file(fixture.root().join("index.html")).expect("rm");

    let listing = server.get("GET / HTTP/1.0\r\n\r\n");
    assert_eq!(listing.status(), 200, "the listing is served");
    assert!(hrefs(&listing.text()).contains(&"old.txt".to_string()));
    let file = server.get("GET /old.txt HTTP/1.0\r\n\r\n");
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.header("Last-Modified").as_deref(),
        Some("Thu, 01 Jan 1970 00:00:00 GMT"),
        "the earliest date HTTP/1.0 can write"
    );
}

/// A FIFO (named pipe) in the served folder. Windows' named pipes live outside any folder, in
/// `\\.\pipe\`: no file of the root can be one.
#[test]
#[cfg(unix)]
#[cfg_attr(not(has_mkfifo), ignore = "mkfifo not found on PATH")]
fn special_files_are_forbidden() {
    use std::process::Command;
    use support::{require_program, Process};
    let fixture = fixture();
    let fifo = fixture.root().join("pipe");
    let mut mkfifo = Command::new(require_program("mkfifo", "coreutils"));
    mkfifo.arg(&fifo);
    let made = Process::start(mkfifo).finish_within(PATIENCE);
    assert!(made.status.success(), "mkfifo: {}", made.stderr);
    let server = start(&fixture);
    let reply = server.get("GET /pipe HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 403, "a FIFO would stop the event loop");
}

/// Unix permissions (mode 000). Windows decides by access-control lists, which std cannot set.
#[test]
#[cfg(unix)]
#[cfg_attr(running_as_root, ignore = "running as root, which can read any file")]
fn unreadable_files_and_folders_are_forbidden() {
    use std::os::unix::fs::PermissionsExt;
    support::require_not_root();
    let fixture = fixture();
    let locked_file = fixture.root().join("locked.txt");
    fs::write(&locked_file, "locked").expect("write");
    fs::set_permissions(&locked_file, fs::Permissions::from_mode(0o000)).expect("chmod");
    let locked_dir = fixture.root().join("locked");
    fs::create_dir(&locked_dir).expect("mkdir");
    fs::set_permissions(&locked_dir, fs::Permissions::from_mode(0o000)).expect("chmod");
    let server = start(&fixture);
    for target in ["/locked.txt", "/locked/"] {
        let reply = server.get(&format!("GET {target} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 403, "{target}");
    }
    fs::set_permissions(&locked_dir, fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
#[cfg_attr(
    other_os,
    ignore = "built for another OS (run under wine): this machine's curl cannot be started"
)]
#[cfg_attr(all(not(has_curl), not(other_os)), ignore = "curl not found on PATH")]
fn curl_fetches_files_byte_for_byte() {
    let fixture = fixture();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(fixture.root().join("big.bin"), &big).expect("write");
    let server = start(&fixture);
    for (path, want) in [
        ("/big.bin".to_string(), big.clone()),
        ("/notes.txt".to_string(), b"notes\n".to_vec()),
        (
            format!("/hostile/{}", encode("😀.data")),
            "content of 😀.data".as_bytes().to_vec(),
        ),
    ] {
        let max_time = PATIENCE.as_secs().to_string();
        let url = server.url(&path);
        let stdout = curl(&["--http1.0", "-s", "-S", "--max-time", &max_time, &url]);
        assert!(stdout == want, "curl got different bytes for {path}");
    }
}

/// The `href` values of a listing, in page order.
fn hrefs(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// A served folder swapped, over and over, with a symlink to a folder outside the root
/// (`renameat2` with `RENAME_EXCHANGE`, atomic): no listing may ever show the outside folder's
/// names. The listing is read through the folder's descriptor, opened beneath the root, never
/// by its path again. Bounded: 0.3 s of swapping, and at least 10 listings. The atomic exchange is Linux's `renameat2`
/// and macOS's `renameatx_np(RENAME_SWAP)`; FreeBSD and Windows have none.
#[test]
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
fn a_folder_swapped_for_a_symlink_mid_request_never_lists_the_outside() {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let parent = tempfile::tempdir().expect("temp dir");
    let outside = parent.path().join("outside");
    fs::create_dir(&outside).expect("mkdir");
    fs::write(outside.join("outside-secret.txt"), "secret\n").expect("write");
    let root = parent.path().join("root");
    fs::create_dir(&root).expect("mkdir");
    let served = root.join("pub");
    fs::create_dir(&served).expect("mkdir");
    fs::write(served.join("inside.txt"), "inside\n").expect("write");
    let swap = root.join("swap");
    symlink(&outside, &swap).expect("symlink");

    let server = Server::start(&root, &["--quiet"]);
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = Arc::clone(&stop);
        let (served, swap) = (served.clone(), swap.clone());
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                renameat_with(CWD, &served, CWD, &swap, RenameFlags::EXCHANGE)
                    .expect("renameat2 RENAME_EXCHANGE");
                swaps += 1;
            }
            swaps
        })
    };
    let started = Instant::now();
    let (mut listings, mut leaks) = (0, 0);
    // 0.3 s, and until at least 10 listings have come (bounded: a machine too slow for that
    // fails the test, it never hangs it).
    while (started.elapsed() < Duration::from_millis(300) || listings < 10)
        && started.elapsed() < PATIENCE
    {
        let reply = server.get("GET /pub/ HTTP/1.0\r\n\r\n");
        if reply.status() == 200 {
            listings += 1;
            if reply.text().contains("outside-secret") {
                leaks += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().expect("the swapper ends");
    assert!(swaps > 0, "no swap: the race was not run");
    assert!(
        listings >= 10,
        "only {listings} listings: the race was not run"
    );
    assert_eq!(
        leaks, 0,
        "{leaks} of {listings} listings showed the outside folder"
    );
}
