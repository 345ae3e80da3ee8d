//! One job per file, kept small enough to read in a sitting: every file under `src/` has at
//! most 500 lines before its tests, and `src/bin/httpget.rs`, which only hands over to the
//! library, at most 200.
//!
//! "Before its tests" is every line before the first `#[cfg(test)]` that opens a test module
//! in place (one that declares `mod tests;` in a file of its own is passed over). A file that
//! is a test module itself (`src/server/connection/tests.rs`) is not counted. When a file grows
//! past its limit, split it by step, as `request_line.rs`, `request.rs` and
//! `request_buffer.rs` are.

use std::fs;
use std::path::{Path, PathBuf};

/// The most lines a file under `src/` may have before its tests.
const MOST_LINES: usize = 500;
/// The same for the `httpget` binary's `main`, which hands over to `src/client/`.
const MOST_LINES_HTTPGET: usize = 200;

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read a folder of src/") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The lines of `text` before its test module: up to the first `#[cfg(test)]` that opens
/// one in place. One that only declares a module in a file of its own (`mod tests;`) is
/// passed over, with its line.
fn lines_before_tests(text: &str) -> usize {
    let mut lines = text.lines().peekable();
    let mut count = 0;
    while let Some(line) = lines.next() {
        if line.starts_with("#[cfg(test)]") {
            match lines.peek() {
                Some(next) if next.trim_end().ends_with(';') => {
                    lines.next();
                    continue;
                }
                _ => break,
            }
        }
        count += 1;
    }
    count
}

#[test]
fn every_source_file_stays_under_its_limit() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under src/",
        files.len()
    );
    let mut over = Vec::new();
    for path in files {
        if path.file_name().is_some_and(|name| name == "tests.rs") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read a source file");
        let limit = if path.ends_with("bin/httpget.rs") {
            MOST_LINES_HTTPGET
        } else {
            MOST_LINES
        };
        let lines = lines_before_tests(&text);
        if lines > limit {
            let shown = path
                .strip_prefix(&src)
                .unwrap_or(&path)
                .display()
                .to_string();
            over.push(format!(
                "src/{shown}: {lines} lines before its tests (at most {limit})"
            ));
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}

#[test]
fn the_count_stops_at_the_tests() {
    let text = "use std::io;\n\nfn f() {}\n#[cfg(test)]\nmod tests {\n}\n";
    assert_eq!(lines_before_tests(text), 3);
    assert_eq!(lines_before_tests("fn f() {}\n"), 1);
    let declared = "use std::io;\n#[cfg(test)]\nmod tests;\n\nfn f() {}\n";
    assert_eq!(lines_before_tests(declared), 3);
}
