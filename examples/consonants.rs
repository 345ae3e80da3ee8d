//! # Exercise 3.1: a consonant counter, over UDP
//!
//! The client asks for a sentence and sends it in one datagram; the server answers with the
//! number of consonants in it, as text (`7`); the client prints a sentence around that number.
//!
//! ```text
//! cargo run --example consonants -- server               # UDP, 0.0.0.0:12000
//! cargo run --example consonants -- client               # then type: Hello, World!
//! ```
//!
//! A consonant is a letter that is not a vowel (`a e i o u`, in either case): `y` counts,
//! spaces, digits and punctuation do not. Only the English letters `A`–`Z` are counted:
//! whether `é`, `ß` or `ж` is a consonant depends on the language, and the exercise has one
//! rule for all. So `Hello, World!` has 7 (H l l W r l d), and `Ça va` has 1: the `v`.
//!
//! The answer is never longer than the sentence (`udp_uppercase.rs` says why that matters): a
//! count has no more digits than the sentence has bytes. Except `0` for an empty datagram, one
//! byte for none: the server does not answer that, and the client sends an empty sentence as a
//! space, which has no consonants either.
//!
//! As in every UDP client, a lost datagram means no reply ever comes: this one waits
//! [`REPLY_TIMEOUT`] and says so.
//!
//! Try: a sentence in capitals; one in another language; the client with no server running.

#[path = "common/mod.rs"]
mod common;

use common::say;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// The receive buffer of both sides: a longer sentence is cut, and only its start is counted.
const BUFFER_SIZE: usize = 2048;

/// How long the client waits for the count.
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    common::plain_lesson(
        &common::Lesson {
            about: "Exercise 3.1: the server counts the consonants of a sentence.",
            port: "12000",
            server: "Answer each datagram with the number of consonants in it.",
            client: "Send a sentence from stdin and print how many consonants it has.",
        },
        server,
        client,
    )
}

/// Counts the letters A–Z, either case, that are not vowels.
fn count_consonants(text: &str) -> usize {
    let mut count = 0;
    for character in text.chars() {
        let is_vowel = matches!(character.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u');
        if character.is_ascii_alphabetic() && !is_vowel {
            count += 1;
        }
    }
    count
}

fn server(address: SocketAddr) -> Result<(), String> {
    let socket = common::bind_udp(address)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let Some((size, sender)) = common::received(socket.recv_from(&mut buffer)) else {
            continue;
        };
        let count = count_consonants(&String::from_utf8_lossy(&buffer[..size]));
        say!(
            "request from {sender}: {}",
            common::plural(count, "consonant")
        );
        common::send_reply(&socket, count.to_string().as_bytes(), size, sender);
    }
}

fn client(server: SocketAddr) -> Result<(), String> {
    let socket = common::udp_client(server, REPLY_TIMEOUT)?;
    let sentence = match common::ask("Sentence: ")? {
        Some(sentence) => sentence,
        None => return Err("no sentence to send: stdin ended".to_string()),
    };
    // An empty datagram gets no answer: `0` would be longer (see the module docs).
    let request = if sentence.is_empty() { " " } else { &sentence };
    if let Err(error) = socket.send_to(request.as_bytes(), server) {
        return Err(format!("cannot send to {server}: {error}"));
    }
    let mut buffer = [0u8; BUFFER_SIZE];
    let size = match socket.recv_from(&mut buffer) {
        Ok((size, _sender)) => size,
        Err(error) if common::is_timeout(&error) => {
            return Err(format!(
                "no answer from {server} within {} s: lost, or no server listening",
                REPLY_TIMEOUT.as_secs()
            ))
        }
        Err(error) => return Err(format!("no answer from {server}: {error}")),
    };
    let answer = String::from_utf8_lossy(&buffer[..size]);
    match answer.trim().parse::<usize>() {
        Ok(count) => say!("\"{sentence}\" has {}.", common::plural(count, "consonant")),
        Err(_) => {
            return Err(format!(
                "{server} answered {answer:?}, which is not a count"
            ))
        }
    }
    Ok(())
}
