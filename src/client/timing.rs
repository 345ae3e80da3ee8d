//! Time on the wire: the moments of an exchange, as curl's `-w` names them, and the timing view
//! that ends `httpget -v`.
//!
//! A fetch passes five moments after it starts: the name is resolved, the TCP connection is
//! open, the request is about to go ("pretransfer"), the request has gone, the reply's first
//! byte has come. The client reports each to its [`Observer`](super::Observer) as a [`Step`],
//! with the `Instant` it was taken; [`Timings`] keeps them, one [`Instant::now`] per step and
//! nothing else.
//!
//! curl's times are seconds since the transfer started, cumulative (`time_namelookup` ≤
//! `time_connect` ≤ `time_pretransfer` ≤ `time_starttransfer` ≤ `time_total`). With `-L`,
//! curl measures each step from the start of its own hop and adds up the hops, and
//! `time_redirect` is the time from the start to the last hop's start; [`Timings`] does the
//! same, so `httpget -w` and `curl -w` print the same kind of number.
//!
//! [`timing_view`] draws the last hop's steps as bars on one time line, as httpstat and the
//! Timing tab of a browser's DevTools do. Try:
//! `httpget -v --timing -o /dev/null http://127.0.0.1:8080/notes.txt`.

use std::time::{Duration, Instant};

/// A moment in one exchange (one hop of a redirect chain), in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The host name has its addresses (at once for an IP address).
    Resolved,
    /// The TCP connection is open (the three-way handshake is done).
    Connected,
    /// The request is about to be sent: curl's "pretransfer".
    Pretransfer,
    /// The request has been written to the socket.
    Sent,
    /// The first byte of the reply has arrived: curl's "starttransfer", the end of the wait.
    FirstByte,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 5] = [
        Step::Resolved,
        Step::Connected,
        Step::Pretransfer,
        Step::Sent,
        Step::FirstByte,
    ];

    fn index(self) -> usize {
        match self {
            Step::Resolved => 0,
            Step::Connected => 1,
            Step::Pretransfer => 2,
            Step::Sent => 3,
            Step::FirstByte => 4,
        }
    }
}

/// One hop: when it started, and when it reached each step (if it did).
#[derive(Debug, Clone, Copy)]
struct Hop {
    start: Instant,
    reached: [Option<Instant>; 5],
}

/// The instants of a transfer: one `Hop` per request (more than one with `-L`), and its end.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    hops: Vec<Hop>,
    end: Option<Instant>,
}

impl Timings {
    /// A new hop (the first request, or the next one after a redirect) starts `at`.
    pub fn start_hop(&mut self, at: Instant) {
        self.hops.push(Hop {
            start: at,
            reached: [None; 5],
        });
    }

    /// The current hop reached `step` `at` (the first time only: a step is one moment).
    pub fn mark(&mut self, step: Step, at: Instant) {
        if let Some(hop) = self.hops.last_mut() {
            let slot = &mut hop.reached[step.index()];
            if slot.is_none() {
                *slot = Some(at);
            }
        }
    }

    /// The transfer ended `at`: the body is in, or it failed.
    pub fn finish(&mut self, at: Instant) {
        self.end = Some(at);
    }

    /// How many requests were made (redirects followed, plus one).
    pub fn hops(&self) -> usize {
        self.hops.len()
    }

    /// curl's `time_namelookup`, `time_connect`, …: seconds from each hop's start to `step`,
    /// added up over the hops; 0 if no hop reached it.
    pub fn seconds(&self, step: Step) -> f64 {
        let mut total = Duration::ZERO;
        for hop in &self.hops {
            if let Some(at) = hop.reached[step.index()] {
                total += at.saturating_duration_since(hop.start);
            }
        }
        total.as_secs_f64()
    }

    /// curl's `time_redirect`: seconds from the start to the start of the last hop.
    pub fn redirect_seconds(&self) -> f64 {
        match (self.hops.first(), self.hops.last()) {
            (Some(first), Some(last)) => last.start.saturating_duration_since(first.start),
            _ => Duration::ZERO,
        }
        .as_secs_f64()
    }

