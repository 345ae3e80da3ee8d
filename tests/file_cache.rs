//! The file cache under every way a file can change: each test caches a file (and checks that
//! the next request is answered from the cache), changes the file, and checks that the very
//! next request sees the file as it is now. Then the same through a running server.

mod support;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use http10::server::file_cache::FileCache;
use http10::server::files::{self, FileRequest, Root};
use http10::server::request::Version;
use http10::server::response::{Framing, Persistence, Response};
use http10::server::send::Outgoing;
use http10::server::url_path::parse_target;
use http10::status::Status;
use support::{read_to_close, symlink, Fixture, Reply, Server, PATIENCE};

/// The served folder, with `a.txt` and `sub/a.txt`, and `outside/a.txt` beside it: a secret.
fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture
        .write("a.txt", "first version\n")
        .write("sub/a.txt", "in sub\n")
        .write_outside("outside/a.txt", "OUTSIDE SECRET\n");
    fixture
}

/// The status and body bytes of a response, laid out as the server would send it.
fn status_and_body(response: Response) -> (Status, Vec<u8>) {
    let status = response.status;
    let framing = Framing {
        head_only: false,
        simple: true, // the body alone
        persistence: Persistence::Close,
    };
    let mut outgoing = Outgoing::new(response, framing, SystemTime::now()).expect("lay out");
    let mut body = Vec::new();
    outgoing.write_to(&mut body).expect("send to memory");
    (status, body)
}

fn get(root: &Root, cache: &FileCache, target: &str) -> (Status, Vec<u8>) {
    get_arrived_at(root, cache, target, Instant::now())
}

/// A request for `target` that had arrived in full at `arrived_at`.
fn get_arrived_at(
    root: &Root,
    cache: &FileCache,
    target: &str,
    arrived_at: Instant,
) -> (Status, Vec<u8>) {
    let target = parse_target(target).expect("an origin-form target");
    let request = FileRequest {
        target: &target,
        method: "GET",
        version: Version::Http10,
        if_modified_since: None,
        authority: &|| None,
    };
    status_and_body(files::serve(root, Some(cache), false, &request, arrived_at))
}

/// Requests `target` until the cache answers it (a file is cached only once it has been left
/// unchanged for a moment, `SETTLE_TIME`): bounded by `PATIENCE`.
fn get_until_cached(root: &Root, cache: &FileCache, target: &str) -> Vec<u8> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let hits = cache.hits();
        let (status, body) = get(root, cache, target);
        assert_eq!(status, Status::Ok, "{target}");
        if cache.hits() > hits {
            return body;
        }
        assert!(Instant::now() < deadline, "{target} was never cached");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Writes `text` over the file in place: same inode, same size if `text` has the old length.
fn write_in_place(path: &Path, text: &str) {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .truncate(false)
        .open(path)
        .expect("open for writing");
    file.write_all(text.as_bytes()).expect("write");
}

