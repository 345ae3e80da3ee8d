//! The tests' one fixture type, [`Fixture`]: a served folder made fresh for each test, with a
//! place beside it for what a request must never reach; and [`site`], the small site most
//! server tests serve.

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// A served folder, `root`, inside a temporary parent folder that can also hold what lies
/// outside the served folder (a secret a symlink might lead to). Everything is removed when
/// the fixture is dropped.
pub struct Fixture {
    parent: TempDir,
    root: PathBuf,
}

impl Fixture {
    /// An empty served folder in a fresh parent.
    pub fn new() -> Fixture {
        let parent = tempfile::tempdir().expect("temp dir");
        let root = parent.path().join("root");
        fs::create_dir(&root).expect("mkdir root");
        Fixture { parent, root }
    }

    /// The served folder.
    pub fn root(&self) -> PathBuf {
        self.root.clone()
    }

    /// The served folder, named as `TempDir::path` names a plain temporary folder.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The folder that holds the served one: outside it.
    pub fn parent(&self) -> &Path {
        self.parent.path()
    }

    /// Writes `contents` to `name` below the served folder (`sub/a.txt`), making the folders
    /// on the way.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> &Fixture {
        write_making_folders(&self.root.join(name), contents.as_ref());
        self
    }

    /// Writes `contents` to `name` below the parent: outside the served folder.
    pub fn write_outside(&self, name: &str, contents: impl AsRef<[u8]>) -> &Fixture {
        write_making_folders(&self.parent().join(name), contents.as_ref());
        self
    }

    /// Makes the folder `name` below the served folder (and the folders on the way).
    pub fn mkdir(&self, name: &str) -> &Fixture {
        fs::create_dir_all(self.root.join(name)).expect("mkdir");
        self
    }
}

impl Default for Fixture {
    fn default() -> Fixture {
        Fixture::new()
    }
}

fn write_making_folders(path: &Path, contents: &[u8]) {
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder).expect("mkdir");
    }
    fs::write(path, contents).expect("write");
}

/// The text of `/notes.txt`. Not ASCII, so that "byte for byte" means something.
pub const NOTES: &str = "Grüße 😀\n";

/// The size of `/big.bin`: large enough that a download takes many writes and fills the
/// socket buffers (zeros, sparse on disk, so it costs nothing to make).
pub const BIG_BYTES: usize = 32 * 1024 * 1024;

/// A small site: an index page, a text file, a stylesheet, a big file, a folder with a file.
pub fn site() -> Fixture {
    let site = Fixture::new();
    site.write("index.html", "<h1>home</h1>\n")
        .write("notes.txt", NOTES)
        .write("style.css", "body { color: black }\n")
        .write("sub/a.txt", "a\n");
    let big = fs::File::create(site.path().join("big.bin")).expect("create");
    big.set_len(BIG_BYTES as u64).expect("set_len");
    site
}
