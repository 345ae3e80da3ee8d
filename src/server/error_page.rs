//! Step 3, for errors: the body of a `4xx` or `5xx`, in the form the client asked for.
//!
//! A person reading an error with `nc`, curl or httpget reads raw bytes on a terminal: an HTML
//! page is noise there (and `&#39;` for every apostrophe). A browser shows HTML. The request
//! says which it is: a browser's `Accept` names `text/html` (RFC 1945 §D.2.1 and RFC 9110
//! §12.5.1: the media types the client prefers), while curl sends `*/*`, httpget the same, and
//! `nc` nothing. So:
//!
//! - by default, [`plain`]: one line, `404 Not Found: There is nothing at /x on this server.`,
//!   as `text/plain; charset=utf-8`;
//! - when `Accept` names `text/html` ([`wants_html`]), [`html`]: a small page in the demo
//!   site's look (its colours inlined: the served folder may hold no stylesheet) with a link
//!   back to `/`.
//!
//! An error made before the request's headers could be read (`400` for a bad request line,
//! `408` for a head that never ended, `431`, …) has no `Accept` to go by, and is plain text.
//!
//! Try: `curl -i --http1.0 http://127.0.0.1:8080/nothing`, then open the same URL in a browser.

use crate::escape::html_escape;
use crate::status::Status;

use super::response::SERVER_NAME;

/// Whether an `Accept` header names `text/html` among its media ranges (`text/html`,
/// `text/html;q=0.9`, any case). `*/*` alone does not: curl sends it, and reads a terminal.
pub fn wants_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    accept.split(',').any(|range| {
        let media_type = range.split(';').next().unwrap_or_default().trim();
        media_type.eq_ignore_ascii_case("text/html")
    })
}

/// The one line a terminal user reads: status, reason, explanation. Control characters a
/// request may have put into the explanation (a decoded `%0A`) are written as escapes, so that
/// it stays one line.
pub fn plain(status: Status, explanation: &str) -> String {
    let mut line = format!("{} {}: ", status.code(), status.reason());
    for character in explanation.chars() {
        if character.is_control() {
            line.extend(character.escape_debug());
        } else {
            line.push(character);
        }
    }
    line.push('\n');
    line
}

/// The page a browser shows: the site's look and a way back. `explanation` may quote the
/// request: it is HTML-escaped, so a target such as `/<script>` is shown, never run.
pub fn html(status: Status, explanation: &str) -> String {
    let title = format!("{} {}", status.code(), status.reason());
    let explanation = html_escape(explanation);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\n<style>{STYLE}</style></head>\n\
         <body><header><h1>{title}</h1></header>\n<main><p>{explanation}</p>\n\
         <p><a href=\"/\">← Back to the front page</a></p>\n\
         <hr><address>{SERVER_NAME}</address></main></body></html>\n"
    )
}

/// The demo site's colours and fonts (`www/style.css`), the few an error page needs.
const STYLE: &str = "body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\
    \"Noto Sans\",sans-serif;font-size:1.05rem;line-height:1.55;color:#1d2330;\
    background:#fbfaf7}header{padding:1.5rem max(1rem,calc((100% - 60rem)/2));\
    background:#0b6e4f;color:#fff}h1{margin:0;font-size:2rem}main{max-width:60rem;\
    margin:1.5rem auto;padding:0 1rem;overflow-wrap:break-word}a{color:#0a5aa8}\
    address{color:#5a6272}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_ask_for_html_and_terminal_clients_do_not() {
        for (accept, want) in [
            (None, false),
            (Some("*/*"), false),
            (Some("text/plain"), false),
            (Some("application/json, text/*"), false),
            (Some("text/htmlx"), false),
            (
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                true,
            ),
            (Some("TEXT/HTML"), true),
            (Some("application/json, text/html ;q=0.5"), true),
        ] {
            assert_eq!(wants_html(accept), want, "{accept:?}");
        }
    }

    #[test]
    fn plain_errors_are_one_line_quoting_as_it_is() {
        let line = plain(Status::NotFound, "There is nothing at /it's\n<b>straße");
        assert_eq!(
            line,
            "404 Not Found: There is nothing at /it's\\n<b>straße\n"
        );
    }

    #[test]
    fn html_errors_escape_what_they_quote_and_lead_home() {
        let page = html(Status::NotFound, "No file at /<script>alert(1)</script>");
        assert!(page.contains("/&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("<a href=\"/\">"));
    }
}
