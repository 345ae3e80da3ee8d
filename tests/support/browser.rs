//! Just enough of the W3C WebDriver protocol to drive a headless Chromium from a test, spoken
//! over `std::net::TcpStream` — no async runtime, no browser-automation crate.
//!
//! WebDriver is itself HTTP: `chromedriver` listens on a port, each command is a request with a
//! JSON body (`POST /session/{id}/url {"url": "…"}`), each answer is `{"value": …}`
//! (<https://www.w3.org/TR/webdriver2/>). So this file is also a second small HTTP client,
//! written the same way as the course's: one request per connection, `Connection: close`,
//! body framed by `Content-Length`.
//!
//! Processes: `chromedriver` is started here in a process group of its own, which the Chromium
//! it launches joins. When the [`Browser`] is dropped, the session is closed (Chromium quits),
//! then that group is killed by its id, so no browser outlives the test, even a failed one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::closed_port;
use super::probe::find_chromium;
use super::process::Process;

/// How long chromedriver may take to say it listens.
const DRIVER_START: Duration = Duration::from_secs(15);
/// How long one WebDriver command may take (starting Chromium on a busy machine is the slowest).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a page may take to load before the driver gives up on it.
const PAGE_LOAD_MS: u64 = 20_000;
/// The W3C name of the key that holds an element's id in a response.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The Chromium and chromedriver programs, when both are installed.
pub struct Programs {
    /// The browser.
    pub chromium: PathBuf,
    /// The WebDriver server for it.
    pub chromedriver: PathBuf,
}

/// Finds Chromium and chromedriver (Debian's `chromium` and `chromium-driver` packages), or says
/// which one is missing.
pub fn find_programs() -> Result<Programs, String> {
    let (chromium, chromedriver) = find_chromium()?;
    Ok(Programs {
        chromium,
        chromedriver,
    })
}

/// A running chromedriver with (once [`Browser::open`] returns) one headless Chromium session.
pub struct Browser {
    driver: Process,
    port: u16,
    session: Option<String>,
}

impl Browser {
    /// Starts chromedriver on a free port, then a headless Chromium session whose profile lives
    /// in `profile_dir`.
    pub fn open(programs: &Programs, profile_dir: &Path) -> Result<Browser, String> {
        let port = closed_port();
        let mut command = Command::new(&programs.chromedriver);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1");
        // A process group of its own, which the Chromium it starts joins: if the session cannot
        // be closed politely, killing the group still ends every browser process.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = Process::start(command);
        driver
            .line_containing_within("started successfully", DRIVER_START)
            .ok_or_else(|| {
                format!(
                    "chromedriver did not start within {DRIVER_START:?}: {}",
                    driver.stderr()
                )
            })?;
        let mut browser = Browser {
            driver,
            port,
            session: None,
        };

        let chromium = programs
            .chromium
            .to_str()
            .ok_or("Chromium path is not UTF-8")?;
        let profile = profile_dir.to_str().ok_or("profile path is not UTF-8")?;
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "timeouts": { "pageLoad": PAGE_LOAD_MS, "script": 10_000, "implicit": 0 },
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-quic",
                        "--no-first-run",
                        // Without these, Chromium phones home for updates and safe-browsing
                        // lists; on a closed network those are refused connections in the log.
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--window-size=1100,1400",
                        format!("--user-data-dir={profile}"),
                    ],
                },
            }},
        });
        let value = browser.command("POST", "/session", Some(capabilities))?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no sessionId in {value}"))?;
        browser.session = Some(id.to_string());
        Ok(browser)
    }

    fn session_path(&self, rest: &str) -> String {
        let id = self.session.as_deref().unwrap_or("no-session");
        format!("/session/{id}{rest}")
    }

    /// Opens `url` and waits (the driver bounds it by the page-load timeout) until it loaded.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.command(
            "POST",
            &self.session_path("/url"),
            Some(json!({ "url": url })),
        )
        .map(|_| ())
    }

    /// Runs `script` (a function body; `return` gives the result) in the page.
    pub fn eval(&self, script: &str) -> Result<Value, String> {
        let body = json!({ "script": script, "args": [] });
        self.command("POST", &self.session_path("/execute/sync"), Some(body))
    }

    /// Evaluates `script` every 20 ms until it returns `true`, for at most `limit`.
    pub fn wait_until(&self, what: &str, script: &str, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        loop {
            if self.eval(script)? == Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("waited {limit:?} for {what}"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The element matching a CSS selector (the page must have it now).
    pub fn find(&self, selector: &str) -> Result<String, String> {
        let body = json!({ "using": "css selector", "value": selector });
        let value = self.command("POST", &self.session_path("/element"), Some(body))?;
        value[ELEMENT_KEY]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("no element id for {selector} in {value}"))
    }

    /// Empties a text field.
    pub fn clear(&self, element: &str) -> Result<(), String> {
        let path = self.session_path(&format!("/element/{element}/clear"));
        self.command("POST", &path, Some(json!({}))).map(|_| ())
    }

    /// Types `text` into an element, as a user would.
    pub fn type_text(&self, element: &str, text: &str) -> Result<(), String> {
        let path = self.session_path(&format!("/element/{element}/value"));
        self.command("POST", &path, Some(json!({ "text": text })))
            .map(|_| ())
    }

    /// Clicks an element, as a user would.
    pub fn click(&self, element: &str) -> Result<(), String> {
        let path = self.session_path(&format!("/element/{element}/click"));
        self.command("POST", &path, Some(json!({}))).map(|_| ())
    }

    /// Makes the window `width` × `height` pixels (a projector's 1280 × 800, say).
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<(), String> {
        let body = json!({ "width": width, "height": height });
        self.command("POST", &self.session_path("/window/rect"), Some(body))
            .map(|_| ())
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Result<Vec<u8>, String> {
        let value = self.command("GET", &self.session_path("/screenshot"), None)?;
        let text = value.as_str().ok_or("the screenshot is not a string")?;
        base64_decode(text)
    }

    /// Sends one WebDriver command and returns its `value`, or the driver's error message.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map(|value| value.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Content-Type: application/json; charset=utf-8\r\nContent-Length: {length}\r\n\
             Connection: close\r\n\r\n{body}",
            port = self.port,
            length = body.len(),
        );
        let raw = exchange(self.port, request.as_bytes())
            .map_err(|error| format!("{method} {path}: {error}"))?;
        let (status, payload) =
            split_reply(&raw).map_err(|error| format!("{method} {path}: {error}"))?;
        let parsed: Value = serde_json::from_slice(&payload).map_err(|error| {
            format!(
                "{method} {path}: answer is not JSON ({error}): {}",
                String::from_utf8_lossy(&payload)
            )
        })?;
        let value = parsed["value"].clone();
        if status >= 400 || value.get("error").is_some() {
            let error = value["error"].as_str().unwrap_or("error");
            let message = value["message"].as_str().unwrap_or_default();
            let first_line = message.lines().next().unwrap_or_default();
            return Err(format!("{method} {path}: {status} {error}: {first_line}"));
        }
        Ok(value)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.session.is_some() {
            // Closes Chromium; chromedriver would leave it running if killed first.
            let _ = self.command("DELETE", &self.session_path(""), None);
            self.session = None;
        }
        // The group's id is chromedriver's PID (process_group(0) above).
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.pid())])
            .stderr(Stdio::null())
            .status();
        // Dropping `driver` kills chromedriver itself, if the group kill missed it.
    }
}

