//! httpserve under many clients, stalled clients, hostile bytes and vanishing clients.
//! Bounded in count and time; loopback only.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use support::{read_to_close, site, Reply, Server, BIG_BYTES, NOTES, PATIENCE};

/// The deadline for a whole request head these tests give the server (`--head-timeout`), far
/// below the 60 s default, so that waiting it out costs the suite half a second, not a minute.
const HEAD_TIMEOUT: Duration = Duration::from_millis(500);
const HEAD_TIMEOUT_ARG: [&str; 2] = ["--head-timeout", "0.5"];

fn get_notes(server: &Server) -> Reply {
    server.get("GET /notes.txt HTTP/1.0\r\n\r\n")
}

#[test]
fn two_hundred_concurrent_clients_are_all_served() {
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet"]);
    let start_together = Arc::new(Barrier::new(200));
    let clients: Vec<_> = (0..200)
        .map(|_| {
            let addr = server.addr();
            let start_together = Arc::clone(&start_together);
            thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
                start_together.wait();
                stream
                    .write_all(b"GET /notes.txt HTTP/1.0\r\n\r\n")
                    .expect("send");
                Reply::parse(&read_to_close(&mut stream))
            })
        })
        .collect();
    for client in clients {
        let reply = client.join().expect("client thread");
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.body, NOTES.as_bytes());
    }
}

#[test]
fn one_event_loop_serves_two_hundred_clients_at_once() {
    // With a single loop, every connection is multiplexed on one thread.
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet", "--threads", "1"]);
    let mut clients: Vec<TcpStream> = (0..200).map(|_| server.connect()).collect();
    for client in &mut clients {
        client
            .write_all(b"GET /notes.txt HTTP/1.0\r\n\r\n")
            .expect("send");
    }
    for client in &mut clients {
        let reply = Reply::parse(&read_to_close(client));
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.body, NOTES.as_bytes());
    }
}

#[test]
fn a_client_that_stops_reading_a_download_delays_no_one() {
    // One loop, so the stalled download and everyone else share a thread: the loop must move
    // on when the stalled socket is full, not wait for it.
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet", "--threads", "1"]);
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let stream = server.start_download("/big.bin");
        stalled.push(stream); // and is never read again
    }
    for _ in 0..5 {
        let reply = get_notes(&server);
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.body, NOTES.as_bytes());
    }
    let mut whole = server.connect();
    whole
        .write_all(b"GET /big.bin HTTP/1.0\r\n\r\n")
        .expect("send");
    let reply = Reply::parse(&read_to_close(&mut whole));
    assert_eq!(reply.body.len(), BIG_BYTES);
}

/// 200 clients that connect and say nothing, or half a request head, then wait.
fn stall_two_hundred(server: &Server) -> Vec<TcpStream> {
    (0..200)
        .map(|index| {
            let mut stream = server.connect();
            if index % 2 == 1 {
                // Half a head: a request line, a header, and no blank line.
                stream
                    .write_all(b"GET /notes.txt HTTP/1.0\r\nHost: x")
                    .expect("send");
            }
            stream
        })
        .collect()
}

#[test]
fn two_hundred_stalled_clients_do_not_delay_a_normal_request() {
    // The default head deadline (60 s): a server that served the stalled clients one by one
    // could answer the normal request only after cutting them all off.
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet"]);
    let stalled = stall_two_hundred(&server);
    let reply = get_notes(&server);
    assert_eq!(reply.status(), 200);
    // It was answered while every stalled client was still connected and waiting.
    for stream in &stalled {
        stream.set_nonblocking(true).expect("nonblocking");
        let mut byte = [0u8; 1];
        let waiting = (&*stream).read(&mut byte);
        assert!(
            matches!(&waiting, Err(error) if error.kind() == ErrorKind::WouldBlock),
            "a stalled client was answered or cut off before the normal request: {waiting:?}"
        );
    }
}

#[test]
fn two_hundred_stalled_clients_are_all_cut_off_by_the_head_deadline() {
    let dir = site();
    let server = Server::start(
        dir.path(),
        &["--quiet", HEAD_TIMEOUT_ARG[0], HEAD_TIMEOUT_ARG[1]],
    );
    for mut stream in stall_two_hundred(&server) {
        stream
            .set_read_timeout(Some(HEAD_TIMEOUT + PATIENCE))
            .expect("timeout");
        let mut rest = Vec::new();
        let ended = stream.read_to_end(&mut rest);
        assert!(
            ended.is_ok(),
            "a stalled client was never cut off: {ended:?}"
        );
    }
}

#[test]
fn a_client_dribbling_its_head_is_cut_off_by_the_whole_head_deadline() {
    let dir = site();
    let server = Server::start(
        dir.path(),
        &["--quiet", HEAD_TIMEOUT_ARG[0], HEAD_TIMEOUT_ARG[1]],
    );
    let mut stream = server.connect();
    stream
        .write_all(b"GET /notes.txt HTTP/1.0\r\nX-Slow: ")
        .expect("send");
    let started = Instant::now();
    let give_up = HEAD_TIMEOUT + PATIENCE;
    // One byte every 200 ms would keep a per-read timeout happy forever.
    let cut_off = loop {
        if started.elapsed() > give_up {
            break false;
        }
        match stream.write_all(b"a") {
            Ok(()) => {}
            Err(_) => break true,
        }
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut byte = [0u8; 1];
        match stream.read(&mut byte) {
            Ok(0) => break true,
            Ok(_) => break true,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break true,
        }
    };
    assert!(
        cut_off,
        "the dribbling client was still connected after {give_up:?}"
    );
}

