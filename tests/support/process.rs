//! The one way the tests run a program: [`Process`] starts it with stdin, stdout and stderr
//! piped, copies its output on two threads (so it never blocks on a full pipe), and kills it by
//! its PID when dropped, so no test leaves a process behind, even a failed one.
//!
//! Every wait here has a bound: a program that hangs fails its test, it never hangs the suite.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::PATIENCE;

/// A running program, killed when dropped.
pub struct Process {
    child: Child,
    /// The command line, for messages.
    what: String,
    /// Stdout, one line at a time with its line ending, as raw bytes (binary output passes
    /// through whole: the last "line" is whatever came after the last `\n`).
    stdout_lines: Receiver<Vec<u8>>,
    /// Everything on stderr so far.
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Says when stderr has ended (the program exited and closed it).
    stderr_ended: Receiver<()>,
}

/// What a program left behind when it exited.
#[derive(Debug)]
pub struct Exited {
    /// How it ended.
    pub status: ExitStatus,
    /// Everything written on stdout.
    pub stdout: Vec<u8>,
    /// Everything written on stderr.
    pub stderr: String,
}

/// Starts `command`. Wine, running the Windows build's tests, now and then fails to create a
/// process under load ("Internal error", os error 1359, seen once in a CI run): there a failed
/// start is tried again, at most three times in all, 100 ms apart. Elsewhere a failure is final.
fn spawn_with_retries(command: &mut Command) -> std::io::Result<Child> {
    let tries = if cfg!(windows) { 3 } else { 1 };
    let mut attempt = 1;
    loop {
        match command.spawn() {
            Ok(child) => return Ok(child),
            Err(error) if attempt >= tries => return Err(error),
            Err(_) => {
                attempt += 1;
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

impl Process {
    /// Starts `command` with stdin, stdout and stderr piped.
    pub fn start(mut command: Command) -> Process {
        let what = format!("{command:?}");
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn_with_retries(&mut command)
            .unwrap_or_else(|error| panic!("cannot start {what}: {error}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");

        let (line_sender, stdout_lines) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if line_sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr_bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr_bytes);
        let (ended, stderr_ended) = mpsc::channel();
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(count @ 1..) = stderr.read(&mut buffer) {
                sink.lock()
                    .expect("no panic while holding it")
                    .extend_from_slice(&buffer[..count]);
            }
            let _ = ended.send(());
        });
        Process {
            child,
            what,
            stdout_lines,
            stderr: stderr_bytes,
            stderr_ended,
        }
    }

    /// The program's PID, for sending it a signal.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes `input` to the program's stdin and closes it, as `printf … | program` would. The
    /// write happens on a thread: a program that does not read its stdin never blocks the test.
    pub fn feed(&mut self, input: impl AsRef<[u8]>) {
        let mut stdin = self.child.stdin.take().expect("stdin is fed once");
        let input = input.as_ref().to_vec();
        thread::spawn(move || {
            // A program that exits before reading all of it closes the pipe: not our concern.
            let _ = stdin.write_all(&input);
        });
    }

    /// The next stdout line, without its line ending, if one comes within `limit`.
    pub fn next_line_within(&self, limit: Duration) -> Option<String> {
        let line = self.stdout_lines.recv_timeout(limit).ok()?;
        let text = String::from_utf8_lossy(&line);
        Some(text.trim_end_matches(['\r', '\n']).to_string())
    }

    /// The next stdout line, without its line ending; panics if none comes within [`PATIENCE`].
    pub fn line(&self) -> String {
        self.next_line_within(PATIENCE).unwrap_or_else(|| {
            panic!(
                "{}: no line on stdout in time; stderr: {}",
                self.what,
                self.stderr()
            )
        })
    }

    /// Reads stdout lines until one contains `wanted`, for at most `limit`.
    pub fn line_containing_within(&self, wanted: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.next_line_within(left)?;
            if line.contains(wanted) {
                return Some(line);
            }
        }
    }

    /// Reads stdout lines until one contains `wanted`; returns it. Panics after [`PATIENCE`].
    pub fn line_containing(&self, wanted: &str) -> String {
        self.line_containing_within(wanted, PATIENCE)
            .unwrap_or_else(|| {
                panic!(
                    "{}: no line containing {wanted:?}; stderr: {}",
                    self.what,
                    self.stderr()
                )
            })
    }

    /// Every stdout line not yet read, with its line ending, up to the end of stdout (call
    /// after the program has exited, or it waits for the end for up to [`PATIENCE`]).
    pub fn rest_of_stdout(&self) -> Vec<String> {
        self.rest_of_stdout_bytes()
            .iter()
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect()
    }

    fn rest_of_stdout_bytes(&self) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + PATIENCE;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_lines.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Disconnected) => return lines,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}: stdout did not end; so far: {lines:?}", self.what)
                }
            }
        }
    }

    /// Everything on stderr so far (all of it, once [`Process::wait`] has returned).
    pub fn stderr(&self) -> String {
        let bytes = self.stderr.lock().expect("no panic while holding it");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The lines on stderr so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr().lines().map(str::to_string).collect()
    }

    /// Sends a signal (`INT`, `TERM`, …) with the `kill` command, by PID.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// Waits for the program to exit, at most `limit`: `None` if it is still running.
    pub fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let status = exit_within(&mut self.child, limit)?;
        // The program is gone, so its stderr is closed and the copy ends at once (unless a child
        // of its own still holds the pipe; then we stop waiting after a while).
        let _ = self.stderr_ended.recv_timeout(PATIENCE);
        Some(status)
    }

    /// Waits for the program to exit, at most `limit`; kills it and panics after that.
    pub fn wait_within(&mut self, limit: Duration) -> ExitStatus {
        match self.exit_within(limit) {
            Some(status) => status,
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{} still running after {limit:?}; stderr: {}",
                    self.what,
                    self.stderr()
                );
            }
        }
    }

    /// Waits for the program to exit, at most [`PATIENCE`]; panics if it does not.
    pub fn wait(&mut self) -> ExitStatus {
        self.wait_within(PATIENCE)
    }

    /// Waits for the program to exit (at most `limit`), then returns all it wrote.
    pub fn finish_within(mut self, limit: Duration) -> Exited {
        let status = self.wait_within(limit);
        let stdout = self.rest_of_stdout_bytes().concat();
        Exited {
            status,
            stdout,
            stderr: self.stderr(),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `child` to exit, at most `limit`: `None` if it is still running.
pub fn exit_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(5));
    }
}
