//! From a request target to a file under the served folder — the step where a careless server
//! hands out `/etc/passwd`.
//!
//! The rules, in the order they are applied:
//!
//! 1. The target is `/path?query` (or an absolute `http://host/path?query`, RFC 1945 §5.1.2);
//!    the query and any `#fragment` are not part of the file path.
//! 2. The path is percent-decoded as UTF-8 (§3.2.1). A malformed escape (`%zz`), `%00`, or bytes
//!    that are not UTF-8 → **400**.
//! 3. The decoded path is split on `/` *after* decoding, so `%2F` is a separator too. Empty
//!    segments and `.` are dropped; `..` removes the previous segment, as a browser does
//!    (`/a/../b` is `/b`). A `..` that would climb above the served folder → **400 Bad
//!    Request**: no honest client sends one (browsers and curl remove them before sending), so
//!    it is a malformed request, answered the way nginx answers it.
//! 4. The segments are joined onto the root, which was made absolute and free of symlinks
//!    ([`Root::open`]) once at start. The file is opened, and then the kernel is asked where
//!    the *opened* file really is (on Linux, `/proc/self/fd/N`); if a symlink led outside the
//!    root → **403**. Checking what was opened, not the path, leaves no moment in which a link
//!    could be swapped between the check and the open. (A backslash is an ordinary character in a Linux file name,
//!    so `..\..\etc` names a file called that, which does not exist → 404.)
//! 5. Missing → 404; unreadable → 403; a file asked for as a folder (`/notes.txt/` or
//!    `/notes.txt/extra`) → 404; a folder without its trailing slash → 301 to the same path with
//!    the slash (query kept); a folder → its `index.html`, else a listing.
//!
//! Try: `curl -v --path-as-is http://127.0.0.1:8080/../etc/passwd` (400), and
//! `curl -v http://127.0.0.1:8080/sub` (301 to `/sub/`).

use std::borrow::Cow;
use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::date::{
    format_http_date, is_writable_as_http_date, parse_http_date, truncate_to_second,
};
use crate::escape::html_escape;
use crate::response::{Body, Response, SERVER_NAME};
use crate::status::Status;

/// The name of the page a folder serves instead of its listing.
pub const INDEX_FILE: &str = "index.html";

/// Characters left as they are in a link: RFC 3986 "unreserved". Everything else is escaped,
/// so a name with `#`, `?`, `%`, quotes or spaces still leads to the right file.
const LINK_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The served folder: absolute, symlinks resolved, fixed at start.
#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
    /// The folder itself, open, for opening files *beneath* it (Linux's `openat2`).
    #[cfg(target_os = "linux")]
    folder: Option<std::sync::Arc<File>>,
}

impl Root {
    /// Canonicalizes `dir` and checks that it is a folder this process can list.
    pub fn open(dir: &Path) -> io::Result<Root> {
        let path = fs::canonicalize(dir)?;
        if !path.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        fs::read_dir(&path)?;
        Ok(Root {
            #[cfg(target_os = "linux")]
            folder: File::open(&path).ok().map(std::sync::Arc::new),
            path,
        })
    }

    /// The absolute path of the folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The parts of a request target the file server uses.
#[derive(Debug, PartialEq, Eq)]
pub struct TargetParts<'a> {
    /// The path, still percent-encoded: `/a%20b/`.
    pub path: &'a str,
    /// The query after `?`, without the `?`.
    pub query: Option<&'a str>,
}

/// Splits a request target into path and query, accepting the absolute form
/// `http://host:port/path` too. `None` if the target is neither form.
pub fn split_target(target: &str) -> Option<TargetParts<'_>> {
    let without_fragment = target.split('#').next().unwrap_or_default();
    let origin_form = if without_fragment.starts_with('/') {
        without_fragment
    } else {
        let lower = without_fragment.get(..7)?.to_ascii_lowercase();
        if lower != "http://" {
            return None;
        }
        let after_scheme = &without_fragment[7..];
        match after_scheme.find(['/', '?']) {
            Some(start) if after_scheme[start..].starts_with('/') => &after_scheme[start..],
            Some(start) => {
                return Some(TargetParts {
                    path: "/",
                    query: Some(&after_scheme[start + 1..]),
                })
            }
            None => "/",
        }
    };
    Some(match origin_form.split_once('?') {
        Some((path, query)) => TargetParts {
            path,
            query: Some(query),
        },
        None => TargetParts {
            path: origin_form,
            query: None,
        },
    })
}

