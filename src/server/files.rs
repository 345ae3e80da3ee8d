//! From a decoded URL path to the response for a file or folder under the served folder, and
//! the conditional GET.
//!
//! [`url_path`](super::url_path) has already turned the target into plain names (no `..`). Here:
//!
//! 1. The names are opened **beneath** the root ([`Root::open_inside`]: the check that nothing
//!    outside is reached is made on what is opened, on every OS — [`root`](super::root) says
//!    how). A symlink leading outside → **403**.
//! 2. Not allowed → 403; any other failure to open, missing above all (out of descriptors too:
//!    [`status_for`](super::root::status_for) says why) → 404; a file asked for as a folder
//!    (`/notes.txt/` or `/notes.txt/extra`) → 404; a folder without its trailing slash → 301 to
//!    the same path with the slash (query kept); a folder → its `index.html`, else a
//!    [listing](super::listing).
//! 3. A file is answered `304 Not Modified` instead of 200 when the client's copy is current
//!    ([`is_not_modified`], RFC 1945 §10.9); an HTTP/1.0 HEAD is never conditional (§8.2):
//!    both rules are in that one function.
//!
//! Try: `curl -v http://127.0.0.1:8080/lesson` (301 to `/lesson/`), then
//! `curl -v -z www/notes.txt http://127.0.0.1:8080/notes.txt` from the crate's folder (304:
//! curl's `-z` sends `If-Modified-Since`, here the date the file was last modified).

use std::borrow::Cow;
use std::fs::Metadata;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::file_cache::{
    Cached, CachedHeaders, FileCache, MAX_FILE_BYTES as MAX_CACHED_FILE_BYTES,
};
use super::listing::listing;
use super::request_line::Version;
use super::response::{Body, Deferred, Response};
pub use super::root::Root;
use super::root::{relative_path, Opened};
use super::url_path::{folder_location, Target, UrlPath};
use crate::date::{format_http_date, parse_http_date, truncate_to_second};
use crate::status::Status;

/// The name of the page a folder serves instead of its listing.
pub const INDEX_FILE: &str = "index.html";

/// What the file server needs from a GET or HEAD, taken from the request once by the
/// [routes](super::routes).
pub struct FileRequest<'a> {
    /// The target, split and decoded ([`parse_target`](super::url_path::parse_target)).
    pub target: &'a Target<'a>,
    /// `GET` or `HEAD`, and the version it was sent in: together with `if_modified_since`,
    /// they decide the conditional GET ([`is_not_modified`]).
    pub method: &'a str,
    /// The request's version.
    pub version: Version,
    /// The request's `If-Modified-Since`, if any (RFC 1945 §10.9).
    pub if_modified_since: Option<&'a str>,
    /// The `host:port` a redirect names ([`redirect_authority`](super::url_path::redirect_authority)),
    /// `None` for a `Location` that is a path only; asked only when a redirect is made.
    pub authority: &'a dyn Fn() -> Option<String>,
}

/// Answers a GET or HEAD for a file or folder under `root`.
///
/// A path with a hidden name on it (`/.git/config`, see
/// [`is_hidden_name`](super::url_path::is_hidden_name)) is answered 404, the page a missing
/// file gets, unless `show_hidden`: decided here, once, before the cache or the folder is asked.
///
/// With a `cache`, a small file that has not changed since it was cached is answered from it
/// (see [`file_cache`](super::file_cache) for why that is always the file as it was at a
/// moment after the request had arrived, at `arrived_at`).
pub fn serve(
    root: &Root,
    cache: Option<&FileCache>,
    show_hidden: bool,
    request: &FileRequest<'_>,
    arrived_at: Instant,
) -> Response {
    let url_path = &request.target.path;
    let shown_path = || format!("/{}", url_path.segments.join("/"));
    if !show_hidden && url_path.names_hidden() {
        return refusal(Status::NotFound, &shown_path());
    }
    let mut relative = String::new();
    if let Some(cache) = cache {
        relative = cache_key(url_path);
        if let Some(cached) = cache.get(root, &relative, arrived_at) {
            return cached_file(cached, request);
        }
    }

    let fs_path = relative_path(&url_path.segments);

    // A folder's own page first: one open instead of two for the most common request, `/`.
    if url_path.trailing_slash {
        let index = fs_path.join(INDEX_FILE);
        if let Ok(opened) = root.open_inside(&index) {
            if opened.metadata.is_file() {
                let file = FileToServe {
                    path: &index,
                    relative: &relative,
                    cache,
                };
                return serve_file(opened, file, request);
            }
        }
    }
    let opened = root.open_inside(&fs_path);
    // Nothing there, or a folder that was removed: the served folder itself may have been
    // removed and made again. Then ask again, in the new one.
    let found_nothing = match &opened {
        Ok(opened) => is_removed_folder(&opened.metadata),
        Err(status) => *status == Status::NotFound,
    };
    if found_nothing && root.reopen_if_removed() {
        return serve(root, cache, show_hidden, request, arrived_at);
    }
    let opened = match opened {
        Ok(opened) => opened,
        Err(status) => return refusal(status, &shown_path()),
    };
    if opened.metadata.is_dir() {
        if url_path.trailing_slash {
            // Built off the event loop: a big folder takes long (see `workers`).
            let root = root.clone();
            let segments = url_path.segments.clone();
            let work = Deferred::new(move || listing(&root, opened.file, &segments, show_hidden));
            return Response::new(Status::Ok).with_deferred_body(work);
        }
        let location = folder_location(request.target, (request.authority)());
        return redirect_to_folder(location);
    }
    if !opened.metadata.is_file() {
        // A FIFO, a socket or a device: nothing a web server should hand out.
        return refusal(Status::Forbidden, &shown_path());
    }
    if url_path.trailing_slash {
        // A file asked for as a folder.
        return refusal(Status::NotFound, &shown_path());
    }
    let file = FileToServe {
        path: &fs_path,
        relative: &relative,
        cache,
    };
    serve_file(opened, file, request)
}

