//! httpget against the real `httpserve`: the body written equals the file, byte for byte, and
//! equals what `curl --http1.0 -s` writes for the same URL.

mod support;

use std::path::Path;

use support::{httpget, Server};

/// Files with awkward contents and names (the names after miniserve's hostile fixtures).
fn fixtures(dir: &Path) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let every_byte: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let files = vec![
        ("hello.txt", "/hello.txt", b"hello, world\n".to_vec()),
        ("empty.txt", "/empty.txt", Vec::new()),
        ("bytes.bin", "/bytes.bin", every_byte),
        ("big.bin", "/big.bin", vec![0xA5; 3 * 1024 * 1024 + 7]),
        (
            "with space.txt",
            "/with%20space.txt",
            b"spaced\r\n".to_vec(),
        ),
        (
            "😀.data",
            "/%F0%9F%98%80.data",
            "smile 😀\n".as_bytes().to_vec(),
        ),
    ];
    for (name, _, contents) in &files {
        std::fs::write(dir.join(name), contents).expect("write fixture");
    }
    files
}

#[test]
fn bodies_from_httpserve_equal_the_files_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = fixtures(dir.path());
    let server = Server::start(dir.path(), &[]);
    for (name, path, contents) in files {
        let run = httpget(&[&server.url(path)]);
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        assert!(
            run.stdout == contents,
            "{name}: the body differs from the file"
        );
    }
}

#[test]
fn output_file_from_httpserve_equals_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = fixtures(dir.path());
    let out = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[]);
    let (_, path, contents) = &files[3];
    let saved = out.path().join("saved");
    let run = httpget(&["-o", saved.to_str().expect("utf-8"), &server.url(path)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(std::fs::read(&saved).expect("saved") == *contents);
}

#[test]
fn head_request_to_httpserve_reports_the_file_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    fixtures(dir.path());
    let server = Server::start(dir.path(), &[]);
    let run = httpget(&["-I", &server.url("/bytes.bin")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let head = run.text();
    assert!(head.starts_with("HTTP/1.0 200 "), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-length: 300000\r\n"),
        "{head}"
    );
}

#[test]
fn missing_file_on_httpserve_exits_22_with_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[]);
    let run = httpget(&["-f", &server.url("/nothing-here")]);
    assert_eq!(run.code, Some(22), "{}", run.stderr);
    assert_eq!(run.stdout, b"");
}

/// curl's stdout for `curl --http1.0 -s ARGS URL`.
fn curl(args: &[&str], url: &str) -> Vec<u8> {
    let mut all_args = vec!["--http1.0", "-s", "--max-time", "20"];
    all_args.extend_from_slice(args);
    all_args.push(url);
    support::curl(&all_args)
}

#[test]
#[cfg_attr(
    other_os,
    ignore = "built for another OS (run under wine): this machine's curl cannot be started"
)]
#[cfg_attr(all(not(has_curl), not(other_os)), ignore = "curl not found on PATH")]
fn bodies_equal_what_curl_writes_for_the_same_urls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = fixtures(dir.path());
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("sub/inner.txt"), "inner\n").expect("write");
    let server = Server::start(dir.path(), &[]);
    let mut paths: Vec<&str> = files.iter().map(|(_, path, _)| *path).collect();
    paths.extend(["/missing", "/sub/inner.txt"]);
    for path in paths {
        let url = server.url(path);
        let ours = httpget(&[&url]);
        let theirs = curl(&[], &url);
        assert_eq!(ours.code, Some(0), "{path}: {}", ours.stderr);
        assert!(
            ours.stdout == theirs,
            "{path}: httpget and curl wrote different bodies"
        );
    }
    // A directory without its slash redirects; both follow it to the same listing.
    let url = server.url("/sub");
    let ours = httpget(&["-L", &url]);
    let theirs = curl(&["-L"], &url);
    assert_eq!(ours.code, Some(0), "{}", ours.stderr);
    assert!(ours.text().contains("inner.txt"), "{}", ours.text());
    assert_eq!(ours.text(), String::from_utf8_lossy(&theirs));
}