/// A decoded, normalized URL path: its segments, and whether it ended with `/`.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlPath {
    /// Segments between slashes, decoded, without `.`, `..` or empty ones.
    pub segments: Vec<String>,
    /// Whether the path named a folder (`/sub/`) rather than a file (`/sub`).
    pub trailing_slash: bool,
}

/// Why a URL path was refused (all answered with 400).
#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    /// A `%` not followed by two hex digits.
    MalformedEscape,
    /// `%00`: no file name can hold a NUL byte.
    NulByte,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// A `..` would climb above the served folder.
    ClimbsAboveRoot,
}

impl PathError {
    /// A sentence for the error page.
    pub fn explain(&self) -> &'static str {
        match self {
            PathError::MalformedEscape => {
                "The path has a '%' that is not followed by two hex digits."
            }
            PathError::NulByte => "The path contains %00, which no file name can hold.",
            PathError::NotUtf8 => "The path's percent-escapes do not decode to UTF-8 text.",
            PathError::ClimbsAboveRoot => "The path climbs above the served folder with '..'.",
        }
    }
}

/// Decodes and normalizes the path part of a target (rules 2 and 3 in the module docs).
pub fn decode_path(encoded: &str) -> Result<UrlPath, PathError> {
    let bytes = encoded.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'%' {
            let escape = bytes.get(index + 1..index + 3);
            let valid = matches!(escape, Some(pair) if pair.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return Err(PathError::MalformedEscape);
            }
        }
    }
    let decoded: Vec<u8> = percent_decode_str(encoded).collect();
    if decoded.contains(&0) {
        return Err(PathError::NulByte);
    }
    let decoded = String::from_utf8(decoded).map_err(|_| PathError::NotUtf8)?;

    let mut segments: Vec<String> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(PathError::ClimbsAboveRoot);
                }
            }
            name => segments.push(name.to_string()),
        }
    }
    let last = decoded.rsplit('/').next().unwrap_or_default();
    let trailing_slash = matches!(last, "" | "." | "..");
    Ok(UrlPath {
        segments,
        trailing_slash,
    })
}

/// The URL path for `segments`, each percent-encoded: `/a%20b/c`.
pub fn encode_path(segments: &[String]) -> String {
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        path.extend(utf8_percent_encode(segment, LINK_SAFE));
    }
    path
}

/// Answers a GET or HEAD for a file or folder under `root`.
///
/// `if_modified_since` is the request's header of that name, if any (RFC 1945 §10.9).
pub fn serve(root: &Root, target: &str, if_modified_since: Option<&str>) -> Response {
    let Some(parts) = split_target(target) else {
        return Response::error(
            Status::BadRequest,
            "The request target must be a path starting with '/'.",
        );
    };
    let url_path = match decode_path(parts.path) {
        Ok(url_path) => url_path,
        Err(error) => return Response::error(Status::BadRequest, error.explain()),
    };
    let shown_path = || format!("/{}", url_path.segments.join("/"));
    let mut fs_path = root.path.clone();
    fs_path.extend(&url_path.segments);

    // A folder's own page first: one open instead of two for the most common request, `/`.
    if url_path.trailing_slash {
        let index = fs_path.join(INDEX_FILE);
        if let Ok(opened) = open_inside(root, &index) {
            if opened.metadata.is_file() {
                return serve_file(opened, &index, if_modified_since);
            }
        }
    }
    let opened = match open_inside(root, &fs_path) {
        Ok(opened) => opened,
        Err(status) => return refusal(status, &shown_path()),
    };
    if opened.metadata.is_dir() {
        if url_path.trailing_slash {
            return listing(&fs_path, &url_path.segments);
        }
        // Relative links in the page must resolve inside the folder, so send the browser
        // to the slashed URL. Built from the normalized segments, it always starts with a
        // single '/', so it can never be read as '//other-host' (an open redirect).
        let mut location = encode_path(&url_path.segments);
        location.push('/');
        if let Some(query) = parts.query {
            location.push('?');
            location.push_str(query);
        }
        let note = format!("Moved to {location}\n");
        return Response::new(Status::MovedPermanently)
            .with_header("Location", location)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(note.into_bytes());
    }
    if !opened.metadata.is_file() {
        // A FIFO, a socket or a device: nothing a web server should hand out.
        return refusal(Status::Forbidden, &shown_path());
    }
    if url_path.trailing_slash {
        // A file asked for as a folder.
        return refusal(Status::NotFound, &shown_path());
    }
    serve_file(opened, &fs_path, if_modified_since)
}

