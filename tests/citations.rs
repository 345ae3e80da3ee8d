//! Every `RFC N §X` the crate cites names a section RFC N really has.
//!
//! The code quotes the rule beside the rule (STYLE.md), and a citation is only as good as its
//! section number: a student who looks up `RFC 9110 §2.5` for the response version finds the
//! wrong page. So this test reads each citation in `src/`, `README.md`, `www/` (and in
//! `examples/`, `tests/`, `bench/README.md` and the fuzz targets) and looks its section up in
//! the tables below: section numbers and titles, as the RFCs' tables of contents give them.
//!
//! A citation is `RFC N §X`, `RFC N Appendix X`, and the sections listed right after one
//! (`RFC 1945 §7.2.2, §10.4`), also across the lines of a comment. A bare `§X` further on
//! is not attributed: write the RFC again. A section missing from a table fails the test even
//! if the RFC has it: check the number in the RFC's contents, then add it with its title.

use std::path::{Path, PathBuf};

/// RFC 1945, HTTP/1.0: the whole table of contents.
const RFC_1945: &[(&str, &str)] = &[
    ("1", "Introduction"),
    ("1.1", "Purpose"),
    ("1.2", "Terminology"),
    ("1.3", "Overall Operation"),
    ("1.4", "HTTP and MIME"),
    ("2", "Notational Conventions and Generic Grammar"),
    ("2.1", "Augmented BNF"),
    ("2.2", "Basic Rules"),
    ("3", "Protocol Parameters"),
    ("3.1", "HTTP Version"),
    ("3.2", "Uniform Resource Identifiers"),
    ("3.2.1", "General Syntax"),
    ("3.2.2", "http URL"),
    ("3.3", "Date/Time Formats"),
    ("3.4", "Character Sets"),
    ("3.5", "Content Codings"),
    ("3.6", "Media Types"),
    ("3.6.1", "Canonicalization and Text Defaults"),
    ("3.6.2", "Multipart Types"),
    ("3.7", "Product Tokens"),
    ("4", "HTTP Message"),
    ("4.1", "Message Types"),
    ("4.2", "Message Headers"),
    ("4.3", "General Header Fields"),
    ("5", "Request"),
    ("5.1", "Request-Line"),
    ("5.1.1", "Method"),
    ("5.1.2", "Request-URI"),
    ("5.2", "Request Header Fields"),
    ("6", "Response"),
    ("6.1", "Status-Line"),
    ("6.1.1", "Status Code and Reason Phrase"),
    ("6.2", "Response Header Fields"),
    ("7", "Entity"),
    ("7.1", "Entity Header Fields"),
    ("7.2", "Entity Body"),
    ("7.2.1", "Type"),
    ("7.2.2", "Length"),
    ("8", "Method Definitions"),
    ("8.1", "GET"),
    ("8.2", "HEAD"),
    ("8.3", "POST"),
    ("9", "Status Code Definitions"),
    ("9.1", "Informational 1xx"),
    ("9.2", "Successful 2xx"),
    ("9.3", "Redirection 3xx"),
    ("9.4", "Client Error 4xx"),
    ("9.5", "Server Error 5xx"),
    ("10", "Header Field Definitions"),
    ("10.1", "Allow"),
    ("10.2", "Authorization"),
    ("10.3", "Content-Encoding"),
    ("10.4", "Content-Length"),
    ("10.5", "Content-Type"),
    ("10.6", "Date"),
    ("10.7", "Expires"),
    ("10.8", "From"),
    ("10.9", "If-Modified-Since"),
    ("10.10", "Last-Modified"),
    ("10.11", "Location"),
    ("10.12", "Pragma"),
    ("10.13", "Referer"),
    ("10.14", "Server"),
    ("10.15", "User-Agent"),
    ("10.16", "WWW-Authenticate"),
    ("11", "Access Authentication"),
    ("11.1", "Basic Authentication Scheme"),
    ("12", "Security Considerations"),
    ("12.1", "Authentication of Clients"),
    ("12.2", "Safe Methods"),
    ("12.3", "Abuse of Server Log Information"),
    ("12.4", "Transfer of Sensitive Information"),
    ("12.5", "Attacks Based On File and Path Names"),
    ("13", "Acknowledgments"),
    ("14", "References"),
    ("15", "Authors' Addresses"),
    ("A", "Internet Media Type message/http"),
    ("B", "Tolerant Applications"),
    ("C", "Relationship to MIME"),
    ("C.1", "Conversion to Canonical Form"),
    ("C.2", "Conversion of Date Formats"),
    ("C.3", "Introduction of Content-Encoding"),
    ("C.4", "No Content-Transfer-Encoding"),
    ("C.5", "HTTP Header Fields in Multipart Body-Parts"),
    ("D", "Additional Features"),
    ("D.1", "Additional Request Methods"),
    ("D.2", "Additional Header Field Definitions"),
    ("D.2.1", "Accept"),
];

