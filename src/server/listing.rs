//! A folder's listing: the HTML page a folder without `index.html` is answered with.
//!
//! `..` first (except at the root), then the entries sorted by name, folders marked with a
//! trailing `/`, each with its size and modification time. Every name is HTML-escaped for the
//! text ([`html_escape`]) and percent-encoded for the link ([`encode_segment`]), so a file
//! called `<b>#1?.txt` shows as it is and its link opens it. A name that is not UTF-8 is shown
//! without a link: the path guard refuses such a path, so no request can name it.
//!
//! Try: `curl http://127.0.0.1:8080/files/` (the demo site's folder of awkward names).

use std::fs::File;
use std::io;
use std::time::SystemTime;

use cap_std::fs::{Dir, Metadata};

use super::files::refusal;
use super::response::{Response, SERVER_NAME};
use super::root::{relative_path, status_for, Root};
use super::url_path::{encode_segment, is_hidden_name};
use crate::date::{format_http_date, is_writable_as_http_date};
use crate::escape::html_escape;
use crate::status::Status;

/// One row of a folder listing.
struct Entry {
    /// The name as text; a name that is not UTF-8 shows its odd bytes as U+FFFD.
    name: String,
    /// Whether the name is UTF-8, so that a request can name it: the path guard refuses any
    /// other ([`url_path`](super::url_path)), and a link would only lead to an error.
    linkable: bool,
    is_dir: bool,
    size: Option<u64>,
    modified: Option<SystemTime>,
}

/// An HTML page listing a folder: `..` first (except at the root), then the entries sorted by
/// name, folders marked with a trailing `/`.
///
/// `folder` is the folder as [`files`](super::files) opened it, safely beneath the root, and
/// `segments` the URL path that led there. Hidden names (`.git`) are left out unless
/// `show_hidden`, as a request for one would get 404.
pub fn listing(root: &Root, folder: File, segments: &[String], show_hidden: bool) -> Response {
    let shown_path = format!("/{}", segments.join("/"));
    let mut entries = match read_entries(root, folder, segments, show_hidden) {
        Ok(entries) => entries,
        Err(error) => return refusal(status_for(&error), &shown_path),
    };
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
        let href = encode_segment(&entry.name);
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
        let name = html_escape(&entry.name);
        let shown = if entry.linkable {
            format!("<a href=\"{href}{slash}\">{name}{slash}</a>")
        } else {
            format!("{name}{slash} <small>(name not UTF-8: it cannot be requested)</small>")
        };
        rows.push_str(&format!(
            "<tr><td>{shown}</td><td class=\"size\">{size}</td><td>{modified}</td></tr>\n"
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

/// The folder's entries, read through the handle that was opened safely — not by path: a
/// path looked up again could meanwhile lead somewhere else (a folder swapped for a symlink to
/// one outside the root), and the listing would show that folder's names.
///
/// Each entry is looked at without following a symlink (on Linux and macOS an `fstatat` with
/// `AT_SYMLINK_NOFOLLOW`, relative to the open folder). A symlink is followed only the way a
/// request for it would be: beneath the root ([`Root::metadata_inside`]); a link leading
/// outside is listed by its name alone, with no size, date or kind of what it points to.
fn read_entries(
    root: &Root,
    folder: File,
    segments: &[String],
    show_hidden: bool,
) -> io::Result<Vec<Entry>> {
    let folder = Dir::from_std_file(folder);
    let here = relative_path(segments);
    let mut entries = Vec::new();
    for entry in folder.entries()? {
        let entry = entry?;
        let raw_name = entry.file_name();
        let name = raw_name.to_string_lossy().into_owned();
        if !show_hidden && is_hidden_name(&name) {
            continue;
        }
        let linkable = raw_name.to_str().is_some();
        let entry = match entry.metadata() {
            Ok(metadata) if metadata.is_symlink() => {
                match root.metadata_inside(&here.join(&raw_name)) {
                    Ok(metadata) => Entry::from_metadata(name, linkable, &metadata),
                    Err(_) => Entry::unknown(name, linkable),
                }
            }
            Ok(metadata) => Entry::from_metadata(name, linkable, &metadata),
            Err(_) => Entry::unknown(name, linkable),
        };
        entries.push(entry);
    }
    Ok(entries)
}

impl Entry {
    fn from_metadata(name: String, linkable: bool, metadata: &Metadata) -> Entry {
        Entry {
            name,
            linkable,
            is_dir: metadata.is_dir(),
            size: Some(metadata.len()),
            modified: metadata.modified().ok().map(|time| time.into_std()),
        }
    }

    /// An entry known by its name only.
    fn unknown(name: String, linkable: bool) -> Entry {
        Entry {
            name,
            linkable,
            is_dir: false,
            size: None,
            modified: None,
        }
    }
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