/// A file or folder opened for reading, and what `fstat` says about it.
struct Opened {
    file: File,
    metadata: Metadata,
}

/// Opens `path` and checks that what was opened really lies under the root, whatever
/// symlinks led there. Checking the *opened* file, not the path, leaves no moment in which a
/// link could be swapped between the check and the open.
fn open_inside(root: &Root, path: &Path) -> Result<Opened, Status> {
    #[cfg(target_os = "linux")]
    if let Some(opened) = open_beneath(root, path) {
        return opened;
    }
    let file = open_for_reading(path).map_err(|error| status_for(&error))?;
    let metadata = file.metadata().map_err(|error| status_for(&error))?;
    let real_path = real_path(&file, path).map_err(|error| status_for(&error))?;
    if !real_path.starts_with(&root.path) {
        return Err(Status::Forbidden);
    }
    Ok(Opened { file, metadata })
}

/// Linux's `openat2(2)` with `RESOLVE_BENEATH` opens a file relative to the root folder and
/// fails if any step — a `..`, a symlink — would leave it: the kernel does the check of
/// [`open_inside`] during the open itself, with no second system call. `None` when it cannot
/// decide: a kernel older than 5.6, or a link it refuses that may still end inside the root (an
/// absolute link to a file in the folder); then the general way decides.
#[cfg(target_os = "linux")]
fn open_beneath(root: &Root, path: &Path) -> Option<Result<Opened, Status>> {
    use rustix::fs::{openat2, Mode, OFlags, ResolveFlags};
    use rustix::io::Errno;
    let folder = root.folder.as_ref()?;
    let relative = path.strip_prefix(&root.path).ok()?;
    let relative = if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        relative
    };
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    match openat2(
        &**folder,
        relative,
        flags,
        Mode::empty(),
        ResolveFlags::BENEATH,
    ) {
        Ok(descriptor) => {
            let file = File::from(descriptor);
            Some(match file.metadata() {
                Ok(metadata) => Ok(Opened { file, metadata }),
                Err(error) => Err(status_for(&error)),
            })
        }
        // EXDEV: a step would leave the folder. ENOSYS, EPERM: no openat2 here.
        Err(Errno::XDEV | Errno::NOSYS | Errno::PERM | Errno::AGAIN) => None,
        Err(errno) => Some(Err(status_for(&errno.into()))),
    }
}

/// Opens read-only. On Unix with `O_NONBLOCK`: opening a FIFO for reading otherwise waits for
/// a writer, which would stop the server's event loop. (Reads from regular files ignore the flag.)
fn open_for_reading(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)
}

/// Where an open file really is, every symlink resolved. Linux answers in one call through
/// `/proc/self/fd/N`; elsewhere the path is resolved component by component.
#[cfg(target_os = "linux")]
fn real_path(file: &File, path: &Path) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    match fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
        Ok(real_path) => Ok(real_path),
        Err(_) => fs::canonicalize(path), // /proc is not mounted
    }
}

#[cfg(not(target_os = "linux"))]
fn real_path(_file: &File, path: &Path) -> io::Result<PathBuf> {
    fs::canonicalize(path)
}

/// The status for a failed file-system call: missing → 404, not allowed → 403.
fn status_for(error: &io::Error) -> Status {
    match error.kind() {
        io::ErrorKind::PermissionDenied => Status::Forbidden,
        _ => Status::NotFound,
    }
}

fn refusal(status: Status, shown_path: &str) -> Response {
    let explanation = match status {
        Status::Forbidden => format!("You may not read {shown_path} on this server."),
        _ => format!("There is nothing at {shown_path} on this server."),
    };
    Response::error(status, &explanation)
}

