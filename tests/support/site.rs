//! The small site most server tests serve, made fresh in a temporary folder for each test.

use std::fs;

use tempfile::TempDir;

/// The text of `/notes.txt`. Not ASCII, so that "byte for byte" means something.
pub const NOTES: &str = "Grüße 😀\n";

/// The size of `/big.bin`: large enough that a download takes many writes and fills the
/// socket buffers (zeros, sparse on disk, so it costs nothing to make).
pub const BIG_BYTES: usize = 32 * 1024 * 1024;

/// A small site: an index page, a text file, a stylesheet, a big file, a folder with a file.
pub fn site() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::write(root.join("index.html"), "<h1>home</h1>\n").expect("write");
    fs::write(root.join("notes.txt"), NOTES).expect("write");
    fs::write(root.join("style.css"), "body { color: black }\n").expect("write");
    let big = fs::File::create(root.join("big.bin")).expect("create");
    big.set_len(BIG_BYTES as u64).expect("set_len");
    fs::create_dir(root.join("sub")).expect("mkdir");
    fs::write(root.join("sub").join("a.txt"), "a\n").expect("write");
    dir
}
