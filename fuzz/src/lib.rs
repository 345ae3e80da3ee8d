//! What the fuzz targets share: the served fixture folder, the read sizes a target takes from
//! its input, and the checks every response the server lays out must pass.
//!
//! Nothing here is a copy of the server's logic: each check is a plain statement of a rule
//! (RFC 1945 §6, the traversal guard), so a fuzz input that breaks one has found a bug.

#![forbid(unsafe_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use http10::server::file_cache::FileCache;
use http10::server::files::Root;
use http10::server::routes::Site;

/// Written in the file that lies *outside* the served folder, and in its name. The server
/// must never hand it out: not its bytes, not its name in a listing. Lower-case letters only,
/// so `/upper` (which answers in capitals) cannot spell it.
pub const MARKER: &str = "zqxoutsidetherootjvw";

/// The served fixture, made once per process.
pub struct Fixture {
    /// The served folder.
    pub site: Site,
    /// The folder holding the root and the file outside it.
    pub base: PathBuf,
}

/// The fixture folder, created on first use under the system's temporary folder:
///
/// ```text
/// http10-fuzz-<pid>/
///   zqxoutsidetherootjvw.txt    outside the root: MARKER in name and content
///   root/                       served
///     notes.txt  empty.txt  with space.txt  big.bin (70 000 bytes: sent in pieces)
///     lesson/index.html         a folder with its own page
///     sub/a.txt  sub/deeper/b.txt   a folder that gets a listing
///     escape.txt -> ../zqx….txt  a symlink out of the root (403)
///     up -> ..                   a symlink to the folder above the root (403)
///     abs-up -> /…/http10-fuzz-<pid>   the same, absolute
///     inside.txt -> notes.txt    a symlink that stays inside (served)
///     abs-sub -> /…/root/sub     an absolute symlink that stays inside (served)
/// ```
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        remove_stale_fixtures();
        let base = std::env::temp_dir().join(format!("{FIXTURE_PREFIX}{}", std::process::id()));
        make_fixture(&base).expect("the fixture folder can be made in the temporary folder");
        let root = Root::open(&base.join("root")).expect("the fixture root opens");
        Fixture {
            site: Site {
                root,
                // The cache on, as httpserve runs by default: its hits must answer exactly
                // what the files would.
                cache: Some(FileCache::new()),
                routes_enabled: true,
                show_hidden: false,
            },
            base,
        }
    })
}

/// The fixture folder's name, before the process id.
const FIXTURE_PREFIX: &str = "http10-fuzz-";

/// libFuzzer ends a run with `exit`, so a fixture is never removed by the run that made it:
/// the next run removes those of processes that are gone (Linux: no `/proc/PID`).
fn remove_stale_fixtures() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(FIXTURE_PREFIX)) else {
            continue;
        };
        let is_pid = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
        if is_pid && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn make_fixture(base: &Path) -> std::io::Result<()> {
    let _ = fs::remove_dir_all(base);
    let root = base.join("root");
    fs::create_dir_all(root.join("lesson"))?;
    fs::create_dir_all(root.join("sub/deeper"))?;
    let outside = base.join(format!("{MARKER}.txt"));
    fs::write(&outside, format!("{MARKER}\n"))?;
    fs::write(root.join("notes.txt"), "Some notes.\n")?;
    fs::write(root.join("empty.txt"), "")?;
    fs::write(root.join("with space.txt"), "a name with a space\n")?;
    fs::write(
        root.join("lesson/index.html"),
        "<!DOCTYPE html><p>lesson</p>\n",
    )?;
    fs::write(root.join("sub/a.txt"), "a\n")?;
    fs::write(root.join("sub/deeper/b.txt"), "b\n")?;
    // Larger than the server reads into its first write: sent from the file afterwards.
    // Sparse, so it costs no disk.
    fs::File::create(root.join("big.bin"))?.set_len(70_000)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        let canonical_base = fs::canonicalize(base)?;
        symlink(format!("../{MARKER}.txt"), root.join("escape.txt"))?;
        symlink("..", root.join("up"))?;
        symlink(&canonical_base, root.join("abs-up"))?;
        symlink("notes.txt", root.join("inside.txt"))?;
        symlink(canonical_base.join("root/sub"), root.join("abs-sub"))?;
    }
    Ok(())
}