/// The file a request most likely names, as the cache knows it: `a/b.txt`, or a folder's
/// `a/index.html`.
fn cache_key(url_path: &UrlPath) -> String {
    let mut key = url_path.segments.join("/");
    if url_path.trailing_slash {
        if !key.is_empty() {
            key.push('/');
        }
        key.push_str(INDEX_FILE);
    }
    key
}

/// Whether this is a folder that has been removed (no links left): listing it shows nothing.
fn is_removed_folder(metadata: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        metadata.is_dir() && metadata.nlink() == 0
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        false
    }
}

/// `301 Moved Permanently` to the folder's URL with its trailing slash (query kept): relative
/// links in the folder's page must resolve inside the folder.
///
/// The `Location` is an absolute URI (RFC 1945 §10.11: `Location = "Location" ":"
/// absoluteURI`), made by [`folder_location`] from the normalized names and a checked
/// authority: neither can lead the browser to another host (an open redirect).
fn redirect_to_folder(location: String) -> Response {
    let note = format!("Moved to {location}\n");
    Response::new(Status::MovedPermanently)
        .with_header("Location", location)
        .with_header("Content-Type", "text/plain; charset=utf-8")
        .with_body(note.into_bytes())
}

/// A file about to be served: its path below the root, the same as the cache's key, and the
/// cache to keep it in, if any.
struct FileToServe<'a> {
    path: &'a Path,
    relative: &'a str,
    cache: Option<&'a FileCache>,
}

pub(super) fn refusal(status: Status, shown_path: &str) -> Response {
    let explanation = match status {
        Status::Forbidden => format!("You may not read {shown_path} on this server."),
        _ => format!("There is nothing at {shown_path} on this server."),
    };
    Response::error(status, &explanation)
}

/// A file, or `304 Not Modified` if the client's copy is current.
fn serve_file(opened: Opened, file: FileToServe, request: &FileRequest<'_>) -> Response {
    let Opened {
        file: mut opened_file,
        metadata,
    } = opened;
    let now = SystemTime::now();
    // A file stamped in the future would claim to be newer than the response itself.
    let modified = truncate_to_second(metadata.modified().unwrap_or(now).min(now));
    let length = metadata.len();

    let status = if copy_is_current(request, modified) {
        Status::NotModified
    } else {
        Status::Ok
    };
    let mut response = file_head(
        status,
        content_type_for(file.path),
        format_http_date(modified),
    );
    // A 304 announces the length the 200 would have had (RFC 9110 §8.6) but sends no body.
    response.body = match file.cache {
        Some(cache) if length <= MAX_CACHED_FILE_BYTES => {
            // Read now, to keep the bytes for the next request.
            let mut bytes = vec![0; length as usize];
            match opened_file.read_exact(&mut bytes) {
                Ok(()) => {
                    let bytes: Arc<[u8]> = bytes.into();
                    let headers = CachedHeaders {
                        content_type: content_type_for(file.path),
                        last_modified: format_http_date(modified),
                    };
                    cache.put(
                        file.relative,
                        &metadata,
                        modified,
                        Arc::clone(&bytes),
                        headers,
                    );
                    Body::Shared(bytes)
                }
                // The file shrank since it was opened: sending it fails and says so.
                Err(_) => Body::File {
                    file: opened_file,
                    length,
                },
            }
        }
        _ => Body::File {
            file: opened_file,
            length,
        },
    };
    response
}

/// A file answered from the cache: the same headers and rules as [`serve_file`], the header
/// values made when the file was cached.
fn cached_file(cached: Cached, request: &FileRequest<'_>) -> Response {
    let status = if copy_is_current(request, cached.modified) {
        Status::NotModified
    } else {
        Status::Ok
    };
    let headers = &cached.headers;
    let mut response = file_head(
        status,
        headers.content_type.clone(),
        headers.last_modified.clone(),
    );
    response.body = Body::Shared(cached.bytes);
    response
}

