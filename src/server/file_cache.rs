//! A small cache of small files' bytes — and why it can never serve a stale or an escaped file.
//!
//! Without it, every request for a file costs `openat2`, `fstat`, `read` and `close` before
//! the response is sent. With it, a request for a small file that has not changed costs at most
//! one `statx`: the kernel's answer to "what is at this path now?" (`bench/README.md` counts
//! the system calls).
//!
//! ## How a hit is validated
//!
//! The server checks its cached copy the way a browser checks its own with `If-Modified-Since`
//! (RFC 1945 §10.9), only more strictly. When a file is cached, the server remembers, from the
//! file it opened safely beneath the root ([`files`](super::files)), its **identity** — the
//! device and inode numbers, the size, the modification time and the change time
//! (`ctime`, which the kernel sets on every write, `chmod`, rename or link of the inode, and
//! which no program can set back). Before it uses the copy for a request, it asks the kernel
//! for the same five facts about the path as it is now (one answer may serve several requests:
//! see below), and uses the copy only if all five are equal:
//!
//! * **edited in place:** the write moves `mtime` and `ctime` (and usually the size) → a miss;
//! * **replaced** (an editor saving to a new file and renaming it over the old one), **renamed**
//!   away and another put in its place: another inode → a miss;
//! * **deleted:** the lookup fails → a miss, and the normal path answers 404;
//! * **a symlink swapped in** anywhere along the path: the lookup follows it, so it reports the
//!   file the link leads to. Any other file has another device or inode → a miss, and the
//!   normal path (opening beneath the root) answers 403 or 404, exactly as without the cache.
//!   Only the *same* inode passes — the very file that was opened safely, whose bytes are the
//!   cached ones, so nothing is revealed that the root did not already serve.
//!
//! One race remains in any such scheme: timestamps move in steps (a clock tick, a few
//! milliseconds), so a write in the same tick as the caching read, keeping the size, would
//! leave all five facts equal. So a file is cached only once its `ctime` is older than
//! [`SETTLE_TIME`]: any later change then carries a later time. (Git guards its index
//! against the same "racy" timestamps.)
//!
//! ## One check for many requests
//!
//! A check tells the file as it is when the `statx` is made, so it holds for every request
//! that had arrived in full before the check began: any change finished before the client
//! sent such a request shows in its answer. The event loop reads a whole batch of requests
//! before it answers any ([`server`](super)), so the first request of a batch for a file makes
//! the check and the others share it: each entry keeps when the last check that found it
//! unchanged began, and a request that arrived before then is answered without another
//! `statx`. A request that arrived later is always checked again; so is every request made
//! outside the event loop, which arrives "now".
//!
//! ## On other systems
//!
//! macOS and the BSDs have no `statx`: the same five facts come from a lookup beneath the root
//! ([`Root::metadata_inside`]), a few system calls instead of one, with the same guarantee.
//! Windows gives no inode number in stable Rust, so no identity can be checked: the cache is off
//! there ([`WORKS_HERE`]), and does no work at all.
//!
//! ## Finding an entry
//!
//! The entries are found by path in a `HashMap` hashed with FNV-1a ([`PathHasher`]) rather
//! than std's SipHash, which resists keys crafted to collide but cost a request more
//! instructions than anything else the cache does (`bench/README.md`, 2026-12-07). Crafted
//! collisions cannot hurt here: only files that exist below the root are ever entered, at most
//! [`MAX_ENTRIES`] of them, so a request's path can collide with those few at most.
//!
//! Misses cost one `statx` more than no cache at all. The cache holds at most
//! [`MAX_ENTRIES`] files of at most [`MAX_FILE_BYTES`] each and [`MAX_TOTAL_BYTES`] in all; when
//! full, the oldest entry goes. `httpserve --no-cache` turns it off, for comparing the two.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::files::Root;

/// Whether the cache can validate a hit on this OS, and so is used at all. Every Unix (Linux,
/// macOS, the BSDs) gives the five facts of an [`Identity`]. Windows has no inode number in
/// stable Rust's metadata (`file_index` is unstable), and without it a file replaced by another
/// of the same size and times would pass: there the cache is off, and every request opens its
/// file, as with `--no-cache`.
pub const WORKS_HERE: bool = cfg!(unix);

/// Files up to this size are cached (the size a response sends in one write with its head).
pub const MAX_FILE_BYTES: u64 = 64 * 1024;
/// The most files cached at once.
pub const MAX_ENTRIES: usize = 256;
/// The most bytes cached at once, over all files.
pub const MAX_TOTAL_BYTES: usize = 1024 * 1024;
/// How long a file must be left unchanged before it is cached (see the module docs).
pub const SETTLE_TIME: Duration = Duration::from_millis(100);

/// What identifies one version of a file: equal identities, equal bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, u32),
    changed: (i64, u32),
}

