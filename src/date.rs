//! HTTP dates (RFC 1945 §3.3), shared by the server (`Date`, `Last-Modified`, the access log)
//! and the client.
//!
//! RFC 1945 §3.3 prefers one format, RFC 1123's: `Sun, 06 Nov 1994 08:49:37 GMT`; HTTP/1.1
//! made it the only one a sender may write (RFC 9110 §5.6.7). Readers must also accept the two
//! older ones (RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and C's asctime `Sun Nov  6 08:49:37
//! 1994`); the `httpdate` crate reads all three, so we lean on it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The first second an HTTP date cannot show here: year 10000 (the format has four digits for
/// the year). The first it can show is the Unix epoch, 1 January 1970.
const END_OF_HTTP_DATES: Duration = Duration::from_secs(253_402_300_800);

/// Whether `time` lies between 1970 and the end of year 9999: what [`format_http_date`] can
/// write as it is. A file's time can lie outside (`touch -d 1960-01-01` is allowed).
pub fn is_writable_as_http_date(time: SystemTime) -> bool {
    time.duration_since(UNIX_EPOCH)
        .is_ok_and(|since_epoch| since_epoch < END_OF_HTTP_DATES)
}

/// Formats a time as an RFC 1123 date in GMT: the format RFC 1945 §3.3 prefers, and the only
/// one RFC 9110 §5.6.7 lets a sender write.
/// A time before 1970 is written as 1 January 1970, one after 9999 as its last second.
pub fn format_http_date(time: SystemTime) -> String {
    let latest = UNIX_EPOCH + END_OF_HTTP_DATES - Duration::from_secs(1);
    httpdate::fmt_http_date(time.clamp(UNIX_EPOCH, latest))
}

/// Reads a date in any of the three formats RFC 1945 §3.3 names; `None` if it is none of them
/// (a server then ignores the header, as §10.9 says for `If-Modified-Since`).
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(crate::headers::trim_ows(text)).ok()
}

/// Drops the sub-second part of a time: HTTP dates count whole seconds, so a file's mtime must be
/// compared with an `If-Modified-Since` date at that precision.
pub fn truncate_to_second(time: SystemTime) -> SystemTime {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since_epoch) => UNIX_EPOCH + Duration::from_secs(since_epoch.as_secs()),
        Err(_) => UNIX_EPOCH,
    }
}

/// Formats a time for the Common Log Format: `21/Nov/2026:10:00:00 +0000` (always GMT here).
pub fn format_log_date(time: SystemTime) -> String {
    // Rearranges the RFC 1123 form "Sat, 21 Nov 2026 10:00:00 GMT" rather than redoing
    // the calendar arithmetic.
    let rfc1123 = format_http_date(time);
    let parts: Vec<&str> = rfc1123.split(' ').collect();
    match parts.as_slice() {
        [_weekday, day, month, year, clock, _gmt] => format!("{day}/{month}/{year}:{clock} +0000"),
        _ => rfc1123,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: u64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT, RFC 1945's own example

    #[test]
    fn times_outside_1970_to_9999_are_written_as_the_nearest_date() {
        let before = UNIX_EPOCH - Duration::from_secs(86_400);
        let after = UNIX_EPOCH + END_OF_HTTP_DATES + Duration::from_secs(86_400);
        assert!(!is_writable_as_http_date(before) && !is_writable_as_http_date(after));
        assert!(is_writable_as_http_date(UNIX_EPOCH));
        assert_eq!(format_http_date(before), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_http_date(after), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn reads_the_three_formats_of_rfc_1945() {
        let want = Some(UNIX_EPOCH + Duration::from_secs(EXAMPLE));
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(text), want, "{text}");
        }
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn writes_rfc_1123_and_log_dates() {
        let time = UNIX_EPOCH + Duration::from_millis(EXAMPLE * 1000 + 999);
        assert_eq!(format_http_date(time), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format_log_date(time), "06/Nov/1994:08:49:37 +0000");
        assert_eq!(
            truncate_to_second(time),
            UNIX_EPOCH + Duration::from_secs(EXAMPLE)
        );
    }
}