/// Waits until the server's verbose log says `count` clients connected.
fn wait_for_connected(server: &Server, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    while server
        .stderr()
        .iter()
        .filter(|line| line.ends_with(" connected"))
        .count()
        < count
    {
        assert!(
            Instant::now() < deadline,
            "{count} clients were not all accepted"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_full_server_closes_the_longest_waiting_idle_connection_for_a_new_client() {
    let dir = site();
    let server = Server::start(dir.path(), &["--max-connections", "3", "--verbose"]);
    let mut holders: Vec<TcpStream> = Vec::new();
    for count in 1..=3 {
        holders.push(server.connect());
        // One at a time, so that the first is the one that has waited longest.
        wait_for_connected(&server, count);
    }
    let served = get_notes(&server);
    assert_eq!(served.status(), 200, "a new client is served, not refused");
    // The first holder was closed to make room; it sent nothing, so it gets nothing.
    let first = read_to_close(&mut holders[0]);
    assert!(first.is_empty(), "{:?}", String::from_utf8_lossy(&first));
    server.wait_for_stderr(|line| line.contains("the server is full and it waited longest"));
}

#[test]
fn over_the_connection_limit_of_busy_connections_a_client_gets_503_and_the_slot_comes_back() {
    let dir = site();
    let server = Server::start(dir.path(), &["--max-connections", "3", "--verbose"]);
    // Three downloads that are not read: each connection is busy sending, none may be closed
    // to make room.
    let mut holders: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /big.bin HTTP/1.0\r\n\r\n")
                .expect("send");
            stream
        })
        .collect();
    wait_for_connected(&server, 3);
    // Each download has begun (its first bytes are here): every connection is busy sending,
    // not waiting for a request, which the server could close to make room.
    for holder in &mut holders {
        let mut first = [0u8; 12];
        holder
            .set_read_timeout(Some(PATIENCE))
            .expect("read timeout");
        holder.read_exact(&mut first).expect("the download began");
        assert_eq!(&first, b"HTTP/1.0 200");
    }
    let refused = get_notes(&server);
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.header("Retry-After").as_deref(), Some("1"));
    assert!(refused.text().contains("503 Service Unavailable"));

    // A holder leaves; soon a new client is served again.
    drop(holders.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let reply = get_notes(&server);
        if reply.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the freed slot never came back");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_client_vanishing_mid_download_harms_no_one() {
    let dir = site();
    let server = Server::start(dir.path(), &[]);
    for _ in 0..5 {
        let mut quitter = server.connect();
        quitter
            .write_all(b"GET /big.bin HTTP/1.0\r\n\r\n")
            .expect("send");
        let mut some = [0u8; 64 * 1024];
        quitter.read_exact(&mut some).expect("first bytes");
        drop(quitter);
    }
    let mut stayer = server.connect();
    stayer
        .write_all(b"GET /big.bin HTTP/1.0\r\n\r\n")
        .expect("send");
    let reply = Reply::parse(&read_to_close(&mut stayer));
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.body.len(), BIG_BYTES);
    assert!(reply.body.iter().all(|&byte| byte == 0));
    assert_eq!(get_notes(&server).status(), 200);
    let logged = format!("\"GET /big.bin HTTP/1.0\" 200 {BIG_BYTES}");
    server.wait_for_stderr(|line| line.contains(&logged));
}

#[test]
fn hostile_bytes_never_end_the_process() {
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet"]);
    let mut seed: u32 = 12345;
    let mut next = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (seed >> 16) as u8
    };
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![0u8; 100],
        vec![b'\n'; 20_000],
        b"GET / HTTP/1.0\r\nContent-Length: 99999999999999999999\r\n\r\n".to_vec(),
        b"GET / HTTP/1.0\r\nContent-Length: -1\r\n\r\n".to_vec(),
        b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
        b"GET /\xc3\x28 HTTP/1.0\r\n\r\n".to_vec(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        b"GET / HTTP/1.0\r\nX: \xff\xfe\r\n\r\n".to_vec(),
        b"GET / HTTP/1.0\r\n\tfolded\r\n\r\n".to_vec(),
    ];
    for length in [1, 10, 100, 1000, 10_000, 30_000] {
        inputs.push((0..length).map(|_| next()).collect());
    }
    for input in &inputs {
        let mut stream = server.connect();
        let _ = stream.write_all(input);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        if !reply.is_empty() {
            assert!(
                reply.starts_with(b"HTTP/1.0 "),
                "{:?}",
                String::from_utf8_lossy(&reply[..reply.len().min(80)])
            );
        }
    }
    assert_eq!(get_notes(&server).status(), 200, "the server survived");
}
