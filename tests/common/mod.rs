//! Helpers shared by the integration tests: start the real `httpserve` binary on port 0, learn
//! the port it got from its first line, and talk to it over raw sockets.
//!
//! Every wait here is on a condition with a bound, never a bare sleep.

#![allow(dead_code)] // each test file uses a different part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for something that should happen at once (a start-up line, a reply).
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A running `httpserve`, killed (by its PID, through `Child`) when dropped.
pub struct Server {
    child: Child,
    /// The port the OS chose.
    pub port: u16,
    /// The first line the server printed on stdout.
    pub banner: String,
    /// Every line the server wrote on stderr so far (access log, notes).
    stderr_lines: Arc<Mutex<Vec<String>>>,
    stdout_rest: Receiver<String>,
    stdin: Option<ChildStdin>,
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
    pub fn start_with_args(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_httpserve"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start httpserve");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");

        let (line_sender, line_receiver) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line_sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let stderr_sink = Arc::clone(&stderr_lines);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                stderr_sink
                    .lock()
                    .expect("no test panics holding it")
                    .push(line);
            }
        });

        let banner = match line_receiver.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let errors = stderr_lines.lock().expect("lock").join("\n");
                panic!("httpserve {args:?} printed no start-up line; stderr:\n{errors}");
            }
        };
        let port = port_from_banner(&banner)
            .unwrap_or_else(|| panic!("no http://…:PORT/ in start-up line {banner:?}"));
        Server {
            child,
            port,
            banner,
            stderr_lines,
            stdout_rest: line_receiver,
            stdin,
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
        self.stderr_lines.lock().expect("lock").clone()
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
        self.stdout_rest.recv_timeout(PATIENCE).ok()
    }

    /// The child's PID, for sending it a signal.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the server to exit by itself and returns its exit code.
    pub fn wait_for_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
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
