//! The progress display for a long download to a file, on stderr: a bar with speed and time left
//! when `Content-Length` gives the size, a running count with speed when it does not. Hidden for
//! small bodies, which finish before anyone could read it, and when stderr is not a terminal.
//! Every download to a file then ends with one [`summary_line`]: how much, how long, how fast.

use std::path::Path;
use std::time::Duration;

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

/// The line that ends a download to a file on a terminal: bytes, time and average rate.
pub fn summary_line(bytes: u64, path: &Path, took: Duration) -> String {
    let seconds = took.as_secs_f64();
    let rate = if seconds > 0.0 {
        human_bytes(bytes as f64 / seconds)
    } else {
        "-".to_string()
    };
    format!(
        "{bytes} bytes saved to {} in {seconds:.2} s, {rate}/s on average",
        path.display()
    )
}

/// A byte count in binary units, as the progress bar shows them: `512 B`, `1.5 KiB`, `97.7 MiB`.
fn human_bytes(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", units[unit])
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_gives_bytes_time_and_average_rate() {
        for (bytes, millis, want) in [
            (
                1000,
                500,
                "1000 bytes saved to f in 0.50 s, 2.0 KiB/s on average",
            ),
            (
                104_857_600,
                2000,
                "104857600 bytes saved to f in 2.00 s, 50.0 MiB/s on average",
            ),
            (10, 1000, "10 bytes saved to f in 1.00 s, 10 B/s on average"),
            (0, 0, "0 bytes saved to f in 0.00 s, -/s on average"),
        ] {
            let line = summary_line(bytes, Path::new("f"), Duration::from_millis(millis));
            assert_eq!(line, want);
        }
    }
}