fn cached_fixture() -> (Fixture, Root, FileCache) {
    let fixture = fixture();
    let root = Root::open(&fixture.root()).expect("open root");
    let cache = FileCache::new();
    assert_eq!(
        get_until_cached(&root, &cache, "/a.txt"),
        b"first version\n"
    );
    (fixture, root, cache)
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the cache is off on Windows: no inode numbers to check a hit by (file_cache::WORKS_HERE)"
)]
fn an_unchanged_small_file_is_answered_from_the_cache() {
    let (_fixture, root, cache) = cached_fixture();
    let hits = cache.hits();
    assert_eq!(get(&root, &cache, "/a.txt").1, b"first version\n");
    assert_eq!(cache.hits(), hits + 1);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the cache is off on Windows: no inode numbers to check a hit by (file_cache::WORKS_HERE)"
)]
fn one_check_answers_the_requests_that_arrived_before_it_and_no_later_one() {
    let (fixture, root, cache) = cached_fixture();
    let early = Instant::now();
    let checks = cache.checks();
    assert_eq!(get(&root, &cache, "/a.txt").1, b"first version\n");
    assert_eq!(cache.checks(), checks + 1, "a request is checked");
    let (_, body) = get_arrived_at(&root, &cache, "/a.txt", early);
    assert_eq!(body, b"first version\n");
    assert_eq!(
        cache.checks(),
        checks + 1,
        "a check begun after a request had arrived answers it"
    );
    write_in_place(&fixture.root().join("a.txt"), "FIRST VERSION\n");
    assert_eq!(get(&root, &cache, "/a.txt").1, b"FIRST VERSION\n");
    assert_eq!(
        cache.checks(),
        checks + 2,
        "a later request is checked again"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the cache is off on Windows: no inode numbers to check a hit by (file_cache::WORKS_HERE)"
)]
fn a_file_edited_in_place_with_the_same_size_is_served_as_it_is_now() {
    let (fixture, root, cache) = cached_fixture();
    write_in_place(&fixture.root().join("a.txt"), "FIRST VERSION\n");
    assert_eq!(get(&root, &cache, "/a.txt").1, b"FIRST VERSION\n");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the cache is off on Windows: no inode numbers to check a hit by (file_cache::WORKS_HERE)"
)]
fn a_file_replaced_by_rename_is_served_as_it_is_now() {
    let (fixture, root, cache) = cached_fixture();
    let new = fixture.root().join(".a.txt.new");
    fs::write(&new, "second version\n").expect("write");
    fs::rename(&new, fixture.root().join("a.txt")).expect("rename over");
    assert_eq!(get(&root, &cache, "/a.txt").1, b"second version\n");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the cache is off on Windows: no inode numbers to check a hit by (file_cache::WORKS_HERE)"
)]
fn a_deleted_file_is_404() {
    let (fixture, root, cache) = cached_fixture();
    fs::remove_file(fixture.root().join("a.txt")).expect("delete");
    assert_eq!(get(&root, &cache, "/a.txt").0, Status::NotFound);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the cache is off on Windows: no inode numbers to check a hit by (file_cache::WORKS_HERE)"
)]
fn a_file_renamed_away_and_another_put_in_its_place_is_the_new_one() {
    let (fixture, root, cache) = cached_fixture();
    let dir = fixture.root();
    fs::rename(dir.join("a.txt"), dir.join("old.txt")).expect("rename away");
    fs::rename(dir.join("sub/a.txt"), dir.join("a.txt")).expect("rename in");
    assert_eq!(get(&root, &cache, "/a.txt").1, b"in sub\n");
    assert_eq!(get(&root, &cache, "/old.txt").1, b"first version\n");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "makes symlinks: Windows needs Developer Mode for that, and wine 8 makes none"
)]
fn a_symlink_swapped_in_for_a_cached_file_never_serves_the_target() {
    let (fixture, root, cache) = cached_fixture();
    let path = fixture.root().join("a.txt");
    fs::remove_file(&path).expect("delete");
    symlink(fixture.parent().join("outside/a.txt"), &path).expect("symlink");
    assert_forbidden_without_the_secret(get(&root, &cache, "/a.txt"));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "makes symlinks: Windows needs Developer Mode for that, and wine 8 makes none"
)]
fn a_folder_swapped_for_a_symlink_under_a_cached_file_never_serves_the_target() {
    let fixture = fixture();
    let root = Root::open(&fixture.root()).expect("open root");
    let cache = FileCache::new();
    assert_eq!(get_until_cached(&root, &cache, "/sub/a.txt"), b"in sub\n");
    // The folder `sub` becomes a link to `outside`, which also has an `a.txt`.
    let sub = fixture.root().join("sub");
    fs::rename(&sub, fixture.root().join("sub.old")).expect("move the folder");
    symlink(fixture.parent().join("outside"), &sub).expect("symlink");
    assert_forbidden_without_the_secret(get(&root, &cache, "/sub/a.txt"));
}

