//! The demo site in `www/`, as a browser sees it.
//!
//! Two tests need no browser: every link and resource in `www/`'s pages leads somewhere, and
//! `data.json` tells the truth about content types. The third drives a real headless Chromium
//! through chromedriver (see `support/browser.rs`): the lab sheet loads with its stylesheet, image
//! and favicon and no failed request, the uppercase form submitted by a click comes back in
//! capitals, `/echo` shows the browser its own `User-Agent`, and the lesson page, a listing and
//! the non-ASCII notes load too. Without Chromium and
//! chromedriver, `cargo test` lists it as ignored (and with `CI` set, it fails): see `build.rs`.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::browser::{base64_decode, find_programs, Browser};
use support::Server;

/// How long in-page conditions (a script has run, a form's answer has loaded) may take.
const PAGE_PATIENCE: Duration = Duration::from_secs(15);

fn www() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www")
}

/// The request line and status of an access-log line:
/// `127.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 6012`.
fn logged_request(line: &str) -> Option<(String, u16)> {
    let start = line.find('"')?;
    let end = line.rfind('"')?;
    let request_line = line.get(start + 1..end)?;
    let status = line
        .get(end + 1..)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((request_line.to_string(), status))
}

/// The status the server logged for `GET path`, waiting (bounded) for the line to appear.
fn logged_status(server: &Server, path: &str) -> u16 {
    let wanted = format!("GET {path} HTTP/");
    let line = server.wait_for_stderr(|line| {
        logged_request(line).is_some_and(|(request, _)| request.starts_with(&wanted))
    });
    logged_request(&line).expect("matched above").1
}

/// Every `href` and `src` value in an HTML page (form actions are the routes, tested apart).
fn links_in(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in [" href=\"", " src=\""] {
        for (start, _) in html.match_indices(attribute) {
            let value_start = start + attribute.len();
            if let Some(length) = html[value_start..].find('"') {
                links.push(html[value_start..value_start + length].to_string());
            }
        }
    }
    links
}

/// Resolves a link found in the page at `page_path` (`/lesson/`) to an absolute path.
fn resolve(page_path: &str, link: &str) -> String {
    if link.starts_with('/') {
        return link.to_string();
    }
    let mut segments: Vec<&str> = page_path.split('/').filter(|s| !s.is_empty()).collect();
    if !page_path.ends_with('/') {
        segments.pop();
    }
    let (link_path, query) = match link.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (link, None),
    };
    for part in link_path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            name => segments.push(name),
        }
    }
    let mut path = format!("/{}", segments.join("/"));
    if link_path.ends_with('/') && !path.ends_with('/') {
        path.push('/');
    }
    if let Some(query) = query {
        path = format!("{path}?{query}");
    }
    path
}

#[test]
fn links_are_resolved_like_a_browser_resolves_them() {
    for (page, link, want) in [
        ("/", "/style.css", "/style.css"),
        ("/lesson/", "../style.css", "/style.css"),
        ("/lesson/", "../images/logo.svg", "/images/logo.svg"),
        ("/lesson/", "page.html", "/lesson/page.html"),
        ("/lesson/index.html", "../files/", "/files/"),
        ("/", "echo?show=crlf", "/echo?show=crlf"),
    ] {
        assert_eq!(resolve(page, link), want, "{link} from {page}");
    }
}