/// RFC 2068, the first HTTP/1.1: the top level, and the sections cited.
const RFC_2068: &[(&str, &str)] = &[
    ("1", "Introduction"),
    ("2", "Notational Conventions and Generic Grammar"),
    ("3", "Protocol Parameters"),
    ("4", "HTTP Message"),
    ("4.1", "Message Types"),
    ("4.2", "Message Headers"),
    ("4.3", "Message Body"),
    ("4.4", "Message Length"),
    ("4.5", "General Header Fields"),
    ("5", "Request"),
    ("6", "Response"),
    ("7", "Entity"),
    ("8", "Connections"),
    ("9", "Method Definitions"),
    ("10", "Status Code Definitions"),
    ("11", "Access Authentication"),
    ("12", "Content Negotiation"),
    ("13", "Caching in HTTP"),
    ("14", "Header Field Definitions"),
    ("15", "Security Considerations"),
    ("16", "Acknowledgments"),
    ("17", "References"),
    ("18", "Authors' Addresses"),
    ("19", "Appendices"),
    ("19.7", "Compatibility with Previous Versions"),
    (
        "19.7.1",
        "Compatibility with HTTP/1.0 Persistent Connections",
    ),
];

/// RFC 2145, Use and Interpretation of HTTP Version Numbers: the whole table of contents.
const RFC_2145: &[(&str, &str)] = &[
    ("1", "Introduction"),
    ("1.1", "Robustness Principle"),
    ("2", "HTTP version numbers"),
    ("2.1", "Proxy behavior"),
    (
        "2.2",
        "Compatibility between minor versions of the same major version",
    ),
    ("2.3", "Which version number to send in a message"),
    ("3", "Security Considerations"),
    ("4", "References"),
    ("5", "Authors' addresses"),
];

/// RFC 3986, URI Generic Syntax: sections 1 to 5, and the top level.
const RFC_3986: &[(&str, &str)] = &[
    ("1", "Introduction"),
    ("2", "Characters"),
    ("2.1", "Percent-Encoding"),
    ("2.2", "Reserved Characters"),
    ("2.3", "Unreserved Characters"),
    ("2.4", "When to Encode or Decode"),
    ("2.5", "Identifying Data"),
    ("3", "Syntax Components"),
    ("3.1", "Scheme"),
    ("3.2", "Authority"),
    ("3.2.1", "User Information"),
    ("3.2.2", "Host"),
    ("3.2.3", "Port"),
    ("3.3", "Path"),
    ("3.4", "Query"),
    ("3.5", "Fragment"),
    ("4", "Usage"),
    ("5", "Reference Resolution"),
    ("5.1", "Establishing a Base URI"),
    ("5.2", "Relative Resolution"),
    ("5.2.1", "Pre-parse the Base URI"),
    ("5.2.2", "Transform References"),
    ("5.2.3", "Merge Paths"),
    ("5.2.4", "Remove Dot Segments"),
    ("5.3", "Component Recomposition"),
    ("5.4", "Reference Resolution Examples"),
    ("6", "Normalization and Comparison"),
    ("7", "Security Considerations"),
    ("8", "IANA Considerations"),
    ("9", "Acknowledgements"),
    ("10", "References"),
];