/// The headers of a file's response: `Content-Type` and `Last-Modified` on a 200. A 304 keeps
/// `Last-Modified` but not `Content-Type`. RFC 9110 §15.4.5: "a sender SHOULD NOT generate
/// representation metadata other than the above listed fields unless said metadata exists for
/// the purpose of guiding cache updates (e.g., Last-Modified might be useful if the response
/// does not have an ETag field)" — the fields listed are `Cache-Control`, `Content-Location`,
/// `Date`, `ETag`, `Expires` and `Vary`. Go's `writeNotModified` removes `Content-Type` too.
fn file_head(status: Status, content_type: Cow<'static, str>, last_modified: String) -> Response {
    let response = Response::new(status);
    let response = match status {
        Status::NotModified => response,
        _ => response.with_header("Content-Type", content_type),
    };
    response.with_header("Last-Modified", last_modified)
}

/// The conditional GET, whole: whether `304 Not Modified` replaces the file, last modified at
/// `modified`, because the client's copy is current. The one place both of its rules live:
///
/// 1. **Which requests are conditional.** A GET with `If-Modified-Since` (RFC 1945 §10.9). Not
///    an HTTP/1.0 HEAD: "If an If-Modified-Since header field is included with a HEAD request,
///    it should be ignored" (RFC 1945 §8.2), so it gets the 200 head a GET would. HTTP/1.1 made
///    HEAD conditional too (RFC 9110 §13.1.3), so a HEAD sent as HTTP/1.1, such as
///    `curl -I -z …`, may get a 304, as nginx would answer it: each request is read by the rules
///    of the version it was sent in.
/// 2. **When the copy is current.** The client sends back the `Last-Modified` date it was
///    given; the copy is current if the file has not changed since. A date that does not parse,
///    or lies in the future, is ignored and the file is sent whole. §10.9: "if the passed
///    If-Modified-Since date is invalid, the response is exactly the same as for a normal GET.
///    A date which is later than the server's current time is invalid."
pub fn is_not_modified(
    method: &str,
    version: Version,
    if_modified_since: Option<&str>,
    modified: SystemTime,
    now: SystemTime,
) -> bool {
    if method == "HEAD" && matches!(version, Version::Http09 | Version::Http10) {
        return false;
    }
    let Some(since) = if_modified_since.and_then(parse_http_date) else {
        return false;
    };
    since <= now && modified <= since
}

/// [`is_not_modified`] for a request. The clock is read only for a request that has
/// `If-Modified-Since`: no other can be answered 304, and a cached file's answer reads no clock
/// of its own (see `batch_clock`).
fn copy_is_current(request: &FileRequest<'_>, modified: SystemTime) -> bool {
    let Some(since) = request.if_modified_since else {
        return false;
    };
    is_not_modified(
        request.method,
        request.version,
        Some(since),
        modified,
        SystemTime::now(),
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::url_path::parse_target;
    use std::fs;

    #[test]
    fn if_modified_since_is_answered_304_only_for_a_current_copy() {
        use std::time::{Duration, UNIX_EPOCH};
        let at = |seconds: u64| UNIX_EPOCH + Duration::from_secs(seconds);
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT, RFC 1945's own example date.
        let now = at(784_111_777 + 1000);
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        for (modified, header, want) in [
            (at(784_111_777), Some(date), true),
            (at(784_111_700), Some(date), true),
            (at(784_111_778), Some(date), false),
            (at(784_111_777), None, false),
            (at(784_111_777), Some("yesterday"), false),
            (
                at(784_111_777),
                Some("Sunday, 06-Nov-94 08:49:37 GMT"),
                true,
            ),
            (at(784_111_777), Some("Sun Nov  6 08:49:37 1994"), true),
        ] {
            let got = is_not_modified("GET", Version::Http10, header, modified, now);
            assert_eq!(got, want, "{modified:?} {header:?}");
        }
        // A date after "now" says the client's clock is wrong: send the file.
        let later = is_not_modified("GET", Version::Http10, Some(date), at(0), at(784_111_000));
        assert!(!later);
        // No conditional HEAD in HTTP/1.0 (§8.2); HTTP/1.1 has one (RFC 9110 §13.1.3).
        let current = (Some(date), at(784_111_777), now);
        for (method, version, want) in [
            ("GET", Version::Http09, true),
            ("GET", Version::Http11, true),
            ("HEAD", Version::Http09, false),
            ("HEAD", Version::Http10, false),
            ("HEAD", Version::Http11, true),
        ] {
            let got = is_not_modified(method, version, current.0, current.1, current.2);
            assert_eq!(got, want, "{method} {version:?}");
        }
    }

    #[test]
    fn a_location_never_carries_control_characters() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        fs::create_dir(folder.path().join("dir")).expect("a sub-folder");
        let root = Root::open(folder.path()).expect("open the root");
        let target = "http://h/dir?q\r\nSet-Cookie: x=1";
        let target = parse_target(target).expect("an absolute-form target");
        let request = FileRequest {
            target: &target,
            method: "GET",
            version: Version::Http10,
            if_modified_since: None,
            authority: &|| Some("h".to_string()),
        };
        let response = serve(&root, None, false, &request, Instant::now());
        assert_eq!(response.status, Status::MovedPermanently);
        let location = response.header("Location").expect("a Location");
        assert!(!location.chars().any(char::is_control), "{location:?}");
        assert_eq!(location, "http://h/dir/?q%0D%0ASet-Cookie:%20x=1");
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
}