/// A file, or 304 if the client's copy is current (RFC 1945 §10.9).
fn serve_file(opened: Opened, path: &Path, if_modified_since: Option<&str>) -> Response {
    let Opened { file, metadata } = opened;
    let now = SystemTime::now();
    // A file stamped in the future would claim to be newer than the response itself.
    let modified = truncate_to_second(metadata.modified().unwrap_or(now).min(now));
    let length = metadata.len();

    let still_fresh = if_modified_since
        .and_then(parse_http_date)
        .is_some_and(|since| since <= now && modified <= since);
    let status = if still_fresh {
        Status::NotModified
    } else {
        Status::Ok
    };
    let mut response = Response::new(status)
        .with_header("Content-Type", content_type_for(path))
        .with_header("Last-Modified", format_http_date(modified));
    // A 304 announces the length the 200 would have had (RFC 7230 §3.3.2) but sends no body.
    response.body = Body::File { file, length };
    response
}

/// The `Content-Type` for a file name: guessed from its extension, text labelled UTF-8.
pub fn content_type_for(path: &Path) -> Cow<'static, str> {
    // `first_raw` hands back the text of mime_guess's own table: nothing to parse.
    let Some(essence) = mime_guess::from_path(path).first_raw() else {
        return Cow::Borrowed("application/octet-stream");
    };
    let is_text = essence.starts_with("text/")
        || essence == "application/javascript"
        || essence == "application/json";
    if is_text {
        Cow::Owned(format!("{essence}; charset=utf-8"))
    } else {
        Cow::Borrowed(essence)
    }
}

/// One row of a folder listing.
struct Entry {
    name: String,
    is_dir: bool,
    size: Option<u64>,
    modified: Option<SystemTime>,
}

/// An HTML page listing a folder: `..` first (except at the root), then the entries sorted by
/// name, folders marked with a trailing `/`.
fn listing(dir: &Path, segments: &[String]) -> Response {
    let shown_path = format!("/{}", segments.join("/"));
    let reader = match fs::read_dir(dir) {
        Ok(reader) => reader,
        Err(error) => return refusal(status_for(&error), &shown_path),
    };
    let mut entries: Vec<Entry> = reader
        .filter_map(Result::ok)
        .map(|entry| {
            // fs::metadata follows symlinks, so a link to a folder lists as a folder.
            let metadata = fs::metadata(entry.path()).ok();
            Entry {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir: metadata.as_ref().is_some_and(Metadata::is_dir),
                size: metadata.as_ref().map(Metadata::len),
                modified: metadata.and_then(|metadata| metadata.modified().ok()),
            }
        })
        .collect();
    entries.sort_by(|a, b| (a.name.to_lowercase(), &a.name).cmp(&(b.name.to_lowercase(), &b.name)));

    let title = if segments.is_empty() {
        "/".to_string()
    } else {
        html_escape(&format!("/{}/", segments.join("/")))
    };
    let mut rows = String::new();
    if !segments.is_empty() {
        rows.push_str("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
    }
    for entry in &entries {
        let slash = if entry.is_dir { "/" } else { "" };
        let href: String = utf8_percent_encode(&entry.name, LINK_SAFE).collect();
        let size = match (entry.is_dir, entry.size) {
            (false, Some(size)) => human_size(size),
            _ => "-".to_string(),
        };
        // Left blank when unknown, or when no HTTP date can show it (a file dated 1960).
        let modified = entry
            .modified
            .filter(|&time| is_writable_as_http_date(time))
            .map(format_http_date)
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td><a href=\"{href}{slash}\">{}{slash}</a></td>\
             <td class=\"size\">{size}</td><td>{modified}</td></tr>\n",
            html_escape(&entry.name)
        ));
    }
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of {title}</title>\n\
         <style>body{{font-family:sans-serif}}td{{padding:0 1em 0 0}}\
         .size{{text-align:right}}</style></head>\n\
         <body><h1>Index of {title}</h1>\n<table>\n\
         <tr><th>Name</th><th>Size</th><th>Last modified</th></tr>\n{rows}</table>\n\
         <hr><address>{SERVER_NAME}</address></body></html>\n"
    );
    Response::html(Status::Ok, page)
}

