//! The lab runs as written: the README's install step puts `httpget` and `httpserve` on the
//! PATH, and every `httpget` command in the README and in the lab sheet (`www/index.html`) then
//! runs, against `httpserve` serving `www/`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The install step, as the README gives it.
const INSTALL: &str = "cargo install --locked --path .";

/// How long the install may take. It reuses this build's compiled crates, so it takes well
/// under a second when the tests were just built; a cold build is minutes, and fails here.
const INSTALL_LIMIT: Duration = Duration::from_secs(300);

/// How long one lab command may run.
const COMMAND_LIMIT: Duration = Duration::from_secs(30);

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The target folder this test was built in: `…/target/debug/httpget` → `…/target`.
fn target_dir() -> PathBuf {
    let httpget = Path::new(env!("CARGO_BIN_EXE_httpget"));
    httpget
        .parent()
        .and_then(Path::parent)
        .expect("the binary lies in target/PROFILE/")
        .to_path_buf()
}

/// Runs `command` to its end, at most `limit`; returns (exit code, stdout, stderr).
fn run_bounded(command: &mut Command, limit: Duration) -> (Option<i32>, String, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the command");
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "{command:?} still running after {limit:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The `program` command lines (`httpget`, `curl`) of a README (indented code) or of the lab
/// sheet (`<pre>`).
fn commands_of(program: &str, text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches("<pre><code>");
        let starts = line == program || line.starts_with(&format!("{program} "));
        if !starts || line.contains("URL...") {
            continue;
        }
        // The lab sheet's HTML: the origin is wrapped in a <span>, and & < > are entities.
        let mut command = String::new();
        let mut in_tag = false;
        for character in line.chars() {
            match character {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if !in_tag => command.push(character),
                _ => {}
            }
        }
        let command = command
            .replace("&gt;", ">")
            .replace("&lt;", "<")
            .replace("&amp;", "&");
        commands.push(command);
    }
    commands
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs the lab's commands with sh and a Unix PATH, and under wine cannot start cargo"
)]
fn the_documented_install_puts_both_programs_on_the_path_and_the_lab_commands_run() {
    let readme = std::fs::read_to_string(repository().join("README.md")).expect("README");
    assert!(
        readme.lines().any(|line| line.trim() == INSTALL),
        "the README gives no {INSTALL:?} line"
    );

    // The README's command, into a temporary root. --debug, --offline and the test's own
    // target folder make it reuse what `cargo test` just compiled: quick, and no network.
    let root = tempfile::tempdir().expect("temp dir");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let (code, _, stderr) = run_bounded(
        Command::new(cargo)
            .args(["install", "--path", ".", "--root"])
            .arg(root.path())
            .args(["--debug", "--offline", "--locked", "--quiet"])
            .current_dir(repository())
            .env("CARGO_TARGET_DIR", target_dir()),
        INSTALL_LIMIT,
    );
    assert_eq!(code, Some(0), "{INSTALL} failed: {stderr}");
    let bin = root.path().join("bin");
    for (program, name) in [("httpget", "httpget "), ("httpserve", " ")] {
        let (code, stdout, stderr) = run_bounded(
            Command::new(bin.join(program)).arg("--version"),
            COMMAND_LIMIT,
        );
        assert_eq!(code, Some(0), "{program} --version: {stderr}");
        assert!(stdout.contains(name), "{program} --version: {stdout}");
        assert!(
            stdout.contains(env!("CARGO_PKG_VERSION")),
            "{program} --version: {stdout}"
        );
    }

    // Every httpget line of the README and the lab sheet, and every curl line when curl is
    // here, run by a shell in the repository's folder (where the sheet says to run them) with
    // the installed programs first on the PATH, against httpserve serving www/.
    let www = repository().join("www");
    let server = support::Server::start(&www, &[]);
    let origin = format!("http://127.0.0.1:{}", server.port);
    let sheet = std::fs::read_to_string(www.join("index.html")).expect("lab sheet");
    let mut commands: Vec<String> = commands_of("httpget", &readme)
        .into_iter()
        .chain(commands_of("httpget", &sheet))
        .collect();
    assert!(
        commands.len() >= 8,
        "too few httpget commands found: {commands:?}"
    );
    if support::find_in_path("curl").is_some() {
        let curl = commands_of("curl", &readme)
            .into_iter()
            .chain(commands_of("curl", &sheet));
        // curl posts nothing when a data file (`@www/notes.txt`) is not found from this folder,
        // and /upper answers 400: `-f` makes that fail the command. The big file is made on
        // demand (the sheet's step 8), so its download would be a 404 here.
        let curl = curl.filter(|command| !command.contains("/big/"));
        commands.extend(curl.map(|command| command.replacen("curl ", "curl -sf ", 1)));
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for command in commands {
        let command = command.replace("http://127.0.0.1:8080", &origin);
        let (code, _, stderr) = run_bounded(
            Command::new("sh")
                .args(["-c", &command])
                .env("PATH", &path)
                // `*` in the sheet is the class's server, as HTTPGET_STAR names it: this test's.
                .env("HTTPGET_STAR", format!("{origin}/"))
                .current_dir(repository()),
            COMMAND_LIMIT,
        );
        assert_eq!(code, Some(0), "{command}: {stderr}");
    }
}