/// A cached file: its identity, its bytes and what its response headers need.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The bytes, shared with the responses being sent.
    pub bytes: Arc<[u8]>,
    /// When it was last modified (already truncated to the second, as `Last-Modified` is).
    pub modified: SystemTime,
    /// Its `Content-Type` and `Last-Modified` header values, made once when it was cached
    /// (looking up the type and formatting the date were a tenth of the work of a request).
    pub headers: Arc<CachedHeaders>,
    identity: Identity,
    /// When the last check that found the file unchanged began (`None`: not checked since it
    /// was cached).
    checked_at: Option<Instant>,
}

/// The header values a cached file's responses share.
#[derive(Debug)]
pub struct CachedHeaders {
    /// `Content-Type`.
    pub content_type: Cow<'static, str>,
    /// `Last-Modified`.
    pub last_modified: String,
}

/// The cache: paths relative to the root, each with the file it named when it was cached.
#[derive(Debug, Default)]
pub struct FileCache {
    entries: Mutex<Entries>,
    hits: AtomicU64,
    checks: AtomicU64,
}

#[derive(Debug, Default)]
struct Entries {
    by_path: HashMap<String, Cached, BuildHasherDefault<PathHasher>>,
    /// Paths in the order they were cached, oldest first: the next to go when full.
    order: VecDeque<String>,
    total_bytes: usize,
}

/// FNV-1a, 64 bits: for each byte, xor it in, then multiply by the FNV prime. A few
/// instructions a byte, where SipHash takes rounds (see "Finding an entry" above).
#[derive(Debug)]
pub struct PathHasher(u64);

impl Default for PathHasher {
    fn default() -> PathHasher {
        PathHasher(0xcbf2_9ce4_8422_2325) // the FNV offset basis
    }
}

impl Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FileCache {
    /// An empty cache.
    pub fn new() -> FileCache {
        FileCache::default()
    }

    /// The cached copy of `relative` (a path below the root, such as `lesson/index.html`) for
    /// a request that had arrived in full at `arrived_at`, if the file at that path is still
    /// the one that was cached; `None` otherwise.
    pub fn get(&self, root: &Root, relative: &str, arrived_at: Instant) -> Option<Cached> {
        // The lock is not held across the system call: other loops may look meanwhile.
        let cached = self.entries.lock().ok()?.by_path.get(relative)?.clone();
        if cached
            .checked_at
            .is_some_and(|checked_at| checked_at > arrived_at)
        {
            // A check begun after this request had arrived found the file unchanged.
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Some(cached);
        }
        let checking_at = Instant::now();
        self.checks.fetch_add(1, Ordering::Relaxed);
        let unchanged = identity_now(root, relative) == Some(cached.identity);
        let mut entries = self.entries.lock().ok()?;
        // Unless another loop has cached a new version meanwhile, note the check, or forget
        // the old version.
        let entry = entries
            .by_path
            .get_mut(relative)
            .filter(|entry| entry.identity == cached.identity);
        match entry {
            Some(entry) if unchanged => {
                entry.checked_at = entry.checked_at.max(Some(checking_at));
            }
            Some(_) => entries.remove(relative),
            None => {}
        }
        if unchanged {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Some(cached);
        }
        None
    }

    /// Keeps `bytes` as the content of `relative`, read from a file with this `metadata`
    /// (from `fstat` on the descriptor opened safely beneath the root) and last modified at
    /// `modified`. Files too large, or changed too recently to be trusted, are not kept.
    pub fn put(
        &self,
        relative: &str,
        metadata: &std::fs::Metadata,
        modified: SystemTime,
        bytes: Arc<[u8]>,
        headers: CachedHeaders,
    ) {
        let Some(identity) = identity_of(metadata) else {
            return;
        };
        if identity.size != bytes.len() as u64 || identity.size > MAX_FILE_BYTES {
            return;
        }
        if !has_settled(identity, SystemTime::now()) {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.remove(relative);
        while entries.by_path.len() >= MAX_ENTRIES
            || entries.total_bytes + bytes.len() > MAX_TOTAL_BYTES
        {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            entries.remove(&oldest);
        }
        entries.total_bytes += bytes.len();
        entries.order.push_back(relative.to_string());
        let cached = Cached {
            bytes,
            modified,
            headers: Arc::new(headers),
            identity,
            checked_at: None,
        };
        entries.by_path.insert(relative.to_string(), cached);
    }

    /// How many requests the cache has answered (for tests and the curious).
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// How many times it asked the kernel whether a file had changed (for tests and the
    /// curious).
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// How many files it holds.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .map_or(0, |entries| entries.by_path.len())
    }

    /// Whether it holds no file.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Entries {
    fn remove(&mut self, relative: &str) {
        if let Some(gone) = self.by_path.remove(relative) {
            self.total_bytes -= gone.bytes.len();
            self.order.retain(|path| path != relative);
        }
    }
}

