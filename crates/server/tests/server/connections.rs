//! The connection loop on a real socket, with clients that try to starve it: silent and
//! half-sent connections and idle keep-alive ones are closed after the header timeout, a body
//! that stops coming ends its request, connections beyond the cap are answered 503 at once, and
//! a shutdown does not wait on idle or half-sent clients.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use tgscope_server::listen::{ConnectionLimits, serve_connections};
use tokio::sync::oneshot;

/// A router with a page and a route that reads its whole body.
fn router() -> Router {
    Router::new().route("/", get(|| async { "home" })).route(
        "/upload",
        post(|body: axum::body::Bytes| async move { format!("{} bytes", body.len()) }),
    )
}

/// A server on a free loopback port under `limits`, on a runtime of its own thread; the
/// sender stops it, and the receiver says when `serve_connections` returned.
struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    ended: std::sync::mpsc::Receiver<Instant>,
}

impl Server {
    fn start(limits: ConnectionLimits) -> Server {
        let (ready, address) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let (end, ended) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                ready
                    .send(listener.local_addr().expect("addr"))
                    .expect("ready");
                serve_connections(listener, router(), limits, async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
                let _ = end.send(Instant::now());
            });
        });
        let addr = address
            .recv_timeout(Duration::from_secs(30))
            .expect("listening");
        Server {
            addr,
            stop: Some(stop),
            ended,
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        stream
    }

    /// Stops the server; returns how long `serve_connections` took to return.
    fn stop(&mut self) -> Duration {
        let asked = Instant::now();
        let _ = self.stop.take().expect("running").send(());
        let ended = self
            .ended
            .recv_timeout(Duration::from_secs(60))
            .expect("the server stopped");
        ended.saturating_duration_since(asked)
    }
}

fn quick(header_timeout: Duration) -> ConnectionLimits {
    ConnectionLimits {
        header_timeout,
        body_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    }
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
fn read_to_close(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn silent_and_half_sent_connections_are_closed_after_the_header_timeout() {
    let server = Server::start(quick(Duration::from_secs(1)));
    let mut silent = server.connect();
    let mut half = server.connect();
    half.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .expect("write");
    for (name, stream) in [("silent", &mut silent), ("half-sent", &mut half)] {
        let (_, waited) = read_to_close(stream);
        assert!(
            waited < Duration::from_secs(20),
            "the {name} connection stayed open {waited:?}"
        );
    }
    // The server still answers.
    let mut client = server.connect();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    let (answer, _) = read_to_close(&mut client);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let server = Server::start(quick(Duration::from_secs(1)));
    let mut client = server.connect();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("write");
    let (answer, waited) = read_to_close(&mut client);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("home"), "{answer}");
    assert!(
        waited < Duration::from_secs(20),
        "the idle connection stayed open {waited:?}"
    );
}

#[test]
fn a_body_that_stops_coming_ends_its_request() {
    let server = Server::start(quick(Duration::from_secs(30)));
    let mut client = server.connect();
    client
        .write_all(
            b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nonly ten b",
        )
        .expect("write");
    let (answer, waited) = read_to_close(&mut client);
    assert!(
        waited < Duration::from_secs(20),
        "the stalled body held the request {waited:?}"
    );
    assert!(
        !answer.contains("bytes"),
        "the handler saw no whole body: {answer}"
    );
    // A body that keeps coming is read whole, however slowly it comes.
    let mut steady = server.connect();
    steady
        .write_all(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nConnection: close\r\n\r\n")
        .expect("write");
    for byte in b"abcd" {
        std::thread::sleep(Duration::from_millis(600));
        steady.write_all(&[*byte]).expect("write");
    }
    let (answer, _) = read_to_close(&mut steady);
    assert!(answer.ends_with("4 bytes"), "{answer}");
}

#[test]
fn connections_beyond_the_cap_are_answered_503_at_once() {
    let server = Server::start(ConnectionLimits {
        max_connections: 4,
        header_timeout: Duration::from_secs(60),
        ..ConnectionLimits::default()
    });
    let held: Vec<TcpStream> = (0..4).map(|_| server.connect()).collect();
    // The server takes in the four before the fifth.
    std::thread::sleep(Duration::from_millis(300));
    let mut fifth = server.connect();
    let (answer, waited) = read_to_close(&mut fifth);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 5"),
        "{answer}"
    );
    assert!(answer.contains("Too many connections"), "{answer}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    // Once one of the four goes, a new connection is served.
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let mut client = server.connect();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    let (answer, _) = read_to_close(&mut client);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_shutdown_does_not_wait_on_idle_or_half_sent_clients() {
    let mut server = Server::start(ConnectionLimits {
        header_timeout: Duration::from_secs(120),
        shutdown_grace: Duration::from_secs(60),
        ..ConnectionLimits::default()
    });
    let _silent = server.connect();
    let mut idle = server.connect();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("write");
    let mut answer = [0u8; 12];
    idle.read_exact(&mut answer).expect("answer");
    assert_eq!(&answer, b"HTTP/1.1 200");
    let mut half = server.connect();
    half.write_all(b"GET / HTTP/1.1\r\nHost: loc")
        .expect("write");
    std::thread::sleep(Duration::from_millis(300));
    let took = server.stop();
    assert!(
        took < Duration::from_secs(30),
        "the shutdown waited {took:?} on its clients"
    );
}