/// RFC 4648, Base16, Base32 and Base64: the top level.
const RFC_4648: &[(&str, &str)] = &[
    ("1", "Introduction"),
    ("2", "Conventions Used in This Document"),
    ("3", "Implementation Discrepancies"),
    ("4", "Base 64 Encoding"),
    ("5", "Base 64 Encoding with URL and Filename Safe Alphabet"),
    ("6", "Base 32 Encoding"),
    ("7", "Base 32 Encoding with Extended Hex Alphabet"),
    ("8", "Base 16 Encoding"),
    ("9", "Illustrations and Examples"),
    ("10", "Test Vectors"),
    ("11", "ISO C99 Implementation of Base64"),
    ("12", "Security Considerations"),
    ("13", "Acknowledgements"),
    ("14", "Copying Conditions"),
    ("15", "References"),
];

/// RFC 8259, The JavaScript Object Notation (JSON) Data Interchange Format: `httpget -w
/// '%{json}'` writes its strings by §7.
const RFC_8259: &[(&str, &str)] = &[
    ("1", "Introduction"),
    ("2", "JSON Grammar"),
    ("3", "Values"),
    ("4", "Objects"),
    ("5", "Arrays"),
    ("6", "Numbers"),
    ("7", "Strings"),
    ("8", "String and Character Issues"),
    ("9", "Parsers"),
    ("10", "Generators"),
    ("11", "IANA Considerations"),
    ("12", "Security Considerations"),
    ("13", "Examples"),
    ("14", "References"),
];