/// Whether the file's last change is old enough that a later change must carry a later time.
fn has_settled(identity: Identity, now: SystemTime) -> bool {
    let (seconds, nanos) = identity.changed;
    let Ok(seconds) = u64::try_from(seconds) else {
        return false;
    };
    let changed = SystemTime::UNIX_EPOCH + Duration::new(seconds, nanos);
    now.duration_since(changed)
        .is_ok_and(|age| age >= SETTLE_TIME)
}

/// The identity of an opened file, from its metadata.
#[cfg(unix)]
fn identity_of(metadata: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    let (modified, changed) = (metadata.mtime(), metadata.ctime());
    let nanos = (metadata.mtime_nsec(), metadata.ctime_nsec());
    identity_from(
        metadata.dev(),
        metadata.ino(),
        metadata.size(),
        modified,
        changed,
        nanos,
    )
}

/// An identity from `stat`'s fields (std's and cap-std's `MetadataExt` name them alike).
#[cfg(unix)]
fn identity_from(
    device: u64,
    inode: u64,
    size: u64,
    modified: i64,
    changed: i64,
    (modified_nanos, changed_nanos): (i64, i64),
) -> Option<Identity> {
    Some(Identity {
        device,
        inode,
        size,
        modified: (modified, u32::try_from(modified_nanos).ok()?),
        changed: (changed, u32::try_from(changed_nanos).ok()?),
    })
}

#[cfg(not(unix))]
fn identity_of(_metadata: &std::fs::Metadata) -> Option<Identity> {
    None // no inode numbers to compare: see WORKS_HERE
}

/// The identity of whatever is at `relative` below the root now: one `statx`, relative to the
/// root's open descriptor, following symlinks (see the module docs for why that is safe).
#[cfg(all(target_os = "linux", not(http10_portable)))]
fn identity_now(root: &Root, relative: &str) -> Option<Identity> {
    use rustix::fs::{statx, AtFlags, StatxFlags};
    let folder = root.folder();
    let wanted = StatxFlags::TYPE
        | StatxFlags::INO
        | StatxFlags::SIZE
        | StatxFlags::MTIME
        | StatxFlags::CTIME;
    let stat = statx(&*folder, relative, AtFlags::empty(), wanted).ok()?;
    Some(Identity {
        device: device_number(stat.stx_dev_major, stat.stx_dev_minor),
        inode: stat.stx_ino,
        size: stat.stx_size,
        modified: (stat.stx_mtime.tv_sec, stat.stx_mtime.tv_nsec),
        changed: (stat.stx_ctime.tv_sec, stat.stx_ctime.tv_nsec),
    })
}

/// The device number as `stat` reports it, from the two halves `statx` gives (the layout of
/// Linux's `makedev`), so that it compares with `MetadataExt::dev`.
#[cfg(all(target_os = "linux", not(http10_portable)))]
fn device_number(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major), u64::from(minor));
    ((major & 0xffff_f000) << 32)
        | ((major & 0x0000_0fff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0x0000_00ff)
}

/// macOS and the BSDs (and Linux built with `--cfg http10_portable`): the same five facts,
/// looked up beneath the root the way a request's file is opened ([`Root::metadata_inside`]:
/// a walk, a symlink followed only while it stays inside). More system calls than Linux's one
/// `statx`, but the same answer, so the same guarantee.
#[cfg(all(unix, not(all(target_os = "linux", not(http10_portable)))))]
fn identity_now(root: &Root, relative: &str) -> Option<Identity> {
    use cap_std::fs::MetadataExt;
    let metadata = root.metadata_inside(std::path::Path::new(relative)).ok()?;
    let (modified, changed) = (metadata.mtime(), metadata.ctime());
    let nanos = (metadata.mtime_nsec(), metadata.ctime_nsec());
    identity_from(
        metadata.dev(),
        metadata.ino(),
        metadata.size(),
        modified,
        changed,
        nanos,
    )
}

/// Windows: never asked, the cache is off there ([`WORKS_HERE`]).
#[cfg(not(unix))]
fn identity_now(_root: &Root, _relative: &str) -> Option<Identity> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_file_left_alone_for_a_moment_is_trusted() {
        let at = |seconds: i64, nanos: u32| Identity {
            device: 1,
            inode: 2,
            size: 3,
            modified: (seconds, nanos),
            changed: (seconds, nanos),
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        assert!(has_settled(at(999, 0), now));
        assert!(has_settled(at(999, 900_000_000), now));
        assert!(!has_settled(at(999, 950_000_000), now));
        assert!(!has_settled(at(1001, 0), now), "a change in the future");
        assert!(!has_settled(at(-5, 0), now), "before 1970");
    }
}
