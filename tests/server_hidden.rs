//! Hidden names (beginning with `.`): neither listed nor served unless `--show-hidden`, at any
//! depth — a teacher serving a repository's folder must not hand `.git/` to the room.

mod support;

use support::{Fixture, Server};

/// A served folder with a repository's secrets in it, and ordinary files beside them.
fn site() -> Fixture {
    let site = Fixture::new();
    site.write(".git/config", "[remote] secret\n")
        .write(".env", "PASSWORD=hunter2\n")
        .write(".well-known/x", "well known\n")
        .write("sub/.env", "SUB_PASSWORD=x\n")
        .write("sub/visible.txt", "visible\n")
        .write("notes.txt", "notes\n");
    site
}

const HIDDEN_PATHS: &[&str] = &[
    "/.git/config",
    "/.git/",
    "/.git",
    "/.env",
    "/sub/.env",
    "/.well-known/x",
    "/%2Eenv",
    "/sub/../.env",
    "/.git/../.env",
];

#[test]
fn hidden_names_answer_404_like_a_missing_file_at_any_depth() {
    let dir = site();
    // Twice: the second time the file cache (on by default) must not change the answer.
    let server = Server::start(dir.path(), &["--quiet"]);
    let missing = server.get("GET /no-such-file HTTP/1.0\r\n\r\n");
    assert_eq!(missing.status(), 404);
    for _ in 0..2 {
        for path in HIDDEN_PATHS {
            let reply = server.get(&format!("GET {path} HTTP/1.0\r\n\r\n"));
            assert_eq!(reply.status(), 404, "{path}: {}", reply.head);
            assert!(!reply.text().contains("secret"), "{path}");
            assert!(!reply.text().contains("PASSWORD"), "{path}");
            // The same page as a missing file, but for the path it names.
            assert_eq!(reply.header("Content-Type"), missing.header("Content-Type"));
        }
    }
    let visible = server.get("GET /sub/visible.txt HTTP/1.0\r\n\r\n");
    assert_eq!(visible.status(), 200);
}

#[test]
fn listings_leave_hidden_names_out() {
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet"]);
    let top = server.get("GET / HTTP/1.0\r\n\r\n").text();
    assert!(top.contains("notes.txt"), "{top}");
    assert!(!top.contains(".git"), "{top}");
    assert!(!top.contains(".env"), "{top}");
    assert!(!top.contains(".well-known"), "{top}");
    let sub = server.get("GET /sub/ HTTP/1.0\r\n\r\n").text();
    assert!(sub.contains("visible.txt"), "{sub}");
    assert!(!sub.contains(".env"), "{sub}");
    // `..` is the way up, not a hidden name.
    assert!(sub.contains("href=\"../\""), "{sub}");
}

#[test]
fn show_hidden_serves_and_lists_them() {
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet", "--show-hidden"]);
    let config = server.get("GET /.git/config HTTP/1.0\r\n\r\n");
    assert_eq!(config.status(), 200, "{}", config.head);
    assert_eq!(config.text(), "[remote] secret\n");
    let env = server.get("GET /sub/.env HTTP/1.0\r\n\r\n");
    assert_eq!(env.status(), 200);
    let top = server.get("GET / HTTP/1.0\r\n\r\n").text();
    assert!(top.contains(".git/"), "{top}");
    assert!(top.contains(".env"), "{top}");
}
