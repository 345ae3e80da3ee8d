//! The prompt's history, kept between runs as python keeps `~/.python_history`.
//!
//! It lives in `~/.httpget_history` ([`history_path`]); `HTTPGET_HISTORY=FILE` moves it, and an
//! empty `HTTPGET_HISTORY=` turns it off. Each line is added to the file as it is typed, so a
//! run that ends any way at all keeps what was typed, and two prompts open at once both keep
//! theirs. At start the file is cut back to its last [`HISTORY_LINES`]. A file that cannot be
//! read or written (no home, a read-only home) is no error: the prompt works without it.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

/// How many lines the history keeps (in the line editor, and in the file at start).
pub const HISTORY_LINES: usize = 1000;

/// The variable that moves the history file, or turns it off when empty.
pub const HISTORY_VARIABLE: &str = "HTTPGET_HISTORY";

/// The history file's name in the home folder.
pub const HISTORY_FILE_NAME: &str = ".httpget_history";

/// Where the history is kept: `setting` is `HTTPGET_HISTORY`'s value, `home` the home folder.
pub fn history_path(setting: Option<OsString>, home: Option<PathBuf>) -> Option<PathBuf> {
    match setting {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)),
        None => home
            .filter(|home| !home.as_os_str().is_empty())
            .map(|home| home.join(HISTORY_FILE_NAME)),
    }
}

/// Where this user's history is kept, from the environment (`HOME`; `USERPROFILE` on Windows).
pub fn history_path_from_env() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from);
    history_path(std::env::var_os(HISTORY_VARIABLE), home)
}

/// The lines typed so far, oldest first, and the file they are kept in.
#[derive(Debug, Default)]
pub struct History {
    lines: Vec<String>,
    file: Option<PathBuf>,
}

impl History {
    /// The history kept in `file` (none: for this run only).
    pub fn open(file: Option<PathBuf>) -> History {
        let mut lines: Vec<String> = match file.as_ref().map(fs::read) {
            Some(Ok(bytes)) => String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        if lines.len() > HISTORY_LINES {
            lines.drain(..lines.len() - HISTORY_LINES);
            if let Some(file) = &file {
                let _ = fs::write(file, lines.join("\n") + "\n");
            }
        }
        History { lines, file }
    }

    /// The lines, oldest first.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Adds a typed line: not an empty one, nor one equal to the line before.
    pub fn remember(&mut self, line: &str) {
        if line.is_empty() || self.lines.last().is_some_and(|last| last == line) {
            return;
        }
        if self.lines.len() >= HISTORY_LINES {
            self.lines.remove(0);
        }
        self.lines.push(line.to_string());
        if let Some(file) = &self.file {
            // Errors are not news at a prompt: the history is a convenience.
            let _ = append(file, line);
        }
    }
}

/// Adds one line to the file. On Unix the file is the user's alone (0600), as a typed URL may
/// hold a password (`http://alice:secret@host/`).
fn append(file: &PathBuf, line: &str) -> std::io::Result<()> {
    let mut open = OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut file = open.open(file)?;
    file.write_all(format!("{line}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_file_is_in_home_or_where_the_variable_says() {
        let home = Some(PathBuf::from("/home/ada"));
        for (setting, home, want) in [
            (None, home.clone(), Some("/home/ada/.httpget_history")),
            (Some("/tmp/h"), home.clone(), Some("/tmp/h")),
            (Some(""), home.clone(), None),
            (None, None, None),
            (None, Some(PathBuf::new()), None),
        ] {
            let got = history_path(setting.map(OsString::from), home);
            assert_eq!(got, want.map(PathBuf::from), "{setting:?}");
        }
    }

    #[test]
    fn lines_are_kept_in_the_file_bounded_and_without_repeats() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("history");
        let mut history = History::open(Some(file.clone()));
        for line in ["*", "*", "", "/notes.txt"] {
            history.remember(line);
        }
        assert_eq!(history.lines(), ["*", "/notes.txt"]);
        assert_eq!(
            History::open(Some(file.clone())).lines(),
            ["*", "/notes.txt"]
        );

        let many: Vec<String> = (0..HISTORY_LINES + 5).map(|n| format!("/{n}")).collect();
        fs::write(&file, many.join("\n")).expect("write");
        let history = History::open(Some(file.clone()));
        assert_eq!(history.lines().len(), HISTORY_LINES);
        assert_eq!(history.lines()[0], "/5");
        let kept = fs::read_to_string(&file).expect("read");
        assert_eq!(kept.lines().count(), HISTORY_LINES);
    }

    #[test]
    fn a_file_that_cannot_be_written_is_no_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("no-such-folder").join("history");
        let mut history = History::open(Some(file.clone()));
        history.remember("/notes.txt");
        assert_eq!(history.lines(), ["/notes.txt"]);
        assert!(!file.exists());
    }
}
