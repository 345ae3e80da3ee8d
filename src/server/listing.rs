//! A folder's listing: the HTML page a folder without `index.html` is answered with.
//!
//! `..` first (except at the root), then the entries sorted by name, folders marked with a
//! trailing `/`, each with its size and modification time. Every name is HTML-escaped for the
//! text ([`html_escape`]) and percent-encoded for the link ([`encode_segment`]), so a file
//! called `<b>#1?.txt` shows as it is and its link opens it.
//!
//! Try: `curl http://127.0.0.1:8080/files/` (the demo site's folder of awkward names).

use std::fs::{self, Metadata};
use std::path::Path;
use std::time::SystemTime;

use super::files::{refusal, status_for};
use super::response::{Response, SERVER_NAME};
use super::url_path::encode_segment;
use crate::date::{format_http_date, is_writable_as_http_date};
use crate::escape::html_escape;
use crate::status::Status;

/// One row of a folder listing.
struct Entry {
    name: String,
    is_dir: bool,
    size: Option<u64>,
    modified: Option<SystemTime>,
}

/// An HTML page listing a folder: `..` first (except at the root), then the entries sorted by
/// name, folders marked with a trailing `/`.
pub fn listing(dir: &Path, segments: &[String]) -> Response {
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
