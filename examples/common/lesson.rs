//! The command line every lesson shares, so that a lesson's file starts at its protocol:
//! `server` or `client`, `-a ADDRESS` and `-p PORT` for either, and the lesson's own options.
//!
//! A lesson's `main` is one call, [`lesson`] (or [`plain_lesson`] when it has no options of
//! its own). It names the lesson, its port and what each role does; this file parses the
//! arguments, resolves the address, makes Ctrl+C end a server cleanly, and turns a failure
//! into one line and exit code 1. The lesson's functions get the address and do the rest:
//! `bind`, `accept`, `connect`, `read`, `write`, where a student sees them.

use super::{client_address, parse_port, run, say, say_receive_failed, server_address};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

/// What `--help` says about a lesson, and its port.
pub struct Lesson {
    /// One line: what the lesson shows.
    pub about: &'static str,
    /// The port both roles use unless `-p` says otherwise.
    pub port: &'static str,
    /// What `server` does.
    pub server: &'static str,
    /// What `client` does.
    pub client: &'static str,
}

/// The whole command line: a role, where, and options that hold for both roles (`--udp`).
#[derive(Parser)]
struct Cli<S: Args, C: Args, O: Args> {
    #[command(subcommand)]
    role: Role<S, C>,
    /// Server: the address to listen on [default: 0.0.0.0]. Client: the server's address
    /// [default: 127.0.0.1].
    #[arg(short, long, global = true)]
    address: Option<String>,
    /// The port, 1024-65535; a server may use 0 to let the OS choose (it prints the port).
    #[arg(short, long, global = true, value_parser = parse_port)]
    port: u16,
    #[command(flatten)]
    options: O,
}

/// The two halves of a lesson, each with its own options.
#[derive(Subcommand)]
enum Role<S: Args, C: Args> {
    Server(S),
    Client(C),
}

/// No options: for a lesson, or a role, that has none.
#[derive(Args)]
pub struct NoOptions {}

/// `--udp`, for the lessons that speak both TCP and UDP (`echo`, `timestamp`).
#[derive(Args)]
pub struct Transport {
    /// Use UDP instead of TCP.
    #[arg(short, long, global = true)]
    pub udp: bool,
}

/// Parses the command line and runs the chosen role: `server` gets the address to listen on
/// (Ctrl+C already set to end it cleanly), `client` the server's address.
pub fn lesson<S: Args, C: Args, O: Args>(
    lesson: &Lesson,
    server: impl FnOnce(SocketAddr, S, O) -> Result<(), String>,
    client: impl FnOnce(SocketAddr, C, O) -> Result<(), String>,
) -> ExitCode {
    let command = Cli::<S, C, O>::command()
        .about(lesson.about)
        .mut_arg("port", |port| {
            port.required(false).default_value(lesson.port)
        })
        .mut_subcommand("server", |role| role.about(lesson.server))
        .mut_subcommand("client", |role| role.about(lesson.client));
    let cli = match Cli::<S, C, O>::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let address = cli.address.as_deref();
    run(|| match cli.role {
        Role::Server(options) => {
            super::stop_on_ctrl_c()?;
            server(server_address(address, cli.port)?, options, cli.options)
        }
        Role::Client(options) => client(client_address(address, cli.port)?, options, cli.options),
    })
}

/// [`lesson`] for a lesson whose roles need nothing but the address.
pub fn plain_lesson(
    about: &Lesson,
    server: fn(SocketAddr) -> Result<(), String>,
    client: fn(SocketAddr) -> Result<(), String>,
) -> ExitCode {
    lesson(
        about,
        |address, NoOptions {}, NoOptions {}| server(address),
        |address, NoOptions {}, NoOptions {}| client(address),
    )
}

/// What a server's `accept` gave: the connection and the client's address, announced in the
/// log. A failed `accept` is logged and gives `None`: a client that gave up before we accepted
/// it is no reason to stop serving.
pub fn accepted(accept: io::Result<(TcpStream, SocketAddr)>) -> Option<(TcpStream, SocketAddr)> {
    match accept {
        Ok((connection, peer)) => {
            say!("connection from {peer}");
            Some((connection, peer))
        }
        Err(error) => {
            say!("accept failed: {error}");
            None
        }
    }
}

/// What a UDP server's `recv_from` gave: the datagram's size and sender. A failed receive is
/// logged ([`say_receive_failed`]) and gives `None`; the server then waits for the next one.
pub fn received(receive: io::Result<(usize, SocketAddr)>) -> Option<(usize, SocketAddr)> {
    match receive {
        Ok(received) => Some(received),
        Err(error) => {
            say_receive_failed(&error);
            None
        }
    }
}