/// RFC 9110, HTTP Semantics: the top level, and the parts of it this crate lives in.
const RFC_9110: &[(&str, &str)] = &[
    ("1", "Introduction"),
    ("2", "Conformance"),
    ("2.1", "Syntax Notation"),
    ("2.2", "Requirements Notation"),
    ("2.3", "Length Requirements"),
    ("2.4", "Error Handling"),
    ("2.5", "Protocol Version"),
    ("3", "Terminology and Core Concepts"),
    ("4", "Identifiers in HTTP"),
    ("4.1", "URI References"),
    ("4.2", "HTTP-Related URI Schemes"),
    ("4.2.1", "http URI Scheme"),
    ("4.2.2", "https URI Scheme"),
    ("4.2.3", "http(s) Normalization and Comparison"),
    ("4.2.4", "Deprecation of userinfo in http(s) URIs"),
    ("4.2.5", "http(s) References with Fragment Identifiers"),
    ("5", "Fields"),
    ("5.1", "Field Names"),
    ("5.2", "Field Lines and Combined Field Value"),
    ("5.3", "Field Order"),
    ("5.4", "Field Limits"),
    ("5.5", "Field Values"),
    ("5.6", "Common Rules for Defining Field Values"),
    ("5.6.1", "Lists (#rule ABNF Extension)"),
    ("5.6.2", "Tokens"),
    ("5.6.3", "Whitespace"),
    ("5.6.4", "Quoted Strings"),
    ("5.6.5", "Comments"),
    ("5.6.6", "Parameters"),
    ("5.6.7", "Date/Time Formats"),
    ("6", "Message Abstraction"),
    ("6.1", "Framing and Completeness"),
    ("6.2", "Control Data"),
    ("6.3", "Header Fields"),
    ("6.4", "Content"),
    ("6.5", "Trailer Fields"),
    ("6.6", "Message Metadata"),
    ("6.6.1", "Date"),
    ("6.6.2", "Trailer"),
    ("7", "Routing HTTP Messages"),
    ("7.1", "Determining the Target Resource"),
    ("7.2", "Host and :authority"),
    ("7.3", "Routing Inbound Requests"),
    ("7.4", "Rejecting Misdirected Requests"),
    ("7.5", "Response Correlation"),
    ("7.6", "Message Forwarding"),
    ("7.6.1", "Connection"),
    ("7.6.2", "Max-Forwards"),
    ("7.6.3", "Via"),
    ("7.7", "Message Transformations"),
    ("7.8", "Upgrade"),
    ("8", "Representation Data and Metadata"),
    ("8.1", "Representation Data"),
    ("8.2", "Representation Metadata"),
    ("8.3", "Content-Type"),
    ("8.4", "Content-Encoding"),
    ("8.5", "Content-Language"),
    ("8.6", "Content-Length"),
    ("8.7", "Content-Location"),
    ("8.8", "Validator Fields"),
    ("8.8.1", "Weak versus Strong"),
    ("8.8.2", "Last-Modified"),
    ("8.8.3", "ETag"),
    ("9", "Methods"),
    ("9.1", "Overview"),
    ("9.2", "Common Method Properties"),
    ("9.3", "Method Definitions"),
    ("9.3.1", "GET"),
    ("9.3.2", "HEAD"),
    ("9.3.3", "POST"),
    ("9.3.4", "PUT"),
    ("9.3.5", "DELETE"),
    ("9.3.6", "CONNECT"),
    ("9.3.7", "OPTIONS"),
    ("9.3.8", "TRACE"),
    ("10", "Message Context"),
    ("10.1", "Request Context Fields"),
    ("10.1.1", "Expect"),
    ("10.1.2", "From"),
    ("10.1.3", "Referer"),
    ("10.1.4", "TE"),
    ("10.1.5", "User-Agent"),
    ("10.2", "Response Context Fields"),
    ("10.2.1", "Allow"),
    ("10.2.2", "Location"),
    ("10.2.3", "Retry-After"),
    ("10.2.4", "Server"),
    ("11", "HTTP Authentication"),
    ("12", "Content Negotiation"),
    ("12.5", "Content Negotiation Fields"),
    ("12.5.1", "Accept"),
    ("13", "Conditional Requests"),
    ("13.1", "Preconditions"),
    ("13.1.1", "If-Match"),
    ("13.1.2", "If-None-Match"),
    ("13.1.3", "If-Modified-Since"),
    ("13.1.4", "If-Unmodified-Since"),
    ("13.1.5", "If-Range"),
    ("13.2", "Evaluation of Preconditions"),
    ("14", "Range Requests"),
    ("15", "Status Codes"),
    ("15.1", "Overview of Status Codes"),
    ("15.2", "Informational 1xx"),
    ("15.2.1", "100 Continue"),
    ("15.2.2", "101 Switching Protocols"),
    ("15.3", "Successful 2xx"),
    ("15.3.1", "200 OK"),
    ("15.3.5", "204 No Content"),
    ("15.4", "Redirection 3xx"),
    ("15.4.1", "300 Multiple Choices"),
    ("15.4.2", "301 Moved Permanently"),
    ("15.4.3", "302 Found"),
    ("15.4.4", "303 See Other"),
    ("15.4.5", "304 Not Modified"),
    ("15.4.6", "305 Use Proxy"),
    ("15.4.7", "306 (Unused)"),
    ("15.4.8", "307 Temporary Redirect"),
    ("15.4.9", "308 Permanent Redirect"),
    ("15.5", "Client Error 4xx"),
    ("15.5.1", "400 Bad Request"),
    ("15.5.2", "401 Unauthorized"),
    ("15.5.3", "402 Payment Required"),
    ("15.5.4", "403 Forbidden"),
    ("15.5.5", "404 Not Found"),
    ("15.5.6", "405 Method Not Allowed"),
    ("15.5.7", "406 Not Acceptable"),
    ("15.5.8", "407 Proxy Authentication Required"),
    ("15.5.9", "408 Request Timeout"),
    ("15.5.10", "409 Conflict"),
    ("15.5.11", "410 Gone"),
    ("15.5.12", "411 Length Required"),
    ("15.5.13", "412 Precondition Failed"),
    ("15.5.14", "413 Content Too Large"),
    ("15.5.15", "414 URI Too Long"),
    ("15.5.16", "415 Unsupported Media Type"),
    ("15.5.17", "416 Range Not Satisfiable"),
    ("15.5.18", "417 Expectation Failed"),
    ("15.5.19", "418 (Unused)"),
    ("15.5.20", "421 Misdirected Request"),
    ("15.5.21", "422 Unprocessable Content"),
    ("15.5.22", "426 Upgrade Required"),
    ("15.6", "Server Error 5xx"),
    ("15.6.1", "500 Internal Server Error"),
    ("15.6.2", "501 Not Implemented"),
    ("15.6.3", "502 Bad Gateway"),
    ("15.6.4", "503 Service Unavailable"),
    ("15.6.5", "504 Gateway Timeout"),
    ("15.6.6", "505 HTTP Version Not Supported"),
    ("16", "Extending HTTP"),
    ("17", "Security Considerations"),
    ("18", "IANA Considerations"),
    ("19", "References"),
];

