//! One connection to `httpserve`, as its event loop serves it: the client's bytes arrive in
//! reads of fuzzer-chosen sizes into a `RequestBuffer`, `take_request` is asked after each
//! read, every whole request is routed against the fixture folder and its response laid out
//! by `Outgoing` as `after_reply::plan` (the server's own decision) frames it — until the plan
//! says the connection closes.
//!
//! Checked: every response passes `check_response` (status line, one true `Content-Length`,
//! no control character in a header, nothing from outside the root), and the answers do not
//! depend on how the bytes were split: the same bytes read 4 KiB at a time (the server's own
//! read size) give exactly the same responses.

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http10::server::after_reply::{self, AfterReply, Plan};
use http10::server::request::{Gathering, RequestBuffer, READ_CHUNK};
use http10::server::response::{Framing, Response};
use http10::server::routes;
use http10::server::send::{Outgoing, Sent};
use http10_fuzz::{check_response, fixture, split_input, Expect, Pieces};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (sizes, stream) = split_input(data);
    let answers = serve_connection(stream, sizes);
    let in_whole_reads = serve_connection(stream, vec![READ_CHUNK]);
    assert!(
        answers == in_whole_reads,
        "the answers depend on how the request was split into reads:\n{:?}\n---\n{:?}",
        answers
            .iter()
            .map(|a| String::from_utf8_lossy(a))
            .collect::<Vec<_>>(),
        in_whole_reads
            .iter()
            .map(|a| String::from_utf8_lossy(a))
            .collect::<Vec<_>>()
    );
});

/// Serves `stream` as one connection would, reading it in pieces of `sizes`; returns each
/// response as laid out.
fn serve_connection(stream: &[u8], sizes: Vec<usize>) -> Vec<Vec<u8>> {
    let site = &fixture().site;
    let arrived_on: SocketAddr = "127.0.0.1:8080".parse().expect("an address");
    // A fixed clock, so that two runs lay out the same bytes.
    let now = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    let mut source = Pieces::new(stream, sizes);
    let mut received = RequestBuffer::new();
    let mut scratch = vec![0; READ_CHUNK];
    let mut answers = Vec::new();
    let mut served = 0;
    loop {
        match received.take_request() {
            Ok(Gathering::Complete(request)) => {
                served += 1;
                let response =
                    routes::respond(site, &request, Instant::now(), &|| Some(arrived_on));
                let idle = Duration::from_secs(5);
                let plan = after_reply::plan(&request, response.status, served, false, idle);
                let expect = Expect {
                    simple: plan.framing.simple,
                    head_only: plan.framing.head_only,
                };
                let bytes = lay_out(response, plan.framing, now);
                check_response(&bytes, expect, stream);
                answers.push(bytes);
                // Closing, with or without draining first, ends what this connection answers.
                if plan.then != AfterReply::KeepAlive {
                    return answers;
                }
                continue;
            }
            Err(rejected) => {
                let status = rejected.error.status();
                assert!(status.code() >= 400, "a refusal with status {status:?}");
                let response = Response::error(status, &rejected.error.to_string());
                let bytes = lay_out(response, Plan::REFUSAL.framing, now);
                check_response(
                    &bytes,
                    Expect {
                        simple: false,
                        head_only: false,
                    },
                    stream,
                );
                answers.push(bytes);
                return answers;
            }
            Ok(Gathering::NeedHead | Gathering::NeedBody) => {}
        }
        match received.read_from(&mut source, &mut scratch) {
            Ok(0) => return answers,
            Ok(_) => {}
            Err(error) => panic!("reading from memory failed: {error}"),
        }
    }
}

/// The bytes `Outgoing` puts on a socket for `response`.
fn lay_out(response: Response, framing: Framing, now: SystemTime) -> Vec<u8> {
    let mut outgoing = Outgoing::new(response, framing, now).expect("the fixture's files read");
    let mut socket = Vec::new();
    loop {
        match outgoing.write_to(&mut socket) {
            Ok(Sent::All) => return socket,
            Ok(Sent::Piece) => {} // the next piece
            Ok(Sent::SocketFull) => panic!("a Vec is never full"),
            Err(error) => panic!("laying out into memory failed: {error}"),
        }
    }
}
