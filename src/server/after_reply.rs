//! Step 3, once the answer is known: how the response goes on the wire, and what the
//! connection does after it — wait for the next request, close, or close in stages.
//!
//! One pure function, [`plan`], decides it from the request, the status and the connection's
//! count; the server's [`connection`](super::connection) follows the [`Plan`], and so does the
//! fuzz target `fuzz/fuzz_targets/server_requests.rs`, so what is fuzzed is what the server
//! does. The keep-alive yes-or-no inside it is [`keep_alive`](super::keep_alive)'s.
//!
//! Closing is done in stages after an error, and whenever the client may have sent more than
//! was read, because RFC 9112 §9.6 warns: "If a server performs an immediate close of a TCP
//! connection, there is a significant risk that the client will not be able to read the last
//! HTTP response." Its remedy is the lingering close: "First, the server performs a half-close
//! by closing only the write side of the read/write connection. The server then continues to
//! read from the connection until it receives a corresponding close by the client, or until the
//! server is reasonably certain that its own TCP stack has received the client's
//! acknowledgement of the packet(s) containing the server's last response."
//!
//! Try: `printf 'GET / HTTP/1.0\r\n\r\nextra' | nc 127.0.0.1 8080` gets its whole answer,
//! although `extra` was never read.

use std::time::Duration;

use super::keep_alive::{keep_alive, KEEP_ALIVE_MAX};
use super::request::{Request, Version};
use super::response::{Framing, Persistence};
use crate::status::Status;

/// How a response goes on the wire, and what the connection does once it is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Head only (HEAD), body only (HTTP/0.9), and the `Connection` header.
    pub framing: Framing,
    /// What follows the response.
    pub then: AfterReply,
}

/// What happens to the connection once a response is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterReply {
    /// Wait for the next request (a persistent connection); bytes of it that came early
    /// (pipelining) are read on at once.
    KeepAlive,
    /// Close: HTTP/1.0's default. At once if nothing of the client's can be left unread,
    /// else after draining (a pipelined request, a body nobody asked for may be waiting).
    Close,
    /// Close after draining, always: the request broke a rule, so where it ended, and what
    /// the client still sends, is unknown.
    Drain,
}

impl Plan {
    /// For a request refused (it broke a rule, or its head or body did not arrive in time):
    /// a full response whatever was asked for, then drain and close.
    pub const REFUSAL: Plan = Plan {
        framing: FULL_THEN_CLOSE,
        then: AfterReply::Drain,
    };

    /// For a response that could not be laid out (a small file that shrank or failed to read
    /// since it was opened): a full `500`, then close.
    pub const FAILURE: Plan = Plan {
        framing: FULL_THEN_CLOSE,
        then: AfterReply::Close,
    };
}

/// [`Framing::full_then_close`], as a constant for the plans above.
const FULL_THEN_CLOSE: Framing = Framing {
    head_only: false,
    simple: false,
    persistence: Persistence::Close,
};

/// The plan for answering `request` with `status`: `served` counts the requests answered on
/// this connection, this one included; `stopping` says the server is shutting down;
/// `idle_timeout` is how long a kept-alive connection waits for the next request (announced in
/// the `Keep-Alive` header).
pub fn plan(
    request: &Request,
    status: Status,
    served: usize,
    stopping: bool,
    idle_timeout: Duration,
) -> Plan {
    let (persistence, then) = if keep_alive(request, status, served, stopping) {
        let persistence = Persistence::KeepAlive {
            timeout: idle_timeout,
            remaining: KEEP_ALIVE_MAX - served,
        };
        (persistence, AfterReply::KeepAlive)
    } else {
        (Persistence::Close, AfterReply::Close)
    };
    let framing = Framing {
        head_only: request.method() == "HEAD",
        simple: request.version == Version::Http09,
        persistence,
    };
    Plan { framing, then }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::request::tests::parsed;

    #[test]
    fn the_plan_follows_the_request_the_status_and_the_count() {
        let idle = Duration::from_secs(5);
        let open = |remaining| Persistence::KeepAlive {
            timeout: idle,
            remaining,
        };
        let (keep, close) = (AfterReply::KeepAlive, AfterReply::Close);
        let ok = Status::Ok;
        let http11 = "GET / HTTP/1.1\r\n\r\n";
        #[rustfmt::skip]
        let cases = [
            // request,                                          status, served, stopping,
            //     head only, simple, persistence, then
            ("GET / HTTP/1.0\r\n\r\n",                           ok, 1, false,
                false, false, Persistence::Close, close),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", ok, 1, false,
                false, false, open(KEEP_ALIVE_MAX - 1), keep),
            ("HEAD / HTTP/1.0\r\n\r\n",                          ok, 1, false,
                true, false, Persistence::Close, close),
            ("HEAD / HTTP/1.1\r\n\r\n",                          ok, 3, false,
                true, false, open(KEEP_ALIVE_MAX - 3), keep),
            ("GET /\r\n",                                        ok, 1, false,
                false, true, Persistence::Close, close),
            (http11,                                             ok, 1, false,
                false, false, open(KEEP_ALIVE_MAX - 1), keep),
            ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n",      ok, 1, false,
                false, false, Persistence::Close, close),
            // After these the server cannot tell where the next request starts.
            (http11,                                 Status::BadRequest, 1, false,
                false, false, Persistence::Close, close),
            (http11,                             Status::NotImplemented, 1, false,
                false, false, Persistence::Close, close),
            (http11,                                   Status::NotFound, 1, false,
                false, false, open(KEEP_ALIVE_MAX - 1), keep),
            (http11,                                 ok, KEEP_ALIVE_MAX - 1, false,
                false, false, open(1), keep),
            (http11,                                     ok, KEEP_ALIVE_MAX, false,
                false, false, Persistence::Close, close),
            (http11,                                                  ok, 1, true,
                false, false, Persistence::Close, close),
        ];
        for (sent, status, served, stopping, head_only, simple, persistence, then) in cases {
            let request = parsed(sent.as_bytes());
            let want = Plan {
                framing: Framing {
                    head_only,
                    simple,
                    persistence,
                },
                then,
            };
            let got = plan(&request, status, served, stopping, idle);
            assert_eq!(
                got, want,
                "{sent:?} {status:?} {served} served, stopping {stopping}"
            );
        }
    }

    #[test]
    fn refusals_and_failures_go_out_whole_then_close() {
        for (plan, then) in [
            (Plan::REFUSAL, AfterReply::Drain),
            (Plan::FAILURE, AfterReply::Close),
        ] {
            assert_eq!(plan.framing, Framing::full_then_close());
            assert_eq!(plan.then, then);
        }
    }
}