/// A symlink leading out of the root is answered 403, as without the cache, and never with
/// the bytes of the file outside.
fn assert_forbidden_without_the_secret((status, body): (Status, Vec<u8>)) {
    assert_eq!(status, Status::Forbidden);
    assert!(!String::from_utf8_lossy(&body).contains("OUTSIDE SECRET"));
}

#[test]
fn a_file_changed_a_moment_ago_is_not_trusted_to_the_cache() {
    let fixture = fixture();
    let root = Root::open(&fixture.root()).expect("open root");
    let cache = FileCache::new();
    // Just written: its change time is too recent for a later same-size write to show.
    fs::write(fixture.root().join("fresh.txt"), "fresh\n").expect("write");
    get(&root, &cache, "/fresh.txt");
    get(&root, &cache, "/fresh.txt");
    assert_eq!(
        cache.hits(),
        0,
        "a file changed a moment ago was answered from the cache"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the cache is off on Windows: no inode numbers to check a hit by (file_cache::WORKS_HERE)"
)]
fn the_cache_is_bounded_and_keeps_no_large_file() {
    let fixture = fixture();
    let dir = fixture.root();
    fs::write(dir.join("large.bin"), vec![7u8; 65 * 1024]).expect("write");
    for index in 0..300 {
        fs::write(dir.join(format!("f{index}.txt")), "x").expect("write");
    }
    let root = Root::open(&dir).expect("open root");
    let cache = FileCache::new();
    get_until_cached(&root, &cache, "/a.txt");
    for _ in 0..2 {
        let (status, body) = get(&root, &cache, "/large.bin");
        assert_eq!((status, body.len()), (Status::Ok, 65 * 1024));
    }
    for index in 0..300 {
        get(&root, &cache, &format!("/f{index}.txt"));
    }
    assert!(
        cache.len() <= http10::server::file_cache::MAX_ENTRIES,
        "{}",
        cache.len()
    );
    let hits = cache.hits();
    get(&root, &cache, "/large.bin");
    assert_eq!(cache.hits(), hits, "a large file was cached");
}

/// The teacher's case, through a running server: edit `index.html`, reload, see the edit.
#[test]
fn a_page_edited_between_two_reloads_is_served_fresh_by_the_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("index.html");
    fs::write(&page, "<h1>version 1</h1>\n").expect("write");
    let server = Server::start(dir.path(), &["--quiet"]);
    let reload = || {
        let mut stream = server.connect();
        stream.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("send");
        Reply::parse(&read_to_close(&mut stream))
    };
    // Reload for a while, as a browser would, so the page is cached by now.
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        assert_eq!(reload().body, b"<h1>version 1</h1>\n");
    }
    write_in_place(&page, "<h1>version 2</h1>\n");
    assert_eq!(reload().body, b"<h1>version 2</h1>\n");
    fs::write(&page, "<h1>version three</h1>\n").expect("write");
    assert_eq!(reload().body, b"<h1>version three</h1>\n");
}

#[test]
fn no_cache_serves_the_same_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("index.html"), "<h1>home</h1>\n").expect("write");
    let server = Server::start(dir.path(), &["--quiet", "--no-cache"]);
    let reply = server.get("GET / HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.body, b"<h1>home</h1>\n");
}

/// `--verbose` says whether the cache is on, and why not: on Windows it is off (no inode
/// numbers to check a hit by), and the server does none of its work.
#[test]
fn the_server_says_whether_its_cache_is_on_and_why_not() {
    let fixture = fixture();
    let server = Server::start(&fixture.root(), &["--verbose"]);
    let line = server.stdout_line_containing("file cache");
    if http10::server::file_cache::WORKS_HERE {
        assert!(line.contains("file cache on"), "{line}");
    } else {
        assert!(line.contains("file cache off (this OS"), "{line}");
    }
    assert!(line.contains("connections at once"), "{line}");
    let quiet = Server::start(&fixture.root(), &["--verbose", "--no-cache"]);
    let line = quiet.stdout_line_containing("file cache");
    assert!(line.contains("file cache off (--no-cache)"), "{line}");
}
