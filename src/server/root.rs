//! The served folder, and opening what a request names **beneath** it — the step where a
//! careless server hands out `/etc/passwd`.
//!
//! [`url_path`](super::url_path) has already turned the target into plain names (no `..`, and on
//! Windows no `\`, `:` or device name). Joined, they form a path *relative* to the root, and that
//! relative path is opened through the root folder's own open handle with cap-std's
//! [`Dir`]: every step is checked, on the file system's own objects, to stay inside the folder.
//! A `..` or a symlink that would leave it fails the open (→ **403**), and nothing is ever looked
//! up a second time by its path, so a symlink swapped in between a check and an open cannot
//! lead outside. How each OS does it:
//!
//! | OS | how cap-std opens beneath the root |
//! |---|---|
//! | Linux ≥ 5.6 | one `openat2(2)` with `RESOLVE_BENEATH`: the kernel refuses any step that would leave |
//! | macOS, FreeBSD (and older Linux) | a walk one name at a time, each opened with `openat(…, O_NOFOLLOW)` relative to the last; a symlink is read and followed by hand, and only while it stays inside |
//! | Windows | the same walk with `NtCreateFile` relative to the folder's handle; folders are held open without `FILE_SHARE_DELETE`, so none can be renamed away mid-walk |
//!
//! A symlink is followed only if it leads to something inside the folder. cap-std refuses every
//! *absolute* link (`/home/…`), since it names the whole file system; one that points inside
//! the root is rewritten as the relative path it names and opened beneath the root like any
//! other ([`Root::open_inside`]).
//!
//! Try: `ln -s /etc www/etc`, then `curl -v http://127.0.0.1:8080/etc/passwd` (403).

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use cap_fs_ext::OpenOptionsMaybeDirExt;
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};

use crate::status::Status;

/// The served folder: its absolute path (symlinks resolved, fixed at start) and the folder
/// itself, open, to open everything beneath.
#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
    /// The path as a person writes it (no `\\?\` on Windows), for the start-up line.
    shown: PathBuf,
    /// Shared by every copy of the root, and replaced only by [`Root::reopen_if_removed`].
    folder: Arc<RwLock<Arc<Dir>>>,
}

/// A file or folder opened beneath the root, and what `fstat` says about it.
#[derive(Debug)]
pub struct Opened {
    /// The open file or folder.
    pub file: File,
    /// Its metadata, read from the open handle (never by path again).
    pub metadata: Metadata,
}

impl Root {
    /// Canonicalizes `dir`, opens it, and checks that this process can list it.
    pub fn open(dir: &Path) -> io::Result<Root> {
        let path = fs::canonicalize(dir)?;
        let folder = Dir::open_ambient_dir(&path, ambient_authority())?;
        folder.entries()?;
        Ok(Root {
            shown: as_a_person_writes_it(&path),
            path,
            folder: Arc::new(RwLock::new(Arc::new(folder))),
        })
    }

    /// The absolute path of the folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The absolute path as a person writes it: `C:\Users\ana\www`, not `\\?\C:\Users\ana\www`.
    pub fn shown_path(&self) -> &Path {
        &self.shown
    }