/// RFC 9112, HTTP/1.1 (the message syntax): sections 1 to 11.
const RFC_9112: &[(&str, &str)] = &[
    ("1", "Introduction"),
    ("1.1", "Requirements Notation"),
    ("1.2", "Syntax Notation"),
    ("2", "Message"),
    ("2.1", "Message Format"),
    ("2.2", "Message Parsing"),
    ("2.3", "HTTP Version"),
    ("3", "Request Line"),
    ("3.1", "Method"),
    ("3.2", "Request Target"),
    ("3.2.1", "origin-form"),
    ("3.2.2", "absolute-form"),
    ("3.2.3", "authority-form"),
    ("3.2.4", "asterisk-form"),
    ("3.3", "Reconstructing the Target URI"),
    ("4", "Status Line"),
    ("5", "Field Syntax"),
    ("5.1", "Field Line Parsing"),
    ("5.2", "Obsolete Line Folding"),
    ("6", "Message Body"),
    ("6.1", "Transfer-Encoding"),
    ("6.2", "Content-Length"),
    ("6.3", "Message Body Length"),
    ("7", "Transfer Codings"),
    ("7.1", "Chunked Transfer Coding"),
    ("7.1.1", "Chunk Extensions"),
    ("7.1.2", "Chunked Trailer Section"),
    ("7.1.3", "Decoding Chunked"),
    ("7.2", "Transfer Codings for Compression"),
    ("7.3", "Transfer Coding Registry"),
    ("7.4", "Negotiating Transfer Codings"),
    ("8", "Handling Incomplete Messages"),
    ("9", "Connection Management"),
    ("9.1", "Establishment"),
    ("9.2", "Associating a Response to a Request"),
    ("9.3", "Persistence"),
    ("9.3.1", "Retrying Requests"),
    ("9.3.2", "Pipelining"),
    ("9.4", "Concurrency"),
    ("9.5", "Failures and Timeouts"),
    ("9.6", "Tear-down"),
    ("9.7", "TLS Connection Initiation"),
    ("9.8", "TLS Connection Closure"),
    ("10", "Enclosing Messages as Data"),
    ("11", "Security Considerations"),
    ("11.1", "Response Splitting"),
    ("11.2", "Request Smuggling"),
    ("11.3", "Message Integrity"),
    ("11.4", "Message Confidentiality"),
    ("12", "IANA Considerations"),
    ("13", "References"),
];

/// The RFCs whose sections are checked.
const TABLES: &[(u32, &[(&str, &str)])] = &[
    (1945, RFC_1945),
    (2068, RFC_2068),
    (2145, RFC_2145),
    (3986, RFC_3986),
    (4648, RFC_4648),
    (8259, RFC_8259),
    (9110, RFC_9110),
    (9112, RFC_9112),
];