#[test]
fn every_link_and_resource_in_www_leads_somewhere() {
    let server = Server::start(&www(), &[]);
    let mut checked = 0;
    for (file, page_path) in [("index.html", "/"), ("lesson/index.html", "/lesson/")] {
        let html = fs::read_to_string(www().join(file)).expect("read a page of www/");
        for link in links_in(&html) {
            if link.starts_with("http") || link.starts_with('#') {
                continue; // external links are links, not resources the page loads
            }
            let path = resolve(page_path, &link);
            let reply = server.get(&format!("GET {path} HTTP/1.0\r\n\r\n"));
            // The lab sheet links to one missing page on purpose, to show a 404.
            let want_missing = path == "/no-such-page";
            let ok = if want_missing {
                reply.status() == 404
            } else {
                (200..400).contains(&reply.status())
            };
            assert!(ok, "{file}: {link} → {path} answered {}", reply.status());
            checked += 1;
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: is the scanner broken?"
    );
}

#[test]
fn data_json_lists_the_content_types_the_server_really_sends() {
    let server = Server::start(&www(), &[]);
    let text = fs::read_to_string(www().join("data.json")).expect("read www/data.json");
    let data: serde_json::Value = serde_json::from_str(&text).expect("data.json is JSON");
    let files = data["files"]
        .as_array()
        .expect("data.json has a files list");
    assert!(files.len() >= 8);
    for file in files {
        let path = file["path"].as_str().expect("each file has a path");
        let reply = server.get(&format!("HEAD {path} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 200, "{path}");
        assert_eq!(
            reply.header("Content-Type").as_deref(),
            file["type"].as_str(),
            "{path}"
        );
    }
}

#[test]
fn base64_decodes_the_rfc_4648_test_vectors() {
    for (input, want) in [
        ("", ""),
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"),
        ("Zm9v\nYmFy", "foobar"),
    ] {
        assert_eq!(
            base64_decode(input),
            Ok(want.as_bytes().to_vec()),
            "{input}"
        );
    }
    assert!(base64_decode("Zm9v*").is_err());
}

#[test]
#[cfg_attr(
    other_os,
    ignore = "built for another OS (run under wine): this machine's Chromium cannot be started"
)]
#[cfg_attr(
    all(not(has_chromium), not(other_os)),
    ignore = "chromium or chromedriver not found on PATH"
)]
/// One Chromium for both checks (two started at once on two cores took seconds each): the
/// lab sheet driven as a student would, then every page at a projector's width.
fn a_real_browser_loads_the_lab_submits_the_upper_form_and_sees_its_own_echo() {
    let programs = find_programs().unwrap_or_else(|reason| panic!("{reason}"));
    let server = Server::start(&www(), &[]);
    let profile = tempfile::tempdir().expect("create a Chromium profile folder");
    let browser = Browser::open(&programs, profile.path()).unwrap_or_else(|error| {
        panic!("could not start headless Chromium through chromedriver: {error}")
    });
    if let Err(error) = drive(&browser, &server) {
        panic!("{error}\nserver log:\n{}", server.stderr().join("\n"));
    }
    // Every page fits a 1280 px projector and names its own server.
    if let Err(error) = check_pages(&browser, &server) {
        panic!("{error}\nserver log:\n{}", server.stderr().join("\n"));
    }
    // `httpserve --live`, in the same Chromium: the page shows a request made after it opened.
    let live = Server::start(&www(), &["--live"]);
    if let Err(error) = check_live(&browser, &live) {
        panic!("{error}\nserver log:\n{}", live.stderr().join("\n"));
    }
    // The session closes, and chromedriver is killed, when `browser` drops here.
}

/// The live page (`httpserve --live`): it connects, marks its own stream, and shows a request
/// made after it opened, with its status; a screenshot is left for a person to look at.
fn check_live(browser: &Browser, server: &Server) -> Result<(), String> {
    browser.goto(&server.url("/_live"))?;
    browser.wait_until(
        "the live page to receive its first rows",
        "return document.getElementById('link').textContent === 'live'
                && document.querySelectorAll('#rows tr.you').length === 1;",
        PAGE_PATIENCE,
    )?;
    // A pre-connect (a socket with no request yet), then a request on a connection of its own.
    let _preconnect = server.connect();
    let reply = server.get("GET /notes.txt?from-the-test HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 200);
    browser.wait_until(
        "the request made after the page opened to show, with its status",
        "return Array.from(document.querySelectorAll('#rows tr')).some(tr =>
           tr.textContent.includes('GET /notes.txt?from-the-test HTTP/1.0')
           && tr.textContent.includes('200') && tr.textContent.includes('closed'));",
        PAGE_PATIENCE,
    )?;
    browser.wait_until(
        "the pre-connect to show as connected",
        "return Array.from(document.querySelectorAll('#rows tr'))
           .some(tr => tr.textContent.includes('connected'));",
        PAGE_PATIENCE,
    )?;
    let screenshot = browser.screenshot()?;
    let shot_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-live.png");
    fs::write(&shot_path, &screenshot)
        .map_err(|error| format!("saving the screenshot: {error}"))?;
    println!("screenshot of the live page: {}", shot_path.display());
    Ok(())
}

