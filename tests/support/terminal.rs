//! httpget in a pseudo-terminal (`portable-pty`): type keys at it and read the screen's bytes,
//! as a student at the keyboard would.
//!
//! Every wait is for a condition (some text on the screen, the process' exit) with a deadline;
//! nothing sleeps and hopes.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

use super::PATIENCE;

/// What the terminal received so far, with a signal for each new piece.
#[derive(Default)]
pub struct Screen {
    bytes: Mutex<Vec<u8>>,
    changed: Condvar,
    /// Set once the terminal has nothing more to give: httpget's side closed. Everything it
    /// wrote before it exited is in `bytes` then.
    ended: Mutex<bool>,
}

/// `httpget` running in a pseudo-terminal: stdin, stdout and stderr are all the terminal.
pub struct Terminal {
    pub child: Box<dyn Child + Send + Sync>,
    keyboard: Arc<Mutex<Box<dyn Write + Send>>>,
    screen: Arc<Screen>,
    // Dropping the master end hangs the terminal up: keep it as long as the test runs.
    _master: Box<dyn MasterPty + Send>,
}

impl Terminal {
    /// Starts `httpget ARGS` in a new 100×30 terminal, in `dir`, which is also its home (so
    /// that the prompt's history goes there, never to the home of the person running the tests).
    pub fn start(args: &[&str], dir: &Path) -> Terminal {
        Terminal::start_with(args, dir, &[])
    }

    /// Like [`Terminal::start`], with these environment variables set too (an empty value is
    /// set empty).
    pub fn start_with(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Terminal {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 100,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_httpget"));
        command.args(args);
        command.cwd(dir);
        command.env("TERM", "xterm");
        command.env("HOME", dir);
        command.env("USERPROFILE", dir);
        command.env_remove("HTTPGET_HISTORY");
        command.env_remove("HTTPGET_STAR");
        for (name, value) in env {
            command.env(name, value);
        }
        let child = pair.slave.spawn_command(command).expect("start httpget");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("terminal reader");
        let keyboard = Arc::new(Mutex::new(pair.master.take_writer().expect("writer")));
        let screen = Arc::new(Screen::default());
        let (screen_in, keyboard_in) = (Arc::clone(&screen), Arc::clone(&keyboard));
        thread::spawn(move || {
            let mut buffer = [0; 4096];
            // Ends when the terminal is hung up (the test ended) or httpget's side closes.
            while let Ok(count) = reader.read(&mut buffer) {
                if count == 0 {
                    break;
                }
                let piece = &buffer[..count];
                // A line editor may ask where the cursor is (ESC [6n); a real terminal answers.
                if piece.windows(4).any(|window| window == b"\x1b[6n") {
                    if let Ok(mut keys) = keyboard_in.lock() {
                        let _ = keys.write_all(b"\x1b[1;1R");
                    }
                }
                if let Ok(mut bytes) = screen_in.bytes.lock() {
                    bytes.extend_from_slice(piece);
                }
                screen_in.changed.notify_all();
            }
            if let Ok(mut ended) = screen_in.ended.lock() {
                *ended = true;
            }
            screen_in.changed.notify_all();
        });
        Terminal {
            child,
            keyboard,
            screen,
            _master: pair.master,
        }
    }

    /// Types `keys`.
    pub fn type_keys(&self, keys: &[u8]) {
        let mut keyboard = self.keyboard.lock().expect("keyboard");
        keyboard.write_all(keys).expect("type");
        keyboard.flush().expect("flush");
    }

    /// Waits until `text` has appeared `times` times on the screen; returns the screen as text.
    pub fn wait_for(&self, text: &str, times: usize) -> String {
        self.wait_for_after("", 0, text, times)
    }

    /// Waits until `text` has appeared `times` times after the `anchor_times`-th `anchor` (the
    /// prompt that follows a given reply, say: a line editor redraws its prompt on every key).
    pub fn wait_for_after(
        &self,
        anchor: &str,
        anchor_times: usize,
        text: &str,
        times: usize,
    ) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut bytes = self.screen.bytes.lock().expect("screen");
        loop {
            let shown = String::from_utf8_lossy(&bytes).into_owned();
            let after = match anchor_times {
                0 => Some(shown.as_str()),
                n => shown
                    .match_indices(anchor)
                    .nth(n - 1)
                    .map(|(at, _)| &shown[at..]),
            };
            if after.is_some_and(|after| after.matches(text).count() >= times) {
                return shown;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {text:?} (×{times}) on the screen:\n{shown}"
            );
            bytes = self
                .screen
                .changed
                .wait_timeout(bytes, left)
                .expect("screen")
                .0;
        }
    }

    /// Everything shown so far, as text.
    pub fn shown(&self) -> String {
        String::from_utf8_lossy(&self.screen.bytes.lock().expect("screen")).into_owned()
    }

    /// Types Ctrl+D at an empty prompt and expects httpget to quit cleanly (exit code 0).
    pub fn quit(&mut self) {
        self.type_keys(b"\x04");
        assert_eq!(self.exit_code(), 0, "{}", self.shown());
    }

    /// Waits for httpget to exit (at most [`PATIENCE`]) and returns its exit code, once the
    /// terminal has passed on all it wrote: the reader thread may still be copying the last of
    /// it when the process is already gone.
    pub fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.wait_for_the_end(deadline);
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("httpget did not exit; the screen:\n{}", self.shown());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Terminal {
    /// Waits (until `deadline` at most) for the terminal's reader to reach the end. A pty whose
    /// other end stays open somewhere would never end: then the screen is taken as it is.
    fn wait_for_the_end(&self, deadline: Instant) {
        let mut bytes = self.screen.bytes.lock().expect("screen");
        while !self.screen.ended.lock().map(|ended| *ended).unwrap_or(true) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            // Woken by each new piece, and by the end; checked at least every 50 ms.
            let wait = left.min(Duration::from_millis(50));
            bytes = self
                .screen
                .changed
                .wait_timeout(bytes, wait)
                .expect("screen")
                .0;
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // Only the httpget this test started, if it is still running after a failure.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}
