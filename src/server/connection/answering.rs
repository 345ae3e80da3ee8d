//! Step 2 on the connection: a whole request is in (`Received`) — route it, plan the
//! response ([`after_reply::plan`]), and lay it out for sending; a folder's listing is built
//! off the loop meanwhile (`Preparing`).

use std::sync::atomic::Ordering;

use super::super::after_reply::{self, AfterReply, Plan};
use super::super::batch_clock;
use super::super::live::LiveAnswer;
use super::super::response::{Body, Response};
use super::super::routes;
use super::super::send::Outgoing;
use super::super::{LogLevel, Shared};
use super::{Clock, Connection, Outbound, Paused, State, Step, Stream};
use crate::status::Status;

impl<S: Stream, C: Clock> Connection<S, C> {
    /// A whole request has arrived: route it and start sending the answer.
    pub(super) fn answer(&mut self, shared: &Shared) -> Step {
        let State::Received {
            request,
            arrived_at,
        } = std::mem::replace(&mut self.state, State::Waiting)
        else {
            return Step::Continue(());
        };
        self.served += 1;
        shared.log.head(self.peer, &request);
        // `httpserve --live` answers its own two paths first; without it, one branch.
        let live = shared.live.as_ref().and_then(|live| live.answer(&request));
        let response = match live {
            None => {
                let socket = &self.socket;
                let arrived_on = || socket.arrived_on();
                routes::respond(&shared.site, &request, arrived_at, &arrived_on)
            }
            Some(LiveAnswer::Reply(response)) => response,
            Some(LiveAnswer::Watch) => {
                // The stream's head and body are written by the view thread; the log line
                // is written now, as the stream has no end the server can wait for.
                let line = request.request_line();
                shared.log.access(self.peer, line, Status::Ok, 0);
                self.last_request = line.to_vec();
                self.last_status = Some(Status::Ok);
                return Step::Break(Paused::Watch);
            }
        };
        let stopping = shared.stopping.load(Ordering::SeqCst);
        let plan = after_reply::plan(
            &request,
            response.status,
            self.served,
            stopping,
            shared.timeouts.keep_alive,
        );
        if plan.then == AfterReply::KeepAlive && !self.no_delay {
            // A response leaves in one write, but on a connection kept open the client's
            // delayed ACK of the last one would make Nagle's algorithm hold back the start of
            // the next for about 40 ms. A connection that closes after one response has no
            // "next", so it is spared the system call (as nginx does).
            self.socket.send_small_segments_at_once();
            self.no_delay = true;
        }
        let request_line = if shared.log.shows(LogLevel::Access) || shared.live.is_some() {
            request.request_line().to_vec()
        } else {
            Vec::new() // not logged: spare the allocation
        };
        if let Body::Deferred(work) = response.body {
            self.state = State::Preparing { plan, request_line };
            self.start_clock(shared.timeouts.write);
            return Step::Break(Paused::Deferred(work));
        }
        self.start_reply(shared, response, plan, request_line)
    }

    /// The response that was being built off the loop is ready: send it.
    pub(in crate::server) fn finish_preparing(&mut self, shared: &Shared, response: Response) {
        let State::Preparing { plan, request_line } =
            std::mem::replace(&mut self.state, State::Waiting)
        else {
            return;
        };
        // Whatever it says, the loop advances the connection next, which sends or closes.
        let _ = self.start_reply(shared, response, plan, request_line);
    }

    /// Lays out the response and switches to sending it.
    pub(super) fn start_reply(
        &mut self,
        shared: &Shared,
        response: Response,
        plan: Plan,
        request_line: Vec<u8>,
    ) -> Step {
        let mut status = response.status;
        let mut then = plan.then;
        let outgoing = match Outgoing::new(response, plan.framing, batch_clock::wall_now()) {
            Ok(outgoing) => outgoing,
            Err(_) => {
                // A small file is read here, and it shrank (or failed to read) since it was
                // opened: answer what happened instead of a head that would promise bytes
                // that are not there.
                status = Status::InternalServerError;
                then = Plan::FAILURE.then;
                let error = Response::error(status, "The file could not be read.");
                match Outgoing::new(error, Plan::FAILURE.framing, batch_clock::wall_now()) {
                    Ok(outgoing) => outgoing,
                    Err(_) => return Step::Break(Paused::Over("the file could not be read")),
                }
            }
        };
        self.state = State::Sending(Outbound {
            outgoing,
            status,
            request_line,
            then,
        });
        self.start_clock(shared.timeouts.write);
        Step::Continue(())
    }
}