    /// curl's `time_total`: seconds from the start to the end.
    pub fn total_seconds(&self) -> f64 {
        self.total().as_secs_f64()
    }

    fn total(&self) -> Duration {
        match (self.hops.first(), self.end) {
            (Some(first), Some(end)) => end.saturating_duration_since(first.start),
            _ => Duration::ZERO,
        }
    }
}

/// The width of a bar in the timing view, in characters: the whole transfer.
pub const BAR_WIDTH: usize = 40;

/// The timing view: one line per phase of the last hop, its milliseconds, and a bar placed on
/// one time line scaled to the whole transfer (a waterfall, as DevTools draws it). Each line
/// begins with `* `, like the rest of `-v`.
///
/// ```text
/// * timing (ms from the start; | is 4.412 ms)
/// *   DNS lookup        0.011  |▏                                       |
/// *   TCP connect       0.142  |█                                       |
/// *   request sent      0.040  | ▏                                      |
/// *   waiting (TTFB)    4.102  | ██████████████████████████████████████ |
/// *   download          0.117  |                                       █|
/// *   total             4.412
/// ```
pub fn timing_view(timings: &Timings) -> String {
    let total = timings.total();
    let mut view = format!(
        "* timing (ms from the start; the bar is {} ms)\n",
        millis(total)
    );
    let (Some(first), Some(last)) = (timings.hops.first(), timings.hops.last()) else {
        return view;
    };
    let end = timings.end.unwrap_or(last.start);
    let mut phases: Vec<(String, Option<(Instant, Instant)>)> = Vec::new();
    if timings.hops.len() > 1 {
        let label = format!("redirects ({})", timings.hops.len() - 1);
        phases.push((label, Some((first.start, last.start))));
    }
    // Each phase runs from the step before it (or the hop's start) to its own step; the
    // download runs from the first byte to the end.
    let labels = [
        "DNS lookup",
        "TCP connect",
        "request sent",
        "waiting (TTFB)",
    ];
    let steps = [Step::Resolved, Step::Connected, Step::Sent, Step::FirstByte];
    let mut from = Some(last.start);
    for (label, step) in labels.into_iter().zip(steps) {
        let to = last.reached[step.index()];
        let span = match (from, to) {
            (Some(from), Some(to)) => Some((from, to)),
            _ => None,
        };
        phases.push((label.to_string(), span));
        from = to;
    }
    let download = from.map(|from| (from, end));
    phases.push(("download".to_string(), download));

    for (label, span) in phases {
        match span {
            Some((from, to)) => {
                let took = to.saturating_duration_since(from);
                let offset = from.saturating_duration_since(first.start);
                let bar = bar(offset, took, total);
                view.push_str(&format!("*   {label:<16}{:>10}  |{bar}|\n", millis(took)));
            }
            None => view.push_str(&format!("*   {label:<16}{:>10}\n", "-")),
        }
    }
    view.push_str(&format!("*   {:<16}{:>10}\n", "total", millis(total)));
    view
}

/// Milliseconds with three decimals: a local fetch is a matter of microseconds.
fn millis(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1000.0)
}

