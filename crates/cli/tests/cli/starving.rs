//! `tgscope serve` against clients that would starve it: Ctrl-C stops it at once even with a
//! half-sent request and a silent connection open, and it says so; connections beyond
//! `--max-connections` are answered 503.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Archive, fixture};

/// A running `tgscope serve`, stopped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `tgscope serve` over `a` with `args`, and the address it serves at (`127.0.0.1:PORT`).
fn serve(a: &Archive, args: &[&str]) -> (Running, String) {
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_tgscope"))
        .arg("--archive")
        .arg(&a.dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = server.stdout.take().expect("stdout");
    let server = Running(server);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the address line");
    let address = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .trim_end_matches('/')
        .to_string();
    (server, address)
}

#[test]
fn ctrl_c_stops_the_server_with_a_half_sent_request_and_a_silent_connection_open() {
    let a = Archive::new();
    a.ingest(&fixture("web-mfa.txt"), "mfa");
    let (mut server, address) = serve(&a, &[]);
    let _silent = TcpStream::connect(&address).expect("connect");
    let mut half = TcpStream::connect(&address).expect("connect");
    half.write_all(b"GET /search?q=Russia HTTP/1.1\r\nHost: loc")
        .expect("write");
    std::thread::sleep(Duration::from_millis(300));

    let asked = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &server.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
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
    let (_server, address) = serve(&a, &["--max-connections", "2"]);
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
