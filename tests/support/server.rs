//! The real `httpserve` on port 0, and raw sockets to talk to it: start it, learn the port it got
//! from its first line, send bytes, read replies.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::process::Process;
use super::PATIENCE;

/// A running `httpserve`, killed (by its PID) when dropped.
pub struct Server {
    process: Process,
    /// The port the OS chose.
    pub port: u16,
    /// The first line the server printed on stdout.
    pub banner: String,
}

impl Server {
    /// Starts `httpserve 0 --bind 127.0.0.1 --dir DIR` plus `extra` arguments.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        let mut args = vec!["0", "--bind", "127.0.0.1", "--dir"];
        let dir_text = dir.to_str().expect("test folders have UTF-8 paths");
        args.push(dir_text);
        args.extend_from_slice(extra);
        Server::start_with_args(&args)
    }

    /// Starts `httpserve` with exactly these arguments; panics if it prints no address in time.
    ///
    /// With `HTTPSERVE_WRAPPER` set (a command and its arguments, split on spaces), the server
    /// runs under it: `.ci/run` uses `strace -D … -e inject=openat2:error=ENOSYS` (`-D`: the server itself is the child, killed by its PID), so that cap-std
    /// takes the walk macOS and FreeBSD use, and the escape tests cover that code on Linux.
    pub fn start_with_args(args: &[&str]) -> Server {
        let wrapper = std::env::var("HTTPSERVE_WRAPPER").unwrap_or_default();
        let mut wrapper = wrapper.split_whitespace();
        let mut command = match wrapper.next() {
            Some(program) => {
                let mut command = Command::new(program);
                command.args(wrapper).arg(env!("CARGO_BIN_EXE_httpserve"));
                command
            }
            None => Command::new(env!("CARGO_BIN_EXE_httpserve")),
        };
        command.args(args);
        let process = Process::start(command);
        let banner = process.next_line_within(PATIENCE).unwrap_or_else(|| {
            panic!(
                "httpserve {args:?} printed no start-up line; stderr:\n{}",
                process.stderr()
            )
        });
        let port = port_from_banner(&banner)
            .unwrap_or_else(|| panic!("no http://…:PORT/ in start-up line {banner:?}"));
        Server {
            process,
            port,
            banner,
        }
    }

    /// `127.0.0.1:PORT`, for `TcpStream::connect`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A connected socket with read and write timeouts, so a broken server fails the test
    /// instead of hanging it.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr()).expect("connect to httpserve");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream.set_write_timeout(Some(PATIENCE)).expect("timeout");
        stream
    }

    /// Starts `GET path` on a new connection and reads its first KiB: a download in flight,
    /// which the caller may read on, or leave unread.
    pub fn start_download(&self, path: &str) -> TcpStream {
        let mut stream = self.connect();
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
            .expect("send");
        let mut first = [0u8; 1024];
        stream.read_exact(&mut first).expect("the download started");
        stream
    }

    /// Sends `request` on a new connection, half-closes nothing, and reads until the server
    /// closes: the whole raw reply.
    pub fn exchange(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = self.connect();
        stream.write_all(request).expect("send request");
        read_to_close(&mut stream)
    }

    /// Like [`Server::exchange`], as a `Reply` split into head and body.
    pub fn get(&self, request: &str) -> Reply {
        Reply::parse(&self.exchange(request.as_bytes()))
    }

    /// The server's stderr lines so far.
    pub fn stderr(&self) -> Vec<String> {
        self.process.stderr_lines()
    }

    /// Waits (bounded) until a stderr line satisfies `wanted`, and returns it.
    pub fn wait_for_stderr(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.stderr().into_iter().find(|line| wanted(line)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no such stderr line; stderr:\n{}",
                self.stderr().join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (bounded) for the next stdout line after the banner.
    pub fn next_stdout_line(&self) -> Option<String> {
        self.process.next_line_within(PATIENCE)
    }

    /// Reads stdout lines (bounded) until one contains `wanted`, past the start-up lines that
    /// follow the banner (one per address a client can use).
    pub fn stdout_line_containing(&self, wanted: &str) -> String {
        self.process.line_containing(wanted)
    }

    /// The server's PID, for sending it a signal.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Waits (bounded) for the server to exit by itself and returns its exit code.
    pub fn wait_for_exit(&mut self) -> Option<i32> {
        self.process.exit_within(PATIENCE)?.code()
    }
}

/// Finds the port in a start-up line containing `http://HOST:PORT/`.
pub fn port_from_banner(banner: &str) -> Option<u16> {
    let start = banner.find("http://")?;
    let url = banner[start..].split_whitespace().next()?;
    let host_and_port = url.trim_start_matches("http://").trim_end_matches('/');
    let (_, port) = host_and_port.rsplit_once(':')?;
    port.trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

/// Reads until the peer closes (or the read timeout hits, which fails the test).
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut reply = Vec::new();
    if let Err(error) = stream.read_to_end(&mut reply) {
        panic!(
            "reading the reply failed ({error}) after {} bytes: {:?}",
            reply.len(),
            String::from_utf8_lossy(&reply)
        );
    }
    reply
}

/// Reads exactly one response (head, then Content-Length bytes) and not a byte more, leaving
/// the connection open: on a kept-alive or pipelined connection the next response stays unread.
pub fn read_one_response(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte, so that nothing of the next response is read into a buffer and lost.
    while !raw.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            other => panic!(
                "connection ended inside a head ({other:?}): {:?}",
                String::from_utf8_lossy(&raw)
            ),
        }
    }
    let mut reply = Reply::parse(&raw);
    let length: usize = reply
        .header("Content-Length")
        .and_then(|value| value.parse().ok())
        .expect("every response has a Content-Length");
    let mut body = vec![0u8; length];
    stream
        .read_exact(&mut body)
        .expect("the whole body before the connection ends");
    reply.body = body;
    reply
}

/// Sends the request, then shuts down the write half, as a client that is done talking.
pub fn send_and_half_close(stream: &mut TcpStream, request: &[u8]) {
    stream.write_all(request).expect("send request");
    let _ = stream.shutdown(Shutdown::Write);
}

/// A reply split at the blank line.
#[derive(Debug)]
pub struct Reply {
    /// Status line and headers, as text, without the blank line.
    pub head: String,
    /// Everything after the blank line.
    pub body: Vec<u8>,
}

impl Reply {
    /// Splits raw reply bytes at the first CRLFCRLF.
    pub fn parse(raw: &[u8]) -> Reply {
        let split = raw
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
        Reply {
            head: String::from_utf8_lossy(&raw[..split]).into_owned(),
            body: raw[split + 4..].to_vec(),
        }
    }

    /// The status code from the status line.
    pub fn status(&self) -> u16 {
        let status_line = self.head.lines().next().unwrap_or_default();
        status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status code in {status_line:?}"))
    }

    /// A header's value (first match, name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (field, value) = line.split_once(':')?;
            field
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
