//! # Exercise 3.3: a prime checker, over UDP
//!
//! The client asks for a number and sends it as text in one datagram. The server answers with
//! one of three codes — `1` prime, `0` not prime, `-1` not a number — and the client turns the
//! code into a sentence. A protocol of small codes, with the words on the client's side, is
//! common: the server need not know its clients' language.
//!
//! ```text
//! cargo run --example primes -- server                   # UDP, 0.0.0.0:12000
//! cargo run --example primes -- client                   # then type: 18446744073709551557
//! ```
//!
//! What the server accepts: an optional sign and decimal digits, surrounding spaces ignored.
//! A negative number, 0 and 1 are not prime (a prime is a whole number above 1 whose only
//! divisors are 1 and itself). A whole number above 2⁶⁴ − 1 gets `-1`: it is a number, but not
//! one this checker can read, and the client says so.
//!
//! An answer is never longer than its request (`udp_uppercase.rs` says why), so a request
//! shorter than its answer, such as `x` (1 byte, answered `-1`), is not answered. The client
//! pads every request to two bytes with spaces, which the server ignores.
//!
//! ## Fast for every 64-bit number
//!
//! Trying divisors up to √n takes up to 2³² divisions for a large 64-bit prime: seconds, and the
//! client would give up. The Miller–Rabin test instead checks a few *witnesses* `a`: if
//! `n` is prime, then writing `n − 1 = d·2ˢ` with `d` odd, either `aᵈ ≡ 1` or one of
//! `aᵈ, a²ᵈ, a⁴ᵈ, … a^(2ˢ⁻¹·d)` is `≡ −1 (mod n)` (Fermat's little theorem, and ±1 being the only
//! square roots of 1 modulo a prime). A composite fails this for most `a`, and it is known that
//! no composite below 3.3·10²⁴ passes for all of the first twelve primes as witnesses — so
//! for 64-bit numbers the test is exact, not probabilistic, and takes microseconds.
//!
//! Try: `18446744073709551557` (the largest 64-bit prime), `18446744073709551615`
//! (2⁶⁴ − 1 = 3·5·17·257·641·65537·6700417), `561` (the first Carmichael number, which fools
//! the plain Fermat test), `-7`, `abc`.

#[path = "common/mod.rs"]
mod common;

use common::say;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// The receive buffer of both sides: a number has at most 20 digits, a code at most 2 bytes.
const BUFFER_SIZE: usize = 2048;

/// How long the client waits for the answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// Witnesses that make Miller–Rabin exact below 3.3·10²⁴, so for every `u64` (Sorenson and
/// Webster, "Strong pseudoprimes to twelve prime bases", 2015).
const WITNESSES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];

fn main() -> ExitCode {
    common::plain_lesson(
        &common::Lesson {
            about: "Exercise 3.3: the server tells whether a number is prime.",
            port: "12000",
            server: "Answer each number with 1 (prime), 0 (not prime) or -1 (not a number).",
            client: "Send a number from stdin and print whether it is prime.",
        },
        server,
        client,
    )
}

/// The server's answer to one request: `"1"`, `"0"` or `"-1"`.
fn answer(request: &str) -> &'static str {
    let text = request.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return "-1";
    }
    if negative {
        return "0";
    }
    match digits.parse::<u64>() {
        Ok(n) if is_prime(n) => "1",
        Ok(_) => "0",
        Err(_) => "-1", // only digits, so the one way to fail is being above u64::MAX
    }
}

/// Deterministic Miller–Rabin for 64-bit numbers (see the module docs).
fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    // Small divisors first: this settles the witnesses themselves and most composites.
    for prime in WITNESSES {
        if n % prime == 0 {
            return n == prime;
        }
    }
    // n − 1 = d·2ˢ with d odd.
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    'witnesses: for witness in WITNESSES {
        let mut x = pow_mod(witness, d, n);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mul_mod(x, x, n);
            if x == n - 1 {
                continue 'witnesses;
            }
        }
        return false; // this witness proves n composite
    }
    true
}

/// `a·b mod n` without overflow: the product of two 64-bit numbers fits in 128 bits.
fn mul_mod(a: u64, b: u64, n: u64) -> u64 {
    let product = u128::from(a) * u128::from(b) % u128::from(n);
    u64::try_from(product).expect("a remainder modulo a u64 fits in a u64")
}

/// `base^exponent mod n` by repeated squaring: 64 squarings at most.
fn pow_mod(base: u64, mut exponent: u64, n: u64) -> u64 {
    let mut result = 1;
    let mut square = base % n;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = mul_mod(result, square, n);
        }
        square = mul_mod(square, square, n);
        exponent >>= 1;
    }
    result
}

fn server(address: SocketAddr) -> Result<(), String> {
    let socket = common::bind_udp(address)?;
    let mut buffer = [0u8; BUFFER_SIZE];
    loop {
        let Some((size, sender)) = common::received(socket.recv_from(&mut buffer)) else {
            continue;
        };
        let code = answer(&String::from_utf8_lossy(&buffer[..size]));
        say!("request from {sender}: answered {code}");
        common::send_reply(&socket, code.as_bytes(), size, sender);
    }
}

fn client(server: SocketAddr) -> Result<(), String> {
    let socket = common::udp_client(server, REPLY_TIMEOUT)?;
    let number = match common::ask("Number: ")? {
        Some(number) => number.trim().to_string(),
        None => return Err("no number to send: stdin ended".to_string()),
    };
    // Room for the longest answer, `-1` (see the module docs).
    let request = format!("{number:<2}");
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
    match String::from_utf8_lossy(&buffer[..size]).trim() {
        "1" => say!("{number} is prime."),
        "0" => say!("{number} is not prime."),
        "-1" => say!("{number:?} is not a whole number from 0 to 18446744073709551615."),
        other => {
            return Err(format!(
                "{server} answered {other:?}, which is not 1, 0 or -1"
            ))
        }
    }
    Ok(())
}