    /// The folder itself, open.
    pub fn folder(&self) -> Arc<Dir> {
        let folder = self.folder.read().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&folder)
    }

    /// Opens `relative` (names joined by [`relative_path`]) beneath the root: a file or a
    /// folder, never anything outside. The check is made on what is opened, step by step (see
    /// the module docs): a symlink leading out → 403; not allowed → 403; any other failure,
    /// missing above all, → 404 ([`status_for`]).
    pub fn open_inside(&self, relative: &Path) -> Result<Opened, Status> {
        let mut options = OpenOptions::new();
        // `maybe_dir`: a folder too. Windows opens one only when asked (FILE_FLAG_BACKUP_SEMANTICS).
        options.read(true).maybe_dir(true);
        #[cfg(unix)]
        {
            // Opening a FIFO for reading otherwise waits for a writer, which would stop the
            // server's event loop. (Reads from regular files ignore the flag.)
            use cap_std::fs::OpenOptionsExt;
            options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
        }
        let opened = self.beneath(relative, |folder, path| folder.open_with(path, &options));
        let file = opened.map_err(|error| status_for(&error))?.into_std();
        let metadata = file.metadata().map_err(|error| status_for(&error))?;
        Ok(Opened { file, metadata })
    }

    /// What `relative` names beneath the root, following a symlink only while it stays inside,
    /// as [`Root::open_inside`] would (a listing shows a link's target by this).
    pub fn metadata_inside(&self, relative: &Path) -> io::Result<cap_std::fs::Metadata> {
        self.beneath(relative, |folder, path| folder.metadata(path))
    }

    /// Runs `step` (an open, a lookup) on `relative` beneath the root; if cap-std refuses it as
    /// an escape, once more on the path its absolute symlinks name inside the root, if they do
    /// ([`Root::through_absolute_links`]).
    fn beneath<T>(
        &self,
        relative: &Path,
        step: impl Fn(&Dir, &Path) -> io::Result<T>,
    ) -> io::Result<T> {
        let folder = self.folder();
        match step(&folder, as_relative(relative)) {
            Err(error) if is_escape(&error) => match self.through_absolute_links(&folder, relative)
            {
                Some(inside) => step(&folder, as_relative(&inside)),
                None => Err(error),
            },
            result => result,
        }
    }

    /// `relative` with each *absolute* symlink on it that points inside the root rewritten as
    /// the path below the root it names; `None` if there is none, or one points outside.
    ///
    /// cap-std refuses every absolute symlink, since it names the whole file system; but a
    /// teacher's `ln -s /home/ana/www/notes.txt www/latest.txt` points inside, and python's
    /// and nginx's servers follow it. Only the *text* of the link is used here, to make a new
    /// relative path; that path is then opened beneath the root like any other, so a link
    /// swapped meanwhile still cannot lead outside. At most [`MAX_LINKS`] rewrites, like the
    /// kernel's own limit on links in one lookup (`ELOOP`).
    fn through_absolute_links(&self, folder: &Dir, relative: &Path) -> Option<PathBuf> {
        const MAX_LINKS: usize = 40;
        let mut path = relative.to_path_buf();
        'rewrite: for _ in 0..MAX_LINKS {
            let mut prefix = PathBuf::new();
            let names: Vec<_> = path.components().collect();
            for (index, name) in names.iter().enumerate() {
                prefix.push(name);
                let Ok(metadata) = folder.symlink_metadata(&prefix) else {
                    return None;
                };
                if !metadata.is_symlink() {
                    continue;
                }
                let target = folder.read_link_contents(&prefix).ok()?;
                if !target.is_absolute() {
                    continue; // cap-std follows a relative link itself, while it stays inside
                }
                let below = target
                    .strip_prefix(&self.path)
                    .or_else(|_| target.strip_prefix(&self.shown))
                    .ok()?;
                let mut rewritten = below.to_path_buf();
                rewritten.extend(&names[index + 1..]);
                path = rewritten;
                continue 'rewrite;
            }
            return (path != relative).then_some(path);
        }
        None
    }

    /// Opens the folder again if the one opened at start has been removed, and says whether it
    /// did: `rm -rf www`, then a new `www` (a site generator, a fresh copy) must be served as
    /// it is now, as python's and nginx's servers, which look the path up on every request,
    /// would serve it. Asked only when a request found nothing, or an empty removed folder.
    ///
    /// A removed folder has no links left (`nlink` 0). The new one is opened by the same path,
    /// one folder at a time from `/`, none of them through a symlink: the path had none at
    /// start, so a symlink on it now was put there since, and is not followed — `www` replaced
    /// by a link to `/etc` is not served.
    #[cfg(unix)]
    pub fn reopen_if_removed(&self) -> bool {
        use cap_std::fs::MetadataExt;
        let current = self.folder();
        if !current
            .dir_metadata()
            .is_ok_and(|metadata| metadata.nlink() == 0)
        {
            return false;
        }
        let Ok(reopened) = open_dir_without_symlinks(&self.path) else {
            return false;
        };
        *self.folder.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(reopened);
        true
    }

    /// Windows: a folder held open cannot be removed (cap-std opens it without
    /// `FILE_SHARE_DELETE`), so the one opened at start is always the one there.
    #[cfg(not(unix))]
    pub fn reopen_if_removed(&self) -> bool {
        false
    }
}

/// Opens the absolute folder `path` from `/`, one name at a time, refusing a symlink at any
/// step (Linux's `RESOLVE_NO_SYMLINKS`, done by hand so that every Unix has it).
#[cfg(unix)]
fn open_dir_without_symlinks(path: &Path) -> io::Result<Dir> {
    use cap_fs_ext::DirExt;
    use std::path::Component;
    let mut folder = Dir::open_ambient_dir("/", ambient_authority())?;
    for step in path.components() {
        match step {
            Component::RootDir => {}
            Component::Normal(name) => folder = folder.open_dir_nofollow(name)?,
            _ => return Err(io::ErrorKind::InvalidInput.into()),
        }
    }
    Ok(folder)
}