/// The browser's side of the test; every step returns an error instead of hanging.
fn drive(browser: &Browser, server: &Server) -> Result<(), String> {
    // 1. The lab sheet, with everything it loads.
    browser.goto(&server.url("/"))?;
    browser.wait_until(
        "app.js to render data.json into the table",
        "return document.querySelectorAll('#types-body tr a').length >= 8;",
        PAGE_PATIENCE,
    )?;
    let page = browser.eval(
        "const logo = document.getElementById('logo');
         return {
           title: document.title,
           logoWidth: logo.naturalWidth,
           logoComplete: logo.complete,
           headerColor: getComputedStyle(document.querySelector('header')).backgroundColor,
           origin: document.querySelector('.origin').textContent,
         };",
    )?;
    assert_eq!(page["title"], "http10 lab — HTTP/1.0 by hand", "{page}");
    assert_eq!(page["logoComplete"], true, "{page}");
    assert!(
        page["logoWidth"].as_u64() > Some(0),
        "the logo did not decode: {page}"
    );
    assert_eq!(
        page["headerColor"], "rgb(11, 110, 79)",
        "style.css was not applied: {page}"
    );
    assert_eq!(page["origin"], server.url(""), "app.js did not run: {page}");

    for path in [
        "/",
        "/style.css",
        "/app.js",
        "/images/logo.svg",
        "/data.json",
        "/favicon.ico",
    ] {
        assert_eq!(logged_status(server, path), 200, "GET {path}");
    }

    let screenshot = browser.screenshot()?;
    assert!(screenshot.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let shot_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-index.png");
    fs::write(&shot_path, &screenshot)
        .map_err(|error| format!("saving the screenshot: {error}"))?;
    println!("screenshot of the lab sheet: {}", shot_path.display());

    // 2. The POST form for /upper, filled in and submitted by clicking, as a student would.
    let field = browser.find("#upper-post-text")?;
    browser.clear(&field)?;
    browser.type_text(&field, "straße, ciao è")?;
    browser.click(&browser.find("#upper-post-submit")?)?;
    browser.wait_until(
        "the POST /upper answer to load",
        "return location.pathname === '/upper' && document.readyState === 'complete';",
        PAGE_PATIENCE,
    )?;
    let answer = browser.eval("return document.body.innerText;")?;
    assert_eq!(answer, "STRASSE, CIAO È", "POST /upper by the form");
    server.wait_for_stderr(|line| {
        logged_request(line).is_some_and(|(request, status)| {
            request.starts_with("POST /upper HTTP/") && status == 200
        })
    });

    // 3. The GET form, from the lab sheet again.
    browser.goto(&server.url("/"))?;
    let field = browser.find("#upper-get-text")?;
    browser.clear(&field)?;
    browser.type_text(&field, "hello world")?;
    browser.click(&browser.find("#upper-get-submit")?)?;
    browser.wait_until(
        "the GET /upper answer to load",
        "return location.pathname === '/upper' && document.readyState === 'complete';",
        PAGE_PATIENCE,
    )?;
    let answer = browser.eval("return [location.search, document.body.innerText];")?;
    assert_eq!(answer[0], "?text=hello+world", "the form's query");
    assert_eq!(answer[1], "HELLO WORLD", "GET /upper by the form");

    // 4. /echo shows the browser its own request, User-Agent included.
    browser.goto(&server.url("/echo"))?;
    let echo = browser.eval("return [document.body.innerText, navigator.userAgent];")?;
    let (echoed, user_agent) = (
        echo[0].as_str().unwrap_or_default(),
        echo[1].as_str().unwrap_or_default(),
    );
    assert!(
        echoed.starts_with("GET /echo HTTP/1.1"),
        "the echo's request line: {echoed:?}"
    );
    let echoed_agent = echoed
        .lines()
        .find_map(|line| line.strip_prefix("User-Agent: "))
        .map(|agent| agent.trim_end_matches('\r'));
    assert_eq!(echoed_agent, Some(user_agent), "echo:\n{echoed}");

    // 5. The other pages: a folder with its own index, a listing, text that is not ASCII.
    browser.goto(&server.url("/lesson/"))?;
    let heading = browser.eval("return document.querySelector('h1').textContent;")?;
    assert_eq!(heading, "Anatomy of an exchange");
    browser.goto(&server.url("/files/"))?;
    let listed = browser
        .eval("return Array.from(document.querySelectorAll('a'), a => a.textContent).join('|');")?;
    let listed = listed.as_str().unwrap_or_default();
    assert!(
        listed.contains("with space.txt") && listed.contains("ünïcödé ☃.txt"),
        "the listing: {listed}"
    );
    browser.goto(&server.url("/notes.txt"))?;
    let notes = browser.eval("return document.body.innerText;")?;
    assert!(
        notes
            .as_str()
            .unwrap_or_default()
            .contains("Grüße, ciao è, 😀"),
        "notes.txt decoded wrongly: {notes}"
    );

    // Nothing the browser asked for failed: every request it made is in the access log.
    let failed: Vec<String> = server
        .stderr()
        .into_iter()
        .filter(|line| logged_request(line).is_some_and(|(_, status)| status >= 400))
        .collect();
    assert!(failed.is_empty(), "failed requests:\n{}", failed.join("\n"));
    Ok(())
}

/// The width of the projector a lab sheet is shown on, and its height.
const PROJECTOR: (u32, u32) = (1280, 800);

/// Every page a student opens from the lab sheet, the error pages included.
const PAGES: &[&str] = &[
    "/",
    "/lesson/",
    "/files/",
    "/images/",
    "/notes.txt",
    "/data.json",
    "/echo?show=crlf",
    "/upper?text=hello",
    "/no-such-page",
];

/// Every page at 1280 × 800 (a projector): neither the page nor a `pre` scrolls sideways, and
/// the commands name this server, not port 8080 (run by the test above, in its browser).
fn check_pages(browser: &Browser, server: &Server) -> Result<(), String> {
    browser.set_window_size(PROJECTOR.0, PROJECTOR.1)?;
    for path in PAGES {
        browser.goto(&server.url(path))?;
        let sizes = browser.eval(
            "return {
               innerWidth: window.innerWidth,
               scrollWidth: document.documentElement.scrollWidth,
               cutOff: Array.from(document.querySelectorAll('pre'))
                 .filter(pre => pre.scrollWidth > pre.clientWidth)
                 .map(pre => pre.textContent.slice(0, 60)),
             };",
        )?;
        let inner = sizes["innerWidth"].as_u64().unwrap_or_default();
        assert!(inner >= 1200, "the window is {inner} px wide, not ~1280");
        let scroll = sizes["scrollWidth"].as_u64().unwrap_or(u64::MAX);
        assert!(
            scroll <= inner,
            "{path} scrolls sideways at {inner} px: {scroll} px wide"
        );
        // Nor is any command or log line cut off behind a scrollbar of its own.
        assert_eq!(sizes["cutOff"], serde_json::json!([]), "{path}");
        if matches!(*path, "/" | "/lesson/") {
            let name = if *path == "/" { "index" } else { "lesson" };
            let shot = browser.screenshot()?;
            let shot_path =
                Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("projector-{name}.png"));
            fs::write(&shot_path, &shot).map_err(|error| format!("saving: {error}"))?;
            println!(
                "{path} at {}x{}: {}",
                PROJECTOR.0,
                PROJECTOR.1,
                shot_path.display()
            );
        }
    }

    // The commands on every page name the server the page came from, not 127.0.0.1:8080.
    let host = format!("127.0.0.1:{}", server.port);
    browser.goto(&server.url("/lesson/"))?;
    browser.wait_until(
        "app.js to write this server's address into the lesson page",
        &format!(
            "return Array.from(document.querySelectorAll('.origin, .host'))
               .every(span => span.textContent.endsWith('{host}'));"
        ),
        PAGE_PATIENCE,
    )?;
    browser.goto(&server.url("/"))?;
    let nc = format!("127.0.0.1 {}", server.port);
    browser.wait_until(
        "app.js to write this server's address into the nc commands",
        &format!(
            "const spans = document.querySelectorAll('.nc-address');
             return spans.length >= 2
               && Array.from(spans).every(span => span.textContent === '{nc}');"
        ),
        PAGE_PATIENCE,
    )?;
    let stale = browser.eval(
        "return Array.from(document.querySelectorAll('pre, code'))
           .map(block => block.textContent)
           .filter(text => text.includes('8080'));",
    )?;
    assert_eq!(
        stale,
        serde_json::json!([]),
        "commands still naming port 8080"
    );
    Ok(())
}
