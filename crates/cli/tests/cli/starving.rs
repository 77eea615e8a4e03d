//! `tgscope serve` against clients that would starve it: Ctrl-C stops it at once even with a
//! half-sent request and a silent connection open, and it says so; connections beyond
//! `--max-connections` are answered 503.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::{Archive, fixture, serve};

#[test]
fn ctrl_c_stops_the_server_with_a_half_sent_request_and_a_silent_connection_open() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa");
    let mut server = serve(&a.dir, &[]);
    let address = server.address.clone();
    let _silent = TcpStream::connect(&address).expect("connect");
    let mut half = TcpStream::connect(&address).expect("connect");
    half.write_all(b"GET /search?q=Russia HTTP/1.1\r\nHost: loc")
        .expect("write");
    std::thread::sleep(Duration::from_millis(300));

    let asked = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(20),
            "still serving {:?} after Ctrl-C",
            asked.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn connections_beyond_max_connections_are_answered_503() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa");
    let server = serve(&a.dir, &["--max-connections", "2"]);
    let address = server.address.clone();
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&address).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut third = TcpStream::connect(&address).expect("connect");
    third
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut answer = String::new();
    let _ = third.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let mut client = TcpStream::connect(&address).expect("connect");
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut page = String::new();
    client.read_to_string(&mut page).expect("page");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
}