/// Read sizes chosen by the input's first bytes, and the rest of the input: the bytes to
/// deliver. The first byte says how many size bytes follow (1 to 8); each size byte is a read
/// size, small (1 to 128 bytes) below 128, large (multiples of 64, up to 8 KiB) above.
/// The sizes are used in turn, round and round.
pub fn split_input(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return (vec![1], &[]);
    };
    let count = usize::from(first % 8) + 1;
    let count = count.min(rest.len());
    let (size_bytes, stream) = rest.split_at(count);
    let mut sizes: Vec<usize> = size_bytes
        .iter()
        .map(|&byte| match byte {
            0..=127 => usize::from(byte) + 1,
            _ => usize::from(byte - 127) * 64,
        })
        .collect();
    if sizes.is_empty() {
        sizes.push(1);
    }
    (sizes, stream)
}

/// A reader that gives `bytes` in reads of the sizes given (in turn), as TCP might deliver
/// them: each `read` returns at most the next size, never more than the caller's buffer.
pub struct Pieces<'a> {
    bytes: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl<'a> Pieces<'a> {
    /// `bytes` in reads of `sizes` (each at least 1).
    pub fn new(bytes: &'a [u8], sizes: Vec<usize>) -> Pieces<'a> {
        Pieces {
            bytes,
            sizes,
            next: 0,
        }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl std::io::Read for Pieces<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()].max(1);
        self.next += 1;
        let count = size.min(buffer.len()).min(self.bytes.len());
        let (now, later) = self.bytes.split_at(count);
        buffer[..count].copy_from_slice(now);
        self.bytes = later;
        Ok(count)
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// `%XX` decoded once, other bytes as they are: what a path the server quotes back may look
/// like.
pub fn percent_decoded(bytes: &[u8]) -> Vec<u8> {
    let hex = |byte: u8| char::from(byte).to_digit(16);
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = match bytes.get(index..index + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)),
            _ => None,
        };
        match escape {
            Some((high, low)) => {
                decoded.push((high * 16 + low) as u8);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    decoded
}

/// Whether the client itself sent the marker (as it is, or percent-encoded): then `/echo` or
/// an error page quoting the path may rightly show it, and its presence proves nothing.
pub fn client_sent_marker(input: &[u8]) -> bool {
    contains(input, MARKER.as_bytes()) || contains(&percent_decoded(input), MARKER.as_bytes())
}

/// What one laid-out response must satisfy.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// The answer to an HTTP/0.9 request: the body alone, no head.
    pub simple: bool,
    /// The answer to HEAD: a head alone.
    pub head_only: bool,
}

/// Checks one response as [`Outgoing`](http10::server::send::Outgoing) laid it out; `input`
/// is everything the client sent. Panics (a fuzz finding) on a broken rule:
///
/// * a full response starts with an `HTTP/1.0 ` status line and a head ending in a blank line;
/// * no header value holds a control character (a CR or LF there would let the client write
///   headers of its own; `Location` is built from the request);
/// * exactly one `Content-Length`, equal to the body laid out (none for HEAD and 304);
/// * the marker of the file outside the root appears nowhere, unless the client sent it.
pub fn check_response(output: &[u8], expect: Expect, input: &[u8]) {
    if !client_sent_marker(input) {
        assert!(
            !contains(output, MARKER.as_bytes()),
            "a response shows what lies outside the root: {:?}",
            String::from_utf8_lossy(output)
        );
    }
    if expect.simple {
        return;
    }
    assert!(
        output.starts_with(b"HTTP/1.0 "),
        "no HTTP/1.0 status line: {:?}",
        String::from_utf8_lossy(&output[..output.len().min(80)])
    );
    let head_end = output
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("the head ends with a blank line")
        + 4;
    let (head, body) = output.split_at(head_end);
    let head = std::str::from_utf8(head).expect("the head is UTF-8 text");
    let mut lines = head[..head.len() - 4].split("\r\n");
    let status_line = lines.next().expect("a status line");
    let code: u16 = status_line
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status code in {status_line:?}"));
    assert!((100..600).contains(&code), "status {code}");
    let mut lengths = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("a header line is not 'Name: value': {line:?}"));
        assert!(
            !name.is_empty() && name.bytes().all(http10::headers::is_token_byte),
            "header name {name:?}"
        );
        assert!(
            !value.chars().any(char::is_control),
            "header {name} carries a control character: {value:?}"
        );
        if name.eq_ignore_ascii_case("Content-Length") {
            lengths.push(value.to_string());
        }
    }
    assert_eq!(lengths.len(), 1, "Content-Length headers: {lengths:?}");
    let length: u64 = lengths[0].parse().expect("Content-Length is a number");
    if expect.head_only || code == 304 {
        assert!(body.is_empty(), "HEAD or 304 with a body");
    } else {
        assert_eq!(
            length,
            body.len() as u64,
            "Content-Length says {length}, the body laid out has {} bytes",
            body.len()
        );
    }
}