/// A bar of [`BAR_WIDTH`] characters: blank before `offset`, `█` for `took`, blank after,
/// scaled so the width is `total`. A phase too short for one cell shows as a thin `▏`, so that
/// it is seen to have happened.
fn bar(offset: Duration, took: Duration, total: Duration) -> String {
    let cells = |time: Duration| -> usize {
        if total.is_zero() {
            return 0;
        }
        let share = time.as_secs_f64() / total.as_secs_f64();
        // Rounded to the nearest cell, and never past the end.
        ((share * BAR_WIDTH as f64).round() as usize).min(BAR_WIDTH)
    };
    let start = cells(offset);
    let stop = cells(offset + took).max(start);
    let mut bar = String::with_capacity(BAR_WIDTH * 3);
    for cell in 0..BAR_WIDTH {
        if cell >= start && cell < stop {
            bar.push('█');
        } else if start == stop && cell == start.min(BAR_WIDTH - 1) {
            bar.push('▏');
        } else {
            bar.push(' ');
        }
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(count: u64) -> Duration {
        Duration::from_millis(count)
    }

    /// A two-hop transfer: a redirect taking 10 ms, then a hop with each step 10 ms apart.
    fn two_hops() -> Timings {
        let start = Instant::now();
        let mut timings = Timings::default();
        timings.start_hop(start);
        timings.mark(Step::Resolved, start + ms(1));
        timings.mark(Step::Connected, start + ms(2));
        timings.mark(Step::Pretransfer, start + ms(2));
        timings.mark(Step::Sent, start + ms(3));
        timings.mark(Step::FirstByte, start + ms(8));
        let second = start + ms(10);
        timings.start_hop(second);
        for (step, at) in Step::ALL.into_iter().zip([10, 20, 20, 30, 40]) {
            timings.mark(step, second + ms(at));
        }
        timings.mark(Step::FirstByte, second + ms(45)); // a second mark changes nothing
        timings.finish(second + ms(50));
        timings
    }

    #[test]
    fn the_times_add_up_over_the_hops_as_curls_do() {
        let timings = two_hops();
        let close = |got: f64, want: f64| (got - want).abs() < 1e-9;
        assert!(close(timings.seconds(Step::Resolved), 0.011));
        assert!(close(timings.seconds(Step::Connected), 0.022));
        assert!(close(timings.seconds(Step::FirstByte), 0.048));
        assert!(close(timings.redirect_seconds(), 0.010));
        assert!(close(timings.total_seconds(), 0.060));
        assert_eq!(timings.hops(), 2);
        let mut last = 0.0;
        for step in Step::ALL {
            assert!(timings.seconds(step) >= last, "{step:?}");
            last = timings.seconds(step);
        }
        assert!(timings.total_seconds() >= last);
    }

    #[test]
    fn a_step_never_reached_counts_as_zero() {
        let start = Instant::now();
        let mut timings = Timings::default();
        timings.start_hop(start);
        timings.mark(Step::Resolved, start + ms(1));
        timings.finish(start + ms(5));
        assert_eq!(timings.seconds(Step::Connected), 0.0);
        assert_eq!(timings.redirect_seconds(), 0.0);
        let view = timing_view(&timings);
        assert!(view.contains("TCP connect"), "{view}");
        assert!(!view.contains("redirects"), "{view}");
    }

    #[test]
    fn the_view_draws_each_phase_where_it_falls_on_one_time_line() {
        let view = timing_view(&two_hops());
        let lines: Vec<&str> = view.lines().collect();
        assert_eq!(lines.len(), 8, "{view}");
        assert!(lines[0].contains("60.000 ms"), "{view}");
        // The redirect is the first 10 ms of 60: about 7 of the 40 cells, from the left.
        let bar_of = |line: &str| line.split('|').nth(1).map(str::to_string);
        let redirect = bar_of(lines[1]).expect("a bar");
        assert!(lines[1].contains("redirects (1)") && lines[1].contains("10.000"));
        assert_eq!(redirect.chars().count(), BAR_WIDTH);
        assert!(redirect.starts_with("███████ "), "{redirect:?}");
        // The download is the last 10 ms: it ends at the right edge.
        let download = bar_of(lines[6]).expect("a bar");
        assert!(lines[6].contains("download") && download.ends_with('█'));
        assert!(lines[7].contains("total") && lines[7].contains("60.000"));
    }

    #[test]
    fn a_bar_too_short_for_a_cell_is_a_thin_mark() {
        for (offset, took, want_thin, want_full) in [
            (0, 0, 1, 0),
            (0, 100, 0, BAR_WIDTH),
            (50, 1, 1, 0),
            (99, 1, 1, 0),
            (50, 50, 0, BAR_WIDTH / 2),
        ] {
            let drawn = bar(ms(offset), ms(took), ms(100));
            assert_eq!(drawn.chars().count(), BAR_WIDTH, "{offset} {took}");
            assert_eq!(drawn.matches('▏').count(), want_thin, "{offset} {took}");
            assert_eq!(drawn.matches('█').count(), want_full, "{offset} {took}");
        }
        assert_eq!(bar(ms(0), ms(0), Duration::ZERO).trim(), "▏");
    }
}