/// `1536` → `1.5 KiB`: sizes a person reads at a glance.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn targets_split_into_path_and_query() {
        for (target, want) in [
            ("/", Some(("/", None))),
            ("/a?b=c", Some(("/a", Some("b=c")))),
            ("/a#frag", Some(("/a", None))),
            ("/a?q#frag", Some(("/a", Some("q")))),
            ("http://example.com/x?y", Some(("/x", Some("y")))),
            ("HTTP://example.com", Some(("/", None))),
            ("http://example.com?q", Some(("/", Some("q")))),
            ("https://example.com/x", None),
            ("*", None),
            ("index.html", None),
        ] {
            let got = split_target(target).map(|parts| (parts.path, parts.query));
            assert_eq!(got, want, "{target}");
        }
    }

    #[test]
    fn paths_decode_and_normalize_safely() {
        let ok = |names: &[&str], trailing_slash| {
            Ok(UrlPath {
                segments: segments(names),
                trailing_slash,
            })
        };
        for (path, want) in [
            ("/", ok(&[], true)),
            ("/a/b.txt", ok(&["a", "b.txt"], false)),
            ("/a/", ok(&["a"], true)),
            ("//a//b", ok(&["a", "b"], false)),
            ("/a/./b", ok(&["a", "b"], false)),
            ("/a/../b", ok(&["b"], false)),
            ("/a/..", ok(&[], true)),
            ("/with%20space.txt", ok(&["with space.txt"], false)),
            ("/%F0%9F%98%80.data", ok(&["😀.data"], false)),
            ("/stra%C3%9Fe", ok(&["straße"], false)),
            (
                "/%23%5B%5D%7B%7D()%40!%24%26'%2B%2C%3B%3D%20%2520.test",
                ok(&["#[]{}()@!$&'+,;= %20.test"], false),
            ),
            ("/%252e%252e/x", ok(&["%2e%2e", "x"], false)),
            ("/..\\..\\etc\\passwd", ok(&["..\\..\\etc\\passwd"], false)),
            ("//etc/passwd", ok(&["etc", "passwd"], false)),
            ("/..", Err(PathError::ClimbsAboveRoot)),
            ("/../etc/passwd", Err(PathError::ClimbsAboveRoot)),
            ("/..%2f..%2fetc/passwd", Err(PathError::ClimbsAboveRoot)),
            ("/%2e%2e/etc/passwd", Err(PathError::ClimbsAboveRoot)),
            ("/a/../../etc", Err(PathError::ClimbsAboveRoot)),
            ("/a%00b", Err(PathError::NulByte)),
            ("/%zz", Err(PathError::MalformedEscape)),
            ("/%4", Err(PathError::MalformedEscape)),
            ("/%", Err(PathError::MalformedEscape)),
            ("/%ff%fe", Err(PathError::NotUtf8)),
        ] {
            assert_eq!(decode_path(path), want, "{path}");
        }
    }

    #[test]
    fn links_encode_every_awkward_character() {
        for (names, want) in [
            (&["a b"][..], "/a%20b"),
            (&["#?%&\"'<>"], "/%23%3F%25%26%22%27%3C%3E"),
            (&["é", "😀"], "/%C3%A9/%F0%9F%98%80"),
            (&["plain-name_1.0~"], "/plain-name_1.0~"),
        ] {
            assert_eq!(encode_path(&segments(names)), want);
        }
    }

    #[test]
    fn content_types_label_text_as_utf8() {
        for (name, want) in [
            ("index.html", "text/html; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("notes.txt", "text/plain; charset=utf-8"),
            ("data.json", "application/json; charset=utf-8"),
            ("INDEX.HTM", "text/html; charset=utf-8"),
            ("table.csv", "text/csv; charset=utf-8"),
            ("logo.png", "image/png"),
            ("blob.unknownext", "application/octet-stream"),
            ("no_extension", "application/octet-stream"),
        ] {
            assert_eq!(content_type_for(Path::new(name)), want, "{name}");
        }
        let script = content_type_for(Path::new("app.js"));
        assert!(script.ends_with("javascript; charset=utf-8"), "{script}");
    }

    #[test]
    fn sizes_read_at_a_glance() {
        for (bytes, want) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1536, "1.5 KiB"),
            (100 * 1024 * 1024, "100.0 MiB"),
        ] {
            assert_eq!(human_size(bytes), want);
        }
    }
}
