//! httpget's side: scripted servers that answer with canned bytes, and the `httpget` binary run
//! with every wait bounded.
//!
//! A scripted server is a thread on `127.0.0.1:0` that accepts a set number of connections,
//! reads each request head, then follows its script: send these bytes, pause, send more, close —
//! or hold the connection open and say nothing. That is how a test plays a server that is
//! broken in exactly one way.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use super::process::{exit_within, Process};
use super::PATIENCE;

/// How long an `httpget` run may take before the test kills it and fails.
pub const RUN_LIMIT: Duration = Duration::from_secs(30);

/// One step of a scripted server's answer.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Wait this long before the next step: the scenario's own pace ("the server is slow"),
    /// never a wait for something to happen. No verdict may depend on how a pause makes the
    /// client's reads fall (how many there were, how long they took): a test waits on what it
    /// needs with a bound, and asserts what is true however the bytes were split.
    Pause(Duration),
    /// Say nothing more, and keep the connection open until the client gives up.
    Hang,
}

/// `Step::Send` from anything byte-like.
pub fn send(bytes: impl AsRef<[u8]>) -> Step {
    Step::Send(bytes.as_ref().to_vec())
}

/// A scripted server; the thread ends by itself once its connections are served.
pub struct Scripted {
    /// The port the OS chose.
    pub port: u16,
    requests: Receiver<String>,
}

impl Scripted {
    /// Serves `connections` connections on 127.0.0.1; `script` gets each request head and says
    /// what to answer.
    pub fn start(
        connections: usize,
        script: impl Fn(&str) -> Vec<Step> + Send + 'static,
    ) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        Scripted::serve(listener, connections, script)
    }

    /// Answers one connection with `reply` sent in one write, then closes.
    pub fn once(reply: impl AsRef<[u8]>) -> Scripted {
        let reply = reply.as_ref().to_vec();
        Scripted::start(1, move |_| vec![Step::Send(reply.clone())])
    }

    /// Serves on a listener the test bound itself (for IPv6).
    pub fn serve(
        listener: TcpListener,
        connections: usize,
        script: impl Fn(&str) -> Vec<Step> + Send + 'static,
    ) -> Scripted {
        let port = listener.local_addr().expect("local address").port();
        listener.set_nonblocking(true).expect("non-blocking accept");
        let (request_sender, requests) = mpsc::channel();
        thread::spawn(move || {
            let deadline = Instant::now() + RUN_LIMIT;
            let mut served = 0;
            while served < connections && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let request = answer(stream, &script);
                        let _ = request_sender.send(request);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Scripted { port, requests }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The next request head the server received (waits at most [`PATIENCE`]).
    pub fn request(&self) -> String {
        self.requests
            .recv_timeout(PATIENCE)
            .expect("the scripted server received a request")
    }
}

/// Reads one request head, plays the script, closes; returns the head as text.
fn answer(mut stream: TcpStream, script: &dyn Fn(&str) -> Vec<Step>) -> String {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(PATIENCE));
    let mut request = Vec::new();
    let mut byte = [0; 1];
    while !request.ends_with(b"\r\n\r\n") && request.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => request.push(byte[0]),
            _ => break,
        }
    }
    let request = String::from_utf8_lossy(&request).into_owned();
    for step in script(&request) {
        match step {
            Step::Send(bytes) => {
                // The client may have given up already (a test of a cut-off): not our problem.
                if stream.write_all(&bytes).is_err() {
                    break;
                }
            }
            Step::Pause(time) => thread::sleep(time),
            Step::Hang => {
                // Until the client closes (read returns 0 or fails) or our patience ends.
                let mut sink = [0; 1024];
                let _ = stream.set_read_timeout(Some(RUN_LIMIT));
                while let Ok(count) = stream.read(&mut sink) {
                    if count == 0 {
                        break;
                    }
                }
            }
        }
    }
    request
}

/// What a finished `httpget` run left behind.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Everything written on stdout.
    pub stdout: Vec<u8>,
    /// Everything written on stderr.
    pub stderr: String,
    /// How long it ran.
    pub took: Duration,
}

impl Run {
    /// stdout as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `httpget ARGS` with an empty stdin.
pub fn httpget(args: &[&str]) -> Run {
    httpget_with_input(args, b"")
}

/// Runs `httpget ARGS` with `input` on stdin, killing it (and failing) after [`RUN_LIMIT`].
pub fn httpget_with_input(args: &[&str], input: &[u8]) -> Run {
    httpget_in(args, input, None)
}

/// Like [`httpget_with_input`], in the folder `dir` (for `-O`).
pub fn httpget_in(args: &[&str], input: &[u8], dir: Option<&Path>) -> Run {
    run_httpget(args, input, dir, None)
}

/// Like [`httpget_with_input`], with `HTTPGET_STAR` set to `star` (what `*` stands for).
pub fn httpget_with_star(args: &[&str], input: &[u8], star: &str) -> Run {
    run_httpget(args, input, None, Some(star))
}

fn run_httpget(args: &[&str], input: &[u8], dir: Option<&Path>, star: Option<&str>) -> Run {
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_httpget"));
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    // A teacher's own HTTPGET_STAR must not change what the tests' `*` means.
    match star {
        Some(star) => command.env("HTTPGET_STAR", star),
        None => command.env_remove("HTTPGET_STAR"),
    };
    let mut process = Process::start(command);
    process.feed(input);
    let exited = process.finish_within(RUN_LIMIT);
    Run {
        code: exited.status.code(),
        stdout: exited.stdout,
        stderr: exited.stderr,
        took: started.elapsed(),
    }
}

/// Waits for a child the test started itself to exit, at most [`RUN_LIMIT`]; kills it and
/// panics after that.
pub fn wait_bounded(child: &mut Child, what: &[&str]) -> Option<i32> {
    match exit_within(child, RUN_LIMIT) {
        Some(status) => status.code(),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("httpget {what:?} still running after {RUN_LIMIT:?}");
        }
    }
}

/// A plain `HTTP/1.0 200 OK` reply with `Content-Length` for `body`.
pub fn ok_reply(body: &[u8]) -> Vec<u8> {
    let mut reply = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    reply.extend_from_slice(body);
    reply
}
