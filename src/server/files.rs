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
//!    ([`is_not_modified_since`], RFC 1945 §10.9); an HTTP/1.0 HEAD is never conditional
//!    (the routes leave its `If-Modified-Since` out, RFC 1945 §8.2).
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
use super::response::{Body, Deferred, Response};
pub use super::root::Root;
use super::root::{relative_path, Opened};
use super::url_path::{decode_path, encode_path, encode_query_for_header, TargetParts, UrlPath};
use crate::date::{format_http_date, parse_http_date, truncate_to_second};
use crate::status::Status;

/// The name of the page a folder serves instead of its listing.
pub const INDEX_FILE: &str = "index.html";

/// Answers a GET or HEAD for a file or folder under `root`.
///
/// `target` is the request target already split into its path and query
/// ([`split_target`](super::url_path::split_target)); `if_modified_since` is the request's
/// header of that name, if any (RFC 1945 §10.9); `authority` gives the `host:port` a redirect
/// names (see [`redirect_authority`](super::url_path::redirect_authority)), `None` for a
/// `Location` that is a path only; it is asked only when a redirect is made.
///
/// With a `cache`, a small file that has not changed since it was cached is answered from it
/// (see [`file_cache`](super::file_cache) for why that is always the file as it was at a
/// moment after the request had arrived, at `arrived_at`).
pub fn serve(
    root: &Root,
    cache: Option<&FileCache>,
    target: &TargetParts<'_>,
    if_modified_since: Option<&str>,
    arrived_at: Instant,
    authority: &dyn Fn() -> Option<String>,
) -> Response {
    let url_path = match decode_path(target.path) {
        Ok(url_path) => url_path,
        Err(error) => return Response::error(error.status(), error.explain()),
    };
    let mut relative = String::new();
    if let Some(cache) = cache {
        relative = cache_key(&url_path);
        if let Some(cached) = cache.get(root, &relative, arrived_at) {
            return cached_file(cached, if_modified_since);
        }
    }

    let shown_path = || format!("/{}", url_path.segments.join("/"));
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
                return serve_file(opened, file, if_modified_since);
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
        return serve(
            root,
            cache,
            target,
            if_modified_since,
            arrived_at,
            authority,
        );
    }
    let opened = match opened {
        Ok(opened) => opened,
        Err(status) => return refusal(status, &shown_path()),
    };
    if opened.metadata.is_dir() {
        if url_path.trailing_slash {
            // Built off the event loop: a big folder takes long (see `workers`).
            let root = root.clone();
            let segments = url_path.segments;
            let work = Deferred::new(move || listing(&root, opened.file, &segments));
            return Response::new(Status::Ok).with_deferred_body(work);
        }
        return redirect_to_folder(&url_path.segments, target.query, authority);
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
    serve_file(opened, file, if_modified_since)
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
/// absoluteURI`). Its path is built from the normalized segments, so it always starts with a
/// single '/', and the authority was checked: neither can lead the browser to another host
/// (an open redirect).
fn redirect_to_folder(
    segments: &[String],
    query: Option<&str>,
    authority: &dyn Fn() -> Option<String>,
) -> Response {
    let mut location = match authority() {
        Some(authority) => format!("http://{authority}"),
        None => String::new(),
    };
    location.push_str(&encode_path(segments));
    location.push('/');
    if let Some(query) = query {
        location.push('?');
        location.push_str(&encode_query_for_header(query));
    }
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
fn serve_file(opened: Opened, file: FileToServe, if_modified_since: Option<&str>) -> Response {
    let Opened {
        file: mut opened_file,
        metadata,
    } = opened;
    let now = SystemTime::now();
    // A file stamped in the future would claim to be newer than the response itself.
    let modified = truncate_to_second(metadata.modified().unwrap_or(now).min(now));
    let length = metadata.len();

    let status = if is_not_modified_since(modified, if_modified_since, now) {
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
fn cached_file(cached: Cached, if_modified_since: Option<&str>) -> Response {
    let now = SystemTime::now();
    let status = if is_not_modified_since(cached.modified, if_modified_since, now) {
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

/// The conditional GET (RFC 1945 §10.9): whether a file last modified at `modified` is still
/// the copy the client holds, so that `304 Not Modified` can replace the body.
///
/// The client sends back the `Last-Modified` date it was given, as `If-Modified-Since`. The
/// copy is current if the file has not changed since that date. A date that does not parse, or
/// lies in the future (a clock set wrong), is ignored, and the file is sent whole, as §10.9
/// says: "if the passed If-Modified-Since date is invalid, the response is exactly the same as
/// for a normal GET. A date which is later than the server's current time is invalid."
pub fn is_not_modified_since(
    modified: SystemTime,
    if_modified_since: Option<&str>,
    now: SystemTime,
) -> bool {
    let Some(since) = if_modified_since.and_then(parse_http_date) else {
        return false;
    };
    since <= now && modified <= since
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
    use crate::server::url_path::split_target;
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
            let got = is_not_modified_since(modified, header, now);
            assert_eq!(got, want, "{modified:?} {header:?}");
        }
        // A date after "now" says the client's clock is wrong: send the file.
        assert!(!is_not_modified_since(at(0), Some(date), at(784_111_000)));
    }

    #[test]
    fn a_location_never_carries_control_characters() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        fs::create_dir(folder.path().join("dir")).expect("a sub-folder");
        let root = Root::open(folder.path()).expect("open the root");
        let target = "http://h/dir?q\r\nSet-Cookie: x=1";
        let parts = split_target(target).expect("an absolute-form target");
        let response = serve(&root, None, &parts, None, Instant::now(), &|| {
            Some("h".to_string())
        });
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