/// One request on a new connection, and its reply.
///
/// chromedriver keeps the connection open even after `Connection: close`, so the reply is
/// framed the HTTP/1.1 way: by `Content-Length`, or by the last chunk of a chunked body.
fn exchange(port: u16, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(COMMAND_TIMEOUT))?;
    stream.set_write_timeout(Some(COMMAND_TIMEOUT))?;
    stream.write_all(request)?;
    let mut reply = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        if reply_is_complete(&reply) {
            return Ok(reply);
        }
        let received = stream.read(&mut buffer)?;
        if received == 0 {
            return Ok(reply); // closed: whatever arrived is the reply
        }
        reply.extend_from_slice(&buffer[..received]);
    }
}

/// Whether `raw` holds a whole reply: its head, and all of the body the head announces.
fn reply_is_complete(raw: &[u8]) -> bool {
    let Some(head_end) = raw.windows(4).position(|window| window == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let body = &raw[head_end + 4..];
    for line in head.lines() {
        if let Some(value) = line.strip_prefix("content-length:") {
            return value
                .trim()
                .parse()
                .is_ok_and(|length: usize| body.len() >= length);
        }
        if line.starts_with("transfer-encoding:") && line.contains("chunked") {
            return body.ends_with(b"0\r\n\r\n");
        }
    }
    false
}

/// The status code and the body of a raw HTTP/1.1 reply, de-chunked if it was chunked.
fn split_reply(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let head_end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("the reply has no end of head")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let body = &raw[head_end + 4..];
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status code in {head:?}"))?;
    let chunked = head.lines().any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    if chunked {
        Ok((status, dechunk(body)?))
    } else {
        Ok((status, body.to_vec()))
    }
}

/// Joins the chunks of a chunked body: `size-in-hex CRLF data CRLF`, …, `0 CRLF CRLF`.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("a chunk size line has no end")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("a chunk is cut short")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("a chunk has no CRLF after it")?;
    }
}

/// Standard base64 (RFC 4648 §4), as WebDriver sends screenshots. Whitespace is skipped.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    for character in text.bytes() {
        let sextet = match character {
            b'A'..=b'Z' => character - b'A',
            b'a'..=b'z' => character - b'a' + 26,
            b'0'..=b'9' => character - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b' ' | b'\r' | b'\n' | b'\t' => continue,
            other => return Err(format!("{:?} is not base64", other as char)),
        };
        bits = (bits << 6) | u32::from(sextet);
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            bytes.push((bits >> bit_count) as u8);
            bits &= (1 << bit_count) - 1;
        }
    }
    Ok(bytes)
}