/// RFCs cited by section whose sections are not in a table: their citations pass unchecked.
/// Each is cited once or twice, outside the protocol this crate teaches.
const KNOWN_UNCHECKED: &[(u32, &str)] = &[
    (6761, "Special-Use Domain Names (a test's `.invalid` host)"),
    (8446, "TLS 1.3 (why an https:// URL gets no HTTP reply)"),
    (9000, "QUIC (a UDP lesson's note on address validation)"),
];

/// Where the citations are read: folders (every text file below) and single files.
const PLACES: &[&str] = &[
    "src",
    "README.md",
    "www",
    "examples",
    "tests",
    "bench/README.md",
    "fuzz/fuzz_targets",
];

/// The kinds of file read; anything else (images, a big download in `www/big/`) is not text.
const TEXT_EXTENSIONS: &[&str] = &["rs", "md", "html", "txt", "css", "js"];

/// One citation: where it stands and what it names.
#[derive(Debug, PartialEq)]
struct Citation {
    line: usize,
    rfc: u32,
    section: String,
}

/// The citations in `text`. A comment's lines are read as one text, without their `//`, `///`,
/// `//!` or `*`, so a citation broken over two lines is still found.
fn citations_in(text: &str) -> Vec<Citation> {
    let mut flat = String::new();
    let mut line_starts = Vec::new();
    for line in text.lines() {
        line_starts.push(flat.len());
        let line = line.trim_start();
        let line = ["//!", "///", "//", "*"]
            .iter()
            .find_map(|marker| line.strip_prefix(marker))
            .unwrap_or(line);
        flat.push_str(line.trim());
        flat.push(' ');
    }
    let line_of = |offset: usize| line_starts.partition_point(|&start| start <= offset);

    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = flat[from..].find("RFC") {
        let start = from + at;
        from = start + "RFC".len();
        let rest = &flat[from..];
        let after_space = rest.trim_start();
        if after_space.len() == rest.len() {
            continue; // `RFC1945` or a word such as `RFCs`: no number follows a space
        }
        let digits = after_space.len()
            - after_space
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let Ok(rfc) = after_space[..digits].parse::<u32>() else {
            continue;
        };
        let mut cursor = after_space[digits..].trim_start();
        if let Some(appendix) = cursor.strip_prefix("Appendix ") {
            let section = section_number(appendix);
            if !section.is_empty() {
                found.push(Citation {
                    line: line_of(start),
                    rfc,
                    section: section.to_string(),
                });
            }
            continue;
        }
        // `§X`, then any `, §Y`, `; §Y`, `and §Y` or `or §Y` that follow it.
        while let Some(after_sign) = cursor.strip_prefix('§') {
            let section = section_number(after_sign);
            if section.is_empty() {
                break;
            }
            found.push(Citation {
                line: line_of(start),
                rfc,
                section: section.to_string(),
            });
            let next = after_sign[section.len()..].trim_start();
            let next = next.strip_prefix([',', ';']).unwrap_or(next).trim_start();
            let next = next
                .strip_prefix("and ")
                .or_else(|| next.strip_prefix("or "))
                .unwrap_or(next);
            cursor = next.trim_start();
        }
    }
    found
}

/// The section number at the start of `text`: `10.9` of `10.9.`, `B` of `B,`.
fn section_number(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c.is_ascii_uppercase() || c == '.'))
        .unwrap_or(text.len());
    text[..end].trim_end_matches('.')
}

/// What is wrong with a citation, if anything.
fn problem(citation: &Citation) -> Option<String> {
    let Citation { rfc, section, .. } = citation;
    if KNOWN_UNCHECKED.iter().any(|(known, _)| known == rfc) {
        return None;
    }
    let Some((_, table)) = TABLES.iter().find(|(number, _)| number == rfc) else {
        return Some(format!(
            "RFC {rfc} is in no table of tests/citations.rs: add its sections there, or list \
             it in KNOWN_UNCHECKED"
        ));
    };
    if table.iter().any(|(number, _)| number == section) {
        return None;
    }
    Some(format!(
        "RFC {rfc} has no section {section} in the table of tests/citations.rs: check the \
         number against the RFC's contents (and add it, with its title, if the RFC has it)"
    ))
}

