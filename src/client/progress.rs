//! The progress display for a long download to a file, on stderr: a bar with speed and time left
//! when `Content-Length` gives the size, a running count with speed when it does not. Hidden for
//! small bodies, which finish before anyone could read it, and when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressStyle};

/// A download to a file shows a progress bar on a terminal from this size up.
pub const PROGRESS_MIN_BYTES: u64 = 4 * 1024 * 1024;

/// The bar (or counter) of one download, if it is shown.
pub struct Progress {
    allowed: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A display for a body of `length` bytes (`None`: unknown); `allowed` is false when
    /// nothing may be shown (`-s`, stderr not a terminal, body not going to a file).
    pub fn new(allowed: bool, length: Option<u64>) -> Progress {
        let bar = match length {
            Some(length) if allowed && length >= PROGRESS_MIN_BYTES => {
                let bar = ProgressBar::new(length);
                bar.set_style(style(
                    "{bytes:>10}/{total_bytes} [{bar:30}] {bytes_per_sec:>12}, {eta} left",
                ));
                Some(bar)
            }
            _ => None,
        };
        Progress { allowed, bar }
    }

    /// `count` more bytes arrived, `received` in all.
    pub fn advance(&mut self, count: usize, received: u64) {
        if self.bar.is_none() && self.allowed && received >= PROGRESS_MIN_BYTES {
            // No Content-Length: the size is unknown until the server closes.
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(style(
                "{spinner} {bytes:>10} so far, {bytes_per_sec:>12} (no Content-Length)",
            ));
            spinner.set_position(received - count as u64);
            self.bar = Some(spinner);
        }
        if let Some(bar) = &self.bar {
            bar.inc(count as u64);
        }
    }

    /// Takes the display off the screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}