/// The root itself is `.` to cap-std.
fn as_relative(relative: &Path) -> &Path {
    if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        relative
    }
}

/// Whether cap-std refused a step that would leave the root (a `..` too many, a symlink out).
fn is_escape(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::PermissionDenied
}

/// The names of a decoded URL path, joined into a path relative to the root.
pub fn relative_path(segments: &[String]) -> PathBuf {
    segments.iter().collect()
}

/// The status for a failed file-system call: not allowed (or a step that would leave the
/// root) → 403; anything else, missing above all, → 404. (Out of descriptors, `EMFILE`, is a
/// 404 too: the file may well be there, but a 500 would only tell a client what it cannot fix.)
pub fn status_for(error: &io::Error) -> Status {
    match error.kind() {
        io::ErrorKind::PermissionDenied => Status::Forbidden,
        _ => Status::NotFound,
    }
}

/// A path as a person writes it. Windows' `canonicalize` answers with the "verbatim" form,
/// `\\?\C:\www` or `\\?\UNC\server\share\www`, which lifts the old 260-character limit but
/// reads as noise on a start-up line: shown as `C:\www` and `\\server\share\www`.
pub fn as_a_person_writes_it(path: &Path) -> PathBuf {
    let Some(text) = path.to_str() else {
        return path.to_path_buf();
    };
    if let Some(share) = text.strip_prefix(r"\\?\UNC\") {
        return PathBuf::from(format!(r"\\{share}"));
    }
    match text.strip_prefix(r"\\?\") {
        Some(rest) if has_drive_letter(rest) => PathBuf::from(rest),
        _ => path.to_path_buf(),
    }
}

/// `C:\…`: a letter, a colon and a backslash.
fn has_drive_letter(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_verbatim_paths_are_shown_as_a_person_writes_them() {
        for (path, want) in [
            (r"\\?\C:\Users\ana\www", r"C:\Users\ana\www"),
            (r"\\?\UNC\server\share\www", r"\\server\share\www"),
            (r"\\?\Volume{1234}\www", r"\\?\Volume{1234}\www"),
            ("/home/ana/www", "/home/ana/www"),
        ] {
            assert_eq!(as_a_person_writes_it(Path::new(path)), Path::new(want));
        }
    }

    #[test]
    fn names_are_opened_beneath_the_root_only() {
        let outside = tempfile::tempdir().expect("a temporary folder");
        let folder = tempfile::tempdir().expect("a temporary folder");
        fs::write(outside.path().join("secret.txt"), "secret").expect("write");
        fs::create_dir(folder.path().join("sub")).expect("a sub-folder");
        fs::write(folder.path().join("sub/page.txt"), "page").expect("write");
        let root = Root::open(folder.path()).expect("open the root");

        let opened = root.open_inside(Path::new("sub/page.txt")).expect("inside");
        assert!(opened.metadata.is_file());
        let opened = root.open_inside(Path::new("")).expect("the root itself");
        assert!(opened.metadata.is_dir());
        let opened = root.open_inside(Path::new("sub")).expect("a folder");
        assert!(opened.metadata.is_dir());
        let missing = root.open_inside(Path::new("nope.txt"));
        assert_eq!(missing.err(), Some(Status::NotFound));
        // Absolute paths and `..` never reach outside, whatever url_path let through.
        let secret = outside.path().join("secret.txt");
        assert!(root.open_inside(&secret).is_err());
        let climb = Path::new("..").join(outside.path().file_name().expect("a name"));
        assert!(root.open_inside(&climb.join("secret.txt")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_only_while_it_stays_inside() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().expect("a temporary folder");
        let folder = tempfile::tempdir().expect("a temporary folder");
        fs::write(outside.path().join("secret.txt"), "secret").expect("write");
        fs::write(folder.path().join("page.txt"), "page").expect("write");
        symlink("page.txt", folder.path().join("inside")).expect("symlink");
        symlink(outside.path(), folder.path().join("out")).expect("symlink");
        symlink("../", folder.path().join("up")).expect("symlink");
        let root = Root::open(folder.path()).expect("open the root");

        assert!(root.open_inside(Path::new("inside")).is_ok());
        for escape in ["out/secret.txt", "up", "out"] {
            let got = root.open_inside(Path::new(escape));
            assert_eq!(got.err(), Some(Status::Forbidden), "{escape}");
        }
    }
}