fn text_files(place: &Path, files: &mut Vec<PathBuf>) {
    if place.is_file() {
        let is_text = place
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| TEXT_EXTENSIONS.contains(&extension));
        if is_text {
            files.push(place.to_path_buf());
        }
        return;
    }
    let Ok(entries) = std::fs::read_dir(place) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        text_files(&path, files);
    }
}

#[test]
fn every_cited_rfc_section_is_a_section_of_that_rfc() {
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for place in PLACES {
        text_files(&crate_root.join(place), &mut files);
    }
    let this_file = crate_root.join("tests").join("citations.rs");
    let mut checked = 0;
    let mut problems = Vec::new();
    for file in files.iter().filter(|file| **file != this_file) {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue; // not UTF-8: not a file anybody cites in
        };
        for citation in citations_in(&text) {
            checked += 1;
            if let Some(problem) = problem(&citation) {
                let shown = file.strip_prefix(crate_root).unwrap_or(file);
                problems.push(format!("{}:{}: {problem}", shown.display(), citation.line));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} citations found: is the scan still reading the crate?"
    );
    assert!(
        problems.is_empty(),
        "{} citation(s) name no section of their RFC:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn citations_are_found_in_lists_across_comment_lines_and_in_appendices() {
    let text = "//! a body (RFC 1945 §7.2.2, §10.4 and §8.3); see RFC\n\
                //! 9110 §15.5.14. Tolerant: RFC 1945 Appendix B, RFC 2145 §2.3's rule.\n\
                no section: RFC 1123, RFCs, RFC1945 §3.3; not attributed: §5.1\n";
    let found: Vec<(usize, u32, String)> = citations_in(text)
        .into_iter()
        .map(|citation| (citation.line, citation.rfc, citation.section))
        .collect();
    let want = [
        (1, 1945, "7.2.2"),
        (1, 1945, "10.4"),
        (1, 1945, "8.3"),
        (1, 9110, "15.5.14"),
        (2, 1945, "B"),
        (2, 2145, "2.3"),
    ]
    .map(|(line, rfc, section)| (line, rfc, section.to_string()));
    assert_eq!(found, want);
}

#[test]
fn a_section_the_rfc_does_not_have_is_a_problem_and_so_is_an_unknown_rfc() {
    for (rfc, section, fails) in [
        (9110, "6.2", false),
        (1945, "10.9", false),
        (1945, "5.1.9", true),
        (9112, "6.3.1", true),
        (9110, "2.5.1", true),
        (7230, "3.3.3", true),
        (8446, "5.1", false),
    ] {
        let citation = Citation {
            line: 1,
            rfc,
            section: section.to_string(),
        };
        assert_eq!(problem(&citation).is_some(), fails, "RFC {rfc} §{section}");
    }
}

/// The tables are read by people too: in order, no number twice, and every section's parent
/// is there (a typo such as `15.5.41` for `15.5.14` would otherwise stand alone).
#[test]
fn every_table_lists_each_section_once_under_its_parent() {
    for (rfc, table) in TABLES {
        for (index, (number, title)) in table.iter().enumerate() {
            assert!(!title.is_empty(), "RFC {rfc} §{number} has no title");
            let earlier = &table[..index];
            assert!(
                !earlier.iter().any(|(other, _)| other == number),
                "RFC {rfc} §{number} is listed twice"
            );
            if let Some((parent, _)) = number.rsplit_once('.') {
                assert!(
                    earlier.iter().any(|(other, _)| *other == parent),
                    "RFC {rfc} §{number} comes before, or without, its parent §{parent}"
                );
            }
        }
    }
}
